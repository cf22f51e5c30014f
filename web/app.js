// app.js - the page's router and keyboard. Every view has a stable address
// (#/job/12, #/run/4, #/test/selftest, #/machine/vm-x86, #/matrix, #/runs)
// that can be shared; a view is a function that fills <main> and returns
// how to stop (close its live log, its refresh timer).

import { h, fill } from './dom.js';
import { overview, runs, run, matrix, machine } from './pages.js';
import { job } from './job.js';
import { testHistory } from './history.js';

const routes = [
  [/^\/?$/, overview, 'overview'],
  [/^\/runs$/, runs, 'runs'],
  [/^\/run\/(\d+)$/, run, 'runs'],
  [/^\/job\/(\d+)$/, job, null],
  [/^\/test\/(.+)$/, testHistory, 'matrix'],
  [/^\/matrix$/, matrix, 'matrix'],
  [/^\/machine\/(.+)$/, machine, 'overview'],
];

const main = document.getElementById('main');
const status = document.getElementById('status');
let stop = null;
let ctl = null;

// The current address: path parts and query.
export function where() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path, query: new URLSearchParams(qs || '') };
}

// Changes the query of the current address without drawing the view again.
export function setQuery(query) {
  const { path } = where();
  const qs = query.toString();
  history.replaceState(null, '', `#${path}${qs ? `?${qs}` : ''}`);
}

async function render() {
  if (stop) { try { stop(); } catch { /* ignore */ } stop = null; }
  if (ctl) ctl.abort();
  ctl = new AbortController();
  const { path, query } = where();
  let found = null;
  for (const [re, view, nav] of routes) {
    const m = path.match(re);
    if (m) { found = { view, nav, args: m.slice(1).map(decodeURIComponent) }; break; }
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (found && a.dataset.nav === found.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.setAttribute('aria-busy', 'true');
  if (!found) {
    fill(main, h('h1', null, 'Not found'), h('p', null, 'There is no page ', h('code', null, path), ' here. ',
      h('a', { href: '#/' }, 'Overview')));
    main.removeAttribute('aria-busy');
    return;
  }
  try {
    stop = await found.view(main, ...found.args, query, ctl.signal);
  } catch (e) {
    if (e.name === 'AbortError') return;
    fill(main, h('h1', null, 'Error'), h('p', { class: 'error', role: 'alert' }, e.message));
  }
  main.removeAttribute('aria-busy');
  const title = main.querySelector('h1');
  document.title = title ? `${title.textContent} – farm` : 'farm';
  status.textContent = title ? `${title.textContent} loaded` : '';
}

// Keyboard: g o / g r / g m, j and k between rows, / to search, . to go to.
let pendingG = 0;
function onKey(e) {
  const t = e.target;
  const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
  if (e.key === 'Escape' && typing) { t.blur(); return; }
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (pendingG && Date.now() - pendingG < 1500) {
    pendingG = 0;
    const go = { o: '#/', r: '#/runs', m: '#/matrix' }[e.key];
    if (go) { location.hash = go; e.preventDefault(); return; }
  }
  pendingG = 0;
  if (e.key === 'g') { pendingG = Date.now(); return; }
  if (e.key === '?') { document.getElementById('help').showModal(); e.preventDefault(); return; }
  if (e.key === '/') {
    const f = main.querySelector('[data-search]');
    if (f) { f.focus(); e.preventDefault(); }
    return;
  }
  if (e.key === '.') { document.getElementById('goto-q').focus(); e.preventDefault(); return; }
  if (e.key === 'j' || e.key === 'k') {
    const rows = [...main.querySelectorAll('tbody tr')].filter((r) => r.offsetParent && r.querySelector('a'));
    if (!rows.length) return;
    const at = rows.findIndex((r) => r.contains(document.activeElement));
    const next = rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + (e.key === 'j' ? 1 : -1)))];
    next.querySelector('a').focus();
    e.preventDefault();
  }
}

// "Go to": a number is a job; "run 4", "job 12", "test X", "machine Y", or
// a name that is tried as a test.
function onGoto(e) {
  e.preventDefault();
  const q = document.getElementById('goto-q').value.trim();
  if (!q) return;
  let m;
  if ((m = q.match(/^(?:job\s*)?#?(\d+)$/i))) location.hash = `#/job/${m[1]}`;
  else if ((m = q.match(/^run\s*#?(\d+)$/i))) location.hash = `#/run/${m[1]}`;
  else if ((m = q.match(/^machine\s+(.+)$/i))) location.hash = `#/machine/${encodeURIComponent(m[1])}`;
  else if ((m = q.match(/^test\s+(.+)$/i))) location.hash = `#/test/${encodeURIComponent(m[1])}`;
  else location.hash = `#/test/${encodeURIComponent(q)}`;
  document.getElementById('goto-q').value = '';
  main.focus();
}

window.addEventListener('hashchange', () => { render(); main.focus({ preventScroll: true }); });
document.addEventListener('keydown', onKey);
document.getElementById('goto').addEventListener('submit', onGoto);
document.getElementById('help-btn').addEventListener('click', () => document.getElementById('help').showModal());
document.getElementById('skip').addEventListener('click', (e) => { e.preventDefault(); main.focus(); });
render();
