// The Natster web app: plain ES modules, no build step. Routes on
// location.pathname:
//   /link/<code>                      device-link login
//   /                                 catalogs shared with me and mine
//   /c/<owner>/<catalog>[?dir=a/b]    a catalog's files
//   /c/<owner>/<catalog>/f/<hash>     one file: preview, player, download
//   /stats                            totals
import { el, mount, formatSize, shortKey, shareEndedText } from './dom.js';
import { get, post, setCsrf, fileUrl, enc, ApiError } from './api.js';

const app = document.getElementById('app');
const nav = document.getElementById('nav');

const state = {
  session: null,        // /api/session
  shares: null,         // /api/shares
  online: new Map(),    // "owner/catalog" -> bool, kept live by the feed
  events: null,         // EventSource
  notices: [],          // what the person should know, shown on the home page until dismissed
};

function key(owner, catalog) { return owner + '/' + catalog; }

// ------------------------------------------------------------ navigation

function go(path) {
  history.pushState(null, '', path);
  route();
}

function link(path, text, cls) {
  return el('a', { attrs: { href: path }, class: cls, text, on: { click: (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault(); go(path);
  } } });
}

window.addEventListener('popstate', () => route());

function showError(err) {
  const msg = err instanceof Error ? err.message : String(err);
  mount(app, el('div', { class: 'card error', attrs: { role: 'alert' } }, el('p', { text: msg })));
}

function loggedOut(reason) {
  closeEvents();
  state.session = null;
  mount(nav);
  mount(app, el('section', { class: 'card center', attrs: { id: 'logged-out' } },
    el('h1', { text: 'Log in to Natster' }),
    reason ? el('p', { class: 'muted', text: reason }) : null,
    el('p', { text: 'On your computer, run:' }),
    el('pre', { class: 'cmd', text: 'natster login' }),
    el('p', { class: 'muted', text: 'and open the link it prints. Your keys never leave your computer; this browser gets a session that expires.' })));
}

async function route() {
  const path = location.pathname;
  const m = path.match(/^\/link\/([A-Za-z0-9_-]+)$/);
  if (m) return linkPage(m[1]);
  if (!state.session) {
    try {
      await loadSession();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return loggedOut(e.message.replace(/^not logged in: /, ''));
      return showError(e);
    }
  }
  if (state.session.state !== 'live') return loggedOut('This browser is waiting for approval in the terminal.');
  renderNav();
  try {
    const c = path.match(/^\/c\/([^/]+)\/([^/]+)(?:\/f\/([0-9a-f]+))?$/);
    if (c) {
      const [owner, catalog, hash] = [decodeURIComponent(c[1]), decodeURIComponent(c[2]), c[3]];
      return hash ? filePage(owner, catalog, hash) : catalogPage(owner, catalog);
    }
    if (path === '/stats') return statsPage();
    return homePage();
  } catch (e) { showError(e); }
}

async function loadSession() {
  state.session = await get('/api/session');
  setCsrf(state.session.csrf);
  if (state.session.state === 'live') openEvents();
}

function renderNav() {
  mount(nav,
    link('/', 'Catalogs'),
    link('/stats', 'Stats'),
    el('span', { class: 'who', attrs: { title: state.session.account }, text: shortKey(state.session.account) }),
    el('button', { class: 'link-button', attrs: { id: 'logout', type: 'button' }, text: 'Log out', on: { click: async () => {
      try { await post('/api/logout'); } catch { /* the session may be gone already */ }
      loggedOut('You logged out.');
    } } }));
}

// ------------------------------------------------------------ live feed

function openEvents() {
  if (state.events) return;
  const es = new EventSource('/api/events');
  state.events = es;
  es.addEventListener('phase', (ev) => {
    let p = null;
    try { p = JSON.parse(ev.data); } catch { return; }
    if (p.state === 'ended') loggedOut(p.reason || 'Your session ended.');
  });
  es.addEventListener('feed', (ev) => {
    let f = null;
    try { f = JSON.parse(ev.data); } catch { return; }
    onFeed(f);
  });
  es.addEventListener('resync', () => refreshShares());
}

function closeEvents() {
  if (state.events) { state.events.close(); state.events = null; }
}

function onFeed(f) {
  switch (f.type) {
    case 'catalog_online':
    case 'catalog_offline':
      setOnline(f.owner, f.catalog, f.type === 'catalog_online');
      toast(`${f.catalog} is ${f.type === 'catalog_online' ? 'online' : 'offline'}`);
      // One of mine the page does not list yet (it just came online the
      // first time): list it.
      if (state.shares && f.owner === state.shares.me && !myCatalogNames(state.shares).has(f.catalog)) refreshShares();
      break;
    case 'share_revoked':
      shareEnded(f);
      refreshShares(f);
      break;
    case 'share_received':
    case 'share_added':
    case 'share_removed':
      refreshShares(f);
      break;
    case 'revision_changed':
      toast(`${f.catalog} has new content`);
      break;
    default:
      break;
  }
}

// A catalog shared with me ended: if the page listed it, say why it goes
// away (taken back or expired), in a notice that stays until dismissed.
function shareEnded(f) {
  const listed = state.shares && (state.shares.in_shares || []).some((x) => x.catalog === f.catalog && x.from_account === f.owner);
  if (!listed) return;
  const text = shareEndedText(f.reason, f.owner, f.catalog);
  state.notices = [...state.notices.filter((n) => n !== text), text].slice(-5);
  toast(text);
}

function setOnline(owner, catalog, on) {
  state.online.set(key(owner, catalog), on);
  for (const dot of document.querySelectorAll('.dot')) {
    if (dot.dataset.key === key(owner, catalog)) paintDot(dot, on);
  }
}

function paintDot(dot, on) {
  dot.classList.toggle('on', on);
  dot.classList.toggle('off', !on);
  dot.setAttribute('title', on ? 'online' : 'offline');
  dot.setAttribute('aria-label', on ? 'online' : 'offline');
}

function dot(owner, catalog) {
  const d = el('span', { class: 'dot', attrs: { role: 'img' }, dataset: { key: key(owner, catalog) } });
  paintDot(d, !!state.online.get(key(owner, catalog)));
  return d;
}

let toastTimer = null;
function toast(text) {
  let t = document.getElementById('toast');
  if (!t) { t = el('div', { attrs: { id: 'toast', role: 'status' } }); document.body.append(t); }
  t.textContent = text;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 3000);
}

// ------------------------------------------------------------ login

async function linkPage(code) {
  mount(nav);
  mount(app, el('section', { class: 'card center' }, el('p', { text: 'Opening the login link…' })));
  let opened;
  try {
    opened = await post(`/api/link/${enc(code)}/open`);
  } catch (e) {
    return mount(app, el('section', { class: 'card center error', attrs: { id: 'link-error', role: 'alert' } },
      el('h1', { text: 'This link cannot be used' }),
      el('p', { text: e.message }),
      el('p', { class: 'muted', text: 'Run natster login again for a new link.' })));
  }
  // The code is used up; keep it out of the address bar and history.
  history.replaceState(null, '', '/');
  mount(app, el('section', { class: 'card center', attrs: { id: 'confirm' } },
    el('h1', { text: 'Check the phrase' }),
    el('p', { text: 'Your terminal shows a phrase. Approve there only if it is exactly:' }),
    el('p', { class: 'phrase', attrs: { id: 'phrase' }, text: opened.phrase }),
    el('p', { class: 'muted', text: 'Account ' + opened.account })));
  try { await loadSession(); } catch (e) { return showError(e); }
  openEvents(); // pending sessions get their phase pushed too
  const es = state.events;
  es.addEventListener('phase', async (ev) => {
    let p = null;
    try { p = JSON.parse(ev.data); } catch { return; }
    if (p.state === 'live') {
      state.session = null;
      closeEvents();
      await route();
    }
  });
}

// ------------------------------------------------------------ catalogs

// The global service sends a feed event as soon as it has logged the
// change; /api/shares reads its projections, which fold the log in a moment
// later. Read until they agree with the event, for a few seconds at most,
// or the page would keep showing a revoked share (or miss a new one).
const SETTLE_MS = [100, 200, 300, 500, 800, 1200, 2000];

function reflects(f, s) {
  const mine = (x) => x.catalog === f.catalog;
  switch (f.type) {
    case 'share_received': return (s.in_shares || []).some((x) => mine(x) && x.from_account === f.owner);
    case 'share_revoked': return !(s.in_shares || []).some((x) => mine(x) && x.from_account === f.owner);
    case 'share_added': return (s.out_shares || []).some((x) => mine(x) && x.to_account === f.account);
    case 'share_removed': return !(s.out_shares || []).some((x) => mine(x) && x.to_account === f.account);
    default: return true;
  }
}

// Reads /api/shares again and shows it; after a feed event `f`, waits (as
// above) for a listing that shows the change.
async function refreshShares(f) {
  try {
    let s = await get('/api/shares');
    for (const wait of f ? SETTLE_MS : []) {
      if (reflects(f, s)) break;
      await new Promise((r) => setTimeout(r, wait));
      s = await get('/api/shares');
    }
    state.shares = s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return loggedOut(e.message);
    return;
  }
  for (const s of [...(state.shares.in_shares || []), ...(state.shares.out_shares || [])]) {
    state.online.set(key(s.from_account, s.catalog), !!s.catalog_online);
  }
  for (const c of state.shares.catalogs || []) state.online.set(key(state.shares.me, c.catalog), !!c.online);
  if (location.pathname === '/') renderHome();
}

async function homePage() {
  mount(app, el('p', { class: 'muted', text: 'Loading catalogs…' }));
  await refreshShares();
  if (!state.shares) throw new Error('Could not load your catalogs.');
  renderHome();
}

function renderHome() {
  const s = state.shares;
  const incoming = s.in_shares || [];
  const imported = incoming.filter((x) => x.imported);
  const pending = incoming.filter((x) => !x.imported);
  const mine = new Map();
  for (const o of s.out_shares || []) {
    if (!mine.has(o.catalog)) mine.set(o.catalog, []);
    mine.get(o.catalog).push(o);
  }
  mount(app,
    noticesSection(),
    el('section', { class: 'card', attrs: { id: 'shared-with-me' } },
      el('h2', { text: 'Shared with me' }),
      imported.length === 0 ? el('p', { class: 'muted', text: 'Nothing yet.' }) :
        el('ul', { class: 'catalogs' }, imported.map((c) => el('li', {},
          dot(c.from_account, c.catalog),
          link(`/c/${enc(c.from_account)}/${enc(c.catalog)}`, c.catalog, 'name'),
          el('span', { class: 'muted small', attrs: { title: c.from_account }, text: 'from ' + shortKey(c.from_account) }))))),
    pending.length === 0 ? null : el('section', { class: 'card', attrs: { id: 'pending' } },
      el('h2', { text: 'Waiting for import' }),
      el('ul', { class: 'catalogs' }, pending.map((c) => el('li', {},
        dot(c.from_account, c.catalog),
        el('span', { class: 'name', text: c.catalog }),
        el('span', { class: 'muted small', attrs: { title: c.from_account }, text: 'from ' + shortKey(c.from_account) }),
        el('button', { attrs: { type: 'button' }, class: 'small-button', text: 'Import', on: { click: (e) => importShare(e.target, c) } }))))),
    mineSection(s, mine));
}

function noticesSection() {
  if (state.notices.length === 0) return null;
  return el('section', { class: 'card notices', attrs: { id: 'notices', role: 'status' } },
    el('ul', {}, state.notices.map((text) => el('li', {},
      el('span', { class: 'notice', text }),
      el('button', { attrs: { type: 'button', 'aria-label': 'dismiss' }, class: 'link-button', text: 'Dismiss', on: { click: () => {
        state.notices = state.notices.filter((n) => n !== text);
        renderHome();
      } } })))));
}

// ------------------------------------------------------------ my catalogs

// Catalogs named in "Manage another catalog": ones the global service does
// not know yet (never served). Kept for this page view only.
const extraMine = new Set();

// Every catalog of mine the global service knows: served at least once
// (`catalogs`) or shared (`out_shares`).
function myCatalogNames(s) {
  return new Set([...(s.catalogs || []).map((c) => c.catalog), ...(s.out_shares || []).map((o) => o.catalog)]);
}

function mineSection(s, mine) {
  for (const c of s.catalogs || []) if (!mine.has(c.catalog)) mine.set(c.catalog, []);
  for (const c of extraMine) if (!mine.has(c)) mine.set(c, []);
  const other = el('input', { attrs: { type: 'text', id: 'manage-name', placeholder: 'catalog name', 'aria-label': 'catalog name', maxlength: 64 } });
  return el('section', { class: 'card', attrs: { id: 'mine' } },
    el('h2', { text: 'My catalogs' }),
    s.can_share ? null : el('div', { class: 'note', attrs: { id: 'no-sharing' } },
      el('p', { class: 'muted small', text: 'This session can see who has access to your catalogs but cannot share or unshare them. To do that here, log in from your computer with:' }),
      el('pre', { class: 'cmd', text: 'natster login --allow-sharing' })),
    mine.size === 0 ? el('p', { class: 'muted', text: 'No catalog yet: create one with natster catalog new, then serve it with natster catalog serve.' }) :
      el('ul', { class: 'catalogs' }, [...mine.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([catalog, list]) => {
        const box = el('div', { class: 'access-box', dataset: { catalog } });
        loadAccess(s, catalog, list, box);
        return el('li', { class: 'mine' },
          dot(s.me, catalog),
          link(`/c/${enc(s.me)}/${enc(catalog)}`, catalog, 'name'),
          box);
      })),
    el('form', { class: 'inline manage', on: { submit: (e) => {
      e.preventDefault();
      const name = other.value.trim();
      if (!name) return;
      extraMine.add(name);
      renderHome();
    } } }, el('span', { class: 'muted small', text: 'Manage another catalog:' }), other,
    el('button', { attrs: { type: 'submit' }, class: 'small-button', text: 'Show' })));
}

function until(t) {
  return t ? 'until ' + new Date(t * 1000).toLocaleString() : '';
}

// Who has access, as the owner's catalog server says (it is the one that
// signs shares, so share and unshare need it running); when it is offline,
// what the global service recorded, without buttons.
async function loadAccess(s, catalog, recorded, box) {
  mount(box, el('p', { class: 'muted small', text: 'Asking your catalog server…' }));
  let a;
  try {
    a = await get(`/api/catalogs/${enc(s.me)}/${enc(catalog)}/access`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return loggedOut(e.message);
    mount(box,
      el('p', { class: 'muted small offline', text: e.message }),
      recorded.length === 0 ? null : el('ul', { class: 'access' }, recorded.map((o) => el('li', {},
        el('span', { class: 'mono', attrs: { title: o.to_account }, text: shortKey(o.to_account) }),
        o.imported ? el('span', { class: 'badge', text: 'imported' }) : null,
        o.expires_at ? el('span', { class: 'muted small', text: until(o.expires_at) }) : null))));
    return;
  }
  const imported = new Set(recorded.filter((o) => o.imported).map((o) => o.to_account));
  mount(box,
    a.shares.length === 0 ? el('p', { class: 'muted small', text: 'Only you have access.' }) :
      el('ul', { class: 'access' }, a.shares.map((x) => el('li', { dataset: { account: x.account } },
        // Names are chosen by other people: text only.
        x.name ? el('span', { class: 'person', text: x.name }) : null,
        el('span', { class: 'mono small', attrs: { title: x.account }, text: shortKey(x.account) }),
        imported.has(x.account) ? el('span', { class: 'badge', text: 'imported' }) : null,
        x.expires_at ? el('span', { class: 'muted small', text: until(x.expires_at) }) : null,
        a.can_share ? el('button', { attrs: { type: 'button' }, class: 'small-button unshare', text: 'Unshare', on: { click: (e) => unshare(e.target, catalog, x.account) } }) : null))),
    a.can_share ? shareForm(catalog) : null);
}

let shareFormIds = 0;

// What is typed in each catalog's share form, and its last refusal: a feed
// event redraws the page, and that must not throw away a half-typed key.
const shareDrafts = new Map();

// The share form, and under it the reason of its last refusal: that stays
// (the field marked invalid, what was typed kept) until the input changes.
function shareForm(catalog) {
  const errorId = 'share-error-' + (++shareFormIds);
  const error = el('p', { class: 'form-error small', attrs: { id: errorId, role: 'alert', hidden: true } });
  const input = el('input', { attrs: { type: 'text', class: 'share-account', placeholder: 'account key (A…)', 'aria-label': 'account to share with', maxlength: 56, autocomplete: 'off', spellcheck: 'false' } });
  const expires = el('select', { class: 'share-expires', attrs: { 'aria-label': 'share ends' } },
    [['', 'no end'], ['1h', '1 hour'], ['1d', '1 day'], ['7d', '7 days'], ['30d', '30 days']].map(([v, t]) =>
      el('option', { attrs: { value: v }, text: t })));
  const button = el('button', { attrs: { type: 'submit' }, class: 'small-button', text: 'Share' });
  const draft = shareDrafts.get(catalog) || { account: '', expires: '', error: '' };
  shareDrafts.set(catalog, draft);
  input.value = draft.account;
  expires.value = draft.expires;
  const showError = (message) => {
    draft.error = message;
    error.textContent = message;
    error.hidden = !message;
    if (message) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', errorId);
    } else {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
  };
  showError(draft.error);
  input.addEventListener('input', () => { draft.account = input.value; showError(''); });
  expires.addEventListener('change', () => { draft.expires = expires.value; showError(''); });
  const form = el('form', { class: 'inline share-form', on: { submit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    showError('');
    const body = { account: input.value.trim() };
    if (expires.value) body.expires = expires.value;
    try {
      await post(`/api/catalogs/${enc(state.shares.me)}/${enc(catalog)}/share`, body);
      shareDrafts.delete(catalog);
      toast('Shared ' + catalog);
      refreshShares();
    } catch (err) {
      showError(err.message);
      button.disabled = false;
      input.focus();
    }
  } } }, input, expires, button);
  return [form, error];
}

async function unshare(button, catalog, account) {
  button.disabled = true;
  try {
    await post(`/api/catalogs/${enc(state.shares.me)}/${enc(catalog)}/unshare`, { account });
    toast('Unshared ' + catalog);
    refreshShares();
  } catch (err) { toast(err.message); button.disabled = false; }
}

async function importShare(button, c) {
  button.disabled = true;
  try { await post(`/api/catalogs/${enc(c.from_account)}/${enc(c.catalog)}/import`); toast('Imported'); refreshShares(); }
  catch (err) { toast(err.message); button.disabled = false; }
}

// ------------------------------------------------------------ catalog browser

const catalogCache = new Map();

async function loadCatalog(owner, catalog) {
  const k = key(owner, catalog);
  if (!catalogCache.has(k)) catalogCache.set(k, await get(`/api/catalogs/${enc(owner)}/${enc(catalog)}`));
  return catalogCache.get(k);
}

function splitPath(p) { return String(p).split('/').filter((x) => x.length > 0); }

async function catalogPage(owner, catalog) {
  mount(app, el('p', { class: 'muted', text: 'Asking the catalog…' }));
  const cat = await loadCatalog(owner, catalog);
  const params = new URLSearchParams(location.search);
  const dir = splitPath(params.get('dir') || '');
  const base = `/c/${enc(owner)}/${enc(catalog)}`;
  const filter = el('input', { attrs: { type: 'search', id: 'filter', placeholder: 'Filter by name, type or description', 'aria-label': 'filter' } });
  const list = el('div', { class: 'files', attrs: { id: 'files' } });

  const crumbs = el('nav', { class: 'crumbs', attrs: { 'aria-label': 'folders' } },
    link(base, catalog),
    dir.map((d, i) => ['/', link(`${base}?dir=${enc(dir.slice(0, i + 1).join('/'))}`, d)]));

  function render() {
    const q = filter.value.trim().toLowerCase();
    const rows = [];
    if (q) {
      for (const e of cat.entries) {
        const hay = [e.path, e.description, e.mime_type].join(' ').toLowerCase();
        if (hay.includes(q)) rows.push(fileRow(owner, catalog, e, e.path));
      }
    } else {
      const dirs = new Map();
      for (const e of cat.entries) {
        const parts = splitPath(e.path);
        if (parts.length <= dir.length || dir.some((d, i) => parts[i] !== d)) continue;
        if (parts.length === dir.length + 1) rows.push(fileRow(owner, catalog, e, parts[parts.length - 1]));
        else {
          const name = parts[dir.length];
          const d = dirs.get(name) || { count: 0, bytes: 0 };
          d.count++; d.bytes += e.byte_size || 0;
          dirs.set(name, d);
        }
      }
      const dirRows = [...dirs.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, d]) =>
        el('div', { class: 'row dir' },
          el('span', { class: 'icon', attrs: { 'aria-hidden': 'true' }, text: '▸' }),
          link(`${base}?dir=${enc([...dir, name].join('/'))}`, name, 'name'),
          el('span', { class: 'size', text: formatSize(d.bytes) }),
          el('span', { class: 'type muted', text: `${d.count} file${d.count === 1 ? '' : 's'}` })));
      rows.unshift(...dirRows);
    }
    mount(list, rows.length ? rows : el('p', { class: 'muted', text: q ? 'No file matches.' : 'This folder is empty.' }));
  }
  filter.addEventListener('input', render);
  mount(app, el('section', { class: 'card' },
    el('div', { class: 'catalog-head' }, dot(owner, catalog), el('h1', { text: cat.name || catalog })),
    cat.description ? el('p', { class: 'muted', text: cat.description }) : null,
    el('p', { class: 'muted small', text: `${cat.entries.length} files · ${formatSize(cat.entries.reduce((a, e) => a + (e.byte_size || 0), 0))} · from ${shortKey(owner)}` }),
    crumbs, filter, list));
  render();
}

function fileRow(owner, catalog, e, label) {
  return el('div', { class: 'row file' },
    el('span', { class: 'icon', attrs: { 'aria-hidden': 'true' }, text: iconFor(e.mime_type) }),
    el('span', { class: 'file-main' },
      link(`/c/${enc(owner)}/${enc(catalog)}/f/${enc(e.hash)}`, label, 'name'),
      e.description ? el('span', { class: 'desc muted', text: e.description }) : null),
    el('span', { class: 'size', text: formatSize(e.byte_size) }),
    el('span', { class: 'type muted', text: e.mime_type || '' }));
}

function iconFor(mime) {
  const m = String(mime || '');
  // Plain glyphs every system font has (no emoji font on many servers).
  if (m.startsWith('video/')) return '▶';
  if (m.startsWith('audio/')) return '♪';
  if (m.startsWith('image/')) return '▣';
  if (m === 'application/pdf') return '▤';
  if (m.startsWith('text/')) return '≡';
  return '•';
}

// ------------------------------------------------------------ file view

async function filePage(owner, catalog, hash) {
  mount(app, el('p', { class: 'muted', text: 'Loading…' }));
  const cat = await loadCatalog(owner, catalog);
  const e = cat.entries.find((x) => x.hash === hash);
  if (!e) throw new Error('This file is not in the catalog (any more).');
  const url = fileUrl(owner, catalog, hash);
  const parts = splitPath(e.path);
  const dirPath = parts.slice(0, -1).join('/');
  const back = `/c/${enc(owner)}/${enc(catalog)}` + (dirPath ? `?dir=${enc(dirPath)}` : '');
  const progress = el('progress', { attrs: { max: 100, value: 0, hidden: true, id: 'progress' } });
  const status = el('span', { class: 'muted small', attrs: { id: 'download-status' } });
  mount(app, el('section', { class: 'card' },
    link(back, '← ' + (dirPath || catalog), 'back'),
    el('h1', { class: 'file-title', attrs: { id: 'file-name' }, text: parts[parts.length - 1] || e.path }),
    e.description ? el('p', { text: e.description }) : null,
    el('dl', { class: 'facts' },
      el('dt', { text: 'Path' }), el('dd', { class: 'mono', text: e.path }),
      el('dt', { text: 'Size' }), el('dd', { text: formatSize(e.byte_size) }),
      el('dt', { text: 'Type' }), el('dd', { text: e.mime_type }),
      el('dt', { text: 'SHA-256' }), el('dd', { class: 'mono hash', text: e.hash })),
    el('div', { class: 'preview', attrs: { id: 'preview' } }, preview(e, url)),
    el('div', { class: 'download' },
      el('button', { attrs: { type: 'button', id: 'download' }, text: 'Download', on: { click: () => download(e, url, progress, status) } }),
      progress, status)));
}

function preview(e, url) {
  const m = String(e.mime_type || '');
  if (m.startsWith('video/')) return el('video', { attrs: { controls: true, preload: 'metadata', src: url, id: 'player', playsinline: true } });
  if (m.startsWith('audio/')) return el('audio', { attrs: { controls: true, preload: 'metadata', src: url, id: 'player' } });
  if (/^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(m)) return el('img', { attrs: { src: url, alt: e.description || e.path } });
  if (m === 'application/pdf') return el('iframe', { attrs: { src: url, title: 'PDF preview', class: 'pdf' } });
  if (m.startsWith('text/') || m === 'application/json') {
    const pre = el('pre', { class: 'text-preview', text: 'Loading…' });
    fetch(url, { headers: { Range: 'bytes=0-65535' }, credentials: 'same-origin' })
      .then((r) => { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
      .then((t) => { pre.textContent = t + (e.byte_size > 65536 ? '\n…' : ''); })
      .catch((err) => { pre.textContent = 'No preview: ' + err.message; });
    return pre;
  }
  return el('p', { class: 'muted', text: 'No preview for this type.' });
}

async function download(e, url, progress, status) {
  progress.hidden = false;
  progress.value = 0;
  status.textContent = 'Starting…';
  try {
    const resp = await fetch(url + '?download=1', { credentials: 'same-origin' });
    if (!resp.ok) {
      let msg = 'HTTP ' + resp.status;
      try { msg = (await resp.json()).error || msg; } catch { /* not JSON */ }
      throw new Error(msg);
    }
    const total = Number(resp.headers.get('Content-Length')) || e.byte_size || 0;
    const reader = resp.body.getReader();
    const chunks = [];
    let got = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.length;
      if (total) progress.value = Math.floor((got / total) * 100);
      status.textContent = `${formatSize(got)} of ${formatSize(total)}`;
    }
    const blob = new Blob(chunks, { type: 'application/octet-stream' });
    let verified = '';
    if (crypto.subtle) {
      const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
      const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
      if (hex !== e.hash) throw new Error('the downloaded bytes do not match the catalog hash');
      verified = ' · SHA-256 verified';
    }
    progress.value = 100;
    status.textContent = `Done: ${formatSize(got)}${verified}`;
    status.dataset.done = 'true';
    const a = el('a', { attrs: { href: URL.createObjectURL(blob), download: splitPath(e.path).pop() || 'download' } });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    status.textContent = 'Download failed: ' + err.message;
    status.dataset.done = 'error';
  }
}

// ------------------------------------------------------------ stats

async function statsPage() {
  const s = await get('/api/stats');
  const labels = {
    accounts_initialized: 'Accounts', catalogs_online: 'Catalogs online',
    active_shares: 'Active shares', events: 'Events recorded',
  };
  mount(app, el('section', { class: 'card', attrs: { id: 'stats' } },
    el('h1', { text: 'Natster stats' }),
    el('dl', { class: 'stats' }, Object.entries(s).map(([k, v]) => [
      el('dt', { text: labels[k] || k }), el('dd', { text: typeof v === 'object' ? JSON.stringify(v) : String(v) })]))));
}

route();
