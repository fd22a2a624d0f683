// What the browser scripts share: starting Debian's Chromium and reporting
// to the Rust test that started the script (a line protocol), a page per
// person, screenshots at phone and desktop sizes (and decoding them again
// to check them), playing and seeking the player, a download through the
// page, watching for dialogs and script errors.
//
// Never downloads a browser: playwright-core with executablePath only.
import { chromium } from 'playwright-core';
import { createHash } from 'node:crypto';
import { readFile, mkdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export function env(k) {
  const v = process.env[k];
  if (!v) throw new Error(`missing env ${k}`);
  return v;
}

export function log(...a) { process.stderr.write(new Date().toISOString() + ' ' + a.join(' ') + '\n'); }

// One JSON object per line each way: stdout to the test, stdin from it.
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
export async function recv() {
  const { value, done } = await lines.next();
  if (done) throw new Error('stdin closed');
  return JSON.parse(value);
}
export function send(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }
/** Asks the test to do something and waits for its answer. */
export async function need(what, extra = {}) {
  send({ need: what, ...extra });
  return recv();
}

export const phone = { width: 390, height: 844 };
export const desktop = { width: 1280, height: 800 };

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
  });
}

/**
 * Runs `steps(browser, results)` in a fresh Chromium and reports to the
 * test: `{"done": results}`, or `{"error": ..., "partial": results}` when a
 * step threw. Exits when done: stdin would keep the event loop alive.
 */
export async function drive(steps, results = {}) {
  const browser = await launch();
  try {
    await steps(browser, results);
    send({ done: results });
  } catch (e) {
    send({ error: String(e && e.stack || e), partial: results });
  } finally {
    await browser.close();
    process.exit(0);
  }
}

/** A page in a context of its own (its own cookies: one person's browser). */
export async function newPage(browser, results, options = {}) {
  const context = await browser.newContext({ viewport: desktop, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  watch(page, results);
  return { context, page };
}

/** Records dialogs, console errors and page errors into `results`. */
export function watch(page, results) {
  results.dialogs ??= [];
  results.consoleErrors ??= [];
  page.on('dialog', (d) => { results.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('console', (m) => { if (m.type() === 'error') results.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => results.consoleErrors.push('pageerror: ' + e.message));
}

/** Records the status and ranges of every response for the file `hash`. */
export function watchFile(page, hash, into) {
  page.on('response', (r) => {
    if (r.url().includes(`/files/${hash}`)) {
      into.push({
        status: r.status(),
        range: r.request().headers()['range'] || null,
        contentRange: r.headers()['content-range'] || null,
      });
    }
  });
}

/** Screenshots of the page at desktop and phone sizes; pushes their paths. */
export async function shot(page, dir, name, paths) {
  await mkdir(dir, { recursive: true });
  for (const [label, size] of [['desktop', desktop], ['phone', phone]]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150); // let layout settle after the resize
    const path = `${dir}/${name}-${label}.png`;
    await page.screenshot({ path, fullPage: true });
    paths.push(path);
  }
  await page.setViewportSize(desktop);
}

/**
 * Decodes each PNG in a blank page of its own (so the app's CSP does not
 * apply) and reports its size and how many distinct colours it has.
 */
export async function inspectPngs(context, paths) {
  const page = await context.newPage();
  try {
    const out = [];
    for (const path of paths) {
      const b64 = (await readFile(path)).toString('base64');
      out.push({ path, ...await page.evaluate(async (data) => {
        const blob = await (await fetch('data:image/png;base64,' + data)).blob();
        const bmp = await createImageBitmap(blob);
        const canvas = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = canvas.getContext('2d');
        ctx.drawImage(bmp, 0, 0);
        const px = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
        const colours = new Set();
        for (let i = 0; i < px.length && colours.size < 1000; i += 4) {
          colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
        }
        return { width: bmp.width, height: bmp.height, colours: colours.size };
      }, b64) });
    }
    return out;
  } finally {
    await page.close();
  }
}

/**
 * Plays the page's #player muted, seeks to 70 % of it, and waits until it
 * plays past the seek point.
 */
export async function playAndSeek(page) {
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
  return page.evaluate((t) => {
    const v = document.getElementById('player');
    return { seekTo: t, currentTime: v.currentTime, duration: v.duration, paused: v.paused, error: v.error && v.error.message };
  }, seekTo);
}

/** Fetches bytes `start..=end` of `url` from the page, as the player does. */
export async function fetchRange(page, url, start, end) {
  return page.evaluate(async ([u, range]) => {
    const r = await fetch(u, { headers: { Range: range } });
    const b = new Uint8Array(await r.arrayBuffer());
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
    return { status: r.status, contentRange: r.headers.get('content-range'), length: b.length,
      sha256: [...d].map((x) => x.toString(16).padStart(2, '0')).join('') };
  }, [url, `bytes=${start}-${end}`]);
}

/**
 * Clicks the file page's Download button and hashes what the browser saved.
 */
export async function download(page) {
  await page.waitForSelector('#download');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const path = await dl.path();
  return {
    sha256: createHash('sha256').update(await readFile(path)).digest('hex'),
    name: dl.suggestedFilename(),
    status: await page.locator('#download-status').textContent(),
    progress: await page.locator('#progress').evaluate((p) => p.value),
  };
}
