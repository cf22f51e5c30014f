/*
 * proc.h - starting the programs farmd supervises (QEMU, dnsmasq, power
 * commands) without a shell, and stopping them by the PID we got.
 */
#ifndef FARM_PROC_H
#define FARM_PROC_H

#include <sys/types.h>

/* Starts argv[0] (searched in PATH) with stdin from /dev/null and stdout and
 * stderr appended to log_path (or /dev/null when NULL), in its own process
 * group, killed with SIGTERM if farmd dies. Returns the pid, or -1 with
 * *cause (caller frees). Never blocks on the child. */
pid_t proc_spawn(const char *const argv[], const char *log_path, char **cause);

/* Runs argv to completion, for start-up work only (it blocks): returns the
 * exit status as from waitpid, or -1. Output goes to log_path when set. */
int proc_run(const char *const argv[], const char *log_path);

/* "prog arg arg" for messages (caller frees). */
char *proc_argv_string(const char *const argv[]);

/* The last line of a log file, for error messages (caller frees; "" when
 * none). */
char *proc_log_tail(const char *path);

#endif
