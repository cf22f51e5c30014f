/*
 * psci.c - how an aarch64 program powers the machine off once it has left
 * boot services: PSCI SYSTEM_OFF through the conduit the machine's
 * description names (the device tree's /psci "method", or the FADT's ARM
 * boot flags: "hvc" under QEMU without EL2/EL3, "smc" on most boards), as
 * kvm-unit-tests' arm exit does.
 *
 * arm has no isa-debug-exit: the program's code reaches the farm through
 * its "EXIT: STATUS=" line, and QEMU simply ends (status 0). While boot
 * services run, arch_debug_exit() returns and exit() shuts down through
 * the firmware (ResetSystem), which may have work to do first. After
 * ExitBootServices (the system table's BootServices is then NULL, as the
 * UEFI specification requires) it calls PSCI directly. Without a known
 * conduit it returns, and the firmware's runtime ResetSystem is tried.
 */
#include "aarch64.h"
#include "uefi.h"

#define PSCI_SYSTEM_OFF	0x84000008u

static enum psci_conduit conduit;
static EFI_SYSTEM_TABLE *systab;

void psci_init(enum psci_conduit how, void *system_table)
{
	conduit = how;
	systab = system_table;
}

/*
 * Calls PSCI function fn with no arguments through the conduit. The SMC
 * calling convention lets the callee change x0-x17.
 */
#define SMCCC_CLOBBERS "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", \
	"x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory"
static void psci_call(uint32_t fn)
{
	register uint64_t x0 __asm__("x0") = fn;

	if (conduit == PSCI_HVC)
		__asm__ volatile("hvc #0" : "+r"(x0) : : SMCCC_CLOBBERS);
	else if (conduit == PSCI_SMC)
		__asm__ volatile("smc #0" : "+r"(x0) : : SMCCC_CLOBBERS);
}

void arch_debug_exit(int code)
{
	(void)code;
	if (conduit == PSCI_NONE || !systab || systab->BootServices)
		return;
	psci_call(PSCI_SYSTEM_OFF);
}
