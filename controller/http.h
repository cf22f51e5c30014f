/*
 * http.h - farmd's HTTP server: libmicrohttpd driven by farmd's loop, routes
 * as a table, handlers that fill a reply and never touch the socket.
 */
#ifndef FARM_HTTP_H
#define FARM_HTTP_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

#define HTTP_MAX_PARAMS 4

/*
 * A streamed reply (Server-Sent Events): the body is made while it is sent.
 * A handler sets stream, stream_done and stream_arg in its reply. http.c
 * calls stream(arg, buf, max) whenever the client can take more: it returns
 * the bytes it put in buf (at most max), 0 when it has nothing yet (the
 * connection is then parked for HTTP_STREAM_POLL_MS and asked again, so the
 * loop never spins), or HTTP_STREAM_END when the body is complete.
 * stream_done(arg) runs exactly once when the reply is over for any reason
 * (the end, the client gone, farmd stopping); it frees arg.
 */
#define HTTP_STREAM_END (-1)
#define HTTP_STREAM_POLL_MS 250
typedef ssize_t (*http_stream_fn)(void *arg, char *buf, size_t max);

struct http_request {
	const char *method;
	const char *path;
	char *params[HTTP_MAX_PARAMS];  /* the '*' segments of the route */
	struct buf body;
	char client[64];                /* peer address, for logs */
	void *conn;                     /* the MHD connection (http.c only) */
};

struct http_reply {
	int status;
	const char *content_type;
	struct buf body;
	int fd;                         /* >= 0: send this file: size bytes */
	off_t size;
	off_t offset;                   /*   from this offset */
	int fixed;                      /* the whole file, which never changes
					 * (a content-addressed app): it may go
					 * out from a shared mapping */
	char *headers[8][2];            /* extra headers, owned */
	int nheaders;
	http_stream_fn stream;          /* non-NULL: a streamed body (above) */
	void (*stream_done)(void *);
	void *stream_arg;
};

typedef void (*http_handler)(struct http_request *, struct http_reply *);

/* Route flags. */
#define HTTP_AUTH 0x1                   /* needs the API token when one is set */

struct http_route {
	const char *method;
	const char *pattern;            /* "/api/v1/jobs/ * /log" with '*' a segment */
	http_handler handler;
	size_t max_body;                /* 0: no body allowed */
	int flags;
};

/* Listens on host:port (may be called more than once). 0 or -1 with *cause. */
int http_listen(const char *host, int port, char **cause);
/* Adds a table of routes; tables are searched in the order added. A module
 * with routes of its own (metrics, web data) adds its table at start-up. */
void http_add_routes(const struct http_route *, size_t);
void http_set_token(const char *api_token);
/* Called once per answered request with its route pattern (NULL when no
 * route matched) and status: for metrics. */
void http_set_observer(void (*)(const char *method, const char *route, int status));
void http_stop(void);

/* Query argument of the request, NULL when absent. */
const char *http_query(struct http_request *, const char *name);
const char *http_header(struct http_request *, const char *name);

/* Reply helpers. json_reply takes ownership of the JSON value (json_t *). */
void http_reply_text(struct http_reply *, int status, const char *type, const char *text);
void http_reply_json(struct http_reply *, int status, void *json);
void http_reply_error(struct http_reply *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void http_reply_header(struct http_reply *, const char *name, const char *value);

/* For tests: routes a request without a socket. */
void http_dispatch(struct http_request *, struct http_reply *);
void http_reply_clear(struct http_reply *);

#endif
