import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ColumnTable } from 'arquero';
import { ErrorCode } from '../../../src/errors.js';
import { rejectsWithCode, serverWithClient } from '../../helpers.js';

const MODULES = join(__dirname, '..', '..', '..', 'node_modules');
const dir = mkdtempSync(join(tmpdir(), 'csvsocket-local-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file of many rows, quoted fields and non-ASCII text: cut into pieces, read in 4 MiB chunks. */
function bigFile(): string {
  const rows = ['id,price,name,date,note'];
  for (let i = 0; i < 160_000; i++) {
    const note = i % 7 === 0 ? `"é ""${i}"",\nline"` : i % 5 === 0 ? '' : `n${i}😀`;
    rows.push(`${i},${(i * 1.25).toFixed(2)},w${i % 13},20${10 + (i % 20)}-0${1 + (i % 9)}-1${i % 10},${note}`);
  }
  const path = join(dir, 'big.csv');
  writeFileSync(path, `${rows.join('\r\n')}\r\n`);
  return path;
}

function corpus(): string[] {
  const spectrum = join(MODULES, 'csv-spectrum', 'csvs');
  const vega = join(MODULES, 'vega-datasets', 'data');
  const files = [
    ...readdirSync(spectrum).map((f) => join(spectrum, f)),
    ...readdirSync(vega)
      .filter((f) => f.endsWith('.csv'))
      .map((f) => join(vega, f)),
    join(__dirname, '..', '..', 'data', 'seed', 'students.csv'),
  ];
  const edge: Array<[string, string]> = [
    ['bom', '\uFEFFa,b\n1,x\n'],
    ['value-bom', 'a,b\n"\uFEFFx",1\n'],
    ['leading-zeros', 'zip,n\n00501,9007199254740993\n12345,2\n'],
    ['decimals', 'x,y\n1.50,2.5\n2.00,3\n'],
    ['crlf-blank', 'a,b\r\n1,x\r\n\r\n2,y\r\n'],
    ['lone-cr', 'a,b\r1,é\r2,z\r'],
  ];
  for (const [name, text] of edge) {
    const path = join(dir, `${name}.csv`);
    writeFileSync(path, text);
    files.push(path);
  }
  files.push(bigFile());
  return files;
}

function sameTable(actual: ColumnTable, expected: ColumnTable, message: string): void {
  assert.deepEqual(actual.columnNames(), expected.columnNames(), message);
  for (const name of expected.columnNames()) {
    assert.deepEqual(actual.array(name, Array), expected.array(name, Array), `${message}: column ${name}`);
  }
}

describe('in-process upload of a file path', () => {
  const ctx = serverWithClient();

  it('gives the table an upload of the same bytes over the socket gives, on the whole corpus', async () => {
    const files = corpus();
    assert.ok(files.length >= 40, `expected csv-spectrum, vega-datasets and the edge cases, found ${files.length}`);
    for (const [i, file] of files.entries()) {
      const local = await ctx.client.upload(file, { name: `local-${i}` });
      // the server read the file itself and handed over the very table it stored
      assert.equal(local.table, ctx.server.table(`local-${i}`), `${file}: not the in-process path`);
      const wire = await ctx.client.upload(readFileSync(file), { name: `wire-${i}` });
      assert.notEqual(wire.table, ctx.server.table(`wire-${i}`));
      const { name: _a, ms: _b, stored: _c, ...localSummary } = local.summary;
      const { name: _d, ms: _e, stored: _f, ...wireSummary } = wire.summary;
      assert.deepEqual(localSummary, wireSummary, file);
      sameTable(local.table, wire.table, file);
    }
  });

  it('reads a file larger than its window of shared buffers (reused while it streams) as the socket does', async () => {
    // 40 MB: more than the 24 MiB of buffers in flight, so buffers come back and are refilled
    const rows: string[] = ['id,x,t'];
    for (let i = 0; i < 1_400_000; i++) rows.push(`${i},${(i % 977) / 4},${i % 11 === 0 ? `"q,${i}"` : `t${i}`}`);
    const path = join(dir, 'window.csv');
    writeFileSync(path, `${rows.join('\n')}\n`);
    const local = await ctx.client.upload(path, { name: 'window-local' });
    assert.equal(local.table, ctx.server.table('window-local'));
    const wire = await ctx.client.upload(readFileSync(path), { name: 'window-wire' });
    assert.equal(local.summary.rows, 1_400_000);
    sameTable(local.table, wire.table, 'window.csv');
  });

  it('rejects a bad row with the line an upload over the socket reports', async () => {
    const path = join(dir, 'ragged.csv');
    writeFileSync(path, `a,b\n${'1,2\n'.repeat(300_000)}3\n`);
    const local = await rejectsWithCode(ctx.client.send(path, { name: 'ragged' }), ErrorCode.PARSE_RAGGED_ROW);
    const wire = await rejectsWithCode(
      ctx.client.send(readFileSync(path), { name: 'ragged' }),
      ErrorCode.PARSE_RAGGED_ROW,
    );
    assert.equal(local.message, wire.message);
    assert.match(local.message, /line 300002 has 1 field/);
  });
});
