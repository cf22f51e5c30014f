/*
 * lab.h - the lab network service in `mode = lab`: the bridge and taps
 * (netlab) and dnsmasq on it, supervised: restarted with back-off when it
 * dies, stopped when farmd stops.
 */
#ifndef FARM_LAB_H
#define FARM_LAB_H

struct farm_conf;

/* Start-up: makes the network, writes dnsmasq's config and starts it. */
int lab_start(const struct farm_conf *, char **cause);
/* Shutdown: stops dnsmasq (waits) and removes the network. */
void lab_stop(void);

#endif
