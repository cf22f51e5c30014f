/*
 * boot.h - the scripts machines boot with: iPXE scripts for /ipxe/<mac>.
 *
 * Everything placed in a script comes from outside (test arguments, suite
 * environment, job data), so every value is checked or encoded here and no
 * value can add an iPXE command: see docs/architecture.md, "Quoting".
 */
#ifndef FARM_BOOT_H
#define FARM_BOOT_H

#include <stddef.h>

struct boot_job {
	const char *server;     /* "http://10.99.0.1:8080" */
	long long job;          /* job id */
	const char *token;      /* the job's secret (hex) */
	const char *machine;    /* machine name */
	const char *mac;        /* "52-54-00-f0-00-01" form used in URLs */
	const char *arch;       /* "x86_64" */
	const char *app_sha;    /* sha256 of the app */
	const char *app_name;   /* argv[0], e.g. "selftest.efi" */
	char *const *args;      /* argv[1..] */
	size_t nargs;
	char *const *env;       /* "KEY=VALUE" test environment */
	size_t nenv;
	const char *dtb_url;    /* NULL when the machine has no DTB */
};

/* 0 when s may be a test argument (printable ASCII, no space, no quote,
 * no '$' sequence iPXE would expand, at most 256 bytes); -1 otherwise with
 * *cause naming the problem (caller frees). */
int boot_check_arg(const char *s, char **cause);

/* 0 when "KEY=VALUE" is a valid environment entry: KEY is [A-Za-z_][A-Za-z0-9_]*
 * up to 64 chars, VALUE up to 1024 bytes of any non-NUL byte (it is encoded
 * on the way to setvar.efi); -1 otherwise with *cause. */
int boot_check_env(const char *s, char **cause);

/* Percent-encodes every byte outside [A-Za-z0-9._~/:,@+-] as %XX; this is
 * what setvar.efi decodes. Caller frees. */
char *boot_encode_value(const char *);

/* The job script: sets the farm variables through setvar.efi, fetches the
 * DTB when there is one, chains the app with its arguments, reports done.
 * NULL with *cause when a value does not pass the checks. Caller frees. */
char *boot_ipxe_job(const struct boot_job *, char **cause);

/* The idle script: "exit" (local boot), or for always-on machines a loop
 * that asks poll_url again after a few seconds. Caller frees. */
char *boot_ipxe_idle(int always_on, const char *poll_url);

/* The same job as a farmboot.efi script (docs/boot.md, "farmboot job
 * format"), and its idle answer ("idle", or "poll 1" when always on).
 * Caller frees. */
char *boot_farmboot_job(const struct boot_job *, char **cause);
char *boot_farmboot_idle(int always_on);

/* The static first stage served at /boot.ipxe. */
const char *boot_ipxe_first(void);

#endif
