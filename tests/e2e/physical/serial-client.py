#!/usr/bin/env python3
"""serial-client.py - the console tool of a simulated physical machine, for
tests/e2e/consoles.t: what `ipmitool sol activate` is to a real server.
farm.conf names it as a command: console, and farmd reads its standard
output as the machine's serial line.

  serial-client.py SOCKET|HOST:PORT [--pidfile FILE]

It connects to serial-server.py (a unix socket path, or a raw TCP
HOST:PORT), copies what the server sends to standard output and what
comes on standard input to the server. It ends when the server closes the
connection (status 1, the reason on standard error) or on SIGTERM. The end
of standard input does not end it: farmd holds it open and never writes.
--pidfile writes its PID, so a test can kill exactly this process.
"""
import argparse
import os
import selectors
import socket
import sys


def connect(where):
    if "/" in where:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(where)
    else:
        host, port = where.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("where", help="serial-server's unix socket, or HOST:PORT")
    ap.add_argument("--pidfile", help="write the PID here")
    args = ap.parse_args()
    if args.pidfile:
        with open(args.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.pidfile + ".tmp", args.pidfile)
    try:
        s = connect(args.where)
    except OSError as e:
        print("serial-client: %s: %s" % (args.where, e.strerror), file=sys.stderr)
        return 1
    out = sys.stdout.buffer.raw if hasattr(sys.stdout.buffer, "raw") else sys.stdout.buffer
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ, "line")
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    while True:
        for key, _ in sel.select():
            if key.data == "line":
                data = s.recv(65536)
                if not data:
                    print("serial-client: %s closed the connection" % args.where,
                          file=sys.stderr)
                    return 1
                view = memoryview(data)
                while view:
                    n = out.write(view)
                    view = view[n:]
            else:
                data = os.read(sys.stdin.fileno(), 65536)
                if not data:
                    sel.unregister(sys.stdin.fileno())
                else:
                    s.sendall(data)


if __name__ == "__main__":
    sys.exit(main())
