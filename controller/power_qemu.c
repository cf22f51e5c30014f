/*
 * power_qemu.c - the QEMU power backend. "On" starts one QEMU process for
 * one boot: firmware in pflash (code read-only, a fresh copy of the vars
 * template per boot so every boot starts alike), the iPXE ROM on a
 * virtio-net NIC as first boot option, isa-debug-exit for exit statuses,
 * the serial port on farmd's console socket, -no-reboot so a reset ends the
 * process. "Off" is SIGTERM, then SIGKILL after a grace period.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	size_t i;
	pid_t pid;
	FILE *f;

#define S(expr) (strs[ns++] = (expr))
	if (qemu_fresh_vars(p, vars, cause) < 0)
		goto out;
	argv[argc++] = qemu_binary(m);
	argv[argc++] = "-name";
	argv[argc++] = S(xasprintf("farm-%s", m->name));
	argv[argc++] = "-machine";
	argv[argc++] = m->qemu_machine;
	argv[argc++] = "-accel";
	argv[argc++] = qemu_use_kvm(p) ? "kvm" : "tcg";
	argv[argc++] = "-cpu";
	argv[argc++] = m->cpu;
	argv[argc++] = "-m";
	argv[argc++] = S(xasprintf("%u", opts && opts->memory ? opts->memory : m->memory));
	argv[argc++] = "-smp";
	argv[argc++] = S(xasprintf("%u", opts && opts->cpus ? opts->cpus : m->cpus));
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
	if (m->nic_rom)
		argv[argc++] = S(xasprintf("virtio-net-pci,netdev=n0,mac=%s,romfile=%s,"
		    "bootindex=0", m->mac, m->nic_rom));
	else
		argv[argc++] = S(xasprintf("virtio-net-pci,netdev=n0,mac=%s,bootindex=0",
		    m->mac));
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

/* Runs a tiny firmware under KVM that writes 0x2a to isa-debug-exit: QEMU
 * exits with status 85 only when KVM really runs guest code here. /dev/kvm
 * existing is not enough (LAB-NOTES: "emulation failure"). Start-up only. */
static int
qemu_probe_kvm_x86(const struct farm_conf *conf)
{
	static const unsigned char code[] = { 0xb0, 0x2a, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe };
	unsigned char *rom;
	char *path, *cause = NULL;
	const char *argv[] = { "qemu-system-x86_64", "-accel", "kvm", "-machine", "q35",
		"-nodefaults", "-no-user-config", "-display", "none", "-bios", NULL,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", NULL };
	int status = 0, works = 0, i;
	pid_t pid;

	if (access("/dev/kvm", R_OK | W_OK) < 0)
		return 0;
	rom = xmalloc(65536);
	memset(rom, 0xf4, 65536);
	memcpy(rom + 0xfff0, code, sizeof(code));
	path = xasprintf("%s/kvm-probe.bin", conf->state_dir);
	if (write_file_atomic(path, rom, 65536, 0644) < 0)
		goto out;
	argv[10] = path;
	pid = proc_spawn(argv, NULL, &cause);
	if (pid < 0)
		goto out;
	for (i = 0; i < 50; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (i == 50) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 85)
		works = 1;
out:
	free(cause);
	free(rom);
	free(path);
	return works;
}

int
power_kvm_works(const struct farm_conf *conf, const char *arch)
{
	if (strcmp(arch, "x86_64") != 0)
		return 0;
	if (kvm_state_x86 < 0) {
		kvm_state_x86 = qemu_probe_kvm_x86(conf);
		log_info("kvm %s here; x86_64 machines with accel = auto use %s",
		    kvm_state_x86 ? "works" : "does not work",
		    kvm_state_x86 ? "kvm" : "tcg");
	}
	return kvm_state_x86;
}
