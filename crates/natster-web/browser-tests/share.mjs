// Sharing and unsharing from the web page, in Debian's Chromium, clicked
// through as people would: an owner and a friend, each in a browser
// context of their own. Started by crates/natster/tests/web_share_browser.rs,
// which runs only the real `natster` binary (hub up, init, catalog
// new/serve, login, catalog inbox) and answers over lib.mjs's protocol:
//   {"need": "login", "as": "owner"|"friend", "allowSharing": bool}
//                      -> {"link": url printed by `natster login --yes`}
//   {"need": "inbox"}  -> {"inbox": the friend's `natster catalog inbox --json`}
//   {"done": results} or {"error": ..., "partial": results}
// Times are milliseconds from the click that caused them.
import { env, need, drive, newPage } from './lib.mjs';

const OWNER = env('NATSTER_OWNER');
const FRIEND = env('NATSTER_FRIEND');
const UNKNOWN = env('NATSTER_UNKNOWN_ACCOUNT');
const CATALOG = env('NATSTER_CATALOG');
const NOTES = env('NATSTER_NOTES_NAME');

const catalogUrl = `/api/catalogs/${encodeURIComponent(OWNER)}/${encodeURIComponent(CATALOG)}`;
const results = {};

/** A new browser logged in with its own `natster login`; on its home page. */
async function logIn(browser, who, allowSharing) {
  const { link } = await need('login', { as: who, allowSharing });
  const { page } = await newPage(browser, results);
  await page.goto(link);
  await page.waitForSelector('#logout');
  return page;
}

const accessBox = (page) => page.locator(`#mine .access-box[data-catalog="${CATALOG}"]`);
const accessRow = (page, account) => accessBox(page).locator(`li[data-account="${account}"]`);
const sharedWithMe = (page) => page.locator('#shared-with-me a.name', { hasText: CATALOG });

/** Fills the share form and clicks Share; resolves with the HTTP answer. */
async function share(page, account, expires) {
  const form = accessBox(page).locator('form.share-form');
  await form.locator('.share-account').fill(account);
  await form.locator('.share-expires').selectOption(expires);
  const t0 = Date.now();
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`${catalogUrl}/share`)),
    form.locator('button[type=submit]').click(),
  ]);
  return { t0, status: response.status() };
}

/** A share the page refuses: what it shows, and what the form keeps. */
async function refused(page, account) {
  const { status } = await share(page, account, '');
  // The button comes back once the page has shown the answer.
  await accessBox(page).locator('form.share-form button[type=submit]:enabled').waitFor();
  const input = accessBox(page).locator('.share-account');
  const error = accessBox(page).locator('.form-error');
  return {
    typed: account,
    status,
    shown: await error.isVisible() ? await error.textContent() : null,
    invalid: await input.getAttribute('aria-invalid'),
    describedBy: (await input.getAttribute('aria-describedby')) === (await error.getAttribute('id')),
    kept: await input.inputValue(),
    list: await accessBox(page).locator('p, ul.access').first().textContent(),
  };
}

/**
 * Milliseconds from `t0` until `locator` reaches `state`, or null when it
 * has not after 10 s (the test asserts a bound).
 */
const after = (locator, state, t0) => locator.waitFor({ state, timeout: 10000 })
  .then(() => Date.now() - t0, () => null);

/**
 * Fetches `url` from `page` every 50 ms until a fetch is refused (10 s at
 * most), then three more one after another. The fetches overlap, and one
 * that has no answer after a second is given up on and counted as lost: a
 * request in flight when the revocation lands can lose its answer and would
 * wait out the web server's timeout, which says nothing about the next one.
 */
const untilRefused = (page, url, t0) => page.evaluate(async ([u, since]) => {
  const at = () => Date.now() - since;
  const one = async (signal) => {
    const start = at();
    const r = await fetch(u, { signal });
    let error = null;
    try { error = (await r.json()).error; } catch { /* not JSON */ }
    return { start, end: at(), status: r.status, error };
  };
  let refused = null;
  let served = 0;
  let lost = 0;
  while (!refused && at() < 10000) {
    one(AbortSignal.timeout(1000)).then((f) => {
      if (f.status < 400) served++;
      else if (!refused) refused = f;
    }, () => { lost++; });
    await new Promise((res) => setTimeout(res, 50));
  }
  const after = [];
  for (let i = 0; i < 3; i++) after.push((await one()).status);
  return { ...refused, served, lost, after };
}, [url, t0]);

await drive(async (browser) => {
  // 1. The owner, allowed to share, finds the catalog listed under "My
  //    catalogs" though it is shared with nobody yet (its server is
  //    running), online, with its access list and form; nothing typed.
  const t1 = Date.now();
  const owner = await logIn(browser, 'owner', true);
  await owner.waitForSelector('#mine');
  results.ownerNoSharingNote = await owner.locator('#no-sharing').count();
  results.unsharedListedAfterMs = await after(accessBox(owner).locator('form.share-form'), 'visible', t1);
  results.mineNames = await owner.locator('#mine li.mine a.name').allTextContents();
  results.mineOnline = await owner.locator(`#mine li.mine .dot[data-key="${OWNER}/${CATALOG}"]`).getAttribute('aria-label');
  results.accessAtFirst = await accessBox(owner).locator('p').first().textContent();

  // 2. Bad input: a mistyped key, the owner's own key, an account nobody
  //    registered. Each is refused in the page and changes nothing.
  const typo = FRIEND.slice(0, -1) + (FRIEND.endsWith('A') ? 'B' : 'A');
  results.badInput = {
    typo: await refused(owner, typo),
    own: await refused(owner, OWNER),
    unknown: await refused(owner, UNKNOWN),
  };
  // Changing the input clears the error and the mark.
  await accessBox(owner).locator('.share-account').press('End');
  await accessBox(owner).locator('.share-account').press('Backspace');
  results.badInputCleared = {
    errorVisible: await accessBox(owner).locator('.form-error').isVisible(),
    invalid: await accessBox(owner).locator('.share-account').getAttribute('aria-invalid'),
  };
  results.accessAfterBadInput = await owner.evaluate(async (u) => (await (await fetch(u)).json()).shares, `${catalogUrl}/access`);
  results.inboxAfterBadInput = (await need('inbox')).inbox;

  // 3. The friend logs in in a browser of its own: nothing shared yet.
  const friend = await logIn(browser, 'friend', false);
  await friend.waitForSelector('#shared-with-me');
  results.friendAtFirst = await friend.locator('#shared-with-me p').textContent();
  results.friendPendingAtFirst = await friend.locator('#pending').count();
  await friend.evaluate(() => { window.__noReload = 'still here'; });

  // 4. The owner shares with the friend for a day: the access list shows
  //    the friend's name and the end; the friend's page shows the share
  //    without a reload (the feed).
  const shared = await share(owner, FRIEND, '1d');
  results.share = { status: shared.status };
  const pending = friend.locator('#pending li', { hasText: CATALOG });
  [results.share.toldAfterMs, results.share.listedAfterMs, results.share.friendSawAfterMs] = await Promise.all([
    after(owner.locator('#toast.show', { hasText: `Shared ${CATALOG}` }), 'visible', shared.t0),
    after(accessRow(owner, FRIEND), 'visible', shared.t0),
    after(pending, 'visible', shared.t0),
  ]);
  const row = accessRow(owner, FRIEND);
  results.share.name = await row.locator('.person').textContent();
  results.share.key = await row.locator('.mono').getAttribute('title');
  results.share.until = await row.locator('.muted').textContent();
  results.share.expected = await owner.evaluate(async (u) => {
    const a = await (await fetch(u)).json();
    return a.shares.map((s) => ({ account: s.account, expiresAt: s.expires_at, until: 'until ' + new Date(s.expires_at * 1000).toLocaleString() }));
  }, `${catalogUrl}/access`);
  results.share.friendNoReload = await friend.evaluate(() => window.__noReload);

  // 5. The friend imports it, opens it, lists it and reads a file.
  await pending.locator('button', { hasText: 'Import' }).click();
  await sharedWithMe(friend).click();
  await friend.waitForSelector('#files .row');
  results.friendNames = await friend.locator('#files .row .name').allTextContents();
  await friend.locator('#files .row a.name', { hasText: NOTES }).click();
  await friend.waitForFunction(() => {
    const p = document.querySelector('#preview pre');
    return p && p.textContent !== 'Loading…';
  });
  results.friendText = await friend.locator('#preview pre').textContent();
  await friend.click('#nav a[href="/"]');
  await sharedWithMe(friend).waitFor();
  results.friendNoReload = await friend.evaluate(() => window.__noReload);

  // 6. The owner in a session without --allow-sharing: sees who has access,
  //    is told how to share, and has neither form nor buttons.
  const plain = await logIn(browser, 'owner', false);
  await accessRow(plain, FRIEND).waitFor();
  results.plain = {
    note: await plain.locator('#no-sharing').textContent(),
    name: await accessRow(plain, FRIEND).locator('.person').textContent(),
    forms: await plain.locator('form.share-form').count(),
    unshareButtons: await plain.locator('button.unshare').count(),
  };

  // 7. The owner clicks Unshare for the friend: the access list drops the
  //    friend, the friend's page drops the catalog (the feed again), and
  //    the friend's next fetch from it is refused.
  //    Something half-typed in the share form, and its expiry, outlive
  //    the redraw that the unshare's feed event causes.
  const draft = FRIEND.slice(0, 20);
  await accessBox(owner).locator('.share-account').fill(draft);
  await accessBox(owner).locator('.share-expires').selectOption('7d');
  const t0 = Date.now();
  await accessRow(owner, FRIEND).locator('button.unshare').click();
  [results.refusal, results.ownerDroppedAfterMs, results.friendDroppedAfterMs] = await Promise.all([
    untilRefused(friend, catalogUrl, t0),
    after(accessBox(owner).getByText('Only you have access.'), 'visible', t0),
    after(friend.locator('#shared-with-me p', { hasText: 'Nothing yet.' }), 'visible', t0),
  ]);
  results.draftAfterRedraw = {
    typed: draft,
    kept: await accessBox(owner).locator('.share-account').inputValue(),
    expires: await accessBox(owner).locator('.share-expires').inputValue(),
  };
  results.friendNoReloadAtEnd = await friend.evaluate(() => window.__noReload);
  // Bob is told why the catalog went away; an expiry would read otherwise.
  results.friendNotices = await friend.locator('#notices .notice').allTextContents();
  results.endedTexts = await friend.evaluate(async ([o, c]) => {
    const m = await import('/assets/dom.js');
    return { expired: m.shareEndedText('expired', o, c), unshared: m.shareEndedText('unshared', o, c), older: m.shareEndedText(undefined, o, c) };
  }, [OWNER, CATALOG]);
}, results);
