/*
 * db.c - sqlite storage. The schema is created on first open and versioned
 * with PRAGMA user_version. WAL with synchronous=NORMAL: a commit survives
 * the process being killed at any moment (what farmd promises for answered
 * requests); a power loss may lose the last moments.
 *
 * List-valued job fields (args, env, tags) are stored as JSON arrays.
 */
#include "db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "config.h"
#include "db_int.h"
#include "log.h"
#include "results.h"
#include "util.h"

/* Prepared statements kept for reuse (db_prepare, db_done): every SQL text
 * of this file is a constant, so they are few; preparing the same SQL for
 * each row or request was a good part of a results POST's time. */
#define DB_STMT_CACHE 48

struct db {
	sqlite3 *h;
	struct {
		const char *sql;        /* a copy */
		sqlite3_stmt *st;
		int busy;               /* handed out, not yet given back */
	} cache[DB_STMT_CACHE];
	int ncache;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS machines ("
    " name TEXT PRIMARY KEY, arch TEXT, kind TEXT, mac TEXT, tags TEXT,"
    " state TEXT NOT NULL DEFAULT 'offline', reason TEXT,"
    " last_seen INTEGER, boots INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS machine_events ("
    " id INTEGER PRIMARY KEY, machine TEXT NOT NULL, at INTEGER NOT NULL,"
    " state TEXT NOT NULL, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS machine_events_machine ON machine_events(machine, id);"
    "CREATE TABLE IF NOT EXISTS runs ("
    " id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS jobs ("
    " id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id),"
    " test TEXT NOT NULL, app TEXT NOT NULL, app_name TEXT NOT NULL,"
    " args TEXT NOT NULL, env TEXT NOT NULL, target_machine TEXT,"
    " tags TEXT NOT NULL, machine TEXT, priority INTEGER NOT NULL,"
    " timeout INTEGER NOT NULL, state TEXT NOT NULL, result TEXT,"
    " exit_code INTEGER, reason TEXT, queued_at INTEGER, started_at INTEGER,"
    " finished_at INTEGER, boot_ms INTEGER, log_size INTEGER NOT NULL DEFAULT 0,"
    " token_hash TEXT, attempt INTEGER NOT NULL DEFAULT 1, retry_of INTEGER,"
    " smp INTEGER NOT NULL DEFAULT 0, memory INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, priority DESC, id);"
    "CREATE INDEX IF NOT EXISTS jobs_run ON jobs(run);"
    "CREATE INDEX IF NOT EXISTS jobs_machine ON jobs(machine, id);"
    "CREATE INDEX IF NOT EXISTS jobs_test ON jobs(test, id);"
    "CREATE INDEX IF NOT EXISTS jobs_done_matrix ON jobs(test, machine, id)"
    " WHERE state = 'done';"
    "CREATE TABLE IF NOT EXISTS testcases ("
    " job INTEGER NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL,"
    " status TEXT NOT NULL, message TEXT NOT NULL,"
    " PRIMARY KEY (job, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS discovered ("
    " mac TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " ip TEXT, arch TEXT, platform TEXT, requests INTEGER NOT NULL DEFAULT 1);";

/* Changes from one schema version to the next, applied in order at open. */
static const char *const migrations[] = {
	/* 1 -> 2: a retried job names the job it retries. */
	"ALTER TABLE jobs ADD COLUMN retry_of INTEGER;",
	/* 2 -> 3: a test's -smp and -m for QEMU machines. */
	"ALTER TABLE jobs ADD COLUMN smp INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN memory INTEGER NOT NULL DEFAULT 0;",
};
#define SCHEMA_VERSION 3

static const char job_cols[] =
    "id, run, test, app, app_name, args, env, target_machine, tags, machine,"
    " priority, timeout, state, result, exit_code, reason, queued_at,"
    " started_at, finished_at, boot_ms, log_size, token_hash, attempt, retry_of,"
    " smp, memory";

/* The primary result code of the last failure db_fail saw, for
 * db_error_status. */
static int db_last_code = SQLITE_OK;

/* Logs the connection's last error for what was being done. */
static int
db_fail(struct db *db, const char *what)
{
	db_last_code = sqlite3_errcode(db->h) & 0xff;
	log_warnx("database: %s: %s", what, sqlite3_errmsg(db->h));
	return -1;
}

static int db_user_version(struct db *);

/* Creates the schema in a new database, or brings an older one up to
 * SCHEMA_VERSION, in one transaction. */
static int
db_migrate(struct db *db, char **err)
{
	int v = db_user_version(db), rc = -1;
	char *set;

	if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, err) != SQLITE_OK)
		return -1;
	if (v == 0) {
		if (sqlite3_exec(db->h, schema, NULL, NULL, err) != SQLITE_OK)
			goto out;
	} else {
		for (; v < SCHEMA_VERSION; v++)
			if (sqlite3_exec(db->h, migrations[v - 1], NULL, NULL, err) !=
			    SQLITE_OK)
				goto out;
		if (sqlite3_exec(db->h, schema, NULL, NULL, err) != SQLITE_OK)
			goto out;
	}
	set = sqlite3_mprintf("PRAGMA user_version = %d", SCHEMA_VERSION);
	rc = sqlite3_exec(db->h, set, NULL, NULL, err) == SQLITE_OK ? 0 : -1;
	sqlite3_free(set);
out:
	sqlite3_exec(db->h, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int
db_user_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = 0;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

struct db *
db_open(const char *path, char **cause)
{
	struct db *db = xcalloc(1, sizeof(*db));
	char *err = NULL;

	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path, db->h ? sqlite3_errmsg(db->h) :
		    "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(db->h, 2000);
	if (sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "PRAGMA foreign_keys=ON;", NULL, NULL, &err) != SQLITE_OK ||
	    db_migrate(db, &err) < 0) {
		*cause = xasprintf("%s: %s", path, err ? err : "schema");
		sqlite3_free(err);
		goto fail;
	}
	return db;

fail:
	sqlite3_close(db->h);
	free(db);
	return NULL;
}

sqlite3 *
db_sqlite(struct db *db)
{
	return db->h;
}

void
db_close(struct db *db)
{
	int i;

	if (db == NULL)
		return;
	for (i = 0; i < db->ncache; i++) {
		sqlite3_finalize(db->cache[i].st);
		free((char *)db->cache[i].sql);
	}
	sqlite3_close(db->h);
	free(db);
}

/* A prepared statement for sql, from the cache when it holds one that is
 * not in use (a nested use of the same SQL gets a fresh one); give it back
 * with db_done. */
static sqlite3_stmt *
db_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	int i, keep;

	for (i = 0; i < db->ncache; i++)
		if (!db->cache[i].busy && strcmp(db->cache[i].sql, sql) == 0) {
			db->cache[i].busy = 1;
			return db->cache[i].st;
		}
	keep = db->ncache < DB_STMT_CACHE;
	if (sqlite3_prepare_v3(db->h, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0,
	    &st, NULL) != SQLITE_OK) {
		db_fail(db, sql);
		return NULL;
	}
	if (keep) {
		db->cache[db->ncache].sql = xstrdup(sql);
		db->cache[db->ncache].st = st;
		db->cache[db->ncache].busy = 1;
		db->ncache++;
	}
	return st;
}

/* Gives back a statement of db_prepare: a cached one is reset (ending its
 * read, so it holds no snapshot) and its bindings cleared, another one is
 * finalized. */
static void
db_done(struct db *db, sqlite3_stmt *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < db->ncache; i++)
		if (db->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			db->cache[i].busy = 0;
			return;
		}
	sqlite3_finalize(st);
}

/* Steps a statement that returns no rows and gives it back. */
static int
db_step_done(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	db_done(db, st);
	if (rc != SQLITE_DONE)
		return db_fail(db, what);
	return 0;
}

/* BEGIN, COMMIT, ROLLBACK: prepared once too (sqlite3_exec would parse
 * them each time). */
static int
db_exec(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_prepare(db, sql);

	if (st == NULL)
		return -1;
	return db_step_done(db, st, sql);
}

int
db_begin(struct db *db)
{
	return db_exec(db, "BEGIN IMMEDIATE");
}

/* A COMMIT that fails (disk full, I/O error) may leave the transaction
 * open (sqlite's documentation, "COMMIT"): it is rolled back then, so that
 * the next BEGIN works once the cause is gone. The failure's code stays
 * for db_error_status. */
int
db_commit(struct db *db)
{
	int code;

	if (db_exec(db, "COMMIT") == 0)
		return 0;
	code = db_last_code;
	if (!sqlite3_get_autocommit(db->h))
		db_exec(db, "ROLLBACK");
	db_last_code = code;
	return -1;
}

int
db_rollback(struct db *db)
{
	return db_exec(db, "ROLLBACK");
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? xstrdup((const char *)s) : NULL;
}

/* A string list as a JSON array text (caller frees). */
static char *
list_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* Parses a JSON array text back into a string list. */
static void
list_parse(const char *text, char ***v, size_t *n)
{
	json_t *a = text ? json_loads(text, 0, NULL) : NULL;
	size_t i;

	*v = NULL;
	*n = 0;
	if (!json_is_array(a)) {
		json_decref(a);
		return;
	}
	*v = xcalloc(json_array_size(a) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));

		(*v)[(*n)++] = xstrdup(s ? s : "");
	}
	json_decref(a);
}

static void
list_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
job_clear(struct job *j)
{
	free(j->test);
	free(j->app);
	free(j->app_name);
	list_free(j->args, j->nargs);
	list_free(j->env, j->nenv);
	free(j->target_machine);
	list_free(j->tags, j->ntags);
	free(j->machine);
	free(j->reason);
	memset(j, 0, sizeof(*j));
}

int
db_machine_sync(struct db *db, const struct machine_conf *m)
{
	sqlite3_stmt *st = db_prepare(db,
	    "INSERT INTO machines (name, arch, kind, mac, tags) VALUES (?,?,?,?,?)"
	    " ON CONFLICT(name) DO UPDATE SET arch=excluded.arch,"
	    " kind=excluded.kind, mac=excluded.mac, tags=excluded.tags");
	char *tags;

	if (st == NULL)
		return -1;
	tags = list_json(m->tags, m->ntags);
	bind_text(st, 1, m->name);
	bind_text(st, 2, m->arch);
	bind_text(st, 3, m->kind == MACHINE_QEMU ? "qemu" : "physical");
	bind_text(st, 4, m->mac);
	bind_text(st, 5, tags);
	free(tags);
	return db_step_done(db, st, "machine sync");
}

int
db_machine_state(struct db *db, const char *name, const char *state, const char *reason)
{
	sqlite3_stmt *st;
	long long now = wall_ms();

	st = db_prepare(db, "UPDATE machines SET state=?, reason=? WHERE name=?");
	if (st == NULL)
		return -1;
	bind_text(st, 1, state);
	bind_text(st, 2, reason);
	bind_text(st, 3, name);
	if (db_step_done(db, st, "machine state") < 0)
		return -1;
	st = db_prepare(db, "INSERT INTO machine_events (machine, at, state, reason)"
	    " VALUES (?,?,?,?)");
	if (st == NULL)
		return -1;
	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, now);
	bind_text(st, 3, state);
	bind_text(st, 4, reason);
	return db_step_done(db, st, "machine event");
}

int
db_machine_boot(struct db *db, const char *name)
{
	sqlite3_stmt *st = db_prepare(db,
	    "UPDATE machines SET boots = boots + 1, last_seen = ? WHERE name = ?");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wall_ms());
	bind_text(st, 2, name);
	return db_step_done(db, st, "machine boot");
}

long long
db_machine_boots(struct db *db, const char *name)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT boots FROM machines WHERE name = ?");
	long long n = 0;

	if (st == NULL)
		return 0;
	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	db_done(db, st);
	return n;
}

long long
db_run_create(struct db *db)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO runs (created_at) VALUES (?)");

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, wall_ms());
	if (db_step_done(db, st, "run create") < 0)
		return -1;
	return sqlite3_last_insert_rowid(db->h);
}

/* Fills the per-outcome counts of a run. */
static int
db_run_counts(struct db *db, struct run_info *r)
{
	static const char *const names[] = { "pass", "fail", "skip", "error",
		"infra", "timeout" };
	sqlite3_stmt *st = db_prepare(db,
	    "SELECT state, result, count(*) FROM jobs WHERE run = ? GROUP BY state, result");
	size_t i;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	memset(r->counts, 0, sizeof(r->counts));
	r->njobs = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 0);
		const char *result = (const char *)sqlite3_column_text(st, 1);
		int n = sqlite3_column_int(st, 2);

		r->njobs += n;
		if (state && strcmp(state, "queued") == 0)
			r->counts[6] += n;
		else if (state && strcmp(state, "done") != 0 && strcmp(state, "cancelled") != 0)
			r->counts[7] += n;
		else if (result)
			for (i = 0; i < ARRAY_SIZE(names); i++)
				if (strcmp(result, names[i]) == 0)
					r->counts[i] += n;
	}
	db_done(db, st);
	return 0;
}

int
db_run_get(struct db *db, long long id, struct run_info *r)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, created_at FROM runs WHERE id = ?");
	int found = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		r->created_at = sqlite3_column_int64(st, 1);
		found = 1;
	}
	db_done(db, st);
	if (found && db_run_counts(db, r) < 0)
		return -1;
	return found;
}

int
db_runs_list(struct db *db, int limit, struct run_info **out, size_t *n)
{
	sqlite3_stmt *st = db_prepare(db,
	    "SELECT id, created_at FROM runs ORDER BY id DESC LIMIT ?");
	struct run_info *v = NULL;
	size_t i;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, limit > 0 ? limit : 50);
	while (sqlite3_step(st) == SQLITE_ROW) {
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		memset(&v[*n], 0, sizeof(*v));
		v[*n].id = sqlite3_column_int64(st, 0);
		v[*n].created_at = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	db_done(db, st);
	for (i = 0; i < *n; i++)
		db_run_counts(db, &v[i]);
	*out = v;
	return 0;
}

/* Binds the job's columns in job_cols order, from index 2 (after id). */
static void
job_bind(sqlite3_stmt *st, const struct job *j)
{
	char *args = list_json(j->args, j->nargs);
	char *env = list_json(j->env, j->nenv);
	char *tags = list_json(j->tags, j->ntags);

	sqlite3_bind_int64(st, 1, j->run);
	bind_text(st, 2, j->test);
	bind_text(st, 3, j->app);
	bind_text(st, 4, j->app_name);
	bind_text(st, 5, args);
	bind_text(st, 6, env);
	bind_text(st, 7, j->target_machine);
	bind_text(st, 8, tags);
	bind_text(st, 9, j->machine);
	sqlite3_bind_int(st, 10, j->priority);
	sqlite3_bind_int(st, 11, j->timeout);
	bind_text(st, 12, j->state);
	bind_text(st, 13, j->result[0] ? j->result : NULL);
	if (j->exit_code >= 0)
		sqlite3_bind_int(st, 14, j->exit_code);
	else
		sqlite3_bind_null(st, 14);
	bind_text(st, 15, j->reason);
	sqlite3_bind_int64(st, 16, j->queued_at);
	sqlite3_bind_int64(st, 17, j->started_at);
	sqlite3_bind_int64(st, 18, j->finished_at);
	sqlite3_bind_int64(st, 19, j->boot_ms);
	sqlite3_bind_int64(st, 20, j->log_size);
	bind_text(st, 21, j->token_hash[0] ? j->token_hash : NULL);
	sqlite3_bind_int(st, 22, j->attempt);
	if (j->retry_of > 0)
		sqlite3_bind_int64(st, 23, j->retry_of);
	else
		sqlite3_bind_null(st, 23);
	sqlite3_bind_int(st, 24, j->smp);
	sqlite3_bind_int(st, 25, j->memory);
	free(args);
	free(env);
	free(tags);
}

static void
job_read(sqlite3_stmt *st, struct job *j)
{
	char *s;

	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(st, 0);
	j->run = sqlite3_column_int64(st, 1);
	j->test = col_text(st, 2);
	j->app = col_text(st, 3);
	j->app_name = col_text(st, 4);
	list_parse((const char *)sqlite3_column_text(st, 5), &j->args, &j->nargs);
	list_parse((const char *)sqlite3_column_text(st, 6), &j->env, &j->nenv);
	j->target_machine = col_text(st, 7);
	list_parse((const char *)sqlite3_column_text(st, 8), &j->tags, &j->ntags);
	j->machine = col_text(st, 9);
	j->priority = sqlite3_column_int(st, 10);
	j->timeout = sqlite3_column_int(st, 11);
	s = col_text(st, 12);
	snprintf(j->state, sizeof(j->state), "%s", s ? s : "");
	free(s);
	s = col_text(st, 13);
	snprintf(j->result, sizeof(j->result), "%s", s ? s : "");
	free(s);
	j->exit_code = sqlite3_column_type(st, 14) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 14);
	j->reason = col_text(st, 15);
	j->queued_at = sqlite3_column_int64(st, 16);
	j->started_at = sqlite3_column_int64(st, 17);
	j->finished_at = sqlite3_column_int64(st, 18);
	j->boot_ms = sqlite3_column_int64(st, 19);
	j->log_size = sqlite3_column_int64(st, 20);
	s = col_text(st, 21);
	snprintf(j->token_hash, sizeof(j->token_hash), "%s", s ? s : "");
	free(s);
	j->attempt = sqlite3_column_int(st, 22);
	j->retry_of = sqlite3_column_int64(st, 23);
	j->smp = sqlite3_column_int(st, 24);
	j->memory = sqlite3_column_int(st, 25);
}

int
db_job_insert(struct db *db, struct job *j)
{
	sqlite3_stmt *st = db_prepare(db,
	    "INSERT INTO jobs (run, test, app, app_name, args, env, target_machine,"
	    " tags, machine, priority, timeout, state, result, exit_code, reason,"
	    " queued_at, started_at, finished_at, boot_ms, log_size, token_hash,"
	    " attempt, retry_of, smp, memory)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");

	if (st == NULL)
		return -1;
	job_bind(st, j);
	if (db_step_done(db, st, "job insert") < 0)
		return -1;
	j->id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int
db_job_save(struct db *db, const struct job *j)
{
	sqlite3_stmt *st = db_prepare(db,
	    "UPDATE jobs SET run=?, test=?, app=?, app_name=?, args=?, env=?,"
	    " target_machine=?, tags=?, machine=?, priority=?, timeout=?, state=?,"
	    " result=?, exit_code=?, reason=?, queued_at=?, started_at=?,"
	    " finished_at=?, boot_ms=?, log_size=?, token_hash=?, attempt=?,"
	    " retry_of=?, smp=?, memory=? WHERE id=?");

	if (st == NULL)
		return -1;
	job_bind(st, j);
	sqlite3_bind_int64(st, 26, j->id);
	return db_step_done(db, st, "job save");
}

int
db_job_get(struct db *db, long long id, struct job *j)
{
	char *sql = xasprintf("SELECT %s FROM jobs WHERE id = ?", job_cols);
	sqlite3_stmt *st = db_prepare(db, sql);
	int found = 0;

	free(sql);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		job_read(st, j);
		found = 1;
	}
	db_done(db, st);
	return found;
}

/* Runs a job query and collects every row. */
static int
db_jobs_collect(struct db *db, sqlite3_stmt *st, struct job **out, size_t *n)
{
	struct job *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		job_read(st, &v[(*n)++]);
	}
	db_done(db, st);
	*out = v;
	if (rc != SQLITE_DONE)
		return db_fail(db, "job list");
	return 0;
}

int
db_jobs_list(struct db *db, const struct job_filter *f, struct job **out, size_t *n)
{
	char *sql = xasprintf("SELECT %s FROM jobs WHERE (?1 IS NULL OR state = ?1)"
	    " AND (?2 = 0 OR run = ?2) AND (?3 IS NULL OR machine = ?3)"
	    " AND (?4 IS NULL OR test = ?4) AND (?5 = 0 OR id < ?5)"
	    " ORDER BY id DESC LIMIT ?6", job_cols);
	sqlite3_stmt *st = db_prepare(db, sql);

	free(sql);
	if (st == NULL)
		return -1;
	bind_text(st, 1, f->state);
	sqlite3_bind_int64(st, 2, f->run);
	bind_text(st, 3, f->machine);
	bind_text(st, 4, f->test);
	sqlite3_bind_int64(st, 5, f->before);
	sqlite3_bind_int(st, 6, f->limit > 0 ? f->limit : 50);
	return db_jobs_collect(db, st, out, n);
}

int
db_jobs_queued(struct db *db, struct job **out, size_t *n)
{
	char *sql = xasprintf("SELECT %s FROM jobs WHERE state = 'queued'"
	    " ORDER BY priority DESC, id", job_cols);
	sqlite3_stmt *st = db_prepare(db, sql);

	free(sql);
	if (st == NULL)
		return -1;
	return db_jobs_collect(db, st, out, n);
}

int
db_jobs_in_flight(struct db *db, struct job **out, size_t *n)
{
	char *sql = xasprintf("SELECT %s FROM jobs WHERE state IN"
	    " ('assigned', 'booting', 'running') ORDER BY id", job_cols);
	sqlite3_stmt *st = db_prepare(db, sql);

	free(sql);
	if (st == NULL)
		return -1;
	return db_jobs_collect(db, st, out, n);
}

long long
db_jobs_count(struct db *db, const char *state)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*) FROM jobs WHERE state = ?");
	long long n = -1;

	if (st == NULL)
		return -1;
	bind_text(st, 1, state);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	db_done(db, st);
	return n;
}

void
db_jobs_free(struct job *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		job_clear(&v[i]);
	free(v);
}

/* Inserts one case with a prepared statement. */
static int
db_testcase_insert(struct db *db, sqlite3_stmt *st, long long job,
    const struct testcase *tc)
{
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, job);
	sqlite3_bind_int(st, 2, tc->seq);
	bind_text(st, 3, tc->name ? tc->name : "");
	bind_text(st, 4, tc_status_name(tc->status));
	bind_text(st, 5, tc->message ? tc->message : "");
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, "testcase insert");
	return 0;
}

int
db_testcase_add(struct db *db, long long job, const struct testcase *tc)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT OR REPLACE INTO testcases"
	    " (job, seq, name, status, message) VALUES (?,?,?,?,?)");
	int rc;

	if (st == NULL)
		return -1;
	rc = db_testcase_insert(db, st, job, tc);
	db_done(db, st);
	return rc;
}

/* In its own transaction, or, inside the caller's, in a savepoint (the
 * results POST stores the cases and the job's end with one commit). */
int
db_testcases_replace(struct db *db, long long job, const struct testcase *tc, size_t n)
{
	sqlite3_stmt *del, *ins;
	size_t i;
	int rc = -1, nested = !sqlite3_get_autocommit(db->h);

	if (db_exec(db, nested ? "SAVEPOINT testcases" : "BEGIN IMMEDIATE") < 0)
		return -1;
	del = db_prepare(db, "DELETE FROM testcases WHERE job = ?");
	ins = db_prepare(db, "INSERT INTO testcases (job, seq, name, status, message)"
	    " VALUES (?,?,?,?,?)");
	if (del == NULL || ins == NULL)
		goto out;
	sqlite3_bind_int64(del, 1, job);
	if (sqlite3_step(del) != SQLITE_DONE) {
		db_fail(db, "testcase delete");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (db_testcase_insert(db, ins, job, &tc[i]) < 0)
			goto out;
	rc = 0;
out:
	db_done(db, del);
	db_done(db, ins);
	if (nested) {
		if (rc < 0)
			db_exec(db, "ROLLBACK TO testcases");
		return db_exec(db, "RELEASE testcases") < 0 ? -1 : rc;
	}
	if (rc == 0)
		return db_commit(db);
	db_rollback(db);
	return -1;
}

int
db_testcases_list(struct db *db, long long job, struct testcase **out, size_t *n)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT seq, name, status, message"
	    " FROM testcases WHERE job = ? ORDER BY seq");
	struct testcase *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, job);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 2);

		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		memset(&v[*n], 0, sizeof(*v));
		v[*n].seq = sqlite3_column_int(st, 0);
		v[*n].name = col_text(st, 1);
		if (status == NULL || tc_status_parse(status, &v[*n].status) < 0)
			v[*n].status = TC_INFO;
		v[*n].message = col_text(st, 3);
		(*n)++;
	}
	db_done(db, st);
	*out = v;
	if (rc != SQLITE_DONE)
		return db_fail(db, "testcase list");
	return 0;
}

void
db_testcases_free(struct testcase *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].message);
	}
	free(v);
}

int
db_machine_get_state(struct db *db, const char *name, char *state, size_t len)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT state FROM machines WHERE name = ?");
	int found = 0;

	if (st == NULL)
		return -1;
	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		snprintf(state, len, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	db_done(db, st);
	return found;
}

int
db_discovered_seen(struct db *db, const char *mac, const char *ip, const char *arch,
    const char *platform)
{
	sqlite3_stmt *st = db_prepare(db,
	    "INSERT INTO discovered (mac, first_seen, last_seen, ip, arch, platform)"
	    " VALUES (?1, ?2, ?2, ?3, ?4, ?5) ON CONFLICT(mac) DO UPDATE SET"
	    " last_seen = ?2, ip = ?3, arch = coalesce(?4, arch),"
	    " platform = coalesce(?5, platform), requests = requests + 1");

	if (st == NULL)
		return -1;
	bind_text(st, 1, mac);
	sqlite3_bind_int64(st, 2, wall_ms());
	bind_text(st, 3, ip);
	bind_text(st, 4, arch);
	bind_text(st, 5, platform);
	return db_step_done(db, st, "discovered");
}

int
db_discovered_list(struct db *db, struct discovered **out, size_t *n)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT mac, first_seen, last_seen, ip,"
	    " arch, platform, requests FROM discovered ORDER BY last_seen DESC LIMIT 1000");
	struct discovered *v = NULL;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[*n].mac = col_text(st, 0);
		v[*n].first_seen = sqlite3_column_int64(st, 1);
		v[*n].last_seen = sqlite3_column_int64(st, 2);
		v[*n].ip = col_text(st, 3);
		v[*n].arch = col_text(st, 4);
		v[*n].platform = col_text(st, 5);
		v[*n].requests = sqlite3_column_int64(st, 6);
		(*n)++;
	}
	db_done(db, st);
	*out = v;
	return 0;
}

void
db_discovered_free(struct discovered *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].mac);
		free(v[i].ip);
		free(v[i].arch);
		free(v[i].platform);
	}
	free(v);
}

const char *
db_error_status(struct db *db, int *status)
{
	int code = db_last_code;

	(void)db;
	db_last_code = SQLITE_OK;
	switch (code) {
	case SQLITE_FULL:
		*status = 507;
		return "the disk of farmd's state directory is full: nothing was"
		    " stored; free some space and try again";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		*status = 503;
		return "farmd's database is busy (another process holds a lock on"
		    " it?): nothing was stored; try again";
	case SQLITE_IOERR:
		*status = 500;
		return "farmd's database could not be written (I/O error; see"
		    " farmd's log): nothing was stored";
	case SQLITE_READONLY:
		*status = 500;
		return "farmd's database is read-only: nothing was stored";
	default:
		*status = 500;
		return "database error (see farmd's log)";
	}
}
