// mailscope web timeline: small helpers every module uses.
//
// Security rule of the page: text from the wire, from mailboxes or from the
// API is untrusted. It is only ever put into the page with textContent,
// setAttribute on inert attributes (title, data-*), or as option text; never
// as HTML, and always through vis(), which shows bidirectional controls as
// escapes. The server's Content-Security-Policy forbids inline script too.

export const $ = (id) => document.getElementById(id);

// Bidirectional controls (the embeddings and overrides U+202A-202E, the
// isolates U+2066-2069, the marks U+200E, U+200F, U+061C) would reorder
// the text after them on screen: a U+202E in a HELO name would show the
// rest of the server's reply backwards. vis() shows them as escapes
// ("\u202e"), as the console does; every text put in the page passes it.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
const BIDI_ALL = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
export function vis(s) {
  s = String(s);
  return BIDI.test(s) ? s.replace(BIDI_ALL, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : s;
}
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = vis(text);
  return e;
}
export function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = vis(text);
  return o;
}
export function txt(s) { return document.createTextNode(vis(s)); }
export function pad(n, w) { return String(n).padStart(w, '0'); }
export function fmtTime(ev) {
  if (ev._t === undefined) {
    const d = new Date(ev.time);
    ev._t = isNaN(d) ? '' : pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3);
  }
  return ev._t;
}
// debounce runs fn ms after the last call. A call while the timer runs
// only moves the time it is due (a burst calls it thousands of times a
// second: no timer is cleared and set again each time).
export function debounce(fn, ms) {
  let t = 0, due = 0;
  const fire = () => {
    const wait = due - Date.now();
    if (wait > 0) { t = setTimeout(fire, wait); return; }
    t = 0;
    fn();
  };
  return function () {
    due = Date.now() + ms;
    if (!t) t = setTimeout(fire, ms);
  };
}
// throttle runs fn at most once in ms, the last call within it after it.
// fn may return the least time until its next run instead: a list that
// had much to do in a burst waits longer before the next update.
export function throttle(fn, ms) {
  let last = 0, t = 0, gap = ms;
  const run = () => { last = Date.now(); const r = fn(); gap = typeof r === 'number' ? r : ms; };
  return function () {
    const now = Date.now();
    if (now - last >= gap) { clearTimeout(t); t = 0; run(); return; }
    if (!t) t = setTimeout(() => { t = 0; run(); }, gap - (now - last));
  };
}
// roving makes the buttons matching sel in list one tab stop (the session
// list, the message list): the arrow keys, Home and End move the focus
// among them, and the one focused, by the keys or the mouse, is the stop.
// The keyboard then does not walk through hundreds of items.
export function roving(list, sel) {
  list.addEventListener('keydown', (e) => {
    const b = e.target.closest && e.target.closest(sel);
    if (!b || e.altKey || e.ctrlKey || e.metaKey) return;
    const all = Array.from(list.querySelectorAll(sel));
    const i = all.indexOf(b);
    const to = { ArrowDown: all[i + 1], ArrowUp: all[i - 1], Home: all[0], End: all[all.length - 1] }[e.key];
    if (!to) return;
    e.preventDefault();
    to.focus();
  });
  list.addEventListener('focusin', (e) => {
    if (!e.target.matches(sel)) return;
    for (const o of list.querySelectorAll(sel + '[tabindex="0"]')) if (o !== e.target) o.tabIndex = -1;
    e.target.tabIndex = 0;
  });
}
