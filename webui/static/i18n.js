// mailscope web timeline: the page's language.
//
// Every word of the page comes from mailscope's catalog (GET
// /api/catalog, en and zh), and so does the prose of events: an event
// says it as a catalog key with named arguments (ev.msg, ev.explain.key
// and .args), which the page renders in its reader's language, whatever
// the language of mailscope up. Wire lines are never translated. A value
// is put into a text as it is, never read as a template or as HTML.
import { pad } from './util.js';

export const I = {
  lang: 'en', // the page's language
  server: 'en', // mailscope up --lang: the language of the texts events carry
  cat: new Map(), // lang -> {texts, rfc}, fetched once
};
export function texts(lang) { return (I.cat.get(lang || I.lang) || { texts: {} }).texts; }
// expand replaces each {name} by args[name] in one pass, as tracer.Expand
// does; a brace that names no argument stays.
export function expand(s, args) {
  if (!args || s.indexOf('{') < 0) return s;
  return s.replace(/\{([^{}]*)\}/g, (m, name) => (Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : m));
}
// t is the page's text for key, its {names} filled from args. A key the
// catalog lacks (it failed to load) shows as itself.
export function t(key, args) {
  const s = texts()[singular(key, args)];
  return s === undefined ? key : expand(s, args);
}
// singular is the catalog's plural mechanism, as tracer.Singular picks
// it: key + '.singular' ("1 message", not "1 messages") when the text's
// count (the first of n, count, attempts it has) is 1 and the catalog has
// that form.
function singular(key, args) {
  if (!args) return key;
  for (const a of ['n', 'count', 'attempts']) {
    if (!Object.prototype.hasOwnProperty.call(args, a)) continue;
    return String(args[a]) === '1' && texts()[key + '.singular'] !== undefined ? key + '.singular' : key;
  }
  return key;
}
// tOr is t with a fallback for keys built from data (a state, a step).
export function tOr(key, fallback, args) {
  const s = texts()[key];
  return s === undefined ? fallback : expand(s, args);
}
// rfcRef writes "RFC 5321 section 4.1.1.2" the page's way ("RFC 5321 第
// 4.1.1.2 节" in Chinese).
export function rfcRef(r) {
  return String(r || '').replace(/\bsection ([0-9A-Za-z.]*[0-9A-Za-z])/g, (m, sec) => t('web.rfc.section', { sec: sec }));
}
// prose is what a non-wire event says: its catalog message in the page's
// language, else the text the server rendered.
export function prose(ev) {
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
export function explainText(x) {
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
export function enhText(x) {
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
export function stateName(s) { return s ? tOr('web.state.' + String(s).replace(/ /g, '-'), s) : ''; }
export function fmtDuration(ms) {
  if (ms <= 0) return t('web.dur.now');
  const s = Math.ceil(ms / 1000);
  if (s < 60) return t('web.dur.s', { s: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('web.dur.ms', { m: m, s: pad(s % 60, 2) });
  return t('web.dur.hm', { h: Math.floor(m / 60), m: pad(m % 60, 2) });
}

// The page starts in ?lang= or else in the language of mailscope up
// --lang, and the switch keeps the choice in the address: a reload, a
// bookmark or a link handed to a student opens the same language.
export async function loadCatalog(lang) {
  if (I.cat.has(lang)) return;
  // Not through api(): the browser's cache may answer (the server says
  // whether its copy is current).
  const res = await fetch('/api/catalog?lang=' + encodeURIComponent(lang));
  if (!res.ok) throw new Error(res.status + ' ' + res.statusText);
  const c = await res.json();
  I.cat.set(lang, { texts: c.texts || {}, rfc: c.rfc || {} });
}
export function wantedLang() {
  const l = new URLSearchParams(location.search).get('lang');
  return l === 'en' || l === 'zh' ? l : I.server;
}
