// job.js - one job: outcome, timings, arguments and variables, test cases
// (filterable by status), and the console - live while the job runs, from
// GET /api/v1/jobs/<id>/log/stream (Server-Sent Events; the browser
// reconnects by itself and farmd resumes from the Last-Event-ID offset).

import { h, fill, table } from './dom.js';
import { get } from './api.js';
import * as f from './fmt.js';
import { LogView, unbase64 } from './log.js';
import { setQuery } from './app.js';

const STATUSES = ['pass', 'fail', 'xpass', 'xfail', 'skip', 'info'];
const SHOW_MAX = 4 << 20;          // logs beyond this show their last...
const SHOW_TAIL = 2 << 20;         // ...this many bytes
const over = (j) => j.state === 'done' || j.state === 'cancelled';

function timings(j) {
  const total = j.started_at && j.queued_at ? j.started_at - j.queued_at : null;
  const boot = j.boot_ms;
  const wait = total != null && boot != null ? Math.max(0, total - boot) : total;
  const parts = [['wait', 'Waiting for a machine', wait], ['boot', 'Boot (power on → boot script)', boot],
    ['test', 'Test (app fetched → result)', j.duration_ms]];
  const sum = parts.reduce((a, p) => a + (p[2] || 0), 0);
  return h('div', null,
    h('dl', { class: 'facts' },
      h('dt', null, 'Queued'), h('dd', null, f.time(j.queued_at)),
      h('dt', null, 'Started'), h('dd', null, j.started_at ? f.time(j.started_at) : '–'),
      h('dt', null, 'Finished'), h('dd', null, j.finished_at ? f.time(j.finished_at) : '–'),
      parts.map(([, label, v]) => [h('dt', null, label), h('dd', null, v != null ? f.dur(v) : '–')])),
    sum > 0 ? h('div', { class: 'timeline', role: 'img',
      'aria-label': parts.filter((p) => p[2] != null).map((p) => `${p[1]}: ${f.dur(p[2])}`).join('; ') },
    parts.filter((p) => p[2]).map(([k, label, v]) => h('span', { class: `seg-${k}`, title: `${label}: ${f.dur(v)}`,
      dataset: { w: Math.max(1, Math.round((v / sum) * 100)) } }, k))) : null);
}

function facts(j) {
  return h('dl', { class: 'facts' },
    h('dt', null, 'Outcome'), h('dd', null, f.outcome(j), j.reason ? ` ${j.reason}` : ''),
    h('dt', null, 'Run'), h('dd', null, f.runLink(j.run)),
    h('dt', null, 'Test'), h('dd', null, f.testLink(j.test), ' ', h('a', { href: `#/test/${encodeURIComponent(j.test)}`, class: 'muted' }, '(history)')),
    h('dt', null, 'Machine'), h('dd', null, f.machineLink(j.machine)),
    h('dt', null, 'Target'), h('dd', null, h('code', null, j.target || '')),
    h('dt', null, 'Exit code'), h('dd', null, j.exit_code ?? '–'),
    h('dt', null, 'Attempt'), h('dd', null, String(j.attempt ?? 1)),
    h('dt', null, 'Program'), h('dd', null, h('code', null, j.app_name || ''), ' ',
      h('code', { class: 'muted', title: j.app }, (j.app || '').slice(0, 12))),
    h('dt', null, 'Timeout'), h('dd', null, `${j.timeout} s`));
}

function argsEnv(j) {
  const env = Object.entries(j.env || {});
  return h('div', { class: 'cols' },
    h('div', null, h('h3', null, 'Arguments'), j.args && j.args.length ?
      h('ol', { class: 'args' }, j.args.map((a) => h('li', null, h('code', null, a)))) : h('p', { class: 'muted' }, 'None.')),
    h('div', null, h('h3', null, 'Variables'), env.length ?
      table(['Name', 'Value'], env.map(([k, v]) => [h('code', null, k), h('code', null, v)]), { caption: 'EFI variables given to the program', captionClass: 'vh' }) :
      h('p', { class: 'muted' }, 'None.')));
}

export async function job(main, id, query, signal) {
  let j = await get(`/api/v1/jobs/${id}`, signal);
  const shown = new Set((query.get('status') || '').split(',').filter((s) => STATUSES.includes(s)));
  const caseFilter = h('input', { type: 'search', id: 'cfilter', placeholder: 'filter by name', value: query.get('case') || '' });
  const info = h('div');
  const casesBox = h('div');
  let stopped = false;

  const saveQuery = () => {
    const q = new URLSearchParams();
    if (shown.size) q.set('status', [...shown].join(','));
    if (caseFilter.value) q.set('case', caseFilter.value);
    setQuery(q);
  };

  const drawCases = () => {
    const cases = j.testcases || [];
    const n = Object.fromEntries(STATUSES.map((s) => [s, cases.filter((c) => c.status === s).length]));
    const q = caseFilter.value.toLowerCase();
    const rows = cases.filter((c) => (!shown.size || shown.has(c.status)) && (!q || c.name.toLowerCase().includes(q)));
    fill(casesBox,
      h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Show test cases by status' },
        STATUSES.filter((s) => n[s]).map((s) => h('button', {
          type: 'button', class: `chip o-${s}`, 'aria-pressed': shown.has(s) ? 'true' : 'false', dataset: { status: s },
          onclick: () => { if (shown.has(s)) shown.delete(s); else shown.add(s); drawCases(); saveQuery(); },
        }, `${s} ${n[s]}`)),
        h('label', { for: 'cfilter', class: 'vh' }, 'Filter test cases by name'), caseFilter),
      cases.length ? table(['#', 'Status', 'Name', 'Message'], rows.map((c) => ({
        attrs: { class: `case s-${c.status}` },
        cells: [{ v: c.seq, class: 'num' }, f.badge(c.status), { v: c.name, class: 'name' }, { v: c.message, class: 'reason' }],
      })), { caption: `Test cases: ${rows.length} of ${cases.length} shown`, class: 'grid cases' }) :
        h('p', { class: 'muted' }, over(j) ? 'No test case was reported.' : 'None yet.'));
  };
  caseFilter.addEventListener('input', () => { drawCases(); saveQuery(); });

  const drawInfo = () => {
    fill(info,
      h('h1', null, `Job ${j.id}: ${j.test} on ${j.machine || 'no machine yet'}`, ' ', f.outcome(j)),
      facts(j),
      h('section', { 'aria-labelledby': 'h-time' }, h('h2', { id: 'h-time' }, 'Timings'), timings(j)),
      h('section', { 'aria-labelledby': 'h-args' }, h('h2', { id: 'h-args' }, 'Arguments and variables'), argsEnv(j)));
    for (const s of info.querySelectorAll('.timeline > span')) s.style.flexGrow = s.dataset.w;
    drawCases();
  };

  // The console.
  const box = h('div', { class: 'log', id: 'log', role: 'log', tabindex: '0', 'aria-label': `Console of job ${j.id}`, 'aria-live': 'off' });
  const view = new LogView(box, j.id);
  const liveState = h('span', { class: 'live', role: 'status', 'aria-live': 'polite' });
  const search = h('input', { type: 'search', id: 'lsearch', placeholder: 'find in console', 'data-search': '', autocomplete: 'off' });
  const hitCount = h('span', { class: 'muted', 'aria-live': 'polite' });
  const onlyHits = h('input', { type: 'checkbox', id: 'lonly' });
  const wrap = h('input', { type: 'checkbox', id: 'lwrap', checked: true });
  const showHits = () => {
    hitCount.textContent = search.value ? `${view.cur >= 0 ? `${view.cur + 1} / ` : ''}${view.hits.length} lines` : '';
  };
  view.onHits = showHits;
  search.addEventListener('input', () => { view.search(search.value); showHits(); });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); view.step(e.shiftKey ? -1 : 1); showHits(); }
  });
  onlyHits.addEventListener('change', () => box.classList.toggle('only-hits', onlyHits.checked));
  wrap.addEventListener('change', () => box.classList.toggle('nowrap', !wrap.checked));
  const note = h('p', { class: 'muted' });

  fill(main, info,
    h('section', { 'aria-labelledby': 'h-cases' }, h('h2', { id: 'h-cases' }, 'Test cases'), casesBox),
    h('section', { 'aria-labelledby': 'h-console', class: 'console' },
      h('h2', { id: 'h-console' }, 'Console ', liveState),
      h('div', { class: 'toolbar' },
        h('label', { for: 'lsearch', class: 'vh' }, 'Find in the console'), search,
        h('button', { type: 'button', onclick: () => { view.step(-1); showHits(); }, 'aria-label': 'Previous match' }, '↑'),
        h('button', { type: 'button', onclick: () => { view.step(1); showHits(); }, 'aria-label': 'Next match' }, '↓'),
        hitCount,
        h('label', { class: 'check' }, onlyHits, ' only matching lines'),
        h('label', { class: 'check' }, wrap, ' wrap'),
        h('button', { type: 'button', onclick: () => { box.scrollTop = box.scrollHeight; view.follow = true; } }, 'End'),
        h('a', { href: `/api/v1/jobs/${j.id}/log`, download: `farm-job-${j.id}.log` }, 'raw log')),
      note, box));
  drawInfo();

  // Bytes to text across pieces: a character split between two pieces is
  // decoded whole.
  const decoder = new TextDecoder('utf-8');
  let offset = 0;
  const fetchFrom = async (from) => {
    const r = await fetch(`/api/v1/jobs/${j.id}/log?offset=${from}`, { signal });
    if (!r.ok) throw new Error(`console: HTTP ${r.status}`);
    const buf = new Uint8Array(await r.arrayBuffer());
    view.write(decoder.decode(buf, { stream: true }));
    return from + buf.length;
  };
  const refresh = async () => {
    j = await get(`/api/v1/jobs/${id}`, signal);
    drawInfo();
  };

  let start = 0;
  if (j.log_size > SHOW_MAX) {
    start = j.log_size - SHOW_TAIL;
    note.textContent = `The console is ${Math.round(j.log_size / 1048576)} MiB: the last ${SHOW_TAIL >> 20} MiB are shown; the raw log has all of it.`;
  }
  offset = await fetchFrom(start);
  const line = Number(query.get('line'));
  if (line) view.mark(line, false);

  let es = null;
  let poll = null;
  let retry = null;
  const finish = async () => {
    if (es) { es.close(); es = null; }
    liveState.textContent = 'finished';
    liveState.className = 'live ended';
    try {
      offset = await fetchFrom(offset);
      view.write(decoder.decode());
      await refresh();
    } catch (e) { if (e.name !== 'AbortError') note.textContent = e.message; }
  };
  const connect = () => {
    if (stopped) return;
    es = new EventSource(`/api/v1/jobs/${j.id}/log/stream?offset=${offset}`);
    liveState.textContent = 'connecting…';
    es.onopen = () => { liveState.textContent = 'live'; liveState.className = 'live on'; };
    es.addEventListener('log', (e) => {
      view.write(decoder.decode(unbase64(e.data), { stream: true }));
      offset = Number(e.lastEventId) || offset;
    });
    es.addEventListener('state', () => { refresh().catch(() => {}); });
    es.addEventListener('end', () => { finish(); });
    es.onerror = () => {
      if (stopped) return;
      liveState.textContent = 'reconnecting…';
      liveState.className = 'live off';
      // The browser retries by itself unless farmd refused the stream.
      if (es && es.readyState === EventSource.CLOSED) {
        es = null;
        retry = setTimeout(connect, 3000);
      }
    };
  };
  if (!over(j)) {
    connect();
    // Cases arrive while the test runs: show them as they come.
    poll = setInterval(() => { if (!over(j)) refresh().catch(() => {}); }, 3000);
  } else {
    liveState.textContent = 'finished';
    liveState.className = 'live ended';
    view.write(decoder.decode());
  }
  window.__farmLog = { view, get offset() { return offset; }, get source() { return es; } };
  return () => {
    stopped = true;
    if (es) es.close();
    if (poll) clearInterval(poll);
    if (retry) clearTimeout(retry);
  };
}
