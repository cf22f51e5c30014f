/*
 * test_sched.c - the scheduler's decisions, as a table. Each row is a
 * small farm (machines with an arch, tags, and maybe maintenance or power
 * that fails), a queue (jobs with a priority and a target: a machine, or a
 * tag selector, the arch being one tag), a sequence of events (boot
 * requests, app fetches, console output, results POSTs, done queries,
 * time passing past deadlines, power failures, cancels, maintenance and
 * health checks, a farmd restart) and what must hold after them: which
 * job is where and how it ended, each machine's state, health and boot
 * count, the script a machine was answered last.
 *
 * The real sched.c, db.c (sqlite in memory), boot.c, results.c and
 * config.c run; power, consoles and the loop's timers are the stubs of the
 * sched fuzz harness (tests/fuzz/sched/stubs.c, stub_events.c), compiled
 * in from there, on a virtual clock. Those stubs know one machine, so a
 * few of their functions are wrapped at link time (tests/unit/sched.mk:
 * -Wl,--wrap): each machine gets its own console and its own power-on
 * failures, and the test knows each machine's power.
 *
 * Every event is followed by the timers due at that instant (the loop
 * turning), so a kick's dispatch has happened before the next event.
 * A failing row names itself and lists every expectation it missed.
 *
 * The little languages, one statement per ';':
 *   boot M          M asks for its boot script (GET /ipxe/<mac>)
 *   fetch M         M fetches the app of the job in its last script
 *   run M           boot M; fetch M
 *   out M           console: one PASS line (first output, the test goes on)
 *   pass|fail|skip|abort M   console: the case, SUMMARY and EXIT lines
 *   post M CODE     results POST with the job token, exit_code CODE
 *   done M RC       GET /ipxe/<mac>/done for the job in M's last script
 *   setupfail M     the same with stage=setup (the script broke, rc 1)
 *   wait T          time passes: 500ms, 61s
 *   powerfail M     M's next power on fails
 *   stops M S       M's machine stops by itself, exit status S
 *   killed M        M's machine is killed by a signal (not by farmd)
 *   drop M, back M  M's network console is lost / comes back
 *   cancel J        cancels job J
 *   queue J         queues a job of the row marked late
 *   maint M         farmctl machine set M maintenance
 *   online M        farmctl machine set M online (no health check)
 *   health M        the same with farm.conf's health_check: job hc.M
 *                   (priority 1000, for M only) must pass first
 *   restart         farmd stops (sched_shutdown) and starts again
 *   check TOKENS    the expectations below, now
 * and the expectations, separated by blanks:
 *   J=queued | J=cancelled | J=STATE@M (assigned, booting, running) |
 *   J=RESULT@M (done: pass fail skip error infra timeout) | J=none
 *     J is a job of the row, hc.M (M's health check), or either followed
 *     by '+' (its retry after infra), '++' (the retry's retry)
 *   M=STATE         offline idle booting running maintenance
 *   M.health=H      ok failing checking
 *   M.boots=N       power ons that worked
 *   M>J | M>idle    the last script M was answered: J's job, or idle
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <unistd.h>

#include "config.h"
#include "console.h"
#include "db.h"
#include "log.h"
#include "power.h"
#include "sched.h"
#include "stubs.h"
#include "util.h"

#define MAXM 10
#define MAXJ 12
#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct mspec {
	const char *name;
	const char *arch;       /* NULL: x86_64 */
	const char *tags;       /* farm.conf's tags line */
	int maintenance;        /* set to maintenance before the first dispatch */
	int power_fails;        /* this many power ons fail, from the start */
	int physical;           /* kind = physical with a tcp: console */
};

struct jspec {
	const char *name;
	int priority;
	const char *machine;    /* the target machine, or NULL: tags */
	const char *tags;       /* the tag selector, blank-separated */
	int late;               /* queued by "queue NAME", not at the start */
	int smp;
};

struct row {
	const char *name;
	unsigned max_infra;     /* 0: farm.conf's default (3) */
	struct mspec m[MAXM];
	struct jspec j[MAXJ];
	const char *events;
	const char *expect;
};

/* ---- the table ---- */

#define PASSED(M) "run " M "; pass " M
static const struct row rows[] = {
	/* Order: priority, then FIFO; what fits where. */
	{ "one job, one machine: dispatched, passes, machine off and idle",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "check j1=booting@a a=booting a.boots=1; run a; check j1=running@a"
	      " a=running; pass a; done a 0; wait 1s",
	  .expect = "j1=pass@a j1+=none a>idle a=idle a.boots=1" },
	{ "FIFO within a priority",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2" }, { "j3" } },
	  .events = "check j1=booting@a j2=queued j3=queued; " PASSED("a") "; wait 5s",
	  .expect = "j1=pass@a j2=booting@a j3=queued a.boots=2" },
	{ "higher priority first, then the next priority",
	  .m = { { "a" } }, .j = { { "j1", 0 }, { "j2", 10 }, { "j3", 5 } },
	  .events = "check j2=booting@a j1=queued j3=queued; " PASSED("a") "; wait 5s",
	  .expect = "j2=pass@a j3=booting@a j1=queued" },
	{ "a later job of higher priority overtakes the queue",
	  .m = { { "a" } },
	  .j = { { "j1" }, { "j2", 0, .late = 1 }, { "j3", 9, .late = 1 } },
	  .events = "queue j2; queue j3; " PASSED("a") "; wait 5s",
	  .expect = "j1=pass@a j3=booting@a j2=queued" },
	{ "FIFO across machines: each idle machine takes the oldest job",
	  .m = { { "a" }, { "b" } }, .j = { { "j1" }, { "j2" }, { "j3" } },
	  .expect = "j1=booting@a j2=booting@b j3=queued" },
	{ "a job for a named machine goes there only",
	  .m = { { "a" }, { "b" } }, .j = { { "j1", .machine = "b" } },
	  .expect = "j1=booting@b a=idle a.boots=0" },
	{ "a job for a busy named machine waits, other machines idle",
	  .m = { { "a" }, { "b" } },
	  .j = { { "j1", .machine = "b" }, { "j2", .machine = "b" } },
	  .expect = "j1=booting@b j2=queued a=idle" },
	{ "a tag selector needs every tag",
	  .m = { { "a", NULL, "fast" }, { "b", NULL, "smoke" }, { "c", NULL, "fast smoke" } },
	  .j = { { "j1", .tags = "fast smoke" } },
	  .expect = "j1=booting@c a=idle b=idle" },
	{ "no machine has every tag: the job stays queued",
	  .m = { { "a", NULL, "fast" }, { "b", NULL, "smoke" } },
	  .j = { { "j1", .tags = "fast smoke" } },
	  .events = "wait 10s",
	  .expect = "j1=queued a=idle b=idle" },
	{ "the arch is a tag",
	  .m = { { "a" }, { "b", "aarch64" } },
	  .j = { { "j1", .tags = "arch=aarch64" }, { "j2", .tags = "arch=x86_64" } },
	  .expect = "j1=booting@b j2=booting@a" },
	{ "arch and tags together",
	  .m = { { "a", NULL, "fast" }, { "b", "aarch64" }, { "c", "aarch64", "fast" } },
	  .j = { { "j1", .tags = "arch=aarch64 fast" } },
	  .expect = "j1=booting@c a=idle b=idle" },
	{ "a job that fits nowhere does not hold up the jobs behind it",
	  .m = { { "a", NULL, "fast" } },
	  .j = { { "j1", .tags = "smoke" }, { "j2", .tags = "fast" } },
	  .expect = "j1=queued j2=booting@a" },
	{ "a high-priority job for a busy machine does not hold up another",
	  .m = { { "a" }, { "b" } },
	  .j = { { "j1", 0, "a" }, { "j2", 9, "a" }, { "j3", 0 } },
	  .expect = "j2=booting@a j3=booting@b j1=queued" },
	{ "every idle machine gets a job in one go (more than a turn's 8)",
	  .m = { { "m0" }, { "m1" }, { "m2" }, { "m3" }, { "m4" }, { "m5" }, { "m6" },
	      { "m7" }, { "m8" }, { "m9" } },
	  .j = { { "j0" }, { "j1" }, { "j2" }, { "j3" }, { "j4" }, { "j5" }, { "j6" },
	      { "j7" }, { "j8" }, { "j9" }, { "j10" } },
	  .expect = "j0=booting@m0 j7=booting@m7 j8=booting@m8 j9=booting@m9"
	      " j10=queued m9=booting" },

	/* Maintenance. */
	{ "a machine in maintenance gets nothing",
	  .m = { { "a", .maintenance = 1 }, { "b" } }, .j = { { "j1" }, { "j2" } },
	  .events = "wait 10s",
	  .expect = "j1=booting@b j2=queued a=maintenance a.boots=0" },
	{ "a job for a machine in maintenance waits for it",
	  .m = { { "a", .maintenance = 1 }, { "b" } }, .j = { { "j1", .machine = "a" } },
	  .events = "wait 10s; check j1=queued; online a",
	  .expect = "j1=booting@a a=booting" },
	{ "maintenance asked during a job: after it, and no warm chaining",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2" } },
	  .events = "run a; maint a; check a=running; pass a; done a 0; wait 1s",
	  .expect = "a>idle j1=pass@a j2=queued a=maintenance" },
	{ "maintenance survives a farmd restart",
	  .m = { { "a", .maintenance = 1 } }, .j = { { "j1" } },
	  .events = "restart; wait 1s",
	  .expect = "a=maintenance j1=queued" },

	/* Retries after infra, and only after infra. */
	{ "infra (no boot request): retried once, on another matching machine",
	  .m = { { "a", NULL, "fast" }, { "b", NULL, "fast" } },
	  .j = { { "j1", .tags = "fast" } },
	  .events = "wait 61s",
	  .expect = "j1=infra@a j1+=booting@b a=idle" },
	{ "a retry waits for the other matching machine when it is busy",
	  .m = { { "a", NULL, "fast" }, { "b", NULL, "fast" } },
	  .j = { { "j1", .tags = "fast" }, { "j2", .tags = "fast" } },
	  .events = "run b; out b; wait 61s; check j1=infra@a j1+=queued a=idle; pass b;"
	      " done b 0",
	  .expect = "b>j1+ j1+=booting@b" },
	{ "a retry whose other machines are in maintenance runs where it can",
	  .m = { { "a", NULL, "fast" }, { "b", NULL, "fast", .maintenance = 1 } },
	  .j = { { "j1", .tags = "fast" } },
	  .events = "wait 61s; wait 1s",
	  .expect = "j1=infra@a j1+=booting@a" },
	{ "a retry is retried no more",
	  .m = { { "a" }, { "b" } }, .j = { { "j1" } },
	  .events = "wait 61s; check j1+=booting@b; wait 61s",
	  .expect = "j1=infra@a j1+=infra@b j1++=none" },
	{ "a retry of a job for a named machine stays on that machine",
	  .m = { { "a" }, { "b" } }, .j = { { "j1", .machine = "a" } },
	  .events = "wait 61s",
	  .expect = "j1=infra@a j1+=booting@a b=idle" },
	{ "a retry with no other matching machine runs on the same one",
	  .m = { { "a", NULL, "fast" }, { "b", NULL, "smoke" } },
	  .j = { { "j1", .tags = "fast" } },
	  .events = "wait 61s",
	  .expect = "j1=infra@a j1+=booting@a b=idle" },
	{ "a retry queues behind the jobs already waiting",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2" } },
	  .events = "wait 61s",
	  .expect = "j1=infra@a j2=booting@a j1+=queued" },
	{ "fail is the test's verdict: never retried",
	  .m = { { "a" }, { "b" } }, .j = { { "j1" } },
	  .events = "run a; fail a; wait 5s",
	  .expect = "j1=fail@a j1+=none a=idle b=idle b.boots=0" },
	{ "timeout (no output after the fetch): never retried",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "run a; wait 31s; wait 1s",
	  .expect = "j1=timeout@a j1+=none a=idle" },
	{ "timeout (the test deadline) with output seen: never retried",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "run a; out a; wait 119s; check j1=running@a; wait 2s; wait 1s",
	  .expect = "j1=timeout@a j1+=none" },
	{ "error (the test aborted): never retried",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "run a; abort a; done a 1",
	  .expect = "j1=error@a j1+=none" },
	{ "skip (exit 77) is the test's verdict",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "run a; skip a; done a 0",
	  .expect = "j1=skip@a j1+=none" },
	{ "the app returns non-zero without a result: error, not retried",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "run a; done a 1",
	  .expect = "j1=error@a j1+=none" },
	{ "the boot script breaks before the app (stage=setup): infra, retried",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "boot a; setupfail a; wait 1s",
	  .expect = "j1=infra@a j1+=booting@a" },
	{ "the app is never fetched: infra, retried",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "boot a; wait 29s; check j1=booting@a; wait 2s",
	  .expect = "j1=infra@a j1+=booting@a a.boots=2" },
	{ "power on fails: infra at once, retried on another machine",
	  .m = { { "a", .power_fails = 1 }, { "b" } }, .j = { { "j1" } },
	  .expect = "j1=infra@a j1+=booting@b a=idle a.boots=0 b.boots=1" },
	{ "power on fails for a later job: that job is infra, its retry runs",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2" } },
	  .events = "powerfail a; " PASSED("a") "; wait 5s",
	  .expect = "j1=pass@a j2=infra@a j2+=booting@a a.boots=2" },
	{ "the machine stops before its boot request: infra, retried",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "stops a 0",
	  .expect = "j1=infra@a j1+=booting@a" },
	{ "the machine is killed during the test: infra, retried",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "run a; out a; killed a",
	  .expect = "j1=infra@a j1+=booting@a" },
	{ "the machine exits with the test's status (isa-debug-exit 1): pass",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "run a; out a; stops a 1",
	  .expect = "j1=pass@a j1+=none a=idle" },
	{ "a results POST decides: exit code 1 is fail",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2" } },
	  .events = "run a; post a 1; done a 0; fetch a; post a 0",
	  .expect = "j1=fail@a j2=pass@a j1+=none" },
	{ "a lost network console is noted, the job goes on",
	  .m = { { "p", .physical = 1 } }, .j = { { "j1" } },
	  .events = "run p; out p; drop p; check j1=running@p; back p; pass p; done p 0",
	  .expect = "j1=pass@p p>idle" },

	/* Health: infra in a row, maintenance, the health check. */
	{ "max_infra infra results in a row: maintenance, jobs wait",
	  .max_infra = 2, .m = { { "a", .power_fails = 99 } },
	  .j = { { "j1" }, { "j2" }, { "j3" } },
	  .expect = "j1=infra@a j2=infra@a j1+=queued j2+=queued j3=queued"
	      " a=maintenance a.health=failing" },
	{ "a result that is not infra ends the streak",
	  .max_infra = 2, .m = { { "a" } }, .j = { { "j1" }, { "j2" }, { "j3" } },
	  .events = "wait 61s; check j1=infra@a; run a; pass a; wait 5s; wait 61s",
	  .expect = "j2=pass@a j3=infra@a a.health=ok a=booting" },
	{ "after maintenance for infra, the other machines take the work",
	  .max_infra = 1, .m = { { "a", .power_fails = 1 }, { "b" } },
	  .j = { { "j1" }, { "j2" } },
	  .events = PASSED("b") "; done b 0",
	  .expect = "j1=infra@a a=maintenance j2=pass@b b>j1+ j1+=booting@b" },
	{ "the health check runs first, alone, then the machine takes jobs",
	  .m = { { "a", .maintenance = 1 } },
	  .j = { { "j1", 2000, "a" }, { "j2" } },
	  .events = "health a; check hc.a=booting@a a.health=checking j1=queued; "
	      PASSED("a") "; done a 0",
	  .expect = "hc.a=pass@a a.health=ok a>j1 j1=booting@a j2=queued" },
	{ "a failed health check: the machine stays in maintenance",
	  .m = { { "a", .maintenance = 1 } }, .j = { { "j1" } },
	  .events = "health a; run a; fail a; done a 0; wait 1s",
	  .expect = "hc.a=fail@a hc.a+=none a>idle a=maintenance a.health=failing"
	      " j1=queued" },
	{ "online after max_infra: the health check passes, back to work",
	  .max_infra = 1, .m = { { "a", .power_fails = 1 } }, .j = { { "j1" } },
	  .events = "check a=maintenance j1+=queued; health a; " PASSED("a") "; wait 5s",
	  .expect = "hc.a=pass@a a.health=ok j1+=booting@a" },

	/* Warm chaining. */
	{ "warm chaining: done answers the next queued job, no reboot",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2" } },
	  .events = PASSED("a") "; done a 0; check a>j2 j2=booting@a; fetch a; pass a;"
	      " done a 0; wait 1s",
	  .expect = "j1=pass@a j2=pass@a a>idle a=idle a.boots=1" },
	{ "warm chaining after a failed test too",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2" } },
	  .events = "run a; fail a; done a 0",
	  .expect = "j1=fail@a a>j2 j2=booting@a a.boots=1" },
	{ "warm chaining only takes a job that fits the machine",
	  .m = { { "a" }, { "b" } },
	  .j = { { "j1", .machine = "a" }, { "j2", .machine = "b" }, { "j3", .machine = "b" } },
	  .events = PASSED("a") "; done a 0",
	  .expect = "a>idle j3=queued j2=booting@b" },
	{ "warm chaining skips a job that needs another -smp",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2", .smp = 2 }, { "j3" } },
	  .events = PASSED("a") "; done a 0",
	  .expect = "a>j3 j2=queued a.boots=1" },

	/* Cancel. */
	{ "a cancelled queued job never runs",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2" } },
	  .events = "cancel j2; " PASSED("a") "; done a 0",
	  .expect = "j2=cancelled a>idle j1=pass@a" },
	{ "a cancelled running job frees its machine, is not retried",
	  .m = { { "a" } }, .j = { { "j1" }, { "j2" } },
	  .events = "run a; cancel j1; wait 100ms",
	  .expect = "j1=cancelled j1+=none j2=booting@a a.boots=2" },

	/* Restart. */
	{ "farmd stops under a job: infra, retried after the restart",
	  .m = { { "a" } }, .j = { { "j1" } },
	  .events = "run a; restart",
	  .expect = "j1=infra@a j1+=booting@a" },
};

/* ---- the world the rows run in ---- */

static char state_dir[] = "/tmp/farm-test-sched.XXXXXX";

static struct {
	const struct row *row;
	struct farm_conf *conf;
	struct db *db;
	long long job_id[MAXJ];         /* 0 until queued */
	long long health_id[MAXM];
	struct power *power[MAXM];
	int power_fails[MAXM];
	console_data_cb con_data[MAXM];
	console_state_cb con_state[MAXM];
	void *con_arg[MAXM];
	long long script_job[MAXM];     /* of the last script: 0 idle, -1 none */
	char token[MAXM][80];
	long long token_job[MAXM];      /* the job the token is for */
	struct buf errs;
	const char *where;              /* the statement being run */
} T;

static void miss(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records one missed expectation (or a mistake in the row). */
static void
miss(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	buf_printf(&T.errs, "\n    %s: %s", T.where ? T.where : "at the end", msg);
	free(msg);
}

static int
machine_index(const char *name)
{
	int i;

	for (i = 0; i < MAXM && T.row->m[i].name; i++)
		if (strcmp(T.row->m[i].name, name) == 0)
			return i;
	return -1;
}

static int
job_index(const char *name)
{
	int i;

	for (i = 0; i < MAXJ && T.row->j[i].name; i++)
		if (strcmp(T.row->j[i].name, name) == 0)
			return i;
	return -1;
}

/* ---- the stubs' wraps (-Wl,--wrap, tests/unit/sched.mk) ---- */

struct power *__real_power_new(const struct farm_conf *, const struct machine_conf *,
    const char *, const char *, power_cb, void *);
struct power *__wrap_power_new(const struct farm_conf *, const struct machine_conf *,
    const char *, const char *, power_cb, void *);
int __real_power_on(struct power *, const struct power_opts *, char **);
int __wrap_power_on(struct power *, const struct power_opts *, char **);
struct console *__wrap_console_unix(const char *, const char *, console_data_cb,
    console_state_cb, void *, char **);
struct console *__wrap_console_open(const char *, const char *, console_data_cb,
    console_state_cb, void *, char **);

/* The stub's power, remembered per machine. */
struct power *
__wrap_power_new(const struct farm_conf *conf, const struct machine_conf *m,
    const char *console_path, const char *tap, power_cb cb, void *arg)
{
	struct power *p = __real_power_new(conf, m, console_path, tap, cb, arg);
	int i = machine_index(m->name);

	if (i >= 0)
		T.power[i] = p;
	return p;
}

/* The stub's power on, unless the machine's power is to fail. */
int
__wrap_power_on(struct power *p, const struct power_opts *opts, char **cause)
{
	int i;

	for (i = 0; i < MAXM; i++) {
		if (T.power[i] == p && T.power_fails[i] > 0) {
			T.power_fails[i]--;
			*cause = xstrdup("simulated: the BMC does not answer");
			return -1;
		}
	}
	return __real_power_on(p, opts, cause);
}

/* A console per machine (the stub keeps one): what sched.c gets is only a
 * handle, freed by the stub's console_free. */
static struct console *
wrap_console(const char *name, console_data_cb data, console_state_cb state,
    void *arg)
{
	int i = machine_index(name);

	if (i >= 0) {
		T.con_data[i] = data;
		T.con_state[i] = state;
		T.con_arg[i] = arg;
	}
	return xcalloc(1, 16);
}

struct console *
__wrap_console_unix(const char *name, const char *path, console_data_cb data,
    console_state_cb state, void *arg, char **cause)
{
	(void)path;
	(void)cause;
	return wrap_console(name, data, state, arg);
}

struct console *
__wrap_console_open(const char *name, const char *spec, console_data_cb data,
    console_state_cb state, void *arg, char **cause)
{
	(void)spec;
	(void)cause;
	return wrap_console(name, data, state, arg);
}

/* ---- jobs ---- */

static char **
split_words(const char *s, size_t *n)
{
	char **v = xcalloc(1, sizeof(char *));
	size_t len;

	*n = 0;
	while (s && *s) {
		s += strspn(s, " ");
		len = strcspn(s, " ");
		if (len == 0)
			break;
		v = xrealloc(v, (*n + 2) * sizeof(char *));
		v[(*n)++] = xstrndup(s, len);
		v[*n] = NULL;
		s += len;
	}
	return v;
}

static void
words_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Queues one job as the API does: state queued, attempt 1. */
static long long
insert_job(const char *test, int priority, const char *machine, const char *tags,
    int smp, int attempt)
{
	struct job j;
	long long id;

	memset(&j, 0, sizeof(j));
	j.run = db_run_create(T.db);
	j.test = xstrdup(test);
	j.app = xstrdup(SHA);
	j.app_name = xstrdup("t.efi");
	j.target_machine = machine ? xstrdup(machine) : NULL;
	j.tags = split_words(tags, &j.ntags);
	j.priority = priority;
	j.timeout = 120;
	j.smp = smp;
	snprintf(j.state, sizeof(j.state), "queued");
	j.exit_code = -1;
	j.boot_ms = -1;
	j.queued_at = wall_ms();
	j.attempt = attempt;
	if (db_job_insert(T.db, &j) < 0)
		fail_msg("%s: db_job_insert %s", T.row->name, test);
	id = j.id;
	job_clear(&j);
	return id;
}

static void
queue_job(int k)
{
	const struct jspec *js = &T.row->j[k];

	T.job_id[k] = insert_job(js->name, js->priority, js->machine, js->tags, js->smp, 1);
}

/* The job that retried id, 0 when none. */
static long long
retry_of(long long id)
{
	struct job_filter f = { .limit = 1000 };
	struct job *v;
	size_t n, i;
	long long found = 0;

	if (db_jobs_list(T.db, &f, &v, &n) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i].retry_of == id)
			found = v[i].id;
	db_jobs_free(v, n);
	return found;
}

/* A job by its name in the row ("j1", "hc.a", "j1+"): its id, 0 when it
 * does not exist (yet), -1 when the row names none such. */
static long long
job_by_name(const char *name)
{
	size_t len = strcspn(name, "+");
	char *base = xstrndup(name, len);
	long long id = -1;
	int k;

	if (strncmp(base, "hc.", 3) == 0 && (k = machine_index(base + 3)) >= 0)
		id = T.health_id[k];
	else if ((k = job_index(base)) >= 0)
		id = T.job_id[k];
	free(base);
	for (; id > 0 && name[len] == '+'; len++)
		id = retry_of(id);
	return id;
}

/* The name of job id in the row's terms, for messages; static buffer. */
static const char *
job_name(long long id)
{
	static char s[64];
	long long base = id;
	int plus = 0, k;
	struct job j;

	while (base > 0 && db_job_get(T.db, base, &j) == 1) {
		long long up = j.retry_of;

		job_clear(&j);
		if (up == 0)
			break;
		base = up;
		plus++;
	}
	snprintf(s, sizeof(s), "job %lld", id);
	for (k = 0; k < MAXJ; k++)
		if (T.job_id[k] == base && base > 0)
			snprintf(s, sizeof(s), "%s%.*s", T.row->j[k].name, plus, "++++++++");
	for (k = 0; k < MAXM; k++)
		if (T.health_id[k] == base && base > 0)
			snprintf(s, sizeof(s), "hc.%s%.*s", T.row->m[k].name, plus, "++++++++");
	return s;
}

/* What the row language says of a job: queued, cancelled, STATE@M,
 * RESULT@M, none. Caller frees. */
static char *
job_says(long long id)
{
	struct job j;
	char *s;

	if (id <= 0 || db_job_get(T.db, id, &j) != 1)
		return xstrdup("none");
	if (strcmp(j.state, "queued") == 0 || strcmp(j.state, "cancelled") == 0)
		s = xstrdup(j.state);
	else
		s = xasprintf("%s@%s", strcmp(j.state, "done") == 0 ? j.result : j.state,
		    j.machine ? j.machine : "?");
	job_clear(&j);
	return s;
}

/* ---- machines ---- */

static char *
mac_of(int i)
{
	return xasprintf("52-54-00-f0-01-%02x", i + 1);
}

/* Remembers the last script machine i got: a job script (its job and
 * token) or idle. */
static void
note_script(int i, char *s)
{
	const char *t, *jb;

	if (s == NULL || strncmp(s, "#!ipxe\n", 7) != 0) {
		miss("machine %s was answered something that is not an iPXE script",
		    T.row->m[i].name);
		free(s);
		return;
	}
	t = strstr(s, " FARM_TOKEN=");
	jb = strstr(s, " FARM_JOB=");
	if (t && jb) {
		t += strlen(" FARM_TOKEN=");
		snprintf(T.token[i], sizeof(T.token[i]), "%.*s", (int)strcspn(t, " \n"), t);
		T.token_job[i] = T.script_job[i] = strtoll(jb + strlen(" FARM_JOB="), NULL, 10);
	} else {
		T.script_job[i] = 0;
	}
	free(s);
}

/* A machine is booting or running exactly while it has a job. */
static void
check_machines(void)
{
	struct machine_info mi;
	size_t i;
	int busy;

	for (i = 0; sched_machine_info(i, &mi) == 0; i++) {
		busy = strcmp(mi.state, "booting") == 0 || strcmp(mi.state, "running") == 0;
		if (busy != (mi.job != 0))
			miss("machine %s is %s with %s", mi.conf->name, mi.state,
			    mi.job ? job_name(mi.job) : "no job");
	}
}

/* ---- events ---- */

struct ctx {
	int m;                  /* the machine named, -1 when none */
	char **argv;
	size_t argc;
};

static void
console_says(int i, const char *text)
{
	if (T.con_data[i] == NULL) {
		miss("machine %s has no console", T.row->m[i].name);
		return;
	}
	T.con_data[i](T.con_arg[i], text, strlen(text));
}

static void
ev_boot(struct ctx *c)
{
	char *mac = mac_of(c->m);

	note_script(c->m, sched_boot_script(mac, "test", "x86_64", "efi"));
	free(mac);
}

static void
ev_fetch(struct ctx *c)
{
	char id[24];

	if (T.script_job[c->m] <= 0) {
		miss("machine %s has no job script to fetch the app of", T.row->m[c->m].name);
		return;
	}
	snprintf(id, sizeof(id), "%lld", T.script_job[c->m]);
	sched_app_fetched(id, SHA);
}

static void
ev_run(struct ctx *c)
{
	ev_boot(c);
	stub_run(stub.now);
	ev_fetch(c);
}

static void
ev_out(struct ctx *c)
{
	console_says(c->m, "PASS: first\n");
}

static void
ev_pass(struct ctx *c)
{
	console_says(c->m, "PASS: t\nSUMMARY: 1 tests\nEXIT: STATUS=1\n");
}

static void
ev_fail(struct ctx *c)
{
	console_says(c->m, "FAIL: t\nSUMMARY: 1 tests, 1 unexpected failures\n"
	    "EXIT: STATUS=3\n");
}

static void
ev_skip(struct ctx *c)
{
	console_says(c->m, "SKIP: t\nSUMMARY: 1 tests, 1 skipped\nEXIT: STATUS=155\n");
}

static void
ev_abort(struct ctx *c)
{
	console_says(c->m, "ABORT: t: it broke\nEXIT: STATUS=127\n");
}

static void
ev_post(struct ctx *c)
{
	long long code;
	char *body, *auth, *cause = NULL;
	int status;

	if (parse_int(c->argv[2], 0, 255, &code) < 0) {
		miss("post: bad exit code %s", c->argv[2]);
		return;
	}
	body = xasprintf("{\"tests\": [{\"name\": \"t\", \"status\": \"%s\", \"message\":"
	    " \"\"}], \"summary\": {\"total\": 1, \"failed\": %d, \"xfailed\": 0,"
	    " \"skipped\": 0}, \"exit_code\": %lld, \"aborted\": false}",
	    code ? "fail" : "pass", code ? 1 : 0, code);
	auth = xasprintf("Bearer %s", T.token[c->m]);
	status = sched_results(T.token_job[c->m], auth, body, strlen(body), &cause);
	if (status != 200)
		miss("the results POST was answered %d: %s", status, cause);
	free(cause);
	free(auth);
	free(body);
}

static void
done_query(int i, const char *rc, const char *stage)
{
	char id[24], *mac = mac_of(i);

	snprintf(id, sizeof(id), "%lld", T.token_job[i]);
	note_script(i, sched_boot_done(mac, id, T.token[i], rc, stage));
	free(mac);
}

static void
ev_done(struct ctx *c)
{
	done_query(c->m, c->argv[2], NULL);
}

static void
ev_setupfail(struct ctx *c)
{
	done_query(c->m, "1", "setup");
}

static void
ev_wait(struct ctx *c)
{
	const char *s = c->argv[1];
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || v < 0 || (strcmp(end, "s") != 0 && strcmp(end, "ms") != 0)) {
		miss("wait: %s is not a time (500ms, 61s)", s);
		return;
	}
	if (strcmp(end, "s") == 0)
		v *= 1000;
	stub_run(stub.now + v);
}

static void
ev_powerfail(struct ctx *c)
{
	T.power_fails[c->m]++;
}

static void
machine_stops(int i, int status)
{
	stub.power = T.power[i];
	stub_power_stops(status);
}

static void
ev_stops(struct ctx *c)
{
	long long v;

	if (parse_int(c->argv[2], 0, 255, &v) < 0)
		miss("stops: bad status %s", c->argv[2]);
	else
		machine_stops(c->m, (int)v << 8);
}

static void
ev_killed(struct ctx *c)
{
	machine_stops(c->m, 9);         /* a waitpid status: killed by SIGKILL */
}

static void
console_state(int i, int up)
{
	if (T.con_state[i] == NULL)
		miss("machine %s has no console", T.row->m[i].name);
	else
		T.con_state[i](T.con_arg[i], up);
}

static void
ev_drop(struct ctx *c)
{
	console_state(c->m, 0);
}

static void
ev_back(struct ctx *c)
{
	console_state(c->m, 1);
}

static void
ev_cancel(struct ctx *c)
{
	long long id = job_by_name(c->argv[1]);
	char *cause = NULL;
	int status;

	if (id <= 0) {
		miss("cancel: no job %s", c->argv[1]);
		return;
	}
	status = sched_cancel(id, &cause);
	if (status != 200)
		miss("cancel %s was answered %d: %s", c->argv[1], status, cause);
	free(cause);
}

static void
ev_queue(struct ctx *c)
{
	int k = job_index(c->argv[1]);

	if (k < 0 || !T.row->j[k].late || T.job_id[k]) {
		miss("queue: %s is no late job of the row", c->argv[1]);
		return;
	}
	queue_job(k);
	sched_kick();
}

static void
machine_set(int i, const char *to, long long health)
{
	char *cause = NULL;
	int status = sched_machine_set(T.row->m[i].name, to, "test", health, &cause);

	if (status != 200)
		miss("machine set %s %s was answered %d: %s", T.row->m[i].name, to,
		    status, cause);
	free(cause);
}

static void
ev_maint(struct ctx *c)
{
	machine_set(c->m, "maintenance", 0);
}

static void
ev_online(struct ctx *c)
{
	machine_set(c->m, "online", 0);
}

/* As the API does it: a health-check job for the machine alone, priority
 * 1000, never retried (attempt 2), then online with it. */
static void
ev_health(struct ctx *c)
{
	char *test = xasprintf("hc.%s", T.row->m[c->m].name);

	T.health_id[c->m] = insert_job(test, 1000, T.row->m[c->m].name, NULL, 0, 2);
	free(test);
	machine_set(c->m, "online", T.health_id[c->m]);
}

static void start_sched(void);

static void
ev_restart(struct ctx *c)
{
	(void)c;
	sched_shutdown();
	stub_reset();
	memset(T.power, 0, sizeof(T.power));
	memset(T.con_data, 0, sizeof(T.con_data));
	memset(T.con_state, 0, sizeof(T.con_state));
	start_sched();
}

static void check_tokens(char **argv, size_t argc);

static void
ev_check(struct ctx *c)
{
	check_tokens(c->argv + 1, c->argc - 1);
}

/* The statements: the word, whether a machine follows it, how many words
 * in all (0: any). */
static const struct event {
	const char *word;
	int machine;
	size_t argc;
	void (*run)(struct ctx *);
} events[] = {
	{ "boot", 1, 2, ev_boot },
	{ "fetch", 1, 2, ev_fetch },
	{ "run", 1, 2, ev_run },
	{ "out", 1, 2, ev_out },
	{ "pass", 1, 2, ev_pass },
	{ "fail", 1, 2, ev_fail },
	{ "skip", 1, 2, ev_skip },
	{ "abort", 1, 2, ev_abort },
	{ "post", 1, 3, ev_post },
	{ "done", 1, 3, ev_done },
	{ "setupfail", 1, 2, ev_setupfail },
	{ "wait", 0, 2, ev_wait },
	{ "powerfail", 1, 2, ev_powerfail },
	{ "stops", 1, 3, ev_stops },
	{ "killed", 1, 2, ev_killed },
	{ "drop", 1, 2, ev_drop },
	{ "back", 1, 2, ev_back },
	{ "cancel", 0, 2, ev_cancel },
	{ "queue", 0, 2, ev_queue },
	{ "maint", 1, 2, ev_maint },
	{ "online", 1, 2, ev_online },
	{ "health", 1, 2, ev_health },
	{ "restart", 0, 1, ev_restart },
	{ "check", 0, 0, ev_check },
};

static void
run_statement(const char *stmt)
{
	struct ctx c = { .m = -1 };
	size_t i;

	c.argv = split_words(stmt, &c.argc);
	if (c.argc == 0)
		goto out;
	for (i = 0; i < ARRAY_SIZE(events); i++)
		if (strcmp(events[i].word, c.argv[0]) == 0)
			break;
	if (i == ARRAY_SIZE(events)) {
		miss("unknown statement");
		goto out;
	}
	if (events[i].argc && c.argc != events[i].argc) {
		miss("%s takes %zu words", c.argv[0], events[i].argc);
		goto out;
	}
	if (events[i].machine && (c.m = machine_index(c.argv[1])) < 0) {
		miss("no machine %s in the row", c.argv[1]);
		goto out;
	}
	events[i].run(&c);
	stub_run(stub.now);     /* the loop turns: kicks, 0 ms timers */
	check_machines();
out:
	words_free(c.argv);
}

/* ---- expectations ---- */

static void
expect_job(const char *name, const char *want)
{
	long long id = job_by_name(name);
	char *got;

	if (id < 0) {
		miss("%s: no such job in the row", name);
		return;
	}
	got = job_says(id);
	if (strcmp(got, want) != 0)
		miss("%s: expected %s, got %s", name, want, got);
	free(got);
}

static void
expect_machine(const char *name, const char *field, const char *want)
{
	struct machine_info mi;
	char got[32];

	if (sched_machine_info_by_name(name, &mi) < 0) {
		miss("%s: no such machine", name);
		return;
	}
	if (field == NULL)
		snprintf(got, sizeof(got), "%s", mi.state);
	else if (strcmp(field, "health") == 0)
		snprintf(got, sizeof(got), "%s", mi.health);
	else if (strcmp(field, "boots") == 0)
		snprintf(got, sizeof(got), "%lld", mi.boots);
	else {
		miss("%s.%s: no such field (health, boots)", name, field);
		return;
	}
	if (strcmp(got, want) != 0)
		miss("%s%s%s: expected %s, got %s", name, field ? "." : "",
		    field ? field : "", want, got);
}

static void
expect_script(const char *machine, const char *want)
{
	int i = machine_index(machine);
	long long id;
	char got[64];

	if (i < 0) {
		miss("%s: no such machine", machine);
		return;
	}
	if (T.script_job[i] < 0)
		snprintf(got, sizeof(got), "no script at all");
	else if (T.script_job[i] == 0)
		snprintf(got, sizeof(got), "idle");
	else
		snprintf(got, sizeof(got), "%s", job_name(T.script_job[i]));
	if (strcmp(want, "idle") == 0) {
		if (T.script_job[i] != 0)
			miss("%s>idle: its last script was %s", machine, got);
		return;
	}
	id = job_by_name(want);
	if (id <= 0 || id != T.script_job[i])
		miss("%s>%s: its last script was %s", machine, want, got);
}

static void
check_token(const char *tok)
{
	char *t = xstrdup(tok), *eq = strchr(t, '='), *gt = strchr(t, '>'), *dot;

	if (gt && (eq == NULL || gt < eq)) {
		*gt = '\0';
		expect_script(t, gt + 1);
	} else if (eq == NULL) {
		miss("expectation \"%s\" is not X=V or M>J", tok);
	} else {
		*eq = '\0';
		dot = strchr(t, '.');
		if (dot && strncmp(t, "hc.", 3) != 0) {
			*dot = '\0';
			expect_machine(t, dot + 1, eq + 1);
		} else if (machine_index(t) >= 0) {
			expect_machine(t, NULL, eq + 1);
		} else {
			expect_job(t, eq + 1);
		}
	}
	free(t);
}

static void
check_tokens(char **argv, size_t argc)
{
	size_t i;

	for (i = 0; i < argc; i++)
		check_token(argv[i]);
}

/* ---- one row ---- */

static char *
row_conf(const struct row *r)
{
	struct buf b = {0};
	int i;

	buf_printf(&b, "[farm]\nlisten = 127.0.0.1:1\nstate_dir = %s\n", state_dir);
	if (r->max_infra)
		buf_printf(&b, "max_infra = %u\n", r->max_infra);
	buf_printf(&b, "[network]\nmode = user\n");
	for (i = 0; i < MAXM && r->m[i].name; i++) {
		const struct mspec *m = &r->m[i];

		buf_printf(&b, "[machine %s]\narch = %s\nmac = 52:54:00:f0:01:%02x\n",
		    m->name, m->arch ? m->arch : "x86_64", i + 1);
		if (m->physical)
			buf_printf(&b, "kind = physical\npower_on = /bin/true\n"
			    "power_off = /bin/true\nconsole = tcp:127.0.0.1:9\n");
		else
			buf_printf(&b, "kind = qemu\n");
		if (m->tags)
			buf_printf(&b, "tags = %s\n", m->tags);
		buf_printf(&b, "boot_timeout = 60\nfetch_timeout = 30\n"
		    "output_timeout = 30\njob_timeout = 300\n");
	}
	return buf_steal(&b);
}

/* Starts the scheduler on the row's farm, as farmd does (again, after a
 * restart); nothing has run on the loop yet. */
static void
start_sched(void)
{
	char *cause = NULL;

	if (sched_init(T.conf, T.db, &cause) < 0)
		fail_msg("%s: sched_init: %s", T.row->name, cause);
}

static void
remove_logs(void)
{
	char *logs = xasprintf("%s/logs", state_dir), *path;
	DIR *d = opendir(logs);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", logs, e->d_name);
		unlink(path);
		free(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(logs);
	free(logs);
}

static void
test_row(void **state)
{
	const struct row *r = *state;
	char *text, *cause = NULL, *copy, *stmt, *next;
	size_t n;
	char **want;
	int i;

	memset(&T, 0, sizeof(T));
	memset(T.script_job, 0xff, sizeof(T.script_job));
	T.row = r;
	stub_reset();
	text = row_conf(r);
	T.conf = config_parse(r->name, state_dir, text, &cause);
	free(text);
	if (T.conf == NULL)
		fail_msg("%s: farm.conf: %s", r->name, cause);
	T.db = db_open(":memory:", &cause);
	if (T.db == NULL)
		fail_msg("%s: db_open: %s", r->name, cause);
	for (i = 0; i < MAXJ && r->j[i].name; i++)
		if (!r->j[i].late)
			queue_job(i);
	for (i = 0; i < MAXM && r->m[i].name; i++)
		T.power_fails[i] = r->m[i].power_fails;
	start_sched();
	for (i = 0; i < MAXM && r->m[i].name; i++)
		if (r->m[i].maintenance)
			machine_set(i, "maintenance", 0);
	stub_run(stub.now);     /* the first dispatch */
	check_machines();

	copy = xstrdup(r->events ? r->events : "");
	for (stmt = copy; stmt; stmt = next) {
		next = strchr(stmt, ';');
		if (next)
			*next++ = '\0';
		stmt += strspn(stmt, " ");
		if (*stmt == '\0')
			continue;
		T.where = stmt;
		run_statement(stmt);
	}
	T.where = NULL;
	want = split_words(r->expect, &n);
	check_tokens(want, n);
	words_free(want);
	free(copy);

	sched_shutdown();
	stub_reset();
	db_close(T.db);
	config_free(T.conf);
	remove_logs();
	if (T.errs.len > 0) {
		char *errs = buf_steal(&T.errs), msg[400];

		/* cmocka's message buffer is short: the whole list goes to
		 * stderr, its start into the failure. */
		fprintf(stderr, "row \"%s\":%s\n", r->name, errs);
		snprintf(msg, sizeof(msg), "%s", errs);
		free(errs);
		fail_msg("row \"%s\":%s", r->name, msg);
	}
}

int
main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(rows)];
	size_t i;
	int rc;

	log_init("test_sched", getenv("TEST_SCHED_LOG") ? 1 : -2);
	if (mkdtemp(state_dir) == NULL) {
		perror(state_dir);
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = rows[i].name;
		tests[i].test_func = test_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	rc = _cmocka_run_group_tests("sched", tests, ARRAY_SIZE(rows), NULL, NULL);
	remove_logs();
	rmdir(state_dir);
	return rc;
}
