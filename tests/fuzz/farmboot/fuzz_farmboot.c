/*
 * fuzz_farmboot.c - libFuzzer harness for the farmboot job format's parser
 * (netboot/farmboot_script.c, docs/boot.md "farmboot job format"): what
 * farmboot.efi reads from the network before it runs anything.
 *
 * Built in the guest library's world, as netboot/netboot.mk builds the
 * parser's unit test: guest/lib headers, the printf family renamed, the
 * pure guest modules it uses (format, args, percent) compiled in.
 *
 * Besides "no crash": a script or an error, the error one NUL-ended line
 * with the number of the bad line; every string of a parsed script points
 * into the text and ends inside it; a job has its number, app and done
 * URL, at most 64 variables and arguments, variable names of
 * [A-Za-z0-9_.-], arguments without blanks; and a parsed script, written
 * out again with its values percent-encoded, parses to the same script.
 */
#include "farmboot_script.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
long write(int fd, const void *buf, size_t n);

#define TEXT_MAX 65536

static char text[TEXT_MAX + 1], again[TEXT_MAX * 3 + 4096];
static const char *text_end;

/* A broken contract: says which, then dies as a crash (no abort() here). */
static void fail(const char *what)
{
	write(2, "fuzz_farmboot: ", 15);
	write(2, what, strlen(what));
	write(2, "\n", 1);
	__builtin_trap();
}

/* The length of s, at most max (libcflat.h has no memchr). */
static size_t strnlen_(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* s points into text and its NUL is there too. */
static void inside(const char *s)
{
	if (s == NULL || s < text || s >= text_end)
		fail("a string outside the text");
	for (; *s; s++) {
		if (s >= text_end)
			fail("a string that does not end in the text");
	}
}

/* Appends to again; 0 or -1 when it does not fit. */
static size_t alen;
static int put(const char *s)
{
	size_t n = strlen(s);

	if (alen + n + 1 > sizeof(again))
		return -1;
	memcpy(again + alen, s, n + 1);
	alen += n;
	return 0;
}

/* Appends s percent-encoded (every byte but [A-Za-z0-9._~-]). */
static int put_encoded(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[4];

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-') {
			e[0] = (char)c;
			e[1] = '\0';
		} else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			e[3] = '\0';
		}
		if (put(e) < 0)
			return -1;
	}
	return 0;
}

/* Writes s out as a script; 0, or -1 when it does not fit. */
static int render(const struct fb_script *s)
{
	char num[32];
	int i;

	alen = 0;
	again[0] = '\0';
	if (put("farmboot 1\r\n# written again by fuzz_farmboot\n") < 0)
		return -1;
	switch (s->kind) {
	case FB_IDLE:
		return put("idle\n");
	case FB_POLL:
		snprintf(num, sizeof(num), "poll %lu\n", s->poll_s);
		return put(num);
	case FB_JOB:
		snprintf(num, sizeof(num), "job %lu\n", s->job);
		if (put(num) < 0)
			return -1;
		for (i = 0; i < s->nvars; i++) {
			if (put("var ") < 0 || put(s->vars[i].name) < 0 || put(" ") < 0 ||
			    put_encoded(s->vars[i].value) < 0 || put("\n") < 0)
				return -1;
		}
		if (s->dtb && (put("dtb ") < 0 || put(s->dtb) < 0 || put("\n") < 0))
			return -1;
		if (put("app ") < 0 || put(s->app) < 0 || put(" ") < 0 ||
		    put(s->app_name) < 0 || put("\n") < 0)
			return -1;
		for (i = 0; i < s->nargs; i++) {
			if (put("\targ ") < 0 || put_encoded(s->args[i]) < 0 || put("\n") < 0)
				return -1;
		}
		return put("done ") < 0 || put(s->done) < 0 || put("\n") < 0 ? -1 : 0;
	default:
		fail("a parsed script of no kind");
		return -1;
	}
}

static void same(const struct fb_script *a, const struct fb_script *b)
{
	int i;

	if (a->kind != b->kind || a->job != b->job || a->poll_s != b->poll_s ||
	    a->nvars != b->nvars || a->nargs != b->nargs || (!a->dtb) != (!b->dtb))
		fail("written again, the script parses differently");
	for (i = 0; i < a->nvars; i++) {
		if (strcmp(a->vars[i].name, b->vars[i].name) != 0 ||
		    strcmp(a->vars[i].value, b->vars[i].value) != 0)
			fail("a variable changed");
	}
	for (i = 0; i < a->nargs; i++) {
		if (strcmp(a->args[i], b->args[i]) != 0)
			fail("an argument changed");
	}
	if (a->kind == FB_JOB && (strcmp(a->app, b->app) != 0 ||
	    strcmp(a->app_name, b->app_name) != 0 || strcmp(a->done, b->done) != 0 ||
	    (a->dtb && strcmp(a->dtb, b->dtb) != 0)))
		fail("a URL or the app name changed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fb_script s, s2;
	char err[160], err2[160];
	int line = -1, line2, rc, i;

	if (size > TEXT_MAX)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	text_end = text + size + 1;
	memset(err, 0x55, sizeof(err));
	rc = fb_script_parse(text, &s, &line, err, sizeof(err));
	if (s.done)
		inside(s.done);
	if (rc != 0) {
		if (rc != -1 || line < 0 || strnlen_(err, sizeof(err)) == sizeof(err) ||
		    err[0] == '\0' || strchr(err, '\n') != NULL)
			fail("an error without a one-line cause");
		return 0;
	}
	if (s.kind == FB_NONE)
		fail("a script of no kind");
	if (s.kind != FB_JOB)
		return 0;
	if (s.job == 0 || s.app == NULL || s.app_name == NULL || s.done == NULL ||
	    s.nvars > FB_MAX_VARS || s.nargs > FB_MAX_ARGS || s.nvars < 0 || s.nargs < 0)
		fail("a job without its parts");
	inside(s.app);
	inside(s.app_name);
	if (s.dtb)
		inside(s.dtb);
	for (i = 0; i < s.nvars; i++) {
		inside(s.vars[i].name);
		if (s.vars[i].value[0] != '\0')
			inside(s.vars[i].value);
		for (const char *c = s.vars[i].name; *c; c++) {
			if (!isalnum((unsigned char)*c) && !strchr("_.-", *c))
				fail("a bad variable name");
		}
	}
	for (i = 0; i < s.nargs; i++) {
		inside(s.args[i]);
		if (!s.args[i][0] || strchr(s.args[i], ' ') || strchr(s.args[i], '\t'))
			fail("an argument LoadOptions cannot carry");
	}
	if (render(&s) == 0) {
		rc = fb_script_parse(again, &s2, &line2, err2, sizeof(err2));
		if (rc != 0)
			fail("written again, the script does not parse");
		same(&s, &s2);
	}
	return 0;
}
