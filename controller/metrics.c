/*
 * metrics.c - farmd's Prometheus metrics. Everything is counted on the
 * loop as it happens (no locks: one thread); a scrape formats the counters
 * and asks the scheduler and the database for the gauges.
 */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "http.h"
#include "log.h"
#include "sched.h"
#include "util.h"

#define HIST_BUCKETS 9

struct hist {
	const double *le;       /* upper bounds in seconds, HIST_BUCKETS - 1 + Inf */
	unsigned long long count[HIST_BUCKETS];
	unsigned long long n;
	double sum;
};

static const double boot_le[HIST_BUCKETS - 1] = { 1, 2, 5, 10, 15, 20, 30, 60 };
static const double job_le[HIST_BUCKETS - 1] = { 0.1, 1, 5, 10, 30, 60, 300, 900 };

struct http_count {
	char method[8];
	const char *route;      /* the route pattern (static), or "unmatched" */
	int status;
	unsigned long long n;
};

static const char *const job_results[] = { "pass", "fail", "skip", "error", "infra",
	"timeout", "cancelled" };

static struct {
	struct db *db;
	unsigned long long console_bytes;
	unsigned long long jobs[ARRAY_SIZE(job_results)];
	struct hist boot, test;
	struct http_count http[128];
	size_t nhttp;
	unsigned long long http_dropped;
} M = { .boot = { .le = boot_le }, .test = { .le = job_le } };

static void
hist_observe(struct hist *h, double v)
{
	int i;

	for (i = 0; i < HIST_BUCKETS - 1; i++)
		if (v <= h->le[i])
			h->count[i]++;
	h->count[HIST_BUCKETS - 1]++;
	h->n++;
	h->sum += v;
}

static void
hist_print(struct buf *b, const char *name, const char *help, const struct hist *h)
{
	int i;

	buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (i = 0; i < HIST_BUCKETS - 1; i++)
		buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->le[i], h->count[i]);
	buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.3f\n%s_count %llu\n", name,
	    h->count[HIST_BUCKETS - 1], name, h->sum, name, h->n);
}

void
metrics_console_bytes(size_t n)
{
	M.console_bytes += n;
}

void
metrics_job_end(const char *result, long long boot_ms, long long test_ms)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(job_results); i++)
		if (strcmp(result, job_results[i]) == 0)
			M.jobs[i]++;
	if (boot_ms > 0)
		hist_observe(&M.boot, (double)boot_ms / 1000);
	if (test_ms >= 0)
		hist_observe(&M.test, (double)test_ms / 1000);
}

/* Every answered request, from the HTTP server. */
static void
metrics_http(const char *method, const char *route, int status)
{
	size_t i;

	if (route == NULL)
		route = "unmatched";
	for (i = 0; i < M.nhttp; i++)
		if (M.http[i].route == route && M.http[i].status == status &&
		    strcmp(M.http[i].method, method) == 0) {
			M.http[i].n++;
			return;
		}
	if (M.nhttp == ARRAY_SIZE(M.http)) {
		M.http_dropped++;
		return;
	}
	snprintf(M.http[M.nhttp].method, sizeof(M.http[M.nhttp].method), "%s", method);
	M.http[M.nhttp].route = route;
	M.http[M.nhttp].status = status;
	M.http[M.nhttp].n = 1;
	M.nhttp++;
}

static void
h_metrics(struct http_request *req, struct http_reply *rep)
{
	static const char *const states[] = { "offline", "idle", "booting", "running",
		"maintenance" };
	int nstate[ARRAY_SIZE(states)] = {0}, failing = 0;
	struct machine_info mi;
	struct buf b = {0};
	size_t i, k;

	(void)req;
	for (i = 0; sched_machine_info(i, &mi) == 0; i++) {
		for (k = 0; k < ARRAY_SIZE(states); k++)
			if (strcmp(mi.state, states[k]) == 0)
				nstate[k]++;
		failing += strcmp(mi.health, "failing") == 0;
	}
	buf_adds(&b, "# HELP farm_machines Machines by state.\n"
	    "# TYPE farm_machines gauge\n");
	for (k = 0; k < ARRAY_SIZE(states); k++)
		buf_printf(&b, "farm_machines{state=\"%s\"} %d\n", states[k], nstate[k]);
	buf_printf(&b, "# HELP farm_machines_failing Machines whose health is failing.\n"
	    "# TYPE farm_machines_failing gauge\nfarm_machines_failing %d\n", failing);
	buf_printf(&b, "# HELP farm_queue_depth Jobs waiting for a machine.\n"
	    "# TYPE farm_queue_depth gauge\nfarm_queue_depth %lld\n",
	    db_jobs_count(M.db, "queued"));
	buf_adds(&b, "# HELP farm_jobs_finished_total Jobs ended since farmd started,"
	    " by result.\n# TYPE farm_jobs_finished_total counter\n");
	for (i = 0; i < ARRAY_SIZE(job_results); i++)
		buf_printf(&b, "farm_jobs_finished_total{result=\"%s\"} %llu\n",
		    job_results[i], M.jobs[i]);
	hist_print(&b, "farm_boot_seconds", "Power on to the boot script request.", &M.boot);
	hist_print(&b, "farm_job_seconds", "App fetched to result.", &M.test);
	buf_printf(&b, "# HELP farm_console_bytes_total Console bytes received.\n"
	    "# TYPE farm_console_bytes_total counter\nfarm_console_bytes_total %llu\n",
	    M.console_bytes);
	buf_adds(&b, "# HELP farm_http_requests_total HTTP requests by route and status.\n"
	    "# TYPE farm_http_requests_total counter\n");
	for (i = 0; i < M.nhttp; i++)
		buf_printf(&b, "farm_http_requests_total{method=\"%s\",route=\"%s\","
		    "status=\"%d\"} %llu\n", M.http[i].method, M.http[i].route,
		    M.http[i].status, M.http[i].n);
	if (M.http_dropped)
		buf_printf(&b, "farm_http_requests_total{route=\"other\"} %llu\n",
		    M.http_dropped);
	rep->status = 200;
	rep->content_type = "text/plain; version=0.0.4";
	buf_add(&rep->body, b.data, b.len);
	buf_free(&b);
}

static const struct http_route metrics_routes[] = {
	{ "GET", "/metrics", h_metrics, 0, 0 },
};

void
metrics_init(struct db *db)
{
	M.db = db;
	http_add_routes(metrics_routes, ARRAY_SIZE(metrics_routes));
	http_set_observer(metrics_http);
}
