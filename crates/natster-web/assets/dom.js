// DOM helpers. Everything that comes from other people (catalog names,
// paths, descriptions, account names) is set with textContent or as an
// attribute value through setAttribute: never parsed as HTML.

/** el('div', {class: 'x', attrs: {...}, on: {click: fn}}, child, ...) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) {
      if (av !== undefined && av !== null && av !== false) node.setAttribute(a, String(av));
    }
    else if (k === 'dataset') for (const [a, av] of Object.entries(v)) node.dataset[a] = String(av);
    else throw new Error('unknown prop ' + k);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `node`. */
export function mount(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function formatSize(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
}

export function shortKey(k) {
  return typeof k === 'string' && k.length > 12 ? k.slice(0, 5) + '…' + k.slice(-4) : String(k);
}

/**
 * What to tell the person whose page dropped `owner`'s `catalog` after a
 * `share_revoked` feed message; `reason` is "expired" or "unshared" (older
 * services send none: that was the only way a share ended).
 */
export function shareEndedText(reason, owner, catalog) {
  const what = `${catalog} from ${shortKey(owner)}`;
  return reason === 'expired'
    ? `Your access to ${what} expired.`
    : `${what} is no longer shared with you.`;
}
