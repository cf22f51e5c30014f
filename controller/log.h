/*
 * log.h - farmd's log: one line per event on stderr (journald reads it) or
 * syslog, with a level.
 * log_warn appends strerror(errno); the x variants do not. fatal exits and is
 * only for start-up failures and broken invariants.
 */
#ifndef FARM_LOG_H
#define FARM_LOG_H

enum log_level { LEVEL_ERR, LEVEL_WARN, LEVEL_INFO, LEVEL_DEBUG };

void log_init(const char *progname, int verbosity);
/* From now on, lines go to syslog (facility daemon) instead of stderr. */
void log_to_syslog(void);
void log_set_level(int verbosity);
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
