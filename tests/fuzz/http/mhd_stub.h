/*
 * mhd_stub.h - a libmicrohttpd and event loop stand-in for fuzz_http.c:
 * controller/http.c is compiled unchanged against <microhttpd.h>, and these
 * stubs play the daemon. MHD_start_daemon keeps the access and completion
 * callbacks so the harness can drive a request through them exactly as MHD
 * does; the connection is a struct the harness fills (path, headers, query
 * arguments); MHD_queue_response records what http.c answered.
 */
#ifndef FUZZ_MHD_STUB_H
#define FUZZ_MHD_STUB_H

#include <stddef.h>

#include <microhttpd.h>

#define STUB_MAX_VALUES 32

struct stub_value {
	const char *key;
	const char *value;      /* NULL: a query argument without '=' */
};

struct MHD_Connection {
	struct stub_value headers[STUB_MAX_VALUES];
	size_t nheaders;
	struct stub_value args[STUB_MAX_VALUES];
	size_t nargs;
	int family;             /* AF_INET, AF_INET6 or 0: no address */
	/* What http.c queued. */
	int nqueued;
	unsigned status;
	char *body;             /* a copy, NUL-terminated */
	size_t body_len;
	int from_fd;            /* the reply was a file */
	int content_type_set;
};

/* The callbacks http_listen gave MHD_start_daemon. */
extern MHD_AccessHandlerCallback stub_access;
extern void *stub_access_cls;
extern MHD_RequestCompletedCallback stub_completed;
extern void *stub_completed_cls;

/* Frees what the connection recorded. */
void stub_conn_clear(struct MHD_Connection *);

#endif
