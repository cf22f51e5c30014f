/*
 * test_farmctl.c - unit tests of farmctl's pure pieces: argument parsing
 * (the "--" split), formatting, URL building, header parsing, the run
 * verdict and the text tables. farmctl.c is included whole (its main() is
 * left out under UNIT_TEST) so that its static functions can be called.
 * Talking to a server is tested by tests/e2e/farmctl-fake.sh.
 */
#include "farmctl.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void
test_fmt_duration(void **state)
{
	char d[32];

	(void)state;
	fmt_duration(8200, d, sizeof(d));
	assert_string_equal(d, "8.2 s");
	fmt_duration(0, d, sizeof(d));
	assert_string_equal(d, "0.0 s");
	fmt_duration(49, d, sizeof(d));
	assert_string_equal(d, "0.0 s");
	fmt_duration(59949, d, sizeof(d));
	assert_string_equal(d, "59.9 s");
	fmt_duration(59999, d, sizeof(d));
	assert_string_equal(d, "1m00s");
	fmt_duration(125000, d, sizeof(d));
	assert_string_equal(d, "2m05s");
	fmt_duration(3780000, d, sizeof(d));
	assert_string_equal(d, "1h03m");
	fmt_duration(-1, d, sizeof(d));
	assert_string_equal(d, "-");
}

static void
test_fmt_time(void **state)
{
	char t[32];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	fmt_time(1700000000000LL, t, sizeof(t));
	assert_string_equal(t, "2023-11-14 22:13:20");
}

static void
test_clean(void **state)
{
	char s[] = "a\x1b[2Jb\r\nc\x7f";

	(void)state;
	clean(s);
	assert_string_equal(s, "a [2Jb  c ");
}

static void
test_url_query(void **state)
{
	struct buf b = { 0 };

	(void)state;
	buf_adds(&b, "/api/v1/jobs");
	url_query(&b, "state", "done");
	url_query(&b, "machine", "rack 3/&x=é");
	assert_string_equal(b.data, "/api/v1/jobs?state=done&machine=rack%203%2F%26x%3D%C3%A9");
	buf_free(&b);
}

static void
test_header_value(void **state)
{
	const char *h = "x-farm-job-state:  running \r\n";
	char v[32];

	(void)state;
	assert_int_equal(header_value(h, strlen(h), "X-Farm-Job-State", v, sizeof(v)), 1);
	assert_string_equal(v, "running");
	assert_int_equal(header_value(h, strlen(h), "X-Farm-Job", v, sizeof(v)), 0);
	assert_int_equal(header_value(h, strlen(h), "X-Farm-Log-Size", v, sizeof(v)), 0);
	h = "X-Farm-Log-Size: 123456789\r\n";
	assert_int_equal(header_value(h, strlen(h), "X-Farm-Log-Size", v, 4), 1);
	assert_string_equal(v, "123");
}

static void
test_server_url(void **state)
{
	char *u;

	(void)state;
	u = server_url(NULL);
	assert_string_equal(u, DEFAULT_SERVER);
	free(u);
	u = server_url("");
	assert_string_equal(u, DEFAULT_SERVER);
	free(u);
	u = server_url("farm.lab:8080//");
	assert_string_equal(u, "http://farm.lab:8080");
	free(u);
	u = server_url("https://farm.lab/");
	assert_string_equal(u, "https://farm.lab");
	free(u);
}

static void
test_efi_default_name(void **state)
{
	char *n;

	(void)state;
	n = efi_default_name("build/guest/x86_64/selftest.efi");
	assert_string_equal(n, "selftest");
	free(n);
	n = efi_default_name("app.EFI");
	assert_string_equal(n, "app");
	free(n);
	n = efi_default_name("/tmp/a.bin");
	assert_string_equal(n, "a.bin");
	free(n);
	n = efi_default_name(".efi");
	assert_string_equal(n, ".efi");
	free(n);
}

/* Parses a command line for the named command into args. */
static int
parse(const char *cmd, char **argv, struct args *args, char **cause)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	return args_parse(cmd_find(cmd), argc, argv, args, cause);
}

static void
test_args_dashdash(void **state)
{
	char a0[] = "schedule", a1[] = "selftest", a2[] = "-m", a3[] = "vm-x86",
	    a4[] = "memmap", a5[] = "--wait", a6[] = "--", a7[] = "x", a8[] = "--y", a9[] = "-m";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, NULL };
	struct args args;
	char *cause = NULL;

	(void)state;
	assert_int_equal(parse("schedule", argv, &args, &cause), 0);
	assert_int_equal(args.argc, 2);
	assert_string_equal(args.argv[0], "selftest");
	assert_string_equal(args.argv[1], "memmap");
	assert_int_equal(args.nextra, 3);
	assert_string_equal(args.extra[0], "x");
	assert_string_equal(args.extra[1], "--y");
	assert_string_equal(args.extra[2], "-m");
	assert_string_equal(args_get(&args, 'm'), "vm-x86");
	assert_non_null(args_get(&args, 'w'));
	assert_null(args_get(&args, 't'));
	args_free(&args);
}

static void
test_args_dashdash_as_value(void **state)
{
	char a0[] = "schedule", a1[] = "--name", a2[] = "--", a3[] = "-n--", a4[] = "-e",
	    a5[] = "--", a6[] = "t", a7[] = "--", a8[] = "arg";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL };
	struct args args;
	char *cause = NULL;

	(void)state;
	assert_int_equal(parse("schedule", argv, &args, &cause), 0);
	assert_string_equal(args.opts[0].value, "--");
	assert_string_equal(args.opts[1].value, "--");
	assert_string_equal(args.opts[2].value, "--");
	assert_int_equal(args.argc, 1);
	assert_string_equal(args.argv[0], "t");
	assert_int_equal(args.nextra, 1);
	assert_string_equal(args.extra[0], "arg");
	args_free(&args);
}

static void
test_args_no_dashdash(void **state)
{
	char a0[] = "schedule", a1[] = "--mach=vm", a2[] = "t";
	char *argv[] = { a0, a1, a2, NULL };
	struct args args;
	char *cause = NULL;

	(void)state;
	assert_int_equal(parse("schedule", argv, &args, &cause), 0);
	assert_int_equal(args.nextra, -1);
	assert_int_equal(args.argc, 1);
	assert_string_equal(args_get(&args, 'm'), "vm");
	args_free(&args);
}

static void
test_args_errors(void **state)
{
	char a0[] = "jobs", a1[] = "--bogus", b1[] = "--limit", c1[] = "-x", d1[] = "--json";
	char *argv1[] = { a0, a1, NULL }, *argv2[] = { a0, b1, NULL };
	char *argv3[] = { a0, c1, NULL }, *argv4[] = { a0, d1, NULL };
	struct args args;
	char *cause = NULL;

	(void)state;
	assert_int_equal(parse("jobs", argv1, &args, &cause), -1);
	assert_string_equal(cause, "unknown option '--bogus'");
	free(cause);
	args_free(&args);
	assert_int_equal(parse("jobs", argv2, &args, &cause), -1);
	assert_string_equal(cause, "option '--limit' needs a value");
	free(cause);
	args_free(&args);
	assert_int_equal(parse("jobs", argv3, &args, &cause), -1);
	assert_string_equal(cause, "unknown option '-x'");
	free(cause);
	args_free(&args);
	/* The common options follow any command. */
	assert_int_equal(parse("jobs", argv4, &args, &cause), 0);
	assert_non_null(args_get(&args, OPT_JSON));
	args_free(&args);
}

/* A job object with the given state and result (either may be NULL). */
static json_t *
mkjob(long long id, const char *state, const char *result)
{
	return json_pack("{s:I, s:s, s:s, s:s?, s:s?}", "id", (json_int_t)id, "test", "selftest",
	    "machine", "vm-x86", "state", state, "result", result);
}

static void
test_run_verdict(void **state)
{
	json_t *jobs = json_array();
	int counts[NOUTCOMES];
	char *text;

	(void)state;
	assert_int_equal(run_verdict(jobs, counts), EXIT_ERROR);
	json_array_append_new(jobs, mkjob(1, "done", "pass"));
	json_array_append_new(jobs, mkjob(2, "done", "skip"));
	assert_int_equal(run_verdict(jobs, counts), EXIT_OK);
	json_array_append_new(jobs, mkjob(3, "done", "fail"));
	assert_int_equal(run_verdict(jobs, counts), EXIT_FAIL);
	json_array_append_new(jobs, mkjob(4, "done", "timeout"));
	assert_int_equal(run_verdict(jobs, counts), EXIT_ERROR);
	text = counts_text(outcome_names, counts, NOUTCOMES);
	assert_string_equal(text, "1 pass, 1 fail, 1 skip, 1 timeout");
	free(text);
	json_decref(jobs);

	jobs = json_array();
	json_array_append_new(jobs, mkjob(5, "cancelled", NULL));
	assert_int_equal(run_verdict(jobs, counts), EXIT_ERROR);
	assert_int_equal(counts[OUTCOME_CANCELLED], 1);
	json_array_append_new(jobs, mkjob(6, "done", "weird"));
	run_verdict(jobs, counts);
	assert_int_equal(counts[OUTCOME_ERROR], 1);
	json_decref(jobs);

	/* infra, retried by farmd: the retry's outcome is the test's. */
	jobs = json_array();
	json_array_append_new(jobs, mkjob(7, "done", "infra"));
	json_array_append_new(jobs, mkjob(8, "done", "pass"));
	json_object_set_new(json_array_get(jobs, 1), "retry_of", json_integer(7));
	assert_int_equal(run_verdict(jobs, counts), EXIT_OK);
	assert_int_equal(counts[OUTCOME_INFRA], 0);
	json_object_set_new(json_array_get(jobs, 1), "result", json_string("infra"));
	assert_int_equal(run_verdict(jobs, counts), EXIT_ERROR);
	assert_int_equal(counts[OUTCOME_INFRA], 1);
	json_decref(jobs);
}

static void
test_job_status(void **state)
{
	json_t *job = mkjob(12, "booting", NULL);
	char *s;

	(void)state;
	s = job_label(job);
	assert_string_equal(s, "job 12 vm-x86 selftest");
	free(s);
	s = job_status(job);
	assert_string_equal(s, "booting");
	free(s);

	json_object_set_new(job, "state", json_string("done"));
	json_object_set_new(job, "result", json_string("pass"));
	json_object_set_new(job, "exit_code", json_integer(0));
	json_object_set_new(job, "duration_ms", json_integer(8200));
	json_object_set_new(job, "boot_ms", json_integer(5100));
	json_object_set_new(job, "reason", json_string("exit code 0"));
	s = job_status(job);
	assert_string_equal(s, "pass (exit 0) in 8.2 s, boot 5.1 s");
	free(s);

	json_object_set_new(job, "result", json_string("infra"));
	json_object_set_new(job, "exit_code", json_null());
	json_object_set_new(job, "duration_ms", json_null());
	json_object_set_new(job, "reason", json_string("no boot request in 30 s"));
	s = job_status(job);
	assert_string_equal(s, "infra, boot 5.1 s: no boot request in 30 s");
	free(s);

	json_object_set_new(job, "machine", json_null());
	json_object_set_new(job, "target", json_string("tags=fast"));
	s = job_label(job);
	assert_string_equal(s, "job 12 tags=fast selftest");
	free(s);
	json_decref(job);
}

static void
test_table(void **state)
{
	struct table t;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_non_null(f);
	table_init(&t, (const char *const[]){ "ID", "NAME", "NOTE", NULL });
	table_add(&t, "1");
	table_add(&t, "long-name");
	table_add(&t, "");
	table_addf(&t, "%d", 22);
	table_add(&t, NULL);
	table_add(&t, "tab\there\x1b[0m");
	table_print(&t, f, "> ");
	table_free(&t);
	fclose(f);
	assert_string_equal(out,
	    "> ID  NAME       NOTE\n"
	    "> 1   long-name\n"
	    "> 22  -          tab here [0m\n");
	free(out);
}

/* schedule's arguments become the POST /api/v1/runs body of docs/api.md;
 * a bare "--" still sends "args": [] (it replaces the suite's). */
static void
test_schedule_request(void **state)
{
	char a0[] = "schedule", a1[] = "-m", a2[] = "vm-x86", a3[] = "--tag=fast",
	    a4[] = "-eK=V=W", a5[] = "--timeout", a6[] = "60", a7[] = "selftest", a8[] = "--";
	char b1[] = "--efi", b2[] = "build/hello.efi", b3[] = "--name", b4[] = "hi";
	char *argv1[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL };
	char *argv2[] = { a0, a1, a2, b1, b2, b3, b4, NULL };
	struct ctl ctl = { .cmd = cmd_find("schedule") };
	struct args args;
	char *cause = NULL, *body;
	json_t *req;

	(void)state;
	assert_int_equal(parse("schedule", argv1, &args, &cause), 0);
	assert_int_equal(schedule_request(&ctl, &args, &req), EXIT_OK);
	body = json_dumps(req, JSON_COMPACT);
	assert_string_equal(body, "{\"tests\":[\"selftest\"],\"machines\":[\"vm-x86\"],"
	    "\"tags\":[\"fast\"],\"args\":[],\"env\":{\"K\":\"V=W\"},\"timeout\":60}");
	free(body);
	json_decref(req);
	args_free(&args);

	assert_int_equal(parse("schedule", argv2, &args, &cause), 0);
	assert_int_equal(schedule_request(&ctl, &args, &req), EXIT_OK);
	body = json_dumps(req, JSON_COMPACT);
	assert_string_equal(body, "{\"machines\":[\"vm-x86\"],\"name\":\"hi\"}");
	free(body);
	json_decref(req);
	args_free(&args);
}

/* Commands refuse bad arguments before they touch the network: the
 * server here is one that nothing could answer on. */
static void
test_cmd_run_usage(void **state)
{
	char c1[] = "show", c2[] = "abc", c3[] = "schedule", c4[] = "-m", c5[] = "vm",
	    c6[] = "--timeout", c7[] = "0", c8[] = "t", c9[] = "jobs", c10[] = "extra",
	    c11[] = "help", c12[] = "nope";
	char *show[] = { c1, c2, NULL }, *sched[] = { c3, c4, c5, c6, c7, c8, NULL };
	char *jobs[] = { c9, c10, NULL }, *help[] = { c11, c12, NULL }, *none[] = { c1, NULL };
	struct ctl ctl = { .server = xstrdup("http://127.0.0.1:0") };

	(void)state;
	assert_int_equal(cmd_run(&ctl, 2, show), EXIT_ERROR);
	assert_int_equal(cmd_run(&ctl, 1, none), EXIT_ERROR);
	assert_int_equal(cmd_run(&ctl, 6, sched), EXIT_ERROR);
	assert_int_equal(cmd_run(&ctl, 2, jobs), EXIT_ERROR);
	assert_int_equal(cmd_run(&ctl, 2, help), EXIT_ERROR);
	assert_null(ctl.curl);
	free(ctl.server);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_fmt_time),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_url_query),
		cmocka_unit_test(test_header_value),
		cmocka_unit_test(test_server_url),
		cmocka_unit_test(test_efi_default_name),
		cmocka_unit_test(test_args_dashdash),
		cmocka_unit_test(test_args_dashdash_as_value),
		cmocka_unit_test(test_args_no_dashdash),
		cmocka_unit_test(test_args_errors),
		cmocka_unit_test(test_run_verdict),
		cmocka_unit_test(test_job_status),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_schedule_request),
		cmocka_unit_test(test_cmd_run_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
