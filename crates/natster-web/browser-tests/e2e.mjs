// A new user's first visit, in Debian's Chromium. Started by
// crates/natster/tests/web_e2e.rs, which runs only the real `natster`
// binary (hub up, init, catalog new/share/serve/import, login, sessions)
// and answers this script over the line protocol of lib.mjs:
//   {"need": "link"}     -> {"link": url printed by `natster login`}
//   {"phrase": p}           the test compares p with what the terminal shows
//   {"need": "offline"}  -> the owner's `catalog serve` got SIGINT and exited
//   {"need": "online"}   -> it runs again
//   {"need": "revoke"}   -> `natster sessions revoke` of this session returned
//   {"done": results} or {"error": ..., "partial": results}
// The page is only ever navigated by clicking, as a person would, from the
// link on.
import {
  env, send, need, drive, newPage, watchFile, shot as shoot, inspectPngs, playAndSeek, fetchRange,
  download,
} from './lib.mjs';

const OWNER = env('NATSTER_OWNER');
const CATALOG = env('NATSTER_CATALOG');
const VIDEO = env('NATSTER_VIDEO_HASH');
const HOSTILE = env('NATSTER_HOSTILE_NAME');
const SHOTS = env('NATSTER_SHOT_DIR');
const WEB = env('NATSTER_WEB_URL');

const results = { mediaResponses: [], shots: [] };
const shot = (page, name) => shoot(page, SHOTS, name, results.shots);
const catalogUrl = `/api/catalogs/${encodeURIComponent(OWNER)}/${encodeURIComponent(CATALOG)}`;
const fileUrl = `${catalogUrl}/files/${VIDEO}`;
const names = (page) => page.locator('#files .row .name').allTextContents();
const clickRow = (page, text) => page.locator('#files .row a.name', { hasText: text }).first().click();
const crumb = (page, text) => page.locator('nav.crumbs a', { hasText: text }).first().click();

await drive(async (browser) => {
  const { context, page } = await newPage(browser, results, { acceptDownloads: true });
  watchFile(page, VIDEO, results.mediaResponses);

  // 1. The link `natster login` printed; the terminal asks about the phrase.
  const { link } = await need('link');
  await page.goto(link);
  const phrase = (await page.locator('#phrase').textContent()).trim();
  send({ phrase });
  await page.waitForSelector('#logout');
  results.loggedIn = true;

  // 2. The shared catalog, online.
  const dot = `#shared-with-me .dot[data-key="${OWNER}/${CATALOG}"]`;
  await page.waitForSelector(`${dot}.on`);
  results.onlineAtStart = true;
  await shot(page, '01-home');

  // 3. Browse into it: folders, files, the hostile name as text.
  await page.click('#shared-with-me a.name');
  await page.waitForSelector('#files .row');
  results.topNames = await names(page);
  results.injectedImages = await page.locator('img[src="x"]').count();
  await shot(page, '02-catalog');

  // 4. The video plays and seeks.
  await clickRow(page, 'videos');
  await page.waitForURL(/dir=videos/);
  await page.waitForSelector('#files .row');
  await clickRow(page, 'clip.mp4');
  results.seek = await playAndSeek(page);
  // A clip this small is buffered whole by the first request, so the seek
  // itself may need no new one: ask for a range from the middle too.
  results.midRange = await fetchRange(page, fileUrl, 100000, 100999);
  await shot(page, '03-video');

  // 5. Download it through the page.
  results.download = await download(page);

  // 6. An image and a text file preview.
  await page.click('a.back');
  await page.waitForURL(/dir=videos/);
  await crumb(page, CATALOG);
  await page.waitForSelector('#files .row');
  await clickRow(page, 'pictures');
  await page.waitForURL(/dir=pictures/);
  await page.waitForSelector('#files .row');
  await clickRow(page, 'still.png');
  await page.waitForFunction(() => {
    const img = document.querySelector('#preview img');
    return img && img.complete && img.naturalWidth > 0;
  });
  results.image = await page.locator('#preview img').evaluate((i) => ({ width: i.naturalWidth, height: i.naturalHeight }));
  await page.click('a.back');
  await crumb(page, CATALOG);
  await page.waitForSelector('#files .row');
  await clickRow(page, 'notes.txt');
  await page.waitForFunction(() => {
    const p = document.querySelector('#preview pre');
    return p && p.textContent !== 'Loading…';
  });
  results.text = await page.locator('#preview pre').textContent();

  // 7. The hostile file's own page.
  await page.click('a.back');
  await page.waitForSelector('#files .row');
  await clickRow(page, HOSTILE);
  await page.waitForSelector('#file-name');
  results.hostileTitle = await page.locator('#file-name').textContent();
  results.injectedImagesAfter = await page.locator('img[src="x"]').count();
  results.inlineScripts = await page.evaluate(() => [...document.querySelectorAll('script')].filter((s) => !s.src).length);

  // 8. The owner stops serving, then serves again: the dot follows live,
  //    with no reload (the marker would not survive one).
  await page.click('#nav a[href="/"]');
  await page.waitForSelector(`${dot}.on`);
  await page.evaluate(() => { window.__noReload = 'still here'; });
  await need('offline');
  await page.waitForSelector(`${dot}.off`);
  results.wentOffline = await page.evaluate(() => window.__noReload);
  await need('online');
  await page.waitForSelector(`${dot}.on`);
  results.cameBack = await page.evaluate(() => window.__noReload);

  // 9. The session is revoked in the terminal: from then on the page
  //    fetches nothing (polled every 50 ms, as long as anything succeeds).
  await need('revoke');
  results.revoke = await page.evaluate(async ([cat, file]) => {
    const t0 = performance.now();
    const statuses = async () => [
      (await fetch('/api/shares')).status,
      (await fetch(cat)).status,
      (await fetch(file, { headers: { Range: 'bytes=0-999' } })).status,
    ];
    let last = await statuses();
    while (last.some((s) => s < 400) && performance.now() - t0 < 10000) {
      await new Promise((r) => setTimeout(r, 50));
      last = await statuses();
    }
    return { stoppedAfterMs: Math.round(performance.now() - t0), statuses: last };
  }, [catalogUrl, fileUrl]);
  await page.waitForSelector('#logged-out');
  results.loggedOutShown = true;
  results.afterRevoke = await page.evaluate(async (file) => {
    const r = await fetch(file, { headers: { Range: 'bytes=0-999' } });
    return { status: r.status, bytes: (await r.arrayBuffer()).byteLength };
  }, fileUrl);

  results.shotInfo = await inspectPngs(context, results.shots);
}, results);
