// mailscope web timeline: the ladder. Events become rows of a sequence
// diagram, one lane per party; only the rows in view are in the DOM
// (the ladder is virtualized), and events arriving are drawn in batches,
// once per animation frame.
import { $, vis, el, txt, fmtTime } from './util.js';
import { I, t, tOr, prose, explainText, stateName, fmtDuration } from './i18n.js';
import {
  S, MAX_EVENTS, TRIM_TO, matches, appendRow, laneX, laneInfo, lanesOf, noteSession, sessionColor,
  recomputeTops, eventSideEffects,
} from './model.js';
import { select, refreshSessionList, refreshSessionListSoon, refreshFilterOptions, refreshFilterOptionsSoon, updateCounts } from './panels.js';

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
  S.newSessions = [];
  S.newMsgids = [];
  rebuild();
  refreshSessionList();
  refreshFilterOptions();
}
export function ingest(ev) {
  S.incoming.push(ev);
  if (S.incoming.length === 1) schedule();
}
function schedule() {
  if (document.hidden) setTimeout(flushIncoming, 100);
  else requestAnimationFrame(flushIncoming);
}
// FRAME_BUDGET is the time one frame spends taking in events: a burst of
// thousands is taken in over several frames, so that the page keeps
// answering clicks and keeps reading its websocket (a page that stops
// reading makes the server drop events for it).
const FRAME_BUDGET = 12; // ms
let followBottom = true;
function flushIncoming() {
  const all = S.incoming;
  if (!all.length) return;
  const t0 = performance.now();
  let lanesChanged = false, shown = false, i = 0;
  for (; i < all.length; i++) {
    if ((i & 255) === 255 && performance.now() - t0 > FRAME_BUDGET) break;
    const ev = all[i];
    // A skipped marker borrows the seq of the event after it: it neither
    // counts as seen nor is a duplicate.
    if (ev.kind !== 'skipped') {
      if (ev.seq <= S.lastSeq) continue; // already have it
      if (S.lastSeq && ev.seq > S.lastSeq + 1) S.missing += ev.seq - S.lastSeq - 1;
      S.lastSeq = ev.seq;
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
  S.incoming = i < all.length ? all.slice(i) : [];
  if (S.incoming.length) schedule();
  if (S.relabel) {
    S.relabel = false;
    for (const l of S.lanes) if (l.kind === 'client') Object.assign(l, laneInfo(l.key));
    lanesChanged = true;
  }
  if (S.events.length > MAX_EVENTS) {
    S.events = S.events.slice(S.events.length - TRIM_TO);
    rebuild();
    if (followBottom && $('autoscroll').checked) follow(i);
  } else {
    if (lanesChanged) drawLanes();
    if (shown) { updateSpace(); if (followBottom && $('autoscroll').checked) follow(i); else render(); }
  }
  refreshSessionListSoon();
  refreshFilterOptionsSoon();
  updateCounts();
  if (S.replayTo && S.lastSeq >= S.replayTo) { S.replayTo = 0; S.replayDoneAt = performance.now(); }
}

// follow keeps the newest rows in view. A few events are drawn at once; in
// a burst (n events in this frame) the rows in view all change every
// frame, and drawing them 60 times a second is most of what the page
// does: then the view follows at most FOLLOW_EVERY.
const FOLLOW_EVERY = 150; // ms
let lastFollow = 0, followTimer = 0;
function follow(n) {
  const now = performance.now();
  if (n < 50 || now - lastFollow >= FOLLOW_EVERY) {
    lastFollow = now;
    clearTimeout(followTimer);
    followTimer = 0;
    scrollToBottom();
    render();
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
export function scrollToBottom() {
  ladder.scrollTop = ladder.scrollHeight;
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
export function render() {
  const rowsEl = $('rows');
  if (!S.rows.length) {
    for (const e of S.rendered.values()) e.remove();
    S.rendered.clear();
    return;
  }
  const top = ladder.scrollTop / rowH, bottom = (ladder.scrollTop + ladder.clientHeight) / rowH;
  const from = Math.max(0, firstRowAt(top) - OVERSCAN);
  const to = Math.min(S.rows.length, firstRowAt(bottom) + 1 + OVERSCAN);
  const keep = new Set();
  for (let i = from; i < to; i++) {
    const ev = S.rows[i];
    const key = ev.seq + ':' + ev.kind + ':' + i;
    keep.add(key);
    let row = S.rendered.get(key);
    if (row && row._layout !== S.layout) { row.remove(); S.rendered.delete(key); row = null; }
    if (!row) {
      row = makeRow(ev, S.tops[i + 1] - S.tops[i]);
      row._layout = S.layout;
      S.rendered.set(key, row);
      rowsEl.appendChild(row);
    }
    row.style.top = (S.tops[i] * rowH) + 'px';
    row.classList.toggle('selected', ev.seq === S.selected && ev.kind !== 'skipped');
  }
  for (const [key, row] of S.rendered) {
    if (!keep.has(key)) { row.remove(); S.rendered.delete(key); }
  }
  tickCountdowns();
}

function replyClass(ev) {
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
  const text = prose(ev);
  if (ev.kind === 'queue' && step) {
    const name = tOr('web.step.' + step, step);
    if (!text.toLowerCase().startsWith(name.toLowerCase())) return text ? t('web.colon', { name: name, text: text }) : name;
  }
  return text;
}

function makeRow(ev, u) {
  const row = el('div', 'row k-' + ev.kind);
  row.dataset.seq = String(ev.seq);
  row.style.height = (u * rowH) + 'px';
  const color = sessionColor(ev);
  if (color) row.style.setProperty('--c', color);
  const time = el('span', 'time', fmtTime(ev));
  time.title = vis(t('web.event', { seq: ev.seq }) + (ev.session ? ' · ' + ev.session : ''));
  row.appendChild(time);
  const track = el('div', 'track');
  row.appendChild(track);

  if (ev.kind === 'skipped') {
    row.appendChild(el('div', 'full skipped', '⚠ ' + ((ev.msg || I.lang === 'en') && prose(ev) ? prose(ev) : t('web.skipped', { n: ev.skipped || 0 }))));
    track.remove();
    return row;
  }
  const lanes = lanesOf(ev);
  const arrowKinds = { line: 1, data: 1, http: 1, open: 1 };
  if (arrowKinds[ev.kind] && lanes.length === 2 && lanes[0] !== lanes[1]) {
    let a = laneX(lanes[0]), b = laneX(lanes[1]);
    if (ev.dir === 's2c') { const t = a; a = b; b = t; }
    if (ev.kind === 'open') { /* the client connects: client -> server */ }
    const arrow = el('div', 'arrow ' + (b >= a ? 'right' : 'left') + ' ' + (ev.dir || 'c2s') + (ev.kind === 'data' ? ' data' : '') + (ev.kind === 'open' ? ' dim' : ''));
    arrow.style.left = Math.min(a, b) + '%';
    arrow.style.width = Math.abs(b - a) + '%';
    const label = el('span', 'label');
    if (ev.dir === 's2c') { const rc = replyClass(ev); if (rc) label.classList.add(rc); }
    if (ev.kind === 'data') {
      const open = S.expanded.has(ev.seq);
      const tg = el('button', 'toggle', open ? '▾' : '▸');
      tg.type = 'button';
      tg.title = open ? t('web.data.collapse') : t('web.data.expand');
      tg.addEventListener('click', (e) => { e.stopPropagation(); toggleData(ev); });
      label.appendChild(tg);
      label.appendChild(txt('[' + dataSummary(ev) + ']'));
    } else if (ev.kind === 'open') {
      label.textContent = vis(t('web.connect', { peer: ev.peer || '' }));
    } else {
      label.textContent = ev.text === '' ? t('web.emptyline') : vis(ev.text);
    }
    flagBadges(label, ev);
    if (ev.kind === 'http' && ev.size) label.appendChild(el('span', 'badge masked', t('web.octets', { n: ev.size })));
    const why = explainText(ev.explain);
    arrow.title = vis(ev.kind === 'open' ? prose(ev) : (ev.kind === 'data' ? dataSummary(ev) : (ev.text || '')) + (why ? '\n' + why : ''));
    arrow.appendChild(label);
    track.appendChild(arrow);
    if (ev.kind === 'data' && S.expanded.has(ev.seq)) {
      const pre = el('pre', 'data', ev.data || t('web.data.missing'));
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
    const text = markText(ev, step);
    mark.appendChild(txt(text));
    if (ev.kind === 'queue' && /deferred|held|retry/.test(step)) {
      const dl = queueDeadline(ev);
      if (dl) {
        const cd = el('span', 'countdown');
        cd.dataset.deadline = String(dl);
        mark.appendChild(cd);
      }
    }
    const why = explainText(ev.explain);
    mark.title = vis(text + (why && ev.kind !== 'state' ? '\n' + why : ''));
    track.appendChild(mark);
  } else {
    row.appendChild(el('div', 'full', ev.kind !== 'note' ? t('web.colon', { name: kindName(ev.kind), text: prose(ev) }) : prose(ev)));
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

export function tickCountdowns() {
  const now = Date.now();
  for (const c of document.querySelectorAll('.countdown[data-deadline]')) {
    const left = Number(c.dataset.deadline) - now;
    c.textContent = left > 0 ? t('web.next', { d: fmtDuration(left) }) : t('web.trying');
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
  const atBottom = ladder.scrollTop + ladder.clientHeight >= ladder.scrollHeight - rowH * 2;
  followBottom = atBottom;
  if ($('autoscroll').checked !== atBottom && S.rows.length && !S.paused) $('autoscroll').checked = atBottom;
  renderSoon();
}, { passive: true });
window.addEventListener('resize', renderSoon);

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
$('autoscroll').addEventListener('change', (e) => { if (e.target.checked) { followBottom = true; scrollToBottom(); render(); } });

// ---------- large type ----------
export function setLarge(on) {
  document.body.classList.toggle('large', on);
  $('large').setAttribute('aria-pressed', String(on));
  localStorage.setItem('mailscope.large', on ? '1' : '');
  readRowH();
  S.layout++;
  updateSpace();
  if ($('autoscroll').checked) scrollToBottom();
  render();
}
$('large').addEventListener('click', () => setLarge(!document.body.classList.contains('large')));
