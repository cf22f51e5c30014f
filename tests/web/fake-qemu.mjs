#!/usr/bin/env node
// fake-qemu.mjs - stands in for qemu-system-x86_64 in the browser tests
// (farm.conf: qemu = .../fake-qemu.mjs), so a job runs through farmd's
// real path - power on, console socket, boot script, app fetch, console
// bytes, results POST, exit status - without firmware, in a second.
//
// It reads what QEMU would be told from its arguments (the console socket
// from -chardev, farmd's address from -netdev user,bootfile=, the MAC from
// -device), asks farmd for the machine's boot script as iPXE would, fetches
// the app, then plays $FARM_FAKE_QEMU_DIR/scenario.json on the console:
//   { "lines": [...], "delay_ms": 200,        console lines, one per delay
//     "hold": true,                            then wait for the file "go"
//     "after": [...],                          then these lines
//     "post": {results body} | null,           POST /api/v1/jobs/<id>/results
//     "exit": 0 }                              the program's exit code
// and exits as isa-debug-exit would: status (exit << 1) | 1.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name) => args[args.indexOf(name) + 1] || '';
const field = (s, key) => (s.match(new RegExp(`(?:^|,)${key}=([^,]*)`)) || [])[1];
const sock = field(opt('-chardev'), 'path');
const bootfile = field(args.find((a) => a.includes('bootfile=')) || '', 'bootfile') || '';
const base = bootfile.replace(/\/boot\.ipxe$/, '');
const mac = field(args.find((a) => a.startsWith('virtio-net-pci')) || '', 'mac') || '';
const dir = process.env.FARM_FAKE_QEMU_DIR || '.';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...m) => console.log('fake-qemu:', ...m);

async function main() {
  const scenario = JSON.parse(fs.readFileSync(path.join(dir, 'scenario.json'), 'utf8'));
  const con = await new Promise((resolve, reject) => {
    const c = net.createConnection(sock, () => resolve(c));
    c.on('error', reject);
  });
  const say = (text) => new Promise((r) => con.write(text, r));
  await say('BdsDxe: loading Boot0001 "UEFI PXEv4" from PciRoot(0x0)\r\n');

  const script = await (await fetch(`${base}/ipxe/${mac.replaceAll(':', '-')}`)).text();
  const job = (script.match(/FARM_JOB=(\d+)/) || [])[1];
  const token = (script.match(/FARM_TOKEN=([0-9a-fA-F]+)/) || [])[1];
  const app = (script.match(/(\S+\/apps\/[0-9a-f]{64}\.efi\?job=\d+)/) || [])[1];
  if (!job || !token || !app) {
    log('no job in the boot script:', script);
    process.exit(1);
  }
  log(`job ${job}: fetching ${app}`);
  await (await fetch(app)).arrayBuffer();

  for (const line of scenario.lines || []) {
    await say(line);
    await sleep(scenario.delay_ms ?? 100);
  }
  if (scenario.hold) {
    while (!fs.existsSync(path.join(dir, 'go'))) await sleep(100);
  }
  for (const line of scenario.after || []) {
    await say(line);
    await sleep(scenario.delay_ms ?? 100);
  }
  if (scenario.post) {
    const r = await fetch(`${base}/api/v1/jobs/${job}/results`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(scenario.post),
    });
    log(`results POST: ${r.status}`);
  }
  await sleep(200);
  con.end();
  process.exit(((scenario.exit ?? 0) << 1) | 1);
}

process.on('SIGTERM', () => process.exit(143));
main().catch((e) => { log(e.stack || e.message); process.exit(1); });
