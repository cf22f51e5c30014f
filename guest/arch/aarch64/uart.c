/*
 * uart.c - the console UART of an aarch64 machine: the ARM PL011 (or an
 * SBSA UART, its subset) that the firmware's description of the machine
 * names as the console, as kvm-unit-tests finds it on arm.
 *
 * The description is the device tree (dt.c: /chosen's stdout-path) or,
 * without one, ACPI (acpi.c: the SPCR table), tried in that order. The
 * firmware has set the line up and the library keeps its settings, only
 * making sure the UART and its transmitter are on. Output is polled
 * through the flag register, so it works the same after
 * ExitBootServices (the firmware's page tables keep the device mapped,
 * and the library never changes them). uart_init() is the one arch hook
 * the library calls at start-up, so it also hands the PSCI conduit the
 * description gives to psci.c.
 */
#include "aarch64.h"
#include "io.h"
#include "uefi.h"

#define UART_DR		0x00	/* data */
#define UART_FR		0x18	/* flags */
#define UART_CR		0x30	/* control */

#define FR_TXFF		(1u << 5)	/* transmit FIFO full */
#define FR_BUSY		(1u << 3)
#define CR_UARTEN	(1u << 0)
#define CR_TXE		(1u << 8)

/* How long uart_putc() waits for room; a missing or stuck UART never hangs. */
#define UART_SPIN	1000000

/* Where the machine's description comes from, in order of preference. */
static int (*const describers[])(struct machine_desc *) = {
	dt_describe,
	acpi_describe,
};

static uintptr_t uart_base;

/* Waits (bounded) until the flags in mask are clear. */
static void uart_wait_clear(uint32_t mask)
{
	for (int spin = 0; spin < UART_SPIN; spin++) {
		if (!(mmio_read32(uart_base + UART_FR) & mask))
			return;
		cpu_relax();
	}
}

int uart_init(void)
{
	struct machine_desc desc = { 0, PSCI_NONE };
	bool found = false;
	uint32_t cr;

	for (size_t i = 0; i < ARRAY_SIZE(describers) && !found; i++)
		found = describers[i](&desc) == 0;
	psci_init(desc.psci, efi_system_table);
	if (!found)
		return -1;
	uart_base = (uintptr_t)desc.uart_base;
	cr = mmio_read32(uart_base + UART_CR);
	if ((cr & (CR_UARTEN | CR_TXE)) != (CR_UARTEN | CR_TXE)) {
		uart_wait_clear(FR_BUSY);
		mmio_write32(uart_base + UART_CR, cr | CR_UARTEN | CR_TXE);
	}
	return 0;
}

void uart_putc(char c)
{
	if (!uart_base)
		return;
	uart_wait_clear(FR_TXFF);
	mmio_write32(uart_base + UART_DR, (uint8_t)c);
}
