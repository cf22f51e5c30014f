/*
 * guest.h - what the guest library's modules call of one another.
 *
 * Private to guest/lib and guest/arch; test programs include libcflat.h
 * (and uefi.h). One section per file, as in tmux's tmux.h. The pure parts
 * (utf.c, args.c, json.c, format.c, string.c) use no firmware and are also
 * built as a hosted program by guest/unit/.
 */
#ifndef FARM_GUEST_H
#define FARM_GUEST_H

#include "libcflat.h"

/* The farm's vendor GUID for EFI variables (kvm-unit-tests' EFI_VAR_GUID). */
#define FARM_VAR_GUID_INIT						\
	{ 0x97ef3e03, 0x7329, 0x4a6a,					\
	  { 0xb9, 0xba, 0x6c, 0x1f, 0xdc, 0xc5, 0xf8, 0x23 } }

/* utf.c */
/*
 * UTF-16 (n code units, or up to a NUL when n is (size_t)-1) to UTF-8 in
 * out[size], NUL-ended; stops at a NUL. A lone surrogate becomes U+FFFD.
 * Returns the length the whole conversion needs (without the NUL).
 */
size_t utf16_to_utf8(const uint16_t *in, size_t n, char *out, size_t size);
/*
 * UTF-8 (len bytes) to UTF-16 in out[size] (code units). Returns the number
 * of code units the whole conversion needs, or -1 when the input is not
 * valid UTF-8 (or holds a NUL).
 */
long utf8_to_utf16(const char *in, size_t len, uint16_t *out, size_t size);
/* The length of the valid UTF-8 sequence at s (of len bytes), 0 if none. */
size_t utf8_seq_len(const char *s, size_t len);

/* args.c */
/*
 * Splits line in place on spaces and tabs into at most max words; returns
 * the count. No quoting, as kvm-unit-tests' setup_args().
 */
int args_split(char *line, char **argv, int max);

/* percent.c */
/*
 * Decodes "%XX" escapes of in into out[size] (NUL-ended; may hold NUL
 * bytes). Returns the decoded length, or -1 for a '%' not followed by two
 * hex digits.
 */
long percent_decode(const char *in, char *out, size_t size);

/* json.c: a bounded text buffer that JSON goes into. */
struct jbuf {
	char *buf;
	size_t size;		/* capacity, bytes */
	size_t len;		/* used, without the NUL */
	bool overflow;		/* something did not fit */
};
void jbuf_init(struct jbuf *jb, char *buf, size_t size);
void jbuf_raw(struct jbuf *jb, const char *s);
void jbuf_printf(struct jbuf *jb, const char *fmt, ...) __printf(2, 3);
/*
 * A JSON string literal with quotes, escaping ", \ and control bytes; a
 * byte that is not part of valid UTF-8 becomes U+FFFD.
 */
void jbuf_string(struct jbuf *jb, const char *s);
/* The bytes jbuf_string() would add for s. */
size_t json_string_size(const char *s);

/* format.c */
/* Formats to out(c, arg) one character at a time; returns the count. */
int format_out(void (*out)(char c, void *arg), void *arg, const char *fmt,
    va_list ap) __printf(3, 0);

/* console.c */
void console_init(void);		/* after env_load(): FARM_CONSOLE, FARM_CRLF */
void console_write(const char *s, size_t n);
void console_boot_services_gone(void);	/* the EFI console is no more */
bool console_at_line_start(void);

/* env.c */
void env_load(void);			/* the farm's EFI variables into environ */
void env_free(void);

/* argv.c */
void argv_load(int *argc, char ***argv);
void argv_free(void);

/* report.c */
enum case_status { CASE_PASS, CASE_FAIL, CASE_XPASS, CASE_XFAIL, CASE_SKIP,
	CASE_INFO };
struct report_case {
	enum case_status status;
	const char *name;	/* "prefix: prefix: message" */
};
struct report_counts {
	unsigned tests, failures, xfailures, skipped;
};
#define REPORT_MAX_CASES 1024
#define REPORT_NAMES_SIZE (64 * 1024)
void report_init(void);
void report_free(void);
const char *case_status_name(enum case_status status);	/* "pass", ... */
void report_get_counts(struct report_counts *counts);
size_t report_ncases(void);
const struct report_case *report_case(size_t i);
bool report_cases_complete(void);	/* no case was left out of the list */
/* Prints "ABORT: prefix: message" on a line of its own. */
void report_abort_line(const char *fmt, ...) __printf(1, 2);

/* exit.c */
/*
 * Calls main() and exit() with its code. Returns only when exit() returns
 * to the loader (FARM_EXIT=return): the EFI status for efi_main().
 */
uint64_t exit_run_main(int argc, char **argv, char **envp);
void exit_aborted(void) __noreturn;	/* after an ABORT: line was printed */

/* post.c */
/* POSTs the results when the farm's variables say so; prints only on failure. */
void post_results(int code, bool aborted);
/* The JSON body of the POST into jb. */
void post_build_body(struct jbuf *jb, int code, bool aborted);

/* malloc.c */
/* Firmware pool memory, or NULL (boot services gone, or none left). */
void *pool_alloc(size_t size);
void pool_free(void *p);

/* devicetree.c */
void dt_free(void);			/* what dt_fdt() read; before returning to the loader */

/* stackguard.c */
/*
 * Makes the stack protector's canary readable where code built with it
 * looks (x86_64: %fs:0x28), before main(); stackguard_fini() restores the
 * firmware's state. No-ops where the canary is a plain variable.
 */
void stackguard_init(void);
void stackguard_fini(void);

/* arch/<arch>/: what each architecture provides. */
int uart_init(void);			/* 0, or -1 when there is no UART */
void uart_putc(char c);
void arch_debug_exit(int code);		/* an emulator's test-exit device; may return */

#endif
