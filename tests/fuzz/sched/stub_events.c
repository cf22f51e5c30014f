/*
 * stub_events.c - metrics and webhooks do nothing in the scheduler's fuzz
 * harness: they only observe what the scheduler decides.
 */
#include <stddef.h>

#include "metrics.h"
#include "webhook.h"

void
metrics_console_bytes(size_t n)
{
	(void)n;
}

void
metrics_job_end(const char *result, long long boot_ms, long long test_ms)
{
	(void)result;
	(void)boot_ms;
	(void)test_ms;
}

void
webhook_job(const struct job *j)
{
	(void)j;
}

void
webhook_run(long long run, int njobs, int npass, int nfail, int nother)
{
	(void)run;
	(void)njobs;
	(void)npass;
	(void)nfail;
	(void)nother;
}

void
webhook_machine(const char *name, const char *state, const char *health,
    const char *reason)
{
	(void)name;
	(void)state;
	(void)health;
	(void)reason;
}
