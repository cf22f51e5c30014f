// live.mjs - watches one job's page in chromium while the job runs, for
// tests/e2e/web-live.t (a real QEMU job):
//   node tests/web/live.mjs BASE_URL JOB_ID SCREENSHOT.png
// Prints one JSON object: how many console lines the page showed while the
// job was still running, the state then, the final outcome, whether the
// SUMMARY line arrived, and any script errors.
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = path.resolve(REPO, process.env.BUILD || 'build');
const require = createRequire(path.join(BUILD, 'web', 'package.json'));
const { chromium } = require('playwright-core');
const [base, job, shot] = process.argv.slice(2);
const out = { liveLines: 0, liveState: null, sawLive: false, final: null, summary: false, errors: [] };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => out.errors.push(e.message));
  await page.goto(`${base}/#/job/${job}`);
  await page.waitForSelector('#log');
  const end = Date.now() + 240000;
  while (Date.now() < end) {
    const s = await page.evaluate(() => ({
      badge: document.querySelector('h1 .badge')?.textContent,
      live: document.querySelector('.live')?.textContent,
      lines: document.querySelectorAll('#log .l').length,
      text: document.querySelector('#log').textContent,
    }));
    if (['booting', 'running', 'assigned'].includes(s.badge) && s.lines > 0) {
      if (s.lines > out.liveLines) { out.liveLines = s.lines; out.liveState = s.badge; }
      if (s.live === 'live') out.sawLive = true;
      if (out.liveLines > 0 && shot && !out.shot) { await page.screenshot({ path: shot, fullPage: true }); out.shot = shot; }
    }
    if (s.live === 'finished') {
      out.final = s.badge;
      out.summary = s.text.includes('SUMMARY:');
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (shot) await page.screenshot({ path: shot.replace(/\.png$/, '-done.png'), fullPage: true });
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
