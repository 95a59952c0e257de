// mailscope web timeline: the message view. The mailboxes of a user, a
// message's header lines, MIME tree, decoded text and raw source, all as
// text; its HTML in a sandboxed frame that loads nothing remote, with the
// list of what it blocked; its attachments as downloads; and a search.
import { $, vis, el, option, debounce, roving } from './util.js';
import { I, t, tOr, prose } from './i18n.js';
import { api } from './api.js';
import { S, onEvent, onRelabel } from './model.js';
import { setFilter } from './panels.js';
import { show, onShow } from './views.js';

export const refreshMailboxesSoon = debounce(() => { if (S.view === 'messages') loadMailboxes(false); }, 400);
let currentMessage = '';
export function fillUsers() {
  const sv = S.world.servers.find((s) => s.name === $('m-server').value);
  const users = sv ? sv.users : [];
  const cur = $('m-user').value;
  $('m-user').replaceChildren(...users.map((u) => option(u, u)));
  if (users.includes(cur)) $('m-user').value = cur;
}
$('m-server').addEventListener('change', () => { fillUsers(); loadMailboxes(true); });
$('m-user').addEventListener('change', () => loadMailboxes(true));
$('m-refresh').addEventListener('click', () => (searching ? search(searching) : loadMailboxes(false)));

// A load asked for while one is on its way (a delivery, a switch of
// language) comes after it: the answer on its way may be older than what
// was asked.
let mailboxesLoading = false, loadAgain = false;
export async function loadMailboxes(clear) {
  const server = $('m-server').value, user = $('m-user').value;
  if (clear) { searching = ''; $('m-search').value = ''; }
  if (!server || !user || searching) return;
  if (clear) { currentMessage = ''; $('message').replaceChildren(el('p', 'hint', t('web.m.pick'))); }
  if (mailboxesLoading) { loadAgain = true; return; }
  mailboxesLoading = true;
  const box = $('mailboxes');
  try {
    const data = await api('/api/mailboxes?server=' + encodeURIComponent(server) + '&user=' + encodeURIComponent(user));
    const focused = focusedItem();
    box.replaceChildren();
    for (const mb of data.mailboxes) {
      box.appendChild(el('h2', '', mb.name + ' (' + mb.messages.length + ')' + (mb.special ? ' ' + mb.special : '')));
      const ul = el('ul');
      for (const m of mb.messages.slice().reverse()) {
        ul.appendChild(messageItem(m, (m.from || t('web.m.nofrom')) + ' · ' + when(m.date) + ' · ' + t('web.octets', { n: m.size }) + (m.flags.length ? ' · ' + m.flags.join(' ') : '')));
      }
      if (!mb.messages.length) ul.appendChild(el('li', 'hint', t('web.m.empty')));
      box.appendChild(ul);
    }
    rovingStop(focused);
  } catch (e) {
    box.replaceChildren(el('p', 'mime-err', t('web.m.errboxes', { err: e.message })));
  } finally {
    mailboxesLoading = false;
    if (loadAgain) { loadAgain = false; loadMailboxes(false); }
  }
}

// when is a message's date in the page's language (a Chinese page writes
// it the Chinese way).
function when(date) { return new Date(date).toLocaleString(I.lang === 'zh' ? 'zh-CN' : I.lang); }

// messageItem is a message's line in the list: a button (the keyboard and
// a screen reader reach it like any other) holding its subject and meta.
// Only one message button is a tab stop; the arrow keys move between them
// (rovingStop, and roving in util.js, as for the session list).
function messageItem(m, meta) {
  const li = el('li', 'msg-item' + (m.id === currentMessage ? ' current' : ''));
  li.dataset.id = m.id;
  const b = el('button', 'msg-open');
  b.type = 'button';
  b.tabIndex = -1;
  b.appendChild(el('span', 'msg-subject', m.subject || t('web.m.nosubject')));
  b.appendChild(el('span', 'msg-meta', meta));
  li.appendChild(b);
  // On the line, so that a click anywhere on it opens the message; the
  // button's own click (a mouse, Enter, Space) comes up to it.
  li.addEventListener('click', () => openMessage(m.id));
  return li;
}
// focusedItem is the id of the message whose button has the focus, so that
// a list drawn again (a delivery, a language switch) gives the focus back.
function focusedItem() {
  const b = document.activeElement;
  return b && b.classList && b.classList.contains('msg-open') && $('mailboxes').contains(b) ? b.closest('li').dataset.id : '';
}
// rovingStop makes one message button the list's tab stop: the one that
// had the focus (and gets it back), else the open message's, else the
// first.
function rovingStop(focused) {
  const box = $('mailboxes');
  const btns = box.querySelectorAll('.msg-open');
  if (!btns.length) return;
  const byId = (id) => Array.prototype.find.call(btns, (b) => b.closest('li').dataset.id === id);
  const stop = (focused && byId(focused)) || (currentMessage && byId(currentMessage)) || btns[0];
  stop.tabIndex = 0;
  if (focused && stop.closest('li').dataset.id === focused) stop.focus();
}
roving($('mailboxes'), '.msg-open');

export async function openMessage(id) {
  currentMessage = id;
  for (const li of document.querySelectorAll('#mailboxes li')) li.classList.toggle('current', li.dataset.id === id);
  const box = $('message');
  box.replaceChildren(el('p', 'hint', t('web.loading')));
  let m;
  try {
    m = await api('/api/messages/' + encodeURIComponent(id));
  } catch (e) {
    box.replaceChildren(el('p', 'mime-err', t('web.m.errmessage', { err: e.message })));
    return;
  }
  box.replaceChildren();
  const title = el('h2', 'msg-title', m.subject || t('web.m.nosubject'));
  title.id = 'msg-subject';
  box.appendChild(title);
  box.appendChild(el('p', 'hint', m.server + ' · ' + m.user + ' · ' + m.mailbox + ' · UID ' + m.uid + ' · ' + t('web.octets', { n: m.size }) +
    (m.msgid ? ' · ' + t('web.m.traceid', { id: m.msgid }) : '') + (m.flags.length ? ' · ' + m.flags.join(' ') : '')));
  if (m.msgid) {
    const b = el('button', 'follow', t('web.m.follow', { id: m.msgid }));
    b.type = 'button';
    b.addEventListener('click', () => { show('timeline'); setFilter('msgid', m.msgid); });
    box.appendChild(b);
  }
  if (m.error) box.appendChild(el('p', 'mime-err', prose({ msg: m.error_msg, text: m.error })));

  box.appendChild(el('h2', '', t('web.m.headers')));
  const tbl = el('table', 'headers');
  for (const h of m.headers) {
    const tr = el('tr');
    tr.appendChild(el('td', 'hname', h.name + ':'));
    const td = el('td', 'hval', h.value);
    if (h.raw) td.title = vis(t('web.m.onwire', { raw: h.raw }));
    tr.appendChild(td);
    tbl.appendChild(tr);
  }
  box.appendChild(tbl);

  preview(box, m);
  attachments(box, m);

  box.appendChild(el('h2', '', t('web.m.mime')));
  const tree = el('ul', 'mime-tree');
  tree.id = 'mime-tree';
  if (m.tree) tree.appendChild(mimeNode(m.tree));
  box.appendChild(tree);

  box.appendChild(el('h2', '', t('web.m.decoded')));
  const parts = el('div', 'part-text');
  parts.id = 'decoded-text';
  collectText(m.tree, parts, m.html_part);
  if (!parts.childNodes.length) parts.appendChild(el('p', 'hint', t('web.m.notext')));
  box.appendChild(parts);

  box.appendChild(el('h2', '', m.raw_truncated ? t('web.m.rawcut') : t('web.m.raw')));
  const raw = el('pre', 'raw', m.raw);
  raw.id = 'raw-source';
  box.appendChild(raw);
}
// preview shows the HTML part in an <iframe sandbox> (no script, no
// form, no popup, an opaque origin) from /api/messages/{id}/html, whose
// Content-Security-Policy lets nothing remote load and whose links lead
// nowhere; under it, what was blocked, and what a tracking pixel would
// have told the sender.
function preview(box, m) {
  if (!m.html_part || m.html_part === '-') return;
  box.appendChild(el('h2', '', t('web.m.preview')));
  const f = document.createElement('iframe');
  f.setAttribute('sandbox', '');
  f.setAttribute('referrerpolicy', 'no-referrer');
  f.className = 'm-preview';
  f.id = 'msg-preview';
  f.title = vis(t('web.m.preview'));
  f.src = '/api/messages/' + encodeURIComponent(m.id) + '/html?part=' + encodeURIComponent(m.html_part);
  box.appendChild(f);
  // The served HTML's links lead nowhere (handleHTML): say so, and where
  // the address is still to be seen.
  const links = el('p', 'hint m-linknote', t('web.m.preview.links'));
  links.id = 'msg-linknote';
  box.appendChild(links);
  const remote = m.remote || [];
  if (!remote.length) {
    box.appendChild(el('p', 'hint', t('web.m.blocked.none')));
    return;
  }
  box.appendChild(el('h3', '', t('web.m.blocked', { n: remote.length })));
  const ul = el('ul', 'm-blocked');
  ul.id = 'msg-blocked';
  for (const r of remote) {
    // The URL is wire text: a text node of its own, never in the template.
    const li = el('li', r.pixel ? 'pixel' : '');
    const tmpl = t(r.pixel ? 'web.m.blocked.pixel' : 'web.m.blocked.item');
    for (const p of tmpl.split(/(\{tag\}|\{url\})/)) {
      if (p === '{tag}') li.appendChild(el('span', 'mime-type', r.tag));
      else if (p === '{url}') li.appendChild(el('code', 'wire', r.url));
      else if (p) li.appendChild(document.createTextNode(vis(p)));
    }
    ul.appendChild(li);
  }
  box.appendChild(ul);
  box.appendChild(el('p', 'm-pixelnote', t('web.m.pixelnote')));
}

// attachments lists the parts offered for download.
function attachments(box, m) {
  const list = m.attachments || [];
  if (!list.length) return;
  box.appendChild(el('h2', '', t('web.m.attachments')));
  const ul = el('ul', 'm-attachments');
  ul.id = 'msg-attachments';
  for (const a of list) {
    const li = el('li');
    const link = el('a', 'm-download', t('web.m.download', { name: a.filename, type: a.content_type, n: a.size }));
    link.href = '/api/messages/' + encodeURIComponent(m.id) + '/parts/' + encodeURIComponent(a.path);
    link.setAttribute('download', a.filename);
    link.dataset.path = a.path;
    li.appendChild(link);
    ul.appendChild(li);
  }
  box.appendChild(ul);
}

// search looks through the user's messages on the server and lists what
// matches in place of the mailboxes, until "show all".
let searching = '';
let found = null; // the answer drawn for searching, drawn again in another language
async function search(q) {
  const server = $('m-server').value, user = $('m-user').value;
  q = q.trim();
  if (!server || !user) return;
  if (!q) { searching = ''; found = null; loadMailboxes(false); return; }
  searching = q;
  found = null;
  const box = $('mailboxes');
  const focused = focusedItem();
  box.replaceChildren(el('p', 'hint', t('web.loading')));
  let r;
  try {
    r = await api('/api/search?server=' + encodeURIComponent(server) + '&user=' + encodeURIComponent(user) + '&q=' + encodeURIComponent(q));
  } catch (e) {
    box.replaceChildren(el('p', 'mime-err', t('web.m.errboxes', { err: e.message })));
    return;
  }
  if (searching !== q) return;
  found = r;
  drawSearch(q, r, focused);
}
// drawSearch lists a search's answer r for the query q.
function drawSearch(q, r, focused) {
  const box = $('mailboxes');
  box.replaceChildren();
  const head = el('div', 'm-search-head');
  const n = r.results.length;
  head.appendChild(el('h2', '', n ? t(r.truncated ? 'web.m.search.cut' : 'web.m.search.n', { n: n, q: '“' + q + '”' }) : t('web.m.search.none', { q: '“' + q + '”' })));
  const all = el('button', '', t('web.m.search.clear'));
  all.type = 'button';
  all.addEventListener('click', () => { $('m-search').value = ''; searching = ''; found = null; loadMailboxes(false); });
  head.appendChild(all);
  box.appendChild(head);
  const ul = el('ul');
  ul.id = 'search-results';
  for (const m of r.results) {
    const where = (m.where || []).map((w) => tOr('web.m.search.in.' + w, w)).join(t('web.m.search.sep'));
    ul.appendChild(messageItem(m, m.mailbox + ' · ' + (m.from || t('web.m.nofrom')) + ' · ' + when(m.date) + ' · ' + t('web.m.search.where', { where: where })));
  }
  box.appendChild(ul);
  rovingStop(focused);
}
$('m-search-form').addEventListener('submit', (e) => { e.preventDefault(); search($('m-search').value); });

function partDesc(p) {
  return p.path ? t('web.m.part', { path: p.path }) : t('web.m.whole');
}
function mimeNode(p) {
  const li = el('li', 'mime-node');
  li.appendChild(el('span', 'hint', partDesc(p) + ' '));
  li.appendChild(el('span', 'mime-type', p.content_type));
  const attrs = [];
  if (p.charset) attrs.push('charset=' + p.charset);
  if (!p.content_type.startsWith('multipart/')) attrs.push(t('web.m.encoding', { enc: p.encoding }), t('web.m.decsize', { n: p.size }));
  else if (p.params && p.params.boundary) attrs.push('boundary=' + p.params.boundary);
  if (p.disposition) attrs.push(p.disposition);
  if (p.filename) attrs.push(t('web.m.file', { name: p.filename }));
  li.appendChild(el('span', 'mime-attr', attrs.join(' · ')));
  if (p.error) li.appendChild(el('span', 'mime-err', prose({ msg: p.error_msg, text: p.error })));
  if (p.parts && p.parts.length) {
    const ul = el('ul');
    for (const c of p.parts) ul.appendChild(mimeNode(c));
    li.appendChild(ul);
  }
  return li;
}
// collectText shows each text part's decoded text; an HTML part's heading
// says whether it is the one the preview above renders (htmlPart).
function collectText(p, into, htmlPart) {
  if (!p) return;
  if (typeof p.text === 'string') {
    const args = { part: partDesc(p), type: p.content_type, enc: p.encoding };
    let note = '';
    if (p.content_type === 'text/html') note = t(p.path === htmlPart ? 'web.m.htmlsrc.shown' : 'web.m.htmlsrc');
    into.appendChild(el('h3', '', t(p.encoding !== '7bit' ? 'web.m.textdec' : 'web.m.texthead', args) + note));
    into.appendChild(el('pre', '', p.text + (p.text_truncated ? '\n' + t('web.m.cut') : '')));
  }
  for (const c of p.parts || []) collectText(c, into, htmlPart);
}

// A delivery or a mailbox session that closes may have changed the
// mailboxes on show.
onEvent((ev) => {
  if (ev.kind !== 'queue' && !(ev.kind === 'close' && (ev.proto === 'imap' || ev.proto === 'pop3'))) return;
  if (ev.server === $('m-server').value) refreshMailboxesSoon();
});
// After a language switch the view says everything again: the list (a
// search's answer as it is, without asking the server again) and the open
// message. A view not on show is redrawn when it shows.
let relabelled = false;
function relabelMessages() {
  if (S.view !== 'messages') { relabelled = true; return; }
  relabelled = false;
  if (searching && found) drawSearch(searching, found, focusedItem());
  else if (!searching) loadMailboxes(false);
  if (currentMessage) openMessage(currentMessage);
}
onShow('messages', () => (relabelled ? relabelMessages() : loadMailboxes(false)));
onRelabel(relabelMessages);
