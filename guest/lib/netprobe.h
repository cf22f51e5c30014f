/*
 * netprobe.h - a bounded TCP connect test before the results POST.
 */
#ifndef FARM_NETPROBE_H
#define FARM_NETPROBE_H

#include <efi.h>

/*
 * Connects to server:port with EFI_TCP4 on network interface nic, from
 * ip/netmask, and resets the connection. EFI_SUCCESS when it connected,
 * EFI_TIMEOUT when deadline (a timer event) fired first, else the
 * firmware's status.
 */
EFI_STATUS netprobe_connect(EFI_HANDLE nic, const EFI_IPv4_ADDRESS *ip,
    const EFI_IPv4_ADDRESS *netmask, const EFI_IPv4_ADDRESS *server,
    UINT16 port, EFI_EVENT deadline);

#endif
