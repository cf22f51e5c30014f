/*
 * report.c - test cases, printed in the kvm-unit-tests console protocol.
 *
 *	PASS: prefix: prefix: message
 *	FAIL: ...   XPASS: ...   XFAIL: ...   SKIP: ...   INFO: ...
 *	SUMMARY: N tests[, M unexpected failures][, K expected failures][, S skipped]
 *
 * Counting is kvm-unit-tests' own (lib/report.c): every case but INFO is a
 * test; FAIL and XPASS are unexpected failures; XFAIL is expected; SKIP is
 * skipped; when every test was skipped (or there were none) the summary
 * says so with code 77 >> 1, which QEMU's exit device turns into status
 * 77. Besides printing, each case is kept in a list (up to
 * REPORT_MAX_CASES, names up to REPORT_NAMES_SIZE bytes in all) for the
 * results POST; the list lives in loader data, so it survives
 * ExitBootServices.
 */
#include "guest.h"

#define PREFIX_DELIMITER ": "
#define NAME_MAX_LEN 512	/* a kept name is cut here; the console gets all */

static unsigned tests, failures, xfailures, skipped;
static char prefixes[256];
static struct report_case *cases;
static char *names;
static size_t ncases, names_used;
static bool cases_dropped;

static const char *const status_label[] = {
	[CASE_PASS] = "PASS", [CASE_FAIL] = "FAIL", [CASE_XPASS] = "XPASS",
	[CASE_XFAIL] = "XFAIL", [CASE_SKIP] = "SKIP", [CASE_INFO] = "INFO",
};

static const char *const status_name[] = {
	[CASE_PASS] = "pass", [CASE_FAIL] = "fail", [CASE_XPASS] = "xpass",
	[CASE_XFAIL] = "xfail", [CASE_SKIP] = "skip", [CASE_INFO] = "info",
};

void report_init(void)
{
	cases = pool_alloc(REPORT_MAX_CASES * sizeof(*cases));
	names = pool_alloc(REPORT_NAMES_SIZE);
	if (!cases || !names) {
		pool_free(cases);
		pool_free(names);
		cases = NULL;
		names = NULL;
		cases_dropped = true;
	}
}

void report_free(void)
{
	pool_free(cases);
	pool_free(names);
	cases = NULL;
	names = NULL;
	ncases = names_used = 0;
}

const char *case_status_name(enum case_status status)
{
	return status_name[status];
}

void report_get_counts(struct report_counts *counts)
{
	counts->tests = tests;
	counts->failures = failures;
	counts->xfailures = xfailures;
	counts->skipped = skipped;
}

size_t report_ncases(void)
{
	return ncases;
}

const struct report_case *report_case(size_t i)
{
	return i < ncases ? &cases[i] : NULL;
}

bool report_cases_complete(void)
{
	return !cases_dropped;
}

void report_prefix_pushf(const char *fmt, ...)
{
	size_t len = strlen(prefixes), start = len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(prefixes + len, sizeof(prefixes) - len, fmt, ap);
	va_end(ap);
	if (n < 0 || len + (size_t)n + strlen(PREFIX_DELIMITER) >= sizeof(prefixes)) {
		prefixes[start] = '\0';
		report_abort("report prefix too long");
	}
	if (strstr(prefixes + start, PREFIX_DELIMITER)) {
		prefixes[start] = '\0';
		report_abort("report prefix contains \"" PREFIX_DELIMITER "\"");
	}
	strcpy(prefixes + len + (size_t)n, PREFIX_DELIMITER);
}

void report_prefix_push(const char *prefix)
{
	report_prefix_pushf("%s", prefix);
}

void report_prefix_pop(void)
{
	char *p, *last = prefixes;
	size_t dl = strlen(PREFIX_DELIMITER);

	if (!prefixes[0])
		return;
	/* The last prefix starts after the delimiter before the final one. */
	for (p = strstr(prefixes, PREFIX_DELIMITER); p && p[dl];
	    p = strstr(p + dl, PREFIX_DELIMITER))
		last = p + dl;
	*last = '\0';
}

/* Keeps a case for the POST: prefixes and message, without a trailing ": ". */
static void keep_case(enum case_status status, const char *msg)
{
	size_t plen = strlen(prefixes), mlen = strlen(msg), len;
	char *name;

	if (!cases || ncases == REPORT_MAX_CASES ||
	    names_used + plen + mlen + 1 > REPORT_NAMES_SIZE) {
		cases_dropped = true;
		return;
	}
	name = names + names_used;
	memcpy(name, prefixes, plen);
	memcpy(name + plen, msg, mlen + 1);
	len = plen + mlen;
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == ':'))
		name[--len] = '\0';
	names_used += len + 1;
	cases[ncases].status = status;
	cases[ncases].name = name;
	ncases++;
}

/* Prints and counts one case. */
static void va_report(enum case_status status, const char *fmt, va_list ap)
{
	char msg[NAME_MAX_LEN];
	va_list aq;

	va_copy(aq, ap);
	vsnprintf(msg, sizeof(msg), fmt, aq);
	va_end(aq);

	printf("%s: %s", status_label[status], prefixes);
	vprintf(fmt, ap);
	puts("\n");
	keep_case(status, msg);

	switch (status) {
	case CASE_INFO:
		return;
	case CASE_SKIP:
		skipped++;
		break;
	case CASE_XFAIL:
		xfailures++;
		break;
	case CASE_FAIL:
	case CASE_XPASS:
		failures++;
		break;
	case CASE_PASS:
		break;
	}
	tests++;
}

void report(bool pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	va_report(pass ? CASE_PASS : CASE_FAIL, fmt, ap);
	va_end(ap);
}

void report_pass(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	va_report(CASE_PASS, fmt, ap);
	va_end(ap);
}

void report_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	va_report(CASE_FAIL, fmt, ap);
	va_end(ap);
}

void report_xfail(bool xfail, bool pass, const char *fmt, ...)
{
	enum case_status status;
	va_list ap;

	if (xfail)
		status = pass ? CASE_XPASS : CASE_XFAIL;
	else
		status = pass ? CASE_PASS : CASE_FAIL;
	va_start(ap, fmt);
	va_report(status, fmt, ap);
	va_end(ap);
}

void report_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	va_report(CASE_SKIP, fmt, ap);
	va_end(ap);
}

void report_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	va_report(CASE_INFO, fmt, ap);
	va_end(ap);
}

int report_summary(void)
{
	printf("SUMMARY: %u tests", tests);
	if (failures)
		printf(", %u unexpected failures", failures);
	if (xfailures)
		printf(", %u expected failures", xfailures);
	if (skipped)
		printf(", %u skipped", skipped);
	printf("\n");
	if (tests == skipped)
		return 77 >> 1;
	return failures > 0 ? 1 : 0;
}

void report_abort_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!console_at_line_start())
		puts("\n");
	printf("ABORT: %s", prefixes);
	vprintf(fmt, ap);
	puts("\n");
	va_end(ap);
}

void report_abort(const char *fmt, ...)
{
	char msg[NAME_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_abort_line("%s", msg);
	report_summary();
	exit_aborted();
}
