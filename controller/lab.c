/*
 * lab.c - dnsmasq supervision for the lab network. The configuration is
 * written by dnsmasq.c into <state>/dnsmasq.conf (a temporary file renamed
 * into place); dnsmasq runs in the foreground as our child, so its exit is
 * seen at once on the loop and it is restarted after 1, 2, 4 ... 30 s.
 *
 * What firmware fetches over TFTP is in <state>/tftp/<arch>/: links to the
 * farm's iPXE (ipxe.efi) and farmboot.efi, made afresh at every start.
 * dnsmasq tells farmd of each lease through its dhcp-script, which writes
 * a line into the FIFO <state>/dhcp-events that farmd reads on its loop.
 */
#include "lab.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
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
	char *fifo_path;
	int fifo;
	struct loop_fd *fifo_fd;
	char evbuf[4096];
	size_t evlen;
	lab_event_cb on_event;
} D = { .fifo = -1 };

static const char *const lab_archs[DNSMASQ_NARCH] = { "x86_64", "aarch64" };

static void lab_dnsmasq_spawn(void *);
static void lab_events_close(void);

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
	log_info("dnsmasq started on %s (pid %d)%s", D.conf->mode == NET_PROXY ?
	    D.conf->interface : D.conf->bridge, (int)pid,
	    D.conf->mode == NET_PROXY ? ", ProxyDHCP" : "");
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

/*
 * farmboot.efi as the TFTP server gives it: a copy with farmd's URL in the
 * room the loader keeps for it after FARMBOOT_URL_MARKER (netboot/
 * farmboot.c), so that a loader fetched by PXE finds farmd even where no
 * DHCP option 224 reaches it (ProxyDHCP, a lab's own DHCP server). 0, or
 * -1 when src has no such room (the caller links it as it is).
 */
#define FARMBOOT_URL_MARKER "#farmboot-server-url#"
#define FARMBOOT_URL_ROOM 256

static int
lab_farmboot_copy(const char *src, const char *dst, const char *url)
{
	size_t len, m = strlen(FARMBOOT_URL_MARKER), u = strlen(url);
	char *data = read_file(src, &len), *at;
	int rc = -1;

	if (data == NULL || u + 1 > FARMBOOT_URL_ROOM - m)
		goto out;
	at = memmem(data, len, FARMBOOT_URL_MARKER, m);
	if (at == NULL || (size_t)(at - data) + FARMBOOT_URL_ROOM > len)
		goto out;
	memset(at + m, 0, FARMBOOT_URL_ROOM - m);
	memcpy(at + m, url, u);
	rc = write_file_atomic(dst, data, len, 0644);
out:
	free(data);
	return rc;
}

/* Makes <state>/tftp/<arch>/{ipxe,farmboot}.efi: links to what exists
 * (farmboot.efi: a copy with farmd's URL in it). */
static void
lab_tftp(const struct farm_conf *c, const char *root, int *has_ipxe, int *has_fb)
{
	size_t a;

	mkdir(root, 0755);
	for (a = 0; a < DNSMASQ_NARCH; a++) {
		char *dir = xasprintf("%s/%s", root, lab_archs[a]);
		char *ipxe = xasprintf("%s/ipxe.efi", dir);
		char *fb = xasprintf("%s/farmboot.efi", dir);
		char *fbsrc = xasprintf("%s/%s/farmboot.efi", c->netboot_dir, lab_archs[a]);

		mkdir(dir, 0755);
		unlink(ipxe);
		unlink(fb);
		has_ipxe[a] = has_fb[a] = 0;
		if (c->ipxe[a] && access(c->ipxe[a], R_OK) < 0)
			log_warnx("[network] ipxe_%s: %s: %s; %s firmware PXE clients"
			    " get farmboot.efi", lab_archs[a], c->ipxe[a],
			    strerror(errno), lab_archs[a]);
		else if (c->ipxe[a] && symlink(c->ipxe[a], ipxe) == 0)
			has_ipxe[a] = 1;
		if (access(fbsrc, R_OK) == 0) {
			char *abs = realpath(fbsrc, NULL);

			if (lab_farmboot_copy(fbsrc, fb, c->server_url) == 0 ||
			    (abs && symlink(abs, fb) == 0))
				has_fb[a] = 1;
			free(abs);
		} else {
			log_info("no %s: %s machines without iPXE cannot network-boot"
			    " (`make netboot` builds it)", fbsrc, lab_archs[a]);
		}
		free(dir);
		free(ipxe);
		free(fb);
		free(fbsrc);
	}
}

/* Lines from the dhcp-script. */
static void
lab_fifo_read(int fd, uint32_t events, void *arg)
{
	struct dnsmasq_event ev;
	char *nl;
	ssize_t n;

	(void)events;
	(void)arg;
	for (;;) {
		n = read(fd, D.evbuf + D.evlen, sizeof(D.evbuf) - 1 - D.evlen);
		if (n <= 0)
			return;
		D.evlen += (size_t)n;
		D.evbuf[D.evlen] = '\0';
		while ((nl = strchr(D.evbuf, '\n')) != NULL) {
			*nl = '\0';
			if (dnsmasq_event_parse(D.evbuf, &ev) == 0) {
				if (D.on_event)
					D.on_event(&ev);
			} else {
				log_debug("dhcp-script: ignored line \"%.80s\"", D.evbuf);
			}
			D.evlen -= (size_t)(nl + 1 - D.evbuf);
			memmove(D.evbuf, nl + 1, D.evlen + 1);
		}
		if (D.evlen == sizeof(D.evbuf) - 1)
			D.evlen = 0;    /* a line longer than the script writes */
	}
}

/* The FIFO and the script that writes into it. */
static int
lab_events(const struct farm_conf *c, char **script, char **cause)
{
	char *text;

	D.fifo_path = xasprintf("%s/dhcp-events", c->state_dir);
	*script = xasprintf("%s/dhcp-event.sh", c->state_dir);
	unlink(D.fifo_path);
	if (mkfifo(D.fifo_path, 0600) < 0 ||
	    (D.fifo = open(D.fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
		*cause = xasprintf("%s: %s", D.fifo_path, strerror(errno));
		return -1;
	}
	D.fifo_fd = loop_fd_add(D.fifo, EPOLLIN, lab_fifo_read, NULL);
	text = dnsmasq_event_script(D.fifo_path);
	if (write_file_atomic(*script, text, strlen(text), 0755) < 0) {
		*cause = xasprintf("%s: %s", *script, strerror(errno));
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

/* Writes dnsmasq.conf for the lab network. */
static int
lab_write_config(const struct farm_conf *c, const char *script, char **cause)
{
	struct dnsmasq_host *hosts = xcalloc(c->nmachines + 1, sizeof(*hosts));
	char *tftp = xasprintf("%s/tftp", c->state_dir);
	char *boot_url = xasprintf("%s/boot.ipxe", c->server_url);
	char *leases = xasprintf("%s/dnsmasq.leases", c->state_dir);
	char *pidf = xasprintf("%s/dnsmasq.pid", c->state_dir);
	int proxy = c->mode == NET_PROXY;
	char network[INET_ADDRSTRLEN];
	struct in_addr a;
	struct dnsmasq_params p = {
		.interface = proxy ? c->interface : c->bridge,
		.address = c->address,
		.range_start = c->dhcp_start,
		.range_end = c->dhcp_end,
		.prefix = c->prefix,
		.proxy = proxy,
		.ipv6_bridge = !proxy && netlab_ipv6() ? c->bridge : NULL,
		.tftp_root = tftp,
		.boot_url = boot_url,
		.server_url = c->server_url,
		.dhcp_script = script,
		.lease_file = leases,
		.pid_file = pidf,
		.hosts = hosts,
	};
	char *text;
	size_t i;
	int rc = 0;

	if (proxy && inet_pton(AF_INET, c->address, &a) == 1) {
		a.s_addr &= htonl((uint32_t)(0xffffffffu << (32 - c->prefix)));
		inet_ntop(AF_INET, &a, network, sizeof(network));
		p.range_start = p.range_end = network;
	}
	lab_tftp(c, tftp, p.has_ipxe, p.has_farmboot);
	for (i = 0; i < c->nmachines; i++) {
		hosts[p.nhosts].mac = c->machines[i].mac;
		hosts[p.nhosts].name = c->machines[i].name;
		hosts[p.nhosts].farmboot = c->machines[i].boot == BOOT_FARMBOOT;
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
	free(tftp);
	free(boot_url);
	free(leases);
	free(pidf);
	return rc;
}

int
lab_start(const struct farm_conf *c, lab_event_cb on_event, char **cause)
{
	char *script = NULL;

	D.conf = c;
	D.on_event = on_event;
	D.conf_path = xasprintf("%s/dnsmasq.conf", c->state_dir);
	D.log_path = xasprintf("%s/dnsmasq.log", c->state_dir);
	D.backoff_ms = 1000;
	if (c->mode == NET_LAB && netlab_up(c, cause) < 0)
		return -1;
	unlink(D.log_path);
	if (lab_events(c, &script, cause) < 0 ||
	    lab_write_config(c, script, cause) < 0 || lab_dnsmasq_start(cause) < 0) {
		free(script);
		lab_events_close();
		netlab_down();
		return -1;
	}
	free(script);
	return 0;
}

static void
lab_events_close(void)
{
	if (D.fifo_fd)
		loop_fd_del(D.fifo_fd);
	D.fifo_fd = NULL;
	if (D.fifo >= 0)
		close(D.fifo);
	D.fifo = -1;
	if (D.fifo_path)
		unlink(D.fifo_path);
	free(D.fifo_path);
	D.fifo_path = NULL;
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
	lab_events_close();
	netlab_down();
	free(D.conf_path);
	free(D.log_path);
	D.conf_path = D.log_path = NULL;
}
