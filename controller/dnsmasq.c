/*
 * dnsmasq.c - the dnsmasq configuration for farmd's lab network.
 *
 * One dnsmasq serves the lab bridge and nothing else: DHCP for the
 * machines, TFTP of iPXE for firmware that PXE-boots, and, when the bridge
 * has an IPv6 address, router advertisements. DNS is off. The boot flow it
 * sets up (docs/boot.md, "Boot flow"):
 *   - a DHCP request with option 175 comes from iPXE: it gets farmd's
 *     /boot.ipxe, and iPXE's no-pxedhcp setting (175.176) so it does not
 *     wait for ProxyDHCP offers;
 *   - a firmware PXE request gets an iPXE binary over TFTP, chosen by the
 *     client architecture in option 93, so that no firmware loads a binary
 *     for another architecture (LAB-NOTES: AAVMF then wastes a minute);
 *   - router advertisements stop iPXE from waiting for IPv6
 *     autoconfiguration (LAB-NOTES: DHCP 16 s -> 0.1 s).
 * Each value is checked before it is written: a configuration line ends
 * at a newline and dnsmasq splits values at commas, so a value holding
 * either could add or change options. The text is built only when every
 * value passes.
 */
#include "dnsmasq.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/*
 * The client architectures (DHCP option 93) of each arch farm has loaders
 * for: firmware PXE and UEFI HTTP boot. 9 is what some firmware sends for
 * x86_64 UEFI (RFC 4578 says EBC). Index as config_arch_index.
 */
static const struct dnsmasq_arch {
	const char *name;       /* also the tag and the folder */
	int pxe[2];             /* 0 ends the list */
	int http;
} dnsmasq_archs[DNSMASQ_NARCH] = {
	{ "x86_64", { 7, 9 }, 16 },
	{ "aarch64", { 11, 0 }, 19 },
};

/* IANA's processor architecture types, for messages. */
static const struct {
	int arch;
	const char *name;
} dnsmasq_arch_names[] = {
	{ 0, "x86 BIOS" }, { 6, "x86 32-bit UEFI" }, { 7, "x86_64 UEFI" },
	{ 9, "x86_64 UEFI" }, { 10, "arm 32-bit UEFI" }, { 11, "aarch64 UEFI" },
	{ 15, "x86 32-bit UEFI HTTP" }, { 16, "x86_64 UEFI HTTP" },
	{ 18, "arm 32-bit UEFI HTTP" }, { 19, "aarch64 UEFI HTTP" },
	{ 25, "RISC-V 32-bit UEFI" }, { 27, "RISC-V 64-bit UEFI" },
	{ 35, "RISC-V 32-bit UEFI HTTP" }, { 36, "RISC-V 64-bit UEFI HTTP" },
	{ 39, "LoongArch 64-bit UEFI" }, { 41, "LoongArch 64-bit UEFI HTTP" },
};

const char *
dnsmasq_arch_name(int client_arch)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dnsmasq_arch_names); i++)
		if (dnsmasq_arch_names[i].arch == client_arch)
			return dnsmasq_arch_names[i].name;
	return "an architecture unknown to farm";
}

/* 1 when s is an interface name: 1..15 bytes of [A-Za-z0-9._-]. */
static int
dnsmasq_ifname_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n < 16 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* 1 when s is an IPv4 address in dotted form. */
static int
dnsmasq_ipv4_ok(const char *s)
{
	struct in_addr a;

	return s != NULL && inet_pton(AF_INET, s, &a) == 1;
}

/*
 * 1 when s can stand as one value on a configuration line: printable
 * ASCII without whitespace, ',' (dnsmasq's separator), '#' (comments) or
 * quotes and backslashes (dnsmasq's quoting).
 */
static int
dnsmasq_value_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr(",#\"'\\", c) != NULL)
			return 0;
	}
	return 1;
}

/* 1 when s is a host name dnsmasq takes: 1..63 bytes of [A-Za-z0-9_-],
 * starting with a letter or digit. */
static int
dnsmasq_hostname_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n < 64 && s[0] != '-' && s[0] != '_' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-") == n;
}

/* Checks every value; 0, or -1 after logging the first bad one. */
static int
dnsmasq_check(const struct dnsmasq_params *p)
{
	static const char path[] = "printable ASCII without spaces, ',', '#',"
	    " quotes or backslashes";
	const char *bad = NULL, *want = NULL;
	char mac[18];
	size_t i;

	if (!dnsmasq_ifname_ok(p->interface))
		bad = "interface", want = "1 to 15 bytes of [A-Za-z0-9._-]";
	else if (!dnsmasq_ipv4_ok(p->address))
		bad = "address", want = "an IPv4 address";
	else if (!dnsmasq_ipv4_ok(p->range_start))
		bad = "range start", want = "an IPv4 address";
	else if (!dnsmasq_ipv4_ok(p->range_end))
		bad = "range end", want = "an IPv4 address";
	else if (p->prefix < 1 || p->prefix > 30)
		bad = "prefix", want = "1 to 30";
	else if (p->ipv6_bridge && !dnsmasq_ifname_ok(p->ipv6_bridge))
		bad = "IPv6 bridge", want = "1 to 15 bytes of [A-Za-z0-9._-]";
	else if (p->tftp_root && !dnsmasq_value_ok(p->tftp_root))
		bad = "TFTP root", want = path;
	else if (!dnsmasq_value_ok(p->boot_url) ||
	    (strncmp(p->boot_url, "http://", 7) != 0 &&
	    strncmp(p->boot_url, "https://", 8) != 0))
		bad = "boot URL", want = "an http:// or https:// URL of printable"
		    " ASCII without spaces, ',', '#', quotes or backslashes";
	else if (p->server_url && (!dnsmasq_value_ok(p->server_url) ||
	    strncmp(p->server_url, "http://", 7) != 0))
		bad = "server URL", want = "an http:// URL of printable ASCII without"
		    " spaces, ',', '#', quotes or backslashes";
	else if (p->dhcp_script && !dnsmasq_value_ok(p->dhcp_script))
		bad = "DHCP script", want = path;
	else if (!dnsmasq_value_ok(p->lease_file))
		bad = "lease file", want = path;
	else if (!dnsmasq_value_ok(p->pid_file))
		bad = "pid file", want = path;
	else if (p->nhosts && p->hosts == NULL)
		bad = "hosts", want = "a list";
	for (i = 0; bad == NULL && i < p->nhosts; i++)
		if (mac_parse(p->hosts[i].mac, mac) < 0)
			bad = "host MAC address", want = "a MAC address";
	if (bad) {
		log_warnx("dnsmasq configuration: bad or missing %s: must be %s",
		    bad, want);
		return -1;
	}
	return 0;
}

/*
 * The loaders, by client architecture: firmware PXE clients get iPXE or
 * farmboot.efi over TFTP, UEFI HTTP boot clients the farmboot.efi URL,
 * and a client of an architecture farm has no loader for a file that
 * does not exist, so that it finishes DHCP (farmd hears of it through the
 * dhcp-script) and fails at once instead of trying the next server. Each
 * dhcp-boot's tags exclude every other's, so their order does not matter.
 */
static void
dnsmasq_loaders(struct buf *b, const struct dnsmasq_params *p)
{
	char *excl = xstrdup("");
	size_t a, j;

	buf_printf(b,
	    "\n"
	    "# Firmware network-boot clients, by client architecture (option 93;\n"
	    "# iPXE sends it too, hence tag:!ipxe). UEFI HTTP boot clients send\n"
	    "# vendor class HTTPClient and want it back in the answer.\n"
	    "enable-tftp\n"
	    "tftp-root=%s\n"
	    "dhcp-match=set:netboot,option:client-arch\n"
	    "dhcp-vendorclass=set:httpc,HTTPClient\n"
	    "dhcp-option-force=tag:httpc,60,HTTPClient\n", p->tftp_root);
	if (p->server_url)
		buf_printf(b,
		    "# farmboot.efi loaded over TFTP finds farmd here.\n"
		    "dhcp-option-force=tag:netboot,tag:!ipxe,%d,%s\n",
		    DNSMASQ_SERVER_OPTION, p->server_url);
	for (a = 0; a < DNSMASQ_NARCH; a++) {
		const struct dnsmasq_arch *d = &dnsmasq_archs[a];
		int ipxe = p->has_ipxe[a], fb = p->has_farmboot[a];
		char *tmp;

		buf_printf(b, "\n# %s\n", d->name);
		for (j = 0; j < ARRAY_SIZE(d->pxe) && d->pxe[j]; j++)
			buf_printf(b, "dhcp-match=set:%s,option:client-arch,%d\n",
			    d->name, d->pxe[j]);
		buf_printf(b, "dhcp-match=set:%s,option:client-arch,%d\n", d->name,
		    d->http);
		tmp = xasprintf("%s,tag:!%s", excl, d->name);
		free(excl);
		excl = tmp;
		if (ipxe && fb) {
			buf_printf(b, "dhcp-boot=tag:%s,tag:!ipxe,tag:!httpc,tag:!farmboot,"
			    "%s/ipxe.efi\n", d->name, d->name);
			buf_printf(b, "dhcp-boot=tag:%s,tag:!ipxe,tag:!httpc,tag:farmboot,"
			    "%s/farmboot.efi\n", d->name, d->name);
		} else if (ipxe) {
			buf_printf(b, "dhcp-boot=tag:%s,tag:!ipxe,tag:!httpc,tag:!farmboot,"
			    "%s/ipxe.efi\n", d->name, d->name);
			buf_printf(b, "tag-if=set:" DNSMASQ_NOLOADER_TAG ",tag:%s,"
			    "tag:farmboot\n", d->name);
		} else if (fb) {
			buf_printf(b, "dhcp-boot=tag:%s,tag:!ipxe,tag:!httpc,%s/farmboot.efi\n",
			    d->name, d->name);
		} else {
			buf_printf(b, "tag-if=set:" DNSMASQ_NOLOADER_TAG ",tag:%s\n",
			    d->name);
		}
		if (fb && p->server_url)
			buf_printf(b, "dhcp-boot=tag:%s,tag:!ipxe,tag:httpc,"
			    "%s/netboot/%s/farmboot.efi\n", d->name, p->server_url,
			    d->name);
		else if (ipxe)
			buf_printf(b, "tag-if=set:" DNSMASQ_NOLOADER_TAG ",tag:%s,"
			    "tag:httpc\n", d->name);
	}
	buf_printf(b,
	    "\n"
	    "# Any other architecture: farm has no loader for it.\n"
	    "tag-if=set:" DNSMASQ_NOLOADER_TAG ",tag:netboot%s\n"
	    "dhcp-boot=tag:" DNSMASQ_NOLOADER_TAG ",tag:!ipxe,tag:!httpc,"
	    "farm-has-no-loader-for-this-architecture\n", excl);
	if (p->server_url)
		buf_printf(b, "dhcp-boot=tag:" DNSMASQ_NOLOADER_TAG ",tag:!ipxe,"
		    "tag:httpc,%s/netboot/no-loader-for-this-architecture.efi\n",
		    p->server_url);
	free(excl);
}

/*
 * ProxyDHCP: dnsmasq answers network-boot clients with PXE services only
 * (dhcp-boot and forced options do not go out in proxy mode). iPXE gets
 * the farm's first stage as its boot file; firmware PXE clients of each
 * arch their loader over TFTP. A file name with a suffix gets no ".0"
 * (dnsmasq(8), --pxe-service). UEFI HTTP boot clients are the lab DHCP
 * server's to answer (docs/lab-setup.md).
 */
static void
dnsmasq_proxy_services(struct buf *b, const struct dnsmasq_params *p)
{
	size_t a, j;

	buf_printf(b,
	    "\n"
	    "# iPXE (option 175) gets the farm's first stage; it waits for\n"
	    "# ProxyDHCP offers by itself.\n"
	    "dhcp-match=set:ipxe,175\n"
	    "pxe-prompt=farm,0\n");
	for (a = 0; a < DNSMASQ_NARCH; a++)
		for (j = 0; j < ARRAY_SIZE(dnsmasq_archs[a].pxe) && dnsmasq_archs[a].pxe[j]; j++)
			buf_printf(b, "pxe-service=tag:ipxe,%d,farm,%s\n",
			    dnsmasq_archs[a].pxe[j], p->boot_url);
	if (p->tftp_root == NULL)
		return;
	buf_printf(b,
	    "\n"
	    "# Firmware PXE clients: their loader over TFTP, by client arch.\n"
	    "enable-tftp\n"
	    "tftp-root=%s\n", p->tftp_root);
	for (a = 0; a < DNSMASQ_NARCH; a++) {
		const struct dnsmasq_arch *d = &dnsmasq_archs[a];
		int ipxe = p->has_ipxe[a], fb = p->has_farmboot[a];

		for (j = 0; j < ARRAY_SIZE(d->pxe) && d->pxe[j]; j++) {
			if (ipxe)
				buf_printf(b, "pxe-service=tag:!ipxe,tag:!farmboot,%d,farm,"
				    "%s/ipxe.efi\n", d->pxe[j], d->name);
			if (fb)
				buf_printf(b, "pxe-service=tag:!ipxe,%s%d,farm,"
				    "%s/farmboot.efi\n", ipxe ? "tag:farmboot," : "",
				    d->pxe[j], d->name);
		}
	}
}

char *
dnsmasq_config(const struct dnsmasq_params *p)
{
	struct buf b = {0};
	struct in_addr mask;
	char maskstr[INET_ADDRSTRLEN], mac[18];
	size_t i;

	if (dnsmasq_check(p) < 0)
		return NULL;
	mask.s_addr = htonl((uint32_t)(0xffffffffu << (32 - p->prefix)));
	inet_ntop(AF_INET, &mask, maskstr, sizeof(maskstr));

	buf_printf(&b,
	    "# dnsmasq configuration for the farm lab network on %s.\n"
	    "# Generated by farmd, which rewrites it on every start: do not edit.\n"
	    "# The boot flow it sets up is in docs/boot.md.\n"
	    "\n"
	    "# Only the lab %s, where farmd is %s; no DNS (port 0).\n"
	    "interface=%s\n"
	    "bind-interfaces\n"
	    "except-interface=lo\n"
	    "port=0\n"
	    "no-resolv\n"
	    "no-hosts\n"
	    "\n",
	    p->interface, p->proxy ? "interface" : "bridge", p->address, p->interface);
	if (p->proxy)
		buf_printf(&b,
		    "# ProxyDHCP: the lab's own DHCP server gives the addresses; this\n"
		    "# one only tells network-boot clients what to boot (PXE services).\n"
		    "dhcp-range=%s,proxy,%s\n", p->range_start, maskstr);
	else
		buf_printf(&b,
		    "# DHCP: this is the only server on the lab network.\n"
		    "dhcp-authoritative\n"
		    "dhcp-range=%s,%s,%s,1h\n", p->range_start, p->range_end, maskstr);
	buf_printf(&b,
	    "dhcp-leasefile=%s\n"
	    "pid-file=%s\n"
	    "log-dhcp\n", p->lease_file, p->pid_file);

	if (p->nhosts)
		buf_adds(&b, "\n# The farm's machines.\n");
	for (i = 0; i < p->nhosts; i++) {
		mac_parse(p->hosts[i].mac, mac);
		if (dnsmasq_hostname_ok(p->hosts[i].name)) {
			buf_printf(&b, "dhcp-host=%s,%s%s\n", mac,
			    p->hosts[i].farmboot ? "set:farmboot," : "", p->hosts[i].name);
		} else {
			log_warnx("dnsmasq configuration: machine %s: its name is not"
			    " a host name ([A-Za-z0-9_-], at most 63 bytes); no"
			    " host name given", mac);
			buf_printf(&b, "dhcp-host=%s%s\n", mac,
			    p->hosts[i].farmboot ? ",set:farmboot" : "");
		}
	}

	if (p->proxy) {
		dnsmasq_proxy_services(&b, p);
	} else {
		buf_printf(&b,
		    "\n"
		    "# iPXE sends option 175: it gets the farm's first stage, and option\n"
		    "# 175.176 (no-pxedhcp) so it does not wait for ProxyDHCP offers.\n"
		    "dhcp-match=set:ipxe,175\n"
		    "dhcp-boot=tag:ipxe,%s\n"
		    "dhcp-option=tag:ipxe,encap:175,176,1b\n",
		    p->boot_url);
		if (p->tftp_root)
			dnsmasq_loaders(&b, p);
	}
	if (p->dhcp_script)
		buf_printf(&b,
		    "\n"
		    "# Lease events go to farmd (a client's architecture, a client\n"
		    "# farm has no loader for).\n"
		    "dhcp-script=%s\n", p->dhcp_script);

	if (p->ipv6_bridge)
		buf_printf(&b,
		    "\n"
		    "# Router advertisements: without them iPXE waits for IPv6\n"
		    "# autoconfiguration before it answers DHCP (16 s instead of 0.1 s).\n"
		    "enable-ra\n"
		    "dhcp-range=::,constructor:%s,ra-only\n", p->ipv6_bridge);

	return buf_steal(&b);
}

/*
 * The dhcp-script. dnsmasq runs it with the action, MAC, IP (and host
 * name) as arguments and the transaction in the environment. It opens the
 * FIFO read-write, which never blocks (farmd holds it open to read; if
 * farmd is gone the line is lost, not the script stuck), and writes one
 * tab-separated line of at most PIPE_BUF bytes, so lines never interleave.
 */
char *
dnsmasq_event_script(const char *fifo)
{
	return xasprintf(
	    "#!/bin/sh\n"
	    "# Written by farmd: dnsmasq's dhcp-script. Tells farmd of DHCP leases.\n"
	    "case \"$1\" in add|old) ;; *) exit 0 ;; esac\n"
	    "[ -n \"${DNSMASQ_TAGS:-}\" ] || exit 0\n"
	    "exec 3<>'%s' || exit 0\n"
	    "printf 'farm1\\t%%s\\t%%s\\t%%s\\t%%.200s\\t%%.200s\\n' \"$1\" \"$2\" \"$3\" \\\n"
	    "    \"${DNSMASQ_VENDOR_CLASS:-}\" \"$DNSMASQ_TAGS\" | tr -cd '\\11\\12\\40-\\176' >&3\n",
	    fifo);
}

/* The client architecture in a PXE/HTTP vendor class
 * ("PXEClient:Arch:00011:UNDI:003000"), or -1. */
static int
dnsmasq_vendor_arch(const char *vc, size_t n, int *http)
{
	static const char pxe[] = "PXEClient:Arch:", httpc[] = "HTTPClient:Arch:";
	const char *p;
	int arch = 0, digits = 0;

	*http = n >= 10 && strncmp(vc, "HTTPClient", 10) == 0;
	if (n >= sizeof(pxe) - 1 && strncmp(vc, pxe, sizeof(pxe) - 1) == 0)
		p = vc + sizeof(pxe) - 1;
	else if (n >= sizeof(httpc) - 1 && strncmp(vc, httpc, sizeof(httpc) - 1) == 0)
		p = vc + sizeof(httpc) - 1;
	else
		return -1;
	for (; p < vc + n && *p >= '0' && *p <= '9' && digits < 5; p++, digits++)
		arch = arch * 10 + (*p - '0');
	return digits == 5 ? arch : -1;
}

int
dnsmasq_event_parse(const char *line, struct dnsmasq_event *ev)
{
	const char *f[6], *end;
	size_t len[6], n;
	int i;

	memset(ev, 0, sizeof(*ev));
	ev->client_arch = -1;
	for (i = 0; i < 6; i++) {
		end = strchr(line, i == 5 ? '\n' : '\t');
		if (end == NULL && i == 5)
			end = line + strlen(line);
		if (end == NULL)
			return -1;
		f[i] = line;
		len[i] = (size_t)(end - line);
		line = end + 1;
	}
	if (len[0] != 5 || strncmp(f[0], "farm1", 5) != 0)
		return -1;
	if (len[1] == 0 || len[1] >= sizeof(ev->action) ||
	    (strncmp(f[1], "add", len[1]) != 0 && strncmp(f[1], "old", len[1]) != 0))
		return -1;
	memcpy(ev->action, f[1], len[1]);
	if (len[2] >= sizeof(ev->mac) || len[3] >= sizeof(ev->ip))
		return -1;
	{
		char mac[18], ip[16];
		struct in_addr a;

		memcpy(mac, f[2], len[2]);
		mac[len[2]] = '\0';
		memcpy(ip, f[3], len[3]);
		ip[len[3]] = '\0';
		if (mac_parse(mac, ev->mac) < 0 || inet_pton(AF_INET, ip, &a) != 1)
			return -1;
		memcpy(ev->ip, ip, len[3] + 1);
	}
	ev->client_arch = dnsmasq_vendor_arch(f[4], len[4], &ev->http);
	/* The tags, space-separated. */
	for (line = f[5]; line < f[5] + len[5]; line += n + 1) {
		const char *sp = memchr(line, ' ', (size_t)(f[5] + len[5] - line));

		n = sp ? (size_t)(sp - line) : (size_t)(f[5] + len[5] - line);
		if (n == sizeof(DNSMASQ_NOLOADER_TAG) - 1 &&
		    strncmp(line, DNSMASQ_NOLOADER_TAG, n) == 0)
			ev->noloader = 1;
		if (n == 4 && strncmp(line, "ipxe", 4) == 0)
			ev->ipxe = 1;
	}
	return 0;
}
