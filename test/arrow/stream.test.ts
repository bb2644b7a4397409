import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Table, tableFromIPC } from '@uwdata/flechette';
import * as aq from 'arquero';
import { localizeArrow, withRawNames } from '../../src/arrow/edges.js';
import { columnsToIPC, pieceColumns, tableFromArrowIPC, tableToArrowIPC } from '../../src/arrow/ipc.js';
import { FlatBuffer, readFlatArrow } from '../../src/arrow/read.js';
import { writeArrowStream } from '../../src/arrow/write.js';
import { parseCSV, Utf8Column } from '../../src/csv/index.js';
import { ArrowColumn } from '../../src/csv/layout.js';
import { edgeCases } from '../csv/corpus.js';
import { sameTable } from '../helpers.js';

const MODULES = join(__dirname, '..', '..', 'node_modules');
const B = '\ufeff';

/** Every CSV of the edge corpus, csv-spectrum and vega-datasets that parses, with its name. */
function corpus(): Array<[string, ReturnType<typeof parseCSV>]> {
  const out: Array<[string, ReturnType<typeof parseCSV>]> = [];
  for (const c of edgeCases()) if (!c.error) out.push([c.file, parseCSV(c.bytes, c.options)]);
  const spectrum = join(MODULES, 'csv-spectrum', 'csvs');
  for (const f of readdirSync(spectrum)) out.push([f, parseCSV(readFileSync(join(spectrum, f)))]);
  const vega = join(MODULES, 'vega-datasets', 'data');
  for (const f of readdirSync(vega).filter((name) => name.endsWith('.csv')))
    out.push([f, parseCSV(readFileSync(join(vega, f)))]);
  out.push([
    'a date format with a time',
    parseCSV('t\n2010-01-01T01:00:00\n\n', { types: { t: 'date:%Y-%m-%dT%H:%M:%S' } }),
  ]);
  out.push(['no rows', parseCSV('a,b\n')]);
  out.push(['U+FEFF', parseCSV(`${B}${B}a,${B},c\n"${B}x",${B}y,z\n`)]);
  return out;
}

/**
 * The stream writeArrowStream writes for `parsed` (its columns in the parse
 * workers' layouts, as columnsToIPC is given them), and the one flechette's
 * writer makes of the same values; null for a table without rows.
 */
function streams(parsed: ReturnType<typeof parseCSV>): { ours: Uint8Array; flechettes: Uint8Array } | null {
  const flechettes = columnsToIPC(parsed);
  const layout = pieceColumns(flechettes);
  if (layout === null) return null;
  return { ours: columnsToIPC({ columns: parsed.columns, values: layout as never }), flechettes };
}

/** What flechette's decoder (and this project's fixes to it) make of the same bytes. */
function flechetteTable(bytes: Uint8Array): Table {
  return localizeArrow(withRawNames(tableFromIPC(bytes, { useDate: true }), bytes));
}

const plain = (v: unknown) => (v instanceof Date ? `date ${v.getTime()}` : v);

/** The same fields, types, lengths, null counts and values, by `at` and by `toArray`. */
function sameArrow(actual: Table, expected: Table, message: string): void {
  const fields = (t: Table) => t.schema.fields.map((f) => [f.name, f.type.typeId, f.nullable]);
  assert.deepEqual(fields(actual), fields(expected), `${message}: fields`);
  expected.children.forEach((column, i) => {
    const mine = actual.children[i];
    assert.ok(mine, message);
    assert.deepEqual([mine.length, mine.nullCount], [column.length, column.nullCount], `${message}: column ${i}`);
    const values = (c: typeof column) => Array.from({ length: c.length }, (_, r) => plain(c.at(r)));
    assert.deepEqual(values(mine), values(column), `${message}: column ${i} by at()`);
    assert.deepEqual(Array.from(mine.toArray(), plain), Array.from(column.toArray(), plain), `${message}: toArray`);
  });
}

/** The stream's messages: each metadata size and body start, checking the framing as an Arrow reader would. */
function messages(bytes: Uint8Array): Array<{ metadata: number; body: number }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Array<{ metadata: number; body: number }> = [];
  let at = 0;
  for (;;) {
    assert.equal(view.getInt32(at, true), -1, 'continuation marker');
    const size = view.getInt32(at + 4, true);
    if (size === 0) break;
    out.push({ metadata: size, body: at + 8 + size });
    const message = at + 8 + view.getUint32(at + 8, true);
    const vtable = message - view.getInt32(message, true);
    // bodyLength is field 3; a vtable too short for it says 0
    const bodyAt = view.getUint16(vtable, true) > 10 ? view.getUint16(vtable + 10, true) : 0;
    const bodyLength = bodyAt === 0 ? 0 : Number(view.getBigInt64(message + bodyAt, true));
    at += 8 + size + bodyLength;
  }
  assert.equal(at + 8, bytes.byteLength, 'the end marker ends the stream');
  return out;
}

describe('writeArrowStream (columnsToIPC of layout columns)', () => {
  it('writes streams flechette reads as it reads its own, on the whole corpus', () => {
    const cases = corpus();
    assert.ok(cases.length >= 50, `expected the edge corpus, csv-spectrum and vega-datasets, found ${cases.length}`);
    let written = 0;
    for (const [name, parsed] of cases) {
      const pair = streams(parsed);
      if (pair === null) continue;
      written++;
      assert.notDeepEqual(pair.ours, pair.flechettes, `${name}: written here, not by flechette`);
      for (const m of messages(pair.ours)) {
        assert.equal(m.metadata % 8, 0, `${name}: metadata padded to 8 bytes`);
        assert.equal(m.body % 8, 0, `${name}: body 8-byte aligned`);
      }
      sameArrow(flechetteTable(pair.ours), flechetteTable(pair.flechettes), name);
      sameTable(aq.fromArrow(flechetteTable(pair.ours) as never), parsed, name);
    }
    assert.ok(written >= 45, `${written} tables written`);
  });

  it('writes a table without rows', () => {
    const bytes = writeArrowStream(
      [
        { name: 'n', column: new ArrowColumn('float64', new Float64Array(0), undefined, 0, 0) },
        { name: 's', column: new Utf8Column(new Uint8Array(0), new Int32Array([0]), undefined, 0, 0) },
      ],
      0,
    );
    assert.deepEqual(
      flechetteTable(bytes).schema.fields.map((f) => f.name),
      ['n', 's'],
    );
    assert.equal(tableFromArrowIPC(bytes).numRows(), 0);
    assert.equal(readFlatArrow([bytes])?.numRows, 0);
  });

  it('writes into shared memory when asked', () => {
    const bytes = columnsToIPC(parseCSV('a\n1\n'), { shared: true });
    assert.ok(bytes.buffer instanceof SharedArrayBuffer);
    sameTable(tableFromArrowIPC(bytes), parseCSV('a\n1\n'));
  });

  it('writes text whose offsets do not start at 0, and values longer than the rows', () => {
    const text = new Utf8Column(new TextEncoder().encode('abcdéf'), new Int32Array([3, 4, 7]), undefined, 0, 2);
    const numbers = new ArrowColumn('float64', new Float64Array([1.5, -0, 99]), undefined, 0, 2);
    const days = new ArrowColumn('date', new Int32Array([0, -1]), new Uint8Array([0b10]), 1, 2);
    const bytes = writeArrowStream(
      [
        { name: 's', column: text },
        { name: 'n', column: numbers },
        { name: 'd', column: days },
      ],
      2,
    );
    const table = tableFromArrowIPC(bytes);
    assert.deepEqual(table.array('s', Array), ['d', 'éf']);
    assert.deepEqual(
      Array.from(table.array('n', Array) as number[], (v) => (Object.is(v, -0) ? '-0' : v)),
      [1.5, '-0'],
    );
    assert.deepEqual(
      (table.array('d', Array) as Array<Date | null>).map((d) => d && [d.getFullYear(), d.getMonth(), d.getDate()]),
      [null, [1969, 11, 31]],
    );
    assert.throws(() => writeArrowStream([{ name: 'n', column: numbers }], 3), /different lengths/);
  });
});

describe('readFlatArrow (tableFromArrowIPC of the server’s tables)', () => {
  it('reads what flechette reads, value for value, on the whole corpus', () => {
    for (const [name, parsed] of corpus()) {
      const pair = streams(parsed);
      // flechette's own streams and this module's
      for (const bytes of pair ? [pair.ours, pair.flechettes] : [columnsToIPC(parsed)]) {
        const mine = readFlatArrow([bytes]);
        assert.ok(mine, `${name}: a flat table`);
        sameArrow(mine, flechetteTable(bytes), name);
        sameTable(tableFromArrowIPC(bytes), parsed, name);
      }
    }
  });

  it('reads the streams of a parallel parse as one table', () => {
    const pieces = ['n,s,d\n1,a,2012-01-01\n2,"b,c",\n', 'n,s,d\n3,,2012-02-29\n'].map((t) =>
      columnsToIPC(parseCSV(t), { shared: true }),
    );
    const table = readFlatArrow(pieces);
    assert.deepEqual(
      table?.children.map((c) => c.data.length),
      [2, 2, 2],
    );
    sameTable(tableFromArrowIPC(pieces), parseCSV('n,s,d\n1,a,2012-01-01\n2,"b,c",\n3,,2012-02-29\n'));
  });

  it('leaves dictionaries, integers and other types to flechette', () => {
    const dictionary = tableToArrowIPC(aq.table({ k: ['x', 'x', 'y', null] }));
    assert.equal(readFlatArrow([dictionary]), null);
    assert.deepEqual(tableFromArrowIPC(dictionary).array('k', Array), ['x', 'x', 'y', null]);
    const ints = tableToArrowIPC(aq.table({ i: Int32Array.from([1, 2]) }));
    assert.equal(readFlatArrow([ints]), null);
    assert.deepEqual(Array.from(tableFromArrowIPC(ints).array('i', Array) as number[]), [1, 2]);
  });

  it('leaves metadata before V4 to flechette (a buffer had a page id in front then)', () => {
    const bytes = streams(parseCSV('x,y\n1,a\n2,b\n3,c\n'))?.ours ?? new Uint8Array(0);
    assert.ok(readFlatArrow([bytes]));
    const v3 = new Uint8Array(bytes);
    for (const { metadata, body } of messages(bytes)) {
      const meta = new FlatBuffer(v3.subarray(body - metadata, body));
      const version = meta.field(meta.deref(0), 0);
      assert.ok(version >= 0, 'the writer names its version');
      new DataView(v3.buffer).setInt16(body - metadata + version, 2, true); // MetadataVersion V3
    }
    assert.equal(readFlatArrow([v3]), null);
  });

  it('never throws on damaged bytes: each byte of the metadata changed, every truncation', () => {
    const bytes = streams(parseCSV(`a,b,c,d\n1.5,x,true,2024-01-02\n,${B}y,,\n`))?.ours ?? new Uint8Array(0);
    const [, batch] = messages(bytes);
    const metadataEnd = (batch?.body ?? bytes.byteLength) - 1;
    let read = 0;
    for (let at = 0; at < metadataEnd; at++) {
      for (const value of [0x00, 0x7f, 0xff]) {
        const damaged = bytes.slice();
        damaged[at] = value;
        const table = readFlatArrow([damaged]);
        if (table) {
          read++;
          for (const column of table.children) for (let r = 0; r < Math.min(column.length, 4); r++) column.at(r);
        }
      }
    }
    for (let end = 0; end < bytes.byteLength; end++) readFlatArrow([bytes.subarray(0, end)]);
    assert.ok(read > 0, 'some changes leave a readable table (a name, a null count)');
  });
});
