/*
 * farmboot_net.c - farmboot.efi's network: which interface, its MAC and
 * IPv4 address, and HTTP GETs over the firmware's EFI_HTTP_PROTOCOL.
 *
 * The interface is the one the loader was booted from (LocateDevicePath
 * for SNP on the loaded image's device), else the first handle with SNP
 * and the HTTP service binding. Its address is what EFI_IP4_CONFIG2 says;
 * an interface without one is asked to run DHCP, bounded. (OVMF's HTTP
 * boot keeps the address it got to its own DHCP child, so after an HTTP
 * boot this is a second DHCP, which the same server answers with the same
 * lease.) Every GET is bounded as a
 * whole by one timer: first a TCP connect through netprobe (HttpDxe's own
 * connect waits for TCP to give up, 75 s), then the request and each
 * piece of the answer polled against the same deadline, cancelled when it
 * fires. The answer must carry Content-Length (farmd's and the stand-in
 * server's do): the body is read into one pool buffer of that size.
 */
#include "farmboot.h"
#include "uefi.h"
#include "efi_http.h"
#include "netprobe.h"

/* EFI_IP4_CONFIG2_PROTOCOL (UEFI 2.5+), which gnu-efi does not declare. */
#define FB_IP4_CONFIG2_GUID						\
	{ 0x5b446ed1, 0xe30b, 0x4faa,					\
	  { 0x87, 0x1a, 0x36, 0x54, 0xec, 0xa3, 0x60, 0x80 } }

enum { IP4C2_INTERFACE_INFO, IP4C2_POLICY };
enum { IP4C2_POLICY_STATIC, IP4C2_POLICY_DHCP };

struct ip4c2_info {
	CHAR16 Name[32];
	UINT8 IfType;
	UINT32 HwAddressSize;
	EFI_MAC_ADDRESS HwAddress;
	EFI_IPv4_ADDRESS StationAddress;
	EFI_IPv4_ADDRESS SubnetMask;
	UINT32 RouteTableSize;
	EFI_IP4_ROUTE_TABLE *RouteTable;
};

struct ip4c2 {
	EFI_STATUS (EFIAPI *SetData)(struct ip4c2 *This, UINT32 DataType,
	    UINTN DataSize, VOID *Data);
	EFI_STATUS (EFIAPI *GetData)(struct ip4c2 *This, UINT32 DataType,
	    UINTN *DataSize, VOID *Data);
	VOID *RegisterDataNotify;
	VOID *UnregisterDataNotify;
};

#define HTTP_TIMEOUT_MS 5000	/* HttpDxe's own, for waits inside its calls */

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
static volatile bool req_done, resp_done;

const char *fb_net_status_text(EFI_STATUS st)
{
	static const struct {
		EFI_STATUS st;
		const char *text;
	} texts[] = {
		{ EFI_TIMEOUT, "timeout" },
		{ EFIERR(104), "connection closed" },
		{ EFIERR(105), "connection reset" },
		{ EFIERR(106), "connection refused" },
		{ EFI_NO_MAPPING, "no address" },
		{ EFI_NOT_STARTED, "not configured" },
		{ EFI_DEVICE_ERROR, "device error" },
		{ EFI_NOT_FOUND, "not found" },
		{ EFI_UNSUPPORTED, "unsupported" },
		{ EFI_INVALID_PARAMETER, "invalid parameter" },
		{ EFI_OUT_OF_RESOURCES, "out of resources" },
		{ EFI_BAD_BUFFER_SIZE, "answer too big or without Content-Length" },
		{ EFI_HTTP_ERROR, "HTTP error" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		if (texts[i].st == st)
			return texts[i].text;
	}
	return "error";
}

/* True when handle has the protocol. */
static bool has(EFI_HANDLE handle, EFI_GUID guid)
{
	void *p;

	return efi_bs->HandleProtocol(handle, &guid, &p) == EFI_SUCCESS;
}

/* The interface under device's path, else the first with SNP and HTTP. */
static EFI_HANDLE find_nic(EFI_HANDLE device)
{
	EFI_GUID snp_guid = EFI_SIMPLE_NETWORK_PROTOCOL_GUID;
	EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
	EFI_GUID http_sb = EFI_HTTP_SERVICE_BINDING_PROTOCOL_GUID;
	EFI_DEVICE_PATH *dp;
	EFI_HANDLE nic = NULL, *handles = NULL;
	UINTN n = 0;

	if (device && efi_bs->HandleProtocol(device, &dp_guid,
	    (void **)&dp) == EFI_SUCCESS &&
	    efi_bs->LocateDevicePath(&snp_guid, &dp, &nic) == EFI_SUCCESS &&
	    has(nic, http_sb))
		return nic;
	nic = NULL;
	if (efi_bs->LocateHandleBuffer(ByProtocol, &snp_guid, NULL, &n,
	    &handles) != EFI_SUCCESS)
		return NULL;
	for (UINTN i = 0; i < n && !nic; i++) {
		if (has(handles[i], http_sb))
			nic = handles[i];
	}
	efi_bs->FreePool(handles);
	return nic;
}

static bool zero_ip(const EFI_IPv4_ADDRESS *a)
{
	return !a->Addr[0] && !a->Addr[1] && !a->Addr[2] && !a->Addr[3];
}

/* Reads the interface's address and default gateway; EFI_NO_MAPPING: none. */
static EFI_STATUS read_address(struct ip4c2 *cfg, struct fb_net *net)
{
	struct ip4c2_info *info = NULL;
	UINTN size = 0;
	EFI_STATUS st;

	/* The info grows when DHCP completes between the size query and the
	 * read (routes are added): ask again with the new size. */
	for (int tries = 0; tries < 4; tries++) {
		st = cfg->GetData(cfg, IP4C2_INTERFACE_INFO, &size, info);
		if (st != EFI_BUFFER_TOO_SMALL)
			break;
		if (info)
			efi_bs->FreePool(info);
		info = NULL;
		if (efi_bs->AllocatePool(EfiLoaderData, size, (void **)&info) != EFI_SUCCESS)
			return EFI_OUT_OF_RESOURCES;
	}
	if (info == NULL)
		return st == EFI_SUCCESS ? EFI_NO_MAPPING : st;
	if (st == EFI_SUCCESS && zero_ip(&info->StationAddress))
		st = EFI_NO_MAPPING;
	if (st == EFI_SUCCESS) {
		net->ip = info->StationAddress;
		net->netmask = info->SubnetMask;
		net->have_gateway = false;
		for (UINT32 i = 0; i < info->RouteTableSize; i++) {
			EFI_IP4_ROUTE_TABLE *r = &info->RouteTable[i];

			if (zero_ip(&r->SubnetAddress) && zero_ip(&r->SubnetMask) &&
			    !zero_ip(&r->GatewayAddress)) {
				net->gateway = r->GatewayAddress;
				net->have_gateway = true;
			}
		}
	}
	efi_bs->FreePool(info);
	return st == EFI_BUFFER_TOO_SMALL ? EFI_NO_MAPPING : st;
}

/*
 * The interface's address; when it has none, switches EFI_IP4_CONFIG2 to
 * DHCP (through static, so that the change starts DHCP even when DHCP was
 * the policy already) and waits for an address up to dhcp_ms.
 */
static EFI_STATUS get_address(struct fb_net *net, unsigned dhcp_ms)
{
	EFI_GUID guid = FB_IP4_CONFIG2_GUID;
	struct ip4c2 *cfg;
	UINT32 policy;
	EFI_STATUS st;

	st = efi_bs->HandleProtocol(net->nic, &guid, (void **)&cfg);
	if (st != EFI_SUCCESS)
		return st;
	st = read_address(cfg, net);
	if (st != EFI_NO_MAPPING)
		return st;
	fb_say("no IPv4 address yet: DHCP");
	policy = IP4C2_POLICY_STATIC;
	cfg->SetData(cfg, IP4C2_POLICY, sizeof(policy), &policy);
	policy = IP4C2_POLICY_DHCP;
	st = cfg->SetData(cfg, IP4C2_POLICY, sizeof(policy), &policy);
	if (st != EFI_SUCCESS && st != EFI_NOT_READY)
		return st;
	for (unsigned waited = 0; waited < dhcp_ms; waited += 100) {
		efi_bs->Stall(100 * 1000);
		st = read_address(cfg, net);
		if (st != EFI_NO_MAPPING)
			return st;
	}
	return EFI_TIMEOUT;
}

EFI_STATUS fb_net_open(EFI_HANDLE device, struct fb_net *net,
    unsigned dhcp_ms)
{
	EFI_GUID snp_guid = EFI_SIMPLE_NETWORK_PROTOCOL_GUID;
	EFI_SIMPLE_NETWORK *snp;
	EFI_STATUS st;
	UINT32 n;
	size_t len = 0;

	memset(net, 0, sizeof(*net));
	net->nic = find_nic(device);
	if (!net->nic)
		return EFI_NOT_FOUND;
	st = efi_bs->HandleProtocol(net->nic, &snp_guid, (void **)&snp);
	if (st != EFI_SUCCESS)
		return st;
	n = snp->Mode->HwAddressSize;
	if (n == 0 || n > 32)
		n = 6;
	for (UINT32 i = 0; i < n; i++)
		len += (size_t)snprintf(net->mac + len, sizeof(net->mac) - len,
		    i ? "-%02x" : "%02x", snp->Mode->CurrentAddress.Addr[i]);
	return get_address(net, dhcp_ms);
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

/* Parses "a.b.c.d[:port]" (port 80 when absent); 0 or -1. */
static int parse_host(const char *host, EFI_IPv4_ADDRESS *a, UINT16 *port)
{
	unsigned long v, p = 80;
	char *end;

	for (int i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*host))
			return -1;
		v = strtoul(host, &end, 10);
		if (v > 255 || (i < 3 && *end != '.'))
			return -1;
		a->Addr[i] = (UINT8)v;
		host = i < 3 ? end + 1 : end;
	}
	if (*host == ':') {
		p = strtoul(host + 1, &end, 10);
		if (*end || p == 0 || p > 65535)
			return -1;
	} else if (*host) {
		return -1;
	}
	*port = (UINT16)p;
	return 0;
}

/* The value of header name (any case) among headers, or NULL. */
static const char *header(const EFI_HTTP_MESSAGE *m, const char *name)
{
	for (UINTN i = 0; i < m->HeaderCount; i++) {
		const char *f = (const char *)m->Headers[i].FieldName;
		size_t k;

		for (k = 0; f[k] && name[k] &&
		    tolower((unsigned char)f[k]) == tolower((unsigned char)name[k]);
		    k++)
			;
		if (!f[k] && !name[k])
			return (const char *)m->Headers[i].FieldValue;
	}
	return NULL;
}

/* One GET through HTTP child of nic, against deadline. */
static EFI_STATUS get_on(struct fb_net *net, CHAR16 *url16, char *host,
    EFI_EVENT deadline, size_t max, char **body, size_t *len,
    unsigned *http_status)
{
	EFI_GUID sb_guid = EFI_HTTP_SERVICE_BINDING_PROTOCOL_GUID;
	EFI_GUID http_guid = EFI_HTTP_PROTOCOL_GUID;
	EFI_HTTP_HEADER headers[2] = {
		{ (CHAR8 *)"Host", (CHAR8 *)host },
		{ (CHAR8 *)"Accept", (CHAR8 *)"*/*" },
	};
	EFI_HTTPv4_ACCESS_POINT ap;
	EFI_HTTP_CONFIG_DATA cfg;
	EFI_SERVICE_BINDING *sb;
	EFI_HTTP_PROTOCOL *http;
	EFI_HANDLE child = NULL;
	EFI_IPv4_ADDRESS server;
	const char *cl;
	char *buf = NULL, *end;
	unsigned long long total = 0;
	size_t got = 0;
	UINT16 port;
	EFI_STATUS st;

	if (parse_host(host, &server, &port) == 0) {
		st = netprobe_connect(net->nic, &net->ip, &net->netmask, &server,
		    port, deadline);
		if (st != EFI_SUCCESS)
			return st;
	}
	st = efi_bs->HandleProtocol(net->nic, &sb_guid, (void **)&sb);
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
	ap.LocalAddress = net->ip;
	ap.LocalSubnet = net->netmask;
	memset(&cfg, 0, sizeof(cfg));
	cfg.HttpVersion = HttpVersion11;
	cfg.TimeOutMillisec = HTTP_TIMEOUT_MS;
	cfg.AccessPoint.IPv4Node = &ap;
	st = http->Configure(http, &cfg);
	if (st != EFI_SUCCESS)
		goto destroy;

	req_data.Method = HttpMethodGet;
	req_data.Url = url16;
	memset(&req_msg, 0, sizeof(req_msg));
	req_msg.Data.Request = &req_data;
	req_msg.HeaderCount = ARRAY_SIZE(headers);
	req_msg.Headers = headers;
	req_token.Message = &req_msg;
	req_token.Status = EFI_NOT_READY;
	req_done = false;
	st = http->Request(http, &req_token);
	if (st == EFI_SUCCESS)
		st = wait_token(http, &req_token, &req_done, deadline);
	if (st != EFI_SUCCESS)
		goto reset;

	/* The status line and headers first, no body. */
	memset(&resp_data, 0, sizeof(resp_data));
	memset(&resp_msg, 0, sizeof(resp_msg));
	resp_msg.Data.Response = &resp_data;
	resp_token.Message = &resp_msg;
	resp_token.Status = EFI_NOT_READY;
	resp_done = false;
	st = http->Response(http, &resp_token);
	if (st == EFI_SUCCESS)
		st = wait_token(http, &resp_token, &resp_done, deadline);
	if (resp_data.StatusCode < ARRAY_SIZE(http_numbers))
		*http_status = http_numbers[resp_data.StatusCode];
	if (st != EFI_SUCCESS)
		goto reset;
	cl = header(&resp_msg, "Content-Length");
	if (cl && isdigit((unsigned char)*cl))
		total = strtoull(cl, &end, 10);
	if (!cl || !isdigit((unsigned char)*cl) || *end || total > max) {
		st = EFI_BAD_BUFFER_SIZE;
		goto reset;
	}
	if (efi_bs->AllocatePool(EfiLoaderData, (UINTN)total + 1,
	    (void **)&buf) != EFI_SUCCESS) {
		st = EFI_OUT_OF_RESOURCES;
		goto reset;
	}
	while (got < total) {
		if (resp_msg.Headers)
			efi_bs->FreePool(resp_msg.Headers);
		memset(&resp_msg, 0, sizeof(resp_msg));
		resp_msg.BodyLength = (UINTN)total - got;
		resp_msg.Body = buf + got;
		resp_token.Status = EFI_NOT_READY;
		resp_done = false;
		st = http->Response(http, &resp_token);
		if (st == EFI_SUCCESS)
			st = wait_token(http, &resp_token, &resp_done, deadline);
		if (st != EFI_SUCCESS)
			goto reset;
		got += resp_msg.BodyLength;
	}
	buf[got] = '\0';
	if (*http_status < 200 || *http_status > 299)
		st = EFI_HTTP_ERROR;

reset:
	if (resp_msg.Headers)
		efi_bs->FreePool(resp_msg.Headers);
	resp_msg.Headers = NULL;
	http->Configure(http, NULL);
destroy:
	sb->DestroyChild(sb, child);
	if (st == EFI_SUCCESS) {
		*body = buf;
		*len = got;
	} else if (buf) {
		efi_bs->FreePool(buf);
	}
	return st;
}

EFI_STATUS fb_net_get(struct fb_net *net, const char *url,
    unsigned timeout_ms, size_t max, char **body, size_t *len,
    unsigned *http_status)
{
	static char host[256];
	static CHAR16 url16[FB_URL_MAX];
	EFI_EVENT deadline = NULL;
	const char *h, *slash;
	size_t n = strlen(url);
	EFI_STATUS st;

	*body = NULL;
	*len = 0;
	*http_status = 0;
	if (n >= FB_URL_MAX || strncmp(url, "http://", 7) != 0)
		return EFI_INVALID_PARAMETER;
	h = url + 7;
	slash = strchr(h, '/');
	n = slash ? (size_t)(slash - h) : strlen(h);
	if (n == 0 || n >= sizeof(host))
		return EFI_INVALID_PARAMETER;
	memcpy(host, h, n);
	host[n] = '\0';
	for (n = 0; url[n]; n++)
		url16[n] = (CHAR16)(unsigned char)url[n];	/* ASCII */
	url16[n] = 0;

	if (efi_bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, token_signalled,
	    (void *)&req_done, &req_token.Event) != EFI_SUCCESS ||
	    efi_bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, token_signalled,
	    (void *)&resp_done, &resp_token.Event) != EFI_SUCCESS ||
	    efi_bs->CreateEvent(EVT_TIMER, 0, NULL, NULL, &deadline) != EFI_SUCCESS ||
	    efi_bs->SetTimer(deadline, TimerRelative,
	    timeout_ms * 10000ull) != EFI_SUCCESS)
		st = EFI_OUT_OF_RESOURCES;
	else
		st = get_on(net, url16, host, deadline, max, body, len,
		    http_status);
	if (deadline)
		efi_bs->CloseEvent(deadline);
	if (req_token.Event)
		efi_bs->CloseEvent(req_token.Event);
	if (resp_token.Event)
		efi_bs->CloseEvent(resp_token.Event);
	req_token.Event = resp_token.Event = NULL;
	return st;
}
