/*
 * stubs.h - the sched fuzz harness's side of stubs.c: a virtual clock for
 * the loop's timers, and hooks to make the one machine's power and console
 * do things.
 */
#ifndef FUZZ_SCHED_STUBS_H
#define FUZZ_SCHED_STUBS_H

#include <stddef.h>
#include <stdint.h>

struct stub_state {
	int64_t now;            /* virtual ms */
	struct power *power;    /* the machine's */
	struct console *console;
	int power_on_fails;     /* the next power_on fails */
	int power_ons;
	int power_off_pending;
};

extern struct stub_state stub;

/* Fires every timer due at or before until (in order); the count fired. */
int stub_run(int64_t until);
/* When the next timer is due, -1 when there is none. */
int64_t stub_next_timer(void);
/* Forgets every timer and the stub state. */
void stub_reset(void);
/* The machine stops by itself with a waitpid status. */
void stub_power_stops(int status);
/* Console bytes from the machine. */
void stub_console_bytes(const char *, size_t);

#endif
