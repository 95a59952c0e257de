// mailscope web timeline: the instructor's class dashboard (classroom
// mode, issue 17). The Class tab shows only to the instructor (the page
// may control, a class runs, and it is no student's): a row per student
// from GET /api/class/progress, asked again within a second of a
// student's lesson step, mistake or session (the page's websocket brings
// the whole class's events) and every few seconds anyway while the tab
// shows (idle time grows with no event); a stuck row says so in words and a ⚠ shape, not by colour
// alone. A row's link opens the student's newest session in presenter
// mode (?present=1&session=ID). The class-wide buttons use the fault API
// on every server (the hold fault pauses the message queue).
//
// Student names are world data and session ids the server's, but every
// text still reaches the page only as text (util.js).
import { $, el, vis } from './util.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { S, onRelabel, onEvent } from './model.js';
import { onShow } from './views.js';

const POLL_MS = 2500;
let timer = 0, last = null, lastPoll = 0, soon = 0;

// instructor reports whether this page is the instructor's in a class.
function instructor(w) { return !!(w && w.class && w.control && !w.student); }

function cell(text, cls) { return el('td', cls, text); }

function ago(ts, now) {
  if (!ts) return t('web.d.never');
  const s = Math.max(0, Math.round((new Date(now) - new Date(ts)) / 1000));
  return t('web.d.ago', { n: s });
}

function row(p, now) {
  const tr = el('tr');
  tr.dataset.student = p.name;
  if (p.stuck) tr.className = 'stuck';
  const here = p.signed_in || p.sessions > 0 || p.open > 0 || !!p.last;
  const state = p.stuck ? t('web.d.stuck.' + p.stuck_why) : (here ? t('web.d.ok') : t('web.d.absent'));
  let lesson = p.lesson ? (p.steps ? t('web.d.step', { lesson: p.lesson, step: p.step + 1, steps: p.steps }) : p.lesson) : '';
  const completed = Object.values(p.done || {}).filter((v) => v.endsWith('completed')).length;
  if (completed) lesson += (lesson ? ' · ' : '') + t('web.d.completed', { n: completed });
  const diags = String(p.diagnostics) + (p.mistakes && p.mistakes.length ? ' (' + p.mistakes.join(', ') + ')' : '');
  tr.append(cell(p.roster ? p.roster + ' (' + p.name + ')' : p.name), cell(p.signed_in ? p.addrs.join(', ') : t('web.d.no')),
    cell(p.sessions + ' (' + p.open + ')'), cell(ago(p.last, now)), cell(String(p.errors)), cell(diags), cell(lesson),
    cell(state, 'd-state'));
  if (p.stuck) tr.lastChild.classList.add('stuck-mark');
  const show = el('td');
  if (p.newest) {
    const a = el('a', 'd-present', t('web.d.show'));
    const u = new URL(location.href);
    u.search = '';
    u.searchParams.set('present', '1');
    u.searchParams.set('session', p.newest);
    a.href = u.pathname + u.search;
    a.target = '_blank';
    a.rel = 'noopener';
    a.title = t('web.d.present');
    show.append(a);
  }
  tr.append(show);
  return tr;
}

// labelFaults names each fault in the page's language, the CLI's name
// beside it (mailscope fault A down); the catalog may come after start.
function labelFaults() {
  const sel = $('d-fault');
  if (!sel) return;
  for (const o of sel.options) {
    const word = t('web.fault.' + o.value);
    o.textContent = word === o.value ? word : word + ' (' + o.value + ')';
  }
}

function draw() {
  labelFaults();
  if (!last) return;
  const r = last.rule || {};
  $('d-hint').textContent = t('web.d.hint', { idle: r.idle_minutes, window: r.window_minutes, n: r.errors });
  const rows = last.students.map((p) => row(p, last.now));
  $('d-rows').replaceChildren(...rows);
  $('d-count').textContent = t('web.d.count', { n: last.students.length, stuck: last.students.filter((p) => p.stuck).length });
}

async function poll() {
  clearTimeout(timer);
  if (S.view !== 'class') return;
  lastPoll = Date.now();
  try {
    last = await api('/api/class/progress');
    draw();
  } catch (e) {
    $('d-count').textContent = vis(e.message);
  }
  timer = setTimeout(poll, POLL_MS);
}

// faultAll switches fault on every server of the world ('' clears).
async function faultAll(fault) {
  const msg = $('d-msg');
  let n = 0;
  try {
    for (const sv of S.world.servers) {
      await api('/api/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ server: sv.name, fault }) });
      n++;
    }
    msg.textContent = t('web.d.done', { fault: fault || 'up', n });
  } catch (e) {
    msg.textContent = vis(t('web.d.failed', { err: e.message }));
  }
}

function label() {
  const sel = $('d-fault');
  if (sel && !sel.options.length) {
    for (const f of (S.world && S.world.faults) || []) {
      const o = el('option');
      o.value = f;
      sel.append(o);
    }
  }
  // A fault's name in the page's language, the CLI's name beside it
  // (mailscope fault A down).
  draw();
  if (sheet) drawSheet();
}

// ---------- the class sheet ----------
// The sheet to print and hand out (GET /api/class): the addresses to
// telnet to, the web page, and each student's name and password, one
// slip a student, to cut apart. Printing shows the sheet alone.
let sheet = null;

function telnet(addr) {
  if (!addr) return '-';
  const i = addr.lastIndexOf(':');
  return 'telnet ' + addr.slice(0, i).replace(/^\[(.*)\]$/, '$1') + ' ' + addr.slice(i + 1);
}

function drawSheet() {
  const box = $('d-sheet');
  box.replaceChildren();
  box.append(el('h2', '', t('web.sheet.title', { n: sheet.students.length })));
  const where = el('ul', 'sheet-where');
  for (const sv of sheet.servers) {
    where.append(el('li', '', t('web.sheet.server', { server: sv.name, domain: sv.domain, smtp: telnet(sv.smtp), pop3: telnet(sv.pop3), imap: telnet(sv.imap) })));
  }
  where.append(el('li', '', t('web.sheet.web', { url: sheet.web })));
  box.append(where);
  const slips = el('div', 'sheet-slips');
  for (const st of sheet.students) {
    const slip = el('div', 'sheet-slip');
    slip.append(el('p', 'sheet-name', st.roster ? st.roster + ' — ' + st.name : st.name),
      el('p', '', t('web.sheet.login', { user: st.name })), el('p', 'sheet-pass', t('web.sheet.password', { password: st.password })),
      el('p', 'hint', t('web.sheet.howto', { user: st.name, domain: (sheet.servers[0] || {}).domain || '' })));
    slips.append(slip);
  }
  box.append(slips);
}

async function toggleSheet() {
  const wrap = $('d-sheet-wrap');
  if (!wrap.hidden) { wrap.hidden = true; return; }
  try {
    sheet = await api('/api/class');
  } catch (e) {
    $('d-msg').textContent = vis(t('web.d.failed', { err: e.message }));
    return;
  }
  drawSheet();
  wrap.hidden = false;
}

async function start() {
  // The page's start loads the world; wait for it.
  for (let i = 0; i < 200 && !('control' in S.world); i++) await new Promise((r) => setTimeout(r, 50));
  if (!instructor(S.world)) return;
  $('tab-class').hidden = false;
  $('d-csv').href = '/api/class/progress.csv';
  $('d-faultall').addEventListener('click', () => faultAll($('d-fault').value));
  $('d-hold').addEventListener('click', () => faultAll('hold'));
  $('d-clear').addEventListener('click', () => faultAll(''));
  $('d-sheet-show').addEventListener('click', toggleSheet);
  $('d-sheet-print').addEventListener('click', () => window.print());
  label();
}

// pollSoon asks again soon after an event that changes a row, at most
// once a second however busy the class is.
function pollSoon() {
  if (S.view !== 'class' || soon) return;
  soon = setTimeout(() => { soon = 0; poll(); }, Math.max(200, 1000 - (Date.now() - lastPoll)));
}
const moves = new Set(['lesson', 'diagnostic', 'open', 'close']);
onEvent((ev) => { if (moves.has(ev.kind)) pollSoon(); });

onShow('class', poll);
onRelabel(label);
start();
