#!/usr/bin/env python3
"""serial-server.py - a console server for tests/e2e/physical.t, the way
ser2net serves a serial port as raw TCP: it is there all the time, whether
the machine is on or off, and every TCP client gets what the serial line
says.

  serial-server.py --listen 127.0.0.1:PORT --line PATH

The "serial line" is a unix socket at PATH that the simulated machine's
QEMU connects to (-chardev socket,path=PATH,reconnect=1); a new QEMU
replaces the old line. Bytes from the line go to every TCP client; bytes
from clients go to the line. SIGTERM ends it.
"""
import argparse
import os
import selectors
import signal
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True, help="HOST:PORT for consoles")
    ap.add_argument("--line", required=True, help="unix socket for the line")
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)

    sel = selectors.DefaultSelector()
    tcp = socket.create_server((host, int(port)), reuse_port=False)
    tcp.setblocking(False)
    if os.path.exists(args.line):
        os.unlink(args.line)
    line_l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    line_l.bind(args.line)
    line_l.listen(2)
    line_l.setblocking(False)
    sel.register(tcp, selectors.EVENT_READ, "tcp")
    sel.register(line_l, selectors.EVENT_READ, "line-listen")
    state = {"line": None, "clients": set()}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("serial-server: listening on %s, line %s" % (args.listen, args.line),
          flush=True)

    def drop(sock):
        sel.unregister(sock)
        sock.close()
        if sock is state["line"]:
            state["line"] = None
        state["clients"].discard(sock)

    while True:
        for key, _ in sel.select():
            sock, what = key.fileobj, key.data
            if what == "tcp":
                c, _ = sock.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, "client")
                state["clients"].add(c)
            elif what == "line-listen":
                c, _ = sock.accept()
                c.setblocking(False)
                if state["line"] is not None:
                    drop(state["line"])
                sel.register(c, selectors.EVENT_READ, "line")
                state["line"] = c
            else:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    drop(sock)
                    continue
                if what == "line":
                    for c in list(state["clients"]):
                        try:
                            c.sendall(data)
                        except OSError:
                            drop(c)
                elif state["line"] is not None:
                    try:
                        state["line"].sendall(data)
                    except OSError:
                        drop(state["line"])


if __name__ == "__main__":
    main()
