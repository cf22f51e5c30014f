/*
 * conout.h - one line on the firmware console, as setvar.efi and
 * farmboot.efi both write them: "<prefix>: <message>", printable ASCII
 * only (anything else shows as '?'), CRLF. The firmware copies ConOut to
 * the serial console, where farmd reads it.
 */
#ifndef FARM_CONOUT_H
#define FARM_CONOUT_H

#include <efi.h>
#include <stdarg.h>

void conout_vsay(SIMPLE_TEXT_OUTPUT_INTERFACE *out, const char *prefix,
    const char *fmt, va_list ap);

#endif
