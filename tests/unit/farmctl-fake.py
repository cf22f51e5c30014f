#!/usr/bin/env python3
"""farmctl-fake.py - a canned stand-in for farmd's JSON API (docs/api.md).

This is a fake for farmctl's own test only (tests/e2e/farmctl-fake.sh): it
answers the /api/v1/ routes farmctl calls with objects shaped as docs/api.md
says, so that farmctl's output and exit codes can be checked without farmd.
It tests nothing about farmd; the end-to-end tests run the real one.

Usage: farmctl-fake.py PORTFILE REQUESTLOG
Binds 127.0.0.1 on a free port and writes the port to PORTFILE. Every
request is appended to REQUESTLOG as "METHOD PATH AUTH [BODY]" so that the
test can check what farmctl sent.

Scenarios are chosen by name: a run whose test (or --efi name) contains
"fail" fails, "infra" ends in infra, "slow" never finishes, anything else
passes. A run's jobs go queued -> booting -> running -> done over three
GETs of the run. Job 12's log is static; job 14's log grows: the first GET
sees part one and state running, later GETs part two and state done.
"""
import hashlib
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "s3cret"
T0 = 1700000000000  # 2023-11-14 22:13:20 UTC

LOG12 = b"\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001\r\nPASS: selftest: argc\r\nSUMMARY: 1 tests\r\nEXIT: STATUS=1\r\n"
LOG14 = [b"iPXE 1.21.1 -- booting\r\nPASS: memmap: entries\r\n",
         b"FAIL: memmap: holes\r\nSUMMARY: 2 tests, 1 unexpected failures\r\n"]

MACHINES = [
    {"name": "vm-x86", "arch": "x86_64", "kind": "qemu", "mac": "52:54:00:f0:00:01",
     "tags": ["arch=x86_64", "fast", "smoke"], "state": "idle", "health": "ok",
     "last_seen": T0, "job": None, "boots": 3},
    {"name": "rack3-seattle", "arch": "aarch64", "kind": "physical",
     "mac": "00:1b:21:aa:bb:cc", "tags": ["arch=aarch64"], "state": "running",
     "health": "ok", "last_seen": T0, "job": 14, "boots": 41},
]

lock = threading.Lock()
runs = {}
apps = {}
log14_gets = [0]
next_ids = {"run": 4, "job": 20}


def job(id, run, test, machine, state, result=None, testcases=None, **kw):
    """A job object as docs/api.md shows it."""
    j = {"id": id, "run": run, "test": test, "app": "ab" * 32, "args": [], "env": {},
         "target": "machine=" + machine if machine else "tags=fast",
         "machine": machine, "priority": 0, "timeout": 120, "state": state,
         "result": result, "exit_code": None, "reason": None, "queued_at": T0,
         "started_at": None, "finished_at": None, "duration_ms": None,
         "boot_ms": None, "log_size": 0}
    j.update(kw)
    if testcases is not None:
        j["testcases"] = testcases
    return j


CASES_PASS = [{"seq": 1, "name": "selftest: argc", "status": "pass", "message": ""},
              {"seq": 2, "name": "selftest: env", "status": "pass", "message": ""}]
CASES_FAIL = [{"seq": 1, "name": "selftest: env", "status": "pass", "message": ""},
              {"seq": 2, "name": "selftest: argc", "status": "fail",
               "message": "expected 2, got 1"}]

STATIC_JOBS = {
    12: job(12, 3, "selftest", "vm-x86", "done", "pass", CASES_PASS, exit_code=0,
            started_at=T0 + 1000, finished_at=T0 + 9200, duration_ms=8200,
            boot_ms=5100, log_size=len(LOG12)),
    13: job(13, 3, "selftest", "rack3-seattle", "done", "fail", CASES_FAIL,
            exit_code=1, started_at=T0 + 1000, finished_at=T0 + 4000,
            duration_ms=3000, boot_ms=2000, log_size=300, args=["a", "b"],
            env={"K": "V"}, reason="exit code 1"),
    14: job(14, 3, "memmap", "rack3-seattle", "running", started_at=T0 + 1000),
    15: job(15, 3, "selftest", None, "queued"),
}


def outcome(name):
    for word in ("fail", "infra", "slow"):
        if word in name:
            return word
    return "pass"


def run_job(spec, polls, full):
    """One job of a scheduled run as it stands after polls GETs."""
    kind = outcome(spec["test"])
    state = ["queued", "booting", "running", "done"][min(polls, 3)]
    if kind == "slow":
        state = "running" if polls > 0 else "queued"
    j = job(spec["id"], spec["run"], spec["test"], spec["machine"], state)
    if state != "done":
        return j
    if kind == "pass":
        j.update(result="pass", exit_code=0, duration_ms=8200, boot_ms=5100)
        cases = CASES_PASS
    elif kind == "fail":
        j.update(result="fail", exit_code=1, duration_ms=3000, boot_ms=2000,
                 reason="exit code 1")
        cases = CASES_FAIL
    else:
        j.update(result="infra", reason="no boot request within 30 s")
        cases = []
    if full:
        j["testcases"] = cases
    return j


def find_run_job(id):
    for r in runs.values():
        for spec in r["jobs"]:
            if spec["id"] == id:
                return run_job(spec, r["polls"], True)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def record(self, body=b""):
        auth = self.headers.get("Authorization", "-")
        text = body.decode("utf-8", "replace") if body and len(body) < 4096 else \
            "<%d bytes sha256 %s>" % (len(body), hashlib.sha256(body).hexdigest()) if body else ""
        with open(sys.argv[2], "a") as f:
            f.write("%s %s %s %s\n" % (self.command, self.path, auth, text))

    def do_GET(self):
        self.record()
        url = urlsplit(self.path)
        path, q = url.path, parse_qs(url.query)
        with lock:
            self.route_get(path, q)

    def route_get(self, path, q):
        if path == "/api/v1/machines":
            return self.reply(200, {"machines": MACHINES})
        if path == "/api/v1/jobs":
            jobs = [dict(STATIC_JOBS[i]) for i in (15, 14, 13, 12)]
            for j in jobs:
                j.pop("testcases", None)
            if "state" in q:
                jobs = [j for j in jobs if j["state"] == q["state"][0]]
            if "machine" in q:
                jobs = [j for j in jobs if j["machine"] == q["machine"][0]]
            return self.reply(200, {"jobs": jobs})
        m = re.fullmatch(r"/api/v1/jobs/(\d+)", path)
        if m:
            id = int(m.group(1))
            j = STATIC_JOBS.get(id) or find_run_job(id)
            if j is None:
                return self.reply(404, {"error": "no job %d" % id})
            return self.reply(200, j)
        m = re.fullmatch(r"/api/v1/jobs/(\d+)/log", path)
        if m:
            id = int(m.group(1))
            offset = int(q.get("offset", ["0"])[0])
            if id == 12:
                data, state = LOG12, "done"
            elif id == 14:
                log14_gets[0] += 1
                parts = min(log14_gets[0], len(LOG14))
                data = b"".join(LOG14[:parts])
                state = "done" if parts == len(LOG14) else "running"
            else:
                return self.reply(404, {"error": "no job %d" % id})
            return self.reply(200, data[offset:], "text/plain",
                              [("X-Farm-Job-State", state),
                               ("X-Farm-Log-Size", str(len(data)))])
        if path == "/api/v1/runs":
            return self.reply(200, {"runs": [
                {"id": 3, "created_at": T0, "counts": {
                    "pass": 1, "fail": 1, "skip": 0, "error": 0, "infra": 0,
                    "timeout": 0, "queued": 1, "running": 1}}]})
        m = re.fullmatch(r"/api/v1/runs/(\d+)", path)
        if m and int(m.group(1)) in runs:
            r = runs[int(m.group(1))]
            r["polls"] += 1
            return self.reply(200, {"id": r["id"], "created_at": T0, "jobs": [
                run_job(s, r["polls"], False) for s in r["jobs"]]})
        return self.reply(404, {"error": "no route " + path})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.record(body)
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.reply(401, {"error": "missing or wrong API token"})
        with lock:
            self.route_post(urlsplit(self.path).path, body)

    def route_post(self, path, body):
        if path == "/api/v1/apps":
            if self.headers.get("Content-Type") != "application/octet-stream" or not body:
                return self.reply(400, {"error": "body: want the EFI binary"})
            sha = hashlib.sha256(body).hexdigest()
            known = sha in apps
            apps[sha] = len(body)
            return self.reply(200 if known else 201, {"sha256": sha, "size": len(body)})
        if path == "/api/v1/runs":
            try:
                req = json.loads(body)
            except ValueError:
                return self.reply(400, {"error": "body: not JSON"})
            if "app" in req:
                if req["app"] not in apps:
                    return self.reply(400, {"error": "app: not in the app store"})
                tests = [req.get("name", "app")]
            else:
                tests = req.get("tests", [])
            for i, t in enumerate(tests):
                if t == "x":
                    return self.reply(400, {"error": 'tests[%d]: no test "x" in suite' % i})
            targets = req.get("machines") or [None]
            r = {"id": next_ids["run"], "polls": 0, "jobs": []}
            next_ids["run"] += 1
            for t in tests:
                for m in targets:
                    r["jobs"].append({"id": next_ids["job"], "run": r["id"], "test": t,
                                      "machine": m})
                    next_ids["job"] += 1
            runs[r["id"]] = r
            return self.reply(201, {"id": r["id"], "created_at": T0, "jobs": [
                run_job(s, 0, False) for s in r["jobs"]]})
        m = re.fullmatch(r"/api/v1/jobs/(\d+)/cancel", path)
        if m and int(m.group(1)) in STATIC_JOBS:
            j = dict(STATIC_JOBS[int(m.group(1))])
            j.update(state="cancelled")
            return self.reply(200, j)
        return self.reply(404, {"error": "no route " + path})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
