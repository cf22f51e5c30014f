/*
 * test_farmboot_script.c - the farmboot job format's parser
 * (netboot/farmboot_script.c) as a hosted program under the sanitizers:
 * the format's example, idle and poll, every error with its line, and
 * random bytes and random edits of a good script (nothing may crash or
 * read out of bounds). Prints TAP; run by tests/run unit.
 *
 * It is built in the guest library's world (libcflat.h, with the printf
 * family renamed as guest.mk does for its own hosted test), so it writes
 * with write(2), declared here.
 */
#include "farmboot_script.h"

long write(int fd, const void *buf, size_t n);

static int n_tests, n_failed;

static void ok(bool cond, const char *fmt, ...) __printf(2, 3);
static void ok(bool cond, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int k;

	n_tests++;
	if (!cond)
		n_failed++;
	k = snprintf(line, sizeof(line), "%sok %d - ", cond ? "" : "not ",
	    n_tests);
	va_start(ap, fmt);
	k += vsnprintf(line + k, sizeof(line) - (size_t)k, fmt, ap);
	va_end(ap);
	if ((size_t)k >= sizeof(line) - 1)
		k = sizeof(line) - 2;
	line[k++] = '\n';
	write(1, line, (size_t)k);
}

static char text[8192];
static struct fb_script s;
static char err[160];
static int line;

/* Parses a copy of src; the parser's return. */
static int parse(const char *src)
{
	strncpy(text, src, sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memset(err, 0, sizeof(err));
	return fb_script_parse(text, &s, &line, err, sizeof(err));
}

static const char example[] =
	"farmboot 1\n"
	"job 12\n"
	"var FARM_SERVER http%3A%2F%2F10.99.0.1%3A8080\n"
	"var FARM_JOB 12\n"
	"var FARM_TOKEN 3fa9\n"
	"var FARM_MACHINE vm-arm\n"
	"var KEY value\n"
	"var EMPTY\n"
	"var UTF %C3%BC%E2%82%AC\n"
	"# a comment\n"
	"\n"
	"dtb http://10.99.0.1:8080/jobs/12/dtb\n"
	"app http://10.99.0.1:8080/apps/ab.efi?job=12 selftest.efi\r\n"
	"arg a\n"
	"arg b%3Dc\n"
	"done http://10.99.0.1:8080/farmboot/52-54-00-f0-00-03/done?job=12&token=3fa9\n";

/* One bad script: the line and words the error must have. */
struct bad {
	const char *script;
	int line;
	const char *says;
};

static const struct bad bads[] = {
	{ "", 0, "empty script" },
	{ "# only\n\n", 0, "empty script" },
	{ "job 1\n", 1, "must start with 'farmboot 1'" },
	{ "farmboot 2\nidle\n", 1, "version 2" },
	{ "farmboot 1\n", 0, "no directive" },
	{ "farmboot 1\nidle\nfrob\n", 3, "unknown directive 'frob'" },
	{ "farmboot 1\nidle\npoll 3\n", 3, "do not mix" },
	{ "farmboot 1\nidle\nidle\n", 3, "a second time" },
	{ "farmboot 1\npoll x\n", 2, "not 0..3600" },
	{ "farmboot 1\npoll 99999\n", 2, "not 0..3600" },
	{ "farmboot 1\njob 1\njob 2\n", 3, "a second job line" },
	{ "farmboot 1\njob x1\n", 2, "not a job number" },
	{ "farmboot 1\njob 1\nvar A%B 1\n", 3, "bad character in the name" },
	{ "farmboot 1\njob 1\nvar A %zz\n", 3, "bad percent-encoding" },
	{ "farmboot 1\njob 1\nvar A a%00b\n", 3, "NUL" },
	{ "farmboot 1\njob 1\nvar A 1 2\n", 3, "want 1 to 2" },
	{ "farmboot 1\njob 1\napp ftp://x/a.efi a.efi\n", 3, "not an http:// URL" },
	{ "farmboot 1\njob 1\napp http://x/a.efi\n", 3, "want 2" },
	{ "farmboot 1\njob 1\narg a%20b\n", 3, "blank" },
	{ "farmboot 1\njob 1\ndtb http://x/1\ndtb http://x/2\n", 4, "second dtb" },
	{ "farmboot 1\njob 1\nidle\n", 3, "do not mix" },
	{ "farmboot 1\nvar A 1\napp http://x/a a\ndone http://x/d\n", 0,
	  "without a 'job N'" },
	{ "farmboot 1\njob 3\ndone http://x/d\n", 0, "job 3: no app line" },
	{ "farmboot 1\njob 3\napp http://x/a a\n", 0, "job 3: no done line" },
	{ "farmboot 1\njob 3\nvar A \x01\n", 3, "control byte 0x01" },
};

/* A tiny deterministic generator for the random cases. */
static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

int main(void)
{
	int rc;

	rc = parse(example);
	ok(rc == 0, "the format's example parses (%s)", err);
	ok(s.kind == FB_JOB && s.job == 12, "a job, number 12");
	ok(s.nvars == 7 && strcmp(s.vars[0].name, "FARM_SERVER") == 0 &&
	    strcmp(s.vars[0].value, "http://10.99.0.1:8080") == 0,
	    "var values are percent-decoded");
	ok(strcmp(s.vars[5].name, "EMPTY") == 0 && s.vars[5].value[0] == '\0',
	    "var without a value is empty");
	ok(strcmp(s.vars[6].value, "\xc3\xbc\xe2\x82\xac") == 0, "UTF-8 values");
	ok(s.dtb && strcmp(s.dtb, "http://10.99.0.1:8080/jobs/12/dtb") == 0, "dtb");
	ok(strcmp(s.app, "http://10.99.0.1:8080/apps/ab.efi?job=12") == 0 &&
	    strcmp(s.app_name, "selftest.efi") == 0, "app URL and name (CRLF)");
	ok(s.nargs == 2 && strcmp(s.args[0], "a") == 0 &&
	    strcmp(s.args[1], "b=c") == 0, "args in order, decoded");
	ok(s.done && strstr(s.done, "done?job=12&token=3fa9"), "done URL");

	ok(parse("farmboot 1\nidle\n") == 0 && s.kind == FB_IDLE, "idle");
	ok(parse("# hi\r\nfarmboot 1\r\npoll 3\r\n") == 0 && s.kind == FB_POLL &&
	    s.poll_s == 3, "poll 3, CRLF and a comment first");
	ok(parse("farmboot 1\njob 1\napp http://x/a a\ndone http://x/d") == 0 &&
	    s.dtb == NULL && s.nargs == 0, "a minimal job, no final newline");

	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		rc = parse(bads[i].script);
		ok(rc == -1 && line == bads[i].line && strstr(err, bads[i].says),
		    "bad script %zu: line %d: %s (got line %d: %s)", i,
		    bads[i].line, bads[i].says, line, err);
	}

	rc = parse("farmboot 1\njob 14\nfrob now\napp http://x/a a\n"
	    "done http://x/farmboot/m/done?job=14\n");
	ok(rc == -1 && line == 3 && s.done &&
	    strcmp(s.done, "http://x/farmboot/m/done?job=14") == 0,
	    "a done line after the bad line is still found");

	/* Random bytes, then random edits of the example. */
	{
		bool sane = true;

		for (int round = 0; round < 20000 && sane; round++) {
			size_t n = rnd() % 300, len = sizeof(example) - 1;
			char src[sizeof(example)];

			if (round % 2) {
				for (size_t k = 0; k < n; k++)
					src[k] = (char)(rnd() % 255 + 1);
				src[n] = '\0';
				if (n > 11 && rnd() % 2)
					memcpy(src, "farmboot 1\n", 11);
			} else {
				memcpy(src, example, len + 1);
				for (int e = 0; e < 3; e++)
					src[rnd() % len] = (char)(rnd() % 255 + 1);
			}
			rc = parse(src);
			if (rc == 0 && s.kind == FB_JOB &&
			    (!s.app || !s.done || !s.job))
				sane = false;
			if (rc < 0 && err[0] == '\0')
				sane = false;
		}
		ok(sane, "20000 random scripts: no crash, every error has a "
		    "message, every job has app and done");
	}

	/* DHCP option 224 from a BOOTP packet (farmboot over TFTP). */
	{
		static unsigned char pkt[600];
		char url[64];
		size_t i = 240;

		memset(pkt, 0, sizeof(pkt));
		pkt[236] = 99, pkt[237] = 130, pkt[238] = 83, pkt[239] = 99;
		pkt[i++] = 53, pkt[i++] = 1, pkt[i++] = 5;      /* ACK */
		pkt[i++] = 0;                                   /* pad */
		pkt[i++] = 224, pkt[i++] = 12;
		memcpy(pkt + i, "http://10.99", 12), i += 12;
		pkt[i++] = 224, pkt[i++] = 9;                   /* RFC 3396 */
		memcpy(pkt + i, ".0.1:8080", 9), i += 9;
		pkt[i++] = 255;
		ok(fb_dhcp_option(pkt, i, 224, url, sizeof(url)) == 0 &&
		    strcmp(url, "http://10.99.0.1:8080") == 0,
		    "option 224, split in two, joined (%s)", url);
		ok(fb_dhcp_option(pkt, i, 114, url, sizeof(url)) < 0,
		    "an option that is not there");
		ok(fb_dhcp_option(pkt, i, 224, url, 10) < 0, "a value too long");
		ok(fb_dhcp_option(pkt, i - 5, 224, url, sizeof(url)) < 0,
		    "an option cut off by the packet's end");
		pkt[239] = 98;
		ok(fb_dhcp_option(pkt, i, 224, url, sizeof(url)) < 0,
		    "no magic cookie");
		pkt[239] = 99;
		pkt[250] = '\n';
		ok(fb_dhcp_option(pkt, i, 224, url, sizeof(url)) < 0,
		    "a control byte in the value");
		ok(fb_dhcp_option(pkt, 100, 224, url, sizeof(url)) < 0,
		    "a packet shorter than BOOTP's header");
		for (int round = 0; round < 20000; round++) {
			size_t n = 240 + rnd() % 300;

			for (size_t k = 240; k < n; k++)
				pkt[k] = (unsigned char)rnd();
			fb_dhcp_option(pkt, n, 224, url, sizeof(url));
		}
		ok(true, "20000 random option lists: no crash");
	}

	{
		char plan[32];
		int k = snprintf(plan, sizeof(plan), "1..%d\n", n_tests);

		write(1, plan, (size_t)k);
	}
	return n_failed ? 1 : 0;
}
