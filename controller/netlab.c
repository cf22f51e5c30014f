/*
 * netlab.c - making and removing the lab bridge and taps with ip(8).
 * Start-up and shutdown only, so running ip and waiting is fine here.
 * What was made is written to <state>/netlab so that a farmd killed
 * before it could clean up removes the leftovers next time, and never
 * touches an interface it did not make.
 */
#include "netlab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proc.h"
#include "util.h"

static struct {
	char **made;            /* interfaces we made, in order */
	size_t nmade;
	char *record;           /* <state>/netlab */
	char *log;
	int ipv6;
	char taps[64][IF_NAMESIZE];
} N;

int
netlab_can(void)
{
	char *status = read_file("/proc/self/status", NULL), *p;
	unsigned long long eff = 0;

	if (status == NULL)
		return geteuid() == 0;
	p = strstr(status, "\nCapEff:");
	if (p)
		eff = strtoull(p + 8, NULL, 16);
	free(status);
	return (eff >> 12) & 1; /* CAP_NET_ADMIN */
}

/* Writes a short value to a /proc/sys file (no rename there). */
static int
sysctl_write(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return -1;
	rc = fputs(value, f) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Runs "ip ARGS..."; 0 when it exited 0. */
static int
netlab_ip(const char *const *argv)
{
	int status = proc_run(argv, N.log);

	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *cmd = proc_argv_string(argv);
		char *tail = proc_log_tail(N.log);

		log_warnx("lab network: %s failed: %s", cmd, tail);
		free(cmd);
		free(tail);
		return -1;
	}
	return 0;
}

static int
netlab_exists(const char *ifname)
{
	return if_nametoindex(ifname) != 0;
}

static void
netlab_record(void)
{
	struct buf b = {0};
	size_t i;

	for (i = 0; i < N.nmade; i++)
		buf_printf(&b, "%s\n", N.made[i]);
	if (write_file_atomic(N.record, b.data ? b.data : "", b.len, 0644) < 0)
		log_warn("lab network: %s", N.record);
	buf_free(&b);
}

static void
netlab_made(const char *ifname)
{
	N.made = xrealloc(N.made, (N.nmade + 1) * sizeof(char *));
	N.made[N.nmade++] = xstrdup(ifname);
	netlab_record();
}

/* Deletes interfaces a killed farmd left (listed in the record file). */
static void
netlab_cleanup_stale(void)
{
	char *text = read_file(N.record, NULL), *line, *save = NULL;

	if (text == NULL)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (netlab_exists(line)) {
			const char *argv[] = { "ip", "link", "del", line, NULL };

			log_info("lab network: removing %s left by an earlier farmd", line);
			netlab_ip(argv);
		}
	}
	free(text);
	unlink(N.record);
}

/* Refuses to use an IPv4 network some other interface of the host has. */
static int
netlab_check_free(const struct farm_conf *conf, char **cause)
{
	struct ifaddrs *ifa, *i;
	struct in_addr want;
	uint32_t mask;
	int rc = 0;

	if (inet_pton(AF_INET, conf->address, &want) != 1) {
		*cause = xasprintf("bad address %s", conf->address);
		return -1;
	}
	mask = conf->prefix ? htonl(~0u << (32 - conf->prefix)) : 0;
	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i; i = i->ifa_next) {
		struct sockaddr_in *sin = (struct sockaddr_in *)i->ifa_addr;

		if (sin == NULL || sin->sin_family != AF_INET)
			continue;
		if ((sin->sin_addr.s_addr & mask) == (want.s_addr & mask)) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
			*cause = xasprintf("the lab network %s/%d is already used on this"
			    " host (%s has %s); choose another [network] address",
			    conf->address, conf->prefix, i->ifa_name, a);
			rc = -1;
			break;
		}
	}
	freeifaddrs(ifa);
	return rc;
}

int
netlab_up(const struct farm_conf *conf, char **cause)
{
	char *addr = xasprintf("%s/%d", conf->address, conf->prefix);
	char *addr6 = xasprintf("%s/64", NETLAB_IPV6);
	const char *br = conf->bridge;
	size_t i, ntaps = 0;
	int rc = -1;

	N.record = xasprintf("%s/netlab", conf->state_dir);
	N.log = xasprintf("%s/netlab.log", conf->state_dir);
	unlink(N.log);
	netlab_cleanup_stale();
	if (netlab_exists(br)) {
		*cause = xasprintf("bridge %s exists and farmd did not make it;"
		    " set [network] bridge to another name", br);
		goto out;
	}
	if (netlab_check_free(conf, cause) < 0)
		goto out;
	{
		const char *mk[] = { "ip", "link", "add", "name", br, "type", "bridge",
			"forward_delay", "0", "stp_state", "0", NULL };
		const char *ad[] = { "ip", "addr", "add", addr, "dev", br, NULL };
		const char *up[] = { "ip", "link", "set", br, "up", NULL };

		if (netlab_ip(mk) < 0)
			goto fail;
		netlab_made(br);
		if (netlab_ip(ad) < 0 || netlab_ip(up) < 0)
			goto fail;
	}
	/* A veth port keeps the bridge's carrier up while no VM runs, so a VM
	 * starting does not take the bridge down and up again (and through
	 * IPv6 duplicate address detection, which delays router adverts).
	 * Deleting one end of a veth pair deletes both. Optional: boots are
	 * only slower without it. */
	{
		char keep[IF_NAMESIZE], peer[IF_NAMESIZE];
		const char *mk[] = { "ip", "link", "add", keep, "type", "veth", "peer",
			"name", peer, NULL };
		const char *en[] = { "ip", "link", "set", keep, "master", br, "up", NULL };
		const char *up[] = { "ip", "link", "set", peer, "up", NULL };
		char *dad = xasprintf("/proc/sys/net/ipv6/conf/%s/accept_dad", br);

		snprintf(keep, sizeof(keep), "%sk", br);
		snprintf(peer, sizeof(peer), "%skp", br);
		if (!netlab_exists(keep) && !netlab_exists(peer) && netlab_ip(mk) == 0) {
			netlab_made(keep);
			if (netlab_ip(en) < 0 || netlab_ip(up) < 0)
				log_warnx("lab network: %s: the bridge may go down between"
				    " boots", keep);
		}
		if (sysctl_write(dad, "0\n") < 0)
			log_debug("lab network: %s: %s", dad, strerror(errno));
		free(dad);
	}
	{
		const char *ad6[] = { "ip", "-6", "addr", "add", addr6, "dev", br,
			"nodad", NULL };

		N.ipv6 = netlab_ip(ad6) == 0;
		if (!N.ipv6)
			log_warnx("lab network: no IPv6 on %s: iPXE may wait ~15 s for"
			    " IPv6 autoconfiguration at each boot", br);
	}
	for (i = 0; i < conf->nmachines && ntaps < ARRAY_SIZE(N.taps); i++) {
		const struct machine_conf *m = &conf->machines[i];
		char *tap;

		if (m->kind != MACHINE_QEMU)
			continue;
		snprintf(N.taps[ntaps], IF_NAMESIZE, "%st%zu", br, ntaps);
		tap = N.taps[ntaps++];
		{
			const char *mk[] = { "ip", "tuntap", "add", "dev", tap, "mode",
				"tap", NULL };
			const char *en[] = { "ip", "link", "set", tap, "master", br, "up",
				NULL };

			if (netlab_exists(tap)) {
				*cause = xasprintf("tap %s exists and farmd did not make it",
				    tap);
				goto out_undo;
			}
			if (netlab_ip(mk) < 0)
				goto fail;
			netlab_made(tap);
			if (netlab_ip(en) < 0)
				goto fail;
		}
	}
	log_info("lab network: bridge %s %s%s, %zu taps", br, addr,
	    N.ipv6 ? " + IPv6 RA" : "", ntaps);
	rc = 0;
	goto out;
fail:
	*cause = xasprintf("could not make the lab network (see %s)", N.log);
out_undo:
	netlab_down();
out:
	free(addr);
	free(addr6);
	return rc;
}

void
netlab_down(void)
{
	while (N.nmade > 0) {
		char *ifname = N.made[--N.nmade];
		const char *argv[] = { "ip", "link", "del", ifname, NULL };

		if (netlab_exists(ifname))
			netlab_ip(argv);
		free(ifname);
	}
	free(N.made);
	N.made = NULL;
	if (N.record)
		unlink(N.record);
}

const char *
netlab_tap(const struct farm_conf *conf, const char *machine)
{
	size_t i, n = 0;

	if (N.made == NULL)
		return NULL;
	for (i = 0; i < conf->nmachines && n < ARRAY_SIZE(N.taps); i++) {
		if (conf->machines[i].kind != MACHINE_QEMU)
			continue;
		if (strcmp(conf->machines[i].name, machine) == 0)
			return N.taps[n];
		n++;
	}
	return NULL;
}

const char *
netlab_ipv6(void)
{
	return N.ipv6 ? NETLAB_IPV6 : NULL;
}
