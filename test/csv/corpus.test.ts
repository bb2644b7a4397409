import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvParser, parseCSV, toCSV } from '../../src/csv/index.js';
import { CsvParseError } from '../../src/errors.js';
import { edgeCases } from './corpus.js';
import { failAll, parseAll } from './ways.js';

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

describe('the edge-case corpus (test/data/edge)', () => {
  for (const c of edgeCases()) {
    if (c.error) {
      it(`refuses ${c.file} with ${c.error} on every path`, () => {
        failAll(decoder.decode(c.bytes), c.error as string, c.line ?? 1, c.options, CsvParseError);
        failAll(c.bytes, c.error as string, c.line ?? 1, c.options, CsvParseError);
      });
      continue;
    }
    it(`reads ${c.file} the same from a string, from bytes and in every chunking`, () => {
      parseAll(decoder.decode(c.bytes), c.options);
      parseAll(c.bytes, c.options);
    });
    it(`writes ${c.file} back as text that reads the same`, () => {
      const parsed = parseCSV(c.bytes, c.options);
      const again = parseCSV(toCSV(parsed.columns, parsed.values), {
        ...c.options,
        delimiter: ',',
        // a format column's info names its exact format
        types: Object.fromEntries(
          parsed.columns.filter((col) => col.format).map((col) => [col.name, `date:${col.format}` as const]),
        ),
      });
      // toCSV writes the final names, so a renamed column reads back without its original header
      const named = (cols: typeof parsed.columns) => cols.map(({ header: _, ...rest }) => rest);
      assert.deepEqual(named(again.columns), named(parsed.columns));
      assert.deepEqual(again.values, parsed.values);
    });
  }
});

describe('BOM', () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, ...new TextEncoder().encode('a,b\n1,2\n')]);

  it('drops only the first U+FEFF when the BOM arrives as a chunk of its own', () => {
    const p = new CsvParser();
    p.push(bytes.subarray(0, 3));
    p.push(bytes.subarray(3));
    assert.equal(p.end().columns[0]?.name, '\ufeffa');
  });

  it('drops only the first U+FEFF when text arrives a character at a time', () => {
    const p = new CsvParser();
    p.pushText('\ufeff');
    p.pushText('\ufeff');
    p.pushText('a,b\n1,2\n');
    assert.equal(p.end().columns[0]?.name, '\ufeffa');
  });

  it('quotes a first header that starts with U+FEFF, so reading it back keeps it', () => {
    const parsed = parseCSV(bytes);
    const text = toCSV(parsed.columns, parsed.values);
    assert.equal(text, '"\ufeffa",b\n1,2\n');
    assert.equal(parseCSV(text).columns[0]?.name, '\ufeffa');
  });
});

describe('delimiter detection', () => {
  it('reads a semicolon-separated file as its columns, with decimal commas kept as text', () => {
    const parsed = parseAll('name;price;qty\napple;1,50;3\n');
    assert.deepEqual(
      parsed.columns.map((c) => [c.name, c.type]),
      [
        ['name', 'string'],
        ['price', 'string'],
        ['qty', 'integer'],
      ],
    );
    assert.deepEqual(Array.from(parsed.values[1] as string[]), ['1,50']);
  });

  it('picks tab and pipe, and the most frequent candidate outside quotes', () => {
    assert.equal(parseCSV('a\tb\n1\t2\n').columns.length, 2);
    assert.equal(parseCSV('a|b|c\n1|2|3\n').columns.length, 3);
    assert.deepEqual(
      parseCSV('"x;y";"p,q";z\n1;2;3\n').columns.map((c) => c.name),
      ['x;y', 'p,q', 'z'],
    );
  });

  it('keeps a one-column file one column, and obeys options.delimiter', () => {
    assert.deepEqual(
      parseCSV('a;b\n1;2\n', { delimiter: ',' }).columns.map((c) => c.name),
      ['a;b'],
    );
    assert.equal(parseCSV('word\nhello\n').columns.length, 1);
  });
});

describe('JSON input', () => {
  it('says a JSON array (vega-datasets cars.json) is JSON, not CSV', () => {
    const err = failAll('[\n  {\n    "Name": "chevrolet",\n    "Cylinders": 8\n  }\n]\n', 'CSVS_PARSE_BAD_JSON', 1);
    assert.match(err.message, /^this looks like JSON, not CSV/);
  });
});
