/*
 * suite.h - test suites in kvm-unit-tests' unittests.cfg format.
 *
 *   [selftest]
 *   file = selftest.efi
 *   extra_params = -append 'FOO=bar baz'    # -append gives the arguments
 *   test_args = more args                   # appended arguments
 *   smp = 2                                 # -smp N in extra_params too
 *   groups = sample smoke                   # "nodefault" keeps it out of default runs
 *   arch = x86_64                           # only on that arch (x86_64|aarch64|arm64)
 *   accel = kvm|tcg                         # only there (recorded)
 *   timeout = 90s | 90 | 2m                 # test-end deadline
 *   env = KEY=VALUE KEY2=VALUE2             # farm: EFI variables for the test
 *
 * Upstream files load as they are: file = foo.flat means foo.efi (the farm
 * runs EFI builds), smp = $MAX_SMP the machine's own CPU count,
 * disabled_if = [[ "$TARGET" != qemu ]] is evaluated for TARGET=qemu,
 * kvmtool_params, check and machine are ignored, and a test whose value
 * needs a shell (`command`, $(...)) stays in the file as unavailable, with
 * the reason, instead of failing the whole file.
 *
 * Unknown keys are kept out with an error naming file:line. Comments start
 * with '#'. Values of extra_params are split the way a shell would
 * (single and double quotes, backslash).
 */
#ifndef FARM_SUITE_H
#define FARM_SUITE_H

#include <stddef.h>

struct suite_test {
	char *name;
	char *file;             /* e.g. "selftest.efi" */
	char **args;            /* from -append and test_args */
	size_t nargs;
	char **env;             /* "KEY=VALUE" */
	size_t nenv;
	char **groups;
	size_t ngroups;
	char *arch;             /* NULL: every arch; "arm64" is stored as "aarch64" */
	char *accel;            /* NULL or as written */
	int smp;                /* 0 when unset, or the machine's own count
	                           (smp = $MAX_SMP upstream) */
	int memory;             /* MiB from -m, 0 when unset */
	int timeout;            /* seconds, 0 when unset */
	int line;
	char *unavailable;      /* NULL, or why a farm cannot run it as
	                           written (a value that needs a shell, a true
	                           disabled_if): never selected, an error when
	                           named */
};

struct suite {
	char *path;
	struct suite_test *tests;
	size_t ntests;
};

/* NULL on error with *cause = "file:line: message" lines (caller frees). */
struct suite *suite_load(const char *path, char **cause);
struct suite *suite_parse(const char *name, const char *text, char **cause);
void suite_free(struct suite *);

const struct suite_test *suite_find(const struct suite *, const char *name);

/* 1 when the test belongs to group (NULL group: the default set, every test
 * not in "nodefault"; "*": any test) and can run on arch (NULL: any). */
int suite_test_selected(const struct suite_test *, const char *group, const char *arch);

#endif
