/*
 * http.c - libmicrohttpd in external-event mode on farmd's loop. Each
 * listening address is one MHD daemon with its own epoll fd in our epoll
 * set; MHD_run does the I/O. A request's state (body, parameters) lives in
 * a struct http_request made on MHD's first callback and freed in the
 * completion hook; the route's handler runs once the whole body is in.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "log.h"
#include "loop.h"

struct http_daemon {
	struct MHD_Daemon *d;
	struct loop_fd *watch;
};

static struct {
	struct http_daemon daemons[4];
	int ndaemons;
	struct {
		const struct http_route *v;
		size_t n;
	} tables[8];
	size_t ntables;
	char *token;
	void (*observer)(const char *, const char *, int);
} H;

/* A streamed reply handed to MHD; parked ones are listed so that
 * http_stop can resume them (MHD must not stop with suspended
 * connections). */
struct http_stream {
	struct MHD_Connection *conn;
	http_stream_fn read;
	void (*done)(void *);
	void *arg;
	struct loop_timer *wake;        /* set while parked */
	struct http_stream *next, **prevp;
};

static struct http_stream *http_parked;

struct http_conn {
	struct http_request req;
	const struct http_route *route;
	int too_big;
};

const char *
http_query(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_header(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void
http_reply_text(struct http_reply *rep, int status, const char *type, const char *text)
{
	rep->status = status;
	rep->content_type = type;
	buf_reset(&rep->body);
	buf_adds(&rep->body, text);
}

void
http_reply_json(struct http_reply *rep, int status, void *json)
{
	char *s = json_dumps(json, JSON_COMPACT);

	rep->status = status;
	rep->content_type = "application/json";
	buf_reset(&rep->body);
	buf_adds(&rep->body, s ? s : "null");
	buf_addc(&rep->body, '\n');
	free(s);
	json_decref(json);
}

/* Replaces every byte that is not part of valid UTF-8 with '?', so an
 * error naming a request's bytes is still JSON. */
static void
http_utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
		    (*p & 0xf8) == 0xf0 ? 4 : 0;
		size_t i;

		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 0 || (n == 2 && *p < 0xc2)) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

void
http_reply_error(struct http_reply *rep, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	http_utf8_clean(msg);
	http_reply_json(rep, status, json_pack("{s:s}", "error", msg));
	free(msg);
}

void
http_reply_header(struct http_reply *rep, const char *name, const char *value)
{
	if (rep->nheaders == (int)ARRAY_SIZE(rep->headers))
		return;
	rep->headers[rep->nheaders][0] = xstrdup(name);
	rep->headers[rep->nheaders][1] = xstrdup(value);
	rep->nheaders++;
}

void
http_reply_clear(struct http_reply *rep)
{
	int i;

	buf_free(&rep->body);
	for (i = 0; i < rep->nheaders; i++) {
		free(rep->headers[i][0]);
		free(rep->headers[i][1]);
	}
	if (rep->fd >= 0)
		close(rep->fd);
	if (rep->stream && rep->stream_done)
		rep->stream_done(rep->stream_arg);
	memset(rep, 0, sizeof(*rep));
	rep->fd = -1;
}

/* Matches path against a route pattern, filling params; 1 on a match. A '*'
 * segment matches one non-empty segment. */
static int
http_match(const char *pattern, const char *path, char *params[HTTP_MAX_PARAMS])
{
	int np = 0;

	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t n = strcspn(path, "/");

			if (n == 0 || np == HTTP_MAX_PARAMS)
				goto nomatch;
			params[np++] = xstrndup(path, n);
			path += n;
			pattern++;
			continue;
		}
		if (*pattern != *path)
			goto nomatch;
		pattern++;
		path++;
	}
	if (*pattern == '\0' && *path == '\0')
		return 1;
nomatch:
	while (np > 0) {
		np--;
		free(params[np]);
		params[np] = NULL;
	}
	return 0;
}

/* Finds the route; *method_ok is 0 when only the method is wrong. */
static const struct http_route *
http_find(struct http_request *req, int *path_known)
{
	char *params[HTTP_MAX_PARAMS] = {0};
	size_t i, t;

	*path_known = 0;
	for (t = 0; t < H.ntables; t++) {
		for (i = 0; i < H.tables[t].n; i++) {
			const struct http_route *r = &H.tables[t].v[i];

			if (!http_match(r->pattern, req->path, params))
				continue;
			*path_known = 1;
			if (strcmp(r->method, req->method) == 0) {
				memcpy(req->params, params, sizeof(params));
				return r;
			}
			for (int k = 0; k < HTTP_MAX_PARAMS; k++) {
				free(params[k]);
				params[k] = NULL;
			}
		}
	}
	return NULL;
}

/* The API token check for mutating routes. */
static int
http_authorized(struct http_request *req)
{
	const char *h;

	if (H.token == NULL)
		return 1;
	h = http_header(req, "Authorization");
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return 0;
	return str_equal_ct(h + 7, H.token);
}

void
http_dispatch(struct http_request *req, struct http_reply *rep)
{
	int known;
	const struct http_route *r = http_find(req, &known);

	rep->status = 200;
	rep->fd = -1;
	if (r == NULL) {
		if (known)
			http_reply_error(rep, 405, "%s is not allowed on %s", req->method,
			    req->path);
		else
			http_reply_error(rep, 404, "no such page: %s", req->path);
		return;
	}
	if ((r->flags & HTTP_AUTH) && !http_authorized(req)) {
		http_reply_error(rep, 401, "this needs the API token"
		    " (Authorization: Bearer ...)");
		return;
	}
	r->handler(req, rep);
}

/* The parked stream's time is up: let MHD ask it again. */
static void
http_stream_wake(void *arg)
{
	struct http_stream *s = arg;

	s->wake = NULL;
	*s->prevp = s->next;
	if (s->next)
		s->next->prevp = s->prevp;
	s->next = NULL;
	s->prevp = NULL;
	MHD_resume_connection(s->conn);
}

/* MHD's content reader for a streamed reply. */
static ssize_t
http_stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = cls;
	ssize_t n;

	(void)pos;
	n = s->read(s->arg, buf, max);
	if (n > 0)
		return n;
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* Nothing yet: park the connection rather than return 0 to a loop
	 * that would call again at once (libmicrohttpd's own advice). */
	MHD_suspend_connection(s->conn);
	s->wake = loop_timer_add(HTTP_STREAM_POLL_MS, http_stream_wake, s);
	s->next = http_parked;
	if (http_parked)
		http_parked->prevp = &s->next;
	s->prevp = &http_parked;
	http_parked = s;
	return 0;
}

static void
http_stream_free(void *cls)
{
	struct http_stream *s = cls;

	if (s->wake) {
		loop_timer_cancel(s->wake);
		*s->prevp = s->next;
		if (s->next)
			s->next->prevp = s->prevp;
	}
	s->done(s->arg);
	free(s);
}

/*
 * A file that never changes (rep->fixed) goes out from memory: one
 * read-only mapping per file, shared by every response sending it and
 * unmapped with the last one, so the pages are the page cache's own and
 * what farmd holds is bounded by the files being sent at the moment. For a
 * response in memory libmicrohttpd sends all that the socket takes in one
 * call; a file response goes out 128 KiB per sendfile and per turn of the
 * loop, which made app downloads on loopback 10-30 % slower than nginx.
 * Only files written once and renamed into place qualify: one truncated
 * under a mapping would fault on access.
 */
struct http_map {
	dev_t dev;
	ino_t ino;
	void *addr;
	size_t len;
	int refs;
	struct http_map *next;
};

static struct http_map *http_maps;

/* The mapping of the whole of fd (of len bytes), shared; NULL when it
 * cannot be mapped (the caller sends the file instead). */
static struct http_map *
http_map_get(int fd, size_t len)
{
	struct http_map *m;
	struct stat st;
	void *addr;

	if (len == 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != (uint64_t)len)
		return NULL;
	for (m = http_maps; m != NULL; m = m->next)
		if (m->dev == st.st_dev && m->ino == st.st_ino && m->len == len) {
			m->refs++;
			return m;
		}
	addr = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (addr == MAP_FAILED)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->addr = addr;
	m->len = len;
	m->refs = 1;
	m->next = http_maps;
	http_maps = m;
	return m;
}

/* libmicrohttpd is done with a response from a mapping. */
static void
http_map_put(void *cls)
{
	struct http_map *m = cls, **pp;

	if (--m->refs > 0)
		return;
	for (pp = &http_maps; *pp != m; pp = &(*pp)->next)
		;
	*pp = m->next;
	munmap(m->addr, m->len);
	free(m);
}

static enum MHD_Result
http_queue(struct MHD_Connection *conn, struct http_reply *rep)
{
	struct http_map *map;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int i;

	if (rep->stream) {
		struct http_stream *s = xcalloc(1, sizeof(*s));

		s->conn = conn;
		s->read = rep->stream;
		s->done = rep->stream_done;
		s->arg = rep->stream_arg;
		rep->stream = NULL; /* MHD owns it now: http_stream_free */
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
		    http_stream_reader, s, http_stream_free);
		if (resp == NULL) {
			s->done(s->arg);
			free(s);
			return MHD_NO;
		}
	} else if (rep->fd >= 0 && rep->fixed && rep->offset == 0 &&
	    (map = http_map_get(rep->fd, (size_t)rep->size)) != NULL) {
		/* rep->fd is closed with the reply: the mapping stays. */
		resp = MHD_create_response_from_buffer_with_free_callback_cls(map->len,
		    map->addr, http_map_put, map);
		if (resp == NULL)
			http_map_put(map);
	} else if (rep->fd >= 0) {
		resp = MHD_create_response_from_fd_at_offset64((uint64_t)rep->size,
		    rep->fd, (uint64_t)rep->offset);
		rep->fd = -1; /* MHD closes it */
	} else {
		resp = MHD_create_response_from_buffer(rep->body.len,
		    rep->body.data ? rep->body.data : (char *)"", MHD_RESPMEM_MUST_COPY);
	}
	if (resp == NULL)
		return MHD_NO;
	if (rep->content_type)
		MHD_add_response_header(resp, "Content-Type", rep->content_type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	for (i = 0; i < rep->nheaders; i++)
		MHD_add_response_header(resp, rep->headers[i][0], rep->headers[i][1]);
	ret = MHD_queue_response(conn, (unsigned)rep->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
http_client_addr(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, len, "?");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr,
		    out, (socklen_t)len);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out,
		    (socklen_t)len);
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_conn *c = *con_cls;
	struct http_reply rep = { .fd = -1 };
	enum MHD_Result ret;
	int known;

	(void)cls;
	(void)version;
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->req.method = method;
		c->req.path = url;
		c->req.conn = conn;
		http_client_addr(conn, c->req.client, sizeof(c->req.client));
		c->route = http_find(&c->req, &known);
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t max = c->route ? c->route->max_body : 0;

		if (c->req.body.len + *upload_data_size > max)
			c->too_big = 1;
		else
			buf_add(&c->req.body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (c->too_big) {
		http_reply_error(&rep, 413, "request body too large (at most %zu bytes"
		    " on %s)", c->route ? c->route->max_body : (size_t)0, url);
	} else {
		int i;

		for (i = 0; i < HTTP_MAX_PARAMS; i++) {
			free(c->req.params[i]);
			c->req.params[i] = NULL;
		}
		http_dispatch(&c->req, &rep);
	}
	log_debug("http %s %s %s -> %d", c->req.client, method, url, rep.status);
	if (H.observer)
		H.observer(method, c->route ? c->route->pattern : NULL, rep.status);
	ret = http_queue(conn, &rep);
	http_reply_clear(&rep);
	return ret;
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_conn *c = *con_cls;
	int i;

	(void)cls;
	(void)conn;
	(void)toe;
	if (c == NULL)
		return;
	for (i = 0; i < HTTP_MAX_PARAMS; i++)
		free(c->req.params[i]);
	buf_free(&c->req.body);
	free(c);
	*con_cls = NULL;
}

static void
http_ready(int fd, uint32_t events, void *arg)
{
	struct http_daemon *hd = arg;

	(void)fd;
	(void)events;
	MHD_run(hd->d);
}

/* Before each loop wait: let MHD do due work and say how long it may wait. */
static int64_t
http_prepare(void *arg)
{
	int64_t best = -1;
	int i;

	(void)arg;
	for (i = 0; i < H.ndaemons; i++) {
		MHD_UNSIGNED_LONG_LONG t;

		MHD_run(H.daemons[i].d);
		if (MHD_get_timeout(H.daemons[i].d, &t) == MHD_YES)
			if (best < 0 || (int64_t)t < best)
				best = (int64_t)t;
	}
	return best;
}

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("http: %s", msg);
}

int
http_listen(const char *host, int port, char **cause)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct http_daemon *hd;
	const union MHD_DaemonInfo *info;
	int fd, one = 1;

	if (H.ndaemons == (int)ARRAY_SIZE(H.daemons)) {
		*cause = xstrdup("too many listening addresses");
		return -1;
	}
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		*cause = xasprintf("listen: %s is not an IPv4 address", host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 1024) < 0) {
		*cause = xasprintf("listen on %s:%d: %s", host, port, strerror(errno));
		close(fd);
		return -1;
	}
	hd = &H.daemons[H.ndaemons];
	hd->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	    MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, http_access, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)8192,
	    /* farmd ignores SIGPIPE (farmd.c). Without this, libmicrohttpd
	     * (no thread of its own, so it cannot block SIGPIPE itself)
	     * never uses sendfile: files went out as 4 KiB pread + send. */
	    MHD_OPTION_SIGPIPE_HANDLED_BY_APP, (int)1,
	    MHD_OPTION_END);
	if (hd->d == NULL) {
		*cause = xasprintf("could not start the HTTP server on %s:%d", host, port);
		close(fd);
		return -1;
	}
	info = MHD_get_daemon_info(hd->d, MHD_DAEMON_INFO_EPOLL_FD);
	hd->watch = loop_fd_add(info->epoll_fd, EPOLLIN, http_ready, hd);
	H.ndaemons++;
	loop_prepare(http_prepare, NULL);
	log_info("listening on http://%s:%d/", host, port);
	return 0;
}

void
http_add_routes(const struct http_route *routes, size_t n)
{
	if (H.ntables == ARRAY_SIZE(H.tables))
		fatalx("http: too many route tables");
	H.tables[H.ntables].v = routes;
	H.tables[H.ntables].n = n;
	H.ntables++;
}

void
http_set_observer(void (*fn)(const char *, const char *, int))
{
	H.observer = fn;
}

void
http_set_token(const char *token)
{
	free(H.token);
	H.token = token && *token ? xstrdup(token) : NULL;
}

void
http_stop(void)
{
	int i;

	/* MHD must not stop with suspended connections: resume them all. */
	while (http_parked) {
		loop_timer_cancel(http_parked->wake);
		http_stream_wake(http_parked);
	}
	for (i = 0; i < H.ndaemons; i++) {
		loop_fd_del(H.daemons[i].watch);
		MHD_stop_daemon(H.daemons[i].d);
	}
	H.ndaemons = 0;
	H.ntables = 0;
	free(H.token);
	H.token = NULL;
}
