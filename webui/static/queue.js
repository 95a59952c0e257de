// mailscope web timeline: the queue view and the fault switches.
import { $, vis, el, debounce } from './util.js';
import { I, t, tOr } from './i18n.js';
import { api } from './api.js';
import { S, onEvent, onRelabel } from './model.js';
import { tickCountdowns } from './ladder.js';
import { onShow } from './views.js';

export const refreshQueueSoon = debounce(() => { if (S.view === 'queue') loadQueue(); }, 300);
let clockSkew = 0; // server time - page time
function controlMsg(text, isError) {
  const p = $('control-msg');
  p.textContent = vis(text);
  p.className = isError ? 'error' : '';
}
export async function loadQueue() {
  let q;
  try {
    q = await api('/api/queue');
  } catch (e) {
    controlMsg(t('web.q.err', { err: e.message }), true);
    return;
  }
  clockSkew = Date.parse(q.now) - Date.now();
  const tb = $('queue-rows');
  tb.replaceChildren();
  for (const e of q.entries) {
    const tr = el('tr');
    const cells = [e.msgid, e.server, e.sender || t('web.q.bounce'), e.rcpt, tOr('web.qs.' + e.status, e.status), String(e.attempts)];
    for (const c of cells) tr.appendChild(el('td', '', c));
    const next = el('td');
    const at = Date.parse(e.status === 'held' && e.hold_until ? e.hold_until : e.next_attempt);
    // A held queue (the hold fault) makes no scheduled attempt: no countdown.
    if (!isNaN(at) && at > 0 && e.status !== 'hold') {
      const cd = el('span', 'countdown');
      cd.dataset.deadline = String(at - clockSkew);
      next.appendChild(cd);
      next.title = new Date(at).toLocaleString(I.lang);
    }
    tr.appendChild(next);
    tr.appendChild(el('td', '', e.last_error || ''));
    tb.appendChild(tr);
  }
  $('queue-empty').hidden = q.entries.length > 0;
  drawFaults(q.faults || {});
  tickCountdowns();
}
function drawFaults(current) {
  const box = $('fault-switches');
  box.replaceChildren();
  const faults = [''].concat(S.world.faults || []);
  for (const sv of S.world.servers) {
    const row = el('div', 'server-faults');
    row.appendChild(el('span', 'server-name', t('web.lane.server', { name: sv.name })));
    for (const f of faults) {
      const b = el('button', 'fault-btn', tOr('web.fault.' + (f || 'none'), f));
      b.type = 'button';
      b.dataset.server = sv.name;
      b.dataset.fault = f;
      const on = (current[sv.name] || '') === f;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', String(on));
      b.addEventListener('click', () => setFault(sv.name, f));
      row.appendChild(b);
    }
    box.appendChild(row);
  }
}
async function setFault(server, fault) {
  try {
    const r = await api('/api/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ server, fault }) });
    drawFaults(r.servers || {});
    controlMsg(fault ? t('web.q.faulton', { server: server, fault: tOr('web.fault.' + fault, fault) }) : t('web.q.faultoff', { server: server }), false);
  } catch (e) {
    controlMsg(e.message, true);
  }
}
$('flush').addEventListener('click', async () => {
  const d = $('flush-domain').value.trim();
  try {
    const r = await api('/api/queue/flush?domain=' + encodeURIComponent(d), { method: 'POST' });
    controlMsg(t('web.q.flushed', { domain: d || t('web.q.all'), n: r.woken }), false);
    loadQueue();
  } catch (e) {
    controlMsg(e.message, true);
  }
});
setInterval(() => { if (S.view === 'queue' && !document.hidden) loadQueue(); }, 10000);
onEvent((ev) => { if (ev.kind === 'queue' || ev.kind === 'fault') refreshQueueSoon(); });
onShow('queue', loadQueue);
onRelabel(() => { if (S.view === 'queue') loadQueue(); });
