/*
 * stubs.c - what sched.c drives, played by the sched fuzz harness: the
 * power backends, the consoles, the event loop's timers, the lab network
 * and the process helpers (metrics and webhooks: stub_events.c). Nothing
 * here starts a process or touches the network. Timers and power events
 * are queued and fired by the harness (stub_run), in order of a virtual
 * clock, so a fuzz input decides when deadlines pass and when a machine
 * stops, and a run is reproducible.
 */
#include "stubs.h"

#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "loop.h"
#include "netlab.h"
#include "power.h"
#include "proc.h"
#include "util.h"

struct loop_timer {
	int64_t when;
	uint64_t order;
	loop_timer_cb cb;
	void *arg;
	struct loop_timer *next;
};

struct power {
	power_cb cb;
	void *arg;
	int on;
	int stopping;
};

struct console {
	console_data_cb data;
	void *arg;
};

struct stub_state stub;

static struct loop_timer *timers;
static uint64_t timer_order;

struct loop_timer *
loop_timer_add(int64_t ms, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t)), **p;

	t->when = stub.now + (ms > 0 ? ms : 0);
	t->order = timer_order++;
	t->cb = cb;
	t->arg = arg;
	for (p = &timers; *p && ((*p)->when < t->when ||
	    ((*p)->when == t->when && (*p)->order < t->order)); p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
	return t;
}

void
loop_timer_cancel(struct loop_timer *t)
{
	struct loop_timer **p;

	if (t == NULL)
		return;
	for (p = &timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			free(t);
			return;
		}
	}
	abort();                /* cancelling a timer that is not there */
}

int
stub_run(int64_t until)
{
	struct loop_timer *t;
	int n = 0;

	while ((t = timers) != NULL && t->when <= until) {
		timers = t->next;
		if (t->when > stub.now)
			stub.now = t->when;
		t->cb(t->arg);
		free(t);
		n++;
	}
	if (until > stub.now && until != INT64_MAX)
		stub.now = until;
	return n;
}

int64_t
stub_next_timer(void)
{
	return timers ? timers->when : -1;
}

void
stub_reset(void)
{
	struct loop_timer *t;

	while ((t = timers) != NULL) {
		timers = t->next;
		free(t);
	}
	free(stub.console);
	memset(&stub, 0, sizeof(stub));
}

/* A power event arrives on the loop, as from a child's exit. */
static void
power_stopped_later(void *arg)
{
	struct power *p = arg;
	int by_us = p->stopping;

	p->on = 0;
	p->stopping = 0;
	stub.power_off_pending = 0;
	p->cb(p->arg, POWER_STOPPED, 0, by_us, NULL);
}

struct power *
power_new(const struct farm_conf *conf, const struct machine_conf *m,
    const char *console_path, const char *tap, power_cb cb, void *arg)
{
	struct power *p = xcalloc(1, sizeof(*p));

	(void)conf;
	(void)m;
	(void)console_path;
	(void)tap;
	p->cb = cb;
	p->arg = arg;
	stub.power = p;
	return p;
}

void
power_free(struct power *p)
{
	if (stub.power == p)
		stub.power = NULL;
	free(p);
}

int
power_on(struct power *p, const struct power_opts *opts, char **cause)
{
	(void)opts;
	if (stub.power_on_fails) {
		*cause = xstrdup("the stub was told to fail");
		return -1;
	}
	if (p->on) {
		*cause = xstrdup("already on");
		return -1;
	}
	p->on = 1;
	stub.power_ons++;
	return 0;
}

void
power_off(struct power *p)
{
	if (!p->on || p->stopping)
		return;
	p->stopping = 1;
	stub.power_off_pending = 1;
	loop_timer_add(10, power_stopped_later, p);
}

int
power_is_on(const struct power *p)
{
	return p->on;
}

const char *
power_dtb(const struct power *p)
{
	(void)p;
	return NULL;
}

/* The stub machine has no saved state: every boot is answered its job. */
int
power_snapshot_prepare(struct power *p)
{
	(void)p;
	return 0;
}

void
power_booted(struct power *p)
{
	(void)p;
}

void
power_shutdown(struct power *p)
{
	if (p)
		p->on = 0;
}

void
power_reap_stale(const struct farm_conf *conf, const struct machine_conf *m)
{
	(void)conf;
	(void)m;
}

void
stub_power_stops(int status)
{
	struct power *p = stub.power;

	if (p == NULL || !p->on || p->stopping)
		return;
	p->on = 0;
	p->cb(p->arg, POWER_STOPPED, status, 0, NULL);
}

static struct console *
stub_console(console_data_cb data, void *arg)
{
	struct console *c = xcalloc(1, sizeof(*c));

	c->data = data;
	c->arg = arg;
	free(stub.console);
	stub.console = c;
	return c;
}

struct console *
console_unix(const char *name, const char *path, console_data_cb data,
    console_state_cb state, void *arg, char **cause)
{
	(void)name;
	(void)path;
	(void)state;
	(void)cause;
	return stub_console(data, arg);
}

struct console *
console_open(const char *name, const char *spec, console_data_cb data,
    console_state_cb state, void *arg, char **cause)
{
	(void)name;
	(void)spec;
	(void)state;
	(void)cause;
	return stub_console(data, arg);
}

void
console_free(struct console *c)
{
	if (c != NULL && c == stub.console)
		stub.console = NULL;
	free(c);
}

void
stub_console_bytes(const char *data, size_t len)
{
	if (stub.console)
		stub.console->data(stub.console->arg, data, len);
}

const char *
netlab_tap(const struct farm_conf *conf, const char *machine)
{
	(void)conf;
	(void)machine;
	return NULL;
}

char *
proc_log_tail(const char *path)
{
	(void)path;
	return xstrdup("");
}

