#!/usr/bin/env python3
"""serial-server.py - a console server for the simulated physical machines
of tests/e2e/physical.t and consoles.t, the way ser2net serves a serial
port: it is there all the time, whether the machine is on or off, and
every client gets what the serial line says.

  serial-server.py --listen 127.0.0.1:PORT --line PATH [--telnet]
                   [--mark-after TEXT]
  serial-server.py --listen /path/console.sock --line PATH

The "serial line" is a unix socket at PATH that the simulated machine's
QEMU connects to (-chardev socket,path=PATH,reconnect=1); a new QEMU
replaces the old line. Bytes from the line go to every client; bytes from
clients go to the line. --listen is a TCP HOST:PORT, or a path (it has a
'/') for clients on a unix socket, as a BMC's serial-over-LAN is reached
through its own tool (serial-client.py plays that tool). SIGTERM ends it.

--telnet makes the TCP side a telnet server (RFC 854) with RFC 2217's
COM-PORT option, as ser2net's telnet mode and most console servers are:
each client is first asked WILL ECHO, WILL SGA, WILL BINARY, DO TTYPE,
WILL COM-PORT-OPTION, and sent a COM-PORT NOTIFY-MODEMSTATE
subnegotiation; every chunk of line data is preceded by IAC NOP; a data
byte 0xFF goes out as IAC IAC; until the client agrees to BINARY, a CR
goes out as CR NUL unless LF follows (NVT). The client's answers are
logged, one line each ("telnet client 1: DO BINARY"), and its telnet
commands are stripped from what it sends to the line.

--mark-after TEXT: after the first whole line of line data that has
TEXT, every client is sent the line "\\xffFARM-FF-MARK\\xff\\r\\n", as if the machine had printed
it: a guest byte 0xFF for a test to look for in farmd's log (escaped as
IAC IAC in telnet mode). Once per line connection.
"""
import argparse
import os
import selectors
import signal
import socket
import sys

IAC, DONT, DO, WONT, WILL, SB, SE, NOP = 255, 254, 253, 252, 251, 250, 240, 241
OPT_BINARY, OPT_ECHO, OPT_SGA, OPT_TTYPE, OPT_COMPORT = 0, 1, 3, 24, 44
NOTIFY_MODEMSTATE = 107
OPT_NAMES = {OPT_BINARY: "BINARY", OPT_ECHO: "ECHO", OPT_SGA: "SGA",
             OPT_TTYPE: "TTYPE", OPT_COMPORT: "COM-PORT-OPTION"}
CMD_NAMES = {DONT: "DONT", DO: "DO", WONT: "WONT", WILL: "WILL"}
MARK = b"\xffFARM-FF-MARK\xff\r\n"


def log(msg):
    print("serial-server: " + msg, flush=True)


class TelnetClient:
    """The telnet side of one client: its negotiated state, and a parser
    of what it sends (commands out, data kept)."""

    def __init__(self, number):
        self.number = number
        self.binary = False     # the client said DO BINARY
        self.state = "data"
        self.cmd = 0

    @staticmethod
    def greeting():
        return bytes([IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA,
                      IAC, WILL, OPT_BINARY, IAC, DO, OPT_TTYPE,
                      IAC, WILL, OPT_COMPORT,
                      IAC, SB, OPT_COMPORT, NOTIFY_MODEMSTATE, 0x30, IAC, SE])

    def encode(self, data):
        """Line data as this client gets it."""
        data = data.replace(b"\xff", b"\xff\xff")
        if not self.binary:
            out = bytearray()
            for i, b in enumerate(data):
                out.append(b)
                if b == 13 and (i + 1 == len(data) or data[i + 1] != 10):
                    out.append(0)
            data = bytes(out)
        return bytes([IAC, NOP]) + data

    def decode(self, data):
        """What the client sent, without its telnet commands."""
        out = bytearray()
        for b in data:
            if self.state == "data":
                if b == IAC:
                    self.state = "iac"
                else:
                    out.append(b)
            elif self.state == "iac":
                if b == IAC:
                    out.append(b)
                    self.state = "data"
                elif b in CMD_NAMES:
                    self.cmd = b
                    self.state = "opt"
                elif b == SB:
                    self.state = "sb"
                else:
                    self.state = "data"
            elif self.state == "opt":
                log("telnet client %d: %s %s" % (
                    self.number, CMD_NAMES[self.cmd], OPT_NAMES.get(b, str(b))))
                if self.cmd == DO and b == OPT_BINARY:
                    self.binary = True
                elif self.cmd == DONT and b == OPT_BINARY:
                    self.binary = False
                self.state = "data"
            elif self.state == "sb":
                if b == IAC:
                    self.state = "sb-iac"
            elif self.state == "sb-iac":
                self.state = "data" if b == SE else "sb"
        return bytes(out)


def listen(spec):
    """A listening socket for clients: TCP HOST:PORT, or a unix path."""
    if "/" in spec:
        if os.path.exists(spec):
            os.unlink(spec)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(spec)
        s.listen(4)
    else:
        host, port = spec.rsplit(":", 1)
        s = socket.create_server((host, int(port)), reuse_port=False)
    s.setblocking(False)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True,
                    help="HOST:PORT, or a unix socket path, for consoles")
    ap.add_argument("--line", required=True, help="unix socket for the line")
    ap.add_argument("--telnet", action="store_true",
                    help="speak telnet (RFC 854, 2217) to TCP clients")
    ap.add_argument("--mark-after", metavar="TEXT",
                    help="after line data with TEXT, send a line with 0xFF")
    args = ap.parse_args()
    telnet = args.telnet and "/" not in args.listen
    mark_after = args.mark_after.encode() if args.mark_after else None

    sel = selectors.DefaultSelector()
    clients_l = listen(args.listen)
    if os.path.exists(args.line):
        os.unlink(args.line)
    line_l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    line_l.bind(args.line)
    line_l.listen(2)
    line_l.setblocking(False)
    sel.register(clients_l, selectors.EVENT_READ, "listen")
    sel.register(line_l, selectors.EVENT_READ, "line-listen")
    # clients: socket -> TelnetClient (telnet) or None (raw)
    state = {"line": None, "clients": {}, "cur": b"", "marked": False,
             "number": 0}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log("listening on %s%s, line %s" % (args.listen, " (telnet)" if telnet else "",
                                        args.line))

    def drop(sock):
        sel.unregister(sock)
        sock.close()
        if sock is state["line"]:
            state["line"] = None
        state["clients"].pop(sock, None)

    def to_clients(data):
        for c, tn in list(state["clients"].items()):
            try:
                c.sendall(tn.encode(data) if tn else data)
            except OSError:
                drop(c)

    def line_data(data):
        """Line bytes to the clients, with the mark after the first whole
        line that has mark_after."""
        if mark_after is None or state["marked"]:
            to_clients(data)
            return
        sent = start = 0
        for i, b in enumerate(data):
            if b != 10:
                continue
            if mark_after in state["cur"] + data[start:i]:
                to_clients(data[sent:i + 1])
                to_clients(MARK)
                state["marked"] = True
                sent = i + 1
                break
            state["cur"] = b""
            start = i + 1
        if not state["marked"]:
            state["cur"] = (state["cur"] + data[start:])[-4096:]
        if sent < len(data):
            to_clients(data[sent:])

    while True:
        for key, _ in sel.select():
            sock, what = key.fileobj, key.data
            if what == "listen":
                c, _ = sock.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, "client")
                state["number"] += 1
                tn = TelnetClient(state["number"]) if telnet else None
                state["clients"][c] = tn
                if tn:
                    try:
                        c.sendall(tn.greeting())
                    except OSError:
                        drop(c)
            elif what == "line-listen":
                c, _ = sock.accept()
                c.setblocking(False)
                if state["line"] is not None:
                    drop(state["line"])
                sel.register(c, selectors.EVENT_READ, "line")
                state["line"] = c
                state["cur"] = b""
                state["marked"] = False
            else:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    drop(sock)
                    continue
                if what == "line":
                    line_data(data)
                else:
                    tn = state["clients"].get(sock)
                    if tn:
                        data = tn.decode(data)
                    if data and state["line"] is not None:
                        try:
                            state["line"].sendall(data)
                        except OSError:
                            drop(state["line"])


if __name__ == "__main__":
    main()
