/*
 * qmp.h - a small client for QEMU's machine protocol (QMP) on a unix
 * socket, run on farmd's event loop: it connects (retrying while QEMU
 * starts), does the capabilities handshake and sends one command at a
 * time. Nothing in it blocks.
 */
#ifndef FARM_QMP_H
#define FARM_QMP_H

#include <stddef.h>

struct qmp;

/* A command's answer: reply is the JSON line QEMU sent ("return" or
 * "error"), valid during the call only; NULL when the connection failed or
 * was lost. For qmp_open's callback, reply is the handshake's answer. */
typedef void (*qmp_cb)(void *arg, const char *reply);

/* Connects to the socket at path, retrying for up to timeout_ms while it
 * does not exist yet; cb runs once the handshake is done (or failed). */
struct qmp *qmp_open(const char *path, int timeout_ms, qmp_cb cb, void *arg);
/* Closes the connection; no callback runs after. Safe inside a callback
 * (the memory goes on the next turn of the loop). NULL does nothing. */
void qmp_close(struct qmp *);
/* 1 when the handshake is done and no command is waiting for its answer. */
int qmp_ready(const struct qmp *);
/* Sends a command (a JSON object, one line); cb (may be NULL) gets its
 * answer. -1 when not ready. */
int qmp_command(struct qmp *, const char *json, qmp_cb cb, void *arg);

/* 1 when reply is a success ("return"). */
int qmp_ok(const char *reply);
/* The string value of "key" in reply, into out (at most size - 1 bytes);
 * -1 when there is none. A flat search: enough for QMP's status answers. */
int qmp_string(const char *reply, const char *key, char *out, size_t size);

#endif
