/*
 * test_db.c - the database layer: jobs round-trip with every field, the
 * queue order (priority, then FIFO), runs and their counts, test cases
 * (added one by one, replaced by a POST), machines and their state history,
 * and that everything is still there after the database is closed and
 * opened again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "config.h"
#include "db.h"
#include "results.h"
#include "util.h"

static char dir[] = "/tmp/farm-test-db.XXXXXX";
static char path[256];

static struct db *
open_db(void)
{
	char *cause = NULL;
	struct db *db = db_open(path, &cause);

	if (db == NULL)
		fail_msg("db_open: %s", cause);
	return db;
}

static char **
list(int n, ...)
{
	char **v = xcalloc((size_t)n + 1, sizeof(char *));
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		v[i] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
	return v;
}

static void
make_job(struct job *j, long long run, const char *test, int priority)
{
	memset(j, 0, sizeof(*j));
	j->run = run;
	j->test = xstrdup(test);
	j->app = xstrdup("ab12");
	j->app_name = xstrdup("selftest.efi");
	j->args = list(2, "a", "b c");
	j->nargs = 2;
	j->env = list(1, "K=v=w");
	j->nenv = 1;
	j->tags = list(2, "fast", "arch=x86_64");
	j->ntags = 2;
	j->priority = priority;
	j->timeout = 90;
	snprintf(j->state, sizeof(j->state), "queued");
	j->exit_code = -1;
	j->boot_ms = -1;
	j->queued_at = 1000;
	j->attempt = 1;
}

static void
test_job_roundtrip(void **state)
{
	struct db *db = open_db();
	struct job j, g;
	long long run = db_run_create(db);

	(void)state;
	assert_true(run > 0);
	make_job(&j, run, "selftest", 0);
	j.target_machine = xstrdup("vm-x86");
	assert_int_equal(db_job_insert(db, &j), 0);
	assert_true(j.id > 0);
	assert_int_equal(db_job_get(db, j.id, &g), 1);
	assert_string_equal(g.test, "selftest");
	assert_int_equal(g.nargs, 2);
	assert_string_equal(g.args[1], "b c");
	assert_string_equal(g.env[0], "K=v=w");
	assert_string_equal(g.tags[1], "arch=x86_64");
	assert_string_equal(g.target_machine, "vm-x86");
	assert_null(g.machine);
	assert_int_equal(g.exit_code, -1);
	assert_string_equal(g.result, "");
	job_clear(&g);

	snprintf(j.state, sizeof(j.state), "done");
	snprintf(j.result, sizeof(j.result), "fail");
	j.exit_code = 3;
	j.machine = xstrdup("vm-x86");
	j.reason = xstrdup("exit code 3");
	j.boot_ms = 5100;
	j.log_size = 77;
	assert_int_equal(db_job_save(db, &j), 0);
	assert_int_equal(db_job_get(db, j.id, &g), 1);
	assert_string_equal(g.state, "done");
	assert_string_equal(g.result, "fail");
	assert_int_equal(g.exit_code, 3);
	assert_string_equal(g.machine, "vm-x86");
	assert_string_equal(g.reason, "exit code 3");
	assert_int_equal(g.boot_ms, 5100);
	assert_int_equal(g.log_size, 77);
	job_clear(&g);
	assert_int_equal(db_job_get(db, 999999, &g), 0);
	job_clear(&j);
	db_close(db);
}

static void
test_queue_order(void **state)
{
	struct db *db = open_db();
	long long run = db_run_create(db), ids[4];
	const int prio[4] = { 0, 5, 0, 5 };
	struct job j, *q;
	size_t n, i;

	(void)state;
	for (i = 0; i < 4; i++) {
		make_job(&j, run, "t", prio[i]);
		assert_int_equal(db_job_insert(db, &j), 0);
		ids[i] = j.id;
		job_clear(&j);
	}
	assert_int_equal(db_jobs_queued(db, &q, &n), 0);
	/* Earlier tests' queued jobs are done; this run's four are queued. */
	assert_int_equal(n, 4);
	assert_int_equal(q[0].id, ids[1]);
	assert_int_equal(q[1].id, ids[3]);
	assert_int_equal(q[2].id, ids[0]);
	assert_int_equal(q[3].id, ids[2]);
	snprintf(q[0].state, sizeof(q[0].state), "running");
	assert_int_equal(db_job_save(db, &q[0]), 0);
	db_jobs_free(q, n);
	assert_int_equal(db_jobs_in_flight(db, &q, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(q[0].id, ids[1]);
	db_jobs_free(q, n);

	/* Counts per run. */
	{
		struct run_info r;

		assert_int_equal(db_run_get(db, run, &r), 1);
		assert_int_equal(r.njobs, 4);
		assert_int_equal(r.counts[6], 3); /* queued */
		assert_int_equal(r.counts[7], 1); /* running */
	}
	/* Cleanup for later tests: end them all. */
	assert_int_equal(db_jobs_queued(db, &q, &n), 0);
	for (i = 0; i < n; i++) {
		snprintf(q[i].state, sizeof(q[i].state), "done");
		snprintf(q[i].result, sizeof(q[i].result), "pass");
		db_job_save(db, &q[i]);
	}
	db_jobs_free(q, n);
	assert_int_equal(db_jobs_in_flight(db, &q, &n), 0);
	for (i = 0; i < n; i++) {
		snprintf(q[i].state, sizeof(q[i].state), "done");
		snprintf(q[i].result, sizeof(q[i].result), "infra");
		db_job_save(db, &q[i]);
	}
	db_jobs_free(q, n);
	db_close(db);
}

static void
test_filters(void **state)
{
	struct db *db = open_db();
	struct job_filter f = { .test = "selftest" };
	struct job *v;
	size_t n;

	(void)state;
	assert_int_equal(db_jobs_list(db, &f, &v, &n), 0);
	assert_int_equal(n, 1);
	db_jobs_free(v, n);
	f = (struct job_filter){ .state = "done", .limit = 2 };
	assert_int_equal(db_jobs_list(db, &f, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_true(v[0].id > v[1].id);
	f.before = v[1].id;
	db_jobs_free(v, n);
	assert_int_equal(db_jobs_list(db, &f, &v, &n), 0);
	assert_true(n >= 1 && v[0].id < f.before);
	db_jobs_free(v, n);
	db_close(db);
}

static void
test_testcases(void **state)
{
	struct db *db = open_db();
	struct testcase tc = { .seq = 1, .status = TC_PASS, .name = (char *)"a: b",
		.message = (char *)"" };
	struct testcase post[2] = {
		{ .seq = 1, .status = TC_FAIL, .name = (char *)"x", .message = (char *)"m" },
		{ .seq = 2, .status = TC_SKIP, .name = (char *)"y", .message = (char *)"" },
	};
	struct testcase *v;
	size_t n;

	(void)state;
	assert_int_equal(db_testcase_add(db, 1, &tc), 0);
	tc.seq = 2;
	tc.status = TC_INFO;
	assert_int_equal(db_testcase_add(db, 1, &tc), 0);
	assert_int_equal(db_testcases_list(db, 1, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "a: b");
	assert_int_equal(v[1].status, TC_INFO);
	db_testcases_free(v, n);

	assert_int_equal(db_testcases_replace(db, 1, post, 2), 0);
	assert_int_equal(db_testcases_list(db, 1, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].status, TC_FAIL);
	assert_string_equal(v[0].message, "m");
	assert_string_equal(v[1].name, "y");
	db_testcases_free(v, n);

	/* Inside the caller's transaction (a results POST: the cases and the
	 * job's end in one commit) the replace is part of it: rolled back
	 * with it, committed with it. */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_testcases_replace(db, 1, &tc, 1), 0);
	assert_int_equal(db_testcases_list(db, 1, &v, &n), 0);
	assert_int_equal(n, 1);
	db_testcases_free(v, n);
	assert_int_equal(db_rollback(db), 0);
	assert_int_equal(db_testcases_list(db, 1, &v, &n), 0);
	assert_int_equal(n, 2);
	db_testcases_free(v, n);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_testcases_replace(db, 1, &tc, 1), 0);
	/* a failed replace (two cases with one seq) leaves what was there */
	post[1].seq = 1;
	assert_int_equal(db_testcases_replace(db, 1, post, 2), -1);
	post[1].seq = 2;
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_testcases_list(db, 1, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].status, TC_INFO);
	db_testcases_free(v, n);
	/* and on its own, too */
	post[1].seq = 1;
	assert_int_equal(db_testcases_replace(db, 1, post, 2), -1);
	post[1].seq = 2;
	assert_int_equal(db_testcases_list(db, 1, &v, &n), 0);
	assert_int_equal(n, 1);
	db_testcases_free(v, n);
	db_close(db);
}

static void
test_machines_and_reopen(void **state)
{
	struct machine_conf m = { .name = (char *)"vm-x86", .arch = (char *)"x86_64",
		.mac = "52:54:00:f0:00:01", .kind = MACHINE_QEMU };
	char *tags[] = { (char *)"arch=x86_64", (char *)"fast" };
	struct db *db = open_db();
	struct job_filter f = {0};
	struct job *v;
	size_t n;

	(void)state;
	m.tags = tags;
	m.ntags = 2;
	assert_int_equal(db_machine_sync(db, &m), 0);
	assert_int_equal(db_machine_sync(db, &m), 0);
	assert_int_equal(db_machine_state(db, "vm-x86", "idle", "farmd started"), 0);
	assert_int_equal(db_machine_boot(db, "vm-x86"), 0);
	assert_int_equal(db_machine_boot(db, "vm-x86"), 0);
	db_close(db);

	db = open_db();
	assert_int_equal(db_machine_boots(db, "vm-x86"), 2);
	assert_int_equal(db_machine_boots(db, "nope"), 0);
	assert_int_equal(db_jobs_list(db, &f, &v, &n), 0);
	assert_int_equal(n, 5);
	db_jobs_free(v, n);
	db_close(db);
}

/* A database of schema version 1 (the first release) opens, is brought up
 * to date, and keeps its rows. */
static void
test_migration(void **state)
{
	char old[300];
	sqlite3 *h;
	struct db *db;
	struct job j;
	char *cause = NULL;

	(void)state;
	snprintf(old, sizeof(old), "%s/v1.db", dir);
	assert_int_equal(sqlite3_open(old, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h,
	    "CREATE TABLE runs (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);"
	    "CREATE TABLE jobs (id INTEGER PRIMARY KEY, run INTEGER NOT NULL,"
	    " test TEXT NOT NULL, app TEXT NOT NULL, app_name TEXT NOT NULL,"
	    " args TEXT NOT NULL, env TEXT NOT NULL, target_machine TEXT,"
	    " tags TEXT NOT NULL, machine TEXT, priority INTEGER NOT NULL,"
	    " timeout INTEGER NOT NULL, state TEXT NOT NULL, result TEXT,"
	    " exit_code INTEGER, reason TEXT, queued_at INTEGER, started_at INTEGER,"
	    " finished_at INTEGER, boot_ms INTEGER, log_size INTEGER NOT NULL DEFAULT 0,"
	    " token_hash TEXT, attempt INTEGER NOT NULL DEFAULT 1);"
	    "INSERT INTO runs VALUES (1, 5);"
	    "INSERT INTO jobs (id, run, test, app, app_name, args, env, tags, priority,"
	    " timeout, state, result, exit_code) VALUES (7, 1, 'old', 'ab', 'old.efi',"
	    " '[\"x\"]', '[]', '[]', 0, 60, 'done', 'pass', 0);"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	db = db_open(old, &cause);
	assert_non_null(db);
	assert_int_equal(db_job_get(db, 7, &j), 1);
	assert_string_equal(j.test, "old");
	assert_string_equal(j.result, "pass");
	assert_string_equal(j.args[0], "x");
	assert_int_equal(j.retry_of, 0);
	assert_int_equal(j.smp, 0);
	j.smp = 2;
	j.retry_of = 3;
	assert_int_equal(db_job_save(db, &j), 0);
	job_clear(&j);
	db_close(db);
	db = db_open(old, &cause);
	assert_int_equal(db_job_get(db, 7, &j), 1);
	assert_int_equal(j.smp, 2);
	assert_int_equal(j.retry_of, 3);
	job_clear(&j);
	db_close(db);
	unlink(old);
	snprintf(old, sizeof(old), "%s/v1.db-wal", dir);
	unlink(old);
	snprintf(old, sizeof(old), "%s/v1.db-shm", dir);
	unlink(old);
}

static void
test_bad_path(void **state)
{
	char *cause = NULL;
	struct db *db = db_open("/nonexistent-dir/x/farm.db", &cause);

	(void)state;
	assert_null(db);
	assert_non_null(strstr(cause, "/nonexistent-dir/x/farm.db"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_roundtrip),
		cmocka_unit_test(test_queue_order),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_testcases),
		cmocka_unit_test(test_machines_and_reopen),
		cmocka_unit_test(test_migration),
		cmocka_unit_test(test_bad_path),
	};
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/farm.db", dir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	{
		char p[300];

		snprintf(p, sizeof(p), "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", path);
		unlink(p);
	}
	rmdir(dir);
	return rc;
}
