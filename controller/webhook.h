/*
 * webhook.h - farm.conf's webhooks: a JSON POST to each URL when a job
 * ends, when a run ends, and when a machine changes state or health.
 * Delivery never blocks the loop and is retried with back-off.
 */
#ifndef FARM_WEBHOOK_H
#define FARM_WEBHOOK_H

struct farm_conf;
struct job;

void webhook_init(const struct farm_conf *);
void webhook_free(void);

/* A job ended (its stored state). */
void webhook_job(const struct job *);
/* Every job of a run has ended. */
void webhook_run(long long run, int njobs, int npass, int nfail, int nother);
/* A machine's state or health changed. */
void webhook_machine(const char *name, const char *state, const char *health,
    const char *reason);

#endif
