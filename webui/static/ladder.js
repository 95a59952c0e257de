// mailscope web timeline: the ladder. Events become rows of a sequence
// diagram, one lane per party; only the rows in view are in the DOM
// (the ladder is virtualized), and events arriving are drawn in batches,
// once per animation frame.
import { $, vis, el, txt, fmtTime } from './util.js';
import { I, t, tOr, prose, explainText, stateName, fmtDuration } from './i18n.js';
import {
  S, MAX_EVENTS, TRIM_TO, matches, appendRow, laneX, laneInfo, lanesOf, noteSession, sessionColor,
  recomputeTops, eventSideEffects, resetSlots, wraps, onEvent,
} from './model.js';
import { select, refreshSessionList, refreshSessionListSoon, refreshFilterOptions, refreshFilterOptionsSoon, updateCounts, updateCountsSoon } from './panels.js';

const OVERSCAN = 12; // rows rendered above and below the visible ones

export function drawLanes() {
  const heads = $('lane-heads'), lines = $('lane-lines');
  heads.replaceChildren();
  lines.replaceChildren();
  const w = 100 / Math.max(1, S.lanes.length);
  for (const l of S.lanes) {
    const x = laneX(l.key);
    const h = el('div', 'lane-head ' + l.kind, l.label);
    h.style.left = x + '%';
    h.style.maxWidth = (w * 0.95) + '%';
    if (l.sub) h.appendChild(el('small', '', l.sub));
    h.title = vis(l.label + (l.sub ? ' (' + l.sub + ')' : ''));
    heads.appendChild(h);
    const v = el('div', 'lane-line');
    v.style.left = x + '%';
    lines.appendChild(v);
  }
}

export function rebuild() {
  S.rows = [];
  S.tops = [0];
  S.lanes = [];
  S.laneIdx = new Map();
  S.layout++;
  for (const ev of S.events) {
    if (matches(ev)) appendRow(ev);
  }
  if (wraps()) { measureReset(); recomputeTops(); }
  drawLanes();
  for (const e of S.rendered.values()) e.remove();
  S.rendered.clear();
  updateSpace();
  render();
}

// ---------- ingest ----------
export function resetAll() {
  S.events = [];
  S.sessions.clear();
  S.msgids.clear();
  S.actors.clear();
  S.expanded.clear();
  S.pending = [];
  S.selected = 0;
  S.lastSeq = 0;
  S.recvSeq = 0;
  S.dirty.clear();
  resetSlots();
  S.newSessions = [];
  S.newMsgids = [];
  resetQueueSteps();
  rebuild();
  refreshSessionList();
  refreshFilterOptions();
}
export function ingest(ev) {
  S.incoming.push(ev);
  if (!takeInQueued) { takeInQueued = true; soon(takeIn); }
}
// soon runs fn in a task of its own, after the tasks already waiting.
// setTimeout, not a MessageChannel: the 4 ms that a chained setTimeout
// waits leave the browser its time to draw (with a MessageChannel the
// p95 frame time of BenchmarkPageBurst doubled).
function soon(fn) { setTimeout(fn, 0); }
// Events are taken in (the model: sessions, rows, lanes) in slices of at
// most SLICE ms between other tasks, so that the page keeps answering
// clicks and keeps reading its websocket (a page that stops reading makes
// the server fall back on its history for it); they are drawn once per
// animation frame. One slice a frame in a burst: a slice takes in about a
// thousand events, more than a burst of 10 clients brings in a frame, and
// the frames stay short (BenchmarkPageBurst: with three slices a frame the
// p95 frame time was a display refresh longer).
const SLICE = 8; // ms
const FRAME_GAP = 8; // ms of slices before the page lets the browser draw
let lastFrame = 0; // when the newest animation frame ran (draw)
let takeInQueued = false, drawQueued = false;
let lanesChanged = false, shown = false, taken = 0;
let followBottom = true;
// lateOK says whether an event older than the newest the page holds is
// new to it: a session that became a student's only now (a HELO claim, a
// login) comes with its earlier events, which went by before it was
// theirs (ws.go, late). They are taken once, for a session the page had
// not seen before they came; the session's rows then start where it
// became the student's.
const lateSessions = new Set(), lateSeqs = new Set();
function lateOK(ev) {
  if (!ev.session || lateSeqs.has(ev.seq)) return false;
  if (S.sessions.has(ev.session) && !lateSessions.has(ev.session)) return false;
  if (lateSeqs.size > 20000) { lateSeqs.clear(); lateSessions.clear(); }
  lateSessions.add(ev.session);
  lateSeqs.add(ev.seq);
  return true;
}
function takeIn() {
  takeInQueued = false;
  const all = S.incoming;
  if (!all.length) return;
  const t0 = performance.now();
  let i = 0;
  for (; i < all.length; i++) {
    if ((i & 127) === 127 && performance.now() - t0 > SLICE) break;
    const ev = all[i];
    // A skipped marker borrows the seq of the event after it: it neither
    // counts as seen nor is a duplicate.
    if (ev.kind !== 'skipped') {
      if (ev.seq <= S.lastSeq) {
        if (!lateOK(ev)) continue; // already have it
      } else {
        if (S.lastSeq && ev.seq > S.lastSeq + 1) S.missing += ev.seq - S.lastSeq - 1;
        S.lastSeq = ev.seq;
      }
    }
    S.events.push(ev);
    noteSession(ev);
    if (ev.msgid && !S.msgids.has(ev.msgid)) { S.msgids.set(ev.msgid, ev.seq); S.newMsgids.push(ev.msgid); }
    eventSideEffects(ev);
    if (!matches(ev)) continue;
    if (S.paused) { S.pending.push(ev); continue; }
    if (appendRow(ev)) lanesChanged = true;
    shown = true;
  }
  taken += i;
  S.incoming = i < all.length ? all.slice(i) : [];
  if (S.incoming.length) {
    takeInQueued = true;
    // Tasks back to back leave the browser no turn to draw: it renders
    // between tasks only when none waits, or after a long wait (a
    // hundred milliseconds and more in a burst). After FRAME_GAP without
    // a frame the next slice waits for one.
    if (!document.hidden && performance.now() - lastFrame > FRAME_GAP) requestAnimationFrame(() => soon(takeIn));
    else soon(takeIn);
  }
  if (S.events.length > MAX_EVENTS) trimOldest();
  if (!drawQueued) {
    drawQueued = true;
    if (document.hidden) setTimeout(draw, 100);
    else requestAnimationFrame(draw);
  }
}
// trimOldest lets the oldest events go (the page keeps TRIM_TO of them)
// and their rows with them, without building the rows again: a rebuild of
// 40,000 rows in a burst was a frame of a quarter of a second. The rows
// are in the events' order, so the ones that go are the first ones; the
// rows after them move up by the units they took, and so does the view.
function trimOldest() {
  const cut = S.events.length - TRIM_TO;
  for (let j = 0; j < cut; j++) S.events[j]._gone = true;
  S.events = S.events.slice(cut);
  let k = 0;
  while (k < S.rows.length && S.rows[k]._gone) k++;
  // A reader scrolled up, or a presenter stepping, keeps the rows from the
  // first one in view (or the current one): the line they read does not
  // go from under them. Those rows go at a later trim, when the page
  // follows again, or once the rows are twice the events the page keeps.
  if (!(followBottom && S.step < 0 && $('autoscroll').checked) && S.rows.length < 2 * MAX_EVENTS) {
    let hold = firstRowAt(ladder.scrollTop / rowH);
    if (S.step >= 0) hold = Math.min(hold, S.step);
    k = Math.min(k, hold);
  }
  if (!k) return;
  const base = S.tops[k];
  S.rows = S.rows.slice(k);
  S.tops = S.tops.slice(k).map((u) => u - base);
  // The rows' places changed: the drawn rows go at once (left in place
  // until the next frame, they would hold the ladder's old height, and
  // the scroll below would not be the page's own).
  S.layout++;
  for (const e of S.rendered.values()) e.remove();
  S.rendered.clear();
  if (S.step >= 0) S.step = Math.max(0, S.step - k);
  const y = ladder.scrollTop - base * rowH;
  updateSpace();
  ladder.scrollTop = Math.max(0, y);
  ownScroll = ladder.scrollTop;
  // Drawn now: the next frame's follow may wait (FOLLOW_EVERY in a
  // burst, or for good while the presenter steps), and the ladder would
  // be blank until then.
  render();
  shown = true;
}
// While the kept history replays on opening (S.replayFrom), nothing is
// drawn for up to REPLAY_HOLD ms: the rows, the lists and the counts are
// drawn once, when it is in, rather than in every frame of the replay.
const REPLAY_HOLD = 1500; // ms
let holdTimer = 0;
function holding() {
  if (!S.replayTo || !S.replayFrom || S.lastSeq >= S.replayTo) return false;
  const wait = S.replayFrom + REPLAY_HOLD - performance.now();
  if (wait <= 0) return false;
  if (!holdTimer) holdTimer = setTimeout(() => { holdTimer = 0; if (!drawQueued) { drawQueued = true; requestAnimationFrame(draw); } }, wait);
  return true;
}
// draw shows what was taken in since the last frame.
function draw() {
  drawQueued = false;
  lastFrame = performance.now();
  if (holding()) return;
  if (S.relabel) {
    S.relabel = false;
    for (const l of S.lanes) if (l.kind === 'client') Object.assign(l, laneInfo(l.key));
    lanesChanged = true;
  }
  if (lanesChanged) { drawLanes(); if (wraps()) { measureReset(); recomputeTops(); } }
  if (shown || lanesChanged) {
    if (followBottom && $('autoscroll').checked) follow(taken);
    else { updateSpace(); render(); }
  }
  lanesChanged = shown = false;
  taken = 0;
  refreshSessionListSoon();
  refreshFilterOptionsSoon();
  updateCountsSoon();
  if (S.replayTo && S.lastSeq >= S.replayTo) { S.replayTo = 0; S.replayDoneAt = performance.now(); }
}

// follow keeps the newest rows in view. A few events are drawn at once; in
// a burst (n events in this frame) the rows in view all change every
// frame, and drawing them 60 times a second is most of what the page
// does: then the view follows at most FOLLOW_EVERY (four times a second:
// rows that change faster cannot be read; each follow is a frame that
// draws a screen of new rows, and at 150 ms they were a sixth of the
// frames of a burst).
const FOLLOW_EVERY = 250; // ms
let lastFollow = 0, followTimer = 0;
// The ladder's height changes with it (updateSpace): between two
// follows nothing on screen changes, and the browser has no frame to draw
// (the scroll bar's thumb moved in every frame of a burst).
function follow(n) {
  if (S.step >= 0) { updateSpace(); return; } // the presenter is stepping: live events do not move the view
  const now = performance.now();
  if (n < 50 || now - lastFollow >= FOLLOW_EVERY) {
    lastFollow = now;
    clearTimeout(followTimer);
    followTimer = 0;
    updateSpace();
    followTo();
    return;
  }
  if (!followTimer) followTimer = setTimeout(() => { followTimer = 0; if (followBottom && $('autoscroll').checked) follow(Infinity); }, FOLLOW_EVERY - (now - lastFollow));
}

// ---------- the ladder (virtualized) ----------
const ladder = $('ladder');
let rowH = 26;
export function readRowH() {
  const v = parseFloat(getComputedStyle(document.body).getPropertyValue('--row-h'));
  rowH = v > 0 ? v : 26;
}
export function updateSpace() {
  $('ladder-space').style.height = (S.tops[S.tops.length - 1] * rowH) + 'px';
  // The start-up note is not a sign of life: until a session shows,
  // the page says what to type.
  $('empty-hint').hidden = S.rows.some((ev) => ev.kind !== 'note');
}
// ownScroll is where the page itself last scrolled the ladder to: the
// scroll event that follows (a frame later, when more rows may have come)
// is not the reader leaving the bottom.
let ownScroll = -1;
export function scrollToBottom() {
  // The height the rows take, not ladder.scrollHeight: no layout is read
  // before the scroll (the browser keeps the scroll inside the space).
  ladder.scrollTop = S.tops[S.tops.length - 1] * rowH + ladder.clientHeight;
  ownScroll = ladder.scrollTop;
}
// followTo draws the newest rows and scrolls to them with one layout:
// the rows are drawn for the place the scroll will have, then the scroll
// is set. (Set first, the scroll made the browser lay the page out for
// it, and again for the rows: a fifth of the page's scripts in a burst.)
function followTo() {
  const h = viewH || ladder.clientHeight;
  const top = Math.max(0, S.tops[S.tops.length - 1] * rowH - h);
  render(top, h);
  ladder.scrollTop = top;
  ownScroll = ladder.scrollTop;
}
// viewH is the ladder's visible height, kept by its ResizeObserver: read
// from the element, it would lay the page out.
let viewH = 0;
export function rowHeight() { return rowH; }
// rowsInView is the range [from, to) of the rows on screen.
export function rowsInView() {
  if (!S.rows.length) return [0, 0];
  const from = firstRowAt(ladder.scrollTop / rowH);
  const to = Math.min(S.rows.length, firstRowAt((ladder.scrollTop + ladder.clientHeight - 1) / rowH) + 1);
  return [from, to];
}
// scrollToRow brings row i into view (a third from the top, or higher
// when the row is tall: all of it in view if it fits, else its top at
// the top) unless it is in view already.
export function scrollToRow(i) {
  const y = S.tops[i] * rowH, h = (S.tops[i + 1] - S.tops[i]) * rowH, vh = ladder.clientHeight;
  if (y < ladder.scrollTop || y + h > ladder.scrollTop + vh) ladder.scrollTop = Math.max(0, y - Math.max(0, Math.min(vh / 3, vh - h)));
  render();
}
function firstRowAt(unit) { // binary search: the row whose span holds unit
  let lo = 0, hi = S.rows.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (S.tops[mid] <= unit) lo = mid; else hi = mid - 1;
  }
  return lo;
}
let renderQueued = false;
export function renderSoon() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; render(); });
}
// render draws the rows in view: at the ladder's scroll, or at the scroll
// at (px) with a view h px high that the caller is about to set.
export function render(at, h) {
  const rowsEl = $('rows');
  if (!S.rows.length) {
    rowsEl.replaceChildren();
    S.rendered.clear();
    return;
  }
  const st = at === undefined ? ladder.scrollTop : at, ch = h === undefined ? ladder.clientHeight : h;
  const top = st / rowH, bottom = (st + ch) / rowH;
  // Following the newest rows, the rows above the view are drawn only for
  // a short scroll: in a burst every row changes every time the view
  // follows, and those rows were a third of what it drew.
  const above = followBottom && S.step < 0 && $('autoscroll').checked ? 3 : OVERSCAN;
  const from = Math.max(0, firstRowAt(top) - above);
  const to = Math.min(S.rows.length, firstRowAt(bottom) + 1 + OVERSCAN);
  const keep = new Map(), added = [];
  for (let i = from; i < to; i++) {
    const ev = S.rows[i];
    const key = ev.seq + ':' + ev.kind + ':' + i + (ev._fold ? ':' + ev._fold.length : '');
    let row = S.rendered.get(key);
    if (row && row._layout !== S.layout) row = null;
    if (!row) {
      row = makeRow(ev, S.tops[i + 1] - S.tops[i], i);
      row._layout = S.layout;
      added.push(row);
    }
    keep.set(key, row);
    const y = S.tops[i] * rowH;
    if (row._top !== y) { row.style.top = y + 'px'; row._top = y; }
    const cur = ev.seq === S.selected && ev.kind !== 'skipped';
    row.classList.toggle('selected', cur);
    row.classList.toggle('current', cur && S.step >= 0);
    // One row is a tab stop (the selected one); the arrow keys move.
    const tab = cur ? 0 : -1;
    if (row.tabIndex !== tab) row.tabIndex = tab;
  }
  // Rows out of view go; when most do (the view follows a burst), the
  // rows are replaced in one operation rather than removed one by one.
  let gone = 0;
  for (const [key, row] of S.rendered) if (keep.get(key) !== row) gone++;
  if (gone > 16) {
    rowsEl.replaceChildren(...keep.values());
  } else {
    for (const [key, row] of S.rendered) if (keep.get(key) !== row) row.remove();
    if (added.length) {
      const frag = document.createDocumentFragment();
      for (const r of added) frag.appendChild(r);
      rowsEl.appendChild(frag);
    }
  }
  S.rendered = keep;
  tickCountdowns();
}

// replyClass is a reply's colour class: r2 for success, r3 for more to
// come, r4 for a temporary failure, r5 for a permanent one.
export function replyClass(ev) {
  const c = ev.explain && ev.explain.class;
  if (c) {
    if (c === '+OK' || c === 'OK' || c === 'PREAUTH') return 'r2';
    if (c === 'BYE') return 'r4';
    if (c === '-ERR' || c === 'BAD') return 'r5';
    if (c === 'NO') return 'r4';
    if (/^[2-5]/.test(c)) return 'r' + c[0];
  }
  const t = ev.text || '';
  if (/^\+OK/.test(t)) return 'r2';
  if (/^-ERR/.test(t)) return 'r5';
  let m = /^([2-5])\d\d(?:[ -]|$)/.exec(t);
  if (m) return 'r' + m[1];
  m = /^HTTP\/\S+ ([1-5])\d\d/.exec(t);
  if (m) return 'r' + m[1];
  m = /^\S+ (OK|NO|BAD)\b/i.exec(t);
  if (m) return { OK: 'r2', NO: 'r4', BAD: 'r5' }[m[1].toUpperCase()];
  if (/^\+( |$)/.test(t)) return 'r3';
  return '';
}
function flagBadges(parent, ev) {
  for (const f of ev.flags || []) {
    const b = el('span', 'badge ' + (f === 'masked' ? 'masked' : ''), tOr('web.badge.' + f, f));
    b.dataset.flag = f;
    b.title = vis(flagText(f));
    parent.appendChild(b);
  }
}
export function flagText(f) { return tOr('web.flag.' + f, f); }

function queueDeadline(ev) {
  const a = ev.attrs || {};
  for (const k of ['next_attempt', 'next', 'retry_at', 'hold_until', 'at']) {
    if (a[k]) { const t = Date.parse(a[k]); if (!isNaN(t)) return t; }
  }
  for (const k of ['wait', 'in', 'delay', 'retry_in']) {
    if (a[k]) {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(a[k]);
      if (m) {
        const mult = { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] || 's'];
        return Date.parse(ev.time) + parseFloat(m[1]) * mult;
      }
    }
  }
  return 0;
}

export function kindName(k) { return tOr('web.kind.' + k, k); }
// dataSummary names a message body or literal: the server's own words in
// English, else its size in the page's language.
export function dataSummary(ev) {
  if (ev.msg || I.lang === 'en') return prose(ev) || kindName('data');
  return t('web.data.summary', { lines: ev.lines || 0, size: ev.size || 0 });
}
// markText is what a mark on a lane says: a state change with why, a
// queue step, a closed session, or what the event says.
export function markText(ev, step) {
  if (ev.kind === 'state') {
    const why = explainText(ev.explain);
    return '◆ ' + (ev.from ? stateName(ev.from) + ' → ' + stateName(ev.to) : stateName(ev.to)) + (why ? ' · ' + why : '');
  }
  if (ev.kind === 'close') return t('web.closed', { session: ev.session || '' });
  // A deferred mark has its live countdown after it ("next try in 4s"):
  // it says the next attempt's time without the wait frozen when the
  // event came ("(in 15s)"), which the countdown would contradict.
  const m = ev.msg;
  const text = ev.kind === 'queue' && m && m.key === 'queue.deferred' && queueDeadline(ev) ? prose({ msg: { key: 'queue.deferred.mark', args: m.args }, text: ev.text }) : prose(ev);
  // A queue mark starts with its step's name in the catalog's words; a
  // step the catalog does not name shows its prose alone (never a key).
  if (ev.kind === 'queue' && step) {
    const name = tOr('web.step.' + step, '');
    if (!name) return text || step;
    if (!text.toLowerCase().startsWith(name.toLowerCase())) return text ? t('web.colon', { name: name, text: text }) : name;
  }
  return text;
}

// ---------- presenter mode: rows that say everything ----------
// In presenter mode an arrow's label is never cut: it wraps onto as many
// lines as it needs, and the arrow's one-line explanation is written under
// it. The lines are measured (canvas measureText, the page's own fonts)
// when the row's height is worked out, and the same lines are drawn in
// the page and in an exported SVG or PNG.
const MONO = 'ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace';
const measureCtx = document.createElement('canvas').getContext('2d');
let measureKey = 0;
const charW = new Map(); // font -> Map(char -> width)
export function measureReset() { measureKey++; charW.clear(); geom = null; }
// geom is what measuring a row reads of the page (the track's width, the
// fonts), read once per layout rather than once per row: reading them
// per row made the browser lay the page out again for each row it took in.
let geom = null;
function geometry() {
  if (geom) return geom;
  const body = getComputedStyle(document.body);
  const px = parseFloat(body.fontSize) || 13;
  const tw = parseFloat(body.getPropertyValue('--time-w')) || 96;
  const why = (px * 0.8) + 'px ' + body.fontFamily;
  geom = {
    track: Math.max(200, ladder.clientWidth - tw),
    label: px + 'px ' + MONO,
    why: why,
    mark: 'bold ' + why.replace(/^[0-9.]+px/, (px * 0.9) + 'px'),
    full: 'italic ' + px + 'px ' + body.fontFamily,
  };
  return geom;
}
function widthOf(ch, font) {
  let m = charW.get(font);
  if (!m) { m = new Map(); charW.set(font, m); }
  let w = m.get(ch);
  if (w === undefined) { measureCtx.font = font; w = measureCtx.measureText(ch).width; m.set(ch, w); }
  return w;
}
// textWidth is the width of a text in a font, in px.
export function textWidth(text, font) {
  let w = 0;
  for (const ch of String(text)) w += widthOf(ch, font);
  return w;
}
// Chinese typesetting (and Japanese "kinsoku") never begins a line with
// a closing punctuation mark nor ends one with an opening one: such a mark
// stays with the character next to it.
const NO_START = new Set('，。、；：？！．）」』》〉】〕］｝〗〙〛”’…‥');
const NO_END = new Set('（「『《〈【〔［｛〖〘〚“‘');
// WIDE is a Chinese (or Japanese, Korean) character or punctuation mark:
// such a text breaks between any two of its characters, without spaces.
export const WIDE = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]/;
// lastChar is the last character of s (a pair of UTF-16 units for one
// beyond the BMP).
function lastChar(s) {
  const c = s.charCodeAt(s.length - 1);
  return c >= 0xdc00 && c <= 0xdfff && s.length > 1 ? s.slice(-2) : s.slice(-1);
}
// wrapLines breaks text into lines no wider than width: at a space when
// the line has one (the space goes), else anywhere (a wire line may have
// no space at all; Chinese breaks between its characters, so a line that
// has a space early does not end there), but not before a closing punctuation mark nor after an
// opening one: the characters they hold to move to the next line with
// them, which keeps every line within width, as the page's boxes need (a
// mark left hanging past the width would make the browser break the line
// again). Only a line too short to give a character away (one character
// and its marks, in a very narrow box) keeps the next mark hanging at its
// end.
export function wrapLines(text, font, width) {
  const out = [];
  for (const para of String(text).split('\n')) {
    let line = '', w = 0, lastSpace = -1;
    for (const ch of para) {
      const cw = widthOf(ch, font);
      let hang = false, broke = false;
      // After a break at a space, what follows it may still be too wide
      // (a run of Chinese after a space): it breaks again.
      while (w + cw > width && line && !hang) {
        if (lastSpace > 0 && ch !== ' ' && !WIDE.test(ch) && !WIDE.test(lastChar(line))) {
          out.push(line.slice(0, lastSpace));
          line = line.slice(lastSpace + 1);
        } else {
          let cut = line.length, next = ch;
          while (cut > 0 && (NO_START.has(next) || NO_END.has(lastChar(line.slice(0, cut))))) {
            next = lastChar(line.slice(0, cut));
            cut -= next.length;
          }
          if (cut === 0) { hang = true; break; }
          out.push(line.slice(0, cut));
          line = line.slice(cut);
        }
        broke = true;
        w = 0;
        for (const c of line) w += widthOf(c, font);
        lastSpace = -1;
      }
      // A space where the line breaks goes with the break.
      if (ch === ' ' && broke && !line) continue;
      if (ch === ' ') lastSpace = line.length;
      line += ch;
      w += cw;
    }
    out.push(line);
  }
  return out;
}
export function fontPx() { return parseFloat(getComputedStyle(document.body).fontSize) || 13; }
export function timeW() { return parseFloat(getComputedStyle(document.body).getPropertyValue('--time-w')) || 96; }
export function labelFont() { return fontPx() + 'px ' + MONO; }
export function whyFont() { return (fontPx() * 0.8) + 'px ' + getComputedStyle(document.body).fontFamily; }
// labelText is what an arrow says: the wire line, a message body's
// summary, the connection.
export function labelText(ev) {
  if (ev.kind === 'data') return '[' + dataSummary(ev) + ']';
  if (ev.kind === 'open') return vis(t('web.connect', { peer: ev.peer || '' }));
  return ev.text === '' ? t('web.emptyline') : vis(ev.text);
}
// arrowEnds is where an event's arrow starts and ends, in % of the track,
// or null when the event is no arrow.
export function arrowEnds(ev) {
  const lanes = lanesOf(ev);
  const arrowKinds = { line: 1, data: 1, http: 1, open: 1 };
  if (!arrowKinds[ev.kind] || lanes.length !== 2 || lanes[0] === lanes[1]) return null;
  let a = laneX(lanes[0]), b = laneX(lanes[1]);
  if (a === null || b === null) return null;
  if (ev.dir === 's2c') { const x = a; a = b; b = x; }
  return { from: a, to: b };
}
// measure is the layout of an event's row in presenter mode: the lines of
// its label and of its explanation, and its height in rows.
export function measure(ev) {
  if (ev._m && ev._m.key === measureKey && ev._m.fold === (ev._fold ? ev._fold.length : 0)) return ev._m;
  const m = { key: measureKey, fold: ev._fold ? ev._fold.length : 0, label: null, why: null, units: 1 };
  const ends = arrowEnds(ev);
  if (ends) {
    const g = geometry(), track = g.track;
    const arrowPx = Math.abs(ends.to - ends.from) / 100 * track;
    const fold = m.fold ? '  [+' + m.fold + ']' : '';
    // The label is centred on its arrow and at least 40% of the track
    // wide (70% on a phone, where lanes are close), kept inside the track.
    const narrow = S.narrow && !S.present;
    const pad = narrow ? 8 : 28;
    const arrowLeft = Math.min(ends.from, ends.to) / 100 * track;
    const W = Math.min(track - 4, Math.max(arrowPx, track * (narrow ? 0.7 : 0.4)));
    m.labelW = W;
    m.labelLeft = Math.max(0, Math.min(track - W, arrowLeft + arrowPx / 2 - W / 2)) - arrowLeft;
    m.label = wrapLines(labelText(ev) + fold, g.label, Math.max(40, W - pad - 4));
    const why = S.present && S.whyOn ? explainText(ev.explain) : '';
    if (why) {
      // Under the arrow, and at least 60% of the track wide, centred on
      // the arrow and kept inside the track.
      const wPx = Math.min(track - 8, Math.max(arrowPx, track * 0.6));
      const mid = (ends.from + ends.to) / 200 * track;
      m.whyLeft = Math.max(4, Math.min(track - wPx - 4, mid - wPx / 2));
      m.whyW = wPx;
      m.why = wrapLines(vis(why), g.why, wPx - 8);
    }
    m.units = m.label.length + (m.why ? m.why.length * 0.8 + 0.3 : 0) + 0.35;
  } else if (ev.kind !== 'skipped' && ev.kind !== 'diagnostic' && lanesOf(ev).length) {
    // A mark (a state change, a queue step) wraps too, within 80% of the
    // track.
    const g = geometry();
    m.mark = wrapLines(markText(ev, ev.attrs && ev.attrs.step ? ev.attrs.step : ''), g.mark, g.track * 0.8 - 24);
    m.units = Math.max(1, m.mark.length * 0.9 + 0.3);
  } else if (ev.kind !== 'skipped' && !lanesOf(ev).length) {
    // A line across the ladder (the start-up note, an event of no
    // session) wraps, whole, in the width right of the time column.
    const g = geometry();
    m.full = wrapLines(fullText(ev), g.full, g.track - 24);
    m.units = Math.max(1, m.full.length * 0.8 + 0.3);
  }
  ev._m = m;
  return m;
}
// fullText is what a row across the ladder says.
export function fullText(ev) {
  return ev.kind !== 'note' ? t('web.colon', { name: kindName(ev.kind), text: prose(ev) }) : prose(ev);
}
S.measure = (ev) => measure(ev).units;

// The session tag: a shape and a number, so that sessions differ by more
// than their colour.
const SHAPES = ['●', '■', '▲', '◆', '★', '✚', '⬟', '▼'];
export function sessionTag(ev) {
  const s = ev.session && S.sessions.get(ev.session);
  return s ? SHAPES[s.n % SHAPES.length] + (s.n + 1) : '';
}
// relTime is the time since the previous row: a long wait (the queue's
// retry) reads as a gap, "41s later".
export function relTime(i) {
  const ev = S.rows[i], prev = S.rows[i - 1];
  if (!prev) return { text: fmtTime(ev), gap: false };
  const d = Date.parse(ev.time) - Date.parse(prev.time);
  if (isNaN(d)) return { text: '', gap: false };
  // (On a phone the time column is narrow: "+1m 30s".)
  if (d >= 10000) return { text: S.narrow && !S.present ? '+' + fmtDuration(d) : t('web.p.later', { d: fmtDuration(d) }), gap: true };
  if (d < 1000) return { text: t('web.p.ms', { n: Math.max(0, d) }), gap: false };
  return { text: t('web.p.s', { n: (d / 1000).toFixed(1) }), gap: false };
}

function makeRow(ev, u, i) {
  const row = el('div', 'row k-' + ev.kind);
  row.dataset.seq = String(ev.seq);
  row.style.height = (u * rowH) + 'px';
  const color = sessionColor(ev);
  if (color) row.style.setProperty('--c', color);
  const rel = wraps() ? relTime(i) : null;
  const time = el('span', 'time' + (rel && rel.gap ? ' gap' : ''));
  const tag = sessionTag(ev);
  if (tag) time.appendChild(el('span', 'stag', tag));
  time.appendChild(txt(rel ? rel.text : fmtTime(ev)));
  time.title = vis(t('web.event', { seq: ev.seq }) + (ev.session ? ' · ' + ev.session : '') + ' · ' + fmtTime(ev));
  row.appendChild(time);
  const track = el('div', 'track');
  row.appendChild(track);

  if (ev.kind === 'skipped') {
    row.appendChild(el('div', 'full skipped', '⚠ ' + ((ev.msg || I.lang === 'en') && prose(ev) ? prose(ev) : t('web.skipped', { n: ev.skipped || 0 }))));
    track.remove();
    return row;
  }
  const lanes = lanesOf(ev);
  const ends = arrowEnds(ev);
  if (ends) {
    const a = ends.from, b = ends.to;
    const m = wraps() ? measure(ev) : null;
    const arrow = el('div', 'arrow ' + (b >= a ? 'right' : 'left') + ' ' + (ev.dir || 'c2s') + (ev.kind === 'data' ? ' data' : '') + (ev.kind === 'open' ? ' dim' : ''));
    arrow.style.left = Math.min(a, b) + '%';
    arrow.style.width = Math.abs(b - a) + '%';
    if (m) arrow.style.height = (m.label.length * rowH) + 'px';
    const label = el('span', 'label');
    if (m) {
      label.style.position = 'absolute';
      label.style.top = '0';
      label.style.left = m.labelLeft + 'px';
      label.style.width = m.labelW + 'px';
    }
    if (ev.dir === 's2c') { const rc = replyClass(ev); if (rc) label.classList.add(rc); }
    const folded = ev._fold && ev._fold.length;
    if (ev.kind === 'data' || folded) {
      const open = S.expanded.has(ev.seq);
      const tg = el('button', 'toggle', open ? '▾' : '▸');
      tg.type = 'button';
      tg.tabIndex = -1;
      tg.title = ev.kind === 'data' ? t(open ? 'web.data.collapse' : 'web.data.expand')
        : open ? t('web.fold.close') : t('web.fold.open', { n: ev._fold.length });
      tg.addEventListener('click', (e) => { e.stopPropagation(); toggleData(ev); });
      label.appendChild(tg);
    }
    // The text in a span of its own, on the page's background: the dashed
    // lane lines pass behind the words, not through them.
    label.appendChild(el('span', 'lt', m ? m.label.join('\n') : labelText(ev) + (folded ? '  [+' + ev._fold.length + ']' : '')));
    flagBadges(label, ev);
    if (ev.kind === 'http' && ev.size) label.appendChild(el('span', 'badge masked', t('web.octets', { n: ev.size })));
    const why = explainText(ev.explain);
    arrow.title = vis(ev.kind === 'open' ? prose(ev) : (ev.kind === 'data' ? dataSummary(ev) : (ev.text || '')) + (why ? '\n' + why : ''));
    arrow.appendChild(label);
    track.appendChild(arrow);
    if (m && m.why) {
      // The words on the page's background, as the label's: a projector's
      // heavy lane lines pass behind them.
      const w = el('div', 'why');
      w.appendChild(el('span', 'wt', m.why.join('\n')));
      w.style.top = (m.label.length * rowH + 0.2 * rowH) + 'px';
      w.style.left = m.whyLeft + 'px';
      w.style.width = m.whyW + 'px';
      track.appendChild(w);
    }
    if (S.expanded.has(ev.seq) && (ev.kind === 'data' || folded)) {
      const body = ev.kind === 'data' ? (ev.data || t('web.data.missing')) : [ev].concat(ev._fold).map((e) => e.text).join('\n');
      const pre = el('pre', 'data', body);
      if (m) pre.style.top = (m.units * rowH) + 'px';
      pre.addEventListener('click', (e) => e.stopPropagation());
      row.appendChild(pre);
    }
  } else if (ev.kind === 'diagnostic' && lanes.length) {
    track.appendChild(diagMark(ev, lanes));
  } else if (lanes.length) {
    const x = laneX(lanes[lanes.length - 1]);
    const step = ev.attrs && ev.attrs.step ? ev.attrs.step : '';
    const mark = el('div', 'mark ' + ev.kind + (step ? ' q-' + step : ''));
    mark.style.left = (x === null ? 50 : x) + '%';
    // A mark stays inside the track: it must not cover the time column.
    if (x !== null) mark.style.maxWidth = Math.max(10, Math.min(80, 2 * x - 2, 2 * (100 - x) - 2)) + '%';
    const text = markText(ev, step);
    const mm = wraps() ? measure(ev) : null;
    if (mm && mm.mark) {
      mark.classList.add('wrapped');
      mark.style.maxWidth = '80%';
      const x0 = x === null ? 50 : x;
      // Kept inside the track: centred on its lane where there is room.
      mark.style.left = Math.max(40, Math.min(60, x0)) + '%';
      mark.appendChild(txt(mm.mark.join('\n')));
    } else mark.appendChild(txt(text));
    if (ev.kind === 'queue' && /deferred|held|retry/.test(step)) {
      const dl = queueDeadline(ev);
      if (dl) {
        const cd = el('span', 'countdown');
        cd.dataset.deadline = String(dl);
        cd._ev = ev;
        mark.appendChild(cd);
      }
    }
    const why = explainText(ev.explain);
    mark.title = vis(text + (why && ev.kind !== 'state' ? '\n' + why : ''));
    track.appendChild(mark);
  } else {
    const m = wraps() ? measure(ev) : null;
    row.appendChild(el('div', 'full' + (m && m.full ? ' wrapped' : ''), m && m.full ? m.full.join('\n') : fullText(ev)));
    track.remove();
  }
  row.addEventListener('click', () => select(ev));
  return row;
}

// diagMark is a teaching assistant's remark on a likely mistake: a mark
// between the client and its server with a warning sign and the word
// "diagnostic" (not colour alone), what happened on it; what to do is in
// its title and, on a click, in the explanation panel.
function diagMark(ev, lanes) {
  const xs = lanes.map(laneX).filter((x) => x !== null);
  const mid = xs.length ? (Math.min(...xs) + Math.max(...xs)) / 2 : 50;
  const mark = el('div', 'mark diagnostic');
  mark.style.left = mid + '%';
  mark.setAttribute('role', 'note');
  // "diagnostic: what happened", the label set apart in bold capitals.
  const text = prose(ev);
  const line = t('web.colon', { name: '\u0000', text: text });
  const cut = line.indexOf('\u0000');
  mark.appendChild(el('span', 'diag-label', '\u26a0 ' + t('web.diag.label')));
  mark.appendChild(txt(line.slice(cut + 1)));
  const why = explainText(ev.explain);
  mark.title = vis('\u26a0 ' + t('web.colon', { name: t('web.diag.label'), text: text }) + (why ? '\n' + why : ''));
  return mark;
}

// A countdown this long past its time says the attempt is overdue rather
// than due (as the queue view does): the worker runs within a second of a
// due time, unless the queue is held or a session is still open.
const OVERDUE_MS = 15000;
// What a recipient's queue did, by server, message and recipient: a
// countdown past its time says what came after its mark ("attempt 41s
// later"), or else that the attempt is due or overdue; never "trying
// now" for good.
const NEXT_STEPS = new Set(['attempt', 'released', 'delivered', 'delivered-local', 'bounced', 'retry-now', 'bounce-now']);
const queueSteps = new Map(); // key -> [{seq, step, time}]
function queueKey(ev) { const a = ev.attrs || {}; return (ev.server || '') + '\u0000' + (ev.msgid || '') + '\u0000' + (a.rcpt || ''); }
onEvent((ev) => {
  const step = ev.kind === 'queue' && ev.attrs && ev.attrs.step;
  if (!step || !NEXT_STEPS.has(step)) return;
  const k = queueKey(ev);
  let l = queueSteps.get(k);
  if (!l) queueSteps.set(k, l = []);
  l.push({ seq: ev.seq, step: step, time: Date.parse(ev.time) });
  if (l.length > 20) l.shift();
});
export function resetQueueSteps() { queueSteps.clear(); }
// countdownText is what a queue mark's countdown says at now, and
// whether the attempt is overdue.
export function countdownText(ev, deadline, now) {
  const next = ev && (queueSteps.get(queueKey(ev)) || []).find((s) => s.seq > ev.seq);
  if (next) {
    const d = next.time - Date.parse(ev.time);
    return [t('web.cd.then', { step: tOr('web.step.' + next.step, next.step), d: fmtDuration(isNaN(d) ? 1 : Math.max(1, d)) }), false];
  }
  const left = deadline - now;
  if (left > 0) return [t('web.next', { d: fmtDuration(left) }), false];
  if (-left < OVERDUE_MS) return [t('web.cd.due', { d: fmtDuration(-left) }), false];
  return [t('web.cd.overdue', { d: fmtDuration(-left) }), true];
}
export function tickCountdowns() {
  const now = Date.now();
  for (const c of $('rows').querySelectorAll('.countdown[data-deadline]')) {
    const [s, overdue] = countdownText(c._ev, Number(c.dataset.deadline), now);
    if (c.textContent !== s) c.textContent = s;
    c.classList.toggle('overdue', overdue);
  }
}
setInterval(tickCountdowns, 1000);

function toggleData(ev) {
  if (S.expanded.has(ev.seq)) S.expanded.delete(ev.seq); else S.expanded.add(ev.seq);
  recomputeTops();
  updateSpace();
  render();
}

ladder.addEventListener('scroll', () => {
  // The page's own scroll to the bottom: the rows there are drawn already.
  if (ownScroll >= 0 && Math.abs(ladder.scrollTop - ownScroll) < 2) return;
  ownScroll = -1;
  const atBottom = ladder.scrollTop + ladder.clientHeight >= ladder.scrollHeight - rowH * 2;
  followBottom = atBottom && S.step < 0;
  if (S.step < 0 && $('autoscroll').checked !== atBottom && S.rows.length && !S.paused) $('autoscroll').checked = atBottom;
  renderSoon();
}, { passive: true });
window.addEventListener('resize', renderSoon);
// The track's width changes with the window, the panels beside the ladder
// and the ladder's scroll bar: rows laid out to say everything are
// measured again.
new ResizeObserver(() => {
  viewH = ladder.clientHeight;
  if (!geom) return;
  const w = ladder.clientWidth - (parseFloat(getComputedStyle(document.body).getPropertyValue('--time-w')) || 96);
  if (Math.abs(Math.max(200, w) - geom.track) < 1) return;
  measureReset();
  if (!wraps()) return;
  recomputeTops();
  updateSpace();
  if (followBottom && $('autoscroll').checked && S.step < 0) scrollToBottom();
  render();
}).observe(ladder);
// A phone-sized screen lays rows out as presenter mode does (labels
// wrapped, multi-line replies folded), without the explanations.
const narrowQuery = window.matchMedia('(max-width: 700px)');
function onNarrow() {
  S.narrow = narrowQuery.matches;
  document.body.classList.toggle('narrow', S.narrow);
  measureReset();
  rebuild();
  if (followBottom && $('autoscroll').checked) { scrollToBottom(); render(); }
}
narrowQuery.addEventListener('change', onNarrow);
S.narrow = narrowQuery.matches;
document.body.classList.toggle('narrow', S.narrow);

$('pause').addEventListener('click', () => {
  S.paused = !S.paused;
  $('pause').setAttribute('aria-pressed', String(S.paused));
  $('pause').textContent = S.paused ? t('web.resume') : t('web.pause');
  if (!S.paused) {
    let lanes = false;
    for (const ev of S.pending) if (matches(ev) && appendRow(ev)) lanes = true;
    S.pending = [];
    if (lanes) drawLanes();
    updateSpace();
    if ($('autoscroll').checked) scrollToBottom();
    render();
  }
  updateCounts();
});
$('autoscroll').addEventListener('change', (e) => { if (e.target.checked) goLive(); });
// goLive follows the newest rows again: the follow box checked, Live or
// Esc in presenter mode (the box set by code sends no change event, and
// stepping had stopped the following).
export function goLive() {
  followBottom = true;
  $('autoscroll').checked = true;
  updateSpace();
  scrollToBottom();
  render();
}

// ---------- large type ----------
export function setLarge(on) {
  document.body.classList.toggle('large', on);
  S.large = on;
  $('large').setAttribute('aria-pressed', String(on));
  localStorage.setItem('mailscope.large', on ? '1' : '');
  readRowH();
  S.layout++;
  measureReset();
  recomputeTops();
  updateSpace();
  if ($('autoscroll').checked) scrollToBottom();
  render();
}
$('large').addEventListener('click', () => setLarge(!document.body.classList.contains('large')));
