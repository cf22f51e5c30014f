/*
 * log.c - farmd's log on stderr: "farmd: level: message". journald and
 * terminals both read it; the level decides what is shown.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_name = "farm";
static int log_level = LEVEL_INFO;
static int log_syslog;

void
log_init(const char *progname, int verbosity)
{
	log_name = progname;
	log_set_level(verbosity);
}

void
log_to_syslog(void)
{
	openlog(log_name, LOG_PID, LOG_DAEMON);
	log_syslog = 1;
}

void
log_set_level(int verbosity)
{
	log_level = LEVEL_INFO + verbosity;
	if (log_level < LEVEL_ERR)
		log_level = LEVEL_ERR;
}

/* Writes one line: prefix, message and, when err is set, strerror(err). */
static void log_vline(int, const char *, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
log_vline(int level, const char *tag, int err, const char *fmt, va_list ap)
{
	char msg[2048];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A log line is one line: control bytes from requests or consoles
	 * cannot forge another. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (log_syslog) {
		static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

		if (err)
			syslog(prio[level], "%s%s: %s", tag, msg, strerror(err));
		else
			syslog(prio[level], "%s%s", tag, msg);
		return;
	}
	if (err)
		fprintf(stderr, "%s: %s%s: %s\n", log_name, tag, msg, strerror(err));
	else
		fprintf(stderr, "%s: %s%s\n", log_name, tag, msg);
}

#define LOG_BODY(level, tag, err)                                              \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vline(level, tag, err, fmt, ap);                           \
		va_end(ap);                                                    \
	} while (0)

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LEVEL_DEBUG, "debug: ", 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LEVEL_INFO, "", 0);
}

void
log_warn(const char *fmt, ...)
{
	int err = errno;

	LOG_BODY(LEVEL_WARN, "warning: ", err);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LEVEL_WARN, "warning: ", 0);
}

void
fatal(const char *fmt, ...)
{
	int err = errno;

	LOG_BODY(LEVEL_ERR, "fatal: ", err);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LEVEL_ERR, "fatal: ", 0);
	exit(1);
}
