// history.js - one test across machines and time: per machine outcome
// counts, a pass-rate chart (per day) and a test-time chart (each job a
// point, a series per machine), drawn with uPlot (from npm, served by farmd
// from build/web/lib), and the jobs, newest first.

import { h, fill, table } from './dom.js';
import { get, enc } from './api.js';
import * as f from './fmt.js';

const PALETTE = ['#1f6fb2', '#b3261e', '#2e7d32', '#8a5300', '#6a3d9a', '#00838f', '#ad1457', '#5d4037'];
const DAY = 86400000;

// Pass rate per day over all machines: [days (s), rate %, jobs].
function passRate(jobs) {
  const by = new Map();
  for (const j of jobs) {
    if (j.state !== 'done' || !j.finished_at || j.result === 'skip') continue;
    const d = Math.floor(j.finished_at / DAY) * DAY;
    const e = by.get(d) || { pass: 0, n: 0 };
    e.n++;
    if (j.result === 'pass') e.pass++;
    by.set(d, e);
  }
  const days = [...by.keys()].sort((a, b) => a - b);
  return [days.map((d) => d / 1000), days.map((d) => Math.round((by.get(d).pass / by.get(d).n) * 1000) / 10),
    days.map((d) => by.get(d).n)];
}

// Test time per job, one series per machine, on a shared time axis.
function durations(jobs, machines) {
  const done = jobs.filter((j) => j.duration_ms != null && j.finished_at).sort((a, b) => a.finished_at - b.finished_at);
  const xs = done.map((j) => j.finished_at / 1000);
  return [xs, ...machines.map((m) => done.map((j) => (j.machine === m ? j.duration_ms / 1000 : null)))];
}

function chart(holder, opts, data) {
  if (typeof window.uPlot !== 'function') {
    fill(holder, h('p', { class: 'muted' }, 'Charts need uPlot, which make puts in build/web/lib (npm); it is not there.'));
    return null;
  }
  const width = Math.max(280, holder.clientWidth || 600);
  const plot = new window.uPlot({ width, height: 220, ...opts }, data, holder);
  const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, holder.clientWidth), height: 220 }));
  ro.observe(holder);
  return () => { ro.disconnect(); plot.destroy(); };
}

export async function testHistory(main, name, query, signal) {
  const machineSel = query.get('machine') || '';
  const before = query.get('before');
  const base = `/api/v1/tests/${enc(name)}/history`;
  // Names with a '/' cannot be one path segment: the query form then.
  const url = (q) => (name.includes('/') ? `/api/v1/test-history?name=${enc(name)}&${q}` : `${base}?${q}`);
  const [o, chartData] = await Promise.all([
    get(url(`limit=100${machineSel ? `&machine=${enc(machineSel)}` : ''}${before ? `&before=${enc(before)}` : ''}`), signal),
    get(url('limit=1000'), signal),
  ]);
  const summary = o.machines || (await get(url('limit=1'), signal)).machines;
  const machines = summary.map((m) => m.machine).filter((m) => m != null);
  const now = Date.now();
  const rateHolder = h('div', { class: 'chart', id: 'chart-rate', role: 'img',
    'aria-label': `Pass rate of ${name} per day, over its last ${chartData.jobs.length} jobs` });
  const durHolder = h('div', { class: 'chart', id: 'chart-duration', role: 'img',
    'aria-label': `Test time of ${name}'s last ${chartData.jobs.length} jobs, by machine` });
  const select = h('select', { id: 'hmachine', onchange: (e) => {
    location.hash = `#/test/${enc(name)}${e.target.value ? `?machine=${enc(e.target.value)}` : ''}`;
  } }, h('option', { value: '' }, 'all machines'), machines.map((m) => h('option', { value: m, selected: m === machineSel }, m)));

  fill(main,
    h('h1', null, `Test ${name}`),
    h('section', { 'aria-labelledby': 'h-sum' }, h('h2', { id: 'h-sum' }, 'By machine (last 1000 finished jobs)'),
      summary.length ? table(['Machine', ['Jobs', 'num'], ['Pass rate', 'num'], 'Outcomes', ['Mean test time', 'num'], 'Latest'],
        summary.map((m) => {
          const c = m.counts || {};
          const judged = m.jobs - (c.skip || 0);
          return [f.machineLink(m.machine), { v: m.jobs, class: 'num' },
            { v: judged ? `${Math.round(((c.pass || 0) / judged) * 100)} %` : '–', class: 'num' },
            f.counts(c), { v: f.dur(m.avg_duration_ms), class: 'num' }, f.jobLink(m.last_job)];
        }), { caption: `Outcomes of ${name} per machine`, captionClass: 'vh' }) :
        h('p', { class: 'muted' }, 'This test has no finished job.')),
    h('section', { 'aria-labelledby': 'h-charts', class: 'charts' }, h('h2', { id: 'h-charts' }, 'Over time'),
      h('figure', null, rateHolder, h('figcaption', null, 'Pass rate per day, all machines (skips left out)')),
      h('figure', null, durHolder, h('figcaption', null, 'Test time of each job, seconds, by machine'))),
    h('section', { 'aria-labelledby': 'h-hist' }, h('h2', { id: 'h-hist' }, 'Jobs'),
      h('div', { class: 'toolbar' }, h('label', { for: 'hmachine' }, 'Machine '), select),
      o.jobs.length ? table(['Job', 'Run', 'Machine', 'Outcome', ['Exit', 'num'], ['Test time', 'num'], 'Finished', 'Reason'],
        o.jobs.map((j) => [f.jobLink(j.id), f.runLink(j.run), f.machineLink(j.machine), f.outcome(j),
          { v: j.exit_code ?? '', class: 'num' }, { v: f.dur(j.duration_ms), class: 'num' }, f.when(j.finished_at, now),
          { v: j.reason || '', class: 'reason' }]), { caption: `Jobs of ${name}`, captionClass: 'vh' }) :
        h('p', { class: 'muted' }, 'No jobs.'),
      h('nav', { class: 'pager', 'aria-label': 'Pages of jobs' },
        before ? h('a', { href: `#/test/${enc(name)}${machineSel ? `?machine=${enc(machineSel)}` : ''}` }, '← Newest') : null,
        o.next_before ? h('a', { href: `#/test/${enc(name)}?${new URLSearchParams({ ...(machineSel ? { machine: machineSel } : {}), before: o.next_before })}` }, 'Older →') : null)));

  const stops = [];
  const rate = passRate(chartData.jobs);
  if (rate[0].length) {
    stops.push(chart(rateHolder, {
      scales: { x: { time: true }, y: { range: [0, 100] } },
      series: [{}, { label: 'pass rate %', stroke: PALETTE[0], width: 2, fill: 'rgba(31,111,178,0.08)',
        points: { show: true } }],
      axes: [{}, { label: '%' }],
    }, [rate[0], rate[1]]));
  } else fill(rateHolder, h('p', { class: 'muted' }, 'No finished job to chart.'));
  const d = durations(chartData.jobs, machines);
  if (d[0].length) {
    stops.push(chart(durHolder, {
      scales: { x: { time: true } },
      series: [{}, ...machines.map((m, i) => ({ label: m, stroke: PALETTE[i % PALETTE.length], paths: () => null,
        points: { show: true, size: 5, fill: PALETTE[i % PALETTE.length] } }))],
      axes: [{}, { label: 's' }],
    }, d));
  } else fill(durHolder, h('p', { class: 'muted' }, 'No finished job to chart.'));
  return () => stops.forEach((s) => s && s());
}
