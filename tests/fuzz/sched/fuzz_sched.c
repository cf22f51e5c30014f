/*
 * fuzz_sched.c - libFuzzer harness for what machines send to the
 * scheduler: the iPXE done query (GET /ipxe/<mac>/done?job=&token=&rc=
 * &stage=, sched_boot_done), boot script requests (sched_boot_script), app
 * fetches (sched_app_fetched), results POSTs (sched_results) and console
 * bytes, in any order and at any time, against the real sched.c, boot.c,
 * results.c, config.c and db.c (sqlite in memory). stubs.c plays the power
 * backend, the console and the loop's timers, on a virtual clock.
 *
 * Each input starts the same way: one QEMU machine, one job queued for
 * it, dispatched, and the machine asks for its boot script (from which the
 * harness learns the job token, as the machine does). Then the input's
 * records run, separated by 0x01; a record is an operation byte and
 * NUL-separated fields:
 *
 *   D mac job token rc stage   the done query (a missing field: absent)
 *   B mac arch platform        a boot script request (?arch=&platform=)
 *   A job sha                  an app fetch
 *   R id authorization body    a results POST (id as the API parses it)
 *   C bytes                    console output
 *   T                          time passes up to the next timer
 *   P status                   the machine stops by itself
 *   X id                       a cancel
 *   F                          the next power on fails
 *
 * A field that is exactly $M, $J, $T, $S or $B stands for the machine's
 * MAC, the job id, the job token, the app's sha256 or "Bearer <token>".
 *
 * After every record: a script starts with "#!ipxe"; a done query or a
 * POST without the job's token changes nothing about the job; a done query
 * with it ends the job, with exit code 0 only for an rc that is 0; a
 * machine is booting or running exactly while it has a job; a job the
 * machine let go of is done or cancelled in the database; a POST's 200
 * means its cases are stored. At the end every timer runs out: the job is
 * over and the machine idle. Leaks are LeakSanitizer's.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "known_bug.h"
#include "log.h"
#include "results.h"
#include "sched.h"
#include "stubs.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MAC "52-54-00-f0-00-01"

static struct farm_conf *conf;
static char state_dir[] = "/tmp/fuzz_sched.XXXXXX";

/* What the harness knows about the job. */
static struct {
	struct db *db;
	long long id;
	char id_s[32];
	char token[128];
	char bearer[160];
} H;

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_sched: %s: %s\n", what, detail ? detail : "");
	abort();
}

/* Removes the state directory (logs/ and the job logs in it); sched_init
 * makes it again. After each input, so that a killed run leaves at most
 * one behind. */
static void
remove_state(void)
{
	char *logs = xasprintf("%s/logs", state_dir), *path;
	DIR *d = opendir(logs);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", logs, e->d_name);
		unlink(path);
		free(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(logs);
	rmdir(state_dir);
	free(logs);
}

static void
at_exit(void)
{
	remove_state();
	config_free(conf);
}

static void
setup_conf(void)
{
	char *dir = state_dir, *text, *cause = NULL;

	if (mkdtemp(dir) == NULL)
		fail("mkdtemp", dir);
	atexit(at_exit);
	text = xasprintf("[farm]\nlisten = 127.0.0.1:1\nstate_dir = %s\n"
	    "[network]\nmode = user\n"
	    "[machine vm]\nkind = qemu\narch = x86_64\nmac = 52:54:00:f0:00:01\n"
	    "boot_timeout = 60\nfetch_timeout = 30\noutput_timeout = 30\n"
	    "job_timeout = 300\n", dir);
	conf = config_parse("fuzz.conf", dir, text, &cause);
	if (conf == NULL)
		fail("farm.conf", cause);
	free(text);
}

/* The state of the job in the database: "state/result/exit_code". */
static char *
job_row(void)
{
	struct job j;
	char *s;

	if (db_job_get(H.db, H.id, &j) != 1)
		fail("the job is gone from the database", H.id_s);
	s = xasprintf("%s/%s/%d", j.state, j.result, j.exit_code);
	job_clear(&j);
	return s;
}

static int
job_state_is(const char *state)
{
	char *row = job_row();
	int yes = strncmp(row, state, strlen(state)) == 0 &&
	    row[strlen(state)] == '/';

	free(row);
	return yes;
}

static int
job_exit_code(void)
{
	struct job j;
	int code;

	if (db_job_get(H.db, H.id, &j) != 1)
		fail("the job is gone", H.id_s);
	code = j.exit_code;
	job_clear(&j);
	return code;
}

static size_t
ncases(void)
{
	struct testcase *tc;
	size_t n;

	if (db_testcases_list(H.db, H.id, &tc, &n) < 0)
		fail("testcases", H.id_s);
	db_testcases_free(tc, n);
	return n;
}

static void
check_script(const char *what, char *s)
{
	if (s == NULL || strncmp(s, "#!ipxe\n", 7) != 0)
		fail(what, s ? s : "NULL");
	free(s);
}

/* Machine and job agree: booting/running exactly while there is a job,
 * and a job the machine let go of is over in the database. */
static void
check_machine(void)
{
	struct machine_info mi;
	int busy;

	if (sched_machine_info(0, &mi) < 0)
		fail("no machine", "");
	busy = strcmp(mi.state, "booting") == 0 || strcmp(mi.state, "running") == 0;
	if (busy != (mi.job != 0))
		fail("machine state and job disagree", mi.state);
	if (mi.job == 0 && !job_state_is("done") && !job_state_is("cancelled") &&
	    !job_state_is("queued"))
		fail("a job without a machine is still in flight", H.id_s);
}

/* Starts the machine's job and learns its token from the boot script. */
static int
start(void)
{
	struct job j = {0};
	char *cause = NULL, *s, *t;
	long long run;

	stub_reset();
	H.db = db_open(":memory:", &cause);
	if (H.db == NULL)
		fail("db_open", cause);
	run = db_run_create(H.db);
	j.run = run;
	j.test = xstrdup("fuzz");
	j.app = xstrdup(SHA);
	j.app_name = xstrdup("fuzz.efi");
	j.target_machine = xstrdup("vm");
	j.timeout = 60;
	snprintf(j.state, sizeof(j.state), "queued");
	j.exit_code = -1;
	j.boot_ms = -1;
	j.attempt = 1;
	if (db_job_insert(H.db, &j) < 0)
		fail("db_job_insert", "");
	H.id = j.id;
	job_clear(&j);
	snprintf(H.id_s, sizeof(H.id_s), "%lld", H.id);
	if (sched_init(conf, H.db, &cause) < 0)
		fail("sched_init", cause);
	stub_run(stub.now);             /* the dispatch */
	if (!job_state_is("booting"))
		fail("the job did not start", job_row());
	s = sched_boot_script(MAC, "fuzz", "x86_64", "efi");
	t = s ? strstr(s, " FARM_TOKEN=") : NULL;
	if (t == NULL)
		fail("no token in the boot script", s);
	t += strlen(" FARM_TOKEN=");
	snprintf(H.token, sizeof(H.token), "%.*s", (int)strcspn(t, " \n"), t);
	snprintf(H.bearer, sizeof(H.bearer), "Bearer %s", H.token);
	free(s);
	return 0;
}

static void
stop(void)
{
	sched_shutdown();
	stub_reset();
	db_close(H.db);
	H.db = NULL;
	remove_state();
}

/* A field, with the placeholders put in; NULL when absent. */
static const char *
field(char **f, size_t nf, size_t i)
{
	const char *s;

	if (i >= nf)
		return NULL;
	s = f[i];
	if (strcmp(s, "$M") == 0)
		return MAC;
	if (strcmp(s, "$J") == 0)
		return H.id_s;
	if (strcmp(s, "$T") == 0)
		return H.token;
	if (strcmp(s, "$S") == 0)
		return SHA;
	if (strcmp(s, "$B") == 0)
		return H.bearer;
	return s;
}

/* 1 when rc is how iPXE writes a success: "0" (or 0x0). */
static int
rc_is_zero(const char *rc)
{
	if (rc == NULL)
		return 0;
	if (strcmp(rc, "0") == 0)
		return 1;
	return strncmp(rc, "0x", 2) == 0 && rc[2] != '\0' &&
	    strspn(rc + 2, "0") == strlen(rc + 2);
}

/* 1 when mac names the machine (either form, any case). */
static int
is_our_mac(const char *mac)
{
	char norm[18];

	return mac != NULL && mac_parse(mac, norm) == 0 &&
	    strcmp(norm, "52:54:00:f0:00:01") == 0;
}

static void
op_done(char **f, size_t nf)
{
	const char *mac = field(f, nf, 0), *job = field(f, nf, 1);
	const char *token = field(f, nf, 2), *rc = field(f, nf, 3);
	const char *stage = field(f, nf, 4);
	char *before = job_row(), *after;
	int open = job_state_is("booting") || job_state_is("running");
	long long id;
	int ours = is_our_mac(mac) && job && parse_int(job, 1, INT64_MAX, &id) == 0 &&
	    id == H.id && token && strcmp(token, H.token) == 0;
	check_script("done", sched_boot_done(mac ? mac : MAC, job, token, rc, stage));
	after = job_row();
	if (!ours && strcmp(before, after) != 0)
		fail("a done query without the job's token changed the job", after);
	if (ours && open) {
		if (!job_state_is("done"))
			fail("a done query with the token did not end the job", after);
		KNOWN_BUG("B4", strcmp(job, H.id_s) != 0,
		    "a job id with a '+' or leading zeros is taken as that id");
		/* An open job has seen no EXIT: line (that ends it), so its
		 * exit code can only come from rc. */
		KNOWN_BUG("B3", job_exit_code() == 0 && !rc_is_zero(rc),
		    "an rc that is not a number (empty, ' 0', '+0', 2^32) counts as 0");
	}
	free(before);
	free(after);
}

static void
op_results(char **f, size_t nf)
{
	const char *ids = field(f, nf, 0), *auth = field(f, nf, 1);
	const char *body = field(f, nf, 2);
	char *before = job_row(), *after, *cause = NULL;
	size_t cases_before = ncases();
	long long id;
	int status;

	/* As api.c's h_results: the path id first. */
	if (ids == NULL || parse_int(ids, 1, 1LL << 53, &id) < 0) {
		free(before);
		return;
	}
	status = sched_results(id, auth, body ? body : "", body ? strlen(body) : 0,
	    &cause);
	after = job_row();
	if ((status == 200) != (cause == NULL))
		fail("status and cause disagree", cause);
	if (status != 200 && status != 400 && status != 403 && status != 404 &&
	    status != 409 && status != 500)
		fail("unexpected status", cause);
	if (status != 200) {
		if (strcmp(before, after) != 0 || ncases() != cases_before)
			fail("a refused POST changed the job", after);
		if (status == 403 && auth && strcmp(auth, H.bearer) == 0)
			fail("the right token was refused", cause);
		free(cause);
	} else {
		struct results_post post;
		char *c2 = NULL;

		if (auth == NULL || strcmp(auth, H.bearer) != 0 || id != H.id)
			fail("a POST without the job's token was taken", auth);
		KNOWN_BUG("B5", job_state_is("cancelled"),
		    "a results POST for a cancelled job is answered 200 and stored");
		if (!job_state_is("done") && !job_state_is("cancelled"))
			fail("a POST that was answered 200 did not end the job", after);
		if (results_parse_post(body ? body : "", body ? strlen(body) : 0, &post,
		    &c2) < 0)
			fail("200 for a body that does not parse", c2);
		if (ncases() != post.ncases)
			fail("a POST answered 200 did not store its cases", after);
		results_post_clear(&post);
	}
	free(before);
	free(after);
}

static void
run_record(char *rec, size_t len)
{
	char *f[16];
	size_t nf = 0, off = 1;
	long long n;

	if (len == 0)
		return;
	while (off < len && nf < ARRAY_SIZE(f)) {
		f[nf++] = rec + off;
		off += strlen(rec + off) + 1;
	}
	switch (rec[0]) {
	case 'D':
		op_done(f, nf);
		break;
	case 'B':
		check_script("boot", sched_boot_script(field(f, nf, 0) ?
		    field(f, nf, 0) : MAC, "fuzz", field(f, nf, 1), field(f, nf, 2)));
		break;
	case 'A':
		if (field(f, nf, 1) != NULL)
			sched_app_fetched(field(f, nf, 0), field(f, nf, 1));
		break;
	case 'R':
		op_results(f, nf);
		break;
	case 'C':
		stub_console_bytes(rec + 1, len - 1);
		break;
	case 'T':
		if (stub_next_timer() >= 0)
			stub_run(stub_next_timer());
		break;
	case 'P':
		stub_power_stops(nf > 0 ? (unsigned char)f[0][0] << 8 : 0);
		break;
	case 'X':
		if (field(f, nf, 0) && parse_int(field(f, nf, 0), 1, 1LL << 53, &n) == 0) {
			char *cause = NULL;

			if (sched_cancel(n, &cause) != 200)
				free(cause);
			else if (cause != NULL)
				fail("cancel: 200 with a cause", cause);
		}
		break;
	case 'F':
		stub.power_on_fails = 1;
		break;
	default:
		return;
	}
	check_machine();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *rec, *end;
	int guard;

	if (conf == NULL) {
		log_init("fuzz_sched", -10);
		setup_conf();
	}
	if (size > 65536)
		return 0;
	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	start();
	check_machine();
	for (rec = copy; rec < copy + size; rec = end + 1) {
		end = memchr(rec, '\x01', (size_t)(copy + size - rec));
		if (end == NULL)
			end = copy + size;
		*end = '\0';
		run_record(rec, (size_t)(end - rec));
	}
	/* Every deadline runs out: the job ends, the machine goes idle. */
	for (guard = 0; stub_next_timer() >= 0 && guard < 1000; guard++)
		stub_run(stub_next_timer());
	if (guard == 1000)
		fail("timers never stop", "");
	check_machine();
	if (!job_state_is("done") && !job_state_is("cancelled"))
		fail("the job never ended", job_row());
	stop();
	free(copy);
	return 0;
}
