/*
 * farmboot.h - what farmboot.efi's files call of one another:
 * farmboot.c (the job loop), farmboot_script.c (the job format),
 * farmboot_net.c (the network interface, its address, bounded HTTP GETs).
 */
#ifndef FARM_FARMBOOT_H
#define FARM_FARMBOOT_H

#include <efi.h>
#include "guest.h"
#include "farmboot_script.h"

/* farmboot.c */
/* Prints "farmboot: " and the message on ConOut (it reaches the serial). */
void fb_say(const char *fmt, ...) __printf(1, 2);

/* farmboot_net.c */
struct fb_net {
	EFI_HANDLE nic;		/* has SNP and the HTTP service binding */
	char mac[3 * 32];	/* "52-54-00-f0-00-03" */
	EFI_IPv4_ADDRESS ip, netmask, gateway;
	bool have_gateway;
};

/*
 * Finds the network interface (the one under device, else the first with
 * SNP and HTTP), its MAC, and its IPv4 address (starting DHCP through
 * EFI_IP4_CONFIG2 when it has none, for at most dhcp_ms).
 */
EFI_STATUS fb_net_open(EFI_HANDLE device, struct fb_net *net,
    unsigned dhcp_ms);

/*
 * GETs url (http://, ASCII) within timeout_ms for all of it. On success
 * *body is pool memory the caller frees, NUL-ended, *len bytes long
 * (at most max). *http_status gets the HTTP number (0: no answer).
 * EFI_HTTP_ERROR for an answer outside 2xx.
 */
EFI_STATUS fb_net_get(struct fb_net *net, const char *url,
    unsigned timeout_ms, size_t max, char **body, size_t *len,
    unsigned *http_status);

/* A few words for an EFI status of the network stack. */
const char *fb_net_status_text(EFI_STATUS st);

#endif
