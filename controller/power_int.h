/*
 * power_int.h - what power backends share with power.c (not for other
 * modules). A backend is a table of operations.
 */
#ifndef FARM_POWER_INT_H
#define FARM_POWER_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "power.h"

struct power {
	const struct power_backend *be;
	const struct farm_conf *conf;
	const struct machine_conf *m;
	char *dir;              /* state/machines/<name> */
	char *console_path;
	char *tap;              /* NULL: not lab networking */
	power_cb cb;
	void *arg;
	pid_t pid;              /* running process (qemu) or 0 */
	struct loop_child *child;
	struct loop_timer *kill_timer;
	int stopping;
	int with_kvm;            /* qemu: this boot runs under KVM */
	int cmd_timeout_ms;     /* command backend: a command's deadline */
	char *dtb;              /* the device tree of the current boot (a
	                           file); NULL: none */
	void *priv;             /* the backend's own state */

	/* qemu: the saved-state path (power_qemu.c, docs/performance.md) */
	struct power_opts opts; /* this boot's sizes, for a cold boot after a
	                           resume that failed */
	int snap;               /* where this boot is in it (power_qemu.c) */
	int snap_restart;       /* QEMU is killed to be started again cold:
	                           1 may build a new state, 2 without states */
	int snap_stop_pending;  /* snap_timer is the delay before "stop" */
	int64_t snap_t0;        /* monotonic ms: QEMU start, or save start */
	char *snap_state;       /* this boot's state file (its key in the name) */
	struct qmp *qmp;
	struct loop_timer *snap_timer;   /* the next step's delay */
	struct loop_timer *snap_watchdog; /* a resume's deadline */
};

/* on and off are only called as power.c's rules allow: on when is_on says
 * off, off when it says on. The optional operations fall back to what the
 * qemu backend needs: is_on to "p->pid > 0", shutdown to stopping p->pid. */
struct power_backend {
	const char *name;
	int (*on)(struct power *, const struct power_opts *, char **cause);
	void (*off)(struct power *);
	void (*reap_stale)(const struct farm_conf *, const struct machine_conf *);
	int (*is_on)(const struct power *);
	/* Stops the machine and waits (farmd's shutdown only). */
	void (*shutdown)(struct power *);
	/* Frees what priv holds beyond itself (power_free frees priv). */
	void (*release)(struct power *);
	/* Optional, see power_snapshot_prepare and power_booted. */
	int (*snapshot_prepare)(struct power *);
	void (*booted)(struct power *);
};

extern const struct power_backend power_qemu_backend;
extern const struct power_backend power_cmd_backend;

#endif
