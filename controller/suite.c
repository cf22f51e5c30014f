/*
 * suite.c - test suites in kvm-unit-tests' unittests.cfg format.
 *
 * The format is kvm-unit-tests' (docs/unittests.txt there): a "[name]" line
 * starts a test, "key = value" lines describe it, '#' starts a comment.
 * Upstream reads the file with bash and passes extra_params through eval;
 * here no shell ever runs. Values that hold a command line are split the
 * way sh splits words (quotes and backslashes), and anything that would
 * need a shell to mean something - `command`, $VAR, $(...), ; | & < > -
 * is an error rather than text passed on by surprise.
 *
 * From the QEMU options in extra_params only what a farm machine can honour
 * is kept: -append (the test's arguments; its text is itself split on
 * blanks, as the guest sees one command line), -smp and -m. Every other
 * option is skipped. Keys that only matter to upstream's runner on a KVM
 * host (check, machine) are accepted and ignored so that its files load.
 *
 * Every problem is one "file:line: message"; parsing goes on after one, so
 * a file's mistakes are all reported at once. Hostile input (binary bytes,
 * huge lines, thousands of sections) ends in errors within fixed limits.
 */
#include "suite.h"
#include "errlist.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SUITE_MAX_SIZE    (16 * 1024 * 1024)
#define SUITE_MAX_LINE    8192
#define SUITE_MAX_TESTS   10000
#define SUITE_MAX_ERRORS  100
#define SUITE_MAX_WORDS   1024          /* args and groups of a test */
#define SUITE_MAX_ENV     64            /* variables of a test */
#define SUITE_MAX_NAME    128
#define SUITE_MAX_TIMEOUT (30 * 86400)

struct words {
	char **v;
	size_t n;
};

struct suite_key;

/* The test being read. */
struct test_state {
	struct suite_test t;
	int keep;               /* 0 after a bad or duplicate [name]: keys are
	                           still checked, the test is dropped */
	int *seen;              /* line each key was set on, by key index */
	struct words append;    /* the last -append's words */
	struct words test_args;
	int smp_key;            /* smp = N */
	int smp_param;          /* -smp N in extra_params: wins, as in QEMU */
};

struct parser {
	const char *file;
	struct errlist errs;
	struct suite *suite;
	size_t cap;
	size_t *hash;           /* open addressing: test index + 1, 0 empty */
	size_t hashcap;
	int too_many;           /* the SUITE_MAX_TESTS error was given */
};

/* Checks value and stores it in the test; NULL or a message (caller
 * frees). */
typedef char *(*suite_set_fn)(struct test_state *, char *value);

struct suite_key {
	const char *name;
	suite_set_fn set;
	const char *same_as;    /* another name for that key */
	int repeat;             /* may be given more than once */
};

static void suite_err(struct parser *, int line, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Records one problem at line (0: the file as a whole). */
static void
suite_err(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(&p->errs, line, fmt, ap);
	va_end(ap);
}

/* ---- words ---- */

static void
words_add(struct words *w, const char *s, size_t n)
{
	w->v = xrealloc(w->v, (w->n + 2) * sizeof(*w->v));
	w->v[w->n++] = xstrndup(s, n);
	w->v[w->n] = NULL;
}

static void
words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Adds the blank-separated words of s to w. */
static void
split_blanks(const char *s, struct words *w)
{
	size_t n;

	for (;;) {
		while (is_blank(*s))
			s++;
		if (*s == '\0')
			return;
		n = strcspn(s, " \t");
		words_add(w, s, n);
		s += n;
	}
}

/* 1 when "$" followed by c is an expansion in sh. */
static int
is_expansion(char c)
{
	return isalnum((unsigned char)c) || (c != '\0' && strchr("_{(?#$!@*-", c));
}

/* Splits s into words as sh does, without running anything: blanks
 * separate words, '...' is literal, "..." is literal but for \" \\ \$ \`,
 * a backslash outside quotes takes the next byte as it is. NULL on success,
 * else a message (caller frees). */
static char *
shell_split(const char *s, struct words *out)
{
	struct buf word = {0};
	int inword = 0;
	char *msg = NULL;

	while (*s && msg == NULL) {
		char c = *s;

		if (is_blank(c)) {
			if (inword)
				words_add(out, word.data ? word.data : "", word.len);
			buf_reset(&word);
			inword = 0;
			s++;
			continue;
		}
		inword = 1;
		if (c == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (end == NULL) {
				msg = xstrdup("unterminated ' quote");
				break;
			}
			buf_add(&word, s + 1, (size_t)(end - s - 1));
			s = end + 1;
		} else if (c == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
					s++;
				else if (*s == '`' || (*s == '$' && is_expansion(s[1]))) {
					msg = xasprintf("shell expansion (%c) is not supported: "
					    "no shell runs here", *s);
					break;
				}
				buf_addc(&word, *s);
			}
			if (msg != NULL)
				break;
			if (*s != '"') {
				msg = xstrdup("unterminated \" quote");
				break;
			}
			s++;
		} else if (c == '\\') {
			if (s[1] == '\0') {
				msg = xstrdup("backslash at the end of the value");
				break;
			}
			buf_addc(&word, s[1]);
			s += 2;
		} else if (c == '`' || (c == '$' && is_expansion(s[1]))) {
			msg = xasprintf("shell expansion (%c) is not supported: no shell "
			    "runs here", c);
		} else if (strchr(";|&<>()", c)) {
			msg = xasprintf("shell operator %c is not supported: no shell runs "
			    "here", c);
		} else {
			buf_addc(&word, c);
			s++;
		}
	}
	if (msg == NULL && inword)
		words_add(out, word.data ? word.data : "", word.len);
	buf_free(&word);
	if (msg == NULL && out->n > SUITE_MAX_WORDS)
		msg = xasprintf("more than %d words", SUITE_MAX_WORDS);
	return msg;
}

/* ---- values ---- */

/* A CPU count as QEMU's -smp takes it: "N", "N,threads=2", "cpus=N,...". */
static int
parse_smp(const char *s, int *out)
{
	char field[32];
	size_t n = strcspn(s, ",");
	const char *num = field;
	long long v;

	if (n == 0 || n >= sizeof(field))
		return -1;
	memcpy(field, s, n);
	field[n] = '\0';
	if (strncmp(field, "cpus=", 5) == 0)
		num = field + 5;
	if (parse_int(num, 1, 4096, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* A memory size as QEMU's -m takes it, in MiB: "256", "256M", "4g",
 * "size=2G,maxmem=...". */
static int
parse_mem(const char *s, int *out)
{
	char field[32];
	size_t n = strcspn(s, ",");
	char *num = field;
	long long v, mult = 1;

	if (n == 0 || n >= sizeof(field))
		return -1;
	memcpy(field, s, n);
	field[n] = '\0';
	if (strncmp(field, "size=", 5) == 0)
		num = field + 5;
	n = strlen(num);
	if (n > 0) {
		switch (toupper((unsigned char)num[n - 1])) {
		case 'M':
			num[--n] = '\0';
			break;
		case 'G':
			mult = 1024;
			num[--n] = '\0';
			break;
		case 'T':
			mult = 1024 * 1024;
			num[--n] = '\0';
			break;
		}
	}
	if (parse_int(num, 1, (1 << 24) / mult, &v) < 0)
		return -1;
	*out = (int)(v * mult);
	return 0;
}

/* A duration as timeout(1) takes it: "90", "90s", "2m", "1h", "1d". */
static int
parse_timeout(const char *s, int *out)
{
	char num[24];
	size_t n = strlen(s);
	long long v, mult = 1;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's':
		num[--n] = '\0';
		break;
	case 'm':
		mult = 60;
		num[--n] = '\0';
		break;
	case 'h':
		mult = 3600;
		num[--n] = '\0';
		break;
	case 'd':
		mult = 86400;
		num[--n] = '\0';
		break;
	}
	if (n == 0 || !isdigit((unsigned char)num[0]) ||
	    parse_int(num, 1, SUITE_MAX_TIMEOUT / mult, &v) < 0)
		return -1;
	*out = (int)(v * mult);
	return 0;
}

/* 1 when s is non-empty and every byte is alphanumeric or in set. */
static int
all_in(const char *s, const char *set)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr(set, *s) == NULL)
			return 0;
	return 1;
}

static int
name_ok(const char *s)
{
	return strlen(s) <= SUITE_MAX_NAME && all_in(s, "_.+-") &&
	    (isalnum((unsigned char)s[0]) || s[0] == '_');
}

/* ---- keys ---- */

/* The program's file name, found as <tests_dir>/<arch>/<file>: a plain
 * name, never a path. */
static char *
key_file(struct test_state *st, char *value)
{
	size_t n = strlen(value);

	if (!name_ok(value))
		return xasprintf("\"%s\" is not a file name (letters, digits and _.+-, "
		    "no directories)", value);
	free(st->t.file);
	/* Upstream names the flat binary; its EFI build is <name>.efi, which
	 * is what upstream's runner uses with EFI too. */
	if (n > 5 && strcmp(value + n - 5, ".flat") == 0)
		st->t.file = xasprintf("%.*s.efi", (int)(n - 5), value);
	else
		st->t.file = xstrdup(value);
	return NULL;
}

/* QEMU options: -append, -smp and -m are kept, the rest skipped. */
static char *
key_extra_params(struct test_state *st, char *value)
{
	struct words w = {0};
	char *msg;
	size_t i;

	if ((msg = shell_split(value, &w)) != NULL) {
		words_free(&w);
		return msg;
	}
	for (i = 0; i < w.n && msg == NULL; i++) {
		const char *opt = w.v[i];

		if (strncmp(opt, "--", 2) == 0)
			opt++;
		if (strcmp(opt, "-append") != 0 && strcmp(opt, "-smp") != 0 &&
		    strcmp(opt, "-m") != 0)
			continue;
		if (i + 1 == w.n) {
			msg = xasprintf("%s needs a value", w.v[i]);
			break;
		}
		i++;
		if (strcmp(opt, "-append") == 0) {
			/* QEMU keeps the last -append. */
			words_free(&st->append);
			split_blanks(w.v[i], &st->append);
			if (st->append.n > SUITE_MAX_WORDS)
				msg = xasprintf("-append: more than %d arguments",
				    SUITE_MAX_WORDS);
		} else if (strcmp(opt, "-smp") == 0) {
			if (parse_smp(w.v[i], &st->smp_param) < 0)
				msg = xasprintf("-smp %s is not a CPU count", w.v[i]);
		} else if (parse_mem(w.v[i], &st->t.memory) < 0) {
			msg = xasprintf("-m %s is not a memory size (as in 256, 256M, 4G)",
			    w.v[i]);
		}
	}
	words_free(&w);
	return msg;
}

/* The test's arguments; a quoted group of words is still several words,
 * because the guest gets one command line. */
static char *
key_test_args(struct test_state *st, char *value)
{
	struct words w = {0};
	char *msg;
	size_t i;

	if ((msg = shell_split(value, &w)) != NULL) {
		words_free(&w);
		return msg;
	}
	for (i = 0; i < w.n; i++)
		split_blanks(w.v[i], &st->test_args);
	words_free(&w);
	if (st->test_args.n > SUITE_MAX_WORDS)
		return xasprintf("more than %d arguments", SUITE_MAX_WORDS);
	return NULL;
}

static char *
key_smp(struct test_state *st, char *value)
{
	/* $MAX_SMP, or an expression of it ($((MAX_SMP > 8 ? 8 : MAX_SMP))):
	 * upstream's "all the host has"; here the machine's own count. */
	if (strstr(value, "MAX_SMP") != NULL &&
	    strspn(value, "$(){}<>?:+-*/ 0123456789MAX_SMP") == strlen(value)) {
		st->smp_key = 0;
		return NULL;
	}
	if (strpbrk(value, "`$") != NULL)
		return xasprintf("shell expansion in \"%.80s\" is not supported: no"
		    " shell runs here", value);
	if (parse_smp(value, &st->smp_key) < 0)
		return xasprintf("%s is not a CPU count from 1 to 4096", value);
	return NULL;
}

static char *
key_groups(struct test_state *st, char *value)
{
	struct words w = {0};
	size_t i;

	split_blanks(value, &w);
	if (w.n > SUITE_MAX_WORDS) {
		words_free(&w);
		return xasprintf("more than %d groups", SUITE_MAX_WORDS);
	}
	for (i = 0; i < w.n; i++) {
		if (!name_ok(w.v[i])) {
			char *msg = xasprintf("bad group name \"%s\"", w.v[i]);

			words_free(&w);
			return msg;
		}
	}
	st->t.groups = w.v;
	st->t.ngroups = w.n;
	return NULL;
}

/* The canonical name of an arch a suite may name, or NULL. */
static const char *
arch_name(const char *s)
{
	static const char *const archs[][2] = {
		{ "x86_64", "x86_64" }, { "i386", "i386" }, { "aarch64", "aarch64" },
		{ "arm64", "aarch64" }, { "arm", "arm" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(archs); i++)
		if (strcmp(s, archs[i][0]) == 0)
			return archs[i][1];
	return NULL;
}

static char *
key_arch(struct test_state *st, char *value)
{
	const char *a = arch_name(value);

	if (a == NULL)
		return xasprintf("unknown arch \"%s\" (x86_64, i386, aarch64, arm64 or "
		    "arm)", value);
	st->t.arch = xstrdup(a);
	return NULL;
}

static char *
key_accel(struct test_state *st, char *value)
{
	if (strcmp(value, "kvm") != 0 && strcmp(value, "tcg") != 0)
		return xasprintf("unknown accel \"%s\" (kvm or tcg)", value);
	st->t.accel = xstrdup(value);
	return NULL;
}

static char *
key_timeout(struct test_state *st, char *value)
{
	if (parse_timeout(value, &st->t.timeout) < 0)
		return xasprintf("%s is not a time from 1s to 30d (as in 90, 90s, 2m, "
		    "1h)", value);
	return NULL;
}

/* KEY=VALUE words: EFI variables for the test. */
static char *
key_env(struct test_state *st, char *value)
{
	struct words w = {0};
	char *msg;
	size_t i, j, klen;

	if ((msg = shell_split(value, &w)) != NULL)
		goto fail;
	if (w.n > SUITE_MAX_ENV) {
		msg = xasprintf("more than %d variables", SUITE_MAX_ENV);
		goto fail;
	}
	for (i = 0; i < w.n; i++) {
		const char *eq = strchr(w.v[i], '=');

		klen = eq ? (size_t)(eq - w.v[i]) : 0;
		if (klen == 0 || klen > 64 || isdigit((unsigned char)w.v[i][0]) ||
		    strspn(w.v[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_") != klen) {
			msg = xasprintf("\"%s\" is not KEY=VALUE (KEY: letters, digits and _, "
			    "at most 64)", w.v[i]);
			goto fail;
		}
		if (strlen(eq + 1) > 1024) {
			msg = xasprintf("the value of %.*s is longer than 1024 bytes",
			    (int)klen, w.v[i]);
			goto fail;
		}
		for (j = 0; j < i; j++) {
			if (strncmp(w.v[j], w.v[i], klen + 1) == 0) {
				msg = xasprintf("%.*s is set twice", (int)klen, w.v[i]);
				goto fail;
			}
		}
	}
	st->t.env = w.v;
	st->t.nenv = w.n;
	return NULL;

fail:
	words_free(&w);
	return msg;
}

/*
 * disabled_if: upstream evaluates it with bash before running a test. The
 * form upstream files use, [[ "$TARGET" != NAME ]] (or ==, =), is
 * evaluated here for TARGET=qemu, what farm's machines are to an EFI test
 * built for QEMU; a true one makes the test unavailable. Anything else
 * would need a shell: the test is unavailable with that reason.
 */
static char *
key_disabled_if(struct test_state *st, char *value)
{
	char op[3] = "", name[33] = "";
	int n = 0, disabled;

	if (sscanf(value, "[[ \"$TARGET\" %2[!=] %32[A-Za-z0-9_-] ]]%n", op, name,
	    &n) != 2 || value[n] != '\0') {
		n = 0;
		if (sscanf(value, "[[ $TARGET %2[!=] %32[A-Za-z0-9_-] ]]%n", op, name,
		    &n) != 2 || value[n] != '\0')
			return xasprintf("shell expression \"%.80s\" is not supported: no"
			    " shell runs here", value);
	}
	if (strcmp(op, "!=") == 0)
		disabled = strcmp("qemu", name) != 0;
	else if (strcmp(op, "==") == 0 || strcmp(op, "=") == 0)
		disabled = strcmp("qemu", name) == 0;
	else
		return xasprintf("shell expression \"%.80s\" is not supported: no"
		    " shell runs here", value);
	if (disabled && st->t.unavailable == NULL)
		st->t.unavailable = xasprintf("disabled_if %s is true (TARGET=qemu)",
		    value);
	return NULL;
}

/* A key upstream's runner uses on a KVM host and a farm has no use for. */
static char *
key_ignored(struct test_state *st, char *value)
{
	(void)st;
	(void)value;
	return NULL;
}

/* Every key of a test. docs/farm.conf.md ("Test suites") describes them. */
static const struct suite_key suite_keys[] = {
	{ .name = "file", .set = key_file },
	{ .name = "extra_params", .set = key_extra_params },
	{ .name = "qemu_params", .set = key_extra_params, .same_as = "extra_params" },
	{ .name = "test_args", .set = key_test_args },
	{ .name = "smp", .set = key_smp },
	{ .name = "groups", .set = key_groups },
	{ .name = "arch", .set = key_arch },
	{ .name = "accel", .set = key_accel },
	{ .name = "timeout", .set = key_timeout },
	{ .name = "env", .set = key_env },
	{ .name = "check", .set = key_ignored, .repeat = 1 },
	{ .name = "machine", .set = key_ignored },
	{ .name = "kvmtool_params", .set = key_ignored },
	{ .name = "disabled_if", .set = key_disabled_if },
};

#define NKEYS ARRAY_SIZE(suite_keys)

static int
key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(suite_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- tests ---- */

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The index of the test called name, or -1. */
static long
find_test(const struct parser *p, const char *name)
{
	size_t i, idx;

	if (p->hashcap == 0)
		return -1;
	for (i = name_hash(name) & (p->hashcap - 1); p->hash[i] != 0;
	    i = (i + 1) & (p->hashcap - 1)) {
		idx = p->hash[i] - 1;
		if (strcmp(p->suite->tests[idx].name, name) == 0)
			return (long)idx;
	}
	return -1;
}

static void
hash_insert(struct parser *p, size_t idx)
{
	size_t i;

	if ((p->suite->ntests + 1) * 2 > p->hashcap) {
		size_t j, n = p->hashcap ? p->hashcap * 2 : 64;

		free(p->hash);
		p->hash = xcalloc(n, sizeof(*p->hash));
		p->hashcap = n;
		for (j = 0; j < p->suite->ntests; j++)
			if (j != idx)
				hash_insert(p, j);
	}
	for (i = name_hash(p->suite->tests[idx].name) & (p->hashcap - 1); p->hash[i];
	    i = (i + 1) & (p->hashcap - 1))
		;
	p->hash[i] = idx + 1;
}

static void
test_free(struct suite_test *t)
{
	struct words w;

	free(t->name);
	free(t->file);
	w = (struct words){ t->args, t->nargs };
	words_free(&w);
	w = (struct words){ t->env, t->nenv };
	words_free(&w);
	w = (struct words){ t->groups, t->ngroups };
	words_free(&w);
	free(t->arch);
	free(t->accel);
	free(t->unavailable);
}

/* Ends the test being read: checks it and adds it to the suite when it is
 * whole, frees it otherwise. */
static void
test_end(struct parser *p, struct test_state *st)
{
	struct suite *s = p->suite;
	size_t i;

	if (st->t.name == NULL)
		return;
	/* A bad file value was reported where it is. */
	if (st->t.file == NULL && st->keep && !st->seen[key_index("file")])
		suite_err(p, st->t.line, "test %s: file is required", st->t.name);
	/* Arguments: -append's words, then test_args. */
	for (i = 0; i < st->test_args.n; i++)
		words_add(&st->append, st->test_args.v[i], strlen(st->test_args.v[i]));
	words_free(&st->test_args);
	st->t.args = st->append.v;
	st->t.nargs = st->append.n;
	st->append = (struct words){ NULL, 0 };
	st->t.smp = st->smp_param ? st->smp_param : st->smp_key;

	if (!st->keep || st->t.file == NULL) {
		test_free(&st->t);
	} else {
		if (s->ntests == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 16;
			s->tests = xrealloc(s->tests, p->cap * sizeof(*s->tests));
		}
		s->tests[s->ntests] = st->t;
		hash_insert(p, s->ntests);
		s->ntests++;
	}
	memset(&st->t, 0, sizeof(st->t));
	st->smp_key = st->smp_param = 0;
}

/* "[name]": ends the test before and starts the next. */
static void
test_begin(struct parser *p, struct test_state *st, char *s, int line)
{
	char *end = strchr(s, ']'), *name;
	long dup;

	test_end(p, st);
	memset(st->seen, 0, NKEYS * sizeof(*st->seen));
	st->t.line = line;
	st->keep = 0;
	if (end == NULL || end[1] != '\0') {
		suite_err(p, line, end ? "text after the [test name]" :
		    "test name without ]");
		st->t.name = xstrdup("");
		return;
	}
	*end = '\0';
	name = s + 1;
	while (is_blank(*name))
		name++;
	for (end = name + strlen(name); end > name && is_blank(end[-1]); )
		*--end = '\0';
	st->t.name = xstrdup(name);
	if (*name == '\0') {
		suite_err(p, line, "empty test name");
		return;
	}
	if (!name_ok(name)) {
		suite_err(p, line, "bad test name \"%.*s\" (1 to %d letters, digits and "
		    "_.+-)", SUITE_MAX_NAME + 1, name, SUITE_MAX_NAME);
		return;
	}
	if ((dup = find_test(p, name)) >= 0) {
		suite_err(p, line, "duplicate test %s (first at line %d)", name,
		    p->suite->tests[dup].line);
		return;
	}
	if (p->suite->ntests >= SUITE_MAX_TESTS) {
		if (!p->too_many)
			suite_err(p, line, "more than %d tests", SUITE_MAX_TESTS);
		p->too_many = 1;
		return;
	}
	st->keep = 1;
}

/* Cuts a comment: '#' at the start or after a blank, outside quotes. */
static void
strip_comment(char *s)
{
	char quote = 0, *c;

	for (c = s; *c; c++) {
		if (quote) {
			if (*c == quote)
				quote = 0;
			else if (quote == '"' && *c == '\\' && c[1])
				c++;
		} else if (*c == '\'' || *c == '"') {
			quote = *c;
		} else if (*c == '\\' && c[1]) {
			c++;
		} else if (*c == '#' && (c == s || is_blank(c[-1]))) {
			*c = '\0';
			return;
		}
	}
}

static char *
trim(char *s)
{
	char *e;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		*--e = '\0';
	return s;
}

/* One "key = value" line of the test being read. */
static void
parse_key(struct parser *p, struct test_state *st, char *s, int line)
{
	char *eq = strchr(s, '='), *key, *value, *msg;
	const struct suite_key *k;
	int idx, slot;

	if (eq == NULL) {
		suite_err(p, line, "expected \"key = value\" or a [test name]");
		return;
	}
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (st->t.name == NULL) {
		suite_err(p, line, "%s: key before the first [test name]", key);
		return;
	}
	if ((idx = key_index(key)) < 0) {
		suite_err(p, line, "unknown key \"%.64s\"", key);
		return;
	}
	k = &suite_keys[idx];
	slot = k->same_as ? key_index(k->same_as) : idx;
	if (!k->repeat && st->seen[slot]) {
		suite_err(p, line, "duplicate key %s (first at line %d)", key,
		    st->seen[slot]);
		return;
	}
	st->seen[slot] = line;
	if (*value == '\0' && strcmp(key, "file") == 0) {
		suite_err(p, line, "file: empty value");
		return;
	}
	if ((msg = k->set(st, value)) != NULL) {
		/* Needs a shell: that test cannot run here, the others can. */
		if (strncmp(msg, "shell ", 6) == 0) {
			if (st->t.unavailable == NULL)
				st->t.unavailable = xasprintf("line %d: %s: %s", line,
				    key, msg);
		} else {
			suite_err(p, line, "%s: %s", key, msg);
		}
		free(msg);
	}
}

struct suite *
suite_parse(const char *name, const char *text, char **cause)
{
	struct parser p;
	struct test_state st;
	char *copy = xstrdup(text), *line, *next, *s;
	int lineno = 0;
	size_t len;

	memset(&p, 0, sizeof(p));
	memset(&st, 0, sizeof(st));
	p.file = name;
	p.errs.file = name;
	p.errs.max = SUITE_MAX_ERRORS;
	p.suite = xcalloc(1, sizeof(*p.suite));
	p.suite->path = xstrdup(name);
	st.seen = xcalloc(NKEYS, sizeof(*st.seen));

	for (line = copy; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else if (*line == '\0')
			break;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len > SUITE_MAX_LINE) {
			suite_err(&p, lineno, "line is %zu bytes long (at most %d)", len,
			    SUITE_MAX_LINE);
			continue;
		}
		for (s = line; *s; s++)
			if (((unsigned char)*s < ' ' && *s != '\t') || *s == 0x7f)
				break;
		if (*s != '\0') {
			suite_err(&p, lineno, "control character in line (binary file?)");
			continue;
		}
		strip_comment(line);
		s = trim(line);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			test_begin(&p, &st, s, lineno);
			if (p.too_many)
				break;  /* rejected anyway: no need to read on */
		} else
			parse_key(&p, &st, s, lineno);
	}
	test_end(&p, &st);
	free(st.seen);
	free(copy);
	free(p.hash);

	if (errlist_any(&p.errs)) {
		if (cause)
			*cause = errlist_join(&p.errs);
		errlist_free(&p.errs);
		suite_free(p.suite);
		return NULL;
	}
	errlist_free(&p.errs);
	return p.suite;
}

struct suite *
suite_load(const char *path, char **cause)
{
	struct suite *s;
	char *text;

	if ((text = read_text_file(path, SUITE_MAX_SIZE, "test suite", cause)) == NULL)
		return NULL;
	s = suite_parse(path, text, cause);
	free(text);
	return s;
}

void
suite_free(struct suite *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ntests; i++)
		test_free(&s->tests[i]);
	free(s->tests);
	free(s->path);
	free(s);
}

const struct suite_test *
suite_find(const struct suite *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ntests; i++)
		if (strcmp(s->tests[i].name, name) == 0)
			return &s->tests[i];
	return NULL;
}

static int
in_groups(const struct suite_test *t, const char *group)
{
	size_t i;

	for (i = 0; i < t->ngroups; i++)
		if (strcmp(t->groups[i], group) == 0)
			return 1;
	return 0;
}

int
suite_test_selected(const struct suite_test *t, const char *group, const char *arch)
{
	if (t->unavailable)
		return 0;
	if (group == NULL ? in_groups(t, "nodefault") :
	    strcmp(group, "*") != 0 && !in_groups(t, group))
		return 0;
	if (arch != NULL && t->arch != NULL) {
		const char *a = arch_name(arch);

		if (strcmp(t->arch, a ? a : arch) != 0)
			return 0;
	}
	return 1;
}
