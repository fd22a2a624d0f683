// Drives Debian's Chromium through the Natster web app. Started by
// crates/natster-web/tests/browser.rs, which runs the real hub, global
// service, web server and catalog server, and answers this script's
// requests over a line protocol: this script writes one JSON object per
// line on stdout ({"need": ...}, {"phrase": ...}, {"done": results}) and
// reads one JSON object per line on stdin.
//
// Never downloads a browser: playwright-core with executablePath only
// (lib.mjs, which e2e.mjs uses too).
import {
  env, send, recv, drive, newPage, watchFile, shot as shoot, playAndSeek, fetchRange, download,
} from './lib.mjs';

const OWNER = env('NATSTER_OWNER');
const CATALOG = env('NATSTER_CATALOG');
const VIDEO = env('NATSTER_VIDEO_HASH');
const DOWNLOAD = env('NATSTER_DOWNLOAD_HASH');
const HOSTILE = env('NATSTER_HOSTILE_NAME');
const SHOTS = env('NATSTER_SHOT_DIR');
const WEB = env('NATSTER_WEB_URL');

const results = { dialogs: [], consoleErrors: [], mediaResponses: [], shots: [] };
const shot = (page, name) => shoot(page, SHOTS, name, results.shots);

await drive(async (browser) => {
  const { page } = await newPage(browser, results, { acceptDownloads: true });
  watchFile(page, VIDEO, results.mediaResponses);

  // 1. Device-link login: the page shows the phrase; the terminal (the
  //    Rust test, playing `natster login`) compares and approves.
  await page.goto(WEB + '/');
  await page.waitForSelector('#logged-out');
  await shot(page, '01-logged-out');
  send({ need: 'link' });
  const { link } = await recv();
  await page.goto(link);
  const phrase = (await page.locator('#phrase').textContent()).trim();
  results.linkPathAfterOpen = new URL(page.url()).pathname;
  await shot(page, '02-confirm-phrase');
  send({ phrase });
  await page.waitForSelector('#logout');
  results.loggedIn = true;
  results.localStorage = await page.evaluate(() => JSON.stringify(localStorage));
  results.sessionStorage = await page.evaluate(() => JSON.stringify(sessionStorage));
  results.documentCookie = await page.evaluate(() => document.cookie);
  results.pageText = await page.evaluate(() => document.documentElement.outerHTML);

  // 2. Online status, live.
  const dot = `#shared-with-me .dot[data-key="${OWNER}/${CATALOG}"]`;
  await page.waitForSelector(`${dot}.on`);
  results.onlineAtStart = true;
  await shot(page, '03-home');
  send({ need: 'offline' });
  await recv();
  await page.waitForSelector(`${dot}.off`);
  results.wentOffline = true;
  send({ need: 'online' });
  await recv();
  await page.waitForSelector(`${dot}.on`);
  results.cameBack = true;

  // 3. Browsing: folders, hostile names, filter.
  await page.click(`#shared-with-me a.name`);
  await page.waitForSelector('#files .row');
  results.topNames = await page.locator('#files .row .name').allTextContents();
  results.injectedImages = await page.locator('img[src="x"]').count();
  results.xssFlag = await page.evaluate(() => window.__xss === 1);
  await shot(page, '04-catalog');
  await page.click('#files .row.dir a.name >> text=docs');
  await page.waitForURL(/dir=docs/);
  await page.waitForSelector('#files .row');
  results.docsNames = await page.locator('#files .row .name').allTextContents();
  results.docsDescriptions = await page.locator('#files .row .desc').allTextContents();
  await page.fill('#filter', 'notes');
  results.filtered = await page.locator('#files .row .name').allTextContents();
  results.injectedScripts = await page.evaluate(() => [...document.querySelectorAll('script')].filter((s) => !s.src).length);

  // 4. The video plays and seeks.
  await page.goto(`${WEB}/c/${encodeURIComponent(OWNER)}/${encodeURIComponent(CATALOG)}/f/${VIDEO}`);
  results.seek = await playAndSeek(page);
  // A range from the middle, fetched the way the player does.
  results.midRange = await fetchRange(page,
    `/api/catalogs/${encodeURIComponent(OWNER)}/${encodeURIComponent(CATALOG)}/files/${VIDEO}`, 100000, 100999);
  await shot(page, '05-video');

  // 5. A download with progress, checked against the catalog hash.
  await page.goto(`${WEB}/c/${encodeURIComponent(OWNER)}/${encodeURIComponent(CATALOG)}/f/${DOWNLOAD}`);
  const dl = await download(page);
  results.downloadSha256 = dl.sha256;
  results.downloadName = dl.name;
  results.downloadStatus = dl.status;
  results.progress = dl.progress;
  await shot(page, '06-download');

  // 6. The hostile file's own page shows its name as text.
  await page.goto(`${WEB}/c/${encodeURIComponent(OWNER)}/${encodeURIComponent(CATALOG)}`);
  await page.waitForSelector('#files .row');
  await page.locator('#files .row a.name', { hasText: HOSTILE }).click();
  await page.waitForSelector('#file-name');
  results.hostileTitle = await page.locator('#file-name').textContent();
  results.injectedImagesAfter = await page.locator('img[src="x"]').count();

  // 7. Stats and logout.
  await page.goto(`${WEB}/stats`);
  await page.waitForSelector('#stats dd');
  results.stats = await page.locator('#stats dd').allTextContents();
  await shot(page, '07-stats');
  await page.click('#logout');
  await page.waitForSelector('#logged-out');
  results.afterLogout = await page.evaluate(async () => (await fetch('/api/shares')).status);
}, results);
