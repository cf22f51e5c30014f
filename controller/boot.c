/*
 * boot.c - the iPXE scripts machines boot with: the static first stage
 * (/boot.ipxe), the per-job script and the idle script (/ipxe/<mac>).
 *
 * Everything that goes into a script comes from outside farmd's control
 * (test arguments, suite environment, job data), so nothing is pasted in
 * as it is. The rule follows iPXE's own parser (Debian's iPXE
 * 1.0.0+git-20190125; docs/boot.md, "Quoting", has the source references
 * and the tests made on that binary): a line is split at whitespace, with
 * no quotes and no escapes; a token that is exactly "||", "&&" or ";"
 * ends a command, a token that starts with '#' starts a comment, "${"
 * up to the next '}' is expanded (again and again, so a value can never
 * be allowed to bring one in), and a line ending in '\' continues on the
 * next one. So:
 *   - test arguments are checked (boot_check_arg) and refused when they
 *     hold anything of that kind; they are placed as they are, because the
 *     app must see exactly its own argv;
 *   - variable values go to setvar.efi percent-encoded (boot_encode_value):
 *     the encoded text has no byte the parser gives a meaning to, whatever
 *     the value;
 *   - the other fields (server URL, MAC, sha, token...) must match narrow
 *     patterns.
 * A script is built only when every field passes; otherwise the caller
 * gets the reason.
 */
#include "boot.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define BOOT_ARG_MAX 256        /* bytes in one test argument */
#define BOOT_ENV_KEY_MAX 64     /* bytes in a variable name */
#define BOOT_ENV_VALUE_MAX 1024 /* bytes in a variable value, before encoding */
#define BOOT_NARGS_MAX 64       /* iPXE keeps a command's tokens on its stack */
#define BOOT_NENV_MAX 64
#define BOOT_URL_MAX 1024
#define BOOT_TOKEN_MAX 256
#define BOOT_ARCH_MAX 32

/* The name the DTB gets in iPXE (and on farmboot's volume), and so the
 * file the guest opens on its device: the value of fdtfile. */
#define BOOT_DTB_NAME "farm.dtb"

/* The network device whose address the guest is told. "netX" is iPXE's
 * name for the device it opened last, the one it booted through; "net0"
 * is merely the first one found, another NIC on a machine with several. */
#define BOOT_NETDEV "netX"

/* Seconds an always-on idle machine waits between two requests for work. */
#define BOOT_POLL_SECONDS 1

static const char boot_first[] =
    "#!ipxe\n"
    "# farm first stage, served as /boot.ipxe (netboot/boot.ipxe, docs/boot.md).\n"
    "# The relative URL resolves against the address this script came from,\n"
    "# so no server is named here. --replace: the machine's script takes this\n"
    "# one's place instead of running inside it.\n"
    "chain --replace --autofree ipxe/${" BOOT_NETDEV "/mac:hexhyp}?arch=${buildarch}&platform=${platform}\n";

/* Variables farmd sets itself; a test's environment may not set them too. */
static const char *const boot_reserved_env[] = {
	"FARM_SERVER", "FARM_JOB", "FARM_TOKEN", "FARM_MACHINE",
	"FARM_IP", "FARM_NETMASK", "FARM_GATEWAY", "fdtfile",
};

/* 1 when c belongs to the bytes boot_encode_value keeps as they are. */
static int
boot_plain_byte(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("._~/:,@+-", c) != NULL);
}

/* A name for byte c in messages: "'a' (0x61)", "space (0x20)",
 * "non-ASCII byte 0xc3". */
static char *
boot_byte_name(unsigned char c)
{
	switch (c) {
	case ' ':
		return xstrdup("space (0x20)");
	case '\t':
		return xstrdup("tab (0x09)");
	case '\n':
		return xstrdup("newline (0x0a)");
	case '\r':
		return xstrdup("carriage return (0x0d)");
	}
	if (c < 0x20 || c == 0x7f)
		return xasprintf("control byte 0x%02x", c);
	if (c >= 0x80)
		return xasprintf("non-ASCII byte 0x%02x", c);
	return xasprintf("'%c' (0x%02x)", c, c);
}

/* Fails with "<byte> at offset <i>: <why>" in *cause. */
static int
boot_refuse_byte(char **cause, const char *s, size_t i, const char *why)
{
	char *b = boot_byte_name((unsigned char)s[i]);

	*cause = xasprintf("%s at offset %zu: %s", b, i, why);
	free(b);
	return -1;
}

int
boot_check_arg(const char *s, char **cause)
{
	size_t i, n;

	if (s == NULL) {
		*cause = xstrdup("missing argument");
		return -1;
	}
	n = strlen(s);
	if (n == 0) {
		*cause = xstrdup("empty argument (iPXE would drop it)");
		return -1;
	}
	if (n > BOOT_ARG_MAX) {
		*cause = xasprintf("argument is %zu bytes long, at most %d", n,
		    BOOT_ARG_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t')
			return boot_refuse_byte(cause, s, i,
			    "whitespace would split the argument");
		if (c < 0x20 || c == 0x7f)
			return boot_refuse_byte(cause, s, i,
			    "control bytes are not allowed");
		if (c >= 0x80)
			return boot_refuse_byte(cause, s, i,
			    "only printable ASCII is allowed");
		if (c == '"' || c == '\'' || c == '\\')
			return boot_refuse_byte(cause, s, i,
			    "quotes and backslashes are not allowed (iPXE has no"
			    " quoting; '\\' at a line end joins lines)");
		if (c == '|' || c == '&' || c == ';')
			return boot_refuse_byte(cause, s, i,
			    "'|', '&' and ';' are not allowed (iPXE's command"
			    " separators are \"||\", \"&&\" and \";\")");
		if (c == '$' && s[i + 1] == '{')
			return boot_refuse_byte(cause, s, i,
			    "\"${\" would be expanded by iPXE");
		if (c == '#' && i == 0)
			return boot_refuse_byte(cause, s, i,
			    "an argument starting with '#' would start a comment");
	}
	return 0;
}

/*
 * Offset of the first byte of s that does not start a valid UTF-8
 * sequence (overlong forms, surrogates and code points above U+10FFFF are
 * not valid), or strlen(s) when all of s is valid: setvar.efi stores
 * values as UTF-16 text, and refuses what it cannot convert.
 */
static size_t
boot_utf8_bad(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (p[i]) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			n = 1, cp = p[i] & 0x1f, min = 0x80;
		else if ((p[i] & 0xf0) == 0xe0)
			n = 2, cp = p[i] & 0x0f, min = 0x800;
		else if ((p[i] & 0xf8) == 0xf0)
			n = 3, cp = p[i] & 0x07, min = 0x10000;
		else
			return i;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return i;
		i += n + 1;
	}
	return i;
}

int
boot_check_env(const char *s, char **cause)
{
	const char *eq;
	size_t i, klen, vlen;

	if (s == NULL) {
		*cause = xstrdup("missing environment entry");
		return -1;
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		*cause = xstrdup("environment entry without '=' (KEY=VALUE)");
		return -1;
	}
	klen = (size_t)(eq - s);
	if (klen == 0) {
		*cause = xstrdup("environment entry with an empty name");
		return -1;
	}
	if (klen > BOOT_ENV_KEY_MAX) {
		*cause = xasprintf("variable name is %zu bytes long, at most %d",
		    klen, BOOT_ENV_KEY_MAX);
		return -1;
	}
	for (i = 0; i < klen; i++) {
		unsigned char c = (unsigned char)s[i];
		int ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (i > 0 && c >= '0' && c <= '9');

		if (!ok) {
			char *b = boot_byte_name(c);

			*cause = xasprintf("%s at offset %zu of the variable name:"
			    " names are [A-Za-z_][A-Za-z0-9_]*", b, i);
			free(b);
			return -1;
		}
	}
	for (i = 0; i < ARRAY_SIZE(boot_reserved_env); i++) {
		if (strlen(boot_reserved_env[i]) == klen &&
		    memcmp(boot_reserved_env[i], s, klen) == 0) {
			*cause = xasprintf("%s is set by the farm itself", boot_reserved_env[i]);
			return -1;
		}
	}
	vlen = strlen(eq + 1);
	if (vlen > BOOT_ENV_VALUE_MAX) {
		*cause = xasprintf("value of %.*s is %zu bytes long, at most %d",
		    (int)klen, s, vlen, BOOT_ENV_VALUE_MAX);
		return -1;
	}
	if ((i = boot_utf8_bad(eq + 1)) != vlen) {
		*cause = xasprintf("value of %.*s: byte 0x%02x at offset %zu is not"
		    " UTF-8 text", (int)klen, s, (unsigned char)eq[1 + i], i);
		return -1;
	}
	return 0;
}

char *
boot_encode_value(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (boot_plain_byte(c)) {
			buf_addc(&b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			buf_add(&b, e, sizeof(e));
		}
	}
	return buf_steal(&b);
}

/* 1 when every byte of s is in the set chars (or an ASCII letter or digit). */
static int
boot_only(const char *s, const char *chars)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr(chars, c) != NULL))
			return 0;
	}
	return 1;
}

/* Length of an http:// or https:// prefix of s, 0 when there is none. */
static size_t
boot_scheme_len(const char *s)
{
	if (strncmp(s, "http://", 7) == 0)
		return 7;
	if (strncmp(s, "https://", 8) == 0)
		return 8;
	return 0;
}

/*
 * Checks the server's base URL ("http://host:port[/prefix]") and sets *len
 * to its length without trailing slashes. The bytes allowed hold nothing
 * iPXE or a URL query would read specially.
 */
static int
boot_check_server(const char *s, size_t *len, char **cause)
{
	size_t p, n;

	if (s == NULL || (p = boot_scheme_len(s)) == 0) {
		*cause = xstrdup("server: not an http:// or https:// URL");
		return -1;
	}
	n = strlen(s);
	if (n > BOOT_URL_MAX || !boot_only(s + p, "-._~:/[]@")) {
		*cause = xstrdup("server: URL too long or with bytes other than"
		    " [A-Za-z0-9-._~:/[]@] after the scheme");
		return -1;
	}
	while (n > p && s[n - 1] == '/')
		n--;
	if (n == p || s[p] == '/') {
		*cause = xstrdup("server: URL without a host");
		return -1;
	}
	*len = n;
	return 0;
}

/* Checks a full URL (the DTB's): scheme, length, and URL-safe bytes only. */
static int
boot_check_url(const char *what, const char *s, char **cause)
{
	size_t p = boot_scheme_len(s);

	if (p == 0 || s[p] == '\0' || s[p] == '/') {
		*cause = xasprintf("%s: not an http:// or https:// URL with a host", what);
		return -1;
	}
	if (strlen(s) > BOOT_URL_MAX || !boot_only(s + p, "-._~:/?[]@!*()=+,%&")) {
		*cause = xasprintf("%s: URL too long or with bytes other than"
		    " [A-Za-z0-9-._~:/?[]@!*()=+,%%&] after the scheme", what);
		return -1;
	}
	return 0;
}

/* 0 when s is 1..max bytes, all ASCII letters, digits or in chars. */
static int
boot_check_word(const char *what, const char *s, size_t max, const char *chars,
    char **cause)
{
	if (s == NULL || *s == '\0' || strlen(s) > max || !boot_only(s, chars)) {
		*cause = xasprintf("%s: must be 1 to %zu bytes of [A-Za-z0-9%s]", what,
		    max, chars);
		return -1;
	}
	return 0;
}

/* Prefixes *cause with what: "what: cause". */
static int
boot_prefix_cause(const char *what, char **cause)
{
	char *c = xasprintf("%s: %s", what, *cause);

	free(*cause);
	*cause = c;
	return -1;
}

/* Checks every field of a job; the MAC comes back in hyphen form. */
static int
boot_check_job(const struct boot_job *b, size_t *server_len, char mac[18],
    char **cause)
{
	size_t i, j;

	if (boot_check_server(b->server, server_len, cause) < 0)
		return -1;
	if (b->job <= 0) {
		*cause = xasprintf("job: %lld is not a job id", b->job);
		return -1;
	}
	if (boot_check_word("token", b->token, BOOT_TOKEN_MAX, "-._~", cause) < 0)
		return -1;
	if (boot_check_arg(b->machine, cause) < 0)
		return boot_prefix_cause("machine", cause);
	if (b->mac == NULL || mac_parse(b->mac, mac) < 0) {
		*cause = xstrdup("mac: not a MAC address");
		return -1;
	}
	for (i = 0; i < 17; i++)
		if (mac[i] == ':')
			mac[i] = '-';
	if (boot_check_word("arch", b->arch, BOOT_ARCH_MAX, "_", cause) < 0)
		return -1;
	if (b->app_sha == NULL || strlen(b->app_sha) != 64 ||
	    strspn(b->app_sha, "0123456789abcdef") != 64) {
		*cause = xstrdup("app_sha: not 64 lower-case hex digits");
		return -1;
	}
	if (b->app_name) {
		if (boot_check_arg(b->app_name, cause) < 0)
			return boot_prefix_cause("app_name", cause);
		if (b->dtb_url && strcmp(b->app_name, BOOT_DTB_NAME) == 0) {
			*cause = xstrdup("app_name: " BOOT_DTB_NAME " is the DTB's name");
			return -1;
		}
	}
	if (b->nargs > BOOT_NARGS_MAX || (b->nargs && b->args == NULL)) {
		*cause = xasprintf("args: %zu arguments, at most %d", b->nargs,
		    BOOT_NARGS_MAX);
		return -1;
	}
	for (i = 0; i < b->nargs; i++) {
		if (boot_check_arg(b->args[i], cause) < 0) {
			char *what = xasprintf("args[%zu]", i);

			boot_prefix_cause(what, cause);
			free(what);
			return -1;
		}
	}
	if (b->nenv > BOOT_NENV_MAX || (b->nenv && b->env == NULL)) {
		*cause = xasprintf("env: %zu variables, at most %d", b->nenv,
		    BOOT_NENV_MAX);
		return -1;
	}
	for (i = 0; i < b->nenv; i++) {
		size_t klen;

		if (boot_check_env(b->env[i], cause) < 0) {
			char *what = xasprintf("env[%zu]", i);

			boot_prefix_cause(what, cause);
			free(what);
			return -1;
		}
		klen = strcspn(b->env[i], "=");
		for (j = 0; j < i; j++) {
			if (strncmp(b->env[j], b->env[i], klen + 1) == 0) {
				*cause = xasprintf("env[%zu]: %.*s is set twice", i,
				    (int)klen, b->env[i]);
				return -1;
			}
		}
	}
	if (b->dtb_url && boot_check_url("dtb_url", b->dtb_url, cause) < 0)
		return -1;
	return 0;
}

/* Appends " NAME=<encoded value>". */
static void
boot_add_var(struct buf *out, const char *name, const char *value)
{
	char *enc = boot_encode_value(value);

	buf_printf(out, " %s=%s", name, enc);
	free(enc);
}

char *
boot_ipxe_job(const struct boot_job *b, char **cause)
{
	struct buf out = {0};
	size_t slen, i;
	char mac[18], *server, *done;

	if (boot_check_job(b, &slen, mac, cause) < 0)
		return NULL;
	server = xstrndup(b->server, slen);
	done = xasprintf("%s/ipxe/%s/done?job=%lld&token=%s", server, mac, b->job,
	    b->token);

	buf_printf(&out, "#!ipxe\n# farm job %lld for %s (generated by farmd)\n",
	    b->job, b->machine);

	/* 1. The farm's variables, as EFI variables, through setvar.efi. */
	buf_printf(&out, "chain --autofree %s/netboot/%s/setvar.efi", server, b->arch);
	boot_add_var(&out, "FARM_SERVER", server);
	buf_printf(&out, " FARM_JOB=%lld", b->job);
	boot_add_var(&out, "FARM_TOKEN", b->token);
	boot_add_var(&out, "FARM_MACHINE", b->machine);
	buf_adds(&out, " FARM_IP=${" BOOT_NETDEV "/ip}"
	    " FARM_NETMASK=${" BOOT_NETDEV "/netmask}"
	    " FARM_GATEWAY=${" BOOT_NETDEV "/gateway}");
	for (i = 0; i < b->nenv; i++) {
		const char *eq = strchr(b->env[i], '=');
		char *enc = boot_encode_value(eq + 1);

		buf_printf(&out, " %.*s=%s", (int)(eq - b->env[i]), b->env[i], enc);
		free(enc);
	}
	if (b->dtb_url)
		buf_adds(&out, " fdtfile=" BOOT_DTB_NAME);
	buf_adds(&out, " || goto farm_failed\n");

	/* 2. The DTB, as an image the app finds as a file on its device. */
	if (b->dtb_url)
		buf_printf(&out, "imgfetch --name " BOOT_DTB_NAME " %s || goto farm_failed\n",
		    b->dtb_url);

	/* 3. The app; its status is kept for the done call either way. */
	buf_adds(&out, "chain --autofree");
	if (b->app_name)
		buf_printf(&out, " --name %s", b->app_name);
	buf_printf(&out, " %s/apps/%s.efi?job=%lld", server, b->app_sha, b->job);
	for (i = 0; i < b->nargs; i++)
		buf_printf(&out, " %s", b->args[i]);
	buf_adds(&out, " && set farm_rc 0 || set farm_rc ${errno}\n");
	if (b->dtb_url)
		buf_adds(&out, "imgfree " BOOT_DTB_NAME "\n");

	/* 4. Done: farmd's answer (the next job or the idle script) replaces
	 * this script. */
	buf_printf(&out, "chain --replace --autofree %s&rc=${farm_rc}\nexit\n", done);
	buf_printf(&out, ":farm_failed\n"
	    "chain --replace --autofree %s&rc=${errno}&stage=setup\nexit\n", done);

	free(done);
	free(server);
	return buf_steal(&out);
}

/* "var NAME VALUE" with the value percent-encoded. */
static void
boot_fb_var(struct buf *out, const char *name, const char *value)
{
	char *enc = boot_encode_value(value);

	buf_printf(out, "var %s %s\n", name, enc);
	free(enc);
}

char *
boot_farmboot_job(const struct boot_job *b, char **cause)
{
	struct buf out = {0};
	size_t slen, i;
	char mac[18], *server, *enc;

	if (boot_check_job(b, &slen, mac, cause) < 0)
		return NULL;
	server = xstrndup(b->server, slen);
	buf_printf(&out, "farmboot 1\n# farm job %lld for %s (generated by farmd)\n"
	    "job %lld\n", b->job, b->machine, b->job);
	boot_fb_var(&out, "FARM_SERVER", server);
	buf_printf(&out, "var FARM_JOB %lld\n", b->job);
	boot_fb_var(&out, "FARM_TOKEN", b->token);
	boot_fb_var(&out, "FARM_MACHINE", b->machine);
	for (i = 0; i < b->nenv; i++) {
		const char *eq = strchr(b->env[i], '=');

		enc = boot_encode_value(eq + 1);
		buf_printf(&out, "var %.*s %s\n", (int)(eq - b->env[i]), b->env[i], enc);
		free(enc);
	}
	/* fdtfile names the DTB's file on the app's device, as in the iPXE
	 * script: farmboot offers the DTB as that file too. */
	if (b->dtb_url) {
		boot_fb_var(&out, "fdtfile", BOOT_DTB_NAME);
		buf_printf(&out, "dtb %s\n", b->dtb_url);
	}
	buf_printf(&out, "app %s/apps/%s.efi?job=%lld %s\n", server, b->app_sha, b->job,
	    b->app_name ? b->app_name : "app.efi");
	for (i = 0; i < b->nargs; i++) {
		enc = boot_encode_value(b->args[i]);
		buf_printf(&out, "arg %s\n", enc);
		free(enc);
	}
	buf_printf(&out, "done %s/farmboot/%s/done?job=%lld&token=%s\n", server, mac,
	    b->job, b->token);
	free(server);
	return buf_steal(&out);
}

char *
boot_farmboot_idle(int always_on)
{
	/* The same interval as iPXE's loop: a machine resumed from a state
	 * saved in this poll's wait asks for its job within a second. */
	if (always_on)
		return xasprintf("farmboot 1\npoll %d\n", BOOT_POLL_SECONDS);
	return xstrdup("farmboot 1\nidle\n");
}

char *
boot_ipxe_idle(int always_on, const char *poll_url)
{
	char *cause = NULL;

	if (!always_on)
		return xstrdup("#!ipxe\nexit\n");
	if (poll_url == NULL || boot_check_url("poll_url", poll_url, &cause) < 0) {
		log_warnx("idle script: %s; the machine boots locally instead of"
		    " polling", cause ? cause : "no poll URL");
		free(cause);
		return xstrdup("#!ipxe\nexit\n");
	}
	/* The wait comes first, so a poll_url that answers this very loop
	 * (farmd's /ipxe/<mac> does, while there is no job) asks once per
	 * interval; --replace keeps iPXE's nesting flat however long it runs. */
	return xasprintf("#!ipxe\n"
	    "# farm idle loop (generated by farmd): ask for work every %d s\n"
	    ":farm_poll\n"
	    "sleep %d\n"
	    "chain --replace --autofree %s && exit || goto farm_poll\n",
	    BOOT_POLL_SECONDS, BOOT_POLL_SECONDS, poll_url);
}

const char *
boot_ipxe_first(void)
{
	return boot_first;
}
