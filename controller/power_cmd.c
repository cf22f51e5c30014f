/*
 * power_cmd.c - the "command" power backend, for kind = physical machines:
 * farm.conf's power_on, power_off and power_cycle commands (ipmitool, a
 * PDU's script). A command is split into words by console_argv_split and
 * run without a shell (job data never reaches it), on the event loop like
 * any child: never waited for, killed with its process group when it
 * outlives its deadline (60 s), its exit status checked. Its output is
 * appended to <state>/machines/<name>/power.log between a line naming the
 * command and a line with its status and time.
 *
 * What farmd knows of a physical machine is only what its commands did:
 * it is "on" from a power on until a power off succeeds. After farmd starts,
 * after a power on or off that failed, and when there is no power_off
 * command, the machine may be on; its next boot then uses power_cycle when
 * there is one, so it is reset into a network boot rather than left as it
 * was; a power_cycle that fails (many BMCs refuse to cycle a machine that
 * is off) is followed by power_on. A failing or timed-out power on is
 * POWER_FAILED naming the command and its last line of output; "off"
 * reports POWER_STOPPED (by us) when power_off succeeded, or when there is
 * none, and POWER_FAILED when it failed. An off asked while the power on
 * still runs waits for it. Nothing is reported from inside on() or off().
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "console.h"
#include "log.h"
#include "loop.h"
#include "power_int.h"
#include "proc.h"
#include "util.h"

#define CMD_LOG_MAX (1 << 20)           /* power.log is rotated past this */
#define CMD_TAIL_MAX 160                /* of a last line in a message */
#define CMD_SHUTDOWN_MS 10000           /* power_off's deadline at shutdown */

enum cmd_op { OP_NONE, OP_ON, OP_CYCLE, OP_OFF };

static const char *const cmd_keys[] = {
	[OP_NONE] = "",
	[OP_ON] = "power_on",
	[OP_CYCLE] = "power_cycle",
	[OP_OFF] = "power_off",
};

struct cmd_state {
	int on;                 /* between a power on and a successful off */
	int may_be_on;          /* unknown or on: power_cycle starts it */
	enum cmd_op op;         /* the command that runs, or OP_NONE */
	int off_pending;        /* off was asked while on ran */
	pid_t pid;
	struct loop_child *child;
	struct loop_timer *timer;       /* the deadline, or a report to make */
	int timed_out;
	int64_t started;
	off_t out_start;        /* where the command's output starts in power.log */
	char *cmdline;          /* as in farm.conf, for messages */
	char *cycle_msg;        /* why power_cycle failed, while power_on runs */
	/* a report made from a timer, so that it never runs inside off() */
	enum power_event ev;
	int ev_status;
	int ev_by_us;
	char *ev_msg;
};

static struct cmd_state *
cmd_state(struct power *p)
{
	if (p->priv == NULL) {
		struct cmd_state *s = xcalloc(1, sizeof(*s));

		s->may_be_on = 1;
		p->priv = s;
	}
	return p->priv;
}

static const char *
cmd_text(const struct power *p, enum cmd_op op)
{
	switch (op) {
	case OP_ON:
		return p->m->power_on;
	case OP_CYCLE:
		return p->m->power_cycle;
	case OP_OFF:
		return p->m->power_off;
	default:
		return NULL;
	}
}

/* Appends one line of ours to power.log, with the wall time. */
static void
cmd_log_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cmd_log_line(int fd, const char *fmt, ...)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	struct stat st;
	va_list ap;
	char *line, last;

	if (fd < 0)
		return;
	/* Output without a last newline does not swallow our line. */
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
		dprintf(fd, "\n");
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime_r(&t, &tm));
	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	dprintf(fd, "== %s %s\n", when, line);
	free(line);
}

static int
cmd_log_open(const struct power *p, int rotate)
{
	char *path = xasprintf("%s/power.log", p->dir), *old;
	struct stat st;
	int fd;

	if (rotate && stat(path, &st) == 0 && st.st_size > CMD_LOG_MAX) {
		old = xasprintf("%s.1", path);
		rename(path, old);
		free(old);
	}
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		log_warn("machine %s: %s", p->m->name, path);
	free(path);
	return fd;
}

/* The last line the command wrote (caller frees; "" when none): control
 * characters become '?', long lines are cut. */
static char *
cmd_last_line(const struct power *p, off_t from)
{
	char *path = xasprintf("%s/power.log", p->dir), buf[4096], *end, *start;
	struct stat st;
	off_t at;
	ssize_t r = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t i, n;

	free(path);
	if (fd < 0)
		return xstrdup("");
	if (fstat(fd, &st) == 0 && st.st_size > from) {
		at = st.st_size - from > (off_t)sizeof(buf) - 1 ?
		    st.st_size - (off_t)sizeof(buf) + 1 : from;
		r = pread(fd, buf, sizeof(buf) - 1, at);
	}
	close(fd);
	if (r <= 0)
		return xstrdup("");
	end = buf + r;
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	*end = '\0';
	start = end;
	while (start > buf && start[-1] != '\n')
		start--;
	n = (size_t)(end - start);
	if (n > CMD_TAIL_MAX)
		n = CMD_TAIL_MAX;
	for (i = 0; i < n; i++)
		if ((unsigned char)start[i] < 0x20 || start[i] == 0x7f)
			start[i] = '?';
	return xstrndup(start, n);
}

static void cmd_exited(pid_t pid, int status, void *arg);
static void cmd_deadline(void *arg);

/* Starts the command for op. 0, or -1 with *cause (caller frees). */
static int
cmd_start(struct power *p, enum cmd_op op, int64_t timeout_ms, char **cause)
{
	struct cmd_state *s = cmd_state(p);
	const char *text = cmd_text(p, op);
	char **argv, *msg = NULL, *log = NULL;
	struct stat st;
	pid_t pid;
	int fd;

	argv = console_argv_split(text, &msg);
	if (argv == NULL) {
		*cause = xasprintf("%s command `%s`: %s", cmd_keys[op], text, msg);
		free(msg);
		return -1;
	}
	/* A relative program path follows farm.conf, as every path there. */
	if (strchr(argv[0], '/') && argv[0][0] != '/' && p->conf->dir) {
		char *abs = xasprintf("%s/%s", p->conf->dir, argv[0]);

		free(argv[0]);
		argv[0] = abs;
	}
	fd = cmd_log_open(p, 1);
	cmd_log_line(fd, "%s: %s", cmd_keys[op], text);
	s->out_start = fd >= 0 && fstat(fd, &st) == 0 ? st.st_size : 0;
	if (fd >= 0) {
		close(fd);
		log = xasprintf("%s/power.log", p->dir);
	}
	pid = proc_spawn((const char *const *)argv, log, &msg);
	if (pid < 0) {
		*cause = xasprintf("%s command `%s`: %s", cmd_keys[op], text, msg);
		fd = cmd_log_open(p, 0);
		cmd_log_line(fd, "%s: cannot run: %s", cmd_keys[op], msg);
		if (fd >= 0)
			close(fd);
		free(msg);
		free(log);
		console_argv_free(argv);
		return -1;
	}
	free(log);
	console_argv_free(argv);
	free(s->cmdline);
	s->cmdline = xstrdup(text);
	s->op = op;
	s->pid = pid;
	s->timed_out = 0;
	s->started = now_ms();
	s->child = loop_child_add(pid, cmd_exited, p);
	if (s->child == NULL) {
		/* Unwatched, it would never be reaped nor reported. */
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		s->op = OP_NONE;
		s->pid = 0;
		*cause = xasprintf("%s command `%s`: cannot watch it", cmd_keys[op], text);
		return -1;
	}
	s->timer = loop_timer_add(timeout_ms, cmd_deadline, p);
	log_info("machine %s: %s: %s (pid %d)", p->m->name, cmd_keys[op], text, (int)pid);
	return 0;
}

/* The command outlived its deadline: its whole process group goes. */
static void
cmd_deadline(void *arg)
{
	struct power *p = arg;
	struct cmd_state *s = p->priv;

	s->timer = NULL;
	s->timed_out = 1;
	if (s->pid > 0)
		kill(-s->pid, SIGKILL);
}

/* A report from a timer: the scheduler hears of it on the next loop turn. */
static void
cmd_report_now(void *arg)
{
	struct power *p = arg;
	struct cmd_state *s = p->priv;
	char *msg = s->ev_msg;

	s->timer = NULL;
	s->ev_msg = NULL;
	p->cb(p->arg, s->ev, s->ev_status, s->ev_by_us, msg);
	free(msg);
}

static void
cmd_report_later(struct power *p, enum power_event ev, int status, char *msg)
{
	struct cmd_state *s = p->priv;

	loop_timer_cancel(s->timer);
	free(s->ev_msg);
	s->ev = ev;
	s->ev_status = status;
	s->ev_by_us = 1;
	s->ev_msg = msg;
	s->timer = loop_timer_add(0, cmd_report_now, p);
}

/* Runs power_off, or reports that the machine is left as it is. */
static void
cmd_off_start(struct power *p)
{
	struct cmd_state *s = p->priv;
	char *cause = NULL, *msg;

	if (p->m->power_off == NULL) {
		log_info("machine %s: no power_off command: the machine is left on",
		    p->m->name);
		s->on = 0;
		s->may_be_on = 1;
		cmd_report_later(p, POWER_STOPPED, 0, NULL);
		return;
	}
	if (cmd_start(p, OP_OFF, p->cmd_timeout_ms, &cause) < 0) {
		log_warnx("machine %s: %s", p->m->name, cause);
		s->on = 0;
		s->may_be_on = 1;
		msg = xasprintf("power off failed: %s", cause);
		free(cause);
		cmd_report_later(p, POWER_FAILED, -1, msg);
	}
}

/* power_cycle failed (s->cycle_msg says how): power_on instead. */
static void
cmd_fallback_on(struct power *p)
{
	struct cmd_state *s = p->priv;
	char *cause = NULL, *msg;

	log_info("machine %s: power_cycle failed; trying power_on", p->m->name);
	if (cmd_start(p, OP_ON, p->cmd_timeout_ms, &cause) == 0)
		return;
	s->on = 0;
	msg = xasprintf("%s (after %s)", cause, s->cycle_msg);
	free(cause);
	free(s->cycle_msg);
	s->cycle_msg = NULL;
	cmd_report_later(p, POWER_FAILED, -1, msg);
	s->ev_by_us = 0;
}

static void
cmd_exited(pid_t pid, int status, void *arg)
{
	struct power *p = arg;
	struct cmd_state *s = p->priv;
	enum cmd_op op = s->op;
	int64_t ms = now_ms() - s->started;
	int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !s->timed_out;
	char *tail, *what, *msg;
	int fd;

	(void)pid;
	loop_timer_cancel(s->timer);
	s->timer = NULL;
	s->child = NULL;
	s->pid = 0;
	s->op = OP_NONE;
	tail = cmd_last_line(p, s->out_start);
	if (s->timed_out)
		what = xasprintf("did not finish within %g s (killed)",
		    p->cmd_timeout_ms / 1000.0);
	else if (WIFSIGNALED(status))
		what = xasprintf("was killed by signal %d", WTERMSIG(status));
	else
		what = xasprintf("exited with status %d", WEXITSTATUS(status));
	fd = cmd_log_open(p, 0);
	cmd_log_line(fd, "%s: %s after %lld ms", cmd_keys[op], what, (long long)ms);
	if (fd >= 0)
		close(fd);
	if (ok) {
		log_info("machine %s: %s done in %lld ms", p->m->name, cmd_keys[op],
		    (long long)ms);
		msg = NULL;
	} else {
		msg = xasprintf("%s command `%s` %s%s%s", cmd_keys[op], s->cmdline, what,
		    *tail ? ": " : "", tail);
		log_warnx("machine %s: %s", p->m->name, msg);
	}
	free(tail);
	free(what);

	if (op == OP_OFF) {
		s->on = 0;
		s->may_be_on = !ok;
		if (ok) {
			p->cb(p->arg, POWER_STOPPED, 0, 1, NULL);
		} else {
			what = xasprintf("power off failed: %s", msg);
			p->cb(p->arg, POWER_FAILED, status, 1, what);
			free(what);
		}
	} else {
		s->may_be_on = 1;
		if (s->off_pending) {
			/* The job is over already: the machine goes off, and
			 * that is what the scheduler hears of. */
			s->off_pending = 0;
			free(s->cycle_msg);
			s->cycle_msg = NULL;
			cmd_off_start(p);
		} else if (!ok && op == OP_CYCLE && WIFEXITED(status) && !s->timed_out) {
			/* Many BMCs refuse to cycle a machine that is off
			 * ("not supported in present state"): power it on. */
			free(s->cycle_msg);
			s->cycle_msg = msg;
			msg = NULL;
			cmd_fallback_on(p);
		} else if (!ok) {
			s->on = 0;
			if (s->cycle_msg) {
				what = xasprintf("%s (after %s)", msg, s->cycle_msg);
				free(msg);
				msg = what;
			}
			p->cb(p->arg, POWER_FAILED, status, 0, msg);
		}
		if (ok || op == OP_ON) {
			free(s->cycle_msg);
			s->cycle_msg = NULL;
		}
	}
	free(msg);
}

static int
cmd_on(struct power *p, const struct power_opts *opts, char **cause)
{
	struct cmd_state *s = cmd_state(p);
	enum cmd_op op = p->m->power_cycle && s->may_be_on ? OP_CYCLE : OP_ON;

	(void)opts;     /* CPUs and memory are the machine's own */
	if (s->op != OP_NONE || s->timer) {
		*cause = xasprintf("machine %s: its %s command still runs", p->m->name,
		    cmd_keys[s->op != OP_NONE ? s->op : OP_OFF]);
		return -1;
	}
	if (cmd_start(p, op, p->cmd_timeout_ms, cause) < 0) {
		s->may_be_on = 1;
		return -1;
	}
	s->on = 1;
	s->off_pending = 0;
	return 0;
}

static void
cmd_off(struct power *p)
{
	struct cmd_state *s = cmd_state(p);

	if (s->op == OP_ON || s->op == OP_CYCLE)
		s->off_pending = 1;
	else if (s->op == OP_NONE && s->timer == NULL)
		cmd_off_start(p);
}

static int
cmd_is_on(const struct power *p)
{
	const struct cmd_state *s = p->priv;

	return s && s->on;
}

/* Kills a command that still runs and reaps it (blocks: shutdown only). */
static void
cmd_kill_wait(struct cmd_state *s)
{
	int i, status;

	if (s->pid <= 0)
		return;
	loop_child_forget(s->child);
	s->child = NULL;
	kill(-s->pid, SIGTERM);
	for (i = 0; i < 20 && waitpid(s->pid, &status, WNOHANG) != s->pid; i++)
		usleep(50000);
	if (i == 20) {
		kill(-s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
	}
	s->pid = 0;
	s->op = OP_NONE;
}

/* farmd stops: a running command is ended, and a machine that is on
 * because of us is powered off, waiting at most CMD_SHUTDOWN_MS. */
static void
cmd_shutdown(struct power *p)
{
	struct cmd_state *s = p->priv;
	char *cause = NULL;
	int i, status;

	if (s == NULL)
		return;
	loop_timer_cancel(s->timer);
	s->timer = NULL;
	cmd_kill_wait(s);
	if (!s->on || p->m->power_off == NULL)
		return;
	if (cmd_start(p, OP_OFF, CMD_SHUTDOWN_MS, &cause) < 0) {
		log_warnx("machine %s: %s", p->m->name, cause);
		free(cause);
		return;
	}
	loop_child_forget(s->child);
	s->child = NULL;
	loop_timer_cancel(s->timer);
	s->timer = NULL;
	for (i = 0; i < CMD_SHUTDOWN_MS / 50; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			s->op = OP_NONE;
			s->on = 0;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				log_warnx("machine %s: power_off at shutdown failed (status %d)",
				    p->m->name, status);
			return;
		}
		usleep(50000);
	}
	log_warnx("machine %s: power_off did not finish within %d s at shutdown",
	    p->m->name, CMD_SHUTDOWN_MS / 1000);
	cmd_kill_wait(s);
}

static void
cmd_release(struct power *p)
{
	struct cmd_state *s = p->priv;

	if (s == NULL)
		return;
	loop_child_forget(s->child);
	loop_timer_cancel(s->timer);
	if (s->pid > 0)
		kill(-s->pid, SIGTERM);
	free(s->cmdline);
	free(s->cycle_msg);
	free(s->ev_msg);
}

const struct power_backend power_cmd_backend = {
	.name = "command",
	.on = cmd_on,
	.off = cmd_off,
	.is_on = cmd_is_on,
	.shutdown = cmd_shutdown,
	.release = cmd_release,
};
