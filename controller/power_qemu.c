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
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "power_int.h"
#include "proc.h"
#include "util.h"

#define QEMU_KILL_GRACE_MS 3000

static int kvm_state_x86 = -1;  /* -1: not probed */

static const char *
qemu_binary(const struct machine_conf *m)
{
	if (m->qemu)
		return m->qemu;
	return strcmp(m->arch, "aarch64") == 0 ? "qemu-system-aarch64" :
	    "qemu-system-x86_64";
}

/* The QEMU process ended. */
static void
qemu_exited(pid_t pid, int status, void *arg)
{
	struct power *p = arg;
	char *pidfile = xasprintf("%s/qemu.pid", p->dir);
	int by_us = p->stopping;

	(void)pid;
	/* KVM that aborts under real guests: use TCG from now on. */
	if (p->with_kvm && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
	    strcmp(p->m->accel, "auto") == 0 && kvm_state_x86 == 1) {
		log_warnx("machine %s: qemu aborted under kvm; using tcg from now on",
		    p->m->name);
		kvm_state_x86 = 0;
	}
	unlink(pidfile);
	free(pidfile);
	p->pid = 0;
	p->child = NULL;
	p->stopping = 0;
	loop_timer_cancel(p->kill_timer);
	p->kill_timer = NULL;
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

static int
qemu_on(struct power *p, const struct power_opts *opts, char **cause)
{
	const struct machine_conf *m = p->m;
	char *vars = xasprintf("%s/vars.fd", p->dir);
	char *log = xasprintf("%s/qemu.log", p->dir);
	char *pidfile = xasprintf("%s/qemu.pid", p->dir);
	char *strs[16] = {0};
	const char *argv[64];
	int argc = 0, ns = 0, rc = -1;
	int farmboot = m->boot == BOOT_FARMBOOT;
	int arm = strcmp(m->arch, "aarch64") == 0;
	unsigned memory = opts && opts->memory ? opts->memory : m->memory;
	unsigned cpus = opts && opts->cpus ? opts->cpus : m->cpus;
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
	if (qemu_fresh_vars(p, vars, cause) < 0)
		goto out;
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
	for (i = 0; i < m->nqemu_args && argc < (int)ARRAY_SIZE(argv) - 1; i++)
		argv[argc++] = m->qemu_args[i];
	argv[argc] = NULL;
#undef S

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
	log_info("machine %s: qemu started (pid %d)", m->name, (int)pid);
	rc = 0;
out:
	while (ns > 0)
		free(strs[--ns]);
	free(vars);
	free(log);
	free(pidfile);
	return rc;
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
