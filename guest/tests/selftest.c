/*
 * selftest.c - the library checks itself and the way the farm started it.
 *
 * argv[0] is there; every argument KEY=VALUE matches getenv(KEY) (the
 * suite passes the same pair as an argument and as an EFI variable, so
 * this checks LoadOptions and the variables end to end); and, when the
 * farm ran the program (FARM_SERVER set), the farm's own variables look
 * right. Run by hand, those are skipped.
 */
#include "libcflat.h"

static bool is_number(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
	}
	return true;
}

static void check_env_args(int argc, char **argv)
{
	char key[128];

	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '='), *val;
		size_t n;

		if (!eq || eq == argv[i]) {
			report_info("argument %d: %s", i, argv[i]);
			continue;
		}
		n = (size_t)(eq - argv[i]);
		if (n >= sizeof(key)) {
			report_fail("env: name of argument %d too long", i);
			continue;
		}
		memcpy(key, argv[i], n);
		key[n] = '\0';
		val = getenv(key);
		if (!val)
			report_info("%s is not set", key);
		else if (strcmp(val, eq + 1) != 0)
			report_info("%s is '%s', argument says '%s'", key, val, eq + 1);
		report(val && strcmp(val, eq + 1) == 0, "env: %s", key);
	}
}

static void check_farm(void)
{
	const char *server = getenv("FARM_SERVER");
	const char *job = getenv("FARM_JOB"), *machine = getenv("FARM_MACHINE");

	report_prefix_push("farm");
	if (!server) {
		report_info("not run by the farm: FARM_SERVER is not set");
		report_skip("FARM_JOB numeric");
		report_skip("FARM_SERVER http");
		report_skip("FARM_MACHINE set");
	} else {
		report(is_number(job), "FARM_JOB numeric");
		report(strncmp(server, "http://", 7) == 0 && server[7],
		    "FARM_SERVER http");
		report(machine && *machine, "FARM_MACHINE set");
	}
	report_prefix_pop();
}

int main(int argc, char **argv)
{
	report_prefix_push("selftest");
	report(argc >= 1 && argv[0] && argv[0][0], "argv[0] present");
	if (argc >= 1 && argv[0])
		report_info("argv[0] = %s, argc = %d", argv[0], argc);
	check_env_args(argc, argv);
	check_farm();
	report_prefix_pop();
	return report_summary();
}
