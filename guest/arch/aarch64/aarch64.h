/*
 * aarch64.h - what the files of guest/arch/aarch64 call of one another.
 * One section per file, as guest.h.
 */
#ifndef FARM_AARCH64_H
#define FARM_AARCH64_H

#include "guest.h"

enum psci_conduit { PSCI_NONE, PSCI_HVC, PSCI_SMC };

/* What the library needs from the firmware's description of the machine. */
struct machine_desc {
	uint64_t uart_base;		/* the console PL011; 0: none */
	enum psci_conduit psci;		/* how to call PSCI */
};

/*
 * dt.c, acpi.c: fill *desc from the device tree / the ACPI tables the
 * firmware installed (as much as they say). 0 when the console UART was
 * found, -1 when not (or there is no such description).
 */
int dt_describe(struct machine_desc *desc);
int acpi_describe(struct machine_desc *desc);

/* psci.c */
/*
 * Keeps the PSCI conduit and the system table, so that arch_debug_exit()
 * can power the machine off once the program has left boot services.
 */
void psci_init(enum psci_conduit conduit, void *system_table);

#endif
