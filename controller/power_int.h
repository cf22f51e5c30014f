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
	void *priv;
};

struct power_backend {
	const char *name;
	int (*on)(struct power *, const struct power_opts *, char **cause);
	void (*off)(struct power *);
	void (*reap_stale)(const struct farm_conf *, const struct machine_conf *);
};

extern const struct power_backend power_qemu_backend;

#endif
