/*
 * loop.h - farmd's one event loop: file descriptors (epoll), timers, child
 * processes (pidfds) and signals (signalfd). Every callback runs on the loop;
 * none may block.
 */
#ifndef FARM_LOOP_H
#define FARM_LOOP_H

#include <stdint.h>
#include <sys/types.h>

struct loop_fd;
struct loop_timer;
struct loop_child;

typedef void (*loop_fd_cb)(int fd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(void *arg);
/* status is as from waitpid(). */
typedef void (*loop_child_cb)(pid_t pid, int status, void *arg);
typedef void (*loop_signal_cb)(int signo, void *arg);
/* Called before each wait; returns the longest the loop may sleep in ms
 * (-1: no limit). Used by the HTTP server for its own timeouts. */
typedef int64_t (*loop_prepare_cb)(void *arg);

int loop_init(void);
void loop_free(void);

/* Runs until loop_stop(); 0 or -1 on an epoll failure. */
int loop_run(void);
void loop_stop(void);

struct loop_fd *loop_fd_add(int fd, uint32_t events, loop_fd_cb, void *arg);
int loop_fd_mod(struct loop_fd *, uint32_t events);
/* Stops watching (the fd is not closed). Safe inside the fd's own callback. */
void loop_fd_del(struct loop_fd *);

/* Calls cb once after ms milliseconds. */
struct loop_timer *loop_timer_add(int64_t ms, loop_timer_cb, void *arg);
/* Safe for a timer that already fired is NOT allowed: callers clear their
 * pointer in the callback. Cancelling NULL does nothing. */
void loop_timer_cancel(struct loop_timer *);

/* Watches a child started by us; cb runs once it exits and is reaped. */
struct loop_child *loop_child_add(pid_t pid, loop_child_cb, void *arg);
/* Forgets the child without reaping it (the caller takes over). */
void loop_child_forget(struct loop_child *);

int loop_signal(int signo, loop_signal_cb, void *arg);
void loop_prepare(loop_prepare_cb, void *arg);

#endif
