/*
 * log.h - farmd's log: one line per event on stderr, with a level.
 * log_warn appends strerror(errno); the x variants do not. fatal exits and is
 * only for start-up failures and broken invariants.
 */
#ifndef FARM_LOG_H
#define FARM_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_init(const char *progname, int verbosity);
void log_set_level(int verbosity);
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
