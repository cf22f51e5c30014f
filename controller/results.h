/*
 * results.h - the kvm-unit-tests console protocol and the results JSON.
 *
 * The parser takes console bytes as they arrive, in pieces of any size, and
 * turns complete lines into events: PASS/FAIL/XPASS/XFAIL/SKIP/INFO cases,
 * ABORT, SUMMARY and EXIT: STATUS=. It removes ANSI escape sequences and
 * other control bytes, accepts LF, CRLF and lone CR line ends, and bounds
 * its memory: a line longer than RESULTS_MAX_LINE is cut there (the rest is
 * dropped up to the next line end). Binary garbage never stops it.
 */
#ifndef FARM_RESULTS_H
#define FARM_RESULTS_H

#include <stddef.h>

#define RESULTS_MAX_LINE 4096

enum tc_status { TC_PASS, TC_FAIL, TC_XPASS, TC_XFAIL, TC_SKIP, TC_INFO };

const char *tc_status_name(enum tc_status);      /* "pass", ... */
int tc_status_parse(const char *, enum tc_status *); /* 0 or -1 */

struct testcase {
	int seq;                /* 1, 2, ... in order of appearance */
	enum tc_status status;
	char *name;             /* "prefix: prefix: description"; "" for a bare "PASS" */
	char *message;          /* "" unless the line carried one */
};

/* What the parser knows so far about a run. */
struct results_state {
	int ncases;             /* counted by status below */
	int npass, nfail, nxpass, nxfail, nskip, ninfo;
	int summary_seen;       /* SUMMARY: line seen */
	int sum_total, sum_failed, sum_xfailed, sum_skipped;
	int exit_seen;          /* EXIT: STATUS=N seen */
	int exit_status;        /* N as printed: code is N >> 1 */
	int abort_seen;         /* an ABORT: line */
	char *abort_message;    /* its text, NULL otherwise */
	int partial_line;       /* the output ended in the middle of a line */
	int any_output;         /* at least one byte seen */
};

struct results_parser;

/* on_case is called for each test case line as soon as it is complete. The
 * testcase is valid only during the call. */
typedef void (*results_case_cb)(void *arg, const struct testcase *);

struct results_parser *results_new(results_case_cb, void *arg);
void results_free(struct results_parser *);
void results_feed(struct results_parser *, const void *data, size_t len);
/* The output has ended: a pending partial line is parsed and noted. */
void results_finish(struct results_parser *);
const struct results_state *results_state(const struct results_parser *);

/* How a job ended, for results_outcome. */
enum end_reason {
	END_EXIT_LINE,          /* EXIT: STATUS= on the console */
	END_POST,               /* results POST (state built from it) */
	END_QEMU_EXIT,          /* QEMU exited with status (exit code of the process) */
	END_RETURNED,           /* the app returned to iPXE/farmboot with rc */
	END_TIMEOUT,            /* the test-end deadline passed */
};

enum job_result { RESULT_PASS, RESULT_FAIL, RESULT_SKIP, RESULT_ERROR,
	RESULT_INFRA, RESULT_TIMEOUT };

const char *job_result_name(enum job_result);

/*
 * The job's result from what was seen, per DESIGN.md "Outcomes":
 *   exit code 0 -> pass, 77 -> skip, other -> fail; ABORT seen, QEMU status
 *   127 (abort), or the machine stopping before SUMMARY with no exit code
 *   -> error; deadline -> timeout. status is the EXIT: status, the QEMU exit
 *   status or the returned rc, depending on reason. *exit_code is set to the
 *   program's code when known, else -1. *reason gets a one-line explanation
 *   (caller frees).
 */
enum job_result results_outcome(const struct results_state *, enum end_reason,
    int status, int *exit_code, char **reason);

/* A results POST body (docs/api.md). */
struct results_post {
	struct testcase *cases;
	size_t ncases;
	int have_summary;
	int total, failed, xfailed, skipped;
	int exit_code;          /* -1 when absent */
	int aborted;
};

#define RESULTS_MAX_BODY (1024 * 1024)
#define RESULTS_MAX_CASES 10000

/* Parses and checks a POST body; -1 with *cause (caller frees) naming the
 * field when it is not valid. */
int results_parse_post(const char *body, size_t len, struct results_post *out, char **cause);
/* The same through jansson alone (results_parse_post takes a faster path
 * for the bodies it can; the tests compare the two). */
int results_parse_post_json(const char *body, size_t len, struct results_post *out,
    char **cause);
void results_post_clear(struct results_post *);

/* Builds a results_state from a POST, for results_outcome(END_POST). */
void results_state_from_post(const struct results_post *, struct results_state *);

#endif
