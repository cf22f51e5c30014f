/*
 * uart.c - the PC's first 16550 UART (COM1, I/O port 0x3f8).
 *
 * The library writes the console protocol here (as kvm-unit-tests does on
 * x86), by polling: no interrupts, so it works the same before and after
 * ExitBootServices. uart_init() resets the device into a known state
 * (8N1, FIFOs on and cleared, interrupts off) but keeps the baud rate the
 * firmware chose; it sets 115200 only when no divisor was set.
 */
#include "guest.h"
#include "io.h"

#define COM1		0x3f8
#define UART_THR	0	/* transmit holding (write) */
#define UART_IER	1	/* interrupt enable */
#define UART_DLL	0	/* divisor low, with LCR_DLAB */
#define UART_DLM	1	/* divisor high, with LCR_DLAB */
#define UART_FCR	2	/* FIFO control (write) */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_SCR	7	/* scratch */

#define LCR_8N1		0x03
#define LCR_DLAB	0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS	0x03
#define LSR_THRE	0x20	/* transmit holding register empty */
#define LSR_TEMT	0x40	/* transmitter empty: all sent */

/* How long uart_putc() waits for room; a missing or stuck UART never hangs. */
#define UART_SPIN	1000000

static bool present;

/* Waits (bounded) until the LSR shows bit; the firmware's bytes go out first. */
static void uart_wait(uint8_t bit)
{
	int spin;

	for (spin = 0; spin < UART_SPIN; spin++) {
		if (inb(COM1 + UART_LSR) & bit)
			return;
		__asm__ volatile("pause");
	}
}

int uart_init(void)
{
	uint8_t dll, dlm;

	/* A UART keeps what is written to its scratch register. */
	outb(0x5a, COM1 + UART_SCR);
	if (inb(COM1 + UART_SCR) != 0x5a)
		return -1;
	outb(0xa5, COM1 + UART_SCR);
	if (inb(COM1 + UART_SCR) != 0xa5)
		return -1;

	uart_wait(LSR_TEMT);
	outb(0x00, COM1 + UART_IER);
	outb(LCR_DLAB, COM1 + UART_LCR);
	dll = inb(COM1 + UART_DLL);
	dlm = inb(COM1 + UART_DLM);
	if (dll == 0 && dlm == 0) {
		outb(1, COM1 + UART_DLL);	/* 115200 baud */
		outb(0, COM1 + UART_DLM);
	}
	outb(LCR_8N1, COM1 + UART_LCR);
	outb(FCR_ENABLE_CLEAR, COM1 + UART_FCR);
	outb(MCR_DTR_RTS, COM1 + UART_MCR);
	present = true;
	return 0;
}

void uart_putc(char c)
{
	if (!present)
		return;
	uart_wait(LSR_THRE);
	outb((uint8_t)c, COM1 + UART_THR);
}
