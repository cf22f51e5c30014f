/*
 * webhook.c - webhook delivery. Each event becomes a JSON file under
 * <state>/webhooks/ and one curl process per URL POSTs it (curl is run
 * with an argument vector, never through a shell; the URLs come from
 * farm.conf, the body from farmd). A failed POST (curl's exit status, or
 * an HTTP status >= 400 with --fail) is retried after 1, 2, 4 ... 60 s,
 * 8 tries in all; at most 64 deliveries are in flight or waiting, beyond
 * that the oldest waiting one is dropped with a warning.
 */
#include "webhook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "util.h"

#define WEBHOOK_TRIES 8
#define WEBHOOK_MAX 64

struct delivery {
	char *url;
	char *file;             /* the body */
	char *what;             /* "job 12 ended", for logs */
	int tries;
	pid_t pid;
	struct loop_timer *timer;
	struct delivery *next;
};

static struct {
	const struct farm_conf *conf;
	char *dir;
	struct delivery *list;
	int n;
	unsigned long long seq;
} W;

static void delivery_start(void *);

static void
delivery_free(struct delivery *d)
{
	struct delivery **pp;

	for (pp = &W.list; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	loop_timer_cancel(d->timer);
	unlink(d->file);
	free(d->url);
	free(d->file);
	free(d->what);
	free(d);
	W.n--;
}

static void
delivery_done(pid_t pid, int status, void *arg)
{
	struct delivery *d = arg;
	int64_t wait;

	(void)pid;
	d->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_debug("webhook %s: %s delivered", d->url, d->what);
		delivery_free(d);
		return;
	}
	if (d->tries >= WEBHOOK_TRIES) {
		log_warnx("webhook %s: %s not delivered after %d tries (curl status %d)",
		    d->url, d->what, d->tries, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		delivery_free(d);
		return;
	}
	wait = 1000LL << (d->tries - 1);
	if (wait > 60000)
		wait = 60000;
	log_info("webhook %s: %s failed (curl status %d), again in %lld s", d->url,
	    d->what, WIFEXITED(status) ? WEXITSTATUS(status) : -1, (long long)wait / 1000);
	d->timer = loop_timer_add(wait, delivery_start, d);
}

static void
delivery_start(void *arg)
{
	struct delivery *d = arg;
	char *data = xasprintf("@%s", d->file), *cause = NULL;
	const char *argv[] = { "curl", "-sS", "--fail", "--max-time", "10", "-X", "POST",
		"-H", "Content-Type: application/json", "-H", "User-Agent: farmd",
		"--data-binary", data, "--", d->url, NULL };

	d->timer = NULL;
	d->tries++;
	d->pid = proc_spawn(argv, NULL, &cause);
	free(data);
	if (d->pid < 0) {
		log_warnx("webhook %s: %s", d->url, cause);
		free(cause);
		d->pid = 0;
		delivery_done(0, 127 << 8, d);
		return;
	}
	loop_child_add(d->pid, delivery_done, d);
}

/* Queues one event (takes the JSON) for every URL. */
static void
webhook_send(const char *what, json_t *body)
{
	char *text;
	size_t i;

	if (W.conf == NULL || W.conf->nwebhooks == 0) {
		json_decref(body);
		return;
	}
	json_object_set_new(body, "at", json_integer(wall_ms()));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	for (i = 0; i < W.conf->nwebhooks; i++) {
		struct delivery *d, **pp;

		if (W.n >= WEBHOOK_MAX) {
			/* Drop the oldest that is only waiting. */
			for (d = W.list; d && d->pid; d = d->next)
				;
			if (d == NULL) {
				log_warnx("webhook: too many deliveries in flight; %s dropped",
				    what);
				continue;
			}
			log_warnx("webhook %s: %s dropped (queue full)", d->url, d->what);
			delivery_free(d);
		}
		d = xcalloc(1, sizeof(*d));
		d->url = xstrdup(W.conf->webhooks[i]);
		d->what = xstrdup(what);
		d->file = xasprintf("%s/%llu.json", W.dir, ++W.seq);
		if (write_file_atomic(d->file, text, strlen(text), 0600) < 0) {
			log_warn("webhook: %s", d->file);
			free(d->url);
			free(d->what);
			free(d->file);
			free(d);
			continue;
		}
		for (pp = &W.list; *pp; pp = &(*pp)->next)
			;
		*pp = d;
		W.n++;
		delivery_start(d);
	}
	free(text);
}

void
webhook_job(const struct job *j)
{
	char *what = xasprintf("job %lld ended", j->id);

	webhook_send(what, json_pack("{s:s,s:I,s:I,s:s,s:s?,s:s,s:s?,s:o,s:s?}",
	    "event", "job.end", "job", (json_int_t)j->id, "run", (json_int_t)j->run,
	    "test", j->test, "machine", j->machine, "state", j->state,
	    "result", j->result[0] ? j->result : NULL,
	    "exit_code", j->exit_code >= 0 ? json_integer(j->exit_code) : json_null(),
	    "reason", j->reason && *j->reason ? j->reason : NULL));
	free(what);
}

void
webhook_run(long long run, int njobs, int npass, int nfail, int nother)
{
	char *what = xasprintf("run %lld ended", run);

	webhook_send(what, json_pack("{s:s,s:I,s:i,s:i,s:i,s:i,s:s}", "event", "run.end",
	    "run", (json_int_t)run, "jobs", njobs, "pass", npass, "fail", nfail,
	    "other", nother, "verdict", nother ? "error" : nfail ? "fail" : "pass"));
	free(what);
}

void
webhook_machine(const char *name, const char *state, const char *health,
    const char *reason)
{
	char *what = xasprintf("machine %s %s", name, state);

	webhook_send(what, json_pack("{s:s,s:s,s:s,s:s,s:s?}", "event", "machine.state",
	    "machine", name, "state", state, "health", health, "reason", reason));
	free(what);
}

void
webhook_init(const struct farm_conf *conf)
{
	W.conf = conf;
	W.dir = xasprintf("%s/webhooks", conf->state_dir);
	if (mkdir_p(W.dir, 0700) < 0)
		log_warn("webhook: %s", W.dir);
}

void
webhook_free(void)
{
	while (W.list) {
		struct delivery *d = W.list;

		if (d->pid > 0)
			kill(d->pid, SIGTERM);
		delivery_free(d);
	}
	free(W.dir);
	W.dir = NULL;
	W.conf = NULL;
}
