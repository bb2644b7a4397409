/**
 * test/e2e/notebooks/cells.ipynb through Jupyter and the tslab kernel, under UTC
 * and America/Los_Angeles, then its HTML export in Chromium: what a student sees
 * in a cell (issue 10, sections 3 and 4) — a table as a cell's last value, one
 * rendering of each value in the server's type names, describe(), a chart cell
 * without a blank line, send() without await, errors as `CSVS_CODE: message`
 * and a hint, serve() beside a taken port 8851.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { ensureBuilt, launchChromium } from './browser.js';
import { type ExecutedNotebook, executeNotebook, joined, type NotebookCell, repoRoot } from './jupyter.js';

const notebook = join(repoRoot, 'test', 'e2e', 'notebooks', 'cells.ipynb');
const outDir = join(repoRoot, '.tmp', 'notebook-cells-test');

function cell(nb: ExecutedNotebook, marker: string): NotebookCell {
  const found = nb.cells.find((c) => c.cell_type === 'code' && joined(c.source).includes(marker));
  assert.ok(found, `no cell contains ${marker}`);
  return found;
}

function stream(c: NotebookCell, name: 'stdout' | 'stderr'): string {
  return (c.outputs ?? [])
    .filter((o) => o.output_type === 'stream' && o.name === name)
    .map((o) => joined(o.text))
    .join('');
}

function shown(c: NotebookCell, mime: 'text/plain' | 'text/html'): string[] {
  return (c.outputs ?? []).flatMap((o) => (o.output_type === 'display_data' ? [joined(o.data?.[mime])] : []));
}

for (const zone of ['UTC', 'America/Los_Angeles']) {
  describe(`cells.ipynb (TZ=${zone})`, { timeout: 300_000 }, () => {
    let nb: ExecutedNotebook;
    let browser: Browser | undefined;

    before(async () => {
      ensureBuilt();
      // no CSVSOCKET_PORT: serve() tries 8851 itself, which the notebook takes first
      nb = await executeNotebook(notebook, outDir, {
        allowErrors: true,
        env: { CSVSOCKET_PORT: '', TZ: zone },
        outName: `cells-${zone.replace('/', '-')}`,
      });
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close();
    });

    it('serve() with 8851 taken listens on a free port and says so in its status display', () => {
      const c = cell(nb, 'const server = await serve()');
      assert.equal(stream(c, 'stdout'), '8851 taken: yes; serve() listens on another port: true\n');
      assert.match(
        shown(c, 'text/plain')[0] ?? '',
        /· port 8851 is taken \(another notebook or server\?\): listening on port \d+/,
      );
      assert.equal(stream(c, 'stderr'), '');
    });

    it('a table as the last value draws as show() does, floats with at most 10 digits', () => {
      const c = cell(nb, 'aq.table({ id');
      assert.equal(stream(c, 'stdout'), '');
      const [text] = shown(c, 'text/plain');
      assert.match(text ?? '', /^id +total\ninteger +number\n/m);
      assert.match(text ?? '', /^ +1 +1226$/m);
      assert.match(text ?? '', /^ +2 +0\.3$/m);
      assert.match(shown(c, 'text/html')[0] ?? '', /<td class="csvs-num">1226<\/td>/);
      assert.doesNotMatch(JSON.stringify(c.outputs), /_data: |ColumnTable|Column \{/);
    });

    it("a sent CSV shows the server's types and each value once, as the seed-style printout does", () => {
      const c = cell(nb, 'const scores = await send(');
      const printed = stream(c, 'stdout');
      assert.match(printed, /^Received CSV data!!\n {3}id {2}score {9}day\n0 {3}1 {4}0\.0 {2}2012-01-01\n/);
      const [text] = shown(c, 'text/plain');
      assert.match(text ?? '', /^integer +number +date$/m);
      assert.match(text ?? '', /^ +1 +0\.0 +2012-01-01$/m);
      assert.match(text ?? '', /^ +2 +5\.0 +2012-01-02$/m);
    });

    it('describe() gives type, count, nulls, distinct, min, max and mean per column', () => {
      const c = cell(nb, 'describe(scores)');
      assert.equal(stream(c, 'stdout'), '');
      const [text] = shown(c, 'text/plain');
      assert.match(text ?? '', /^column +type +count +nulls +distinct +min +max +mean +top$/m);
      assert.match(text ?? '', /^score +number +3 +0 +3 +0\.0 +5\.0 +2\.5 +null$/m);
      assert.match(text ?? '', /^day +date +2 +1 +2 +2012-01-01 +2012-01-02 +null +null$/m);
    });

    it('a semicolon-separated file is read as its columns, the delimiter found from the header', () => {
      const c = cell(nb, 'name: "prices"');
      assert.match(stream(c, 'stdout'), /columns: city \| price \| day\n/);
    });

    it('a chart cell holds the chart and no blank stdout line', () => {
      const c = cell(nb, 'chart(scores');
      assert.deepEqual(
        (c.outputs ?? []).map((o) => o.output_type),
        ['display_data'],
      );
      assert.match(shown(c, 'text/html')[0] ?? '', /<svg/);
    });

    it("send() without await prints the original's messages in its own cell", () => {
      const c = cell(nb, 'send("../../../data/students.csv"');
      assert.match(
        stream(c, 'stdout'),
        /^Received CSV data!!\n.*Monish.*\n\nServer confirmation: CSV file received and processed!\n$/s,
      );
    });

    it('a failure nobody awaited is printed in the cell that started it', () => {
      const c = cell(nb, 'void send(');
      assert.match(
        stream(c, 'stderr'),
        /^send\(\) was not awaited, and it failed:\nCSVS_NOT_FOUND: no file "studnets\.csv" in .*\/data .*; did you mean "students\.csv"\?\nhint: /,
      );
    });

    it('an awaited failure prints CSVS_CODE: message and a hint, without a stack or undefined fields', () => {
      const c = cell(nb, 'await send("../../../data/studnets.csv")');
      const text = stream(c, 'stderr');
      assert.match(
        text,
        /^CSVS_NOT_FOUND: no file "studnets\.csv" in .*\/data \(a relative path starts from the current folder; in Jupyter, the notebook’s folder\); did you mean "students\.csv"\?\nhint: .*\n\(err\.stack has the full trace\)\n$/,
      );
      assert.doesNotMatch(text, /undefined|node_modules|\n +at /);
    });

    it('exports to HTML that Chromium shows: the tables, the chart, the errors; no ColumnTable internals', async () => {
      assert.ok(browser);
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(pathToFileURL(nb.html).href);
      const body = (await page.locator('body').textContent()) ?? '';
      assert.match(body, /3 rows × 2 columns/);
      assert.match(body, /1226/);
      assert.match(body, /CSVS_NOT_FOUND: no file "studnets\.csv"/);
      assert.match(body, /port 8851 is taken/);
      assert.doesNotMatch(body, /_data: |ColumnTable/);
      assert.equal(await page.locator('.csvs-chart svg').count(), 1);
      assert.ok((await page.locator('table.csvs-table').count()) >= 3);
      await page.screenshot({ path: join(outDir, `cells-${zone.replace('/', '-')}.png`), fullPage: true });
      await page.close();
    });
  });
}
