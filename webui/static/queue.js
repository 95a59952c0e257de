// mailscope web timeline: the queue view and the fault switches. Each
// recipient waiting in a queue shows its attempts so far (time, hop,
// reply), its coming attempts and its give-up time, with "retry now" and
// "bounce now"; delivered and bounced recipients stay below, marked, with
// when. Replies are wire text: put in the page as text only.
import { $, vis, el, debounce } from './util.js';
import { I, t, tOr, fmtDuration, prose } from './i18n.js';
import { api } from './api.js';
import { S, onEvent, onRelabel } from './model.js';
import { onShow } from './views.js';

const ARM_MS = 5000;
let armed = '', armedUntil = 0; // the recipient whose Bounce now asks to be confirmed
export const refreshQueueSoon = debounce(() => { if (S.view === 'queue') loadQueue(); }, 300);
let clockSkew = 0; // server time - page time
// A countdown this long past its time says the attempt is overdue rather
// than due: the worker runs within a second of a due time, unless the
// queue is held or a session to the receiving server is still open.
const OVERDUE_MS = 15000;

// controlMsg says how an action went. say makes the text; it is kept,
// so that a switch of language says the same again in the new language.
let lastSay = null;
function controlMsg(say, isError) {
  lastSay = { say: typeof say === 'function' ? say : () => say, isError: isError };
  drawControlMsg();
}
function drawControlMsg() {
  const p = $('control-msg');
  if (!lastSay) return;
  p.textContent = vis(lastSay.say());
  p.className = lastSay.isError ? 'error' : '';
}
// pageTime is a server time (RFC 3339) on the page's clock, in ms; NaN
// for none (Go's zero time is year 1).
function pageTime(s) {
  const ms = Date.parse(s);
  return isNaN(ms) || ms <= 0 ? NaN : ms - clockSkew;
}
function clock(ms) { return new Date(ms).toLocaleTimeString(I.lang); }
// wire puts wire text (a reply, an address, a hop) as text in a <code>.
function wire(s, cls) { return el('code', 'wire' + (cls ? ' ' + cls : ''), s); }

export async function loadQueue() {
  let q;
  try {
    q = await api('/api/queue');
  } catch (e) {
    controlMsg(() => t('web.q.err', { err: e.message }), true);
    return;
  }
  clockSkew = Date.parse(q.now) - Date.now();
  drawPending(q.entries || []);
  drawDone(q.done || []);
  drawSchedule(q);
  drawFaults(q.faults || {}, q.about || []);
  tickQueue();
}

// fmtSpan writes a wait of the schedule in the page's words: "15s",
// "1m", "2m 30s", "1h 5m" ("1 分钟" in Chinese); the parts that are
// zero are left out (a countdown's fmtDuration keeps them: "1m 05s").
function fmtSpan(ms) {
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  s %= 60;
  const parts = [];
  if (h) parts.push(t('web.q.span.h', { h: h }));
  if (m) parts.push(t('web.q.span.m', { m: m }));
  if (s || !parts.length) parts.push(t('web.dur.s', { s: s }));
  return parts.join(' ');
}

function drawSchedule(q) {
  const p = $('queue-schedule');
  if (!p) return;
  // The waits come in milliseconds, to be said in the page's words.
  const waits = (q.retry_ms || []).map(fmtSpan).join(t('web.q.list.sep'));
  const parts = [];
  if (waits) parts.push(t('web.q.retrysched', { waits: waits }));
  const giveUp = q.give_up_ms > 0 ? fmtSpan(q.give_up_ms) : '';
  parts.push(giveUp ? t('web.q.giveupnote', { giveup: giveUp }) : t('web.q.nogiveup'));
  p.textContent = vis(parts.join(' · '));
}

function drawPending(entries) {
  const tb = $('queue-rows');
  tb.replaceChildren();
  for (const e of entries) {
    const tr = el('tr', 'q-row q-' + e.status);
    tr.dataset.id = String(e.id);
    tr.dataset.msgid = e.msgid;
    const cells = [e.msgid, e.server, e.sender || t('web.q.bounce'), e.rcpt, tOr('web.qs.' + e.status, e.status), String(e.attempts)];
    cells.forEach((c, i) => tr.appendChild(el('td', i === 4 ? 'q-status' : i === 5 ? 'q-tries' : '', c)));
    const next = el('td', 'q-next');
    const at = pageTime(e.status === 'held' && e.hold_until ? e.hold_until : e.next_attempt);
    // A held queue (the hold fault) makes no scheduled attempt: no countdown.
    if (!isNaN(at) && e.status !== 'hold') {
      const cd = el('span', 'q-countdown');
      cd.dataset.deadline = String(at);
      cd.dataset.status = e.status;
      next.appendChild(cd);
      next.title = new Date(at).toLocaleString(I.lang);
    }
    tr.appendChild(next);
    const err = el('td');
    // The relay's own words (no server's reply) come in the page's
    // language; a reply stays as it came.
    if (e.last_why) err.appendChild(el('span', 'q-why', prose({ msg: e.last_why, text: e.last_error })));
    else if (e.last_error) err.appendChild(wire(e.last_error));
    tr.appendChild(err);
    tr.appendChild(actionCell(e));
    tb.appendChild(tr);
    const detail = el('tr', 'q-detail');
    const td = el('td');
    td.colSpan = 9;
    td.appendChild(historyList(e.history || []));
    td.appendChild(scheduleLine(e));
    detail.appendChild(td);
    tb.appendChild(detail);
  }
  $('queue-empty').hidden = entries.length > 0;
}

function actionCell(e) {
  const td = el('td', 'q-actions');
  if (!S.world.control) {
    td.title = vis(t('web.q.needcontrol'));
    return td;
  }
  const retry = el('button', 'q-retry', t('web.q.retry'));
  retry.type = 'button';
  retry.title = vis(t('web.q.retry.title'));
  retry.disabled = e.status === 'delivering';
  retry.addEventListener('click', () => act(e, 'retry', 'web.q.retried'));
  const key = e.msgid + ' ' + e.rcpt;
  const bounce = el('button', 'q-bounce', '');
  bounce.type = 'button';
  bounce.title = vis(t('web.q.bounce.title'));
  bounce.disabled = e.status === 'delivering';
  const showArmed = () => {
    const on = armed === key && Date.now() < armedUntil;
    bounce.textContent = on ? t('web.q.bounce.confirm') : t('web.q.bouncenow');
    bounce.classList.toggle('armed', on);
  };
  showArmed();
  // A bounce cannot be undone (the sender gets its notice): the first
  // click asks, a second within ARM_MS does it. The question outlives the
  // table being drawn again by a queue event.
  bounce.addEventListener('click', () => {
    if (armed === key && Date.now() < armedUntil) { armed = ''; act(e, 'bounce', 'web.q.bounced'); return; }
    armed = key;
    armedUntil = Date.now() + ARM_MS;
    showArmed();
    setTimeout(showArmed, ARM_MS + 50);
  });
  td.append(retry, bounce);
  return td;
}

async function act(e, action, done) {
  try {
    await api('/api/queue/' + encodeURIComponent(String(e.id)) + '/' + action, { method: 'POST' });
    controlMsg(() => t(done, { rcpt: e.rcpt }), false);
  } catch (err) {
    controlMsg(() => t('web.q.actionerr', { rcpt: e.rcpt, err: err.message }), true);
  }
  loadQueue();
}

// historyList lists a recipient's attempts and the operator's actions.
function historyList(hist) {
  const ul = el('ul', 'q-history');
  ul.setAttribute('aria-label', vis(t('web.q.history')));
  if (!hist.length) ul.appendChild(el('li', 'hint', t('web.q.nohistory')));
  for (const h of hist) {
    const li = el('li', 'q-h q-h-' + h.kind + (h.outcome ? ' q-o-' + h.outcome : ''));
    const at = pageTime(h.at);
    const time = isNaN(at) ? '' : clock(at);
    // The catalog's words around the wire's: the reply and the hop are
    // put in as text nodes of their own, never into the template.
    const key = 'web.q.h.' + h.kind;
    const tmpl = tOr(key, h.kind + ' {time} {hop} {reply}');
    const parts = tmpl.split(/(\{time\}|\{hop\}|\{reply\})/);
    for (const p of parts) {
      if (p === '{time}') li.appendChild(el('span', 'q-time', time));
      else if (p === '{hop}') li.appendChild(wire(h.hop || '', 'q-hop'));
      else if (p === '{reply}') li.appendChild(h.why ? el('span', 'q-why', prose({ msg: h.why, text: h.reply })) : h.reply ? wire(h.reply, 'q-reply') : el('span', 'hint', t('web.q.h.noreply')));
      else if (p) li.appendChild(document.createTextNode(vis(p)));
    }
    ul.appendChild(li);
  }
  return ul;
}

// scheduleLine shows the coming attempts and the give-up time.
function scheduleLine(e) {
  const p = el('p', 'q-schedule hint');
  const times = (e.schedule || []).map(pageTime).filter((x) => !isNaN(x));
  const bits = [];
  if (times.length) bits.push(t('web.colon', { name: t('web.q.schedule'), text: times.map(clock).join(t('web.q.list.sep')) }));
  const gu = pageTime(e.give_up);
  bits.push(isNaN(gu) ? t('web.q.nogiveup') : t('web.q.giveup', { time: clock(gu) }));
  p.textContent = vis(bits.join(' · '));
  return p;
}

function drawDone(done) {
  const tb = $('queue-done-rows');
  if (!tb) return;
  tb.replaceChildren();
  for (const e of done) {
    const tr = el('tr', 'q-row q-done q-' + e.status);
    tr.dataset.id = String(e.id);
    const at = pageTime(e.done);
    const when = isNaN(at) ? '' : t(e.status === 'sent' ? 'web.q.sentat' : 'web.q.bouncedat', { time: clock(at) });
    const cells = [e.msgid, e.server, e.sender || t('web.q.bounce'), e.rcpt];
    for (const c of cells) tr.appendChild(el('td', '', c));
    tr.appendChild(el('td', 'q-mark', tOr('web.qs.' + e.status, e.status)));
    tr.appendChild(el('td', 'q-when', when));
    tr.appendChild(el('td', '', String(e.attempts)));
    const hist = el('td');
    hist.appendChild(historyList(e.history || []));
    tr.appendChild(hist);
    tb.appendChild(tr);
  }
  const empty = $('queue-done-empty');
  if (empty) empty.hidden = done.length > 0;
}

// tickQueue says each countdown: the time left, or, once it is past, that
// the attempt is due, and after OVERDUE_MS that it is overdue and why that
// may be; never "trying now" for good.
function tickQueue() {
  const now = Date.now();
  for (const c of document.querySelectorAll('#queue-rows .q-countdown[data-deadline]')) {
    const left = Number(c.dataset.deadline) - now;
    let s;
    if (c.dataset.status === 'delivering') s = t('web.q.delivering');
    else if (left > 0) s = t('web.q.in', { wait: fmtDuration(left) });
    else if (-left < OVERDUE_MS) s = t('web.q.due', { wait: fmtDuration(-left) });
    else s = t('web.q.overdue', { wait: fmtDuration(-left) });
    c.textContent = vis(s);
    c.classList.toggle('overdue', left <= -OVERDUE_MS);
  }
}
setInterval(() => { if (S.view === 'queue') tickQueue(); }, 1000);

// drawFaults draws each server's switch: "up" (no fault) first, as the
// CLI names it, each button saying what its fault does, and under the
// buttons what the server's current position does.
function drawFaults(current, about) {
  const box = $('fault-switches');
  box.replaceChildren();
  if (!about.length) about = [''].concat(S.world.faults || []).map((f) => ({ fault: f, word: f || 'up', label: 'web.fault.' + (f || 'up'), key: 'web.fault.does.' + (f || 'up') }));
  for (const sv of S.world.servers) {
    const row = el('div', 'server-faults');
    row.appendChild(el('span', 'server-name', t('web.lane.server', { name: sv.name })));
    const cur = current[sv.name] || '';
    for (const a of about) {
      const b = el('button', 'fault-btn', tOr(a.label, a.word));
      b.type = 'button';
      b.dataset.server = sv.name;
      b.dataset.fault = a.fault;
      b.title = vis(tOr(a.key, a.does || a.word));
      const on = cur === a.fault;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', String(on));
      b.addEventListener('click', () => setFault(sv.name, a.fault));
      // A student sees which fault is on; switching is the instructor's.
      if (!S.world.control) {
        b.disabled = true;
        b.title = vis(tOr(a.key, a.does || a.word)) + ' — ' + t('web.q.needcontrol');
      }
      row.appendChild(b);
    }
    const now = about.find((a) => a.fault === cur);
    if (now) row.appendChild(el('p', 'fault-does hint', t('web.q.faultdoes', { server: sv.name, does: tOr(now.key, now.does || now.word) })));
    box.appendChild(row);
  }
  $('flush-box').hidden = !S.world.control;
}
async function setFault(server, fault) {
  try {
    await api('/api/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ server, fault }) });
    controlMsg(() => fault ? t('web.q.faulton', { server: server, fault: tOr('web.fault.' + fault, fault) }) : t('web.q.faultoff', { server: server }), false);
  } catch (e) {
    controlMsg(e.message, true);
  }
  loadQueue();
}
$('flush').addEventListener('click', async () => {
  const d = $('flush-domain').value.trim();
  try {
    const r = await api('/api/queue/flush?domain=' + encodeURIComponent(d), { method: 'POST' });
    controlMsg(() => t('web.q.flushed', { domain: d || t('web.q.all'), n: r.woken }), false);
    loadQueue();
  } catch (e) {
    controlMsg(e.message, true);
  }
});
setInterval(() => { if (S.view === 'queue' && !document.hidden) loadQueue(); }, 10000);
onEvent((ev) => { if (ev.kind === 'queue' || ev.kind === 'fault') refreshQueueSoon(); });
onShow('queue', loadQueue);
// A switch of language says the status line again in the new language,
// and redraws the queue in it.
onRelabel(() => { drawControlMsg(); if (S.view === 'queue') loadQueue(); });
