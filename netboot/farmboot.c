/*
 * farmboot.c - farm's own UEFI HTTP loader, for firmware without iPXE
 * (DESIGN.md, boot contract step 4).
 *
 *	farmboot.efi [http://SERVER[:PORT]]
 *
 * The server is the URL in LoadOptions when one is given, else the scheme,
 * host and port of the URI the firmware HTTP-booted this image from (the
 * URI node of its device path), else, when the firmware's PXE loaded it
 * over TFTP, the URL in DHCP option 224 of the answer PXE got (farm's
 * dnsmasq sends it), else the URL farmd wrote into the copy its TFTP
 * server gives (embedded_url). The loader then loops:
 *
 *	GET <server>/farmboot/<mac>        -> a script (farmboot_script.c)
 *	  idle     return to the firmware (its next boot option)
 *	  poll N   wait N seconds, ask again
 *	  job      clear the farm's EFI variables and set the script's (plus
 *	           FARM_IP, FARM_NETMASK, FARM_GATEWAY: the address this
 *	           loader uses); fetch the DTB and install it as the
 *	           device-tree configuration table; fetch the app,
 *	           LoadImage it from memory and StartImage it with
 *	           "<name> <arg>..." as LoadOptions. With a DTB, the app's
 *	           device is a read-only volume (farmboot_fs.c) holding the
 *	           DTB as the file the script's `fdtfile` names, as iPXE's
 *	           is; it is removed when the app returns. Then
 *	GET <done>&rc=<hex EFI status>     -> the next script
 *
 * A script that does not parse, or a step of the job that fails, is
 * reported on the console ("farmboot: line N: ..." / "farmboot: job N:
 * ...") and to the done URL with "&stage=setup". When no answer comes,
 * the loader asks <server>/farmboot/<mac> again after RETRY_S seconds, up
 * to RETRY_MAX times in a row, then returns to the firmware. Every GET is
 * bounded (farmboot_net.c). One line per step goes to ConOut, which the
 * firmware copies to the serial console.
 *
 * The variables follow setvar.efi's rules: UTF-16LE without a NUL,
 * volatile, boot-service and runtime access, the farm's GUID; an empty
 * value is one NUL code unit.
 */
#include "farmboot.h"
#include "conout.h"
#include "efivars.h"
#include "farmboot_fs.h"
#include "uefi.h"

#define SCRIPT_MAX	(64 * 1024)
#define APP_MAX		(64 * 1024 * 1024)
#define DTB_MAX		(2 * 1024 * 1024)
#define SCRIPT_MS	10000		/* the deadline of a script GET */
#define FILE_MS		120000		/* of an app or DTB GET */
#define DHCP_MS		15000
#define RETRY_S		3
#define RETRY_MAX	5
#define DELETE_MAX	1024
#define FDT_MAGIC	0xd00dfeed
#define FB_SERVER_OPTION 224	/* controller/dnsmasq.h DNSMASQ_SERVER_OPTION */
#define DTB_FILE	"farm.dtb"	/* controller/boot.c BOOT_DTB_NAME */

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

/*
 * The guest library's globals (efi.c), defined here so that the library's
 * own efi_main() is not linked in: netprobe.c reads efi_bs.
 */
EFI_HANDLE efi_image_handle;
EFI_SYSTEM_TABLE *efi_system_table;
EFI_BOOT_SERVICES *efi_bs;
EFI_RUNTIME_SERVICES *efi_rs;
EFI_LOADED_IMAGE *efi_loaded_image;

static EFI_GUID farm_guid = FARM_VAR_GUID_INIT;

/* What one pass of the loop reports to done. */
struct outcome {
	EFI_STATUS rc;
	bool setup;		/* the job never started: &stage=setup */
};

void fb_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conout_vsay(efi_system_table->ConOut, "farmboot", fmt, ap);
	va_end(ap);
}

/* Keeps "scheme://host[:port]" of url in out[size]; 0 or -1. */
static int url_base(const char *url, char *out, size_t size)
{
	const char *h = strstr(url, "://"), *end;
	size_t n;

	if (!h || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return -1;
	end = strchr(h + 3, '/');
	n = end ? (size_t)(end - url) : strlen(url);
	if (n == (size_t)(h + 3 - url) || n >= size)
		return -1;
	memcpy(out, url, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (out[i] <= ' ' || out[i] >= 0x7f)
			return -1;
	}
	return 0;
}

/* The server from LoadOptions ("farmboot.efi http://..."); 0 or -1. */
static int server_from_options(char *out, size_t size)
{
	EFI_LOADED_IMAGE *li = efi_loaded_image;
	char line[FB_URL_MAX], *argv[8];
	int argc;

	if (!li->LoadOptions || li->LoadOptionsSize < sizeof(CHAR16))
		return -1;
	utf16_to_utf8(li->LoadOptions, li->LoadOptionsSize / sizeof(CHAR16),
	    line, sizeof(line));
	argc = args_split(line, argv, ARRAY_SIZE(argv));
	for (int i = 0; i < argc; i++) {
		if (strstr(argv[i], "://"))
			return url_base(argv[i], out, size);
	}
	return -1;
}

/* The server from the URI node of a device path; 0 or -1. */
static int server_from_path(EFI_DEVICE_PATH *dp, char *out, size_t size)
{
	char uri[FB_URL_MAX];

	for (; dp && !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp)) {
		size_t n = DevicePathNodeLength(dp);

		if (DevicePathType(dp) != MESSAGING_DEVICE_PATH ||
		    DevicePathSubType(dp) != MSG_URI_DP || n <= 4)
			continue;
		n -= 4;
		if (n >= sizeof(uri))
			return -1;
		memcpy(uri, (char *)dp + 4, n);
		uri[n] = '\0';
		return url_base(uri, out, size);
	}
	return -1;
}

/*
 * Room for farmd's URL in the image itself: the copies of farmboot.efi
 * that farmd's TFTP folder holds have it written after the marker
 * (controller/lab.c, lab_farmboot_copy), for firmware PXE beside a DHCP
 * server that cannot send option 224 (ProxyDHCP, a lab's own server).
 * volatile: the compiler must read it, not fold the marker in.
 */
#define URL_MARKER	"#farmboot-server-url#"
#define URL_ROOM	256
static volatile char embedded_url[URL_ROOM] = URL_MARKER;

static int server_from_image(char *out, size_t size)
{
	char url[URL_ROOM];
	size_t m = sizeof(URL_MARKER) - 1, n = 0;

	while (m + n < URL_ROOM - 1 && embedded_url[m + n] != '\0') {
		url[n] = embedded_url[m + n];
		n++;
	}
	url[n] = '\0';
	if (n == 0 || strncmp(url, "http://", 7) != 0)
		return -1;
	return url_base(url, out, size);
}

/* Loaded over TFTP by the firmware's PXE: the server in DHCP option 224
 * of the answer PXE kept (farm's dnsmasq sends farmd's URL there). */
static int server_from_pxe(char *out, size_t size)
{
	EFI_GUID pxe_guid = EFI_PXE_BASE_CODE_PROTOCOL_GUID;
	EFI_PXE_BASE_CODE_PROTOCOL *pxe;
	char url[FB_URL_MAX];

	if (!efi_loaded_image->DeviceHandle ||
	    efi_bs->HandleProtocol(efi_loaded_image->DeviceHandle, &pxe_guid,
	    (void **)&pxe) != EFI_SUCCESS || !pxe->Mode ||
	    !pxe->Mode->DhcpAckReceived)
		return -1;
	if (fb_dhcp_option(pxe->Mode->DhcpAck.Raw, sizeof(pxe->Mode->DhcpAck.Raw),
	    FB_SERVER_OPTION, url, sizeof(url)) < 0)
		return -1;
	return url_base(url, out, size);
}

/* Where the loader came from: LoadOptions, else its device path's URI
 * (UEFI HTTP boot), else the DHCP answer of a PXE/TFTP boot. */
static int find_server(char *out, size_t size)
{
	EFI_GUID dp_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
	EFI_DEVICE_PATH *dp;

	if (server_from_options(out, size) == 0)
		return 0;
	if (efi_loaded_image->DeviceHandle &&
	    efi_bs->HandleProtocol(efi_loaded_image->DeviceHandle, &dp_guid,
	    (void **)&dp) == EFI_SUCCESS && server_from_path(dp, out, size) == 0)
		return 0;
	if (server_from_path(efi_loaded_image->FilePath, out, size) == 0)
		return 0;
	if (server_from_pxe(out, size) == 0)
		return 0;
	return server_from_image(out, size);
}

/* Sets one variable as setvar.efi would. */
static EFI_STATUS var_set(const char *name, const char *value)
{
	const UINT32 attrs = EFI_VARIABLE_BOOTSERVICE_ACCESS |
	    EFI_VARIABLE_RUNTIME_ACCESS;
	CHAR16 wname[130], *wvalue;
	size_t nlen = strlen(name);
	long units = utf8_to_utf16(value, strlen(value), NULL, 0);
	EFI_STATUS s;

	if (nlen >= ARRAY_SIZE(wname) || units < 0)
		return EFI_INVALID_PARAMETER;
	utf8_to_utf16(name, nlen, wname, nlen);
	wname[nlen] = 0;
	wvalue = pool_alloc((size_t)(units ? units : 1) * sizeof(CHAR16));
	if (!wvalue)
		return EFI_OUT_OF_RESOURCES;
	wvalue[0] = 0;
	utf8_to_utf16(value, strlen(value), wvalue, (size_t)units);
	/* A non-volatile variable of the name would refuse new attributes. */
	efi_rs->SetVariable(wname, &farm_guid, 0, 0, NULL);
	s = efi_rs->SetVariable(wname, &farm_guid, attrs,
	    (size_t)(units ? units : 1) * sizeof(CHAR16), wvalue);
	pool_free(wvalue);
	return s;
}

static void ip_text(const EFI_IPv4_ADDRESS *a, char *out, size_t size)
{
	snprintf(out, size, "%u.%u.%u.%u", a->Addr[0], a->Addr[1], a->Addr[2],
	    a->Addr[3]);
}

/* The job's variables: ours first, so that the script's win. */
static EFI_STATUS job_vars(const struct fb_script *s, const struct fb_net *net)
{
	char ip[16], mask[16], gw[16];
	EFI_STATUS st;

	st = efivars_clear(efi_bs, efi_rs, &farm_guid, DELETE_MAX);
	if (st != EFI_SUCCESS) {
		fb_say("job %lu: cannot delete the old variables: %#lx", s->job,
		    (unsigned long)st);
		return st;
	}
	ip_text(&net->ip, ip, sizeof(ip));
	ip_text(&net->netmask, mask, sizeof(mask));
	ip_text(&net->gateway, gw, sizeof(gw));
	st = var_set("FARM_IP", ip);
	if (st == EFI_SUCCESS)
		st = var_set("FARM_NETMASK", mask);
	if (st == EFI_SUCCESS && net->have_gateway)
		st = var_set("FARM_GATEWAY", gw);
	for (int i = 0; i < s->nvars && st == EFI_SUCCESS; i++) {
		st = var_set(s->vars[i].name, s->vars[i].value);
		if (st != EFI_SUCCESS)
			fb_say("job %lu: var %s: SetVariable: %#lx", s->job,
			    s->vars[i].name, (unsigned long)st);
	}
	if (st == EFI_SUCCESS)
		fb_say("job %lu: %d variables set (FARM_IP %s)", s->job,
		    s->nvars, ip);
	return st;
}

/* A big-endian 32-bit number at p. */
static UINT32 be32(const void *p)
{
	const UINT8 *b = p;

	return (UINT32)b[0] << 24 | (UINT32)b[1] << 16 | (UINT32)b[2] << 8 | b[3];
}

/*
 * Fetches the DTB and installs a copy as the device-tree configuration
 * table, in EfiACPIReclaimMemory pages (the memory type the specification
 * asks for). The pages of the DTB an earlier job installed are freed. On
 * success *dtb (pool memory the caller frees) and *dtb_len are the DTB as
 * fetched, for the app's volume: what the app may do to the table does not
 * change the file.
 */
static EFI_STATUS job_dtb(const struct fb_script *s, struct fb_net *net,
    char **dtb, size_t *dtb_len)
{
	static EFI_PHYSICAL_ADDRESS prev;
	static UINTN prev_pages;
	EFI_GUID dtb_guid = { 0xb1b621d5, 0xf19c, 0x41a5,
	    { 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0 } };
	EFI_PHYSICAL_ADDRESS addr;
	unsigned http;
	char *body;
	size_t len;
	UINTN pages;
	EFI_STATUS st;

	fb_say("job %lu: dtb %s", s->job, s->dtb);
	st = fb_net_get(net, s->dtb, FILE_MS, DTB_MAX, &body, &len, &http);
	if (st != EFI_SUCCESS) {
		fb_say("job %lu: dtb: %s (HTTP %u, EFI status %#lx)", s->job,
		    fb_net_status_text(st), http, (unsigned long)st);
		return st;
	}
	if (len < 40 || be32(body) != FDT_MAGIC || be32(body + 4) > len) {
		fb_say("job %lu: dtb: not a flattened device tree (%zu bytes)",
		    s->job, len);
		pool_free(body);
		return EFI_LOAD_ERROR;
	}
	pages = (len + 4095) / 4096;
	st = efi_bs->AllocatePages(AllocateAnyPages, EfiACPIReclaimMemory, pages,
	    &addr);
	if (st == EFI_SUCCESS) {
		memcpy((void *)(UINTN)addr, body, len);
		st = efi_bs->InstallConfigurationTable(&dtb_guid,
		    (void *)(UINTN)addr);
		if (st != EFI_SUCCESS)
			efi_bs->FreePages(addr, pages);
	}
	if (st != EFI_SUCCESS) {
		fb_say("job %lu: dtb: cannot install it: %#lx", s->job,
		    (unsigned long)st);
		pool_free(body);
		return st;
	}
	if (prev)
		efi_bs->FreePages(prev, prev_pages);
	prev = addr;
	prev_pages = pages;
	fb_say("job %lu: dtb installed (%zu bytes)", s->job, len);
	*dtb = body;
	*dtb_len = len;
	return EFI_SUCCESS;
}

/* The name of the DTB's file: the script's fdtfile (the last one set
 * wins), as iPXE names the image; farm.dtb when it sets none. */
static const char *dtb_file_name(const struct fb_script *s)
{
	const char *name = DTB_FILE;

	for (int i = 0; i < s->nvars; i++) {
		if (strcmp(s->vars[i].name, "fdtfile") == 0)
			name = s->vars[i].value;
	}
	return name;
}

/*
 * Puts dtb[len] on a volume of its own (farmboot_fs.c) as the file
 * fdtfile names, for apps that open it on their device as under iPXE.
 * *path is the device path LoadImage gets (pool memory the caller frees);
 * *fs goes to volume_close() once the app has returned.
 */
static EFI_STATUS job_volume(const struct fb_script *s, const char *dtb,
    size_t len, struct fb_fs **fs, EFI_DEVICE_PATH **path)
{
	const char *name = dtb_file_name(s);
	EFI_STATUS st;

	st = fb_fs_open(name, dtb, len, s->job, fs);
	if (st != EFI_SUCCESS) {
		fb_say("job %lu: dtb: cannot make it the file '%.64s'%s: %#lx",
		    s->job, name, st == EFI_INVALID_PARAMETER ?
		    " (not a plain file name)" : "", (unsigned long)st);
		return st;
	}
	*path = fb_fs_image_path(*fs, s->app_name);
	if (!*path) {
		fb_say("job %lu: dtb: no memory for the app's device path",
		    s->job);
		fb_fs_close(*fs);
		*fs = NULL;
		return EFI_OUT_OF_RESOURCES;
	}
	fb_say("job %lu: dtb is file %s on the app's device", s->job, name);
	return EFI_SUCCESS;
}

/* Removes the app's volume; one that the firmware keeps is left as it is
 * (its memory too: the firmware still points at it). */
static void volume_close(const struct fb_script *s, struct fb_fs *fs)
{
	EFI_STATUS st = fb_fs_close(fs);

	if (st != EFI_SUCCESS)
		fb_say("job %lu: cannot remove the DTB's volume: %#lx", s->job,
		    (unsigned long)st);
}

/* "<name> <arg>..." as UTF-16 with its NUL, in pool memory; NULL if none. */
static CHAR16 *load_options(const struct fb_script *s, UINT32 *size)
{
	size_t n = strlen(s->app_name) + 1, k;
	char *line;
	long units;
	CHAR16 *w = NULL;

	for (int i = 0; i < s->nargs; i++)
		n += strlen(s->args[i]) + 1;
	line = pool_alloc(n);
	if (!line)
		return NULL;
	k = (size_t)snprintf(line, n, "%s", s->app_name);
	for (int i = 0; i < s->nargs; i++)
		k += (size_t)snprintf(line + k, n - k, " %s", s->args[i]);
	units = utf8_to_utf16(line, k, NULL, 0);
	if (units >= 0)
		w = pool_alloc(((size_t)units + 1) * sizeof(CHAR16));
	if (w) {
		utf8_to_utf16(line, k, w, (size_t)units);
		w[units] = 0;
		*size = (UINT32)(((size_t)units + 1) * sizeof(CHAR16));
	}
	pool_free(line);
	return w;
}

/*
 * Fetches, loads and starts the app; fills *o. With a DTB (dtb[dtb_len],
 * NULL when the job has none) the app is loaded from the volume's device
 * path, so that its LoadedImage->DeviceHandle is the volume.
 */
static void job_app(const struct fb_script *s, struct fb_net *net,
    const char *dtb, size_t dtb_len, struct outcome *o)
{
	EFI_GUID li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *li;
	EFI_HANDLE child = NULL;
	EFI_DEVICE_PATH *path = NULL;
	struct fb_fs *fs = NULL;
	CHAR16 *options = NULL;
	UINT32 opt_size = 0;
	unsigned http;
	char *body = NULL;
	size_t len;
	EFI_STATUS st;

	o->setup = true;
	fb_say("job %lu: app %s", s->job, s->app);
	st = fb_net_get(net, s->app, FILE_MS, APP_MAX, &body, &len, &http);
	if (st != EFI_SUCCESS) {
		fb_say("job %lu: app: %s (HTTP %u, EFI status %#lx)", s->job,
		    fb_net_status_text(st), http, (unsigned long)st);
		o->rc = st;
		return;
	}
	if (dtb) {
		o->rc = job_volume(s, dtb, dtb_len, &fs, &path);
		if (o->rc != EFI_SUCCESS)
			goto out;
	}
	st = efi_bs->LoadImage(FALSE, efi_image_handle, path, body, len, &child);
	pool_free(body);
	body = NULL;
	if (st != EFI_SUCCESS) {
		fb_say("job %lu: app: LoadImage (%zu bytes): %#lx", s->job, len,
		    (unsigned long)st);
		o->rc = st;
		goto out;
	}
	options = load_options(s, &opt_size);
	if (!options || efi_bs->HandleProtocol(child, &li_guid,
	    (void **)&li) != EFI_SUCCESS) {
		fb_say("job %lu: app: cannot pass the command line", s->job);
		efi_bs->UnloadImage(child);
		o->rc = EFI_OUT_OF_RESOURCES;
		goto out;
	}
	li->LoadOptions = options;
	li->LoadOptionsSize = opt_size;
	fb_say("job %lu: start %s (%zu bytes, %d arguments)", s->job,
	    s->app_name, len, s->nargs);
	o->setup = false;
	o->rc = efi_bs->StartImage(child, NULL, NULL);
	/* The watchdog the firmware armed for the app is the app's. */
	efi_bs->SetWatchdogTimer(0, 0, 0, NULL);
	fb_say("job %lu: %s returned %#lx", s->job, s->app_name,
	    (unsigned long)o->rc);
out:
	pool_free(options);
	volume_close(s, fs);
	pool_free(path);
	pool_free(body);
}

/* Runs a parsed job; fills *o. */
static void job_run(const struct fb_script *s, struct fb_net *net,
    struct outcome *o)
{
	char *dtb = NULL;
	size_t dtb_len = 0;

	o->setup = true;
	o->rc = job_vars(s, net);
	if (o->rc != EFI_SUCCESS)
		return;
	if (s->dtb) {
		o->rc = job_dtb(s, net, &dtb, &dtb_len);
		if (o->rc != EFI_SUCCESS)
			return;
	}
	job_app(s, net, dtb, dtb_len, o);
	pool_free(dtb);
}

/* The done URL with the outcome added; 0 or -1 when it does not fit. */
static int done_url(const char *done, const struct outcome *o, char *out,
    size_t size)
{
	size_t n = (size_t)snprintf(out, size, "%s%crc=0x%lx%s", done,
	    strchr(done, '?') ? '&' : '?', (unsigned long)o->rc,
	    o->setup ? "&stage=setup" : "");

	return n < size ? 0 : -1;
}

/* The job loop; returns when the server says idle or stays silent. */
static EFI_STATUS loop(const char *server, struct fb_net *net)
{
	static char ask[FB_URL_MAX], url[FB_URL_MAX], err[160];
	struct fb_script s;
	struct outcome o;
	unsigned http;
	char *text;
	size_t len;
	int fails = 0, line;
	EFI_STATUS st;

	snprintf(ask, sizeof(ask), "%s/farmboot/%s", server, net->mac);
	strcpy(url, ask);
	for (;;) {
		fb_say("GET %s", url);
		st = fb_net_get(net, url, SCRIPT_MS, SCRIPT_MAX, &text, &len,
		    &http);
		if (st != EFI_SUCCESS) {
			fb_say("no script: %s (HTTP %u, EFI status %#lx)",
			    fb_net_status_text(st), http, (unsigned long)st);
			if (++fails >= RETRY_MAX) {
				fb_say("%d failures in a row: back to the firmware",
				    fails);
				return st;
			}
			efi_bs->Stall(RETRY_S * 1000000);
			strcpy(url, ask);
			continue;
		}
		if (fb_script_parse(text, &s, &line, err, sizeof(err)) < 0) {
			if (line)
				fb_say("line %d: %s", line, err);
			else
				fb_say("script: %s", err);
			o.rc = EFI_INVALID_PARAMETER;
			o.setup = true;
			if (++fails >= RETRY_MAX) {
				fb_say("%d failures in a row: back to the firmware",
				    fails);
				pool_free(text);
				return EFI_INVALID_PARAMETER;
			}
			if (!s.done || done_url(s.done, &o, url, sizeof(url)) < 0) {
				efi_bs->Stall(RETRY_S * 1000000);
				strcpy(url, ask);
			}
			pool_free(text);
			continue;
		}
		fails = 0;
		switch (s.kind) {
		case FB_IDLE:
			fb_say("idle: back to the firmware");
			pool_free(text);
			return EFI_SUCCESS;
		case FB_POLL:
			fb_say("poll: asking again in %lu s", s.poll_s);
			efi_bs->Stall(s.poll_s * 1000000);
			strcpy(url, ask);
			break;
		default:
			job_run(&s, net, &o);
			if (done_url(s.done, &o, url, sizeof(url)) < 0)
				strcpy(url, ask);
			break;
		}
		pool_free(text);
	}
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_GUID li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	static char server[FB_URL_MAX];
	struct fb_net net;
	EFI_STATUS st;

	efi_image_handle = image;
	efi_system_table = systab;
	efi_bs = systab->BootServices;
	efi_rs = systab->RuntimeServices;
	st = efi_bs->HandleProtocol(image, &li_guid, (void **)&efi_loaded_image);
	if (st != EFI_SUCCESS) {
		fb_say("no loaded image protocol: %#lx", (unsigned long)st);
		return st;
	}
	/* The loader may wait on a poll loop for longer than five minutes. */
	efi_bs->SetWatchdogTimer(0, 0, 0, NULL);
	if (find_server(server, sizeof(server)) < 0) {
		fb_say("no server: not HTTP-booted, no http:// URL in the command"
		    " line (farmboot.efi http://SERVER:PORT), no DHCP option 224"
		    " from a PXE boot, no URL written into this copy");
		return EFI_INVALID_PARAMETER;
	}
	if (strncmp(server, "http://", 7) != 0) {
		fb_say("%s: only http:// is supported", server);
		return EFI_UNSUPPORTED;
	}
	st = fb_net_open(efi_loaded_image->DeviceHandle, &net, DHCP_MS);
	if (st != EFI_SUCCESS) {
		fb_say("no network interface with an IPv4 address: %s (%#lx)",
		    fb_net_status_text(st), (unsigned long)st);
		return st;
	}
	{
		char ip[16], gw[16];

		ip_text(&net.ip, ip, sizeof(ip));
		ip_text(&net.gateway, gw, sizeof(gw));
		fb_say("server %s, mac %s, address %s, gateway %s", server,
		    net.mac, ip, net.have_gateway ? gw : "none");
	}
	return loop(server, &net);
}
