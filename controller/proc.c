/*
 * proc.c - fork and exec without a shell. The child gets a clean signal
 * state, its own process group (a Ctrl-C at farmd's terminal reaches farmd,
 * which then stops its children in order) and PR_SET_PDEATHSIG so nothing
 * outlives a killed farmd for long.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* In the child: sets up fds and signals, then execs; never returns. */
static void
proc_child(const char *const argv[], const char *log_path, int errpipe)
{
	sigset_t all;
	int fd, err;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	fd = open(log_path ? log_path : "/dev/null",
	    O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	execvp(argv[0], (char *const *)argv);
	err = errno;
	if (write(errpipe, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

pid_t
proc_spawn(const char *const argv[], const char *log_path, char **cause)
{
	int pfd[2], err = 0;
	pid_t pid;
	ssize_t r;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		*cause = xasprintf("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0)
		proc_child(argv, log_path, pfd[1]);
	close(pfd[1]);
	/* The pipe closes on a successful exec; it carries errno otherwise. */
	do
		r = read(pfd[0], &err, sizeof(err));
	while (r < 0 && errno == EINTR);
	close(pfd[0]);
	if (r == sizeof(err)) {
		waitpid(pid, NULL, 0);
		*cause = xasprintf("%s: %s", argv[0], strerror(err));
		return -1;
	}
	return pid;
}

int
proc_run(const char *const argv[], const char *log_path)
{
	char *cause = NULL;
	int status;
	pid_t pid = proc_spawn(argv, log_path, &cause);

	if (pid < 0) {
		free(cause);
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

char *
proc_argv_string(const char *const argv[])
{
	struct buf b = {0};
	int i;

	for (i = 0; argv[i]; i++) {
		if (i)
			buf_addc(&b, ' ');
		buf_adds(&b, argv[i]);
	}
	return buf_steal(&b);
}

char *
proc_log_tail(const char *path)
{
	size_t len;
	char *s = read_file(path, &len), *end, *start, *line;

	if (s == NULL)
		return xstrdup("");
	end = s + len;
	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	*end = '\0';
	start = strrchr(s, '\n');
	line = xstrdup(start ? start + 1 : s);
	free(s);
	return line;
}
