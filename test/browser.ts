/**
 * Shared by the tests that drive a real browser (the upload page, exported
 * notebook reports) and run notebooks against the built package.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const repoRoot = join(__dirname, '..');

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
