// mailscope web timeline: the views (timeline, messages, queue, class) and
// the tabs between them. A view registers what to do when it shows.
import { $ } from './util.js';
import { S } from './model.js';

const showHooks = new Map(); // view -> [fn]
export function onShow(view, fn) {
  if (!showHooks.has(view)) showHooks.set(view, []);
  showHooks.get(view).push(fn);
}
export function show(view) {
  S.view = view;
  for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.view === view);
  for (const v of document.querySelectorAll('section.view')) v.hidden = v.id !== 'view-' + view;
  for (const fn of showHooks.get(view) || []) fn();
}
for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => show(b.dataset.view));
