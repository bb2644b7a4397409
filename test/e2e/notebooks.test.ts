/**
 * Every notebook in notebooks/ runs end to end through Jupyter (nbconvert) and
 * the repo's tslab kernel, exactly as a user's would: `import … from "csvsocket"`
 * resolves to the built package (dist/). The recorded outputs are checked, then
 * the exported HTML is opened in headless Chromium, where the charts must be
 * drawn (pixels, not markup) and the tables visible.
 *
 * Needs Debian's jupyter-nbconvert, python3-nbclient, python3-ipykernel and
 * chromium (see .ci/run).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
  type NotebookOutput,
  repoRoot,
} from './jupyter.js';

const notebooksDir = join(repoRoot, 'notebooks');
const outDir = join(repoRoot, '.tmp', 'notebooks-test');

function outputs(nb: { cells: NotebookCell[] }): NotebookOutput[] {
  return nb.cells.flatMap((cell) => cell.outputs ?? []);
}

function stdout(c: NotebookCell): string {
  return (c.outputs ?? [])
    .filter((o) => o.output_type === 'stream' && o.name === 'stdout')
    .map((o) => joined(o.text))
    .join('');
}

function displays(c: NotebookCell): string[] {
  return (c.outputs ?? []).flatMap((o) => (o.output_type === 'display_data' ? [joined(o.data?.['text/html'])] : []));
}

/**
 * What the original's server printed for data/students.csv: its messages and
 * pandas' own text of the first five rows (Debian's python3-pandas, as the seed used).
 */
function seedOutput(): string {
  const head = execFileSync(
    '/usr/bin/python3',
    ['-c', 'import pandas as pd, sys; print(pd.read_csv(sys.argv[1]).head())', join(repoRoot, 'data', 'students.csv')],
    { encoding: 'utf8' },
  );
  return `Received CSV data!!\n${head}\nServer confirmation: CSV file received and processed!\n`;
}

function htmlOutputs(nb: { cells: NotebookCell[] }): string[] {
  return outputs(nb).flatMap((o) => (o.data?.['text/html'] ? [joined(o.data['text/html'])] : []));
}

/** The first code cell whose source contains `marker`. */
function cell(nb: { cells: NotebookCell[] }, marker: string): NotebookCell {
  const found = nb.cells.find((c) => c.cell_type === 'code' && joined(c.source).includes(marker));
  assert.ok(found, `no cell contains ${marker}`);
  return found;
}

function assertClean(nb: ExecutedNotebook): void {
  for (const [i, c] of nb.cells.entries()) {
    for (const o of c.outputs ?? []) {
      assert.notEqual(o.output_type, 'error', `cell ${i}: ${o.ename}: ${o.evalue}`);
      assert.ok(!(o.output_type === 'stream' && o.name === 'stderr'), `cell ${i} wrote to stderr: ${joined(o.text)}`);
      assert.doesNotMatch(joined(o.data?.['text/plain']), /chart failed|rendering…/, `cell ${i}`);
    }
  }
}

describe('notebooks', { timeout: 600_000 }, () => {
  const executed = new Map<string, ExecutedNotebook>();
  let browser: Browser | undefined;

  before(async () => {
    ensureBuilt();
    const files = readdirSync(notebooksDir).filter((f) => f.endsWith('.ipynb'));
    assert.ok(files.length > 0, 'no notebooks');
    for (const file of files) executed.set(file, await executeNotebook(join(notebooksDir, file), outDir));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  it('execute every notebook without errors', () => {
    // nbconvert itself fails on a cell whose execute_reply is an error; tslab
    // records no execution_count, so the outputs are what shows a cell ran.
    for (const nb of executed.values()) assertClean(nb);
  });

  describe('display.ipynb', () => {
    const nb = (): ExecutedNotebook => {
      const found = executed.get('display.ipynb');
      assert.ok(found);
      return found;
    };

    it('shows tables with shape, types, limits and escaping', () => {
      const html = htmlOutputs(nb());
      assert.ok(
        html.some(
          (h) =>
            h.includes('4 rows × 4 columns') &&
            h.includes('<small>date</small>') &&
            h.includes('&lt;b&gt;Oslo&lt;/b&gt;'),
        ),
      );
      assert.ok(html.some((h) => h.includes('showing 5 of 1,000 rows')));
      const evil = html.find((h) => h.includes('onerror'));
      assert.ok(evil?.includes('&lt;img src=x onerror=alert(1)&gt;'));
      assert.ok(!html.some((h) => h.includes('<img') || h.includes('<script')), 'unescaped markup in a table');
    });

    it('puts a chart the cell did not await into that cell, as one bundle', () => {
      const outs = cell(nb(), 'chart(students, spec)').outputs ?? [];
      const bundle = outs.find((o) => o.output_type === 'display_data');
      assert.ok(bundle?.data, 'no display in the chart cell');
      assert.match(joined(bundle.data['text/html']), /<div class="csvs-chart"><svg [\s\S]*role-mark/);
      const spec = JSON.parse(joined(bundle.data['application/vnd.vegalite.v5+json'])) as {
        mark: string;
        data: { values: unknown[] };
      };
      assert.equal(spec.mark, 'bar');
      assert.equal(spec.data.values.length, 4);
      assert.match(joined(bundle.data['text/plain']), /^chart: bar \(x=name, y=grade\), 4 rows/);
    });

    it('aggregates a large histogram with a visible note', () => {
      const bundle = (cell(nb(), 'chart.histogram').outputs ?? []).find((o) => o.output_type === 'display_data');
      assert.match(joined(bundle?.data?.['text/html']), /aggregated 20,000 rows into \d+/);
    });
  });

  it('weather.ipynb sends seattle-weather.csv through the server and shows five charts', () => {
    const nb = executed.get('weather.ipynb');
    assert.ok(nb);
    const sendCell = cell(nb, 'await send(');
    assert.match(
      stdout(sendCell),
      /^Received CSV data!!\n\s+date\s+precipitation\s+temp_max\s+temp_min\s+wind\s+weather\n0 {2}2012-01-01 /,
    );
    assert.match(stdout(sendCell), /\nServer confirmation: CSV file received and processed!\n$/);
    const html = htmlOutputs(nb);
    assert.ok(html.some((h) => h.includes('1,461 rows × 6 columns') && h.includes('showing 5 of 1,461 rows')));
    assert.ok(
      html.some((h) => h.includes('<small>date</small>')),
      'the date column is typed as dates',
    );
    assert.equal(html.filter((h) => h.includes('class="csvs-chart"')).length, 5);
  });

  describe('students.ipynb', () => {
    const nb = (): ExecutedNotebook => {
      const found = executed.get('students.ipynb');
      assert.ok(found);
      return found;
    };

    it('holds one status display in the serve cell: URL with a masked token, clients, datasets', () => {
      const serveCell = cell(nb(), 'await serve()');
      const shown = displays(serveCell);
      assert.equal(serveCell.outputs?.length, 1, 'the serve cell has exactly one output');
      assert.match(shown[0] ?? '', new RegExp(`ws://127\\.0\\.0\\.1:${nb().port}/\\?token=${nb().token.slice(0, 4)}…`));
      // a report shared with a class must not hand out the token of a running server
      assert.ok(!readFileSync(nb().file, 'utf8').includes(nb().token), 'the token is in the saved notebook');
      assert.ok(!readFileSync(nb().html, 'utf8').includes(nb().token), 'the token is in the exported HTML');
      assert.match(shown[0] ?? '', /clients: 1 · datasets: 1/);
      assert.match(shown[0] ?? '', /<code>students<\/code> — 10 rows × 4 columns/);
      for (const c of nb().cells.filter((c) => c !== serveCell))
        assert.ok(!displays(c).some((h) => h.includes('csvs-status')), 'a status display outside the serve cell');
    });

    it("send() prints the original's messages and the first five rows", () => {
      assert.equal(stdout(cell(nb(), 'await send("../data/students.csv")')), seedOutput());
    });

    it('finds Floofy, sorts by grade and charts the grade counts', () => {
      const [floofy] = displays(cell(nb(), 'd.name === "Floofy"'));
      assert.match(floofy ?? '', /1 row × 4 columns/);
      assert.match(floofy ?? '', /<td>Floofy<\/td>/);
      const [sorted] = displays(cell(nb(), 'orderby("grade")'));
      assert.match(sorted ?? '', /10 rows × 4 columns/);
      const grades = [...(sorted ?? '').matchAll(/<td>([ABC])<\/td><\/tr>/g)].map((m) => m[1]);
      assert.deepEqual(grades, ['A', 'A', 'A', 'A', 'A', 'A', 'B', 'B', 'B', 'C']);
      const bundle = (cell(nb(), 'groupby("grade").count()').outputs ?? []).find(
        (o) => o.output_type === 'display_data',
      );
      assert.match(joined(bundle?.data?.['text/html']), /<div class="csvs-chart"><svg [\s\S]*role-mark/);
      const spec = JSON.parse(joined(bundle?.data?.['application/vnd.vegalite.v5+json'])) as {
        data: { values: unknown[] };
      };
      assert.deepEqual(spec.data.values, [
        { grade: 'A', count: 6 },
        { grade: 'B', count: 3 },
        { grade: 'C', count: 1 },
      ]);
    });
  });

  describe('inbox.ipynb (data from another process)', () => {
    const nb = (): ExecutedNotebook => {
      const found = executed.get('inbox.ipynb');
      assert.ok(found);
      return found;
    };

    it('another process sent two files while the notebook waited', () => {
      assert.deepEqual(
        nb().sent.map((s) => s.name),
        ['students', 'weather'],
      );
      for (const s of nb().sent) assert.match(s.stdout, /Server confirmation: CSV file received and processed!/);
    });

    it('server.next() returns the first dataset to arrive, in the report', () => {
      const shown = displays(cell(nb(), 'await server.next({ timeout'));
      assert.ok(
        shown.some((h) => h.includes('the first dataset to arrive · 10 rows × 4 columns') && h.includes('Monish')),
      );
    });

    it('waitFor(names) returns the named datasets; a wait times out with CSVS_TIMEOUT', () => {
      const shown = displays(cell(nb(), 'server.waitFor('));
      assert.ok(shown.some((h) => h.includes('1,461 rows × 6 columns')));
      assert.ok(shown.some((h) => h.includes('class="csvs-chart"')));
      assert.equal(stdout(cell(nb(), 'never-sent')), 'CSVS_TIMEOUT\n');
    });

    it('the status display counts the clients and datasets, updated in place', () => {
      const serveCell = cell(nb(), 'await serve()');
      const status = displays(serveCell).filter((h) => h.includes('csvs-status'));
      assert.equal(status.length, 1);
      assert.match(status[0] ?? '', /datasets: 3/);
      assert.match(status[0] ?? '', /<code>weather<\/code> — 1,461 rows × 6 columns/);
      assert.match(status[0] ?? '', /client 2 disconnected/);
    });

    it('a file over 4 MB shows a progress bar that ends at 100%', () => {
      const [progress] = displays(cell(nb(), 'await send(big'));
      assert.match(progress ?? '', /Uploading big.*100% \(5\.\d MB of 5\.\d MB\) ✓/);
      assert.match(stdout(cell(nb(), 'await send(big')), /^Received CSV data!!\n/);
    });
  });

  it('frees the port when the kernel shuts down', async () => {
    for (const [file, nb] of executed) assert.equal(await isListening(nb.port), false, `${file}: port ${nb.port}`);
  });

  it('draws every chart and shows every table in the exported HTML (Chromium)', async () => {
    assert.ok(browser);
    for (const [file, nb] of executed) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      // The export links CDNs (require.js, MathJax); a test must not depend on the network.
      await page.route('**/*', (route) =>
        route.request().url().startsWith('file:') ? route.continue() : route.abort(),
      );
      await page.goto(pathToFileURL(nb.html).href, { waitUntil: 'domcontentloaded' });
      const charts = page.locator('.csvs-chart svg');
      const expected = htmlOutputs(nb).filter((h) => h.includes('class="csvs-chart"')).length;
      assert.equal(await charts.count(), expected, `${file}: charts in the HTML`);
      for (let i = 0; i < expected; i++) {
        const png = await charts.nth(i).screenshot();
        const inked = await countInkedPixels(browser, png);
        assert.ok(inked.ratio > 0.01, `${file}: chart ${i} is blank (${inked.count} of ${inked.total} pixels drawn)`);
      }
      const tables = page.locator('table.csvs-table');
      assert.equal(
        await tables.count(),
        htmlOutputs(nb).filter((h) => h.includes('class="csvs-table"')).length,
        `${file}: tables`,
      );
      for (let i = 0; i < (await tables.count()); i++)
        assert.ok(await tables.nth(i).isVisible(), `${file}: table ${i} hidden`);
      if (file === 'display.ipynb') {
        assert.ok(await page.getByText('Monish').first().isVisible());
        const header = page.locator('th', { hasText: '<img src=x onerror=alert(1)>' });
        assert.ok(await header.first().isVisible(), 'the hostile header is not shown as text');
        assert.equal(await page.locator('.csvs img').count(), 0, 'an <img> was injected');
      }
      assert.deepEqual(dialogs, [], `${file}: a script ran`);
      await page.close();
    }
  });
});

describe('students.ipynb run twice in one kernel', { timeout: 600_000 }, () => {
  let twice: ExecutedTwice | undefined;

  before(async () => {
    ensureBuilt();
    twice = await executeTwice(join(notebooksDir, 'students.ipynb'), outDir);
  });

  it('runs every cell again without an error, and the serve cell returns the same server', () => {
    assert.ok(twice);
    const all = JSON.stringify(twice.runs);
    assert.doesNotMatch(all, /EADDRINUSE|ADDRESS_IN_USE|"output_type": ?"error"/);
    const [first, second] = twice.runs;
    const serveIndex = twice.cells.findIndex((c) => joined(c.source).includes('await serve()'));
    const url = (outs: NotebookOutput[][]) => {
      const status = outs[serveIndex] ?? [];
      assert.equal(status.length, 1, 'one status display in the serve cell');
      return /ws:\/\/[^<\s]+/.exec(joined(status[0]?.data?.['text/plain']))?.[0];
    };
    assert.equal(url(second), url(first));
    assert.match(url(first) ?? '', new RegExp(`:${twice.port}/\\?token=`));
  });

  it('produces the same outputs in every other cell', () => {
    assert.ok(twice);
    const [first, second] = twice.runs;
    for (const [i, c] of twice.cells.entries()) {
      // the imports' cell prints nothing; the serve cell's status display differs by design
      if (c.cell_type !== 'code' || joined(c.source).includes('await serve()') || /^import /.test(joined(c.source)))
        continue;
      assert.deepEqual(second[i], first[i], `cell ${i}: ${joined(c.source).split('\n')[0]}`);
      assert.ok((first[i] ?? []).length > 0, `cell ${i} has no output`);
    }
  });

  it('frees the port when the kernel shuts down', async () => {
    assert.ok(twice);
    assert.equal(await isListening(twice.port), false);
  });
});
