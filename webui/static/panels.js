// mailscope web timeline: the panels beside the ladder. The explanation of
// the selected event, the session list, the filter menus and the counts,
// and the lesson panel.
import { $, vis, el, option, throttle, roving } from './util.js';
import { t, tOr, prose, explainText, enhText, rfcRef, stateName } from './i18n.js';
import { S, onEvent } from './model.js';
import { rebuild, render, scrollToBottom, kindName, dataSummary, markText, flagText, WIDE } from './ladder.js';

// ---------- explanation panel ----------
function stateAround(ev) {
  const s = ev.session && S.sessions.get(ev.session);
  if (!s || !s.states.length) return null;
  let before = '', after = '';
  // "after": the state in force when the session's next line comes.
  let nextSeq = Infinity;
  for (let i = S.events.length - 1; i >= 0; i--) {
    const e = S.events[i];
    if (e.seq <= ev.seq) break;
    if (e.session === ev.session && (e.kind === 'line' || e.kind === 'data' || e.kind === 'close')) nextSeq = e.seq;
  }
  for (const st of s.states) {
    if (st.seq < ev.seq) before = st.to;
    if (st.seq < nextSeq) after = st.to;
  }
  if (ev.kind === 'state') { before = ev.from || ''; after = ev.to; }
  return { before, after };
}
function dlRow(dl, k, v) {
  if (v === undefined || v === null || v === '') return;
  dl.appendChild(el('dt', '', k));
  dl.appendChild(el('dd', '', v));
}
export function select(ev) {
  S.selected = ev.seq;
  for (const r of S.rendered.values()) r.classList.toggle('selected', r.dataset.seq === String(ev.seq));
  const box = $('explain-body');
  box.replaceChildren();
  const who = ev.dir === 'c2s' ? t('web.x.c2s') : ev.dir === 's2c' ? t('web.x.s2c') : kindName(ev.kind);
  box.appendChild(el('div', 'hint', who + ' · ' + (ev.proto || kindName(ev.kind)) + (ev.session ? ' · ' + ev.session : '')));
  // The wire as it was; what a server says about itself in the page's
  // language.
  let shown;
  if (ev.kind === 'data') shown = '[' + dataSummary(ev) + ']';
  else if (ev.kind === 'line' || ev.kind === 'http') shown = ev.text === '' ? t('web.emptyline') : (ev.text || '');
  else if (ev.kind === 'state') shown = '◆ ' + (ev.from ? stateName(ev.from) + ' → ' + stateName(ev.to) : stateName(ev.to));
  else if (ev.kind === 'open') shown = t('web.connect', { peer: ev.peer || '' });
  else shown = markText(ev, ev.attrs && ev.attrs.step);
  if (ev.kind === 'diagnostic') box.appendChild(el('p', 'diag-head', '\u26a0 ' + t('web.diag.head')));
  box.appendChild(el('pre', 'wire', shown));
  const x = ev.explain;
  const meaning = explainText(x);
  if (meaning) box.appendChild(el('p', 'meaning', meaning));
  const dl = el('dl');
  if (x) {
    dlRow(dl, t('web.x.rfc'), rfcRef(x.rfc));
    dlRow(dl, t('web.x.class'), x.class);
    const et = enhText(x);
    if (x.enh) dlRow(dl, ev.proto === 'imap' ? t('web.x.code') : t('web.x.enh'), x.enh + (et ? ' — ' + rfcRef(et) : ''));
  }
  const st = stateAround(ev);
  if (st && (st.before || st.after)) {
    dl.appendChild(el('dt', '', t('web.x.state')));
    const dd = el('dd', 'state-flow', (stateName(st.before) || t('web.x.start')) + (st.after && st.after !== st.before ? ' → ' + stateName(st.after) : t('web.x.unchanged')));
    dl.appendChild(dd);
  }
  (ev.flags || []).forEach((f) => dlRow(dl, t('web.x.flag', { flag: tOr('web.badge.' + f, f) }), flagText(f)));
  dlRow(dl, t('web.x.server'), ev.server);
  dlRow(dl, t('web.x.hop'), ev.hop);
  dlRow(dl, t('web.x.client'), ev.actor || ev.peer || (S.sessions.get(ev.session) || {}).peer);
  dlRow(dl, t('web.x.msgid'), ev.msgid);
  if (ev.kind === 'data' || ev.kind === 'http') dlRow(dl, t('web.x.size'), ev.lines ? t('web.x.sizelines', { size: ev.size || 0, lines: ev.lines }) : t('web.octets', { n: ev.size || 0 }));
  dlRow(dl, t('web.x.time'), ev.time);
  dlRow(dl, t('web.x.event'), t('web.x.eventkind', { seq: ev.seq, kind: kindName(ev.kind) }));
  for (const [k, v] of Object.entries(ev.attrs || {})) {
    let val = v;
    if (k === 'step') val = tOr('web.step.' + v, v);
    else if (k === 'fault') val = tOr('web.fault.' + (v || 'none'), v);
    dlRow(dl, tOr('web.attr.' + k, k), val);
  }
  box.appendChild(dl);
  const btns = el('div');
  if (ev.msgid) {
    const b = el('button', '', t('web.x.follow', { id: ev.msgid }));
    b.type = 'button';
    b.addEventListener('click', () => setFilter('msgid', ev.msgid));
    btns.appendChild(b);
  }
  if (ev.session) {
    const b = el('button', '', t('web.x.only', { id: ev.session }));
    b.type = 'button';
    b.addEventListener('click', () => setFilter('session', ev.session));
    btns.appendChild(b);
  }
  box.appendChild(btns);
  if (ev.kind === 'data' && ev.data) {
    box.appendChild(el('h2', '', t('web.x.bytes')));
    box.appendChild(el('pre', '', ev.data));
    if (ev.attrs && ev.attrs.preview_cut) {
      box.appendChild(el('p', 'hint', t('web.x.cut', { cut: ev.attrs.preview_cut, size: ev.size || '?' })));
    }
  }
}

// ---------- session list and filter options ----------
// The session list and the filter menus are updated from what changed
// (S.dirty, S.newSessions, S.newMsgids), not rebuilt: during a burst of
// thousands of sessions a rebuild of hundreds of items several times a
// second is what made the page fall behind.
const MAX_LISTED = 300; // sessions in the list, newest first
const MAX_OPTIONS = 500; // sessions and message ids in the filter menus
const listed = new Map(); // session id -> its li in the list

function sessionMeta(s) {
  return [s.hop ? t('web.s.hop', { hop: s.hop }) : (s.peer ? t('web.s.from', { peer: s.peer }) : ''), t('web.s.lines', { n: s.lines }),
    s.states.length ? stateName(s.states[s.states.length - 1].to) : '', s.closed ? t('web.s.closed') : t('web.s.open')].filter(Boolean).join(' · ');
}
// sessionItem is a session's line: its id (a button that filters the
// ladder to it), what it is, and its transcripts. Only one session button
// is a tab stop (the arrow keys move between them), and a session's three
// download links are tab stops only while its button has the focus: the
// keyboard does not walk through hundreds of links.
function sessionItem(s) {
  const li = el('li', s.id === S.filter.session ? 'current' : '');
  li.dataset.id = s.id;
  li.style.setProperty('--c', s.color);
  const head = el('div');
  head.appendChild(el('span', 'swatch'));
  const id = el('button', 'sess-id', s.id);
  id.type = 'button';
  id.tabIndex = -1;
  id.title = t('web.s.only');
  id.addEventListener('click', () => setFilter('session', S.filter.session === s.id ? '' : s.id));
  head.appendChild(id);
  li.appendChild(head);
  li.appendChild(el('div', 'sess-meta', sessionMeta(s)));
  const dl = el('div', 'sess-dl');
  for (const [fmt, label] of [['text', '.txt'], ['md', '.md'], ['jsonl', '.jsonl']]) {
    const a = el('a', '', label);
    a.href = '/api/sessions/' + encodeURIComponent(s.id) + '/transcript?format=' + fmt;
    a.setAttribute('download', s.id + '.' + (fmt === 'text' ? 'txt' : fmt));
    a.title = t('web.s.download', { format: t('web.s.fmt.' + fmt) });
    a.tabIndex = -1;
    dl.appendChild(a);
  }
  li.appendChild(dl);
  return li;
}
// rovingStop keeps exactly one session button a tab stop: the focused
// one, else the current one, else the newest.
function rovingStop() {
  const ul = $('session-list');
  const btns = ul.querySelectorAll('.sess-id');
  if (!btns.length) return;
  let stop = ul.querySelector('.sess-id[tabindex="0"]');
  if (!stop) {
    stop = ul.querySelector('li.current .sess-id') || btns[0];
    stop.tabIndex = 0;
  }
}
export function refreshSessionList() {
  const ul = $('session-list');
  // The keyboard stays on its session while the list is built again under
  // it (Enter filters to the session, which builds the list again).
  const li = ul.contains(document.activeElement) && document.activeElement.closest('li');
  const had = li ? li.dataset.id : '';
  ul.replaceChildren();
  listed.clear();
  const list = Array.from(S.sessions.values()).reverse().slice(0, MAX_LISTED);
  for (const s of list) {
    const li = sessionItem(s);
    listed.set(s.id, li);
    ul.appendChild(li);
  }
  S.dirty.clear();
  const back = had && listed.get(had);
  if (back) {
    const b = back.querySelector('.sess-id');
    b.tabIndex = 0;
    b.focus();
  }
  rovingStop();
}
function updateSessionList() {
  const ul = $('session-list');
  const fresh = [];
  for (const id of S.dirty) {
    const s = S.sessions.get(id);
    if (!s || S.sessions.size - s.n > MAX_LISTED) continue;
    const li = listed.get(id);
    if (li) { li.querySelector('.sess-meta').textContent = vis(sessionMeta(s)); continue; }
    const nli = sessionItem(s);
    listed.set(id, nli);
    fresh.push(nli);
  }
  S.dirty.clear();
  const busy = fresh.length > BUSY;
  if (fresh.length) {
    // Newest first, in one insertion.
    const frag = document.createDocumentFragment();
    for (let i = fresh.length - 1; i >= 0; i--) frag.appendChild(fresh[i]);
    ul.prepend(frag);
  }
  if (listed.size > MAX_LISTED) {
    // The oldest go, in one removal.
    let first = ul.lastElementChild;
    for (let k = listed.size - MAX_LISTED; k > 1 && first.previousElementSibling; k--) first = first.previousElementSibling;
    for (let e = first; e; e = e.nextElementSibling) listed.delete(e.dataset.id);
    const r = document.createRange();
    r.setStartBefore(first);
    r.setEndAfter(ul.lastElementChild);
    r.deleteContents();
  }
  rovingStop();
  return busy ? BUSY_EVERY : LIST_EVERY;
}
// The lists beside the ladder follow the events every LIST_EVERY; when an
// update found more than BUSY new sessions (a burst: hundreds a second),
// the next waits BUSY_EVERY. Items made for sessions that a second later
// have left the list were a fifth of the page's work in a burst.
const LIST_EVERY = 250, BUSY_EVERY = 1000, BUSY = 20; // ms, ms, sessions
export const refreshSessionListSoon = throttle(updateSessionList, LIST_EVERY);

roving($('session-list'), '.sess-id');
// The focused session's download links are tab stops, no other's.
$('session-list').addEventListener('focusin', (e) => {
  const li = e.target.closest('li');
  for (const a of $('session-list').querySelectorAll('.sess-dl a[tabindex="0"]')) if (a.closest('li') !== li) a.tabIndex = -1;
  if (li) for (const a of li.querySelectorAll('.sess-dl a')) a.tabIndex = 0;
});

function fillSelect(sel, items, current) {
  const first = sel.options[0];
  const keep = first ? [first] : [];
  sel.replaceChildren(...keep);
  for (const [v, t] of items) sel.appendChild(option(v, t));
  sel.value = current;
}
function sessionOption(s) { return [s.id, s.id + (s.hop ? ' (' + s.hop + ')' : '')]; }
export function refreshFilterOptions() {
  const servers = new Set(S.world.servers.map((s) => s.name));
  for (const s of S.sessions.values()) if (s.server) servers.add(s.server);
  fillSelect($('f-server'), Array.from(servers).map((n) => [n, n]), S.filter.server);
  const sess = Array.from(S.sessions.values()).reverse().slice(0, MAX_OPTIONS).map(sessionOption);
  if (S.filter.session && !S.sessions.has(S.filter.session)) sess.unshift([S.filter.session, S.filter.session]);
  fillSelect($('f-session'), sess, S.filter.session);
  const ids = Array.from(S.msgids.keys()).reverse().slice(0, MAX_OPTIONS).map((m) => [m, m]);
  fillSelect($('f-msgid'), ids, S.filter.msgid);
  S.newSessions = [];
  S.newMsgids = [];
}
// prependOptions puts the newest items first, after the menu's "all", and
// keeps at most max; the selection stays.
function prependOptions(sel, items, max) {
  if (!items.length) return;
  const frag = document.createDocumentFragment();
  for (let i = items.length - 1; i >= Math.max(0, items.length - max); i--) frag.appendChild(option(items[i][0], items[i][1]));
  sel.insertBefore(frag, sel.options[1] || null);
  // The oldest go from the end (a live list's length and index, asked
  // after each removal, walked the whole menu again).
  const current = sel.value;
  for (let n = sel.options.length; n > max + 1; n--) {
    const last = sel.lastElementChild;
    if (last.value === current) break;
    last.remove();
  }
}
function updateFilterOptions() {
  const busy = S.newSessions.length + S.newMsgids.length > BUSY;
  const fs = $('f-server');
  for (const s of S.newSessions) {
    if (s.server && ![...fs.options].some((o) => o.value === s.server)) fs.appendChild(option(s.server, s.server));
  }
  prependOptions($('f-session'), S.newSessions.map(sessionOption), MAX_OPTIONS);
  prependOptions($('f-msgid'), S.newMsgids.map((m) => [m, m]), MAX_OPTIONS);
  S.newSessions = [];
  S.newMsgids = [];
  return busy ? BUSY_EVERY : LIST_EVERY;
}
export const refreshFilterOptionsSoon = throttle(updateFilterOptions, LIST_EVERY);

export function setFilter(k, v) {
  S.filter[k] = v;
  refreshFilterOptions();
  refreshSessionList();
  rebuild();
  // The explanation of a line the filter now hides goes with it.
  if (S.selected && !S.rows.some((e) => e.seq === S.selected)) {
    S.selected = 0;
    const p = el('p', 'hint', t('web.x.hint'));
    p.dataset.t = 'web.x.hint';
    $('explain-body').replaceChildren(p);
  }
  if ($('autoscroll').checked) { scrollToBottom(); render(); }
}
for (const [id, k] of [['f-server', 'server'], ['f-proto', 'proto'], ['f-session', 'session'], ['f-msgid', 'msgid']]) {
  $(id).addEventListener('change', (e) => setFilter(k, e.target.value));
}
let counted = 0; // events when the counts were last written
export function updateCounts() {
  let c = t('web.counts', { shown: S.rows.length, total: S.events.length });
  if (S.paused) c += ' · ' + t('web.counts.paused', { n: S.pending.length });
  $('counts').textContent = c;
  const busy = Math.abs(S.events.length - counted) > 50 * BUSY;
  counted = S.events.length;
  return busy ? BUSY_EVERY : LIST_EVERY;
}
export const updateCountsSoon = throttle(updateCounts, LIST_EVERY);

// ---------- lesson panel ----------
// A lesson run with `mailscope lesson` or `mailscope demo` publishes
// lesson events; the panel beside the ladder shows its steps ticking.
// now, explain and hints keep their events, said again in another language.
const L = { id: '', title: '', steps: 0, titles: {}, done: new Set(), current: -1, now: null, explain: null, hints: [], finished: false, closed: false };
function onLesson(ev) {
  const a = ev.attrs || {};
  if (!a.lesson) return;
  // A class's lessons (attribute user) are each student's own: the
  // instructor's page follows the class on the dashboard instead.
  if (a.user && !(S.world && S.world.student)) return;
  if (a.lesson !== L.id || a.status === 'started') {
    Object.assign(L, { id: a.lesson, title: a.lesson, steps: 0, titles: {}, done: new Set(), current: -1, now: null, explain: null, hints: [], finished: false, closed: false });
  }
  if (a.steps) L.steps = Math.min(100, parseInt(a.steps, 10) || 0);
  const step = parseInt(a.step, 10);
  switch (a.status) {
    case 'started':
      L.title = a.title || a.lesson; L.now = ev;
      if (a.titles) a.titles.split('\n').slice(0, L.steps || 100).forEach((x, i) => { L.titles[i] = x; });
      break;
    case 'current': L.current = step; L.titles[step] = a.title; L.now = ev; L.hints = []; break;
    case 'step-done': L.done.add(step); L.titles[step] = a.title; L.explain = ev; break;
    case 'hint': L.hints.push(ev); if (L.hints.length > 3) L.hints.shift(); break;
    case 'finished': L.finished = true; L.explain = ev; break;
    default: return;
  }
  renderLesson();
}
// reflow joins a lesson text's hard-wrapped lines (the lesson files are
// wrapped for a terminal) into paragraphs that fit the panel: a break
// stays before and after a blank line or an indented line (a command to
// type), and before a list item. Lines of Chinese join without a space.
function reflow(s) {
  const lines = String(s).replace(/\n+$/, '').split('\n');
  let out = lines[0];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i], prev = lines[i - 1];
    if (l === '' || prev === '' || /^\s/.test(prev) || /^\s|^[-*•]\s|^\d+[.)]\s/.test(l)) out += '\n' + l;
    else out += (WIDE.test(prev.slice(-1)) && WIDE.test(l[0]) ? '' : ' ') + l;
  }
  return out;
}
export function renderLesson() {
  const box = $('lesson-panel');
  box.hidden = !L.id || L.closed;
  box.replaceChildren();
  if (box.hidden) return;
  const h = el('h2', '', t('web.lesson.title', { title: L.title }));
  // The instructor closes the panel when the lesson is over (or not
  // theirs to show); the next lesson opens it again.
  const x = el('button', 'lesson-close', '×');
  x.type = 'button';
  x.title = t('web.lesson.close');
  x.setAttribute('aria-label', x.title);
  x.addEventListener('click', () => { L.closed = true; renderLesson(); });
  const head = el('div', 'lesson-head');
  head.appendChild(h);
  head.appendChild(x);
  box.appendChild(head);
  const ol = el('ol', 'lesson-steps');
  for (let i = 0; i < L.steps; i++) {
    const cls = L.done.has(i) ? 'done' : (i === L.current ? 'current' : '');
    ol.appendChild(el('li', cls, (L.done.has(i) ? '\u2713 ' : '') + (L.titles[i] || t('web.lesson.step', { n: i + 1 }))));
  }
  box.appendChild(ol);
  if (L.explain && prose(L.explain)) box.appendChild(el('p', 'lesson-explain', reflow(prose(L.explain))));
  if (L.now && prose(L.now) && !L.finished) box.appendChild(el('p', 'lesson-now', reflow(prose(L.now))));
  for (const h of L.hints) box.appendChild(el('p', 'lesson-hint', '\u279c ' + reflow(prose(h))));
  if (L.finished) box.appendChild(el('p', 'lesson-done', t('web.lesson.done')));
}
onEvent((ev) => { if (ev.kind === 'lesson') onLesson(ev); });
