// Talking to the web server. The CSRF token lives in this module's memory
// only (never localStorage); the session itself is an HttpOnly cookie the
// script cannot read.

let csrf = '';

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export function setCsrf(token) { csrf = token || ''; }

async function parse(resp) {
  let body = null;
  try { body = await resp.json(); } catch { body = null; }
  if (!resp.ok) throw new ApiError(resp.status, (body && body.error) || ('HTTP ' + resp.status));
  return body;
}

export async function get(path) {
  return parse(await fetch(path, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } }));
}

export async function post(path, body = {}) {
  return parse(await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Natster-Csrf': csrf },
    body: JSON.stringify(body),
  }));
}

export function enc(s) { return encodeURIComponent(s); }

export function fileUrl(owner, catalog, hash) {
  return `/api/catalogs/${enc(owner)}/${enc(catalog)}/files/${enc(hash)}`;
}
