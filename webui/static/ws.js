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
export function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let url = proto + '//' + location.host + '/ws?after=' + S.lastSeq;
  if (S.epoch) url += '&epoch=' + encodeURIComponent(S.epoch);
  setStatus('connecting', 'web.status.connecting');
  ws = new WebSocket(url);
  ws.onopen = () => { backoff = 500; setStatus('open', 'web.status.live'); };
  // Each message is a JSON array of events, in order.
  ws.onmessage = (m) => {
    let evs;
    try { evs = JSON.parse(m.data); } catch (e) { return; }
    if (!Array.isArray(evs)) evs = [evs];
    for (const ev of evs) {
      if (ev.kind === 'hello') {
        const epoch = (ev.attrs && ev.attrs.epoch) || '';
        if (S.epoch && epoch !== S.epoch) resetAll(); // mailscope restarted: a new run
        S.epoch = epoch;
        sessionStorage.setItem('mailscope.epoch', epoch);
        continue;
      }
      ingest(ev);
    }
  };
  ws.onclose = () => {
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

export function showLogin() {
  const failed = new URLSearchParams(location.search).get('login') === 'failed';
  $('login-text').textContent = (failed ? t('web.login.failed') + ' ' : '') + t('web.login');
  $('login').hidden = false;
  setStatus('login', 'web.login.status');
  $('login-token').focus();
}

// relabelStatus says the status and the token form again in the page's
// language.
export function relabelStatus() {
  const st = $('status');
  setStatus(st.dataset.state, statusKey[0], statusKey[1]);
  if (!$('login').hidden) showLogin();
}
