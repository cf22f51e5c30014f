/*
 * qmp.c - QMP client on the event loop. QEMU greets, we answer with
 * qmp_capabilities, then every command gets exactly one answer line with
 * "return" or "error"; lines with "event" come whenever QEMU likes and are
 * skipped. One command is in flight at a time, which is all the snapshot
 * work in power_qemu.c needs (stop, migrate, query-migrate, cont).
 */
#include "qmp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

#define QMP_RETRY_MS 20
#define QMP_LINE_MAX (1 << 20)

enum qmp_state { QMP_CONNECTING, QMP_GREETING, QMP_CAPS, QMP_READY, QMP_DEAD };

struct qmp {
	char *path;
	int fd;
	enum qmp_state state;
	struct loop_fd *watch;
	struct loop_timer *retry;
	int tries_left;
	struct buf in;
	struct buf out;
	qmp_cb cb;              /* the handshake's, then the current command's */
	void *arg;
	int waiting;            /* a command's answer is due */
};

static void qmp_event(int fd, uint32_t events, void *arg);

/* Ends the connection and tells whoever waits (at most once). */
static void
qmp_fail(struct qmp *q)
{
	qmp_cb cb = q->waiting ? q->cb : NULL;
	void *arg = q->arg;

	q->state = QMP_DEAD;
	q->waiting = 0;
	q->cb = NULL;
	if (q->watch) {
		loop_fd_del(q->watch);
		q->watch = NULL;
	}
	if (q->fd >= 0) {
		close(q->fd);
		q->fd = -1;
	}
	if (cb)
		cb(arg, NULL);
}

static void
qmp_flush(struct qmp *q)
{
	ssize_t n;

	while (q->out.len > 0) {
		n = write(q->fd, q->out.data, q->out.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			qmp_fail(q);
			return;
		}
		memmove(q->out.data, q->out.data + n, q->out.len - (size_t)n);
		q->out.len -= (size_t)n;
		q->out.data[q->out.len] = '\0';
	}
	loop_fd_mod(q->watch, EPOLLIN | EPOLLRDHUP | (q->out.len ? EPOLLOUT : 0));
}

static void
qmp_send(struct qmp *q, const char *json)
{
	buf_adds(&q->out, json);
	buf_addc(&q->out, '\n');
	qmp_flush(q);
}

/* One whole line from QEMU. */
static void
qmp_line(struct qmp *q, const char *line)
{
	qmp_cb cb;

	switch (q->state) {
	case QMP_GREETING:
		if (strstr(line, "\"QMP\"") == NULL)
			return;
		q->state = QMP_CAPS;
		qmp_send(q, "{\"execute\": \"qmp_capabilities\"}");
		return;
	case QMP_CAPS:
	case QMP_READY:
		if (strncmp(line, "{\"event\"", 8) == 0 || strstr(line, "\"event\":") ==
		    line + 1 || (strstr(line, "\"return\"") == NULL &&
		    strstr(line, "\"error\"") == NULL))
			return;
		if (q->state == QMP_CAPS)
			q->state = QMP_READY;
		if (!q->waiting)
			return;
		cb = q->cb;
		q->waiting = 0;
		q->cb = NULL;
		if (cb)
			cb(q->arg, line);
		return;
	default:
		return;
	}
}

static void
qmp_event(int fd, uint32_t events, void *arg)
{
	struct qmp *q = arg;
	char chunk[4096], *nl;
	ssize_t n;

	if (events & EPOLLOUT)
		qmp_flush(q);
	if (q->state == QMP_DEAD)
		return;
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			qmp_fail(q);
			return;
		}
		buf_add(&q->in, chunk, (size_t)n);
		while ((nl = memchr(q->in.data, '\n', q->in.len)) != NULL) {
			size_t len = (size_t)(nl - q->in.data) + 1;
			char *line = xstrndup(q->in.data, len - 1);

			memmove(q->in.data, q->in.data + len, q->in.len - len);
			q->in.len -= len;
			q->in.data[q->in.len] = '\0';
			qmp_line(q, line);
			free(line);
			if (q->state == QMP_DEAD)
				return;
		}
		if (q->in.len > QMP_LINE_MAX) {
			log_warnx("qmp %s: a line longer than %d bytes", q->path,
			    QMP_LINE_MAX);
			qmp_fail(q);
			return;
		}
	}
}

/* Tries to connect; QEMU makes the socket a little after it starts. */
static void
qmp_try(void *arg)
{
	struct qmp *q = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	q->retry = NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("qmp %s: socket", q->path);
		qmp_fail(q);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", q->path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		if ((err == ENOENT || err == ECONNREFUSED || err == EAGAIN) &&
		    q->tries_left-- > 0) {
			q->retry = loop_timer_add(QMP_RETRY_MS, qmp_try, q);
			return;
		}
		log_warnx("qmp %s: connect: %s", q->path, strerror(err));
		qmp_fail(q);
		return;
	}
	q->fd = fd;
	q->state = QMP_GREETING;
	q->watch = loop_fd_add(fd, EPOLLIN | EPOLLRDHUP, qmp_event, q);
}

struct qmp *
qmp_open(const char *path, int timeout_ms, qmp_cb cb, void *arg)
{
	struct qmp *q = xcalloc(1, sizeof(*q));

	q->path = xstrdup(path);
	q->fd = -1;
	q->state = QMP_CONNECTING;
	q->tries_left = timeout_ms / QMP_RETRY_MS;
	q->cb = cb;
	q->arg = arg;
	q->waiting = 1;
	q->retry = loop_timer_add(0, qmp_try, q);
	return q;
}

static void
qmp_free(void *arg)
{
	struct qmp *q = arg;

	buf_free(&q->in);
	buf_free(&q->out);
	free(q->path);
	free(q);
}

void
qmp_close(struct qmp *q)
{
	if (q == NULL)
		return;
	loop_timer_cancel(q->retry);
	q->retry = NULL;
	q->waiting = 0;
	qmp_fail(q);
	/* Its own callbacks may close it: the caller's frame still uses q. */
	loop_timer_add(0, qmp_free, q);
}

int
qmp_ready(const struct qmp *q)
{
	return q && q->state == QMP_READY && !q->waiting;
}

int
qmp_command(struct qmp *q, const char *json, qmp_cb cb, void *arg)
{
	if (!qmp_ready(q))
		return -1;
	q->cb = cb;
	q->arg = arg;
	q->waiting = 1;
	qmp_send(q, json);
	return 0;
}

int
qmp_ok(const char *reply)
{
	return reply && strstr(reply, "\"return\"") != NULL &&
	    strstr(reply, "\"error\"") == NULL;
}

int
qmp_string(const char *reply, const char *key, char *out, size_t size)
{
	char *pat = xasprintf("\"%s\":", key);
	const char *s = reply ? strstr(reply, pat) : NULL;
	size_t n = 0;

	free(pat);
	if (s == NULL || size == 0)
		return -1;
	s = strchr(s, ':') + 1;
	while (*s == ' ')
		s++;
	if (*s++ != '"')
		return -1;
	while (s[n] && s[n] != '"' && n < size - 1)
		n++;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}
