/*
 * farmboot_script.h - the farmboot job format's parser (farmboot_script.c):
 * pure, no firmware, so that tests/unit can build it as a hosted program.
 */
#ifndef FARM_FARMBOOT_SCRIPT_H
#define FARM_FARMBOOT_SCRIPT_H

#include "guest.h"

#define FB_MAX_VARS	64
#define FB_MAX_ARGS	64
#define FB_URL_MAX	1024

/* farmboot_script.c */
enum fb_kind { FB_NONE, FB_JOB, FB_IDLE, FB_POLL };

struct fb_var {
	const char *name;
	const char *value;	/* decoded; a NUL-free string */
};

/* A parsed script; every string points into the text it was parsed from. */
struct fb_script {
	enum fb_kind kind;
	unsigned long job;
	unsigned long poll_s;
	struct fb_var vars[FB_MAX_VARS];
	int nvars;
	const char *dtb;	/* NULL: none */
	const char *app;
	const char *app_name;
	const char *args[FB_MAX_ARGS];	/* decoded */
	int nargs;
	const char *done;
};

/*
 * Parses the script in text (NUL-ended; changed in place) into *s. 0, or
 * -1 with *line the number of the first bad line (0: the script as a
 * whole) and err[size] saying what is wrong. s->done is set, when a done
 * line parsed, even on failure, so that the caller can report it.
 */
int fb_script_parse(char *text, struct fb_script *s, int *line, char *err,
    size_t size);

/*
 * The string in DHCP option `code` of a BOOTP/DHCP packet (pkt[len], from
 * the op byte on), for farmboot loaded over TFTP: the firmware's PXE keeps
 * the DHCP answer, and farm's dnsmasq puts farmd's URL in option 224.
 * Pieces of a split option (RFC 3396) are joined. 0 with out[size] set
 * (NUL-ended, printable ASCII only), or -1: no magic cookie, no such
 * option, a malformed option list, a value that does not fit or holds
 * anything but printable ASCII.
 */
int fb_dhcp_option(const unsigned char *pkt, size_t len, int code, char *out,
    size_t size);

#endif
