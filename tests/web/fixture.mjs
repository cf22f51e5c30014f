// fixture.mjs - the finished history the browser tests look at, written
// into farmd's database (its own schema: farmd made it on a first start)
// while farmd is stopped, and the console logs beside it. Live jobs are
// then made through the API (run.mjs).
//
// Machines vm-fake (in farm.conf) and rack-arm, old-x86 (only in the
// database); 52 small filler runs (for paging), then a run of 40 selftest
// jobs over ten days (for the history charts), a run where selftest
// regressed on vm-fake and memmap hit an infra failure on rack-arm, and a
// run whose jobs wait for a machine that does not exist (the queue).
// Job "xss" holds a console and test names full of markup and escapes.

const DAY = 86400000;
const q = (s) => (s == null ? 'NULL' : `'${String(s).replaceAll("'", "''")}'`);

export function fixture(now = Date.now()) {
  const sql = ['BEGIN;'];
  const logs = {};
  let job = 0;
  let run = 0;
  const machines = [
    ['rack-arm', 'aarch64', 'physical', '00:1b:21:aa:bb:cc', '["arch=aarch64","big"]'],
    ['old-x86', 'x86_64', 'qemu', '52:54:00:77:00:09', '["arch=x86_64"]'],
  ];
  for (const [name, arch, kind, mac, tags] of machines) {
    sql.push(`INSERT OR REPLACE INTO machines (name, arch, kind, mac, tags, state, reason, last_seen, boots)
      VALUES (${q(name)}, ${q(arch)}, ${q(kind)}, ${q(mac)}, ${q(tags)}, 'idle', 'ready', ${now - DAY}, 12);`);
  }
  const events = [
    ['rack-arm', 'booting', 'job assigned'], ['rack-arm', 'running', 'app fetched'],
    ['rack-arm', 'maintenance', 'BMC firmware update'], ['rack-arm', 'idle', 'ready'],
  ];
  events.forEach(([m, st, why], i) => sql.push(`INSERT INTO machine_events (machine, at, state, reason)
    VALUES (${q(m)}, ${now - DAY + i * 60000}, ${q(st)}, ${q(why)});`));

  const addRun = (at) => { run++; sql.push(`INSERT INTO runs (id, created_at) VALUES (${run}, ${at});`); return run; };
  const addJob = (r, test, machine, result, at, o = {}) => {
    job++;
    const state = o.state || 'done';
    // Fixture logs are ASCII but for raw bytes written as \xNN: latin1.
    const log = o.log ? Buffer.from(o.log, 'latin1') : null;
    const started = state === 'done' ? at + 5000 : 0;
    const finished = state === 'done' ? started + (o.dur ?? 1500) : 0;
    sql.push(`INSERT INTO jobs (id, run, test, app, app_name, args, env, target_machine, tags, machine,
      priority, timeout, state, result, exit_code, reason, queued_at, started_at, finished_at, boot_ms,
      log_size, token_hash, attempt) VALUES (${job}, ${r}, ${q(test)}, ${q('ab'.repeat(32))}, ${q(`${test}.efi`)},
      ${q(JSON.stringify(o.args || []))}, ${q(JSON.stringify(o.env || ['FARM_SUITE=web']))},
      ${q(o.target === undefined ? machine : o.target)}, ${q(JSON.stringify(o.tags || []))}, ${q(state === 'queued' ? null : machine)},
      ${o.priority || 0}, 120, ${q(state)}, ${q(state === 'done' ? result : null)},
      ${state === 'done' ? (result === 'pass' ? 0 : result === 'fail' ? 1 : 'NULL') : 'NULL'},
      ${q(o.reason || null)}, ${at}, ${started}, ${finished}, ${state === 'done' ? 3200 : -1},
      ${log ? log.length : 0}, NULL, 1);`);
    if (log) logs[job] = log;
    for (const [i, c] of (o.cases || []).entries()) {
      sql.push(`INSERT INTO testcases (job, seq, name, status, message)
        VALUES (${job}, ${i + 1}, ${q(c[1])}, ${q(c[0])}, ${q(c[2] || '')});`);
    }
    return job;
  };

  // Filler runs, oldest: one job each.
  for (let i = 0; i < 52; i++) {
    const at = now - 20 * DAY + i * 3600000;
    addJob(addRun(at), 'memmap', 'old-x86', 'pass', at, { dur: 900 });
  }
  // Forty selftest jobs over ten days, two machines.
  const hist = addRun(now - 10 * DAY);
  for (let i = 0; i < 40; i++) {
    const m = i % 2 ? 'rack-arm' : 'vm-fake';
    const res = i % 7 === 3 ? 'fail' : i % 11 === 5 ? 'infra' : 'pass';
    addJob(hist, 'selftest', m, res, now - 10 * DAY + i * 6 * 3600000, { dur: 1200 + (i % 5) * 300 + (m === 'rack-arm' ? 900 : 0),
      cases: [['pass', 'selftest: argc'], ['pass', 'selftest: env']] });
  }
  // The latest finished run: selftest passes on rack-arm and regresses on
  // vm-fake; memmap is infra on rack-arm.
  const last = addRun(now - 2 * 3600000);
  const t0 = now - 2 * 3600000;
  addJob(last, 'selftest', 'vm-fake', 'pass', t0 - 3600000, { cases: [['pass', 'selftest: argc']] });
  const regressed = addJob(last, 'selftest', 'vm-fake', 'fail', t0, {
    reason: 'exit code 1', args: ['--verbose', 'a b'], env: ['FARM_SUITE=web', 'MODE=fast'],
    cases: [['pass', 'selftest: argc'], ['fail', 'selftest: env FARM_SUITE', 'expected web'], ['skip', 'selftest: smp', 'one cpu']],
    log: 'selftest: starting\r\nPASS: selftest: argc\r\nFAIL: selftest: env FARM_SUITE\r\nSUMMARY: 2 tests, 1 unexpected failures\r\nEXIT: STATUS=3\r\n',
  });
  addJob(last, 'selftest', 'rack-arm', 'pass', t0, { cases: [['pass', 'selftest: argc']] });
  addJob(last, 'memmap', 'vm-fake', 'pass', t0, { cases: [['pass', 'memmap: entries']] });
  addJob(last, 'memmap', 'rack-arm', 'infra', t0, { reason: 'no boot script request within 60 s of power on (no DHCP/PXE boot?)' });
  addJob(last, 'report-hang', 'rack-arm', 'timeout', t0, { reason: 'the test did not end within 120 s', dur: 120000 });
  // The job whose console and test names carry markup and escapes.
  const xssLog = [
    'BdsDxe: loading Boot0001\r\n',
    '\x1b[2J\x1b[01;01H\x1b]0;window title\x07',
    '<script>window.__xss = 1</script>\r\n',
    '<img src=x onerror="window.__xss = 2">\n',
    '\x1b[32mPASS\x1b[0m: colours: green\n',
    '\x1b[1;31mFAIL\x1b[0m: colours: bold red\n',
    '\x1b[38;5;208morange256\x1b[0m \x1b[38;2;10;20;250mtruecolor\x1b[0m \x1b[7minverse\x1b[27m\n',
    'progress 10%\rprogress 55%\rprogress 100%\n',
    'tab\there\n',
    'bad bytes: \xff\xfe end\n',
    'erase: wrong\x1b[5Dright\x1b[K\n',
    'INFO: a & b < c > d " \' done\n',
    'SUMMARY: 3 tests, 1 unexpected failures\n',
    'EXIT: STATUS=3\n',
  ].join('');
  const xss = addJob(last, 'xss-<b>bold</b>', 'vm-fake', 'fail', t0, {
    reason: '<i>not italic</i>',
    cases: [['pass', 'colours: green'], ['fail', 'colours: <img src=x onerror="window.__xss=3">', '<b>msg</b>'],
      ['skip', 'skip: nothing'], ['xfail', 'known bug'], ['info', 'a & b < c']],
    log: xssLog,
  });
  // Queued: waiting for a machine nobody has.
  const queued = addRun(now - 60000);
  addJob(queued, 'selftest', null, null, now - 60000, { state: 'queued', target: null, tags: ['arch=riscv64'], priority: 5 });
  addJob(queued, 'memmap', null, null, now - 50000, { state: 'queued', target: null, tags: ['arch=riscv64'] });
  sql.push('COMMIT;');
  return { sql: sql.join('\n'), logs, ids: { regressed, xss, hist, last, queued } };
}
