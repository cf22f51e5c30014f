/*
 * post.c - the results POST: the program's cases as JSON, sent to farmd
 * over the firmware's EFI_HTTP_PROTOCOL.
 *
 * When FARM_SERVER, FARM_JOB and FARM_TOKEN are set and FARM_POST is not
 * "0", exit() sends
 *
 *	POST $FARM_SERVER/api/v1/jobs/$FARM_JOB/results
 *	Authorization: Bearer $FARM_TOKEN
 *	{"tests": [...], "summary": {...}, "exit_code": N, "aborted": false}
 *
 * (docs/api.md) before its EXIT: line, so that the POST, which is
 * authoritative, reaches farmd while the job still runs. The HTTP child is
 * configured with the address iPXE got (FARM_IP, FARM_NETMASK) rather than
 * a second DHCP. Everything is polled against one deadline (POST_TIMEOUT_MS
 * for all of it), so a missing server or a dead network costs at most that
 * and never hangs. When something the POST needs is missing (a variable,
 * the firmware's HTTP protocol, boot services) nothing is sent and nothing
 * is printed; a POST that fails prints one "farm: results POST ..." line,
 * which the console protocol does not count.
 */
#include "guest.h"
#include "uefi.h"
#include "efi_http.h"
#include "netprobe.h"

#define POST_TIMEOUT_MS 3000	/* the deadline for all of the POST */
#define HTTP_TIMEOUT_MS 2000	/* HttpDxe's own, for waits inside its calls */
#define POST_MAX_HANDLES 4	/* network interfaces tried */

/* What a request needs, in the forms the protocol takes. */
struct post_req {
	CHAR16 *url;
	EFI_IPv4_ADDRESS ip, netmask;
	bool server_is_ip;	/* server/port known: probe first */
	EFI_IPv4_ADDRESS server;
	UINT16 port;
	EFI_HTTP_HEADER headers[4];
	char *body;
	size_t body_len;
};

/* The HTTP numbers of EFI_HTTP_STATUS_CODE, by index. */
static const unsigned short http_numbers[] = {
	0, 100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303,
	304, 305, 307, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410,
	411, 412, 413, 414, 415, 416, 417, 500, 501, 502, 503, 504, 505, 308,
};

/* The tokens outlive a timed-out wait inside the driver: not on the stack. */
static EFI_HTTP_TOKEN req_token, resp_token;
static EFI_HTTP_MESSAGE req_msg, resp_msg;
static EFI_HTTP_REQUEST_DATA req_data;
static EFI_HTTP_RESPONSE_DATA resp_data;
static char resp_body[512];
static volatile bool req_done, resp_done;

void post_build_body(struct jbuf *jb, int code, bool aborted)
{
	struct report_counts c;

	report_get_counts(&c);
	jbuf_raw(jb, "{\"tests\": [");
	for (size_t i = 0; i < report_ncases(); i++) {
		const struct report_case *rc = report_case(i);

		jbuf_raw(jb, i ? ", {\"name\": " : "{\"name\": ");
		jbuf_string(jb, rc->name);
		jbuf_printf(jb, ", \"status\": \"%s\", \"message\": \"\"}",
		    case_status_name(rc->status));
	}
	jbuf_printf(jb, "], \"summary\": {\"total\": %u, \"failed\": %u, "
	    "\"xfailed\": %u, \"skipped\": %u}, ", c.tests, c.failures,
	    c.xfailures, c.skipped);
	jbuf_printf(jb, "\"exit_code\": %d, \"aborted\": %s}", code,
	    aborted ? "true" : "false");
}

/* The bytes post_build_body() needs, with room to spare. */
static size_t body_size(void)
{
	size_t n = 256;

	for (size_t i = 0; i < report_ncases(); i++)
		n += json_string_size(report_case(i)->name) + 64;
	return n;
}

/* A few words for the EFI statuses a POST meets. */
static const char *status_text(EFI_STATUS st)
{
	static const struct {
		EFI_STATUS st;
		const char *text;
	} texts[] = {
		{ EFI_TIMEOUT, "timeout" },
		{ EFIERR(104), "connection closed" },	/* EFI_CONNECTION_FIN */
		{ EFIERR(105), "connection reset" },	/* EFI_CONNECTION_RESET */
		{ EFIERR(106), "connection refused" },	/* EFI_CONNECTION_REFUSED */
		{ EFI_NO_MAPPING, "no address" },
		{ EFI_NOT_STARTED, "not configured" },
		{ EFI_DEVICE_ERROR, "device error" },
		{ EFI_ACCESS_DENIED, "access denied" },
		{ EFI_UNSUPPORTED, "unsupported" },
		{ EFI_INVALID_PARAMETER, "invalid parameter" },
		{ EFI_OUT_OF_RESOURCES, "out of resources" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		if (texts[i].st == st)
			return texts[i].text;
	}
	return "error";
}

/* Parses a dotted quad; 0 or -1. */
static int parse_ipv4(const char *s, EFI_IPv4_ADDRESS *a)
{
	for (int i = 0; i < 4; i++) {
		char *end;
		unsigned long v;

		if (!isdigit((unsigned char)*s))
			return -1;
		v = strtoul(s, &end, 10);
		if (v > 255 || end - s > 3 || *end != (i < 3 ? '.' : '\0'))
			return -1;
		a->Addr[i] = (UINT8)v;
		s = end + 1;
	}
	return 0;
}

/* Parses "a.b.c.d[:port]" (port 80 when absent); 0 or -1. */
static int parse_host(const char *host, EFI_IPv4_ADDRESS *a, UINT16 *port)
{
	char buf[32];
	const char *colon = strchr(host, ':');
	size_t n = colon ? (size_t)(colon - host) : strlen(host);
	unsigned long p = 80;
	char *end;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (parse_ipv4(buf, a) < 0)
		return -1;
	if (colon) {
		if (!isdigit((unsigned char)colon[1]))
			return -1;
		p = strtoul(colon + 1, &end, 10);
		if (*end || p == 0 || p > 65535)
			return -1;
	}
	*port = (UINT16)p;
	return 0;
}

/* True for a string fit for a header value: printable ASCII, no spaces. */
static bool header_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	}
	return true;
}

/* True for a non-empty string of decimal digits. */
static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
	}
	return true;
}

/* A token's event: marks the bool at ctx. Runs at TPL_CALLBACK. */
static VOID EFIAPI token_signalled(EFI_EVENT event, VOID *ctx)
{
	(void)event;
	*(volatile bool *)ctx = true;
}

/* Polls http until *done or the deadline; EFI_TIMEOUT after cancelling. */
static EFI_STATUS wait_token(EFI_HTTP_PROTOCOL *http, EFI_HTTP_TOKEN *token,
    volatile bool *done, EFI_EVENT deadline)
{
	while (!*done) {
		http->Poll(http);
		if (*done)
			break;
		if (efi_bs->CheckEvent(deadline) == EFI_SUCCESS) {
			http->Cancel(http, token);
			return EFI_TIMEOUT;
		}
	}
	return token->Status;
}

/*
 * One POST through the HTTP service binding on handle. *http_status gets
 * the response's HTTP number (0: none came).
 */
static EFI_STATUS post_on(EFI_HANDLE handle, struct post_req *rq,
    EFI_EVENT deadline, unsigned *http_status)
{
	EFI_GUID sb_guid = EFI_HTTP_SERVICE_BINDING_PROTOCOL_GUID;
	EFI_GUID http_guid = EFI_HTTP_PROTOCOL_GUID;
	EFI_HTTPv4_ACCESS_POINT ap;
	EFI_HTTP_CONFIG_DATA cfg;
	EFI_SERVICE_BINDING *sb;
	EFI_HTTP_PROTOCOL *http;
	EFI_HANDLE child = NULL;
	EFI_STATUS st;

	*http_status = 0;
	if (rq->server_is_ip) {
		st = netprobe_connect(handle, &rq->ip, &rq->netmask, &rq->server,
		    rq->port, deadline);
		if (st != EFI_SUCCESS)
			return st;
	}
	st = efi_bs->HandleProtocol(handle, &sb_guid, (void **)&sb);
	if (st != EFI_SUCCESS)
		return st;
	st = sb->CreateChild(sb, &child);
	if (st != EFI_SUCCESS)
		return st;
	st = efi_bs->HandleProtocol(child, &http_guid, (void **)&http);
	if (st != EFI_SUCCESS)
		goto destroy;

	memset(&ap, 0, sizeof(ap));
	ap.UseDefaultAddress = FALSE;
	ap.LocalAddress = rq->ip;
	ap.LocalSubnet = rq->netmask;
	memset(&cfg, 0, sizeof(cfg));
	cfg.HttpVersion = HttpVersion11;
	cfg.TimeOutMillisec = HTTP_TIMEOUT_MS;
	cfg.LocalAddressIsIPv6 = FALSE;
	cfg.AccessPoint.IPv4Node = &ap;
	st = http->Configure(http, &cfg);
	if (st != EFI_SUCCESS)
		goto destroy;

	req_data.Method = HttpMethodPost;
	req_data.Url = rq->url;
	req_msg.Data.Request = &req_data;
	req_msg.HeaderCount = ARRAY_SIZE(rq->headers);
	req_msg.Headers = rq->headers;
	req_msg.BodyLength = rq->body_len;
	req_msg.Body = rq->body;
	req_token.Message = &req_msg;
	req_token.Status = EFI_NOT_READY;
	req_done = false;
	st = http->Request(http, &req_token);
	if (st == EFI_SUCCESS)
		st = wait_token(http, &req_token, &req_done, deadline);
	if (st != EFI_SUCCESS)
		goto reset;

	memset(&resp_data, 0, sizeof(resp_data));
	memset(&resp_msg, 0, sizeof(resp_msg));
	resp_msg.Data.Response = &resp_data;
	resp_msg.BodyLength = sizeof(resp_body);
	resp_msg.Body = resp_body;
	resp_token.Message = &resp_msg;
	resp_token.Status = EFI_NOT_READY;
	resp_done = false;
	st = http->Response(http, &resp_token);
	if (st == EFI_SUCCESS)
		st = wait_token(http, &resp_token, &resp_done, deadline);
	if (resp_data.StatusCode < ARRAY_SIZE(http_numbers))
		*http_status = http_numbers[resp_data.StatusCode];
	if (resp_msg.Headers)
		efi_bs->FreePool(resp_msg.Headers);
	if (st == EFI_SUCCESS && (*http_status < 200 || *http_status > 299))
		st = EFI_HTTP_ERROR;

reset:
	http->Configure(http, NULL);
destroy:
	sb->DestroyChild(sb, child);
	return st;
}

/* Builds the URL, headers and body of the request; -1 when a variable is unfit. */
static int post_prepare(struct post_req *rq, int code, bool aborted)
{
	const char *server = getenv("FARM_SERVER"), *job = getenv("FARM_JOB");
	const char *token = getenv("FARM_TOKEN"), *ip = getenv("FARM_IP");
	const char *mask = getenv("FARM_NETMASK");
	static char host[128], auth[256], length[24];
	char url[512];
	const char *h, *slash;
	size_t n, size;
	struct jbuf jb;

	if (!ip || !mask || parse_ipv4(ip, &rq->ip) < 0 ||
	    parse_ipv4(mask, &rq->netmask) < 0)
		return -1;
	if (strncmp(server, "http://", 7) != 0 || !header_safe(token))
		return -1;
	if (!all_digits(job))
		return -1;
	h = server + 7;
	slash = strchr(h, '/');
	n = slash ? (size_t)(slash - h) : strlen(h);
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (!header_safe(host))
		return -1;
	rq->server_is_ip = parse_host(host, &rq->server, &rq->port) == 0;

	n = strlen(server);
	while (n > 7 && server[n - 1] == '/')
		n--;
	if ((size_t)snprintf(url, sizeof(url), "%.*s/api/v1/jobs/%s/results",
	    (int)n, server, job) >= sizeof(url))
		return -1;
	size = (strlen(url) + 1) * sizeof(CHAR16);
	rq->url = pool_alloc(size);
	if (!rq->url || utf8_to_utf16(url, strlen(url), rq->url,
	    size / sizeof(CHAR16)) < 0)
		return -1;
	rq->url[strlen(url)] = 0;	/* ASCII: one code unit per byte */

	size = body_size();
	rq->body = pool_alloc(size);
	if (!rq->body)
		return -1;
	jbuf_init(&jb, rq->body, size);
	post_build_body(&jb, code, aborted);
	if (jb.overflow)
		return -1;
	rq->body_len = jb.len;

	if ((size_t)snprintf(auth, sizeof(auth), "Bearer %s", token) >= sizeof(auth))
		return -1;
	snprintf(length, sizeof(length), "%zu", rq->body_len);
	rq->headers[0] = (EFI_HTTP_HEADER){ (CHAR8 *)"Host", (CHAR8 *)host };
	rq->headers[1] = (EFI_HTTP_HEADER){ (CHAR8 *)"Content-Type",
	    (CHAR8 *)"application/json" };
	rq->headers[2] = (EFI_HTTP_HEADER){ (CHAR8 *)"Content-Length",
	    (CHAR8 *)length };
	rq->headers[3] = (EFI_HTTP_HEADER){ (CHAR8 *)"Authorization",
	    (CHAR8 *)auth };
	return 0;
}

void post_results(int code, bool aborted)
{
	EFI_GUID sb_guid = EFI_HTTP_SERVICE_BINDING_PROTOCOL_GUID;
	const char *post = getenv("FARM_POST");
	EFI_HANDLE *handles = NULL;
	EFI_EVENT deadline = NULL;
	struct post_req rq;
	unsigned http_status = 0;
	UINTN nhandles = 0;
	EFI_STATUS st;

	if (!getenv("FARM_SERVER") || !getenv("FARM_JOB") ||
	    !getenv("FARM_TOKEN") || (post && strcmp(post, "0") == 0))
		return;
	if (!efi_boot_services_active())
		return;
	if (efi_bs->LocateHandleBuffer(ByProtocol, &sb_guid, NULL, &nhandles,
	    &handles) != EFI_SUCCESS || nhandles == 0)
		return;
	memset(&rq, 0, sizeof(rq));
	if (!report_cases_complete()) {
		printf("farm: results POST skipped: more than %d cases or names "
		    "too long; the console has them all\n", REPORT_MAX_CASES);
		goto out;
	}
	if (post_prepare(&rq, code, aborted) < 0)
		goto out;

	/* Notify functions run at TPL_CALLBACK, when Poll lowers the TPL. */
	if (efi_bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, token_signalled,
	    (void *)&req_done, &req_token.Event) != EFI_SUCCESS ||
	    efi_bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, token_signalled,
	    (void *)&resp_done, &resp_token.Event) != EFI_SUCCESS ||
	    efi_bs->CreateEvent(EVT_TIMER, 0, NULL, NULL, &deadline) != EFI_SUCCESS ||
	    efi_bs->SetTimer(deadline, TimerRelative,
	    POST_TIMEOUT_MS * 10000ull) != EFI_SUCCESS) {
		printf("farm: results POST failed: no events\n");
		goto out;
	}

	st = EFI_NOT_FOUND;
	for (UINTN i = 0; i < nhandles && i < POST_MAX_HANDLES; i++) {
		st = post_on(handles[i], &rq, deadline, &http_status);
		if (st == EFI_SUCCESS || http_status != 0 || st == EFI_TIMEOUT)
			break;
	}
	if (st == EFI_SUCCESS)
		printf("farm: results POST: HTTP %u\n", http_status);
	else if (http_status)
		printf("farm: results POST failed: HTTP %u\n", http_status);
	else
		printf("farm: results POST failed: %s (EFI status %#lx)\n",
		    status_text(st), (unsigned long)st);

out:
	if (deadline)
		efi_bs->CloseEvent(deadline);
	if (req_token.Event)
		efi_bs->CloseEvent(req_token.Event);
	if (resp_token.Event)
		efi_bs->CloseEvent(resp_token.Event);
	req_token.Event = resp_token.Event = NULL;
	pool_free(rq.url);
	pool_free(rq.body);
	efi_bs->FreePool(handles);
}
