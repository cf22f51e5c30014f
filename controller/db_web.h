/*
 * db_web.h - the read-only queries behind the web page's data routes
 * (docs/api.md, "Web data routes"). Each returns the rows as the JSON the
 * route answers (a new reference the caller owns), or NULL on a database
 * error, which is logged once here. Every list is newest first and pages
 * with "before" (an id; 0 for the newest) and "limit".
 */
#ifndef FARM_DB_WEB_H
#define FARM_DB_WEB_H

#include <jansson.h>

struct db;

/* Runs with their outcome counts, their tests and machines (a few). */
json_t *db_web_runs(struct db *, long long before, int limit);
/* Queued jobs in the order the scheduler takes them; *total all queued. */
json_t *db_web_queue(struct db *, int limit, long long *total);
/* Jobs assigned, booting or running. */
json_t *db_web_in_flight(struct db *);
/* What the database keeps of a machine (arch, tags, last_seen, boots),
 * the outcome counts of its last n finished jobs ("recent") and the
 * results of its last 10 ("last", newest first). */
json_t *db_web_machine_health(struct db *, const char *machine, int n);
/* A machine's jobs and its state changes with their reasons. */
json_t *db_web_machine_jobs(struct db *, const char *machine, long long before, int limit);
json_t *db_web_machine_events(struct db *, const char *machine, long long before,
    int limit);
/* One test's jobs across machines (machine NULL: all), and per machine the
 * outcome counts of its last 1000 finished jobs. */
json_t *db_web_test_history(struct db *, const char *test, const char *machine,
    long long before, int limit);
json_t *db_web_test_summary(struct db *, const char *test);
/* The latest finished job of each test on each machine, with the outcome
 * before it; and the machines the database knows. */
json_t *db_web_matrix(struct db *);
json_t *db_web_machines(struct db *);
/* A run, every job of it and (with_cases) every job's test cases: what the
 * Run page shows and the JUnit, TAP and JSON downloads are made from.
 * *found is 1, or 0 when there is no such run, or -1 on a database error
 * (both with NULL). */
json_t *db_web_run_export(struct db *, long long run, int with_cases, int *found);

#endif
