// mailscope web timeline: presenter mode, for a lecture hall's projector.
//
// The ladder gets the width (the panels fold away and open on demand), its
// lanes are the parties of the rows shown, every arrow's label is whole
// (wrapped, never cut) with its explanation under it, and the time column
// says the time since the line before. The instructor steps through the
// lines with the keyboard (the current line highlighted, its explanation
// large in the caption), jumps to the next session or message, or plays
// them back with the scrubber; live events keep arriving without moving
// the view. The lines in view export as SVG or PNG for slides.
//
// Keys (not while typing in a field): p presenter mode on/off; in
// presenter mode, or with the focus on the ladder: Down/Right/j next line,
// Up/Left/k previous, n next session, m next message, s only this session
// (or all again), Home/End, Enter the explanation panel, Escape back to live.
import { $, vis, el } from './util.js';
import { t, explainText, prose } from './i18n.js';
import { S, recomputeTops, lanesOf, laneX, sessionColor, onRelabel } from './model.js';
import {
  rebuild, render, goLive, readRowH, updateSpace, scrollToBottom, scrollToRow, rowHeight, rowsInView, measure, measureReset,
  arrowEnds, labelFont, whyFont, timeW, sessionTag, relTime, markText, labelText, replyClass, textWidth, wrapLines,
  fontPx, fullText,
} from './ladder.js';
import { select, setFilter } from './panels.js';

// ---------- the mode ----------
export function setPresent(on) {
  S.present = on;
  document.body.classList.toggle('present', on);
  $('present').setAttribute('aria-pressed', String(on));
  const u = new URL(location.href);
  if (on) u.searchParams.set('present', '1'); else u.searchParams.delete('present');
  history.replaceState(history.state, '', u);
  if (!on) { stopPlay(); leaveStepping(); document.body.classList.remove('panels-open'); }
  readRowH();
  measureReset();
  rebuild(); // folds multi-line replies (or unfolds them) and measures the rows
  if (S.step >= 0) scrollToRow(S.step);
  else if ($('autoscroll').checked) { scrollToBottom(); render(); }
  updateScrubber();
}
$('present').addEventListener('click', () => setPresent(!S.present));
$('p-panels').addEventListener('click', () => {
  const open = document.body.classList.toggle('panels-open');
  $('p-panels').setAttribute('aria-pressed', String(open));
  relayout();
});
$('p-why').addEventListener('click', () => {
  S.whyOn = !S.whyOn;
  $('p-why').setAttribute('aria-pressed', String(S.whyOn));
  relayout();
});
// relayout measures the rows again: the ladder's width or the font changed.
function relayout() {
  if (!S.present) { render(); return; }
  measureReset();
  recomputeTops();
  updateSpace();
  if (S.step >= 0) scrollToRow(S.step);
  else { if ($('autoscroll').checked) scrollToBottom(); render(); }
}
let resizeTimer = 0;
window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(relayout, 100); });

// ---------- stepping ----------
function currentIndex() {
  if (S.step >= 0 && S.step < S.rows.length) return S.step;
  if (S.selected) {
    const i = S.rows.findIndex((e) => e.seq === S.selected);
    if (i >= 0) return i;
  }
  return -1;
}
export function stepTo(i) {
  if (!S.rows.length) return;
  i = Math.max(0, Math.min(S.rows.length - 1, i));
  S.step = i;
  $('autoscroll').checked = false; // live events no longer move the view
  const ev = S.rows[i];
  select(ev);
  // The caption first: it takes its height from the ladder, and the row
  // is then scrolled into the view that is left (scrolled first, the
  // newest row went under the caption).
  caption(ev, i);
  scrollToRow(i);
  const row = document.querySelector('#rows .row[data-seq="' + ev.seq + '"]');
  if (row && (S.present || $('ladder').contains(document.activeElement))) row.focus({ preventScroll: true });
  $('p-scrub').value = String(i);
}
function leaveStepping() {
  S.step = -1;
  $('caption').hidden = true;
  render();
}
function backToLive() {
  stopPlay();
  leaveStepping();
  goLive();
}
// capPos says where the current line is: "line 8 of 17", and its
// session (the total grows as live events come in).
function capPos(ev, i) {
  $('cap-pos').textContent = vis(t('web.p.pos', { n: i + 1, total: S.rows.length }) + (ev.session ? ' · ' + sessionTag(ev) + ' ' + ev.session : ''));
}
function caption(ev, i) {
  const box = $('caption');
  box.hidden = !S.present;
  capPos(ev, i);
  const ends = arrowEnds(ev);
  const lines = [labelText(ev)].concat((ev._fold || []).map((e) => e.text));
  $('cap-wire').textContent = vis(ends ? lines.join('\n') : markText(ev, ev.attrs && ev.attrs.step));
  $('cap-why').textContent = vis(explainText(ev.explain) || (ends ? '' : prose(ev)));
}
// nextWhere steps to the first row after the current one that pred accepts.
function nextWhere(pred) {
  const cur = currentIndex();
  for (let j = cur + 1; j < S.rows.length; j++) {
    if (pred(S.rows[j], cur >= 0 ? S.rows[cur] : null)) { stepTo(j); return true; }
  }
  return false;
}
// onlySession shows only the current line's session (its lanes are then
// only its two parties), or every session again; the step stays on the
// same line.
function onlySession(cur) {
  const ev = cur >= 0 ? S.rows[cur] : null;
  if (!ev && !S.filter.session) return;
  setFilter('session', S.filter.session || !ev ? '' : ev.session || '');
  if (ev) {
    const i = S.rows.indexOf(ev);
    if (i >= 0) stepTo(i);
  }
}
const nextSession = () => nextWhere((e, c) => e.session && (!c || e.session !== c.session));
const nextMessage = () => nextWhere((e, c) => (e.msgid && (!c || e.msgid !== c.msgid)) || e.kind === 'data');

// typing: the key goes to a field the user types into. The scrubber and
// checkboxes are inputs too, but take no text: the stepping keys still
// work there (after a click on the scrubber, n, m and s did nothing and
// ArrowDown moved the scrubber instead of the line).
function typing(target) {
  if (target && target.tagName === 'INPUT' && ['range', 'checkbox', 'radio', 'button'].includes(target.type)) return false;
  return target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA' || target.isContentEditable);
}
document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
  if (e.key === 'p') { e.preventDefault(); setPresent(!S.present); return; }
  if (S.view !== 'timeline') return;
  const onLadder = $('ladder').contains(document.activeElement);
  if (!S.present && !onLadder) return;
  if (e.target.tagName === 'BUTTON' && (e.key === 'Enter' || e.key === ' ') && !e.target.classList.contains('row')) return;
  const cur = currentIndex();
  let handled = true;
  switch (e.key) {
    case 'ArrowDown': case 'ArrowRight': case 'j':
      stepTo(cur < 0 ? rowsInView()[0] : cur + 1); break;
    case 'ArrowUp': case 'ArrowLeft': case 'k':
      stepTo(cur < 0 ? rowsInView()[1] - 1 : cur - 1); break;
    case 'n': nextSession(); break;
    case 's': onlySession(cur); break;
    case 'm': nextMessage(); break;
    case 'Home': stepTo(0); break;
    case 'End': stepTo(S.rows.length - 1); break;
    case 'Enter':
      if (cur >= 0) {
        select(S.rows[cur]);
        if (S.present) { document.body.classList.add('panels-open'); $('p-panels').setAttribute('aria-pressed', 'true'); relayout(); }
        $('explain').focus();
      }
      break;
    case 'Escape': backToLive(); break;
    default: handled = false;
  }
  if (handled) e.preventDefault();
});

// ---------- play back ----------
let playTimer = 0;
function stopPlay() {
  clearInterval(playTimer);
  playTimer = 0;
  $('p-play').setAttribute('aria-pressed', 'false');
  $('p-play').textContent = t('web.p.play');
}
$('p-play').addEventListener('click', () => {
  if (playTimer) { stopPlay(); return; }
  if (currentIndex() >= S.rows.length - 1 || currentIndex() < 0) stepTo(0);
  $('p-play').setAttribute('aria-pressed', 'true');
  $('p-play').textContent = t('web.p.pause');
  playTimer = setInterval(() => {
    const cur = currentIndex();
    if (cur >= S.rows.length - 1) { stopPlay(); return; }
    stepTo(cur + 1);
  }, 1500);
});
$('p-scrub').addEventListener('input', (e) => stepTo(Number(e.target.value)));
$('p-prev').addEventListener('click', () => stepTo(Math.max(0, currentIndex() - 1)));
$('p-next').addEventListener('click', () => stepTo(currentIndex() + 1));
$('p-session').addEventListener('click', nextSession);
$('p-message').addEventListener('click', nextMessage);
$('p-live').addEventListener('click', backToLive);
export function updateScrubber() {
  const s = $('p-scrub');
  s.max = String(Math.max(0, S.rows.length - 1));
  if (S.step < 0) s.value = s.max;
}

// ---------- themes ----------
const THEMES = ['light', 'dark', 'contrast'];
function setTheme(name) {
  if (!THEMES.includes(name)) name = 'light';
  document.body.dataset.theme = name;
  localStorage.setItem('mailscope.theme', name);
  $('theme').textContent = t('web.theme.' + name);
}
$('theme').addEventListener('click', () => setTheme(THEMES[(THEMES.indexOf(document.body.dataset.theme) + 1) % THEMES.length]));
onRelabel(relabelPresent);
setInterval(() => {
  if (!S.present) return;
  updateScrubber();
  if (S.step >= 0 && S.rows[S.step]) capPos(S.rows[S.step], S.step);
}, 500);
function relabelPresent() {
  setTheme(document.body.dataset.theme);
  if (!playTimer) $('p-play').textContent = t('web.p.play');
  if (S.step >= 0 && S.rows[S.step]) caption(S.rows[S.step], S.step);
}

// ---------- export ----------
// fit cuts a text to width with an ellipsis, as the page cuts a lane's
// head.
function fit(text, font, width) {
  text = String(text);
  if (textWidth(text, font) <= width) return text;
  const room = width - textWidth('…', font);
  let out = '', w = 0;
  for (const ch of text) {
    const cw = textWidth(ch, font);
    if (w + cw > room) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}
// markLook is a mark's colours (fill, border, text) as the page draws
// them in this theme, read off a hidden mark with the same classes and
// session colour: the page's rules give each kind and queue step its own.
const looks = new Map();
function markLook(cls, c) {
  const key = document.body.dataset.theme + '|' + cls + '|' + c;
  let v = looks.get(key);
  if (!v) {
    const probe = el('div', cls);
    probe.style.setProperty('--c', c);
    probe.style.visibility = 'hidden';
    $('rows').appendChild(probe);
    const cs = getComputedStyle(probe);
    v = { fill: cs.backgroundColor, stroke: cs.borderTopColor, text: cs.color };
    probe.remove();
    looks.set(key, v);
  }
  return v;
}
// scene lays out the rows in view as shapes (lines, polygons, boxes and
// texts), in the presenter's layout: whole labels and their explanations.
// The same scene is written as SVG and drawn on a canvas for PNG.
function scene() {
  const css = getComputedStyle(document.body);
  const v = (name, d) => css.getPropertyValue(name).trim() || d;
  const col = { bg: v('--bg', '#fff'), fg: v('--fg', '#000'), dim: v('--dim', '#666'), line: v('--line', '#ccc'), client: v('--client', '#0b6e99'),
    r2: v('--r2', '#1a7f37'), r3: v('--r3', '#0550ae'), r4: v('--r4', '#9a6700'), r5: v('--r5', '#cf222e'),
    data: v('--data', '#8250df'), dataBg: v('--data-bg', '#fbf8ff'), dataBorder: v('--data-border', '#d8b9ff') };
  // A label has the page's colour: the client's, a reply's by its class
  // (2xx green, 3xx blue, 4xx yellow, 5xx red), a message body's, and a
  // connection's dimmed (.arrow.dim).
  const labelFill = (ev) => ev.kind === 'data' ? col.data : ev.kind === 'open' ? col.dim : ev.dir === 's2c' ? (col[replyClass(ev)] || col.fg) : col.client;
  // The high-contrast theme draws heavier arrows and lane lines.
  const heavy = document.body.dataset.theme === 'contrast';
  const rowH = rowHeight(), tw = timeW(), W = Math.max(600, $('ladder').clientWidth), track = W - tw;
  const items = [];
  const [from, to] = rowsInView();
  const xOf = (pct) => tw + pct / 100 * track;
  // The lane heads: the label and, under it, the subtitle (a server's
  // domain, a client lane's users), each cut to its lane's width as the
  // page cuts them.
  const subs = S.lanes.some((l) => l.sub);
  const head = rowH * (subs ? 2.1 : 1.6);
  const laneW = track / Math.max(1, S.lanes.length) * 0.95;
  const headFont = 'bold ' + labelFont().replace(/^[0-9.]+px/, (rowH * 0.55) + 'px');
  const subFont = (rowH * 0.42) + 'px ' + css.fontFamily;
  for (const l of S.lanes) {
    const x = xOf(laneX(l.key));
    items.push({ t: 'text', x, y: rowH, text: fit(l.label, headFont, laneW), font: headFont, fill: col.fg, anchor: 'middle' });
    if (l.sub) items.push({ t: 'text', x, y: rowH * 1.6, text: fit(l.sub, subFont, laneW), font: subFont, fill: col.dim, anchor: 'middle', cls: 'lane-sub' });
  }
  // A line across the ladder (a note, a row with no lane) says what the
  // page's row says, wrapped whole in the picture's font.
  const fullFont = (rowH * 0.5) + 'px ' + css.fontFamily;
  const acrossText = (ev, m) => {
    if (arrowEnds(ev) && m.label) return null;
    const lanes = lanesOf(ev);
    if (lanes.length && m.mark) return null;
    if (ev.kind === 'skipped') return prose(ev);
    return lanes.length ? markText(ev, ev.attrs && ev.attrs.step) : fullText(ev);
  };
  let y = head;
  const rows = [];
  for (let i = from; i < to; i++) {
    const ev = S.rows[i], m = measure(ev), text = acrossText(ev, m);
    const lines = text === null ? null : wrapLines(text, fullFont, W - tw - 24);
    // A row takes the page's height (an opened reply or body included).
    const u = lines ? Math.max(1, lines.length * 0.8 + 0.2) : S.tops[i + 1] - S.tops[i];
    rows.push({ ev, i, y, m, lines, u });
    y += u * rowH;
  }
  const H = y + rowH * 0.5;
  for (const l of S.lanes) {
    const x = xOf(laneX(l.key));
    items.unshift({ t: 'line', x1: x, y1: head - rowH * 0.3, x2: x, y2: H, stroke: col.line, width: heavy ? 3 : 2, dash: '6 4' });
  }
  for (const { ev, i, y, m, lines, u } of rows) {
    const rel = relTime(i);
    items.push({ t: 'text', x: 4, y: y + rowH * 0.7, text: (sessionTag(ev) + ' ' + rel.text).trim(), font: (rowH * 0.45) + 'px ' + css.fontFamily, fill: col.dim, anchor: 'start' });
    const ends = arrowEnds(ev);
    const c = sessionColor(ev) || col.dim;
    if (ends && m.label) {
      const x1 = xOf(ends.from), x2 = xOf(ends.to);
      const mid = m.labelW ? Math.min(x1, x2) + m.labelLeft + m.labelW / 2 : (x1 + x2) / 2;
      m.label.forEach((line, k) => items.push({ t: 'text', x: mid, y: y + (k + 0.75) * rowH, text: line, font: labelFont(), fill: labelFill(ev), anchor: 'middle' }));
      const ay = y + m.label.length * rowH - 2;
      const dir = x2 >= x1 ? 1 : -1;
      items.push({ t: 'line', x1, y1: ay, x2: x2 - dir * 9, y2: ay, stroke: c, width: heavy ? 3 : ev.kind === 'data' ? 4 : 2, dash: ev.kind === 'open' ? '4 3' : '' });
      items.push({ t: 'poly', points: [[x2, ay], [x2 - dir * 10, ay - 5], [x2 - dir * 10, ay + 5]], fill: c });
      if (m.why) {
        const wx = tw + m.whyLeft + m.whyW / 2;
        m.why.forEach((line, k) => items.push({ t: 'text', x: wx, y: y + m.label.length * rowH + 0.2 * rowH + (k + 0.75) * 0.8 * rowH, text: line, font: whyFont(), fill: col.fg, anchor: 'middle', italic: true }));
      }
      // A reply's folded lines or a message body, opened (its ▸): the
      // page's box under the row, with the lines that fit in it (the
      // page's box scrolls for the rest), each cut at the box's edge.
      const folded = ev._fold && ev._fold.length;
      if (S.expanded.has(ev.seq) && (ev.kind === 'data' || folded)) {
        const body = ev.kind === 'data' ? (ev.data || t('web.data.missing')) : [ev].concat(ev._fold).map((e) => e.text).join('\n');
        const bx = tw + 12, by = y + m.units * rowH, bw = W - tw - 24, bh = (u - m.units) * rowH - 4;
        items.push({ t: 'rect', x: bx, y: by, w: bw, h: bh, stroke: col.dataBorder, fill: col.dataBg, rx: 0, cls: 'data' });
        const font = labelFont(), lh = fontPx() * 1.35;
        const shown = body.split('\n').slice(0, Math.max(1, Math.floor((bh - 10) / lh)));
        shown.forEach((line, k) => items.push({ t: 'text', x: bx + 9, y: by + 5 + (k + 0.78) * lh, text: fit(line, font, bw - 18), font, fill: col.fg, anchor: 'start', cls: 'data-line' }));
      }
    } else {
      const lanes = lanesOf(ev);
      if (lines) {
        lines.forEach((line, k) => items.push({ t: 'text', x: tw + 12, y: y + rowH * (0.7 + 0.8 * k), text: line, font: fullFont, fill: col.fg, anchor: 'start' }));
        continue;
      }
      // A mark (its lines as the page wraps them) in its pill, where the
      // page puts it (makeRow): centred on its lane, but between 40% and
      // 60% of the track, so that all of it is inside the picture.
      const font = 'bold ' + ((parseFloat(css.fontSize) || 13) * 0.9) + 'px ' + css.fontFamily;
      const w = Math.min(track * 0.8, Math.max(...m.mark.map((line) => textWidth(line, font))) + 16);
      const lx = lanes.length ? laneX(lanes[lanes.length - 1]) : null;
      const cx = xOf(Math.max(40, Math.min(60, lx === null ? 50 : lx)));
      const lh = rowH * 0.9;
      const step = ev.attrs && ev.attrs.step ? ev.attrs.step : '';
      const look = markLook('mark wrapped ' + ev.kind + (step ? ' q-' + step : ''), c);
      items.push({ t: 'rect', x: cx - w / 2, y: y + 3, w, h: m.mark.length * lh + 4, stroke: look.stroke, fill: look.fill });
      m.mark.forEach((line, k) => items.push({ t: 'text', x: cx, y: y + 3 + (k + 0.75) * lh, text: line, font, fill: look.text, anchor: 'middle' }));
    }
  }
  return { W, H, bg: col.bg, items };
}
const SVGNS = 'http://www.w3.org/2000/svg';
// fontAttrs gives a text its font as SVG's presentation attributes: a
// style attribute, set in the page, is inline style that the page's CSP
// refuses (style-src 'self'), one console error per text.
function fontAttrs(n, font, italic) {
  const m = /^(bold )?([0-9.]+)px (.*)$/.exec(font);
  if (!m) return;
  if (m[1]) n.setAttribute('font-weight', 'bold');
  n.setAttribute('font-size', String(Math.round(parseFloat(m[2]) * 100) / 100));
  n.setAttribute('font-family', m[3]);
  if (italic) n.setAttribute('font-style', 'italic');
}
// svgOf writes a scene as SVG. Every text is a text node: wire text stays
// text in the file too.
export function svgOf(sc) {
  const svg = document.createElementNS(SVGNS, 'svg');
  svg.setAttribute('xmlns', SVGNS);
  // Spaces in wire text are kept as they are (a label's run of spaces).
  svg.setAttributeNS('http://www.w3.org/XML/1998/namespace', 'xml:space', 'preserve');
  svg.setAttribute('width', String(Math.ceil(sc.W)));
  svg.setAttribute('height', String(Math.ceil(sc.H)));
  svg.setAttribute('viewBox', '0 0 ' + Math.ceil(sc.W) + ' ' + Math.ceil(sc.H));
  const bg = document.createElementNS(SVGNS, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', sc.bg);
  svg.appendChild(bg);
  for (const it of sc.items) {
    let n;
    if (it.t === 'line') {
      n = document.createElementNS(SVGNS, 'line');
      for (const k of ['x1', 'y1', 'x2', 'y2']) n.setAttribute(k, it[k].toFixed(1));
      n.setAttribute('stroke', it.stroke);
      n.setAttribute('stroke-width', String(it.width));
      if (it.dash) n.setAttribute('stroke-dasharray', it.dash);
      n.setAttribute('class', 'arrow-line');
    } else if (it.t === 'rect') {
      n = document.createElementNS(SVGNS, 'rect');
      for (const k of ['x', 'y']) n.setAttribute(k, it[k].toFixed(1));
      n.setAttribute('width', it.w.toFixed(1));
      n.setAttribute('height', it.h.toFixed(1));
      n.setAttribute('rx', String(it.rx ?? 9));
      n.setAttribute('fill', it.fill);
      n.setAttribute('stroke', it.stroke);
      n.setAttribute('class', it.cls || 'mark');
    } else if (it.t === 'poly') {
      n = document.createElementNS(SVGNS, 'polygon');
      n.setAttribute('points', it.points.map((p) => p[0].toFixed(1) + ',' + p[1].toFixed(1)).join(' '));
      n.setAttribute('fill', it.fill);
    } else {
      n = document.createElementNS(SVGNS, 'text');
      n.setAttribute('x', it.x.toFixed(1));
      n.setAttribute('y', it.y.toFixed(1));
      n.setAttribute('fill', it.fill);
      n.setAttribute('text-anchor', it.anchor);
      fontAttrs(n, it.font, it.italic);
      if (it.cls) n.setAttribute('class', it.cls);
      n.textContent = vis(it.text);
    }
    svg.appendChild(n);
  }
  return new XMLSerializer().serializeToString(svg);
}
function drawPNG(sc, done) {
  const scale = 2;
  const c = document.createElement('canvas');
  c.width = Math.ceil(sc.W * scale);
  c.height = Math.ceil(sc.H * scale);
  const g = c.getContext('2d');
  g.scale(scale, scale);
  g.fillStyle = sc.bg;
  g.fillRect(0, 0, sc.W, sc.H);
  for (const it of sc.items) {
    if (it.t === 'line') {
      g.strokeStyle = it.stroke;
      g.lineWidth = it.width;
      g.setLineDash(it.dash ? it.dash.split(' ').map(Number) : []);
      g.beginPath(); g.moveTo(it.x1, it.y1); g.lineTo(it.x2, it.y2); g.stroke();
    } else if (it.t === 'rect') {
      g.fillStyle = it.fill;
      g.strokeStyle = it.stroke;
      g.lineWidth = 1;
      g.setLineDash([]);
      g.beginPath();
      g.roundRect(it.x, it.y, it.w, it.h, it.rx ?? 9);
      g.fill(); g.stroke();
    } else if (it.t === 'poly') {
      g.fillStyle = it.fill;
      g.beginPath();
      it.points.forEach((p, k) => (k ? g.lineTo(p[0], p[1]) : g.moveTo(p[0], p[1])));
      g.closePath(); g.fill();
    } else {
      g.font = (it.italic ? 'italic ' : '') + it.font;
      g.fillStyle = it.fill;
      g.textAlign = it.anchor === 'middle' ? 'center' : 'left';
      g.fillText(vis(it.text), it.x, it.y);
    }
  }
  c.toBlob(done, 'image/png');
}
function download(blob, name) {
  const a = el('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
// For the browser tests: the last SVG exported (and the last PNG's size).
$('p-svg').addEventListener('click', () => {
  const svg = svgOf(scene());
  S.lastSVG = svg;
  download(new Blob([svg], { type: 'image/svg+xml' }), 'mailscope-timeline.svg');
});
$('p-png').addEventListener('click', () => drawPNG(scene(), (b) => { if (b) { S.lastPNG = b.size; download(b, 'mailscope-timeline.png'); } }));

// ---------- start ----------
export function startPresent() {
  setTheme(localStorage.getItem('mailscope.theme') || 'light');
  $('p-play').textContent = t('web.p.play');
  $('p-why').setAttribute('aria-pressed', String(S.whyOn));
  if (new URLSearchParams(location.search).get('present') === '1') setPresent(true);
}
