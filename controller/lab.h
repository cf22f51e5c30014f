/*
 * lab.h - the lab network service in `mode = lab`: the bridge and taps
 * (netlab) and dnsmasq on it, supervised: restarted with back-off when it
 * dies, stopped when farmd stops.
 */
#ifndef FARM_LAB_H
#define FARM_LAB_H

struct farm_conf;
struct dnsmasq_event;

typedef void (*lab_event_cb)(const struct dnsmasq_event *);

/* Start-up: makes the network, the TFTP folder of loaders, writes
 * dnsmasq's config and starts it. Lease events (a machine got an address;
 * a client farm has no loader for) are given to on_event. */
int lab_start(const struct farm_conf *, lab_event_cb on_event, char **cause);
/* Shutdown: stops dnsmasq (waits) and removes the network. */
void lab_stop(void);

#endif
