/*
 * sched.h - the queue and the job and machine state machines.
 *
 * A job goes queued -> assigned (a machine chosen) -> booting (powered on,
 * waiting for the boot script request and the app fetch) -> running (app
 * fetched) -> done, or cancelled. Each stage has its own deadline, so a dead
 * machine is known in seconds. The job ends on the first of: a results
 * POST, the EXIT: line, the machine stopping, the app returning (done), a
 * deadline. Its result comes from results_outcome().
 */
#ifndef FARM_SCHED_H
#define FARM_SCHED_H

#include <stddef.h>

struct farm_conf;
struct machine_conf;
struct db;

int sched_init(const struct farm_conf *, struct db *, char **cause);
/* Ends running jobs as infra, stops every machine (blocks, shutdown only). */
void sched_shutdown(void);

/* Looks at the queue soon (on the loop, not now). */
void sched_kick(void);

struct machine_info {
	const struct machine_conf *conf;
	const char *state;      /* offline idle booting running maintenance */
	const char *health;
	long long job;          /* 0 when none */
	long long boots;
};

/* Fills info for machine i; -1 past the last one. */
int sched_machine_info(size_t i, struct machine_info *);
int sched_machine_info_by_name(const char *name, struct machine_info *);

/* GET /ipxe/<mac>: the script text (caller frees). */
/* arch/platform are what iPXE says of itself (NULL when unknown): kept for
 * machines farm.conf does not name (discovery). */
char *sched_boot_script(const char *mac, const char *client, const char *arch,
    const char *platform);
/* GET /ipxe/<mac>/done: the app returned; the next script (caller frees). */
char *sched_boot_done(const char *mac, const char *job, const char *token,
    const char *rc, const char *stage);
/* The same two for farmboot.efi (GET /farmboot/<mac>, /farmboot/<mac>/done):
 * the answers are farmboot scripts. */
/* The DTB of a running job: its machine's device tree with /chosen's
 * farm,job, farm,server and bootargs (the job's arguments). malloc'd, or
 * NULL with *cause. */
void *sched_job_dtb(long long job, size_t *len, char **cause);

struct dnsmasq_event;
/* A DHCP lease event from dnsmasq (lab mode). */
void sched_dhcp_event(const struct dnsmasq_event *);

char *sched_farmboot_script(const char *mac, const char *client);
char *sched_farmboot_done(const char *mac, const char *job, const char *token,
    const char *rc, const char *stage);
/* GET /apps/<sha>.efi?job=N: the app is being fetched for job N. */
void sched_app_fetched(const char *job, const char *sha);
/* POST /api/v1/jobs/<id>/results: returns an HTTP status; *cause set (caller
 * frees) on errors. */
int sched_results(long long job, const char *auth, const char *body, size_t len,
    char **cause);
/* Cancels a queued or running job: HTTP status, *cause on errors. */
int sched_cancel(long long job, char **cause);

/* Puts a machine in maintenance (after its current job) or brings it back
 * online; with health_job > 0 it must pass that job first. HTTP status,
 * *cause on errors. */
int sched_machine_set(const char *name, const char *state, const char *reason,
    long long health_job, char **cause);

/* Where a job's console log is (caller frees). */
char *sched_log_path(long long job);

#endif
