/*
 * loadgen.c - acts as N machines of a farm against one farmd, on
 * loopback, for a bounded time, and says in TAP what it saw.
 *
 *   loadgen -u http://127.0.0.1:PORT -a SHA256 [-n 1000] [-d 10] [-k 5]
 *           [-o jobs.txt] [-q]
 *
 * Machine i (1..N) has the MAC 52:54:00:xx:xx:xx of i (as
 * tests/load/farmd-lo.sh writes farm.conf) and does what a machine does,
 * over and over, on its own keep-alive connection:
 *
 *   GET /ipxe/<mac>                  200 and an iPXE script; when it is a
 *                                    job script, the job id and token
 *                                    are taken from it
 *   GET /apps/<sha>.efi?job=<id>     200 and the app's bytes
 *   POST /api/v1/jobs/<id>/results   with k test cases; 200 for its own
 *                                    job, 404 for a job that is not there
 *                                    (an idle machine posts for one)
 *   GET /ipxe/<mac>/done?job=&token=&rc=0   (a job only) 200 and the next
 *                                    script, which may be the next job
 *
 * Any other answer, a connection that fails, or a request that takes more
 * than 15 s is an error. The jobs whose results were answered 200 are
 * written to the -o file ("id" per line), so the caller can check that
 * every one of them is stored. Only loopback addresses are accepted.
 *
 * Output: TAP lines (no plan: the caller adds its own lines and the plan)
 * and "# figures: ..." with requests/s and latency percentiles.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_TIMEOUT_US (15 * 1000000LL) /* later than this: lost */
#define MAX_RESPONSE (1 << 20)

enum step { STEP_IPXE, STEP_APP, STEP_RESULTS, STEP_DONE, NSTEPS };

static const char *const step_names[NSTEPS] = { "ipxe", "app", "results", "done" };

struct machine {
	int idx;
	char mac[18];                   /* 52-54-00-xx-xx-xx */
	int fd;                         /* -1: not connected */
	int connecting;
	enum step step;
	char *out;                      /* the request being sent */
	size_t out_len, out_off;
	char *in;                       /* what came back so far */
	size_t in_len, in_cap;
	int64_t t_sent;                 /* us; 0: no request in flight */
	long long job;                  /* the job it runs, 0: none */
	char token[128];
};

static struct {
	struct sockaddr_in addr;
	char host[64];
	const char *sha;
	int nmachines;
	double seconds;
	int ncases;
	const char *jobs_file;
	int quiet;
	int ep;
	struct machine *m;
	size_t app_size;                /* learnt from the first fetch */
	/* Figures. */
	long long requests[NSTEPS];
	long long errors;
	long long job_posts;            /* results answered 200 */
	long long jobs_seen;
	uint32_t *lat;                  /* us, one per request */
	size_t nlat, lat_cap;
	uint32_t *lat_step[NSTEPS];
	size_t nlat_step[NSTEPS], cap_step[NSTEPS];
	FILE *jobs;
	char first_error[512];
} G;

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		exit(2);
	}
	return p;
}

/* Counts an error; the first one is kept for the report. */
static void __attribute__((format(printf, 2, 3)))
error(struct machine *m, const char *fmt, ...)
{
	va_list ap;
	char msg[400];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	G.errors++;
	if (G.first_error[0] == '\0')
		snprintf(G.first_error, sizeof(G.first_error), "machine %d, %s: %s",
		    m->idx, step_names[m->step], msg);
	if (!G.quiet && G.errors <= 10)
		fprintf(stderr, "loadgen: machine %d, %s: %s\n", m->idx,
		    step_names[m->step], msg);
}

static void
record_latency(enum step s, uint32_t us)
{
	if (G.nlat == G.lat_cap) {
		G.lat_cap = G.lat_cap ? G.lat_cap * 2 : 65536;
		G.lat = xrealloc(G.lat, G.lat_cap * sizeof(*G.lat));
	}
	G.lat[G.nlat++] = us;
	if (G.nlat_step[s] == G.cap_step[s]) {
		G.cap_step[s] = G.cap_step[s] ? G.cap_step[s] * 2 : 16384;
		G.lat_step[s] = xrealloc(G.lat_step[s], G.cap_step[s] * sizeof(uint32_t));
	}
	G.lat_step[s][G.nlat_step[s]++] = us;
}

static void
disconnect(struct machine *m)
{
	if (m->fd >= 0) {
		epoll_ctl(G.ep, EPOLL_CTL_DEL, m->fd, NULL);
		close(m->fd);
	}
	m->fd = -1;
	m->connecting = 0;
}

static int
connect_machine(struct machine *m)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = m };
	int one = 1;

	m->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0) {
		error(m, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(m->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(m->fd, (struct sockaddr *)&G.addr, sizeof(G.addr)) < 0 &&
	    errno != EINPROGRESS) {
		error(m, "connect: %s", strerror(errno));
		close(m->fd);
		m->fd = -1;
		return -1;
	}
	m->connecting = 1;
	epoll_ctl(G.ep, EPOLL_CTL_ADD, m->fd, &ev);
	return 0;
}

/* Builds the request of the machine's step and starts sending it. */
static void
start_request(struct machine *m)
{
	char path[512], body[4096];
	size_t blen = 0;
	int i, n;

	free(m->out);
	m->out = NULL;
	switch (m->step) {
	case STEP_IPXE:
		snprintf(path, sizeof(path), "/ipxe/%s", m->mac);
		break;
	case STEP_APP:
		snprintf(path, sizeof(path), "/apps/%s.efi?job=%lld", G.sha,
		    m->job ? m->job : 1000000000000LL + m->idx);
		break;
	case STEP_RESULTS:
		snprintf(path, sizeof(path), "/api/v1/jobs/%lld/results",
		    m->job ? m->job : 1000000000000LL + m->idx);
		blen = (size_t)snprintf(body, sizeof(body), "{\"tests\":[");
		for (i = 0; i < G.ncases && blen < sizeof(body) - 200; i++)
			blen += (size_t)snprintf(body + blen, sizeof(body) - blen,
			    "%s{\"name\":\"load: machine %d: case %d\",\"status\":\"pass\"}",
			    i ? "," : "", m->idx, i + 1);
		blen += (size_t)snprintf(body + blen, sizeof(body) - blen,
		    "],\"summary\":{\"total\":%d,\"failed\":0,\"xfailed\":0,"
		    "\"skipped\":0},\"exit_code\":0}", G.ncases);
		break;
	case STEP_DONE:
	default:
		snprintf(path, sizeof(path), "/ipxe/%s/done?job=%lld&token=%s&rc=0",
		    m->mac, m->job, m->token);
		break;
	}
	if (m->step == STEP_RESULTS) {
		n = asprintf(&m->out, "POST %s HTTP/1.1\r\nHost: %s\r\n"
		    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n%.*s", path, G.host,
		    m->job ? m->token : "0000", blen, (int)blen, body);
	} else {
		n = asprintf(&m->out, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path,
		    G.host);
	}
	if (n < 0) {
		fprintf(stderr, "loadgen: out of memory\n");
		exit(2);
	}
	m->out_len = (size_t)n;
	m->out_off = 0;
	m->in_len = 0;
	m->t_sent = now_us();
	if (m->fd < 0 && connect_machine(m) < 0) {
		m->t_sent = 0;
		return;
	}
	if (!m->connecting) {
		struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = m };

		epoll_ctl(G.ep, EPOLL_CTL_MOD, m->fd, &ev);
	}
}

/* Takes the job id and token out of a job script; 0 when it is none. */
static int
parse_job_script(struct machine *m, const char *body)
{
	const char *j = strstr(body, " FARM_JOB="), *t = strstr(body, " FARM_TOKEN=");
	size_t n;

	if (j == NULL || t == NULL)
		return 0;
	m->job = strtoll(j + 10, NULL, 10);
	t += 12;
	n = strcspn(t, " \n");
	if (m->job <= 0 || n == 0 || n >= sizeof(m->token)) {
		m->job = 0;
		return 0;
	}
	memcpy(m->token, t, n);
	m->token[n] = '\0';
	G.jobs_seen++;
	return 1;
}

/* A whole answer came: checks it and picks the next step. */
static void
answered(struct machine *m, int status, const char *body, size_t len)
{
	enum step s = m->step;
	int want;

	G.requests[s]++;
	record_latency(s, (uint32_t)(now_us() - m->t_sent));
	m->t_sent = 0;
	switch (s) {
	case STEP_IPXE:
	case STEP_DONE:
		if (status != 200 || len < 7 || memcmp(body, "#!ipxe\n", 7) != 0) {
			error(m, "status %d, %.60s", status, body);
			m->job = 0;
			m->step = STEP_IPXE;
			return;
		}
		if (parse_job_script(m, body))
			m->step = STEP_APP;
		else if (s == STEP_DONE) {
			m->job = 0;
			m->step = STEP_IPXE;
		} else
			m->step = STEP_APP;
		return;
	case STEP_APP:
		if (G.app_size == 0 && status == 200)
			G.app_size = len;
		if (status != 200 || len != G.app_size || len < 2 || memcmp(body, "MZ", 2) != 0)
			error(m, "status %d, %zu bytes (want 200, %zu bytes of app)", status,
			    len, G.app_size);
		m->step = STEP_RESULTS;
		return;
	case STEP_RESULTS:
		want = m->job ? 200 : 404;
		if (status != want) {
			error(m, "job %lld: status %d (want %d): %.80s", m->job, status, want,
			    body);
		} else if (m->job) {
			G.job_posts++;
			if (G.jobs)
				fprintf(G.jobs, "%lld\n", m->job);
		}
		m->step = m->job ? STEP_DONE : STEP_IPXE;
		return;
	default:
		return;
	}
}

/* Parses what came in; 1 when an answer is complete (and handled). */
static int
try_parse(struct machine *m, int *close_after)
{
	char *hend, *p, *line;
	size_t hlen, clen = 0;
	int status, have_len = 0;

	m->in[m->in_len] = '\0';
	hend = strstr(m->in, "\r\n\r\n");
	if (hend == NULL)
		return 0;
	hlen = (size_t)(hend - m->in) + 4;
	if (sscanf(m->in, "HTTP/1.%*d %d", &status) != 1) {
		error(m, "not an HTTP answer: %.40s", m->in);
		*close_after = 1;
		return 1;
	}
	*close_after = 0;
	for (line = strstr(m->in, "\r\n") + 2; line < hend; line = strstr(line, "\r\n") + 2) {
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			clen = strtoul(line + 15, NULL, 10);
			have_len = 1;
		} else if (strncasecmp(line, "Connection:", 11) == 0) {
			for (p = line + 11; *p == ' '; p++)
				;
			if (strncasecmp(p, "close", 5) == 0)
				*close_after = 1;
		} else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
			error(m, "a chunked answer (loadgen reads Content-Length only)");
			*close_after = 1;
			return 1;
		}
	}
	if (!have_len) {
		error(m, "an answer without Content-Length");
		*close_after = 1;
		return 1;
	}
	if (m->in_len < hlen + clen)
		return 0;
	if (m->in_len > hlen + clen) {
		error(m, "%zu bytes more than the answer", m->in_len - hlen - clen);
		*close_after = 1;
	}
	{
		char save = m->in[hlen + clen];

		m->in[hlen + clen] = '\0';
		answered(m, status, m->in + hlen, clen);
		m->in[hlen + clen] = save;
	}
	return 1;
}

static void
on_event(struct machine *m, uint32_t events, int64_t deadline)
{
	int close_after = 0;

	if (m->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err != 0) {
			error(m, "connect: %s", strerror(err));
			disconnect(m);
			m->t_sent = 0;
			return;
		}
		m->connecting = 0;
	}
	if ((events & EPOLLOUT) && m->out_off < m->out_len) {
		ssize_t w = send(m->fd, m->out + m->out_off, m->out_len - m->out_off,
		    MSG_NOSIGNAL);

		if (w < 0 && errno != EAGAIN) {
			error(m, "send: %s", strerror(errno));
			disconnect(m);
			m->t_sent = 0;
			return;
		}
		if (w > 0)
			m->out_off += (size_t)w;
		if (m->out_off == m->out_len) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = m };

			epoll_ctl(G.ep, EPOLL_CTL_MOD, m->fd, &ev);
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			ssize_t r;

			if (m->in_cap - m->in_len < 4097) {
				m->in_cap = m->in_cap ? m->in_cap * 2 : 8192;
				m->in = xrealloc(m->in, m->in_cap);
			}
			r = recv(m->fd, m->in + m->in_len, m->in_cap - m->in_len - 1, 0);
			if (r > 0) {
				m->in_len += (size_t)r;
				if (m->in_len > MAX_RESPONSE) {
					error(m, "an answer over %d bytes", MAX_RESPONSE);
					disconnect(m);
					m->t_sent = 0;
					return;
				}
				continue;
			}
			if (r < 0 && errno == EAGAIN)
				break;
			/* EOF or error: fine between requests, an error inside one. */
			if (m->t_sent != 0)
				error(m, "connection closed: %s", r < 0 ? strerror(errno) :
				    "EOF before the answer");
			disconnect(m);
			m->t_sent = 0;
			break;
		}
		if (m->t_sent != 0 && m->in_len > 0 && try_parse(m, &close_after)) {
			if (close_after)
				disconnect(m);
			if (now_us() < deadline)
				start_request(m);
		}
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -u http://127.0.0.1:PORT -a SHA256 [-n machines]"
	    " [-d seconds] [-k cases] [-o jobs-file] [-q]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *url = NULL;
	struct epoll_event evs[256];
	struct rlimit rl;
	int64_t t0, deadline, end, last_scan = 0;
	long long total = 0;
	int ch, i, port, inflight;
	double secs;

	G.nmachines = 1000;
	G.seconds = 10;
	G.ncases = 5;
	while ((ch = getopt(argc, argv, "u:a:n:d:k:o:q")) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'a': G.sha = optarg; break;
		case 'n': G.nmachines = atoi(optarg); break;
		case 'd': G.seconds = atof(optarg); break;
		case 'k': G.ncases = atoi(optarg); break;
		case 'o': G.jobs_file = optarg; break;
		case 'q': G.quiet = 1; break;
		default: usage();
		}
	}
	if (url == NULL || G.sha == NULL || strlen(G.sha) != 64 || G.nmachines < 1 ||
	    G.nmachines > 60000 || G.seconds <= 0 || G.ncases < 0 || G.ncases > 50)
		usage();
	if (sscanf(url, "http://%63[^:/]:%d", G.host, &port) != 2 || port < 1 ||
	    port > 65535 || inet_pton(AF_INET, G.host, &G.addr.sin_addr) != 1) {
		fprintf(stderr, "loadgen: %s: want http://IPv4:PORT\n", url);
		return 2;
	}
	if ((ntohl(G.addr.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "loadgen: %s is not a loopback address; refusing\n", G.host);
		return 2;
	}
	G.addr.sin_family = AF_INET;
	G.addr.sin_port = htons((uint16_t)port);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (G.jobs_file && (G.jobs = fopen(G.jobs_file, "w")) == NULL) {
		fprintf(stderr, "loadgen: %s: %s\n", G.jobs_file, strerror(errno));
		return 2;
	}
	G.ep = epoll_create1(EPOLL_CLOEXEC);
	G.m = calloc((size_t)G.nmachines, sizeof(*G.m));
	if (G.ep < 0 || G.m == NULL)
		return 2;

	t0 = now_us();
	deadline = t0 + (int64_t)(G.seconds * 1e6);
	for (i = 0; i < G.nmachines; i++) {
		struct machine *m = &G.m[i];

		m->idx = i + 1;
		m->fd = -1;
		snprintf(m->mac, sizeof(m->mac), "52-54-00-%02x-%02x-%02x",
		    (i + 1) >> 16 & 255, (i + 1) >> 8 & 255, (i + 1) & 255);
		m->step = STEP_IPXE;
		start_request(m);
	}
	/* Until the deadline, then until the requests in flight are answered. */
	for (;;) {
		int64_t now = now_us();
		int nev = epoll_wait(G.ep, evs, 256, 100);

		for (i = 0; i < nev; i++)
			on_event(evs[i].data.ptr, evs[i].events, deadline);
		now = now_us();
		if (now - last_scan >= 100000) {
			last_scan = now;
			inflight = 0;
			for (i = 0; i < G.nmachines; i++) {
				struct machine *m = &G.m[i];

				if (m->t_sent == 0) {
					/* A machine whose request failed starts again. */
					if (now < deadline && m->fd < 0)
						start_request(m);
					continue;
				}
				inflight++;
				if (now - m->t_sent > REQUEST_TIMEOUT_US) {
					error(m, "no answer within %lld s",
					    REQUEST_TIMEOUT_US / 1000000);
					disconnect(m);
					m->t_sent = 0;
				}
			}
			if (now >= deadline && inflight == 0)
				break;
			if (now >= deadline + REQUEST_TIMEOUT_US + 1000000)
				break;
		}
	}
	end = now_us();
	for (i = 0; i < G.nmachines; i++) {
		disconnect(&G.m[i]);
		free(G.m[i].out);
		free(G.m[i].in);
	}
	if (G.jobs)
		fclose(G.jobs);

	for (i = 0; i < NSTEPS; i++)
		total += G.requests[i];
	secs = (double)(end - t0) / 1e6;
	qsort(G.lat, G.nlat, sizeof(*G.lat), cmp_u32);
	printf("%s - %d machines for %.1f s: %lld requests, %.0f/s, %lld errors%s%s\n",
	    G.errors == 0 && total > 0 ? "ok" : "not ok", G.nmachines, secs, total,
	    (double)total / secs, G.errors, G.first_error[0] ? "; first: " : "",
	    G.first_error);
	printf("%s - every machine got its boot script, app and results answers"
	    " (ipxe %lld, app %lld, results %lld, done %lld)\n",
	    G.requests[STEP_IPXE] >= G.nmachines && G.requests[STEP_APP] > 0 &&
	    G.requests[STEP_RESULTS] > 0 ? "ok" : "not ok", G.requests[STEP_IPXE],
	    G.requests[STEP_APP], G.requests[STEP_RESULTS], G.requests[STEP_DONE]);
	printf("# latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	    pct_ms(G.lat, G.nlat, 50), pct_ms(G.lat, G.nlat, 90),
	    pct_ms(G.lat, G.nlat, 99), pct_ms(G.lat, G.nlat, 100));
	for (i = 0; i < NSTEPS; i++) {
		if (G.nlat_step[i] == 0)
			continue;
		qsort(G.lat_step[i], G.nlat_step[i], sizeof(uint32_t), cmp_u32);
		printf("#   %-8s %8lld requests, p50 %.2f ms, p99 %.2f ms\n", step_names[i],
		    G.requests[i], pct_ms(G.lat_step[i], G.nlat_step[i], 50),
		    pct_ms(G.lat_step[i], G.nlat_step[i], 99));
		free(G.lat_step[i]);
	}
	printf("# figures: machines=%d seconds=%.1f requests=%lld rps=%.0f p50_ms=%.2f"
	    " p99_ms=%.2f errors=%lld jobs_seen=%lld results_stored=%lld\n",
	    G.nmachines, secs, total, (double)total / secs, pct_ms(G.lat, G.nlat, 50),
	    pct_ms(G.lat, G.nlat, 99), G.errors, G.jobs_seen, G.job_posts);
	free(G.lat);
	free(G.m);
	close(G.ep);
	return G.errors == 0 && total > 0 ? 0 : 1;
}
