/*
 * power_int.h - what power backends share with power.c (not for other
 * modules). A backend is a table of operations.
 */
#ifndef FARM_POWER_INT_H
#define FARM_POWER_INT_H

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
};

extern const struct power_backend power_qemu_backend;
extern const struct power_backend power_cmd_backend;

#endif
