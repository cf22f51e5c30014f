/*
 * config.h - farm.conf: the farm, its lab network and its machines.
 *
 * farm.conf is INI: one [farm], one [network], one [machine NAME] per
 * machine. Every key is in a table in config.c. Every error names
 * file:line; config_load reports all errors it finds, not just the first.
 * Relative paths in farm.conf are relative to the directory of farm.conf and
 * are stored resolved (absolute or relative to the cwd, usable as they are).
 */
#ifndef FARM_CONFIG_H
#define FARM_CONFIG_H

#include <stddef.h>

enum net_mode { NET_LAB, NET_USER, NET_EXTERNAL, NET_PROXY };
enum machine_kind { MACHINE_QEMU, MACHINE_PHYSICAL };
/* What the machine's firmware network-boots into: iPXE (then boot.ipxe and
 * iPXE scripts) or farm's own UEFI HTTP loader, farmboot.efi. */
enum boot_loader { BOOT_AUTO, BOOT_IPXE, BOOT_FARMBOOT };

struct machine_conf {
	char *name;
	char *arch;             /* "x86_64" | "aarch64" */
	char mac[18];           /* lower-case, colon form */
	enum machine_kind kind;
	char **tags;            /* "fast", "smoke"; "arch=<arch>" is always first */
	size_t ntags;
	int line;               /* where [machine NAME] is, for messages */

	/* qemu */
	unsigned memory;        /* MiB, default 256 */
	unsigned cpus;          /* default 1 */
	char *qemu_machine;     /* default q35 (x86_64), virt (aarch64) */
	char *cpu;              /* default max */
	char *accel;            /* auto | kvm | tcg; default auto */
	char *qemu;             /* binary; default qemu-system-<arch> */
	char *firmware;         /* code flash; default per arch (OVMF/AAVMF) */
	char *firmware_vars;    /* vars template; default per arch */
	char *nic_rom;          /* iPXE ROM; default /usr/lib/ipxe/qemu/efi-virtio.rom (x86_64) */
	char **qemu_args;       /* extra arguments, split on whitespace */
	size_t nqemu_args;
	int snapshot;           /* boot from a saved state (yes: default) */

	/* physical */
	char *power_on;         /* commands, split into argv (never a shell) */
	char *power_off;
	char *power_cycle;
	char *console;          /* tcp:HOST:PORT | telnet:HOST:PORT | command:CMD */

	/* both */
	int boot_timeout;       /* s, power on -> boot script request; default 60 */
	int fetch_timeout;      /* s, boot script -> app fetched; default 30 */
	int output_timeout;     /* s, app fetched -> first console byte; default 30 */
	int job_timeout;        /* s, default test-end deadline; default 300 */
	int always_on;          /* idle script polls instead of exiting; default 0 */
	enum boot_loader boot;  /* default: ipxe when the farm has an iPXE for
	                           the arch ([network] ipxe_<arch>), else farmboot */
	char *dtb;              /* device tree file; NULL: none (QEMU aarch64
	                           machines get QEMU's own, dumped by farmd) */
};

struct farm_conf {
	char *path;             /* the file it was read from */
	char *dir;              /* its directory */

	/* [farm] */
	char *listen_host;      /* default 127.0.0.1 */
	int listen_port;        /* default 8080 */
	char *state_dir;        /* default "state" (resolved) */
	char *api_token;        /* NULL when unset or empty */
	char *suite;            /* the farm's test suite; default guest/unittests.cfg */
	char *tests_dir;        /* where suite files live: <tests_dir>/<arch>/<file>;
	                           default build/guest */
	char *netboot_dir;      /* setvar.efi etc: <netboot_dir>/<arch>/; default build/netboot */
	long long max_upload;   /* bytes, default 64 MiB */
	char *web_dir;          /* the web page's files; NULL: build/web beside farmd,
	                           else web/ beside farm.conf */
	unsigned max_infra;     /* consecutive infra results that send a machine
	                           to maintenance; 0: never; default 3 */
	char *health_check;     /* suite test a machine must pass to leave
	                           maintenance; NULL: none (it comes back at once) */
	char **webhooks;        /* URLs POSTed on job/run end and machine changes */
	size_t nwebhooks;

	/* [network] */
	enum net_mode mode;     /* default lab */
	char *bridge;           /* default farm0 */
	char *interface;        /* proxy: the lab interface dnsmasq answers on */
	char *address;          /* "10.99.0.1" (no prefix) */
	int prefix;             /* 24 */
	char *dhcp_start;       /* "10.99.0.100" */
	char *dhcp_end;         /* "10.99.0.199" */
	char *ipxe[2];          /* iPXE for firmware PXE clients, per arch
	                           (config_arch_index); NULL: none. Default
	                           /usr/lib/ipxe/ipxe.efi for x86_64 */
	char *server_url;       /* what machines use to reach farmd; default
	                           http://<address>:<listen_port> (lab/external),
	                           http://10.0.2.2:<listen_port> (user) */

	struct machine_conf *machines;
	size_t nmachines;
};

/* Reads and checks a farm.conf. NULL on error with *cause set to every
 * problem found, one "file:line: message" per line (caller frees). */
/* 0 for x86_64, 1 for aarch64, -1 for anything else. */
int config_arch_index(const char *arch);

/* "ipxe" or "farmboot". */
const char *config_boot_name(enum boot_loader);

struct farm_conf *config_load(const char *path, char **cause);

/* The same from text in memory; name is used in messages and dir resolves
 * relative paths. */
struct farm_conf *config_parse(const char *name, const char *dir, const char *text,
    char **cause);

void config_free(struct farm_conf *);

/* A reload (SIGHUP): moves the settings of the newly read n into the
 * running o in place, so every pointer into o stays valid; n is then only
 * fit for config_free. What identifies a machine (name, kind, arch, mac,
 * console), the machine list itself, [network], listen and state_dir cannot
 * change this way: -1 with *cause naming the change, and o untouched. */
int config_apply(struct farm_conf *o, struct farm_conf *n, char **cause);

const struct machine_conf *config_machine(const struct farm_conf *, const char *name);
const struct machine_conf *config_machine_by_mac(const struct farm_conf *, const char *mac);

/* 1 when the machine has every tag in tags (each "word" or "key=value"). */
int config_machine_matches(const struct machine_conf *, char *const *tags, size_t ntags);

#endif
