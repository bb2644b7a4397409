/**
 * Takes docs/page.png, the README's picture of the upload page: a server on a
 * free port, a sensor dataset already there, data/students.csv sent through the page.
 *
 *   npm run build && node --import tsx scripts/page-screenshot.ts
 */
import { join } from 'node:path';
import { connect, startServer } from '../src/index.js';
import { pageUrl } from '../src/server/page.js';
import { launchChromium } from '../test/e2e/browser.js';

async function main(): Promise<void> {
  const root = join(__dirname, '..');
  const server = await startServer({ port: 0 });
  const browser = await launchChromium();
  try {
    const client = await connect(server.url);
    const readings = ['time,sensor,temperature,humidity'];
    for (let i = 0; i < 240; i++) {
      const t = new Date(Date.UTC(2026, 2, 1, 9, 0, i * 15)).toISOString();
      readings.push(`${t},s${(i % 3) + 1},${(20 + Math.sin(i / 20) * 3).toFixed(1)},${40 + (i % 7)}`);
    }
    await client.send(`${readings.join('\n')}\n`, { name: 'readings' });
    await client.close();
    const page = await browser.newPage({ viewport: { width: 900, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(pageUrl(server.url));
    await page.waitForSelector('body[data-state="connected"]');
    await page.setInputFiles('#file', join(root, 'data', 'students.csv'));
    await page.click('#upload');
    await page.waitForSelector('#result:not([hidden])');
    await page.waitForFunction(() => document.querySelectorAll('#datasets tbody tr').length >= 2);
    const out = join(root, 'docs', 'page.png');
    await page.screenshot({ path: out, fullPage: true });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
