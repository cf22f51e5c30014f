/*
 * test_results.c - unit tests for results.c: the console protocol parser
 * (every line kind, escapes, line ends, split feeds, hostile bytes), the
 * outcome rules, and the results POST checks.
 *
 * The real console captures are read from $FARM_FIXTURES, else from
 * ../shared/fixtures/console relative to the repository root (the tests run
 * from there). A missing fixture fails the test: it never skips silently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "results.h"
#include "util.h"

/* What one parse produced: its cases (copied) and its final state. */
struct seen {
	struct testcase *cases;
	size_t n, cap;
	struct results_state st;        /* abort_message is a copy */
};

/* A small deterministic generator, so failures reproduce. */
static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The callback: keeps a copy of each case and checks it as it comes. */
static void
collect(void *arg, const struct testcase *tc)
{
	struct seen *s = arg;
	json_t *j;

	assert_non_null(tc->name);
	assert_non_null(tc->message);
	assert_int_equal(tc->seq, (int)s->n + 1);
	assert_true(strlen(tc->name) <= RESULTS_MAX_LINE);
	/* Every name must be storable as JSON: valid UTF-8, no NUL. */
	j = json_string(tc->name);
	assert_non_null(j);
	json_decref(j);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->cases = xrealloc(s->cases, s->cap * sizeof(*s->cases));
	}
	s->cases[s->n].seq = tc->seq;
	s->cases[s->n].status = tc->status;
	s->cases[s->n].name = xstrdup(tc->name);
	s->cases[s->n].message = xstrdup(tc->message);
	s->n++;
}

static void
seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->cases[i].name);
		free(s->cases[i].message);
	}
	free(s->cases);
	free(s->st.abort_message);
	memset(s, 0, sizeof(*s));
}

enum chunking { WHOLE, BYTES, RANDOM };

/* Feeds data whole, byte by byte, or in random chunks of 1..max bytes,
 * then finishes; fills *out. */
static void
parse_chunked(const void *data, size_t len, enum chunking how, uint64_t seed,
    size_t max, struct seen *out)
{
	struct results_parser *p;
	const unsigned char *d = data;
	size_t off = 0, n;

	memset(out, 0, sizeof(*out));
	p = results_new(collect, out);
	while (off < len) {
		if (how == WHOLE)
			n = len;
		else if (how == BYTES)
			n = 1;
		else
			n = 1 + rng_next(&seed) % max;
		if (n > len - off)
			n = len - off;
		results_feed(p, d + off, n);
		off += n;
	}
	results_finish(p);
	out->st = *results_state(p);
	if (out->st.abort_message != NULL)
		out->st.abort_message = xstrdup(out->st.abort_message);
	results_free(p);
}

/* Feeds data in two pieces split at cut. */
static void
parse_split(const void *data, size_t len, size_t cut, struct seen *out)
{
	struct results_parser *p;

	memset(out, 0, sizeof(*out));
	p = results_new(collect, out);
	results_feed(p, data, cut);
	results_feed(p, (const char *)data + cut, len - cut);
	results_finish(p);
	out->st = *results_state(p);
	if (out->st.abort_message != NULL)
		out->st.abort_message = xstrdup(out->st.abort_message);
	results_free(p);
}

static void
parse_str(const char *s, struct seen *out)
{
	parse_chunked(s, strlen(s), WHOLE, 0, 0, out);
}

/* Asserts that two parses saw exactly the same thing. */
static void
assert_same(const struct seen *a, const struct seen *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_int_equal(a->cases[i].seq, b->cases[i].seq);
		assert_int_equal(a->cases[i].status, b->cases[i].status);
		assert_string_equal(a->cases[i].name, b->cases[i].name);
		assert_string_equal(a->cases[i].message, b->cases[i].message);
	}
	assert_int_equal(a->st.ncases, b->st.ncases);
	assert_int_equal(a->st.npass, b->st.npass);
	assert_int_equal(a->st.nfail, b->st.nfail);
	assert_int_equal(a->st.nxpass, b->st.nxpass);
	assert_int_equal(a->st.nxfail, b->st.nxfail);
	assert_int_equal(a->st.nskip, b->st.nskip);
	assert_int_equal(a->st.ninfo, b->st.ninfo);
	assert_int_equal(a->st.summary_seen, b->st.summary_seen);
	assert_int_equal(a->st.sum_total, b->st.sum_total);
	assert_int_equal(a->st.sum_failed, b->st.sum_failed);
	assert_int_equal(a->st.sum_xfailed, b->st.sum_xfailed);
	assert_int_equal(a->st.sum_skipped, b->st.sum_skipped);
	assert_int_equal(a->st.exit_seen, b->st.exit_seen);
	assert_int_equal(a->st.exit_status, b->st.exit_status);
	assert_int_equal(a->st.abort_seen, b->st.abort_seen);
	assert_int_equal(a->st.partial_line, b->st.partial_line);
	assert_int_equal(a->st.any_output, b->st.any_output);
	if (a->st.abort_message == NULL || b->st.abort_message == NULL)
		assert_ptr_equal(a->st.abort_message, b->st.abort_message);
	else
		assert_string_equal(a->st.abort_message, b->st.abort_message);
}

/* Parses data whole, then byte by byte, then in random chunks with several
 * seeds and sizes, and asserts all of them agree. */
static void
assert_split_invariant(const void *data, size_t len)
{
	static const size_t maxes[] = { 2, 3, 7, 16, 64, 1000 };
	struct seen whole, other;
	size_t i, seed;

	parse_chunked(data, len, WHOLE, 0, 0, &whole);
	parse_chunked(data, len, BYTES, 0, 0, &other);
	assert_same(&whole, &other);
	seen_free(&other);
	for (i = 0; i < ARRAY_SIZE(maxes); i++) {
		for (seed = 1; seed <= 8; seed++) {
			parse_chunked(data, len, RANDOM, seed * 7919 + i, maxes[i],
			    &other);
			assert_same(&whole, &other);
			seen_free(&other);
		}
	}
	seen_free(&whole);
}

/* Parses a string and returns its single case (the test fails otherwise). */
static void
one_case(const char *in, enum tc_status status, const char *name)
{
	struct seen s;

	parse_str(in, &s);
	if (s.n != 1)
		fail_msg("%s: %zu cases, want 1", in, s.n);
	assert_int_equal(s.cases[0].status, status);
	assert_string_equal(s.cases[0].name, name);
	assert_string_equal(s.cases[0].message, "");
	assert_int_equal(s.cases[0].seq, 1);
	seen_free(&s);
}

static void
no_case(const char *in)
{
	struct seen s;

	parse_str(in, &s);
	if (s.n != 0)
		fail_msg("%s: %zu cases (first \"%s\"), want none", in, s.n,
		    s.cases[0].name);
	seen_free(&s);
}

/*
 * Line kinds.
 */

static void
test_case_kinds(void **unused)
{
	static const struct {
		const char *in;
		enum tc_status status;
		const char *name;
	} rows[] = {
		{ "PASS: argc\n", TC_PASS, "argc" },
		{ "FAIL: argv\n", TC_FAIL, "argv" },
		{ "XPASS: known bug fixed\n", TC_XPASS, "known bug fixed" },
		{ "XFAIL: known bug\n", TC_XFAIL, "known bug" },
		{ "SKIP: no PMU\n", TC_SKIP, "no PMU" },
		{ "INFO: found 1 CPUs\n", TC_INFO, "found 1 CPUs" },
		/* prefixes are part of the name, as printed */
		{ "PASS: selftest: setup: smp: number of CPUs matches expectation\n",
		    TC_PASS, "selftest: setup: smp: number of CPUs matches expectation" },
		{ "FAIL: a: b: \n", TC_FAIL, "a: b: " },
		/* the word alone: a case without a name */
		{ "PASS\n", TC_PASS, "" },
		{ "FAIL\n", TC_FAIL, "" },
		{ "PASS:\n", TC_PASS, "" },
		{ "FAIL: \n", TC_FAIL, "" },
		{ "PASS  \n", TC_PASS, "" },
		{ "SKIP\n", TC_SKIP, "" },
		/* the name is kept as printed after "WORD: " */
		{ "PASS:  two spaces\n", TC_PASS, " two spaces" },
		{ "PASS: a:b:c\n", TC_PASS, "a:b:c" },
		{ "PASS: tab\there\n", TC_PASS, "tab here" },
		{ "PASS: ends without line end", TC_PASS, "ends without line end" },
		/* escapes and colours around the word */
		{ "\x1b[1m\x1b[32mPASS\x1b[0m: coloured\x1b[0m\n", TC_PASS, "coloured" },
		{ "PA\x1b[0mSS: inside the word\n", TC_PASS, "inside the word" },
		{ "\x1b[2J\x1b[01;01H\x1b[=3hFAIL: after firmware\r\n", TC_FAIL,
		    "after firmware" },
	};
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(rows); i++)
		one_case(rows[i].in, rows[i].status, rows[i].name);
}

static void
test_not_cases(void **unused)
{
	static const char *const rows[] = {
		"PASSED: x\n",
		"PASS:x\n",
		"pass: x\n",
		" PASS: x\n",
		"> PASS: x\n",
		"XPASSX: x\n",
		"INFO x\n",
		"SKIPPED\n",
		"PASSFAIL\n",
		"enabling apic\n",
		"\n\n\r\n",
		"",
	};
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(rows); i++)
		no_case(rows[i]);
}

static void
test_sequence_and_counts(void **unused)
{
	struct seen s;

	(void)unused;
	parse_str("noise\nPASS: a\nINFO: i\nFAIL: b\nXPASS: c\nXFAIL: d\n"
	    "SKIP: e\nPASS: f\nprogress\n", &s);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.st.ncases, 7);
	assert_int_equal(s.st.npass, 2);
	assert_int_equal(s.st.nfail, 1);
	assert_int_equal(s.st.nxpass, 1);
	assert_int_equal(s.st.nxfail, 1);
	assert_int_equal(s.st.nskip, 1);
	assert_int_equal(s.st.ninfo, 1);
	assert_string_equal(s.cases[1].name, "i");
	assert_int_equal(s.cases[1].status, TC_INFO);
	assert_int_equal(s.cases[6].seq, 7);
	assert_string_equal(s.cases[6].name, "f");
	assert_int_equal(s.st.summary_seen, 0);
	assert_int_equal(s.st.exit_seen, 0);
	assert_int_equal(s.st.abort_seen, 0);
	assert_null(s.st.abort_message);
	assert_int_equal(s.st.partial_line, 0);
	assert_int_equal(s.st.any_output, 1);
	seen_free(&s);
}

static void
test_null_callback(void **unused)
{
	struct results_parser *p = results_new(NULL, NULL);

	(void)unused;
	results_feed(p, "PASS: a\nFAIL: b\n", 16);
	results_finish(p);
	assert_int_equal(results_state(p)->ncases, 2);
	assert_int_equal(results_state(p)->nfail, 1);
	results_free(p);
	results_free(NULL);
}

static void
test_summary(void **unused)
{
	static const struct {
		const char *in;
		int seen, total, failed, xfailed, skipped;
	} rows[] = {
		{ "SUMMARY: 5 tests", 1, 5, 0, 0, 0 },
		{ "SUMMARY: 1 test", 1, 1, 0, 0, 0 },
		{ "SUMMARY: 0 tests", 1, 0, 0, 0, 0 },
		{ "SUMMARY: 2 tests, 1 unexpected failures", 1, 2, 1, 0, 0 },
		{ "SUMMARY: 2 tests, 1 unexpected failure", 1, 2, 1, 0, 0 },
		{ "SUMMARY: 4 tests, 2 expected failures", 1, 4, 0, 2, 0 },
		{ "SUMMARY: 4 tests, 1 expected failure", 1, 4, 0, 1, 0 },
		{ "SUMMARY: 4 tests, 3 skipped", 1, 4, 0, 0, 3 },
		{ "SUMMARY: 9 tests, 1 unexpected failures, 2 expected failures, 3 skipped",
		    1, 9, 1, 2, 3 },
		{ "SUMMARY: 9 tests, 3 skipped, 1 unexpected failures, 2 expected failures",
		    1, 9, 1, 2, 3 },
		{ "SUMMARY: 9 tests, 2 expected failures, 3 skipped", 1, 9, 0, 2, 3 },
		{ "SUMMARY: 9 tests,  3 skipped  ", 1, 9, 0, 0, 3 },
		/* a clause this parser does not know is passed over */
		{ "SUMMARY: 6 tests, 1 known failures, 2 skipped", 1, 6, 0, 0, 2 },
		{ "\x1b[0mSUMMARY: 7 tests\r", 1, 7, 0, 0, 0 },
		/* not summaries */
		{ "SUMMARY: x tests", 0, 0, 0, 0, 0 },
		{ "SUMMARY: 5", 0, 0, 0, 0, 0 },
		{ "SUMMARY: 5 apples", 0, 0, 0, 0, 0 },
		{ "SUMMARY: 5 testsuites", 0, 0, 0, 0, 0 },
		{ "SUMMARY: 5 tests and more", 0, 0, 0, 0, 0 },
		{ "SUMMARY:5 tests", 0, 0, 0, 0, 0 },
		{ "SUMMARY: -5 tests", 0, 0, 0, 0, 0 },
		{ "SUMMARY: 99999999999 tests", 0, 0, 0, 0, 0 },
		{ "summary: 5 tests", 0, 0, 0, 0, 0 },
		{ "INFO: SUMMARY: 5 tests", 0, 0, 0, 0, 0 },
	};
	struct seen s;
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		parse_str(rows[i].in, &s);
		if (s.st.summary_seen != rows[i].seen)
			fail_msg("%s: summary_seen %d", rows[i].in, s.st.summary_seen);
		assert_int_equal(s.st.sum_total, rows[i].total);
		assert_int_equal(s.st.sum_failed, rows[i].failed);
		assert_int_equal(s.st.sum_xfailed, rows[i].xfailed);
		assert_int_equal(s.st.sum_skipped, rows[i].skipped);
		seen_free(&s);
	}

	/* The last SUMMARY is the most complete one. */
	parse_str("SUMMARY: 1 tests\nPASS: b\nSUMMARY: 2 tests, 1 skipped\n"
	    "SUMMARY: bogus\n", &s);
	assert_int_equal(s.st.summary_seen, 1);
	assert_int_equal(s.st.sum_total, 2);
	assert_int_equal(s.st.sum_skipped, 1);
	seen_free(&s);
}

static void
test_exit_line(void **unused)
{
	static const struct {
		const char *in;
		int seen, status;
	} rows[] = {
		{ "EXIT: STATUS=1\n", 1, 1 },
		{ "\nEXIT: STATUS=3\n", 1, 3 },
		{ "EXIT: STATUS=77\r\n", 1, 77 },
		{ "EXIT: STATUS=127", 1, 127 },
		{ "EXIT: STATUS=0\n", 1, 0 },
		{ "EXIT: STATUS=255  \n", 1, 255 },
		{ "EXIT: STATUS=\n", 0, 0 },
		{ "EXIT: STATUS=x\n", 0, 0 },
		{ "EXIT: STATUS=-1\n", 0, 0 },
		{ "EXIT: status=1\n", 0, 0 },
		{ "EXIT: STATUS=1 junk\n", 0, 0 },
		{ "EXIT: STATUS=99999999999\n", 0, 0 },
		{ "EXIT:STATUS=1\n", 0, 0 },
		{ "INFO: EXIT: STATUS=1\n", 0, 0 },
	};
	struct seen s;
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		parse_str(rows[i].in, &s);
		if (s.st.exit_seen != rows[i].seen)
			fail_msg("%s: exit_seen %d", rows[i].in, s.st.exit_seen);
		if (rows[i].seen)
			assert_int_equal(s.st.exit_status, rows[i].status);
		seen_free(&s);
	}

	/* The first EXIT ends the job: a later one changes nothing. */
	parse_str("EXIT: STATUS=3\nEXIT: STATUS=1\n", &s);
	assert_int_equal(s.st.exit_status, 3);
	seen_free(&s);
}

static void
test_abort_lines(void **unused)
{
	static const struct {
		const char *in;
		const char *message;    /* NULL: not an abort */
	} rows[] = {
		{ "ABORT: selftest: bad thing\n", "selftest: bad thing" },
		{ "ABORT:\n", "" },
		{ "ABORT:   spaced\n", "spaced" },
		{ "\x1b[31mABORT: red\x1b[0m\r\n", "red" },
		{ "Unhandled exception 13 #GP(0) at ip aaaaaaaaaaaaaaaa\r\n",
		    "Unhandled exception 13 #GP(0) at ip aaaaaaaaaaaaaaaa" },
		{ "Unhandled cpu exception 6 #UD at ip 0000000000401000\n",
		    "Unhandled cpu exception 6 #UD at ip 0000000000401000" },
		{ "Unhandled exception ec=0x25 (DABT_EL1)\n",
		    "Unhandled exception ec=0x25 (DABT_EL1)" },
		{ "Unhandled vector 4 (el1h_sync)\n", "Unhandled vector 4 (el1h_sync)" },
		{ "lib/alloc.c:42: assert failed: ptr\n",
		    "lib/alloc.c:42: assert failed: ptr" },
		{ "x86/vmx.c:7: assert failed: ok: message\n",
		    "x86/vmx.c:7: assert failed: ok: message" },
		{ "Unhandled exceptions: 0\n", NULL },
		{ "INFO: ABORT: not really\n", NULL },
		{ "ABORTED\n", NULL },
		{ "x86/foo.c:12: assertion ok\n", NULL },
		{ "a b:12: assert failed: x\n", NULL },
		{ ":12: assert failed: x\n", NULL },
		{ "foo.c:: assert failed: x\n", NULL },
		{ "nothing to see\n", NULL },
	};
	struct seen s;
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		parse_str(rows[i].in, &s);
		if (s.st.abort_seen != (rows[i].message != NULL))
			fail_msg("%s: abort_seen %d", rows[i].in, s.st.abort_seen);
		if (rows[i].message != NULL)
			assert_string_equal(s.st.abort_message, rows[i].message);
		else
			assert_null(s.st.abort_message);
		seen_free(&s);
	}

	/* The first abort explains the run; the dumps after it do not. */
	parse_str("ABORT: first\nUnhandled exception 14 #PF at ip 0\nABORT: second\n",
	    &s);
	assert_int_equal(s.st.abort_seen, 1);
	assert_string_equal(s.st.abort_message, "first");
	seen_free(&s);
}

/*
 * Escapes, control bytes, line ends, UTF-8.
 */

static void
test_escapes(void **unused)
{
	static const struct {
		const char *in;
		const char *name;
	} rows[] = {
		{ "\x1b]0;title\x07PASS: osc bel\n", "osc bel" },
		{ "\x1b]0;title\x1b\\PASS: osc st\n", "osc st" },
		{ "\x1b]8;;http://x\x1b\\PASS: link\x1b]8;;\x1b\\\n", "link" },
		{ "\x1bP1$r0m\x1b\\PASS: dcs\n", "dcs" },
		{ "\x1b_apc\x1b\\PASS: apc\n", "apc" },
		{ "\x1b(BPASS: charset\n", "charset" },
		{ "\x1b%GPASS: utf8 select\n", "utf8 select" },
		{ "\x1b" "7PASS: save\x1b" "8\n", "save" },
		{ "\x1b" "cPASS: reset\n", "reset" },
		{ "\x1b[=3hPASS: private\n", "private" },
		{ "\x1b[?25lPASS: cursor\x1b[?25h\n", "cursor" },
		{ "\x1b[01;01HPASS: position\n", "position" },
		{ "\x1b[38;2;255;0;0mPASS: truecolour\x1b[m\n", "truecolour" },
		{ "\x1b[1 qPASS: intermediate\n", "intermediate" },
		{ "\x1b\x1b[0mPASS: esc esc\n", "esc esc" },
		{ "\x1b]0;a\x1b[0mPASS: st-less osc ends at the next escape\n",
		    "st-less osc ends at the next escape" },
		{ "\x1b[\x07" "0mPASS: bel inside csi\n", "bel inside csi" },
	};
	static const char nuls[] = "P\0A\x01S\x7fS: control\0 bytes\x08\n";
	struct seen s;
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		one_case(rows[i].in, TC_PASS, rows[i].name);
		assert_split_invariant(rows[i].in, strlen(rows[i].in));
	}

	/* NUL and other control bytes are dropped, even inside the word. */
	parse_chunked(nuls, sizeof(nuls) - 1, WHOLE, 0, 0, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.cases[0].name, "control bytes");
	seen_free(&s);
	assert_split_invariant(nuls, sizeof(nuls) - 1);

	/* A non-ASCII byte ends a broken sequence and stays text. */
	parse_str("\x1b[\xc3\xa9PASS: broken csi\n", &s);
	assert_int_equal(s.n, 0);
	seen_free(&s);
	parse_str("\x1b[\xc3\xa9\nPASS: next line\n", &s);
	assert_int_equal(s.n, 1);
	seen_free(&s);
}

static void
test_unterminated_escapes(void **unused)
{
	struct seen s;

	(void)unused;
	/* A line end ends any sequence: the next line is read. */
	parse_str("PASS: a\x1b[\nPASS: b\x1b]0;never\nPASS: c\x1b\nPASS: d\x1bP\r\n"
	    "PASS: e\x1b(\rPASS: f\n", &s);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.cases[0].name, "a");
	assert_string_equal(s.cases[1].name, "b");
	assert_string_equal(s.cases[5].name, "f");
	seen_free(&s);

	/* Text inside an unterminated OSC is the OSC's, up to the line end. */
	parse_str("\x1b]0;title PASS: hidden\nPASS: seen\n", &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.cases[0].name, "seen");
	seen_free(&s);

	/* An escape left open at the end of output is not a partial line. */
	parse_str("PASS: a\n\x1b[0", &s);
	assert_int_equal(s.st.partial_line, 0);
	seen_free(&s);
}

static void
test_line_ends(void **unused)
{
	struct seen s;
	static const char *const names[] = { "lf", "crlf", "cr", "lfcr", "crcr",
		"last" };
	size_t i;

	(void)unused;
	parse_str("PASS: lf\nPASS: crlf\r\nPASS: cr\rPASS: lfcr\n\rPASS: crcr\r\r\n"
	    "PASS: last", &s);
	assert_int_equal(s.n, ARRAY_SIZE(names));
	for (i = 0; i < ARRAY_SIZE(names); i++)
		assert_string_equal(s.cases[i].name, names[i]);
	assert_int_equal(s.st.partial_line, 1);
	seen_free(&s);

	/* CRLF split between feeds is one line end. */
	{
		struct results_parser *p;

		memset(&s, 0, sizeof(s));
		p = results_new(collect, &s);
		results_feed(p, "PASS: a\r", 8);
		results_feed(p, "\n", 1);
		results_feed(p, "PASS: b\r", 8);
		results_feed(p, "\r", 1);
		results_feed(p, "\n", 1);
		results_finish(p);
		assert_int_equal(s.n, 2);
		assert_string_equal(s.cases[1].name, "b");
		results_free(p);
		seen_free(&s);
	}
}

static void
test_utf8(void **unused)
{
	static const struct {
		const char *in;
		const char *name;
	} rows[] = {
		{ "PASS: caf\xc3\xa9\n", "caf\xc3\xa9" },
		{ "PASS: \xe2\x9c\x93 \xf0\x9f\x90\xa7\n", "\xe2\x9c\x93 \xf0\x9f\x90\xa7" },
		{ "PASS: bad\xff\xfe byte\n", "bad byte" },
		{ "PASS: lone \x80 continuation\n", "lone  continuation" },
		{ "PASS: overlong \xc0\xaf \xe0\x80\xaf\n", "overlong  " },
		{ "PASS: surrogate \xed\xa0\x80.\n", "surrogate ." },
		{ "PASS: too big \xf4\x90\x80\x80.\n", "too big ." },
		{ "PASS: cut \xe2\x9c\n", "cut " },
		{ "PASS: c1 \xc2\x9b" "31m\n", "c1 31m" },
		{ "PASS: 8-bit csi \x9b" "31m\n", "8-bit csi 31m" },
		{ "\xffPASS: stray byte first\n", "stray byte first" },
	};
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		one_case(rows[i].in, TC_PASS, rows[i].name);
		assert_split_invariant(rows[i].in, strlen(rows[i].in));
	}
}

/*
 * The real captures.
 */

struct fixture {
	const char *file;
	int npass, nfail, nskip, ninfo;
	int summary_seen, sum_total, sum_failed;
	int exit_seen, exit_status;
	const char *abort_message;      /* NULL: no abort */
	int partial_line;
	const char *first, *last;       /* names of the first and last case */
	/* how the job ends (README.md) and what it gives */
	enum end_reason end;
	int status;
	enum job_result result;
	int exit_code;
	const char *reason;
};

static const struct fixture fixtures[] = {
	{ "arm64-selftest-setup.log", 2, 0, 0, 2, 1, 2, 0, 1, 1, NULL, 0,
	    "selftest: setup: smp: number of CPUs matches expectation",
	    "selftest: setup: mem: found 256 MB",
	    END_EXIT_LINE, 1, RESULT_PASS, 0, "exit code 0: 2 tests" },
	{ "arm64-selftest-wrong-smp.log", 1, 1, 0, 2, 1, 2, 1, 1, 3, NULL, 0,
	    "selftest: setup: smp: number of CPUs matches expectation",
	    "selftest: setup: mem: found 256 MB",
	    END_EXIT_LINE, 3, RESULT_FAIL, 1,
	    "exit code 1: 2 tests, 1 unexpected failure" },
	{ "x86-debug.log", 13, 2, 0, 0, 0, 0, 0, 0, 0, NULL, 0,
	    "CPL0 Split Lock #AC = 0 (#DB = 0), val = deadbeefdeadbeef (wanted deadbeefdeadbeef)",
	    "Usermode Single-step #DB w/ MOVSS blocking",
	    END_TIMEOUT, 0, RESULT_TIMEOUT, -1,
	    "no result before the deadline: 15 test cases seen, 2 unexpected failures, no SUMMARY" },
	{ "x86-xsave.log", 3, 0, 1, 0, 0, 0, 0, 0, 0, NULL, 0,
	    "Check CPUID.1.ECX.OSXSAVE - expect 0",
	    "XSAVE unsupported, skipping positive tests",
	    END_TIMEOUT, 0, RESULT_TIMEOUT, -1,
	    "4 test cases seen, 1 skipped, no SUMMARY" },
	{ "x86-sieve.log", 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 1, NULL, NULL,
	    END_TIMEOUT, 0, RESULT_TIMEOUT, -1,
	    "no test case seen, no SUMMARY, the output ends in the middle of a line" },
	{ "x86-idt_test.log", 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL,
	    END_TIMEOUT, 0, RESULT_TIMEOUT, -1, "no test case seen" },
	{ "x86-msr.log", 7, 1, 0, 0, 0, 0, 0, 0, 0, NULL, 0,
	    "MSR_IA32_SYSENTER_CS", "MSR_GS_BASE",
	    END_QEMU_EXIT, 0, RESULT_ERROR, -1,
	    "the machine stopped before SUMMARY (QEMU exit status 0); 8 test cases seen, 1 unexpected failure" },
	{ "x86-emulator.log", 143, 4, 2, 0, 0, 0, 0, 0, 0,
	    "Unhandled exception 13 #GP(0) at ip aaaaaaaaaaaaaaaa", 0,
	    "Skipping tests that require forced emulation, use kvm.force_emulation_prefix=1 to enable",
	    "Wanted CR2 '0xdecafbad', got '0xdecafbad",
	    END_QEMU_EXIT, 127, RESULT_ERROR, 63,
	    "the test aborted (exit code 63, QEMU exit status 127): Unhandled exception 13 #GP(0)" },
	{ "x86-rmap_chain.log", 1, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, "", "",
	    END_QEMU_EXIT, 1, RESULT_PASS, 0,
	    "exit code 0: 1 test case seen, no SUMMARY" },
};

/* Reads a fixture; fails the test when it is not there. Caller frees. */
static char *
fixture_read(const char *file, size_t *len)
{
	const char *dir = getenv("FARM_FIXTURES");
	char *path, *data;

	if (dir == NULL || *dir == '\0')
		dir = "../shared/fixtures/console";
	path = xasprintf("%s/%s", dir, file);
	data = read_file(path, len);
	if (data == NULL)
		fail_msg("cannot read fixture %s (set FARM_FIXTURES)", path);
	free(path);
	return data;
}

static void
check_fixture(const struct fixture *f)
{
	struct seen s;
	char *data, *reason;
	size_t len;
	int code;
	enum job_result r;

	data = fixture_read(f->file, &len);
	parse_chunked(data, len, WHOLE, 0, 0, &s);
	print_message("  %s: %zu cases\n", f->file, s.n);
	assert_int_equal(s.st.npass, f->npass);
	assert_int_equal(s.st.nfail, f->nfail);
	assert_int_equal(s.st.nskip, f->nskip);
	assert_int_equal(s.st.ninfo, f->ninfo);
	assert_int_equal(s.st.nxpass, 0);
	assert_int_equal(s.st.nxfail, 0);
	assert_int_equal(s.st.ncases, f->npass + f->nfail + f->nskip + f->ninfo);
	assert_int_equal(s.n, (size_t)s.st.ncases);
	assert_int_equal(s.st.summary_seen, f->summary_seen);
	assert_int_equal(s.st.sum_total, f->sum_total);
	assert_int_equal(s.st.sum_failed, f->sum_failed);
	assert_int_equal(s.st.exit_seen, f->exit_seen);
	assert_int_equal(s.st.exit_status, f->exit_status);
	assert_int_equal(s.st.abort_seen, f->abort_message != NULL);
	if (f->abort_message != NULL)
		assert_string_equal(s.st.abort_message, f->abort_message);
	assert_int_equal(s.st.partial_line, f->partial_line);
	assert_int_equal(s.st.any_output, 1);
	if (f->first != NULL) {
		assert_string_equal(s.cases[0].name, f->first);
		assert_string_equal(s.cases[s.n - 1].name, f->last);
	}

	r = results_outcome(&s.st, f->end, f->status, &code, &reason);
	print_message("    -> %s, exit code %d: %s\n", job_result_name(r), code,
	    reason);
	assert_int_equal(r, f->result);
	assert_int_equal(code, f->exit_code);
	if (strstr(reason, f->reason) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", f->file, reason, f->reason);
	free(reason);
	seen_free(&s);
	free(data);
}

static void
test_fixtures(void **unused)
{
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(fixtures); i++)
		check_fixture(&fixtures[i]);
}

/* Every fixture parses the same whole, byte by byte, in random chunks, and
 * cut in two at every byte (inside escapes, between CR and LF, ...). */
static void
test_fixtures_split(void **unused)
{
	struct seen whole, other;
	size_t i, cut, len;
	char *data;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(fixtures); i++) {
		data = fixture_read(fixtures[i].file, &len);
		assert_split_invariant(data, len);
		parse_chunked(data, len, WHOLE, 0, 0, &whole);
		for (cut = 0; cut <= len; cut++) {
			parse_split(data, len, cut, &other);
			assert_same(&whole, &other);
			seen_free(&other);
		}
		seen_free(&whole);
		free(data);
	}
}

/* Rewrites every line end (CRLF, LF, CR) of data as end. Caller frees. */
static char *
relined(const char *data, size_t len, const char *end, size_t *outlen)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			i++;
		if (data[i] == '\r' || data[i] == '\n')
			buf_adds(&b, end);
		else
			buf_addc(&b, data[i]);
	}
	*outlen = b.len;
	buf_addc(&b, '\0');
	return buf_steal(&b);
}

/* LF, CRLF and lone CR line ends give the same cases. */
static void
test_fixtures_line_ends(void **unused)
{
	static const char *const ends[] = { "\n", "\r\n", "\r" };
	struct seen whole, other;
	size_t i, j, len, newlen;
	char *data, *changed;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(fixtures); i++) {
		data = fixture_read(fixtures[i].file, &len);
		parse_chunked(data, len, WHOLE, 0, 0, &whole);
		for (j = 0; j < ARRAY_SIZE(ends); j++) {
			changed = relined(data, len, ends[j], &newlen);
			parse_chunked(changed, newlen, RANDOM, j + 1, 5, &other);
			assert_same(&whole, &other);
			seen_free(&other);
			free(changed);
		}
		seen_free(&whole);
		free(data);
	}
}

/* Every kind of line and escape in one text, cut everywhere. */
static void
test_split_everything(void **unused)
{
	static const char text[] =
	    "\x1b[2J\x1b[01;01H\x1b[=3hBdsDxe: booting\r\n"
	    "\x1b]0;title\x07\x1b]2;t\x1b\\\x1bP1$r\x1b\\\x1b(B\x1b" "7"
	    "PASS: a: b: c\r\n"
	    "FAIL: caf\xc3\xa9\rXPASS: x\nXFAIL: y\r\r\nSKIP: \xf0\x9f\x90\xa7\n"
	    "INFO: \x1b[1m\x1b[33mbold\x1b[0m\n"
	    "PASS\r\nFAIL\n\r"
	    "lib/a.c:3: assert failed: x\r\n"
	    "SUMMARY: 7 tests, 3 unexpected failures, 1 expected failures, 1 skipped\r\n"
	    "\nEXIT: STATUS=3\r\n"
	    "PASS: tail without end";
	struct seen whole, other;
	size_t cut, len = sizeof(text) - 1;

	(void)unused;
	parse_chunked(text, len, WHOLE, 0, 0, &whole);
	assert_int_equal(whole.n, 9);
	assert_int_equal(whole.st.summary_seen, 1);
	assert_int_equal(whole.st.sum_total, 7);
	assert_int_equal(whole.st.sum_failed, 3);
	assert_int_equal(whole.st.exit_status, 3);
	assert_int_equal(whole.st.abort_seen, 1);
	assert_int_equal(whole.st.partial_line, 1);
	assert_string_equal(whole.cases[0].name, "a: b: c");
	assert_string_equal(whole.cases[5].name, "bold");
	assert_string_equal(whole.cases[8].name, "tail without end");
	for (cut = 0; cut <= len; cut++) {
		parse_split(text, len, cut, &other);
		assert_same(&whole, &other);
		seen_free(&other);
	}
	assert_split_invariant(text, len);
	seen_free(&whole);
}

/*
 * Hostile input.
 */

static void
test_random_binary(void **unused)
{
	size_t len = 1 << 20, i;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned char *data = xmalloc(len);
	struct seen s;

	(void)unused;
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)rng_next(&seed);
	parse_chunked(data, len, RANDOM, 1, 4096, &s);
	assert_int_equal(s.st.any_output, 1);
	assert_true(s.st.ncases >= 0);
	seen_free(&s);
	/* a smaller piece, under every chunking */
	assert_split_invariant(data, 64 * 1024);

	/* Random bytes biased towards the bytes the parser cares about. */
	{
		static const unsigned char hot[] = { 0x1b, '[', ']', '\r', '\n',
			0x07, '\\', 'P', 'A', 'S', ':', ' ', 0, 0xc3, 0xa9, 0x9b,
			'0', ';', '=', 'h', 'm' };

		for (i = 0; i < len; i++)
			data[i] = hot[rng_next(&seed) % sizeof(hot)];
		assert_split_invariant(data, 128 * 1024);
	}
	free(data);
}

/* Protocol lines scattered through binary noise are all found. */
static void
test_binary_with_lines(void **unused)
{
	struct buf b = { 0 };
	uint64_t seed = 42;
	struct seen s;
	size_t i, j, found = 0;
	char want[32];

	(void)unused;
	for (i = 0; i < 500; i++) {
		size_t noise = rng_next(&seed) % 3000;

		for (j = 0; j < noise; j++) {
			char c = (char)rng_next(&seed);

			buf_add(&b, &c, 1);
		}
		buf_printf(&b, "\nPASS: marker %zu\r\n", i);
	}
	parse_chunked(b.data, b.len, RANDOM, 3, 700, &s);
	for (i = 0; i < s.n; i++) {
		snprintf(want, sizeof(want), "marker %zu", found);
		if (strcmp(s.cases[i].name, want) == 0)
			found++;
	}
	assert_int_equal(found, 500);
	seen_free(&s);
	buf_free(&b);
}

static void
test_long_lines(void **unused)
{
	size_t big = 1 << 20, i;
	struct buf b = { 0 };
	struct seen s;

	(void)unused;
	/* A 1 MB case line is cut at RESULTS_MAX_LINE; the next line is read. */
	buf_adds(&b, "PASS: ");
	for (i = 0; i < big; i++)
		buf_addc(&b, 'A');
	buf_adds(&b, "\nPASS: after\n");
	parse_chunked(b.data, b.len, RANDOM, 5, 65536, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(strlen(s.cases[0].name), RESULTS_MAX_LINE - 6);
	assert_int_equal(strspn(s.cases[0].name, "A"), RESULTS_MAX_LINE - 6);
	assert_string_equal(s.cases[1].name, "after");
	assert_int_equal(s.st.partial_line, 0);
	seen_free(&s);

	/* Cut in the middle of a UTF-8 character: the half is dropped. */
	buf_reset(&b);
	buf_adds(&b, "PASS: x");
	for (i = 0; i < 4000; i++)
		buf_adds(&b, "\xc3\xa9");
	buf_adds(&b, "\n");
	parse_chunked(b.data, b.len, WHOLE, 0, 0, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(strlen(s.cases[0].name), RESULTS_MAX_LINE - 7);
	seen_free(&s);

	/* A 1 MB line that never ends is a partial line. */
	buf_reset(&b);
	for (i = 0; i < big; i++)
		buf_addc(&b, 'z');
	parse_chunked(b.data, b.len, WHOLE, 0, 0, &s);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.st.partial_line, 1);
	seen_free(&s);

	/* Long noise then a SUMMARY on the same line is not a summary. */
	buf_reset(&b);
	for (i = 0; i < 5000; i++)
		buf_addc(&b, ' ');
	buf_adds(&b, "SUMMARY: 1 tests\n");
	parse_chunked(b.data, b.len, WHOLE, 0, 0, &s);
	assert_int_equal(s.st.summary_seen, 0);
	seen_free(&s);
	buf_free(&b);
}

/* Floods of one byte, then a good line that must still be read. */
static void
test_floods(void **unused)
{
	static const struct {
		const char *unit;
		size_t len;
	} floods[] = {
		{ "\0", 1 },            /* NULs */
		{ "\r", 1 },            /* CR storm */
		{ "\r\n", 2 },
		{ "\n\r", 2 },
		{ "\x1b", 1 },          /* ESC storm */
		{ "\x1b[", 2 },
		{ "\x07", 1 },
		{ "\xff", 1 },
	};
	size_t big = 1 << 20, i, j;
	struct seen s;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(floods); i++) {
		struct buf b = { 0 };

		for (j = 0; j < big / floods[i].len; j++)
			buf_add(&b, floods[i].unit, floods[i].len);
		buf_adds(&b, "\nPASS: after\n");
		parse_chunked(b.data, b.len, RANDOM, i + 1, 8192, &s);
		if (s.n != 1)
			fail_msg("flood %zu: %zu cases", i, s.n);
		assert_string_equal(s.cases[0].name, "after");
		seen_free(&s);
		buf_free(&b);
	}

	/* Escape sequences that never end, 1 MB each. */
	{
		static const char *const opens[] = { "\x1b[", "\x1b]0;", "\x1bP",
			"\x1b(" };

		for (i = 0; i < ARRAY_SIZE(opens); i++) {
			struct buf b = { 0 };

			buf_adds(&b, opens[i]);
			for (j = 0; j < big; j++)
				buf_addc(&b, (char)('0' + j % 10));
			buf_adds(&b, "\r\nPASS: after\n");
			parse_chunked(b.data, b.len, RANDOM, i + 11, 8192, &s);
			assert_int_equal(s.n, 1);
			assert_string_equal(s.cases[0].name, "after");
			seen_free(&s);
			buf_free(&b);
		}
	}
}

/* The output stops in the middle of a line. */
static void
test_truncated(void **unused)
{
	struct seen s;
	struct results_parser *p;
	char *reason;
	int code;

	(void)unused;
	parse_str("PASS: a\nFAIL: b\nPASS: c-cut", &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.cases[2].name, "c-cut");
	assert_int_equal(s.st.partial_line, 1);
	assert_int_equal(results_outcome(&s.st, END_QEMU_EXIT, 0, &code, &reason),
	    RESULT_ERROR);
	assert_non_null(strstr(reason, "mid-test"));
	free(reason);
	assert_int_equal(results_outcome(&s.st, END_RETURNED, 0, &code, &reason),
	    RESULT_ERROR);
	assert_non_null(strstr(reason, "mid-test"));
	free(reason);
	assert_int_equal(results_outcome(&s.st, END_TIMEOUT, 0, &code, &reason),
	    RESULT_TIMEOUT);
	free(reason);
	seen_free(&s);

	/* A cut in the middle of the SUMMARY line: no summary. */
	parse_str("PASS: a\nSUMMARY: 1 te", &s);
	assert_int_equal(s.st.summary_seen, 0);
	assert_int_equal(s.st.partial_line, 1);
	seen_free(&s);

	/* Only blanks or escapes after the last line end: not partial. */
	parse_str("PASS: a\n   \x1b[0m", &s);
	assert_int_equal(s.st.partial_line, 0);
	seen_free(&s);

	/* Nothing at all. */
	parse_str("", &s);
	assert_int_equal(s.st.any_output, 0);
	assert_int_equal(s.st.partial_line, 0);
	assert_int_equal(results_outcome(&s.st, END_TIMEOUT, 0, &code, &reason),
	    RESULT_TIMEOUT);
	assert_non_null(strstr(reason, "nothing printed"));
	free(reason);
	seen_free(&s);

	/* finish twice, then more output: parsing goes on. */
	memset(&s, 0, sizeof(s));
	p = results_new(collect, &s);
	results_feed(p, "PASS: a", 7);
	results_finish(p);
	results_finish(p);
	assert_int_equal(s.n, 1);
	assert_int_equal(results_state(p)->partial_line, 1);
	results_feed(p, "PASS: b\n", 8);
	results_finish(p);
	assert_int_equal(s.n, 2);
	assert_int_equal(results_state(p)->partial_line, 0);
	results_free(p);
	seen_free(&s);
}

/*
 * Outcomes.
 */

struct outcome_row {
	const char *what;
	struct results_state st;
	enum end_reason end;
	int status;
	enum job_result result;
	int exit_code;
	const char *reason;
};

#define OUT 1   /* any_output */

static const struct outcome_row outcome_rows[] = {
	/* EXIT: STATUS= on the console */
	{ "exit 0", { .ncases = 2, .npass = 2, .summary_seen = 1, .sum_total = 2,
	    .exit_seen = 1, .exit_status = 1, .any_output = OUT },
	    END_EXIT_LINE, 1, RESULT_PASS, 0, "exit code 0: 2 tests" },
	{ "exit 1", { .ncases = 2, .npass = 1, .nfail = 1, .summary_seen = 1,
	    .sum_total = 2, .sum_failed = 1, .exit_seen = 1, .exit_status = 3,
	    .any_output = OUT },
	    END_EXIT_LINE, 3, RESULT_FAIL, 1,
	    "exit code 1: 2 tests, 1 unexpected failure" },
	{ "exit 77", { .summary_seen = 1, .sum_total = 3, .sum_skipped = 3,
	    .any_output = OUT },
	    END_EXIT_LINE, 155, RESULT_SKIP, 77, "exit code 77: 3 tests, 3 skipped" },
	{ "kvm-unit-tests skip: 77 >> 1", { .summary_seen = 1, .sum_total = 3,
	    .sum_skipped = 3, .any_output = OUT },
	    END_EXIT_LINE, 77, RESULT_SKIP, 38, "every test skipped" },
	{ "kvm-unit-tests 0 tests", { .summary_seen = 1, .any_output = OUT },
	    END_EXIT_LINE, 77, RESULT_SKIP, 38, "exit code 38" },
	{ "38 but not all skipped", { .summary_seen = 1, .sum_total = 3,
	    .sum_skipped = 2, .any_output = OUT },
	    END_EXIT_LINE, 77, RESULT_FAIL, 38, "exit code 38: 3 tests, 2 skipped" },
	{ "38 without SUMMARY", { .ncases = 1, .nskip = 1, .any_output = OUT },
	    END_EXIT_LINE, 77, RESULT_FAIL, 38, "exit code 38" },
	{ "exit 2", { .any_output = OUT }, END_EXIT_LINE, 5, RESULT_FAIL, 2,
	    "exit code 2: no test case seen" },
	{ "abort status", { .summary_seen = 1, .sum_total = 1, .any_output = OUT },
	    END_EXIT_LINE, 127, RESULT_ERROR, 63, "the test aborted (exit code 63" },
	{ "ABORT then exit 0", { .abort_seen = 1, .abort_message = (char *)"boom",
	    .any_output = OUT },
	    END_EXIT_LINE, 1, RESULT_ERROR, 0, "the test aborted (exit code 0, EXIT: STATUS=1): boom" },
	{ "even EXIT status", { .any_output = OUT }, END_EXIT_LINE, 4, RESULT_ERROR,
	    -1, "EXIT: STATUS=4 is not a test's exit status" },

	/* QEMU's exit */
	{ "qemu 1", { .ncases = 1, .npass = 1, .any_output = OUT },
	    END_QEMU_EXIT, 1, RESULT_PASS, 0,
	    "exit code 0: 1 test case seen, no SUMMARY" },
	{ "qemu 3", { .summary_seen = 1, .sum_total = 4, .sum_failed = 2,
	    .any_output = OUT },
	    END_QEMU_EXIT, 3, RESULT_FAIL, 1,
	    "exit code 1: 4 tests, 2 unexpected failures" },
	{ "qemu 155", { .any_output = OUT }, END_QEMU_EXIT, 155, RESULT_SKIP, 77,
	    "exit code 77" },
	{ "qemu 255", { .any_output = OUT }, END_QEMU_EXIT, 255, RESULT_FAIL, 127,
	    "exit code 127" },
	{ "qemu 127", { .ncases = 3, .npass = 3, .any_output = OUT },
	    END_QEMU_EXIT, 127, RESULT_ERROR, 63,
	    "the test aborted (exit code 63, QEMU exit status 127); 3 test cases seen" },
	{ "qemu 1 after abort", { .abort_seen = 1, .abort_message = (char *)"x.c:1: assert failed: y",
	    .any_output = OUT },
	    END_QEMU_EXIT, 1, RESULT_ERROR, 0, "assert failed" },
	{ "qemu 2", { .any_output = OUT }, END_QEMU_EXIT, 2, RESULT_ERROR, -1,
	    "QEMU exit status 2 is not a test's exit status" },
	{ "qemu 256", { .any_output = OUT }, END_QEMU_EXIT, 256, RESULT_ERROR, -1,
	    "QEMU ended abnormally (status 256)" },
	{ "qemu -1", { .any_output = OUT }, END_QEMU_EXIT, -1, RESULT_ERROR, -1,
	    "QEMU ended abnormally" },
	{ "qemu 0, SUMMARY pass", { .summary_seen = 1, .sum_total = 2,
	    .any_output = OUT },
	    END_QEMU_EXIT, 0, RESULT_PASS, -1,
	    "QEMU exited with status 0, the verdict is from SUMMARY: 2 tests" },
	{ "qemu 0, SUMMARY fail", { .summary_seen = 1, .sum_total = 2,
	    .sum_failed = 1, .any_output = OUT },
	    END_QEMU_EXIT, 0, RESULT_FAIL, -1, "1 unexpected failure" },
	{ "qemu 0, SUMMARY xfail only", { .summary_seen = 1, .sum_total = 2,
	    .sum_xfailed = 1, .any_output = OUT },
	    END_QEMU_EXIT, 0, RESULT_PASS, -1, "1 expected failure" },
	{ "qemu 0, SUMMARY all skipped", { .summary_seen = 1, .sum_total = 2,
	    .sum_skipped = 2, .any_output = OUT },
	    END_QEMU_EXIT, 0, RESULT_SKIP, -1, "2 skipped" },
	{ "qemu 0, SUMMARY 0 tests", { .summary_seen = 1, .any_output = OUT },
	    END_QEMU_EXIT, 0, RESULT_SKIP, -1, "0 tests" },
	{ "qemu 0, no SUMMARY", { .ncases = 2, .npass = 2, .any_output = OUT },
	    END_QEMU_EXIT, 0, RESULT_ERROR, -1,
	    "the machine stopped before SUMMARY (QEMU exit status 0); 2 test cases seen" },
	{ "qemu 0, mid-line", { .partial_line = 1, .any_output = OUT },
	    END_QEMU_EXIT, 0, RESULT_ERROR, -1,
	    "the machine stopped before SUMMARY and the output ends mid-test" },
	{ "qemu 0, nothing", { 0 }, END_QEMU_EXIT, 0, RESULT_ERROR, -1,
	    "nothing printed" },
	{ "qemu 0 after EXIT", { .exit_seen = 1, .exit_status = 3,
	    .any_output = OUT },
	    END_QEMU_EXIT, 0, RESULT_FAIL, 1, "exit code 1" },
	{ "qemu 0 after ABORT", { .abort_seen = 1, .abort_message = (char *)"bad",
	    .summary_seen = 1, .sum_total = 1, .any_output = OUT },
	    END_QEMU_EXIT, 0, RESULT_ERROR, -1, "the test aborted" },

	/* the app returned */
	{ "returned after EXIT 1", { .exit_seen = 1, .exit_status = 1,
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_PASS, 0, "exit code 0" },
	{ "returned after EXIT 3", { .exit_seen = 1, .exit_status = 3,
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_FAIL, 1, "exit code 1" },
	{ "returned after EXIT 155", { .exit_seen = 1, .exit_status = 155,
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_SKIP, 77, "exit code 77" },
	{ "returned 0, SUMMARY pass", { .summary_seen = 1, .sum_total = 3,
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_PASS, 0, "the app returned 0, the verdict is from SUMMARY" },
	{ "returned 0, SUMMARY fail", { .summary_seen = 1, .sum_total = 3,
	    .sum_failed = 1, .any_output = OUT },
	    END_RETURNED, 0, RESULT_FAIL, 0, "3 tests, 1 unexpected failure" },
	{ "returned 0, SUMMARY skip", { .summary_seen = 1, .sum_total = 3,
	    .sum_skipped = 3, .any_output = OUT },
	    END_RETURNED, 0, RESULT_SKIP, 0, "3 skipped" },
	{ "returned 0, passes", { .ncases = 3, .npass = 3, .any_output = OUT },
	    END_RETURNED, 0, RESULT_PASS, 0,
	    "the app returned 0 without SUMMARY, the verdict is from the test cases: 3 test cases seen" },
	{ "returned 0, a FAIL", { .ncases = 3, .npass = 2, .nfail = 1,
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_FAIL, 0, "1 unexpected failure" },
	{ "returned 0, an XPASS", { .ncases = 2, .npass = 1, .nxpass = 1,
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_FAIL, 0, "1 unexpected failure" },
	{ "returned 0, an XFAIL", { .ncases = 2, .npass = 1, .nxfail = 1,
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_PASS, 0, "1 expected failure" },
	{ "returned 0, all SKIP", { .ncases = 2, .nskip = 2, .ninfo = 1,
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_SKIP, 0, "2 skipped" },
	{ "returned 0, nothing", { .ncases = 1, .ninfo = 1, .any_output = OUT },
	    END_RETURNED, 0, RESULT_PASS, 0, "no test case seen" },
	{ "returned 0, mid-line", { .ncases = 1, .npass = 1, .partial_line = 1,
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_ERROR, 0, "the output ends mid-test" },
	{ "returned 14", { .ncases = 1, .npass = 1, .any_output = OUT },
	    END_RETURNED, 14, RESULT_ERROR, 14,
	    "the app returned status 14 without a result" },
	{ "returned -1", { .summary_seen = 1, .sum_total = 1, .any_output = OUT },
	    END_RETURNED, -1, RESULT_ERROR, -1,
	    "the app returned status -1 without a result" },
	{ "returned after ABORT", { .abort_seen = 1, .abort_message = (char *)"m",
	    .any_output = OUT },
	    END_RETURNED, 0, RESULT_ERROR, 0, "the test aborted (then the app returned): m" },

	/* the deadline */
	{ "timeout", { .ncases = 2, .npass = 2, .any_output = OUT },
	    END_TIMEOUT, 0, RESULT_TIMEOUT, -1,
	    "no result before the deadline: 2 test cases seen, no SUMMARY" },
	{ "timeout after SUMMARY", { .summary_seen = 1, .sum_total = 2,
	    .any_output = OUT },
	    END_TIMEOUT, 0, RESULT_TIMEOUT, -1, "no result before the deadline: 2 tests" },
	{ "timeout after ABORT", { .abort_seen = 1, .abort_message = (char *)"hung",
	    .any_output = OUT },
	    END_TIMEOUT, 0, RESULT_ERROR, -1,
	    "the test aborted (then nothing until the deadline): hung" },

	/* the results POST (as results_state_from_post builds it) */
	{ "post exit 0", { .ncases = 1, .npass = 1, .exit_seen = 1,
	    .exit_status = 1, .any_output = OUT },
	    END_POST, 0, RESULT_PASS, 0, "results POST: exit code 0" },
	{ "post exit 1", { .ncases = 1, .nfail = 1, .exit_seen = 1,
	    .exit_status = 3, .any_output = OUT },
	    END_POST, 0, RESULT_FAIL, 1, "results POST: exit code 1" },
	{ "post exit 77", { .exit_seen = 1, .exit_status = 155,
	    .any_output = OUT },
	    END_POST, 0, RESULT_SKIP, 77, "results POST: exit code 77" },
	{ "post aborted", { .exit_seen = 1, .exit_status = 1, .abort_seen = 1,
	    .any_output = OUT },
	    END_POST, 0, RESULT_ERROR, 0, "results POST: the test aborted" },
	{ "post aborted, no code", { .abort_seen = 1, .any_output = OUT },
	    END_POST, 0, RESULT_ERROR, -1, "results POST: the test aborted" },
	{ "post summary only", { .summary_seen = 1, .sum_total = 2,
	    .sum_failed = 1, .any_output = OUT },
	    END_POST, 0, RESULT_FAIL, -1, "no exit_code, the verdict is from SUMMARY" },
	{ "post cases only", { .ncases = 2, .npass = 2, .any_output = OUT },
	    END_POST, 0, RESULT_PASS, -1, "the verdict is from the test cases" },
	{ "post empty", { .any_output = OUT }, END_POST, 0, RESULT_ERROR, -1,
	    "nothing to judge the test by" },
};

static void
test_outcomes(void **unused)
{
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(outcome_rows); i++) {
		const struct outcome_row *o = &outcome_rows[i];
		enum job_result r;
		char *reason = NULL;
		int code = 12345;

		r = results_outcome(&o->st, o->end, o->status, &code, &reason);
		assert_non_null(reason);
		if (r != o->result || code != o->exit_code ||
		    strstr(reason, o->reason) == NULL)
			fail_msg("%s: got %s, exit code %d, \"%s\"; want %s, %d, "
			    "\"%s\"", o->what, job_result_name(r), code, reason,
			    job_result_name(o->result), o->exit_code, o->reason);
		assert_null(strchr(reason, '\n'));
		free(reason);
	}
}

static void
test_outcome_unknown_end(void **unused)
{
	struct results_state st = { .any_output = 1 };
	char *reason;
	int code;

	(void)unused;
	assert_int_equal(results_outcome(&st, (enum end_reason)99, 0, &code,
	    &reason), RESULT_ERROR);
	assert_int_equal(code, -1);
	assert_non_null(strstr(reason, "unknown end of job"));
	free(reason);
}

static void
test_names(void **unused)
{
	static const char *const tcs[] = { "pass", "fail", "xpass", "xfail",
		"skip", "info" };
	static const char *const jrs[] = { "pass", "fail", "skip", "error",
		"infra", "timeout" };
	enum tc_status s;
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(tcs); i++) {
		assert_string_equal(tc_status_name((enum tc_status)i), tcs[i]);
		assert_int_equal(tc_status_parse(tcs[i], &s), 0);
		assert_int_equal(s, (enum tc_status)i);
	}
	assert_int_equal(tc_status_parse("PASS", &s), -1);
	assert_int_equal(tc_status_parse("passed", &s), -1);
	assert_int_equal(tc_status_parse("", &s), -1);
	for (i = 0; i < ARRAY_SIZE(jrs); i++)
		assert_string_equal(job_result_name((enum job_result)i), jrs[i]);
}

/*
 * The results POST.
 */

static int
post(const char *body, struct results_post *out, char **cause)
{
	return results_parse_post(body, strlen(body), out, cause);
}

static void
test_post_good(void **unused)
{
	struct results_post p;
	struct results_state st;
	char *cause = NULL, *reason;
	int code;

	(void)unused;
	assert_int_equal(post("{\"tests\": ["
	    "{\"name\": \"selftest: argc\", \"status\": \"pass\", \"message\": \"\"},"
	    "{\"name\": \"selftest: env: FOO\", \"status\": \"fail\","
	    " \"message\": \"FOO=1, want 2\"},"
	    "{\"name\": \"x\", \"status\": \"xfail\"},"
	    "{\"name\": \"caf\\u00e9 \xe2\x9c\x93\", \"status\": \"skip\"},"
	    "{\"name\": \"\", \"status\": \"info\", \"message\": \"line\\nbreak\"}],"
	    " \"summary\": {\"total\": 4, \"failed\": 1, \"xfailed\": 1, \"skipped\": 1},"
	    " \"exit_code\": 1, \"aborted\": false}", &p, &cause), 0);
	assert_null(cause);
	assert_int_equal(p.ncases, 5);
	assert_int_equal(p.cases[0].seq, 1);
	assert_string_equal(p.cases[0].name, "selftest: argc");
	assert_int_equal(p.cases[0].status, TC_PASS);
	assert_string_equal(p.cases[1].message, "FOO=1, want 2");
	assert_int_equal(p.cases[1].status, TC_FAIL);
	assert_string_equal(p.cases[2].message, "");
	assert_int_equal(p.cases[2].status, TC_XFAIL);
	assert_string_equal(p.cases[3].name, "caf\xc3\xa9 \xe2\x9c\x93");
	assert_string_equal(p.cases[4].name, "");
	assert_string_equal(p.cases[4].message, "line\nbreak");
	assert_int_equal(p.cases[4].seq, 5);
	assert_int_equal(p.have_summary, 1);
	assert_int_equal(p.total, 4);
	assert_int_equal(p.failed, 1);
	assert_int_equal(p.xfailed, 1);
	assert_int_equal(p.skipped, 1);
	assert_int_equal(p.exit_code, 1);
	assert_int_equal(p.aborted, 0);

	results_state_from_post(&p, &st);
	assert_int_equal(st.ncases, 5);
	assert_int_equal(st.npass, 1);
	assert_int_equal(st.nfail, 1);
	assert_int_equal(st.nxfail, 1);
	assert_int_equal(st.nskip, 1);
	assert_int_equal(st.ninfo, 1);
	assert_int_equal(st.exit_seen, 1);
	assert_int_equal(st.exit_status, 3);
	assert_int_equal(results_outcome(&st, END_POST, 0, &code, &reason),
	    RESULT_FAIL);
	assert_int_equal(code, 1);
	assert_string_equal(reason, "results POST: exit code 1: 4 tests, "
	    "1 unexpected failure, 1 expected failure, 1 skipped");
	free(reason);
	results_post_clear(&p);
	assert_int_equal(p.ncases, 0);
	assert_null(p.cases);
	results_post_clear(&p);

	/* The smallest body. */
	assert_int_equal(post("{\"tests\":[]}", &p, &cause), 0);
	assert_int_equal(p.ncases, 0);
	assert_int_equal(p.exit_code, -1);
	assert_int_equal(p.have_summary, 0);
	assert_int_equal(p.aborted, 0);
	results_post_clear(&p);

	/* null is absent for the optional fields. */
	assert_int_equal(post(" {\"tests\": [{\"name\": \"a\", \"status\": \"pass\","
	    " \"message\": null}], \"summary\": null, \"exit_code\": null,"
	    " \"aborted\": null}\n", &p, &cause), 0);
	assert_int_equal(p.ncases, 1);
	assert_string_equal(p.cases[0].message, "");
	assert_int_equal(p.exit_code, -1);
	results_post_clear(&p);

	/* Aborted, exit codes at both ends, a summary with only total. */
	assert_int_equal(post("{\"tests\": [], \"aborted\": true, \"exit_code\": 0,"
	    " \"summary\": {\"total\": 0}}", &p, &cause), 0);
	assert_int_equal(p.aborted, 1);
	assert_int_equal(p.exit_code, 0);
	assert_int_equal(p.have_summary, 1);
	results_state_from_post(&p, &st);
	assert_int_equal(results_outcome(&st, END_POST, 0, &code, &reason),
	    RESULT_ERROR);
	free(reason);
	results_post_clear(&p);
	assert_int_equal(post("{\"tests\": [], \"exit_code\": 255}", &p, &cause), 0);
	assert_int_equal(p.exit_code, 255);
	results_post_clear(&p);
	assert_int_equal(post("{\"tests\": [], \"exit_code\": 77}", &p, &cause), 0);
	results_state_from_post(&p, &st);
	assert_int_equal(results_outcome(&st, END_POST, 0, &code, &reason),
	    RESULT_SKIP);
	assert_int_equal(code, 77);
	free(reason);
	results_post_clear(&p);

	/* Brackets inside strings are not nesting. */
	assert_int_equal(post("{\"tests\": [{\"name\": \"[[[[[[[[[[{{{{{{{{{{\\\"[[[\","
	    " \"status\": \"pass\"}]}", &p, &cause), 0);
	assert_string_equal(p.cases[0].name, "[[[[[[[[[[{{{{{{{{{{\"[[[");
	results_post_clear(&p);
}

/* results_parse_post reads the bodies it can on a fast path of its own;
 * whatever it takes, jansson alone (results_parse_post_json) must read the
 * same way. */
static void
test_post_fast_same(void **unused)
{
	static const char *const bodies[] = {
		"{\"tests\":[]}",
		" {\"tests\": [{\"name\": \"a\", \"status\": \"pass\", \"message\": null}],"
		" \"summary\": null, \"exit_code\": null, \"aborted\": null}\n",
		"{\"aborted\": true, \"exit_code\": 0, \"summary\": {\"total\": 0},"
		" \"tests\": []}",
		"{\"exit_code\":255,\"tests\":[{\"status\":\"xpass\",\"name\":\"x\"}]}",
		"{\r\n\t\"tests\" : [ { \"message\" : \"line 1\\nline 2\\t\\u001b[0m"
		" \\u00e9\\u4E2D \\\"q\\\" \\\\ \\/ \\b\\f\\r caf\xc3\xa9 \xf0\x9f\x98\x80 \x7f\","
		" \"status\" : \"xfail\", \"name\" : \"sm\xc3\xb6rg\xc3\xa5s \\u00e9\\/\\\"\" } ,"
		" {\"name\":\"b\",\"status\":\"skip\",\"message\":null},"
		" {\"status\":\"info\",\"name\":\"\"} ] ,"
		" \"summary\" : {\"skipped\": null, \"total\": 3, \"failed\": 0,"
		" \"xfailed\": 1}, \"aborted\": false }",
		"{\"tests\": [{\"name\": \"[[[[{{{{\\\"[[\", \"status\": \"fail\"}],"
		" \"summary\": {\"total\": 999999999, \"failed\": 999999999}}",
		/* jansson takes these, the fast path leaves them to it */
		"{\"tests\": [{\"name\": \"\\ud83d\\ude00\", \"status\": \"pass\"}]}",
		"{\"tests\": [], \"summary\": {\"total\": 2147483647}, \"exit_code\": -0}",
	};
	struct results_post a, b;
	char *cause = NULL;
	size_t i, k;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(bodies); i++) {
		if (post(bodies[i], &a, &cause) != 0)
			fail_msg("%s: refused: %s", bodies[i], cause);
		assert_int_equal(results_parse_post_json(bodies[i], strlen(bodies[i]),
		    &b, &cause), 0);
		assert_int_equal(a.ncases, b.ncases);
		for (k = 0; k < a.ncases; k++) {
			assert_int_equal(a.cases[k].seq, b.cases[k].seq);
			assert_int_equal(a.cases[k].status, b.cases[k].status);
			assert_string_equal(a.cases[k].name, b.cases[k].name);
			assert_string_equal(a.cases[k].message, b.cases[k].message);
		}
		assert_int_equal(a.have_summary, b.have_summary);
		assert_int_equal(a.total, b.total);
		assert_int_equal(a.failed, b.failed);
		assert_int_equal(a.xfailed, b.xfailed);
		assert_int_equal(a.skipped, b.skipped);
		assert_int_equal(a.exit_code, b.exit_code);
		assert_int_equal(a.aborted, b.aborted);
		results_post_clear(&a);
		results_post_clear(&b);
	}
}

/* The limits, exactly at and just past them. */
static void
test_post_limits(void **unused)
{
	struct results_post p;
	struct buf b = { 0 };
	char *cause = NULL;
	size_t i;

	(void)unused;
	/* a name of 1024 bytes is fine, 1025 is not */
	for (i = 0; i < 2; i++) {
		size_t j;

		buf_reset(&b);
		buf_adds(&b, "{\"tests\": [{\"status\": \"pass\", \"name\": \"");
		for (j = 0; j < 1024 + i; j++)
			buf_addc(&b, 'n');
		buf_adds(&b, "\"}]}");
		assert_int_equal(post(b.data, &p, &cause), i ? -1 : 0);
		if (i) {
			assert_non_null(strstr(cause, "tests[0].name: longer than 1024 bytes"));
			free(cause);
		}
		results_post_clear(&p);
	}
	/* a message of 4096 bytes is fine, 4097 is not */
	for (i = 0; i < 2; i++) {
		size_t j;

		buf_reset(&b);
		buf_adds(&b, "{\"tests\": [{\"status\": \"pass\", \"name\": \"a\","
		    " \"message\": \"");
		for (j = 0; j < 4096 + i; j++)
			buf_addc(&b, 'm');
		buf_adds(&b, "\"}]}");
		assert_int_equal(post(b.data, &p, &cause), i ? -1 : 0);
		if (i) {
			assert_non_null(strstr(cause, "tests[0].message: longer than 4096 bytes"));
			free(cause);
		}
		results_post_clear(&p);
	}
	/* 10000 cases are fine, 10001 are not */
	for (i = 0; i < 2; i++) {
		size_t j;

		buf_reset(&b);
		buf_adds(&b, "{\"tests\": [");
		for (j = 0; j < RESULTS_MAX_CASES + i; j++)
			buf_printf(&b, "%s{\"name\":\"c%zu\",\"status\":\"pass\"}",
			    j ? "," : "", j);
		buf_adds(&b, "]}");
		assert_int_equal(post(b.data, &p, &cause), i ? -1 : 0);
		if (i) {
			assert_non_null(strstr(cause, "tests: 10001 test cases, more than 10000"));
			free(cause);
		} else {
			assert_int_equal(p.ncases, RESULTS_MAX_CASES);
			assert_string_equal(p.cases[9999].name, "c9999");
		}
		results_post_clear(&p);
	}
	/* a body over 1 MiB, whatever it holds */
	buf_reset(&b);
	buf_adds(&b, "{\"tests\": []}");
	while (b.len <= RESULTS_MAX_BODY)
		buf_addc(&b, ' ');
	assert_int_equal(post(b.data, &p, &cause), -1);
	assert_non_null(strstr(cause, "body: 1048577 bytes, more than 1048576"));
	free(cause);
	/* deep nesting is refused before parsing */
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_addc(&b, '[');
	for (i = 0; i < 100000; i++)
		buf_addc(&b, ']');
	assert_int_equal(post(b.data, &p, &cause), -1);
	assert_non_null(strstr(cause, "nested deeper than"));
	free(cause);
	buf_free(&b);
}

static void
test_post_bad(void **unused)
{
	static const struct {
		const char *body;
		const char *cause;
	} rows[] = {
		{ "", "body: not valid JSON" },
		{ "{", "body: not valid JSON" },
		{ "{\"tests\": []} x", "body: not valid JSON" },
		{ "{\"tests\": [], \"tests\": []}", "body: not valid JSON" },
		{ "{\"tests\": [{\"name\": \"a\\u0000b\", \"status\": \"pass\"}]}",
		    "body: not valid JSON" },
		{ "{\"tests\": [{\"name\": \"\xff\", \"status\": \"pass\"}]}",
		    "body: not valid JSON" },
		{ "[]", "body: not a JSON object" },
		{ "\"tests\"", "body: not a JSON object" },
		{ "{}", "tests: missing" },
		{ "{\"tests\": {}}", "tests: not an array" },
		{ "{\"tests\": null}", "tests: not an array" },
		{ "{\"tests\": [1]}", "tests[0]: not an object" },
		{ "{\"tests\": [{\"status\": \"pass\"}]}", "tests[0].name: missing" },
		{ "{\"tests\": [{\"name\": 5, \"status\": \"pass\"}]}",
		    "tests[0].name: not a string" },
		{ "{\"tests\": [{\"name\": null, \"status\": \"pass\"}]}",
		    "tests[0].name: not a string" },
		{ "{\"tests\": [{\"name\": \"a\\nb\", \"status\": \"pass\"}]}",
		    "tests[0].name: contains a control character" },
		{ "{\"tests\": [{\"name\": \"a\\u001bb\", \"status\": \"pass\"}]}",
		    "tests[0].name: contains a control character" },
		{ "{\"tests\": [{\"name\": \"a\", \"status\": \"pass\"}, {\"name\": \"b\"}]}",
		    "tests[1].status: missing" },
		{ "{\"tests\": [{\"name\": \"a\", \"status\": \"pass\"},"
		    " {\"name\": \"b\", \"status\": \"fail\"},"
		    " {\"name\": \"c\", \"status\": \"info\"},"
		    " {\"name\": \"d\", \"status\": \"maybe\"}]}",
		    "tests[3].status: \"maybe\" is not one of pass, fail, xpass, "
		    "xfail, skip, info" },
		{ "{\"tests\": [{\"name\": \"a\", \"status\": \"PASS\"}]}",
		    "tests[0].status: \"PASS\" is not one of" },
		{ "{\"tests\": [{\"name\": \"a\", \"status\": \"\"}]}",
		    "tests[0].status: \"\" is not one of" },
		{ "{\"tests\": [{\"name\": \"a\", \"status\": "
		    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\n\"}]}",
		    "tests[0].status: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is not one of" },
		{ "{\"tests\": [{\"name\": \"a\", \"status\": 1}]}",
		    "tests[0].status: not a string" },
		{ "{\"tests\": [{\"name\": \"a\", \"status\": \"pass\", \"message\": 5}]}",
		    "tests[0].message: not a string" },
		{ "{\"tests\": [{\"name\": \"a\", \"status\": \"pass\", \"seq\": 1}]}",
		    "tests[0].seq: unknown field" },
		{ "{\"tests\": [], \"foo\": 1}", "foo: unknown field" },
		{ "{\"tests\": [], \"f\\no\": 1}", "f?o: unknown field" },
		{ "{\"tests\": [], \"summary\": []}", "summary: not an object" },
		{ "{\"tests\": [], \"summary\": {}}", "summary.total: missing" },
		{ "{\"tests\": [], \"summary\": {\"total\": -1}}",
		    "summary.total: -1 is not in 0..2147483647" },
		{ "{\"tests\": [], \"summary\": {\"total\": 1099511627776}}",
		    "summary.total: 1099511627776 is not in 0..2147483647" },
		{ "{\"tests\": [], \"summary\": {\"total\": \"5\"}}",
		    "summary.total: not an integer" },
		{ "{\"tests\": [], \"summary\": {\"total\": 1.5}}",
		    "summary.total: not an integer" },
		{ "{\"tests\": [], \"summary\": {\"total\": 1, \"failed\": true}}",
		    "summary.failed: not an integer" },
		{ "{\"tests\": [], \"summary\": {\"total\": 1, \"skipped\": -2}}",
		    "summary.skipped: -2 is not in" },
		{ "{\"tests\": [], \"summary\": {\"total\": 1, \"xfailed\": 1, \"failed\": 1}}",
		    "summary: failed + xfailed + skipped (2) is more than total (1)" },
		{ "{\"tests\": [], \"summary\": {\"total\": 1, \"bogus\": 0}}",
		    "summary.bogus: unknown field" },
		{ "{\"tests\": [], \"exit_code\": 256}", "exit_code: 256 is not in 0..255" },
		{ "{\"tests\": [], \"exit_code\": -1}", "exit_code: -1 is not in 0..255" },
		{ "{\"tests\": [], \"exit_code\": \"0\"}", "exit_code: not an integer" },
		{ "{\"tests\": [], \"exit_code\": true}", "exit_code: not an integer" },
		{ "{\"tests\": [], \"exit_code\": 0.0}", "exit_code: not an integer" },
		{ "{\"tests\": [], \"aborted\": 1}", "aborted: not true or false" },
		{ "{\"tests\": [], \"aborted\": \"yes\"}", "aborted: not true or false" },
	};
	struct results_post p;
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		char *cause = NULL;

		memset(&p, 0xa5, sizeof(p));
		if (post(rows[i].body, &p, &cause) != -1)
			fail_msg("%s: accepted", rows[i].body);
		assert_non_null(cause);
		if (strstr(cause, rows[i].cause) == NULL)
			fail_msg("%s: cause \"%s\" lacks \"%s\"", rows[i].body, cause,
			    rows[i].cause);
		assert_null(strchr(cause, '\n'));
		/* a refused body leaves nothing to free */
		assert_int_equal(p.ncases, 0);
		assert_null(p.cases);
		free(cause);
		results_post_clear(&p);
	}

	/* A NUL byte inside the body's length. */
	{
		static const char body[] = "{\"tests\": []}\0";
		char *cause = NULL;

		assert_int_equal(results_parse_post(body, sizeof(body) - 1, &p,
		    &cause), -1);
		assert_non_null(strstr(cause, "body: not valid JSON"));
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_kinds),
		cmocka_unit_test(test_not_cases),
		cmocka_unit_test(test_sequence_and_counts),
		cmocka_unit_test(test_null_callback),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_exit_line),
		cmocka_unit_test(test_abort_lines),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_unterminated_escapes),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixtures_split),
		cmocka_unit_test(test_fixtures_line_ends),
		cmocka_unit_test(test_split_everything),
		cmocka_unit_test(test_random_binary),
		cmocka_unit_test(test_binary_with_lines),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_floods),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_outcome_unknown_end),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_post_good),
		cmocka_unit_test(test_post_fast_same),
		cmocka_unit_test(test_post_limits),
		cmocka_unit_test(test_post_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
