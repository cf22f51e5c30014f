/*
 * loop.c - the event loop. One epoll set holds every descriptor farmd
 * waits on: sockets, the HTTP server's epoll fd, pidfds of children and one
 * signalfd. Timers are a list sorted by deadline; the nearest one bounds
 * epoll_wait's timeout, so no timerfd per timer is needed.
 *
 * Watchers removed while callbacks run are only marked dead and freed after
 * the current batch of events, so a callback may remove any watcher,
 * including its own.
 */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

struct loop_fd {
	int fd;
	loop_fd_cb cb;
	void *arg;
	int dead;
	struct loop_fd *next_dead;
};

struct loop_timer {
	int64_t when;
	uint64_t order;
	loop_timer_cb cb;
	void *arg;
	struct loop_timer *next;
};

struct loop_child {
	pid_t pid;
	int pidfd;
	struct loop_fd *watch;
	loop_child_cb cb;
	void *arg;
};

struct loop_sig {
	int signo;
	loop_signal_cb cb;
	void *arg;
};

static struct {
	int epfd;
	int running;
	struct loop_timer *timers;
	uint64_t timer_order;
	struct loop_fd *dead;
	int sigfd;
	struct loop_fd *sigwatch;
	sigset_t sigmask;
	struct loop_sig sigs[16];
	int nsigs;
	loop_prepare_cb prepare;
	void *prepare_arg;
} L = { .epfd = -1, .sigfd = -1 };

int
loop_init(void)
{
	L.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (L.epfd < 0)
		return -1;
	sigemptyset(&L.sigmask);
	return 0;
}

void
loop_free(void)
{
	struct loop_timer *t;

	while ((t = L.timers) != NULL) {
		L.timers = t->next;
		free(t);
	}
	if (L.sigwatch)
		loop_fd_del(L.sigwatch);
	while (L.dead) {
		struct loop_fd *f = L.dead;

		L.dead = f->next_dead;
		free(f);
	}
	if (L.sigfd >= 0)
		close(L.sigfd);
	if (L.epfd >= 0)
		close(L.epfd);
	L.epfd = L.sigfd = -1;
}

struct loop_fd *
loop_fd_add(int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct loop_fd *f = xcalloc(1, sizeof(*f));
	struct epoll_event ev = { .events = events, .data.ptr = f };

	f->fd = fd;
	f->cb = cb;
	f->arg = arg;
	if (epoll_ctl(L.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("epoll add fd %d", fd);
		free(f);
		return NULL;
	}
	return f;
}

int
loop_fd_mod(struct loop_fd *f, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = f };

	return epoll_ctl(L.epfd, EPOLL_CTL_MOD, f->fd, &ev);
}

void
loop_fd_del(struct loop_fd *f)
{
	if (f == NULL || f->dead)
		return;
	epoll_ctl(L.epfd, EPOLL_CTL_DEL, f->fd, NULL);
	f->dead = 1;
	f->next_dead = L.dead;
	L.dead = f;
}

struct loop_timer *
loop_timer_add(int64_t ms, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t)), **pp;

	t->when = now_ms() + (ms > 0 ? ms : 0);
	t->order = L.timer_order++;
	t->cb = cb;
	t->arg = arg;
	for (pp = &L.timers; *pp && (*pp)->when <= t->when; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return t;
}

void
loop_timer_cancel(struct loop_timer *t)
{
	struct loop_timer **pp;

	if (t == NULL)
		return;
	for (pp = &L.timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			free(t);
			return;
		}
	}
}

/* The pidfd became readable: the child exited. Reap it and report. */
static void
loop_child_ready(int fd, uint32_t events, void *arg)
{
	struct loop_child *c = arg;
	int status = 0;
	pid_t r;

	(void)fd;
	(void)events;
	r = waitpid(c->pid, &status, WNOHANG);
	if (r == 0)
		return;
	if (r < 0) {
		log_warn("waitpid %d", (int)c->pid);
		status = 255 << 8;
	}
	loop_fd_del(c->watch);
	close(c->pidfd);
	c->cb(c->pid, status, c->arg);
	free(c);
}

struct loop_child *
loop_child_add(pid_t pid, loop_child_cb cb, void *arg)
{
	struct loop_child *c = xcalloc(1, sizeof(*c));

	c->pid = pid;
	c->cb = cb;
	c->arg = arg;
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (c->pidfd < 0) {
		log_warn("pidfd_open %d", (int)pid);
		free(c);
		return NULL;
	}
	c->watch = loop_fd_add(c->pidfd, EPOLLIN, loop_child_ready, c);
	if (c->watch == NULL) {
		close(c->pidfd);
		free(c);
		return NULL;
	}
	return c;
}

void
loop_child_forget(struct loop_child *c)
{
	if (c == NULL)
		return;
	loop_fd_del(c->watch);
	close(c->pidfd);
	free(c);
}

/* Signals arrive on the signalfd and go to their registered callback. */
static void
loop_signal_ready(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	int i;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		for (i = 0; i < L.nsigs; i++)
			if (L.sigs[i].signo == (int)si.ssi_signo)
				L.sigs[i].cb((int)si.ssi_signo, L.sigs[i].arg);
	}
}

int
loop_signal(int signo, loop_signal_cb cb, void *arg)
{
	if (L.nsigs == (int)ARRAY_SIZE(L.sigs))
		return -1;
	L.sigs[L.nsigs++] = (struct loop_sig){ signo, cb, arg };
	sigaddset(&L.sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &L.sigmask, NULL) < 0)
		return -1;
	L.sigfd = signalfd(L.sigfd, &L.sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (L.sigfd < 0)
		return -1;
	if (L.sigwatch == NULL)
		L.sigwatch = loop_fd_add(L.sigfd, EPOLLIN, loop_signal_ready, NULL);
	return L.sigwatch ? 0 : -1;
}

void
loop_prepare(loop_prepare_cb cb, void *arg)
{
	L.prepare = cb;
	L.prepare_arg = arg;
}

void
loop_stop(void)
{
	L.running = 0;
}

/* Runs every timer whose deadline has passed, in deadline order. */
static void
loop_run_timers(void)
{
	int64_t now = now_ms();
	struct loop_timer *t;

	while ((t = L.timers) != NULL && t->when <= now) {
		L.timers = t->next;
		t->cb(t->arg);
		free(t);
	}
}

int
loop_run(void)
{
	struct epoll_event evs[64];
	int n, i;

	L.running = 1;
	while (L.running) {
		int64_t wait = -1;

		if (L.prepare)
			wait = L.prepare(L.prepare_arg);
		if (L.timers) {
			int64_t t = L.timers->when - now_ms();

			if (t < 0)
				t = 0;
			if (wait < 0 || t < wait)
				wait = t;
		}
		if (wait > 60000)
			wait = 60000;
		n = epoll_wait(L.epfd, evs, ARRAY_SIZE(evs), (int)wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return -1;
		}
		for (i = 0; i < n; i++) {
			struct loop_fd *f = evs[i].data.ptr;

			if (!f->dead)
				f->cb(f->fd, evs[i].events, f->arg);
		}
		while (L.dead) {
			struct loop_fd *f = L.dead;

			L.dead = f->next_dead;
			free(f);
		}
		loop_run_timers();
	}
	return 0;
}
