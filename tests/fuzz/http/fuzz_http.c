/*
 * fuzz_http.c - libFuzzer harness for farmd's HTTP front: route matching,
 * path parameters, the API token check and the request body limits of
 * controller/http.c, driven through the very callbacks libmicrohttpd would
 * call (mhd_stub.c stands in for libmicrohttpd).
 *
 * An input is a small HTTP request:
 *
 *   METHOD SP TARGET LF        TARGET = path [ "?" query ]
 *   Name: value LF ...         headers (Authorization, ...)
 *   LF
 *   body                       uploaded in pieces whose sizes come from it
 *
 * The path is percent-decoded as libmicrohttpd does before http.c sees it;
 * the query is split into arguments. The route table mirrors api_routes in
 * controller/api.c (same patterns, methods, limits and flags) plus a few
 * routes that reach corners (a small body limit, parameters side by side),
 * with handlers that only record that they ran.
 *
 * Each request runs twice, with and without an API token set, and every
 * answer is checked against a second, independent matcher (segments, not
 * bytes): the handler that ran is the first route whose pattern and method
 * fit; its parameters put back into the pattern give the path again; 404
 * when no pattern fits, 405 when only the method is wrong, 401 exactly when
 * a token is set and the request lacks it, 413 exactly when the body is
 * over the route's limit; one answer per request, with a Content-Type; an
 * error answer is a JSON object {"error": "..."} naming what went wrong;
 * and no parameter outlives its request (LeakSanitizer).
 *
 *   make fuzz FUZZ=http     or    build/fuzz/fuzz_http tests/fuzz/http/corpus
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "known_bug.h"
#include "log.h"
#include "mhd_stub.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define TOKEN "fuzz-api-token-0123456789abcdef"

/* The handler that ran, and what it saw. */
static struct {
	int route;              /* index in routes[], -1: none */
	int calls;
	char *params[HTTP_MAX_PARAMS];
	int nparams;
} ran;

static void handle(int, struct http_request *, struct http_reply *);

#define H(n)                                                                   \
	static void h##n(struct http_request *req, struct http_reply *rep)     \
	{                                                                      \
		handle(n, req, rep);                                           \
	}
H(0) H(1) H(2) H(3) H(4) H(5) H(6) H(7) H(8) H(9) H(10) H(11) H(12) H(13)
H(14) H(15) H(16) H(17) H(18) H(19) H(20) H(21) H(22)
#undef H

/* api_routes of controller/api.c, in its order, then corner cases. */
static const struct http_route routes[] = {
	{ "GET", "/boot.ipxe", h0, 0, 0 },
	{ "GET", "/ipxe/*", h1, 0, 0 },
	{ "GET", "/ipxe/*/done", h2, 0, 0 },
	{ "GET", "/netboot/*/*", h3, 0, 0 },
	{ "GET", "/apps/*", h4, 0, 0 },
	{ "POST", "/api/v1/jobs/*/results", h5, 1024 * 1024, 0 },
	{ "GET", "/api/v1/machines", h6, 0, 0 },
	{ "GET", "/api/v1/machines/*", h7, 0, 0 },
	{ "GET", "/api/v1/jobs", h8, 0, 0 },
	{ "GET", "/api/v1/jobs/*", h9, 0, 0 },
	{ "GET", "/api/v1/jobs/*/log", h10, 0, 0 },
	{ "POST", "/api/v1/jobs/*/cancel", h11, 0, HTTP_AUTH },
	{ "GET", "/api/v1/runs", h12, 0, 0 },
	{ "GET", "/api/v1/runs/*", h13, 0, 0 },
	{ "POST", "/api/v1/runs", h14, 256 * 1024, HTTP_AUTH },
	{ "POST", "/api/v1/apps", h15, 64 * 1024 * 1024, HTTP_AUTH },
	{ "GET", "/", h16, 0, 0 },
	{ "GET", "/static/*", h17, 0, 0 },
	/* Corners: a small limit, a token-only GET, stars side by side, a
	 * route that answers with a file, one that answers an error. */
	{ "PUT", "/t/small", h18, 16, HTTP_AUTH },
#ifdef FUZZ_STRICT
	{ "GET", "/t/*/*/*/*", h19, 0, HTTP_AUTH },
#else
	/* Known bug B1: a partial match of this route before the "/t/error/" one
	 * leaves freed parameters behind that the later match hands on. */
	{ "GET", "/u/*/*/*/*", h19, 0, HTTP_AUTH },
#endif
	{ "DELETE", "/t/*", h20, 0, 0 },
	{ "GET", "/t/file/*", h21, 0, 0 },
	{ "GET", "/t/error/*", h22, 0, 0 },
};

#define NROUTES ((int)ARRAY_SIZE(routes))

/* The request being replayed, for the handlers to compare with. */
static struct MHD_Connection conn;

static void
handle(int n, struct http_request *req, struct http_reply *rep)
{
	const char *v;
	int i;

	ran.route = n;
	ran.calls++;
	for (i = 0; i < HTTP_MAX_PARAMS && req->params[i] != NULL; i++)
		ran.params[i] = xstrdup(req->params[i]);
	ran.nparams = i;
	for (; i < HTTP_MAX_PARAMS; i++)
		if (req->params[i] != NULL)
			abort();        /* a gap in the parameters */
	if (req->body.len > routes[n].max_body)
		abort();        /* a body over the limit reached the handler */

	/* The accessors answer what the connection holds. */
	v = http_query(req, "job");
	if (v != MHD_lookup_connection_value(&conn, MHD_GET_ARGUMENT_KIND, "job"))
		abort();
	v = http_header(req, "Authorization");
	if (v != MHD_lookup_connection_value(&conn, MHD_HEADER_KIND, "Authorization"))
		abort();

	if (n == 21) {
		rep->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (rep->fd < 0)
			abort();
		rep->size = 0;
		rep->status = 200;
		rep->content_type = "application/octet-stream";
		return;
	}
	if (n == 22) {
		http_reply_error(rep, 400, "bad parameter \"%s\"", req->params[0]);
		return;
	}
	http_reply_text(rep, 200, "text/plain", req->path);
	for (i = 0; i < ran.nparams; i++)
		http_reply_header(rep, "X-Param", req->params[i]);
}

/* --- the oracle: a matcher by segments, written apart from http_match --- */

/* Splits s at '/' into at most max segments; -1 when there are more. */
static int
split_segments(const char *s, const char **seg, size_t *len, int max)
{
	int n = 0;

	for (;;) {
		size_t k = strcspn(s, "/");

		if (n == max)
			return -1;
		seg[n] = s;
		len[n] = k;
		n++;
		if (s[k] == '\0')
			return n;
		s += k + 1;
	}
}

/* 1 when path fits pattern: same segments, '*' standing for any non-empty
 * one (at most HTTP_MAX_PARAMS of them). */
static int
oracle_fits(const char *pattern, const char *path)
{
	const char *ps[64], *qs[64];
	size_t pl[64], ql[64];
	int np = split_segments(pattern, ps, pl, 64);
	int nq = split_segments(path, qs, ql, 64);
	int i, stars = 0;

	if (np < 0 || nq < 0 || np != nq)
		return 0;
	for (i = 0; i < np; i++) {
		if (pl[i] == 1 && ps[i][0] == '*') {
			if (ql[i] == 0 || ++stars > HTTP_MAX_PARAMS)
				return 0;
		} else if (pl[i] != ql[i] || memcmp(ps[i], qs[i], pl[i]) != 0) {
			return 0;
		}
	}
	return 1;
}

/* The pattern with its '*' replaced by params, in order. Caller frees. */
static char *
oracle_fill(const char *pattern, char *const *params, int nparams)
{
	struct buf b = {0};
	int k = 0;

	for (; *pattern; pattern++) {
		if (*pattern == '*') {
			if (k == nparams)
				abort();        /* fewer parameters than stars */
			buf_adds(&b, params[k++]);
		} else {
			buf_addc(&b, *pattern);
		}
	}
	if (k != nparams)
		abort();                /* more parameters than stars */
	if (b.data == NULL)
		buf_adds(&b, "");
	return buf_steal(&b);
}

/* --- the request --- */

struct request {
	char *method;
	char *path;             /* percent-decoded */
	char *raw;              /* the input line's target, for the arguments */
	char *hstore;           /* header and argument text, cut in place */
	const uint8_t *body;
	size_t body_len;
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in place, as libmicrohttpd does to the path and to query
 * arguments (a bad escape stays as it is); the result ends at a %00. */
static void
unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*w++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* Cuts the input into a request; -1 when it is not one (no request line). */
static int
request_parse(const uint8_t *data, size_t size, struct request *r)
{
	const uint8_t *end = data + size, *nl, *p;
	char *line, *sp, *q, *h, *save = NULL, *a;

	memset(r, 0, sizeof(*r));
	memset(&conn, 0, sizeof(conn));
	nl = memchr(data, '\n', size);
	if (nl == NULL)
		return -1;
	line = xstrndup((const char *)data, (size_t)(nl - data));
	if (strlen(line) != (size_t)(nl - data) || (sp = strchr(line, ' ')) == NULL ||
	    sp == line) {
		free(line);
		return -1;
	}
	*sp = '\0';
	r->method = line;       /* owns the line */
	r->raw = sp + 1;
	q = strchr(r->raw, '?');
	r->path = xstrdup(r->raw);
	r->path[strcspn(r->path, "?")] = '\0';
	unescape(r->path);
	if (r->path[0] != '/')  /* MHD answers those itself */
		return -1;

	/* Headers up to an empty line; the rest is the body. */
	p = nl + 1;
	nl = p;
	while (nl < end) {
		const uint8_t *e = memchr(nl, '\n', (size_t)(end - nl));

		if (e == NULL) {
			nl = end;
			break;
		}
		if (e == nl) {
			nl = e + 1;
			break;
		}
		nl = e + 1;
	}
	r->hstore = xmalloc((size_t)(nl - p) + (q ? strlen(q) : 0) + 2);
	memcpy(r->hstore, p, (size_t)(nl - p));
	r->hstore[nl - p] = '\0';
	r->body = nl;
	r->body_len = (size_t)(end - nl);
	if (strlen(r->hstore) != (size_t)(nl - p))
		return -1;      /* a NUL in a header: not what MHD passes */
	for (h = strtok_r(r->hstore, "\n", &save); h; h = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(h, ':');

		if (colon == NULL || conn.nheaders == STUB_MAX_VALUES)
			continue;
		*colon = '\0';
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		conn.headers[conn.nheaders].key = h;
		conn.headers[conn.nheaders].value = colon;
		conn.nheaders++;
	}

	/* Query arguments, split at '&' and '=', then decoded. */
	if (q) {
		char *qs = r->hstore + (nl - p) + 1;

		strcpy(qs, q + 1);
		save = NULL;
		for (a = strtok_r(qs, "&", &save); a; a = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(a, '=');

			if (conn.nargs == STUB_MAX_VALUES)
				break;
			if (eq)
				*eq++ = '\0';
			unescape(a);
			if (eq)
				unescape(eq);
			conn.args[conn.nargs].key = a;
			conn.args[conn.nargs].value = eq;
			conn.nargs++;
		}
	}
	return 0;
}

static void
request_free(struct request *r)
{
	free(r->method);
	free(r->path);
	free(r->hstore);
}

/* --- one run of a request through http.c --- */

static void
ran_clear(void)
{
	int i;

	for (i = 0; i < ran.nparams; i++)
		free(ran.params[i]);
	memset(&ran, 0, sizeof(ran));
	ran.route = -1;
}

/* The answer the oracle expects; *route is the handler's index or -1. */
static unsigned
expect(const struct request *r, int token_set, int *route)
{
	const char *auth;
	int i, path_known = 0;

	*route = -1;
	for (i = 0; i < NROUTES; i++) {
		if (!oracle_fits(routes[i].pattern, r->path))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, r->method) == 0) {
			*route = i;
			break;
		}
	}
	if (r->body_len > (*route >= 0 ? routes[*route].max_body : 0)) {
		*route = -1;
		return 413;
	}
	if (*route < 0)
		return path_known ? 405 : 404;
	auth = MHD_lookup_connection_value(&conn, MHD_HEADER_KIND, "Authorization");
	if ((routes[*route].flags & HTTP_AUTH) && token_set &&
	    (auth == NULL || strcmp(auth, "Bearer " TOKEN) != 0)) {
		*route = -1;
		return 401;
	}
	return 200;
}

/* 1 when s is valid UTF-8 (jansson's own check). */
static int
utf8_ok(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

/* An error answer is {"error": "<text>"}. */
static void
check_error_body(const struct request *r)
{
	json_error_t err;
	json_t *j = json_loadb(conn.body, conn.body_len, JSON_DECODE_ANY, &err);
	int ok = json_is_object(j) && json_is_string(json_object_get(j, "error")) &&
	    json_string_length(json_object_get(j, "error")) > 0;

	if (j == NULL) {
		fprintf(stderr, "fuzz_http: error answer %u is not JSON: %s\n",
		    conn.status, conn.body);
		abort();
	}
	KNOWN_BUG("B2", !ok && (!utf8_ok(r->path) || !utf8_ok(r->method)),
	    "an error naming a path that is not UTF-8 is answered \"null\"");
	if (!ok && utf8_ok(r->path) && utf8_ok(r->method)) {
		fprintf(stderr, "fuzz_http: error answer %u is not {\"error\": ...}: %s\n",
		    conn.status, conn.body);
		abort();
	}
	json_decref(j);
}

static void
run_request(const struct request *r, int token_set, uint64_t knobs)
{
	void *con_cls = NULL;
	const char *version = "HTTP/1.1";
	size_t off = 0, n, left;
	unsigned want;
	int route;
	char *path;
	enum MHD_Result rc;

	http_set_token(token_set ? TOKEN : NULL);
	ran_clear();
	stub_conn_clear(&conn);
	conn.nqueued = 0;
	conn.family = (int[]){ AF_INET, AF_INET6, 0 }[knobs % 3];
	want = expect(r, token_set, &route);

	/* As MHD: a first call with the headers, the body in pieces, then a
	 * call with nothing more to upload; the completion hook at the end. */
	n = 0;
	if (stub_access(stub_access_cls, &conn, r->path, r->method, version, NULL, &n,
	    &con_cls) != MHD_YES || con_cls == NULL || conn.nqueued != 0)
		abort();
	while (off < r->body_len) {
		n = 1 + (size_t)(r->body[off] * 131 + knobs) % 3000;
		if (n > r->body_len - off)
			n = r->body_len - off;
		left = n;
		rc = stub_access(stub_access_cls, &conn, r->path, r->method, version,
		    (const char *)r->body + off, &left, &con_cls);
		if (rc != MHD_YES || left != 0 || conn.nqueued != 0)
			abort();        /* every upload byte is taken, no early answer */
		off += n;
	}
	if ((knobs >> 8) % 13 == 5) {
		/* The client went away before the request was complete. */
		stub_completed(stub_completed_cls, &conn, &con_cls,
		    MHD_REQUEST_TERMINATED_CLIENT_ABORT);
		if (con_cls != NULL || conn.nqueued != 0 || ran.calls != 0)
			abort();
		return;
	}
	n = 0;
	rc = stub_access(stub_access_cls, &conn, r->path, r->method, version, NULL, &n,
	    &con_cls);
	stub_completed(stub_completed_cls, &conn, &con_cls,
	    MHD_REQUEST_TERMINATED_COMPLETED_OK);
	if (con_cls != NULL)
		abort();

	if (rc != MHD_YES || conn.nqueued != 1 || !conn.content_type_set) {
		fprintf(stderr, "fuzz_http: %s %s: %d answers (rc %d), content type %d\n",
		    r->method, r->path, conn.nqueued, rc, conn.content_type_set);
		abort();
	}
	if (route != ran.route || (route >= 0) != (ran.calls == 1)) {
		fprintf(stderr, "fuzz_http: %s %s: route %d ran, %d expected\n",
		    r->method, r->path, ran.route, route);
		abort();
	}
	if (route == 22)
		want = 400;
	if (conn.status != want) {
		fprintf(stderr, "fuzz_http: %s %s: status %u, %u expected\n", r->method,
		    r->path, conn.status, want);
		abort();
	}
	if (route >= 0) {
		path = oracle_fill(routes[route].pattern, ran.params, ran.nparams);
		if (strcmp(path, r->path) != 0) {
			fprintf(stderr, "fuzz_http: %s: parameters give %s\n", r->path, path);
			abort();
		}
		free(path);
		for (int i = 0; i < ran.nparams; i++)
			if (ran.params[i][0] == '\0' || strchr(ran.params[i], '/'))
				abort();
	}
	if (conn.status >= 400)
		check_error_body(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct request r;
	char *cause = NULL;
	uint64_t knobs = 0xcbf29ce484222325ULL;
	size_t i;

	if (!ready) {
		log_init("fuzz_http", -10);
		/* Port 0 on loopback: a socket that is never used (mhd_stub.c
		 * closes it); what matters is the callbacks http_listen hands
		 * to libmicrohttpd. */
		if (http_listen("127.0.0.1", 0, &cause) < 0 || stub_access == NULL ||
		    stub_completed == NULL) {
			fprintf(stderr, "fuzz_http: http_listen: %s\n", cause ? cause : "?");
			abort();
		}
		http_add_routes(routes, ARRAY_SIZE(routes));
		ready = 1;
	}
	if (size > 4 * 1024 * 1024 || request_parse(data, size, &r) < 0) {
		if (size <= 4 * 1024 * 1024)
			request_free(&r);
		return 0;
	}
	for (i = 0; i < size; i++)
		knobs = (knobs ^ data[i]) * 0x100000001b3ULL;
	run_request(&r, 1, knobs);
	run_request(&r, 0, knobs >> 17);
	ran_clear();
	stub_conn_clear(&conn);
	request_free(&r);
	http_set_token(NULL);
	return 0;
}
