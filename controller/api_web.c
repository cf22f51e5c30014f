/*
 * api_web.c - what the web page needs beyond the JSON API of api.c: its
 * files, and data routes shaped for its pages (docs/api.md, "Web data
 * routes"). The SQL is in db_web.c; this file checks the request, adds
 * what only the scheduler knows (machine states), formats the downloads
 * (JUnit XML, TAP) and streams a job's console as Server-Sent Events.
 *
 * The console stream reads the job's log file from the offset the client
 * has (Last-Event-ID, or ?offset=), sends what is there as base64 "log"
 * events whose id is the offset after them, a "state" event on each change
 * of the job's state and "end" once the job is over and its log is sent.
 * When there is nothing to send, http.c parks the connection and asks
 * again a little later: the loop never waits on a client and never spins.
 *
 * The page's files: the built page (build/web: the sources of web/ and the
 * chart library from npm) is found beside the farmd binary; without a build
 * the sources next to farm.conf are served as they are.
 */
#include "api_web.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "db_web.h"
#include "http.h"
#include "log.h"
#include "sched.h"
#include "util.h"

#define WEB_MAX_STREAMS 256
#define WEB_LOG_CHUNK 12288             /* raw bytes per "log" event */
#define WEB_KEEPALIVE_MS 15000
#define WEB_HEALTH_WINDOW 20            /* finished jobs a machine's health looks at */

static struct {
	const struct farm_conf *conf;
	struct db *db;
	char *root;                     /* the page's files */
	int nstreams;
} W;

/* --- helpers --- */

/* A query argument as a number in [min, max], def when absent; -1 and a
 * 400 reply when it is not one. */
static int
web_arg(struct http_request *req, struct http_reply *rep, const char *name,
    long long min, long long max, long long def, long long *out)
{
	const char *s = http_query(req, name);

	*out = def;
	if (s == NULL || *s == '\0')
		return 0;
	if (parse_int(s, min, max, out) < 0) {
		http_reply_error(rep, 400, "%s: \"%s\" is not a number in %lld..%lld", name,
		    s, min, max);
		return -1;
	}
	return 0;
}

/* A path id; -1 and a 400 reply when it is not one. */
static long long
web_id(struct http_reply *rep, const char *s, const char *what)
{
	long long v;

	if (parse_int(s, 1, 1LL << 53, &v) < 0) {
		http_reply_error(rep, 400, "%s id: \"%s\" is not a positive integer", what, s);
		return -1;
	}
	return v;
}

/* Replies with v (taken), or 500 when the query failed (NULL). */
static void
web_reply(struct http_reply *rep, json_t *v)
{
	if (v == NULL)
		http_reply_error(rep, 500, "database error (see farmd's log)");
	else
		http_reply_json(rep, 200, v);
}

/* The id to pass as "before" for the next page: the last row's id when the
 * page is full, else null. */
static json_t *
web_next(json_t *rows, long long limit, const char *key)
{
	size_t n = json_array_size(rows);

	if (rows == NULL || n == 0 || (long long)n < limit)
		return json_null();
	return json_incref(json_object_get(json_array_get(rows, n - 1), key));
}

/* --- the page's files --- */

static const struct {
	const char *ext;
	const char *type;
} web_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json" },
	{ ".txt", "text/plain; charset=utf-8" },
};

/* 1 when s is a plain file name: [A-Za-z0-9._-], not starting with '.'. */
static int
web_plain_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-");

	return n > 0 && n <= 128 && s[n] == '\0' && s[0] != '.';
}

/* Sends root/dir/name with its type (sendfile); 404 when not there. */
static void
web_send(struct http_reply *rep, const char *dir, const char *name)
{
	const char *dot = strrchr(name, '.'), *type = NULL;
	struct stat st;
	char *path;
	size_t i;
	int fd;

	for (i = 0; dot && i < ARRAY_SIZE(web_types); i++)
		if (strcmp(dot, web_types[i].ext) == 0)
			type = web_types[i].type;
	if (W.root == NULL || type == NULL || !web_plain_name(name)) {
		http_reply_error(rep, 404, "no such file: %s", name);
		return;
	}
	path = xasprintf("%s%s/%s", W.root, dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		http_reply_error(rep, 404, "no such file: %s", name);
		return;
	}
	rep->status = 200;
	rep->content_type = type;
	rep->fd = fd;
	rep->size = st.st_size;
	http_reply_header(rep, "X-Content-Type-Options", "nosniff");
	if (strcmp(dot, ".html") == 0) {
		/* Defence in depth: the page builds its DOM from text only, and
		 * this forbids any script or style the farm did not serve. */
		http_reply_header(rep, "Content-Security-Policy",
		    "default-src 'self'; img-src 'self' data:; object-src 'none';"
		    " base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
		http_reply_header(rep, "Referrer-Policy", "no-referrer");
	}
}

static void
h_index(struct http_request *req, struct http_reply *rep)
{
	(void)req;
	web_send(rep, "", "index.html");
}

static void
h_static(struct http_request *req, struct http_reply *rep)
{
	web_send(rep, "", req->params[0]);
}

static void
h_static_lib(struct http_request *req, struct http_reply *rep)
{
	web_send(rep, "/lib", req->params[0]);
}

/* The first of: $FARM_WEB_DIR, build/web beside the farmd binary, web/
 * beside farm.conf; the one that has index.html. Caller frees. */
static char *
web_find_root(const struct farm_conf *conf)
{
	char exe[PATH_MAX], *cand[4] = {0}, *found = NULL, *slash;
	const char *env = getenv("FARM_WEB_DIR");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t i;

	if (env && *env)
		cand[0] = xstrdup(env);
	else if (conf->web_dir)
		cand[0] = xstrdup(conf->web_dir);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			cand[1] = xasprintf("%s/web", exe);
		}
	}
	cand[3] = xasprintf("%s/web", conf->dir);
	for (i = 0; i < ARRAY_SIZE(cand); i++) {
		char *index;

		if (cand[i] == NULL || found)
			continue;
		index = xasprintf("%s/index.html", cand[i]);
		if (access(index, R_OK) == 0)
			found = xstrdup(cand[i]);
		free(index);
	}
	for (i = 0; i < ARRAY_SIZE(cand); i++)
		free(cand[i]);
	return found;
}

/* --- overview --- */

/* A machine's health from its recent jobs: only infra results count
 * against a machine (a failing test is the test's business). */
static void
web_health(json_t *m, json_t *h)
{
	json_t *last = json_object_get(h, "last");
	json_t *recent = json_object_get(h, "recent");
	long long infra = json_integer_value(json_object_get(recent, "infra"));
	long long jobs = json_integer_value(json_object_get(recent, "jobs"));
	const char *health = "ok", *why = NULL;
	size_t i, n = json_array_size(last), run = 0;

	for (i = 0; i < n && i < 3; i++)
		if (json_is_string(json_array_get(last, i)) &&
		    strcmp(json_string_value(json_array_get(last, i)), "infra") == 0)
			run++;
	if (jobs == 0) {
		health = "unknown";
		why = "no finished job yet";
	} else if (run == 3) {
		health = "failing";
		why = "its last 3 jobs ended with a farm or lab failure (infra)";
	} else if (infra > 0) {
		health = "degraded";
		why = "some of its recent jobs ended with a farm or lab failure (infra)";
	}
	json_object_set_new(m, "health", json_string(health));
	json_object_set_new(m, "health_reason", why ? json_string(why) : json_null());
}

/* The machines farmd runs, with what the database knows of them. */
static json_t *
web_machines(json_t *running)
{
	struct machine_info mi;
	json_t *a = json_array();
	size_t i, k;

	for (i = 0; sched_machine_info(i, &mi) == 0; i++) {
		const struct machine_conf *c = mi.conf;
		json_t *tags = json_array(), *m, *h, *job;

		for (k = 0; k < c->ntags; k++)
			json_array_append_new(tags, json_string(c->tags[k]));
		m = json_pack("{s:s,s:s,s:s,s:o,s:s,s:I}", "name", c->name, "arch", c->arch,
		    "kind", c->kind == MACHINE_QEMU ? "qemu" : "physical", "tags", tags,
		    "state", mi.state, "boots", (json_int_t)mi.boots);
		json_object_set_new(m, "job", mi.job ? json_integer(mi.job) : json_null());
		json_object_set_new(m, "job_test", json_null());
		json_array_foreach(running, k, job)
			if (json_integer_value(json_object_get(job, "id")) == mi.job)
				json_object_set(m, "job_test", json_object_get(job, "test"));
		h = db_web_machine_health(W.db, c->name, WEB_HEALTH_WINDOW);
		if (h) {
			json_object_set(m, "last_seen", json_object_get(h, "last_seen"));
			json_object_set(m, "recent", json_object_get(h, "recent"));
			json_object_set(m, "last", json_object_get(h, "last"));
			web_health(m, h);
			json_decref(h);
		}
		json_array_append_new(a, m);
	}
	return a;
}

static void
h_overview(struct http_request *req, struct http_reply *rep)
{
	long long nruns, nqueue, total = 0;
	json_t *running, *queue, *runs, *o;

	if (web_arg(req, rep, "runs", 1, 200, 15, &nruns) < 0 ||
	    web_arg(req, rep, "queue", 1, 500, 50, &nqueue) < 0)
		return;
	running = db_web_in_flight(W.db);
	queue = db_web_queue(W.db, (int)nqueue, &total);
	runs = db_web_runs(W.db, 0, (int)nruns);
	if (running == NULL || queue == NULL || runs == NULL) {
		json_decref(running);
		json_decref(queue);
		json_decref(runs);
		web_reply(rep, NULL);
		return;
	}
	o = json_object();
	json_object_set_new(o, "machines", web_machines(running));
	json_object_set_new(o, "running", running);
	json_object_set_new(o, "queue", json_pack("{s:I,s:o}", "total", (json_int_t)total,
	    "jobs", queue));
	json_object_set_new(o, "runs", runs);
	json_object_set_new(o, "now", json_integer(wall_ms()));
	http_reply_json(rep, 200, o);
}

static void
h_overview_runs(struct http_request *req, struct http_reply *rep)
{
	long long before, limit;
	json_t *runs;

	if (web_arg(req, rep, "before", 1, 1LL << 53, 0, &before) < 0 ||
	    web_arg(req, rep, "limit", 1, 500, 50, &limit) < 0)
		return;
	runs = db_web_runs(W.db, before, (int)limit);
	if (runs == NULL) {
		web_reply(rep, NULL);
		return;
	}
	http_reply_json(rep, 200, json_pack("{s:o,s:o}", "next_before",
	    web_next(runs, limit, "id"), "runs", runs));
}

/* --- matrix, tests, machines --- */

static void
h_matrix(struct http_request *req, struct http_reply *rep)
{
	json_t *cells = db_web_matrix(W.db), *machines = db_web_machines(W.db);

	(void)req;
	if (cells == NULL || machines == NULL) {
		json_decref(cells);
		json_decref(machines);
		web_reply(rep, NULL);
		return;
	}
	http_reply_json(rep, 200, json_pack("{s:o,s:o}", "machines", machines, "cells",
	    cells));
}

static void
h_test_history(struct http_request *req, struct http_reply *rep)
{
	const char *test = req->params[0] ? req->params[0] : http_query(req, "name");
	const char *machine = http_query(req, "machine");
	long long before, limit;
	json_t *jobs, *summary;

	if (test == NULL || *test == '\0') {
		http_reply_error(rep, 400, "name: say which test");
		return;
	}
	if (web_arg(req, rep, "before", 1, 1LL << 53, 0, &before) < 0 ||
	    web_arg(req, rep, "limit", 1, 1000, 200, &limit) < 0)
		return;
	if (machine && *machine == '\0')
		machine = NULL;
	jobs = db_web_test_history(W.db, test, machine, before, (int)limit);
	summary = before ? json_null() : db_web_test_summary(W.db, test);
	if (jobs == NULL || summary == NULL) {
		json_decref(jobs);
		json_decref(summary);
		web_reply(rep, NULL);
		return;
	}
	http_reply_json(rep, 200, json_pack("{s:s,s:o,s:o,s:o}", "test", test,
	    "machines", summary, "next_before", web_next(jobs, limit, "id"), "jobs", jobs));
}

static void
h_machine_health(struct http_request *req, struct http_reply *rep)
{
	json_t *h = db_web_machine_health(W.db, req->params[0], WEB_HEALTH_WINDOW);
	struct machine_info mi;

	if (h == NULL) {
		web_reply(rep, NULL);
		return;
	}
	if (json_object_get(h, "name") == NULL &&
	    sched_machine_info_by_name(req->params[0], &mi) < 0) {
		json_decref(h);
		http_reply_error(rep, 404, "no machine %s", req->params[0]);
		return;
	}
	web_health(h, h);
	json_object_set_new(h, "window", json_integer(WEB_HEALTH_WINDOW));
	http_reply_json(rep, 200, h);
}

static void
h_machine_jobs(struct http_request *req, struct http_reply *rep)
{
	long long before, limit;
	json_t *jobs;

	if (web_arg(req, rep, "before", 1, 1LL << 53, 0, &before) < 0 ||
	    web_arg(req, rep, "limit", 1, 1000, 50, &limit) < 0)
		return;
	jobs = db_web_machine_jobs(W.db, req->params[0], before, (int)limit);
	if (jobs == NULL) {
		web_reply(rep, NULL);
		return;
	}
	http_reply_json(rep, 200, json_pack("{s:s,s:o,s:o}", "machine", req->params[0],
	    "next_before", web_next(jobs, limit, "id"), "jobs", jobs));
}

static void
h_machine_events(struct http_request *req, struct http_reply *rep)
{
	long long before, limit;
	json_t *ev;

	if (web_arg(req, rep, "before", 1, 1LL << 53, 0, &before) < 0 ||
	    web_arg(req, rep, "limit", 1, 1000, 50, &limit) < 0)
		return;
	ev = db_web_machine_events(W.db, req->params[0], before, (int)limit);
	if (ev == NULL) {
		web_reply(rep, NULL);
		return;
	}
	http_reply_json(rep, 200, json_pack("{s:s,s:o,s:o}", "machine", req->params[0],
	    "next_before", web_next(ev, limit, "id"), "events", ev));
}

/* --- a run's downloads --- */

/* The run export for a path id, or NULL after replying with the error. */
static json_t *
web_export(struct http_request *req, struct http_reply *rep, int with_cases,
    long long *id)
{
	json_t *r;
	int found;

	if ((*id = web_id(rep, req->params[0], "run")) < 0)
		return NULL;
	r = db_web_run_export(W.db, *id, with_cases, &found);
	if (found == 0)
		http_reply_error(rep, 404, "no run %lld", *id);
	else if (r == NULL)
		web_reply(rep, NULL);
	return r;
}

static void
web_attachment(struct http_reply *rep, long long id, const char *ext)
{
	char *v = xasprintf("attachment; filename=\"farm-run-%lld.%s\"", id, ext);

	http_reply_header(rep, "Content-Disposition", v);
	free(v);
}

static const char *
web_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Appends s escaped for XML text and attributes; characters XML 1.0 does
 * not allow (C0 controls but tab and line ends) are dropped. */
static void
xml_add(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&apos;"); break;
		default:
			if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
				buf_addc(b, (char)c);
		}
	}
}

/* ISO 8601 UTC from milliseconds since the epoch. */
static void
web_iso(long long ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* What a job's own outcome adds to its cases when they do not say it:
 * "failure", "error", "skipped" or NULL; *msg explains. */
static const char *
web_job_verdict(json_t *job, int failing_cases, const char **msg)
{
	const char *state = web_str(job, "state"), *result = web_str(job, "result");

	*msg = json_string_value(json_object_get(job, "reason"));
	if (strcmp(state, "cancelled") == 0) {
		*msg = "cancelled";
		return "skipped";
	}
	if (strcmp(state, "done") != 0) {
		*msg = "not finished";
		return "skipped";
	}
	if (strcmp(result, "error") == 0 || strcmp(result, "infra") == 0 ||
	    strcmp(result, "timeout") == 0)
		return "error";
	if (strcmp(result, "fail") == 0 && failing_cases == 0)
		return "failure";
	return NULL;
}

static void
h_run_junit(struct http_request *req, struct http_reply *rep)
{
	struct buf b = {0}, suites = {0};
	long long id, tot = 0, tfail = 0, terr = 0, tskip = 0;
	double ttime = 0;
	json_t *r = web_export(req, rep, 1, &id), *job, *tc;
	size_t i, k;

	if (r == NULL)
		return;
	json_array_foreach(json_object_get(r, "jobs"), i, job) {
		struct buf cases = {0}, out = {0};
		long long n = 0, nfail = 0, nerr = 0, nskip = 0;
		const char *test = web_str(job, "test"), *machine = web_str(job, "machine");
		const char *verdict, *msg;
		json_int_t dur = json_integer_value(json_object_get(job, "duration_ms"));
		json_int_t started = json_integer_value(json_object_get(job, "started_at"));
		char when[32] = "";

		json_array_foreach(json_object_get(job, "testcases"), k, tc) {
			const char *st = web_str(tc, "status"), *m = web_str(tc, "message");

			if (strcmp(st, "info") == 0) {
				buf_adds(&out, "INFO: ");
				xml_add(&out, web_str(tc, "name"));
				buf_addc(&out, '\n');
				continue;
			}
			n++;
			buf_adds(&cases, "    <testcase classname=\"");
			xml_add(&cases, test);
			buf_addc(&cases, '.');
			xml_add(&cases, *machine ? machine : "unassigned");
			buf_adds(&cases, "\" name=\"");
			xml_add(&cases, web_str(tc, "name"));
			buf_adds(&cases, "\"");
			if (strcmp(st, "fail") == 0 || strcmp(st, "xpass") == 0) {
				nfail++;
				buf_printf(&cases, "><failure type=\"%s\" message=\"",
				    strcmp(st, "fail") == 0 ? "FAIL" : "XPASS");
				xml_add(&cases, *m ? m : strcmp(st, "fail") == 0 ? "failed" :
				    "unexpected pass");
				buf_adds(&cases, "\"/></testcase>\n");
			} else if (strcmp(st, "skip") == 0 || strcmp(st, "xfail") == 0) {
				nskip++;
				buf_adds(&cases, "><skipped message=\"");
				xml_add(&cases, strcmp(st, "xfail") == 0 ? "expected failure" : "");
				if (*m) {
					buf_adds(&cases, strcmp(st, "xfail") == 0 ? ": " : "");
					xml_add(&cases, m);
				}
				buf_adds(&cases, "\"/></testcase>\n");
			} else {
				buf_adds(&cases, "/>\n");
			}
		}
		verdict = web_job_verdict(job, (int)nfail, &msg);
		if (verdict || n == 0) {
			const char *kind = verdict ? verdict : NULL;

			n++;
			buf_adds(&cases, "    <testcase classname=\"");
			xml_add(&cases, test);
			buf_addc(&cases, '.');
			xml_add(&cases, *machine ? machine : "unassigned");
			buf_adds(&cases, "\" name=\"(job outcome)\"");
			if (kind) {
				if (strcmp(kind, "failure") == 0)
					nfail++;
				else if (strcmp(kind, "error") == 0)
					nerr++;
				else
					nskip++;
				buf_printf(&cases, "><%s type=\"%s\" message=\"", kind,
				    *web_str(job, "result") ? web_str(job, "result") :
				    web_str(job, "state"));
				xml_add(&cases, msg ? msg : "");
				buf_adds(&cases, "\"/></testcase>\n");
			} else {
				buf_adds(&cases, "/>\n");
			}
		}
		if (started > 0)
			web_iso(started, when);
		buf_adds(&suites, "  <testsuite name=\"");
		xml_add(&suites, test);
		buf_adds(&suites, " on ");
		xml_add(&suites, *machine ? machine : "(unassigned)");
		buf_printf(&suites, "\" id=\"%lld\" tests=\"%lld\" failures=\"%lld\""
		    " errors=\"%lld\" skipped=\"%lld\" time=\"%.3f\"",
		    (long long)json_integer_value(json_object_get(job, "id")), n, nfail, nerr,
		    nskip, (double)dur / 1000.0);
		if (*when)
			buf_printf(&suites, " timestamp=\"%s\"", when);
		if (*machine) {
			buf_adds(&suites, " hostname=\"");
			xml_add(&suites, machine);
			buf_adds(&suites, "\"");
		}
		buf_adds(&suites, ">\n    <properties>\n");
		buf_printf(&suites, "      <property name=\"farm.job\" value=\"%lld\"/>\n",
		    (long long)json_integer_value(json_object_get(job, "id")));
		buf_adds(&suites, "      <property name=\"farm.result\" value=\"");
		xml_add(&suites, *web_str(job, "result") ? web_str(job, "result") :
		    web_str(job, "state"));
		buf_adds(&suites, "\"/>\n    </properties>\n");
		buf_add(&suites, cases.data ? cases.data : "", cases.len);
		if (out.len) {
			buf_adds(&suites, "    <system-out>");
			buf_add(&suites, out.data, out.len);
			buf_adds(&suites, "</system-out>\n");
		}
		buf_adds(&suites, "  </testsuite>\n");
		tot += n;
		tfail += nfail;
		terr += nerr;
		tskip += nskip;
		ttime += (double)dur / 1000.0;
		buf_free(&cases);
		buf_free(&out);
	}
	buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"
	    " name=\"farm run %lld\" tests=\"%lld\" failures=\"%lld\" errors=\"%lld\""
	    " skipped=\"%lld\" time=\"%.3f\">\n", id, tot, tfail, terr, tskip, ttime);
	buf_add(&b, suites.data ? suites.data : "", suites.len);
	buf_adds(&b, "</testsuites>\n");
	http_reply_text(rep, 200, "application/xml; charset=utf-8", b.data);
	web_attachment(rep, id, "xml");
	buf_free(&b);
	buf_free(&suites);
	json_decref(r);
}

/* Appends a TAP description: one line, '#' escaped. */
static void
tap_add(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r')
			buf_addc(b, ' ');
		else if (*s == '#' || *s == '\\')
			buf_printf(b, "\\%c", *s);
		else
			buf_addc(b, *s);
	}
}

static void
h_run_tap(struct http_request *req, struct http_reply *rep)
{
	struct buf b = {0};
	long long id;
	json_t *r = web_export(req, rep, 1, &id), *job, *tc;
	size_t i, k;

	if (r == NULL)
		return;
	buf_printf(&b, "TAP version 13\n1..%zu\n", json_array_size(json_object_get(r,
	    "jobs")));
	json_array_foreach(json_object_get(r, "jobs"), i, job) {
		const char *test = web_str(job, "test"), *machine = web_str(job, "machine");
		const char *state = web_str(job, "state"), *result = web_str(job, "result");
		long long jid = (long long)json_integer_value(json_object_get(job, "id"));
		json_t *reason = json_object_get(job, "reason");
		int n = 0;

		buf_adds(&b, "# Subtest: ");
		tap_add(&b, test);
		buf_adds(&b, " on ");
		tap_add(&b, *machine ? machine : "(unassigned)");
		buf_printf(&b, " (job %lld)\n", jid);
		json_array_foreach(json_object_get(job, "testcases"), k, tc) {
			const char *st = web_str(tc, "status"), *m = web_str(tc, "message");

			if (strcmp(st, "info") == 0) {
				buf_adds(&b, "    # INFO: ");
				tap_add(&b, web_str(tc, "name"));
				buf_addc(&b, '\n');
				continue;
			}
			n++;
			buf_printf(&b, "    %s %d - ", strcmp(st, "pass") == 0 ||
			    strcmp(st, "skip") == 0 ? "ok" : "not ok", n);
			tap_add(&b, web_str(tc, "name"));
			if (strcmp(st, "skip") == 0)
				buf_adds(&b, " # SKIP");
			else if (strcmp(st, "xfail") == 0)
				buf_adds(&b, " # TODO expected failure");
			else if (strcmp(st, "xpass") == 0)
				buf_adds(&b, " (unexpected pass)");
			if (*m && (strcmp(st, "skip") == 0 || strcmp(st, "xfail") == 0)) {
				buf_addc(&b, ' ');
				tap_add(&b, m);
			} else if (*m) {
				buf_adds(&b, ": ");
				tap_add(&b, m);
			}
			buf_addc(&b, '\n');
		}
		buf_printf(&b, "    1..%d\n", n);
		buf_printf(&b, "%s %zu - ", strcmp(state, "done") == 0 &&
		    (strcmp(result, "pass") == 0 || strcmp(result, "skip") == 0) ? "ok" :
		    "not ok", i + 1);
		tap_add(&b, test);
		buf_adds(&b, " on ");
		tap_add(&b, *machine ? machine : "(unassigned)");
		buf_printf(&b, " (job %lld): ", jid);
		tap_add(&b, *result ? result : state);
		if (strcmp(state, "cancelled") == 0)
			buf_adds(&b, " # SKIP cancelled");
		else if (strcmp(state, "done") != 0)
			buf_adds(&b, " # TODO not finished");
		else if (strcmp(result, "skip") == 0)
			buf_adds(&b, " # SKIP");
		if (json_is_string(reason) && strcmp(result, "pass") != 0) {
			buf_adds(&b, strcmp(result, "skip") == 0 ? " " : " - ");
			tap_add(&b, json_string_value(reason));
		}
		buf_addc(&b, '\n');
	}
	http_reply_text(rep, 200, "text/plain; charset=utf-8", b.data);
	web_attachment(rep, id, "tap");
	buf_free(&b);
	json_decref(r);
}

static void
h_run_json(struct http_request *req, struct http_reply *rep)
{
	const char *cases = http_query(req, "cases");
	int with_cases = cases == NULL || strcmp(cases, "0") != 0;
	long long id;
	json_t *r = web_export(req, rep, with_cases, &id);

	if (r == NULL)
		return;
	http_reply_json(rep, 200, r);
	/* The page reads it without cases; the download link has them. */
	if (with_cases)
		web_attachment(rep, id, "json");
}

/* --- the console as Server-Sent Events --- */

struct web_stream {
	long long job;
	int fd;                         /* the log; -1 until it exists */
	long long off;                  /* log bytes sent */
	char state[16];                 /* the job state last sent */
	struct buf out;                 /* events not yet taken by http.c */
	size_t out_pos;
	int64_t last_sent;              /* monotonic ms */
	int ending;                     /* "end" queued: the stream ends after it */
};

static void
web_base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		buf_addc(b, tab[p[i] >> 2]);
		buf_addc(b, tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		buf_addc(b, tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		buf_addc(b, tab[p[i + 2] & 63]);
	}
	if (n - i == 1) {
		buf_addc(b, tab[p[i] >> 2]);
		buf_addc(b, tab[(p[i] & 3) << 4]);
		buf_adds(b, "==");
	} else if (n - i == 2) {
		buf_addc(b, tab[p[i] >> 2]);
		buf_addc(b, tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		buf_addc(b, tab[(p[i + 1] & 15) << 2]);
		buf_addc(b, '=');
	}
}

/* Queues the log bytes past s->off, if any; 1 when some were queued. */
static int
web_stream_log(struct web_stream *s)
{
	unsigned char chunk[WEB_LOG_CHUNK];
	ssize_t n;

	if (s->fd < 0) {
		char *path = sched_log_path(s->job);

		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
		if (s->fd < 0)
			return 0;
	}
	n = pread(s->fd, chunk, sizeof(chunk), (off_t)s->off);
	if (n <= 0)
		return 0;
	s->off += n;
	buf_printf(&s->out, "id: %lld\nevent: log\ndata: ", s->off);
	web_base64(&s->out, chunk, (size_t)n);
	buf_adds(&s->out, "\n\n");
	return 1;
}

/* Queues what the client should get next: log bytes, a change of state,
 * the end, or a keep-alive comment; nothing when there is no news. */
static void
web_stream_fill(struct web_stream *s)
{
	struct job j;
	json_t *o;
	char *text;
	int found, over;

	if (web_stream_log(s))
		goto sent;
	found = db_job_get(W.db, s->job, &j);
	if (found <= 0) {
		buf_printf(&s->out, "event: end\ndata: {\"error\":\"job %lld is gone\"}\n\n",
		    s->job);
		s->ending = 1;
		goto sent;
	}
	over = strcmp(j.state, "done") == 0 || strcmp(j.state, "cancelled") == 0;
	if (strcmp(j.state, s->state) != 0 || over) {
		o = json_pack("{s:s,s:o,s:I}", "state", j.state, "result",
		    j.result[0] ? json_string(j.result) : json_null(), "log_size",
		    (json_int_t)j.log_size);
		text = json_dumps(o, JSON_COMPACT);
		/* The log may have grown between the read above and the job
		 * ending: send it first, the end after. */
		if (over && web_stream_log(s)) {
			free(text);
			json_decref(o);
			job_clear(&j);
			goto sent;
		}
		buf_printf(&s->out, "event: %s\ndata: %s\n\n", over ? "end" : "state", text);
		snprintf(s->state, sizeof(s->state), "%s", j.state);
		s->ending = over;
		free(text);
		json_decref(o);
		job_clear(&j);
		goto sent;
	}
	job_clear(&j);
	if (now_ms() - s->last_sent >= WEB_KEEPALIVE_MS) {
		buf_adds(&s->out, ": keep-alive\n\n");
		goto sent;
	}
	return;
sent:
	s->last_sent = now_ms();
}

/* http.c's reader: hands out the queued events, refilling when empty. */
static ssize_t
web_stream_read(void *arg, char *buf, size_t max)
{
	struct web_stream *s = arg;
	size_t n;

	if (s->out_pos == s->out.len) {
		buf_reset(&s->out);
		s->out_pos = 0;
		if (s->ending)
			return HTTP_STREAM_END;
		web_stream_fill(s);
		if (s->out.len == 0)
			return 0;
	}
	n = s->out.len - s->out_pos;
	if (n > max)
		n = max;
	memcpy(buf, s->out.data + s->out_pos, n);
	s->out_pos += n;
	return (ssize_t)n;
}

static void
web_stream_done(void *arg)
{
	struct web_stream *s = arg;

	if (s->fd >= 0)
		close(s->fd);
	buf_free(&s->out);
	free(s);
	W.nstreams--;
}

static void
h_log_stream(struct http_request *req, struct http_reply *rep)
{
	long long id = web_id(rep, req->params[0], "job"), off = 0;
	const char *last = http_header(req, "Last-Event-ID");
	struct web_stream *s;
	struct job j;
	int found;

	if (id < 0)
		return;
	if (last && *last) {
		if (parse_int(last, 0, 1LL << 50, &off) < 0) {
			http_reply_error(rep, 400, "Last-Event-ID: \"%s\" is not a log offset",
			    last);
			return;
		}
	} else if (web_arg(req, rep, "offset", 0, 1LL << 50, 0, &off) < 0) {
		return;
	}
	found = db_job_get(W.db, id, &j);
	if (found <= 0) {
		http_reply_error(rep, found < 0 ? 500 : 404, "no job %lld", id);
		return;
	}
	job_clear(&j);
	if (W.nstreams >= WEB_MAX_STREAMS) {
		http_reply_error(rep, 503, "too many live logs open (%d); try again later",
		    WEB_MAX_STREAMS);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->job = id;
	s->fd = -1;
	s->off = off;
	s->last_sent = now_ms();
	/* The client's reconnection delay, then the events. */
	buf_adds(&s->out, "retry: 2000\n\n");
	W.nstreams++;
	rep->status = 200;
	rep->content_type = "text/event-stream; charset=utf-8";
	rep->stream = web_stream_read;
	rep->stream_done = web_stream_done;
	rep->stream_arg = s;
	http_reply_header(rep, "X-Accel-Buffering", "no");
}

static const struct http_route web_routes[] = {
	{ "GET", "/", h_index, 0, 0 },
	{ "GET", "/static/*", h_static, 0, 0 },
	{ "GET", "/static/lib/*", h_static_lib, 0, 0 },
	{ "GET", "/api/v1/overview", h_overview, 0, 0 },
	{ "GET", "/api/v1/overview/runs", h_overview_runs, 0, 0 },
	{ "GET", "/api/v1/matrix", h_matrix, 0, 0 },
	{ "GET", "/api/v1/tests/*/history", h_test_history, 0, 0 },
	{ "GET", "/api/v1/test-history", h_test_history, 0, 0 },
	{ "GET", "/api/v1/machines/*/health", h_machine_health, 0, 0 },
	{ "GET", "/api/v1/machines/*/jobs", h_machine_jobs, 0, 0 },
	{ "GET", "/api/v1/machines/*/events", h_machine_events, 0, 0 },
	{ "GET", "/api/v1/runs/*/junit", h_run_junit, 0, 0 },
	{ "GET", "/api/v1/runs/*/tap", h_run_tap, 0, 0 },
	{ "GET", "/api/v1/runs/*/json", h_run_json, 0, 0 },
	{ "GET", "/api/v1/jobs/*/log/stream", h_log_stream, 0, 0 },
};

void
api_web_init(const struct farm_conf *conf, struct db *db)
{
	W.conf = conf;
	W.db = db;
	free(W.root);
	W.root = web_find_root(conf);
	if (W.root)
		log_info("web page: %s", W.root);
	else
		log_warnx("web page: no index.html in $FARM_WEB_DIR, build/web beside"
		    " farmd or %s/web (run make)", conf->dir);
	http_add_routes(web_routes, ARRAY_SIZE(web_routes));
}

void
api_web_free(void)
{
	free(W.root);
	W.root = NULL;
}
