/*
 * printf.c - formatted output to the console.
 *
 * Characters are gathered in a small buffer and handed to console_write()
 * in pieces, so a line reaches the UART (or ConOut) in few calls and output
 * of any length is never cut.
 */
#include "guest.h"

struct outbuf {
	char buf[256];
	size_t len;
};

/* Hands what was gathered to the console. */
static void outbuf_flush(struct outbuf *ob)
{
	console_write(ob->buf, ob->len);
	ob->len = 0;
}

/* format_out()'s output: gathers, flushing when full. */
static void outbuf_put(char c, void *arg)
{
	struct outbuf *ob = arg;

	if (ob->len == sizeof(ob->buf))
		outbuf_flush(ob);
	ob->buf[ob->len++] = c;
}

int vprintf(const char *fmt, va_list ap)
{
	struct outbuf ob;
	int n;

	ob.len = 0;
	n = format_out(outbuf_put, &ob, fmt, ap);
	outbuf_flush(&ob);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

void puts(const char *s)
{
	console_write(s, strlen(s));
}

void putchar(int c)
{
	char ch = (char)c;

	console_write(&ch, 1);
}
