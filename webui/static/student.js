// mailscope web timeline: a student's sign-in (classroom mode, issue 17).
//
// A student signs in with their account of the world (the user name and
// password of SMTP AUTH, POP3 and IMAP): POST /api/signin sets an
// HttpOnly cookie that no script sees, and the server then sends this
// page only the student's own sessions, mailboxes and queue entries. The
// form stands beside the instructor's token form, which the page shows
// when it may not read; a signed-in page says who it is and can sign out.
import { $, el, vis } from './util.js';
import { I, t } from './i18n.js';
import { api } from './api.js';
import { onRelabel, onEvent } from './model.js';

let form = null, badge = null, who = '';

function signinForm() {
  const f = el('form');
  f.id = 'signin';
  const text = el('span');
  text.id = 'signin-text';
  const user = el('input');
  Object.assign(user, { id: 'signin-user', name: 'user', type: 'text', autocomplete: 'username', required: true, size: 12 });
  const pass = el('input');
  Object.assign(pass, { id: 'signin-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true, size: 12 });
  const go = el('button');
  Object.assign(go, { id: 'signin-go', type: 'submit' });
  const err = el('span');
  err.id = 'signin-err';
  err.setAttribute('role', 'alert');
  f.append(text, user, pass, go, err);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      await api('/api/signin', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: user.value, password: pass.value }) });
      location.reload();
    } catch (e) {
      pass.value = '';
      err.textContent = vis(e.message);
    }
  });
  return f;
}

function label() {
  if (form) {
    $('signin-text').textContent = t('web.signin');
    $('signin-user').placeholder = t('web.signin.user');
    $('signin-pass').placeholder = t('web.signin.password');
    $('signin-go').textContent = t('web.signin.go');
  }
  if (badge) {
    badge.firstChild.textContent = vis(t('web.signin.as', { user: who }));
    badge.lastChild.textContent = t('web.signin.out');
  }
}

// The sign-in form shows whenever the token form does.
function watchLogin() {
  const login = $('login');
  if (!login) return;
  const sync = () => {
    if (!login.hidden && !form) {
      form = signinForm();
      login.before(form);
      label();
      $('signin-user').focus();
    }
    if (form) form.hidden = login.hidden;
  };
  new MutationObserver(sync).observe(login, { attributes: true, attributeFilter: ['hidden'] });
  sync();
}

async function showWho() {
  let w;
  try { w = await api('/api/world'); } catch (e) { return; }
  if (!w || !w.student) return;
  who = w.student;
  badge = el('span');
  badge.id = 'student';
  const out = el('button');
  out.type = 'button';
  out.addEventListener('click', async () => {
    try { await api('/api/signout', { method: 'POST' }); } catch (e) { /* reload anyway */ }
    location.reload();
  });
  badge.append(el('span'), out);
  $('status').after(badge);
  // The catalog may still be on its way.
  for (let i = 0; i < 50 && !I.cat.has(I.lang); i++) await new Promise((r) => setTimeout(r, 100));
  label();
  // The lessons' titles come in the page's language, known by now.
  if (w.class) badge.after(lessonPicker());
}

// ---------- a class's lessons ----------
// A signed-in student picks a lesson and starts it; the server then checks
// each step from their own sessions and sends the lesson's words as
// events, which the lesson panel beside the ladder shows (panels.js).
let picker = null, rows = [];

function lessonPicker() {
  picker = el('span');
  picker.id = 'lesson-pick';
  const lab = el('label');
  lab.htmlFor = 'lesson-select';
  const sel = el('select');
  sel.id = 'lesson-select';
  const go = el('button');
  Object.assign(go, { id: 'lesson-start', type: 'button' });
  const again = el('button');
  Object.assign(again, { id: 'lesson-restart', type: 'button' });
  const err = el('span');
  err.id = 'lesson-err';
  err.setAttribute('role', 'alert');
  const start = async (restart) => {
    err.textContent = '';
    try {
      await api('/api/lessons/' + encodeURIComponent(sel.value) + '/start', { method: 'POST',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ lang: I.lang, restart }) });
      loadLessons();
    } catch (e) {
      err.textContent = vis(e.message);
    }
  };
  go.addEventListener('click', () => start(false));
  again.addEventListener('click', () => start(true));
  sel.addEventListener('change', labelPicker);
  picker.append(lab, sel, go, again, err);
  loadLessons();
  return picker;
}

async function loadLessons() {
  try {
    const list = await api('/api/lessons?lang=' + encodeURIComponent(I.lang));
    rows = list.lessons || [];
  } catch (e) { return; }
  const sel = $('lesson-select');
  const keep = sel.value;
  sel.replaceChildren();
  for (const r of rows) {
    const o = el('option');
    o.value = r.id;
    sel.appendChild(o);
  }
  const active = rows.find((r) => r.active);
  sel.value = active ? active.id : (rows.some((r) => r.id === keep) ? keep : (rows[0] || {}).id || '');
  labelPicker();
}

function labelPicker() {
  if (!picker) return;
  picker.firstChild.textContent = t('web.lessons.pick');
  const sel = $('lesson-select');
  sel.title = t('web.lessons.checked');
  rows.forEach((r, i) => {
    const state = r.completed ? t('web.lessons.completed') : (r.done ? t('web.lessons.progress', { done: r.done, steps: r.steps }) : '');
    sel.options[i].textContent = vis(r.title) + (state ? ' (' + state + ')' : '');
  });
  const r = rows.find((x) => x.id === sel.value) || {};
  $('lesson-start').textContent = r.done && !r.completed ? t('web.lessons.resume') : t('web.lessons.start');
  $('lesson-restart').textContent = t('web.lessons.restart');
  $('lesson-restart').hidden = !r.done;
}

onRelabel(() => { if (picker) loadLessons(); });
onEvent((ev) => {
  const st = (ev.attrs || {}).status;
  if (picker && ev.kind === 'lesson' && (st === 'step-done' || st === 'finished')) loadLessonsSoon();
});
let soon = 0;
function loadLessonsSoon() {
  clearTimeout(soon);
  soon = setTimeout(loadLessons, 500);
}
onRelabel(label);
watchLogin();
showWho();
