// mailscope web timeline. Plain JavaScript, no build step, no dependencies.
//
// Security rule of this file: text from the wire, from mailboxes or from the
// API is untrusted. It is only ever put into the page with textContent,
// setAttribute on inert attributes (title, data-*), or as option text; never
// as HTML, and always through vis(), which shows bidirectional controls as
// escapes. The server's Content-Security-Policy forbids inline script too.
// The web token is an HttpOnly cookie: this script never sees it.
(function () {
  'use strict';

  const MAX_EVENTS = 50000; // kept in the page; the oldest go beyond that
  const TRIM_TO = 40000;
  const OVERSCAN = 12; // rows rendered above and below the visible ones
  const DATA_LINES = 40; // lines of an expanded message body shown inline

  // ---------- small helpers ----------
  const $ = (id) => document.getElementById(id);
  // Bidirectional controls (the embeddings and overrides U+202A-202E, the
  // isolates U+2066-2069, the marks U+200E, U+200F, U+061C) would reorder
  // the text after them on screen: a U+202E in a HELO name would show the
  // rest of the server's reply backwards. vis() shows them as escapes
  // ("\u202e"), as the console does; every text put in the page passes it.
  const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
  const BIDI_ALL = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
  function vis(s) {
    s = String(s);
    return BIDI.test(s) ? s.replace(BIDI_ALL, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : s;
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = vis(text);
    return e;
  }
  function option(value, text) {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = vis(text);
    return o;
  }
  function txt(s) { return document.createTextNode(vis(s)); }
  function pad(n, w) { return String(n).padStart(w, '0'); }
  function fmtTime(ev) {
    if (ev._t === undefined) {
      const d = new Date(ev.time);
      ev._t = isNaN(d) ? '' : pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3);
    }
    return ev._t;
  }
  function fmtDuration(ms) {
    if (ms <= 0) return t('web.dur.now');
    const s = Math.ceil(ms / 1000);
    if (s < 60) return t('web.dur.s', { s: s });
    const m = Math.floor(s / 60);
    if (m < 60) return t('web.dur.ms', { m: m, s: pad(s % 60, 2) });
    return t('web.dur.hm', { h: Math.floor(m / 60), m: pad(m % 60, 2) });
  }

  // ---------- language ----------
  // Every word of the page comes from mailscope's catalog (GET
  // /api/catalog, en and zh), and so does the prose of events: an event
  // says it as a catalog key with named arguments (ev.msg, ev.explain.key
  // and .args), which the page renders in its reader's language, whatever
  // the language of mailscope up. Wire lines are never translated. A value
  // is put into a text as it is, never read as a template or as HTML.
  const I = {
    lang: 'en', // the page's language
    server: 'en', // mailscope up --lang: the language of the texts events carry
    cat: new Map(), // lang -> {texts, rfc}, fetched once
  };
  function texts(lang) { return (I.cat.get(lang || I.lang) || { texts: {} }).texts; }
  // expand replaces each {name} by args[name] in one pass, as tracer.Expand
  // does; a brace that names no argument stays.
  function expand(s, args) {
    if (!args || s.indexOf('{') < 0) return s;
    return s.replace(/\{([^{}]*)\}/g, (m, name) => (Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : m));
  }
  // t is the page's text for key, its {names} filled from args. A key the
  // catalog lacks (it failed to load) shows as itself.
  function t(key, args) {
    const s = texts()[key];
    return s === undefined ? key : expand(s, args);
  }
  // tOr is t with a fallback for keys built from data (a state, a step).
  function tOr(key, fallback, args) {
    const s = texts()[key];
    return s === undefined ? fallback : expand(s, args);
  }
  // rfcRef writes "RFC 5321 section 4.1.1.2" the page's way ("RFC 5321 第
  // 4.1.1.2 节" in Chinese).
  function rfcRef(r) {
    return String(r || '').replace(/\bsection ([0-9A-Za-z.]*[0-9A-Za-z])/g, (m, sec) => t('web.rfc.section', { sec: sec }));
  }
  // prose is what a non-wire event says: its catalog message in the page's
  // language, else the text the server rendered.
  function prose(ev) {
    const m = ev.msg;
    if (m && m.key) {
      const s = texts()[m.key];
      if (s !== undefined) return expand(s, m.args || {});
    }
    return ev.text || '';
  }
  // An explanation's text is composed on the server from catalog entries:
  // the entry of its key with {names} filled (from args, or, for older
  // fills, only in the text), after the class of an SMTP reply. The page
  // composes it again from the server language's catalog and uses the
  // parts only when that gives exactly the server's text; then the same
  // parts in the page's language are the translation. Anything else falls
  // back to the server's text, never to a wrong sentence.
  function composeParts(x, tx) {
    const base = tx[x.key];
    if (base === undefined) return null;
    let prefix = '';
    if (x.key.startsWith('smtp.reply.') && /^[2-5]xx$/.test(x.class || '')) {
      const cls = tx['smtp.class.' + x.class[0]];
      // No space after a full-width colon, as the server writes it.
      if (cls !== undefined) prefix = cls + (cls.endsWith('：') ? '' : ' ');
    }
    return { prefix: prefix, base: base };
  }
  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
  // recoverArgs matches the server's text against its template and returns
  // every argument, those only written into the text included; null when
  // the text is not that template's.
  function recoverArgs(x) {
    const parts = composeParts(x, texts(I.server));
    if (!parts) return null;
    const args = Object.assign({}, x.args || {});
    const names = [];
    let re = '^' + escapeRe(parts.prefix), last = 0;
    parts.base.replace(/\{([^{}]*)\}/g, (m, name, at) => {
      re += escapeRe(parts.base.slice(last, at));
      last = at + m.length;
      if (Object.prototype.hasOwnProperty.call(args, name)) re += escapeRe(String(args[name]));
      else { names.push(name); re += '([\\s\\S]*?)'; }
      return m;
    });
    re += escapeRe(parts.base.slice(last)) + '$';
    const found = new RegExp(re).exec(x.text || '');
    if (!found) return null;
    names.forEach((n, i) => { if (!Object.prototype.hasOwnProperty.call(args, n)) args[n] = found[i + 1]; });
    return args;
  }
  function explainText(x) {
    if (!x) return '';
    if (I.lang === I.server || !x.key || !I.cat.has(I.server)) return x.text || '';
    const args = recoverArgs(x);
    const parts = args && composeParts(x, texts());
    return parts ? parts.prefix + expand(parts.base, args) : (x.text || '');
  }
  // The ways the servers explain a response code (tracer's enhanced,
  // POP3Code and IMAPStatus), each as a function of a catalog.
  function smtpEnh(code, tx, lang) {
    const p = code.split('.');
    if (p.length !== 3) return null;
    const cls = tx['enh.class.' + p[0]];
    const det = tx['enh.' + p[1] + '.' + p[2]] !== undefined ? tx['enh.' + p[1] + '.' + p[2]] : tx['enh.subject.' + p[1]];
    return [cls, det].filter((v) => v !== undefined).join(lang === 'zh' ? '：' : ': ');
  }
  // enhCite splits the server's "(RFC 3463)" or "（RFC 4954 第 6 节）" ending
  // off an enhanced code's text and writes it again in lang: the RFC named,
  // in that language's citation form.
  const enhCiteRe = /^(?: \((RFC [0-9][^()]*)\)|（(RFC [0-9][^（）]*)）)$/;
  function enhCite(ending, lang) {
    const m = enhCiteRe.exec(ending);
    if (!m) return null;
    const en = (m[1] || m[2]).replace(/ 第 ([0-9A-Za-z.]+) 节/g, ' section $1').replace(/，/g, ', ');
    return lang === 'zh' ? '（' + en.replace(/ section ([0-9A-Za-z.]+)/g, ' 第 $1 节').replace(/, /g, '，') + '）' : ' (' + en + ')';
  }
  function pop3Enh(code, tx, rfc) {
    const head = code.split('/')[0];
    for (const k of ['pop3.code.' + code, 'pop3.code.' + head, 'pop3.code.unknown']) {
      if (tx[k] !== undefined) return tx[k] + ' (' + (rfc[k] || '') + ')';
    }
    return null;
  }
  function enhText(x) {
    if (!x || !x.enh_text) return '';
    if (I.lang === I.server || !I.cat.has(I.server)) return x.enh_text;
    const src = I.cat.get(I.server), dst = I.cat.get(I.lang);
    // SMTP: "class: detail (RFC ...)", whichever RFC the server names.
    const se = smtpEnh(x.enh, src.texts, I.server);
    const cite = se && x.enh_text.startsWith(se) ? enhCite(x.enh_text.slice(se.length), I.lang) : null;
    if (cite !== null) return smtpEnh(x.enh, dst.texts, I.lang) + cite;
    const pe = pop3Enh(x.enh, src.texts, src.rfc);
    if (pe && pe === x.enh_text) return pop3Enh(x.enh, dst.texts, dst.rfc);
    if (src.texts['imap.code.' + x.enh] === x.enh_text && dst.texts['imap.code.' + x.enh] !== undefined) return dst.texts['imap.code.' + x.enh];
    return x.enh_text;
  }
  // stateName is a session state as the page names it.
  function stateName(s) { return s ? tOr('web.state.' + String(s).replace(/ /g, '-'), s) : ''; }
  function debounce(fn, ms) {
    let t = 0;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }
  function throttle(fn, ms) {
    let last = 0, t = 0;
    return function () {
      const now = Date.now();
      if (now - last >= ms) { last = now; fn(); return; }
      clearTimeout(t);
      t = setTimeout(() => { last = Date.now(); fn(); }, ms - (now - last));
    };
  }

  // ---------- API ----------
  // The token, where one is needed, travels as the cookie the server set
  // when the address with ?token= was opened: same-origin requests carry it.
  async function api(path, opts) {
    opts = opts || {};
    const headers = opts.headers || {};
    const res = await fetch(path, { method: opts.method || 'GET', headers: headers, body: opts.body, cache: 'no-store' });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) throw new Error((body && body.error) || (res.status + ' ' + res.statusText));
    return body;
  }

  // ---------- state ----------
  const S = {
    world: { servers: [] },
    epoch: sessionStorage.getItem('mailscope.epoch') || '',
    lastSeq: 0,
    events: [],
    sessions: new Map(), // id -> {id, server, proto, peer, actor, hop, color, lines, closed, states: [], msgids: Set, first}
    msgids: new Map(), // msgid -> first seq
    filter: { server: '', proto: '', session: '', msgid: '' },
    rows: [], // filtered events shown in the ladder
    tops: [0], // tops[i] = first unit of row i; tops[rows.length] = total units
    lanes: [], // [{key, label, sub, kind}]
    laneIdx: new Map(),
    actors: new Map(), // server -> Set of the users seen on its client lane
    relabel: false, // a client lane has a new user: redraw the lane heads
    layout: 0, // bumps when lanes or row heights change: cached row elements are rebuilt
    expanded: new Set(),
    selected: 0,
    paused: false,
    pending: [],
    incoming: [],
    rendered: new Map(), // seq -> element currently in #rows
    view: 'timeline',
  };
  window.__mailscope = S; // for the browser tests and the curious
  // For the browser tests: how the page says an event's prose.
  S.say = { prose: prose, explain: explainText, enh: enhText };

  const palette = ['#0969da', '#8250df', '#bf3989', '#1a7f37', '#bc4c00', '#0e7c86', '#6639ba', '#953800', '#116329', '#a40e26', '#3e4b9e', '#7d4e00'];

  function serverIndex(name) {
    const i = S.world.servers.findIndex((s) => s.name.toLowerCase() === String(name).toLowerCase());
    return i < 0 ? 1000 : i;
  }
  function isServer(name) { return serverIndex(name) < 1000; }

  // ---------- lanes ----------
  // A session's client is its actor (the relay's sending server, "A"), or
  // else "the client of" the server it talks to: alice's telnet for A,
  // bob's POP3 client or the webmail for B.
  function hopParts(ev) {
    if (!ev.hop) return null;
    const p = ev.hop.split('->');
    return p.length === 2 ? p : null;
  }
  // One client lane per server: everyone who talks to A without being a
  // server (alice's telnet, her POP3 client, the webmail reading her
  // mailbox) draws from "client of A". A relay session draws from the
  // sending server's lane.
  function clientLane(ev) {
    const hp = hopParts(ev);
    if (hp) return 'srv:' + hp[0];
    if (ev.actor && isServer(ev.actor)) return 'srv:' + ev.actor;
    if (!ev.server) return '';
    return 'cli:' + ev.server;
  }
  function serverLane(ev) {
    const hp = hopParts(ev);
    if (hp) return 'srv:' + hp[1];
    return ev.server ? 'srv:' + ev.server : '';
  }
  // Lanes left to right: the clients of the first server, the servers, the
  // clients of the others ("alice's client, A, B, bob's client").
  function laneOrder(key) {
    const kind = key.slice(0, 3), name = key.slice(4);
    const i = serverIndex(name);
    if (kind === 'cli') return i === 0 ? 0 : 3000 + i;
    return 1000 + i;
  }
  function laneInfo(key) {
    const kind = key.slice(0, 3), name = key.slice(4);
    const sv = S.world.servers.find((s) => s.name === name);
    if (kind === 'srv') return { key, kind: 'server', label: t('web.lane.server', { name: name }), sub: sv ? sv.domain : '' };
    const who = S.actors.get(name);
    const users = who && who.size ? Array.from(who).join(', ') : (sv ? sv.users.join(', ') : '');
    return { key, kind: 'client', label: t('web.lane.client', { name: name }), sub: users ? t('web.lane.side', { users: users }) : '' };
  }
  // lanesOf lists the lanes an event draws on.
  function lanesOf(ev) {
    switch (ev.kind) {
      case 'line': case 'data': case 'http': case 'open': case 'diagnostic':
        return [clientLane(ev), serverLane(ev)].filter(Boolean);
      case 'state': case 'close': case 'tls':
        return [serverLane(ev)].filter(Boolean);
      case 'queue': case 'lookup': case 'fault': case 'lesson': case 'note':
        return ev.server ? ['srv:' + ev.server] : [];
    }
    return [];
  }
  function addLanes(ev) {
    let added = false;
    for (const k of lanesOf(ev)) {
      if (!S.laneIdx.has(k)) { S.lanes.push(laneInfo(k)); S.laneIdx.set(k, -1); added = true; }
    }
    if (added) {
      S.lanes.sort((a, b) => laneOrder(a.key) - laneOrder(b.key) || (a.key < b.key ? -1 : 1));
      S.lanes.forEach((l, i) => S.laneIdx.set(l.key, i));
      S.layout++;
    }
    return added;
  }
  function laneX(key) { // center of a lane in % of the track
    const i = S.laneIdx.get(key);
    if (i === undefined || i < 0) return null;
    return (i + 0.5) * 100 / S.lanes.length;
  }
  function drawLanes() {
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

  // ---------- sessions and messages ----------
  function noteSession(ev) {
    if (!ev.session) return;
    let s = S.sessions.get(ev.session);
    if (!s) {
      s = { id: ev.session, server: ev.server, proto: ev.proto, peer: '', actor: '', hop: '', lines: 0, closed: false,
        states: [], msgids: new Set(), first: ev.seq, color: palette[S.sessions.size % palette.length] };
      S.sessions.set(ev.session, s);
    }
    if (ev.peer && !s.peer) s.peer = ev.peer;
    if (ev.actor && ev.actor !== s.actor) {
      s.actor = ev.actor;
      if (ev.server && !isServer(ev.actor)) {
        if (!S.actors.has(ev.server)) S.actors.set(ev.server, new Set());
        const set = S.actors.get(ev.server);
        if (!set.has(ev.actor)) { set.add(ev.actor); S.relabel = true; }
      }
    }
    if (ev.hop) s.hop = ev.hop;
    if (ev.msgid) s.msgids.add(ev.msgid);
    if (ev.kind === 'line' || ev.kind === 'data' || ev.kind === 'http') s.lines++;
    if (ev.kind === 'state') s.states.push(ev);
    if (ev.kind === 'close') s.closed = true;
  }
  function sessionColor(ev) {
    const s = ev.session && S.sessions.get(ev.session);
    return s ? s.color : '';
  }

  // ---------- filters ----------
  function matches(ev) {
    const f = S.filter;
    if (ev.kind === 'skipped') return true;
    // Lesson steps live in the lesson panel; only hints, which belong to a
    // session, are also drawn on the ladder.
    if (ev.kind === 'lesson' && !ev.server) return false;
    if (f.session && ev.session !== f.session) return false;
    if (f.msgid && ev.msgid !== f.msgid) return false;
    if (f.server) {
      const hp = hopParts(ev);
      const on = ev.server === f.server || (hp && (hp[0] === f.server || hp[1] === f.server));
      if (!on) return false;
    }
    if (f.proto) {
      if (f.proto === '-') { if (ev.proto) return false; } else if (ev.proto !== f.proto) return false;
    }
    return true;
  }
  function units(ev) {
    if (ev.kind === 'data' && S.expanded.has(ev.seq)) return 2 + Math.min(DATA_LINES, Math.max(1, ev.lines || String(ev.data || '').split('\n').length));
    return 1;
  }
  function rebuild() {
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
  function appendRow(ev) {
    S.rows.push(ev);
    S.tops.push(S.tops[S.tops.length - 1] + units(ev));
    return addLanes(ev);
  }
  function recomputeTops() {
    S.tops = [0];
    for (const ev of S.rows) S.tops.push(S.tops[S.tops.length - 1] + units(ev));
    S.layout++;
  }

  // ---------- ingest ----------
  function resetAll() {
    S.events = [];
    S.sessions.clear();
    S.msgids.clear();
    S.actors.clear();
    S.expanded.clear();
    S.pending = [];
    S.selected = 0;
    S.lastSeq = 0;
    rebuild();
    refreshSessionList();
    refreshFilterOptions();
  }
  function ingest(ev) {
    S.incoming.push(ev);
    if (S.incoming.length === 1) schedule();
  }
  function schedule() {
    if (document.hidden) setTimeout(flushIncoming, 100);
    else requestAnimationFrame(flushIncoming);
  }
  let followBottom = true;
  function flushIncoming() {
    const batch = S.incoming;
    S.incoming = [];
    if (!batch.length) return;
    let lanesChanged = false, shown = false;
    for (const ev of batch) {
      // A skipped marker borrows the seq of the event after it: it neither
      // counts as seen nor is a duplicate.
      if (ev.kind !== 'skipped') {
        if (ev.seq <= S.lastSeq) continue; // already have it
        S.lastSeq = ev.seq;
      }
      S.events.push(ev);
      noteSession(ev);
      if (ev.msgid && !S.msgids.has(ev.msgid)) S.msgids.set(ev.msgid, ev.seq);
      onEventSideEffects(ev);
      if (!matches(ev)) continue;
      if (S.paused) { S.pending.push(ev); continue; }
      if (appendRow(ev)) lanesChanged = true;
      shown = true;
    }
    if (S.relabel) {
      S.relabel = false;
      for (const l of S.lanes) if (l.kind === 'client') Object.assign(l, laneInfo(l.key));
      lanesChanged = true;
    }
    if (S.events.length > MAX_EVENTS) {
      S.events = S.events.slice(S.events.length - TRIM_TO);
      rebuild();
      if (followBottom && $('autoscroll').checked) { scrollToBottom(); render(); }
    } else {
      if (lanesChanged) drawLanes();
      if (shown) { updateSpace(); if (followBottom && $('autoscroll').checked) scrollToBottom(); render(); }
    }
    refreshSessionListSoon();
    refreshFilterOptionsSoon();
    updateCounts();
  }

  // ---------- the ladder (virtualized) ----------
  const ladder = $('ladder');
  let rowH = 26;
  function readRowH() {
    const v = parseFloat(getComputedStyle(document.body).getPropertyValue('--row-h'));
    rowH = v > 0 ? v : 26;
  }
  function updateSpace() {
    $('ladder-space').style.height = (S.tops[S.tops.length - 1] * rowH) + 'px';
    // The start-up note is not a sign of life: until a session shows,
    // the page says what to type.
    $('empty-hint').hidden = S.rows.some((ev) => ev.kind !== 'note');
  }
  function scrollToBottom() {
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
  function renderSoon() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => { renderQueued = false; render(); });
  }
  function render() {
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
  function flagText(f) { return tOr('web.flag.' + f, f); }

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

  function kindName(k) { return tOr('web.kind.' + k, k); }
  // dataSummary names a message body or literal: the server's own words in
  // English, else its size in the page's language.
  function dataSummary(ev) {
    if (ev.msg || I.lang === 'en') return prose(ev) || kindName('data');
    return t('web.data.summary', { lines: ev.lines || 0, size: ev.size || 0 });
  }
  // markText is what a mark on a lane says: a state change with why, a
  // queue step, a closed session, or what the event says.
  function markText(ev, step) {
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

  function tickCountdowns() {
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
  function select(ev) {
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
  function refreshSessionList() {
    const ul = $('session-list');
    ul.replaceChildren();
    const list = Array.from(S.sessions.values()).reverse().slice(0, 300);
    for (const s of list) {
      const li = el('li', s.id === S.filter.session ? 'current' : '');
      li.style.setProperty('--c', s.color);
      const head = el('div');
      head.appendChild(el('span', 'swatch'));
      const id = el('span', 'sess-id', s.id);
      id.title = t('web.s.only');
      id.addEventListener('click', () => setFilter('session', S.filter.session === s.id ? '' : s.id));
      head.appendChild(id);
      li.appendChild(head);
      const meta = [s.hop ? t('web.s.hop', { hop: s.hop }) : (s.peer ? t('web.s.from', { peer: s.peer }) : ''), t('web.s.lines', { n: s.lines }),
        s.states.length ? stateName(s.states[s.states.length - 1].to) : '', s.closed ? t('web.s.closed') : t('web.s.open')].filter(Boolean).join(' · ');
      li.appendChild(el('div', 'sess-meta', meta));
      const dl = el('div', 'sess-dl');
      for (const [fmt, label] of [['text', '.txt'], ['md', '.md'], ['jsonl', '.jsonl']]) {
        const a = el('a', '', label);
        a.href = '/api/sessions/' + encodeURIComponent(s.id) + '/transcript?format=' + fmt;
        a.setAttribute('download', s.id + '.' + (fmt === 'text' ? 'txt' : fmt));
        a.title = t('web.s.download', { format: t('web.s.fmt.' + fmt) });
        dl.appendChild(a);
      }
      li.appendChild(dl);
      ul.appendChild(li);
    }
  }
  const refreshSessionListSoon = throttle(refreshSessionList, 400);

  function fillSelect(sel, items, current) {
    const first = sel.options[0];
    const keep = first ? [first] : [];
    sel.replaceChildren(...keep);
    for (const [v, t] of items) sel.appendChild(option(v, t));
    sel.value = current;
  }
  function refreshFilterOptions() {
    const servers = new Set(S.world.servers.map((s) => s.name));
    for (const s of S.sessions.values()) if (s.server) servers.add(s.server);
    fillSelect($('f-server'), Array.from(servers).map((n) => [n, n]), S.filter.server);
    const sess = Array.from(S.sessions.values()).reverse().slice(0, 500).map((s) => [s.id, s.id + (s.hop ? ' (' + s.hop + ')' : '')]);
    if (S.filter.session && !S.sessions.has(S.filter.session)) sess.unshift([S.filter.session, S.filter.session]);
    fillSelect($('f-session'), sess, S.filter.session);
    const ids = Array.from(S.msgids.keys()).reverse().slice(0, 300).map((m) => [m, m]);
    fillSelect($('f-msgid'), ids, S.filter.msgid);
  }
  const refreshFilterOptionsSoon = throttle(refreshFilterOptions, 700);

  function setFilter(k, v) {
    S.filter[k] = v;
    refreshFilterOptions();
    refreshSessionList();
    rebuild();
    if ($('autoscroll').checked) { scrollToBottom(); render(); }
  }
  for (const [id, k] of [['f-server', 'server'], ['f-proto', 'proto'], ['f-session', 'session'], ['f-msgid', 'msgid']]) {
    $(id).addEventListener('change', (e) => setFilter(k, e.target.value));
  }
  function updateCounts() {
    let c = t('web.counts', { shown: S.rows.length, total: S.events.length });
    if (S.paused) c += ' · ' + t('web.counts.paused', { n: S.pending.length });
    $('counts').textContent = c;
  }

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
  function setLarge(on) {
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

  // ---------- websocket ----------
  let ws = null, backoff = 500;
  // The status keeps its key, to be said again in another language.
  let statusKey = ['web.status.connecting', {}];
  function setStatus(state, key, args) {
    statusKey = [key, args || {}];
    const s = $('status');
    s.dataset.state = state;
    s.textContent = vis(t(key, args));
    document.body.dataset.ws = state;
  }
  function connect() {
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

  // ---------- events that update other views ----------
  const refreshMailboxesSoon = debounce(() => { if (S.view === 'messages') loadMailboxes(false); }, 400);
  const refreshQueueSoon = debounce(() => { if (S.view === 'queue') loadQueue(); }, 300);
  // ---------- lesson panel ----------
  // A lesson run with `mailscope lesson` or `mailscope demo` publishes
  // lesson events; the panel beside the ladder shows its steps ticking.
  // now, explain and hints keep their events, said again in another language.
  const L = { id: '', title: '', steps: 0, titles: {}, done: new Set(), current: -1, now: null, explain: null, hints: [], finished: false };
  function onLesson(ev) {
    const a = ev.attrs || {};
    if (!a.lesson) return;
    if (a.lesson !== L.id || a.status === 'started') {
      Object.assign(L, { id: a.lesson, title: a.lesson, steps: 0, titles: {}, done: new Set(), current: -1, now: null, explain: null, hints: [], finished: false });
    }
    if (a.steps) L.steps = Math.min(100, parseInt(a.steps, 10) || 0);
    const step = parseInt(a.step, 10);
    switch (a.status) {
      case 'started': L.title = a.title || a.lesson; L.now = ev; break;
      case 'current': L.current = step; L.titles[step] = a.title; L.now = ev; L.hints = []; break;
      case 'step-done': L.done.add(step); L.titles[step] = a.title; L.explain = ev; break;
      case 'hint': L.hints.push(ev); if (L.hints.length > 3) L.hints.shift(); break;
      case 'finished': L.finished = true; L.explain = ev; break;
      default: return;
    }
    renderLesson();
  }
  function renderLesson() {
    const box = $('lesson-panel');
    box.hidden = !L.id;
    box.replaceChildren();
    if (!L.id) return;
    box.appendChild(el('h2', '', t('web.lesson.title', { title: L.title })));
    const ol = el('ol', 'lesson-steps');
    for (let i = 0; i < L.steps; i++) {
      const cls = L.done.has(i) ? 'done' : (i === L.current ? 'current' : '');
      ol.appendChild(el('li', cls, (L.done.has(i) ? '\u2713 ' : '') + (L.titles[i] || t('web.lesson.step', { n: i + 1 }))));
    }
    box.appendChild(ol);
    if (L.explain && prose(L.explain)) box.appendChild(el('p', 'lesson-explain', prose(L.explain)));
    if (L.now && prose(L.now) && !L.finished) box.appendChild(el('p', 'lesson-now', prose(L.now)));
    for (const h of L.hints) box.appendChild(el('p', 'lesson-hint', '\u279c ' + prose(h)));
    if (L.finished) box.appendChild(el('p', 'lesson-done', t('web.lesson.done')));
  }

  function onEventSideEffects(ev) {
    if (ev.kind === 'lesson') onLesson(ev);
    if (ev.kind === 'queue') {
      refreshQueueSoon();
      if (ev.server === $('m-server').value) refreshMailboxesSoon();
    }
    if (ev.kind === 'fault') refreshQueueSoon();
    if (ev.kind === 'close' && (ev.proto === 'imap' || ev.proto === 'pop3') && ev.server === $('m-server').value) refreshMailboxesSoon();
  }

  // ---------- tabs ----------
  function show(view) {
    S.view = view;
    for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.view === view);
    for (const v of ['timeline', 'messages', 'queue']) $('view-' + v).hidden = v !== view;
    if (view === 'timeline') { readRowH(); updateSpace(); if ($('autoscroll').checked) scrollToBottom(); render(); }
    if (view === 'messages') loadMailboxes(false);
    if (view === 'queue') loadQueue();
  }
  for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => show(b.dataset.view));

  // ---------- messages ----------
  let currentMessage = '';
  function fillUsers() {
    const sv = S.world.servers.find((s) => s.name === $('m-server').value);
    const users = sv ? sv.users : [];
    const cur = $('m-user').value;
    $('m-user').replaceChildren(...users.map((u) => option(u, u)));
    if (users.includes(cur)) $('m-user').value = cur;
  }
  $('m-server').addEventListener('change', () => { fillUsers(); loadMailboxes(true); });
  $('m-user').addEventListener('change', () => loadMailboxes(true));
  $('m-refresh').addEventListener('click', () => loadMailboxes(false));

  let mailboxesLoading = false;
  async function loadMailboxes(clear) {
    const server = $('m-server').value, user = $('m-user').value;
    if (!server || !user || mailboxesLoading) return;
    if (clear) { currentMessage = ''; $('message').replaceChildren(el('p', 'hint', t('web.m.pick'))); }
    mailboxesLoading = true;
    const box = $('mailboxes');
    try {
      const data = await api('/api/mailboxes?server=' + encodeURIComponent(server) + '&user=' + encodeURIComponent(user));
      box.replaceChildren();
      for (const mb of data.mailboxes) {
        box.appendChild(el('h2', '', mb.name + ' (' + mb.messages.length + ')' + (mb.special ? ' ' + mb.special : '')));
        const ul = el('ul');
        for (const m of mb.messages.slice().reverse()) {
          const li = el('li', m.id === currentMessage ? 'current' : '');
          li.dataset.id = m.id;
          li.appendChild(el('div', 'msg-subject', m.subject || t('web.m.nosubject')));
          li.appendChild(el('div', 'msg-meta', (m.from || t('web.m.nofrom')) + ' · ' + new Date(m.date).toLocaleString(I.lang) + ' · ' + t('web.octets', { n: m.size }) + (m.flags.length ? ' · ' + m.flags.join(' ') : '')));
          li.addEventListener('click', () => openMessage(m.id));
          ul.appendChild(li);
        }
        if (!mb.messages.length) ul.appendChild(el('li', 'hint', t('web.m.empty')));
        box.appendChild(ul);
      }
    } catch (e) {
      box.replaceChildren(el('p', 'mime-err', t('web.m.errboxes', { err: e.message })));
    } finally {
      mailboxesLoading = false;
    }
  }

  async function openMessage(id) {
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

    box.appendChild(el('h2', '', t('web.m.mime')));
    const tree = el('ul', 'mime-tree');
    tree.id = 'mime-tree';
    if (m.tree) tree.appendChild(mimeNode(m.tree));
    box.appendChild(tree);

    box.appendChild(el('h2', '', t('web.m.decoded')));
    const parts = el('div', 'part-text');
    parts.id = 'decoded-text';
    collectText(m.tree, parts);
    if (!parts.childNodes.length) parts.appendChild(el('p', 'hint', t('web.m.notext')));
    box.appendChild(parts);

    box.appendChild(el('h2', '', m.raw_truncated ? t('web.m.rawcut') : t('web.m.raw')));
    const raw = el('pre', 'raw', m.raw);
    raw.id = 'raw-source';
    box.appendChild(raw);
  }
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
  function collectText(p, into) {
    if (!p) return;
    if (typeof p.text === 'string') {
      const args = { part: partDesc(p), type: p.content_type, enc: p.encoding };
      into.appendChild(el('h3', '', t(p.encoding !== '7bit' ? 'web.m.textdec' : 'web.m.texthead', args) +
        (p.content_type === 'text/html' ? t('web.m.htmlsrc') : '')));
      into.appendChild(el('pre', '', p.text + (p.text_truncated ? '\n' + t('web.m.cut') : '')));
    }
    for (const c of p.parts || []) collectText(c, into);
  }

  // ---------- queue and faults ----------
  let clockSkew = 0; // server time - page time
  function controlMsg(text, isError) {
    const p = $('control-msg');
    p.textContent = vis(text);
    p.className = isError ? 'error' : '';
  }
  async function loadQueue() {
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

  // ---------- the token ----------
  // A mailscope whose web timeline listens beyond its machine shows the
  // trace and the mail only to a browser that has the token: one that opened
  // the address mailscope up printed (/?token=...), or typed the token here
  // (the form sends it the same way). The server keeps it in a cookie.
  function needToken(w) { return !!(w && w.public && !w.read); }
  function showLogin() {
    const failed = new URLSearchParams(location.search).get('login') === 'failed';
    $('login-text').textContent = (failed ? t('web.login.failed') + ' ' : '') + t('web.login');
    $('login').hidden = false;
    setStatus('login', 'web.login.status');
    $('login-token').focus();
  }

  // ---------- the page's language ----------
  // The page starts in ?lang= or else in the language of mailscope up
  // --lang, and the switch keeps the choice in the address: a reload, a
  // bookmark or a link handed to a student opens the same language.
  async function loadCatalog(lang) {
    if (I.cat.has(lang)) return;
    // Not through api(): the browser's cache may answer (the server says
    // whether its copy is current).
    const res = await fetch('/api/catalog?lang=' + encodeURIComponent(lang));
    if (!res.ok) throw new Error(res.status + ' ' + res.statusText);
    const c = await res.json();
    I.cat.set(lang, { texts: c.texts || {}, rfc: c.rfc || {} });
  }
  function wantedLang() {
    const l = new URLSearchParams(location.search).get('lang');
    return l === 'en' || l === 'zh' ? l : I.server;
  }
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
    const st = $('status');
    setStatus(st.dataset.state, statusKey[0], statusKey[1]);
    if (!$('login').hidden) showLogin();
    for (const l of S.lanes) Object.assign(l, laneInfo(l.key));
    drawLanes();
    S.layout++;
    render();
    refreshSessionList();
    updateCounts();
    renderLesson();
    if (S.selected) {
      const ev = S.events.find((e) => e.seq === S.selected && e.kind !== 'skipped');
      if (ev) select(ev);
    }
    if (S.view === 'messages') {
      loadMailboxes(false);
      if (currentMessage) openMessage(currentMessage);
    }
    if (S.view === 'queue') loadQueue();
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
    if (localStorage.getItem('mailscope.large') === '1') document.body.classList.add('large');
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
    await Promise.all([I.lang, I.server].map((l) => loadCatalog(l).catch(() => {})));
    if (!I.cat.has(I.lang)) I.lang = I.server;
    applyStatic();
    setStatus('connecting', 'web.status.connecting');
    const first = S.world.servers[0];
    if (first && first.listeners && first.listeners.smtp) {
      const hp = first.listeners.smtp;
      const i = hp.lastIndexOf(':');
      $('hint-cmd').textContent = vis('telnet ' + hp.slice(0, i) + ' ' + hp.slice(i + 1));
    }
    $('m-server').replaceChildren(...S.world.servers.map((s) => option(s.name, s.name + ' (' + s.domain + ')')));
    fillUsers();
    refreshFilterOptions();
    updateSpace();
    updateCounts();
    if (needToken(S.world)) { showLogin(); return; }
    connect();
  }
  start();
})();
