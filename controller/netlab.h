/*
 * netlab.h - the lab network farmd makes in `mode = lab`: a bridge with
 * farmd's address (IPv4, and an IPv6 ULA for router advertisements) and one
 * tap per QEMU machine. Nothing else on the host is touched; everything
 * made is removed by netlab_down, or by the next start after a crash.
 */
#ifndef FARM_NETLAB_H
#define FARM_NETLAB_H

struct farm_conf;

/* 1 when this process may make interfaces (CAP_NET_ADMIN). */
int netlab_can(void);

/* Makes the bridge and taps (start-up only: it runs ip(8) and waits).
 * 0 or -1 with *cause. */
int netlab_up(const struct farm_conf *, char **cause);
void netlab_down(void);

/* The tap for machine index i ("farm0t3"), valid while up; NULL if none. */
const char *netlab_tap(const struct farm_conf *, const char *machine);

/* The bridge's IPv6 address when router advertisements can be sent. */
const char *netlab_ipv6(void);

#define NETLAB_IPV6 "fd66:6172:6d00::1"

#endif
