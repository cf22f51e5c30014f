/*
 * percent.c - percent-decoding (RFC 3986 "%XX"), for values that travel
 * through a command line: setvar.efi's NAME=VALUE arguments.
 */
#include "guest.h"

/* The value of hex digit c, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long percent_decode(const char *in, char *out, size_t size)
{
	size_t n = 0;

	while (*in) {
		char c = *in++;

		if (c == '%') {
			int hi = hexval(in[0]), lo = hi < 0 ? -1 : hexval(in[1]);

			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			in += 2;
		}
		if (n + 1 < size)
			out[n] = c;
		n++;
	}
	if (size > 0)
		out[n < size ? n : size - 1] = '\0';
	return (long)n;
}
