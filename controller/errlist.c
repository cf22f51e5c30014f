/*
 * errlist.c - collecting a file's errors and reporting them in line order.
 */
#include "errlist.h"

#include <stdarg.h>
#include <stdlib.h>

#include "util.h"

struct errlist_entry {
	int line;
	size_t seq;             /* keeps errors of one line in order */
	char *msg;
};

void
errlist_vadd(struct errlist *e, int line, const char *fmt, va_list ap)
{
	if (e->n >= e->max) {
		e->dropped++;
		return;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	e->v[e->n].msg = xvasprintf(fmt, ap);
	e->v[e->n].line = line;
	e->v[e->n].seq = e->seq++;
	e->n++;
}

void
errlist_add(struct errlist *e, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(e, line, fmt, ap);
	va_end(ap);
}

int
errlist_any(const struct errlist *e)
{
	return e->n > 0 || e->dropped > 0;
}

static int
errlist_cmp(const void *a, const void *b)
{
	const struct errlist_entry *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

char *
errlist_join(struct errlist *e)
{
	struct buf b = {0};
	size_t i;

	qsort(e->v, e->n, sizeof(*e->v), errlist_cmp);
	for (i = 0; i < e->n; i++) {
		if (i > 0)
			buf_addc(&b, '\n');
		if (e->v[i].line > 0)
			buf_printf(&b, "%s:%d: %s", e->file, e->v[i].line, e->v[i].msg);
		else
			buf_printf(&b, "%s: %s", e->file, e->v[i].msg);
	}
	if (e->dropped)
		buf_printf(&b, "\n%s: %zu more errors not shown", e->file, e->dropped);
	return buf_steal(&b);
}

void
errlist_free(struct errlist *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i].msg);
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}
