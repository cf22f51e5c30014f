/*
 * console.h - reading a machine's serial console all the time. Backends:
 * "unix" (farmd listens on a unix socket that QEMU's chardev connects to);
 * network consoles (tcp:, telnet:, command:) join the table in console.c.
 * Bytes go to the callback as they arrive; nothing here blocks.
 */
#ifndef FARM_CONSOLE_H
#define FARM_CONSOLE_H

#include <stddef.h>

struct console;

typedef void (*console_data_cb)(void *arg, const char *data, size_t len);
/* connected is 1 when a peer connected, 0 when it went away. */
typedef void (*console_state_cb)(void *arg, int connected);

/* Listens on a unix socket at path (replacing a stale one). NULL with
 * *cause. */
struct console *console_unix(const char *name, const char *path, console_data_cb,
    console_state_cb, void *arg, char **cause);
/* Opens a console from a farm.conf spec: "tcp:HOST:PORT" (raw, as ser2net),
 * "telnet:HOST:PORT" (RFC 854/2217 servers), "command:PROG ARGS..." (e.g.
 * ipmitool ... sol activate; run without a shell). Connects in the
 * background and reconnects with back-off; NULL with *cause only for a bad
 * spec.
 *
 * HOST is an IPv4 address, a bracketed IPv6 address or a name. A name is
 * resolved here, once (console_open runs at start-up, where blocking is
 * allowed); the event loop never resolves. A name that does not resolve
 * is a warning and leaves the console off until farmd restarts. */
struct console *console_open(const char *name, const char *spec, console_data_cb,
    console_state_cb, void *arg, char **cause);
void console_free(struct console *);
int console_connected(const struct console *);

/* Splits a farm.conf command line (power_on, console = command:...) into
 * an argument vector without a shell: words are separated by blanks; '...'
 * keeps its text as is; "..." too, except \" and \\; a backslash outside
 * quotes keeps the next character. Unquoted | & ; < > ( ) $ ` are refused,
 * since nothing would give them their shell meaning. Returns a
 * NULL-terminated vector (free it with console_argv_free), or NULL with
 * *cause (caller frees) naming the problem. */
char **console_argv_split(const char *cmd, char **cause);
void console_argv_free(char **argv);

#ifdef UNIT_TEST
/* The telnet: backend's filter, for the unit tests: strips telnet commands
 * from data in place and returns the data's new length; answers to option
 * requests are appended to reply. State carries over between calls. */
struct buf;
struct console_telnet;
struct console_telnet *console_telnet_new(void);
void console_telnet_free(struct console_telnet *);
size_t console_telnet_filter(struct console_telnet *, char *data, size_t len,
    struct buf *reply);
#endif

#endif
