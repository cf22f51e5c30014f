/*
 * ingest-post.c - the farmd side of the ingest benchmark (bench/run):
 * sends one results POST per job, as the guest does, C connections at a
 * time (keep-alive), and times them all.
 *
 *   ingest-post HOST PORT C K < jobs      (lines "<job id> <token>")
 *
 * Each POST /api/v1/jobs/<id>/results carries K test cases and exit code
 * 0, with "Authorization: Bearer <token>"; every answer must be 200.
 * Prints "<cases/s> cases/s <cases> cases <s> s". Loopback only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct job {
	long long id;
	char token[128];
};

static struct job *jobs;
static size_t njobs;
static atomic_size_t next_job;
static atomic_int failed;
static atomic_int nerrors;     /* answers that were not 200: the first 3 are shown */
static struct sockaddr_in addr;
static long ncases;
static char *cases_json;        /* the "tests" array, the same for every POST */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* dial: a connected socket to addr, or -1. */
static int
dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* post: sends job j's POST on fd and reads the answer; 0 when it is 200. */
static int
post(int fd, const struct job *j)
{
	static __thread char buf[1 << 16];
	char head[512], body_head[64], tail[160];
	size_t got = 0, need, clen;
	char *end, *cl;
	ssize_t r;
	int hl, bl, tl;

	bl = snprintf(body_head, sizeof(body_head), "{\"tests\":");
	tl = snprintf(tail, sizeof(tail), ",\"summary\":{\"total\":%ld,\"failed\":0,"
	    "\"xfailed\":0,\"skipped\":0},\"exit_code\":0}", ncases);
	clen = (size_t)bl + strlen(cases_json) + (size_t)tl;
	hl = snprintf(head, sizeof(head), "POST /api/v1/jobs/%lld/results HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    j->id, j->token, clen);
	if (write(fd, head, (size_t)hl) != hl || write(fd, body_head, (size_t)bl) != bl ||
	    write(fd, cases_json, strlen(cases_json)) != (ssize_t)strlen(cases_json) ||
	    write(fd, tail, (size_t)tl) != tl)
		return -1;
	for (;;) {
		r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end == NULL)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		need = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
		if (got >= need)
			break;
	}
	if (strncmp(buf, "HTTP/1.1 200", 12) != 0) {
		if (atomic_fetch_add(&nerrors, 1) < 3)
			fprintf(stderr, "ingest-post: job %lld: %.*s\n", j->id,
		    (int)strcspn(buf, "\r"), buf);
		return -1;
	}
	return 0;
}

static void *
worker(void *arg)
{
	int fd = -1;
	size_t i;

	(void)arg;
	while ((i = atomic_fetch_add(&next_job, 1)) < njobs) {
		if (fd < 0 && (fd = dial()) < 0) {
			atomic_store(&failed, 1);
			break;
		}
		if (post(fd, &jobs[i]) < 0) {
			atomic_store(&failed, 1);
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

int
main(int argc, char **argv)
{
	size_t cap = 0, len = 0;
	long conc, i;
	pthread_t *th;
	double t0, t;
	struct job j;

	if (argc != 5 || (conc = atol(argv[3])) <= 0 || (ncases = atol(argv[4])) <= 0) {
		fprintf(stderr, "usage: ingest-post HOST PORT C K < jobs\n");
		return 2;
	}
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 ||
	    (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "ingest-post: %s: not a loopback address\n", argv[1]);
		return 2;
	}
	while (scanf("%lld %127s", &j.id, j.token) == 2) {
		if (njobs == cap) {
			cap = cap ? cap * 2 : 64;
			jobs = realloc(jobs, cap * sizeof(*jobs));
			if (jobs == NULL)
				return 1;
		}
		jobs[njobs++] = j;
	}
	if (njobs == 0) {
		fprintf(stderr, "ingest-post: no jobs on stdin\n");
		return 2;
	}
	cases_json = malloc((size_t)ncases * 96 + 4);
	if (cases_json == NULL)
		return 1;
	cases_json[len++] = '[';
	for (i = 1; i <= ncases; i++)
		len += (size_t)sprintf(cases_json + len, "%s{\"name\":\"selftest: case %ld\","
		    "\"status\":\"%s\",\"message\":\"\"}", i > 1 ? "," : "", i,
		    i % 10 ? "pass" : "fail");
	cases_json[len++] = ']';
	cases_json[len] = '\0';
	th = calloc((size_t)conc, sizeof(*th));
	if (th == NULL)
		return 1;
	t0 = now();
	for (i = 0; i < conc; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	t = now() - t0;
	if (atomic_load(&failed)) {
		fprintf(stderr, "ingest-post: some POSTs failed\n");
		return 1;
	}
	printf("%.0f cases/s %ld cases %.3f s\n", (double)((long)njobs * ncases) / t,
	    (long)njobs * ncases, t);
	return 0;
}
