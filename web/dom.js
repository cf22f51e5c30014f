// dom.js - building the page from data without ever parsing it as HTML.
// Every string from the farm (console lines, test names, reasons) becomes a
// text node; attributes are set one by one; nothing uses innerHTML.

// h('a', {href: '#/job/1', class: 'x'}, 'text', child, [more]) -> Element.
// Attributes: class, dataset (object), on<event> (function), aria-*,
// everything else through setAttribute. null/undefined/false children and
// attributes are skipped.
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, kids);
  return el;
}

function add(el, kids) {
  for (const k of kids) {
    if (k == null || k === false) continue;
    if (Array.isArray(k)) add(el, k);
    else if (k instanceof Node) el.appendChild(k);
    else el.appendChild(document.createTextNode(String(k)));
  }
}

// Replaces the children of el.
export function fill(el, ...kids) {
  el.replaceChildren();
  add(el, kids);
  return el;
}

// A table: head is a list of column titles (or [title, class]); rows are
// lists of cells (a cell is content or {v: content, class, title}).
export function table(head, rows, opts = {}) {
  const thead = h('thead', null, h('tr', null, head.map((c) => {
    const [t, cls] = Array.isArray(c) ? c : [c, null];
    return h('th', { scope: 'col', class: cls }, t);
  })));
  const tbody = h('tbody', null, rows.map((r) => h('tr', r.attrs || null,
    (r.cells || r).map((c, i) => {
      const cell = c && typeof c === 'object' && !(c instanceof Node) && !Array.isArray(c) ? c : { v: c };
      const tag = i === 0 && opts.rowHeader ? 'th' : 'td';
      return h(tag, { class: cell.class, title: cell.title, scope: tag === 'th' ? 'row' : null }, cell.v);
    }))));
  const t = h('table', { class: opts.class || 'grid' },
    opts.caption ? h('caption', { class: opts.captionClass }, opts.caption) : null, thead, tbody);
  return h('div', { class: 'scroll', tabindex: opts.focusable ? 0 : null,
    role: opts.focusable ? 'region' : null, 'aria-label': opts.focusable ? opts.caption : null }, t);
}
