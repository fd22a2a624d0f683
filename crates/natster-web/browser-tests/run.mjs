// Drives Debian's Chromium through the Natster web app. Started by
// crates/natster-web/tests/browser.rs, which runs the real hub, global
// service, web server and catalog server, and answers this script's
// requests over a line protocol: this script writes one JSON object per
// line on stdout ({"need": ...}, {"phrase": ...}, {"done": results}) and
// reads one JSON object per line on stdin.
//
// Never downloads a browser: playwright-core with executablePath only.
import { chromium } from 'playwright-core';
import { createHash } from 'node:crypto';
import { readFile, mkdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing env ${k}`);
  return v;
};
const OWNER = env('NATSTER_OWNER');
const CATALOG = env('NATSTER_CATALOG');
const VIDEO = env('NATSTER_VIDEO_HASH');
const DOWNLOAD = env('NATSTER_DOWNLOAD_HASH');
const HOSTILE = env('NATSTER_HOSTILE_NAME');
const SHOTS = env('NATSTER_SHOT_DIR');
const WEB = env('NATSTER_WEB_URL');

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function recv() {
  const { value, done } = await lines.next();
  if (done) throw new Error('stdin closed');
  return JSON.parse(value);
}
function send(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }
function log(...a) { process.stderr.write(new Date().toISOString() + " " + a.join(" ") + "\n"); }

const results = { dialogs: [], consoleErrors: [], mediaResponses: [], shots: [] };
const phone = { width: 390, height: 844 };
const desktop = { width: 1280, height: 800 };

async function shot(page, name) {
  for (const [label, size] of [['desktop', desktop], ['phone', phone]]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150); // let layout settle after the resize
    const path = `${SHOTS}/${name}-${label}.png`;
    await page.screenshot({ path, fullPage: true });
    results.shots.push(path);
  }
  await page.setViewportSize(desktop);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required'],
});
try {
  await mkdir(SHOTS, { recursive: true });
  const context = await browser.newContext({ viewport: desktop, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('dialog', (d) => { results.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('console', (m) => { if (m.type() === 'error') results.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => results.consoleErrors.push('pageerror: ' + e.message));
  page.on('response', (r) => {
    if (r.url().includes(`/files/${VIDEO}`)) {
      results.mediaResponses.push({
        status: r.status(),
        range: r.request().headers()['range'] || null,
        contentRange: r.headers()['content-range'] || null,
      });
    }
  });

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
  await page.waitForSelector('#player');
  await page.waitForFunction(() => document.getElementById('player').readyState >= 1);
  await page.evaluate(async () => { const v = document.getElementById('player'); v.muted = true; await v.play(); });
  await page.waitForFunction(() => document.getElementById('player').currentTime > 0.5);
  const duration = await page.evaluate(() => document.getElementById('player').duration);
  const seekTo = Math.max(1, Math.min(duration * 0.7, duration - 1.5));
  await page.evaluate((t) => { document.getElementById('player').currentTime = t; }, seekTo);
  await page.waitForFunction((t) => {
    const v = document.getElementById('player');
    return !v.seeking && v.currentTime > t + 0.3;
  }, seekTo);
  results.seek = await page.evaluate((t) => {
    const v = document.getElementById('player');
    return { seekTo: t, currentTime: v.currentTime, duration: v.duration, paused: v.paused, error: v.error && v.error.message };
  }, seekTo);
  // A range from the middle, fetched the way the player does.
  results.midRange = await page.evaluate(async (url) => {
    const r = await fetch(url, { headers: { Range: 'bytes=100000-100999' } });
    const b = new Uint8Array(await r.arrayBuffer());
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
    return { status: r.status, contentRange: r.headers.get('content-range'), length: b.length,
      sha256: [...d].map((x) => x.toString(16).padStart(2, '0')).join('') };
  }, `/api/catalogs/${encodeURIComponent(OWNER)}/${encodeURIComponent(CATALOG)}/files/${VIDEO}`);
  await shot(page, '05-video');

  // 5. A download with progress, checked against the catalog hash.
  await page.goto(`${WEB}/c/${encodeURIComponent(OWNER)}/${encodeURIComponent(CATALOG)}/f/${DOWNLOAD}`);
  await page.waitForSelector('#download');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const path = await dl.path();
  results.downloadSha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  results.downloadName = dl.suggestedFilename();
  results.downloadStatus = await page.locator('#download-status').textContent();
  results.progress = await page.locator('#progress').evaluate((p) => p.value);
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
  send({ done: results });
} catch (e) {
  send({ error: String(e && e.stack || e), partial: results });
} finally {
  await browser.close();
  process.exit(0); // stdin would keep the event loop alive
}
