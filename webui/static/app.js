// mailscope web timeline. Plain JavaScript in native ES modules, no build
// step, no dependencies. This module starts the page: it loads the world
// and the catalog, says the page's fixed words, and connects.
//
//   util.js     small helpers; the rule that text reaches the page as text
//   i18n.js     the page's language: catalog texts, event prose, explanations
//   api.js      the HTTP API
//   model.js    the event model: events, sessions, filter, lanes, rows
//   ws.js       the websocket client
//   ladder.js   the ladder (virtualized rows, arrows, marks)
//   panels.js   explanation, session list, filters, lesson panel
//   views.js    the tabs
//   queue.js    the queue view and fault switches
//   message.js  the message view
//   present.js  presenter mode: stepping, play back, export, themes
//   student.js  classroom mode: a student signs in, and sees who they are
//   dashboard.js classroom mode: the instructor's class dashboard
//
// Security rule of every module: text from the wire, from mailboxes or from
// the API is untrusted. It is only ever put into the page with textContent,
// setAttribute on inert attributes (title, data-*), or as option text; never
// as HTML, and always through vis(), which shows bidirectional controls as
// escapes. The server's Content-Security-Policy forbids inline script too.
// The web token is an HttpOnly cookie: no script sees it.
import { $, vis, option } from './util.js';
import { I, t, prose, explainText, enhText, loadCatalog, wantedLang } from './i18n.js';
import { api, needToken } from './api.js';
import { S, laneInfo, relabelViews, recomputeTops } from './model.js';
import { drawLanes, render, readRowH, updateSpace, scrollToBottom, scrollToRow, measureReset } from './ladder.js';
import { select, refreshSessionList, refreshFilterOptions, updateCounts, renderLesson } from './panels.js';
import { onShow } from './views.js';
import { setStatus, connect, showLogin, relabelStatus } from './ws.js';
import { fillUsers } from './message.js';
import './queue.js';
import './student.js';
import './dashboard.js';
import { startPresent } from './present.js';

window.__mailscope = S; // for the browser tests and the curious
// For the browser tests: how the page says an event's prose.
S.say = { prose: prose, explain: explainText, enh: enhText };

onShow('timeline', () => { readRowH(); updateSpace(); if ($('autoscroll').checked) scrollToBottom(); render(); });

// ---------- the page's language ----------
// applyStatic says the page's fixed words (the elements marked data-t,
// data-t-title, data-t-aria, data-t-placeholder) in the page's language.
function applyStatic() {
  document.documentElement.lang = I.lang;
  document.title = t('web.title');
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  for (const e of document.querySelectorAll('[data-t-title]')) e.title = t(e.dataset.tTitle);
  for (const e of document.querySelectorAll('[data-t-aria]')) e.setAttribute('aria-label', t(e.dataset.tAria));
  for (const e of document.querySelectorAll('[data-t-placeholder]')) e.placeholder = t(e.dataset.tPlaceholder);
  const hint = t('web.empty').split('{cmd}');
  $('empty-a').textContent = hint[0];
  $('empty-b').textContent = hint.slice(1).join('');
  $('pause').textContent = S.paused ? t('web.resume') : t('web.pause');
  for (const b of document.querySelectorAll('.lang-btn')) b.setAttribute('aria-pressed', String(b.dataset.lang === I.lang));
  $('login-lang').value = I.lang;
}
// relabel says everything on the page again after a switch: the events
// stay, only their words change.
function relabel() {
  applyStatic();
  relabelStatus();
  for (const l of S.lanes) Object.assign(l, laneInfo(l.key));
  drawLanes();
  // The rows are measured again: wrapped labels, explanations and marks
  // (presenter mode, a phone, large type) were laid out in the old words.
  S.layout++;
  measureReset();
  recomputeTops();
  updateSpace();
  if (S.step >= 0 && S.step < S.rows.length) scrollToRow(S.step);
  else if ($('autoscroll').checked) scrollToBottom();
  render();
  refreshSessionList();
  updateCounts();
  renderLesson();
  if (S.selected) {
    const ev = S.events.find((e) => e.seq === S.selected && e.kind !== 'skipped');
    if (ev) select(ev);
  }
  relabelViews();
}
async function setLang(lang) {
  try {
    await loadCatalog(lang);
  } catch (e) {
    return; // the switch stays where it was
  }
  I.lang = lang;
  const u = new URL(location.href);
  u.searchParams.set('lang', lang);
  history.replaceState(history.state, '', u);
  relabel();
}
for (const b of document.querySelectorAll('.lang-btn')) b.addEventListener('click', () => setLang(b.dataset.lang));

// ---------- start ----------
async function start() {
  if (localStorage.getItem('mailscope.large') === '1') { document.body.classList.add('large'); S.large = true; }
  $('large').setAttribute('aria-pressed', String(document.body.classList.contains('large')));
  readRowH();
  try {
    S.world = await api('/api/world');
  } catch (e) {
    S.world = { servers: [], faults: [] };
  }
  I.server = S.world.lang === 'zh' ? 'zh' : 'en';
  I.lang = wantedLang();
  // The server's own catalog too: it checks an event's text before the
  // page says it in another language.
  await Promise.all(Array.from(new Set([I.lang, I.server]), (l) => loadCatalog(l).catch(() => {})));
  if (!I.cat.has(I.lang)) I.lang = I.server;
  applyStatic();
  setStatus('connecting', 'web.status.connecting');
  const first = S.world.servers[0];
  if (first && first.listeners && first.listeners.smtp) {
    const hp = first.listeners.smtp;
    const i = hp.lastIndexOf(':');
    // A server on every address (--host 0.0.0.0) is reached by the name
    // this page was reached by.
    let host = hp.slice(0, i);
    if (host === '0.0.0.0' || host === '[::]' || host === '::' || host === '') host = location.hostname;
    $('hint-cmd').textContent = vis('telnet ' + host.replace(/^\[(.*)\]$/, '$1') + ' ' + hp.slice(i + 1));
  }
  $('m-server').replaceChildren(...S.world.servers.map((s) => option(s.name, s.name + ' (' + s.domain + ')')));
  fillUsers();
  // ?session=ID opens on one session (the class dashboard's link).
  const only = new URLSearchParams(location.search).get('session');
  if (only) S.filter.session = only;
  refreshFilterOptions();
  updateSpace();
  updateCounts();
  startPresent();
  if (needToken(S.world)) { showLogin(); return; }
  connect();
}
start();
