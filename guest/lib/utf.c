/*
 * utf.c - UTF-16 (the firmware's strings) to UTF-8 (the program's) and back.
 *
 * LoadOptions, variable names and variable values arrive as UTF-16; the
 * program sees UTF-8. setvar.efi goes the other way. Both directions count
 * what the whole conversion needs, so a caller can size a buffer with a
 * first call.
 */
#include "guest.h"

/* Appends the UTF-8 form of code point cp; counts in *len, writes what fits. */
static void put_utf8(uint32_t cp, char *out, size_t size, size_t *len)
{
	char b[4];
	size_t n, i;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (i = 0; i < n; i++, (*len)++) {
		if (*len + 1 < size)
			out[*len] = b[i];
	}
}

size_t utf16_to_utf8(const uint16_t *in, size_t n, char *out, size_t size)
{
	size_t i, len = 0;

	for (i = 0; i < n && in[i] != 0; i++) {
		uint32_t cp = in[i];

		if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < n &&
		    in[i + 1] >= 0xdc00 && in[i + 1] < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (in[i + 1] - 0xdc00);
			i++;
		} else if (cp >= 0xd800 && cp < 0xe000) {
			cp = 0xfffd;
		}
		put_utf8(cp, out, size, &len);
	}
	if (size > 0)
		out[len < size ? len : size - 1] = '\0';
	return len;
}

/*
 * Decodes one UTF-8 sequence at in[*i] (of len); advances *i. Returns the
 * code point, or -1 for a malformed, overlong or surrogate sequence.
 */
static long get_utf8(const unsigned char *in, size_t len, size_t *i)
{
	unsigned char c = in[*i];
	size_t n, k;
	uint32_t cp, min;

	if (c < 0x80) {
		(*i)++;
		return c;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (*i + n >= len)
		return -1;
	for (k = 1; k <= n; k++) {
		if ((in[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (in[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
		return -1;
	*i += n + 1;
	return (long)cp;
}

long utf8_to_utf16(const char *in, size_t len, uint16_t *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, n = 0;

	while (i < len) {
		long cp = get_utf8(p, len, &i);

		if (cp <= 0)
			return -1;
		if (cp >= 0x10000) {
			if (n + 1 < size) {
				out[n] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
				out[n + 1] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
			}
			n += 2;
		} else {
			if (n < size)
				out[n] = (uint16_t)cp;
			n++;
		}
	}
	return (long)n;
}

size_t utf8_seq_len(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || get_utf8((const unsigned char *)s, len, &i) <= 0)
		return 0;
	return i;
}
