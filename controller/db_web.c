/*
 * db_web.c - the SQL of the web page's data routes. Read-only statements on
 * farmd's one connection (db_int.h), each a single indexed query, shaped in
 * SQL into the JSON the route answers: a column's name is its JSON key, a
 * dotted name ("counts.pass") nests, a name ending in ":json" holds JSON
 * text that is parsed, ":env" turns ["K=V", ...] into {"K": "V"}. Text that
 * is not UTF-8 (console bytes in a test name) gets U+FFFD for each bad byte,
 * so the JSON is always valid.
 *
 * Indexes these queries rely on (db.c's schema): jobs_state, jobs_run,
 * jobs_machine, jobs_test, machine_events_machine, and jobs_done_matrix
 * (test, machine, id WHERE state = 'done') for the matrix.
 */
#include "db_web.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "log.h"
#include "util.h"

/* The job fields every list shows, named as in GET /api/v1/jobs. */
#define WEB_JOB_COLS \
	"j.id AS id, j.run AS run, j.test AS test, j.machine AS machine," \
	" j.state AS state, j.result AS result, j.exit_code AS exit_code," \
	" NULLIF(j.reason, '') AS reason, NULLIF(j.queued_at, 0) AS queued_at," \
	" NULLIF(j.started_at, 0) AS started_at, NULLIF(j.finished_at, 0) AS finished_at," \
	" CASE WHEN j.started_at > 0 AND j.finished_at > 0" \
	"  THEN j.finished_at - j.started_at END AS duration_ms," \
	" CASE WHEN j.boot_ms >= 0 THEN j.boot_ms END AS boot_ms," \
	" j.priority AS priority, j.attempt AS attempt, j.log_size AS log_size," \
	" CASE WHEN j.target_machine IS NOT NULL THEN 'machine=' || j.target_machine" \
	"  ELSE 'tags=' || (SELECT group_concat(value, ',') FROM json_each(j.tags))" \
	"  END AS target"

/* "before" as an upper bound for id: 0 means none. */
static long long
web_before(long long before)
{
	return before > 0 ? before : LLONG_MAX;
}

/* A JSON string from bytes that may not be UTF-8: each byte that does not
 * start a valid sequence becomes U+FFFD. */
static json_t *
web_string(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b = {0};
	json_t *v = json_stringn(s, n);
	size_t i = 0, k, len;

	if (v != NULL)
		return v;
	while (i < n) {
		unsigned c = p[i];
		unsigned long cp;

		if (c < 0x80) {
			buf_addc(&b, (char)c);
			i++;
			continue;
		}
		len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		cp = len == 4 ? c & 0x07 : len == 3 ? c & 0x0f : c & 0x1f;
		for (k = 1; len && k < len; k++) {
			if (i + k >= n || (p[i + k] & 0xc0) != 0x80) {
				len = 0;
				break;
			}
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (len == 0 || (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
			buf_adds(&b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		buf_add(&b, p + i, len);
		i += len;
	}
	v = json_stringn(b.data ? b.data : "", b.len);
	buf_free(&b);
	return v ? v : json_string("");
}

/* ["K=V", ...] as {"K": "V"}. */
static json_t *
web_env(json_t *list)
{
	json_t *o = json_object(), *v;
	size_t i;

	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v), *eq;
		char *k;

		if (s == NULL)
			continue;
		eq = strchr(s, '=');
		k = xstrndup(s, eq ? (size_t)(eq - s) : strlen(s));
		json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
		free(k);
	}
	json_decref(list);
	return o;
}

/* Column i of the current row as JSON, by the naming rules above. */
static json_t *
web_value(sqlite3_stmt *st, int i, const char *name)
{
	const char *colon = strchr(name, ':');
	json_t *v;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return json_null();
	default:
		break;
	}
	if (colon) {
		v = json_loadb((const char *)sqlite3_column_text(st, i),
		    (size_t)sqlite3_column_bytes(st, i), 0, NULL);
		if (v == NULL)
			return json_null();
		if (strcmp(colon, ":env") == 0)
			return web_env(v);
		return v;
	}
	return web_string((const char *)sqlite3_column_text(st, i),
	    (size_t)sqlite3_column_bytes(st, i));
}

/* Sets o[name] = v, where a dotted name nests ("counts.pass"). */
static void
web_set(json_t *o, const char *name, json_t *v)
{
	const char *dot = strchr(name, '.'), *colon = strchr(name, ':');
	char *key;

	if (dot && (colon == NULL || dot < colon)) {
		char *outer = xstrndup(name, (size_t)(dot - name));
		json_t *in = json_object_get(o, outer);

		if (!json_is_object(in)) {
			in = json_object();
			json_object_set_new(o, outer, in);
		}
		free(outer);
		web_set(in, dot + 1, v);
		return;
	}
	key = xstrndup(name, colon ? (size_t)(colon - name) : strlen(name));
	json_object_set_new(o, key, v);
	free(key);
}

/*
 * Runs sql with its parameters bound from fmt ('i' a long long, 's' a
 * string, NULL binding NULL) and returns every row as an object, in an
 * array; NULL (logged) on an error.
 */
static json_t *
web_rows(struct db *db, const char *sql, const char *fmt, ...)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st;
	json_t *rows;
	va_list ap;
	int i, rc, ncols;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("database: web query: %s (%s)", sqlite3_errmsg(h), sql);
		return NULL;
	}
	va_start(ap, fmt);
	for (i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
		} else {
			const char *s = va_arg(ap, const char *);

			if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i + 1);
		}
	}
	va_end(ap);
	rows = json_array();
	ncols = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_object();

		for (i = 0; i < ncols; i++) {
			const char *name = sqlite3_column_name(st, i);

			web_set(o, name, web_value(st, i, name));
		}
		json_array_append_new(rows, o);
	}
	if (rc != SQLITE_DONE) {
		log_warnx("database: web query: %s (%s)", sqlite3_errmsg(h), sql);
		json_decref(rows);
		rows = NULL;
	}
	sqlite3_finalize(st);
	return rows;
}

/* The first row of a query (a new reference), json_null() when none. */
static json_t *
web_first(json_t *rows)
{
	json_t *o;

	if (rows == NULL)
		return NULL;
	o = json_array_get(rows, 0);
	o = o ? json_incref(o) : json_null();
	json_decref(rows);
	return o;
}

json_t *
db_web_runs(struct db *db, long long before, int limit)
{
	return web_rows(db,
	    "SELECT r.id AS id, r.created_at AS created_at, count(j.id) AS njobs,"
	    " count(DISTINCT j.test) AS ntests, count(DISTINCT j.machine) AS nmachines,"
	    " min(NULLIF(j.started_at, 0)) AS started_at,"
	    " CASE WHEN sum(j.state NOT IN ('done', 'cancelled')) = 0"
	    "  THEN max(j.finished_at) END AS finished_at,"
	    " sum(j.state = 'done' AND j.result = 'pass') AS \"counts.pass\","
	    " sum(j.state = 'done' AND j.result = 'fail') AS \"counts.fail\","
	    " sum(j.state = 'done' AND j.result = 'skip') AS \"counts.skip\","
	    " sum(j.state = 'done' AND j.result = 'error') AS \"counts.error\","
	    " sum(j.state = 'done' AND j.result = 'infra') AS \"counts.infra\","
	    " sum(j.state = 'done' AND j.result = 'timeout') AS \"counts.timeout\","
	    " sum(j.state = 'queued') AS \"counts.queued\","
	    " sum(j.state IN ('assigned', 'booting', 'running')) AS \"counts.running\","
	    " sum(j.state = 'cancelled') AS \"counts.cancelled\","
	    " (SELECT json_group_array(test) FROM (SELECT DISTINCT test FROM jobs"
	    "  WHERE run = r.id ORDER BY test LIMIT 5)) AS \"tests:json\","
	    " (SELECT json_group_array(machine) FROM (SELECT DISTINCT machine FROM jobs"
	    "  WHERE run = r.id AND machine IS NOT NULL ORDER BY machine LIMIT 5))"
	    "  AS \"machines:json\""
	    " FROM (SELECT id, created_at FROM runs WHERE id < ?1 ORDER BY id DESC"
	    "  LIMIT ?2) r LEFT JOIN jobs j ON j.run = r.id"
	    " GROUP BY r.id ORDER BY r.id DESC",
	    "ii", web_before(before), (long long)limit);
}

json_t *
db_web_queue(struct db *db, int limit, long long *total)
{
	json_t *n = web_first(web_rows(db,
	    "SELECT count(*) AS n FROM jobs WHERE state = 'queued'", ""));

	*total = n ? json_integer_value(json_object_get(n, "n")) : 0;
	json_decref(n);
	return web_rows(db, "SELECT " WEB_JOB_COLS " FROM jobs j WHERE j.state = 'queued'"
	    " ORDER BY j.priority DESC, j.id LIMIT ?1", "i", (long long)limit);
}

json_t *
db_web_in_flight(struct db *db)
{
	return web_rows(db, "SELECT " WEB_JOB_COLS " FROM jobs j"
	    " WHERE j.state IN ('assigned', 'booting', 'running') ORDER BY j.id", "");
}

json_t *
db_web_machine_health(struct db *db, const char *machine, int n)
{
	json_t *o, *counts, *last;

	o = web_first(web_rows(db, "SELECT name, arch, kind, mac, tags AS \"tags:json\","
	    " state AS db_state, reason AS state_reason, last_seen, boots"
	    " FROM machines WHERE name = ?1", "s", machine));
	if (o == NULL)
		return NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	counts = web_first(web_rows(db,
	    "SELECT count(*) AS jobs, sum(result = 'pass') AS pass, sum(result = 'fail') AS fail,"
	    " sum(result = 'skip') AS skip, sum(result = 'error') AS error,"
	    " sum(result = 'infra') AS infra, sum(result = 'timeout') AS timeout"
	    " FROM (SELECT result FROM jobs WHERE machine = ?1 AND state = 'done'"
	    " ORDER BY id DESC LIMIT ?2)", "si", machine, (long long)n));
	last = web_first(web_rows(db, "SELECT json_group_array(result) AS \"last:json\""
	    " FROM (SELECT result FROM jobs WHERE machine = ?1 AND state = 'done'"
	    " ORDER BY id DESC LIMIT 10)", "s", machine));
	json_object_set_new(o, "recent", counts ? counts : json_null());
	json_object_set(o, "last", last ? json_object_get(last, "last") : json_null());
	json_decref(last);
	return o;
}

json_t *
db_web_machine_jobs(struct db *db, const char *machine, long long before, int limit)
{
	return web_rows(db, "SELECT " WEB_JOB_COLS " FROM jobs j WHERE j.machine = ?1"
	    " AND j.id < ?2 ORDER BY j.id DESC LIMIT ?3", "sii", machine,
	    web_before(before), (long long)limit);
}

json_t *
db_web_machine_events(struct db *db, const char *machine, long long before, int limit)
{
	return web_rows(db, "SELECT id, at, state, reason FROM machine_events"
	    " WHERE machine = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3", "sii", machine,
	    web_before(before), (long long)limit);
}

json_t *
db_web_test_history(struct db *db, const char *test, const char *machine,
    long long before, int limit)
{
	return web_rows(db, "SELECT " WEB_JOB_COLS " FROM jobs j WHERE j.test = ?1"
	    " AND j.id < ?2 AND (?3 IS NULL OR j.machine = ?3)"
	    " ORDER BY j.id DESC LIMIT ?4", "sisi", test, web_before(before), machine,
	    (long long)limit);
}

json_t *
db_web_test_summary(struct db *db, const char *test)
{
	return web_rows(db,
	    "SELECT machine, count(*) AS jobs, sum(result = 'pass') AS \"counts.pass\","
	    " sum(result = 'fail') AS \"counts.fail\", sum(result = 'skip') AS \"counts.skip\","
	    " sum(result = 'error') AS \"counts.error\","
	    " sum(result = 'infra') AS \"counts.infra\","
	    " sum(result = 'timeout') AS \"counts.timeout\","
	    " CAST(avg(CASE WHEN started_at > 0 AND finished_at > 0"
	    "  THEN finished_at - started_at END) AS INTEGER) AS avg_duration_ms,"
	    " max(id) AS last_job"
	    " FROM (SELECT id, machine, result, started_at, finished_at FROM jobs"
	    "  WHERE test = ?1 AND state = 'done' ORDER BY id DESC LIMIT 1000)"
	    " GROUP BY machine ORDER BY machine", "s", test);
}

/* Steps st for its next row; 1 a row, 0 done, -1 an error (logged). */
static int
web_step(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("database: matrix: %s", sqlite3_errmsg(db_sqlite(db)));
	return -1;
}

/* Prepares sql naming the index it needs (the planner, without statistics,
 * prefers jobs_state and a sort), or without the name on a database that
 * lacks the index. NULL (logged) on an error. */
static sqlite3_stmt *
web_prepare_indexed(struct db *db, const char *select, const char *where)
{
	sqlite3 *h = db_sqlite(db);
	sqlite3_stmt *st = NULL;
	char *with = xasprintf("%s INDEXED BY jobs_done_matrix %s", select, where);
	char *without = xasprintf("%s %s", select, where);

	if (sqlite3_prepare_v2(h, with, -1, &st, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(h, without, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("database: matrix: %s", sqlite3_errmsg(h));
		st = NULL;
	}
	free(with);
	free(without);
	return st;
}

json_t *
db_web_matrix(struct db *db)
{
	/*
	 * A loose index scan on jobs_done_matrix (test, machine, id WHERE
	 * state = 'done'): jump to the next machine of the same test, or else
	 * to the next test, then read that pair's two newest jobs. A few index
	 * probes per cell however many jobs there are, where GROUP BY test,
	 * machine would read every finished job.
	 */
	sqlite3_stmt *same = web_prepare_indexed(db, "SELECT test, machine FROM jobs",
	    "WHERE state = 'done' AND test = ?1 AND machine > ?2"
	    " ORDER BY test, machine LIMIT 1");
	sqlite3_stmt *next = web_prepare_indexed(db, "SELECT test, machine FROM jobs",
	    "WHERE state = 'done' AND test > ?1 AND machine IS NOT NULL"
	    " ORDER BY test, machine LIMIT 1");
	sqlite3_stmt *last = web_prepare_indexed(db, "SELECT id, result,"
	    " NULLIF(finished_at, 0) FROM jobs", "WHERE state = 'done' AND test = ?1"
	    " AND machine = ?2 ORDER BY id DESC LIMIT 2");
	json_t *cells = json_array();
	char *test = xstrdup(""), *machine = xstrdup("");
	int rc = -1, more;

	if (same == NULL || next == NULL || last == NULL)
		goto out;
	for (;;) {
		sqlite3_stmt *at = same;
		json_t *cell;

		sqlite3_reset(same);
		sqlite3_bind_text(same, 1, test, -1, SQLITE_STATIC);
		sqlite3_bind_text(same, 2, machine, -1, SQLITE_STATIC);
		if ((more = web_step(db, same)) == 0) {
			at = next;
			sqlite3_reset(next);
			sqlite3_bind_text(next, 1, test, -1, SQLITE_STATIC);
			more = web_step(db, next);
		}
		if (more <= 0)
			break;
		cell = json_object();
		web_set(cell, "test", web_value(at, 0, "test"));
		web_set(cell, "machine", web_value(at, 1, "machine"));
		free(test);
		free(machine);
		test = xstrdup((const char *)sqlite3_column_text(at, 0));
		machine = xstrdup((const char *)sqlite3_column_text(at, 1));
		sqlite3_reset(last);
		sqlite3_bind_text(last, 1, test, -1, SQLITE_STATIC);
		sqlite3_bind_text(last, 2, machine, -1, SQLITE_STATIC);
		if ((more = web_step(db, last)) == 1) {
			web_set(cell, "job", web_value(last, 0, "job"));
			web_set(cell, "result", web_value(last, 1, "result"));
			web_set(cell, "finished_at", web_value(last, 2, "finished_at"));
			more = web_step(db, last);
			web_set(cell, "previous", more == 1 ? web_value(last, 1, "previous") :
			    json_null());
		}
		json_array_append_new(cells, cell);
		if (more < 0)
			break;
	}
	if (more == 0)
		rc = 0;
out:
	sqlite3_finalize(same);
	sqlite3_finalize(next);
	sqlite3_finalize(last);
	free(test);
	free(machine);
	if (rc < 0) {
		json_decref(cells);
		return NULL;
	}
	return cells;
}

json_t *
db_web_machines(struct db *db)
{
	return web_rows(db, "SELECT name, arch, kind, tags AS \"tags:json\", state,"
	    " last_seen FROM machines ORDER BY name", "");
}

json_t *
db_web_run_export(struct db *db, long long run, int with_cases, int *found)
{
	json_t *r, *jobs, *cases, *job, *tc;
	size_t i, k = 0;

	*found = -1;
	r = web_first(web_rows(db, "SELECT id, created_at FROM runs WHERE id = ?1", "i",
	    run));
	if (r == NULL)
		return NULL;
	if (!json_is_object(r)) {
		json_decref(r);
		*found = 0;
		return NULL;
	}
	jobs = web_rows(db, "SELECT " WEB_JOB_COLS ", j.app AS app, j.app_name AS app_name,"
	    " j.args AS \"args:json\", j.env AS \"env:env\" FROM jobs j WHERE j.run = ?1"
	    " ORDER BY j.id", "i", run);
	cases = with_cases ? web_rows(db, "SELECT t.job AS job, t.seq AS seq,"
	    " t.name AS name, t.status AS status, t.message AS message FROM jobs j"
	    " JOIN testcases t ON t.job = j.id WHERE j.run = ?1 ORDER BY t.job, t.seq",
	    "i", run) : json_array();
	if (jobs == NULL || cases == NULL) {
		json_decref(r);
		json_decref(jobs);
		json_decref(cases);
		return NULL;
	}
	/* Both lists are in job id order: hand each job its cases. */
	json_array_foreach(jobs, i, job) {
		json_int_t id = json_integer_value(json_object_get(job, "id"));
		json_t *list = json_array();

		for (; (tc = json_array_get(cases, k)) != NULL; k++) {
			if (json_integer_value(json_object_get(tc, "job")) != id)
				break;
			json_object_del(tc, "job");
			json_array_append(list, tc);
		}
		if (with_cases)
			json_object_set_new(job, "testcases", list);
		else
			json_decref(list);
	}
	json_decref(cases);
	json_object_set_new(r, "jobs", jobs);
	*found = 1;
	return r;
}
