/*
 * mhd_stub.c - the libmicrohttpd functions controller/http.c calls, and
 * the loop.c functions http_listen/http_stop call, as stand-ins for the
 * HTTP fuzz harness (see mhd_stub.h). Nothing here does I/O: a response is
 * copied into the connection and its file descriptor closed, as MHD would
 * after sending it. A call the harness does not expect aborts, so a change
 * in what http.c uses shows up as a crash here rather than as silence.
 */
#include "mhd_stub.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"

MHD_AccessHandlerCallback stub_access;
void *stub_access_cls;
MHD_RequestCompletedCallback stub_completed;
void *stub_completed_cls;

struct MHD_Daemon {
	int listen_fd;
};

struct MHD_Response {
	char *data;
	size_t len;
	int fd;
	int content_type_set;
	MHD_ContentReaderFreeCallback crfc;
	void *crfc_cls;
};

static struct MHD_Daemon stub_daemon;

static void
stub_fail(const char *what)
{
	fprintf(stderr, "mhd_stub: unexpected call: %s\n", what);
	abort();
}

void
stub_conn_clear(struct MHD_Connection *c)
{
	free(c->body);
	c->body = NULL;
	c->body_len = 0;
}

const char *
MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
    const char *key)
{
	size_t i;

	if (c == NULL || key == NULL)
		stub_fail("MHD_lookup_connection_value without a connection or key");
	if (kind == MHD_HEADER_KIND) {
		for (i = 0; i < c->nheaders; i++)
			if (strcasecmp(c->headers[i].key, key) == 0)
				return c->headers[i].value;
		return NULL;
	}
	if (kind == MHD_GET_ARGUMENT_KIND) {
		for (i = 0; i < c->nargs; i++)
			if (strcmp(c->args[i].key, key) == 0)
				return c->args[i].value;
		return NULL;
	}
	stub_fail("MHD_lookup_connection_value of another kind");
	return NULL;
}

const union MHD_ConnectionInfo *
MHD_get_connection_info(struct MHD_Connection *c, enum MHD_ConnectionInfoType type,
    ...)
{
	static struct sockaddr_in sin;
	static struct sockaddr_in6 sin6;
	static union MHD_ConnectionInfo info;

	if (type != MHD_CONNECTION_INFO_CLIENT_ADDRESS)
		stub_fail("MHD_get_connection_info of another type");
	if (c->family == 0)
		return NULL;
	if (c->family == AF_INET6) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr.s6_addr[15] = 1;
		info.client_addr = (struct sockaddr *)&sin6;
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(0x7f000001);
		info.client_addr = (struct sockaddr *)&sin;
	}
	return &info;
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buffer,
    enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = calloc(1, sizeof(*r));

	if (r == NULL || mode != MHD_RESPMEM_MUST_COPY)
		stub_fail("MHD_create_response_from_buffer without MUST_COPY");
	r->data = malloc(size + 1);
	if (r->data == NULL)
		abort();
	memcpy(r->data, buffer, size);
	r->data[size] = '\0';
	r->len = size;
	r->fd = -1;
	return r;
}

/* A response from the caller's memory (http.c: a mapped app), copied here;
 * its free callback runs when the response is destroyed. */
struct MHD_Response *
MHD_create_response_from_buffer_with_free_callback_cls(size_t size, void *buffer,
    MHD_ContentReaderFreeCallback crfc, void *crfc_cls)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(size, buffer,
	    MHD_RESPMEM_MUST_COPY);

	r->crfc = crfc;
	r->crfc_cls = crfc_cls;
	return r;
}

struct MHD_Response *
MHD_create_response_from_fd_at_offset64(uint64_t size, int fd, uint64_t offset)
{
	struct MHD_Response *r = calloc(1, sizeof(*r));

	(void)size;
	(void)offset;
	if (r == NULL || fd < 0)
		stub_fail("MHD_create_response_from_fd_at_offset64 without a file");
	r->fd = fd;
	return r;
}

enum MHD_Result
MHD_add_response_header(struct MHD_Response *r, const char *header,
    const char *content)
{
	if (r == NULL || header == NULL || content == NULL)
		stub_fail("MHD_add_response_header with NULL");
	/* MHD refuses header text that would split the response. */
	if (strpbrk(header, "\r\n: \t") != NULL || strpbrk(content, "\r\n") != NULL)
		return MHD_NO;
	if (strcasecmp(header, "Content-Type") == 0)
		r->content_type_set = 1;
	return MHD_YES;
}

enum MHD_Result
MHD_queue_response(struct MHD_Connection *c, unsigned int status,
    struct MHD_Response *r)
{
	if (c == NULL || r == NULL)
		stub_fail("MHD_queue_response with NULL");
	c->nqueued++;
	c->status = status;
	free(c->body);
	c->from_fd = r->fd >= 0;
	c->content_type_set = r->content_type_set;
	if (r->fd >= 0) {
		c->body = strdup("");
		c->body_len = 0;
	} else {
		c->body = malloc(r->len + 1);
		if (c->body == NULL)
			abort();
		memcpy(c->body, r->data, r->len + 1);
		c->body_len = r->len;
	}
	return MHD_YES;
}

void
MHD_destroy_response(struct MHD_Response *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->crfc)
		r->crfc(r->crfc_cls);
	free(r->data);
	free(r);
}

struct MHD_Daemon *
MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	va_list ap;
	int opt;

	(void)flags;
	(void)port;
	(void)apc;
	(void)apc_cls;
	stub_access = dh;
	stub_access_cls = dh_cls;
	stub_daemon.listen_fd = -1;
	va_start(ap, dh_cls);
	while ((opt = va_arg(ap, int)) != MHD_OPTION_END) {
		switch (opt) {
		case MHD_OPTION_LISTEN_SOCKET:
			stub_daemon.listen_fd = va_arg(ap, int);
			break;
		case MHD_OPTION_NOTIFY_COMPLETED:
			stub_completed = va_arg(ap, MHD_RequestCompletedCallback);
			stub_completed_cls = va_arg(ap, void *);
			break;
		case MHD_OPTION_CONNECTION_TIMEOUT:
		case MHD_OPTION_CONNECTION_LIMIT:
		case MHD_OPTION_CONNECTION_MEMORY_LIMIT:
			(void)va_arg(ap, unsigned int);
			break;
		case MHD_OPTION_SIGPIPE_HANDLED_BY_APP:
			(void)va_arg(ap, int);
			break;
		case MHD_OPTION_EXTERNAL_LOGGER:
			(void)va_arg(ap, MHD_LogCallback);
			(void)va_arg(ap, void *);
			break;
		default:
			fprintf(stderr, "mhd_stub: option %d: teach mhd_stub.c about it\n", opt);
			abort();
		}
	}
	va_end(ap);
	/* The socket is never used: nothing connects to the harness. */
	if (stub_daemon.listen_fd >= 0)
		close(stub_daemon.listen_fd);
	return &stub_daemon;
}

const union MHD_DaemonInfo *
MHD_get_daemon_info(struct MHD_Daemon *d, enum MHD_DaemonInfoType type, ...)
{
	static union MHD_DaemonInfo info;

	if (d != &stub_daemon || type != MHD_DAEMON_INFO_EPOLL_FD)
		stub_fail("MHD_get_daemon_info");
	info.epoll_fd = -1;
	return &info;
}

enum MHD_Result
MHD_run(struct MHD_Daemon *d)
{
	(void)d;
	stub_fail("MHD_run");
	return MHD_NO;
}

enum MHD_Result
MHD_get_timeout(struct MHD_Daemon *d, MHD_UNSIGNED_LONG_LONG *timeout)
{
	(void)d;
	(void)timeout;
	stub_fail("MHD_get_timeout");
	return MHD_NO;
}

void
MHD_stop_daemon(struct MHD_Daemon *d)
{
	(void)d;
}

/* loop.c: http_listen registers the daemon's epoll fd and a prepare hook. */
static int stub_loop_fd;

struct loop_fd *
loop_fd_add(int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	(void)fd;
	(void)events;
	(void)cb;
	(void)arg;
	return (struct loop_fd *)&stub_loop_fd;
}

void
loop_fd_del(struct loop_fd *w)
{
	(void)w;
}

void
loop_prepare(loop_prepare_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
}

/* Streamed replies (Server-Sent Events, api_web.c) come only from routes
 * the harness does not add: these must not be called. */
struct MHD_Response *
MHD_create_response_from_callback(uint64_t size, size_t block_size,
    MHD_ContentReaderCallback crc, void *crc_cls, MHD_ContentReaderFreeCallback crfc)
{
	(void)size;
	(void)block_size;
	(void)crc;
	(void)crc_cls;
	(void)crfc;
	stub_fail("MHD_create_response_from_callback");
	return NULL;
}

void
MHD_suspend_connection(struct MHD_Connection *c)
{
	(void)c;
	stub_fail("MHD_suspend_connection");
}

void
MHD_resume_connection(struct MHD_Connection *c)
{
	(void)c;
	stub_fail("MHD_resume_connection");
}

struct loop_timer *
loop_timer_add(int64_t ms, loop_timer_cb cb, void *arg)
{
	(void)ms;
	(void)cb;
	(void)arg;
	stub_fail("loop_timer_add");
	return NULL;
}

void
loop_timer_cancel(struct loop_timer *t)
{
	(void)t;
}
