#!/usr/bin/env python3
"""server.py - a stand-in for farmd's farmboot routes, for farmboot-direct.t.

Usage: server.py LOG BUILD_ARCH_DIR [DTB]

Listens on 127.0.0.1 (a free port, printed first on stdout), reached from
QEMU's user network as 10.0.2.2. Answers GET /farmboot/<mac> with job 12
(selftest.efi with arguments and variables, the DTB when one is given);
its done call gets job 13 (reporter.efi, which fails); job 13's done gets
a script with a bad line (job 14); that one's done (stage=setup) gets
"idle". Serves the apps from BUILD_ARCH_DIR, stores every request and
results POST as one JSON line in LOG.

FB_LISTEN=ADDR:PORT listens there instead (inside a test's namespace);
FB_LOADER=FILE serves FILE as /netboot/farmboot.efi (for HTTP boot).
"""
import http.server
import json
import os
import sys
import urllib.parse

log_path, app_dir = sys.argv[1], sys.argv[2]
dtb_path = sys.argv[3] if len(sys.argv) > 3 else None
tokens = {'12': 'tok12', '13': 'tok13'}
# QEMU user networking's addresses, which selftest then checks.
user_net_args = [] if os.environ.get('FB_LISTEN') else [
    'FARM_IP=10.0.2.15', 'FARM_GATEWAY=10.0.2.2']


def pct(s):
    return urllib.parse.quote(s, safe='')


def job_script(base, mac, job, app, name, args, env, dtb=False):
    lines = ['# a job for ' + mac, 'farmboot 1', 'job ' + job]
    env = dict({'FARM_SERVER': base, 'FARM_JOB': job,
                'FARM_TOKEN': tokens[job], 'FARM_MACHINE': 'vm-test'}, **env)
    lines += ['var %s %s' % (k, pct(v)) for k, v in env.items()]
    if dtb:
        lines.append('dtb %s/jobs/%s/dtb' % (base, job))
    lines.append('app %s/apps/%s?job=%s %s' % (base, app, job, name))
    lines += ['arg ' + pct(a) for a in args]
    lines.append('done %s/farmboot/%s/done?job=%s&token=%s'
                 % (base, mac, job, tokens[job]))
    return '\n'.join(lines) + '\n'


class H(http.server.BaseHTTPRequestHandler):
    def record(self, **kw):
        with open(log_path, 'a') as f:
            f.write(json.dumps(dict(method=self.command, path=self.path,
                                    **kw)) + '\n')

    def answer(self, code, body, ctype='text/plain'):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        parts = url.path.strip('/').split('/')
        base = 'http://' + self.headers.get('Host', '10.0.2.2')
        if url.path == '/netboot/farmboot.efi' and os.environ.get('FB_LOADER'):
            return self.answer(200, open(os.environ['FB_LOADER'], 'rb').read(),
                               'application/efi')
        if parts[0] == 'apps' and len(parts) == 2:
            path = os.path.join(app_dir, os.path.basename(parts[1]))
            if os.path.isfile(path):
                return self.answer(200, open(path, 'rb').read(),
                                   'application/efi')
        elif parts[0] == 'jobs' and parts[2:] == ['dtb'] and dtb_path:
            return self.answer(200, open(dtb_path, 'rb').read(),
                               'application/octet-stream')
        elif parts[0] == 'farmboot' and len(parts) == 2:
            return self.answer(200, job_script(
                base, parts[1], '12', 'selftest.efi', 'selftest.efi',
                ['FARM_SUITE=sample', 'UTF=ü€', 'plain'] + user_net_args,
                {'FARM_SUITE': 'sample', 'UTF': 'ü€'}, dtb=bool(dtb_path)))
        elif parts[0] == 'farmboot' and parts[2:] == ['done']:
            job = q.get('job')
            if job == '12':
                return self.answer(200, job_script(
                    base, parts[1], '13', 'reporter.efi', 'reporter.efi',
                    ['pass:chained', 'fail:on_purpose'], {}))
            if job == '13':
                return self.answer(200, 'farmboot 1\njob 14\nvar A 1\n'
                                   'frobnicate now\napp %s/apps/x.efi x.efi\n'
                                   'done %s/farmboot/%s/done?job=14\n'
                                   % (base, base, parts[1]))
            return self.answer(200, 'farmboot 1\n# nothing more\nidle\n')
        self.answer(404, 'not found\n')

    def do_HEAD(self):
        """The firmware's HTTP boot asks for the loader's size first."""
        self.record()
        path = os.environ.get('FB_LOADER')
        if self.path == '/netboot/farmboot.efi' and path:
            self.send_response(200)
            self.send_header('Content-Type', 'application/efi')
            self.send_header('Content-Length', str(os.path.getsize(path)))
            self.end_headers()
        else:
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        job = self.path.split('/')[4] if self.path.count('/') >= 5 else ''
        ok = self.headers.get('Authorization') == 'Bearer ' + tokens.get(job, '-')
        self.record(auth=self.headers.get('Authorization'), body=body.decode())
        self.answer(200 if ok else 403, '{"ok": true}' if ok else '{}',
                    'application/json')

    def log_message(self, *a):
        pass


addr, _, port = os.environ.get('FB_LISTEN', '127.0.0.1:0').rpartition(':')
s = http.server.HTTPServer((addr, int(port)), H)
print(s.server_port, flush=True)
s.serve_forever()
