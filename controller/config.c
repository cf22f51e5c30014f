/*
 * config.c - farm.conf: reads the INI text into a struct farm_conf.
 *
 * Parsing has two passes. The first splits the text into sections and
 * "key = value" entries and checks the syntax line by line. The second walks
 * each section's entries through the key table, conf_keys[]: every key says
 * in which sections it may appear and which function checks and stores its
 * value. Defaults, cross-key checks (the DHCP range against the network,
 * required keys, duplicate MACs) come last. Every problem becomes one
 * "file:line: message" and parsing goes on, so a single `farmd -n` shows
 * everything that is wrong with a file.
 *
 * The first pass keeps a machine's entries until its section is over
 * because whether a key is allowed depends on the machine's kind, which may
 * be written after it.
 */
#include "config.h"
#include "errlist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define CONF_MAX_SIZE     (1024 * 1024)  /* bytes of farm.conf */
#define CONF_MAX_LINE     4096           /* bytes of one line */
#define CONF_MAX_ERRORS   100            /* shown; the rest are counted */
#define CONF_MAX_MACHINES 1024
#define CONF_MAX_WORDS    256            /* tags, qemu_args */
#define CONF_MAX_TIME     (7 * 24 * 3600)

/* Where a key may be written. */
#define IN_FARM     0x1
#define IN_NETWORK  0x2
#define IN_QEMU     0x4
#define IN_PHYSICAL 0x8
#define IN_MACHINE  (IN_QEMU | IN_PHYSICAL)

enum section_type { SECTION_FARM, SECTION_NETWORK, SECTION_MACHINE, SECTION_SKIP };

/* One "key = value" line; key and value point into the parser's copy of
 * the text. */
struct entry {
	char *key;
	char *value;
	int line;
};

struct section {
	enum section_type type;
	char *name;             /* machine name, into the text copy */
	int line;
	struct entry *entries;
	size_t nentries, cap;
};

struct parser {
	const char *file;
	const char *dir;
	struct errlist errs;
	struct section *sections;
	size_t nsections, seccap;
	size_t nmachine_sections;
	int too_many;           /* "more than CONF_MAX_MACHINES" was said */
	struct section skip;    /* where the keys under a bad header go */
	struct farm_conf *conf;
};

struct conf_key;
/* Checks value and stores it in obj (a farm_conf or a machine_conf);
 * NULL on success, else a message the caller frees. */
typedef char *(*conf_set_fn)(struct parser *, void *obj, const struct conf_key *,
    char *value);

struct conf_key {
	const char *name;
	unsigned where;
	conf_set_fn set;
	size_t off;             /* field in the farm_conf or machine_conf */
	long long min, max;     /* for numbers and times */
};

/* Records one problem at line (0: the file as a whole). */
static void conf_err(struct parser *, int line, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
conf_err(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(&p->errs, line, fmt, ap);
	va_end(ap);
}

/* ---- small checks and conversions ---- */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *
trim(char *s)
{
	char *e;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		*--e = '\0';
	return s;
}

/* 1 when s is non-empty and every byte is in the set (plus alphanumerics). */
static int
all_in(const char *s, const char *set)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr(set, *s) == NULL)
			return 0;
	return 1;
}

static int
has_blank(const char *s)
{
	return strpbrk(s, " \t") != NULL;
}

/* A path from farm.conf, resolved against the directory farm.conf is in. */
static char *
resolve(const char *dir, const char *path)
{
	size_t n;

	if (path[0] == '/' || dir == NULL || dir[0] == '\0' || strcmp(dir, ".") == 0)
		return xstrdup(path);
	n = strlen(dir);
	if (dir[n - 1] == '/')
		return xasprintf("%s%s", dir, path);
	return xasprintf("%s/%s", dir, path);
}

static int
parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static void
format_ipv4(uint32_t a, char out[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &in, out, INET_ADDRSTRLEN);
}

static uint32_t
prefix_mask(int prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

/* A host name or address as written in listen or console: an IPv4
 * address, a bracketed IPv6 address or a DNS name. On success *host is
 * the name without brackets (caller frees). */
static char *
check_host(const char *s, char **host)
{
	unsigned char a6[16];
	size_t n = strlen(s);

	if (n == 0)
		return xstrdup("missing host");
	if (s[0] == '[') {
		char *h;

		if (n < 3 || s[n - 1] != ']')
			return xasprintf("bad IPv6 address %s", s);
		h = xstrndup(s + 1, n - 2);
		if (inet_pton(AF_INET6, h, a6) != 1) {
			free(h);
			return xasprintf("bad IPv6 address %s", s);
		}
		*host = h;
		return NULL;
	}
	if (n > 253 || !all_in(s, ".-") || s[0] == '-' || s[0] == '.')
		return xasprintf("bad host name %s", s);
	*host = xstrdup(s);
	return NULL;
}

/* "HOST:PORT" into a host (caller frees) and a port. */
static char *
check_host_port(const char *s, char **host, int *port)
{
	const char *colon = strrchr(s, ':');
	long long v;
	char *h, *msg;

	if (colon == NULL || colon == s)
		return xasprintf("expected HOST:PORT, not %s", s);
	if (parse_int(colon + 1, 1, 65535, &v) < 0)
		return xasprintf("port %s is not a number from 1 to 65535", colon + 1);
	h = xstrndup(s, (size_t)(colon - s));
	msg = check_host(h, host);
	free(h);
	if (msg == NULL)
		*port = (int)v;
	return msg;
}

/* A duration: "60", "60s", "2m", "1h", "1d", in [min, max] seconds. */
static int
parse_time(const char *s, long long min, long long max, long long *out)
{
	static const struct { char suffix; long long mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[24];
	size_t n = strlen(s), i;
	long long mult = 1, v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (num[n - 1] == units[i].suffix) {
			num[--n] = '\0';
			mult = units[i].mult;
			break;
		}
	}
	if (n == 0 || !isdigit((unsigned char)num[0]))
		return -1;
	if (parse_int(num, 0, max, &v) < 0 || v * mult < min || v * mult > max)
		return -1;
	*out = v * mult;
	return 0;
}

/* A size: a number with an optional K, M, G or T suffix (powers of 1024)
 * times unit bytes, in [min, max] (in units of div bytes). */
static int
parse_size(const char *s, long long unit, long long div, long long min, long long max,
    long long *out)
{
	static const char suffixes[] = "KMGT";
	char num[24];
	size_t n = strlen(s);
	long long v, mult = unit;
	const char *x;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	x = isalpha((unsigned char)num[n - 1]) ?
	    strchr(suffixes, toupper((unsigned char)num[n - 1])) : NULL;
	if (x != NULL) {
		mult = 1LL << (10 * (x - suffixes + 1));
		num[--n] = '\0';
	}
	if (n == 0 || !isdigit((unsigned char)num[0]))
		return -1;
	if (parse_int(num, 0, (1LL << 50) / mult, &v) < 0)
		return -1;
	v *= mult;
	if (v % div != 0)
		return -1;
	v /= div;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Splits s on blanks into a NULL-terminated vector of at most max words,
 * each checked by ok (NULL: any). */
static char *
split_words(const char *s, size_t max, int (*ok)(const char *), char ***vp, size_t *np)
{
	char *copy = xstrdup(s), *w, *save = NULL, **v = NULL;
	size_t n = 0;
	char *msg = NULL;

	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == max) {
			msg = xasprintf("more than %zu words", max);
			break;
		}
		if (ok && !ok(w)) {
			msg = xasprintf("bad word \"%s\"", w);
			break;
		}
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = xstrdup(w);
		v[n] = NULL;
	}
	free(copy);
	if (msg) {
		while (n > 0)
			free(v[--n]);
		free(v);
		return msg;
	}
	*vp = v;
	*np = n;
	return NULL;
}

static void
free_words(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- setters: one per kind of value ---- */

#define FIELD(obj, k, type) ((type *)(void *)((char *)(obj) + (k)->off))

static void
set_str_field(void *obj, const struct conf_key *k, char *value)
{
	char **f = FIELD(obj, k, char *);

	free(*f);
	*f = value;
}

/* Any non-empty text. */
static char *
set_text(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	(void)p;
	if (*value == '\0')
		return xstrdup("empty value");
	set_str_field(obj, k, xstrdup(value));
	return NULL;
}

/* A command line; farmd splits it into argv itself and never runs a shell. */
static char *
set_command(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	return set_text(p, obj, k, value);
}

/* A path, relative ones taken from the directory of farm.conf. */
static char *
set_path(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	if (*value == '\0')
		return xstrdup("empty path");
	set_str_field(obj, k, resolve(p->dir, value));
	return NULL;
}

/* A path, or empty / "none" for nothing at all. */
static char *
set_optpath(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	if (*value == '\0' || strcmp(value, "none") == 0) {
		set_str_field(obj, k, NULL);
		return NULL;
	}
	return set_path(p, obj, k, value);
}

/* A program: a bare name is looked up in PATH, anything with a slash is a
 * path. */
static char *
set_program(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	if (*value == '\0' || has_blank(value))
		return xstrdup("expected one program name or path");
	if (strchr(value, '/') == NULL) {
		set_str_field(obj, k, xstrdup(value));
		return NULL;
	}
	return set_path(p, obj, k, value);
}

/* One word of QEMU option text: "q35", "max", "Skylake-Client,+x2apic". */
static char *
set_word(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	(void)p;
	if (!all_in(value, "._,=+-"))
		return xasprintf("expected one word of letters, digits and ._,=+-, not \"%s\"",
		    value);
	set_str_field(obj, k, xstrdup(value));
	return NULL;
}

static char *
set_uint(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	long long v;

	(void)p;
	if (parse_int(value, k->min, k->max, &v) < 0)
		return xasprintf("%s is not a number from %lld to %lld", value, k->min,
		    k->max);
	*FIELD(obj, k, unsigned) = (unsigned)v;
	return NULL;
}

/* Memory in MiB: "256", "256M", "2G". */
static char *
set_mib(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	long long v;

	(void)p;
	if (parse_size(value, 1LL << 20, 1LL << 20, k->min, k->max, &v) < 0)
		return xasprintf("%s is not a size from %lld to %lld MiB (as in 256 or 2G)",
		    value, k->min, k->max);
	*FIELD(obj, k, unsigned) = (unsigned)v;
	return NULL;
}

/* Bytes: "67108864", "64M", "1G". */
static char *
set_bytes(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	long long v;

	(void)p;
	if (parse_size(value, 1, 1, k->min, k->max, &v) < 0)
		return xasprintf("%s is not a size from %lld to %lld bytes (as in 64M)",
		    value, k->min, k->max);
	*FIELD(obj, k, long long) = v;
	return NULL;
}

static char *
set_time(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	long long v;

	(void)p;
	if (parse_time(value, k->min, k->max, &v) < 0)
		return xasprintf("%s is not a time from %llds to %llds (as in 60, 60s, 2m)",
		    value, k->min, k->max);
	*FIELD(obj, k, int) = (int)v;
	return NULL;
}

static char *
set_bool(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	(void)p;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*FIELD(obj, k, int) = 1;
			return NULL;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*FIELD(obj, k, int) = 0;
			return NULL;
		}
	}
	return xasprintf("%s is not yes or no", value);
}

static char *
set_listen(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct farm_conf *c = obj;
	char *host = NULL, *msg;
	int port = 0;

	(void)p;
	(void)k;
	if ((msg = check_host_port(value, &host, &port)) != NULL)
		return msg;
	free(c->listen_host);
	c->listen_host = host;
	c->listen_port = port;
	return NULL;
}

static char *
set_token(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	const char *s;

	(void)p;
	if (*value == '\0') {
		set_str_field(obj, k, NULL);
		return NULL;
	}
	for (s = value; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '"' || *s == '\'' || *s == '\\')
			return xstrdup("only printable ASCII without blanks, quotes or "
			    "backslashes");
	set_str_field(obj, k, xstrdup(value));
	return NULL;
}

static char *
set_mode(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	static const struct { const char *name; enum net_mode mode; } modes[] = {
		{ "lab", NET_LAB }, { "user", NET_USER }, { "external", NET_EXTERNAL },
		{ "proxy", NET_PROXY },
	};
	struct farm_conf *c = obj;
	size_t i;

	(void)p;
	(void)k;
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (strcmp(value, modes[i].name) == 0) {
			c->mode = modes[i].mode;
			return NULL;
		}
	}
	return xasprintf("unknown mode \"%s\" (lab, proxy, external or user)", value);
}

/* A Linux interface name: at most 15 bytes. */
static char *
set_ifname(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	(void)p;
	if (strlen(value) > 15 || !all_in(value, "._-"))
		return xasprintf("\"%s\" is not an interface name (at most 15 letters, "
		    "digits and ._-)", value);
	set_str_field(obj, k, xstrdup(value));
	return NULL;
}

/* "10.99.0.1/24": farmd's address on the lab network and its prefix. */
static char *
set_address(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct farm_conf *c = obj;
	char *slash = strchr(value, '/'), *addr;
	long long prefix;
	uint32_t a, mask;

	(void)p;
	(void)k;
	if (slash == NULL)
		return xasprintf("%s has no prefix length (as in 10.99.0.1/24)", value);
	addr = xstrndup(value, (size_t)(slash - value));
	if (parse_ipv4(addr, &a) < 0) {
		char *msg = xasprintf("%s is not an IPv4 address", addr);

		free(addr);
		return msg;
	}
	if (parse_int(slash + 1, 8, 30, &prefix) < 0) {
		free(addr);
		return xasprintf("prefix length %s is not a number from 8 to 30", slash + 1);
	}
	mask = prefix_mask((int)prefix);
	if ((a & ~mask) == 0 || (a & ~mask) == ~mask) {
		char *msg = xasprintf("%s is the %s address of its network, not a host",
		    addr, (a & ~mask) == 0 ? "network" : "broadcast");

		free(addr);
		return msg;
	}
	free(c->address);
	c->address = addr;
	c->prefix = (int)prefix;
	return NULL;
}

/* "START,END": checked against the network once [network] is complete. */
static char *
set_range(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct farm_conf *c = obj;
	char *comma = strchr(value, ','), *start, *end;
	uint32_t a, b;

	(void)p;
	(void)k;
	if (comma == NULL)
		return xasprintf("expected START,END, not %s", value);
	*comma = '\0';
	start = trim(value);
	end = trim(comma + 1);
	if (parse_ipv4(start, &a) < 0)
		return xasprintf("%s is not an IPv4 address", start);
	if (parse_ipv4(end, &b) < 0)
		return xasprintf("%s is not an IPv4 address", end);
	if (a > b)
		return xasprintf("start %s is after end %s", start, end);
	free(c->dhcp_start);
	free(c->dhcp_end);
	c->dhcp_start = xstrdup(start);
	c->dhcp_end = xstrdup(end);
	return NULL;
}

/* The base URL machines use: http(s)://HOST[:PORT][/path], no trailing
 * slash. It ends up in boot scripts, so only plain URL bytes pass. */
static char *
set_url(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	const char *rest;
	size_t n;

	(void)p;
	if (strncmp(value, "http://", 7) == 0)
		rest = value + 7;
	else if (strncmp(value, "https://", 8) == 0)
		rest = value + 8;
	else
		return xasprintf("%s does not start with http:// or https://", value);
	if (*rest == '\0' || *rest == '/' || !all_in(rest, ".-_~:/%[]"))
		return xasprintf("%s is not a URL of letters, digits and .-_~:/%%[]", value);
	n = strlen(value);
	while (n > 0 && value[n - 1] == '/')
		value[--n] = '\0';
	set_str_field(obj, k, xstrdup(value));
	return NULL;
}

static char *
set_kind(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct machine_conf *m = obj;

	(void)p;
	(void)k;
	if (strcmp(value, "qemu") == 0)
		m->kind = MACHINE_QEMU;
	else if (strcmp(value, "physical") == 0)
		m->kind = MACHINE_PHYSICAL;
	else
		return xasprintf("unknown kind \"%s\" (qemu or physical)", value);
	return NULL;
}

static char *
set_boot(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct machine_conf *m = obj;

	(void)p;
	(void)k;
	if (strcmp(value, "ipxe") == 0)
		m->boot = BOOT_IPXE;
	else if (strcmp(value, "farmboot") == 0)
		m->boot = BOOT_FARMBOOT;
	else
		return xasprintf("unknown boot \"%s\" (ipxe or farmboot)", value);
	return NULL;
}

/* The canonical name of an architecture, or NULL. */
static const char *
arch_name(const char *s)
{
	if (strcmp(s, "x86_64") == 0)
		return "x86_64";
	if (strcmp(s, "aarch64") == 0 || strcmp(s, "arm64") == 0)
		return "aarch64";
	return NULL;
}

static char *
set_arch(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct machine_conf *m = obj;
	const char *a = arch_name(value);

	(void)p;
	(void)k;
	if (a == NULL)
		return xasprintf("unknown arch \"%s\" (x86_64 or aarch64)", value);
	free(m->arch);
	m->arch = xstrdup(a);
	return NULL;
}

static char *
set_mac(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct machine_conf *m = obj;
	char mac[18];

	(void)p;
	(void)k;
	if (mac_parse(value, mac) < 0)
		return xasprintf("%s is not a MAC address (as in 52:54:00:f0:00:01)", value);
	if (strcmp(mac, "00:00:00:00:00:00") == 0)
		return xasprintf("%s is not a usable MAC address", value);
	if (strtol(mac, NULL, 16) & 1)
		return xasprintf("%s is a multicast address, not a NIC's", value);
	memcpy(m->mac, mac, sizeof(m->mac));
	return NULL;
}

static int
tag_ok(const char *s)
{
	return strlen(s) <= 64 && all_in(s, "._=-");
}

/* Words; "arch=<arch>" is put first once the arch is known. */
static char *
set_tags(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct machine_conf *m = obj;
	char **v = NULL, *msg;
	size_t n = 0, i, j;

	(void)p;
	(void)k;
	if ((msg = split_words(value, CONF_MAX_WORDS - 1, tag_ok, &v, &n)) != NULL) {
		char *full = xasprintf("%s (a tag is up to 64 letters, digits and ._=-)",
		    msg);

		free(msg);
		return full;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(v[i], v[j]) == 0) {
				msg = xasprintf("tag %s given twice", v[i]);
				free_words(v, n);
				return msg;
			}
		}
	}
	free_words(m->tags, m->ntags);
	m->tags = v;
	m->ntags = n;
	return NULL;
}

static char *
set_accel(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	(void)p;
	if (strcmp(value, "auto") != 0 && strcmp(value, "kvm") != 0 &&
	    strcmp(value, "tcg") != 0)
		return xasprintf("unknown accel \"%s\" (auto, kvm or tcg)", value);
	set_str_field(obj, k, xstrdup(value));
	return NULL;
}

static char *
set_qemu_args(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct machine_conf *m = obj;
	char **v = NULL, *msg;
	size_t n = 0;

	(void)p;
	(void)k;
	if ((msg = split_words(value, CONF_MAX_WORDS, NULL, &v, &n)) != NULL)
		return msg;
	free_words(m->qemu_args, m->nqemu_args);
	m->qemu_args = v;
	m->nqemu_args = n;
	return NULL;
}

/* tcp:HOST:PORT, telnet:HOST:PORT or command:CMD. */
static char *
set_console(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	const char *rest;
	char *host = NULL, *msg;
	int port;

	(void)p;
	if (strncmp(value, "command:", 8) == 0) {
		if (*trim(value + 8) == '\0')
			return xstrdup("command: needs a command");
	} else if (strncmp(value, "tcp:", 4) == 0 || strncmp(value, "telnet:", 7) == 0) {
		rest = strchr(value, ':') + 1;
		if ((msg = check_host_port(rest, &host, &port)) != NULL)
			return msg;
		free(host);
	} else {
		return xasprintf("\"%s\" is not tcp:HOST:PORT, telnet:HOST:PORT or "
		    "command:CMD", value);
	}
	set_str_field(obj, k, xstrdup(value));
	return NULL;
}

/* Space-separated http(s) URLs. */
static char *
set_webhooks(struct parser *p, void *obj, const struct conf_key *k, char *value)
{
	struct farm_conf *c = obj;
	char **v = NULL, *msg;
	size_t n = 0, i;

	(void)p;
	(void)k;
	if ((msg = split_words(value, CONF_MAX_WORDS, NULL, &v, &n)) != NULL)
		return msg;
	for (i = 0; i < n; i++) {
		if ((strncmp(v[i], "http://", 7) != 0 && strncmp(v[i], "https://", 8) != 0) ||
		    strlen(v[i]) > 2048) {
			msg = xasprintf("\"%s\" is not an http:// or https:// URL", v[i]);
			free_words(v, n);
			return msg;
		}
	}
	free_words(c->webhooks, c->nwebhooks);
	c->webhooks = v;
	c->nwebhooks = n;
	return NULL;
}

#define F(field) offsetof(struct farm_conf, field)
#define M(field) offsetof(struct machine_conf, field)

/* Every key of farm.conf. docs/farm.conf.md describes each one. */
static const struct conf_key conf_keys[] = {
	{ .name = "listen", .where = IN_FARM, .set = set_listen },
	{ .name = "state_dir", .where = IN_FARM, .set = set_path, .off = F(state_dir) },
	{ .name = "api_token", .where = IN_FARM, .set = set_token, .off = F(api_token) },
	{ .name = "suite", .where = IN_FARM, .set = set_path, .off = F(suite) },
	{ .name = "tests_dir", .where = IN_FARM, .set = set_path, .off = F(tests_dir) },
	{ .name = "netboot_dir", .where = IN_FARM, .set = set_path, .off = F(netboot_dir) },
	{ .name = "max_upload", .where = IN_FARM, .set = set_bytes, .off = F(max_upload),
	  .min = 1024, .max = 16LL << 30 },
	{ .name = "web_dir", .where = IN_FARM, .set = set_path, .off = F(web_dir) },
	{ .name = "max_infra", .where = IN_FARM, .set = set_uint, .off = F(max_infra),
	  .min = 0, .max = 1000 },
	{ .name = "webhooks", .where = IN_FARM, .set = set_webhooks },
	{ .name = "health_check", .where = IN_FARM, .set = set_word,
	  .off = F(health_check) },

	{ .name = "mode", .where = IN_NETWORK, .set = set_mode },
	{ .name = "bridge", .where = IN_NETWORK, .set = set_ifname, .off = F(bridge) },
	{ .name = "interface", .where = IN_NETWORK, .set = set_ifname, .off = F(interface) },
	{ .name = "address", .where = IN_NETWORK, .set = set_address },
	{ .name = "dhcp_range", .where = IN_NETWORK, .set = set_range },
	{ .name = "server_url", .where = IN_NETWORK, .set = set_url, .off = F(server_url) },
	{ .name = "ipxe_x86_64", .where = IN_NETWORK, .set = set_optpath, .off = F(ipxe[0]) },
	{ .name = "ipxe_aarch64", .where = IN_NETWORK, .set = set_optpath, .off = F(ipxe[1]) },

	{ .name = "kind", .where = IN_MACHINE, .set = set_kind },
	{ .name = "arch", .where = IN_MACHINE, .set = set_arch },
	{ .name = "mac", .where = IN_MACHINE, .set = set_mac },
	{ .name = "tags", .where = IN_MACHINE, .set = set_tags },
	{ .name = "boot_timeout", .where = IN_MACHINE, .set = set_time,
	  .off = M(boot_timeout), .min = 1, .max = CONF_MAX_TIME },
	{ .name = "fetch_timeout", .where = IN_MACHINE, .set = set_time,
	  .off = M(fetch_timeout), .min = 1, .max = CONF_MAX_TIME },
	{ .name = "output_timeout", .where = IN_MACHINE, .set = set_time,
	  .off = M(output_timeout), .min = 1, .max = CONF_MAX_TIME },
	{ .name = "job_timeout", .where = IN_MACHINE, .set = set_time,
	  .off = M(job_timeout), .min = 1, .max = CONF_MAX_TIME },
	{ .name = "always_on", .where = IN_MACHINE, .set = set_bool, .off = M(always_on) },
	{ .name = "boot", .where = IN_MACHINE, .set = set_boot },
	{ .name = "dtb", .where = IN_MACHINE, .set = set_path, .off = M(dtb) },

	{ .name = "memory", .where = IN_QEMU, .set = set_mib, .off = M(memory),
	  .min = 32, .max = 1 << 20 },
	{ .name = "cpus", .where = IN_QEMU, .set = set_uint, .off = M(cpus),
	  .min = 1, .max = 256 },
	{ .name = "qemu_machine", .where = IN_QEMU, .set = set_word, .off = M(qemu_machine) },
	{ .name = "cpu", .where = IN_QEMU, .set = set_word, .off = M(cpu) },
	{ .name = "accel", .where = IN_QEMU, .set = set_accel, .off = M(accel) },
	{ .name = "qemu", .where = IN_QEMU, .set = set_program, .off = M(qemu) },
	{ .name = "firmware", .where = IN_QEMU, .set = set_path, .off = M(firmware) },
	{ .name = "vars", .where = IN_QEMU, .set = set_path, .off = M(firmware_vars) },
	{ .name = "nic_rom", .where = IN_QEMU, .set = set_optpath, .off = M(nic_rom) },
	{ .name = "qemu_args", .where = IN_QEMU, .set = set_qemu_args },
	{ .name = "snapshot", .where = IN_QEMU, .set = set_bool, .off = M(snapshot) },

	{ .name = "power_on", .where = IN_PHYSICAL, .set = set_command, .off = M(power_on) },
	{ .name = "power_off", .where = IN_PHYSICAL, .set = set_command, .off = M(power_off) },
	{ .name = "power_cycle", .where = IN_PHYSICAL, .set = set_command,
	  .off = M(power_cycle) },
	{ .name = "console", .where = IN_PHYSICAL, .set = set_console, .off = M(console) },
};

#undef F
#undef M

#define NKEYS ARRAY_SIZE(conf_keys)

static int
key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The line a key was set on in the current section, 0 when it was not. */
static int
key_line(const int *seen, const char *name)
{
	int i = key_index(name);

	return i < 0 ? 0 : seen[i];
}

/* Per-arch defaults of a QEMU machine (LAB-NOTES.md: firmware paths). */
static const struct arch_defaults {
	const char *arch;
	const char *machine;
	const char *firmware;
	const char *vars;
	const char *nic_rom;
} arch_defaults[] = {
	{ "x86_64", "q35", "/usr/share/OVMF/OVMF_CODE_4M.fd",
	  "/usr/share/OVMF/OVMF_VARS_4M.fd", "/usr/lib/ipxe/qemu/efi-virtio.rom" },
	{ "aarch64", "virt", "/usr/share/AAVMF/AAVMF_CODE.fd",
	  "/usr/share/AAVMF/AAVMF_VARS.fd", NULL },
};

/* ---- first pass: lines into sections ---- */

static struct section *
section_add(struct parser *p, enum section_type type, char *name, int line)
{
	struct section *s;

	if (p->nsections == p->seccap) {
		p->seccap = p->seccap ? p->seccap * 2 : 8;
		p->sections = xrealloc(p->sections, p->seccap * sizeof(*p->sections));
	}
	s = &p->sections[p->nsections++];
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->name = name;
	s->line = line;
	return s;
}

static void
entry_add(struct section *s, char *key, char *value, int line)
{
	if (s->nentries == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->entries = xrealloc(s->entries, s->cap * sizeof(*s->entries));
	}
	s->entries[s->nentries].key = key;
	s->entries[s->nentries].value = value;
	s->entries[s->nentries].line = line;
	s->nentries++;
}

static int
machine_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 63 && isalnum((unsigned char)s[0]) && all_in(s, "._-");
}

static struct section *
find_section(struct parser *p, enum section_type type, const char *name)
{
	size_t i;

	for (i = 0; i < p->nsections; i++) {
		struct section *s = &p->sections[i];

		if (s->type == type && (name == NULL || strcmp(s->name, name) == 0))
			return s;
	}
	return NULL;
}

/* "[farm]", "[network]" or "[machine NAME]"; the section keys go to from
 * now on: p->skip after a bad header, so that one mistake does not give an
 * error for every key under it. Only good sections are stored, at most
 * CONF_MAX_MACHINES + 2. */
static struct section *
parse_header(struct parser *p, char *s, int line)
{
	char *end = strchr(s, ']'), *inner, *word, *name;
	struct section *dup;
	enum section_type type;

	if (end == NULL) {
		conf_err(p, line, "section header without ]");
		return &p->skip;
	}
	if (*trim(end + 1) != '\0') {
		conf_err(p, line, "text after the section header");
		return &p->skip;
	}
	*end = '\0';
	inner = trim(s + 1);
	word = inner;
	name = inner + strcspn(inner, " \t");
	if (*name != '\0') {
		*name++ = '\0';
		name = trim(name);
	}
	if (strcmp(word, "farm") == 0 || strcmp(word, "network") == 0) {
		type = word[0] == 'f' ? SECTION_FARM : SECTION_NETWORK;
		if (*name != '\0') {
			conf_err(p, line, "[%s] takes no name", word);
			return &p->skip;
		}
		if ((dup = find_section(p, type, NULL)) != NULL) {
			conf_err(p, line, "duplicate section [%s] (first at line %d)", word,
			    dup->line);
			return &p->skip;
		}
		return section_add(p, type, NULL, line);
	}
	if (strcmp(word, "machine") == 0) {
		if (*name == '\0') {
			conf_err(p, line, "[machine] needs a name, as in [machine vm-x86]");
			return &p->skip;
		}
		if (!machine_name_ok(name)) {
			conf_err(p, line, "bad machine name \"%s\" (1 to 63 letters, digits "
			    "and ._-, starting with a letter or digit)", name);
			return &p->skip;
		}
		if (p->nmachine_sections == CONF_MAX_MACHINES) {
			if (!p->too_many)
				conf_err(p, line, "more than %d machines", CONF_MAX_MACHINES);
			p->too_many = 1;
			return &p->skip;
		}
		if ((dup = find_section(p, SECTION_MACHINE, name)) != NULL) {
			conf_err(p, line, "duplicate machine %s (first at line %d)", name,
			    dup->line);
			return &p->skip;
		}
		p->nmachine_sections++;
		return section_add(p, SECTION_MACHINE, name, line);
	}
	conf_err(p, line, "unknown section [%s] (farm, network or machine NAME)", inner);
	return &p->skip;
}

/* Cuts a comment: '#' or ';' at the start or after a blank. */
static void
strip_comment(char *s)
{
	char *c;

	for (c = s; *c; c++) {
		if ((*c == '#' || *c == ';') && (c == s || is_blank(c[-1]))) {
			*c = '\0';
			return;
		}
	}
}

static int
key_name_ok(const char *s)
{
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* The first pass over text (which it cuts into pieces). */
static void
parse_lines(struct parser *p, char *text)
{
	struct section *cur = NULL;
	char *line = text, *next, *s, *eq;
	int lineno = 0;
	size_t len;

	for (; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else if (*line == '\0')
			break;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len > CONF_MAX_LINE) {
			conf_err(p, lineno, "line is %zu bytes long (at most %d)", len,
			    CONF_MAX_LINE);
			continue;
		}
		for (s = line; *s; s++)
			if ((unsigned char)*s < ' ' && *s != '\t')
				break;
		if (*s != '\0' || strchr(line, 0x7f) != NULL) {
			conf_err(p, lineno, "control character in line (binary file?)");
			continue;
		}
		strip_comment(line);
		s = trim(line);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			cur = parse_header(p, s, lineno);
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			conf_err(p, lineno, "expected \"key = value\" or a [section]");
			continue;
		}
		*eq = '\0';
		s = trim(s);
		if (*s == '\0' || !key_name_ok(s)) {
			conf_err(p, lineno, "bad key \"%s\"", s);
			continue;
		}
		if (cur == NULL) {
			conf_err(p, lineno, "%s: key outside a section (start with [farm], "
			    "[network] or [machine NAME])", s);
			continue;
		}
		if (cur->type != SECTION_SKIP)
			entry_add(cur, s, trim(eq + 1), lineno);
	}
}

/* ---- second pass: entries through the key table ---- */

static const char *
section_label(const struct section *s, char *buf, size_t size)
{
	switch (s->type) {
	case SECTION_FARM:
		return "[farm]";
	case SECTION_NETWORK:
		return "[network]";
	default:
		snprintf(buf, size, "[machine %s]", s->name ? s->name : "");
		return buf;
	}
}

static const char *
where_label(unsigned where)
{
	if (where & IN_FARM)
		return "[farm]";
	if (where & IN_NETWORK)
		return "[network]";
	return "[machine NAME]";
}

/* Applies every entry of s to obj. where: the keys allowed (for a machine,
 * those of its kind). seen[i] gets the line key i was set on. */
static void
apply_entries(struct parser *p, const struct section *s, void *obj, unsigned where,
    int *seen)
{
	unsigned section_mask = s->type == SECTION_FARM ? IN_FARM :
	    s->type == SECTION_NETWORK ? IN_NETWORK : IN_MACHINE;
	char label[96];
	size_t i;

	for (i = 0; i < s->nentries; i++) {
		const struct entry *e = &s->entries[i];
		int idx = key_index(e->key);
		const struct conf_key *k;
		char *msg;

		if (idx < 0) {
			conf_err(p, e->line, "unknown key \"%s\" in %s", e->key,
			    section_label(s, label, sizeof(label)));
			continue;
		}
		k = &conf_keys[idx];
		if ((k->where & section_mask) == 0) {
			conf_err(p, e->line, "%s: belongs in %s, not in %s", e->key,
			    where_label(k->where), section_label(s, label, sizeof(label)));
			continue;
		}
		if ((k->where & where) == 0) {
			conf_err(p, e->line, "%s: only for kind = %s machines, and %s is "
			    "kind = %s", e->key, k->where & IN_QEMU ? "qemu" : "physical",
			    s->name, where & IN_QEMU ? "qemu" : "physical");
			continue;
		}
		if (seen[idx]) {
			conf_err(p, e->line, "duplicate key %s (first at line %d)", e->key,
			    seen[idx]);
			continue;
		}
		seen[idx] = e->line;
		if ((msg = k->set(p, obj, k, e->value)) != NULL) {
			conf_err(p, e->line, "%s: %s", e->key, msg);
			free(msg);
		}
	}
}

/* The DHCP range when none is given: .100 to .199 on a /24 or larger
 * network, else the upper half of the network. */
static void
default_range(uint32_t net, int prefix, uint32_t *start, uint32_t *end)
{
	uint32_t size = 1u << (32 - prefix);

	if (prefix <= 24) {
		*start = net + 100;
		*end = net + 199;
	} else {
		*start = net + size / 2;
		*end = net + size - 2;
	}
}

static void
network_finish(struct parser *p, const int *seen)
{
	struct farm_conf *c = p->conf;
	int range_line = key_line(seen, "dhcp_range");
	uint32_t addr, mask, start, end;
	char s[INET_ADDRSTRLEN];

	if (c->bridge == NULL)
		c->bridge = xstrdup("farm0");
	if (c->address == NULL) {
		if (key_line(seen, "address"))
			return;         /* bad address, reported */
		c->address = xstrdup("10.99.0.1");
		c->prefix = 24;
	}
	if (parse_ipv4(c->address, &addr) < 0)
		return;
	mask = prefix_mask(c->prefix);
	if (c->dhcp_start == NULL) {
		if (range_line)
			return;         /* bad range, reported */
		default_range(addr & mask, c->prefix, &start, &end);
		format_ipv4(start, s);
		c->dhcp_start = xstrdup(s);
		format_ipv4(end, s);
		c->dhcp_end = xstrdup(s);
		range_line = key_line(seen, "address");
	} else {
		if (parse_ipv4(c->dhcp_start, &start) < 0 ||
		    parse_ipv4(c->dhcp_end, &end) < 0)
			return;
		if ((start & mask) != (addr & mask) || (end & mask) != (addr & mask) ||
		    (start & ~mask) == 0 || (end & ~mask) == ~mask) {
			conf_err(p, range_line, "dhcp_range: %s,%s is not inside the "
			    "network %s/%d", c->dhcp_start, c->dhcp_end, c->address,
			    c->prefix);
			return;
		}
	}
	if (c->mode == NET_LAB && addr >= start && addr <= end)
		conf_err(p, range_line, "dhcp_range: %s,%s contains farmd's own "
		    "address %s", c->dhcp_start, c->dhcp_end, c->address);
	if (c->mode == NET_PROXY && c->interface == NULL && !key_line(seen, "interface"))
		conf_err(p, key_line(seen, "mode"), "mode = proxy needs interface (the"
		    " lab interface whose DHCP server farmd's dnsmasq answers beside)");
	if (c->mode != NET_PROXY && c->interface != NULL)
		conf_err(p, key_line(seen, "interface"), "interface is for mode = proxy"
		    " (mode = lab makes its own bridge: see bridge)");
}

/* Checks the kind's required keys and fills in every default. */
static void
machine_finish(struct parser *p, const struct section *s, struct machine_conf *m,
    const int *seen)
{
	const struct arch_defaults *d = NULL;
	char **tags, *archtag;
	size_t i, n;

	if (!key_line(seen, "kind"))
		conf_err(p, s->line, "machine %s: kind is required (qemu or physical)",
		    m->name);
	if (!key_line(seen, "arch"))
		conf_err(p, s->line, "machine %s: arch is required (x86_64 or aarch64)",
		    m->name);
	if (!key_line(seen, "mac"))
		conf_err(p, s->line, "machine %s: mac is required", m->name);
	if (key_line(seen, "kind") && m->kind == MACHINE_PHYSICAL &&
	    !key_line(seen, "power_on"))
		conf_err(p, s->line, "machine %s: power_on is required for a physical "
		    "machine", m->name);

	if (m->boot_timeout == 0)
		m->boot_timeout = 60;
	if (m->fetch_timeout == 0)
		m->fetch_timeout = 30;
	if (m->output_timeout == 0)
		m->output_timeout = 30;
	if (m->job_timeout == 0)
		m->job_timeout = 300;

	if (m->arch == NULL)
		return;
	for (i = 0; i < ARRAY_SIZE(arch_defaults); i++)
		if (strcmp(arch_defaults[i].arch, m->arch) == 0)
			d = &arch_defaults[i];

	/* "arch=<arch>" first; the same tag written by hand is dropped, another
	 * arch is an error. */
	archtag = xasprintf("arch=%s", m->arch);
	tags = xcalloc(m->ntags + 2, sizeof(*tags));
	tags[0] = archtag;
	n = 1;
	for (i = 0; i < m->ntags; i++) {
		if (strcmp(m->tags[i], archtag) == 0) {
			free(m->tags[i]);
			continue;
		}
		if (strncmp(m->tags[i], "arch=", 5) == 0)
			conf_err(p, key_line(seen, "tags"), "tags: %s contradicts arch = %s",
			    m->tags[i], m->arch);
		tags[n++] = m->tags[i];
	}
	free(m->tags);
	m->tags = tags;
	m->ntags = n;

	if (m->kind != MACHINE_QEMU || !key_line(seen, "kind") || d == NULL)
		return;
	if (!key_line(seen, "snapshot"))
		m->snapshot = 1;
	if (m->memory == 0)
		m->memory = 256;
	if (m->cpus == 0)
		m->cpus = 1;
	if (m->qemu_machine == NULL)
		m->qemu_machine = xstrdup(d->machine);
	if (m->cpu == NULL)
		m->cpu = xstrdup("max");
	if (m->accel == NULL)
		m->accel = xstrdup("auto");
	if (m->qemu == NULL)
		m->qemu = xasprintf("qemu-system-%s", m->arch);
	if (m->firmware == NULL)
		m->firmware = xstrdup(d->firmware);
	if (m->firmware_vars == NULL)
		m->firmware_vars = xstrdup(d->vars);
	if (!key_line(seen, "nic_rom") && d->nic_rom != NULL)
		m->nic_rom = xstrdup(d->nic_rom);
}

/* Builds one machine from its section. */
static void
machine_apply(struct parser *p, const struct section *s, struct machine_conf *m,
    int *macline)
{
	int seen[NKEYS];
	unsigned where = IN_MACHINE;
	size_t i;

	memset(seen, 0, sizeof(seen));
	m->name = xstrdup(s->name);
	m->line = s->line;
	for (i = 0; i < s->nentries; i++) {
		if (strcmp(s->entries[i].key, "kind") == 0) {
			if (strcmp(s->entries[i].value, "qemu") == 0)
				where = IN_QEMU;
			else if (strcmp(s->entries[i].value, "physical") == 0)
				where = IN_PHYSICAL;
			break;
		}
	}
	apply_entries(p, s, m, where, seen);
	machine_finish(p, s, m, seen);
	*macline = key_line(seen, "mac");
}

static void
farm_finish(struct parser *p)
{
	struct farm_conf *c = p->conf;

	if (c->listen_host == NULL) {
		c->listen_host = xstrdup("127.0.0.1");
		c->listen_port = 8080;
	}
	if (c->state_dir == NULL)
		c->state_dir = resolve(p->dir, "state");
	if (c->suite == NULL)
		c->suite = resolve(p->dir, "guest/unittests.cfg");
	if (c->tests_dir == NULL)
		c->tests_dir = resolve(p->dir, "build/guest");
	if (c->netboot_dir == NULL)
		c->netboot_dir = resolve(p->dir, "build/netboot");
	if (c->max_upload == 0)
		c->max_upload = 64LL << 20;
}

int
config_arch_index(const char *arch)
{
	if (arch && strcmp(arch, "x86_64") == 0)
		return 0;
	if (arch && strcmp(arch, "aarch64") == 0)
		return 1;
	return -1;
}

const char *
config_boot_name(enum boot_loader b)
{
	return b == BOOT_FARMBOOT ? "farmboot" : "ipxe";
}

/* Each machine's loader: what it says, else iPXE when the farm has one for
 * its arch, else farmboot.efi. iPXE asked for where the farm has none is an
 * error: the machine could never boot. */
static void
boot_finish(struct parser *p)
{
	struct farm_conf *c = p->conf;
	size_t i;
	int a;

	for (i = 0; i < c->nmachines; i++) {
		struct machine_conf *m = &c->machines[i];

		if ((a = config_arch_index(m->arch)) < 0)
			continue;
		if (m->boot == BOOT_AUTO)
			m->boot = c->ipxe[a] ? BOOT_IPXE : BOOT_FARMBOOT;
		else if (m->boot == BOOT_IPXE && c->ipxe[a] == NULL &&
		    !(m->kind == MACHINE_QEMU && m->nic_rom))
			conf_err(p, m->line, "machine %s: boot = ipxe, but the farm has"
			    " no iPXE for %s (set [network] ipxe_%s)", m->name,
			    m->arch, m->arch);
	}
}

static void
check_macs(struct parser *p, const int *macline)
{
	struct farm_conf *c = p->conf;
	size_t i, j;

	for (i = 0; i < c->nmachines; i++) {
		if (c->machines[i].mac[0] == '\0')
			continue;
		for (j = 0; j < i; j++) {
			if (strcmp(c->machines[i].mac, c->machines[j].mac) == 0) {
				conf_err(p, macline[i], "mac %s is also machine %s's "
				    "(line %d)", c->machines[i].mac, c->machines[j].name,
				    macline[j]);
				break;
			}
		}
	}
}

static void
parser_free(struct parser *p)
{
	size_t i;

	errlist_free(&p->errs);
	for (i = 0; i < p->nsections; i++)
		free(p->sections[i].entries);
	free(p->sections);
}

struct farm_conf *
config_parse(const char *name, const char *dir, const char *text, char **cause)
{
	struct parser p;
	struct farm_conf *c;
	struct section *s;
	char *copy = xstrdup(text);
	int farm_seen[NKEYS], net_seen[NKEYS], *macline;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.skip.type = SECTION_SKIP;
	p.file = name;
	p.errs.file = name;
	p.errs.max = CONF_MAX_ERRORS;
	p.dir = dir ? dir : ".";
	c = p.conf = xcalloc(1, sizeof(*c));
	c->max_infra = 3;
	c->path = xstrdup(name);
	c->dir = xstrdup(p.dir);
	c->mode = NET_LAB;
	memset(farm_seen, 0, sizeof(farm_seen));
	memset(net_seen, 0, sizeof(net_seen));

	parse_lines(&p, copy);

	/* [farm] before [network], whatever their order in the file:
	 * server_url's default needs the port from listen. */
	if ((s = find_section(&p, SECTION_FARM, NULL)) != NULL)
		apply_entries(&p, s, c, IN_FARM, farm_seen);
	farm_finish(&p);
	if ((s = find_section(&p, SECTION_NETWORK, NULL)) != NULL)
		apply_entries(&p, s, c, IN_NETWORK, net_seen);
	network_finish(&p, net_seen);
	if (!key_line(net_seen, "ipxe_x86_64"))
		c->ipxe[0] = xstrdup("/usr/lib/ipxe/ipxe.efi");
	if (c->server_url == NULL && c->address != NULL)
		c->server_url = xasprintf("http://%s:%d",
		    c->mode == NET_USER ? "10.0.2.2" : c->address, c->listen_port);

	c->machines = xcalloc(p.nmachine_sections, sizeof(*c->machines));
	macline = xcalloc(p.nmachine_sections, sizeof(*macline));
	for (i = 0; i < p.nsections; i++) {
		if (p.sections[i].type != SECTION_MACHINE)
			continue;
		machine_apply(&p, &p.sections[i], &c->machines[c->nmachines],
		    &macline[c->nmachines]);
		c->nmachines++;
	}
	check_macs(&p, macline);
	free(macline);
	free(copy);
	boot_finish(&p);

	if (errlist_any(&p.errs)) {
		if (cause)
			*cause = errlist_join(&p.errs);
		parser_free(&p);
		config_free(c);
		return NULL;
	}
	parser_free(&p);
	return c;
}

struct farm_conf *
config_load(const char *path, char **cause)
{
	struct farm_conf *c;
	const char *slash;
	char *text, *dir;

	if ((text = read_text_file(path, CONF_MAX_SIZE, "farm.conf", cause)) == NULL)
		return NULL;
	slash = strrchr(path, '/');
	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	c = config_parse(path, dir, text, cause);
	free(dir);
	free(text);
	return c;
}

static void
machine_free(struct machine_conf *m)
{
	free(m->name);
	free(m->arch);
	free_words(m->tags, m->ntags);
	free(m->qemu_machine);
	free(m->cpu);
	free(m->accel);
	free(m->qemu);
	free(m->firmware);
	free(m->firmware_vars);
	free(m->nic_rom);
	free(m->dtb);
	free_words(m->qemu_args, m->nqemu_args);
	free(m->power_on);
	free(m->power_off);
	free(m->power_cycle);
	free(m->console);
}

void
config_free(struct farm_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nmachines; i++)
		machine_free(&c->machines[i]);
	free(c->machines);
	free(c->path);
	free(c->dir);
	free(c->listen_host);
	free(c->state_dir);
	free(c->api_token);
	free(c->suite);
	free(c->tests_dir);
	free(c->netboot_dir);
	free(c->web_dir);
	free(c->health_check);
	free_words(c->webhooks, c->nwebhooks);
	free(c->bridge);
	free(c->interface);
	free(c->address);
	free(c->dhcp_start);
	free(c->dhcp_end);
	free(c->server_url);
	free(c->ipxe[0]);
	free(c->ipxe[1]);
	free(c);
}

const struct machine_conf *
config_machine(const struct farm_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nmachines; i++)
		if (strcmp(c->machines[i].name, name) == 0)
			return &c->machines[i];
	return NULL;
}

const struct machine_conf *
config_machine_by_mac(const struct farm_conf *c, const char *mac)
{
	char norm[18];
	size_t i;

	if (mac_parse(mac, norm) < 0)
		return NULL;
	for (i = 0; i < c->nmachines; i++)
		if (strcmp(c->machines[i].mac, norm) == 0)
			return &c->machines[i];
	return NULL;
}

int
config_machine_matches(const struct machine_conf *m, char *const *tags, size_t ntags)
{
	size_t i, j;

	for (i = 0; i < ntags; i++) {
		for (j = 0; j < m->ntags; j++)
			if (strcmp(tags[i], m->tags[j]) == 0)
				break;
		if (j == m->ntags)
			return 0;
	}
	return 1;
}

/* 1 when two optional strings differ. */
static int
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

#define SWAP(a, b)                                                             \
	do {                                                                   \
		__typeof__(a) swap_tmp_ = (a);                                 \
		(a) = (b);                                                     \
		(b) = swap_tmp_;                                               \
	} while (0)

/* What a reload may not change: what names a machine, how it is powered
 * and heard, and where farmd listens and keeps its state. */
static char *
config_hard_change(const struct farm_conf *o, const struct farm_conf *n)
{
	size_t i;

	if (str_differs(o->listen_host, n->listen_host) || o->listen_port != n->listen_port)
		return xstrdup("[farm] listen changed");
	if (str_differs(o->state_dir, n->state_dir))
		return xstrdup("[farm] state_dir changed");
	if (o->mode != n->mode || str_differs(o->bridge, n->bridge) ||
	    str_differs(o->interface, n->interface) ||
	    str_differs(o->address, n->address) || o->prefix != n->prefix ||
	    str_differs(o->dhcp_start, n->dhcp_start) ||
	    str_differs(o->dhcp_end, n->dhcp_end) ||
	    str_differs(o->server_url, n->server_url) ||
	    str_differs(o->ipxe[0], n->ipxe[0]) || str_differs(o->ipxe[1], n->ipxe[1]))
		return xstrdup("[network] changed");
	if (o->nmachines != n->nmachines)
		return xasprintf("machines were added or removed (%zu -> %zu)",
		    o->nmachines, n->nmachines);
	for (i = 0; i < o->nmachines; i++) {
		const struct machine_conf *a = &o->machines[i], *b = &n->machines[i];

		if (strcmp(a->name, b->name) != 0)
			return xasprintf("machine %s is now %s", a->name, b->name);
		if (strcmp(a->arch, b->arch) != 0 || strcmp(a->mac, b->mac) != 0 ||
		    a->kind != b->kind || str_differs(a->console, b->console) ||
		    a->boot != b->boot)
			return xasprintf("machine %s: kind, arch, mac, boot or console changed",
			    a->name);
	}
	return NULL;
}

int
config_apply(struct farm_conf *o, struct farm_conf *n, char **cause)
{
	size_t i;

	if ((*cause = config_hard_change(o, n)) != NULL)
		return -1;
	SWAP(o->api_token, n->api_token);
	SWAP(o->suite, n->suite);
	SWAP(o->tests_dir, n->tests_dir);
	SWAP(o->netboot_dir, n->netboot_dir);
	SWAP(o->web_dir, n->web_dir);
	SWAP(o->health_check, n->health_check);
	SWAP(o->webhooks, n->webhooks);
	SWAP(o->nwebhooks, n->nwebhooks);
	o->max_upload = n->max_upload;
	o->max_infra = n->max_infra;
	for (i = 0; i < o->nmachines; i++) {
		struct machine_conf *a = &o->machines[i], *b = &n->machines[i];

		SWAP(a->tags, b->tags);
		SWAP(a->ntags, b->ntags);
		SWAP(a->qemu_machine, b->qemu_machine);
		SWAP(a->cpu, b->cpu);
		SWAP(a->accel, b->accel);
		SWAP(a->qemu, b->qemu);
		SWAP(a->firmware, b->firmware);
		SWAP(a->firmware_vars, b->firmware_vars);
		SWAP(a->nic_rom, b->nic_rom);
		SWAP(a->dtb, b->dtb);
		SWAP(a->qemu_args, b->qemu_args);
		SWAP(a->nqemu_args, b->nqemu_args);
		SWAP(a->power_on, b->power_on);
		SWAP(a->power_off, b->power_off);
		SWAP(a->power_cycle, b->power_cycle);
		a->memory = b->memory;
		a->cpus = b->cpus;
		a->boot_timeout = b->boot_timeout;
		a->fetch_timeout = b->fetch_timeout;
		a->output_timeout = b->output_timeout;
		a->job_timeout = b->job_timeout;
		a->always_on = b->always_on;
		a->snapshot = b->snapshot;
	}
	return 0;
}
