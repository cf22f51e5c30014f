/*
 * db.h - farm's state in sqlite (WAL): machines and their state changes,
 * runs, jobs, test cases. The only module with SQL. One connection, used
 * from the event loop; every call is a short statement or transaction.
 */
#ifndef FARM_DB_H
#define FARM_DB_H

#include <stddef.h>

struct db;
struct testcase;
struct machine_conf;

struct job {
	long long id;
	long long run;
	char *test;
	char *app;              /* sha256 */
	char *app_name;         /* argv[0], e.g. "selftest.efi" */
	char **args;
	size_t nargs;
	char **env;             /* "KEY=VALUE" */
	size_t nenv;
	char *target_machine;   /* NULL when the target is a tag set */
	char **tags;
	size_t ntags;
	char *machine;          /* NULL until assigned */
	int priority;
	int timeout;            /* s */
	char state[16];         /* queued assigned booting running done cancelled */
	char result[16];        /* "" until done */
	int exit_code;          /* -1 unknown */
	char *reason;
	long long queued_at, started_at, finished_at; /* ms since epoch, 0 unset */
	long long boot_ms;      /* -1 unknown */
	long long log_size;
	char token_hash[65];
	int attempt;            /* 1, or 2 for the retry after an infra result */
	long long retry_of;     /* the job this one retries, 0 when none */
	int smp;                /* the test's -smp / -m for QEMU machines, */
	int memory;             /*   MiB; 0: the machine's */
};

void job_clear(struct job *);

struct job_filter {
	const char *state;      /* NULL: any */
	long long run;          /* 0: any */
	const char *machine;
	const char *test;
	long long before;       /* 0: newest; else ids below it */
	int limit;              /* 0: 50 */
};

struct run_info {
	long long id;
	long long created_at;
	int njobs;
	int counts[8];          /* pass fail skip error infra timeout queued running */
};

/* Opens (creating and migrating) the database; NULL with *cause. */
struct db *db_open(const char *path, char **cause);
void db_close(struct db *);

int db_begin(struct db *);
int db_commit(struct db *);
int db_rollback(struct db *);

/* Machines: the row mirrors farm.conf and the last state; each change of
 * state is kept with its reason. */
int db_machine_sync(struct db *, const struct machine_conf *);
int db_machine_state(struct db *, const char *name, const char *state, const char *reason);
int db_machine_boot(struct db *, const char *name); /* counts a boot, sets last_seen */
long long db_machine_boots(struct db *, const char *name);
/* The last stored state of a machine into state; 1 found, 0 not, -1 error. */
int db_machine_get_state(struct db *, const char *name, char *state, size_t len);

/* A machine farm.conf does not name asked for a boot script. */
struct discovered {
	char *mac, *ip, *arch, *platform;
	long long first_seen, last_seen, requests;
};
int db_discovered_seen(struct db *, const char *mac, const char *ip, const char *arch,
    const char *platform);
int db_discovered_list(struct db *, struct discovered **, size_t *);
void db_discovered_free(struct discovered *, size_t);

long long db_run_create(struct db *);
int db_run_get(struct db *, long long id, struct run_info *);   /* 1 found, 0 not, -1 error */
int db_runs_list(struct db *, int limit, struct run_info **, size_t *);

/* Inserts j (id set on return); -1 on error. */
int db_job_insert(struct db *, struct job *);
/* 1 found, 0 not found, -1 error. */
int db_job_get(struct db *, long long id, struct job *);
/* Writes every mutable field of j. */
int db_job_save(struct db *, const struct job *);
/* Jobs matching the filter, newest first (caller frees with db_jobs_free). */
int db_jobs_list(struct db *, const struct job_filter *, struct job **, size_t *);
/* Queued jobs, highest priority first, FIFO within a priority. */
int db_jobs_queued(struct db *, struct job **, size_t *);
/* Jobs in assigned/booting/running. */
int db_jobs_in_flight(struct db *, struct job **, size_t *);
void db_jobs_free(struct job *, size_t);
/* How many jobs are in state (an index lookup); -1 on error. */
long long db_jobs_count(struct db *, const char *state);

int db_testcase_add(struct db *, long long job, const struct testcase *);
/* Replaces all of a job's cases in one transaction (a savepoint of the
 * caller's when one is open: all or none). */
int db_testcases_replace(struct db *, long long job, const struct testcase *, size_t);
int db_testcases_list(struct db *, long long job, struct testcase **, size_t *);
void db_testcases_free(struct testcase *, size_t);

/* What the API tells a client after a failed database call: an HTTP
 * status (507 disk full, 503 busy, 500 else) and a sentence naming the
 * cause. Clears the remembered failure. */
const char *db_error_status(struct db *, int *status);

#endif
