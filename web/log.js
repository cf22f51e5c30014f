// log.js - a job's console as the page shows it.
//
// Term turns console text into lines the way a terminal would show them:
// LF ends a line, CR returns to its start (so CRLF is a plain line end and
// "10%\r20%" shows "20%"), backspace steps back, tabs go to the next
// multiple of 8, SGR escapes (colours, bold...) become styles, every other
// escape sequence and control byte is removed. It keeps its state between
// pieces, so an escape or a line split across two pieces of a live stream
// comes out whole.
//
// LogView draws Term's lines with line numbers, follows the end while the
// user is at the end, finds text, and links a line (#/job/N?line=L).
// Console text only ever becomes text nodes.

import { h } from './dom.js';

const BASIC = 16;

// A style is a small object; lines keep runs of equal style.
const PLAIN = Object.freeze({});

function sgr(style, params) {
  const s = { ...style };
  const p = params.length ? params : [0];
  for (let i = 0; i < p.length; i++) {
    const n = p[i];
    if (n === 0 || Number.isNaN(n)) { for (const k of Object.keys(s)) delete s[k]; }
    else if (n === 1) s.b = 1;
    else if (n === 2) s.d = 1;
    else if (n === 3) s.i = 1;
    else if (n === 4) s.u = 1;
    else if (n === 7) s.r = 1;
    else if (n === 9) s.s = 1;
    else if (n === 22) { delete s.b; delete s.d; }
    else if (n === 23) delete s.i;
    else if (n === 24) delete s.u;
    else if (n === 27) delete s.r;
    else if (n === 29) delete s.s;
    else if (n >= 30 && n <= 37) s.fg = n - 30;
    else if (n >= 90 && n <= 97) s.fg = n - 90 + 8;
    else if (n === 39) delete s.fg;
    else if (n >= 40 && n <= 47) s.bg = n - 40;
    else if (n >= 100 && n <= 107) s.bg = n - 100 + 8;
    else if (n === 49) delete s.bg;
    else if ((n === 38 || n === 48) && p[i + 1] === 5 && i + 2 < p.length) {
      s[n === 38 ? 'fg' : 'bg'] = Math.max(0, Math.min(255, p[i + 2] | 0));
      i += 2;
    } else if ((n === 38 || n === 48) && p[i + 1] === 2 && i + 4 < p.length) {
      const c = [p[i + 2], p[i + 3], p[i + 4]].map((x) => Math.max(0, Math.min(255, x | 0)));
      s[n === 38 ? 'fg' : 'bg'] = `rgb(${c[0]},${c[1]},${c[2]})`;
      i += 4;
    }
  }
  return Object.keys(s).length ? s : PLAIN;
}

// The 256-colour palette beyond the 16 basic ones, as CSS.
function color256(n) {
  if (n < 232) {
    const v = [0, 95, 135, 175, 215, 255];
    n -= 16;
    return `rgb(${v[Math.floor(n / 36)]},${v[Math.floor(n / 6) % 6]},${v[n % 6]})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
}

export class Term {
  constructor() {
    this.chars = [];      // the current line: characters...
    this.styles = [];     // ...and the style of each
    this.col = 0;
    this.style = PLAIN;
    this.mode = 0;        // 0 text, 1 after ESC, 2 CSI, 3 OSC/DCS string, 4 ESC in a string, 5 charset
    this.param = '';
    this.done = [];       // complete lines not yet taken
  }

  // Feeds decoded text; complete lines are then in take().
  feed(text) {
    for (const ch of text) {
      const c = ch.codePointAt(0);
      switch (this.mode) {
        case 0:
          if (c === 0x1b) { this.mode = 1; }
          else if (c === 0x0a) { this.newline(); }
          else if (c === 0x0d) { this.col = 0; }
          else if (c === 0x08) { if (this.col > 0) this.col--; }
          else if (c === 0x09) { do this.put(' '); while (this.col % 8); }
          else if (c === 0x9b) { this.mode = 2; this.param = ''; }
          else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) { /* other controls: removed */ }
          else this.put(ch);
          break;
        case 1:
          if (ch === '[') { this.mode = 2; this.param = ''; }
          else if (ch === ']' || ch === 'P' || ch === '_' || ch === '^' || ch === 'X') this.mode = 3;
          else if (ch === '(' || ch === ')' || ch === '*' || ch === '+' || ch === '#' || ch === '%') this.mode = 5;
          else this.mode = 0; // a two-byte escape: removed
          break;
        case 2:
          if (c >= 0x40 && c <= 0x7e) { this.csi(ch); this.mode = 0; }
          else if (c === 0x1b) this.mode = 1;
          else if (this.param.length < 64) this.param += ch;
          break;
        case 3:
          if (c === 0x07) this.mode = 0;
          else if (c === 0x1b) this.mode = 4;
          break;
        case 4:
          this.mode = ch === '\\' ? 0 : 3;
          break;
        case 5:
          this.mode = 0;
          break;
        default:
          this.mode = 0;
      }
    }
  }

  put(ch) {
    while (this.chars.length < this.col) { this.chars.push(' '); this.styles.push(PLAIN); }
    this.chars[this.col] = ch;
    this.styles[this.col] = this.style;
    this.col++;
  }

  csi(final) {
    const nums = this.param.replace(/^[?>=!]/, '').split(/[;:]/).map((x) => (x === '' ? NaN : Number(x)));
    const n = Number.isNaN(nums[0]) ? 1 : nums[0];
    switch (final) {
      case 'm': this.style = sgr(this.style, this.param === '' ? [] : nums); break;
      case 'K': {
        const mode = Number.isNaN(nums[0]) ? 0 : nums[0];
        if (mode === 0) { this.chars.length = this.col; this.styles.length = this.col; }
        else if (mode === 2) { this.chars = []; this.styles = []; }
        else for (let i = 0; i < Math.min(this.col, this.chars.length); i++) this.chars[i] = ' ';
        break;
      }
      case 'G': this.col = Math.max(0, n - 1); break;
      case 'C': this.col += n; break;
      case 'D': this.col = Math.max(0, this.col - n); break;
      case 'H': case 'f': case 'J':
        // Cursor placement and screen clearing (firmware set-up screens):
        // a line log cannot follow the cursor, so start a fresh line.
        if (this.chars.length) this.newline();
        this.col = 0;
        break;
      default: break; // other sequences: removed
    }
  }

  newline() {
    this.done.push(this.current());
    this.chars = [];
    this.styles = [];
    this.col = 0;
  }

  // The current (unfinished) line as {text, runs: [[text, style], ...]}.
  current() {
    const runs = [];
    let text = '';
    for (let i = 0; i < this.chars.length; i++) {
      const st = this.styles[i];
      if (runs.length && runs[runs.length - 1][1] === st) runs[runs.length - 1][0] += this.chars[i];
      else runs.push([this.chars[i], st]);
      text += this.chars[i];
    }
    return { text, runs };
  }

  take() {
    const d = this.done;
    this.done = [];
    return d;
  }
}

// A line's styled runs as nodes: a plain run is a text node, a styled one a
// span whose classes and colours come from numbers only.
function runNodes(runs) {
  return runs.map(([text, st]) => {
    if (st === PLAIN) return document.createTextNode(text);
    const span = document.createElement('span');
    const cls = [];
    let { fg, bg } = st;
    if (st.r) [fg, bg] = [bg ?? 'inv', fg ?? 'inv'];
    for (const k of ['b', 'd', 'i', 'u', 's']) if (st[k]) cls.push(`a-${k}`);
    for (const [v, side] of [[fg, 'f'], [bg, 'g']]) {
      if (v == null) continue;
      if (v === 'inv') cls.push(`a-${side}inv`);
      else if (typeof v === 'number' && v < BASIC) cls.push(`a-${side}${v}`);
      else span.style[side === 'f' ? 'color' : 'backgroundColor'] = typeof v === 'number' ? color256(v) : v;
    }
    span.className = cls.join(' ');
    span.textContent = text;
    return span;
  });
}

export class LogView {
  // box: the scrolling element; jobId for line links.
  constructor(box, jobId) {
    this.box = box;
    this.jobId = jobId;
    this.term = new Term();
    this.lines = [];          // plain text of complete lines
    this.tail = null;         // the element of the unfinished line
    this.hits = [];
    this.cur = -1;
    this.query = '';
    this.follow = true;
    this.onHits = null;
    this.marked = null;
    box.addEventListener('scroll', () => {
      this.follow = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    });
    box.addEventListener('click', (e) => {
      const n = e.target.closest && e.target.closest('.n');
      if (n) this.mark(Number(n.parentNode.dataset.line), true);
    });
  }

  lineEl(num, line) {
    return h('div', { class: 'l', id: `L${num}`, dataset: { line: num } },
      h('span', { class: 'n', dataset: { n: num }, 'aria-hidden': 'true', title: `Link to line ${num}` }),
      h('span', { class: 't' }, runNodes(line.runs)));
  }

  // Adds console text (decoded); keeps the view at the end when it was.
  write(text) {
    const stick = this.follow;
    this.term.feed(text);
    const done = this.term.take();
    const frag = document.createDocumentFragment();
    const q = this.query.toLowerCase();
    for (const line of done) {
      this.lines.push(line.text);
      const el = this.lineEl(this.lines.length, line);
      if (q && line.text.toLowerCase().includes(q)) { el.classList.add('hit'); this.hits.push(this.lines.length); }
      frag.appendChild(el);
    }
    if (this.tail) this.tail.remove();
    this.box.appendChild(frag);
    const cur = this.term.current();
    this.tail = cur.text.length ? this.lineEl(this.lines.length + 1, cur) : null;
    if (this.tail) { this.tail.classList.add('partial'); this.box.appendChild(this.tail); }
    if (done.length && q && this.onHits) this.onHits();
    if (stick) this.box.scrollTop = this.box.scrollHeight;
  }

  get count() { return this.lines.length + (this.tail ? 1 : 0); }

  // Highlights every line holding q (case-insensitive); returns the count.
  search(q) {
    this.query = q;
    for (const n of this.hits) { const el = this.box.querySelector(`#L${n}`); if (el) el.classList.remove('hit', 'cur'); }
    this.hits = [];
    this.cur = -1;
    if (q) {
      const lq = q.toLowerCase();
      this.lines.forEach((t, i) => {
        if (t.toLowerCase().includes(lq)) {
          this.hits.push(i + 1);
          this.box.children[i] && this.box.children[i].classList.add('hit');
        }
      });
    }
    this.box.classList.toggle('searching', !!q);
    return this.hits.length;
  }

  // Moves to the next (dir 1) or previous (-1) match; returns its index.
  step(dir) {
    if (!this.hits.length) return -1;
    const old = this.box.querySelector('.l.cur');
    if (old) old.classList.remove('cur');
    this.cur = (this.cur + dir + this.hits.length) % this.hits.length;
    const el = this.box.querySelector(`#L${this.hits[this.cur]}`);
    if (el) { el.classList.add('cur'); this.scrollTo(el); }
    return this.cur;
  }

  scrollTo(el) {
    this.box.scrollTop = el.offsetTop - this.box.clientHeight / 3;
    this.follow = false;
  }

  // Marks line n (from a link); share: put it in the address.
  mark(n, share) {
    const el = this.box.querySelector(`#L${n}`);
    if (!el) return false;
    if (this.marked) this.marked.classList.remove('marked');
    el.classList.add('marked');
    this.marked = el;
    this.scrollTo(el);
    if (share) history.replaceState(null, '', `#/job/${this.jobId}?line=${n}`);
    return true;
  }
}

// base64 (as the stream sends log bytes) to bytes.
export function unbase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
