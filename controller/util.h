/*
 * util.h - small helpers every controller module uses: allocation that
 * cannot fail (it aborts the process, which for farmd means out of memory),
 * a growable byte buffer, clocks and string checks.
 */
#ifndef FARM_UTIL_H
#define FARM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));

/* A growable byte buffer; data is always NUL-terminated (not counted in len). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_add(struct buf *, const void *, size_t);
void buf_adds(struct buf *, const char *);
void buf_addc(struct buf *, char);
void buf_printf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *);
/* Hands the data to the caller (who frees it) and empties the buffer. */
char *buf_steal(struct buf *);
void buf_free(struct buf *);

/* Milliseconds on CLOCK_MONOTONIC (for deadlines) and since the epoch. */
int64_t now_ms(void);
int64_t wall_ms(void);

/* Parses a whole decimal integer in [min, max]; 0 on success, -1 otherwise. */
int parse_int(const char *, long long min, long long max, long long *out);

/* Normalises a MAC address ("52:54:00:AB:cd:01" or "52-54-00-ab-cd-01") to
 * lower-case colon form in out[18]; 0 on success, -1 when it is not one. */
int mac_parse(const char *, char out[18]);

/* Compares two strings in time that depends only on their lengths. */
int str_equal_ct(const char *, const char *);

/* Fills buf with n random bytes from the kernel; 0 or -1. */
int random_bytes(void *buf, size_t n);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* SHA-256 of a buffer as 64 hex digits plus NUL. */
void sha256_hex(const void *, size_t, char out[65]);

/* Writes data to path through a temporary file renamed into place. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);

/* Reads a whole file (NUL-terminated, *len set when len is not NULL);
 * NULL with errno set on failure. Caller frees. */
char *read_file(const char *path, size_t *len);

/* Reads a text file a parser will read: at most max bytes and no NUL.
 * NULL with *cause (when cause is not NULL; caller frees) naming the path,
 * and "a <what>" when it is too big, or the line of the NUL. */
char *read_text_file(const char *path, size_t max, const char *what, char **cause);

/* mkdir -p; 0 or -1 with errno. */
int mkdir_p(const char *path, int mode);

#endif
