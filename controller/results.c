/*
 * results.c - the kvm-unit-tests console protocol and the results JSON.
 *
 * The console parser is a byte-at-a-time state machine, so a line split
 * across reads in any place (inside an escape sequence, between CR and LF)
 * parses exactly as if it had come whole. Bytes go through three stages:
 * escape removal (CSI, OSC and other string sequences, two-byte ESC
 * sequences, C0 control bytes; a tab becomes a space), line assembly into one fixed buffer of
 * RESULTS_MAX_LINE bytes (longer lines are cut, the rest dropped up to the
 * line end), and, once a line is complete, UTF-8 cleaning (invalid bytes
 * and C1 controls dropped, so every name is valid JSON) and matching
 * against the protocol's line kinds. Memory is bounded by the line buffer
 * and the work per byte is constant: binary garbage, NUL storms or an
 * escape sequence that never ends cannot stall it. A line end always ends
 * an escape sequence, whatever the sequence, so one lost terminator costs
 * at most one line.
 *
 * The lines recognised, at the start of a line after escape removal (what
 * lib/report.c in kvm-unit-tests prints, and what its run scripts grep):
 *   PASS: / FAIL: / XPASS: / XFAIL: / SKIP: / INFO: NAME, or the word alone
 *   SUMMARY: N tests[, M unexpected failures][, K expected failures][, S skipped]
 *   EXIT: STATUS=N
 *   ABORT: MESSAGE, and the other ways kvm-unit-tests dies through abort():
 *   "Unhandled exception ..." / "Unhandled cpu exception ..." (x86),
 *   "Unhandled vector ..." (arm64), "FILE:LINE: assert failed: ...".
 * A SUMMARY line that does not parse is ordinary output. The last SUMMARY
 * counts (it is the most complete), the first EXIT and the first abort
 * message count (the job ends there). The console protocol has no separate
 * message, so a console case's message is always "".
 *
 * results_outcome() turns what was seen and how the job ended into one of
 * the DESIGN.md outcomes; results_parse_post() checks a results POST.
 */
#include "results.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"

/* The deepest nesting a valid POST body has is 3 (body, tests, a case); a
 * little slack, and anything deeper is refused before jansson sees it. */
#define RESULTS_MAX_DEPTH 8
#define RESULTS_MAX_NAME 1024
#define RESULTS_MAX_MESSAGE 4096

/* kvm-unit-tests' abort() is exit(63): QEMU status / EXIT: STATUS= 127. */
#define ABORT_STATUS 127

/* Where the escape-removal stage is. */
enum esc_state {
	ESC_NONE,       /* ordinary text */
	ESC_START,      /* after ESC */
	ESC_INTER,      /* ESC, intermediate bytes, waiting for the final */
	ESC_CSI,        /* ESC [ parameters and intermediates */
	ESC_STRING,     /* OSC, DCS, SOS, PM, APC: up to BEL or ST */
	ESC_STRING_ESC, /* ESC inside a string: ST if '\' follows */
};

struct results_parser {
	results_case_cb on_case;
	void *arg;
	struct results_state st;
	enum esc_state esc;
	int after_cr;   /* the last line end was a CR: a LF now is its pair */
	int overflow;   /* the line reached RESULTS_MAX_LINE, the rest is dropped */
	size_t len;
	char line[RESULTS_MAX_LINE + 1];
};

static const char *const tc_status_names[] = {
	[TC_PASS] = "pass",
	[TC_FAIL] = "fail",
	[TC_XPASS] = "xpass",
	[TC_XFAIL] = "xfail",
	[TC_SKIP] = "skip",
	[TC_INFO] = "info",
};

static const char *const job_result_names[] = {
	[RESULT_PASS] = "pass",
	[RESULT_FAIL] = "fail",
	[RESULT_SKIP] = "skip",
	[RESULT_ERROR] = "error",
	[RESULT_INFRA] = "infra",
	[RESULT_TIMEOUT] = "timeout",
};

/* The case lines: the word the guest prints and the status it stands for. */
static const struct case_kind {
	const char *word;
	enum tc_status status;
} case_kinds[] = {
	{ "PASS", TC_PASS },
	{ "FAIL", TC_FAIL },
	{ "XPASS", TC_XPASS },
	{ "XFAIL", TC_XFAIL },
	{ "SKIP", TC_SKIP },
	{ "INFO", TC_INFO },
};

static void line_summary(struct results_parser *, const char *rest, const char *line);
static void line_exit(struct results_parser *, const char *rest, const char *line);
static void line_abort(struct results_parser *, const char *rest, const char *line);
static void line_crash(struct results_parser *, const char *rest, const char *line);

/* The other protocol lines, by the text they start with. */
static const struct line_rule {
	const char *prefix;
	void (*parse)(struct results_parser *, const char *rest, const char *line);
} line_rules[] = {
	{ "SUMMARY: ", line_summary },
	{ "EXIT: ", line_exit },
	{ "ABORT:", line_abort },
	{ "Unhandled exception", line_crash },
	{ "Unhandled cpu exception", line_crash },
	{ "Unhandled vector", line_crash },
};

/* The API name of a test case status. */
const char *
tc_status_name(enum tc_status s)
{
	if ((size_t)s >= ARRAY_SIZE(tc_status_names))
		return "unknown";
	return tc_status_names[s];
}

/* The status for an API name; exact, lower case. */
int
tc_status_parse(const char *name, enum tc_status *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tc_status_names); i++) {
		if (strcmp(name, tc_status_names[i]) == 0) {
			*out = (enum tc_status)i;
			return 0;
		}
	}
	return -1;
}

/* The API name of a job result. */
const char *
job_result_name(enum job_result r)
{
	if ((size_t)r >= ARRAY_SIZE(job_result_names))
		return "unknown";
	return job_result_names[r];
}

/* Adds one to a counter that must not overflow on an endless console. */
static void
count(int *n)
{
	if (*n < INT_MAX)
		(*n)++;
}

/* Reads a decimal number of at most INT_MAX at *pp and moves past it;
 * 0, or -1 when there is none or it is too big. */
static int
read_number(const char **pp, int *out)
{
	const char *p = *pp;
	long long n = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (*p++ - '0');
		if (n > INT_MAX)
			return -1;
	}
	*out = (int)n;
	*pp = p;
	return 0;
}

/* True when only spaces are left. */
static int
blank(const char *p)
{
	while (*p == ' ')
		p++;
	return *p == '\0';
}

/* Matches "WORD: rest", "WORD:" or "WORD" alone at the start of line;
 * *rest is the name ("" for the last two). 0 on a match, -1 otherwise. */
static int
match_word(const char *line, const char *word, const char **rest)
{
	size_t n = strlen(word);

	if (strncmp(line, word, n) != 0)
		return -1;
	line += n;
	if (line[0] == ':' && line[1] == ' ') {
		*rest = line + 2;
		return 0;
	}
	if ((line[0] == ':' && blank(line + 1)) || blank(line)) {
		*rest = "";
		return 0;
	}
	return -1;
}

/* The counts a SUMMARY line may carry after its test count. */
enum { SUM_FAILED, SUM_XFAILED, SUM_SKIPPED, SUM_COUNTS };

/* A SUMMARY clause after the test count: ", N <what>". */
static const struct summary_clause {
	const char *what;
	int which;
} summary_clauses[] = {
	{ "unexpected failures", SUM_FAILED },
	{ "unexpected failure", SUM_FAILED },
	{ "expected failures", SUM_XFAILED },
	{ "expected failure", SUM_XFAILED },
	{ "skipped", SUM_SKIPPED },
};

/* "SUMMARY: N tests[, M unexpected failures][, K expected failures]
 * [, S skipped]", clauses in any order; unknown clauses are skipped so a
 * newer guest's additions do not hide the counts. A line whose count does
 * not parse is not a summary. */
static void
line_summary(struct results_parser *p, const char *rest, const char *line)
{
	int counts[SUM_COUNTS] = { 0 };
	const char *s = rest;
	size_t i;
	int total, n;

	(void)line;
	if (read_number(&s, &total) != 0)
		return;
	if (strncmp(s, " tests", 6) == 0)
		s += 6;
	else if (strncmp(s, " test", 5) == 0)
		s += 5;
	else
		return;
	while (*s == ',') {
		s++;
		while (*s == ' ')
			s++;
		if (read_number(&s, &n) != 0 || *s != ' ') {
			s += strcspn(s, ",");
			continue;
		}
		s++;
		for (i = 0; i < ARRAY_SIZE(summary_clauses); i++) {
			size_t len = strlen(summary_clauses[i].what);

			if (strncmp(s, summary_clauses[i].what, len) == 0 &&
			    (s[len] == ',' || s[len] == ' ' || s[len] == '\0')) {
				counts[summary_clauses[i].which] = n;
				s += len;
				break;
			}
		}
		s += strcspn(s, ",");
	}
	if (!blank(s))
		return;
	p->st.summary_seen = 1;
	p->st.sum_total = total;
	p->st.sum_failed = counts[SUM_FAILED];
	p->st.sum_xfailed = counts[SUM_XFAILED];
	p->st.sum_skipped = counts[SUM_SKIPPED];
}

/* "EXIT: STATUS=N"; the first one counts, the job ends there. */
static void
line_exit(struct results_parser *p, const char *rest, const char *line)
{
	int status;

	(void)line;
	if (strncmp(rest, "STATUS=", 7) != 0)
		return;
	rest += 7;
	if (read_number(&rest, &status) != 0 || !blank(rest))
		return;
	if (p->st.exit_seen)
		return;
	p->st.exit_seen = 1;
	p->st.exit_status = status;
}

/* Notes an abort; the first message is the one that explains it. */
static void
note_abort(struct results_parser *p, const char *message)
{
	p->st.abort_seen = 1;
	if (p->st.abort_message == NULL)
		p->st.abort_message = xstrdup(message);
}

/* "ABORT: prefix: message" from report_abort(). */
static void
line_abort(struct results_parser *p, const char *rest, const char *line)
{
	(void)line;
	while (*rest == ' ')
		rest++;
	note_abort(p, rest);
}

/* An unhandled exception dump: kvm-unit-tests prints it and calls abort().
 * The whole line is the message ("Unhandled exception 13 #GP(0) at ..."). */
static void
line_crash(struct results_parser *p, const char *rest, const char *line)
{
	/* "Unhandled exception" must be followed by a word break, so that a
	 * test's "Unhandled exceptions: 0" is not an abort. */
	if (*rest != ' ' && *rest != '\0')
		return;
	note_abort(p, line);
}

/* "FILE:LINE: assert failed: ..." from kvm-unit-tests' assert(). */
static int
is_assert_line(const char *line)
{
	size_t file = strcspn(line, ": ");
	const char *s = line + file;
	int n;

	if (file == 0 || *s != ':')
		return 0;
	s++;
	if (read_number(&s, &n) != 0)
		return 0;
	return strncmp(s, ": assert failed:", 16) == 0;
}

/* Reports one case line to the callback and counts it. */
static void
emit_case(struct results_parser *p, enum tc_status status, const char *name)
{
	struct results_state *st = &p->st;
	struct testcase tc;
	int *const counters[] = {
		[TC_PASS] = &st->npass,
		[TC_FAIL] = &st->nfail,
		[TC_XPASS] = &st->nxpass,
		[TC_XFAIL] = &st->nxfail,
		[TC_SKIP] = &st->nskip,
		[TC_INFO] = &st->ninfo,
	};

	count(&st->ncases);
	count(counters[status]);
	tc.seq = st->ncases;
	tc.status = status;
	tc.name = (char *)name;
	tc.message = (char *)"";
	if (p->on_case != NULL)
		p->on_case(p->arg, &tc);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;      /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;      /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;      /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;      /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	/* C1 controls (U+0080..U+009F) are control bytes too. */
	if (s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return len;
}

/* Drops invalid UTF-8 in place; the result is valid for JSON. Returns the
 * new length. Invalid bytes go one at a time, so the valid text around a
 * stray byte is kept. */
static size_t
utf8_clean(char *buf, size_t len)
{
	unsigned char *s = (unsigned char *)buf;
	size_t in = 0, out = 0, n;

	while (in < len) {
		n = utf8_len(s + in, len - in);
		if (n == 0) {
			in++;
			continue;
		}
		memmove(s + out, s + in, n);
		in += n;
		out += n;
	}
	s[out] = '\0';
	return out;
}

/* A complete line: cleans it and matches it against the protocol. */
static void
parse_line(struct results_parser *p)
{
	const char *line = p->line;
	const char *rest;
	size_t i;

	p->len = utf8_clean(p->line, p->len);
	for (i = 0; i < ARRAY_SIZE(case_kinds); i++) {
		if (match_word(line, case_kinds[i].word, &rest) == 0) {
			emit_case(p, case_kinds[i].status, rest);
			return;
		}
	}
	for (i = 0; i < ARRAY_SIZE(line_rules); i++) {
		size_t n = strlen(line_rules[i].prefix);

		if (strncmp(line, line_rules[i].prefix, n) == 0) {
			line_rules[i].parse(p, line + n, line);
			return;
		}
	}
	if (is_assert_line(line))
		note_abort(p, line);
}

/* A line end (or the end of output): parses what was gathered. */
static void
end_line(struct results_parser *p)
{
	if (p->len > 0)
		parse_line(p);
	p->len = 0;
	p->overflow = 0;
	p->line[0] = '\0';
}

/* Adds one visible byte to the line, cutting it at RESULTS_MAX_LINE. */
static void
add_byte(struct results_parser *p, unsigned char c)
{
	if (p->len >= RESULTS_MAX_LINE) {
		p->overflow = 1;
		return;
	}
	p->line[p->len++] = (char)c;
}

/* One byte of text outside escape sequences. */
static void
text_byte(struct results_parser *p, unsigned char c)
{
	if (c == 0x1b) {
		p->esc = ESC_START;
		return;
	}
	if (c == '\t')
		c = ' ';
	if (c < 0x20 || c == 0x7f)
		return;
	add_byte(p, c);
}

/* One byte inside an escape sequence; returns 1 when the byte was not part
 * of the sequence and must be read again as text. */
static int
esc_byte(struct results_parser *p, unsigned char c)
{
	if (p->esc == ESC_STRING_ESC) {
		if (c == '\\') {
			p->esc = ESC_NONE;      /* ST ends the string */
			return 0;
		}
		p->esc = ESC_START;     /* not ST: the ESC starts a new sequence */
	}
	if (p->esc == ESC_STRING) {
		if (c == 0x07)
			p->esc = ESC_NONE;
		else if (c == 0x1b)
			p->esc = ESC_STRING_ESC;
		return 0;
	}
	if (c == 0x1b) {
		p->esc = ESC_START;
		return 0;
	}
	if (c < 0x20 || c == 0x7f)
		return 0;       /* C0 controls inside a sequence: dropped */
	if (c >= 0x80) {
		p->esc = ESC_NONE;
		return 1;       /* not a sequence after all */
	}
	switch (p->esc) {
	case ESC_START:
		if (c == '[')
			p->esc = ESC_CSI;
		else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
			p->esc = ESC_STRING;
		else if (c >= 0x20 && c <= 0x2f)
			p->esc = ESC_INTER;
		else
			p->esc = ESC_NONE;      /* two-byte sequence */
		break;
	case ESC_INTER:
		if (c >= 0x30)
			p->esc = ESC_NONE;
		break;
	case ESC_CSI:
		if (c >= 0x40)
			p->esc = ESC_NONE;
		break;
	default:
		p->esc = ESC_NONE;
		break;
	}
	return 0;
}

/* A parser at the start of a console; on_case may be NULL. */
struct results_parser *
results_new(results_case_cb on_case, void *arg)
{
	struct results_parser *p = xcalloc(1, sizeof(*p));

	p->on_case = on_case;
	p->arg = arg;
	return p;
}

/* Frees the parser and its state (abort_message with it). */
void
results_free(struct results_parser *p)
{
	if (p == NULL)
		return;
	free(p->st.abort_message);
	free(p);
}

/* Takes console bytes as they came; cases are reported as lines end. */
void
results_feed(struct results_parser *p, const void *data, size_t len)
{
	const unsigned char *s = data;
	size_t i;

	if (len > 0) {
		p->st.any_output = 1;
		p->st.partial_line = 0;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '\n' || c == '\r') {
			/* A line end ends any escape sequence too. */
			p->esc = ESC_NONE;
			if (c == '\n' && p->after_cr) {
				p->after_cr = 0;
				continue;
			}
			p->after_cr = c == '\r';
			end_line(p);
			continue;
		}
		p->after_cr = 0;
		if (p->esc != ESC_NONE && !esc_byte(p, c))
			continue;
		text_byte(p, c);
	}
}

/* The output has ended: parses and notes a pending partial line. Calling it
 * again is harmless; feeding more output afterwards goes on parsing. */
void
results_finish(struct results_parser *p)
{
	size_t i;

	/* Only visible text makes a partial line: a prompt's trailing blanks
	 * or colour reset do not. It stays noted until more output comes. */
	if (p->overflow)
		p->st.partial_line = 1;
	for (i = 0; i < p->len; i++)
		if (p->line[i] != ' ')
			p->st.partial_line = 1;
	end_line(p);
	p->esc = ESC_NONE;
	p->after_cr = 0;
}

/* What was seen so far; valid until the next feed or the free. */
const struct results_state *
results_state(const struct results_parser *p)
{
	return &p->st;
}

/*
 * Outcomes.
 */

/* Test counts as the verdict sees them: from SUMMARY, else from the cases. */
struct tally {
	int from_summary;
	int total, failed, xfailed, skipped;
};

static struct tally
tally_of(const struct results_state *st)
{
	struct tally t = { 0 };
	long long total;

	if (st->summary_seen) {
		t.from_summary = 1;
		t.total = st->sum_total;
		t.failed = st->sum_failed;
		t.xfailed = st->sum_xfailed;
		t.skipped = st->sum_skipped;
		return t;
	}
	/* As report.c counts: XPASS is an unexpected failure. */
	total = (long long)st->npass + st->nfail + st->nxpass + st->nxfail +
	    st->nskip;
	t.total = total > INT_MAX ? INT_MAX : (int)total;
	t.failed = st->nfail > INT_MAX - st->nxpass ? INT_MAX : st->nfail + st->nxpass;
	t.xfailed = st->nxfail;
	t.skipped = st->nskip;
	return t;
}

/* Appends "N thing" or "N things". */
static void
add_count(struct buf *b, int n, const char *one, const char *many)
{
	buf_printf(b, "%d %s", n, n == 1 ? one : many);
}

/* Appends what the run printed: the SUMMARY counts, else the cases seen. */
static void
add_tally(struct buf *b, const struct results_state *st)
{
	struct tally t = tally_of(st);

	if (!st->any_output) {
		buf_adds(b, "nothing printed");
		return;
	}
	if (t.from_summary)
		add_count(b, t.total, "test", "tests");
	else if (t.total == 0) {
		buf_adds(b, "no test case seen, no SUMMARY");
		return;
	} else
		add_count(b, t.total, "test case seen", "test cases seen");
	if (t.failed > 0) {
		buf_adds(b, ", ");
		add_count(b, t.failed, "unexpected failure", "unexpected failures");
	}
	if (t.xfailed > 0) {
		buf_adds(b, ", ");
		add_count(b, t.xfailed, "expected failure", "expected failures");
	}
	if (t.skipped > 0)
		buf_printf(b, ", %d skipped", t.skipped);
	if (!t.from_summary)
		buf_adds(b, ", no SUMMARY");
}

/* The verdict from counts alone, as report_summary() gives it: failures
 * fail, a run where every test skipped is skipped (0 tests too, but only
 * from a SUMMARY: no cases and no SUMMARY is not "all skipped"). */
static enum job_result
tally_verdict(const struct tally *t)
{
	if (t->failed > 0)
		return RESULT_FAIL;
	if (t->total == t->skipped && (t->from_summary || t->total > 0))
		return RESULT_SKIP;
	return RESULT_PASS;
}

/* "the test aborted[ (detail)]: message" */
static enum job_result
aborted(const struct results_state *st, const char *detail, struct buf *why)
{
	buf_adds(why, "the test aborted");
	if (detail != NULL)
		buf_printf(why, " (%s)", detail);
	if (st->abort_message != NULL && st->abort_message[0] != '\0')
		buf_printf(why, ": %s", st->abort_message);
	buf_adds(why, "; ");
	add_tally(why, st);
	return RESULT_ERROR;
}

/* The verdict from a program's exit code: 0 pass, 77 skip, other fail.
 * kvm-unit-tests' own report_summary() returns 77 >> 1 = 38 when every
 * test skipped (its scripts then see status 77), so 38 with a SUMMARY
 * saying so is a skip too: its EFI binaries run here unchanged. */
static enum job_result
code_verdict(const struct results_state *st, int code, struct buf *why)
{
	struct tally t = tally_of(st);
	enum job_result r;

	buf_printf(why, "exit code %d", code);
	if (code == 0)
		r = RESULT_PASS;
	else if (code == 77)
		r = RESULT_SKIP;
	else if (code == (77 >> 1) && t.from_summary && t.total == t.skipped) {
		buf_adds(why, " (kvm-unit-tests' status 77: every test skipped)");
		r = RESULT_SKIP;
	} else
		r = RESULT_FAIL;
	buf_adds(why, ": ");
	add_tally(why, st);
	return r;
}

/* Where an exit status came from, for the reason: "EXIT: STATUS=3". */
static const char *const status_labels[] = {
	[END_EXIT_LINE] = "EXIT: STATUS=",
	[END_QEMU_EXIT] = "QEMU exit status ",
};

/* An exit status as kvm-unit-tests' exit() makes it, (code << 1) | 1, from
 * an EXIT: line or QEMU's isa-debug-exit (from says which). */
static enum job_result
status_verdict(const struct results_state *st, int status, enum end_reason from,
    int *exit_code, struct buf *why)
{
	char label[48], detail[96];

	snprintf(label, sizeof(label), "%s%d", status_labels[from], status);
	if (status < 0 || (status & 1) == 0) {
		buf_printf(why, "%s is not a test's exit status "
		    "((code << 1) | 1); ", label);
		add_tally(why, st);
		return RESULT_ERROR;
	}
	*exit_code = status >> 1;
	snprintf(detail, sizeof(detail), "exit code %d, %s", *exit_code, label);
	if (st->abort_seen || status == ABORT_STATUS)
		return aborted(st, detail, why);
	return code_verdict(st, *exit_code, why);
}

/* The verdict from the SUMMARY line alone (no exit code known). */
static enum job_result
summary_verdict(const struct results_state *st, const char *how, struct buf *why)
{
	struct tally t = tally_of(st);
	enum job_result r = tally_verdict(&t);

	buf_printf(why, "%s, the verdict is from SUMMARY: ", how);
	add_tally(why, st);
	return r;
}

/* EXIT: STATUS=N on the console. */
static enum job_result
outcome_exit_line(const struct results_state *st, int status, int *exit_code,
    struct buf *why)
{
	return status_verdict(st, status, END_EXIT_LINE, exit_code, why);
}

/* The results POST (the state comes from results_state_from_post). */
static enum job_result
outcome_post(const struct results_state *st, int status, int *exit_code,
    struct buf *why)
{
	struct tally t = tally_of(st);
	enum job_result r;

	(void)status;
	buf_adds(why, "results POST: ");
	if (st->exit_seen) {
		*exit_code = st->exit_status >> 1;
		if (st->abort_seen)
			return aborted(st, NULL, why);
		return code_verdict(st, *exit_code, why);
	}
	if (st->abort_seen)
		return aborted(st, NULL, why);
	if (st->summary_seen)
		return summary_verdict(st, "no exit_code", why);
	if (t.total == 0) {
		buf_adds(why, "no exit_code, no summary and no test case: "
		    "nothing to judge the test by");
		return RESULT_ERROR;
	}
	r = tally_verdict(&t);
	buf_adds(why, "no exit_code, the verdict is from the test cases: ");
	add_tally(why, st);
	return r;
}

/* QEMU exited with status s. */
static enum job_result
outcome_qemu(const struct results_state *st, int status, int *exit_code,
    struct buf *why)
{
	if (status < 0 || status > 255) {
		buf_printf(why, "QEMU ended abnormally (status %d); ", status);
		add_tally(why, st);
		return RESULT_ERROR;
	}
	if (status != 0)
		return status_verdict(st, status, END_QEMU_EXIT, exit_code, why);
	/* 0: QEMU's own exit, the machine shut down or reset (-no-reboot). */
	if (st->exit_seen)
		return status_verdict(st, st->exit_status, END_EXIT_LINE,
		    exit_code, why);
	if (st->abort_seen)
		return aborted(st, "then QEMU exited with status 0", why);
	if (st->summary_seen)
		return summary_verdict(st, "QEMU exited with status 0", why);
	buf_adds(why, "the machine stopped before SUMMARY");
	if (st->partial_line)
		buf_adds(why, " and the output ends mid-test, in the middle of a line");
	buf_adds(why, " (QEMU exit status 0); ");
	add_tally(why, st);
	return RESULT_ERROR;
}

/* The app returned rc to iPXE or farmboot. */
static enum job_result
outcome_returned(const struct results_state *st, int rc, int *exit_code,
    struct buf *why)
{
	struct tally t = tally_of(st);
	enum job_result r;

	if (st->exit_seen)
		return status_verdict(st, st->exit_status, END_EXIT_LINE,
		    exit_code, why);
	*exit_code = rc;
	if (st->abort_seen)
		return aborted(st, "then the app returned", why);
	if (rc != 0) {
		buf_printf(why, "the app returned status %d without a result; ", rc);
		add_tally(why, st);
		return RESULT_ERROR;
	}
	if (st->summary_seen)
		return summary_verdict(st, "the app returned 0", why);
	if (st->partial_line) {
		buf_adds(why, "the app returned 0 but the output ends mid-test, "
		    "in the middle of a line; ");
		add_tally(why, st);
		return RESULT_ERROR;
	}
	r = tally_verdict(&t);
	buf_adds(why, "the app returned 0 without SUMMARY, the verdict is from "
	    "the test cases: ");
	add_tally(why, st);
	return r;
}

/* The test-end deadline passed. */
static enum job_result
outcome_timeout(const struct results_state *st, int status, int *exit_code,
    struct buf *why)
{
	(void)status;
	(void)exit_code;
	buf_adds(why, "no result before the deadline: ");
	add_tally(why, st);
	if (st->partial_line)
		buf_adds(why, ", the output ends in the middle of a line");
	return RESULT_TIMEOUT;
}

typedef enum job_result (*outcome_fn)(const struct results_state *, int,
    int *, struct buf *);

static const outcome_fn outcome_fns[] = {
	[END_EXIT_LINE] = outcome_exit_line,
	[END_POST] = outcome_post,
	[END_QEMU_EXIT] = outcome_qemu,
	[END_RETURNED] = outcome_returned,
	[END_TIMEOUT] = outcome_timeout,
};

/* One result per job from what was seen and how the job ended; an abort
 * outweighs the deadline (the machine hung after aborting). */
enum job_result
results_outcome(const struct results_state *st, enum end_reason end,
    int status, int *exit_code, char **reason)
{
	struct buf why = { 0 };
	enum job_result r;

	*exit_code = -1;
	if ((size_t)end >= ARRAY_SIZE(outcome_fns) || outcome_fns[end] == NULL) {
		buf_printf(&why, "unknown end of job %d", (int)end);
		r = RESULT_ERROR;
	} else if (st->abort_seen && end == END_TIMEOUT) {
		/* An abort that hung the machine: the abort is the news. */
		r = aborted(st, "then nothing until the deadline", &why);
	} else
		r = outcome_fns[end](st, status, exit_code, &why);
	*reason = buf_steal(&why);
	return r;
}

/*
 * The results POST.
 */

/* Sets *cause to a message naming the field; returns -1. */
static int __attribute__((format(printf, 2, 3)))
post_error(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*cause = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* Shows a string the guest sent inside a message: at most 40 bytes,
 * control bytes and quotes as '?', in quotes when quoted. Caller frees. */
static char *
show_value(const char *s, int quoted)
{
	struct buf b = { 0 };
	size_t i;

	buf_adds(&b, quoted ? "\"" : "");
	for (i = 0; s[i] != '\0' && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_addc(&b, c < 0x20 || c == 0x7f || c == '"' ? '?' : (char)c);
	}
	if (s[i] != '\0')
		buf_adds(&b, "...");
	if (quoted)
		buf_addc(&b, '"');
	return buf_steal(&b);
}

/* Refuses JSON nested deeper than RESULTS_MAX_DEPTH before it is parsed,
 * counting brackets outside strings. 0 or -1. */
static int
check_depth(const char *body, size_t len)
{
	int depth = 0, in_string = 0, escaped = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = body[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"')
			in_string = 1;
		else if (c == '[' || c == '{') {
			if (++depth > RESULTS_MAX_DEPTH)
				return -1;
		} else if (c == ']' || c == '}')
			depth--;
	}
	return 0;
}

/* Rejects any key of obj not in allowed (NULL-terminated). */
static int
check_keys(json_t *obj, const char *const *allowed, const char *where,
    char **cause)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			char *q = show_value(key, 0);
			int rc = post_error(cause, "%s%s: unknown field", where, q);

			free(q);
			return rc;
		}
	}
	return 0;
}

/* Reads an optional integer field in [min, max]; null is absent. */
static int
get_int(json_t *obj, const char *key, const char *where, long long min,
    long long max, int *present, int *out, char **cause)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	*present = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return post_error(cause, "%s%s: not an integer", where, key);
	n = json_integer_value(v);
	if (n < min || n > max)
		return post_error(cause, "%s%s: %lld is not in %lld..%lld",
		    where, key, (long long)n, min, max);
	*out = (int)n;
	*present = 1;
	return 0;
}

/* Checks a UTF-8 string (jansson has checked the encoding) for control
 * characters. */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* One element of "tests". */
static int
parse_case(json_t *v, size_t i, struct testcase *tc, char **cause)
{
	static const char *const keys[] = { "name", "status", "message", NULL };
	char where[48];
	json_t *name, *status, *message;

	snprintf(where, sizeof(where), "tests[%zu].", i);
	if (!json_is_object(v))
		return post_error(cause, "tests[%zu]: not an object", i);
	if (check_keys(v, keys, where, cause) != 0)
		return -1;

	name = json_object_get(v, "name");
	if (name == NULL)
		return post_error(cause, "%sname: missing", where);
	if (!json_is_string(name))
		return post_error(cause, "%sname: not a string", where);
	if (json_string_length(name) > RESULTS_MAX_NAME)
		return post_error(cause, "%sname: longer than %d bytes", where,
		    RESULTS_MAX_NAME);
	if (strlen(json_string_value(name)) != json_string_length(name) ||
	    has_control(json_string_value(name)))
		return post_error(cause, "%sname: contains a control character",
		    where);

	status = json_object_get(v, "status");
	if (status == NULL)
		return post_error(cause, "%sstatus: missing", where);
	if (!json_is_string(status))
		return post_error(cause, "%sstatus: not a string", where);
	if (tc_status_parse(json_string_value(status), &tc->status) != 0) {
		char *q = show_value(json_string_value(status), 1);
		int rc = post_error(cause, "%sstatus: %s is not one of pass, "
		    "fail, xpass, xfail, skip, info", where, q);

		free(q);
		return rc;
	}

	message = json_object_get(v, "message");
	if (message != NULL && !json_is_null(message)) {
		if (!json_is_string(message))
			return post_error(cause, "%smessage: not a string", where);
		if (json_string_length(message) > RESULTS_MAX_MESSAGE)
			return post_error(cause, "%smessage: longer than %d bytes",
			    where, RESULTS_MAX_MESSAGE);
	}

	tc->seq = (int)i + 1;
	tc->name = xstrdup(json_string_value(name));
	tc->message = xstrdup(message != NULL && json_is_string(message) ?
	    json_string_value(message) : "");
	return 0;
}

/* The "summary" object. */
static int
parse_summary(json_t *sum, struct results_post *out, char **cause)
{
	static const char *const keys[] = { "total", "failed", "xfailed",
		"skipped", NULL };
	int present;

	if (json_is_null(sum))
		return 0;
	if (!json_is_object(sum))
		return post_error(cause, "summary: not an object");
	if (check_keys(sum, keys, "summary.", cause) != 0)
		return -1;
	if (get_int(sum, "total", "summary.", 0, INT_MAX, &present, &out->total,
	    cause) != 0)
		return -1;
	if (!present)
		return post_error(cause, "summary.total: missing");
	if (get_int(sum, "failed", "summary.", 0, INT_MAX, &present,
	    &out->failed, cause) != 0 ||
	    get_int(sum, "xfailed", "summary.", 0, INT_MAX, &present,
	    &out->xfailed, cause) != 0 ||
	    get_int(sum, "skipped", "summary.", 0, INT_MAX, &present,
	    &out->skipped, cause) != 0)
		return -1;
	if ((long long)out->failed + out->xfailed + out->skipped > out->total)
		return post_error(cause, "summary: failed + xfailed + skipped "
		    "(%lld) is more than total (%d)",
		    (long long)out->failed + out->xfailed + out->skipped,
		    out->total);
	out->have_summary = 1;
	return 0;
}

/* Checks the parsed body against docs/api.md and fills out. */
static int
parse_body(json_t *root, struct results_post *out, char **cause)
{
	static const char *const keys[] = { "tests", "summary", "exit_code",
		"aborted", NULL };
	json_t *tests, *v;
	size_t i, n;
	int present;

	if (!json_is_object(root))
		return post_error(cause, "body: not a JSON object");
	if (check_keys(root, keys, "", cause) != 0)
		return -1;

	tests = json_object_get(root, "tests");
	if (tests == NULL)
		return post_error(cause, "tests: missing");
	if (!json_is_array(tests))
		return post_error(cause, "tests: not an array");
	n = json_array_size(tests);
	if (n > RESULTS_MAX_CASES)
		return post_error(cause, "tests: %zu test cases, more than %d", n,
		    RESULTS_MAX_CASES);
	out->cases = xcalloc(n, sizeof(*out->cases));
	json_array_foreach(tests, i, v) {
		if (parse_case(v, i, &out->cases[i], cause) != 0)
			return -1;
		out->ncases++;
	}

	v = json_object_get(root, "summary");
	if (v != NULL && parse_summary(v, out, cause) != 0)
		return -1;
	if (get_int(root, "exit_code", "", 0, 255, &present, &out->exit_code,
	    cause) != 0)
		return -1;
	if (!present)
		out->exit_code = -1;
	v = json_object_get(root, "aborted");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return post_error(cause, "aborted: not true or false");
		out->aborted = json_is_true(v);
	}
	return 0;
}

/*
 * The fast path of a results POST. jansson builds a tree of objects for the
 * whole body (a hash table per case) and reads it a byte at a time through
 * its stream layer; that was most of a POST's time. fast_post reads the
 * body once, in place, and accepts only what the jansson path would accept
 * with the same result: a well-formed object of the documented shape,
 * every key known and given once, strings valid UTF-8 with no \u0000 and
 * no surrogate escapes, integers plain and small, every value within the
 * checks of parse_body. Anything else, valid or not, makes it decline,
 * and the body goes to the jansson path, which gives the answer and the
 * error message. So errors never come from here, and a body accepted here
 * is one that parse_body would have accepted the same way (the fuzz
 * harness and the unit tests compare the two).
 */
struct fast {
	const char *p, *end;
};

static void
fast_ws(struct fast *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' ||
	    *f->p == '\r'))
		f->p++;
}

/* Skips whitespace and takes c; 0, or -1 when the next byte is not c. */
static int
fast_take(struct fast *f, char c)
{
	fast_ws(f);
	if (f->p == f->end || *f->p != c)
		return -1;
	f->p++;
	return 0;
}

/* Takes the literal word w (null, true, false). */
static int
fast_word(struct fast *f, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(f->end - f->p) < n || memcmp(f->p, w, n) != 0)
		return -1;
	f->p += n;
	return 0;
}

/* The length of the well-formed UTF-8 sequence at s (of n bytes, s[0] >=
 * 0x80), 0 when it is not one: no overlong forms, no surrogates, nothing
 * above U+10FFFF. */
static size_t
fast_utf8(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static int
fast_hex(const char *s, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/*
 * Reads a string (after skipping whitespace) of at most max bytes, in raw
 * form, so that its decoded form is at most max bytes too. Returns a copy
 * (caller frees), its decoded length in *len, or NULL to decline.
 */
static char *
fast_string(struct fast *f, size_t max, size_t *len)
{
	const char *start, *q;
	char *out, *o;
	int escaped = 0;

	if (fast_take(f, '"') < 0)
		return NULL;
	start = f->p;
	for (q = start; q < f->end && *q != '"'; q++) {
		if (*q == '\\') {
			escaped = 1;
			if (++q == f->end)
				return NULL;
		}
		if ((size_t)(q - start) >= max)
			return NULL;
	}
	if (q == f->end)
		return NULL;
	f->p = q + 1;
	out = o = xmalloc((size_t)(q - start) + 1);
	for (q = start; *q != '"';) {
		unsigned char c = (unsigned char)*q;
		unsigned u;
		size_t n;

		if (c < 0x20)
			goto decline;
		if (c >= 0x80) {
			if ((n = fast_utf8((const unsigned char *)q,
			    (size_t)(f->p - 1 - q))) == 0)
				goto decline;
			memcpy(o, q, n);
			o += n;
			q += n;
			continue;
		}
		if (c != '\\' || !escaped) {
			*o++ = (char)c;
			q++;
			continue;
		}
		switch (q[1]) {
		case '"': case '\\': case '/':
			*o++ = q[1];
			break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			/* 6 raw bytes give at most 3: still within the copy. */
			if (f->p - 1 - q < 6 || fast_hex(q + 2, &u) < 0 || u == 0 ||
			    (u >= 0xd800 && u <= 0xdfff))
				goto decline;
			if (u < 0x80)
				*o++ = (char)u;
			else if (u < 0x800) {
				*o++ = (char)(0xc0 | (u >> 6));
				*o++ = (char)(0x80 | (u & 0x3f));
			} else {
				*o++ = (char)(0xe0 | (u >> 12));
				*o++ = (char)(0x80 | ((u >> 6) & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			}
			q += 6;
			continue;
		default:
			goto decline;
		}
		q += 2;
	}
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
decline:
	free(out);
	return NULL;
}

/* Reads a key and its ':'; the index of the key in keys (NULL-terminated),
 * or -1 to decline (not one of them, or already seen in *seen). */
static int
fast_key(struct fast *f, const char *const *keys, unsigned *seen)
{
	size_t len;
	char *k = fast_string(f, 16, &len);
	int i;

	if (k == NULL)
		return -1;
	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(k, keys[i]) == 0)
			break;
	free(k);
	if (keys[i] == NULL || (*seen & (1u << i)) || fast_take(f, ':') < 0)
		return -1;
	*seen |= 1u << i;
	return i;
}

/* Reads an integer in 0..999999999 or null (*present 0); -1 declines. */
static int
fast_int(struct fast *f, int *out, int *present)
{
	int v = 0, n = 0;

	fast_ws(f);
	*present = 0;
	if (fast_word(f, "null") == 0)
		return 0;
	if (f->p < f->end && *f->p == '0' && f->end - f->p > 1 &&
	    f->p[1] >= '0' && f->p[1] <= '9')
		return -1;
	while (f->p < f->end && *f->p >= '0' && *f->p <= '9') {
		if (++n > 9)
			return -1;
		v = v * 10 + (*f->p++ - '0');
	}
	if (n == 0 || (f->p < f->end && (*f->p == '.' || *f->p == 'e' ||
	    *f->p == 'E')))
		return -1;
	*out = v;
	*present = 1;
	return 0;
}

/* Reads ',' (1: another member follows) or the closing c (0); -1 declines. */
static int
fast_next(struct fast *f, char c)
{
	fast_ws(f);
	if (f->p == f->end)
		return -1;
	if (*f->p == ',') {
		f->p++;
		return 1;
	}
	if (*f->p == c) {
		f->p++;
		return 0;
	}
	return -1;
}

/* One element of "tests", as parse_case would take it. */
static int
fast_case(struct fast *f, struct testcase *tc)
{
	static const char *const keys[] = { "name", "status", "message", NULL };
	unsigned seen = 0;
	char *status = NULL;
	size_t len, i;
	int more;

	memset(tc, 0, sizeof(*tc));
	if (fast_take(f, '{') < 0)
		return -1;
	do {
		switch (fast_key(f, keys, &seen)) {
		case 0:
			if ((tc->name = fast_string(f, RESULTS_MAX_NAME, &len)) == NULL)
				goto decline;
			for (i = 0; i < len; i++)
				if ((unsigned char)tc->name[i] < 0x20 ||
				    tc->name[i] == 0x7f)
					goto decline;
			break;
		case 1:
			if ((status = fast_string(f, 8, &len)) == NULL ||
			    tc_status_parse(status, &tc->status) != 0)
				goto decline;
			break;
		case 2:
			fast_ws(f);
			if (fast_word(f, "null") == 0)
				break;
			if ((tc->message = fast_string(f, RESULTS_MAX_MESSAGE,
			    &len)) == NULL)
				goto decline;
			break;
		default:
			goto decline;
		}
	} while ((more = fast_next(f, '}')) == 1);
	if (more < 0 || tc->name == NULL || status == NULL)
		goto decline;
	free(status);
	if (tc->message == NULL)
		tc->message = xstrdup("");
	return 0;
decline:
	free(status);
	free(tc->name);
	free(tc->message);
	memset(tc, 0, sizeof(*tc));
	return -1;
}

static int
fast_tests(struct fast *f, struct results_post *out)
{
	size_t cap = 0;
	int more;

	if (fast_take(f, '[') < 0)
		return -1;
	fast_ws(f);
	if (f->p < f->end && *f->p == ']') {
		f->p++;
		return 0;
	}
	do {
		if (out->ncases == RESULTS_MAX_CASES)
			return -1;
		if (out->ncases == cap) {
			cap = cap ? cap * 2 : 64;
			out->cases = xrealloc(out->cases, cap * sizeof(*out->cases));
		}
		if (fast_case(f, &out->cases[out->ncases]) < 0)
			return -1;
		out->cases[out->ncases].seq = (int)out->ncases + 1;
		out->ncases++;
	} while ((more = fast_next(f, ']')) == 1);
	return more;
}

static int
fast_summary(struct fast *f, struct results_post *out)
{
	static const char *const keys[] = { "total", "failed", "xfailed",
		"skipped", NULL };
	int *const fields[] = { &out->total, &out->failed, &out->xfailed,
		&out->skipped };
	unsigned seen = 0;
	int more, v, present, have_total = 0, k;

	fast_ws(f);
	if (fast_word(f, "null") == 0)
		return 0;
	if (fast_take(f, '{') < 0)
		return -1;
	fast_ws(f);
	if (f->p < f->end && *f->p == '}')
		return -1;      /* {}: total missing */
	do {
		if ((k = fast_key(f, keys, &seen)) < 0 || fast_int(f, &v, &present) < 0)
			return -1;
		if (present)
			*fields[k] = v;
		if (k == 0)
			have_total = present;
	} while ((more = fast_next(f, '}')) == 1);
	if (more < 0 || !have_total || (long long)out->failed + out->xfailed +
	    out->skipped > out->total)
		return -1;
	out->have_summary = 1;
	return 0;
}

/* 0 with *out filled, or -1: decline (out is left for the caller to clear). */
static int
fast_post(const char *body, size_t len, struct results_post *out)
{
	static const char *const keys[] = { "tests", "summary", "exit_code",
		"aborted", NULL };
	struct fast f = { body, body + len };
	unsigned seen = 0;
	int more, v, present;

	if (fast_take(&f, '{') < 0)
		return -1;
	do {
		switch (fast_key(&f, keys, &seen)) {
		case 0:
			if (fast_tests(&f, out) < 0)
				return -1;
			break;
		case 1:
			if (fast_summary(&f, out) < 0)
				return -1;
			break;
		case 2:
			if (fast_int(&f, &v, &present) < 0 || (present && v > 255))
				return -1;
			if (present)
				out->exit_code = v;
			break;
		case 3:
			fast_ws(&f);
			if (fast_word(&f, "true") == 0)
				out->aborted = 1;
			else if (fast_word(&f, "false") < 0 && fast_word(&f, "null") < 0)
				return -1;
			break;
		default:
			return -1;
		}
	} while ((more = fast_next(&f, '}')) == 1);
	fast_ws(&f);
	if (more < 0 || !(seen & 1) || f.p != f.end)
		return -1;
	return 0;
}

/* Parses and checks a POST body. On error *out is left empty (nothing to
 * clear) and *cause names the field. Null counts as absent for the optional
 * fields; unknown fields are refused. */
int
results_parse_post(const char *body, size_t len, struct results_post *out,
    char **cause)
{
	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	*cause = NULL;
	if (len <= RESULTS_MAX_BODY && fast_post(body, len, out) == 0)
		return 0;
	results_post_clear(out);
	return results_parse_post_json(body, len, out, cause);
}

/* The same with jansson alone: every error, and what the fast path is
 * compared with. */
int
results_parse_post_json(const char *body, size_t len, struct results_post *out,
    char **cause)
{
	json_error_t err;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	*cause = NULL;
	if (len > RESULTS_MAX_BODY)
		return post_error(cause, "body: %zu bytes, more than %d", len,
		    RESULTS_MAX_BODY);
	if (check_depth(body, len) != 0)
		return post_error(cause, "body: JSON nested deeper than %d levels",
		    RESULTS_MAX_DEPTH);
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (root == NULL)
		return post_error(cause, "body: not valid JSON: %s (line %d, "
		    "column %d)", err.text, err.line, err.column);
	rc = parse_body(root, out, cause);
	json_decref(root);
	if (rc != 0)
		results_post_clear(out);
	return rc;
}

/* Frees what a POST holds and empties it; safe to call twice. */
void
results_post_clear(struct results_post *post)
{
	size_t i;

	for (i = 0; i < post->ncases; i++) {
		free(post->cases[i].name);
		free(post->cases[i].message);
	}
	free(post->cases);
	memset(post, 0, sizeof(*post));
	post->exit_code = -1;
}

/* The state results_outcome(END_POST) judges: counts from the cases, the
 * summary, exit_code as the status exit() would give, aborted. */
void
results_state_from_post(const struct results_post *post, struct results_state *st)
{
	int *const counters[] = {
		[TC_PASS] = &st->npass,
		[TC_FAIL] = &st->nfail,
		[TC_XPASS] = &st->nxpass,
		[TC_XFAIL] = &st->nxfail,
		[TC_SKIP] = &st->nskip,
		[TC_INFO] = &st->ninfo,
	};
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < post->ncases; i++) {
		count(&st->ncases);
		if ((size_t)post->cases[i].status < ARRAY_SIZE(counters))
			count(counters[post->cases[i].status]);
	}
	st->summary_seen = post->have_summary;
	st->sum_total = post->total;
	st->sum_failed = post->failed;
	st->sum_xfailed = post->xfailed;
	st->sum_skipped = post->skipped;
	if (post->exit_code >= 0) {
		st->exit_seen = 1;
		st->exit_status = (post->exit_code << 1) | 1;
	}
	st->abort_seen = post->aborted;
	st->any_output = 1;
}
