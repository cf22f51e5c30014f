/*
 * power.h - turning machines on and off. Backends are a table (power.c):
 * "qemu" runs a QEMU process per boot; "command" (physical machines) runs
 * the power_on/power_off commands of farm.conf. Every operation is
 * asynchronous and reports back through the callback.
 */
#ifndef FARM_POWER_H
#define FARM_POWER_H

struct farm_conf;
struct machine_conf;
struct power;

enum power_event {
	POWER_STOPPED,          /* the machine stopped: status is QEMU's exit
	                           status (waitpid), by_us says farmd asked */
	POWER_FAILED,           /* a power on or off did not work: msg says why
	                           (by_us set and "power off failed:" for off) */
};

typedef void (*power_cb)(void *arg, enum power_event, int status, int by_us,
    const char *msg);

/* Per-boot options from the test (suite smp/-m); 0 keeps the machine's. */
struct power_opts {
	unsigned cpus;
	unsigned memory;
};

struct power *power_new(const struct farm_conf *, const struct machine_conf *,
    const char *console_path, const char *tap, power_cb, void *arg);
void power_free(struct power *);

/* Starts the machine; 0 when started (further news comes by callback), -1
 * with *cause (caller frees) when it could not even be started. */
int power_on(struct power *, const struct power_opts *, char **cause);
/* Stops it; a POWER_STOPPED with by_us set follows. */
void power_off(struct power *);
int power_is_on(const struct power *);
/* The device tree file of the machine's current boot: farm.conf's dtb, or
 * for a QEMU machine that has one (aarch64 virt) QEMU's own; NULL: none. */
const char *power_dtb(const struct power *);
/*
 * Saved machine states (QEMU machines with snapshot = yes, lab network,
 * iPXE or farmboot.efi): a cold boot builds one, later boots resume from it.
 * power_snapshot_prepare is asked when the machine requests its boot
 * script for a job: 1 means the backend wants this boot's state saved, so
 * the caller answers a 1 s poll loop (iPXE's or farmboot's) instead of
 * the job (the state is saved while the machine waits in it, then it asks
 * again); 0 means answer the job. power_booted tells the backend the job's
 * script went out: a resume worked, and nothing is saved from now on in
 * this boot.
 */
int power_snapshot_prepare(struct power *);
void power_booted(struct power *);

/* Stops the machine and waits for it (blocks: farmd's shutdown only). */
void power_shutdown(struct power *);

/* Stops a machine that an earlier farmd left running (pidfile), at start-up. */
void power_reap_stale(const struct farm_conf *, const struct machine_conf *);

/* Start-up probe: 1 when KVM works for arch here, else 0 (TCG is used). */
int power_kvm_works(const struct farm_conf *, const char *arch);

#endif
