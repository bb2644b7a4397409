import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { columnsToIPC, tableFromArrowIPC } from '../src/arrow.js';
import { type CsvOptions, CsvParser, parseCSV, Utf8Column } from '../src/csv.js';
import { ErrorCode } from '../src/errors.js';
import { Ingest, type IngestResult } from '../src/ingest.js';
import { rejectsWithCode } from './helpers.js';

const SPECTRUM = join(__dirname, '..', 'node_modules', 'csv-spectrum', 'csvs');

// Inputs where the typing is delicate: every one must come out of the worker
// path (UTF-8 string columns, Arrow built in the worker) exactly as parseCSV
// reads it.
const CASES: Array<[string, string, CsvOptions?]> = [
  ['mixed types', 'id,price,name,date,ok\n1,2.50,a,2021-01-02,true\n2,3.75,"b, c",2021-02-03,false\n'],
  ['nulls and quoted empties', 'a,b,c\n1,,""\n,x,\n3,"",y\n'],
  ['escaped quotes and newlines', 'a,b\n"say ""hi""","two\nlines"\n"x","y"\n'],
  ['non-ASCII text', 'name,city\nJosé,Zürich\n李,東京\n"😀, ok",İstanbul\n'],
  ['numbers that turn into text', 'n\n1\n2\n00501\n3\n'],
  ['decimals that break the round trip', 'x\n1.5\n2\n3.25\n'],
  ['dates that turn into text', 'd\n2021-01-01\n2021-13-01\n'],
  ['booleans that turn into text', 'b\ntrue\nfalse\nyes\n'],
  ['a column of nulls then text', 'a,b\n1,\n2,\n3,late\n'],
  ['forced string type', 'zip,n\n00501,1\n12345,2\n', { types: { zip: 'string', n: 'string' } }],
  ['blank line and CRLF', 'a,b\r\n1,x\r\n\r\n2,y\r\n'],
  ['lone CR line ends', 'a,b\r1,é\r2,z\r'],
  ['BOM and renamed headers', '\uFEFFa,a,\n1,2,3\n'],
  ['single column with empty lines', 'a\nx\n\ny\n'],
];

function plain(values: ArrayLike<unknown>): unknown[] {
  if (values instanceof Utf8Column) return Array.from({ length: values.length }, (_, i) => values.get(i));
  return Array.from(values as ArrayLike<unknown>, (v) => (v instanceof Date ? v.getTime() : v));
}

function expectSame(result: IngestResult, text: string, options: CsvOptions = {}): void {
  const expected = parseCSV(text, options);
  assert.deepEqual(result.columns, expected.columns);
  assert.equal(result.rows, expected.rows);
  assert.deepEqual(result.warnings, expected.warnings);
  const table = tableFromArrowIPC(result.ipc);
  assert.deepEqual(
    table.columnNames(),
    expected.columns.map((c) => c.name),
  );
  expected.columns.forEach((c, i) => {
    assert.deepEqual(
      plain(table.array(c.name, Array) as unknown[]),
      plain(expected.values[i] ?? []),
      `column ${c.name}`,
    );
  });
}

async function ingest(pool: Ingest, text: string, options: CsvOptions = {}, chunk = 1 << 20): Promise<IngestResult> {
  const id = pool.begin('csv', options, { onParsed: () => undefined, onError: () => undefined });
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; at += chunk) pool.push(id, bytes.subarray(at, at + chunk));
  return pool.end(id);
}

describe('CsvParser', () => {
  describe('utf8Strings', () => {
    for (const [what, text, options] of CASES) {
      it(`reads ${what} like the string path, chunked anywhere`, () => {
        const expected = parseCSV(text, options);
        for (const size of [1, 2, 3, 7, 1 << 20]) {
          const parser = new CsvParser(options, { utf8Strings: true });
          const bytes = Buffer.from(text, 'utf8');
          for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size));
          const parsed = parser.end();
          assert.deepEqual(parsed.columns, expected.columns);
          assert.deepEqual(parsed.values.map(plain), expected.values.map(plain), `chunks of ${size}`);
          const table = tableFromArrowIPC(columnsToIPC(parsed));
          assert.equal(table.numRows(), expected.rows);
        }
      });
    }
  });
});

describe('Ingest', () => {
  const pool = new Ingest({ threads: 2 });
  after(() => pool.close());

  describe('#end', () => {
    for (const [what, text, options] of CASES) {
      it(`gives the table parseCSV gives for ${what}`, async () => {
        expectSame(await ingest(pool, text, options), text, options);
        expectSame(await ingest(pool, text, options, 3), text, options);
      });
    }

    for (const file of readdirSync(SPECTRUM).filter((f) => f.endsWith('.csv'))) {
      it(`gives the table parseCSV gives for csv-spectrum ${file}`, async () => {
        const text = readFileSync(join(SPECTRUM, file), 'utf8');
        expectSame(await ingest(pool, text, {}, 5), text);
      });
    }

    it('summarises the first rows as their exact text', async () => {
      const result = await ingest(pool, 'a,b,c\n007,2.50,x\n,"",é\n');
      assert.deepEqual(result.head, [
        ['007', '2.50', 'x'],
        [null, '', 'é'],
      ]);
    });

    it('rejects a ragged row with its line, as parseCSV does', async () => {
      await rejectsWithCode(ingest(pool, 'a,b\n1,2\n3\n'), ErrorCode.PARSE_RAGGED_ROW, /line 3/);
    });

    it('rejects an unterminated quote with its line', async () => {
      await rejectsWithCode(ingest(pool, 'a,b\n1,"x\n2,3\n', {}, 2), ErrorCode.PARSE_UNTERMINATED_QUOTE, /line 2/);
    });
  });
});
