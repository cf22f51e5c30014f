/*
 * conout.c - a line on the firmware console (conout.h), for setvar.efi
 * and farmboot.efi.
 */
#include "conout.h"

#include "guest.h"

void conout_vsay(SIMPLE_TEXT_OUTPUT_INTERFACE *out, const char *prefix,
    const char *fmt, va_list ap)
{
	char buf[384];
	CHAR16 wbuf[400];
	size_t i, n = 0;
	int len;

	len = snprintf(buf, sizeof(buf), "%s: ", prefix);
	vsnprintf(buf + len, sizeof(buf) - (size_t)len, fmt, ap);
	for (i = 0; buf[i] && n + 3 < ARRAY_SIZE(wbuf); i++) {
		unsigned char c = (unsigned char)buf[i];

		wbuf[n++] = c < 0x20 || c >= 0x7f ? '?' : c;
	}
	wbuf[n++] = '\r';
	wbuf[n++] = '\n';
	wbuf[n] = 0;
	out->OutputString(out, wbuf);
}
