/**
 * notebooks/live.ipynb run headless through Jupyter, its exported HTML opened
 * in Chromium, and run twice in one kernel.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { countInkedPixels, ensureBuilt, launchChromium } from './browser.js';
import {
  type ExecutedNotebook,
  type ExecutedTwice,
  executeNotebook,
  executeTwice,
  isListening,
  joined,
  type NotebookCell,
  repoRoot,
} from './jupyter.js';

// ───────────────────────── the notebook, headless ─────────────────────────

function cellWith(nb: { cells: NotebookCell[] }, marker: string): NotebookCell {
  const found = nb.cells.find((c) => c.cell_type === 'code' && joined(c.source).includes(marker));
  assert.ok(found, `no cell contains ${marker}`);
  return found;
}

describe('notebooks/live.ipynb headless', { timeout: 300_000 }, () => {
  let nb: ExecutedNotebook | undefined;
  let browser: Browser | undefined;

  before(async () => {
    ensureBuilt();
    nb = await executeNotebook(
      join(repoRoot, 'notebooks', 'live.ipynb'),
      join(repoRoot, '.tmp', 'notebook-live-test'),
      {
        timeoutMs: 180_000,
      },
    );
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('runs every cell without an error or stderr output', () => {
    assert.ok(nb);
    for (const [i, c] of nb.cells.entries()) {
      for (const o of c.outputs ?? []) {
        assert.notEqual(o.output_type, 'error', `cell ${i}: ${o.ename}: ${o.evalue}`);
        assert.ok(!(o.output_type === 'stream' && o.name === 'stderr'), `cell ${i}: ${joined(o.text)}`);
        assert.doesNotMatch(joined(o.data?.['text/plain']), /render failed|stopped:|waiting for rows/, `cell ${i}`);
      }
    }
  });

  it('records the final chart in the live cell: one display, 100 points', () => {
    assert.ok(nb);
    const outs = cellWith(nb, 'live("sensor"').outputs ?? [];
    assert.equal(outs.length, 1, 'one display, updated in place');
    const [display] = outs;
    assert.equal(display?.output_type, 'display_data');
    assert.match(joined(display?.data?.['text/plain']), /^sensor · live · 100 rows · chart: line/);
    const html = joined(display?.data?.['text/html']);
    assert.match(html, /<div class="csvs-chart"><svg /);
    const symbols = /<g class="mark-symbol role-mark[^>]*>(.*?)<\/g>/s.exec(html)?.[1] ?? '';
    assert.equal(symbols.split('<path').length - 1, 100, 'one point per reading');
    assert.equal((html.match(/<g class="mark-line role-mark/g) ?? []).length, 3, 'one line per sensor');
    const spec = JSON.parse(joined(display?.data?.['application/vnd.vegalite.v5+json'])) as {
      data: { values: Array<{ sensor: string }> };
    };
    assert.equal(spec.data.values.length, 100);
  });

  it('the sensor wrote its rows; updates were coalesced into fewer draws', () => {
    assert.ok(nb);
    const text = (cellWith(nb, 'await view.stop()').outputs ?? [])
      .filter((o) => o.output_type === 'stream')
      .map((o) => joined(o.text))
      .join('');
    assert.match(text, /^the sensor wrote 100 rows\n/);
    const m = /(\d+) updates received, (\d+) draws/.exec(text);
    assert.ok(m, text);
    const [updates, draws] = [Number(m[1]), Number(m[2])];
    assert.ok(draws >= 1 && draws <= updates, text);
    const shown = (cellWith(nb, 'await view.stop()').outputs ?? []).map((o) => joined(o.data?.['text/html']));
    assert.ok(shown.some((h) => h.includes('the last five readings · 5 rows × 4 columns')));
    assert.ok(
      shown.some((h) => /<td>s1<\/td><td class="csvs-num">34<\/td>/.test(h)),
      'rows per sensor',
    );
  });

  it('frees the port when the kernel shuts down', async () => {
    assert.ok(nb);
    assert.equal(await isListening(nb.port), false);
  });

  it('draws the chart in the exported HTML (Chromium pixels)', async () => {
    assert.ok(nb && browser);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    await page.goto(pathToFileURL(nb.html).href, { waitUntil: 'domcontentloaded' });
    const charts = page.locator('.csvs-chart svg');
    assert.equal(await charts.count(), 1);
    assert.equal(await page.locator('.csvs-chart svg .mark-symbol.role-mark path').count(), 100);
    assert.ok(await page.getByText('sensor · live · 100 rows').first().isVisible());
    const inked = await countInkedPixels(browser, await charts.first().screenshot());
    assert.ok(inked.ratio > 0.01, `the chart is blank (${inked.count} of ${inked.total} pixels drawn)`);
    await page.close();
  });
});

describe('notebooks/live.ipynb run twice in one kernel', { timeout: 300_000 }, () => {
  let twice: ExecutedTwice | undefined;

  before(async () => {
    ensureBuilt();
    twice = await executeTwice(join(repoRoot, 'notebooks', 'live.ipynb'), join(repoRoot, '.tmp', 'notebook-live-test'));
  });

  it('starts over on the second run: the sensor writes 100 rows again and the chart ends at 100 rows again', () => {
    assert.ok(twice);
    assert.doesNotMatch(JSON.stringify(twice.runs), /"output_type": ?"error"|AUTH_NOT_OWNER|render failed/);
    const liveIndex = twice.cells.findIndex((c) => joined(c.source).includes('live("sensor"'));
    const stopIndex = twice.cells.findIndex((c) => joined(c.source).includes('await view.stop()'));
    for (const run of twice.runs) {
      const outs = run[liveIndex] ?? [];
      assert.equal(outs.length, 1);
      assert.match(joined(outs[0]?.data?.['text/plain']), /^sensor · live · 100 rows · /);
      const text = (run[stopIndex] ?? []).map((o) => joined(o.text)).join('');
      assert.match(text, /^the sensor wrote 100 rows\n/);
    }
  });
});
