/*
 * test_console.c - unit tests of controller/console.c: splitting command
 * lines into argv, the telnet filter (every command, answers given once,
 * state kept across reads cut anywhere), and the network consoles on a
 * real event loop: tcp: against a server in this process that goes away
 * and comes back, telnet: answering a server's option requests, command:
 * with a program that exits and is run again, bad specs refused, and the
 * unix console QEMU machines use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "console.h"
#include "log.h"
#include "loop.h"
#include "util.h"

/* ---- argv splitting ---- */

/* Splits cmd and checks the words against the NULL-terminated want. */
static void
split_is(const char *cmd, const char *const *want)
{
	char *cause = NULL, **v = console_argv_split(cmd, &cause);
	size_t i;

	if (v == NULL)
		fail_msg("split(%s): %s", cmd, cause);
	for (i = 0; want[i]; i++) {
		assert_non_null(v[i]);
		assert_string_equal(v[i], want[i]);
	}
	assert_null(v[i]);
	console_argv_free(v);
}

/* Splitting cmd fails with a cause containing what. */
static void
split_fails(const char *cmd, const char *what)
{
	char *cause = NULL, **v = console_argv_split(cmd, &cause);

	if (v != NULL)
		fail_msg("split(%s) should fail (%s)", cmd, what);
	assert_non_null(cause);
	if (strstr(cause, what) == NULL)
		fail_msg("split(%s): cause \"%s\" does not say \"%s\"", cmd, cause, what);
	free(cause);
}

static void
test_split_words(void **state)
{
	(void)state;
	split_is("ipmitool -I lanplus -H bmc3 -U lab -E chassis power on",
	    (const char *[]){ "ipmitool", "-I", "lanplus", "-H", "bmc3", "-U", "lab",
	    "-E", "chassis", "power", "on", NULL });
	split_is("  a \t b  ", (const char *[]){ "a", "b", NULL });
	split_is("single", (const char *[]){ "single", NULL });
}

static void
test_split_quotes(void **state)
{
	(void)state;
	split_is("pdu 'outlet 3' on", (const char *[]){ "pdu", "outlet 3", "on", NULL });
	split_is("say \"a \\\"b\\\" \\\\ \\n\"",
	    (const char *[]){ "say", "a \"b\" \\ \\n", NULL });
	split_is("'it\\s' x", (const char *[]){ "it\\s", "x", NULL });
	split_is("a\\ b c", (const char *[]){ "a b", "c", NULL });
	split_is("\"a\"'b'c", (const char *[]){ "abc", NULL });
	split_is("x '' \"\"", (const char *[]){ "x", "", "", NULL });
	/* Shell operators are plain text when quoted. */
	split_is("curl 'http://pdu/set?o=3&s=on' \"a|b;c>d\" \\$HOME",
	    (const char *[]){ "curl", "http://pdu/set?o=3&s=on", "a|b;c>d", "$HOME",
	    NULL });
	split_is("sh -c 'echo on; exit 0'",
	    (const char *[]){ "sh", "-c", "echo on; exit 0", NULL });
}

static void
test_split_refused(void **state)
{
	static const char ops[] = "|&;<>()$`";
	char cmd[64];
	size_t i;

	(void)state;
	split_fails("", "empty");
	split_fails("   \t ", "empty");
	split_fails("pdu 'outlet 3", "unterminated '");
	split_fails("pdu \"outlet 3", "unterminated \"");
	split_fails("pdu \"a\\\"", "unterminated \"");
	split_fails("pdu a\\", "backslash");
	for (i = 0; ops[i]; i++) {
		snprintf(cmd, sizeof(cmd), "pdu on %cx", ops[i]);
		split_fails(cmd, "no shell");
	}
	split_fails("pdu on > /dev/null", "column 8");
}

static void
test_split_many_words(void **state)
{
	struct buf b = {0};
	char *cause = NULL, **v;
	int i;

	(void)state;
	for (i = 0; i < 256; i++)
		buf_adds(&b, "w ");
	v = console_argv_split(b.data, &cause);
	assert_non_null(v);
	assert_null(v[256]);
	console_argv_free(v);
	buf_adds(&b, "one-too-many");
	split_fails(b.data, "more than 256");
	buf_free(&b);
}

/* ---- the telnet filter ---- */

#define IAC "\xff"
#define WILL "\xfb"
#define WONT "\xfc"
#define DO "\xfd"
#define DONT "\xfe"
#define SB "\xfa"
#define SE "\xf0"

/* Feeds in (len bytes) through a fresh filter in pieces of at most step
 * bytes; checks the data and the answers that come out. */
static void
telnet_is(const char *in, size_t len, size_t step, const char *want, size_t wlen,
    const char *reply, size_t rlen)
{
	struct console_telnet *t = console_telnet_new();
	struct buf out = {0}, ans = {0};
	char *copy = xmalloc(len + 1);
	size_t i, n;

	memcpy(copy, in, len);
	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		buf_add(&out, copy + i, console_telnet_filter(t, copy + i, n, &ans));
	}
	assert_int_equal(out.len, wlen);
	assert_memory_equal(out.data ? out.data : "", want, wlen);
	assert_int_equal(ans.len, rlen);
	assert_memory_equal(ans.data ? ans.data : "", reply, rlen);
	buf_free(&out);
	buf_free(&ans);
	free(copy);
	console_telnet_free(t);
}

/* The same input must give the same result however reads cut it. */
#define TELNET_IS(in, want, reply) do {                                       \
	size_t step_;                                                         \
	for (step_ = 1; step_ <= sizeof(in); step_++)                         \
		telnet_is(in, sizeof(in) - 1, step_, want, sizeof(want) - 1,  \
		    reply, sizeof(reply) - 1);                                \
} while (0)

static void
test_telnet_data(void **state)
{
	(void)state;
	TELNET_IS("PASS: a\nSUMMARY: 1 tests\n", "PASS: a\nSUMMARY: 1 tests\n", "");
	/* IAC IAC is a data byte 0xff. */
	TELNET_IS("a" IAC IAC "b", "a\xff" "b", "");
	/* Commands without options are dropped: NOP, GA, AYT, BRK, DM. */
	TELNET_IS("a" IAC "\xf1" "b" IAC "\xf9" IAC "\xf6" IAC "\xf3" IAC "\xf2" "c",
	    "abc", "");
	/* CR NUL is CR until the server may send binary. */
	TELNET_IS("x\r\0y\r\n", "x\ry\r\n", "");
	TELNET_IS(IAC WILL "\x00" "x\r\0y", "x\r\0y", IAC DO "\x00");
}

static void
test_telnet_options(void **state)
{
	(void)state;
	/* Everything we are asked to do is refused; binary and SGA from the
	 * server are accepted, every other server option refused. */
	TELNET_IS(IAC DO "\x01" "hi", "hi", IAC WONT "\x01");
	TELNET_IS(IAC DO "\x2c" IAC DO "\x18" "x", "x", IAC WONT "\x2c" IAC WONT "\x18");
	TELNET_IS(IAC WILL "\x03" "x" IAC WILL "\x00", "x", IAC DO "\x03" IAC DO "\x00");
	TELNET_IS(IAC WILL "\x01" "x", "x", IAC DONT "\x01");
	/* Asked again: no answer, so no loop with a stubborn server. */
	TELNET_IS(IAC DO "\x01" IAC DO "\x01" IAC WILL "\x05" IAC WILL "\x05" IAC WILL
	    "\x03" IAC WILL "\x03", "", IAC WONT "\x01" IAC DONT "\x05" IAC DO "\x03");
	/* DONT and WONT for what is off already: nothing to say. */
	TELNET_IS(IAC DONT "\x01" IAC WONT "\x01" "z", "z", "");
	/* WONT for an option that was on: acknowledged. */
	TELNET_IS(IAC WILL "\x03" IAC WONT "\x03", "", IAC DO "\x03" IAC DONT "\x03");
	/* The 0xff option number is an option like any. */
	TELNET_IS(IAC DO IAC "a", "a", IAC WONT IAC);
}

static void
test_telnet_subnegotiation(void **state)
{
	(void)state;
	/* RFC 2217's COM-PORT subnegotiation, with IAC IAC inside. */
	TELNET_IS("a" IAC SB "\x2c\x01" "\x00\x01" IAC IAC "\xc2" IAC SE "b", "ab", "");
	TELNET_IS(IAC SB "\x18\x01" IAC SE IAC SB IAC SE "ok", "ok", "");
}

static void
test_telnet_runaway_sb(void **state)
{
	struct console_telnet *t = console_telnet_new();
	struct buf ans = {0};
	char *big = xmalloc(6000);
	size_t n;

	(void)state;
	memset(big, 'x', 6000);
	big[0] = '\xff';
	big[1] = '\xfa';
	n = console_telnet_filter(t, big, 6000, &ans);
	/* The subnegotiation is cut at 4096 bytes; the rest is data again. */
	assert_true(n > 1800 && n < 1910);
	assert_int_equal(ans.len, 0);
	free(big);
	buf_free(&ans);
	console_telnet_free(t);
}

/* ---- network consoles on a real loop ---- */

struct seen {
	struct buf data;
	int ups, downs;
};

static void
on_data(void *arg, const char *data, size_t len)
{
	struct seen *s = arg;

	buf_add(&s->data, data, len);
}

static void
on_state(void *arg, int connected)
{
	struct seen *s = arg;

	if (connected)
		s->ups++;
	else
		s->downs++;
}

/* Runs the loop, calling step every 20 ms until it returns 1 or ms pass;
 * returns 1 when step did. */
static int (*step_fn)(void *);
static void *step_arg;
static int64_t step_end;
static int step_done;

static void
step_tick(void *arg)
{
	(void)arg;
	if (step_fn(step_arg)) {
		step_done = 1;
		loop_stop();
	} else if (now_ms() > step_end) {
		loop_stop();
	} else {
		loop_timer_add(20, step_tick, NULL);
	}
}

static int
run_until(int (*fn)(void *), void *arg, int64_t ms)
{
	step_fn = fn;
	step_arg = arg;
	step_end = now_ms() + ms;
	step_done = 0;
	loop_timer_add(0, step_tick, NULL);
	assert_int_equal(loop_run(), 0);
	return step_done;
}

/* A TCP server on 127.0.0.1, driven from the steps (non-blocking). */
struct server {
	int lfd;
	int cfd;
	int port;
	struct seen *seen;
	struct buf got;         /* what the console sent us */
};

static int
server_listen(struct server *sv, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons((uint16_t)port) };
	socklen_t len = sizeof(sin);
	int one = 1;

	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(sv->lfd >= 0);
	setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(sv->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(sv->lfd);
		sv->lfd = -1;
		return -1;
	}
	assert_int_equal(listen(sv->lfd, 4), 0);
	assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&sin, &len), 0);
	sv->port = ntohs(sin.sin_port);
	sv->cfd = -1;
	return 0;
}

static int
server_accept(struct server *sv)
{
	if (sv->cfd < 0)
		sv->cfd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	return sv->cfd >= 0;
}

static void
server_read(struct server *sv)
{
	char b[256];
	ssize_t r;

	while (sv->cfd >= 0 && (r = read(sv->cfd, b, sizeof(b))) > 0)
		buf_add(&sv->got, b, (size_t)r);
}

static void
server_close(struct server *sv)
{
	if (sv->cfd >= 0)
		close(sv->cfd);
	if (sv->lfd >= 0)
		close(sv->lfd);
	sv->cfd = sv->lfd = -1;
	buf_free(&sv->got);
}

static int
loop_setup(void **state)
{
	(void)state;
	log_init("test_console", -2);   /* errors only: outages are expected */
	return loop_init();
}

static int
loop_teardown(void **state)
{
	(void)state;
	loop_free();
	return 0;
}

struct tcp_case {
	struct server sv;
	struct seen seen;
	struct console *c;
	int phase;
	int64_t t;
};

/* Accept, send a line, see it arrive; then drop the connection. */
static int
tcp_step(void *arg)
{
	struct tcp_case *tc = arg;

	switch (tc->phase) {
	case 0:
		if (!server_accept(&tc->sv))
			return 0;
		assert_int_equal(write(tc->sv.cfd, "PASS: one\n", 10), 10);
		tc->phase = 1;
		return 0;
	case 1:
		if (tc->seen.data.len < 10 || tc->seen.ups != 1)
			return 0;
		assert_memory_equal(tc->seen.data.data, "PASS: one\n", 10);
		assert_true(console_connected(tc->c));
		/* The server restarts: the connection and the port go. */
		server_close(&tc->sv);
		tc->phase = 2;
		return 0;
	case 2:
		if (tc->seen.downs != 1)
			return 0;
		assert_false(console_connected(tc->c));
		tc->t = now_ms();
		tc->phase = 3;
		return 0;
	case 3:
		/* The server is back 0.3 s later: the console's first
		 * retry, 1 s after the drop, finds it. */
		if (now_ms() - tc->t < 300)
			return 0;
		if (tc->sv.lfd < 0 && server_listen(&tc->sv, tc->sv.port) < 0)
			return 0;
		if (!server_accept(&tc->sv))
			return 0;
		assert_int_equal(write(tc->sv.cfd, "PASS: two\n", 10), 10);
		tc->phase = 4;
		return 0;
	default:
		return tc->seen.data.len == 20 && tc->seen.ups == 2;
	}
}

static void
test_tcp_reconnects(void **state)
{
	struct tcp_case tc = { .phase = 0 };
	char spec[64], *cause = NULL;
	int64_t t0;

	(void)state;
	assert_int_equal(server_listen(&tc.sv, 0), 0);
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", tc.sv.port);
	tc.c = console_open("rack1", spec, on_data, on_state, &tc.seen, &cause);
	assert_non_null(tc.c);
	/* Nothing happens before the loop runs: the caller has its pointer. */
	assert_int_equal(tc.seen.ups, 0);
	t0 = now_ms();
	assert_true(run_until(tcp_step, &tc, 8000));
	assert_memory_equal(tc.seen.data.data, "PASS: one\nPASS: two\n", 20);
	assert_true(now_ms() - t0 < 6000);
	console_free(tc.c);
	server_close(&tc.sv);
	buf_free(&tc.seen.data);
}

/* A console opened while nobody listens connects once the server is up. */
static int
late_step(void *arg)
{
	struct tcp_case *tc = arg;

	if (tc->phase == 0 && now_ms() - tc->t > 200) {
		assert_int_equal(server_listen(&tc->sv, tc->sv.port), 0);
		tc->phase = 1;
	}
	if (tc->phase == 1 && server_accept(&tc->sv)) {
		assert_int_equal(write(tc->sv.cfd, "late\n", 5), 5);
		tc->phase = 2;
	}
	return tc->seen.data.len == 5 && tc->seen.ups == 1 && tc->seen.downs == 0;
}

static void
test_tcp_server_late(void **state)
{
	struct tcp_case tc = { .phase = 0 };
	char spec[64], *cause = NULL;

	(void)state;
	assert_int_equal(server_listen(&tc.sv, 0), 0);
	server_close(&tc.sv);           /* a port nobody listens on, for now */
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", tc.sv.port);
	tc.c = console_open("rack1", spec, on_data, on_state, &tc.seen, &cause);
	assert_non_null(tc.c);
	tc.t = now_ms();
	assert_true(run_until(late_step, &tc, 5000));
	assert_true(console_connected(tc.c));
	console_free(tc.c);
	server_close(&tc.sv);
	buf_free(&tc.seen.data);
}

/* A telnet server asks for options around its data. */
static int
telnet_step(void *arg)
{
	struct tcp_case *tc = arg;
	static const char hello[] = IAC DO "\x01" IAC WILL "\x03" IAC WILL "\x01" IAC DO "\x2c"
	    "PASS: t" IAC IAC "\r\n";

	if (tc->phase == 0) {
		if (!server_accept(&tc->sv))
			return 0;
		assert_int_equal(write(tc->sv.cfd, hello, sizeof(hello) - 1),
		    (ssize_t)sizeof(hello) - 1);
		tc->phase = 1;
	}
	server_read(&tc->sv);
	return tc->seen.data.len == 10 && tc->sv.got.len == 12;
}

static void
test_telnet_console(void **state)
{
	struct tcp_case tc = { .phase = 0 };
	char spec[64], *cause = NULL;

	(void)state;
	assert_int_equal(server_listen(&tc.sv, 0), 0);
	snprintf(spec, sizeof(spec), "telnet:127.0.0.1:%d", tc.sv.port);
	tc.c = console_open("rack2", spec, on_data, on_state, &tc.seen, &cause);
	assert_non_null(tc.c);
	assert_true(run_until(telnet_step, &tc, 5000));
	assert_memory_equal(tc.seen.data.data, "PASS: t\xff\r\n", 10);
	assert_memory_equal(tc.sv.got.data, IAC WONT "\x01" IAC DO "\x03" IAC DONT "\x01"
	    IAC WONT "\x2c", 12);
	console_free(tc.c);
	server_close(&tc.sv);
	buf_free(&tc.seen.data);
}

static int
command_step(void *arg)
{
	struct seen *s = arg;

	return s->ups >= 2 && s->downs >= 1 && s->data.len >= 10;
}

/* A console program that ends is run again after the back-off; its
 * output, not its stderr, is the console. */
static void
test_command_console(void **state)
{
	struct seen seen = {0};
	char *cause = NULL;
	struct console *c;

	(void)state;
	c = console_open("bmc1", "command:sh -c 'printf \"sol: ok\\n\"; echo noise >&2'",
	    on_data, on_state, &seen, &cause);
	assert_non_null(c);
	assert_true(run_until(command_step, &seen, 5000));
	assert_memory_equal(seen.data.data, "sol: ok\nsol: ok\n", 16);
	console_free(c);
	buf_free(&seen.data);
}

static int
long_command_step(void *arg)
{
	struct seen *s = arg;

	return s->ups == 1 && s->data.len == 3;
}

/* A program that keeps running is stopped by console_free, with its
 * stdin still open until then (it would end at EOF). */
static void
test_command_stdin_open(void **state)
{
	struct seen seen = {0};
	char *cause = NULL;
	struct console *c;
	int64_t t0;

	(void)state;
	c = console_open("bmc2", "command:sh -c 'echo up; cat; echo eof'", on_data,
	    on_state, &seen, &cause);
	assert_non_null(c);
	assert_true(run_until(long_command_step, &seen, 3000));
	assert_false(run_until(command_step, &seen, 500));
	assert_int_equal(seen.downs, 0);
	assert_memory_equal(seen.data.data, "up\n", 3);
	t0 = now_ms();
	console_free(c);
	assert_true(now_ms() - t0 < 1500);
	buf_free(&seen.data);
}

static void
test_command_missing(void **state)
{
	struct seen seen = {0};
	char *cause = NULL;
	struct console *c;

	(void)state;
	c = console_open("bmc3", "command:/nonexistent/ipmitool sol activate", on_data,
	    on_state, &seen, &cause);
	assert_non_null(c);     /* a program that is not there yet is an outage */
	run_until(command_step, &seen, 300);
	assert_int_equal(seen.ups, 0);
	assert_false(console_connected(c));
	console_free(c);
}

static void
test_bad_specs(void **state)
{
	static const struct {
		const char *spec, *want;
	} bad[] = {
		{ "serial:/dev/ttyS0", "not tcp:HOST:PORT" },
		{ "tcp:serial-server", "HOST:PORT" },
		{ "tcp:127.0.0.1:0", "1 to 65535" },
		{ "tcp:127.0.0.1:65536", "1 to 65535" },
		{ "tcp::7001", "HOST:PORT" },
		{ "telnet:[::1:7001", "IPv6" },
		{ "telnet:[zz]:7001", "IPv6" },
		{ "command:", "empty" },
		{ "command:ipmitool sol activate | tee log", "no shell" },
		{ "command:ipmitool 'sol", "unterminated" },
	};
	struct seen seen = {0};
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cause = NULL;
		if (console_open("m1", bad[i].spec, on_data, on_state, &seen, &cause))
			fail_msg("console_open(%s) should fail", bad[i].spec);
		assert_non_null(cause);
		if (strstr(cause, bad[i].want) == NULL || strstr(cause, "m1") == NULL)
			fail_msg("%s: \"%s\" does not name m1 and \"%s\"", bad[i].spec, cause,
			    bad[i].want);
		free(cause);
	}
}

/* IPv6 literals and names that resolve are accepted. */
static void
test_good_specs(void **state)
{
	static const char *const good[] = { "tcp:[::1]:7001", "telnet:localhost:7002",
		"tcp:127.0.0.1:7003" };
	struct seen seen = {0};
	char *cause = NULL;
	struct console *c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		c = console_open("m1", good[i], on_data, on_state, &seen, &cause);
		if (c == NULL)
			fail_msg("%s: %s", good[i], cause);
		console_free(c);
	}
}

static int
unix_step(void *arg)
{
	struct seen *s = arg;

	return s->ups == 1 && s->data.len == 6;
}

/* QEMU's console: farmd listens, QEMU connects. */
static void
test_unix_console(void **state)
{
	struct seen seen = {0};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_console.XXXXXX", *cause = NULL;
	struct console *c;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/console.sock", dir);
	c = console_unix("vm-x86", sun.sun_path, on_data, on_state, &seen, &cause);
	assert_non_null(c);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(write(fd, "EXIT:\n", 6), 6);
	assert_true(run_until(unix_step, &seen, 3000));
	assert_true(console_connected(c));
	close(fd);
	console_free(c);
	assert_int_equal(access(sun.sun_path, F_OK), -1);
	rmdir(dir);
	buf_free(&seen.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_refused),
		cmocka_unit_test(test_split_many_words),
		cmocka_unit_test(test_telnet_data),
		cmocka_unit_test(test_telnet_options),
		cmocka_unit_test(test_telnet_subnegotiation),
		cmocka_unit_test(test_telnet_runaway_sb),
		cmocka_unit_test_setup_teardown(test_tcp_reconnects, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_server_late, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_telnet_console, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_command_console, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_command_stdin_open, loop_setup,
		    loop_teardown),
		cmocka_unit_test_setup_teardown(test_command_missing, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_bad_specs, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_good_specs, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_unix_console, loop_setup, loop_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
