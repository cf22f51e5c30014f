/*
 * console.c - serial console capture.
 *
 * For QEMU machines farmd listens on a unix socket before it starts QEMU,
 * and QEMU's chardev connects to it as a client at start-up: no output is
 * lost and no retry is needed. One peer at a time; a new connection (the
 * next QEMU) replaces the old one.
 *
 * Physical machines have network consoles, opened from a farm.conf spec
 * through the backend table below: "tcp:" (a raw TCP port, as ser2net or a
 * console server gives), "telnet:" (the same with telnet commands, which
 * are stripped and whose option requests are answered), "command:" (a
 * program whose standard output is the console, e.g. ipmitool's SOL). farmd
 * stays connected all the time, not just during jobs, so nothing a machine
 * prints is missed. A network console connects in the background: a
 * non-blocking connect (or a spawned program) on the event loop, and when
 * it fails or the peer goes away, a new attempt after 1, 2, 4 ... 30 s
 * (back to 1 s only after a connection that lasted 10 s, so a server that
 * accepts and hangs up is not hammered). An outage is logged once when it
 * starts and once when it ends; the attempts in between only at debug
 * level. For command: consoles "connected" means the program runs.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

#ifdef UNIT_TEST
#define TESTABLE
#else
#define TESTABLE static
#endif

#define CONSOLE_CONNECT_MS 10000        /* a TCP connect gets this long */
#define CONSOLE_BACKOFF_MAX_S 30
#define CONSOLE_STABLE_MS 10000         /* a connection this old resets the back-off */
#define CONSOLE_EXIT_GRACE_MS 2000      /* a command that closed its output */
#define CONSOLE_FLAP_WARN_MS 600000     /* a flapping console warns this seldom */
#define CONSOLE_MAX_WORDS 256

struct console_backend;

struct console {
	char *name;
	char *spec;                     /* as in farm.conf; NULL for unix */
	const struct console_backend *be;       /* NULL: the unix listener */
	console_data_cb data_cb;
	console_state_cb state_cb;
	void *arg;

	/* unix: the listening socket */
	char *path;
	int lfd;
	struct loop_fd *lwatch;

	/* the connection: a socket, or a command's standard output */
	int cfd;
	struct loop_fd *cwatch;

	/* network consoles */
	int up;                         /* connected, as state_cb last said */
	int connecting;
	struct addrinfo *addrs;         /* tcp/telnet: resolved at open */
	struct addrinfo *ai;            /* the address being tried */
	struct loop_timer *timer;       /* next attempt, connect deadline, kill */
	int backoff_s;                  /* wait before the next attempt */
	int64_t up_since;
	int64_t down_since;
	int64_t last_warn;              /* of the last outage warning */
	int down_logged;                /* this outage was warned about */
	int quiet;                      /* a flapping console: logs at debug */
	struct buf out;                 /* answers not yet written */
	struct console_telnet *tn;      /* telnet: only */

	/* command: */
	char **argv;
	pid_t pid;
	struct loop_child *child;
	int in_fd;                      /* its stdin, held open and never written */
	int err_fd;
	struct loop_fd *ewatch;
	char errline[200];              /* the last line it wrote on stderr */
	size_t errlen;
	char errlast[200];
};

/* A network console backend: how a spec's rest is read and how one
 * attempt to connect starts. */
struct console_backend {
	const char *prefix;
	int (*parse)(struct console *, const char *rest, char **cause);
	/* Starts an attempt: 0 when connected or connecting (the outcome comes
	 * through console_up / console_drop), -1 with *why (caller frees). */
	int (*start)(struct console *, char **why);
	/* Ends what start made beyond c->cfd (a command's process). */
	void (*stop)(struct console *);
};

static void console_readable(int fd, uint32_t events, void *arg);
static void console_attempt(void *arg);

/* ---- the connection, shared by every backend ---- */

/* Closes the connection and tells the callback. A network console then
 * tries again after its back-off; why says what happened, for the log. */
static void
console_drop(struct console *c, const char *why)
{
	int was_up, delay, flapping;

	if (c->be == NULL) {
		if (c->cfd < 0)
			return;
		loop_fd_del(c->cwatch);
		close(c->cfd);
		c->cfd = -1;
		c->cwatch = NULL;
		if (c->state_cb)
			c->state_cb(c->arg, 0);
		return;
	}
	loop_timer_cancel(c->timer);
	c->timer = NULL;
	if (c->cfd >= 0) {
		loop_fd_del(c->cwatch);
		close(c->cfd);
	}
	c->cfd = -1;
	c->cwatch = NULL;
	c->connecting = 0;
	buf_reset(&c->out);
	if (c->be->stop)
		c->be->stop(c);
	was_up = c->up;
	c->up = 0;
	if (was_up && now_ms() - c->up_since >= CONSOLE_STABLE_MS)
		c->backoff_s = 1;
	delay = c->backoff_s;
	c->backoff_s = c->backoff_s * 2 > CONSOLE_BACKOFF_MAX_S ? CONSOLE_BACKOFF_MAX_S :
	    c->backoff_s * 2;
	/* One warning per outage; a console that keeps dropping right after
	 * it connects (a command that fails once started, a server that
	 * accepts and hangs up) warns at most every CONSOLE_FLAP_WARN_MS. */
	flapping = was_up && now_ms() - c->up_since < CONSOLE_STABLE_MS &&
	    c->last_warn && now_ms() - c->last_warn < CONSOLE_FLAP_WARN_MS;
	if (!c->down_logged && !flapping) {
		log_warnx("machine %s: console %s: %s; trying again in the background",
		    c->name, c->spec, why);
		c->down_logged = 1;
		c->down_since = c->last_warn = now_ms();
	} else {
		c->quiet = !c->down_logged;
		log_debug("machine %s: console %s: %s; next try in %d s", c->name, c->spec,
		    why, delay);
	}
	c->timer = loop_timer_add((int64_t)delay * 1000, console_attempt, c);
	if (was_up && c->state_cb)
		c->state_cb(c->arg, 0);
}

/* A network console's connection is up: read it from now on. */
static void
console_up(struct console *c)
{
	loop_timer_cancel(c->timer);
	c->timer = NULL;
	c->connecting = 0;
	if (c->cwatch == NULL)
		c->cwatch = loop_fd_add(c->cfd, EPOLLIN | EPOLLRDHUP, console_readable, c);
	else
		loop_fd_mod(c->cwatch, EPOLLIN | EPOLLRDHUP);
	c->up = 1;
	c->up_since = now_ms();
	if (c->down_logged)
		log_info("machine %s: console %s: connected again after %lld s",
		    c->name, c->spec, (long long)((c->up_since - c->down_since) / 1000));
	else if (c->quiet)
		log_debug("machine %s: console %s: connected", c->name, c->spec);
	else
		log_info("machine %s: console %s: connected", c->name, c->spec);
	c->down_logged = 0;
	c->quiet = 0;
	if (c->state_cb)
		c->state_cb(c->arg, 1);
}

/* The back-off is over: try again. */
static void
console_attempt(void *arg)
{
	struct console *c = arg;
	char *why = NULL;

	c->timer = NULL;
	if (c->be->start(c, &why) < 0) {
		console_drop(c, why);
		free(why);
	}
}

/* Writes what is waiting in c->out; watches for room when some is left. */
static void
console_flush(struct console *c)
{
	ssize_t w;

	while (c->out.len > 0) {
		w = send(c->cfd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		memmove(c->out.data, c->out.data + w, c->out.len - (size_t)w);
		c->out.len -= (size_t)w;
	}
	loop_fd_mod(c->cwatch, EPOLLIN | EPOLLRDHUP | (c->out.len ? EPOLLOUT : 0));
}

/* ---- telnet ---- */

enum { TN_DATA, TN_CR, TN_IAC, TN_OPT, TN_SB, TN_SB_IAC };

#define TN_IAC_B 255
#define TN_DONT 254
#define TN_DO 253
#define TN_WONT 252
#define TN_WILL 251
#define TN_SB_B 250
#define TN_SE 240
#define TN_OPT_BINARY 0
#define TN_OPT_SGA 3
#define TN_SB_MAX 4096

struct console_telnet {
	int state;
	unsigned char cmd;              /* WILL/WONT/DO/DONT waiting for its option */
	size_t sb_len;
	unsigned char remote[256];      /* options the server has on, agreed by us */
	unsigned char refused[256];     /* bit 0: DONT sent, bit 1: WONT sent */
};

TESTABLE struct console_telnet *
console_telnet_new(void)
{
	return xcalloc(1, sizeof(struct console_telnet));
}

TESTABLE void
console_telnet_free(struct console_telnet *t)
{
	free(t);
}

static void
telnet_answer(struct buf *reply, unsigned char cmd, unsigned char opt)
{
	char b[3] = { (char)TN_IAC_B, (char)cmd, (char)opt };

	buf_add(reply, b, sizeof(b));
}

/* One option request. The server may send us binary data and skip its
 * go-aheads (that only makes the data cleaner); every other option is
 * refused, each at most once per connection, so a server that keeps asking
 * cannot make us loop (RFC 1143's rule: never answer a request for the
 * state an option is already in). */
static void
telnet_option(struct console_telnet *t, unsigned char cmd, unsigned char opt,
    struct buf *reply)
{
	int wanted = opt == TN_OPT_BINARY || opt == TN_OPT_SGA;

	switch (cmd) {
	case TN_WILL:
		if (wanted && !t->remote[opt]) {
			t->remote[opt] = 1;
			telnet_answer(reply, TN_DO, opt);
		} else if (!wanted && !(t->refused[opt] & 1)) {
			t->refused[opt] |= 1;
			telnet_answer(reply, TN_DONT, opt);
		}
		break;
	case TN_WONT:
		if (t->remote[opt]) {
			t->remote[opt] = 0;
			telnet_answer(reply, TN_DONT, opt);
		}
		break;
	case TN_DO:
		if (!(t->refused[opt] & 2)) {
			t->refused[opt] |= 2;
			telnet_answer(reply, TN_WONT, opt);
		}
		break;
	default:        /* DONT: our options are all off already */
		break;
	}
}

/* Without the binary option a telnet server sends a bare CR as CR NUL
 * (RFC 854); the NUL is dropped. */
TESTABLE size_t
console_telnet_filter(struct console_telnet *t, char *data, size_t len, struct buf *reply)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)data[i];

		switch (t->state) {
		case TN_CR:
			t->state = TN_DATA;
			if (b == 0)
				break;
			/* FALLTHROUGH */
		case TN_DATA:
			if (b == TN_IAC_B) {
				t->state = TN_IAC;
				break;
			}
			data[o++] = (char)b;
			if (b == '\r' && !t->remote[TN_OPT_BINARY])
				t->state = TN_CR;
			break;
		case TN_IAC:
			if (b == TN_IAC_B) {
				data[o++] = (char)b;
				t->state = TN_DATA;
			} else if (b >= TN_WILL) {
				t->cmd = b;
				t->state = TN_OPT;
			} else if (b == TN_SB_B) {
				t->sb_len = 0;
				t->state = TN_SB;
			} else {
				t->state = TN_DATA;     /* NOP, GA, BRK, AYT...: nothing to do */
			}
			break;
		case TN_OPT:
			telnet_option(t, t->cmd, b, reply);
			t->state = TN_DATA;
			break;
		case TN_SB:
			/* Subnegotiations (RFC 2217's COM-PORT among them) are
			 * skipped; a runaway one ends after TN_SB_MAX bytes so
			 * a broken server cannot swallow the console. */
			if (b == TN_IAC_B)
				t->state = TN_SB_IAC;
			else if (++t->sb_len > TN_SB_MAX)
				t->state = TN_DATA;
			break;
		case TN_SB_IAC:
			t->state = b == TN_SE ? TN_DATA : TN_SB;
			break;
		}
	}
	return o;
}

/* ---- reading ---- */

/* A command's output ended: wait for it to exit (its status makes the
 * message), killing it if it lingers. */
static void command_eof(struct console *c);

static void
console_readable(int fd, uint32_t events, void *arg)
{
	struct console *c = arg;
	char data[16384], *why;
	ssize_t r;
	size_t n;
	int rounds;

	if ((events & EPOLLOUT) && c->be)
		console_flush(c);
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (rounds = 0; rounds < 16; rounds++) {
		r = read(fd, data, sizeof(data));
		if (r > 0) {
			n = (size_t)r;
			if (c->tn) {
				n = console_telnet_filter(c->tn, data, n, &c->out);
				if (c->out.len)
					console_flush(c);
			}
			if (n > 0)
				c->data_cb(c->arg, data, n);
			if (c->cfd != fd)
				return; /* the callback replaced us */
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (c->be == NULL) {
			if (r < 0)
				log_warn("console %s: read", c->name);
			console_drop(c, NULL);
		} else if (c->argv) {
			command_eof(c);
		} else {
			why = r < 0 ? xasprintf("connection lost: %s", strerror(errno)) :
			    xstrdup("the server closed the connection");
			console_drop(c, why);
			free(why);
		}
		return;
	}
}

/* ---- unix: QEMU connects to us ---- */

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
	console_drop(c, NULL);
	c->cfd = nfd;
	c->cwatch = loop_fd_add(nfd, EPOLLIN | EPOLLRDHUP, console_readable, c);
	if (c->state_cb)
		c->state_cb(c->arg, 1);
}

static struct console *
console_new(const char *name, console_data_cb data_cb, console_state_cb state_cb,
    void *arg)
{
	struct console *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup(name);
	c->lfd = c->cfd = c->in_fd = c->err_fd = -1;
	c->data_cb = data_cb;
	c->state_cb = state_cb;
	c->arg = arg;
	c->backoff_s = 1;
	return c;
}

struct console *
console_unix(const char *name, const char *path, console_data_cb data_cb,
    console_state_cb state_cb, void *arg, char **cause)
{
	struct console *c = console_new(name, data_cb, state_cb, arg);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	c->path = xstrdup(path);
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

/* ---- tcp: and telnet: ---- */

/* "HOST:PORT", HOST an IPv4 address, [IPv6] or a name. A name is resolved
 * now, once (console_open runs at start-up), so that the loop never waits
 * for a DNS server; one that does not resolve leaves the console off. */
static int
tcp_parse(struct console *c, const char *rest, char **cause)
{
	const char *colon = strrchr(rest, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST };
	char *host, port[8];
	long long v;
	int rc;

	if (colon == NULL || colon == rest || parse_int(colon + 1, 1, 65535, &v) < 0) {
		*cause = xasprintf("machine %s: console %s: expected HOST:PORT with a port"
		    " from 1 to 65535", c->name, c->spec);
		return -1;
	}
	snprintf(port, sizeof(port), "%lld", v);
	if (rest[0] == '[') {
		host = colon - rest >= 3 && colon[-1] == ']' ?
		    xstrndup(rest + 1, (size_t)(colon - rest - 2)) : NULL;
		hints.ai_family = AF_INET6;
		if (host == NULL || getaddrinfo(host, port, &hints, &c->addrs) != 0) {
			*cause = xasprintf("machine %s: console %s: bad [IPv6] address",
			    c->name, c->spec);
			free(host);
			return -1;
		}
		free(host);
		return 0;
	}
	host = xstrndup(rest, (size_t)(colon - rest));
	rc = getaddrinfo(host, port, &hints, &c->addrs);
	if (rc != 0) {
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(host, port, &hints, &c->addrs);
	}
	if (rc != 0) {
		log_warnx("machine %s: console %s: cannot resolve %s (%s); the console "
		    "stays off until farmd restarts", c->name, c->spec, host,
		    gai_strerror(rc));
		c->addrs = NULL;
	}
	free(host);
	return 0;
}

/* A dead console server (power lost, cable pulled) is noticed in about a
 * minute even when it never says goodbye. */
static void
tcp_keepalive(int fd)
{
	int on = 1, idle = 30, intvl = 10, cnt = 3;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

static void tcp_event(int fd, uint32_t events, void *arg);
static void tcp_timeout(void *arg);

/* Starts connecting to c->ai or the addresses after it. 0 when connected or
 * connecting, -1 with *why when none could even be tried. */
static int
tcp_connect_from(struct console *c, char **why)
{
	int fd, err = 0;

	for (; c->ai; c->ai = c->ai->ai_next) {
		fd = socket(c->ai->ai_family, c->ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    c->ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, c->ai->ai_addr, c->ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			tcp_keepalive(fd);
			c->cfd = fd;
			c->connecting = 1;
			c->cwatch = loop_fd_add(fd, EPOLLOUT, tcp_event, c);
			if (c->cwatch == NULL) {
				close(fd);
				c->cfd = -1;
				c->connecting = 0;
				err = EIO;
				continue;
			}
			c->timer = loop_timer_add(CONSOLE_CONNECT_MS, tcp_timeout, c);
			return 0;
		}
		err = errno;
		close(fd);
	}
	*why = xasprintf("cannot connect: %s", strerror(err ? err : EHOSTUNREACH));
	return -1;
}

static int
tcp_start(struct console *c, char **why)
{
	if (c->addrs == NULL) {
		*why = xstrdup("no address");
		return -1;
	}
	c->ai = c->addrs;
	if (c->tn)
		memset(c->tn, 0, sizeof(*c->tn));
	return tcp_connect_from(c, why);
}

/* The connect attempt on c->cfd failed with err: the next address, or the
 * back-off. */
static void
tcp_failed(struct console *c, int err, const char *what)
{
	char *why = NULL;

	loop_timer_cancel(c->timer);
	c->timer = NULL;
	loop_fd_del(c->cwatch);
	close(c->cfd);
	c->cwatch = NULL;
	c->cfd = -1;
	c->connecting = 0;
	c->ai = c->ai->ai_next;
	if (c->ai && tcp_connect_from(c, &why) == 0)
		return;
	free(why);
	why = what ? xstrdup(what) : xasprintf("cannot connect: %s", strerror(err));
	console_drop(c, why);
	free(why);
}

static void
tcp_timeout(void *arg)
{
	struct console *c = arg;

	c->timer = NULL;
	tcp_failed(c, ETIMEDOUT, "cannot connect: no answer within 10 s");
}

/* Connecting: the socket became writable (connected) or failed. */
static void
tcp_event(int fd, uint32_t events, void *arg)
{
	struct console *c = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (!c->connecting) {
		console_readable(fd, events, arg);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0 && (events & (EPOLLERR | EPOLLHUP)))
		err = ECONNREFUSED;
	if (err != 0) {
		tcp_failed(c, err, NULL);
		return;
	}
	console_up(c);
}

static int
telnet_parse(struct console *c, const char *rest, char **cause)
{
	c->tn = console_telnet_new();
	return tcp_parse(c, rest, cause);
}

/* ---- command: ---- */

static void
command_stderr(int fd, uint32_t events, void *arg)
{
	struct console *c = arg;
	char data[4096];
	ssize_t r, i;

	(void)events;
	while ((r = read(fd, data, sizeof(data))) > 0) {
		for (i = 0; i < r; i++) {
			if (data[i] == '\n' || data[i] == '\r') {
				if (c->errlen > 0) {
					c->errline[c->errlen] = '\0';
					memcpy(c->errlast, c->errline, c->errlen + 1);
					log_debug("machine %s: console command: %s", c->name,
					    c->errlast);
				}
				c->errlen = 0;
			} else if (c->errlen < sizeof(c->errline) - 1) {
				unsigned char ch = (unsigned char)data[i];

				c->errline[c->errlen++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
			}
		}
	}
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		loop_fd_del(c->ewatch);
		close(c->err_fd);
		c->ewatch = NULL;
		c->err_fd = -1;
	}
}

/* The command exited: what is left in its output is read, then the
 * console is down until the next attempt. */
static void
command_exited(pid_t pid, int status, void *arg)
{
	struct console *c = arg;
	char *why;

	(void)pid;
	c->child = NULL;
	c->pid = 0;
	if (c->cfd >= 0)
		console_readable(c->cfd, EPOLLIN, c);
	if (c->err_fd >= 0)
		command_stderr(c->err_fd, EPOLLIN, c);
	if (c->errlen > 0) {
		c->errline[c->errlen] = '\0';
		memcpy(c->errlast, c->errline, c->errlen + 1);
		c->errlen = 0;
	}
	if (WIFSIGNALED(status))
		why = xasprintf("the command was killed by signal %d%s%s", WTERMSIG(status),
		    c->errlast[0] ? ": " : "", c->errlast);
	else
		why = xasprintf("the command exited with status %d%s%s",
		    WEXITSTATUS(status), c->errlast[0] ? ": " : "", c->errlast);
	console_drop(c, why);
	free(why);
}

static void
command_kill_now(void *arg)
{
	struct console *c = arg;

	c->timer = NULL;
	if (c->pid > 0)
		kill(-c->pid, SIGKILL);
}

static void
command_eof(struct console *c)
{
	loop_fd_del(c->cwatch);
	close(c->cfd);
	c->cwatch = NULL;
	c->cfd = -1;
	if (c->pid > 0) {
		kill(-c->pid, SIGTERM);
		loop_timer_cancel(c->timer);
		c->timer = loop_timer_add(CONSOLE_EXIT_GRACE_MS, command_kill_now, c);
	}
}

/* In the child: stdin, stdout and stderr from the pipes, a clean signal
 * state, a process group of its own; then exec. Never returns. */
static void
command_child(char **argv, int in, int out, int err, int errpipe)
{
	sigset_t none;
	int e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	execvp(argv[0], argv);
	e = errno;
	if (write(errpipe, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int
command_parse(struct console *c, const char *rest, char **cause)
{
	char *msg = NULL;

	c->argv = console_argv_split(rest, &msg);
	if (c->argv == NULL) {
		*cause = xasprintf("machine %s: console %s: %s", c->name, c->spec, msg);
		free(msg);
		return -1;
	}
	return 0;
}

/* Runs the command with a pipe on each of its standard streams. Its stdin
 * stays open (some programs, ipmitool's SOL among them, end at the end of
 * their input) and nothing is ever written to it. */
static int
command_start(struct console *c, char **why)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int ep[2] = { -1, -1 }, e = 0;
	ssize_t r;
	pid_t pid;

	if (c->pid > 0) {
		/* The last one still runs: it was told to go; make sure. */
		kill(-c->pid, SIGKILL);
		*why = xstrdup("the last command has not exited yet");
		return -1;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		*why = xasprintf("pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		*why = xasprintf("fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		command_child(c->argv, in[0], out[1], err[1], ep[1]);
	close(ep[1]);
	ep[1] = -1;
	do
		r = read(ep[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	if (r == sizeof(e)) {
		waitpid(pid, NULL, 0);
		*why = xasprintf("cannot run %s: %s", c->argv[0], strerror(e));
		goto fail;
	}
	close(ep[0]);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	c->pid = pid;
	c->in_fd = in[1];
	c->cfd = out[0];
	c->err_fd = err[0];
	c->errlen = 0;
	c->errlast[0] = '\0';
	c->cwatch = loop_fd_add(c->cfd, EPOLLIN, console_readable, c);
	c->ewatch = loop_fd_add(c->err_fd, EPOLLIN, command_stderr, c);
	c->child = loop_child_add(pid, command_exited, c);
	/* A program that runs is the best sign of a console there is. */
	console_up(c);
	return 0;
fail:
	for (e = 0; e < 2; e++) {
		if (in[e] >= 0)
			close(in[e]);
		if (out[e] >= 0)
			close(out[e]);
		if (err[e] >= 0)
			close(err[e]);
		if (ep[e] >= 0)
			close(ep[e]);
	}
	return -1;
}

/* Closes the command's other pipes and asks it to go; command_exited
 * reaps it. */
static void
command_stop(struct console *c)
{
	if (c->in_fd >= 0)
		close(c->in_fd);
	c->in_fd = -1;
	if (c->err_fd >= 0) {
		loop_fd_del(c->ewatch);
		close(c->err_fd);
	}
	c->ewatch = NULL;
	c->err_fd = -1;
	if (c->pid > 0)
		kill(-c->pid, SIGTERM);
}

/* At console_free (farmd's shutdown, where waiting is allowed): the
 * command gets SIGTERM - the chance to end its session, which ipmitool's
 * SOL needs or the BMC refuses the next one - then SIGKILL. */
static void
command_reap(struct console *c)
{
	int i, status;

	if (c->pid <= 0)
		return;
	loop_child_forget(c->child);
	c->child = NULL;
	kill(-c->pid, SIGTERM);
	for (i = 0; i < 40; i++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid)
			break;
		usleep(50000);
	}
	if (i == 40) {
		kill(-c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
	}
	c->pid = 0;
}

/* ---- the table ---- */

static const struct console_backend console_backends[] = {
	{ .prefix = "tcp:", .parse = tcp_parse, .start = tcp_start },
	{ .prefix = "telnet:", .parse = telnet_parse, .start = tcp_start },
	{ .prefix = "command:", .parse = command_parse, .start = command_start,
	  .stop = command_stop },
};

struct console *
console_open(const char *name, const char *spec, console_data_cb data_cb,
    console_state_cb state_cb, void *arg, char **cause)
{
	const struct console_backend *be = NULL;
	struct console *c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(console_backends); i++)
		if (strncmp(spec, console_backends[i].prefix,
		    strlen(console_backends[i].prefix)) == 0)
			be = &console_backends[i];
	if (be == NULL) {
		*cause = xasprintf("machine %s: console %s: not tcp:HOST:PORT, "
		    "telnet:HOST:PORT or command:CMD", name, spec);
		return NULL;
	}
	c = console_new(name, data_cb, state_cb, arg);
	c->spec = xstrdup(spec);
	c->be = be;
	if (be->parse(c, spec + strlen(be->prefix), cause) < 0) {
		console_free(c);
		return NULL;
	}
	/* The first attempt runs on the loop, after the caller has its
	 * console pointer. */
	if (c->argv || c->addrs)
		c->timer = loop_timer_add(0, console_attempt, c);
	return c;
}

void
console_free(struct console *c)
{
	if (c == NULL)
		return;
	c->state_cb = NULL;
	if (c->be == NULL) {
		console_drop(c, NULL);
		loop_fd_del(c->lwatch);
		close(c->lfd);
		unlink(c->path);
	} else {
		loop_timer_cancel(c->timer);
		if (c->cfd >= 0) {
			loop_fd_del(c->cwatch);
			close(c->cfd);
		}
		if (c->be->stop)
			c->be->stop(c);
		command_reap(c);
		if (c->addrs)
			freeaddrinfo(c->addrs);
		console_argv_free(c->argv);
		console_telnet_free(c->tn);
		buf_free(&c->out);
	}
	free(c->name);
	free(c->spec);
	free(c->path);
	free(c);
}

int
console_connected(const struct console *c)
{
	return c->be ? c->up : c->cfd >= 0;
}

/* ---- command lines ---- */

void
console_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

char **
console_argv_split(const char *cmd, char **cause)
{
	struct buf w = {0};
	char **v = NULL;
	size_t n = 0;
	int in_word = 0;
	const char *s = cmd, *open;

	for (;;) {
		if (*s == '\0' || *s == ' ' || *s == '\t') {
			if (in_word) {
				if (n == CONSOLE_MAX_WORDS) {
					*cause = xasprintf("more than %d words",
					    CONSOLE_MAX_WORDS);
					goto fail;
				}
				v = xrealloc(v, (n + 2) * sizeof(*v));
				v[n++] = xstrdup(w.data ? w.data : "");
				v[n] = NULL;
				buf_reset(&w);
				in_word = 0;
			}
			if (*s == '\0')
				break;
			s++;
			continue;
		}
		in_word = 1;
		if (*s == '\'') {
			open = s++;
			while (*s && *s != '\'')
				buf_addc(&w, *s++);
			if (*s == '\0') {
				*cause = xasprintf("unterminated ' at column %d",
				    (int)(open - cmd) + 1);
				goto fail;
			}
			s++;
		} else if (*s == '"') {
			open = s++;
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				buf_addc(&w, *s++);
			}
			if (*s == '\0') {
				*cause = xasprintf("unterminated \" at column %d",
				    (int)(open - cmd) + 1);
				goto fail;
			}
			s++;
		} else if (*s == '\\') {
			if (s[1] == '\0') {
				*cause = xstrdup("a backslash at the end");
				goto fail;
			}
			buf_addc(&w, s[1]);
			s += 2;
		} else if (strchr("|&;<>()$`", *s)) {
			*cause = xasprintf("%c at column %d: no shell runs this command, so "
			    "it would not do what a shell does (quote it to pass it as is)",
			    *s, (int)(s - cmd) + 1);
			goto fail;
		} else {
			buf_addc(&w, *s++);
		}
	}
	buf_free(&w);
	if (n == 0) {
		*cause = xstrdup("empty command");
		free(v);
		return NULL;
	}
	return v;
fail:
	buf_free(&w);
	if (v)
		console_argv_free(v);
	return NULL;
}
