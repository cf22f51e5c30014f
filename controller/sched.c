/*
 * sched.c - the scheduler. It owns the runtime state of every machine and of
 * every job in flight; sqlite holds the durable copy, written at each change
 * of state so a restart loses nothing that was acknowledged.
 *
 * Stages of a job on its machine, each with a deadline from farm.conf:
 *   POWER  -> power on asked             (power command deadline)
 *   BOOT   -> waiting for GET /ipxe/<mac> (boot_timeout: infra)
 *   FETCH  -> waiting for GET /apps/...   (fetch_timeout: infra)
 *   OUTPUT -> waiting for console output  (output_timeout: timeout)
 *   TEST   -> the test runs               (job timeout: timeout)
 *   ENDING -> result known; the machine may still return to iPXE and ask
 *             for the next job (warm chaining) before it is powered off.
 */
#include "sched.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "config.h"
#include "console.h"
#include "db.h"
#include "dnsmasq.h"
#include "dtb.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "netlab.h"
#include "power.h"
#include "proc.h"
#include "results.h"
#include "util.h"
#include "webhook.h"

#define ENDING_GRACE_MS 4000    /* after a result: time to return to iPXE */
#define IDLE_OFF_MS 500         /* after the idle script: let it arrive */

enum mstate { MS_OFFLINE, MS_IDLE, MS_BOOTING, MS_RUNNING, MS_MAINTENANCE };
static const char *const mstate_names[] = { "offline", "idle", "booting",
	"running", "maintenance" };

enum stage { ST_NONE, ST_BOOT, ST_FETCH, ST_OUTPUT, ST_TEST, ST_ENDING };

struct rjob {
	struct job j;
	char token[65];
	struct results_parser *parser;
	int log_fd;
	int idx_fd;
	int64_t t_power;        /* monotonic ms */
	int64_t t_fetch;
	int64_t idx_last;       /* wall ms of the last index entry */
	int ended;
	int post_seen;
};

struct machine {
	const struct machine_conf *conf;
	char mac_hyp[18];       /* 52-54-00-... as in URLs */
	enum mstate state;
	struct power *power;
	struct console *console;
	struct rjob *job;
	enum stage stage;
	struct loop_timer *timer;
	long long boots;
	unsigned infra_streak;  /* consecutive infra results */
	const char *health;     /* ok | failing | checking */
	long long health_job;   /* the health check it must pass, 0 when none */
	int want_maintenance;   /* go to maintenance when the current job ends */
	char why[256];          /* why health is failing */
	int boot_smp, boot_mem; /* the sizes of the current boot (0: machine's) */
};

static struct {
	const struct farm_conf *conf;
	struct db *db;
	struct machine *machines;
	size_t nmachines;
	struct loop_timer *kick;
	char *logs_dir;
} S;

static void machine_deadline(void *);
static void job_end(struct machine *, enum job_result, int exit_code, const char *reason,
    const char *state);

static struct machine *
machine_by_mac(const char *mac)
{
	char norm[18];
	size_t i;

	if (mac_parse(mac, norm) < 0)
		return NULL;
	for (i = 0; i < S.nmachines; i++)
		if (strcmp(S.machines[i].conf->mac, norm) == 0)
			return &S.machines[i];
	return NULL;
}

static struct machine *
machine_by_job(long long id)
{
	size_t i;

	for (i = 0; i < S.nmachines; i++)
		if (S.machines[i].job && S.machines[i].job->j.id == id)
			return &S.machines[i];
	return NULL;
}

static void
machine_set_state(struct machine *m, enum mstate st, const char *reason)
{
	if (m->state == st)
		return;
	m->state = st;
	db_machine_state(S.db, m->conf->name, mstate_names[st], reason);
	/* Booting and running come with every job: only the changes an admin
	 * wants to hear of go out. */
	if (st == MS_MAINTENANCE || st == MS_OFFLINE ||
	    (st == MS_IDLE && strcmp(reason, "ready") != 0))
		webhook_machine(m->conf->name, mstate_names[st], m->health, reason);
}

/* Enters a stage with its deadline (seconds; 0 none, <0 milliseconds). */
static void
machine_stage(struct machine *m, enum stage st, int64_t ms)
{
	loop_timer_cancel(m->timer);
	m->timer = NULL;
	m->stage = st;
	if (ms > 0)
		m->timer = loop_timer_add(ms, machine_deadline, m);
}

static void
rjob_free(struct rjob *rj)
{
	if (rj == NULL)
		return;
	results_free(rj->parser);
	if (rj->log_fd >= 0)
		close(rj->log_fd);
	if (rj->idx_fd >= 0)
		close(rj->idx_fd);
	job_clear(&rj->j);
	free(rj);
}

/* The machine has no job any more and is off: it can take the next one. */
static void
machine_release(struct machine *m)
{
	machine_stage(m, ST_NONE, 0);
	rjob_free(m->job);
	m->job = NULL;
	if (m->want_maintenance) {
		m->want_maintenance = 0;
		machine_set_state(m, MS_MAINTENANCE, "set to maintenance");
	} else if (m->health_job || strcmp(m->health, "failing") == 0) {
		machine_set_state(m, MS_MAINTENANCE, m->health_job ?
		    "waiting for its health check" : m->why[0] ? m->why :
		    "health check failed");
	} else if (m->state != MS_MAINTENANCE) {
		machine_set_state(m, MS_IDLE, "ready");
	}
	sched_kick();
}

static void
machine_power_off(struct machine *m)
{
	if (m->power && power_is_on(m->power))
		power_off(m->power);
	else
		machine_release(m);
}

char *
sched_log_path(long long job)
{
	return xasprintf("%s/%lld.log", S.logs_dir, job);
}

/* A test case line was parsed: store it at once. */
static void
job_case(void *arg, const struct testcase *tc)
{
	struct machine *m = arg;

	if (m->job && !m->job->post_seen)
		db_testcase_add(S.db, m->job->j.id, tc);
}

/* Tells the webhooks when the last job of a run has ended. Called after
 * each job end (and after its retry, if any, is queued). */
static void
run_maybe_ended(long long run)
{
	struct run_info r;
	size_t i;

	/* A job of the run still in flight: not the last (and no count query). */
	for (i = 0; i < S.nmachines; i++)
		if (S.machines[i].job && !S.machines[i].job->ended &&
		    S.machines[i].job->j.run == run)
			return;
	if (db_run_get(S.db, run, &r) != 1 || r.counts[6] + r.counts[7] > 0)
		return;
	webhook_run(run, r.njobs, r.counts[0] + r.counts[2], r.counts[1],
	    r.njobs - r.counts[0] - r.counts[1] - r.counts[2]);
}

/* Queues the one retry a job gets after an infra result (the farm failed,
 * not the test). A tag-targeted retry prefers another machine. */
static void
job_retry(const struct job *j)
{
	struct job r;
	size_t i;

	if (j->attempt >= 2)
		return;
	memset(&r, 0, sizeof(r));
	r.run = j->run;
	r.test = xstrdup(j->test);
	r.app = xstrdup(j->app);
	r.app_name = xstrdup(j->app_name);
	r.args = xcalloc(j->nargs + 1, sizeof(char *));
	for (i = 0; i < j->nargs; i++)
		r.args[r.nargs++] = xstrdup(j->args[i]);
	r.env = xcalloc(j->nenv + 1, sizeof(char *));
	for (i = 0; i < j->nenv; i++)
		r.env[r.nenv++] = xstrdup(j->env[i]);
	r.tags = xcalloc(j->ntags + 1, sizeof(char *));
	for (i = 0; i < j->ntags; i++)
		r.tags[r.ntags++] = xstrdup(j->tags[i]);
	r.target_machine = j->target_machine ? xstrdup(j->target_machine) : NULL;
	r.priority = j->priority;
	r.timeout = j->timeout;
	r.smp = j->smp;
	r.memory = j->memory;
	snprintf(r.state, sizeof(r.state), "queued");
	r.exit_code = -1;
	r.boot_ms = -1;
	r.queued_at = wall_ms();
	r.attempt = j->attempt + 1;
	r.retry_of = j->id;
	if (db_job_insert(S.db, &r) == 0)
		log_info("job %lld: infra, retried once as job %lld", j->id, r.id);
	job_clear(&r);
}

/* Health: consecutive infra results send a machine to maintenance; its
 * health check decides when it comes back. */
static void
machine_health(struct machine *m, enum job_result result, const char *reason)
{
	int was_check = m->job && m->job->j.id == m->health_job;

	if (result == RESULT_INFRA)
		m->infra_streak++;
	else
		m->infra_streak = 0;
	if (was_check) {
		m->health_job = 0;
		if (result == RESULT_PASS) {
			m->health = "ok";
			log_info("machine %s: health check passed, back online",
			    m->conf->name);
		} else {
			m->health = "failing";
			snprintf(m->why, sizeof(m->why), "health check %s: %s",
			    job_result_name(result), reason ? reason : "");
			log_warnx("machine %s: %s: stays in maintenance", m->conf->name,
			    m->why);
		}
		return;
	}
	if (result != RESULT_INFRA) {
		if (strcmp(m->health, "checking") != 0)
			m->health = "ok";
		return;
	}
	if (S.conf->max_infra > 0 && m->infra_streak >= S.conf->max_infra &&
	    strcmp(m->health, "failing") != 0) {
		char *why = xasprintf("%u infra results in a row, the last: %s",
		    m->infra_streak, reason ? reason : "?");

		m->health = "failing";
		snprintf(m->why, sizeof(m->why), "%s", why);
		log_warnx("machine %s: to maintenance: %s", m->conf->name, why);
		free(why);
	}
}

/* Ends the job with its result; the machine goes to ENDING (or is released
 * when it is already off). state is "done" or "cancelled". */
static void
job_end(struct machine *m, enum job_result result, int exit_code, const char *reason,
    const char *state)
{
	struct rjob *rj = m->job;

	if (rj == NULL || rj->ended)
		return;
	rj->ended = 1;
	results_finish(rj->parser);
	snprintf(rj->j.state, sizeof(rj->j.state), "%s", state);
	if (strcmp(state, "cancelled") == 0)
		rj->j.result[0] = '\0';
	else
		snprintf(rj->j.result, sizeof(rj->j.result), "%s", job_result_name(result));
	rj->j.exit_code = exit_code;
	free(rj->j.reason);
	rj->j.reason = xstrdup(reason ? reason : "");
	rj->j.finished_at = wall_ms();
	if (db_job_save(S.db, &rj->j) < 0)
		log_warnx("job %lld: could not store its result", rj->j.id);
	metrics_job_end(rj->j.result[0] ? rj->j.result : state, rj->j.boot_ms,
	    rj->j.started_at > 0 ? rj->j.finished_at - rj->j.started_at : -1);
	log_info("job %lld on %s: %s%s%s", rj->j.id, m->conf->name,
	    rj->j.result[0] ? rj->j.result : state, reason && *reason ? ": " : "",
	    reason ? reason : "");
	if (strcmp(state, "done") == 0)
		machine_health(m, result, reason);
	if (strcmp(state, "done") == 0 && result == RESULT_INFRA)
		job_retry(&rj->j);
	webhook_job(&rj->j);
	run_maybe_ended(rj->j.run);
	if (m->power && power_is_on(m->power))
		machine_stage(m, ST_ENDING, ENDING_GRACE_MS);
	else
		machine_release(m);
}

/* Appends the names of the first failing cases to a reason (takes and
 * returns ownership), so a reader sees what failed without digging. */
static char *
reason_with_failures(long long job, char *reason)
{
	struct testcase *tc;
	struct buf b = {0};
	size_t n, i, shown = 0, fails = 0;

	if (db_testcases_list(S.db, job, &tc, &n) < 0)
		return reason;
	for (i = 0; i < n; i++) {
		if (tc[i].status != TC_FAIL && tc[i].status != TC_XPASS)
			continue;
		if (shown < 3) {
			buf_printf(&b, "%s%s", shown ? "; " : "", tc[i].name);
			shown++;
		}
		fails++;
	}
	db_testcases_free(tc, n);
	if (shown) {
		char *r = xasprintf("%s (%s%s)", reason ? reason : "", b.data,
		    fails > shown ? "; ..." : "");

		free(reason);
		reason = r;
	}
	buf_free(&b);
	return reason;
}

/* Ends the job from what the parser saw, for an end reason. */
static void
job_end_outcome(struct machine *m, enum end_reason why, int status)
{
	char *reason = NULL;
	int code = -1;
	enum job_result r = results_outcome(results_state(m->job->parser), why, status,
	    &code, &reason);

	if (r == RESULT_FAIL)
		reason = reason_with_failures(m->job->j.id, reason);
	job_end(m, r, code, reason, "done");
	free(reason);
}

static void
machine_deadline(void *arg)
{
	struct machine *m = arg;
	struct rjob *rj = m->job;
	char *why = NULL;

	m->timer = NULL;
	switch (m->stage) {
	case ST_BOOT:
		why = xasprintf("no boot script request within %d s of power on"
		    " (no DHCP/PXE boot?)", m->conf->boot_timeout);
		job_end(m, RESULT_INFRA, -1, why, "done");
		break;
	case ST_FETCH:
		why = xasprintf("the app was not fetched within %d s of the boot script",
		    m->conf->fetch_timeout);
		job_end(m, RESULT_INFRA, -1, why, "done");
		break;
	case ST_OUTPUT:
		why = xasprintf("no console output within %d s after the app was fetched",
		    m->conf->output_timeout);
		job_end(m, RESULT_TIMEOUT, -1, why, "done");
		break;
	case ST_TEST:
		if (rj)
			job_end_outcome(m, END_TIMEOUT, rj->j.timeout);
		break;
	case ST_ENDING:
	case ST_NONE:
		break;
	}
	free(why);
	machine_power_off(m);
}

/* Console bytes: kept with their time, parsed while the job is open. */
static void
machine_console(void *arg, const char *data, size_t len)
{
	struct machine *m = arg;
	struct rjob *rj = m->job;
	const struct results_state *st;
	char line[64];
	int n;

	if (rj == NULL)
		return;
	if (rj->log_fd >= 0) {
		int64_t now = wall_ms();

		if (write(rj->log_fd, data, len) != (ssize_t)len)
			log_warn("job %lld: console log", rj->j.id);
		/* The index maps byte offsets to times, at most every 50 ms:
		 * consoles often deliver a byte per read. */
		if (now - rj->idx_last >= 50) {
			n = snprintf(line, sizeof(line), "%lld %lld\n", rj->j.log_size,
			    (long long)now);
			if (write(rj->idx_fd, line, (size_t)n) != n)
				log_warn("job %lld: console log index", rj->j.id);
			rj->idx_last = now;
		}
	}
	rj->j.log_size += (long long)len;
	metrics_console_bytes(len);
	if (rj->ended)
		return;
	results_feed(rj->parser, data, len);
	if (m->stage == ST_OUTPUT)
		machine_stage(m, ST_TEST, (int64_t)rj->j.timeout * 1000);
	st = results_state(rj->parser);
	if (st->exit_seen)
		job_end_outcome(m, END_EXIT_LINE, st->exit_status);
}

static void
machine_console_state(void *arg, int connected)
{
	struct machine *m = arg;
	struct rjob *rj = m->job;
	char *note;
	size_t len;

	log_debug("machine %s: console %s", m->conf->name,
	    connected ? "connected" : "closed");
	/* A network console that drops mid-job is noted in the job's log (not
	 * given to the parser); the job goes on: POST, done or a deadline
	 * still end it. QEMU's unix console closes with QEMU: no news. */
	if (m->conf->kind == MACHINE_QEMU || rj == NULL || rj->ended || rj->log_fd < 0)
		return;
	note = xasprintf("\n[farm: console %s, %lld ms after power on]\n",
	    connected ? "back" : "lost; the job goes on",
	    (long long)(now_ms() - rj->t_power));
	len = strlen(note);
	if (write(rj->log_fd, note, len) != (ssize_t)len)
		log_warn("job %lld: console log", rj->j.id);
	rj->j.log_size += (long long)len;
	free(note);
}

/* The power backend's news: the machine stopped, or did not start. */
static void
machine_power(void *arg, enum power_event ev, int status, int by_us, const char *msg)
{
	struct machine *m = arg;
	struct rjob *rj = m->job;
	char *why = NULL, *tail, *qlog;

	if (rj && !rj->ended) {
		qlog = xasprintf("%s/machines/%s/qemu.log", S.conf->state_dir,
		    m->conf->name);
		tail = proc_log_tail(qlog);
		if (ev == POWER_FAILED) {
			why = xasprintf("power on failed: %s", msg ? msg : "?");
			job_end(m, RESULT_INFRA, -1, why, "done");
		} else if (WIFSIGNALED(status)) {
			why = xasprintf("%s was killed by signal %d (%s)%s",
			    m->conf->kind == MACHINE_QEMU ? "the machine's QEMU" :
			    "the machine's process", WTERMSIG(status),
			    strsignal(WTERMSIG(status)), by_us ? "" : ", not by farmd");
			job_end(m, RESULT_INFRA, -1, why, "done");
		} else if (m->stage == ST_BOOT || m->stage == ST_NONE) {
			why = xasprintf("the machine stopped (status %d) before it asked for"
			    " its boot script%s%s", WEXITSTATUS(status), *tail ? ": " : "",
			    tail);
			job_end(m, RESULT_INFRA, -1, why, "done");
		} else if (m->stage == ST_FETCH) {
			why = xasprintf("the machine stopped (status %d) before it fetched"
			    " the app", WEXITSTATUS(status));
			job_end(m, RESULT_INFRA, -1, why, "done");
		} else if (by_us) {
			job_end(m, RESULT_INFRA, -1, "the machine was stopped", "done");
		} else {
			job_end_outcome(m, END_QEMU_EXIT, WEXITSTATUS(status));
		}
		free(why);
		free(tail);
		free(qlog);
	}
	machine_release(m);
}

/* Opens the job's console log and its index of timestamps. */
static void
rjob_open_log(struct rjob *rj)
{
	char *path = sched_log_path(rj->j.id);
	char *idx = xasprintf("%s.idx", path);

	rj->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	rj->idx_fd = open(idx, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (rj->log_fd < 0 || rj->idx_fd < 0)
		log_warn("job %lld: %s", rj->j.id, path);
	free(path);
	free(idx);
}

/* Gives job j (taken over) to machine m. warm: m is on and waiting in
 * iPXE, the script is answered right away. */
static void
job_assign(struct machine *m, struct job *j, int warm)
{
	struct rjob *rj = xcalloc(1, sizeof(*rj));
	struct power_opts opts = {0};
	unsigned char raw[32];
	char *cause = NULL;

	rj->j = *j;
	memset(j, 0, sizeof(*j));
	rj->log_fd = rj->idx_fd = -1;
	if (random_bytes(raw, sizeof(raw)) < 0)
		fatal("getrandom");
	hex_encode(raw, sizeof(raw), rj->token);
	sha256_hex(rj->token, strlen(rj->token), rj->j.token_hash);
	rj->parser = results_new(job_case, m);
	rj->t_power = now_ms();
	free(rj->j.machine);
	rj->j.machine = xstrdup(m->conf->name);
	snprintf(rj->j.state, sizeof(rj->j.state), "assigned");
	rj->j.started_at = 0;
	rj->j.boot_ms = -1;
	rjob_open_log(rj);
	m->job = rj;
	db_job_save(S.db, &rj->j);
	log_info("job %lld (%s) -> %s%s", rj->j.id, rj->j.test, m->conf->name,
	    warm ? " (warm, no reboot)" : "");

	machine_set_state(m, MS_BOOTING, "job assigned");
	snprintf(rj->j.state, sizeof(rj->j.state), "booting");
	if (warm) {
		rj->j.boot_ms = 0;
		db_job_save(S.db, &rj->j);
		machine_stage(m, ST_FETCH, (int64_t)m->conf->fetch_timeout * 1000);
		return;
	}
	db_job_save(S.db, &rj->j);
	machine_stage(m, ST_BOOT, (int64_t)m->conf->boot_timeout * 1000);
	opts.cpus = rj->j.smp > 0 ? (unsigned)rj->j.smp : 0;
	opts.memory = rj->j.memory > 0 ? (unsigned)rj->j.memory : 0;
	m->boot_smp = rj->j.smp;
	m->boot_mem = rj->j.memory;
	if (power_on(m->power, &opts, &cause) < 0) {
		char *why = xasprintf("power on failed: %s", cause);

		log_warnx("machine %s: %s", m->conf->name, why);
		job_end(m, RESULT_INFRA, -1, why, "done");
		free(why);
		free(cause);
		return;
	}
	m->boots++;
	db_machine_boot(S.db, m->conf->name);
}

/* 1 when job j may run on machine m. A machine waiting for its health
 * check takes only that job. A retry avoids the machine of the failed
 * attempt when another machine could take it. */
static int
job_fits(const struct job *j, const struct machine *m)
{
	if (m->health_job)
		return j->id == m->health_job;
	if (j->target_machine)
		return strcmp(j->target_machine, m->conf->name) == 0;
	if (!config_machine_matches(m->conf, j->tags, j->ntags))
		return 0;
	if (j->retry_of > 0) {
		struct job prev;
		int avoid = 0;
		size_t i;

		if (db_job_get(S.db, j->retry_of, &prev) == 1 && prev.machine &&
		    strcmp(prev.machine, m->conf->name) == 0) {
			/* Only a machine that takes jobs: one in maintenance
			 * would hold the retry back for as long as it stays. */
			for (i = 0; i < S.nmachines; i++)
				if (&S.machines[i] != m &&
				    S.machines[i].state != MS_MAINTENANCE &&
				    S.machines[i].state != MS_OFFLINE &&
				    config_machine_matches(S.machines[i].conf, j->tags,
				    j->ntags))
					avoid = 1;
		}
		if (prev.id)
			job_clear(&prev);
		return !avoid;
	}
	return 1;
}

/* The first queued job machine m can take, or -1. warm: m is running and
 * the job would reuse this boot, so its -smp/-m must be the boot's. */
static int
sched_pick(struct job *q, size_t n, const struct machine *m, int warm)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (q[i].id && job_fits(&q[i], m) && (!warm ||
		    (q[i].smp == m->boot_smp && q[i].memory == m->boot_mem)))
			return (int)i;
	return -1;
}

#define DISPATCH_PER_TURN 8

static void
sched_dispatch(void *arg)
{
	struct job *q = NULL;
	size_t n = 0, i;
	int k, assigned = 0;

	(void)arg;
	S.kick = NULL;
	if (db_jobs_queued(S.db, &q, &n) < 0)
		return;
	/* A few assignments per turn of the loop (each is database writes and
	 * a power on); the rest on the next turn, so requests keep flowing. */
	for (i = 0; i < S.nmachines && n > 0; i++) {
		struct machine *m = &S.machines[i];

		if (m->job || (m->state != MS_IDLE &&
		    !(m->state == MS_MAINTENANCE && m->health_job)))
			continue;
		k = sched_pick(q, n, m, 0);
		if (k < 0)
			continue;
		if (assigned == DISPATCH_PER_TURN) {
			sched_kick();
			break;
		}
		job_assign(m, &q[k], 0);
		assigned++;
	}
	db_jobs_free(q, n);
}

void
sched_kick(void)
{
	if (S.kick == NULL)
		S.kick = loop_timer_add(0, sched_dispatch, NULL);
}

/* The job script for m's current job, for iPXE or farmboot.efi. */
static char *
machine_job_script(struct machine *m, int farmboot)
{
	struct rjob *rj = m->job;
	char *dtb_url = m->power && power_dtb(m->power) ?
	    xasprintf("%s/jobs/%lld/dtb", S.conf->server_url, rj->j.id) : NULL;
	struct boot_job bj = {
		.server = S.conf->server_url,
		.dtb_url = dtb_url,
		.job = rj->j.id,
		.token = rj->token,
		.machine = m->conf->name,
		.mac = m->mac_hyp,
		.arch = m->conf->arch,
		.app_sha = rj->j.app,
		.app_name = rj->j.app_name,
		.args = rj->j.args,
		.nargs = rj->j.nargs,
		.env = rj->j.env,
		.nenv = rj->j.nenv,
	};
	char *cause = NULL, *script = farmboot ? boot_farmboot_job(&bj, &cause) :
	    boot_ipxe_job(&bj, &cause);

	free(dtb_url);
	if (script == NULL) {
		char *why = xasprintf("could not make the boot script: %s", cause);

		job_end(m, RESULT_ERROR, -1, why, "done");
		free(why);
		free(cause);
		return NULL;
	}
	return script;
}

static char *
idle_script(struct machine *m, int farmboot)
{
	char *poll, *s;

	if (farmboot)
		return boot_farmboot_idle(m ? m->conf->always_on : 0);
	poll = m ? xasprintf("%s/ipxe/%s", S.conf->server_url, m->mac_hyp) : NULL;
	s = boot_ipxe_idle(m ? m->conf->always_on : 0, poll);
	free(poll);
	return s;
}

/* The machine got its idle script: a QEMU machine is then turned off. */
static void
machine_idle_off(struct machine *m)
{
	if (m->job && !m->job->ended)
		return;
	if (m->conf->kind == MACHINE_QEMU && !m->conf->always_on)
		machine_stage(m, ST_ENDING, IDLE_OFF_MS);
}

static char *
boot_script(const char *mac, const char *client, const char *arch,
    const char *platform, int farmboot)
{
	struct machine *m = machine_by_mac(mac);
	struct rjob *rj;
	char *s, norm[18];

	if (m == NULL) {
		if (mac_parse(mac, norm) == 0) {
			log_info("boot request from unknown machine %s (%s, %s): recorded"
			    " as discovered, idle script", norm, client,
			    arch ? arch : "arch unknown");
			db_discovered_seen(S.db, norm, client, arch, platform);
		} else {
			log_info("boot request for \"%.40s\" (%s): not a MAC, idle script",
			    mac, client);
		}
		return idle_script(NULL, farmboot);
	}
	rj = m->job;
	/* A cold boot that will serve later jobs from its saved state: the
	 * machine waits in the 1 s poll loop (iPXE's or farmboot's) while it
	 * is saved, then asks again. */
	if (rj && !rj->ended && m->stage == ST_BOOT && m->power &&
	    power_snapshot_prepare(m->power)) {
		char *poll;

		if (farmboot)
			return boot_farmboot_idle(1);
		poll = xasprintf("%s/ipxe/%s", S.conf->server_url, m->mac_hyp);
		s = boot_ipxe_idle(1, poll);
		free(poll);
		return s;
	}
	if (rj && !rj->ended && (m->stage == ST_BOOT || m->stage == ST_FETCH)) {
		if (m->stage == ST_BOOT) {
			if (m->power)
				power_booted(m->power);
			rj->j.boot_ms = now_ms() - rj->t_power;
			db_job_save(S.db, &rj->j);
			machine_stage(m, ST_FETCH, (int64_t)m->conf->fetch_timeout * 1000);
		}
		log_info("machine %s (%s): boot script for job %lld after %lld ms",
		    m->conf->name, client, rj->j.id, rj->j.boot_ms);
		s = machine_job_script(m, farmboot);
		if (s)
			return s;
	} else if (rj && !rj->ended) {
		job_end(m, RESULT_ERROR, -1, "the machine rebooted during the test"
		    " (it asked for its boot script again)", "done");
	}
	if (m->conf->always_on)
		log_debug("machine %s (%s): no job, idle script", m->conf->name, client);
	else
		log_info("machine %s (%s): no job, idle script", m->conf->name, client);
	machine_idle_off(m);
	return idle_script(m, farmboot);
}

/*
 * dnsmasq gave an address (lab mode). A machine whose firmware asked for
 * an architecture the farm has no loader for would only time out later:
 * its job ends now as infra with the reason. A MAC not in farm.conf is
 * recorded as discovered, with its architecture.
 */
void
sched_dhcp_event(const struct dnsmasq_event *ev)
{
	struct machine *m = machine_by_mac(ev->mac);
	char arch[48] = "";

	if (ev->client_arch >= 0)
		snprintf(arch, sizeof(arch), "%d (%s)", ev->client_arch,
		    dnsmasq_arch_name(ev->client_arch));
	if (m == NULL) {
		/* Only network-boot requests: other DHCP clients on the lab
		 * network are not machines. */
		if (ev->client_arch >= 0) {
			log_info("DHCP: unknown machine %s got %s (client arch %s):"
			    " recorded as discovered", ev->mac, ev->ip, arch);
			db_discovered_seen(S.db, ev->mac, ev->ip,
			    dnsmasq_arch_name(ev->client_arch),
			    ev->http ? "uefi-http" : "pxe");
		}
		return;
	}
	/* Without a client arch it is the loader's or the OS's own DHCP. */
	if (ev->client_arch < 0)
		log_debug("machine %s: DHCP %s", m->conf->name, ev->ip);
	else
		log_info("machine %s: DHCP %s, client arch %s%s", m->conf->name,
		    ev->ip, arch, ev->ipxe ? ", iPXE" : ev->http ? ", UEFI HTTP boot" :
		    ", firmware PXE");
	if (!ev->noloader)
		return;
	log_warnx("machine %s (%s): its firmware asked to %s-boot client"
	    " architecture %s; the farm has no loader for that (farm.conf says"
	    " arch = %s, boot = %s)", m->conf->name, ev->mac,
	    ev->http ? "HTTP" : "PXE", *arch ? arch : "(none given)", m->conf->arch,
	    config_boot_name(m->conf->boot));
	if (m->job && !m->job->ended && m->stage == ST_BOOT) {
		char *why = xasprintf("the machine's firmware asked to network-boot"
		    " client architecture %s, which the farm has no loader for",
		    *arch ? arch : "(none given)");

		job_end(m, RESULT_INFRA, -1, why, "done");
		free(why);
		machine_power_off(m);
	}
}

void *
sched_job_dtb(long long id, size_t *len, char **cause)
{
	struct machine *m = machine_by_job(id);
	struct dtb_chosen ch = {0};
	struct buf args = {0};
	const char *path;
	void *in, *out;
	size_t inlen, i;
	char job[24];

	if (m == NULL || m->job->ended || m->power == NULL ||
	    (path = power_dtb(m->power)) == NULL) {
		*cause = xasprintf("job %lld is not running on a machine with a"
		    " device tree", id);
		return NULL;
	}
	if ((in = dtb_load(path, &inlen, cause)) == NULL) {
		log_warnx("machine %s: %s", m->conf->name, *cause);
		return NULL;
	}
	snprintf(job, sizeof(job), "%lld", id);
	for (i = 0; i < m->job->j.nargs; i++)
		buf_printf(&args, "%s%s", i ? " " : "", m->job->j.args[i]);
	ch.job = job;
	ch.server = S.conf->server_url;
	ch.bootargs = args.data ? args.data : "";
	out = dtb_patch(in, inlen, &ch, len, cause);
	if (out && dtb_pack(out, len, cause) < 0) {
		free(out);
		out = NULL;
	}
	if (out == NULL)
		log_warnx("machine %s: %s: %s", m->conf->name, path, *cause);
	buf_free(&args);
	free(in);
	return out;
}

char *
sched_boot_script(const char *mac, const char *client, const char *arch,
    const char *platform)
{
	return boot_script(mac, client, arch, platform, 0);
}

char *
sched_farmboot_script(const char *mac, const char *client)
{
	return boot_script(mac, client, NULL, "efi", 1);
}

/* Checks a job token against the stored hash, in constant time. */
static int
token_ok(const struct rjob *rj, const char *token)
{
	char h[65];

	if (token == NULL)
		return 0;
	sha256_hex(token, strlen(token), h);
	return str_equal_ct(h, rj->j.token_hash);
}

static char *
boot_done(const char *mac, const char *job, const char *token, const char *rc,
    const char *stage, int farmboot)
{
	struct machine *m = machine_by_mac(mac);
	struct job *q = NULL;
	size_t n = 0;
	long long id = 0;
	int k;

	if (m == NULL)
		return idle_script(NULL, farmboot);
	if (m->job == NULL || job == NULL || parse_int(job, 1, INT64_MAX, &id) < 0 ||
	    id != m->job->j.id || !token_ok(m->job, token)) {
		log_warnx("machine %s: done for job %s that it does not run", m->conf->name,
		    job ? job : "(none)");
		machine_idle_off(m);
		return idle_script(m, farmboot);
	}
	if (!m->job->ended) {
		long long v = 0;
		char *end = NULL;

		/* iPXE's ${errno} or farmboot's 64-bit EFI status, in hex:
		 * only zero or not matters (the EXIT: line or POST carries
		 * the program's own code). */
		if (rc && *rc && (isdigit((unsigned char)rc[0]))) {
			unsigned long long u;

			errno = 0;
			u = strtoull(rc, &end, 0);
			if (errno != 0)
				end = NULL;
			v = u != 0;
		} else {
			end = NULL;
		}
		if (stage && strcmp(stage, "setup") == 0) {
			char *why = xasprintf("the boot script failed before the app ran"
			    " (iPXE error %s)", rc ? rc : "?");

			job_end(m, RESULT_INFRA, -1, why, "done");
			free(why);
		} else {
			job_end_outcome(m, END_RETURNED, (end && *end == '\0') ?
			    (int)v : -1);
		}
	}
	/* Warm chaining: the next job that fits runs without a reboot. */
	if (!m->want_maintenance && strcmp(m->health, "failing") != 0 &&
	    db_jobs_queued(S.db, &q, &n) == 0 &&
	    (k = sched_pick(q, n, m, 1)) >= 0) {
		char *s;

		rjob_free(m->job);
		m->job = NULL;
		job_assign(m, &q[k], 1);
		db_jobs_free(q, n);
		s = machine_job_script(m, farmboot);
		if (s)
			return s;
		return idle_script(m, farmboot);
	}
	db_jobs_free(q, n);
	machine_idle_off(m);
	return idle_script(m, farmboot);
}

char *
sched_boot_done(const char *mac, const char *job, const char *token, const char *rc,
    const char *stage)
{
	return boot_done(mac, job, token, rc, stage, 0);
}

char *
sched_farmboot_done(const char *mac, const char *job, const char *token,
    const char *rc, const char *stage)
{
	return boot_done(mac, job, token, rc, stage, 1);
}

void
sched_app_fetched(const char *job, const char *sha)
{
	long long id;
	struct machine *m;

	if (job == NULL || parse_int(job, 1, INT64_MAX, &id) < 0)
		return;
	m = machine_by_job(id);
	if (m == NULL || m->job->ended || m->stage != ST_FETCH ||
	    strcmp(m->job->j.app, sha) != 0)
		return;
	m->job->t_fetch = now_ms();
	m->job->j.started_at = wall_ms();
	snprintf(m->job->j.state, sizeof(m->job->j.state), "running");
	db_job_save(S.db, &m->job->j);
	machine_set_state(m, MS_RUNNING, "app fetched");
	/* Without a console there is no first output to wait for. */
	if (m->console)
		machine_stage(m, ST_OUTPUT, (int64_t)m->conf->output_timeout * 1000);
	else
		machine_stage(m, ST_TEST, (int64_t)m->job->j.timeout * 1000);
}

int
sched_results(long long id, const char *auth, const char *body, size_t len,
    char **cause)
{
	struct machine *m = machine_by_job(id);
	struct results_post post;
	struct results_state st;
	struct job j;
	enum job_result r;
	char *reason = NULL;
	int code = -1, found, stored;

	if (m == NULL) {
		found = db_job_get(S.db, id, &j);
		if (found <= 0) {
			*cause = xasprintf("no job %lld", id);
			return 404;
		}
		*cause = xasprintf("job %lld is %s: it takes no results", id, j.state);
		job_clear(&j);
		return 409;
	}
	if (m->job->ended && strcmp(m->job->j.state, "cancelled") == 0) {
		*cause = xasprintf("job %lld is cancelled: it takes no results", id);
		return 409;
	}
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
	    !token_ok(m->job, auth + 7)) {
		log_warnx("job %lld: results POST with a wrong token refused", id);
		*cause = xstrdup("wrong job token");
		return 403;
	}
	if (results_parse_post(body, len, &post, cause) < 0)
		return 400;
	/* The cases and the job's end go in one transaction: one commit. */
	if ((stored = db_begin(S.db)) == 0 &&
	    (stored = db_testcases_replace(S.db, id, post.cases, post.ncases)) < 0)
		db_rollback(S.db);
	if (stored < 0) {
		results_post_clear(&post);
		*cause = xstrdup("could not store the results");
		return 500;
	}
	m->job->post_seen = 1;
	results_state_from_post(&post, &st);
	r = results_outcome(&st, END_POST, post.exit_code, &code, &reason);
	free(st.abort_message);
	if (r == RESULT_FAIL)
		reason = reason_with_failures(id, reason);
	if (!m->job->ended) {
		job_end(m, r, code, reason, "done");
	} else if (strcmp(m->job->j.state, "done") == 0) {
		/* The console ended the job first; the POST still decides. */
		snprintf(m->job->j.result, sizeof(m->job->j.result), "%s",
		    job_result_name(r));
		m->job->j.exit_code = code;
		free(m->job->j.reason);
		m->job->j.reason = xstrdup(reason);
		db_job_save(S.db, &m->job->j);
	}
	if ((stored = db_commit(S.db)) == 0)    /* rolled back when it fails */
		log_info("job %lld: results POST with %zu cases", id, post.ncases);
	free(reason);
	results_post_clear(&post);
	if (stored < 0)
		*cause = xstrdup("could not store the results");
	return stored < 0 ? 500 : 200;
}

int
sched_cancel(long long id, char **cause)
{
	struct machine *m = machine_by_job(id);
	struct job j;
	int found;

	if (m) {
		if (m->job->ended) {
			*cause = xasprintf("job %lld has ended", id);
			return 409;
		}
		job_end(m, RESULT_ERROR, -1, "cancelled", "cancelled");
		machine_power_off(m);
		return 200;
	}
	found = db_job_get(S.db, id, &j);
	if (found <= 0) {
		*cause = xasprintf("no job %lld", id);
		return 404;
	}
	if (strcmp(j.state, "queued") != 0) {
		*cause = xasprintf("job %lld is %s", id, j.state);
		job_clear(&j);
		return 409;
	}
	snprintf(j.state, sizeof(j.state), "cancelled");
	free(j.reason);
	j.reason = xstrdup("cancelled before it ran");
	j.finished_at = wall_ms();
	db_job_save(S.db, &j);
	metrics_job_end("cancelled", -1, -1);
	webhook_job(&j);
	run_maybe_ended(j.run);
	job_clear(&j);
	return 200;
}

static void
machine_info_fill(const struct machine *m, struct machine_info *info)
{
	info->conf = m->conf;
	info->state = mstate_names[m->state];
	info->health = m->health;
	info->job = m->job ? m->job->j.id : 0;
	info->boots = m->boots;
}

int
sched_machine_info(size_t i, struct machine_info *info)
{
	if (i >= S.nmachines)
		return -1;
	machine_info_fill(&S.machines[i], info);
	return 0;
}

int
sched_machine_info_by_name(const char *name, struct machine_info *info)
{
	size_t i;

	for (i = 0; i < S.nmachines; i++)
		if (strcmp(S.machines[i].conf->name, name) == 0) {
			machine_info_fill(&S.machines[i], info);
			return 0;
		}
	return -1;
}

/* Jobs a killed farmd left in flight end as infra. */
static void
sched_reconcile(void)
{
	struct job *v;
	size_t n, i;

	if (db_jobs_in_flight(S.db, &v, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		snprintf(v[i].state, sizeof(v[i].state), "done");
		snprintf(v[i].result, sizeof(v[i].result), "infra");
		free(v[i].reason);
		v[i].reason = xstrdup("farmd restarted while the job was in flight");
		v[i].finished_at = wall_ms();
		db_job_save(S.db, &v[i]);
		log_warnx("job %lld: was in flight when farmd stopped: infra", v[i].id);
		job_retry(&v[i]);
	}
	db_jobs_free(v, n);
}

int
sched_init(const struct farm_conf *conf, struct db *db, char **cause)
{
	size_t i;

	S.conf = conf;
	S.db = db;
	S.logs_dir = xasprintf("%s/logs", conf->state_dir);
	if (mkdir_p(S.logs_dir, 0755) < 0) {
		*cause = xasprintf("%s: %s", S.logs_dir, strerror(errno));
		return -1;
	}
	sched_reconcile();
	S.nmachines = conf->nmachines;
	S.machines = xcalloc(conf->nmachines, sizeof(*S.machines));
	for (i = 0; i < conf->nmachines; i++) {
		struct machine *m = &S.machines[i];
		const struct machine_conf *mc = &conf->machines[i];
		char *sock;
		size_t k;

		m->conf = mc;
		for (k = 0; k < sizeof(m->mac_hyp) - 1; k++)
			m->mac_hyp[k] = mc->mac[k] == ':' ? '-' : mc->mac[k];
		db_machine_sync(db, mc);
		m->boots = db_machine_boots(db, mc->name);
		power_reap_stale(conf, mc);
		m->power = power_new(conf, mc, NULL, NULL, machine_power, m);
		if (mc->kind == MACHINE_QEMU) {
			sock = xasprintf("%s/machines/%s/console.sock", conf->state_dir,
			    mc->name);
			m->console = console_unix(mc->name, sock, machine_console,
			    machine_console_state, m, cause);
			if (m->console == NULL) {
				free(sock);
				return -1;
			}
			power_free(m->power);
			m->power = power_new(conf, mc, sock,
			    conf->mode == NET_LAB ? netlab_tap(conf, mc->name) : NULL,
			    machine_power, m);
			free(sock);
		} else if (mc->console) {
			m->console = console_open(mc->name, mc->console, machine_console,
			    machine_console_state, m, cause);
			if (m->console == NULL)
				return -1;
		}
		m->state = MS_OFFLINE;
		m->health = "ok";
		{
			char prev[32];

			if (db_machine_get_state(db, mc->name, prev, sizeof(prev)) == 1 &&
			    strcmp(prev, "maintenance") == 0) {
				m->state = MS_MAINTENANCE;
				continue;
			}
		}
		machine_set_state(m, MS_IDLE, "farmd started");
	}
	sched_kick();
	return 0;
}

void
sched_shutdown(void)
{
	size_t i;

	for (i = 0; i < S.nmachines; i++) {
		struct machine *m = &S.machines[i];

		if (m->job && !m->job->ended)
			job_end(m, RESULT_INFRA, -1, "farmd stopped while the job ran", "done");
		machine_stage(m, ST_NONE, 0);
		power_shutdown(m->power);
		power_free(m->power);
		console_free(m->console);
		rjob_free(m->job);
		m->job = NULL;  /* the next machine's job_end looks at every job */
		/* Maintenance is kept for the next start (sched_init reads it). */
		if (m->state != MS_MAINTENANCE)
			machine_set_state(m, MS_OFFLINE, "farmd stopped");
	}
	free(S.machines);
	S.machines = NULL;
	S.nmachines = 0;
	loop_timer_cancel(S.kick);
	S.kick = NULL;
	free(S.logs_dir);
}

int
sched_machine_set(const char *name, const char *to, const char *reason,
    long long health_job, char **cause)
{
	struct machine *m = NULL;
	size_t i;

	for (i = 0; i < S.nmachines; i++)
		if (strcmp(S.machines[i].conf->name, name) == 0)
			m = &S.machines[i];
	if (m == NULL) {
		*cause = xasprintf("no machine %s", name);
		return 404;
	}
	if (strcmp(to, "maintenance") == 0) {
		char *why = xasprintf("set to maintenance%s%s", reason ? ": " : "",
		    reason ? reason : "");

		m->health_job = 0;
		if (m->job)
			m->want_maintenance = 1;
		else
			machine_set_state(m, MS_MAINTENANCE, why);
		log_info("machine %s: %s%s", name, why, m->job ? " (after its job)" : "");
		free(why);
		return 200;
	}
	if (strcmp(to, "online") != 0) {
		*cause = xasprintf("state: \"%s\" is not maintenance or online", to);
		return 400;
	}
	m->want_maintenance = 0;
	m->infra_streak = 0;
	if (m->state != MS_MAINTENANCE)
		return 200;
	if (health_job > 0) {
		m->health_job = health_job;
		m->health = "checking";
		db_machine_state(S.db, name, "maintenance", "online asked: health check"
		    " queued");
		log_info("machine %s: online asked; health check job %lld first", name,
		    health_job);
	} else {
		m->health = "ok";
		machine_set_state(m, MS_IDLE, reason ? reason : "set online");
	}
	sched_kick();
	return 200;
}
