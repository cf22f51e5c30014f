/*
 * test_suite.c - unittests.cfg: files written the way kvm-unit-tests
 * writes them, every key, the QEMU options that are kept and those that
 * are not, every error with its exact file:line message, hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"
#include "util.h"

static struct suite *
ok(const char *text)
{
	char *cause = NULL;
	struct suite *s = suite_parse("u.cfg", text, &cause);

	if (s == NULL) {
		print_error("unexpected errors:\n%s\n", cause);
		free(cause);
		fail();
	}
	assert_null(cause);
	return s;
}

static void
bad(const char *text, const char *want)
{
	char *cause = NULL;
	struct suite *s = suite_parse("u.cfg", text, &cause);

	if (s != NULL) {
		suite_free(s);
		print_error("accepted, expected:\n%s\n", want);
		fail();
	}
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

/* Checks a NULL-terminated list of expected words against v. */
static void
words_are(char **v, size_t n, ...)
{
	va_list ap;
	const char *w;
	size_t i = 0;

	va_start(ap, n);
	while ((w = va_arg(ap, const char *)) != NULL) {
		assert_true(i < n);
		assert_string_equal(v[i], w);
		i++;
	}
	va_end(ap);
	assert_int_equal(i, n);
	if (n > 0)
		assert_null(v[n]);
}

/* In the style of kvm-unit-tests' x86/unittests.cfg. */
static const char x86_sample[] =
    "##############################################################\n"
    "# Our tests, one [name] each.\n"
    "#\n"
    "# [name]\n"
    "# file = <name>.efi\t\t# the program\n"
    "# smp  = <num>\t\t\t# CPUs\n"
    "##############################################################\n"
    "\n"
    "[apic-x2]\n"
    "file = apic.efi\n"
    "smp = 2\n"
    "extra_params = -cpu qemu64,+x2apic,+tsc-deadline -machine kernel_irqchip=split\n"
    "arch = x86_64\n"
    "timeout = 30\n"
    "\n"
    "[exit_cpuid]\n"
    "file = exit.efi\n"
    "extra_params = -append 'cpuid'\n"
    "groups = exit\n"
    "\n"
    "[exit_many]\n"
    "file = exit.efi\n"
    "groups = exit\n"
    "extra_params = -cpu max -append \"ipi halt\" -m 2048\n"
    "\n"
    "#[disabled]\n"
    "#file = disabled.efi\n"
    "\n"
    "[nested]\n"
    "# A comment inside a test.\n"
    "file = nested.efi\n"
    "extra_params = -cpu max,+vmx -m 4g -append \"-skip_me one_test* two\"\n"
    "arch = x86_64\n"
    "groups = nested nodefault\n"
    "timeout = 90s\n"
    "\n"
    "[legacy]\n"
    "file = legacy.efi\n"
    "arch = i386\n"
    "check = /sys/module/kvm/parameters/ignore_msrs=N\n"
    "check = /proc/sys/kernel/nmi_watchdog=0\n"
    "accel = kvm\n"
    "\n"
    "[plain]\n"
    "file = plain.efi\n";

static void
test_x86_style(void **state)
{
	struct suite *s = ok(x86_sample);
	const struct suite_test *t;

	(void)state;
	assert_string_equal(s->path, "u.cfg");
	assert_int_equal(s->ntests, 6);

	t = suite_find(s, "apic-x2");
	assert_non_null(t);
	assert_ptr_equal(t, &s->tests[0]);
	assert_string_equal(t->file, "apic.efi");
	assert_int_equal(t->smp, 2);
	assert_int_equal(t->memory, 0);
	assert_int_equal(t->nargs, 0);
	assert_string_equal(t->arch, "x86_64");
	assert_null(t->accel);
	assert_int_equal(t->timeout, 30);
	assert_int_equal(t->ngroups, 0);
	assert_int_equal(t->nenv, 0);
	assert_int_equal(t->line, 9);

	t = suite_find(s, "exit_cpuid");
	words_are(t->args, t->nargs, "cpuid", NULL);
	words_are(t->groups, t->ngroups, "exit", NULL);
	assert_null(t->arch);
	assert_int_equal(t->smp, 0);
	assert_int_equal(t->timeout, 0);

	t = suite_find(s, "exit_many");
	words_are(t->args, t->nargs, "ipi", "halt", NULL);
	assert_int_equal(t->memory, 2048);

	assert_null(suite_find(s, "disabled"));

	t = suite_find(s, "nested");
	words_are(t->args, t->nargs, "-skip_me", "one_test*", "two", NULL);
	assert_int_equal(t->memory, 4096);
	words_are(t->groups, t->ngroups, "nested", "nodefault", NULL);
	assert_int_equal(t->timeout, 90);

	t = suite_find(s, "legacy");
	assert_string_equal(t->arch, "i386");
	assert_string_equal(t->accel, "kvm");

	t = suite_find(s, "plain");
	assert_int_equal(t->nargs, 0);
	assert_null(t->args);
	assert_int_equal(t->line, 44);
	suite_free(s);
}

/* In the style of arm/unittests.cfg, old (extra_params) and new
 * (qemu_params + test_args). */
static const char arm_sample[] =
    "# Define a test as:\n"
    "# [name]\n"
    "# file = foo.efi   # the program\n"
    "# arch = arm|arm64 # only there\n"
    "\n"
    "#\n"
    "# Checks that smp and -m reach the program.\n"
    "#\n"
    "[selftest-setup]\n"
    "file = selftest.efi\n"
    "smp = 2\n"
    "extra_params = -m 256 -append 'setup smp=2 mem=256'\n"
    "groups = selftest\n"
    "\n"
    "[selftest-setup-new]\n"
    "file = selftest.efi\n"
    "smp = 2\n"
    "test_args = 'setup smp=2 mem=256'\n"
    "qemu_params = -m 256\n"
    "groups = selftest\n"
    "\n"
    "# Vectors.\n"
    "[selftest-vectors-kernel]\n"
    "file = selftest.efi\n"
    "test_args = vectors-kernel\n"
    "groups = selftest\n"
    "arch = arm64\n"
    "\n"
    "[pmu-cycle-counter]\n"
    "file = pmu.efi\n"
    "groups = pmu\n"
    "test_args = \"cycle-counter 0\"\n"
    "machine = virt\n"
    "accel = tcg\n"
    "\n"
    "[gicv2-ipi]\n"
    "file = gic.efi\n"
    "smp = 8\n"
    "qemu_params = -machine gic-version=2\n"
    "test_args = ipi\n"
    "groups = gic\n"
    "arch = arm\n";

static void
test_arm_style(void **state)
{
	struct suite *s = ok(arm_sample);
	const struct suite_test *t;

	(void)state;
	assert_int_equal(s->ntests, 5);
	t = suite_find(s, "selftest-setup");
	words_are(t->args, t->nargs, "setup", "smp=2", "mem=256", NULL);
	assert_int_equal(t->smp, 2);
	assert_int_equal(t->memory, 256);

	t = suite_find(s, "selftest-setup-new");
	words_are(t->args, t->nargs, "setup", "smp=2", "mem=256", NULL);
	assert_int_equal(t->smp, 2);
	assert_int_equal(t->memory, 256);

	t = suite_find(s, "selftest-vectors-kernel");
	words_are(t->args, t->nargs, "vectors-kernel", NULL);
	assert_string_equal(t->arch, "aarch64");

	t = suite_find(s, "pmu-cycle-counter");
	words_are(t->args, t->nargs, "cycle-counter", "0", NULL);
	assert_string_equal(t->accel, "tcg");

	t = suite_find(s, "gicv2-ipi");
	assert_string_equal(t->arch, "arm");
	assert_int_equal(t->smp, 8);
	words_are(t->args, t->nargs, "ipi", NULL);
	suite_free(s);
}

/* The header's own example. */
static void
test_farm_keys(void **state)
{
	struct suite *s = ok(
	    "[selftest]\n"
	    "file = selftest.efi\n"
	    "extra_params = -append 'FOO=bar baz'    # -append gives the arguments\n"
	    "test_args = more args                   # appended arguments\n"
	    "smp = 2                                 # -smp N in extra_params too\n"
	    "groups = sample smoke                   # nodefault keeps it out\n"
	    "arch = x86_64                           # only on that arch\n"
	    "accel = tcg                             # only there (recorded)\n"
	    "timeout = 2m                            # test-end deadline\n"
	    "env = KEY=VALUE KEY2=VALUE2 SPACED='a b  c' EMPTY= Q=\"x\\\"y\"\n");
	const struct suite_test *t = &s->tests[0];

	(void)state;
	assert_string_equal(t->name, "selftest");
	assert_string_equal(t->file, "selftest.efi");
	words_are(t->args, t->nargs, "FOO=bar", "baz", "more", "args", NULL);
	assert_int_equal(t->smp, 2);
	words_are(t->groups, t->ngroups, "sample", "smoke", NULL);
	assert_string_equal(t->arch, "x86_64");
	assert_string_equal(t->accel, "tcg");
	assert_int_equal(t->timeout, 120);
	words_are(t->env, t->nenv, "KEY=VALUE", "KEY2=VALUE2", "SPACED=a b  c", "EMPTY=",
	    "Q=x\"y", NULL);
	suite_free(s);
}

static void
test_extra_params(void **state)
{
	struct suite *s = ok(
	    "[a]\nfile = a.efi\n"
	    /* only -append, -smp and -m are kept; the last -append wins, as
	     * in QEMU; -smp overrides smp = */
	    "smp = 2\n"
	    "extra_params = -append first -device edu --smp 4,cores=2 "
	    "-machine pit=off -m size=1G,maxmem=4G --append 'x  y\tz' -no-reboot\n"
	    "test_args = t1 \"t2 t3\" t\\ 4\n"
	    "[b]\nfile = b.efi\n"
	    "extra_params = -smp cpus=3 -m 512M -append \"\"\n"
	    "[c]\nfile = c.efi\n"
	    "extra_params =\n"
	    "test_args =\n"
	    "groups =\n"
	    "env =\n"
	    "[d]\nfile = d.efi\n"
	    "extra_params = -append 'a # not a comment' -enable-kvm # a comment\n"
	    "[e]\nfile = e.efi\n"
	    "extra_params = -append a\"b\"'c'\\d \"\\$HOME\" '$x' \"it's\"\n"
	    "[f]\nfile = f.efi\n"
	    "smp = 2,threads=2\n"
	    "extra_params = -m 2T\n");
	const struct suite_test *t;

	(void)state;
	t = suite_find(s, "a");
	words_are(t->args, t->nargs, "x", "y", "z", "t1", "t2", "t3", "t", "4", NULL);
	assert_int_equal(t->smp, 4);
	assert_int_equal(t->memory, 1024);

	t = suite_find(s, "b");
	assert_int_equal(t->smp, 3);
	assert_int_equal(t->memory, 512);
	assert_int_equal(t->nargs, 0);

	t = suite_find(s, "c");
	assert_int_equal(t->nargs, 0);
	assert_int_equal(t->ngroups, 0);
	assert_int_equal(t->nenv, 0);

	t = suite_find(s, "d");
	words_are(t->args, t->nargs, "a", "#", "not", "a", "comment", NULL);

	t = suite_find(s, "e");
	words_are(t->args, t->nargs, "abcd", NULL);

	t = suite_find(s, "f");
	assert_int_equal(t->smp, 2);
	assert_int_equal(t->memory, 2 * 1024 * 1024);
	suite_free(s);
}

static void
test_timeouts(void **state)
{
	static const struct { const char *text; int secs; } good[] = {
		{ "90", 90 }, { "90s", 90 }, { "2m", 120 }, { "1h", 3600 }, { "1d", 86400 },
		{ "30d", 30 * 86400 },
	};
	static const char *const nogood[] = { "0", "0s", "-5", "1.5h", "5x", "s", "31d",
		"99999999999999999999999" };
	char text[256], want[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		struct suite *s;

		snprintf(text, sizeof(text), "[t]\nfile = t.efi\ntimeout = %s\n",
		    good[i].text);
		s = ok(text);
		assert_int_equal(s->tests[0].timeout, good[i].secs);
		suite_free(s);
	}
	for (i = 0; i < ARRAY_SIZE(nogood); i++) {
		snprintf(text, sizeof(text), "[t]\nfile = t.efi\ntimeout = %s\n", nogood[i]);
		snprintf(want, sizeof(want), "u.cfg:3: timeout: %s is not a time from 1s "
		    "to 30d (as in 90, 90s, 2m, 1h)", nogood[i]);
		bad(text, want);
	}
}

static void
test_selected(void **state)
{
	struct suite *s = ok(
	    "[any]\nfile = a.efi\n"
	    "[x86]\nfile = a.efi\narch = x86_64\ngroups = fast\n"
	    "[arm]\nfile = a.efi\narch = arm64\ngroups = fast slow\n"
	    "[manual]\nfile = a.efi\ngroups = nodefault slow\n"
	    "[i386]\nfile = a.efi\narch = i386\n");
	const struct suite_test *any = suite_find(s, "any"), *x86 = suite_find(s, "x86"),
	    *arm = suite_find(s, "arm"), *manual = suite_find(s, "manual"),
	    *i386 = suite_find(s, "i386");

	(void)state;
	assert_true(suite_test_selected(any, NULL, NULL));
	assert_true(suite_test_selected(any, NULL, "x86_64"));
	assert_true(suite_test_selected(any, NULL, "aarch64"));
	assert_false(suite_test_selected(any, "fast", NULL));
	assert_true(suite_test_selected(x86, NULL, "x86_64"));
	assert_false(suite_test_selected(x86, NULL, "aarch64"));
	assert_true(suite_test_selected(x86, "fast", "x86_64"));
	assert_false(suite_test_selected(x86, "slow", "x86_64"));
	assert_true(suite_test_selected(arm, NULL, "aarch64"));
	assert_true(suite_test_selected(arm, "slow", "arm64"));
	assert_false(suite_test_selected(arm, "fast", "x86_64"));
	assert_false(suite_test_selected(manual, NULL, NULL));
	assert_false(suite_test_selected(manual, NULL, "x86_64"));
	assert_true(suite_test_selected(manual, "slow", NULL));
	assert_true(suite_test_selected(manual, "nodefault", "aarch64"));
	assert_false(suite_test_selected(i386, NULL, "x86_64"));
	assert_true(suite_test_selected(i386, NULL, NULL));
	suite_free(s);

	/* an empty suite is a suite */
	s = ok("# nothing yet\n\n");
	assert_int_equal(s->ntests, 0);
	assert_null(suite_find(s, "any"));
	suite_free(s);
}

static void
test_errors(void **state)
{
	(void)state;
	bad("[a]\nfile = a.efi\nkernel = a.flat\n", "u.cfg:3: unknown key \"kernel\"");
	bad("[a]\nfile = a.efi\nfile = b.efi\n",
	    "u.cfg:3: duplicate key file (first at line 2)");
	bad("[a]\nfile = a.efi\nextra_params = -m 1\nqemu_params = -m 2\n",
	    "u.cfg:4: duplicate key qemu_params (first at line 3)");
	bad("[a]\nfile = a.efi\nmachine = virt\nmachine = pseries\n",
	    "u.cfg:4: duplicate key machine (first at line 3)");
	bad("[a]\nfile = a.efi\n\n[a]\nfile = b.efi\n",
	    "u.cfg:4: duplicate test a (first at line 1)");
	bad("[]\nfile = a.efi\n", "u.cfg:1: empty test name");
	bad("[  ]\nfile = a.efi\n", "u.cfg:1: empty test name");
	bad("[a b]\nfile = a.efi\n", "u.cfg:1: bad test name \"a b\" (1 to 128 letters, "
	    "digits and _.+-)");
	bad("[-a]\nfile = a.efi\n", "u.cfg:1: bad test name \"-a\" (1 to 128 letters, "
	    "digits and _.+-)");
	bad("[a\nfile = a.efi\n", "u.cfg:1: test name without ]");
	bad("[a] b\nfile = a.efi\n", "u.cfg:1: text after the [test name]");
	bad("[a]\n", "u.cfg:1: test a: file is required");
	bad("[a]\nsmp = 2\n[b]\nfile = b.efi\n[c]\n",
	    "u.cfg:1: test a: file is required\nu.cfg:5: test c: file is required");
	bad("[a]\nfile =\n", "u.cfg:2: file: empty value");
	bad("[a]\nfile = ../a.efi\n", "u.cfg:2: file: \"../a.efi\" is not a file name "
	    "(letters, digits and _.+-, no directories)");
	bad("file = a.efi\n[a]\nfile = a.efi\n",
	    "u.cfg:1: file: key before the first [test name]");
	bad("[a]\nfile = a.efi\nsmp 2\n",
	    "u.cfg:3: expected \"key = value\" or a [test name]");
	bad("[a]\nfile = a.efi\nextra_params = -append 'a b\n",
	    "u.cfg:3: extra_params: unterminated ' quote");
	bad("[a]\nfile = a.efi\nextra_params = -append \"a b\n",
	    "u.cfg:3: extra_params: unterminated \" quote");
	bad("[a]\nfile = a.efi\ntest_args = x \"a b\\\"\n",
	    "u.cfg:3: test_args: unterminated \" quote");
	bad("[a]\nfile = a.efi\nextra_params = -append a\\\n",
	    "u.cfg:3: extra_params: backslash at the end of the value");
	bad("[a]\nfile = a.efi\nextra_params = -cpu max -append\n",
	    "u.cfg:3: extra_params: -append needs a value");
	bad("[a]\nfile = a.efi\nextra_params = -smp many\n",
	    "u.cfg:3: extra_params: -smp many is not a CPU count");
	bad("[a]\nfile = a.efi\nextra_params = -m 256MB\n",
	    "u.cfg:3: extra_params: -m 256MB is not a memory size (as in 256, 256M, 4G)");
	bad("[a]\nfile = a.efi\nextra_params = -m 0\n",
	    "u.cfg:3: extra_params: -m 0 is not a memory size (as in 256, 256M, 4G)");
	bad("[a]\nfile = a.efi\nsmp = 0\n", "u.cfg:3: smp: 0 is not a CPU count from 1 to "
	    "4096");
	bad("[a]\nfile = a.efi\ndisabled_if = [[ \"$TARGET\" < qemu ]]\nfoo = 1\n",
	    "u.cfg:4: unknown key \"foo\"");
	bad("[a]\nfile = a.efi\narch = ppc64\n", "u.cfg:3: arch: unknown arch \"ppc64\" "
	    "(x86_64, i386, aarch64, arm64 or arm)");
	bad("[a]\nfile = a.efi\naccel = hvf\n",
	    "u.cfg:3: accel: unknown accel \"hvf\" (kvm or tcg)");
	bad("[a]\nfile = a.efi\ngroups = a b/c\n", "u.cfg:3: groups: bad group name \"b/c\"");
	bad("[a]\nfile = a.efi\nenv = NOEQUALS\n", "u.cfg:3: env: \"NOEQUALS\" is not "
	    "KEY=VALUE (KEY: letters, digits and _, at most 64)");
	bad("[a]\nfile = a.efi\nenv = =x\n", "u.cfg:3: env: \"=x\" is not KEY=VALUE "
	    "(KEY: letters, digits and _, at most 64)");
	bad("[a]\nfile = a.efi\nenv = 1A=x\n", "u.cfg:3: env: \"1A=x\" is not KEY=VALUE "
	    "(KEY: letters, digits and _, at most 64)");
	bad("[a]\nfile = a.efi\nenv = A-B=x\n", "u.cfg:3: env: \"A-B=x\" is not KEY=VALUE "
	    "(KEY: letters, digits and _, at most 64)");
	bad("[a]\nfile = a.efi\nenv = A=1 B=2 A=3\n", "u.cfg:3: env: A is set twice");
}

/* All errors at once, in line order; a bad header's keys are still
 * checked. */
static void
test_all_errors(void **state)
{
	(void)state;
	bad("[a]\n"
	    "file = a.efi\n"
	    "bogus = 1\n"
	    "[a]\n"
	    "timeout = never\n"
	    "[b c]\n"
	    "arch = sparc\n"
	    "[d]\n"
	    "smp = 1\n",
	    "u.cfg:3: unknown key \"bogus\"\n"
	    "u.cfg:4: duplicate test a (first at line 1)\n"
	    "u.cfg:5: timeout: never is not a time from 1s to 30d (as in 90, 90s, 2m, 1h)\n"
	    "u.cfg:6: bad test name \"b c\" (1 to 128 letters, digits and _.+-)\n"
	    "u.cfg:7: arch: unknown arch \"sparc\" (x86_64, i386, aarch64, arm64 or arm)\n"
	    "u.cfg:8: test d: file is required");
}

static void
test_syntax(void **state)
{
	struct suite *s;

	(void)state;
	/* CRLF, tabs, blanks around '=', '#' inside a word, no final newline */
	s = ok("\t[ a ]\r\n"
	    "file=a.efi\r\n"
	    "  groups\t =  x z   # comment\r\n"
	    "test_args = x#y\r\n"
	    "[b]\n"
	    "file = b.efi");
	assert_int_equal(s->ntests, 2);
	assert_string_equal(s->tests[0].name, "a");
	words_are(s->tests[0].groups, s->tests[0].ngroups, "x", "z", NULL);
	words_are(s->tests[0].args, s->tests[0].nargs, "x#y", NULL);
	assert_string_equal(s->tests[1].file, "b.efi");
	suite_free(s);
}

static char *
write_temp(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
test_load(void **state)
{
	char tmpl[] = "/tmp/test_suite.XXXXXX";
	char *dir = mkdtemp(tmpl), *path, *cause = NULL, *want;
	struct suite *s;
	static const char binary[] = "[a]\nfile = a.efi\n\n\x7f" "ELF\0\0\0\x02";

	(void)state;
	assert_non_null(dir);
	path = write_temp(dir, "unittests.cfg", arm_sample, sizeof(arm_sample) - 1);
	s = suite_load(path, &cause);
	assert_non_null(s);
	assert_string_equal(s->path, path);
	assert_int_equal(s->ntests, 5);
	suite_free(s);
	unlink(path);
	free(path);

	path = write_temp(dir, "bin.cfg", binary, sizeof(binary) - 1);
	assert_null(suite_load(path, &cause));
	want = xasprintf("%s:4: NUL byte (binary file?)", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	unlink(path);
	free(path);

	path = xasprintf("%s/none.cfg", dir);
	assert_null(suite_load(path, &cause));
	want = xasprintf("%s: No such file or directory", path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(path);

	assert_null(suite_load(dir, NULL));
	assert_null(suite_parse("x", "[a]\n", NULL));
	suite_free(NULL);
	rmdir(dir);
}

static void
test_hostile(void **state)
{
	struct buf b = {0};
	struct suite *s;
	char *cause = NULL;
	size_t i, n;
	uint32_t seed = 4242;

	(void)state;
	bad("[a]\nfile = a.efi\x01\n\x1b[0m\n",
	    "u.cfg:1: test a: file is required\n"
	    "u.cfg:2: control character in line (binary file?)\n"
	    "u.cfg:3: control character in line (binary file?)");

	/* a huge line */
	buf_adds(&b, "[a]\nfile = a.efi\ntest_args = ");
	for (i = 0; i < 200000; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\n");
	bad(b.data, "u.cfg:3: line is 200012 bytes long (at most 8192)");
	buf_free(&b);

	/* a line just under the limit with too many words */
	buf_adds(&b, "[a]\nfile = a.efi\nextra_params =");
	for (i = 0; i < 2000; i++)
		buf_adds(&b, " x");
	bad(b.data, "u.cfg:3: extra_params: more than 1024 words");
	buf_free(&b);

	buf_adds(&b, "[a]\nfile = a.efi\nenv =");
	for (i = 0; i < 65; i++)
		buf_printf(&b, " V%zu=x", i);
	bad(b.data, "u.cfg:3: env: more than 64 variables");
	buf_free(&b);

	buf_adds(&b, "[a]\nfile = a.efi\ntest_args = '");
	for (i = 0; i < 1500; i++)
		buf_adds(&b, " x");
	buf_adds(&b, "'\nextra_params = -append \"");
	for (i = 0; i < 1500; i++)
		buf_adds(&b, " x");
	buf_adds(&b, "\"\n");
	bad(b.data, "u.cfg:3: test_args: more than 1024 arguments\n"
	    "u.cfg:4: extra_params: -append: more than 1024 arguments");
	buf_free(&b);

	/* 10000 tests are fine */
	for (i = 0; i < 10000; i++)
		buf_printf(&b, "[t%zu]\nfile = t.efi\n", i);
	s = ok(b.data);
	assert_int_equal(s->ntests, 10000);
	assert_ptr_equal(suite_find(s, "t9999"), &s->tests[9999]);
	suite_free(s);
	/* one more is not */
	buf_adds(&b, "[one-more]\nfile = t.efi\n[another]\nfile = t.efi\n");
	bad(b.data, "u.cfg:20001: more than 10000 tests");
	buf_free(&b);

	/* 10000 sections without a file: errors, capped */
	for (i = 0; i < 10000; i++)
		buf_printf(&b, "[t%zu]\n", i);
	assert_null(suite_parse("u.cfg", b.data, &cause));
	for (i = 0, n = 0; cause[i]; i++)
		n += cause[i] == '\n';
	assert_int_equal(n, 100);
	assert_non_null(strstr(cause, "u.cfg:1: test t0: file is required\n"));
	assert_non_null(strstr(cause, "\nu.cfg: 9900 more errors not shown"));
	free(cause);
	buf_free(&b);

	/* 10000 sections with the same name */
	for (i = 0; i < 10000; i++)
		buf_adds(&b, "[same]\nfile = s.efi\n");
	assert_null(suite_parse("u.cfg", b.data, &cause));
	assert_non_null(strstr(cause, "u.cfg:3: duplicate test same (first at line 1)\n"));
	free(cause);
	buf_free(&b);

	/* random text of unittests.cfg pieces: never a crash */
	for (i = 0; i < 3000; i++) {
		static const char *const pieces[] = {
			"[a]", "[b]", "[", "]", "\n", " = ", "=", "file", "a.efi", "extra_params",
			"-append", "-smp", "-m", "'", "\"", "\\", "$", "`", "#", " ", "\t",
			"test_args", "env", "A=1", "groups", "nodefault", "timeout", "2m",
			"smp", "4", "arch", "arm64", "\r", "\xff", "256M", "qemu_params",
		};
		size_t j, len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % 60;
		for (j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			buf_adds(&b, pieces[(seed >> 16) % ARRAY_SIZE(pieces)]);
		}
		cause = NULL;
		s = suite_parse("r.cfg", b.data ? b.data : "", &cause);
		assert_true((s == NULL) != (cause == NULL));
		suite_free(s);
		free(cause);
		buf_reset(&b);
	}
	buf_free(&b);
}

/* Upstream kvm-unit-tests files load as they are: a value that needs a
 * shell makes that test unavailable (with the reason), not the file bad;
 * .flat names the EFI build; $MAX_SMP is the machine's count; disabled_if
 * is evaluated for TARGET=qemu. */
static void
test_upstream(void **state)
{
	static const char *const needs_shell[][2] = {
		{ "extra_params = -append \"10 `date +%s`\"",
		  "line 3: extra_params: shell expansion (`) is not supported: no shell runs here" },
		{ "test_args = \"x=$(date)\"",
		  "line 3: test_args: shell expansion ($) is not supported: no shell runs here" },
		{ "test_args = $HOME",
		  "line 3: test_args: shell expansion ($) is not supported: no shell runs here" },
		{ "extra_params = -append x; reboot",
		  "line 3: extra_params: shell operator ; is not supported: no shell runs here" },
		{ "env = A=1 | B=2",
		  "line 3: env: shell operator | is not supported: no shell runs here" },
		{ "smp = `getconf _NPROCESSORS_CONF`",
		  "line 3: smp: shell expansion in \"`getconf _NPROCESSORS_CONF`\" is not"
		  " supported: no shell runs here" },
		{ "disabled_if = [[ $(uname -m) == x ]]",
		  "line 3: disabled_if: shell expression \"[[ $(uname -m) == x ]]\" is not"
		  " supported: no shell runs here" },
		{ "disabled_if = [[ \"$TARGET\" != qemu ]]", NULL },
		{ "disabled_if = [[ \"$TARGET\" == qemu ]]",
		  "disabled_if [[ \"$TARGET\" == qemu ]] is true (TARGET=qemu)" },
		{ "disabled_if = [[ \"$TARGET\" != kvmtool ]]",
		  "disabled_if [[ \"$TARGET\" != kvmtool ]] is true (TARGET=qemu)" },
	};
	struct suite *s;
	const struct suite_test *t;
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(needs_shell); i++) {
		snprintf(text, sizeof(text), "[a]\nfile = a.flat\n%s\n[b]\nfile = b.efi\n",
		    needs_shell[i][0]);
		s = ok(text);
		assert_int_equal(s->ntests, 2);
		t = suite_find(s, "a");
		assert_string_equal(t->file, "a.efi");
		if (needs_shell[i][1] == NULL) {
			assert_null(t->unavailable);
			assert_true(suite_test_selected(t, NULL, NULL));
		} else {
			assert_non_null(t->unavailable);
			assert_string_equal(t->unavailable, needs_shell[i][1]);
			assert_false(suite_test_selected(t, NULL, NULL));
			assert_false(suite_test_selected(t, "*", NULL));
		}
		assert_true(suite_test_selected(suite_find(s, "b"), NULL, NULL));
		suite_free(s);
	}

	/* An excerpt in upstream's style. */
	s = ok("[gicv3-its-migration]\n"
	    "file = gic.flat\n"
	    "smp = $MAX_SMP\n"
	    "test_args = its-migration\n"
	    "qemu_params = -machine gic-version=3\n"
	    "kvmtool_params = --irqchip=gicv3\n"
	    "groups = its migration\n"
	    "arch = arm64\n"
	    "\n"
	    "[pmu-cycle-counter]\n"
	    "file = pmu.flat\n"
	    "smp = $((MAX_SMP > 4 ? 4 : MAX_SMP))\n"
	    "test_args = cycle-counter 0\n"
	    "groups = pmu\n"
	    "accel = kvm\n"
	    "\n"
	    "[kvmclock_test]\n"
	    "file = kvmclock_test.flat\n"
	    "smp = 2\n"
	    "extra_params = --append \"10000000 `date +%s`\"\n");
	t = suite_find(s, "gicv3-its-migration");
	assert_string_equal(t->file, "gic.efi");
	assert_int_equal(t->smp, 0);
	assert_null(t->unavailable);
	words_are(t->args, t->nargs, "its-migration", NULL);
	t = suite_find(s, "pmu-cycle-counter");
	assert_int_equal(t->smp, 0);
	assert_null(t->unavailable);
	t = suite_find(s, "kvmclock_test");
	assert_non_null(t->unavailable);
	assert_false(suite_test_selected(t, NULL, NULL));
	suite_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86_style),
		cmocka_unit_test(test_arm_style),
		cmocka_unit_test(test_farm_keys),
		cmocka_unit_test(test_extra_params),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_selected),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_upstream),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
