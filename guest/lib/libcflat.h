/*
 * libcflat.h - the farm guest library, as a test program sees it.
 *
 * One header, shaped like kvm-unit-tests' lib/libcflat.h, so that a test
 * written for kvm-unit-tests compiles here: a freestanding C library
 * (strings, printf), the report() family that prints the kvm-unit-tests
 * console protocol, exit()/abort(), getenv() over the farm's EFI variables,
 * and a small malloc. The program provides
 *
 *	int main(int argc, char **argv, char **envp);
 *
 * (or any shorter form); the library's efi_main() calls it and hands its
 * return value to exit(). Firmware-level helpers (memory map,
 * ExitBootServices) are in uefi.h, the device tree in devicetree.h.
 * docs/guest.md is the reference.
 */
#ifndef FARM_LIBCFLAT_H
#define FARM_LIBCFLAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned long ulong;
typedef u64 phys_addr_t;

#define __unused	__attribute__((__unused__))
#define __noreturn	__attribute__((__noreturn__))
#define __printf(f, a)	__attribute__((__format__(__printf__, f, a)))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))
/* Not ALIGN(): gnu-efi's headers (uefi.h) take that name for an attribute. */
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define PAGE_SIZE	4096ul

/* string.c: the usual meanings. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
int atoi(const char *s);
long atol(const char *s);
int isspace(int c);
int isdigit(int c);
int isxdigit(int c);
int isalpha(int c);
int isalnum(int c);
int isprint(int c);
int toupper(int c);
int tolower(int c);

/*
 * format.c: %d %i %u %x %X %o %p %s %c %% with flags "-0 +#", a width and a
 * precision (numbers or '*'), and the length modifiers hh h l ll z j t.
 * No floating point. snprintf returns the length the whole output would
 * have, as C99 says.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __printf(3, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/*
 * printf.c: output to the console (FARM_CONSOLE: the UART by default).
 * puts() writes the string as is, without adding a newline, as
 * kvm-unit-tests' puts() does.
 */
int printf(const char *fmt, ...) __printf(1, 2);
int vprintf(const char *fmt, va_list ap) __printf(1, 0);
void puts(const char *s);
void putchar(int c);

/*
 * report.c: test cases in the kvm-unit-tests console protocol.
 *	PASS: prefix: message      FAIL:   XPASS:   XFAIL:   SKIP:   INFO:
 *	SUMMARY: N tests[, M unexpected failures][, K expected failures][, S skipped]
 * A prefix must not contain ": ". report_summary() returns the code main()
 * should return: 0, 1 when anything failed, or 77 >> 1 (QEMU status 77,
 * "skip") when every case was skipped, as kvm-unit-tests does.
 */
void report_prefix_push(const char *prefix);
void report_prefix_pushf(const char *fmt, ...) __printf(1, 2);
void report_prefix_pop(void);
void report(bool pass, const char *fmt, ...) __printf(2, 3);
void report_pass(const char *fmt, ...) __printf(1, 2);
void report_fail(const char *fmt, ...) __printf(1, 2);
void report_xfail(bool xfail, bool pass, const char *fmt, ...) __printf(3, 4);
void report_skip(const char *fmt, ...) __printf(1, 2);
void report_info(const char *fmt, ...) __printf(1, 2);
int report_summary(void);
/* Prints "ABORT: prefix: message", the summary, and aborts. */
void report_abort(const char *fmt, ...) __printf(1, 2) __noreturn;

/*
 * exit.c: exit() posts the results when run by the farm (docs/guest.md),
 * prints "EXIT: STATUS=<(code << 1) | 1>", then returns to the loader,
 * resets or shuts down as FARM_EXIT says. abort() prints an ABORT: line
 * and exits with 63 (QEMU status 127), as kvm-unit-tests does.
 */
void exit(int code) __noreturn;
void abort(void) __noreturn;

/* env.c: the farm's EFI variables as "NAME=VALUE" strings (NULL-ended). */
extern char **environ;
char *getenv(const char *name);

/*
 * malloc.c: firmware pool memory while boot services run; NULL after
 * ExitBootServices. What a program does not free stays allocated after it
 * returns to the loader.
 */
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void free(void *p);

#define assert(cond)							\
	do {								\
		if (!(cond))						\
			report_abort("%s:%d: assert failed: %s",	\
			    __FILE__, __LINE__, #cond);			\
	} while (0)

#define assert_msg(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			report_abort("%s:%d: assert failed: %s: " fmt,	\
			    __FILE__, __LINE__, #cond, ##__VA_ARGS__);	\
	} while (0)

#endif
