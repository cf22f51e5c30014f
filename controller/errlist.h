/*
 * errlist.h - the errors a parser of a file collects, each with its line,
 * given to the user at once as "file:line: message" lines in line order
 * (farm.conf, unittests.cfg). At most max are kept; the rest are counted.
 */
#ifndef FARM_ERRLIST_H
#define FARM_ERRLIST_H

#include <stdarg.h>
#include <stddef.h>

struct errlist {
	const char *file;       /* as the messages name it */
	size_t max;
	struct errlist_entry *v;
	size_t n, cap, dropped, seq;
};

/* Records one problem at line (0: the file as a whole). */
void errlist_add(struct errlist *, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void errlist_vadd(struct errlist *, int line, const char *fmt, va_list)
    __attribute__((format(printf, 3, 0)));
/* 1 when anything was recorded. */
int errlist_any(const struct errlist *);
/* Every error in line order, one per line (caller frees). */
char *errlist_join(struct errlist *);
void errlist_free(struct errlist *);

#endif
