import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { connect } from '../../src/client/client.js';
import { isNotebook } from '../../src/notebook/kernel.js';
import { createProgressDisplay, createStatusDisplay } from '../../src/notebook/status.js';
import {
  describe as describeTable,
  formatTable,
  rememberColumns,
  show,
  tableToHTML,
} from '../../src/notebook/table.js';
import { startServer } from '../../src/server/server.js';
import { formatHead } from '../../src/text.js';
import { ensureSelfLink, repoRoot } from '../e2e/jupyter.js';
import { rejectsWithCode } from '../helpers.js';

const evil = '<img src=x onerror=alert(1)>';

describe('tableToHTML', () => {
  it('states the shape and the column types', () => {
    const html = tableToHTML(
      aq.table({
        id: [1, 2, 3],
        name: ['a', 'b', 'c'],
        ok: [true, false, true],
        when: [new Date('2020-01-01'), null, null],
        x: [0.5, 1, 2],
      }),
    );
    assert.match(html, /3 rows × 5 columns/);
    for (const type of ['integer', 'number', 'string', 'boolean', 'date'])
      assert.match(html, new RegExp(`<small>${type}</small>`));
  });

  it('escapes every column name and every value', () => {
    const html = tableToHTML(aq.table({ [evil]: ['<script>alert(2)</script>', 'a & "b"'] }));
    assert.ok(!html.includes('<img'), 'raw <img> in output');
    assert.ok(!html.includes('<script>'), 'raw <script> in output');
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(html, /&lt;script&gt;alert\(2\)&lt;\/script&gt;/);
    assert.match(html, /a &amp; &quot;b&quot;/);
  });

  it('cuts at 20 rows by default and says what it cut', () => {
    const html = tableToHTML(aq.table({ i: Array.from({ length: 1000 }, (_, i) => i) }));
    assert.match(html, /1,000 rows × 1 column/);
    assert.match(html, /showing 20 of 1,000 rows/);
    assert.equal(html.match(/<tr>/g)?.length, 21); // header + 20 rows
  });

  it('honours options.limit and says nothing when nothing is cut', () => {
    const table = aq.table({ i: [1, 2, 3] });
    assert.equal(tableToHTML(table, { limit: 2 }).match(/<tr>/g)?.length, 3);
    assert.doesNotMatch(tableToHTML(table), /showing/);
  });

  it('shows Dates as ISO dates and null distinctly', () => {
    const html = tableToHTML(aq.table({ d: [new Date('2021-03-04'), new Date('2021-03-04T05:06:07Z'), null] }));
    assert.match(html, /<td>2021-03-04<\/td>/);
    assert.match(html, /2021-03-04T05:06:07.000Z/);
    assert.match(html, /<td class="csvs-null">null<\/td>/);
  });

  it('follows the order and filter of the table', () => {
    const table = aq
      .table({ n: [3, 1, 2] })
      .orderby('n')
      .filter((d: { n: number }) => d.n > 1);
    const html = tableToHTML(table);
    assert.match(html, /2 rows × 1 column/);
    assert.ok(html.indexOf('>2<') < html.indexOf('>3<'));
  });

  it('rejects what is not a table', async () => {
    await rejectsWithCode(() => tableToHTML({} as never), 'CSVS_BAD_ARGUMENT', /expects an arquero table/);
    await rejectsWithCode(() => tableToHTML(aq.table({ a: [1] }), { limit: -1 }), 'CSVS_BAD_ARGUMENT', /limit/);
  });
});

describe('formatTable', () => {
  it('prints shape, header, types and right-aligned numbers', () => {
    const text = formatTable(aq.table({ name: ['Monish', 'Floofy'], grade: [9, 10] }));
    assert.equal(
      text,
      [
        '2 rows × 2 columns',
        'name    grade',
        'string  integer',
        '──────  ───────',
        'Monish        9',
        'Floofy       10',
      ].join('\n'),
    );
  });

  it('says what it cut', () => {
    const text = formatTable(aq.table({ i: Array.from({ length: 50 }, (_, i) => i) }), { limit: 3 });
    assert.match(text, /… showing 3 of 50 rows$/);
    assert.equal(text.split('\n').length, 1 + 3 + 3 + 1);
  });

  it('shows null, dates and one line per row', () => {
    const text = formatTable(aq.table({ s: ['a\nb', null], d: [new Date('2020-01-02'), null] }));
    assert.match(text, /a↵b +2020-01-02/);
    assert.match(text, /^null +null$/m);
  });
});

describe('values and types', () => {
  it('shows a computed float with at most 10 significant digits and keeps the stored value', () => {
    const table = aq.table({ total: [1225.9999999999989, 0.1 + 0.2, 1 / 3, 1e21, -2.5e-9] });
    const text = formatTable(table);
    assert.match(text, /^ +1226$/m);
    assert.match(text, /^ +0\.3$/m);
    assert.match(text, /^ *0\.3333333333$/m);
    assert.match(text, /^ +1e\+21$/m);
    assert.match(text, /^ +-2\.5e-9$/m);
    assert.equal(table.get('total', 0), 1225.9999999999989);
    assert.match(tableToHTML(table), /<td class="csvs-num">1226<\/td>/);
  });

  it('names column types as the server does (integer, number) and writes values as the server sent them', async (t) => {
    const server = await startServer({ port: 0 });
    t.after(() => server.close());
    const client = await connect(server.url);
    t.after(() => client.close());
    const { table, summary } = await client.upload('id,score,name\n1,0.0,a\n2,5.0,b\n3,2.5,c\n', { name: 'scores' });
    rememberColumns(table, summary.columns);
    assert.deepEqual(
      summary.columns.map((c) => c.type),
      ['integer', 'number', 'string'],
    );
    const text = formatTable(table);
    assert.match(text, /^id +score +name$/m);
    assert.match(text, /^integer +number +string$/m);
    // the seed-style printout shows 0.0 and 5.0; so does the table, and its filtered views
    assert.match(text, /^ +1 +0\.0 +a$/m);
    assert.match(formatHead(summary), / 0\.0 /);
    assert.match(formatTable(table.filter((d: { id: number }) => d.id > 1)), /^ +2 +5\.0 +b$/m);
  });
});

describe('describe', () => {
  it('gives type, count, nulls, distinct, min/max/mean for numbers and top values for text', () => {
    const table = aq.table({
      n: [1, 2, 3, null, 4],
      x: [0.1, 0.2, 0.30000000000000004, 0.4, 0.5],
      s: ['a', 'b', 'a', null, 'a'],
    });
    const summary = describeTable(table);
    assert.deepEqual(summary.columnNames(), [
      'column',
      'type',
      'count',
      'nulls',
      'distinct',
      'min',
      'max',
      'mean',
      'top',
    ]);
    assert.deepEqual(summary.objects(), [
      { column: 'n', type: 'integer', count: 4, nulls: 1, distinct: 4, min: '1', max: '4', mean: 2.5, top: null },
      { column: 'x', type: 'number', count: 5, nulls: 0, distinct: 5, min: '0.1', max: '0.5', mean: 0.3, top: null },
      {
        column: 's',
        type: 'string',
        count: 4,
        nulls: 1,
        distinct: 2,
        min: null,
        max: null,
        mean: null,
        top: 'a (3), b (1)',
      },
    ]);
  });

  it('show(table, { summary: true }) shows the summary, every column', (t) => {
    const logs: unknown[] = [];
    t.mock.method(console, 'log', (line: unknown) => logs.push(line));
    show(aq.table(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`c${i}`, [i]]))), { summary: true });
    assert.match(String(logs[0]), /^summary · 30 rows × 9 columns/);
    assert.match(String(logs[0]), /^c29 +integer +1 +0 +1 +29 +29 +29 +null$/m);
  });

  it('rejects what is not a table, naming a forgotten await', () => {
    assert.throws(() => describeTable(Promise.resolve() as never), {
      name: 'ArgumentError',
      code: 'CSVS_BAD_ARGUMENT',
      message: 'describe(table) expects an arquero table, got a Promise (add await)',
    });
  });
});

describe('outside a notebook', () => {
  it('is not a notebook', () => {
    assert.equal(isNotebook(), false);
  });

  it('show() prints the text table', (t) => {
    const logs: unknown[] = [];
    t.mock.method(console, 'log', (...args: unknown[]) => logs.push(...args));
    show(aq.table({ x: [1] }));
    assert.deepEqual(logs, [formatTable(aq.table({ x: [1] }))]);
  });

  it('status and progress displays are silent no-ops', (t) => {
    const writes: unknown[] = [];
    t.mock.method(process.stdout, 'write', (chunk: unknown) => writes.push(chunk) > 0);
    const status = createStatusDisplay();
    status.update({
      url: 'ws://localhost:8851',
      clients: 1,
      datasets: [{ name: 'a', rows: 1, columns: 1 }],
      events: ['x'],
    });
    status.attach();
    const progress = createProgressDisplay('file.csv', 100);
    progress.update(50);
    progress.done();
    assert.deepEqual(writes, []);
  });
});

describe('the package under tslab', () => {
  it("compiles a user's cell against dist/*.d.ts with tslab's TypeScript 5.0 (Node10 resolution)", () => {
    ensureSelfLink();
    const dir = join(repoRoot, '.tmp', 'ts50');
    mkdirSync(dir, { recursive: true });
    const cell = join(dir, 'cell.ts');
    writeFileSync(
      cell,
      [
        'import { serve, send, show, chart, connect, type CsvServer } from "csvsocket";',
        'async function main(): Promise<void> {',
        '  const server: CsvServer = await serve();',
        '  const students = await send("../data/students.csv");',
        '  show(students.filter((d: { name: string }) => d.name === "Floofy"));',
        '  show(students.orderby("grade"));',
        '  chart(students.groupby("grade").count(),',
        '    { mark: "bar", encoding: { x: { field: "grade" }, y: { field: "count", type: "quantitative" } } });',
        '  await chart.histogram(students, "age");',
        '  show(await server.next({ timeout: 60_000 }));',
        '  const [a, b] = await server.waitFor(["a", "b"], { timeout: 1000 });',
        '  show(a ?? b!);',
        '  await (await connect(server.url)).close();',
        '  await server.close();',
        '}',
        'void main();',
      ].join('\n'),
    );
    const tsc = join(repoRoot, 'node_modules', '@tslab', 'typescript-for-tslab', 'bin', 'tsc');
    // tslab's own options (converter.js), with library checking on: the package's .d.ts must compile
    const args = [tsc, '--noEmit', '--strict', '--listFiles', '--module', 'esnext', '--moduleResolution', 'node'];
    args.push('--target', 'es2022', '--lib', 'es2022', '--esModuleInterop', '--types', 'node', cell);
    const result = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });
    const lines = result.stdout.split('\n');
    assert.ok(
      lines.some((l) => l.endsWith(join('dist', 'index.d.ts'))),
      `tsc did not load dist/index.d.ts:\n${result.stdout}`,
    );
    // arquero's and flechette's own .d.ts need TypeScript ≥ 5.7 (generic typed arrays); tslab skips lib checks
    const ours = lines.filter((l) => /error TS\d+/.test(l) && !/^node_modules\/(?!csvsocket\/)/.test(l));
    assert.deepEqual(ours, []);
  });
});
