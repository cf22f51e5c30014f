/*
 * farmctl.c - the farm command-line client: a thin client of farmd's JSON API
 * (docs/api.md) over libcurl, with jansson for JSON. docs/farmctl.md is the
 * user's manual.
 *
 * Commands are a table of struct cmd_entry, as in tmux: adding a command is
 * adding one entry and its exec function. Each command is written in three
 * layers, as in iPXE: the exec function parses and checks its arguments, one
 * operation (op_*) does the work and prints what the user sees, and the API
 * mechanism underneath (api_*) talks HTTP and never prints: it hands back the
 * server's answer or a cause the caller reports once.
 *
 * Exit status: 0 success; 1 only from `schedule --wait` when a job failed;
 * 2 for every error farmctl sees itself (bad arguments, HTTP and connection
 * errors) and from `schedule --wait` when a job ended in error, infra,
 * timeout or was cancelled; 130 when Ctrl-C stops `schedule --wait` (the jobs
 * keep running on the farm).
 */
#include "apps.h"
#include "suite.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#ifndef FARM_VERSION
#define FARM_VERSION "0.1.0"
#endif

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define WAIT_POLL_MS 500	/* schedule --wait: GET the run this often */
#define LOG_POLL_MS 300		/* log -f: GET new console bytes this often */
#define WAIT_RETRY_MS 10000	/* --wait rides out a lost server this long */

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* a test failed (schedule --wait) */
	EXIT_ERROR = 2,		/* anything else went wrong */
	EXIT_INTR = 130,	/* Ctrl-C stopped schedule --wait */
};

/* Values of long options that have no one-letter form. */
enum {
	OPT_TOKEN = 256,
	OPT_JSON,
	OPT_EFI,
	OPT_TIMEOUT,
	OPT_PRIORITY,
	OPT_STATE,
	OPT_RAW,
	OPT_REASON,
	OPT_JUNIT,
	OPT_TAP,
	OPT_SUITE,
	OPT_GROUP,
	OPT_EFI_DIR,
};

/* What every command runs with: the global options and the HTTP handle. */
struct ctl {
	char *server;		/* base URL without trailing '/'; owned */
	const char *token;	/* API token, NULL for none */
	int json;		/* --json: print the server's JSON */
	const struct cmd_entry *cmd;
	CURL *curl;		/* one handle, so polls reuse the connection */
	long status;		/* HTTP status of the last call, 0 for none */
};

/* A command's parsed arguments: options in the order given, then operands. */
struct args_entry {
	int opt;
	const char *value;	/* NULL for flags; points into argv */
};

struct args {
	struct args_entry *opts;
	size_t nopts;
	int argc;		/* operands before "--" */
	char **argv;
	int nextra;		/* operands after "--"; -1 when there was none */
	char **extra;
};

struct cmd_entry {
	const char *name;
	const char *usage;	/* what follows "farmctl NAME" */
	const char *summary;	/* one line for farmctl --help */
	const char *help;	/* the command's own options, one per line */
	const char *shortopts;	/* getopt letters of the command's options */
	const struct option *longopts;
	int lower, upper;	/* operand count bounds; upper -1: no limit */
	int dashdash;		/* accepts "-- ARGS..." */
	int (*exec)(struct ctl *, struct args *);
};

static int cmd_schedule_exec(struct ctl *, struct args *);
static int cmd_jobs_exec(struct ctl *, struct args *);
static int cmd_show_exec(struct ctl *, struct args *);
static int cmd_log_exec(struct ctl *, struct args *);
static int cmd_machines_exec(struct ctl *, struct args *);
static int cmd_runs_exec(struct ctl *, struct args *);
static int cmd_cancel_exec(struct ctl *, struct args *);
static int cmd_machine_exec(struct ctl *, struct args *);
static int cmd_results_exec(struct ctl *, struct args *);
static int cmd_help_exec(struct ctl *, struct args *);

static const struct option schedule_opts[] = {
	{ "machine", required_argument, NULL, 'm' },
	{ "tag", required_argument, NULL, 't' },
	{ "efi", required_argument, NULL, OPT_EFI },
	{ "name", required_argument, NULL, 'n' },
	{ "env", required_argument, NULL, 'e' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "wait", no_argument, NULL, 'w' },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "efi-dir", required_argument, NULL, OPT_EFI_DIR },
	{ NULL, 0, NULL, 0 }
};

static const struct option jobs_opts[] = {
	{ "state", required_argument, NULL, OPT_STATE },
	{ "run", required_argument, NULL, 'r' },
	{ "machine", required_argument, NULL, 'm' },
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

static const struct option log_opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ NULL, 0, NULL, 0 }
};

static const struct option machines_opts[] = {
	{ "discovered", no_argument, NULL, 'd' },
	{ NULL, 0, NULL, 0 }
};

static const struct option machine_opts[] = {
	{ "reason", required_argument, NULL, OPT_REASON },
	{ NULL, 0, NULL, 0 }
};

static const struct option results_opts[] = {
	{ "junit", no_argument, NULL, OPT_JUNIT },
	{ "tap", no_argument, NULL, OPT_TAP },
	{ NULL, 0, NULL, 0 }
};

static const struct option runs_opts[] = {
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

static const struct option no_opts[] = {
	{ NULL, 0, NULL, 0 }
};

/* Options every command takes, so they may follow the command name too. */
static const struct option common_opts[] = {
	{ "server", required_argument, NULL, 's' },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};
#define COMMON_SHORTOPTS "s:h"

static const struct cmd_entry cmd_table[] = {
	{
		.name = "schedule",
		.usage = "(--machine M | --tag K=V|WORD)... [--efi FILE [--name N] | "
			 "--suite FILE [--group G] [--efi-dir DIR]] "
			 "[--env K=V]... [--timeout S] [--priority P] [--wait] "
			 "[TEST...] [-- ARGS...]",
		.summary = "run tests, or an EFI app from your build tree, on machines",
		.help =
		    "  -m, --machine M   one job per test on machine M (repeatable)\n"
		    "  -t, --tag TAG     or on any machine that has all these tags; TAG is\n"
		    "                    K=V or a word (repeatable)\n"
		    "      --efi FILE    upload FILE and run it as the one test\n"
		    "  -n, --name N      the test's name with --efi (default: FILE's\n"
		    "                    basename without .efi)\n"
		    "  -e, --env K=V     extra EFI variable for the test (repeatable)\n"
		    "      --timeout S   test-end deadline in seconds\n"
		    "      --priority P  higher runs first\n"
		    "  -w, --wait        follow the jobs to the end; exit 0 when all passed\n"
		    "                    or skipped, 1 when one failed, 2 on error, infra,\n"
		    "                    timeout or cancel; Ctrl-C stops waiting (130)\n"
		    "  -- ARGS...        the test's arguments, replacing the suite's\n"
		    "      --suite FILE  a kvm-unit-tests unittests.cfg: every test of it\n"
		    "                    (or of --group, or the TESTs named) on EVERY\n"
		    "                    machine given or matching the tags, as one run;\n"
		    "                    the binaries are uploaded from --efi-dir\n"
		    "      --group G     only the suite's tests in group G (default: all\n"
		    "                    but nodefault)\n"
		    "      --efi-dir DIR where the suite's files are: DIR/<arch>/FILE or\n"
		    "                    DIR/FILE (default: the suite's folder)\n",
		.shortopts = "m:t:n:e:w",
		.longopts = schedule_opts,
		.lower = 0, .upper = -1, .dashdash = 1,
		.exec = cmd_schedule_exec,
	},
	{
		.name = "jobs",
		.usage = "[--state S] [--run R] [--machine M] [--limit N]",
		.summary = "list jobs, newest first",
		.help =
		    "      --state S     only jobs in state S (queued, assigned, booting,\n"
		    "                    running, done, cancelled)\n"
		    "  -r, --run R       only jobs of run R\n"
		    "  -m, --machine M   only jobs on machine M\n"
		    "  -n, --limit N     at most N jobs (the server's default: 50)\n",
		.shortopts = "r:m:n:",
		.longopts = jobs_opts,
		.lower = 0, .upper = 0,
		.exec = cmd_jobs_exec,
	},
	{
		.name = "show",
		.usage = "JOB",
		.summary = "a job's details and test cases",
		.help = "",
		.shortopts = "",
		.longopts = no_opts,
		.lower = 1, .upper = 1,
		.exec = cmd_show_exec,
	},
	{
		.name = "log",
		.usage = "JOB [-f] [--raw]",
		.summary = "a job's console output",
		.help =
		    "  -f, --follow      keep printing new output until the job ends\n"
		    "      --raw         the bytes as stored (also the default: ANSI\n"
		    "                    escapes are kept for the terminal)\n",
		.shortopts = "f",
		.longopts = log_opts,
		.lower = 1, .upper = 1,
		.exec = cmd_log_exec,
	},
	{
		.name = "machines",
		.usage = "[--discovered]",
		.summary = "list the farm's machines",
		.help =
		    "  -d, --discovered  machines that PXE-booted from the farm but are not\n"
		    "                    in farm.conf (they never get jobs)\n",
		.shortopts = "d",
		.longopts = machines_opts,
		.lower = 0, .upper = 0,
		.exec = cmd_machines_exec,
	},
	{
		.name = "machine",
		.usage = "set M maintenance|online [--reason TEXT]",
		.summary = "take a machine out of service, or bring it back",
		.help =
		    "      --reason TEXT why (kept with the machine's state history)\n"
		    "  maintenance: the machine gets no jobs (after its current one)\n"
		    "  online: back in service; when farm.conf names a health_check,\n"
		    "  the machine runs it first and comes back only when it passes\n",
		.shortopts = "",
		.longopts = machine_opts,
		.lower = 3, .upper = 3,
		.exec = cmd_machine_exec,
	},
	{
		.name = "runs",
		.usage = "[--limit N]",
		.summary = "list runs (groups of jobs scheduled together)",
		.help = "  -n, --limit N     at most N runs\n",
		.shortopts = "n:",
		.longopts = runs_opts,
		.lower = 0, .upper = 0,
		.exec = cmd_runs_exec,
	},
	{
		.name = "results",
		.usage = "[RUN] [--junit | --tap]",
		.summary = "a run's results as JUnit XML or TAP, for CI",
		.help =
		    "      --junit       JUnit XML (Jenkins, GitLab): a testsuite per job,\n"
		    "                    a testcase per case\n"
		    "      --tap         TAP version 13\n"
		    "  without either: the run and its jobs as JSON\n"
		    "  RUN defaults to the newest run\n",
		.shortopts = "",
		.longopts = results_opts,
		.lower = 0, .upper = 1,
		.exec = cmd_results_exec,
	},
	{
		.name = "cancel",
		.usage = "JOB",
		.summary = "cancel a queued or running job",
		.help = "",
		.shortopts = "",
		.longopts = no_opts,
		.lower = 1, .upper = 1,
		.exec = cmd_cancel_exec,
	},
	{
		.name = "help",
		.usage = "[COMMAND]",
		.summary = "this list, or a command's options",
		.help = "",
		.shortopts = "",
		.longopts = no_opts,
		.lower = 0, .upper = 1,
		.exec = cmd_help_exec,
	},
};

/* Set by SIGINT while schedule --wait runs; checked by every wait. */
static volatile sig_atomic_t interrupted;

/* ------------------------------------------------------------------ */
/* Small pure helpers (unit-tested in tests/unit/test_farmctl.c).      */
/* ------------------------------------------------------------------ */

/* Replaces control bytes (escape sequences from a guest, newlines in a
 * message) with spaces, so that one value stays one cell of one line. */
static void
clean(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	}
}

/* Formats a duration in milliseconds as "8.2 s", "2m05s" or "1h03m";
 * "-" when negative. */
static void
fmt_duration(long long ms, char *out, size_t n)
{
	long long tenths, secs;

	if (ms < 0) {
		snprintf(out, n, "-");
		return;
	}
	tenths = (ms + 50) / 100;
	if (tenths < 600) {
		snprintf(out, n, "%lld.%lld s", tenths / 10, tenths % 10);
		return;
	}
	secs = (ms + 500) / 1000;
	if (secs < 3600)
		snprintf(out, n, "%lldm%02llds", secs / 60, secs % 60);
	else
		snprintf(out, n, "%lldh%02lldm", secs / 3600, secs / 60 % 60);
}

/* Formats a time in milliseconds since the epoch as local
 * "YYYY-MM-DD HH:MM:SS". */
static void
fmt_time(long long ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, n, "-");
}

/* Appends s to a URL, percent-encoding all but RFC 3986's unreserved
 * characters. */
static void
url_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
			buf_addc(b, (char)c);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

/* Appends "?key=value" (or "&key=value" after the first) to a URL. */
static void
url_query(struct buf *b, const char *key, const char *value)
{
	buf_addc(b, b->data != NULL && strchr(b->data, '?') != NULL ? '&' : '?');
	buf_adds(b, key);
	buf_addc(b, '=');
	url_escape(b, value);
}

/* If the header line [line, line+len) is "Name: value", copies the trimmed
 * value into out[n] and returns 1; returns 0 for other headers. */
static int
header_value(const char *line, size_t len, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name), end;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return 0;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	for (end = len; end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n' ||
	    line[end - 1] == ' ' || line[end - 1] == '\t'); end--)
		;
	if (n == 0)
		return 1;
	if (end >= n)
		end = n - 1;
	memcpy(out, line, end);
	out[end] = '\0';
	return 1;
}

/* The server's URL from -s or $FARM_SERVER: "http://" is added when no
 * scheme is given and trailing slashes are dropped. Caller frees. */
static char *
server_url(const char *s)
{
	char *url;
	size_t len;

	if (s == NULL || *s == '\0')
		s = DEFAULT_SERVER;
	url = strstr(s, "://") != NULL ? xstrdup(s) : xasprintf("http://%s", s);
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	return url;
}

/* The string member k of o, or NULL when absent or not a string. */
static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Sets *v to the integer member k of o: 0, or -1 when absent or null. */
static int
jint(const json_t *o, const char *k, long long *v)
{
	json_t *j = json_object_get(o, k);

	if (!json_is_integer(j))
		return -1;
	*v = (long long)json_integer_value(j);
	return 0;
}

/* The id member of o, or 0 when it has none. */
static long long
jid(const json_t *o)
{
	long long id;

	return jint(o, "id", &id) == 0 ? id : 0;
}

/* Is the job over: done, or cancelled? */
static int
job_finished(const json_t *job)
{
	const char *state = jstr(job, "state");

	return state != NULL && (strcmp(state, "done") == 0 || strcmp(state, "cancelled") == 0);
}

/* The outcomes schedule --wait counts, in the order it lists them. */
static const char *const outcome_names[] = {
	"pass", "fail", "skip", "error", "infra", "timeout", "cancelled",
};
#define NOUTCOMES ARRAY_SIZE(outcome_names)
enum {
	OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_SKIP, OUTCOME_ERROR, OUTCOME_INFRA,
	OUTCOME_TIMEOUT, OUTCOME_CANCELLED,
};

/* Which of outcome_names a finished job counts as; a job without a known
 * result counts as an error, since no test verdict can be read from it. */
static size_t
job_outcome_index(const json_t *job)
{
	const char *state = jstr(job, "state"), *result = jstr(job, "result");
	size_t i;

	if (state != NULL && strcmp(state, "cancelled") == 0)
		return OUTCOME_CANCELLED;
	for (i = 0; result != NULL && i < OUTCOME_CANCELLED; i++) {
		if (strcmp(result, outcome_names[i]) == 0)
			return i;
	}
	return OUTCOME_ERROR;
}

/* 1 when another job of the run is job's retry (farmd retries a job once
 * after infra): the retry's outcome is the test's, not this one's. */
static int
job_superseded(const json_t *jobs, const json_t *job)
{
	json_int_t id = json_integer_value(json_object_get(job, "id"));
	size_t i;
	json_t *other;

	json_array_foreach(jobs, i, other) {
		if (json_integer_value(json_object_get(other, "retry_of")) == id && id > 0)
			return 1;
	}
	return 0;
}

/* Counts the finished jobs' outcomes into counts[NOUTCOMES] and returns
 * the exit status they give: EXIT_OK when every job passed or skipped,
 * EXIT_FAIL when one failed and none broke, EXIT_ERROR when a job ended in
 * error, infra, timeout or cancelled, or when there were no jobs. A job
 * that was retried counts through its retry only (the table still shows
 * both). */
static int
run_verdict(const json_t *jobs, int counts[NOUTCOMES])
{
	size_t i, k;
	json_t *job;
	int total = 0;

	memset(counts, 0, NOUTCOMES * sizeof(counts[0]));
	json_array_foreach(jobs, i, job) {
		if (job_superseded(jobs, job))
			continue;
		counts[job_outcome_index(job)]++;
		total++;
	}
	for (k = OUTCOME_ERROR; k < NOUTCOMES; k++) {
		if (counts[k] > 0)
			return EXIT_ERROR;
	}
	if (total == 0)
		return EXIT_ERROR;
	return counts[OUTCOME_FAIL] > 0 ? EXIT_FAIL : EXIT_OK;
}

/* "1 pass, 2 fail" from counts, leaving out zeros ("none" when all are). */
static char *
counts_text(const char *const *names, const int *counts, size_t n)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (counts[i] > 0)
			buf_printf(&b, "%s%d %s", b.len ? ", " : "", counts[i], names[i]);
	}
	if (b.len == 0)
		buf_adds(&b, "none");
	return buf_steal(&b);
}

/* "job 12 vm-x86 selftest": how progress lines name a job; the target
 * stands in for the machine until one is assigned. Caller frees. */
static char *
job_label(const json_t *job)
{
	const char *where = jstr(job, "machine"), *test = jstr(job, "test");

	if (where == NULL)
		where = jstr(job, "target");
	return xasprintf("job %lld %s %s", jid(job), where ? where : "-", test ? test : "-");
}

/* What a job's state says in one phrase: "booting", "pass (exit 0) in
 * 8.2 s, boot 5.1 s", "infra: no boot request in 30 s". Caller frees. */
static char *
job_status(const json_t *job)
{
	const char *state = jstr(job, "state"), *result = jstr(job, "result");
	const char *reason = jstr(job, "reason");
	struct buf b = { 0 };
	char d[32];
	long long v;

	if (state == NULL || strcmp(state, "done") != 0) {
		buf_adds(&b, state ? state : "unknown");
	} else {
		buf_adds(&b, result ? result : "done");
		if (jint(job, "exit_code", &v) == 0)
			buf_printf(&b, " (exit %lld)", v);
		if (jint(job, "duration_ms", &v) == 0) {
			fmt_duration(v, d, sizeof(d));
			buf_printf(&b, " in %s", d);
		}
		if (jint(job, "boot_ms", &v) == 0) {
			fmt_duration(v, d, sizeof(d));
			buf_printf(&b, ", boot %s", d);
		}
	}
	/* Why a job passed needs no saying; why it did not, does. */
	if (reason != NULL && *reason != '\0' && job_finished(job) &&
	    (result == NULL || strcmp(result, "pass") != 0 || strcmp(state, "cancelled") == 0))
		buf_printf(&b, ": %s", reason);
	return buf_steal(&b);
}

/* ------------------------------------------------------------------ */
/* Output: lines and tables, with untrusted text cleaned.              */
/* ------------------------------------------------------------------ */

/* Prints one line to f, control bytes cleaned, and flushes it so that
 * progress shows through a pipe at once. */
static void __attribute__((format(printf, 2, 3)))
say(FILE *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	clean(s);
	fprintf(f, "%s\n", s);
	fflush(f);
	free(s);
}

/* Reports an error of the running command: "farmctl: CMD: message".
 * Returns EXIT_ERROR for the caller to return. */
static int __attribute__((format(printf, 2, 3)))
fail(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	clean(s);
	fflush(stdout);
	fprintf(stderr, "farmctl: %s%s%s\n", ctl->cmd ? ctl->cmd->name : "",
	    ctl->cmd ? ": " : "", s);
	free(s);
	return EXIT_ERROR;
}

/* Prints a command's usage line to f. */
static void
usage_line(FILE *f, const struct cmd_entry *cmd)
{
	fprintf(f, "usage: farmctl %s%s%s\n", cmd->name, *cmd->usage ? " " : "", cmd->usage);
}

/* Reports a bad argument with the command's usage; returns EXIT_ERROR. */
static int __attribute__((format(printf, 2, 3)))
usage_error(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	clean(s);
	fprintf(stderr, "farmctl: %s: %s\n", ctl->cmd->name, s);
	usage_line(stderr, ctl->cmd);
	fprintf(stderr, "(farmctl %s --help for more)\n", ctl->cmd->name);
	free(s);
	return EXIT_ERROR;
}

/* Where human progress goes: stdout, or stderr when stdout carries JSON. */
static FILE *
human(const struct ctl *ctl)
{
	return ctl->json ? stderr : stdout;
}

/* Prints a JSON value as indented text and a newline on stdout. */
static void
print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));

	if (s != NULL) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	fflush(stdout);
}

/* A text table: row-major cells, the header row first. */
struct table {
	size_t ncols;
	char **cells;
	size_t ncells, cap;
};

static void table_add(struct table *, const char *);

/* Starts a table with the given header row (NULL-terminated). */
static void
table_init(struct table *t, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	for (; headers[t->ncols] != NULL; t->ncols++)
		;
	for (; *headers != NULL; headers++)
		table_add(t, *headers);
}

/* Adds the next cell (NULL shows as "-"). */
static void
table_add(struct table *t, const char *s)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 32;
		t->cells = xrealloc(t->cells, t->cap * sizeof(t->cells[0]));
	}
	t->cells[t->ncells] = xstrdup(s ? s : "-");
	clean(t->cells[t->ncells++]);
}

static void __attribute__((format(printf, 2, 3)))
table_addf(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	table_add(t, s);
	free(s);
}

/* Adds an integer member as a cell, "-" when absent or null. */
static void
table_add_int(struct table *t, const json_t *o, const char *k)
{
	long long v;

	if (jint(o, k, &v) == 0)
		table_addf(t, "%lld", v);
	else
		table_add(t, NULL);
}

/* Adds a duration member in ms as a cell. */
static void
table_add_duration(struct table *t, const json_t *o, const char *k)
{
	char d[32];
	long long v;

	if (jint(o, k, &v) < 0)
		v = -1;
	fmt_duration(v, d, sizeof(d));
	table_add(t, d);
}

/* Prints the table with columns padded to their widest cell, each line
 * prefixed by indent, without trailing blanks. */
static void
table_print(const struct table *t, FILE *f, const char *indent)
{
	size_t *w = xcalloc(t->ncols, sizeof(w[0])), i, len;
	struct buf line = { 0 };

	for (i = 0; i < t->ncells; i++) {
		len = strlen(t->cells[i]);
		if (len > w[i % t->ncols])
			w[i % t->ncols] = len;
	}
	for (i = 0; i < t->ncells; i++) {
		size_t col = i % t->ncols;

		if (col == 0)
			buf_adds(&line, indent);
		buf_adds(&line, t->cells[i]);
		if (col + 1 < t->ncols && i + 1 < t->ncells) {
			for (len = strlen(t->cells[i]); len < w[col] + 2; len++)
				buf_addc(&line, ' ');
			continue;
		}
		while (line.len > 0 && line.data[line.len - 1] == ' ')
			line.data[--line.len] = '\0';
		fprintf(f, "%s\n", line.data);
		buf_reset(&line);
	}
	buf_free(&line);
	free(w);
	fflush(f);
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = t->cap = 0;
}

/* ------------------------------------------------------------------ */
/* The API mechanism: HTTP calls that never print.                     */
/* ------------------------------------------------------------------ */

/* What one HTTP call answered. */
struct api_reply {
	long status;
	struct buf body;
	char state[32];		/* X-Farm-Job-State, "" when absent */
	long long log_size;	/* X-Farm-Log-Size, -1 when absent */
};

/* A request body streamed from a file, hashed on the way. */
struct api_upload {
	FILE *file;
	struct sha256_ctx sha;
	unsigned long long sent;
};

struct api_req {
	const char *method;	/* "GET" or "POST" */
	const char *path;	/* below the server URL, with query */
	const char *type;	/* the body's Content-Type, NULL for none */
	const char *body;	/* POST body in memory, or */
	size_t len;
	struct api_upload *upload; /* a body streamed from a file */
	unsigned long long upload_size;
};

static size_t
api_write_cb(char *data, size_t size, size_t n, void *arg)
{
	buf_add(arg, data, size * n);
	return size * n;
}

/* Picks farmd's two job headers out of the answer; a new status line
 * (after a 100 Continue) forgets what an earlier block said. */
static size_t
api_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct api_reply *r = arg;
	size_t len = size * n;
	char v[32];
	long long size_v;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		r->state[0] = '\0';
		r->log_size = -1;
	} else if (header_value(data, len, "X-Farm-Job-State", r->state, sizeof(r->state))) {
		clean(r->state);
	} else if (header_value(data, len, "X-Farm-Log-Size", v, sizeof(v)) &&
	    parse_int(v, 0, LLONG_MAX, &size_v) == 0) {
		r->log_size = size_v;
	}
	return len;
}

static size_t
api_read_cb(char *data, size_t size, size_t n, void *arg)
{
	struct api_upload *up = arg;
	size_t got = fread(data, 1, size * n, up->file);

	if (got == 0 && ferror(up->file))
		return CURL_READFUNC_ABORT;
	sha256_update(&up->sha, got, (const uint8_t *)data);
	up->sent += got;
	return got;
}

/* Aborts a transfer when Ctrl-C was pressed during schedule --wait. */
static int
api_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	(void)arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return interrupted ? 1 : 0;
}

/* The cause for a non-2xx answer: "400: <the server's error text>". */
static char *
api_error_text(const struct ctl *ctl, const struct api_reply *r)
{
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
	const char *hint = "";
	char *text, *nl;

	if (r->status == 401 && (ctl->token == NULL || *ctl->token == '\0'))
		hint = " (set $FARM_API_TOKEN or --token)";
	if (jstr(j, "error") != NULL) {
		text = xasprintf("%ld: %s%s", r->status, jstr(j, "error"), hint);
	} else if (r->body.len > 0) {
		text = xasprintf("%ld: %.200s%s", r->status, r->body.data, hint);
		if ((nl = strchr(text, '\n')) != NULL)
			*nl = '\0';
	} else {
		text = xasprintf("%ld: no error text in the answer%s", r->status, hint);
	}
	json_decref(j);
	return text;
}

/* Performs one HTTP call. Returns 0 when a 2xx answer arrived in full;
 * otherwise -1 and *cause (caller frees): the URL and curl's reason when
 * no answer came, or the status and the server's error text. ctl->status
 * is the answer's status, 0 when none came. */
static int
api_perform(struct ctl *ctl, const struct api_req *req, struct api_reply *reply, char **cause)
{
	char errbuf[CURL_ERROR_SIZE], *url, *auth = NULL, *type = NULL;
	struct curl_slist *hdrs = NULL;
	CURL *c;
	CURLcode rc;
	int ret = -1;

	if (ctl->curl == NULL && (ctl->curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot start libcurl");
		return -1;
	}
	c = ctl->curl;
	url = xasprintf("%s%s", ctl->server, req->path);
	errbuf[0] = '\0';
	ctl->status = 0;
	reply->status = 0;
	buf_reset(&reply->body);
	reply->state[0] = '\0';
	reply->log_size = -1;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "farmctl/" FARM_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, api_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, api_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, reply);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, api_progress_cb);

	/* No "Expect: 100-continue": farmd answers at once, and the round
	 * trip would only slow an upload down. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (ctl->token != NULL && *ctl->token != '\0') {
		auth = xasprintf("Authorization: Bearer %s", ctl->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (req->type != NULL) {
		type = xasprintf("Content-Type: %s", req->type);
		hdrs = curl_slist_append(hdrs, type);
	}
	if (hdrs == NULL) {
		*cause = xstrdup("out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (req->upload != NULL) {
			curl_easy_setopt(c, CURLOPT_READFUNCTION, api_read_cb);
			curl_easy_setopt(c, CURLOPT_READDATA, req->upload);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)req->upload_size);
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->len);
		}
	}

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (rc == CURLE_ABORTED_BY_CALLBACK)
			*cause = xasprintf("%s: interrupted", url);
		else
			*cause = xasprintf("%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
	ctl->status = reply->status;
	if (reply->status < 200 || reply->status > 299) {
		*cause = api_error_text(ctl, reply);
		goto out;
	}
	ret = 0;

out:
	curl_slist_free_all(hdrs);
	free(type);
	free(auth);
	free(url);
	return ret;
}

/* Parses an answer body as a JSON object into *out (caller frees); an
 * empty body is an empty object. 0, or -1 and *cause. */
static int
api_parse(const char *path, const struct buf *body, json_t **out, char **cause)
{
	json_error_t err;

	if (body->len == 0) {
		*out = json_object();
		return 0;
	}
	*out = json_loadb(body->data, body->len, 0, &err);
	if (*out == NULL) {
		*cause = xasprintf("%s: the answer is not JSON: %s", path, err.text);
		return -1;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		*cause = xasprintf("%s: the answer is not a JSON object", path);
		return -1;
	}
	return 0;
}

/* Calls method on path with in (or no body when NULL) as JSON and parses
 * the answer into *out (caller frees). 0, or -1 and *cause. */
static int
api_json(struct ctl *ctl, const char *method, const char *path, const json_t *in, json_t **out,
    char **cause)
{
	struct api_req req = { .method = method, .path = path };
	struct api_reply reply = { 0 };
	char *body = NULL;
	int ret = -1;

	*out = NULL;
	if (in != NULL) {
		body = json_dumps(in, JSON_COMPACT);
		if (body == NULL) {
			*cause = xstrdup("cannot encode the request as JSON");
			return -1;
		}
		req.type = "application/json";
		req.body = body;
		req.len = strlen(body);
	}
	if (api_perform(ctl, &req, &reply, cause) == 0)
		ret = api_parse(path, &reply.body, out, cause);
	buf_free(&reply.body);
	free(body);
	return ret;
}

/* GET path as JSON; see api_json. */
static int
api_get(struct ctl *ctl, const char *path, json_t **out, char **cause)
{
	return api_json(ctl, "GET", path, NULL, out, cause);
}

/* ------------------------------------------------------------------ */
/* Arguments.                                                          */
/* ------------------------------------------------------------------ */

/* Does option name (len bytes, from "--name" or "--name=v") take a value?
 * An exact match wins, else a unique prefix as getopt_long allows. */
static int
long_needs_value(const struct option *opts, const char *name, size_t len)
{
	const struct option *o, *hit = NULL;
	int hits = 0;

	for (o = opts; o->name != NULL; o++) {
		if (strncmp(o->name, name, len) != 0)
			continue;
		if (o->name[len] == '\0')
			return o->has_arg == required_argument;
		hit = o;
		hits++;
	}
	return hits == 1 && hit->has_arg == required_argument;
}

/* Where "--" ends the options in argv (so that the operands after it are
 * the test's arguments, which getopt's reordering would otherwise mix in
 * with the TESTs); argc when there is none. Option values are skipped, so
 * "--name --" names a test "--". */
static int
args_split(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *p, *eq;

		if (strcmp(a, "--") == 0)
			return i;
		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			if (eq == NULL && long_needs_value(longopts, a + 2, strlen(a + 2)))
				i++;
			continue;
		}
		for (p = a + 1; *p != '\0'; p++) {
			const char *s = *p != ':' ? strchr(shortopts, *p) : NULL;

			if (s != NULL && s[1] == ':') {
				if (p[1] == '\0')
					i++;
				break;
			}
		}
	}
	return argc;
}

static void args_free(struct args *);

/* Parses a command's argv (argv[0] is the command name) into args. On a
 * bad argument returns -1 and *cause names it (caller frees). */
static int
args_parse(const struct cmd_entry *cmd, int argc, char **argv, struct args *args, char **cause)
{
	size_t nc = ARRAY_SIZE(common_opts) - 1, no = 0, ncap;
	struct option *longopts;
	char *shortopts;
	int split, c, ret = -1;

	memset(args, 0, sizeof(*args));
	while (cmd->longopts[no].name != NULL)
		no++;
	longopts = xcalloc(nc + no + 1, sizeof(longopts[0]));
	memcpy(longopts, common_opts, nc * sizeof(longopts[0]));
	memcpy(longopts + nc, cmd->longopts, no * sizeof(longopts[0]));
	shortopts = xasprintf(":%s%s", COMMON_SHORTOPTS, cmd->shortopts);

	split = cmd->dashdash ? args_split(argc, argv, shortopts, longopts) : argc;
	ncap = (size_t)argc;
	args->opts = xcalloc(ncap, sizeof(args->opts[0]));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(split, argv, shortopts, longopts, NULL)) != -1) {
		if (c == '?') {
			if (optopt != 0 && optopt < 256)
				*cause = xasprintf("unknown option '-%c'", optopt);
			else
				*cause = xasprintf("unknown option '%s'", argv[optind - 1]);
			goto out;
		}
		if (c == ':') {
			*cause = xasprintf("option '%s' needs a value", argv[optind - 1]);
			goto out;
		}
		args->opts[args->nopts].opt = c;
		args->opts[args->nopts++].value = optarg;
	}
	args->argc = split - optind;
	args->argv = argv + optind;
	args->nextra = split < argc ? argc - split - 1 : -1;
	args->extra = split < argc ? argv + split + 1 : NULL;
	ret = 0;

out:
	if (ret < 0)
		args_free(args);
	free(shortopts);
	free(longopts);
	return ret;
}

static void
args_free(struct args *args)
{
	free(args->opts);
	memset(args, 0, sizeof(*args));
}

/* The value of the last occurrence of opt, or NULL. */
static const char *
args_get(const struct args *args, int opt)
{
	size_t i;

	for (i = args->nopts; i > 0; i--) {
		if (args->opts[i - 1].opt == opt)
			return args->opts[i - 1].value ? args->opts[i - 1].value : "";
	}
	return NULL;
}

/* Parses a job or run id operand. */
static int
parse_id(const char *s, long long *id)
{
	return parse_int(s, 1, LLONG_MAX, id);
}

/* ------------------------------------------------------------------ */
/* Operations: one per command, each prints what the user sees.        */
/* ------------------------------------------------------------------ */

/* Uploads the EFI app at path to the app store, streaming it and hashing
 * it on the way; the server's hash must agree. Fills sha on success and
 * prints the size and hash. 0, or -1 and *cause. */
static int
op_upload(struct ctl *ctl, const char *path, char sha[65], char **cause)
{
	struct api_req req = {
		.method = "POST", .path = "/api/v1/apps", .type = "application/octet-stream",
	};
	struct api_reply reply = { 0 };
	struct api_upload up = { 0 };
	unsigned char digest[SHA256_DIGEST_SIZE];
	json_t *ans = NULL;
	const char *theirs;
	struct stat st;
	int ret = -1;

	if ((up.file = fopen(path, "rb")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(up.file), &st) < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		*cause = xasprintf("%s: %s", path, S_ISREG(st.st_mode) ? "empty file" :
		    "not a regular file");
		goto out;
	}
	sha256_init(&up.sha);
	req.upload = &up;
	req.upload_size = (unsigned long long)st.st_size;
	if (api_perform(ctl, &req, &reply, cause) < 0)
		goto out;
	if (up.sent != req.upload_size) {
		*cause = xasprintf("%s: changed while being uploaded", path);
		goto out;
	}
	sha256_digest(&up.sha, sizeof(digest), digest);
	hex_encode(digest, sizeof(digest), sha);
	if (api_parse(req.path, &reply.body, &ans, cause) < 0)
		goto out;
	theirs = jstr(ans, "sha256");
	if (theirs == NULL || strcmp(theirs, sha) != 0) {
		*cause = xasprintf("%s: the server stored sha256 %s, farmctl sent %s", path,
		    theirs ? theirs : "(none)", sha);
		goto out;
	}
	say(human(ctl), "app %s: %lld bytes, sha256 %s (%s)", path, (long long)st.st_size, sha,
	    reply.status == 201 ? "uploaded" : "already stored");
	ret = 0;

out:
	json_decref(ans);
	buf_free(&reply.body);
	fclose(up.file);
	return ret;
}

/* What schedule --wait last showed of each job, to print changes only. */
struct watch {
	long long id;
	char *state;
};

struct watchlist {
	struct watch *w;
	size_t n;
};

/* Prints "job 12 vm-x86 selftest: booting" for every job of run whose
 * state differs from the one last shown. */
static void
watch_update(struct ctl *ctl, struct watchlist *wl, const json_t *run)
{
	json_t *jobs = json_object_get(run, "jobs"), *job;
	const char *state;
	char *label, *status;
	size_t i, k;

	json_array_foreach(jobs, i, job) {
		state = jstr(job, "state");
		if (state == NULL)
			continue;
		for (k = 0; k < wl->n && wl->w[k].id != jid(job); k++)
			;
		if (k == wl->n) {
			wl->w = xrealloc(wl->w, (wl->n + 1) * sizeof(wl->w[0]));
			wl->w[wl->n].id = jid(job);
			wl->w[wl->n++].state = NULL;
		}
		if (wl->w[k].state != NULL && strcmp(wl->w[k].state, state) == 0)
			continue;
		free(wl->w[k].state);
		wl->w[k].state = xstrdup(state);
		label = job_label(job);
		status = job_status(job);
		say(human(ctl), "%s: %s", label, status);
		free(status);
		free(label);
	}
}

static void
watch_free(struct watchlist *wl)
{
	size_t i;

	for (i = 0; i < wl->n; i++)
		free(wl->w[i].state);
	free(wl->w);
}

/* Are all of run's jobs over? */
static int
run_finished(const json_t *run)
{
	json_t *job;
	size_t i;

	json_array_foreach(json_object_get(run, "jobs"), i, job) {
		if (!job_finished(job))
			return 0;
	}
	return 1;
}

/* Replaces each job of run with GET /api/v1/jobs/<id>, which carries the
 * test cases. 0, or -1 and *cause. */
static int
run_fetch_jobs(struct ctl *ctl, json_t *run, char **cause)
{
	json_t *jobs = json_object_get(run, "jobs"), *job, *full;
	char path[64];
	size_t i;

	json_array_foreach(jobs, i, job) {
		snprintf(path, sizeof(path), "/api/v1/jobs/%lld", jid(job));
		if (api_get(ctl, path, &full, cause) < 0)
			return -1;
		json_array_set_new(jobs, i, full);
	}
	return 0;
}

/* Sleeps ms milliseconds or until Ctrl-C; -1 when interrupted. */
static int
sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	while (!interrupted && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return interrupted ? -1 : 0;
}

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Prints the final table of a finished run, each job that did not pass
 * with its failing test cases, and the verdict line; returns the exit
 * status run_verdict gives. */
static int
print_run_summary(struct ctl *ctl, const json_t *run)
{
	json_t *jobs = json_object_get(run, "jobs"), *job, *tc;
	struct table t = { 0 };
	struct table cases;
	int counts[NOUTCOMES], verdict, shown = 0;
	const char *status;
	const char *what;
	char *label, *text;
	size_t i, k;
	FILE *f = human(ctl);

	table_init(&t, (const char *const[]){ "JOB", "MACHINE", "TEST", "RESULT", "EXIT",
		    "DURATION", "BOOT", NULL });
	json_array_foreach(jobs, i, job) {
		table_addf(&t, "%lld", jid(job));
		table_add(&t, jstr(job, "machine") ? jstr(job, "machine") : jstr(job, "target"));
		table_add(&t, jstr(job, "test"));
		k = job_outcome_index(job);
		table_add(&t, jstr(job, "result") && k != OUTCOME_CANCELLED ?
		    jstr(job, "result") : outcome_names[k]);
		table_add_int(&t, job, "exit_code");
		table_add_duration(&t, job, "duration_ms");
		table_add_duration(&t, job, "boot_ms");
	}
	fputc('\n', f);
	table_print(&t, f, "");
	table_free(&t);

	json_array_foreach(jobs, i, job) {
		k = job_outcome_index(job);
		if (k == OUTCOME_PASS || k == OUTCOME_SKIP)
			continue;
		if (shown++ == 0)
			fputc('\n', f);
		label = job_label(job);
		text = job_status(job);
		say(f, "%s: %s", label, text);
		free(text);
		free(label);
		cases = (struct table){ .ncols = 3 };
		json_array_foreach(json_object_get(job, "testcases"), k, tc) {
			status = jstr(tc, "status");
			if (status == NULL || (strcmp(status, "fail") != 0 &&
			    strcmp(status, "xpass") != 0))
				continue;
			table_add(&cases, status);
			table_add(&cases, jstr(tc, "name"));
			table_add(&cases, jstr(tc, "message") ? jstr(tc, "message") : "");
		}
		table_print(&cases, f, "  ");
		table_free(&cases);
	}

	verdict = run_verdict(jobs, counts);
	text = counts_text(outcome_names, counts, NOUTCOMES);
	if (verdict == EXIT_OK)
		what = "passed";
	else if (verdict == EXIT_FAIL)
		what = "FAILED";
	else if (json_array_size(jobs) == 0)
		what = "ERROR: the run has no jobs";
	else
		what = "ERROR, not a test verdict: a job ended in error, infra or timeout, "
		    "or was cancelled";
	fputc('\n', f);
	say(f, "run %lld: %s (%zu job%s: %s)", jid(run), what, json_array_size(jobs),
	    json_array_size(jobs) == 1 ? "" : "s", text);
	free(text);
	return verdict;
}

/* Follows run until every job is done or cancelled, printing each change,
 * then fetches every job with its test cases and prints the summary (and
 * with --json the final run on stdout). Returns the exit status. */
static int
op_wait(struct ctl *ctl, json_t *run)
{
	struct watchlist wl = { 0 };
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	long long id = jid(run), lost_since = -1;
	json_t *next;
	char path[64], *cause = NULL;
	int ret = EXIT_ERROR;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	snprintf(path, sizeof(path), "/api/v1/runs/%lld", id);
	watch_update(ctl, &wl, run);
	json_incref(run);
	while (!run_finished(run)) {
		if (sleep_ms(WAIT_POLL_MS) < 0)
			break;
		if (api_get(ctl, path, &next, &cause) < 0) {
			if (interrupted)
				break;
			/* Ride out a farmd restart: it keeps every job. */
			if (ctl->status == 0 && (lost_since < 0 ||
			    now_ms() - lost_since < WAIT_RETRY_MS)) {
				if (lost_since < 0) {
					lost_since = now_ms();
					say(stderr, "farmctl: schedule: %s; retrying", cause);
				}
				free(cause);
				cause = NULL;
				continue;
			}
			fail(ctl, "waiting for run %lld: %s", id, cause);
			goto out;
		}
		lost_since = -1;
		json_decref(run);
		run = next;
		watch_update(ctl, &wl, run);
	}
	if (!interrupted && run_fetch_jobs(ctl, run, &cause) < 0 && !interrupted) {
		fail(ctl, "run %lld: %s", id, cause);
		goto out;
	}
	if (interrupted) {
		fflush(stdout);
		fprintf(stderr, "farmctl: schedule: stopped waiting; run %lld keeps running "
		    "(farmctl jobs --run %lld)\n", id, id);
		ret = EXIT_INTR;
		goto out;
	}
	/* With --json the summary goes to stderr, beside the progress. */
	ret = print_run_summary(ctl, run);
	if (ctl->json)
		print_json(run);

out:
	sigaction(SIGINT, &old, NULL);
	json_decref(run);
	free(cause);
	watch_free(&wl);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Commands: argument parsing, then the operation.                     */
/* ------------------------------------------------------------------ */

/* Appends s to a JSON array; -1 when s is not UTF-8. */
static int
json_append_string(json_t *array, const char *s)
{
	return json_array_append_new(array, json_string(s));
}

/* The test name --efi gives by default: FILE's basename without ".efi".
 * Caller frees. */
static char *
efi_default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && strcasecmp(base + len - 4, ".efi") == 0)
		len -= 4;
	return xstrndup(base, len);
}

/* Builds the body of POST /api/v1/runs from schedule's arguments, all but
 * the app (which op_schedule adds after the upload). Returns EXIT_OK and
 * *out (caller frees), or the exit status of a usage error it reported. */
static int
schedule_request(struct ctl *ctl, const struct args *args, json_t **out)
{
	json_t *req = json_object(), *machines = json_array(), *tags = json_array();
	json_t *env = json_object(), *list;
	const char *efi = args_get(args, OPT_EFI), *name = args_get(args, 'n'), *v, *eq;
	long long n;
	size_t i;
	int ret = EXIT_ERROR;

	*out = NULL;
	for (i = 0; i < args->nopts; i++) {
		v = args->opts[i].value;
		switch (args->opts[i].opt) {
		case 'm':
		case 't':
			list = args->opts[i].opt == 'm' ? machines : tags;
			if (*v == '\0' || json_append_string(list, v) < 0) {
				ret = usage_error(ctl, "bad --%s '%s'",
				    list == machines ? "machine" : "tag", v);
				goto out;
			}
			break;
		case 'e':
			if ((eq = strchr(v, '=')) == NULL || eq == v) {
				ret = usage_error(ctl, "bad --env '%s': want KEY=VALUE", v);
				goto out;
			}
			if (json_object_setn_new(env, v, (size_t)(eq - v), json_string(eq + 1)) < 0) {
				ret = usage_error(ctl, "bad --env '%s': not UTF-8", v);
				goto out;
			}
			break;
		}
	}
	if (json_array_size(machines) == 0 && json_array_size(tags) == 0) {
		ret = usage_error(ctl, "say where to run: at least one --machine or --tag");
		goto out;
	}
	if (efi != NULL && args->argc > 0) {
		ret = usage_error(ctl, "--efi runs the one app; no TEST with it ('%s')",
		    args->argv[0]);
		goto out;
	}
	if (efi == NULL && args->argc == 0) {
		ret = usage_error(ctl, "name at least one TEST, or give --efi FILE");
		goto out;
	}
	if (name != NULL && (efi == NULL || *name == '\0')) {
		ret = usage_error(ctl, efi ? "--name is empty" : "--name goes with --efi");
		goto out;
	}
	if (args->argc > 0) {
		json_object_set_new(req, "tests", list = json_array());
		for (i = 0; i < (size_t)args->argc; i++) {
			if (json_append_string(list, args->argv[i]) < 0) {
				ret = usage_error(ctl, "bad TEST '%s': not UTF-8", args->argv[i]);
				goto out;
			}
		}
	}
	if (json_array_size(machines) > 0)
		json_object_set(req, "machines", machines);
	if (json_array_size(tags) > 0)
		json_object_set(req, "tags", tags);
	/* "--" with nothing after it still replaces the suite's arguments. */
	if (args->nextra >= 0) {
		json_object_set_new(req, "args", list = json_array());
		for (i = 0; i < (size_t)args->nextra; i++) {
			if (json_append_string(list, args->extra[i]) < 0) {
				ret = usage_error(ctl, "bad argument '%s': not UTF-8",
				    args->extra[i]);
				goto out;
			}
		}
	}
	if (json_object_size(env) > 0)
		json_object_set(req, "env", env);
	if ((v = args_get(args, OPT_TIMEOUT)) != NULL) {
		if (parse_int(v, 1, INT_MAX, &n) < 0) {
			ret = usage_error(ctl, "bad --timeout '%s': want seconds > 0", v);
			goto out;
		}
		json_object_set_new(req, "timeout", json_integer(n));
	}
	if ((v = args_get(args, OPT_PRIORITY)) != NULL) {
		if (parse_int(v, INT_MIN, INT_MAX, &n) < 0) {
			ret = usage_error(ctl, "bad --priority '%s': want an integer", v);
			goto out;
		}
		json_object_set_new(req, "priority", json_integer(n));
	}
	if (name != NULL && json_object_set_new(req, "name", json_string(name)) < 0) {
		ret = usage_error(ctl, "bad --name '%s': not UTF-8", name);
		goto out;
	}
	*out = req;
	req = NULL;
	ret = EXIT_OK;

out:
	json_decref(env);
	json_decref(tags);
	json_decref(machines);
	json_decref(req);
	return ret;
}

/* Uploads efi (when not NULL) and names it in req, POSTs req as a new run
 * and prints the run and its jobs, or follows them with wait. Returns the
 * exit status. */
static int
op_schedule(struct ctl *ctl, json_t *req, const char *efi, int wait)
{
	json_t *run = NULL, *jobs, *job;
	char sha[65], *cause = NULL, *name, *label, *status;
	size_t i;
	int ret = EXIT_ERROR;

	if (efi != NULL) {
		if (op_upload(ctl, efi, sha, &cause) < 0) {
			ret = fail(ctl, "%s", cause);
			goto out;
		}
		json_object_set_new(req, "app", json_string(sha));
		if (json_object_get(req, "name") == NULL) {
			name = efi_default_name(efi);
			json_object_set_new(req, "name", json_string(name));
			free(name);
			if (json_object_get(req, "name") == NULL) {
				ret = fail(ctl, "%s: the file name is not UTF-8; give --name", efi);
				goto out;
			}
		}
	}
	if (api_json(ctl, "POST", "/api/v1/runs", req, &run, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	jobs = json_object_get(run, "jobs");
	if (jid(run) == 0 || !json_is_array(jobs)) {
		ret = fail(ctl, "the server's answer has no run id or jobs");
		goto out;
	}
	if (wait) {
		say(human(ctl), "run %lld: %zu job%s", jid(run), json_array_size(jobs),
		    json_array_size(jobs) == 1 ? "" : "s");
		ret = op_wait(ctl, run);
		goto out;
	}
	ret = EXIT_OK;
	if (ctl->json) {
		print_json(run);
		goto out;
	}
	say(stdout, "run %lld: %zu job%s", jid(run), json_array_size(jobs),
	    json_array_size(jobs) == 1 ? "" : "s");
	json_array_foreach(jobs, i, job) {
		label = job_label(job);
		status = job_status(job);
		say(stdout, "%s: %s", label, status);
		free(status);
		free(label);
	}

out:
	free(cause);
	json_decref(run);
	return ret;
}

/* 1 when machine m (server JSON) has every tag in tags. */
static int
machine_has_tags(json_t *m, json_t *tags)
{
	json_t *want, *have;
	size_t i, k;

	json_array_foreach(tags, i, want) {
		int found = 0;

		json_array_foreach(json_object_get(m, "tags"), k, have)
			found |= json_equal(want, have);
		if (!found)
			return 0;
	}
	return 1;
}

/* The suite file for test t on arch: DIR/<arch>/FILE, else DIR/FILE, or
 * NULL (caller frees). */
static char *
suite_file(const char *dir, const char *arch, const char *file)
{
	char *p = xasprintf("%s/%s/%s", dir, arch, file);

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	p = xasprintf("%s/%s", dir, file);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* The architecture of an EFI file from its PE header, or NULL. */
static const char *
file_arch(const char *path)
{
	char head[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return NULL;
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	return apps_arch(head, n);
}

/* schedule --suite: one job per selected test per target machine, the
 * binaries uploaded, as the "jobs" form of POST /api/v1/runs. Returns
 * EXIT_OK and *out, or the exit status of an error it reported. */
static int
suite_request(struct ctl *ctl, const struct args *args, json_t **out)
{
	const char *path = args_get(args, OPT_SUITE), *group = args_get(args, OPT_GROUP);
	const char *dir = args_get(args, OPT_EFI_DIR), *v, *eq;
	json_t *machines = NULL, *targets = json_array(), *tags = json_array();
	json_t *jobs = json_array(), *uploads = json_object(), *m, *req = NULL;
	struct suite *suite;
	char *cause = NULL, *sdir = NULL;
	size_t i, k;
	long long n;
	int ret = EXIT_ERROR;

	*out = NULL;
	if (args_get(args, OPT_EFI) || args->nextra >= 0) {
		json_decref(targets);
		json_decref(tags);
		json_decref(jobs);
		json_decref(uploads);
		return usage_error(ctl, "--suite takes its programs and arguments from"
		    " the suite: no --efi and no -- ARGS with it");
	}
	suite = suite_load(path, &cause);
	if (suite == NULL) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	if (dir == NULL) {
		const char *slash = strrchr(path, '/');

		sdir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
		dir = sdir;
	}
	if (api_get(ctl, "/api/v1/machines", &machines, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	for (i = 0; i < args->nopts; i++)
		if (args->opts[i].opt == 't')
			json_array_append_new(tags, json_string(args->opts[i].value));
	json_array_foreach(json_object_get(machines, "machines"), i, m) {
		int take = json_array_size(tags) > 0 && machine_has_tags(m, tags);

		for (k = 0; k < args->nopts; k++)
			if (args->opts[k].opt == 'm' &&
			    strcmp(args->opts[k].value, jstr(m, "name")) == 0)
				take = 1;
		if (take)
			json_array_append(targets, m);
	}
	for (k = 0; k < args->nopts; k++) {
		int known = 0;

		if (args->opts[k].opt != 'm')
			continue;
		json_array_foreach(json_object_get(machines, "machines"), i, m)
			known |= strcmp(args->opts[k].value, jstr(m, "name")) == 0;
		if (!known) {
			ret = fail(ctl, "no machine %s on the server", args->opts[k].value);
			goto out;
		}
	}
	if (json_array_size(targets) == 0) {
		ret = fail(ctl, "no machine matches: say where to run with --machine or"
		    " --tag");
		goto out;
	}
	json_array_foreach(targets, i, m) {
		const char *arch = jstr(m, "arch"), *mname = jstr(m, "name");

		for (k = 0; k < suite->ntests; k++) {
			const struct suite_test *t = &suite->tests[k];
			json_t *job, *env, *argv;
			char *file;
			const char *farch, *sha;
			size_t a;
			int named = args->argc == 0;

			for (a = 0; a < (size_t)args->argc; a++)
				named |= strcmp(args->argv[a], t->name) == 0;
			if (named && t->unavailable && i == 0)
				fprintf(stderr, "farmctl: %s:%d: %s: not run: %s\n", path,
				    t->line, t->name, t->unavailable);
			if (!named || !suite_test_selected(t, args->argc ? "*" : group, arch))
				continue;
			file = suite_file(dir, arch, t->file);
			if (file == NULL) {
				ret = fail(ctl, "%s:%d: %s: no %s in %s/%s or %s", path, t->line,
				    t->name, t->file, dir, arch, dir);
				goto out;
			}
			farch = file_arch(file);
			if (farch && strcmp(farch, arch) != 0) {
				fprintf(stderr, "farmctl: %s: %s is an %s program; not run on %s"
				    " (%s)\n", t->name, file, farch, mname, arch);
				free(file);
				continue;
			}
			if ((sha = json_string_value(json_object_get(uploads, file))) == NULL) {
				char hash[65];

				if (op_upload(ctl, file, hash, &cause) < 0) {
					free(file);
					ret = fail(ctl, "%s", cause);
					goto out;
				}
				json_object_set_new(uploads, file, json_string(hash));
				sha = json_string_value(json_object_get(uploads, file));
			}
			argv = json_array();
			for (a = 0; a < t->nargs; a++)
				json_array_append_new(argv, json_string(t->args[a]));
			env = json_object();
			for (a = 0; a < t->nenv; a++) {
				eq = strchr(t->env[a], '=');
				json_object_setn_new(env, t->env[a], (size_t)(eq - t->env[a]),
				    json_string(eq + 1));
			}
			for (a = 0; a < args->nopts; a++) {
				v = args->opts[a].value;
				if (args->opts[a].opt != 'e')
					continue;
				if ((eq = strchr(v, '=')) == NULL || eq == v) {
					json_decref(argv);
					json_decref(env);
					free(file);
					ret = usage_error(ctl, "bad --env '%s': want KEY=VALUE", v);
					goto out;
				}
				json_object_setn_new(env, v, (size_t)(eq - v), json_string(eq + 1));
			}
			job = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "test", t->name, "app",
			    sha, "name", strrchr(file, '/') ? strrchr(file, '/') + 1 : file,
			    "machine", mname, "args", argv, "env", env);
			if ((v = args_get(args, OPT_TIMEOUT)) != NULL &&
			    parse_int(v, 1, INT_MAX, &n) == 0)
				json_object_set_new(job, "timeout", json_integer(n));
			else if (t->timeout > 0)
				json_object_set_new(job, "timeout", json_integer(t->timeout));
			if (t->smp > 0)
				json_object_set_new(job, "smp", json_integer(t->smp));
			if (t->memory > 0)
				json_object_set_new(job, "memory", json_integer(t->memory));
			json_array_append_new(jobs, job);
			free(file);
		}
	}
	if (json_array_size(jobs) == 0) {
		ret = fail(ctl, "%s: no test%s%s runs on those machines", path,
		    group ? " of group " : "", group ? group : "");
		goto out;
	}
	req = json_pack("{s:O}", "jobs", jobs);
	if ((v = args_get(args, OPT_PRIORITY)) != NULL) {
		if (parse_int(v, INT_MIN, INT_MAX, &n) < 0) {
			ret = usage_error(ctl, "bad --priority '%s': want an integer", v);
			goto out;
		}
		json_object_set_new(req, "priority", json_integer(n));
	}
	*out = req;
	req = NULL;
	ret = EXIT_OK;
out:
	json_decref(req);
	json_decref(machines);
	json_decref(targets);
	json_decref(tags);
	json_decref(jobs);
	json_decref(uploads);
	suite_free(suite);
	free(sdir);
	free(cause);
	return ret;
}

static int
cmd_schedule_exec(struct ctl *ctl, struct args *args)
{
	json_t *req;
	int ret;

	if (args_get(args, OPT_SUITE) != NULL) {
		if ((ret = suite_request(ctl, args, &req)) != EXIT_OK)
			return ret;
		ret = op_schedule(ctl, req, NULL, args_get(args, 'w') != NULL);
		json_decref(req);
		return ret;
	}
	if (args_get(args, OPT_GROUP) || args_get(args, OPT_EFI_DIR))
		return usage_error(ctl, "--group and --efi-dir go with --suite");
	if ((ret = schedule_request(ctl, args, &req)) != EXIT_OK)
		return ret;
	ret = op_schedule(ctl, req, args_get(args, OPT_EFI), args_get(args, 'w') != NULL);
	json_decref(req);
	return ret;
}

static int
cmd_jobs_exec(struct ctl *ctl, struct args *args)
{
	struct buf path = { 0 };
	struct table t = { 0 };
	json_t *ans = NULL, *job;
	const char *v;
	char *cause = NULL, when[32];
	long long n;
	size_t i;
	int ret = EXIT_ERROR;

	buf_adds(&path, "/api/v1/jobs");
	if ((v = args_get(args, OPT_STATE)) != NULL)
		url_query(&path, "state", v);
	if ((v = args_get(args, 'r')) != NULL) {
		if (parse_id(v, &n) < 0) {
			ret = usage_error(ctl, "bad --run '%s': want a run id", v);
			goto out;
		}
		url_query(&path, "run", v);
	}
	if ((v = args_get(args, 'm')) != NULL)
		url_query(&path, "machine", v);
	if ((v = args_get(args, 'n')) != NULL) {
		if (parse_int(v, 1, INT_MAX, &n) < 0) {
			ret = usage_error(ctl, "bad --limit '%s': want a number > 0", v);
			goto out;
		}
		url_query(&path, "limit", v);
	}
	if (api_get(ctl, path.data, &ans, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	ret = EXIT_OK;
	if (ctl->json) {
		print_json(ans);
		goto out;
	}
	if (json_array_size(json_object_get(ans, "jobs")) == 0) {
		say(stdout, "no jobs");
		goto out;
	}
	table_init(&t, (const char *const[]){ "ID", "STATE", "RESULT", "MACHINE", "TEST",
		    "DURATION", "QUEUED", NULL });
	json_array_foreach(json_object_get(ans, "jobs"), i, job) {
		table_addf(&t, "%lld", jid(job));
		table_add(&t, jstr(job, "state"));
		table_add(&t, jstr(job, "result"));
		table_add(&t, jstr(job, "machine") ? jstr(job, "machine") : jstr(job, "target"));
		table_add(&t, jstr(job, "test"));
		table_add_duration(&t, job, "duration_ms");
		if (jint(job, "queued_at", &n) == 0)
			fmt_time(n, when, sizeof(when));
		else
			snprintf(when, sizeof(when), "-");
		table_add(&t, when);
	}
	table_print(&t, stdout, "");

out:
	table_free(&t);
	json_decref(ans);
	free(cause);
	buf_free(&path);
	return ret;
}

/* Prints "  label  value" for a job detail when value is known. */
static void
show_field(const char *label, const char *value)
{
	if (value != NULL && *value != '\0')
		say(stdout, "  %-10s %s", label, value);
}

/* Prints a time member as a detail line. */
static void
show_time(const json_t *job, const char *label, const char *key)
{
	char when[32];
	long long v;

	if (jint(job, key, &v) == 0) {
		fmt_time(v, when, sizeof(when));
		show_field(label, when);
	}
}

static int
cmd_show_exec(struct ctl *ctl, struct args *args)
{
	struct table t = { 0 };
	struct buf b = { 0 };
	json_t *job = NULL, *tc, *v;
	const char *key, *s;
	char path[64], d[32], *cause = NULL, *text;
	long long id, n;
	size_t i;
	int ret = EXIT_ERROR;

	if (parse_id(args->argv[0], &id) < 0)
		return usage_error(ctl, "bad JOB '%s': want a job id", args->argv[0]);
	snprintf(path, sizeof(path), "/api/v1/jobs/%lld", id);
	if (api_get(ctl, path, &job, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	ret = EXIT_OK;
	if (ctl->json) {
		print_json(job);
		goto out;
	}

	if (jint(job, "run", &n) == 0)
		buf_printf(&b, " (run %lld)", n);
	s = jstr(job, "test");
	say(stdout, "job %lld%s: %s", jid(job), b.data ? b.data : "", s ? s : "-");
	buf_reset(&b);
	text = job_status(job);
	show_field("state", jstr(job, "state"));
	show_field("result", job_finished(job) ? text : NULL);
	free(text);
	show_field("machine", jstr(job, "machine"));
	show_field("target", jstr(job, "target"));
	show_field("app", jstr(job, "app"));
	json_array_foreach(json_object_get(job, "args"), i, v)
		buf_printf(&b, "%s%s", i ? " " : "", json_string_value(v) ? json_string_value(v) : "?");
	show_field("args", b.data);
	buf_reset(&b);
	json_object_foreach(json_object_get(job, "env"), key, v)
		buf_printf(&b, "%s%s=%s", b.len ? " " : "", key,
		    json_string_value(v) ? json_string_value(v) : "?");
	show_field("env", b.data);
	buf_reset(&b);
	if (jint(job, "priority", &n) == 0)
		buf_printf(&b, "%lld", n);
	show_field("priority", b.data);
	buf_reset(&b);
	if (jint(job, "timeout", &n) == 0)
		buf_printf(&b, "%lld s", n);
	show_field("timeout", b.data);
	buf_reset(&b);
	show_time(job, "queued", "queued_at");
	show_time(job, "started", "started_at");
	show_time(job, "finished", "finished_at");
	if (jint(job, "duration_ms", &n) == 0) {
		fmt_duration(n, d, sizeof(d));
		show_field("duration", d);
	}
	if (jint(job, "boot_ms", &n) == 0) {
		fmt_duration(n, d, sizeof(d));
		show_field("boot", d);
	}
	if (jint(job, "log_size", &n) == 0) {
		buf_printf(&b, "%lld bytes (farmctl log %lld)", n, jid(job));
		show_field("log", b.data);
		buf_reset(&b);
	}

	v = json_object_get(job, "testcases");
	if (json_array_size(v) == 0) {
		say(stdout, "\nno test cases");
		goto out;
	}
	putchar('\n');
	table_init(&t, (const char *const[]){ "STATUS", "NAME", "MESSAGE", NULL });
	json_array_foreach(v, i, tc) {
		table_add(&t, jstr(tc, "status"));
		table_add(&t, jstr(tc, "name"));
		table_add(&t, jstr(tc, "message") ? jstr(tc, "message") : "");
	}
	table_print(&t, stdout, "");

out:
	table_free(&t);
	buf_free(&b);
	json_decref(job);
	free(cause);
	return ret;
}

static int
cmd_log_exec(struct ctl *ctl, struct args *args)
{
	struct api_reply reply = { 0 };
	struct api_req req = { .method = "GET" };
	int follow = args_get(args, 'f') != NULL, ret = EXIT_ERROR;
	long long id, offset = 0;
	char *path = NULL, *cause = NULL;

	if (parse_id(args->argv[0], &id) < 0)
		return usage_error(ctl, "bad JOB '%s': want a job id", args->argv[0]);
	for (;;) {
		free(path);
		path = xasprintf("/api/v1/jobs/%lld/log?offset=%lld", id, offset);
		req.path = path;
		if (api_perform(ctl, &req, &reply, &cause) < 0) {
			ret = fail(ctl, "%s", cause);
			goto out;
		}
		if (reply.body.len > 0 && fwrite(reply.body.data, 1, reply.body.len, stdout) !=
		    reply.body.len) {
			ret = fail(ctl, "writing the log: %s", strerror(errno));
			goto out;
		}
		fflush(stdout);
		offset += (long long)reply.body.len;
		/* More stored than one answer carried: fetch on at once. */
		if (reply.body.len > 0 && reply.log_size > offset)
			continue;
		if (!follow || strcmp(reply.state, "done") == 0 ||
		    strcmp(reply.state, "cancelled") == 0)
			break;
		sleep_ms(LOG_POLL_MS);
	}
	ret = EXIT_OK;

out:
	buf_free(&reply.body);
	free(path);
	free(cause);
	return ret;
}

/* machines --discovered: MACs that asked for a boot script, unknown. */
static int
machines_discovered(struct ctl *ctl)
{
	struct table t = { 0 };
	json_t *ans = NULL, *d;
	char first[32], last[32], *cause = NULL;
	size_t i;
	int ret = EXIT_ERROR;

	if (api_get(ctl, "/api/v1/discovered", &ans, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	ret = EXIT_OK;
	if (ctl->json) {
		print_json(ans);
		goto out;
	}
	table_init(&t, (const char *const[]){ "MAC", "IP", "ARCH", "PLATFORM",
		    "FIRST SEEN", "LAST SEEN", "REQUESTS", NULL });
	json_array_foreach(json_object_get(ans, "discovered"), i, d) {
		table_add(&t, jstr(d, "mac"));
		table_add(&t, jstr(d, "ip"));
		table_add(&t, jstr(d, "arch"));
		table_add(&t, jstr(d, "platform"));
		fmt_time((long long)json_integer_value(json_object_get(d, "first_seen")),
		    first, sizeof(first));
		fmt_time((long long)json_integer_value(json_object_get(d, "last_seen")),
		    last, sizeof(last));
		table_add(&t, first);
		table_add(&t, last);
		table_add_int(&t, d, "requests");
	}
	table_print(&t, stdout, "");
out:
	table_free(&t);
	json_decref(ans);
	free(cause);
	return ret;
}

/* results [RUN] [--junit|--tap]: the server's export, as it is. */
static int
cmd_results_exec(struct ctl *ctl, struct args *args)
{
	struct api_req req = { .method = "GET" };
	struct api_reply reply = { 0 };
	const char *fmt = args_get(args, OPT_JUNIT) ? "junit" :
	    args_get(args, OPT_TAP) ? "tap" : "json";
	json_t *runs = NULL;
	char *path = NULL, *cause = NULL;
	long long id;
	int ret = EXIT_ERROR;

	if (args_get(args, OPT_JUNIT) && args_get(args, OPT_TAP))
		return usage_error(ctl, "--junit and --tap: choose one");
	if (args->argc > 0) {
		if (parse_id(args->argv[0], &id) < 0)
			return usage_error(ctl, "bad RUN '%s': want a run id", args->argv[0]);
	} else {
		if (api_get(ctl, "/api/v1/runs?limit=1", &runs, &cause) < 0) {
			ret = fail(ctl, "%s", cause);
			goto out;
		}
		id = (long long)json_integer_value(json_object_get(json_array_get(
		    json_object_get(runs, "runs"), 0), "id"));
		if (id <= 0) {
			ret = fail(ctl, "there is no run yet");
			goto out;
		}
	}
	path = xasprintf("/api/v1/runs/%lld/%s", id, fmt);
	req.path = path;
	if (api_perform(ctl, &req, &reply, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	if (fwrite(reply.body.data ? reply.body.data : "", 1, reply.body.len, stdout) !=
	    reply.body.len || fflush(stdout) != 0) {
		ret = fail(ctl, "stdout: %s", strerror(errno));
		goto out;
	}
	ret = EXIT_OK;
out:
	json_decref(runs);
	buf_free(&reply.body);
	free(path);
	free(cause);
	return ret;
}

/* machine set M maintenance|online [--reason TEXT] */
static int
cmd_machine_exec(struct ctl *ctl, struct args *args)
{
	const char *m = args->argv[1], *to = args->argv[2], *reason;
	json_t *body, *ans = NULL;
	char *path, *cause = NULL;
	int ret = EXIT_ERROR;

	if (strcmp(args->argv[0], "set") != 0)
		return usage_error(ctl, "unknown machine action '%s' (set)",
		    args->argv[0]);
	if (strcmp(to, "maintenance") != 0 && strcmp(to, "online") != 0)
		return usage_error(ctl, "bad state '%s': want maintenance or online", to);
	body = json_pack("{s:s}", "state", to);
	if ((reason = args_get(args, OPT_REASON)) != NULL)
		json_object_set_new(body, "reason", json_string(reason));
	path = xasprintf("/api/v1/machines/%s", m);
	if (api_json(ctl, "POST", path, body, &ans, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	if (ctl->json)
		print_json(ans);
	else
		say(stdout, "machine %s: %s (health %s)", m, jstr(ans, "state"),
		    jstr(ans, "health"));
	ret = EXIT_OK;
out:
	json_decref(body);
	json_decref(ans);
	free(path);
	free(cause);
	return ret;
}

static int
cmd_machines_exec(struct ctl *ctl, struct args *args)
{
	struct table t = { 0 };
	struct buf tags = { 0 };
	json_t *ans = NULL, *m, *tag;
	char *cause = NULL;
	size_t i, k;
	int ret = EXIT_ERROR;

	if (args_get(args, 'd') != NULL)
		return machines_discovered(ctl);
	if (api_get(ctl, "/api/v1/machines", &ans, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	ret = EXIT_OK;
	if (ctl->json) {
		print_json(ans);
		goto out;
	}
	table_init(&t, (const char *const[]){ "NAME", "ARCH", "KIND", "STATE", "HEALTH", "JOB",
		    "TAGS", NULL });
	json_array_foreach(json_object_get(ans, "machines"), i, m) {
		table_add(&t, jstr(m, "name"));
		table_add(&t, jstr(m, "arch"));
		table_add(&t, jstr(m, "kind"));
		table_add(&t, jstr(m, "state"));
		table_add(&t, jstr(m, "health"));
		table_add_int(&t, m, "job");
		buf_reset(&tags);
		json_array_foreach(json_object_get(m, "tags"), k, tag)
			buf_printf(&tags, "%s%s", k ? "," : "",
			    json_string_value(tag) ? json_string_value(tag) : "?");
		table_add(&t, tags.len ? tags.data : "");
	}
	table_print(&t, stdout, "");

out:
	buf_free(&tags);
	table_free(&t);
	json_decref(ans);
	free(cause);
	return ret;
}

static int
cmd_runs_exec(struct ctl *ctl, struct args *args)
{
	static const char *const names[] = {
		"pass", "fail", "skip", "error", "infra", "timeout", "queued", "running",
	};
	struct table t = { 0 };
	struct buf path = { 0 };
	json_t *ans = NULL, *run, *counts;
	const char *v;
	char when[32], *text, *cause = NULL;
	int c[ARRAY_SIZE(names)], total, ret = EXIT_ERROR;
	long long n;
	size_t i, k;

	buf_adds(&path, "/api/v1/runs");
	if ((v = args_get(args, 'n')) != NULL) {
		if (parse_int(v, 1, INT_MAX, &n) < 0) {
			ret = usage_error(ctl, "bad --limit '%s': want a number > 0", v);
			goto out;
		}
		url_query(&path, "limit", v);
	}
	if (api_get(ctl, path.data, &ans, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	ret = EXIT_OK;
	if (ctl->json) {
		print_json(ans);
		goto out;
	}
	if (json_array_size(json_object_get(ans, "runs")) == 0) {
		say(stdout, "no runs");
		goto out;
	}
	table_init(&t, (const char *const[]){ "RUN", "CREATED", "JOBS", "RESULTS", NULL });
	json_array_foreach(json_object_get(ans, "runs"), i, run) {
		counts = json_object_get(run, "counts");
		for (k = 0, total = 0; k < ARRAY_SIZE(names); k++) {
			c[k] = jint(counts, names[k], &n) == 0 ? (int)n : 0;
			total += c[k];
		}
		table_addf(&t, "%lld", jid(run));
		if (jint(run, "created_at", &n) == 0)
			fmt_time(n, when, sizeof(when));
		else
			snprintf(when, sizeof(when), "-");
		table_add(&t, when);
		table_addf(&t, "%d", total);
		text = counts_text(names, c, ARRAY_SIZE(names));
		table_add(&t, text);
		free(text);
	}
	table_print(&t, stdout, "");

out:
	table_free(&t);
	json_decref(ans);
	free(cause);
	buf_free(&path);
	return ret;
}

static int
cmd_cancel_exec(struct ctl *ctl, struct args *args)
{
	json_t *ans = NULL;
	char path[64], *cause = NULL;
	long long id;
	int ret = EXIT_ERROR;

	if (parse_id(args->argv[0], &id) < 0)
		return usage_error(ctl, "bad JOB '%s': want a job id", args->argv[0]);
	snprintf(path, sizeof(path), "/api/v1/jobs/%lld/cancel", id);
	if (api_json(ctl, "POST", path, NULL, &ans, &cause) < 0) {
		ret = fail(ctl, "%s", cause);
		goto out;
	}
	if (ctl->json)
		print_json(ans);
	else if (jstr(ans, "state") != NULL)
		say(stdout, "job %lld: %s", id, jstr(ans, "state"));
	else
		say(stdout, "job %lld: cancel requested", id);
	ret = EXIT_OK;

out:
	json_decref(ans);
	free(cause);
	return ret;
}

/* Prints farmctl's own help. */
static void
print_help(FILE *f)
{
	size_t i;

	fprintf(f, "usage: farmctl [-s URL] [--token T] [--json] COMMAND [ARGS...]\n\n"
	    "farm's command-line client: schedule tests on the farm's machines and\n"
	    "read their results.\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(cmd_table); i++)
		fprintf(f, "  %-10s %s\n", cmd_table[i].name, cmd_table[i].summary);
	fprintf(f, "\noptions (before or after COMMAND):\n"
	    "  -s, --server URL  farmd's URL (default: $FARM_SERVER, else %s)\n"
	    "      --token T     API token for changes (default: $FARM_API_TOKEN)\n"
	    "      --json        print the server's JSON instead of tables\n"
	    "  -h, --help        this help; farmctl COMMAND --help for a command\n"
	    "  -V, --version     farmctl's version\n\n"
	    "exit status: 0 done; 1 a test failed (schedule --wait); 2 an error\n", DEFAULT_SERVER);
}

/* Prints one command's help. */
static void
print_cmd_help(FILE *f, const struct cmd_entry *cmd)
{
	usage_line(f, cmd);
	fprintf(f, "\n%s.\n", cmd->summary);
	if (*cmd->help != '\0')
		fprintf(f, "\n%s", cmd->help);
	fprintf(f, "\nand -s URL, --token T, --json, -h (farmctl --help)\n");
}

/* The command named name, or NULL. */
static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmd_table); i++) {
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	}
	return NULL;
}

static int
cmd_help_exec(struct ctl *ctl, struct args *args)
{
	const struct cmd_entry *cmd;

	if (args->argc == 0) {
		print_help(stdout);
		return EXIT_OK;
	}
	if ((cmd = cmd_find(args->argv[0])) == NULL)
		return usage_error(ctl, "no command '%s'", args->argv[0]);
	print_cmd_help(stdout, cmd);
	return EXIT_OK;
}

/* Applies the options every command shares; 1 when --help was given
 * (and the command's help printed), else 0. */
static int
apply_common(struct ctl *ctl, const struct args *args)
{
	size_t i;
	const char *v;

	for (i = 0; i < args->nopts; i++) {
		v = args->opts[i].value;
		switch (args->opts[i].opt) {
		case 's':
			free(ctl->server);
			ctl->server = server_url(v);
			break;
		case OPT_TOKEN:
			ctl->token = v;
			break;
		case OPT_JSON:
			ctl->json = 1;
			break;
		case 'h':
			print_cmd_help(stdout, ctl->cmd);
			return 1;
		}
	}
	return 0;
}

/* Runs argv (argv[0] is the command name) as a command. */
static int
cmd_run(struct ctl *ctl, int argc, char **argv)
{
	struct args args;
	const char *p;
	char *cause = NULL;
	int ret;

	if ((ctl->cmd = cmd_find(argv[0])) == NULL) {
		fprintf(stderr, "farmctl: unknown command '%s' (farmctl --help lists them)\n",
		    argv[0]);
		return EXIT_ERROR;
	}
	if (args_parse(ctl->cmd, argc, argv, &args, &cause) < 0) {
		ret = usage_error(ctl, "%s", cause);
		free(cause);
		return ret;
	}
	ret = EXIT_OK;
	if (apply_common(ctl, &args) > 0)
		goto out;
	if (ctl->token != NULL) {
		for (p = ctl->token; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				ret = usage_error(ctl, "the API token has control characters");
				goto out;
			}
		}
	}
	if (args.argc < ctl->cmd->lower) {
		ret = usage_error(ctl, "missing %s", ctl->cmd->usage);
		goto out;
	}
	if (ctl->cmd->upper >= 0 && args.argc > ctl->cmd->upper) {
		ret = usage_error(ctl, "unexpected argument '%s'", args.argv[ctl->cmd->upper]);
		goto out;
	}
	ret = ctl->cmd->exec(ctl, &args);

out:
	args_free(&args);
	return ret;
}

#ifndef UNIT_TEST
static const struct option main_opts[] = {
	{ "server", required_argument, NULL, 's' },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	int c, ret;

	ctl.server = server_url(getenv("FARM_SERVER"));
	ctl.token = getenv("FARM_API_TOKEN");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:hV", main_opts, NULL)) != -1) {
		switch (c) {
		case 's':
			free(ctl.server);
			ctl.server = server_url(optarg);
			break;
		case OPT_TOKEN:
			ctl.token = optarg;
			break;
		case OPT_JSON:
			ctl.json = 1;
			break;
		case 'h':
			print_help(stdout);
			free(ctl.server);
			return EXIT_OK;
		case 'V':
			printf("farmctl %s\n", FARM_VERSION);
			free(ctl.server);
			return EXIT_OK;
		case ':':
			fprintf(stderr, "farmctl: option '%s' needs a value\n", argv[optind - 1]);
			goto usage;
		default:
			if (optopt != 0 && optopt < 256)
				fprintf(stderr, "farmctl: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "farmctl: unknown option '%s'\n", argv[optind - 1]);
			goto usage;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "farmctl: no command given\n");
		goto usage;
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmd_run(&ctl, argc - optind, argv + optind);
	if (ctl.curl != NULL)
		curl_easy_cleanup(ctl.curl);
	curl_global_cleanup();
	free(ctl.server);
	return ret;

usage:
	fprintf(stderr, "usage: farmctl [-s URL] [--token T] [--json] COMMAND [ARGS...]\n"
	    "(farmctl --help lists the commands)\n");
	free(ctl.server);
	return EXIT_ERROR;
}
#endif
