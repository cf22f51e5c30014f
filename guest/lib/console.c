/*
 * console.c - where the program's output goes.
 *
 * FARM_CONSOLE chooses: "uart" (the default) writes to the UART directly,
 * "efi" to the firmware's ConOut, "both" to both. On QEMU with OVMF,
 * ConOut is itself the serial port, so "both" prints every line twice
 * there; the UART alone is what kvm-unit-tests does on x86 and what keeps
 * working after ExitBootServices. With "both", output is gathered into
 * whole lines that go to each in turn, so that a line is never interleaved
 * with itself. When there is no UART, output goes to ConOut instead. FARM_CRLF=1 ends UART lines with "\r\n"; ConOut always
 * gets "\r\n", as text consoles need.
 */
#include "guest.h"
#include "uefi.h"

enum { CON_UART = 1, CON_EFI = 2 };

static int targets = CON_EFI;	/* until console_init(): the firmware's */
static bool crlf;
static bool uart_ok;
static bool at_line_start = true;

/* With both targets, whole lines go to each in turn (not interleaved). */
static char line[256];
static size_t line_len;

void console_init(void)
{
	const char *v = getenv("FARM_CONSOLE");

	uart_ok = uart_init() == 0;
	targets = CON_UART;
	if (v && strcmp(v, "efi") == 0)
		targets = CON_EFI;
	else if (v && strcmp(v, "both") == 0)
		targets = CON_UART | CON_EFI;
	if (!uart_ok)
		targets = CON_EFI;
	v = getenv("FARM_CRLF");
	crlf = v && strcmp(v, "1") == 0;
}

static void uart_write(const char *s, size_t n);
static void efi_write(const char *s, size_t n);

/* Writes the gathered line to both targets. */
static void line_flush(void)
{
	uart_write(line, line_len);
	efi_write(line, line_len);
	line_len = 0;
}

void console_boot_services_gone(void)
{
	if (line_len)
		line_flush();
	targets &= ~CON_EFI;
	if (targets == 0 && uart_ok)
		targets = CON_UART;
}

bool console_at_line_start(void)
{
	return at_line_start;
}

/* Writes UTF-8 text to ConOut, in pieces; "\n" becomes "\r\n". */
static void efi_write(const char *s, size_t n)
{
	SIMPLE_TEXT_OUTPUT_INTERFACE *out;
	CHAR16 buf[128];
	size_t len = 0, i;

	if (!efi_boot_services_active() || !efi_system_table)
		return;
	out = efi_system_table->ConOut;
	if (!out)
		return;
	for (i = 0; i < n; i++) {
		if (len + 3 >= ARRAY_SIZE(buf)) {
			buf[len] = 0;
			out->OutputString(out, buf);
			len = 0;
		}
		/* Bytes, not code points: ConOut shows ASCII; others become '?'. */
		if (s[i] == '\n')
			buf[len++] = '\r';
		buf[len++] = (unsigned char)s[i] < 0x80 ? (CHAR16)s[i] : '?';
	}
	if (len > 0) {
		buf[len] = 0;
		out->OutputString(out, buf);
	}
}

/* Writes to the UART; "\n" becomes "\r\n" with FARM_CRLF=1. */
static void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && crlf)
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void console_write(const char *s, size_t n)
{
	if (n == 0)
		return;
	if (targets == (CON_UART | CON_EFI)) {
		for (size_t i = 0; i < n; i++) {
			line[line_len++] = s[i];
			if (s[i] == '\n' || line_len == sizeof(line))
				line_flush();
		}
	} else if (targets & CON_UART) {
		uart_write(s, n);
	} else if (targets & CON_EFI) {
		efi_write(s, n);
	}
	at_line_start = s[n - 1] == '\n';
}
