/*
 * fuzz_boot.c - libFuzzer harness for the boot scripts (controller/boot.c):
 * the argument and variable checks, the value encoder, the job script and
 * the idle script. Every value that goes into a script comes from outside
 * (test arguments, suite environment, job data), so the contract under
 * test is "no value can add, end or change an iPXE command".
 *
 * An input is NUL-terminated fields (the last NUL may be left out):
 *
 *   server, token, machine, mac, arch, app_sha, app_name, dtb_url, flags,
 *   then any number of "A<arg>" (a test argument) and "E<KEY=VALUE>"
 *   (a variable) fields.
 *
 * flags[0] bit 0: no app_name; bit 1: no DTB; bit 2: a job id <= 0.
 *
 * The checks, each against a rule written here apart from boot.c:
 *   - boot_check_arg accepts exactly the arguments of docs/boot.md's rule;
 *   - boot_check_env accepts only NAME=VALUE with a valid name that the
 *     farm does not set itself and a UTF-8 value of at most 1024 bytes;
 *   - boot_encode_value gives only plain bytes and %XX, and decodes back;
 *   - a job script, read the way iPXE reads it (split at whitespace, no
 *     quotes), has exactly the lines and tokens expected: the arguments
 *     come out as tokens one for one, every variable value decodes back,
 *     "${" appears only where farmd puts it, no token is "||", "&&" or
 *     ";" or starts with '#' except farmd's own, no line ends in '\';
 *   - a refusal comes with a one-line cause;
 *   - the idle script for any poll URL is "exit" or the polling loop with
 *     the URL as one token.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "boot.h"
#include "log.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_FIELDS 200

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_boot: %s: %s\n", what, detail ? detail : "");
	abort();
}

/* --- the rules, written from docs/boot.md --- */

static int
rule_arg(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 256 || s[0] == '#')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("\"'\\|&;", c) != NULL)
			return 0;
		if (c == '$' && s[i + 1] == '{')
			return 0;
	}
	return 1;
}

static int
utf8_ok(const char *s)
{
	json_t *j = json_string(s);     /* jansson's own UTF-8 check */

	json_decref(j);
	return j != NULL;
}

static int
rule_env(const char *s)
{
	static const char *const reserved[] = { "FARM_SERVER", "FARM_JOB",
		"FARM_TOKEN", "FARM_MACHINE", "FARM_IP", "FARM_NETMASK",
		"FARM_GATEWAY", "fdtfile" };
	const char *eq = strchr(s, '=');
	size_t k, i;

	if (eq == NULL)
		return 0;
	k = (size_t)(eq - s);
	if (k == 0 || k > 64 || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; i < k; i++)
		if (!(isalnum((unsigned char)s[i]) && (unsigned char)s[i] < 0x80) &&
		    s[i] != '_')
			return 0;
	for (i = 0; i < ARRAY_SIZE(reserved); i++)
		if (strlen(reserved[i]) == k && memcmp(reserved[i], s, k) == 0)
			return 0;
	return strlen(eq + 1) <= 1024 && utf8_ok(eq + 1);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;              /* the encoder writes upper case only */
}

/* Decodes an encoded value; NULL when it holds a byte the encoder must
 * not write. Caller frees. */
static char *
decode(const char *e)
{
	char *out = xmalloc(strlen(e) + 1), *w = out;

	for (; *e; e++) {
		unsigned char c = (unsigned char)*e;

		if (c == '%') {
			if (hexval(e[1]) < 0 || hexval(e[2]) < 0) {
				free(out);
				return NULL;
			}
			*w++ = (char)(hexval(e[1]) * 16 + hexval(e[2]));
			e += 2;
		} else if (isalnum(c) && c < 0x80) {
			*w++ = (char)c;
		} else if (strchr("._~/:,@+-", c) != NULL && c != '\0') {
			*w++ = (char)c;
		} else {
			free(out);
			return NULL;
		}
	}
	*w = '\0';
	return out;
}

/* --- iPXE's reading of a script --- */

struct line {
	char *tok[256];
	int n;
};

/* Splits one line at isspace() as iPXE's split_command does. */
static void
tokenize(char *text, struct line *l)
{
	char *p = text;

	l->n = 0;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return;
		if (l->n == (int)ARRAY_SIZE(l->tok))
			fail("too many tokens on a line", text);
		l->tok[l->n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* 1 when tok means something to iPXE's parser (separator or comment). */
static int
special(const char *tok)
{
	return strcmp(tok, "||") == 0 || strcmp(tok, "&&") == 0 ||
	    strcmp(tok, ";") == 0 || tok[0] == '#';
}

static void
expect_tok(const struct line *l, int i, const char *want)
{
	if (i >= l->n || strcmp(l->tok[i], want) != 0)
		fail("unexpected token", i < l->n ? l->tok[i] : "(end of line)");
}

/* No '${' in tok. */
static void
no_expansion(const char *tok)
{
	if (strstr(tok, "${") != NULL)
		fail("a token would be expanded", tok);
}

/* Checks " NAME=<encoded>" against value. */
static void
expect_var(const struct line *l, int i, const char *name, const char *value)
{
	size_t n = strlen(name);
	char *dec;

	if (i >= l->n || strncmp(l->tok[i], name, n) != 0 || l->tok[i][n] != '=')
		fail("variable missing", name);
	dec = decode(l->tok[i] + n + 1);
	if (dec == NULL || strcmp(dec, value) != 0)
		fail("variable does not decode back", l->tok[i]);
	free(dec);
}

/* Reads the job script the way iPXE would and checks every line. */
static void
check_job_script(const struct boot_job *b, const char *script)
{
	char *text = xstrdup(script), *lines[64], *p, *save = NULL;
	struct line l;
	int nl = 0, i, k, t;
	size_t len = strlen(script);
	int dtb = b->dtb_url != NULL;

	if (len == 0 || script[len - 1] != '\n')
		fail("script does not end in a newline", script);
	for (p = strtok_r(text, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(p);

		if (nl == (int)ARRAY_SIZE(lines))
			fail("too many lines", script);
		if (n > 0 && (p[n - 1] == '\\' || p[n - 1] == '\r'))
			fail("a line ends in '\\' or CR", p);
		lines[nl++] = p;
	}
	if (nl != 9 + 2 * dtb)
		fail("wrong number of lines", script);
	if (strcmp(lines[0], "#!ipxe") != 0)
		fail("no #!ipxe", lines[0]);
	if (lines[1][0] != '#')
		fail("second line is not a comment", lines[1]);

	/* chain --autofree <server>/netboot/<arch>/setvar.efi VARS || goto farm_failed */
	tokenize(lines[2], &l);
	expect_tok(&l, 0, "chain");
	expect_tok(&l, 1, "--autofree");
	if (l.n < 3 || strstr(l.tok[2], "/setvar.efi") == NULL)
		fail("setvar.efi not chained", lines[2]);
	{
		char *server = xstrdup(b->server);
		size_t n = strlen(server);

		while (n > 0 && server[n - 1] == '/')
			server[--n] = '\0';
		expect_var(&l, 3, "FARM_SERVER", server);
		free(server);
	}
	if (l.n != 3 + 7 + (int)b->nenv + dtb + 3)
		fail("setvar line has the wrong number of tokens", script);
	for (i = 0; i < l.n - 3; i++)
		if (special(l.tok[i]))
			fail("a separator or comment in the setvar line", l.tok[i]);
	for (i = 0; i < 3 + 7 - 3; i++)
		no_expansion(l.tok[i]);
	{
		char job[32];

		snprintf(job, sizeof(job), "FARM_JOB=%lld", b->job);
		expect_tok(&l, 4, job);
	}
	expect_var(&l, 5, "FARM_TOKEN", b->token);
	expect_var(&l, 6, "FARM_MACHINE", b->machine);
	expect_tok(&l, 7, "FARM_IP=${netX/ip}");
	expect_tok(&l, 8, "FARM_NETMASK=${netX/netmask}");
	expect_tok(&l, 9, "FARM_GATEWAY=${netX/gateway}");
	for (k = 0; k < (int)b->nenv; k++) {
		const char *eq = strchr(b->env[k], '=');
		char *name = xstrndup(b->env[k], (size_t)(eq - b->env[k]));

		expect_var(&l, 10 + k, name, eq + 1);
		no_expansion(l.tok[10 + k]);
		free(name);
	}
	t = 10 + (int)b->nenv;
	if (dtb)
		expect_tok(&l, t++, "fdtfile=farm.dtb");
	expect_tok(&l, t, "||");
	expect_tok(&l, t + 1, "goto");
	expect_tok(&l, t + 2, "farm_failed");

	k = 3;
	if (dtb) {
		tokenize(lines[k++], &l);
		if (l.n != 7 || strcmp(l.tok[0], "imgfetch") != 0 ||
		    strcmp(l.tok[3], b->dtb_url) != 0 || strcmp(l.tok[4], "||") != 0)
			fail("imgfetch line", script);
		no_expansion(l.tok[3]);
	}

	/* chain --autofree [--name N] URL ARGS && set farm_rc 0 || set farm_rc ${errno} */
	tokenize(lines[k++], &l);
	expect_tok(&l, 0, "chain");
	expect_tok(&l, 1, "--autofree");
	i = 2;
	if (b->app_name) {
		expect_tok(&l, i++, "--name");
		expect_tok(&l, i++, b->app_name);
	}
	if (i >= l.n || strstr(l.tok[i], b->app_sha) == NULL)
		fail("the app is not chained", script);
	no_expansion(l.tok[i]);
	i++;
	for (t = 0; t < (int)b->nargs; t++, i++) {
		expect_tok(&l, i, b->args[t]);
		if (special(l.tok[i]))
			fail("an argument is a separator or comment", l.tok[i]);
		no_expansion(l.tok[i]);
	}
	if (l.n != i + 8)
		fail("the app line has extra tokens", script);
	expect_tok(&l, i, "&&");
	expect_tok(&l, i + 4, "||");
	expect_tok(&l, i + 7, "${errno}");
	for (t = 0; t < i; t++)
		if (special(l.tok[t]))
			fail("a separator or comment before the app's end", l.tok[t]);

	if (dtb) {
		tokenize(lines[k++], &l);
		if (l.n != 2 || strcmp(l.tok[0], "imgfree") != 0)
			fail("imgfree line", script);
	}
	for (t = 0; t < 2; t++) {
		tokenize(lines[k++], &l);
		if (l.n != 4 || strcmp(l.tok[0], "chain") != 0 ||
		    strcmp(l.tok[1], "--replace") != 0 ||
		    strstr(l.tok[3], "/done?job=") == NULL)
			fail("done line", script);
		tokenize(lines[k++], &l);
		if (l.n != 1 || strcmp(l.tok[0], "exit") != 0)
			fail("exit line", script);
		if (t == 0) {
			tokenize(lines[k++], &l);
			if (l.n != 1 || strcmp(l.tok[0], ":farm_failed") != 0)
				fail("label line", script);
		}
	}
	free(text);
}

/* --- the harness --- */

static void
check_cause(const char *what, char *cause)
{
	if (cause == NULL || *cause == '\0' || strchr(cause, '\n') != NULL)
		fail(what, cause ? cause : "no cause");
	free(cause);
}

static void
check_value(const char *s)
{
	char *cause = NULL, *enc, *dec;
	int ok = boot_check_arg(s, &cause) == 0;

	if (ok != rule_arg(s))
		fail(ok ? "boot_check_arg took a bad argument" :
		    "boot_check_arg refused a good argument", s);
	if (!ok)
		check_cause("boot_check_arg", cause);
	cause = NULL;
	ok = boot_check_env(s, &cause) == 0;
	if (ok != rule_env(s))
		fail(ok ? "boot_check_env took a bad entry" :
		    "boot_check_env refused a good entry", s);
	if (!ok)
		check_cause("boot_check_env", cause);

	enc = boot_encode_value(s);
	dec = decode(enc);
	if (dec == NULL || strcmp(dec, s) != 0)
		fail("boot_encode_value does not decode back", enc);
	free(dec);
	free(enc);
}

static void
check_idle(const char *url)
{
	char *s = boot_ipxe_idle(1, url), *text = xstrdup(s), *p, *save = NULL;
	struct line l;
	int n = 0;

	if (strcmp(s, "#!ipxe\nexit\n") != 0) {
		for (p = strtok_r(text, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
			n++;
		if (n != 5)
			fail("idle script lines", s);
		p = strrchr(s, '\n');
		free(text);
		text = xstrdup(strstr(s, "chain "));
		text[strcspn(text, "\n")] = '\0';
		tokenize(text, &l);
		if (l.n != 9 || strcmp(l.tok[3], url) != 0 || strcmp(l.tok[4], "&&") != 0)
			fail("idle script poll line", s);
		no_expansion(l.tok[3]);
		(void)p;
	}
	free(text);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *copy, *fields[MAX_FIELDS], *args[MAX_FIELDS], *env[MAX_FIELDS];
	size_t nf = 0, na = 0, ne = 0, off = 0, i;
	struct boot_job b;
	char *cause = NULL, *script;
	unsigned flags;

	if (!ready) {
		log_init("fuzz_boot", -10);
		ready = 1;
	}
	if (size > 65536)
		return 0;
	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	while (off < size && nf < MAX_FIELDS) {
		fields[nf++] = copy + off;
		off += strlen(copy + off) + 1;
	}
	for (i = 0; i < nf; i++)
		check_value(fields[i]);
	if (nf > 0)
		check_idle(fields[0]);

	for (i = 9; i < nf; i++) {
		if (fields[i][0] == 'E')
			env[ne++] = fields[i] + 1;
		else
			args[na++] = fields[i][0] == 'A' ? fields[i] + 1 : fields[i];
	}
	flags = nf > 8 ? (unsigned char)fields[8][0] : 0;
	memset(&b, 0, sizeof(b));
	b.server = nf > 0 ? fields[0] : NULL;
	b.token = nf > 1 ? fields[1] : NULL;
	b.machine = nf > 2 ? fields[2] : NULL;
	b.mac = nf > 3 ? fields[3] : NULL;
	b.arch = nf > 4 ? fields[4] : NULL;
	b.app_sha = nf > 5 ? fields[5] : NULL;
	b.app_name = nf > 6 && !(flags & 1) ? fields[6] : NULL;
	b.dtb_url = nf > 7 && !(flags & 2) ? fields[7] : NULL;
	b.job = flags & 4 ? -(long long)(size % 3) : 1 + (long long)size * 7919;
	b.args = args;
	b.nargs = na;
	b.env = env;
	b.nenv = ne;

	script = boot_ipxe_job(&b, &cause);
	if (script != NULL) {
		if (cause != NULL)
			fail("a script and a cause", cause);
		if (b.nargs > 64 || b.nenv > 64)
			fail("too many arguments or variables accepted", script);
		for (i = 0; i < b.nargs; i++)
			if (!rule_arg(b.args[i]))
				fail("a bad argument got into the script", b.args[i]);
		for (i = 0; i < b.nenv; i++)
			if (!rule_env(b.env[i]))
				fail("a bad variable got into the script", b.env[i]);
		check_job_script(&b, script);
		free(script);
	} else {
		check_cause("boot_ipxe_job", cause);
	}
	free(copy);
	return 0;
}
