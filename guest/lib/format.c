/*
 * format.c - printf-style formatting without floating point.
 *
 * One engine, format_out(), writes characters through a callback: snprintf
 * fills a buffer with it, printf streams it to the console (printf.c). It
 * knows %d %i %u %x %X %o %p %s %c %%, the flags '-', '0', '+', ' ' and '#',
 * a width and a precision (a number or '*'), and the length modifiers hh,
 * h, l, ll, z, j and t. An unknown conversion is printed as written.
 */
#include "guest.h"

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE,
	LEN_MAX, LEN_PTRDIFF };

/* One conversion specification, as parsed. */
struct spec {
	bool left;		/* '-' */
	bool zero;		/* '0' */
	bool plus;		/* '+' */
	bool space;		/* ' ' */
	bool alt;		/* '#' */
	bool pointer;		/* %p: always "0x" */
	int width;		/* -1: none */
	int precision;		/* -1: none */
	enum length length;
};

/* The output callback and the count of characters so far. */
struct sink {
	void (*out)(char c, void *arg);
	void *arg;
	int count;
};

/* One character out, counted. */
static void emit(struct sink *sk, char c)
{
	sk->out(c, sk->arg);
	sk->count++;
}

static void emit_repeat(struct sink *sk, char c, int n)
{
	while (n-- > 0)
		emit(sk, c);
}

/*
 * Prints a number: sign or base prefix, then zeros up to the precision or
 * (with '0') the width, then the digits, padded to the width.
 */
static void emit_number(struct sink *sk, const struct spec *sp,
    unsigned long long v, bool negative, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];		/* 2^64 in octal: 22 digits */
	const char *prefix = "";
	int n = 0, zeros, pad, plen;

	while (v) {
		buf[n++] = digits[v % base];
		v /= base;
	}
	if (n == 0 && sp->precision != 0)
		buf[n++] = '0';
	if (negative)
		prefix = "-";
	else if (sp->plus)
		prefix = "+";
	else if (sp->space)
		prefix = " ";
	if ((sp->alt && base == 16 && !(n == 1 && buf[0] == '0')) ||
	    sp->pointer)
		prefix = upper ? "0X" : "0x";
	if (sp->alt && base == 8 && (n == 0 || buf[n - 1] != '0'))
		prefix = "0";
	plen = (int)strlen(prefix);

	zeros = sp->precision > n ? sp->precision - n : 0;
	pad = sp->width - plen - zeros - n;
	if (sp->zero && !sp->left && sp->precision < 0 && pad > 0) {
		zeros += pad;
		pad = 0;
	}
	if (!sp->left)
		emit_repeat(sk, ' ', pad);
	while (*prefix)
		emit(sk, *prefix++);
	emit_repeat(sk, '0', zeros);
	while (n > 0)
		emit(sk, buf[--n]);
	if (sp->left)
		emit_repeat(sk, ' ', pad);
}

/* s (NULL prints "(null)"), cut at the precision, padded to the width. */
static void emit_string(struct sink *sk, const struct spec *sp, const char *s)
{
	int n, pad;

	if (!s)
		s = "(null)";
	n = (int)strnlen(s, sp->precision >= 0 ? (size_t)sp->precision :
	    (size_t)-1);
	pad = sp->width - n;
	if (!sp->left)
		emit_repeat(sk, ' ', pad);
	for (int i = 0; i < n; i++)
		emit(sk, s[i]);
	if (sp->left)
		emit_repeat(sk, ' ', pad);
}

/* Reads a signed argument of the spec's length. */
static long long arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case LEN_CHAR:
		return (signed char)va_arg(*ap, int);
	case LEN_SHORT:
		return (short)va_arg(*ap, int);
	case LEN_LONG:
		return va_arg(*ap, long);
	case LEN_LLONG:
		return va_arg(*ap, long long);
	case LEN_SIZE:
	case LEN_PTRDIFF:
		return va_arg(*ap, ptrdiff_t);
	case LEN_MAX:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

/* Reads an unsigned argument of the spec's length. */
static unsigned long long arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case LEN_CHAR:
		return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT:
		return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG:
		return va_arg(*ap, unsigned long);
	case LEN_LLONG:
		return va_arg(*ap, unsigned long long);
	case LEN_SIZE:
	case LEN_PTRDIFF:
		return va_arg(*ap, size_t);
	case LEN_MAX:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

/* Parses flags, width, precision and length at *fmt; advances *fmt. */
static void parse_spec(const char **fmt, struct spec *sp, va_list *ap)
{
	const char *f = *fmt;

	memset(sp, 0, sizeof(*sp));
	sp->width = sp->precision = -1;
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	} else {
		for (; isdigit((unsigned char)*f); f++)
			sp->width = (sp->width < 0 ? 0 : sp->width * 10) + (*f - '0');
	}
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			f++;
		} else {
			for (; isdigit((unsigned char)*f); f++)
				sp->precision = sp->precision * 10 + (*f - '0');
		}
	}
	switch (*f) {
	case 'h':
		sp->length = f[1] == 'h' ? LEN_CHAR : LEN_SHORT;
		f += f[1] == 'h' ? 2 : 1;
		break;
	case 'l':
		sp->length = f[1] == 'l' ? LEN_LLONG : LEN_LONG;
		f += f[1] == 'l' ? 2 : 1;
		break;
	case 'z':
		sp->length = LEN_SIZE;
		f++;
		break;
	case 'j':
		sp->length = LEN_MAX;
		f++;
		break;
	case 't':
		sp->length = LEN_PTRDIFF;
		f++;
		break;
	default:
		break;
	}
	*fmt = f;
}

int format_out(void (*out)(char c, void *arg), void *arg, const char *fmt,
    va_list ap)
{
	struct sink sk = { out, arg, 0 };
	struct spec sp;
	va_list aq;

	/* A copy, so that helpers can take it by address on every ABI. */
	va_copy(aq, ap);
	while (*fmt) {
		const char *start = fmt;
		long long sv;

		if (*fmt != '%') {
			emit(&sk, *fmt++);
			continue;
		}
		fmt++;
		parse_spec(&fmt, &sp, &aq);
		switch (*fmt) {
		case 'd':
		case 'i':
			sv = arg_signed(&sp, &aq);
			emit_number(&sk, &sp, sv < 0 ? 0 - (unsigned long long)sv :
			    (unsigned long long)sv, sv < 0, 10, false);
			break;
		case 'u':
			emit_number(&sk, &sp, arg_unsigned(&sp, &aq), false, 10,
			    false);
			break;
		case 'x':
		case 'X':
			emit_number(&sk, &sp, arg_unsigned(&sp, &aq), false, 16,
			    *fmt == 'X');
			break;
		case 'o':
			emit_number(&sk, &sp, arg_unsigned(&sp, &aq), false, 8,
			    false);
			break;
		case 'p':
			sp.pointer = true;
			emit_number(&sk, &sp,
			    (uintptr_t)va_arg(aq, void *), false, 16, false);
			break;
		case 's':
			emit_string(&sk, &sp, va_arg(aq, const char *));
			break;
		case 'c':
			if (!sp.left)
				emit_repeat(&sk, ' ', sp.width - 1);
			emit(&sk, (char)va_arg(aq, int));
			if (sp.left)
				emit_repeat(&sk, ' ', sp.width - 1);
			break;
		case '%':
			emit(&sk, '%');
			break;
		default:
			/* Unknown or cut short: print it as it stands. */
			while (start < fmt)
				emit(&sk, *start++);
			if (*fmt)
				emit(&sk, *fmt);
			else
				fmt--;
			break;
		}
		fmt++;
	}
	va_end(aq);
	return sk.count;
}

/* Where vsnprintf's characters go. */
struct buffer {
	char *buf;
	size_t size;
	size_t len;
};

/* Stores what fits, counts everything (snprintf's return value). */
static void buffer_out(char c, void *arg)
{
	struct buffer *b = arg;

	if (b->len + 1 < b->size)
		b->buf[b->len] = c;
	b->len++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buffer b = { buf, size, 0 };
	int n;

	n = format_out(buffer_out, &b, fmt, ap);
	if (size > 0)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
