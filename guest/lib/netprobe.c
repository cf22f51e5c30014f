/*
 * netprobe.c - can a TCP connection to the server be made, within a
 * deadline?
 *
 * EDK2's HttpDxe opens its TCP connection inside Request() and waits for
 * it there, polling until TCP itself gives up (75 s against a host that
 * does not answer); nothing a caller passes bounds that. So before the
 * results POST, post.c asks this module: it connects with the firmware's
 * EFI_TCP4_PROTOCOL on the same network interface and address, polls
 * against the caller's deadline, and resets the connection either way.
 * Only when that worked does the HTTP request follow, and then
 * HttpDxe's connect returns at once.
 */
#include "guest.h"
#include "uefi.h"
#include <efitcp.h>
#include "netprobe.h"

static volatile bool connected, closed;
static EFI_TCP4_CONNECTION_TOKEN conn_token;
static EFI_TCP4_CLOSE_TOKEN close_token;

/* A token's event: marks the bool at ctx. Runs at TPL_CALLBACK. */
static VOID EFIAPI token_done(EFI_EVENT event, VOID *ctx)
{
	(void)event;
	*(volatile bool *)ctx = true;
}

/*
 * Closes the connection with a FIN, so that the server sees an empty
 * connection end (a server that handles one connection at a time would
 * otherwise wait on it). The close itself is not waited for (EDK2 signals
 * it only after the peer's FIN, seconds later): polling for CLOSE_MS, or
 * until the deadline, sends the FIN, and the caller then resets the rest.
 */
#define CLOSE_MS 20

static void close_gently(EFI_TCP4 *tcp, EFI_EVENT deadline)
{
	EFI_EVENT pause;

	closed = false;
	close_token.AbortOnClose = FALSE;
	close_token.CompletionToken.Status = EFI_NOT_READY;
	if (efi_bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, token_done,
	    (void *)&closed, &close_token.CompletionToken.Event) != EFI_SUCCESS)
		return;
	if (efi_bs->CreateEvent(EVT_TIMER, 0, NULL, NULL, &pause) != EFI_SUCCESS)
		return;
	if (efi_bs->SetTimer(pause, TimerRelative, CLOSE_MS * 10000ull) ==
	    EFI_SUCCESS && tcp->Close(tcp, &close_token) == EFI_SUCCESS) {
		while (!closed && efi_bs->CheckEvent(pause) != EFI_SUCCESS &&
		    efi_bs->CheckEvent(deadline) != EFI_SUCCESS)
			tcp->Poll(tcp);
	}
	efi_bs->CloseEvent(pause);
}

EFI_STATUS netprobe_connect(EFI_HANDLE nic, const EFI_IPv4_ADDRESS *ip,
    const EFI_IPv4_ADDRESS *netmask, const EFI_IPv4_ADDRESS *server,
    UINT16 port, EFI_EVENT deadline)
{
	EFI_GUID sb_guid = EFI_TCP4_SERVICE_BINDING_PROTOCOL;
	EFI_GUID tcp_guid = EFI_TCP4_PROTOCOL;
	EFI_SERVICE_BINDING *sb;
	EFI_TCP4_CONFIG_DATA cfg;
	EFI_TCP4 *tcp;
	EFI_HANDLE child = NULL;
	EFI_STATUS st;

	st = efi_bs->HandleProtocol(nic, &sb_guid, (void **)&sb);
	if (st != EFI_SUCCESS)
		return st;
	st = sb->CreateChild(sb, &child);
	if (st != EFI_SUCCESS)
		return st;
	st = efi_bs->HandleProtocol(child, &tcp_guid, (void **)&tcp);
	if (st != EFI_SUCCESS)
		goto destroy;

	memset(&cfg, 0, sizeof(cfg));
	cfg.TimeToLive = 64;
	cfg.AccessPoint.UseDefaultAddress = FALSE;
	cfg.AccessPoint.StationAddress = *ip;
	cfg.AccessPoint.SubnetMask = *netmask;
	cfg.AccessPoint.RemoteAddress = *server;
	cfg.AccessPoint.RemotePort = port;
	cfg.AccessPoint.ActiveFlag = TRUE;
	st = tcp->Configure(tcp, &cfg);
	if (st != EFI_SUCCESS)
		goto destroy;

	connected = false;
	conn_token.CompletionToken.Status = EFI_NOT_READY;
	st = efi_bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, token_done,
	    (void *)&connected, &conn_token.CompletionToken.Event);
	if (st != EFI_SUCCESS)
		goto reset;
	st = tcp->Connect(tcp, &conn_token);
	while (st == EFI_SUCCESS && !connected) {
		tcp->Poll(tcp);
		if (!connected && efi_bs->CheckEvent(deadline) == EFI_SUCCESS)
			st = EFI_TIMEOUT;
	}
	if (st == EFI_SUCCESS)
		st = conn_token.CompletionToken.Status;
	if (st == EFI_SUCCESS)
		close_gently(tcp, deadline);

reset:
	/* Aborts a pending connect and resets an open connection. */
	tcp->Configure(tcp, NULL);
destroy:
	sb->DestroyChild(sb, child);
	if (conn_token.CompletionToken.Event) {
		efi_bs->CloseEvent(conn_token.CompletionToken.Event);
		conn_token.CompletionToken.Event = NULL;
	}
	if (close_token.CompletionToken.Event) {
		efi_bs->CloseEvent(close_token.CompletionToken.Event);
		close_token.CompletionToken.Event = NULL;
	}
	return st;
}
