// mailscope web timeline: the event model. The events the page holds, the
// sessions and message ids they name, the filter, the lanes and the rows
// the filter keeps. Nothing here touches the DOM.
import { t } from './i18n.js';

export const MAX_EVENTS = 50000; // kept in the page; the oldest go beyond that
export const TRIM_TO = 40000;
export const DATA_LINES = 40; // lines of an expanded message body shown inline

// ---------- state ----------
export const S = {
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
  present: false, // presenter mode (present.js)
  narrow: false, // a phone-sized screen: labels wrap as in presenter mode
  measure: null, // in presenter mode: ev -> the units of its row (ladder.js)
  step: -1, // the row stepped to with the keyboard, -1 when not stepping
  whyOn: true, // presenter mode writes each arrow's explanation under it
  // What changed since the lists beside the ladder were last drawn: they
  // are updated from these, not rebuilt.
  dirty: new Set(), // ids of sessions whose line in the session list changed
  newSessions: [], // sessions seen for the first time
  newMsgids: [], // message ids seen for the first time
  recvSeq: 0, // the newest seq received from the websocket (ingested or not yet)
  // What the page measures of itself (the burst benchmark reads it): events
  // it never got, reconnections to catch up, when the replay of a
  // connection was taken in and drawn (performance.now()).
  missing: 0,
  resumes: 0,
  replayTo: 0,
  replayFrom: 0, // when the replay began on a page that held nothing (performance.now()), or 0
  replayDoneAt: 0,
};

// Other modules (the lesson panel, the queue and message views) react to
// events as they arrive, and say their words again when the language
// changes: they register here, so that the model needs to know none of them.
const eventHooks = [], relabelHooks = [];
export function onEvent(fn) { eventHooks.push(fn); }
export function eventSideEffects(ev) { for (const fn of eventHooks) fn(ev); }
export function onRelabel(fn) { relabelHooks.push(fn); }
export function relabelViews() { for (const fn of relabelHooks) fn(); }

const palette = ['#0969da', '#8250df', '#bf3989', '#1a7f37', '#bc4c00', '#0e7c86', '#6639ba', '#953800', '#116329', '#a40e26', '#3e4b9e', '#7d4e00'];

export function serverIndex(name) {
  const i = S.world.servers.findIndex((s) => s.name.toLowerCase() === String(name).toLowerCase());
  return i < 0 ? 1000 : i;
}
export function isServer(name) { return serverIndex(name) < 1000; }

// ---------- lanes ----------
// A session's client is its actor (the relay's sending server, "A"), or
// else "the client of" the server it talks to: alice's telnet for A,
// bob's POP3 client or the webmail for B.
export function hopParts(ev) {
  if (!ev.hop) return null;
  const p = ev.hop.split('->');
  return p.length === 2 ? p : null;
}
// One client lane per server: everyone who talks to A without being a
// server (alice's telnet, her POP3 client, the webmail reading her
// mailbox) draws from "client of A". A relay session draws from the
// sending server's lane.
function baseClientLane(ev) {
  const hp = hopParts(ev);
  if (hp) return 'srv:' + hp[0];
  if (ev.actor && isServer(ev.actor)) return 'srv:' + ev.actor;
  if (!ev.server) return '';
  return 'cli:' + ev.server;
}
// Two clients of a server connected at once get a lane each, as Wireshark
// draws a column per endpoint: a session takes the first client lane of
// its server that no open session holds ("client of A #2"), up to
// MAX_SLOTS, and frees it when it closes (an HTTP exchange when answered).
const MAX_SLOTS = 4;
const slots = new Map(); // client lane -> [session id or null]
function takeSlot(s, ev) {
  const base = baseClientLane(ev);
  if (!base.startsWith('cli:')) return;
  const held = slots.get(base) || [];
  slots.set(base, held);
  let k = held.indexOf(null);
  if (k < 0) k = held.length < MAX_SLOTS ? held.length : MAX_SLOTS - 1;
  held[k] = s.id;
  s.slot = k;
  s.slotLane = base;
}
function freeSlot(s) {
  const held = s.slotLane && slots.get(s.slotLane);
  if (held && held[s.slot] === s.id) held[s.slot] = null;
}
export function resetSlots() { slots.clear(); }
function clientLane(ev) {
  const base = baseClientLane(ev);
  const s = ev.session && S.sessions.get(ev.session);
  return s && s.slot > 0 && s.slotLane === base ? base + '#' + (s.slot + 1) : base;
}
function serverLane(ev) {
  const hp = hopParts(ev);
  if (hp) return 'srv:' + hp[1];
  return ev.server ? 'srv:' + ev.server : '';
}
// Lanes left to right: the clients of the first server, the servers, the
// clients of the others ("alice's client, A, B, bob's client").
function laneOrder(key) {
  const kind = key.slice(0, 3), name = key.slice(4).replace(/#.*/, ''), slot = parseInt(key.split('#')[1] || '1', 10);
  const i = serverIndex(name);
  // The first server's clients are left of it, nearest first.
  if (kind === 'cli') return i === 0 ? 100 - slot : 3000 + i * 10 + slot;
  return 1000 + i;
}
export function laneInfo(key) {
  const kind = key.slice(0, 3), name = key.slice(4).replace(/#.*/, ''), slot = key.split('#')[1];
  const sv = S.world.servers.find((s) => s.name === name);
  if (kind === 'srv') return { key, kind: 'server', label: t('web.lane.server', { name: name }), sub: sv ? sv.domain : '' };
  const who = S.actors.get(name);
  // At most three names: in a class, a lane's users would grow with it.
  const names = who && who.size ? Array.from(who) : (sv ? sv.users : []);
  const users = names.length > 3 ? names.slice(0, 3).join(', ') + ' +' + (names.length - 3) : names.join(', ');
  const label = slot ? t('web.lane.clientn', { name: name, n: slot }) : t('web.lane.client', { name: name });
  return { key, kind: 'client', label: label, sub: users ? t('web.lane.side', { users: users }) : '' };
}
// lanesOf lists the lanes an event draws on.
export function lanesOf(ev) {
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
export function addLanes(ev) {
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
export function laneX(key) { // center of a lane in % of the track
  const i = S.laneIdx.get(key);
  if (i === undefined || i < 0) return null;
  return (i + 0.5) * 100 / S.lanes.length;
}
// ---------- sessions and messages ----------
export function noteSession(ev) {
  if (!ev.session) return;
  let s = S.sessions.get(ev.session);
  if (!s) {
    s = { id: ev.session, server: ev.server, proto: ev.proto, peer: '', actor: '', hop: '', lines: 0, closed: false,
      states: [], msgids: new Set(), first: ev.seq, n: S.sessions.size, color: palette[S.sessions.size % palette.length], slot: 0, slotLane: '' };
    S.sessions.set(ev.session, s);
    takeSlot(s, ev);
    S.newSessions.push(s);
  }
  S.dirty.add(s.id);
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
  if (ev.kind === 'close') { s.closed = true; freeSlot(s); }
  if (ev.kind === 'http' && ev.dir === 's2c') freeSlot(s);
}
export function sessionColor(ev) {
  const s = ev.session && S.sessions.get(ev.session);
  return s ? s.color : '';
}

// ---------- filters ----------
export function matches(ev) {
  const f = S.filter;
  if (ev.kind === 'skipped') return true;
  // Lesson steps live in the lesson panel; only hints, which belong to a
  // session, are also drawn on the ladder.
  if (ev.kind === 'lesson' && !ev.server) return false;
  // A class's students' hints are each student's own: the instructor's
  // timeline (on the projector) does not show them.
  if (ev.kind === 'lesson' && ev.attrs && ev.attrs.user && !(S.world && S.world.student)) return false;
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
// wraps tells whether rows are laid out to say everything (labels wrapped,
// multi-line replies folded): in presenter mode, on a narrow screen and
// in large type (a projector: a cut label says nothing to the back row).
export function wraps() { return S.present || S.narrow || S.large; }
export function units(ev) {
  let u = 1;
  if (wraps() && S.measure) u = S.measure(ev);
  if (ev.kind === 'data' && S.expanded.has(ev.seq)) return u + 1 + Math.min(DATA_LINES, Math.max(1, ev.lines || String(ev.data || '').split('\n').length));
  if (ev._fold && ev._fold.length && S.expanded.has(ev.seq)) return u + 1 + Math.min(DATA_LINES, ev._fold.length + 1);
  return u;
}

// A reply of several lines (SMTP's EHLO capabilities "250-...", an IMAP
// listing of untagged "* ..." lines, a POP3 listing ended by ".") is one
// arrow: its later lines fold into the first one's row (ev._fold), which
// opens on a click (its ▸).
function foldsInto(head, ev) {
  if (ev.kind !== 'line' || ev.dir !== 's2c' || !head || head.kind !== 'line' || head.dir !== 's2c' || head.session !== ev.session || !ev.session) return false;
  const last = head._fold && head._fold.length ? head._fold[head._fold.length - 1] : head;
  const lt = last.text || '', t = ev.text || '';
  switch (ev.proto) {
    case 'smtp': return /^\d{3}-/.test(lt);
    case 'imap': return /^\* /.test(lt);
    case 'pop3': return /^\+OK/.test(head.text || '') && lt !== '.' && !/^(\+OK|-ERR)/.test(t) && head._multi === true;
  }
  return false;
}
const lastCommand = new Map(); // POP3 session -> its last command
export function appendRow(ev) {
  const head = S.rows[S.rows.length - 1];
  ev._fold = null;
  // POP3 says in the command whether its answer has several lines.
  if (ev.proto === 'pop3' && ev.kind === 'line' && ev.session) {
    if (ev.dir === 'c2s') lastCommand.set(ev.session, ev.text || '');
    else if (/^\+OK/.test(ev.text || '')) ev._multi = /^(LIST|UIDL|CAPA)\s*$/i.test(lastCommand.get(ev.session) || '');
  }
  if (foldsInto(head, ev)) {
    (head._fold || (head._fold = [])).push(ev);
    S.tops[S.tops.length - 1] = S.tops[S.tops.length - 2] + units(head);
    S.foldTick = (S.foldTick || 0) + 1;
    return false;
  }
  S.rows.push(ev);
  S.tops.push(S.tops[S.tops.length - 1] + units(ev));
  return addLanes(ev);
}
export function recomputeTops() {
  S.tops = [0];
  for (const ev of S.rows) S.tops.push(S.tops[S.tops.length - 1] + units(ev));
  S.layout++;
}
