/*
 * test_power_cmd.c - unit tests of the "command" power backend
 * (controller/power_cmd.c) through power.h, on a real event loop with real
 * commands (sh, sleep): which command runs when, what the callback hears,
 * what power.log keeps, deadlines, an off asked during the power on, and
 * the message a failing command leaves for the job.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "power.h"
#include "power_int.h"
#include "util.h"

#define S(x) ((char *)(x))

struct event {
	enum power_event ev;
	int status;
	int by_us;
	char *msg;
};

struct fixture {
	char dir[64];
	struct farm_conf conf;
	struct machine_conf m;
	struct power *p;
	struct event evs[8];
	int nevs;
};

static void
on_power(void *arg, enum power_event ev, int status, int by_us, const char *msg)
{
	struct fixture *f = arg;

	assert_true(f->nevs < 8);
	f->evs[f->nevs++] = (struct event){ ev, status, by_us, msg ? xstrdup(msg) : NULL };
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	log_init("test_power_cmd", -2);
	assert_int_equal(loop_init(), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_power_cmd.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->conf.state_dir = f->dir;
	f->conf.dir = f->dir;
	f->m.name = S("rack1");
	f->m.arch = S("x86_64");
	f->m.kind = MACHINE_PHYSICAL;
	f->m.power_on = S("sh -c 'echo powering on; echo really'");
	f->m.power_off = S("sh -c 'echo powering off'");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd;
	int i;

	power_free(f->p);
	for (i = 0; i < f->nevs; i++)
		free(f->evs[i].msg);
	loop_free();
	cmd = xasprintf("rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

static struct power *
fixture_power(struct fixture *f)
{
	f->p = power_new(&f->conf, &f->m, NULL, NULL, on_power, f);
	return f->p;
}

static char *power_log(struct fixture *f);

/* 1 when no command runs: power.log has two "== " lines per command (what
 * runs, then how it ended), one while it runs. */
static int
commands_done(struct fixture *f)
{
	char *log = power_log(f), *s;
	int n = 0;

	for (s = log; *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : s + strlen(s))
		n += strncmp(s, "== ", 3) == 0;
	free(log);
	return n % 2 == 0;
}

/* Runs the loop until want events arrived and no command runs, or ms pass. */
static struct fixture *wait_f;
static int wait_want;
static int64_t wait_end;

static void
wait_tick(void *arg)
{
	(void)arg;
	if ((wait_f->nevs >= wait_want && commands_done(wait_f)) || now_ms() > wait_end)
		loop_stop();
	else
		loop_timer_add(10, wait_tick, NULL);
}

static void
run_for(struct fixture *f, int want, int64_t ms)
{
	wait_f = f;
	wait_want = want;
	wait_end = now_ms() + ms;
	loop_timer_add(10, wait_tick, NULL);
	assert_int_equal(loop_run(), 0);
}

static char *
power_log(struct fixture *f)
{
	char *path = xasprintf("%s/machines/rack1/power.log", f->dir);
	char *text = read_file(path, NULL);

	free(path);
	return text ? text : xstrdup("");
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" is not in:\n%s", needle, hay);
}

/* On, then off: the machine is on in between, power.log has both commands
 * with their output and status, the off is reported as stopped by us. */
static void
test_on_off(void **state)
{
	struct fixture *f = *state;
	struct power *p = fixture_power(f);
	char *cause = NULL, *log;

	assert_false(power_is_on(p));
	assert_int_equal(power_on(p, NULL, &cause), 0);
	assert_true(power_is_on(p));
	run_for(f, 0, 3000);
	assert_int_equal(f->nevs, 0);   /* a power on that works says nothing */
	assert_true(power_is_on(p));
	assert_int_equal(power_on(p, NULL, &cause), -1);
	assert_contains(cause, "already on");
	free(cause);
	power_off(p);
	assert_int_equal(f->nevs, 0);   /* never from inside power_off */
	run_for(f, 1, 3000);
	assert_int_equal(f->nevs, 1);
	assert_int_equal(f->evs[0].ev, POWER_STOPPED);
	assert_int_equal(f->evs[0].by_us, 1);
	assert_false(power_is_on(p));
	log = power_log(f);
	assert_contains(log, "power_on: sh -c 'echo powering on; echo really'\n"
	    "powering on\nreally\n");
	assert_contains(log, "power_on: exited with status 0 after");
	assert_contains(log, "power_off: sh -c 'echo powering off'\npowering off\n");
	assert_contains(log, "power_off: exited with status 0");
	free(log);
}

/* power_cycle starts a machine that may be on: right after start-up and
 * after a failed off; power_on one that was turned off. */
static void
test_cycle_when_maybe_on(void **state)
{
	struct fixture *f = *state;
	struct power *p;
	char *cause = NULL, *log;

	f->m.power_cycle = S("sh -c 'echo cycling'");
	p = fixture_power(f);
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 0, 3000);
	power_off(p);
	run_for(f, 1, 3000);
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 1, 3000);
	log = power_log(f);
	assert_contains(log, "power_cycle: sh -c 'echo cycling'\ncycling\n");
	assert_non_null(strstr(strstr(log, "power_off:"), "power_on: sh"));
	assert_null(strstr(strstr(log, "power_off:"), "power_cycle:"));
	free(log);
	/* An off that fails leaves the machine "maybe on": cycle again. */
	f->m.power_off = S("false");
	power_off(p);
	run_for(f, 2, 3000);
	assert_int_equal(f->evs[1].ev, POWER_FAILED);
	assert_contains(f->evs[1].msg, "power off failed: power_off command `false` exited "
	    "with status 1");
	assert_false(power_is_on(p));
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 2, 3000);
	log = power_log(f);
	assert_non_null(strstr(strstr(log, "power_off: false"), "power_cycle: sh"));
	free(log);
}

/* A BMC that will not cycle a machine that is off: power_on follows. Only
 * when that fails too is it a failure, and the message tells both. */
static void
test_cycle_falls_back(void **state)
{
	struct fixture *f = *state;
	struct power *p;
	char *cause = NULL, *log;

	f->m.power_cycle = S("sh -c 'echo Set Chassis Power Control to Cycle failed: "
	    "Command not supported in present state; exit 1'");
	p = fixture_power(f);
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 0, 3000);
	assert_int_equal(f->nevs, 0);
	assert_true(power_is_on(p));
	log = power_log(f);
	assert_non_null(strstr(strstr(log, "power_cycle: exited with status 1"),
	    "power_on: sh -c 'echo powering on; echo really'\npowering on\n"));
	free(log);
	/* A failed off makes the next boot a cycle again; now power_on fails
	 * as well. */
	f->m.power_off = S("false");
	f->m.power_on = S("sh -c 'echo no answer from bmc3; exit 2'");
	power_off(p);
	run_for(f, 1, 3000);
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 2, 3000);
	assert_int_equal(f->nevs, 2);
	assert_int_equal(f->evs[1].ev, POWER_FAILED);
	assert_contains(f->evs[1].msg, "power_on command `sh -c 'echo no answer from bmc3; "
	    "exit 2'` exited with status 2: no answer from bmc3 (after power_cycle command");
	assert_contains(f->evs[1].msg, "status 1: Set Chassis Power Control to Cycle failed: "
	    "Command not supported in present state)");
	assert_false(power_is_on(p));
	/* A cycle that times out is not retried as power_on: the BMC is gone. */
	f->m.power_cycle = S("sleep 30");
	p->cmd_timeout_ms = 300;
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 3, 3000);
	assert_int_equal(f->evs[2].ev, POWER_FAILED);
	assert_contains(f->evs[2].msg, "power_cycle command `sleep 30` did not finish");
	assert_null(strstr(f->evs[2].msg, "power_on"));
}

/* A failing power on: POWER_FAILED naming the command, its status and its
 * last line of output; the machine counts as off. */
static void
test_on_fails(void **state)
{
	struct fixture *f = *state;
	struct power *p;
	char *cause = NULL;

	f->m.power_on = S("sh -c 'echo connecting to bmc3; echo \"Error: Unable to "
	    "establish IPMI v2 / RMCP+ session\" >&2; exit 3'");
	p = fixture_power(f);
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 1, 3000);
	assert_int_equal(f->nevs, 1);
	assert_int_equal(f->evs[0].ev, POWER_FAILED);
	assert_int_equal(f->evs[0].by_us, 0);
	assert_contains(f->evs[0].msg, "power_on command `sh -c 'echo connecting");
	assert_contains(f->evs[0].msg, "exited with status 3: Error: Unable to establish "
	    "IPMI v2 / RMCP+ session");
	assert_false(power_is_on(p));
}

/* A command past its deadline is killed, its whole process group too. */
static void
test_on_times_out(void **state)
{
	struct fixture *f = *state;
	struct power *p;
	char *cause = NULL, *log;
	int64_t t0;

	f->m.power_on = S("sh -c 'echo waiting for the PDU; sleep 30; echo never'");
	p = fixture_power(f);
	p->cmd_timeout_ms = 400;
	t0 = now_ms();
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 1, 5000);
	assert_true(now_ms() - t0 < 2000);
	assert_int_equal(f->nevs, 1);
	assert_int_equal(f->evs[0].ev, POWER_FAILED);
	assert_contains(f->evs[0].msg, "did not finish within 0.4 s (killed): waiting for "
	    "the PDU");
	log = power_log(f);
	assert_contains(log, "power_on: did not finish within 0.4 s (killed) after");
	assert_null(strstr(log, "\nnever\n"));
	free(log);
}

/* An off asked while the power on runs waits for it, then runs; the
 * scheduler hears only of the stop. */
static void
test_off_during_on(void **state)
{
	struct fixture *f = *state;
	struct power *p;
	char *cause = NULL, *log;

	f->m.power_on = S("sh -c 'sleep 0.3; echo on now'");
	p = fixture_power(f);
	assert_int_equal(power_on(p, NULL, &cause), 0);
	power_off(p);
	power_off(p);
	run_for(f, 1, 3000);
	assert_int_equal(f->nevs, 1);
	assert_int_equal(f->evs[0].ev, POWER_STOPPED);
	assert_false(power_is_on(p));
	log = power_log(f);
	assert_non_null(strstr(strstr(log, "on now"), "powering off"));
	free(log);
	/* The same when the power on fails: the off still runs. */
	f->m.power_on = S("sh -c 'sleep 0.2; exit 4'");
	assert_int_equal(power_on(p, NULL, &cause), 0);
	power_off(p);
	run_for(f, 2, 3000);
	assert_int_equal(f->nevs, 2);
	assert_int_equal(f->evs[1].ev, POWER_STOPPED);
}

/* Without power_off the machine is left on; the stop is still reported,
 * later, and the next power on cycles it when it can. */
static void
test_no_power_off(void **state)
{
	struct fixture *f = *state;
	struct power *p;
	char *cause = NULL;

	f->m.power_off = NULL;
	p = fixture_power(f);
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 0, 3000);
	power_off(p);
	assert_int_equal(f->nevs, 0);
	run_for(f, 1, 1000);
	assert_int_equal(f->nevs, 1);
	assert_int_equal(f->evs[0].ev, POWER_STOPPED);
	assert_int_equal(f->evs[0].by_us, 1);
	assert_false(power_is_on(p));
}

/* Commands that cannot run: refused by power_on itself, with the cause. */
static void
test_cannot_run(void **state)
{
	struct fixture *f = *state;
	struct power *p;
	char *cause = NULL, *log;

	f->m.power_on = S("/nonexistent/pdu on 3");
	p = fixture_power(f);
	assert_int_equal(power_on(p, NULL, &cause), -1);
	assert_contains(cause, "power_on command `/nonexistent/pdu on 3`: "
	    "/nonexistent/pdu: No such file or directory");
	free(cause);
	assert_false(power_is_on(p));
	log = power_log(f);
	assert_contains(log, "power_on: cannot run: /nonexistent/pdu");
	free(log);
	f->m.power_on = S("ipmitool 'chassis power on");
	cause = NULL;
	assert_int_equal(power_on(p, NULL, &cause), -1);
	assert_contains(cause, "power_on command `ipmitool 'chassis power on`: "
	    "unterminated '");
	free(cause);
	f->m.power_on = S("pdu on 3 > /dev/null");
	cause = NULL;
	assert_int_equal(power_on(p, NULL, &cause), -1);
	assert_contains(cause, "no shell");
	free(cause);
	assert_int_equal(f->nevs, 0);
}

/* A relative program path is relative to farm.conf's directory. */
static void
test_relative_program(void **state)
{
	struct fixture *f = *state;
	struct power *p;
	char *cause = NULL, *dir = xasprintf("%s/bin", f->dir);
	char *script = xasprintf("%s/pdu.sh", dir), *log;

	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(write_file_atomic(script, "#!/bin/sh\necho \"pdu $1 $2\"\n", 27,
	    0755), 0);
	f->m.power_on = S("bin/pdu.sh on 3");
	p = fixture_power(f);
	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 0, 3000);
	assert_int_equal(f->nevs, 0);
	log = power_log(f);
	assert_contains(log, "pdu on 3\n");
	/* Output without a last newline ends before our line. */
	f->m.power_off = S("printf 'outlet 3 off'");
	power_off(p);
	run_for(f, 1, 3000);
	free(log);
	log = power_log(f);
	assert_contains(log, "\noutlet 3 off\n== ");
	free(log);
	free(script);
	free(dir);
}

/* farmd's shutdown powers off what it turned on, and waits for it. */
static void
test_shutdown(void **state)
{
	struct fixture *f = *state;
	struct power *p = fixture_power(f);
	char *cause = NULL, *log;

	assert_int_equal(power_on(p, NULL, &cause), 0);
	run_for(f, 0, 3000);
	power_shutdown(p);
	assert_false(power_is_on(p));
	log = power_log(f);
	assert_contains(log, "powering off\n");
	free(log);
	assert_int_equal(f->nevs, 0);
	/* A command still running at shutdown is ended first. */
	f->m.power_on = S("sleep 30");
	assert_int_equal(power_on(p, NULL, &cause), 0);
	power_shutdown(p);
	assert_false(power_is_on(p));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_on_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle_when_maybe_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_on_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_on_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_during_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_power_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
