// mailscope web timeline: the websocket client. It connects with the last
// sequence number it holds (?after=) and the run it saw (?epoch=), so that
// a reconnect replays only what the page missed.
import { $, vis } from './util.js';
import { t } from './i18n.js';
import { api, needToken } from './api.js';
import { S } from './model.js';
import { ingest, resetAll } from './ladder.js';

let ws = null, backoff = 500;
// The status keeps its key, to be said again in another language.
let statusKey = ['web.status.connecting', {}];
export function setStatus(state, key, args) {
  statusKey = [key, args || {}];
  const s = $('status');
  s.dataset.state = state;
  s.textContent = vis(t(key, args));
  document.body.dataset.ws = state;
}
// The page asks for the events after the newest it received, whether it
// has drawn them yet or not (they wait in S.incoming, and a replayed
// duplicate is dropped there by its seq).
function connect1() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let url = proto + '//' + location.host + '/ws?after=' + Math.max(S.lastSeq, S.recvSeq);
  if (S.epoch) url += '&epoch=' + encodeURIComponent(S.epoch);
  const sock = new WebSocket(url);
  ws = sock;
  sock.onopen = () => { backoff = 500; setStatus('open', 'web.status.live'); performance.mark('ws-open'); };
  // Each message is a JSON array of events, in order.
  sock.onmessage = (m) => {
    if (sock !== ws) return; // a connection the page has left
    let evs;
    try { evs = JSON.parse(m.data); } catch (e) { return; }
    if (!Array.isArray(evs)) evs = [evs];
    for (const ev of evs) {
      // The server dropped events for this page (it read too slowly) but
      // still holds them: the page leaves this connection and asks again
      // from the newest event it has, so that the view is complete again
      // instead of showing a gap. A gap older than the server's history
      // comes as note.skipped.history and is shown.
      if (ev.kind === 'skipped' && ev.msg && ev.msg.key === 'note.skipped.behind') {
        resume();
        return;
      }
      if (ev.kind !== 'skipped' && ev.seq > S.recvSeq) S.recvSeq = ev.seq;
      if (ev.kind === 'hello') {
        const epoch = (ev.attrs && ev.attrs.epoch) || '';
        if (S.epoch && epoch !== S.epoch) resetAll(); // mailscope restarted: a new run
        S.epoch = epoch;
        sessionStorage.setItem('mailscope.epoch', epoch);
        S.replayTo = Number((ev.attrs && ev.attrs.seq) || 0);
        // Only a page that holds nothing yet waits for the replay before
        // drawing (ladder.js): a page catching up keeps moving.
        S.replayFrom = S.events.length || S.incoming.length ? 0 : performance.now();
        continue;
      }
      ingest(ev);
    }
  };
  sock.onclose = () => {
    if (sock !== ws) return;
    setStatus('closed', 'web.status.closed', { s: Math.round(backoff / 100) / 10 });
    const wait = backoff;
    backoff = Math.min(backoff * 2, 5000);
    // A mailscope restarted with a new token refuses the old cookie:
    // ask for the token instead of retrying for ever.
    setTimeout(async () => {
      try {
        if (needToken(await api('/api/world'))) { showLogin(); return; }
      } catch (e) { /* not reachable: retry */ }
      connect();
    }, wait);
  };
}
export function connect() {
  setStatus('connecting', 'web.status.connecting');
  connect1();
}
// resume leaves a connection the server dropped events on and opens one
// that starts after the newest event received.
function resume() {
  const old = ws;
  S.resumes = (S.resumes || 0) + 1;
  connect1();
  old.close();
}

export function showLogin() {
  const failed = new URLSearchParams(location.search).get('login') === 'failed';
  // In a class the page is first the students': the sign-in form comes
  // first (student.js), the instructor's token after it.
  const cls = !!(S.world && S.world.class);
  $('login-text').textContent = (failed ? t('web.login.failed') + ' ' : '') + t(cls ? 'web.login.class' : 'web.login');
  $('login').hidden = false;
  setStatus('login', cls ? 'web.login.status.class' : 'web.login.status');
  if (!cls) $('login-token').focus();
}

// relabelStatus says the status and the token form again in the page's
// language.
export function relabelStatus() {
  const st = $('status');
  setStatus(st.dataset.state, statusKey[0], statusKey[1]);
  if (!$('login').hidden) showLogin();
}
