// mailscope web timeline: the HTTP API.
//
// The token, where one is needed, travels as the cookie the server set
// when the address with ?token= was opened: same-origin requests carry it.
// The web token is an HttpOnly cookie: no script of the page sees it.

export async function api(path, opts) {
  opts = opts || {};
  const headers = opts.headers || {};
  const res = await fetch(path, { method: opts.method || 'GET', headers: headers, body: opts.body, cache: 'no-store' });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new Error((body && body.error) || (res.status + ' ' + res.statusText));
  return body;
}

// A mailscope whose web timeline listens beyond its machine shows the
// trace and the mail only to a browser that has the token: one that opened
// the address mailscope up printed (/?token=...), or typed the token here
// (the form sends it the same way). The server keeps it in a cookie.
export function needToken(w) { return !!(w && w.public && !w.read); }
