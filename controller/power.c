/*
 * power.c - the power backend table and what every backend shares.
 */
#include "power.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "loop.h"
#include "power_int.h"
#include "util.h"

#define POWER_CMD_TIMEOUT_MS 60000

/* Backends by machine kind. */
static const struct {
	enum machine_kind kind;
	const struct power_backend *be;
} power_backends[] = {
	{ MACHINE_QEMU, &power_qemu_backend },
	{ MACHINE_PHYSICAL, &power_cmd_backend },
};

static const struct power_backend *
power_backend_for(enum machine_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(power_backends); i++)
		if (power_backends[i].kind == kind)
			return power_backends[i].be;
	return NULL;
}

struct power *
power_new(const struct farm_conf *conf, const struct machine_conf *m,
    const char *console_path, const char *tap, power_cb cb, void *arg)
{
	struct power *p = xcalloc(1, sizeof(*p));

	p->be = power_backend_for(m->kind);
	p->conf = conf;
	p->m = m;
	p->dir = xasprintf("%s/machines/%s", conf->state_dir, m->name);
	p->console_path = console_path ? xstrdup(console_path) : NULL;
	p->tap = tap ? xstrdup(tap) : NULL;
	p->cb = cb;
	p->arg = arg;
	p->cmd_timeout_ms = POWER_CMD_TIMEOUT_MS;
	mkdir_p(p->dir, 0755);
	return p;
}

void
power_free(struct power *p)
{
	if (p == NULL)
		return;
	if (p->be && p->be->release)
		p->be->release(p);
	loop_child_forget(p->child);
	loop_timer_cancel(p->kill_timer);
	free(p->dir);
	free(p->dtb);
	free(p->console_path);
	free(p->tap);
	free(p->priv);
	free(p->snap_state);
	free(p);
}

int
power_on(struct power *p, const struct power_opts *opts, char **cause)
{
	if (p->be == NULL) {
		*cause = xasprintf("no power backend for machine %s", p->m->name);
		return -1;
	}
	if (power_is_on(p)) {
		*cause = xasprintf("machine %s is already on", p->m->name);
		return -1;
	}
	p->stopping = 0;
	free(p->dtb);
	p->dtb = p->m->dtb ? xstrdup(p->m->dtb) : NULL;
	return p->be->on(p, opts, cause);
}

const char *
power_dtb(const struct power *p)
{
	return p->dtb;
}

void
power_off(struct power *p)
{
	if (p->be && power_is_on(p))
		p->be->off(p);
}

int
power_is_on(const struct power *p)
{
	if (p->be && p->be->is_on)
		return p->be->is_on(p);
	return p->pid > 0;
}

int
power_snapshot_prepare(struct power *p)
{
	if (p->be && p->be->snapshot_prepare && power_is_on(p))
		return p->be->snapshot_prepare(p);
	return 0;
}

void
power_booted(struct power *p)
{
	if (p->be && p->be->booted)
		p->be->booted(p);
}

void
power_reap_stale(const struct farm_conf *conf, const struct machine_conf *m)
{
	const struct power_backend *be = power_backend_for(m->kind);

	if (be && be->reap_stale)
		be->reap_stale(conf, m);
}

void
power_shutdown(struct power *p)
{
	int i, status;

	if (p && p->be && p->be->shutdown) {
		p->be->shutdown(p);
		return;
	}
	if (p == NULL || p->pid <= 0)
		return;
	loop_child_forget(p->child);
	p->child = NULL;
	kill(p->pid, SIGTERM);
	for (i = 0; i < 30; i++) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid)
			break;
		usleep(100000);
	}
	if (i == 30) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &status, 0);
	}
	p->pid = 0;
}
