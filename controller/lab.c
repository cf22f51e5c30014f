/*
 * lab.c - dnsmasq supervision for the lab network. The configuration is
 * written by dnsmasq.c into <state>/dnsmasq.conf (a temporary file renamed
 * into place); dnsmasq runs in the foreground as our child, so its exit is
 * seen at once on the loop and it is restarted after 1, 2, 4 ... 30 s.
 */
#include "lab.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "dnsmasq.h"
#include "log.h"
#include "loop.h"
#include "netlab.h"
#include "proc.h"
#include "util.h"

static struct {
	const struct farm_conf *conf;
	char *conf_path;
	char *log_path;
	pid_t pid;
	struct loop_child *child;
	struct loop_timer *restart;
	int64_t backoff_ms;
	int64_t started;
	int stopping;
} D;

static void lab_dnsmasq_spawn(void *);

static void
lab_dnsmasq_exited(pid_t pid, int status, void *arg)
{
	char *tail;

	(void)pid;
	(void)arg;
	D.pid = 0;
	D.child = NULL;
	if (D.stopping)
		return;
	tail = proc_log_tail(D.log_path);
	/* A dnsmasq that ran a while was fine: start the back-off afresh. */
	if (now_ms() - D.started > 60000)
		D.backoff_ms = 1000;
	log_warnx("dnsmasq exited (status %d)%s%s; restarting in %lld s",
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	    *tail ? ": " : "", tail, (long long)D.backoff_ms / 1000);
	free(tail);
	D.restart = loop_timer_add(D.backoff_ms, lab_dnsmasq_spawn, NULL);
	D.backoff_ms = D.backoff_ms * 2 > 30000 ? 30000 : D.backoff_ms * 2;
}

static int
lab_dnsmasq_start(char **cause)
{
	/* --group= keeps dnsmasq from changing group, which would need
	 * CAP_SETGID (the systemd unit grants only network capabilities). */
	const char *argv[] = { "dnsmasq", "--keep-in-foreground", "--user=root",
		"--group=", "--log-facility=-", NULL, NULL };
	char *arg = xasprintf("--conf-file=%s", D.conf_path);
	pid_t pid;

	argv[5] = arg;
	pid = proc_spawn(argv, D.log_path, cause);
	free(arg);
	if (pid < 0)
		return -1;
	D.pid = pid;
	D.started = now_ms();
	D.child = loop_child_add(pid, lab_dnsmasq_exited, NULL);
	log_info("dnsmasq started on %s (pid %d)", D.conf->bridge, (int)pid);
	return 0;
}

static void
lab_dnsmasq_spawn(void *arg)
{
	char *cause = NULL;

	(void)arg;
	D.restart = NULL;
	if (lab_dnsmasq_start(&cause) < 0) {
		log_warnx("dnsmasq: %s", cause);
		free(cause);
		D.restart = loop_timer_add(D.backoff_ms, lab_dnsmasq_spawn, NULL);
	}
}

/* Writes dnsmasq.conf for the lab network. */
static int
lab_write_config(const struct farm_conf *c, char **cause)
{
	struct dnsmasq_host *hosts = xcalloc(c->nmachines + 1, sizeof(*hosts));
	char *boot_url = xasprintf("%s/boot.ipxe", c->server_url);
	char *leases = xasprintf("%s/dnsmasq.leases", c->state_dir);
	char *pidf = xasprintf("%s/dnsmasq.pid", c->state_dir);
	struct dnsmasq_params p = {
		.interface = c->bridge,
		.address = c->address,
		.range_start = c->dhcp_start,
		.range_end = c->dhcp_end,
		.prefix = c->prefix,
		.ipv6_bridge = netlab_ipv6() ? c->bridge : NULL,
		.tftp_root = "/usr/lib/ipxe",
		.boot_url = boot_url,
		.lease_file = leases,
		.pid_file = pidf,
		.hosts = hosts,
	};
	char *text;
	size_t i;
	int rc = 0;

	for (i = 0; i < c->nmachines; i++) {
		hosts[p.nhosts].mac = c->machines[i].mac;
		hosts[p.nhosts].name = c->machines[i].name;
		p.nhosts++;
	}
	text = dnsmasq_config(&p);
	if (text == NULL) {
		*cause = xstrdup("the lab network settings cannot go into a dnsmasq"
		    " configuration (see the log)");
		rc = -1;
	} else if (write_file_atomic(D.conf_path, text, strlen(text), 0644) < 0) {
		*cause = xasprintf("%s: %s", D.conf_path, strerror(errno));
		rc = -1;
	}
	free(text);
	free(hosts);
	free(boot_url);
	free(leases);
	free(pidf);
	return rc;
}

int
lab_start(const struct farm_conf *c, char **cause)
{
	D.conf = c;
	D.conf_path = xasprintf("%s/dnsmasq.conf", c->state_dir);
	D.log_path = xasprintf("%s/dnsmasq.log", c->state_dir);
	D.backoff_ms = 1000;
	if (netlab_up(c, cause) < 0)
		return -1;
	unlink(D.log_path);
	if (lab_write_config(c, cause) < 0 || lab_dnsmasq_start(cause) < 0) {
		netlab_down();
		return -1;
	}
	return 0;
}

void
lab_stop(void)
{
	int status, i;

	D.stopping = 1;
	loop_timer_cancel(D.restart);
	D.restart = NULL;
	if (D.pid > 0) {
		loop_child_forget(D.child);
		kill(D.pid, SIGTERM);
		for (i = 0; i < 30 && waitpid(D.pid, &status, WNOHANG) == 0; i++)
			usleep(100000);
		if (i == 30) {
			kill(D.pid, SIGKILL);
			waitpid(D.pid, &status, 0);
		}
		D.pid = 0;
	}
	netlab_down();
	free(D.conf_path);
	free(D.log_path);
	D.conf_path = D.log_path = NULL;
}
