// pages.js - Overview, Runs, Run, Matrix and Machine. Each view fetches
// its data (docs/api.md, "Web data routes"), draws it, and while something
// is still running asks again every few seconds, redrawing in place.

import { h, fill, table } from './dom.js';
import { get, enc } from './api.js';
import * as f from './fmt.js';
import { setQuery } from './app.js';

// Runs draw() keeping keyboard focus on the same link (by its address)
// when the redraw replaced it.
async function keepFocus(draw) {
  const main = document.getElementById('main');
  const a = document.activeElement;
  const href = a && main.contains(a) && a.getAttribute('href');
  await draw();
  if (href && !main.contains(a)) {
    const again = [...main.querySelectorAll('a[href]')].find((x) => x.getAttribute('href') === href);
    if (again) again.focus({ preventScroll: true });
  }
}

// Redraws with draw() every ms while keep() says so; returns stop.
function every(ms, draw, keep = () => true) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    timer = null;
    if (stopped) return;
    try { await keepFocus(draw); } catch (e) { if (e.name !== 'AbortError') console.warn(e.message); }
    if (!stopped && keep()) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return () => { stopped = true; if (timer) clearTimeout(timer); };
}

function section(title, id, ...kids) {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), kids);
}

function lastDots(results) {
  return h('span', { class: 'dots', 'aria-label': `last results, newest first: ${(results || []).join(', ') || 'none'}` },
    (results || []).map((r) => h('span', { class: `dot o-${r}`, title: r })));
}

function machineRows(machines, now) {
  return machines.map((m) => [
    f.machineLink(m.name),
    f.badge(m.state),
    m.arch,
    h('span', { class: 'tags' }, (m.tags || []).map((t) => h('span', { class: 'tag' }, t))),
    m.job ? h('span', null, f.jobLink(m.job), ' ', m.job_test ? f.testLink(m.job_test) : '') : h('span', { class: 'muted' }, 'none'),
    { v: h('span', null, f.badge(m.health || 'unknown'), ' ', lastDots(m.last)), title: m.health_reason },
    m.last_seen ? f.when(m.last_seen, now) : '',
  ]);
}

function runRows(list, now) {
  return list.map((r) => [
    f.runLink(r.id, `#${r.id}`),
    f.when(r.created_at, now),
    h('span', null, (r.tests || []).map((t, i) => [i ? ', ' : '', f.testLink(t)]),
      r.ntests > (r.tests || []).length ? ` +${r.ntests - r.tests.length} more` : ''),
    { v: String(r.njobs), class: 'num' },
    f.counts(r.counts),
    { v: r.finished_at && r.started_at ? f.dur(r.finished_at - r.started_at) : '', class: 'num' },
  ]);
}
const RUN_HEAD = ['Run', 'Created', 'Tests', ['Jobs', 'num'], 'Outcomes', ['Took', 'num']];

function jobRows(jobs, now, cols) {
  return jobs.map((j) => cols.map((c) => {
    switch (c) {
      case 'id': return f.jobLink(j.id);
      case 'run': return f.runLink(j.run);
      case 'test': return f.testLink(j.test);
      case 'machine': return f.machineLink(j.machine);
      case 'target': return h('code', null, j.target || '');
      case 'outcome': return f.outcome(j);
      case 'exit': return { v: j.exit_code ?? '', class: 'num' };
      case 'boot': return { v: f.dur(j.boot_ms), class: 'num' };
      case 'duration': return { v: f.dur(j.duration_ms), class: 'num' };
      case 'queued': return f.when(j.queued_at, now);
      case 'finished': return f.when(j.finished_at, now);
      case 'priority': return { v: j.priority, class: 'num' };
      case 'reason': return { v: j.reason || '', class: 'reason' };
      default: return '';
    }
  }));
}
const JOB_TITLES = {
  id: 'Job', run: 'Run', test: 'Test', machine: 'Machine', target: 'Target', outcome: 'Outcome',
  exit: ['Exit', 'num'], boot: ['Boot', 'num'], duration: ['Test time', 'num'], queued: 'Queued',
  finished: 'Finished', priority: ['Priority', 'num'], reason: 'Reason',
};
function jobTable(jobs, now, cols, caption) {
  if (!jobs.length) return h('p', { class: 'muted' }, 'None.');
  return table(cols.map((c) => JOB_TITLES[c]), jobRows(jobs, now, cols), { caption, captionClass: 'vh' });
}

// --- Overview ---

export async function overview(main, query, signal) {
  const draw = async () => {
    const o = await get('/api/v1/overview', signal);
    const now = o.now;
    fill(main,
      h('h1', null, 'Overview'),
      section('Machines', 'h-machines',
        table(['Machine', 'State', 'Arch', 'Tags', 'Current job', 'Health', 'Last seen'],
          machineRows(o.machines, now), { caption: 'Machines', captionClass: 'vh', class: 'grid machines' })),
      section(`Running (${o.running.length})`, 'h-running',
        jobTable(o.running, now, ['id', 'test', 'machine', 'outcome', 'queued'], 'Running jobs')),
      section(`Queue (${o.queue.total})`, 'h-queue',
        jobTable(o.queue.jobs, now, ['id', 'run', 'test', 'target', 'priority', 'queued'], 'Queued jobs'),
        o.queue.total > o.queue.jobs.length ? h('p', { class: 'muted' }, `and ${o.queue.total - o.queue.jobs.length} more`) : null),
      section('Latest runs', 'h-runs',
        o.runs.length ? table(RUN_HEAD, runRows(o.runs, now), { caption: 'Latest runs', captionClass: 'vh' }) :
          h('p', { class: 'muted' }, 'No run yet: farmctl schedule TEST…'),
        h('p', null, h('a', { href: '#/runs' }, 'All runs →'))));
  };
  await draw();
  return every(5000, draw);
}

// --- Runs ---

export async function runs(main, query, signal) {
  const before = query.get('before');
  const o = await get(`/api/v1/overview/runs?limit=50${before ? `&before=${enc(before)}` : ''}`, signal);
  fill(main,
    h('h1', null, 'Runs'),
    o.runs.length ? table(RUN_HEAD, runRows(o.runs, Date.now()), { caption: 'Runs, newest first', captionClass: 'vh' }) :
      h('p', { class: 'muted' }, 'No runs.'),
    h('nav', { class: 'pager', 'aria-label': 'Pages of runs' },
      before ? h('a', { href: '#/runs' }, '← Newest') : null,
      o.next_before ? h('a', { href: `#/runs?before=${o.next_before}` }, 'Older →') : null));
}

// --- Run ---

function runGrid(jobs) {
  const tests = [...new Set(jobs.map((j) => j.test))].sort();
  const machines = [...new Set(jobs.map((j) => j.machine ?? null))]
    .sort((a, b) => (a === null) - (b === null) || String(a).localeCompare(String(b)));
  const cell = (t, m) => jobs.filter((j) => j.test === t && (j.machine ?? null) === m);
  return table(['Test', ...machines.map((m) => (m === null ? 'unassigned' : h('a', { href: `#/machine/${enc(m)}` }, m)))],
    tests.map((t) => [f.testLink(t), ...machines.map((m) => ({
      v: cell(t, m).map((j) => h('a', { href: `#/job/${j.id}`, class: 'cell', dataset: { row: '' } },
        f.outcome(j), j.duration_ms != null ? h('span', { class: 'muted' }, ` ${f.dur(j.duration_ms)}`) : '')),
    }))]), { caption: 'Outcome of each test on each machine', rowHeader: true, class: 'grid matrix', focusable: true });
}

export async function run(main, id, query, signal) {
  let r;
  const done = () => r.jobs.every((j) => j.state === 'done' || j.state === 'cancelled');
  const draw = async () => {
    r = await get(`/api/v1/runs/${id}/json?cases=0`, signal);
    const c = {};
    for (const j of r.jobs) {
      const k = j.state === 'done' ? j.result : ['assigned', 'booting', 'running'].includes(j.state) ? 'running' : j.state;
      c[k] = (c[k] || 0) + 1;
    }
    fill(main,
      h('h1', null, `Run ${r.id}`),
      h('p', { class: 'lead' }, `Created ${f.time(r.created_at)} · ${r.jobs.length} jobs · `, f.counts(c)),
      h('p', { class: 'downloads' }, 'Download: ',
        h('a', { href: `/api/v1/runs/${r.id}/junit`, download: `farm-run-${r.id}.xml` }, 'JUnit XML'), ' · ',
        h('a', { href: `/api/v1/runs/${r.id}/tap`, download: `farm-run-${r.id}.tap` }, 'TAP'), ' · ',
        h('a', { href: `/api/v1/runs/${r.id}/json`, download: `farm-run-${r.id}.json` }, 'JSON')),
      section('Tests × machines', 'h-grid', runGrid(r.jobs)),
      section('Jobs', 'h-jobs', jobTable(r.jobs, Date.now(),
        ['id', 'test', 'machine', 'outcome', 'exit', 'boot', 'duration', 'reason'], 'Jobs of this run')));
  };
  await draw();
  return every(3000, draw, () => !done());
}

// --- Matrix ---

export async function matrix(main, query, signal) {
  const o = await get('/api/v1/matrix', signal);
  const by = query.get('by') === 'arch' ? 'arch' : 'machine';
  const arch = Object.fromEntries(o.machines.map((m) => [m.name, m.arch || '?']));
  const key = (c) => (by === 'arch' ? arch[c.machine] || '?' : c.machine);
  // The latest cell per (test, column): for arch, the newest job among
  // the machines of that arch.
  const cells = new Map();
  for (const c of o.cells) {
    const k = `${c.test}\u0000${key(c)}`;
    const old = cells.get(k);
    if (!old || old.job < c.job) cells.set(k, c);
  }
  const cols = [...new Set(o.cells.map(key))].sort();
  const tests = [...new Set(o.cells.map((c) => c.test))].sort();
  const filter = h('input', { type: 'search', id: 'mfilter', placeholder: 'filter tests', 'data-search': '', value: query.get('q') || '' });
  const onlyBad = h('input', { type: 'checkbox', id: 'mbad', checked: query.get('bad') === '1' });
  const bad = (r) => r && !['pass', 'skip'].includes(r);
  const holder = h('div');
  const draw = () => {
    const q = filter.value.toLowerCase();
    const rows = tests.filter((t) => !q || t.toLowerCase().includes(q))
      .filter((t) => !onlyBad.checked || cols.some((c) => bad((cells.get(`${t}\u0000${c}`) || {}).result)))
      .map((t) => [f.testLink(t), ...cols.map((c) => {
        const cell = cells.get(`${t}\u0000${c}`);
        if (!cell) return { v: '', class: 'empty' };
        const regressed = bad(cell.result) && cell.previous === 'pass';
        return {
          v: h('a', { href: `#/job/${cell.job}`, class: 'cell', dataset: { row: '' },
            'aria-label': `${t} on ${c}: ${cell.result}${regressed ? ', new since the previous run (was pass)' : ''}` },
          f.badge(cell.result), regressed ? h('span', { class: 'new', title: 'was pass before: first seen here' }, 'new') : ''),
          class: regressed ? 'regressed' : null,
          title: `${by === 'arch' ? `${cell.machine}, ` : ''}job ${cell.job}${cell.finished_at ? `, ${f.time(cell.finished_at)}` : ''}${cell.previous ? `; before: ${cell.previous}` : ''}`,
        };
      })]);
    fill(holder, rows.length ?
      table(['Test', ...cols.map((c) => (by === 'machine' ? h('a', { href: `#/machine/${enc(c)}` }, c) : c))], rows,
        { caption: `Latest outcome of each test on each ${by}`, rowHeader: true, class: 'grid matrix', focusable: true }) :
      h('p', { class: 'muted' }, tests.length ? 'No test matches.' : 'No finished job yet.'));
    const qs = new URLSearchParams();
    if (by === 'arch') qs.set('by', 'arch');
    if (filter.value) qs.set('q', filter.value);
    if (onlyBad.checked) qs.set('bad', '1');
    setQuery(qs);
  };
  filter.addEventListener('input', draw);
  onlyBad.addEventListener('change', draw);
  fill(main,
    h('h1', null, 'Matrix'),
    h('p', { class: 'lead' }, 'The latest outcome of each test on each ', by, '. ',
      h('span', { class: 'new' }, 'new'), ' marks a failure where the run before passed: where a regression is first seen.'),
    h('div', { class: 'toolbar' },
      h('label', { for: 'mfilter' }, 'Tests '), filter,
      h('label', { class: 'check' }, onlyBad, ' only failing'),
      h('span', { class: 'seg', role: 'group', 'aria-label': 'Columns' }, 'Columns: ',
        h('a', { href: '#/matrix', 'aria-current': by === 'machine' ? 'true' : null }, 'machines'), ' ',
        h('a', { href: '#/matrix?by=arch', 'aria-current': by === 'arch' ? 'true' : null }, 'arches'))),
    holder);
  draw();
}

// --- Machine ---

export async function machine(main, name, query, signal) {
  const before = query.get('before');
  const evBefore = query.get('events_before');
  const [mh, jobs, ev, all] = await Promise.all([
    get(`/api/v1/machines/${enc(name)}/health`, signal),
    get(`/api/v1/machines/${enc(name)}/jobs?limit=50${before ? `&before=${enc(before)}` : ''}`, signal),
    get(`/api/v1/machines/${enc(name)}/events?limit=50${evBefore ? `&before=${enc(evBefore)}` : ''}`, signal),
    get('/api/v1/machines', signal),
  ]);
  // farmd's own view of the machine (state, current job), when farm.conf
  // still has it; older machines are only in the database.
  const live = all.machines.find((m) => m.name === name) || null;
  const now = Date.now();
  const r = mh.recent || {};
  const page = (k, v) => { const q = new URLSearchParams(query); q.set(k, v); return `#/machine/${enc(name)}?${q}`; };
  fill(main,
    h('h1', null, `Machine ${name}`),
    h('dl', { class: 'facts' },
      h('dt', null, 'State'), h('dd', null, f.badge(live ? live.state : mh.db_state || 'unknown'),
        live ? '' : h('span', { class: 'muted' }, ' (not in farm.conf any more)')),
      h('dt', null, 'Current job'), h('dd', null, live && live.job ? f.jobLink(live.job) : 'none'),
      h('dt', null, 'Arch'), h('dd', null, mh.arch || (live && live.arch) || ''),
      h('dt', null, 'Kind'), h('dd', null, mh.kind || (live && live.kind) || ''),
      h('dt', null, 'Tags'), h('dd', null, (mh.tags || []).map((t) => h('span', { class: 'tag' }, t))),
      h('dt', null, 'Health'), h('dd', null, f.badge(mh.health), ' ', mh.health_reason || ''),
      h('dt', null, `Last ${r.jobs || 0} jobs`), h('dd', null, f.counts(r), ' ', lastDots(mh.last)),
      h('dt', null, 'Boots'), h('dd', null, String(mh.boots ?? (live && live.boots) ?? '')),
      h('dt', null, 'Last seen'), h('dd', null, mh.last_seen ? f.when(mh.last_seen, now) : 'never')),
    section('Jobs', 'h-mjobs', jobTable(jobs.jobs, now, ['id', 'run', 'test', 'outcome', 'exit', 'boot', 'duration', 'finished', 'reason'], `Jobs on ${name}`),
      h('nav', { class: 'pager', 'aria-label': 'Pages of jobs' },
        before ? h('a', { href: `#/machine/${enc(name)}` }, '← Newest') : null,
        jobs.next_before ? h('a', { href: page('before', jobs.next_before) }, 'Older jobs →') : null)),
    section('State changes', 'h-events', ev.events.length ?
      table(['When', 'State', 'Reason'], ev.events.map((e) => [
        h('span', null, f.time(e.at)), f.badge(e.state), { v: e.reason || '', class: 'reason' }]),
      { caption: `State changes of ${name}`, captionClass: 'vh' }) : h('p', { class: 'muted' }, 'None recorded.'),
    h('nav', { class: 'pager', 'aria-label': 'Pages of state changes' },
      ev.next_before ? h('a', { href: page('events_before', ev.next_before) }, 'Older changes →') : null)));
}
