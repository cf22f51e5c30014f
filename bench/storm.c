/*
 * storm.c - the storm benchmark's client (bench/run): N machines at once,
 * each on its own connection, ask their boot script and then the app, as a
 * farm does when the power comes back.
 *
 *   storm HOST PORT N SHA256
 *
 * Machine i (1..N) has the MAC 52:54:00:xx:xx:xx of i. All N threads
 * connect, wait on one barrier, then each sends GET /ipxe/<mac>, reads
 * the whole answer, sends GET /apps/<sha>.efi on the same connection and
 * reads it all (its length checked against Content-Length). The latency
 * of a request is from its send to its last byte; a machine's is the sum
 * of its two (connecting is not counted). Prints
 *
 *   served S of N machines; machine p50 .. p99 .. ms; ipxe p50 A p99 B max C ms; app p50 .. ms; total T s
 *
 * and exits 1 when any machine was not served. Loopback only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct machine {
	int idx;
	pthread_t th;
	double ipxe_ms, app_ms;         /* < 0: not served */
};

static struct sockaddr_in addr;
static const char *sha;
static pthread_barrier_t start;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* get: sends GET path on fd and reads the whole 200 answer; its ms or -1. */
static double
get(int fd, const char *path)
{
	char req[256], buf[1 << 16], *end, *cl;
	size_t got = 0, head = 0, total = 0;
	double t0 = now_ms();
	ssize_t r;
	int n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n)
		return -1;
	/* The head first, then count the body's bytes. */
	while (head == 0) {
		r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end == NULL)
			continue;
		if (strncmp(buf, "HTTP/1.1 200", 12) != 0)
			return -1;
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl == NULL)
			return -1;
		head = (size_t)(end + 4 - buf);
		total = head + strtoul(cl + 17, NULL, 10);
	}
	while (got < total) {
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return got == total ? now_ms() - t0 : -1;
}

static void *
machine_run(void *arg)
{
	struct machine *m = arg;
	char path[128];
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	m->ipxe_ms = m->app_ms = -1;
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			close(fd);
			fd = -1;
		}
	}
	pthread_barrier_wait(&start);
	if (fd < 0)
		return NULL;
	snprintf(path, sizeof(path), "/ipxe/52-54-00-%02x-%02x-%02x",
	    m->idx >> 16 & 255, m->idx >> 8 & 255, m->idx & 255);
	m->ipxe_ms = get(fd, path);
	if (m->ipxe_ms >= 0) {
		snprintf(path, sizeof(path), "/apps/%s.efi", sha);
		m->app_ms = get(fd, path);
	}
	close(fd);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* pct: the p-th percentile of the n sorted values v. */
static double
pct(const double *v, int n, double p)
{
	int i = (int)(p / 100.0 * n + 0.5) - 1;

	return n == 0 ? 0 : v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

int
main(int argc, char **argv)
{
	struct machine *m;
	double *ipxe, *app, *both, t0;
	int n, i, served = 0, ni = 0, na = 0;
	pthread_attr_t attr;

	if (argc != 5 || (n = atoi(argv[3])) <= 0 || strlen(argv[4]) != 64) {
		fprintf(stderr, "usage: storm HOST PORT N SHA256\n");
		return 2;
	}
	sha = argv[4];
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 ||
	    (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "storm: %s: not a loopback address\n", argv[1]);
		return 2;
	}
	m = calloc((size_t)n, sizeof(*m));
	ipxe = calloc((size_t)n, sizeof(*ipxe));
	app = calloc((size_t)n, sizeof(*app));
	both = calloc((size_t)n, sizeof(*both));
	if (m == NULL || ipxe == NULL || app == NULL || both == NULL)
		return 1;
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < n; i++) {
		m[i].idx = i + 1;
		if (pthread_create(&m[i].th, &attr, machine_run, &m[i]) != 0) {
			fprintf(stderr, "storm: thread %d: cannot start\n", i + 1);
			return 1;
		}
	}
	pthread_barrier_wait(&start);
	t0 = now_ms();
	for (i = 0; i < n; i++)
		pthread_join(m[i].th, NULL);
	for (i = 0; i < n; i++) {
		if (m[i].ipxe_ms >= 0)
			ipxe[ni++] = m[i].ipxe_ms;
		if (m[i].app_ms >= 0) {
			both[na] = m[i].ipxe_ms + m[i].app_ms;
			app[na++] = m[i].app_ms;
		}
		served += m[i].app_ms >= 0;
	}
	qsort(ipxe, (size_t)ni, sizeof(*ipxe), cmp_double);
	qsort(app, (size_t)na, sizeof(*app), cmp_double);
	qsort(both, (size_t)na, sizeof(*both), cmp_double);
	printf("served %d of %d machines; machine p50 %.2f p99 %.2f ms; ipxe p50 %.2f p99 %.2f max %.2f ms;"
	    " app p50 %.2f p99 %.2f max %.2f ms; total %.3f s\n", served, n,
	    pct(both, na, 50), pct(both, na, 99), pct(ipxe, ni, 50), pct(ipxe, ni, 99), ni ? ipxe[ni - 1] : 0,
	    pct(app, na, 50), pct(app, na, 99), na ? app[na - 1] : 0, (now_ms() - t0) / 1e3);
	return served == n ? 0 : 1;
}
