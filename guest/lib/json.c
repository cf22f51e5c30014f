/*
 * json.c - writing JSON text into a bounded buffer.
 *
 * Enough for the results POST body (post.c): raw text, formatted numbers
 * and string literals. Nothing is ever written past the buffer; a jbuf that
 * ran out of room says so in overflow and the caller drops the text.
 */
#include "guest.h"

void jbuf_init(struct jbuf *jb, char *buf, size_t size)
{
	jb->buf = buf;
	jb->size = size;
	jb->len = 0;
	jb->overflow = size == 0;
	if (size > 0)
		buf[0] = '\0';
}

/* Appends n bytes of s. */
static void jbuf_add(struct jbuf *jb, const char *s, size_t n)
{
	if (jb->overflow || jb->len + n >= jb->size) {
		jb->overflow = true;
		return;
	}
	memcpy(jb->buf + jb->len, s, n);
	jb->len += n;
	jb->buf[jb->len] = '\0';
}

void jbuf_raw(struct jbuf *jb, const char *s)
{
	jbuf_add(jb, s, strlen(s));
}

void jbuf_printf(struct jbuf *jb, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		jb->overflow = true;
		return;
	}
	jbuf_add(jb, tmp, (size_t)n);
}

/* The escape for byte c in a JSON string into esc[7]; its length, 0 for none. */
static size_t json_escape(unsigned char c, char *esc)
{
	const char *hex = "0123456789abcdef";

	switch (c) {
	case '"':
		memcpy(esc, "\\\"", 2);
		return 2;
	case '\\':
		memcpy(esc, "\\\\", 2);
		return 2;
	case '\n':
		memcpy(esc, "\\n", 2);
		return 2;
	case '\r':
		memcpy(esc, "\\r", 2);
		return 2;
	case '\t':
		memcpy(esc, "\\t", 2);
		return 2;
	default:
		if (c >= 0x20 && c != 0x7f)
			return 0;
		memcpy(esc, "\\u00", 4);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		return 6;
	}
}

/*
 * The JSON text for the character at s (of len bytes left) into out[7]:
 * an escape, the character itself, or U+FFFD for a byte that is not UTF-8.
 * Returns its length; *used gets the bytes of s consumed.
 */
static size_t json_char(const char *s, size_t len, char *out, size_t *used)
{
	size_t n;

	*used = 1;
	if ((unsigned char)*s < 0x80) {
		n = json_escape((unsigned char)*s, out);
		if (n == 0) {
			out[0] = *s;
			n = 1;
		}
		return n;
	}
	n = utf8_seq_len(s, len);
	if (n == 0) {
		memcpy(out, "\\ufffd", 6);
		return 6;
	}
	memcpy(out, s, n);
	*used = n;
	return n;
}

void jbuf_string(struct jbuf *jb, const char *s)
{
	size_t len = strlen(s), used;
	char out[7];

	jbuf_add(jb, "\"", 1);
	while (len > 0) {
		jbuf_add(jb, out, json_char(s, len, out, &used));
		s += used;
		len -= used;
	}
	jbuf_add(jb, "\"", 1);
}

size_t json_string_size(const char *s)
{
	size_t len = strlen(s), used, n = 2;
	char out[7];

	while (len > 0) {
		n += json_char(s, len, out, &used);
		s += used;
		len -= used;
	}
	return n;
}
