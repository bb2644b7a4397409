/**
 * Shared by the tests that drive a real browser (the upload page, exported
 * notebook reports) and run notebooks against the built package.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const repoRoot = join(__dirname, '..', '..');

/** Debian's Chromium, headless, with no network of its own (the machine has none). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Newest modification time under a folder. */
function newest(dir: string): number {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return time;
}

/**
 * Builds dist/ when src/ is newer, so a kernel or a child process imports the
 * code under test. tsc emits even when it reports type errors (`npm test` fails
 * on those in its own build step); what matters here is that dist/ is fresh.
 */
export function ensureBuilt(): void {
  const index = join(repoRoot, 'dist', 'index.js');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(repoRoot, 'src'))) return;
  try {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: repoRoot, stdio: 'inherit' },
    );
  } catch {
    assert.ok(statSync(index).mtimeMs >= newest(join(repoRoot, 'src')), 'the build emitted nothing');
  }
}

/** Decodes a PNG in a blank page and counts pixels that are not (near) white. */
export async function countInkedPixels(
  browser: Browser,
  png: Buffer,
): Promise<{ count: number; total: number; ratio: number }> {
  const page = await browser.newPage();
  try {
    // Runs in the browser (this project compiles without DOM types, hence a string).
    const script = `(async () => {
      const img = new Image();
      img.src = 'data:image/png;base64,${png.toString('base64')}';
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) count++;
      }
      const total = img.width * img.height;
      return { count, total, ratio: count / total };
    })()`;
    return (await page.evaluate(script)) as { count: number; total: number; ratio: number };
  } finally {
    await page.close();
  }
}
