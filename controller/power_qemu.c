/*
 * power_qemu.c - the QEMU power backend. "On" starts one QEMU process for
 * one boot: firmware in pflash (code read-only, a fresh copy of the vars
 * template per boot so every boot starts alike), a virtio-net NIC as first
 * boot option, the serial port on farmd's console socket, -no-reboot so a
 * reset ends the process. "Off" is SIGTERM, then SIGKILL after a grace
 * period.
 *
 * How the NIC boots follows the machine's loader (farm.conf `boot`):
 *   - ipxe: the iPXE ROM (nic_rom) drives the NIC; its DHCP gets
 *     /boot.ipxe;
 *   - farmboot: no option ROM, so the firmware's own network stack boots
 *     farmboot.efi: on x86_64 through firmware PXE and TFTP, on aarch64
 *     through UEFI HTTP boot (PXE turned off through fw_cfg, else AAVMF
 *     spends its first minute on PXEv4/v6 attempts). Both paths a physical
 *     machine may take are thus the ones the farm's own VMs use.
 * x86_64 machines get isa-debug-exit (a guest's exit status becomes
 * QEMU's). Machines whose QEMU board is described by a device tree (virt)
 * get QEMU's own DTB, dumped once per board shape (-machine dumpdtb=),
 * which farmd serves per job with /chosen filled in (dtb.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "power_int.h"
#include "proc.h"
#include "qmp.h"
#include "util.h"

#define QEMU_KILL_GRACE_MS 3000

static int kvm_state_x86 = -1;  /* -1: not probed */

/* Where a boot is in the saved-state path ("Saved states" below). */
enum snap_mode {
	SNAP_OFF,               /* no snapshot work in this boot */
	SNAP_PREPARE,           /* cold boot that will save its state */
	SNAP_SAVING,            /* saving it */
	SNAP_RESUMING,          /* resumed; waiting for the boot script request */
	SNAP_DONE,              /* nothing more in this boot */
};

static const char *
qemu_binary(const struct machine_conf *m)
{
	if (m->qemu)
		return m->qemu;
	return strcmp(m->arch, "aarch64") == 0 ? "qemu-system-aarch64" :
	    "qemu-system-x86_64";
}

static int qemu_start(struct power *, int may_resume, int may_save, char **cause);
static void qemu_snap_end(struct power *);
static void qemu_snap_delete(struct power *);
static void qemu_snap_forget(struct power *);
static int qemu_snap_enabled(const struct power *);

/* The QEMU process ended. A resume that did not work (QEMU refused the
 * state, or farmd killed it to boot cold) is not news for the scheduler:
 * the machine boots again, cold. */
static void
qemu_exited(pid_t pid, int status, void *arg)
{
	struct power *p = arg;
	char *pidfile = xasprintf("%s/qemu.pid", p->dir);
	int by_us = p->stopping, restart = p->snap_restart;

	(void)pid;
	/* KVM that aborts under real guests: use TCG from now on. */
	if (p->with_kvm && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
	    strcmp(p->m->accel, "auto") == 0 && kvm_state_x86 == 1) {
		log_warnx("machine %s: qemu aborted under kvm; using tcg from now on",
		    p->m->name);
		kvm_state_x86 = 0;
	}
	if (!by_us && !restart && p->snap == SNAP_RESUMING) {
		char *log = xasprintf("%s/qemu.log", p->dir), *tail = proc_log_tail(log);

		log_warnx("machine %s: resume from snapshot failed: qemu exited"
		    " (status %d)%s%s; snapshot deleted, cold boot", p->m->name,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1, *tail ? ": " : "",
		    tail);
		free(tail);
		free(log);
		qemu_snap_delete(p);
		restart = 1;
	}
	unlink(pidfile);
	free(pidfile);
	p->pid = 0;
	p->child = NULL;
	p->stopping = 0;
	p->snap_restart = 0;
	loop_timer_cancel(p->kill_timer);
	p->kill_timer = NULL;
	qemu_snap_end(p);
	if (qemu_snap_enabled(p))
		qemu_snap_forget(p);
	if (restart && !by_us) {
		char *cause = NULL;

		if (qemu_start(p, 0, restart == 1, &cause) < 0) {
			p->cb(p->arg, POWER_FAILED, 0, 0, cause);
			free(cause);
		}
		return;
	}
	p->cb(p->arg, POWER_STOPPED, status, by_us, NULL);
}

/* Copies the firmware vars template to the machine's own file. */
static int
qemu_fresh_vars(struct power *p, const char *dst, char **cause)
{
	size_t len;
	char *data = read_file(p->m->firmware_vars, &len);

	if (data == NULL) {
		*cause = xasprintf("firmware vars %s: %s", p->m->firmware_vars,
		    strerror(errno));
		return -1;
	}
	if (write_file_atomic(dst, data, len, 0644) < 0) {
		*cause = xasprintf("%s: %s", dst, strerror(errno));
		free(data);
		return -1;
	}
	free(data);
	return 0;
}

/*
 * The DTB QEMU builds for this boot's board, dumped with the same machine,
 * CPU, memory and CPU count: <dir>/qemu-<hash of those>.dtb, made again by
 * each farmd process (a new QEMU may describe the board differently).
 * Its path, or NULL when the board has no device tree or QEMU failed (the
 * cause is logged; the machine boots without a farm DTB).
 */
static char *
qemu_dump_dtb(struct power *p, int kvm, unsigned memory, unsigned cpus)
{
	const struct machine_conf *m = p->m;
	char mem[16], smp[16], hash[65], *key, *path, *machine, *log, *cause = NULL;
	const char *argv[48];
	int argc = 0, status;
	size_t i;
	pid_t pid;

	if (strcmp(m->arch, "aarch64") != 0 || strncmp(m->qemu_machine, "virt", 4) != 0)
		return NULL;
	snprintf(mem, sizeof(mem), "%u", memory);
	snprintf(smp, sizeof(smp), "%u", cpus);
	key = xasprintf("%s|%s|%s|%s|%s|%s", qemu_binary(m), m->qemu_machine,
	    kvm ? "kvm" : "tcg", m->cpu, mem, smp);
	for (i = 0; i < m->nqemu_args; i++) {
		char *k = xasprintf("%s|%s", key, m->qemu_args[i]);

		free(key);
		key = k;
	}
	sha256_hex(key, strlen(key), hash);
	hash[16] = '\0';
	free(key);
	path = xasprintf("%s/qemu-%s.dtb", p->dir, hash);
	if (p->priv && strcmp(p->priv, path) == 0 && access(path, R_OK) == 0)
		return path;
	machine = xasprintf("%s,dumpdtb=%s", m->qemu_machine, path);
	log = xasprintf("%s/dumpdtb.log", p->dir);
	argv[argc++] = qemu_binary(m);
	argv[argc++] = "-machine";
	argv[argc++] = machine;
	argv[argc++] = "-accel";
	argv[argc++] = kvm ? "kvm" : "tcg";
	argv[argc++] = "-cpu";
	argv[argc++] = m->cpu;
	argv[argc++] = "-m";
	argv[argc++] = mem;
	argv[argc++] = "-smp";
	argv[argc++] = smp;
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-no-user-config";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	for (i = 0; i < m->nqemu_args && argc < (int)ARRAY_SIZE(argv) - 1; i++)
		argv[argc++] = m->qemu_args[i];
	argv[argc] = NULL;
	unlink(path);
	pid = proc_spawn(argv, log, &cause);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || access(path, R_OK) < 0) {
		char *tail = proc_log_tail(log);

		log_warnx("machine %s: QEMU did not dump its device tree%s%s%s",
		    m->name, cause ? ": " : "", cause ? cause : "", *tail ? ": " : "");
		if (*tail)
			log_warnx("machine %s: %s", m->name, tail);
		free(tail);
		free(path);
		path = NULL;
	} else {
		free(p->priv);
		p->priv = xstrdup(path);
	}
	free(cause);
	free(machine);
	free(log);
	return path;
}

static int
qemu_use_kvm(const struct power *p)
{
	if (strcmp(p->m->accel, "kvm") == 0)
		return 1;
	if (strcmp(p->m->accel, "tcg") == 0)
		return 0;
	return power_kvm_works(p->conf, p->m->arch);
}

/*
 * Saved states. A machine with snapshot = yes on the lab network (iPXE or
 * farmboot.efi, either arch) has, per key, one state file
 * <dir>/snapshot-<key>.state (QEMU's migration stream) and the vars flash
 * it ran with, snapshot-<key>.vars. The key hashes what makes a state fit
 * a boot: the QEMU command line without its per-boot parts (it holds what
 * differs between loaders and arches: the firmware and vars paths,
 * romfile=, the fw_cfg options of farmboot on aarch64), the size and mtime
 * of the firmware, the vars template, the NIC ROM (iPXE only) and the QEMU
 * binary, the bridge's MAC (iPXE and the firmware's stack keep ARP
 * answers) and farmd's URL. Any change gives another key, so the old state
 * is not found, and deleted when the new one is built.
 *
 * farmboot.efi makes and destroys an HTTP child (and a TCP4 child for its
 * bounded connect) per GET, so in its poll's wait, where the state is
 * saved, it holds no connection that could be stale after a resume.
 *
 *   cold boot (no state):   SNAP_PREPARE; at the job's first boot script
 *     request the machine gets the poll loop instead (sched asks
 *     power_snapshot_prepare: iPXE's `sleep 1` loop or farmboot's
 *     `poll 1`), and SNAP_STOP_DELAY_MS later, in the loop's 1 s sleep
 *     with no connection open, QMP "stop", "migrate" to a temporary file,
 *     "query-migrate" until completed, the vars copied, the file renamed
 *     into place, "cont": the machine asks again and gets its job.
 *   boot with a state:      SNAP_RESUMING; the vars copy is put back, QEMU
 *     starts with -incoming "exec:cat <state>", and once it has loaded it
 *     ("paused"), "cont". The guest finishes its sleep and asks for work.
 * Whatever fails on the way is logged, the state deleted and the machine
 * boots cold, without the scheduler seeing it: a snapshot never fails a job.
 */

#define SNAP_QMP_MS 15000       /* QEMU start -> its QMP socket answers */
#define SNAP_STOP_DELAY_MS 300  /* poll loop answered -> "stop" */
#define SNAP_POLL_MS 50         /* between two status queries */
#define SNAP_SAVE_MS 60000      /* "stop" -> migration completed */
#define SNAP_RESUME_MS 20000    /* QEMU start -> boot script request */

/* 1 when this machine's boots go through saved states. */
static int
qemu_snap_enabled(const struct power *p)
{
	return p->m->snapshot && p->tap != NULL;
}

/* Deletes every state file of the machine (all keys), and temporaries. */
static void
qemu_snap_delete(struct power *p)
{
	DIR *d = opendir(p->dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "snapshot-", 9) == 0) {
			char *path = xasprintf("%s/%s", p->dir, e->d_name);

			unlink(path);
			free(path);
		}
	}
	closedir(d);
}

/* The file QEMU runs: name as given when it holds a '/', else the first
 * match in PATH (NULL: none). Caller frees. */
static char *
qemu_snap_which(const char *name)
{
	const char *path = getenv("PATH"), *s;
	char *dir, *full;
	size_t n;

	if (strchr(name, '/'))
		return xstrdup(name);
	for (s = path ? path : "/usr/bin:/bin"; *s; s += n + (s[n] == ':')) {
		n = strcspn(s, ":");
		dir = xstrndup(s, n);
		full = xasprintf("%s/%s", *dir ? dir : ".", name);
		free(dir);
		if (access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

/* Adds "path size mtime" of a file to the key text. */
static void
qemu_snap_key_file(struct buf *b, const char *what, const char *path)
{
	struct stat st;

	if (path && stat(path, &st) == 0)
		buf_printf(b, "%s %s %lld %lld.%09ld\n", what, path, (long long)st.st_size,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	else
		buf_printf(b, "%s %s missing\n", what, path ? path : "-");
}

/* The state file for a boot with this argv: <dir>/snapshot-<key>.state.
 * Caller frees. */
static char *
qemu_snap_path(struct power *p, const char *const argv[])
{
	struct buf b = {0};
	char hash[65], *bin = qemu_snap_which(argv[0]), *mac, *macpath;
	int i;

	buf_adds(&b, "farm snapshot v1\n");
	for (i = 0; argv[i]; i++)
		buf_printf(&b, "arg %s\n", argv[i]);
	qemu_snap_key_file(&b, "firmware", p->m->firmware);
	qemu_snap_key_file(&b, "vars", p->m->firmware_vars);
	qemu_snap_key_file(&b, "rom", p->m->boot == BOOT_FARMBOOT ? NULL :
	    p->m->nic_rom);
	qemu_snap_key_file(&b, "qemu", bin);
	macpath = xasprintf("/sys/class/net/%s/address", p->conf->bridge);
	mac = read_file(macpath, NULL);
	buf_printf(&b, "bridge %s %s\nserver %s\n", p->conf->bridge, mac ? mac : "?",
	    p->conf->server_url);
	sha256_hex(b.data, b.len, hash);
	hash[16] = '\0';
	free(mac);
	free(macpath);
	free(bin);
	buf_free(&b);
	return xasprintf("%s/snapshot-%s.state", p->dir, hash);
}

/* The vars copy that goes with a state file. Caller frees. */
static char *
qemu_snap_vars(const char *state)
{
	return xasprintf("%.*s.vars", (int)(strlen(state) - 6), state);
}

/* Copies a file (the vars flash: 528 KiB for OVMF, 64 MiB for AAVMF)
 * to a temporary name renamed into place; 0 or -1 with errno. The kernel
 * copies (copy_file_range): AAVMF's flash through a user buffer took
 * 350 ms of the loop here, this about 70 ms; read and write when the file
 * systems cannot. */
static int
qemu_copy(const char *from, const char *to)
{
	char *tmp = xasprintf("%s.tmp.%d", to, (int)getpid());
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1, saved;
	struct stat st;
	size_t data_len;
	char *data;
	off_t left;
	ssize_t n;

	if (in < 0 || fstat(in, &st) < 0)
		goto out;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		goto out;
	for (left = st.st_size; left > 0; left -= n) {
		n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n <= 0)
			break;
	}
	if (left > 0) {
		/* Nothing copied yet: the file systems cannot; else an error. */
		if (left != st.st_size || (data = read_file(from, &data_len)) == NULL)
			goto out;
		rc = write_file_atomic(to, data, data_len, 0644);
		free(data);
		goto out;
	}
	if (close(out) < 0) {
		out = -1;
		goto out;
	}
	out = -1;
	rc = rename(tmp, to);
out:
	saved = errno;
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (rc < 0 || access(tmp, F_OK) == 0)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return rc;
}

/* Reaps the ss processes qemu_snap_forget starts. */
static void
qemu_ss_done(pid_t pid, int status, void *arg)
{
	(void)pid;
	(void)status;
	(void)arg;
}

/*
 * The machine is off: farmd's TCP connections with it are killed (ss -K,
 * iproute2). A resumed guest starts from the same saved TCP state, source
 * ports and sequence numbers every time; a connection of the last boot
 * still open on farmd's side would stall its first requests for seconds
 * (iPXE only retries a reused connection that gets a reset at once). The
 * guest's addresses come from the host's ARP table (bridge, MAC).
 */
static void
qemu_snap_forget(struct power *p)
{
	char *arp = read_file("/proc/net/arp", NULL), *line, *save = NULL;
	char ip[64], hw[64], dev[64];

	if (arp == NULL)
		return;
	for (line = strtok_r(arp, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *argv[] = { "ss", "-K", "-t", "dst", ip, NULL };
		char *cause = NULL;
		pid_t pid;

		if (sscanf(line, "%63s %*s %*s %63s %*s %63s", ip, hw, dev) != 3 ||
		    strcasecmp(hw, p->m->mac) != 0 || strcmp(dev, p->conf->bridge) != 0)
			continue;
		pid = proc_spawn(argv, NULL, &cause);
		if (pid < 0) {
			log_warnx("machine %s: %s", p->m->name, cause);
			free(cause);
			continue;
		}
		loop_child_add(pid, qemu_ss_done, NULL);
	}
	free(arp);
}

/* Ends this boot's snapshot work: no more QMP, no timer. */
static void
qemu_snap_end(struct power *p)
{
	char *tmp;

	if (p->snap == SNAP_SAVING && p->snap_state) {
		tmp = xasprintf("%s.tmp", p->snap_state);
		unlink(tmp);
		free(tmp);
	}
	loop_timer_cancel(p->snap_timer);
	p->snap_timer = NULL;
	loop_timer_cancel(p->snap_watchdog);
	p->snap_watchdog = NULL;
	p->snap_stop_pending = 0;
	qmp_close(p->qmp);
	p->qmp = NULL;
	p->snap = SNAP_OFF;
}

/* Kills QEMU to boot the machine again, cold: how a failure that left the
 * guest stopped or lost is repaired. save: the cold boot may build a state. */
static void
qemu_snap_restart(struct power *p, int save)
{
	if (p->pid <= 0 || p->stopping || p->snap_restart)
		return;
	p->snap_restart = save ? 1 : 2;
	kill(p->pid, SIGKILL);
}

/* A resume did not work: the state goes, the machine boots cold. */
static void
qemu_resume_failed(struct power *p, const char *why)
{
	log_warnx("machine %s: resume from snapshot failed: %s; snapshot deleted,"
	    " cold boot", p->m->name, why);
	qemu_snap_delete(p);
	loop_timer_cancel(p->snap_timer);
	p->snap_timer = NULL;
	loop_timer_cancel(p->snap_watchdog);
	p->snap_watchdog = NULL;
	p->snap = SNAP_DONE;
	qemu_snap_restart(p, 1);
}

static void qemu_resume_query(void *);

static void
qemu_resume_cont(void *arg, const char *reply)
{
	struct power *p = arg;

	/* A lost connection: QEMU's exit (with its own words) or the
	 * watchdog decides. */
	if (p->snap != SNAP_RESUMING || reply == NULL)
		return;
	if (!qmp_ok(reply)) {
		qemu_resume_failed(p, reply);
		return;
	}
	log_info("machine %s: resumed from snapshot %s (%lld ms after qemu start)",
	    p->m->name, strrchr(p->snap_state, '/') + 1,
	    (long long)(now_ms() - p->snap_t0));
}

static void
qemu_resume_status(void *arg, const char *reply)
{
	struct power *p = arg;
	char status[32];

	if (p->snap != SNAP_RESUMING || reply == NULL)
		return;
	if (qmp_string(reply, "status", status, sizeof(status)) < 0) {
		qemu_resume_failed(p, reply);
		return;
	}
	if (strcmp(status, "inmigrate") == 0) {
		p->snap_timer = loop_timer_add(SNAP_POLL_MS, qemu_resume_query, p);
		return;
	}
	if (strcmp(status, "paused") != 0 && strcmp(status, "running") != 0) {
		char *why = xasprintf("the VM is %s after loading the state", status);

		qemu_resume_failed(p, why);
		free(why);
		return;
	}
	if (qmp_command(p->qmp, "{\"execute\": \"cont\"}", qemu_resume_cont, p) < 0)
		qemu_resume_failed(p, "QMP not ready for cont");
}

static void
qemu_resume_query(void *arg)
{
	struct power *p = arg;

	p->snap_timer = NULL;
	if (qmp_command(p->qmp, "{\"execute\": \"query-status\"}", qemu_resume_status,
	    p) < 0)
		qemu_resume_failed(p, "QMP not ready for query-status");
}

/* The resumed machine did not ask for its boot script in time. */
static void
qemu_resume_timeout(void *arg)
{
	struct power *p = arg;
	char *why;

	p->snap_watchdog = NULL;
	if (p->snap != SNAP_RESUMING)
		return;
	why = xasprintf("no boot script request within %d s", SNAP_RESUME_MS / 1000);
	qemu_resume_failed(p, why);
	free(why);
}

/* QMP answered its handshake (or never came). */
static void
qemu_qmp_up(void *arg, const char *reply)
{
	struct power *p = arg;

	if (reply == NULL || !qmp_ok(reply)) {
		if (p->snap == SNAP_RESUMING) {
			if (reply)
				qemu_resume_failed(p, reply);
		} else {
			log_warnx("machine %s: no QMP connection to qemu: no snapshot"
			    " in this boot", p->m->name);
			p->snap = SNAP_DONE;
		}
		return;
	}
	if (p->snap == SNAP_RESUMING)
		qemu_resume_query(p);
}

/* Saving failed: the job goes on in this boot, without a state. */
static void
qemu_save_failed(struct power *p, const char *why)
{
	char *tmp = xasprintf("%s.tmp", p->snap_state);

	log_warnx("machine %s: snapshot not saved: %s; the job goes on", p->m->name,
	    why);
	unlink(tmp);
	free(tmp);
	p->snap = SNAP_DONE;
	/* The VM may be stopped: without QMP to continue it, boot again. */
	if (qmp_command(p->qmp, "{\"execute\": \"cont\"}", NULL, NULL) < 0)
		qemu_snap_restart(p, 0);
}

static void
qemu_save_cont(void *arg, const char *reply)
{
	struct power *p = arg;

	if (!qmp_ok(reply)) {
		log_warnx("machine %s: cont after the snapshot: %s", p->m->name,
		    reply ? reply : "QMP connection lost");
		qemu_snap_restart(p, 0);
	}
}

static void qemu_save_query(void *);

static void
qemu_save_status(void *arg, const char *reply)
{
	struct power *p = arg;
	char status[32], *tmp, *vars, *svars, *why;
	struct stat st;

	if (p->snap != SNAP_SAVING)
		return;
	if (reply == NULL || qmp_string(reply, "status", status, sizeof(status)) < 0) {
		qemu_save_failed(p, reply ? reply : "QMP connection lost");
		return;
	}
	if (strcmp(status, "completed") != 0) {
		if (strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0) {
			why = xasprintf("migration %s: %s", status, reply);
			qemu_save_failed(p, why);
			free(why);
		} else if (now_ms() - p->snap_t0 > SNAP_SAVE_MS) {
			qemu_save_failed(p, "migration took too long");
		} else {
			p->snap_timer = loop_timer_add(SNAP_POLL_MS, qemu_save_query, p);
		}
		return;
	}
	tmp = xasprintf("%s.tmp", p->snap_state);
	vars = xasprintf("%s/vars.fd", p->dir);
	svars = qemu_snap_vars(p->snap_state);
	/* The VM is stopped: its vars flash is as the state expects it. */
	if (qemu_copy(vars, svars) < 0 || stat(tmp, &st) < 0 ||
	    rename(tmp, p->snap_state) < 0) {
		why = xasprintf("%s: %s", p->snap_state, strerror(errno));
		qemu_save_failed(p, why);
		free(why);
		unlink(svars);
	} else {
		log_info("machine %s: snapshot saved: %s (%lld MB in %lld ms); later"
		    " jobs resume from it", p->m->name, strrchr(p->snap_state, '/') + 1,
		    (long long)(st.st_size >> 20), (long long)(now_ms() - p->snap_t0));
		p->snap = SNAP_DONE;
		if (qmp_command(p->qmp, "{\"execute\": \"cont\"}", qemu_save_cont, p) < 0)
			qemu_snap_restart(p, 0);
	}
	free(tmp);
	free(vars);
	free(svars);
}

static void
qemu_save_query(void *arg)
{
	struct power *p = arg;

	p->snap_timer = NULL;
	if (qmp_command(p->qmp, "{\"execute\": \"query-migrate\"}", qemu_save_status,
	    p) < 0)
		qemu_save_failed(p, "QMP not ready for query-migrate");
}

static void
qemu_save_migrating(void *arg, const char *reply)
{
	struct power *p = arg;

	if (p->snap != SNAP_SAVING)
		return;
	if (!qmp_ok(reply)) {
		qemu_save_failed(p, reply ? reply : "QMP connection lost at migrate");
		return;
	}
	qemu_save_query(p);
}

static void
qemu_save_stopped(void *arg, const char *reply)
{
	struct power *p = arg;
	char *tmp, *cmd;

	if (p->snap != SNAP_SAVING)
		return;
	if (!qmp_ok(reply)) {
		qemu_save_failed(p, reply ? reply : "QMP connection lost at stop");
		return;
	}
	/* The path was checked for quotes and backslashes when QEMU started. */
	tmp = xasprintf("%s.tmp", p->snap_state);
	unlink(tmp);
	cmd = xasprintf("{\"execute\": \"migrate\", \"arguments\": {\"uri\":"
	    " \"exec:cat > '%s'\"}}", tmp);
	if (qmp_command(p->qmp, cmd, qemu_save_migrating, p) < 0)
		qemu_save_failed(p, "QMP not ready for migrate");
	free(cmd);
	free(tmp);
}

/* The poll loop has reached the machine: stop it and save. */
static void
qemu_save_begin(void *arg)
{
	struct power *p = arg;

	p->snap_timer = NULL;
	p->snap_stop_pending = 0;
	p->snap_t0 = now_ms();
	if (qmp_command(p->qmp, "{\"execute\": \"stop\"}", qemu_save_stopped, p) < 0)
		qemu_save_failed(p, "QMP not ready for stop");
}

static int
qemu_snapshot_prepare(struct power *p)
{
	if (p->snap != SNAP_PREPARE || !qmp_ready(p->qmp))
		return 0;
	log_info("machine %s: cold boot reached %s: saving its state for later"
	    " jobs (the job waits in the poll loop meanwhile)", p->m->name,
	    p->m->boot == BOOT_FARMBOOT ? "farmboot" : "iPXE");
	p->snap = SNAP_SAVING;
	p->snap_stop_pending = 1;
	p->snap_timer = loop_timer_add(SNAP_STOP_DELAY_MS, qemu_save_begin, p);
	return 1;
}

static void
qemu_booted(struct power *p)
{
	if (p->snap == SNAP_RESUMING)
		log_info("machine %s: resumed machine asked for its job %lld ms after"
		    " qemu start", p->m->name, (long long)(now_ms() - p->snap_t0));
	if (p->snap == SNAP_RESUMING || p->snap == SNAP_PREPARE ||
	    (p->snap == SNAP_SAVING && p->snap_stop_pending)) {
		loop_timer_cancel(p->snap_timer);
		p->snap_timer = NULL;
		loop_timer_cancel(p->snap_watchdog);
		p->snap_watchdog = NULL;
		p->snap_stop_pending = 0;
		p->snap = SNAP_DONE;
	}
}

static void
qemu_release(struct power *p)
{
	qemu_snap_end(p);
}

/* Starts QEMU for one boot. may_resume: from the machine's state when
 * there is one for this command line; may_save: a cold boot may build one. */
static int
qemu_start(struct power *p, int may_resume, int may_save, char **cause)
{
	const struct machine_conf *m = p->m;
	const struct power_opts *opts = &p->opts;
	char *vars = xasprintf("%s/vars.fd", p->dir);
	char *log = xasprintf("%s/qemu.log", p->dir);
	char *pidfile = xasprintf("%s/qemu.pid", p->dir);
	char *qmpsock = xasprintf("%s/qmp.sock", p->dir);
	char *strs[20] = {0}, *svars = NULL;
	const char *argv[72];
	int argc = 0, ns = 0, rc = -1, snap = SNAP_OFF;
	int farmboot = m->boot == BOOT_FARMBOOT;
	int arm = strcmp(m->arch, "aarch64") == 0;
	unsigned memory = opts->memory ? opts->memory : m->memory;
	unsigned cpus = opts->cpus ? opts->cpus : m->cpus;
	size_t i;
	pid_t pid;
	FILE *f;

#define S(expr) (strs[ns++] = (expr))
	if (farmboot && p->tap == NULL) {
		*cause = xasprintf("machine %s boots farmboot.efi (boot = farmboot),"
		    " which needs the lab network ([network] mode = lab, as root):"
		    " QEMU's user networking offers neither UEFI HTTP boot nor the"
		    " DHCP option with farmd's address", m->name);
		goto out;
	}
	p->with_kvm = qemu_use_kvm(p);
	if (p->dtb == NULL)
		p->dtb = qemu_dump_dtb(p, p->with_kvm, memory, cpus);
	argv[argc++] = qemu_binary(m);
	argv[argc++] = "-name";
	argv[argc++] = S(xasprintf("farm-%s", m->name));
	argv[argc++] = "-machine";
	argv[argc++] = m->qemu_machine;
	argv[argc++] = "-accel";
	argv[argc++] = p->with_kvm ? "kvm" : "tcg";
	argv[argc++] = "-cpu";
	argv[argc++] = m->cpu;
	argv[argc++] = "-m";
	argv[argc++] = S(xasprintf("%u", memory));
	argv[argc++] = "-smp";
	argv[argc++] = S(xasprintf("%u", cpus));
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-no-user-config";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	argv[argc++] = "-no-reboot";
	argv[argc++] = "-drive";
	argv[argc++] = S(xasprintf("if=pflash,format=raw,unit=0,readonly=on,file=%s",
	    m->firmware));
	argv[argc++] = "-drive";
	argv[argc++] = S(xasprintf("if=pflash,format=raw,unit=1,file=%s", vars));
	argv[argc++] = "-netdev";
	if (p->tap)
		argv[argc++] = S(xasprintf("tap,id=n0,ifname=%s,script=no,downscript=no",
		    p->tap));
	else
		argv[argc++] = S(xasprintf("user,id=n0,bootfile=%s/boot.ipxe",
		    p->conf->server_url));
	argv[argc++] = "-device";
	/* romfile= empty: no option ROM at all (QEMU's default one is iPXE). */
	argv[argc++] = S(xasprintf("virtio-net-pci,netdev=n0,mac=%s,romfile=%s,"
	    "bootindex=0", m->mac, !farmboot && m->nic_rom ? m->nic_rom : ""));
	if (farmboot && arm) {
		argv[argc++] = "-fw_cfg";
		argv[argc++] = "name=opt/org.tianocore/IPv4PXESupport,string=n";
		argv[argc++] = "-fw_cfg";
		argv[argc++] = "name=opt/org.tianocore/IPv6PXESupport,string=n";
	}
	if (strcmp(m->arch, "x86_64") == 0) {
		argv[argc++] = "-device";
		argv[argc++] = "isa-debug-exit,iobase=0xf4,iosize=0x04";
	}
	argv[argc++] = "-chardev";
	argv[argc++] = S(xasprintf("socket,id=c0,path=%s", p->console_path));
	argv[argc++] = "-serial";
	argv[argc++] = "chardev:c0";
	argv[argc++] = "-pidfile";
	argv[argc++] = pidfile;
	for (i = 0; i < m->nqemu_args && argc < (int)ARRAY_SIZE(argv) - 5; i++)
		argv[argc++] = m->qemu_args[i];
	argv[argc] = NULL;

	/* Saved states: the key covers argv as it is now (the per-boot
	 * -qmp and -incoming come after). */
	free(p->snap_state);
	p->snap_state = NULL;
	if (qemu_snap_enabled(p) && (may_resume || may_save) &&
	    strlen(qmpsock) < sizeof(((struct sockaddr_un *)0)->sun_path) &&
	    strpbrk(p->dir, "'\"\\") == NULL) {
		p->snap_state = qemu_snap_path(p, argv);
		svars = qemu_snap_vars(p->snap_state);
		if (may_resume && access(p->snap_state, R_OK) == 0 &&
		    qemu_copy(svars, vars) == 0) {
			snap = SNAP_RESUMING;
			argv[argc++] = "-incoming";
			argv[argc++] = S(xasprintf("exec:cat '%s'", p->snap_state));
		} else if (may_save) {
			/* No state for this key: older ones are of no use. */
			qemu_snap_delete(p);
			snap = SNAP_PREPARE;
		}
		if (snap != SNAP_OFF) {
			unlink(qmpsock);
			argv[argc++] = "-qmp";
			argv[argc++] = S(xasprintf("unix:%s,server=on,wait=off", qmpsock));
		}
		argv[argc] = NULL;
	}
#undef S
	if (snap != SNAP_RESUMING && qemu_fresh_vars(p, vars, cause) < 0)
		goto out;

	/* A new log per boot, headed by the command, for whoever debugs it. */
	f = fopen(log, "w");
	if (f) {
		char *cmd = proc_argv_string(argv);

		fprintf(f, "%s\n", cmd);
		free(cmd);
		fclose(f);
	}
	pid = proc_spawn(argv, log, cause);
	if (pid < 0)
		goto out;
	p->pid = pid;
	p->child = loop_child_add(pid, qemu_exited, p);
	p->snap = snap;
	p->snap_t0 = now_ms();
	if (snap != SNAP_OFF)
		p->qmp = qmp_open(qmpsock, SNAP_QMP_MS, qemu_qmp_up, p);
	if (snap == SNAP_RESUMING)
		p->snap_watchdog = loop_timer_add(SNAP_RESUME_MS, qemu_resume_timeout, p);
	log_info("machine %s: qemu started (pid %d)%s", m->name, (int)pid,
	    snap == SNAP_RESUMING ? ", resuming from its snapshot" :
	    snap == SNAP_PREPARE ? ", cold boot (its snapshot will be saved)" : "");
	rc = 0;
out:
	while (ns > 0)
		free(strs[--ns]);
	free(svars);
	free(vars);
	free(log);
	free(pidfile);
	free(qmpsock);
	return rc;
}

static int
qemu_on(struct power *p, const struct power_opts *opts, char **cause)
{
	memset(&p->opts, 0, sizeof(p->opts));
	if (opts)
		p->opts = *opts;
	p->snap_restart = 0;
	return qemu_start(p, 1, 1, cause);
}

/* The grace period is over and QEMU is still there. */
static void
qemu_kill_now(void *arg)
{
	struct power *p = arg;

	p->kill_timer = NULL;
	if (p->pid > 0) {
		log_warnx("machine %s: qemu (pid %d) ignored SIGTERM, killing it",
		    p->m->name, (int)p->pid);
		kill(p->pid, SIGKILL);
	}
}

static void
qemu_off(struct power *p)
{
	if (p->stopping)
		return;
	p->stopping = 1;
	kill(p->pid, SIGTERM);
	p->kill_timer = loop_timer_add(QEMU_KILL_GRACE_MS, qemu_kill_now, p);
}

/* At start-up: a QEMU an earlier farmd started for this machine and that is
 * still running (its pidfile names it and its command line carries our
 * "-name farm-<name>") is stopped. */
static void
qemu_reap_stale(const struct farm_conf *conf, const struct machine_conf *m)
{
	char *pidfile = xasprintf("%s/machines/%s/qemu.pid", conf->state_dir, m->name);
	char *text = read_file(pidfile, NULL), *cmdpath = NULL, *cmd = NULL;
	char *want = xasprintf("farm-%s", m->name);
	long long pid;
	size_t len, i;
	int tries;

	if (text == NULL)
		goto out;
	text[strcspn(text, "\n")] = '\0';
	if (parse_int(text, 2, 1 << 22, &pid) < 0)
		goto out;
	cmdpath = xasprintf("/proc/%lld/cmdline", pid);
	cmd = read_file(cmdpath, &len);
	if (cmd == NULL)
		goto out;
	for (i = 0; i < len; i += strlen(cmd + i) + 1)
		if (strcmp(cmd + i, want) == 0)
			break;
	if (i >= len)
		goto out;
	log_warnx("machine %s: stopping qemu (pid %lld) left by an earlier farmd",
	    m->name, pid);
	kill((pid_t)pid, SIGTERM);
	for (tries = 0; tries < 30 && kill((pid_t)pid, 0) == 0; tries++)
		usleep(100000);
	if (kill((pid_t)pid, 0) == 0)
		kill((pid_t)pid, SIGKILL);
out:
	if (text)
		unlink(pidfile);
	free(pidfile);
	free(text);
	free(cmdpath);
	free(cmd);
	free(want);
}

const struct power_backend power_qemu_backend = {
	.name = "qemu",
	.on = qemu_on,
	.off = qemu_off,
	.reap_stale = qemu_reap_stale,
	.release = qemu_release,
	.snapshot_prepare = qemu_snapshot_prepare,
	.booted = qemu_booted,
};

/* Boots the machine's own firmware under KVM for a few seconds: on some
 * hosts /dev/kvm opens and simple guest code runs, yet firmware code hits a
 * KVM "emulation failure" and QEMU aborts (LAB-NOTES). Still running after
 * the wait means KVM works. Start-up only; the answer is cached in
 * <state>/kvm-probe keyed by kernel release and QEMU binary. */
static int
qemu_probe_kvm_x86(const struct farm_conf *conf, const char *code, const char *vars_tmpl)
{
	char *vars = xasprintf("%s/kvm-probe-vars.fd", conf->state_dir);
	char *cache = xasprintf("%s/kvm-probe", conf->state_dir);
	char *log = xasprintf("%s/kvm-probe.log", conf->state_dir);
	char *flash0 = xasprintf("if=pflash,format=raw,unit=0,readonly=on,file=%s", code);
	char *flash1 = xasprintf("if=pflash,format=raw,unit=1,file=%s", vars);
	const char *argv[] = { "qemu-system-x86_64", "-accel", "kvm", "-machine", "q35",
		"-nodefaults", "-no-user-config", "-display", "none", "-m", "128",
		"-drive", flash0, "-drive", flash1, NULL };
	char *data = NULL, *cause = NULL, *key, *cached;
	struct utsname u;
	struct stat st;
	int status = 0, works = 0, i;
	size_t len;
	pid_t pid;

	if (access("/dev/kvm", R_OK | W_OK) < 0)
		goto out_free;
	uname(&u);
	if (stat("/usr/bin/qemu-system-x86_64", &st) < 0)
		st.st_mtime = 0;
	key = xasprintf("v2 %s %lld %s", u.release, (long long)st.st_mtime, code);
	cached = read_file(cache, NULL);
	if (cached && strncmp(cached, key, strlen(key)) == 0 &&
	    cached[strlen(key)] == ' ') {
		works = atoi(cached + strlen(key) + 1) == 1;
		free(cached);
		free(key);
		goto out_free;
	}
	free(cached);
	data = read_file(vars_tmpl, &len);
	if (data == NULL || write_file_atomic(vars, data, len, 0644) < 0) {
		free(key);
		goto out_free;
	}
	unlink(log);
	pid = proc_spawn(argv, log, &cause);
	if (pid < 0) {
		free(key);
		goto out_free;
	}
	for (i = 0; i < 30; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (i == 30) {
		/* A KVM internal error does not end QEMU: it pauses the guest
		 * and prints the error, so read what it said. */
		char *text = read_file(log, NULL);

		works = text == NULL || (strstr(text, "KVM internal error") == NULL &&
		    strstr(text, "emulation failure") == NULL);
		free(text);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	cached = xasprintf("%s %d\n", key, works);
	write_file_atomic(cache, cached, strlen(cached), 0644);
	free(cached);
	free(key);
	unlink(vars);
out_free:
	free(data);
	free(cause);
	free(vars);
	free(cache);
	free(log);
	free(flash0);
	free(flash1);
	return works;
}

int
power_kvm_works(const struct farm_conf *conf, const char *arch)
{
	size_t i;

	if (strcmp(arch, "x86_64") != 0)
		return 0;
	if (kvm_state_x86 < 0) {
		const struct machine_conf *m = NULL;

		for (i = 0; i < conf->nmachines && m == NULL; i++)
			if (conf->machines[i].kind == MACHINE_QEMU &&
			    strcmp(conf->machines[i].arch, "x86_64") == 0)
				m = &conf->machines[i];
		kvm_state_x86 = m ? qemu_probe_kvm_x86(conf, m->firmware,
		    m->firmware_vars) : 0;
		log_info("kvm %s here; x86_64 machines with accel = auto use %s",
		    kvm_state_x86 ? "works" : "does not work",
		    kvm_state_x86 ? "kvm" : "tcg");
	}
	return kvm_state_x86;
}
