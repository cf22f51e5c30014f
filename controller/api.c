/*
 * api.c - the routes of docs/api.md. Handlers read the request, call the
 * scheduler, the database or the app store, and fill the reply; none of
 * them blocks (files go out through sendfile in libmicrohttpd, apps from
 * a shared mapping: http.c).
 */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "apps.h"
#include "boot.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "results.h"
#include "sched.h"
#include "suite.h"
#include "util.h"

static struct {
	const struct farm_conf *conf;
	struct db *db;
} A;

static json_t *
json_time(long long ms)
{
	return ms > 0 ? json_integer(ms) : json_null();
}

static json_t *
json_list(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *
testcases_json(long long job)
{
	struct testcase *tc;
	size_t n, i;
	json_t *a = json_array();

	if (db_testcases_list(A.db, job, &tc, &n) < 0)
		return a;
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:i,s:s,s:s,s:s}", "seq", tc[i].seq,
		    "name", tc[i].name ? tc[i].name : "", "status",
		    tc_status_name(tc[i].status), "message",
		    tc[i].message ? tc[i].message : ""));
	db_testcases_free(tc, n);
	return a;
}

static json_t *
job_json(const struct job *j, int with_cases)
{
	json_t *o = json_object(), *env = json_object();
	struct buf target = {0};
	size_t i;

	for (i = 0; i < j->nenv; i++) {
		const char *eq = strchr(j->env[i], '=');
		char *k = xstrndup(j->env[i], eq ? (size_t)(eq - j->env[i]) : strlen(j->env[i]));

		json_object_set_new(env, k, json_string(eq ? eq + 1 : ""));
		free(k);
	}
	if (j->target_machine) {
		buf_printf(&target, "machine=%s", j->target_machine);
	} else {
		buf_adds(&target, "tags=");
		for (i = 0; i < j->ntags; i++)
			buf_printf(&target, "%s%s", i ? "," : "", j->tags[i]);
	}
	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "run", json_integer(j->run));
	json_object_set_new(o, "test", json_string(j->test));
	json_object_set_new(o, "app", json_string(j->app));
	json_object_set_new(o, "app_name", json_string(j->app_name));
	json_object_set_new(o, "args", json_list(j->args, j->nargs));
	json_object_set_new(o, "env", env);
	json_object_set_new(o, "target", json_string(target.data));
	json_object_set_new(o, "machine", j->machine ? json_string(j->machine) : json_null());
	json_object_set_new(o, "priority", json_integer(j->priority));
	json_object_set_new(o, "timeout", json_integer(j->timeout));
	json_object_set_new(o, "state", json_string(j->state));
	json_object_set_new(o, "result", j->result[0] ? json_string(j->result) : json_null());
	json_object_set_new(o, "exit_code", j->exit_code >= 0 ? json_integer(j->exit_code) :
	    json_null());
	json_object_set_new(o, "reason", j->reason && *j->reason ? json_string(j->reason) :
	    json_null());
	json_object_set_new(o, "queued_at", json_time(j->queued_at));
	json_object_set_new(o, "started_at", json_time(j->started_at));
	json_object_set_new(o, "finished_at", json_time(j->finished_at));
	json_object_set_new(o, "duration_ms", j->started_at > 0 && j->finished_at > 0 ?
	    json_integer(j->finished_at - j->started_at) : json_null());
	json_object_set_new(o, "boot_ms", j->boot_ms >= 0 ? json_integer(j->boot_ms) :
	    json_null());
	json_object_set_new(o, "log_size", json_integer(j->log_size));
	json_object_set_new(o, "attempt", json_integer(j->attempt));
	json_object_set_new(o, "smp", j->smp ? json_integer(j->smp) : json_null());
	json_object_set_new(o, "memory", j->memory ? json_integer(j->memory) : json_null());
	json_object_set_new(o, "retry_of", j->retry_of > 0 ? json_integer(j->retry_of) :
	    json_null());
	if (with_cases)
		json_object_set_new(o, "testcases", testcases_json(j->id));
	buf_free(&target);
	return o;
}

static json_t *
run_json(const struct run_info *r)
{
	static const char *const names[] = { "pass", "fail", "skip", "error", "infra",
		"timeout", "queued", "running" };
	json_t *o = json_pack("{s:I,s:I,s:i}", "id", (json_int_t)r->id, "created_at",
	    (json_int_t)r->created_at, "njobs", r->njobs);
	json_t *c = json_object();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		json_object_set_new(c, names[i], json_integer(r->counts[i]));
	json_object_set_new(o, "counts", c);
	return o;
}

static json_t *
machine_json(const struct machine_info *mi)
{
	const struct machine_conf *m = mi->conf;

	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:o,s:I}", "name", m->name,
	    "arch", m->arch, "kind", m->kind == MACHINE_QEMU ? "qemu" : "physical",
	    "boot", config_boot_name(m->boot),
	    "mac", m->mac, "tags", json_list(m->tags, m->ntags), "state", mi->state,
	    "health", mi->health, "job", mi->job ? json_integer(mi->job) : json_null(),
	    "boots", (json_int_t)mi->boots);
}

/* Parses a path id; replies 400 and returns -1 when it is not one. */
/* A failed database call: the status and sentence db.c gives for it
 * (507 disk full, 503 busy, ...). */
static void
api_db_error(struct http_reply *rep)
{
	int status;
	const char *why = db_error_status(A.db, &status);

	http_reply_error(rep, status, "%s", why);
}

static long long
api_id(struct http_reply *rep, const char *s, const char *what)
{
	long long v;

	if (parse_int(s, 1, (1LL << 53), &v) < 0) {
		http_reply_error(rep, 400, "%s id: \"%s\" is not a positive integer", what, s);
		return -1;
	}
	return v;
}

/* Sends a file (sendfile); 404 when it is not there. */
static void
api_send_file(struct http_reply *rep, const char *path, const char *type)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		http_reply_error(rep, 404, "not found");
		return;
	}
	rep->status = 200;
	rep->content_type = type;
	rep->fd = fd;
	rep->size = st.st_size;
}

/* --- machines' routes --- */

static void
h_boot_first(struct http_request *req, struct http_reply *rep)
{
	(void)req;
	http_reply_text(rep, 200, "text/plain", boot_ipxe_first());
}

static void
h_ipxe(struct http_request *req, struct http_reply *rep)
{
	char *s = sched_boot_script(req->params[0], req->client,
	    http_query(req, "arch"), http_query(req, "platform"));

	http_reply_text(rep, 200, "text/plain", s);
	free(s);
}

static void
h_ipxe_done(struct http_request *req, struct http_reply *rep)
{
	char *s = sched_boot_done(req->params[0], http_query(req, "job"),
	    http_query(req, "token"), http_query(req, "rc"), http_query(req, "stage"));

	http_reply_text(rep, 200, "text/plain", s);
	free(s);
}

static void
h_farmboot(struct http_request *req, struct http_reply *rep)
{
	char *s = sched_farmboot_script(req->params[0], req->client);

	http_reply_text(rep, 200, "text/plain", s);
	free(s);
}

static void
h_farmboot_done(struct http_request *req, struct http_reply *rep)
{
	char *s = sched_farmboot_done(req->params[0], http_query(req, "job"),
	    http_query(req, "token"), http_query(req, "rc"), http_query(req, "stage"));

	http_reply_text(rep, 200, "text/plain", s);
	free(s);
}

/* 1 when s is a plain file name: [A-Za-z0-9._-], not starting with '.'. */
static int
api_plain_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-");

	return n > 0 && n <= 128 && s[n] == '\0' && s[0] != '.';
}

static void
h_netboot(struct http_request *req, struct http_reply *rep)
{
	const char *arch = req->params[0], *file = req->params[1];
	char *path;

	if ((strcmp(arch, "x86_64") != 0 && strcmp(arch, "aarch64") != 0) ||
	    !api_plain_name(file)) {
		http_reply_error(rep, 404, "no netboot file %s/%s", arch, file);
		return;
	}
	path = xasprintf("%s/%s/%s", A.conf->netboot_dir, arch, file);
	api_send_file(rep, path, "application/octet-stream");
	free(path);
}

static void
h_job_dtb(struct http_request *req, struct http_reply *rep)
{
	char *cause = NULL;
	long long id = api_id(rep, req->params[0], "job");
	size_t len;
	void *dtb;

	if (id < 0)
		return;
	if ((dtb = sched_job_dtb(id, &len, &cause)) == NULL) {
		http_reply_error(rep, 404, "%s", cause);
		free(cause);
		return;
	}
	rep->status = 200;
	rep->content_type = "application/octet-stream";
	buf_add(&rep->body, dtb, len);
	free(dtb);
}

static void
h_app(struct http_request *req, struct http_reply *rep)
{
	char sha[65];
	const char *name = req->params[0], *path;
	size_t n = strlen(name);

	if (n != 68 || strcmp(name + 64, ".efi") != 0) {
		http_reply_error(rep, 404, "no app %s", name);
		return;
	}
	memcpy(sha, name, 64);
	sha[64] = '\0';
	path = apps_path(sha);
	if (path == NULL) {
		http_reply_error(rep, 404, "no app %s", name);
		return;
	}
	sched_app_fetched(http_query(req, "job"), sha);
	api_send_file(rep, path, "application/efi");
	rep->fixed = 1; /* written once, renamed into place (apps.c) */
}

static void
h_results(struct http_request *req, struct http_reply *rep)
{
	char *cause = NULL;
	long long id = api_id(rep, req->params[0], "job");
	int status;

	if (id < 0)
		return;
	status = sched_results(id, http_header(req, "Authorization"), req->body.data,
	    req->body.len, &cause);
	if (status == 200)
		http_reply_json(rep, 200, json_pack("{s:b}", "ok", 1));
	else
		http_reply_error(rep, status, "%s", cause);
	free(cause);
}

/* --- people's and CI's routes --- */

static void
h_machines(struct http_request *req, struct http_reply *rep)
{
	struct machine_info mi;
	json_t *a = json_array();
	size_t i;

	(void)req;
	for (i = 0; sched_machine_info(i, &mi) == 0; i++)
		json_array_append_new(a, machine_json(&mi));
	http_reply_json(rep, 200, json_pack("{s:o}", "machines", a));
}

static void
h_machine(struct http_request *req, struct http_reply *rep)
{
	struct machine_info mi;

	if (sched_machine_info_by_name(req->params[0], &mi) < 0) {
		http_reply_error(rep, 404, "no machine %s", req->params[0]);
		return;
	}
	http_reply_json(rep, 200, machine_json(&mi));
}

static void
h_jobs(struct http_request *req, struct http_reply *rep)
{
	struct job_filter f = {0};
	const char *s;
	struct job *v;
	size_t n, i;
	long long x;
	json_t *a;

	f.state = http_query(req, "state");
	f.machine = http_query(req, "machine");
	f.test = http_query(req, "test");
	if ((s = http_query(req, "run")) && parse_int(s, 1, 1LL << 53, &x) == 0)
		f.run = x;
	else if (s) {
		http_reply_error(rep, 400, "run: \"%s\" is not an id", s);
		return;
	}
	if ((s = http_query(req, "before")) && parse_int(s, 1, 1LL << 53, &x) == 0)
		f.before = x;
	else if (s) {
		http_reply_error(rep, 400, "before: \"%s\" is not an id", s);
		return;
	}
	if ((s = http_query(req, "limit")) && parse_int(s, 1, 1000, &x) == 0)
		f.limit = (int)x;
	else if (s) {
		http_reply_error(rep, 400, "limit: \"%s\" is not in 1..1000", s);
		return;
	}
	if (db_jobs_list(A.db, &f, &v, &n) < 0) {
		api_db_error(rep);
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, job_json(&v[i], 0));
	db_jobs_free(v, n);
	http_reply_json(rep, 200, json_pack("{s:o}", "jobs", a));
}

static void
h_job(struct http_request *req, struct http_reply *rep)
{
	long long id = api_id(rep, req->params[0], "job");
	struct job j;
	int found;

	if (id < 0)
		return;
	found = db_job_get(A.db, id, &j);
	if (found <= 0) {
		http_reply_error(rep, found < 0 ? 500 : 404, "no job %lld", id);
		return;
	}
	http_reply_json(rep, 200, job_json(&j, 1));
	job_clear(&j);
}

static void
h_job_log(struct http_request *req, struct http_reply *rep)
{
	long long id = api_id(rep, req->params[0], "job"), off = 0;
	const char *s = http_query(req, "offset");
	struct job j;
	struct stat st;
	char *path, size[32];
	int fd;

	if (id < 0)
		return;
	if (s && parse_int(s, 0, 1LL << 50, &off) < 0) {
		http_reply_error(rep, 400, "offset: \"%s\" is not a byte offset", s);
		return;
	}
	if (db_job_get(A.db, id, &j) <= 0) {
		http_reply_error(rep, 404, "no job %lld", id);
		return;
	}
	http_reply_header(rep, "X-Farm-Job-State", j.state);
	job_clear(&j);
	path = sched_log_path(id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		http_reply_header(rep, "X-Farm-Log-Size", "0");
		http_reply_text(rep, 200, "text/plain; charset=utf-8", "");
		return;
	}
	snprintf(size, sizeof(size), "%lld", (long long)st.st_size);
	http_reply_header(rep, "X-Farm-Log-Size", size);
	if (off > st.st_size)
		off = st.st_size;
	rep->status = 200;
	rep->content_type = "text/plain; charset=utf-8";
	rep->fd = fd;
	rep->offset = (off_t)off;
	rep->size = st.st_size - (off_t)off;
}

static void
h_cancel(struct http_request *req, struct http_reply *rep)
{
	long long id = api_id(rep, req->params[0], "job");
	char *cause = NULL;
	int status;

	if (id < 0)
		return;
	status = sched_cancel(id, &cause);
	if (status == 200)
		http_reply_json(rep, 200, json_pack("{s:b}", "ok", 1));
	else
		http_reply_error(rep, status, "%s", cause);
	free(cause);
}

static void
h_runs(struct http_request *req, struct http_reply *rep)
{
	struct run_info *v;
	size_t n, i;
	long long lim = 50;
	const char *s = http_query(req, "limit");
	json_t *a;

	if (s && parse_int(s, 1, 1000, &lim) < 0) {
		http_reply_error(rep, 400, "limit: \"%s\" is not in 1..1000", s);
		return;
	}
	if (db_runs_list(A.db, (int)lim, &v, &n) < 0) {
		api_db_error(rep);
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, run_json(&v[i]));
	free(v);
	http_reply_json(rep, 200, json_pack("{s:o}", "runs", a));
}

/* The run with its jobs (and their cases when with_cases). */
static json_t *
api_run_full(long long id, int with_cases)
{
	struct run_info r;
	struct job_filter f = { .run = id, .limit = 1000 };
	struct job *v;
	size_t n, i;
	json_t *o, *a;

	if (db_run_get(A.db, id, &r) <= 0)
		return NULL;
	o = run_json(&r);
	a = json_array();
	if (db_jobs_list(A.db, &f, &v, &n) == 0) {
		for (i = n; i > 0; i--)
			json_array_append_new(a, job_json(&v[i - 1], with_cases));
		db_jobs_free(v, n);
	}
	json_object_set_new(o, "jobs", a);
	return o;
}

static void
h_run(struct http_request *req, struct http_reply *rep)
{
	long long id = api_id(rep, req->params[0], "run");
	json_t *o;

	if (id < 0)
		return;
	o = api_run_full(id, 0);
	if (o == NULL)
		http_reply_error(rep, 404, "no run %lld", id);
	else
		http_reply_json(rep, 200, o);
}

static void
h_app_upload(struct http_request *req, struct http_reply *rep)
{
	char sha[65], *cause = NULL;
	int rc = apps_store(req->body.data, req->body.len, sha, &cause);

	if (rc < 0) {
		http_reply_error(rep, 400, "%s", cause);
		free(cause);
		return;
	}
	log_info("app %s stored (%zu bytes)%s", sha, req->body.len, rc ? "" : ", known");
	http_reply_json(rep, rc ? 201 : 200, json_pack("{s:s,s:I,s:s?}", "sha256", sha,
	    "size", (json_int_t)req->body.len, "arch", apps_arch(req->body.data,
	    req->body.len)));
}

/* One target of a schedule request: a machine, or a tag set for one arch. */
struct target {
	const char *machine;            /* or NULL */
	char **tags;                    /* owned when machine is NULL */
	size_t ntags;
	const char *arch;
	int timeout;                    /* the machine's default */
};

static void
targets_free(struct target *t, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < t[i].ntags; k++)
			free(t[i].tags[k]);
		free(t[i].tags);
	}
	free(t);
}

/* A JSON array of strings as a string list; -1 with *cause naming field. */
static int
json_strings(json_t *a, const char *field, char ***out, size_t *n, char **cause)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 1000) {
		*cause = xasprintf("%s: must be an array of strings", field);
		return -1;
	}
	*out = xcalloc(json_array_size(a) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (s == NULL) {
			*cause = xasprintf("%s[%zu]: must be a string", field, i);
			return -1;
		}
		(*out)[(*n)++] = xstrdup(s);
	}
	return 0;
}

static void
strings_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Appends s to a string list. */
static void
strings_add(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* Resolves machines and tags into targets; -1 with *cause. */
static int
schedule_targets(char **machines, size_t nmachines, char **tags, size_t ntags,
    struct target **out, size_t *nout, char **cause)
{
	const struct farm_conf *c = A.conf;
	struct target *t = NULL;
	size_t n = 0, i, k;

	for (i = 0; i < nmachines; i++) {
		const struct machine_conf *m = config_machine(c, machines[i]);

		if (m == NULL) {
			*cause = xasprintf("machines[%zu]: no machine \"%s\" in %s", i,
			    machines[i], c->path);
			goto fail;
		}
		t = xrealloc(t, (n + 1) * sizeof(*t));
		t[n++] = (struct target){ .machine = m->name, .arch = m->arch,
			.timeout = m->job_timeout };
	}
	if (ntags > 0) {
		int found = 0;

		/* One target per arch among the machines with every tag. */
		for (i = 0; i < c->nmachines; i++) {
			const struct machine_conf *m = &c->machines[i];
			int seen = 0;

			if (!config_machine_matches(m, tags, ntags))
				continue;
			found = 1;
			for (k = 0; k < n; k++)
				if (t[k].machine == NULL && strcmp(t[k].arch, m->arch) == 0)
					seen = 1;
			if (seen)
				continue;
			t = xrealloc(t, (n + 1) * sizeof(*t));
			t[n] = (struct target){ .arch = m->arch, .timeout = m->job_timeout };
			for (k = 0; k < ntags; k++)
				strings_add(&t[n].tags, &t[n].ntags, tags[k]);
			{
				char *archtag = xasprintf("arch=%s", m->arch);
				int have = 0;

				for (k = 0; k < ntags; k++)
					have |= strcmp(tags[k], archtag) == 0;
				if (!have)
					strings_add(&t[n].tags, &t[n].ntags, archtag);
				free(archtag);
			}
			n++;
		}
		if (!found) {
			struct buf b = {0};

			for (k = 0; k < ntags; k++)
				buf_printf(&b, "%s%s", k ? " " : "", tags[k]);
			*cause = xasprintf("tags: no machine has all of: %s", b.data);
			buf_free(&b);
			goto fail;
		}
	}
	if (n == 0) {
		*cause = xstrdup("machines or tags: say where to run (at least one)");
		goto fail;
	}
	*out = t;
	*nout = n;
	return 0;
fail:
	targets_free(t, n);
	return -1;
}

/* Checks arguments and environment against the boot-script rules. */
static int
schedule_check(char **args, size_t nargs, char **env, size_t nenv, char **cause)
{
	char *why = NULL;
	size_t i;

	for (i = 0; i < nargs; i++)
		if (boot_check_arg(args[i], &why) < 0) {
			*cause = xasprintf("args[%zu]: %s", i, why);
			free(why);
			return -1;
		}
	for (i = 0; i < nenv; i++)
		if (boot_check_env(env[i], &why) < 0) {
			*cause = xasprintf("env: %s", why);
			free(why);
			return -1;
		}
	return 0;
}

/* Fills j (zeroed first) with suite test t for target tg: its binary for
 * the target's arch goes into the app store. args (NULL: the suite's) and
 * env (added to the suite's) come from the request; timeout 0: the suite's,
 * else the machine's. -1 with *cause. */
static int
job_from_suite(const struct suite_test *t, const struct target *tg, char **args,
    size_t nargs, char **env, size_t nenv, int timeout, struct job *j, char **cause)
{
	char *file = xasprintf("%s/%s/%s", A.conf->tests_dir, tg->arch, t->file);
	char sha[65], *why = NULL;
	size_t a;

	memset(j, 0, sizeof(*j));
	if (apps_store_file(file, sha, &why) < 0) {
		*cause = xasprintf("%s: %s (is it built?)", t->name, why);
		free(why);
		free(file);
		return -1;
	}
	free(file);
	j->test = xstrdup(t->name);
	j->app = xstrdup(sha);
	j->app_name = xstrdup(t->file);
	if (args)
		for (a = 0; a < nargs; a++)
			strings_add(&j->args, &j->nargs, args[a]);
	else
		for (a = 0; a < t->nargs; a++)
			strings_add(&j->args, &j->nargs, t->args[a]);
	for (a = 0; a < t->nenv; a++)
		strings_add(&j->env, &j->nenv, t->env[a]);
	for (a = 0; a < nenv; a++)
		strings_add(&j->env, &j->nenv, env[a]);
	j->timeout = timeout ? timeout : t->timeout ? t->timeout : tg->timeout;
	j->smp = t->smp;
	j->memory = t->memory;
	j->target_machine = tg->machine ? xstrdup(tg->machine) : NULL;
	for (a = 0; a < tg->ntags; a++)
		strings_add(&j->tags, &j->ntags, tg->tags[a]);
	return 0;
}

/* A JSON object of strings as "KEY=VALUE" entries; -1 with *cause. */
static int
json_env(json_t *o, const char *field, char ***env, size_t *nenv, char **cause)
{
	const char *key;
	json_t *ev;

	if (o == NULL)
		return 0;
	if (!json_is_object(o)) {
		*cause = xasprintf("%s: must be an object of strings", field);
		return -1;
	}
	json_object_foreach(o, key, ev) {
		char *kv;

		if (!json_is_string(ev)) {
			*cause = xasprintf("%s.%s: must be a string", field, key);
			return -1;
		}
		kv = xasprintf("%s=%s", key, json_string_value(ev));
		strings_add(env, nenv, kv);
		free(kv);
	}
	return 0;
}

/* The "jobs" form of POST /api/v1/runs (farmctl schedule --suite): each
 * entry names its test, its uploaded app, its machine, its arguments,
 * environment and timeout. Every entry is checked; -1 with *cause naming
 * jobs[i].field. */
static int
jobs_from_list(json_t *list, struct job **out, size_t *nout, char **cause)
{
	static const char *const known[] = { "test", "app", "name", "machine", "args",
		"env", "timeout", "smp", "memory" };
	struct job *jobs = NULL;
	size_t n = 0, i, k;
	json_t *e, *v;
	const char *key;
	char *why = NULL, field[64];

	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > 10000) {
		*cause = xstrdup("jobs: must be an array of 1 to 10000 jobs");
		return -1;
	}
	json_array_foreach(list, i, e) {
		const struct machine_conf *m;
		const char *test, *app, *name, *arch;
		struct job *j;

		if (!json_is_object(e)) {
			*cause = xasprintf("jobs[%zu]: must be an object", i);
			goto fail;
		}
		json_object_foreach(e, key, v) {
			int ok = 0;

			for (k = 0; k < ARRAY_SIZE(known); k++)
				ok |= strcmp(key, known[k]) == 0;
			if (!ok) {
				*cause = xasprintf("jobs[%zu].%s: unknown field", i, key);
				goto fail;
			}
		}
		test = json_string_value(json_object_get(e, "test"));
		app = json_string_value(json_object_get(e, "app"));
		name = json_string_value(json_object_get(e, "name"));
		if (test == NULL || *test == '\0' || strlen(test) > 128) {
			*cause = xasprintf("jobs[%zu].test: a name of 1 to 128 bytes", i);
			goto fail;
		}
		if (app == NULL || !apps_valid_sha(app) || apps_path(app) == NULL) {
			*cause = xasprintf("jobs[%zu].app: not the sha256 of an uploaded app", i);
			goto fail;
		}
		m = config_machine(A.conf,
		    json_string_value(json_object_get(e, "machine")) ?
		    json_string_value(json_object_get(e, "machine")) : "");
		if (m == NULL) {
			*cause = xasprintf("jobs[%zu].machine: no such machine in %s", i,
			    A.conf->path);
			goto fail;
		}
		arch = apps_arch_of(app);
		if (arch && strcmp(arch, m->arch) != 0) {
			*cause = xasprintf("jobs[%zu].app: it is an %s program; machine %s is"
			    " %s", i, arch, m->name, m->arch);
			goto fail;
		}
		if (name && boot_check_arg(name, &why) < 0) {
			*cause = xasprintf("jobs[%zu].name: %s", i, why);
			goto fail;
		}
		jobs = xrealloc(jobs, (n + 1) * sizeof(*jobs));
		j = &jobs[n++];
		memset(j, 0, sizeof(*j));
		j->test = xstrdup(test);
		j->app = xstrdup(app);
		j->app_name = xstrdup(name ? name : test);
		j->target_machine = xstrdup(m->name);
		snprintf(field, sizeof(field), "jobs[%zu].args", i);
		if (json_strings(json_object_get(e, "args"), field, &j->args, &j->nargs,
		    cause) < 0)
			goto fail;
		snprintf(field, sizeof(field), "jobs[%zu].env", i);
		if (json_env(json_object_get(e, "env"), field, &j->env, &j->nenv, cause) < 0)
			goto fail;
		if (schedule_check(j->args, j->nargs, j->env, j->nenv, &why) < 0) {
			*cause = xasprintf("jobs[%zu].%s", i, why);
			goto fail;
		}
		v = json_object_get(e, "timeout");
		if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 7 * 86400)) {
			*cause = xasprintf("jobs[%zu].timeout: seconds in 1..604800", i);
			goto fail;
		}
		j->timeout = v ? (int)json_integer_value(v) : m->job_timeout;
		v = json_object_get(e, "smp");
		if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1024)) {
			*cause = xasprintf("jobs[%zu].smp: CPUs in 1..1024", i);
			goto fail;
		}
		j->smp = v ? (int)json_integer_value(v) : 0;
		v = json_object_get(e, "memory");
		if (v && (!json_is_integer(v) || json_integer_value(v) < 16 ||
		    json_integer_value(v) > (1 << 20))) {
			*cause = xasprintf("jobs[%zu].memory: MiB in 16..1048576", i);
			goto fail;
		}
		j->memory = v ? (int)json_integer_value(v) : 0;
	}
	*out = jobs;
	*nout = n;
	return 0;
fail:
	free(why);
	for (i = 0; i < n; i++)
		job_clear(&jobs[i]);
	free(jobs);
	return -1;
}

/* POST /api/v1/runs: every job is checked before any is queued. */
static void
h_schedule(struct http_request *req, struct http_reply *rep)
{
	json_t *root, *v;
	json_error_t jerr;
	char **tests = NULL, **machines = NULL, **tags = NULL, **args = NULL;
	char **env = NULL;
	size_t ntests = 0, nmachines = 0, ntags = 0, nargs = 0, nenv = 0, ntargets = 0;
	struct target *targets = NULL, *mismatch;
	struct job *jobs = NULL;
	size_t njobs = 0, i, k, placed;
	struct suite *suite = NULL;
	const char *app = NULL, *name = "app", *key;
	char *cause = NULL;
	int has_args = 0;
	long long timeout = 0, priority = 0, run;

	root = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
	if (!json_is_object(root)) {
		cause = xasprintf("body: not a JSON object (%s)", root ? "" : jerr.text);
		goto bad;
	}
	json_object_foreach(root, key, v) {
		static const char *const known[] = { "tests", "app", "name", "machines",
			"tags", "args", "env", "timeout", "priority", "jobs" };
		int ok = 0;

		for (i = 0; i < ARRAY_SIZE(known); i++)
			ok |= strcmp(key, known[i]) == 0;
		if (!ok) {
			cause = xasprintf("%s: unknown field", key);
			goto bad;
		}
	}
	if (json_strings(json_object_get(root, "tests"), "tests", &tests, &ntests, &cause) < 0 ||
	    json_strings(json_object_get(root, "machines"), "machines", &machines,
	    &nmachines, &cause) < 0 ||
	    json_strings(json_object_get(root, "tags"), "tags", &tags, &ntags, &cause) < 0)
		goto bad;
	if ((v = json_object_get(root, "args")) != NULL) {
		has_args = 1;
		if (json_strings(v, "args", &args, &nargs, &cause) < 0)
			goto bad;
	}
	if (json_env(json_object_get(root, "env"), "env", &env, &nenv, &cause) < 0)
		goto bad;
	if ((v = json_object_get(root, "timeout")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 7 * 86400) {
			cause = xstrdup("timeout: must be seconds in 1..604800");
			goto bad;
		}
		timeout = json_integer_value(v);
	}
	if ((v = json_object_get(root, "priority")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < -1000 ||
		    json_integer_value(v) > 1000) {
			cause = xstrdup("priority: must be an integer in -1000..1000");
			goto bad;
		}
		priority = json_integer_value(v);
	}
	if ((v = json_object_get(root, "jobs")) != NULL) {
		if (json_object_get(root, "tests") || json_object_get(root, "app") ||
		    json_object_get(root, "machines") || json_object_get(root, "tags") ||
		    json_object_get(root, "args") || json_object_get(root, "env")) {
			cause = xstrdup("jobs: give jobs alone (with priority), each with"
			    " its own test, app, machine, args and env");
			goto bad;
		}
		if (jobs_from_list(v, &jobs, &njobs, &cause) < 0)
			goto bad;
		goto queue;
	}
	if ((v = json_object_get(root, "app")) != NULL) {
		app = json_string_value(v);
		if (app == NULL || !apps_valid_sha(app) || apps_path(app) == NULL) {
			cause = xstrdup("app: not the sha256 of an uploaded app"
			    " (POST /api/v1/apps first)");
			goto bad;
		}
		if ((v = json_object_get(root, "name")) != NULL) {
			name = json_string_value(v);
			if (name == NULL || boot_check_arg(name, &cause) < 0) {
				char *c2 = xasprintf("name: %s", cause ? cause : "must be a string");

				free(cause);
				cause = c2;
				goto bad;
			}
		}
		if (ntests > 0) {
			cause = xstrdup("tests: give tests or an app, not both");
			goto bad;
		}
	} else if (ntests == 0) {
		cause = xstrdup("tests: name at least one test (or give an app)");
		goto bad;
	}
	if (schedule_check(args, nargs, env, nenv, &cause) < 0)
		goto bad;
	if (schedule_targets(machines, nmachines, tags, ntags, &targets, &ntargets,
	    &cause) < 0)
		goto bad;

	if (app) {
		const char *arch = apps_arch_of(app);

		for (k = 0; k < ntargets; k++) {
			struct job *j;

			if (arch && strcmp(arch, targets[k].arch) != 0) {
				if (targets[k].machine) {
					cause = xasprintf("app: it is an %s program; machine %s is"
					    " %s", arch, targets[k].machine, targets[k].arch);
					goto bad;
				}
				continue;
			}
			jobs = xrealloc(jobs, (njobs + 1) * sizeof(*jobs));
			j = &jobs[njobs++];
			memset(j, 0, sizeof(*j));
			j->test = xstrdup(name);
			j->app = xstrdup(app);
			j->app_name = xstrdup(name);
			for (i = 0; i < nargs; i++)
				strings_add(&j->args, &j->nargs, args[i]);
			for (i = 0; i < nenv; i++)
				strings_add(&j->env, &j->nenv, env[i]);
			j->timeout = (int)(timeout ? timeout : targets[k].timeout);
			j->target_machine = targets[k].machine ? xstrdup(targets[k].machine) :
			    NULL;
			for (i = 0; i < targets[k].ntags; i++)
				strings_add(&j->tags, &j->ntags, targets[k].tags[i]);
		}
		if (njobs == 0) {
			cause = xasprintf("app: it is an %s program and no machine with"
			    " those tags is", arch ? arch : "unknown");
			goto bad;
		}
	} else {
		suite = suite_load(A.conf->suite, &cause);
		if (suite == NULL) {
			char *c2 = xasprintf("the farm's suite does not load: %s", cause);

			free(cause);
			cause = c2;
			http_reply_error(rep, 500, "%s", cause);
			goto out;
		}
		for (i = 0; i < ntests; i++) {
			const struct suite_test *t = suite_find(suite, tests[i]);

			if (t == NULL) {
				cause = xasprintf("tests[%zu]: no test \"%s\" in %s", i, tests[i],
				    A.conf->suite);
				goto bad;
			}
			if (t->unavailable) {
				cause = xasprintf("tests[%zu]: %s (%s:%d) cannot run on a farm:"
				    " %s", i, t->name, A.conf->suite, t->line, t->unavailable);
				goto bad;
			}
			if (schedule_check(t->args, t->nargs, t->env, t->nenv, &cause) < 0) {
				char *c2 = xasprintf("test %s in %s: %s", t->name, suite->path,
				    cause);

				free(cause);
				cause = c2;
				goto bad;
			}
			placed = 0;
			mismatch = NULL;
			for (k = 0; k < ntargets; k++) {
				/* A test for one arch goes to the targets of that
				 * arch; naming only machines of another is an error. */
				if (t->arch && strcmp(t->arch, targets[k].arch) != 0) {
					if (targets[k].machine && mismatch == NULL)
						mismatch = &targets[k];
					continue;
				}
				placed++;
				jobs = xrealloc(jobs, (njobs + 1) * sizeof(*jobs));
				if (job_from_suite(t, &targets[k], has_args ? args : NULL,
				    nargs, env, nenv, (int)timeout, &jobs[njobs], &cause) < 0) {
					char *c2 = xasprintf("tests[%zu]: %s", i, cause);

					free(cause);
					cause = c2;
					goto bad;
				}
				njobs++;
			}
			if (placed == 0 && mismatch) {
				cause = xasprintf("tests[%zu]: %s is for %s only; machine %s"
				    " is %s", i, t->name, t->arch, mismatch->machine,
				    mismatch->arch);
				goto bad;
			}
		}
	}

queue:
	if (db_begin(A.db) < 0 || (run = db_run_create(A.db)) < 0) {
		api_db_error(rep);
		goto out;
	}
	for (i = 0; i < njobs; i++) {
		jobs[i].run = run;
		jobs[i].priority = (int)priority;
		snprintf(jobs[i].state, sizeof(jobs[i].state), "queued");
		jobs[i].exit_code = -1;
		jobs[i].boot_ms = -1;
		jobs[i].queued_at = wall_ms();
		jobs[i].attempt = 1;
		if (db_job_insert(A.db, &jobs[i]) < 0) {
			db_rollback(A.db);
			api_db_error(rep);
			goto out;
		}
	}
	if (db_commit(A.db) < 0) {
		api_db_error(rep);
		goto out;
	}
	log_info("run %lld: %zu jobs queued", run, njobs);
	sched_kick();
	http_reply_json(rep, 201, api_run_full(run, 0));
	goto out;
bad:
	http_reply_error(rep, 400, "%s", cause ? cause : "bad request");
out:
	free(cause);
	json_decref(root);
	strings_free(tests, ntests);
	strings_free(machines, nmachines);
	strings_free(tags, ntags);
	strings_free(args, nargs);
	strings_free(env, nenv);
	targets_free(targets, ntargets);
	for (i = 0; i < njobs; i++)
		job_clear(&jobs[i]);
	free(jobs);
	suite_free(suite);
}

/* Queues the farm's health check for machine m in a run of its own; its
 * job id, or -1 with *cause. */
static long long
api_health_job(const struct machine_conf *m, char **cause)
{
	struct suite *suite = suite_load(A.conf->suite, cause);
	const struct suite_test *t;
	struct target tg = { .machine = m->name, .arch = m->arch,
		.timeout = m->job_timeout };
	struct job j;
	long long run, id = -1;

	if (suite == NULL)
		return -1;
	t = suite_find(suite, A.conf->health_check);
	if (t == NULL) {
		*cause = xasprintf("health_check: no test \"%s\" in %s",
		    A.conf->health_check, A.conf->suite);
		suite_free(suite);
		return -1;
	}
	if (job_from_suite(t, &tg, NULL, 0, NULL, 0, 0, &j, cause) < 0) {
		suite_free(suite);
		return -1;
	}
	j.priority = 1000;
	snprintf(j.state, sizeof(j.state), "queued");
	j.exit_code = -1;
	j.boot_ms = -1;
	j.queued_at = wall_ms();
	j.attempt = 2;          /* a health check is not retried */
	if ((run = db_run_create(A.db)) > 0) {
		j.run = run;
		if (db_job_insert(A.db, &j) == 0)
			id = j.id;
	}
	if (id < 0)
		*cause = xstrdup("database error");
	job_clear(&j);
	suite_free(suite);
	return id;
}

/* POST /api/v1/machines/<name>: {"state": "maintenance"|"online", "reason"}. */
static void
h_machine_set(struct http_request *req, struct http_reply *rep)
{
	const struct machine_conf *m = config_machine(A.conf, req->params[0]);
	json_t *root = json_loadb(req->body.data ? req->body.data : "", req->body.len,
	    0, NULL);
	const char *to, *reason;
	char *cause = NULL;
	long long check = 0;
	struct machine_info mi;
	int status;

	if (m == NULL) {
		http_reply_error(rep, 404, "no machine %s", req->params[0]);
		goto out;
	}
	to = json_string_value(json_object_get(root, "state"));
	reason = json_string_value(json_object_get(root, "reason"));
	if (!json_is_object(root) || to == NULL) {
		http_reply_error(rep, 400, "state: give \"maintenance\" or \"online\"");
		goto out;
	}
	if (strcmp(to, "online") == 0 && A.conf->health_check &&
	    sched_machine_info_by_name(m->name, &mi) == 0 &&
	    strcmp(mi.state, "maintenance") == 0) {
		check = api_health_job(m, &cause);
		if (check < 0) {
			http_reply_error(rep, 500, "%s", cause);
			goto out;
		}
	}
	status = sched_machine_set(m->name, to, reason, check, &cause);
	if (status != 200) {
		http_reply_error(rep, status, "%s", cause);
		goto out;
	}
	sched_machine_info_by_name(m->name, &mi);
	http_reply_json(rep, 200, machine_json(&mi));
out:
	free(cause);
	json_decref(root);
}

static void
h_discovered(struct http_request *req, struct http_reply *rep)
{
	struct discovered *v;
	size_t n, i;
	json_t *a;

	(void)req;
	if (db_discovered_list(A.db, &v, &n) < 0) {
		api_db_error(rep);
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s?,s:s?,s:s?,s:I,s:I,s:I}",
		    "mac", v[i].mac, "ip", v[i].ip, "arch", v[i].arch, "platform",
		    v[i].platform, "first_seen", (json_int_t)v[i].first_seen,
		    "last_seen", (json_int_t)v[i].last_seen, "requests",
		    (json_int_t)v[i].requests));
	db_discovered_free(v, n);
	http_reply_json(rep, 200, json_pack("{s:o}", "discovered", a));
}

static const struct http_route api_routes[] = {
	{ "GET", "/boot.ipxe", h_boot_first, 0, 0 },
	{ "GET", "/ipxe/*", h_ipxe, 0, 0 },
	{ "GET", "/ipxe/*/done", h_ipxe_done, 0, 0 },
	{ "GET", "/farmboot/*", h_farmboot, 0, 0 },
	{ "GET", "/farmboot/*/done", h_farmboot_done, 0, 0 },
	{ "GET", "/netboot/*/*", h_netboot, 0, 0 },
	/* UEFI HTTP boot asks the size of the file with HEAD first. */
	{ "HEAD", "/netboot/*/*", h_netboot, 0, 0 },
	{ "GET", "/apps/*", h_app, 0, 0 },
	{ "GET", "/jobs/*/dtb", h_job_dtb, 0, 0 },
	{ "POST", "/api/v1/jobs/*/results", h_results, RESULTS_MAX_BODY, 0 },
	{ "GET", "/api/v1/machines", h_machines, 0, 0 },
	{ "GET", "/api/v1/machines/*", h_machine, 0, 0 },
	{ "POST", "/api/v1/machines/*", h_machine_set, 4096, HTTP_AUTH },
	{ "GET", "/api/v1/discovered", h_discovered, 0, 0 },
	{ "GET", "/api/v1/jobs", h_jobs, 0, 0 },
	{ "GET", "/api/v1/jobs/*", h_job, 0, 0 },
	{ "GET", "/api/v1/jobs/*/log", h_job_log, 0, 0 },
	{ "POST", "/api/v1/jobs/*/cancel", h_cancel, 0, HTTP_AUTH },
	{ "GET", "/api/v1/runs", h_runs, 0, 0 },
	{ "GET", "/api/v1/runs/*", h_run, 0, 0 },
	{ "POST", "/api/v1/runs", h_schedule, 256 * 1024, HTTP_AUTH },
	{ "POST", "/api/v1/apps", h_app_upload, 0, HTTP_AUTH },
};

static struct http_route routes[ARRAY_SIZE(api_routes)];

void
api_init(const struct farm_conf *conf, struct db *db)
{
	size_t i;

	A.conf = conf;
	A.db = db;
	/* The upload limit comes from farm.conf. */
	memcpy(routes, api_routes, sizeof(routes));
	for (i = 0; i < ARRAY_SIZE(routes); i++)
		if (routes[i].handler == h_app_upload)
			routes[i].max_body = (size_t)conf->max_upload;
	http_add_routes(routes, ARRAY_SIZE(routes));
	http_set_token(conf->api_token);
}

void
api_reload(const struct farm_conf *conf)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(routes); i++)
		if (routes[i].handler == h_app_upload)
			routes[i].max_body = (size_t)conf->max_upload;
}

void
api_free(void)
{
	A.conf = NULL;
	A.db = NULL;
}
