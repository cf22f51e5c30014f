#!/usr/bin/env python3
# pxe-client.py - the DHCP half of a firmware PXE boot, for tests: from
# interface IFACE it asks for an address the way UEFI PXE does (vendor
# class PXEClient:Arch:<arch>, option 93 = ARCH) with MAC as its hardware
# address, takes the first offer, requests it, and prints what the ACK
# says: "ip=... file=... server=...". Exit 0 on an ACK, 1 otherwise.
# Only for network namespaces a test made: it broadcasts on IFACE. Run it
# in a namespace of its own, where IFACE is the only interface, as a
# firmware is a host of its own: from a namespace where the lab's address
# is local the kernel sends with that address, and the bridge drops such
# packets as martians.
#
#   pxe-client.py IFACE MAC ARCH [--http]
import os
import random
import select
import socket
import struct
import sys
import time


def options(pkt):
    """The options of a DHCP packet as {code: bytes}."""
    out, i = {}, 240
    while i < len(pkt):
        code = pkt[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(pkt):
            break
        n = pkt[i + 1]
        out[code] = out.get(code, b"") + pkt[i + 2:i + 2 + n]
        i += 2 + n
    return out


def packet(xid, mac, msgtype, arch, http, extra=b""):
    vendor = ("HTTPClient" if http else "PXEClient") + ":Arch:%05d:UNDI:003016" % arch
    head = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                       b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                       mac + b"\0" * 10, b"", b"")
    opts = bytes([53, 1, msgtype])
    opts += bytes([93, 2]) + struct.pack("!H", arch)
    opts += bytes([94, 3, 1, 3, 16])
    opts += bytes([60, len(vendor)]) + vendor.encode()
    opts += bytes([55, 5, 1, 3, 60, 66, 67])
    opts += extra + bytes([255])
    return head + b"\x63\x82\x53\x63" + opts


def wait_for(sock, xid, msgtype, deadline):
    while time.time() < deadline:
        r, _, _ = select.select([sock], [], [], max(0, deadline - time.time()))
        if not r:
            break
        pkt, _ = sock.recvfrom(2048)
        if len(pkt) < 240 or struct.unpack("!I", pkt[4:8])[0] != xid:
            continue
        o = options(pkt)
        if o.get(53) == bytes([msgtype]):
            return pkt, o
    return None, None


def main():
    if len(sys.argv) < 4:
        print("usage: pxe-client.py IFACE MAC ARCH [--http]", file=sys.stderr)
        return 2
    iface, mac, arch = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
    http = "--http" in sys.argv[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.bind(("0.0.0.0", 68))
    xid = random.getrandbits(32)
    deadline = time.time() + 10
    offer = None
    while offer is None and time.time() < deadline:
        s.sendto(packet(xid, mac, 1, arch, http), ("255.255.255.255", 67))
        offer, o = wait_for(s, xid, 2, min(deadline, time.time() + 2))
    if offer is None:
        print("no offer", file=sys.stderr)
        return 1
    yiaddr, server = offer[16:20], o.get(54, b"\0\0\0\0")
    s.sendto(packet(xid, mac, 3, arch, http,
                    bytes([50, 4]) + yiaddr + bytes([54, 4]) + server),
             ("255.255.255.255", 67))
    ack, o = wait_for(s, xid, 5, time.time() + 5)
    if ack is None:
        print("no ack", file=sys.stderr)
        return 1
    file = (o.get(67) or ack[108:236]).split(b"\0")[0]
    print("ip=%s file=%s server=%s" % (socket.inet_ntoa(ack[16:20]), file.decode(errors="replace"),
                                       o.get(224, b"").decode(errors="replace")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
