/**
 * Issue 10 §2 end to end: test/e2e/notebooks/charts.ipynb runs through Jupyter
 * and the tslab kernel under UTC and America/Los_Angeles, is exported to HTML,
 * and the export is opened in Chromium: a hover finds a mark's tooltip, the
 * legend lists every group, the 1M-row histogram and the bar counts are right.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, launchChromium } from './browser.js';
import { type ExecutedNotebook, executeNotebook, type NotebookCell, repoRoot } from './jupyter.js';

const notebook = join(__dirname, 'notebooks', 'charts.ipynb');
const outRoot = join(repoRoot, '.tmp', 'e2e-charts');
const zones = ['UTC', 'America/Los_Angeles'] as const;

type Values = Array<Record<string, unknown>>;
const joined = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join('') : (v ?? ''));
const sourceOf = (c: NotebookCell): string => joined(c.source);

function cell(nb: ExecutedNotebook, needle: string): NotebookCell {
  const found = nb.cells.find((c) => c.cell_type === 'code' && sourceOf(c).includes(needle));
  assert.ok(found, `no cell with ${needle}`);
  return found;
}

/** The chart bundle a cell displayed. */
function chartOf(nb: ExecutedNotebook, needle: string): { html: string; spec: Record<string, unknown>; bytes: number } {
  const out = (cell(nb, needle).outputs ?? []).find(
    (o) => o.data?.['text/html'] && joined(o.data['text/html']).includes('csvs-chart'),
  );
  assert.ok(out?.data, `no chart in the cell with ${needle}`);
  const bytes = Object.values(out.data).reduce((sum, v) => sum + Buffer.byteLength(joined(v)), 0);
  return {
    html: joined(out.data['text/html']),
    spec: JSON.parse(joined(out.data['application/vnd.vegalite.v5+json'])),
    bytes,
  };
}

const stdout = (c: NotebookCell): string =>
  (c.outputs ?? [])
    .filter((o) => o.output_type === 'stream')
    .map((o) => joined(o.text))
    .join('');
const titles = (svg: string): string[] => [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1] ?? '');
const valuesOf = (spec: Record<string, unknown>): Values => (spec.data as { values: Values }).values;

/** Seconds each chart cell took, from nbclient's timing metadata. */
function cellSeconds(file: string): Array<[string, number]> {
  const cells = (
    JSON.parse(readFileSync(file, 'utf8')) as {
      cells: Array<NotebookCell & { metadata?: { execution?: Record<string, string> } }>;
    }
  ).cells;
  return cells.flatMap((c) => {
    const e = c.metadata?.execution;
    // tslab sends no execute_input; busy → idle spans the cell, its held chart renders included
    const start = e?.['iopub.status.busy'];
    const end = e?.['iopub.status.idle'];
    if (c.cell_type !== 'code' || !start || !end || !sourceOf(c).includes('chart')) return [];
    return [
      [
        sourceOf(c)
          .split('\n')
          .find((l) => l.includes('chart')) ?? '',
        (Date.parse(end) - Date.parse(start)) / 1000,
      ],
    ];
  });
}

for (const zone of zones) {
  describe(`charts.ipynb under TZ=${zone}`, () => {
    let nb: ExecutedNotebook;
    let browser: Browser;
    let page: Page;
    const outDir = join(outRoot, zone.replace('/', '-'));

    before(async () => {
      ensureBuilt();
      rmSync(outDir, { recursive: true, force: true });
      mkdirSync(outDir, { recursive: true });
      nb = await executeNotebook(notebook, outDir, { env: { TZ: zone } });
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(pathToFileURL(nb.html).href);
    });
    after(async () => {
      await browser?.close();
    });

    it("runs in the zone and reports each chart cell's time and output size", (t) => {
      assert.match(stdout(cell(nb, 'await send(')), new RegExp(`zone ${zone};`));
      for (const [line, seconds] of cellSeconds(nb.file)) t.diagnostic(`${seconds.toFixed(2)} s  ${line.trim()}`);
      for (const needle of [
        'timeUnit: "month"',
        'tooltip: [{ field: "weather" }',
        'chart.histogram(million',
        'color: { field: "group" }',
        'facet: {',
      ]) {
        t.diagnostic(`${chartOf(nb, needle).bytes} bytes  ${needle}`);
      }
      t.diagnostic(`notebook ${statSync(nb.file).size} bytes, HTML ${statSync(nb.html).size} bytes, run ${nb.ms} ms`);
    });

    it('draws January and February 2012 as two month bars, no December', () => {
      assert.match(stdout(cell(nb, 'await send(')), /first date month 0/);
      const { html, spec } = chartOf(nb, 'timeUnit: "month"');
      assert.deepEqual(
        valuesOf(spec).map((r) => r.__count_y),
        [31, 29],
      );
      assert.match(html, />Jan<\/text>.*>Feb<\/text>/s);
      assert.doesNotMatch(html, />Dec<\/text>/);
    });

    it('counts the days of each kind of weather, one bar and one tooltip each', () => {
      const { html, spec, bytes } = chartOf(nb, 'tooltip: [{ field: "weather" }');
      assert.equal(valuesOf(spec).length, 5);
      const tips = titles(html);
      assert.equal(tips.length, 5);
      const counts = tips.map((tip) => Number(/Count of Records: ([\d,]+)/.exec(tip)?.[1]?.replace(',', '')));
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        1461,
      );
      assert.ok(bytes < 30_000, `${bytes} bytes`);
    });

    it('draws a histogram of 1,000,000 rows from its bins, under 30 kB', () => {
      const { html, spec, bytes } = chartOf(nb, 'chart.histogram(million');
      assert.match(html, /aggregated 1,000,000 rows into \d+ before drawing/);
      assert.equal(
        valuesOf(spec).reduce((sum, r) => sum + (r.__count_y as number), 0),
        1_000_000,
      );
      assert.ok(bytes < 30_000, `${bytes} bytes`);
    });

    it('infers quantitative types inside facet + layer', () => {
      const { spec } = chartOf(nb, 'facet: {');
      const layer = (spec.spec as { layer: Array<{ encoding: Record<string, { type?: string }> }> }).layer;
      assert.equal(layer[0]?.encoding.x?.type, 'quantitative');
      assert.equal(layer[0]?.encoding.y?.type, 'quantitative');
    });

    it('names spec mistakes with their path and a suggestion', () => {
      const text = stdout(cell(nb, 'mark: "bars"'));
      assert.match(
        text,
        /CSVS_BAD_ARGUMENT: chart: the spec is not valid vega-lite: mark: "bars" is not one of .* did you mean "bar"\?/,
      );
      assert.match(text, /layer\[0\]\.encoding\.y\.field: "tmp_max" is not a column — did you mean "temp_max"\?/);
      assert.match(text, /encoding\.y\.aggregate: "avg" .* did you mean "average"\?/);
      assert.match(text, /encoding\.y\.type: "quantitive" .* did you mean "quantitative"\?/);
    });

    describe('the HTML export in Chromium', () => {
      it('shows a tooltip on hover: the mark under the mouse has a <title>', async () => {
        const chartIndex = nb.cells
          .filter((c) => c.cell_type === 'code' && /\bchart[.(]/.test(sourceOf(c)))
          .findIndex((c) => sourceOf(c).includes('tooltip: [{ field: "weather" }'));
        const bar = page.locator('.csvs-chart').nth(chartIndex).locator('g.role-mark.marks path').first();
        await bar.hover(); // scrolls it into view and moves the mouse over it
        const box = await bar.boundingBox();
        assert.ok(box && box.height > 0, 'the bar is not drawn');
        const x = box.x + box.width / 2;
        const y = box.y + box.height / 2;
        const tip = await page.evaluate<string | null>(
          `document.elementFromPoint(${x}, ${y})?.querySelector(':scope > title')?.textContent ?? null`,
        );
        assert.match(tip ?? '', /^weather: \w+\nCount of Records: [\d,]+$/);
      });

      it("lists every group in the legend and draws the histogram's bars", async () => {
        const labels = await page
          .locator('.csvs-chart')
          .evaluateAll((charts) =>
            charts.map((c) => [...c.querySelectorAll('g.role-legend-label text')].map((t) => t.textContent)),
          );
        assert.ok(
          labels.some((l) => ['alpha', 'beta', 'delta', 'epsilon', 'gamma'].every((g) => l.includes(g))),
          JSON.stringify(labels),
        );
        const histogram = page.locator('.csvs-chart', { hasText: 'aggregated 1,000,000 rows' });
        const bars = await histogram.locator('g.role-mark.marks path').count();
        assert.ok(bars >= 10, `${bars} bars`);
        const shot = join(outDir, 'histogram.png');
        await histogram.screenshot({ path: shot });
        await page
          .locator('.csvs-chart', { hasText: 'keeping all 5 groups' })
          .screenshot({ path: join(outDir, 'groups.png') });
        assert.ok(statSync(shot).size > 1000);
      });
    });
  });
}
