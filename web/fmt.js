// fmt.js - how times, durations and outcomes read on the page.
import { h } from './dom.js';

const pad = (n) => String(n).padStart(2, '0');

// Local date and time, to the second.
export function time(ms) {
  if (ms == null) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// "3 min ago"; the exact time is in the element's title.
export function ago(ms, now = Date.now()) {
  if (ms == null) return '';
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function when(ms, now) {
  if (ms == null) return '';
  return h('time', { datetime: new Date(ms).toISOString(), title: time(ms) }, ago(ms, now));
}

export function dur(ms) {
  if (ms == null) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const OUTCOMES = ['pass', 'fail', 'skip', 'error', 'infra', 'timeout'];
const WORDS = {
  pass: 'passed', fail: 'failed', skip: 'skipped', error: 'test error',
  infra: 'farm or lab failure', timeout: 'timed out', queued: 'queued',
  running: 'running', assigned: 'assigned', booting: 'booting', cancelled: 'cancelled',
  xpass: 'unexpected pass', xfail: 'expected failure', info: 'info',
};

// The job's outcome (its result when done, else its state) as a badge.
export function outcome(job) {
  const key = job.state === 'done' && job.result ? job.result : job.state;
  return badge(key);
}

export function badge(key, text) {
  return h('span', { class: `badge o-${String(key).replace(/[^a-z]/g, '')}`, title: WORDS[key] || null },
    text ?? key);
}

// Outcome counts as a row of small badges ("3 pass 1 fail").
export function counts(c) {
  const keys = [...OUTCOMES, 'queued', 'running', 'cancelled'];
  const parts = keys.filter((k) => c && c[k] > 0).map((k) => badge(k, `${c[k]} ${k}`));
  return h('span', { class: 'counts' }, parts.length ? parts : '–');
}

export function jobLink(id, text) {
  return id == null ? '' : h('a', { href: `#/job/${id}`, dataset: { row: '' } }, text ?? `#${id}`);
}
export function runLink(id, text) {
  return id == null ? '' : h('a', { href: `#/run/${id}` }, text ?? `run ${id}`);
}
export function testLink(name) {
  return name == null ? '' : h('a', { href: `#/test/${encodeURIComponent(name)}` }, name);
}
export function machineLink(name) {
  return name == null ? h('span', { class: 'muted' }, 'unassigned') :
    h('a', { href: `#/machine/${encodeURIComponent(name)}` }, name);
}
