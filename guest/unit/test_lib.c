/*
 * test_lib.c - the guest library's pure parts, built as a hosted program
 * (make guest-check): formatting against the host's snprintf, UTF-16/UTF-8
 * conversion, JSON strings, argument splitting and percent-decoding.
 *
 * The library sources are compiled with their printf names renamed
 * (g_snprintf, ...) so that they do not clash with the C library's.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* From guest/lib, renamed by guest.mk. */
int g_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t utf16_to_utf8(const uint16_t *in, size_t n, char *out, size_t size);
long utf8_to_utf16(const char *in, size_t len, uint16_t *out, size_t size);
size_t utf8_seq_len(const char *s, size_t len);
int args_split(char *line, char **argv, int max);
long percent_decode(const char *in, char *out, size_t size);
struct jbuf {
	char *buf;
	size_t size;
	size_t len;
	bool overflow;
};
void jbuf_init(struct jbuf *jb, char *buf, size_t size);
void jbuf_string(struct jbuf *jb, const char *s);
size_t json_string_size(const char *s);

static int failures, checks;

#define CHECK(cond, ...)						\
	do {								\
		checks++;						\
		if (!(cond)) {						\
			failures++;					\
			printf("FAIL %s:%d: ", __FILE__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	} while (0)

/* The guest's and the host's snprintf agree on text and on length. */
#define FMT(...)							\
	do {								\
		char a[256], b[256];					\
		int na = g_snprintf(a, sizeof(a), __VA_ARGS__);		\
		int nb = snprintf(b, sizeof(b), __VA_ARGS__);		\
		CHECK(na == nb && strcmp(a, b) == 0,			\
		    "format %s: guest \"%s\" (%d), host \"%s\" (%d)",	\
		    #__VA_ARGS__, a, na, b, nb);			\
	} while (0)

static void test_format(void)
{
	char small[5];
	int n;

	FMT("plain");
	FMT("%d %i %u", 42, -42, 42u);
	FMT("%d %d", INT32_MIN, INT32_MAX);
	FMT("%ld %lu %lld %llu", -1L, ~0UL, (long long)INT64_MIN, ~0ULL);
	FMT("%x %X %lx %llx", 0xbeefu, 0xbeefu, 0xdeadbeefUL, 0x123456789abcdefULL);
	FMT("%o %#o %#x %#X %#x", 8u, 8u, 255u, 255u, 0u);
	FMT("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	FMT("[%05d] [%-6d|] [%5.3d] [%.0d]", -42, -42, 7, 0);
	FMT("[%08lx] [%-8x|] [%2x]", 0xabcUL, 0xabcu, 0x12345u);
	FMT("[%s] [%10s] [%-10s|] [%.2s] [%*s] [%-*s|]", "str", "str", "str",
	    "str", 6, "ab", 6, "ab");
	FMT("[%.*s]", 3, "abcdef");
	FMT("[%c] [%3c] [%-3c|] %%", 'x', 'y', 'z');
	FMT("%hhd %hd %hhu %hu", 300, 70000, 300, 70000);
	FMT("%zu %zx %td %jd", (size_t)12345, (size_t)0xfff, (ptrdiff_t)-5,
	    (intmax_t)-77);
	FMT("%p", (void *)0x1234);
	FMT("100%% [%%]");

	n = g_snprintf(small, sizeof(small), "%s", "truncated");
	CHECK(n == 9 && strcmp(small, "trun") == 0, "truncation: %d \"%s\"",
	    n, small);
	n = g_snprintf(NULL, 0, "%d", 12345);
	CHECK(n == 5, "size 0 counts: %d", n);
}

static void test_utf(void)
{
	const uint16_t hi[] = { 'h', 'i', 0, 'x' };
	const uint16_t mixed[] = { 'a', 0xfc, 0x20ac, 0xd83d, 0xde00, 0xd800, 'z' };
	uint16_t w[16];
	char s[32];
	size_t n;
	long u;

	n = utf16_to_utf8(hi, 4, s, sizeof(s));
	CHECK(n == 2 && strcmp(s, "hi") == 0, "stops at NUL: %zu %s", n, s);
	n = utf16_to_utf8(hi, 1, s, sizeof(s));
	CHECK(n == 1 && strcmp(s, "h") == 0, "stops at n: %zu %s", n, s);
	n = utf16_to_utf8(mixed, 7, s, sizeof(s));
	CHECK(strcmp(s, "a\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbdz") == 0 &&
	    n == strlen(s), "mixed: %zu", n);
	n = utf16_to_utf8(mixed, 7, s, 4);
	CHECK(n == 14 && strlen(s) == 3, "counts past a short buffer: %zu", n);

	u = utf8_to_utf16("a\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80", 10, w, 16);
	CHECK(u == 5 && w[0] == 'a' && w[1] == 0xfc && w[2] == 0x20ac &&
	    w[3] == 0xd83d && w[4] == 0xde00, "to UTF-16: %ld", u);
	CHECK(utf8_to_utf16("\xc3\x28", 2, w, 16) == -1, "bad continuation");
	CHECK(utf8_to_utf16("\xc0\xaf", 2, w, 16) == -1, "overlong");
	CHECK(utf8_to_utf16("\xed\xa0\x80", 3, w, 16) == -1, "surrogate");
	CHECK(utf8_to_utf16("\xe2\x82", 2, w, 16) == -1, "cut short");
	CHECK(utf8_to_utf16("a\0b", 3, w, 16) == -1, "NUL refused");
	CHECK(utf8_to_utf16("", 0, w, 16) == 0, "empty");
	CHECK(utf8_seq_len("\xe2\x82\xac!", 4) == 3 && utf8_seq_len("\xff", 1) == 0,
	    "sequence length");
}

static void test_json(void)
{
	const char *in = "q\"b\\n\n\t\x01\x7f \xc3\xbc \xff";
	const char *want = "\"q\\\"b\\\\n\\n\\t\\u0001\\u007f \xc3\xbc \\ufffd\"";
	char buf[128], tiny[8];
	struct jbuf jb;

	jbuf_init(&jb, buf, sizeof(buf));
	jbuf_string(&jb, in);
	CHECK(!jb.overflow && strcmp(buf, want) == 0, "escaped: %s", buf);
	CHECK(json_string_size(in) == strlen(want), "size %zu, want %zu",
	    json_string_size(in), strlen(want));
	jbuf_init(&jb, tiny, sizeof(tiny));
	jbuf_string(&jb, "much too long");
	CHECK(jb.overflow && strlen(tiny) < sizeof(tiny), "overflow kept in bounds");
}

static void test_args(void)
{
	char line[] = "  prog.efi a=1\tb  c ";
	char *argv[8];
	int argc = args_split(line, argv, 8);

	CHECK(argc == 4 && strcmp(argv[0], "prog.efi") == 0 &&
	    strcmp(argv[1], "a=1") == 0 && strcmp(argv[2], "b") == 0 &&
	    strcmp(argv[3], "c") == 0, "split: %d", argc);
	char line2[] = "a b c d";
	CHECK(args_split(line2, argv, 2) == 2, "bounded");
	char line3[] = "   ";
	CHECK(args_split(line3, argv, 8) == 0, "blank");
}

static void test_percent(void)
{
	char out[32];
	long n;

	n = percent_decode("a%20b%2fc%2Fd", out, sizeof(out));
	CHECK(n == 7 && strcmp(out, "a b/c/d") == 0, "decoded: %ld %s", n, out);
	n = percent_decode("x%00y", out, sizeof(out));
	CHECK(n == 3 && out[0] == 'x' && out[1] == 0 && out[2] == 'y', "NUL kept");
	CHECK(percent_decode("%zz", out, sizeof(out)) == -1, "bad hex");
	CHECK(percent_decode("%4", out, sizeof(out)) == -1, "cut short");
	CHECK(percent_decode("abc%", out, sizeof(out)) == -1, "lone %%");
	CHECK(percent_decode("", out, sizeof(out)) == 0 && out[0] == 0, "empty");
}

int main(void)
{
	test_format();
	test_utf();
	test_json();
	test_args();
	test_percent();
	printf("guest library: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
