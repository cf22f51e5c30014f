/*
 * console.c - serial console capture. For QEMU machines farmd listens on a
 * unix socket before it starts QEMU, and QEMU's chardev connects to it as a
 * client at start-up: no output is lost and no retry is needed. One peer at
 * a time; a new connection (the next QEMU) replaces the old one.
 */
#include "console.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

struct console {
	char *name;
	char *path;
	int lfd;
	int cfd;
	struct loop_fd *lwatch;
	struct loop_fd *cwatch;
	console_data_cb data_cb;
	console_state_cb state_cb;
	void *arg;
};

static void
console_drop(struct console *c)
{
	if (c->cfd < 0)
		return;
	loop_fd_del(c->cwatch);
	close(c->cfd);
	c->cfd = -1;
	c->cwatch = NULL;
	if (c->state_cb)
		c->state_cb(c->arg, 0);
}

static void
console_readable(int fd, uint32_t events, void *arg)
{
	struct console *c = arg;
	char data[16384];
	ssize_t r;
	int rounds;

	(void)events;
	for (rounds = 0; rounds < 16; rounds++) {
		r = read(fd, data, sizeof(data));
		if (r > 0) {
			c->data_cb(c->arg, data, (size_t)r);
			if (c->cfd != fd)
				return; /* the callback replaced us */
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r < 0)
			log_warn("console %s: read", c->name);
		console_drop(c);
		return;
	}
}

static void
console_accept(int fd, uint32_t events, void *arg)
{
	struct console *c = arg;
	int nfd;

	(void)events;
	nfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (nfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("console %s: accept", c->name);
		return;
	}
	console_drop(c);
	c->cfd = nfd;
	c->cwatch = loop_fd_add(nfd, EPOLLIN | EPOLLRDHUP, console_readable, c);
	if (c->state_cb)
		c->state_cb(c->arg, 1);
}

struct console *
console_unix(const char *name, const char *path, console_data_cb data_cb,
    console_state_cb state_cb, void *arg, char **cause)
{
	struct console *c = xcalloc(1, sizeof(*c));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	c->name = xstrdup(name);
	c->path = xstrdup(path);
	c->cfd = -1;
	c->data_cb = data_cb;
	c->state_cb = state_cb;
	c->arg = arg;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*cause = xasprintf("console socket path too long: %s", path);
		goto fail;
	}
	strcpy(sun.sun_path, path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		*cause = xasprintf("console socket: %s", strerror(errno));
		goto fail;
	}
	unlink(path);
	if (bind(c->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(c->lfd, 4) < 0) {
		*cause = xasprintf("console socket %s: %s", path, strerror(errno));
		close(c->lfd);
		goto fail;
	}
	c->lwatch = loop_fd_add(c->lfd, EPOLLIN, console_accept, c);
	return c;
fail:
	free(c->name);
	free(c->path);
	free(c);
	return NULL;
}

void
console_free(struct console *c)
{
	if (c == NULL)
		return;
	c->state_cb = NULL;
	console_drop(c);
	loop_fd_del(c->lwatch);
	close(c->lfd);
	unlink(c->path);
	free(c->name);
	free(c->path);
	free(c);
}

int
console_connected(const struct console *c)
{
	return c->cfd >= 0;
}

struct console *
console_open(const char *name, const char *spec, console_data_cb data_cb,
    console_state_cb state_cb, void *arg, char **cause)
{
	(void)data_cb;
	(void)state_cb;
	(void)arg;
	*cause = xasprintf("machine %s: console %s: network consoles are not"
	    " supported yet", name, spec);
	return NULL;
}
