/*
 * ingest-sqlite.c - the anchor of the ingest benchmark (bench/run): the
 * rows farmd stores for N results POSTs of K test cases, inserted with
 * sqlite in one process, the fastest plain way: farmd's testcases table
 * (same schema, WAL, synchronous=NORMAL as farmd opens it), one prepared
 * INSERT, one transaction per POST's K rows.
 *
 *   ingest-sqlite DB N K      prints "<cases/s> cases/s <cases> cases <s> s"
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* exec: runs SQL on h or exits naming it. */
static void
exec(sqlite3 *h, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "ingest-sqlite: %s: %s\n", sql, err);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	sqlite3 *h;
	sqlite3_stmt *ins;
	long n, k, j, i;
	char name[64];
	double t0, t;

	if (argc != 4 || (n = atol(argv[2])) <= 0 || (k = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: ingest-sqlite DB N K\n");
		return 2;
	}
	if (sqlite3_open(argv[1], &h) != SQLITE_OK) {
		fprintf(stderr, "ingest-sqlite: %s: %s\n", argv[1], sqlite3_errmsg(h));
		return 1;
	}
	exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE IF NOT EXISTS testcases ("
	    " job INTEGER NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL,"
	    " status TEXT NOT NULL, message TEXT NOT NULL,"
	    " PRIMARY KEY (job, seq)) WITHOUT ROWID;");
	if (sqlite3_prepare_v2(h, "INSERT INTO testcases (job, seq, name, status, message)"
	    " VALUES (?,?,?,?,?)", -1, &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "ingest-sqlite: prepare: %s\n", sqlite3_errmsg(h));
		return 1;
	}
	t0 = now();
	for (j = 1; j <= n; j++) {
		exec(h, "BEGIN");
		for (i = 1; i <= k; i++) {
			snprintf(name, sizeof(name), "selftest: case %ld", i);
			sqlite3_bind_int64(ins, 1, j);
			sqlite3_bind_int64(ins, 2, i);
			sqlite3_bind_text(ins, 3, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ins, 4, i % 10 ? "pass" : "fail", -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 5, "", -1, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE) {
				fprintf(stderr, "ingest-sqlite: insert: %s\n", sqlite3_errmsg(h));
				return 1;
			}
			sqlite3_reset(ins);
		}
		exec(h, "COMMIT");
	}
	t = now() - t0;
	printf("%.0f cases/s %ld cases %.3f s\n", (double)(n * k) / t, n * k, t);
	sqlite3_finalize(ins);
	sqlite3_close(h);
	return 0;
}
