import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import {
  type ColumnInfo,
  type CsvOptions,
  CsvParser,
  formatValue,
  type ParsedCsv,
  parseCSV,
  toCSV,
  toCSVTable,
} from '../../src/csv/index.js';
import { ArgumentError, ErrorCode, LimitError } from '../../src/errors.js';
import { rejectsWithCode, tableEqual } from '../helpers.js';
import { failAll, parseAll } from './ways.js';

const encoder = new TextEncoder();

const SPECTRUM = join(__dirname, '..', '..', 'node_modules', 'csv-spectrum');
const VEGA = join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data');

/** Each column's cells as text (formatValue), row by row. */
function cells(parsed: ParsedCsv): string[][] {
  const out: string[][] = [];
  for (let r = 0; r < parsed.rows; r++) out.push(parsed.columns.map((c, i) => formatValue(parsed.values[i]?.[r], c)));
  return out;
}

function column(parsed: ParsedCsv, name: string): { info: ColumnInfo; values: unknown[] } {
  const i = parsed.columns.findIndex((c) => c.name === name);
  assert.ok(i >= 0, `no column ${name}`);
  return { info: parsed.columns[i] as ColumnInfo, values: Array.from(parsed.values[i] as ArrayLike<unknown>) };
}

/** The type of a one-column CSV whose data lines are `lines`. */
function inferred(lines: string[]): ColumnInfo {
  const parsed = parseAll(`x\n${lines.join('\n')}\n`);
  assert.deepEqual(
    cells(parsed).map((r) => r[0]),
    lines.map((l) => (l.startsWith('"') ? l.slice(1, -1).replaceAll('""', '"') : l)),
    'cells come back exactly',
  );
  return parsed.columns[0] as ColumnInfo;
}

describe('CsvParser', () => {
  it('reads a text column whose values outgrow its first buffer, and text after numbers and empty fields, the same every way', () => {
    // the fast path copies a text field while it finds its end; a value longer
    // than the room left, a field cut by a chunk end and an empty field take the usual path
    const long = 'é'.repeat(50_000);
    const text = `n,t,u\n1,${long},x\n2,,y\n3,short,\n4,"quoted, text",z é\n5,${long}b,w\n`;
    const parsed = parseAll(text, {}, false);
    assert.deepEqual(
      cells(parsed).map((row) => row.map((v) => (v.length > 20 ? `${v.slice(0, 3)}…${v.length}` : v))),
      [
        ['1', 'ééé…50000', 'x'],
        ['2', '', 'y'],
        ['3', 'short', ''],
        ['4', 'quoted, text', 'z é'],
        ['5', 'ééé…50001', 'w'],
      ],
    );
  });

  describe('csv-spectrum', () => {
    for (const file of readdirSync(join(SPECTRUM, 'csvs')).filter((f) => f.endsWith('.csv'))) {
      it(`reads ${file} as csv-spectrum expects`, () => {
        const bytes = readFileSync(join(SPECTRUM, 'csvs', file));
        const expectedJson: unknown = JSON.parse(
          readFileSync(join(SPECTRUM, 'json', file.replace(/\.csv$/, '.json')), 'utf8'),
        );
        const expected = (Array.isArray(expectedJson) ? expectedJson : [expectedJson]) as Array<Record<string, string>>;
        if (file === 'location_coordinates.csv') {
          // csv-spectrum's JSON has a different phone number than its CSV (an upstream slip); the CSV is the truth.
          const row = expected[0] as Record<string, string>;
          row['Contact Phone Number'] = '2095257564';
        }
        const parsed = parseAll(new Uint8Array(bytes));
        assert.equal(parsed.rows, expected.length);
        const got = cells(parsed).map((row) => Object.fromEntries(row.map((v, i) => [parsed.columns[i]?.name, v])));
        assert.deepEqual(got, expected);
      });
    }
  });

  describe('#push', () => {
    it('gives the same result for any chunking, including mid-CRLF, mid-quote and mid-UTF-8', () => {
      const text = '\uFEFFname,note,n\r\n"Zoë ""Z"", Jr.","ʤ€𝄞\r\nline 2",1\r\nplain,,2\r\n"","x",3\r\n';
      const parsed = parseAll(text);
      assert.deepEqual(parsed.values, [
        ['Zoë "Z", Jr.', 'plain', ''],
        ['ʤ€𝄞\r\nline 2', null, 'x'],
        new Float64Array([1, 2, 3]),
      ]);
    });

    it('counts bytes and complete rows as they arrive', () => {
      const p = new CsvParser();
      p.push(encoder.encode('a,b\n1,2\n3,'));
      assert.equal(p.bytes, 10);
      assert.equal(p.rows, 1);
      p.push(encoder.encode('4\n'));
      assert.equal(p.rows, 2);
      assert.equal(p.end().rows, 2);
    });

    it('rejects a push after end() with CSVS_BAD_ARGUMENT', async () => {
      const p = new CsvParser();
      p.push(encoder.encode('a\n1\n'));
      p.end();
      const err = await rejectsWithCode(() => p.push(encoder.encode('2\n')), ErrorCode.BAD_ARGUMENT, /has ended/);
      assert.ok(err instanceof ArgumentError);
    });

    it('keeps throwing the same error after a failure', () => {
      const p = new CsvParser();
      let first: unknown;
      assert.throws(
        () => {
          try {
            p.push(encoder.encode('a,b\n1\n'));
          } catch (err) {
            first = err;
            throw err;
          }
        },
        { code: ErrorCode.PARSE_RAGGED_ROW, line: 2 },
      );
      assert.throws(
        () => p.push(encoder.encode('1,2\n')),
        (err) => err === first,
      );
      assert.throws(
        () => p.end(),
        (err) => err === first,
      );
    });
  });

  describe('#end', () => {
    it('reads a final line without a trailing newline', () => {
      assert.deepEqual(parseAll('a,b\n1,x').values, [new Float64Array([1]), ['x']]);
    });

    it('reads a header-only file as 0 rows of string columns', () => {
      for (const text of ['a,b', 'a,b\n', 'a,b\r\n']) {
        const parsed = parseAll(text);
        assert.equal(parsed.rows, 0);
        assert.deepEqual(parsed.columns, [
          { name: 'a', type: 'string' },
          { name: 'b', type: 'string' },
        ]);
        assert.deepEqual(parsed.values, [[], []]);
      }
    });
  });
});

describe('parseCSV', () => {
  describe('RFC 4180', () => {
    it('reads LF, CRLF and lone CR line endings alike', () => {
      const expected = [new Float64Array([1, 3]), ['x', 'y']];
      for (const nl of ['\n', '\r\n', '\r'])
        assert.deepEqual(parseAll(`a,b${nl}1,x${nl}3,y${nl}`).values, expected, JSON.stringify(nl));
    });

    it('reads quoted delimiters, doubled quotes and quoted line breaks', () => {
      const parsed = parseAll('a,b\n"x, y","say ""hi"""\n"multi\nline","a\r\nb"\n');
      assert.deepEqual(parsed.values, [
        ['x, y', 'multi\nline'],
        ['say "hi"', 'a\r\nb'],
      ]);
    });

    it('drops a BOM from bytes and from text', () => {
      assert.deepEqual(parseAll('\uFEFFid\n1\n').columns, [{ name: 'id', type: 'integer' }]);
      assert.deepEqual(parseAll(new Uint8Array([0xef, 0xbb, 0xbf, 0x69, 0x64, 0x0a, 0x31])).columns, [
        { name: 'id', type: 'integer' },
      ]);
    });

    it('keeps a quote inside an unquoted field as text', () => {
      assert.deepEqual(parseAll('a,b\nab"c,5\'2"\n').values, [['ab"c'], ['5\'2"']]);
    });

    it('reads an unquoted empty field as null and a quoted one as the empty string', () => {
      const parsed = parseAll('a,b,c\n,"",1\n');
      assert.deepEqual(parsed.values, [[null], [''], new Float64Array([1])]);
      assert.equal(toCSV(parsed.columns, parsed.values), 'a,b,c\n,"",1\n');
    });

    it('reads a tab-separated file with delimiter "\\t"', () => {
      assert.deepEqual(parseAll('a\tb\n1,5\tx y\n', { delimiter: '\t' }).values, [['1,5'], ['x y']]);
    });

    it('counts physical lines through quoted line breaks', () => {
      const err = failAll('a,b\n"1\n2\r\n3\r4",x\n5\n', ErrorCode.PARSE_RAGGED_ROW, 6);
      assert.match(err.message, /line 6 has 1 field, the header has 2/);
    });
  });

  describe('blank lines', () => {
    it('skips an empty line in a multi-column file and warns with its line', () => {
      const parsed = parseAll('a,b\n1,2\n\n3,4\r\n\r\n5,6\n');
      assert.deepEqual(parsed.values, [new Float64Array([1, 3, 5]), new Float64Array([2, 4, 6])]);
      assert.deepEqual(parsed.warnings, ['skipped 2 empty lines (lines 3, 5)']);
    });

    it('ignores empty lines at the end without a warning', () => {
      const parsed = parseAll('a,b\n1,2\n\n\n');
      assert.equal(parsed.rows, 1);
      assert.deepEqual(parsed.warnings, []);
    });

    it('reads an empty line in a one-column file as a null value', () => {
      const parsed = parseAll('x\n1\n\n3\n\n');
      assert.deepEqual(parsed.values, [[1, null, 3, null]]);
      assert.equal(toCSV(parsed.columns, parsed.values), 'x\n1\n\n3\n\n');
    });

    it('skips blank lines before the header, keeping physical line numbers', () => {
      const parsed = parseAll('\n  \na,b\n1,2\n');
      assert.deepEqual(
        parsed.columns.map((c) => c.name),
        ['a', 'b'],
      );
      failAll('\n\na,b\n1\n', ErrorCode.PARSE_RAGGED_ROW, 4);
    });
  });

  describe('headers', () => {
    it('names an empty header column_N', () => {
      const parsed = parseAll(',b,\n1,2,3\n');
      assert.deepEqual(
        parsed.columns.map((c) => [c.name, c.header]),
        [
          ['column_1', ''],
          ['b', undefined],
          ['column_3', ''],
        ],
      );
      assert.deepEqual(parsed.warnings, [
        'renamed empty header (column 1) to "column_1"',
        'renamed empty header (column 3) to "column_3"',
      ]);
    });

    it('renames duplicates to the first free name _2, _3, …', () => {
      const parsed = parseAll('a,a,a_2,a\n1,2,3,4\n');
      assert.deepEqual(
        parsed.columns.map((c) => c.name),
        ['a', 'a_3', 'a_2', 'a_4'],
      );
      assert.deepEqual(parsed.warnings, [
        'renamed duplicate header "a" (column 2) to "a_3"',
        'renamed duplicate header "a" (column 4) to "a_4"',
      ]);
      assert.equal(parsed.columns[1]?.header, 'a');
    });

    it('renames JavaScript property names with a trailing underscore', () => {
      const hostile = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];
      const parsed = parseAll(`${hostile.join(',')},constructor_\n1,2,3,4,5,6,7\n`);
      assert.deepEqual(
        parsed.columns.map((c) => c.name),
        ['__proto___', 'constructor__2', 'prototype_', 'hasOwnProperty_', 'toString_', 'valueOf_', 'constructor_'],
      );
      assert.deepEqual(
        parsed.columns.map((c) => c.header),
        [...hostile, undefined],
      );
      assert.equal(parsed.warnings.length, 6);
      assert.match(
        parsed.warnings[0] ?? '',
        /renamed header "__proto__" \(column 1\), a reserved JavaScript property name, to "__proto___"/,
      );
    });

    it('builds an arquero table from hostile headers', () => {
      const parsed = parseAll('__proto__,constructor,toString,a,a\n1,x,true,2,3\n4,y,false,5,6\n');
      const data = Object.fromEntries(parsed.columns.map((c, i) => [c.name, parsed.values[i]]));
      const table = aq.table(data);
      tableEqual(table, {
        __proto___: [1, 4],
        constructor_: ['x', 'y'],
        toString_: [true, false],
        a: [2, 5],
        a_2: [3, 6],
      });
      assert.equal(table.filter((d: Record<string, number>) => (d.__proto___ ?? 0) > 1).numRows(), 1);
      assert.equal(
        toCSVTable(table, parsed.columns),
        '__proto___,constructor_,toString_,a,a_2\n1,x,true,2,3\n4,y,false,5,6\n',
      );
    });
  });

  describe('type inference', () => {
    it('infers integer only for safe, canonically written integers', () => {
      assert.deepEqual(inferred(['1', '-20', '0', '9007199254740991']), { name: 'x', type: 'integer' });
      for (const bad of [
        '00501',
        '9007199254740993',
        '9007199254740992',
        '+5',
        ' 5',
        '5 ',
        '1e5',
        '.5',
        '5.',
        '-0',
        '0x1F',
        'Infinity',
        '-Infinity',
        'NaN',
        '1_000',
        '١٢',
      ]) {
        assert.equal(inferred(['1', bad]).type, 'string', bad);
      }
    });

    it('infers number with decimals when every value has the same count of decimals', () => {
      assert.deepEqual(inferred(['0.0', '12.8', '-3.5']), { name: 'x', type: 'number', decimals: 1 });
      assert.deepEqual(inferred(['12.80', '-0.50', '3.00']), { name: 'x', type: 'number', decimals: 2 });
      assert.deepEqual(inferred(['0.0000001', '0.0000020']), { name: 'x', type: 'number', decimals: 7 });
      // 0.1 as a double is exactly 0.1000000000000000055511151…, so 22 decimals are lossless too
      assert.deepEqual(inferred(['0.1000000000000000055511']), { name: 'x', type: 'number', decimals: 22 });
    });

    it('infers number without decimals when every value is in shortest form', () => {
      assert.deepEqual(inferred(['1.5', '2.25']), { name: 'x', type: 'number' });
      assert.deepEqual(inferred(['1', '1.5', '-0.125', '0.000001']), { name: 'x', type: 'number' });
      assert.deepEqual(inferred(['0.1', '0.30000000000000004', '123456.789012345']), { name: 'x', type: 'number' });
    });

    it('keeps a column string when no scheme reproduces every value', () => {
      for (const set of [
        ['1.50', '2.125'],
        ['1', '1.50'],
        ['-0.00', '1.25'],
        ['0.0000001', '0.5'],
        ['0.10000000000000000000001'],
        ['123456789012345678.5'],
      ]) {
        assert.equal(inferred(set).type, 'string', set.join(' '));
      }
    });

    it('infers date only for real YYYY-MM-DD calendar dates, as Dates at UTC midnight', () => {
      const parsed = parseAll('d\n2020-02-29\n1999-12-31\n0001-01-01\n');
      assert.deepEqual(parsed.columns, [{ name: 'd', type: 'date' }]);
      assert.deepEqual(parsed.values[0], [
        new Date('2020-02-29T00:00:00Z'),
        new Date('1999-12-31T00:00:00Z'),
        new Date('0001-01-01T00:00:00Z'),
      ]);
      for (const bad of [
        '2021-02-30',
        '2021-02-29',
        '2021-13-01',
        '2021-2-3',
        '2021-02-03T00:00',
        '20210203',
        '2021/02/03',
      ]) {
        assert.equal(inferred(['2021-01-01', bad]).type, 'string', bad);
      }
    });

    it('infers boolean only for exactly true and false', () => {
      assert.deepEqual(parseAll('b\ntrue\nfalse\n\n').values, [[true, false, null]]);
      for (const bad of ['True', 'FALSE', '1', 'yes']) assert.equal(inferred(['true', bad]).type, 'string', bad);
    });

    it('ignores nulls and reads an all-null column as string', () => {
      const parsed = parseAll('a,b,c\n,1,\n,,\n,3,\n');
      assert.deepEqual(
        parsed.columns.map((c) => c.type),
        ['string', 'integer', 'string'],
      );
      assert.deepEqual(parsed.values, [
        [null, null, null],
        [1, null, 3],
        [null, null, null],
      ]);
    });

    it('reads a quoted number as a number and a quoted empty field as a string column', () => {
      assert.deepEqual(inferred(['"5"', '6']), { name: 'x', type: 'integer' });
      assert.equal(inferred(['5', '""']).type, 'string');
    });

    it('gives back the exact text of earlier values when a late value makes the column string', () => {
      for (const first of [
        ['1.50', '2.25', '-0.75'],
        ['1', '20', '300'],
        ['2021-01-01', '2021-01-02'],
        ['true', 'false'],
        ['1.5', '2.25'],
      ]) {
        const lines = [...first, '', 'oops'];
        const parsed = parseAll(`x\n${lines.join('\n')}\n`);
        assert.deepEqual(parsed.values[0], [...first, null, 'oops']);
      }
    });
  });

  describe('options.types', () => {
    it('forces a type by original or final name', () => {
      const parsed = parseAll('zip,n,n\n00501,1,2\n', { types: { zip: 'string', n_2: 'number', n: 'string' } });
      assert.deepEqual(
        parsed.columns.map((c) => c.type),
        ['string', 'string', 'number'],
      );
      assert.deepEqual(parsed.values, [['00501'], ['1'], new Float64Array([2])]);
      assert.equal(column(parseAll('n\n7\n', { types: { n: 'string' } }), 'n').info.type, 'string');
    });

    it('accepts non-canonical spellings in a forced numeric column', () => {
      const parsed = parseAll('a,b,c\n+5,1e3,TRUE\n007,.5,false\n', {
        types: { a: 'integer', b: 'number', c: 'boolean' },
      });
      assert.deepEqual(parsed.values, [new Float64Array([5, 7]), new Float64Array([1000, 0.5]), [true, false]]);
    });

    it('throws CSVS_PARSE_BAD_TYPE with the line of a value that cannot be the type', () => {
      const err = failAll('n,d\n1,2021-01-01\n1.5,2021-01-02\n', ErrorCode.PARSE_BAD_TYPE, 3, {
        types: { n: 'integer' },
      });
      assert.match(
        err.message,
        /line 3, column "n": "1.5" is not a safe integer|line 3, column "n": "1.5" is not a value of type integer/,
      );
      failAll('n,d\n1,2021-01-01\n"2\n",2021-02-30\n', ErrorCode.PARSE_BAD_TYPE, 4, { types: { d: 'date' } });
      failAll('n\n1\n9007199254740993\n', ErrorCode.PARSE_BAD_TYPE, 3, { types: { n: 'integer' } });
      failAll('n\n1\nabc\n', ErrorCode.PARSE_BAD_TYPE, 3, { types: { n: 'number' } });
    });

    it('rejects an unknown type name or column name with CSVS_BAD_ARGUMENT', async () => {
      await rejectsWithCode(
        () => new CsvParser({ types: { a: 'float' as 'number' } }),
        ErrorCode.BAD_ARGUMENT,
        /use one of integer, number, boolean, date, string/,
      );
      await rejectsWithCode(
        () => parseCSV('a\n1\n', { types: { b: 'integer' } }),
        ErrorCode.BAD_ARGUMENT,
        /"b", not a column/,
      );
      await rejectsWithCode(() => parseCSV('a\n1\n', { delimiter: '"' }), ErrorCode.BAD_ARGUMENT, /delimiter/);
    });
  });

  describe('errors', () => {
    it('throws CSVS_PARSE_RAGGED_ROW for fewer or more fields than the header', () => {
      const fewer = failAll(
        'a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3\n',
        ErrorCode.PARSE_RAGGED_ROW,
        7,
      );
      assert.match(fewer.message, /^line 7 has 3 fields, the header has 4/);
      const more = failAll('a,b,c,d\n1,2,3,4\n1,2,3,4,5\n', ErrorCode.PARSE_RAGGED_ROW, 3);
      assert.match(more.message, /^line 3 has 5 fields, the header has 4; every row needs 4/);
      failAll('a,b\n1,2\n3,4,', ErrorCode.PARSE_RAGGED_ROW, 3);
    });

    it('throws CSVS_PARSE_UNTERMINATED_QUOTE with the line where the quote opened', () => {
      const err = failAll('a,b\n1,2\n3,"open\n4,5\n6,7\n', ErrorCode.PARSE_UNTERMINATED_QUOTE, 3);
      assert.match(err.message, /line 3: the quote that opens field 2 is never closed/);
      failAll('a,b\n1,"x""', ErrorCode.PARSE_UNTERMINATED_QUOTE, 2);
      failAll('"a', ErrorCode.PARSE_UNTERMINATED_QUOTE, 1);
    });

    it('throws CSVS_PARSE_QUOTE_IN_FIELD for text after a closing quote', () => {
      const err = failAll('a,b\n1,2\n"ab"c,3\n', ErrorCode.PARSE_QUOTE_IN_FIELD, 3);
      assert.match(err.message, /line 3: text follows the closing quote of field 1/);
      failAll('a,b\n1,"x\ny" ,3\n', ErrorCode.PARSE_QUOTE_IN_FIELD, 3);
    });

    it('throws CSVS_PARSE_INVALID_UTF8 with the line of the bad byte', () => {
      const bytes = (...parts: Array<string | number[]>) =>
        Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
      const err = failAll(new Uint8Array(bytes('a,b\n1,2\r\n3,"x\ny', [0xff], '"\n')), ErrorCode.PARSE_INVALID_UTF8, 4);
      assert.match(err.message, /line 4: byte 0xff at byte offset 15 is not valid UTF-8/);
      failAll(new Uint8Array(bytes('a\nCaf', [0xe9], '\n')), ErrorCode.PARSE_INVALID_UTF8, 2);
      failAll(new Uint8Array(bytes('a\n1\n', [0xe2, 0x82])), ErrorCode.PARSE_INVALID_UTF8, 3);
      failAll(new Uint8Array(bytes('a\n', [0xed, 0xa0, 0x80], '\n')), ErrorCode.PARSE_INVALID_UTF8, 2);
    });

    it('throws CSVS_PARSE_EMPTY for no bytes, only a BOM, or only blank lines', () => {
      for (const text of ['', '\uFEFF', '\n', '\r\n', ' \n', '\n\n\t\n']) {
        const err = failAll(text, ErrorCode.PARSE_EMPTY, 1);
        assert.match(err.message, /no header line/);
      }
    });

    it('enforces maxColumns, maxFieldBytes and maxRows with LimitError', () => {
      failAll('a,b,c\n1,2,3\n', ErrorCode.LIMIT_COLUMNS, 1, { maxColumns: 2 }, LimitError);
      const field = failAll('a,b\n1,2\n3,"€€€€"\n', ErrorCode.LIMIT_FIELD_SIZE, 3, { maxFieldBytes: 10 }, LimitError);
      assert.match(field.message, /line 3: field 2 has 12 bytes, more than maxFieldBytes \(10\)/);
      failAll('a,b\n1,2\n3,"never closed and long\n', ErrorCode.LIMIT_FIELD_SIZE, 3, { maxFieldBytes: 2 }, LimitError);
      failAll('a\n1\n2\n3\n', ErrorCode.LIMIT_ROWS, 4, { maxRows: 2 }, LimitError);
      assert.equal(parseAll('a\n1\n2\n', { maxRows: 2 }).rows, 2);
    });
  });
});

describe('formatValue', () => {
  it('writes each type as it was read', () => {
    assert.equal(formatValue(12.8, { name: 'x', type: 'number', decimals: 2 }), '12.80');
    assert.equal(formatValue(0.1, { name: 'x', type: 'number' }), '0.1');
    assert.equal(formatValue(-20, { name: 'x', type: 'integer' }), '-20');
    assert.equal(formatValue(new Date('2021-02-03T00:00:00Z'), { name: 'x', type: 'date' }), '2021-02-03');
    assert.equal(formatValue(false, { name: 'x', type: 'boolean' }), 'false');
    assert.equal(formatValue(null, { name: 'x', type: 'string' }), '');
    assert.equal(formatValue('', { name: 'x', type: 'string' }), '');
  });
});

describe('toCSV', () => {
  it('quotes only where needed and keeps null apart from the empty string', () => {
    const columns: ColumnInfo[] = [
      { name: 'a,b', type: 'string' },
      { name: 'n', type: 'number', decimals: 1 },
    ];
    const text = toCSV(columns, [
      ['x "y"', 'line\nbreak', '', null],
      [1, 2.5, null, 0],
    ]);
    assert.equal(text, '"a,b",n\n"x ""y""",1.0\n"line\nbreak",2.5\n"",\n,0.0\n');
    const back = parseAll(text);
    assert.deepEqual(back.values, [
      ['x "y"', 'line\nbreak', '', null],
      [1, 2.5, null, 0],
    ]);
    assert.deepEqual(back.columns[1], { name: 'n', type: 'number', decimals: 1 });
  });

  it('writes only `rows` rows when given', () => {
    assert.equal(toCSV([{ name: 'a', type: 'integer' }], [new Float64Array([1, 2, 3])], 2), 'a\n1\n2\n');
  });
});

describe('toCSVTable', () => {
  it('matches columns by name after a query and writes derived columns with String()', () => {
    const parsed = parseAll('zip,price,day\n00501,1.50,2021-01-02\n00544,2.00,2021-01-03\n');
    const table = aq.table(Object.fromEntries(parsed.columns.map((c, i) => [c.name, parsed.values[i]])));
    const queried = table
      .derive({ double: (d: Record<string, number>) => (d.price ?? 0) * 2 })
      .orderby(aq.desc('zip'))
      .select('double', 'day', 'price', 'zip');
    assert.equal(
      toCSVTable(queried, parsed.columns),
      'double,day,price,zip\n4,2021-01-03,2.00,00544\n3,2021-01-02,1.50,00501\n',
    );
  });
});

describe('vega-datasets', () => {
  const files = readdirSync(VEGA).filter((f) => f.endsWith('.csv') || f.endsWith('.tsv'));
  for (const file of files) {
    it(`round-trips ${file} value for value`, () => {
      const bytes = new Uint8Array(readFileSync(join(VEGA, file)));
      const options: CsvOptions = file.endsWith('.tsv') ? { delimiter: '\t' } : {};
      const parsed = parseAll(bytes, options, bytes.length < 50_000);
      const original = new TextDecoder().decode(bytes).replace(/\r\n?/g, '\n').replace(/\n*$/, '\n');
      // As all-string columns, both the original and our output give the same cells.
      const asText = Object.fromEntries(parsed.columns.map((c) => [c.name, 'string' as const]));
      const written = toCSV(parsed.columns, parsed.values);
      const cellsOf = (input: string | Uint8Array, delimiter?: string) =>
        parseCSV(input, { ...(delimiter === undefined ? {} : { delimiter }), types: asText }).values;
      assert.deepEqual(cellsOf(written), cellsOf(bytes, options.delimiter));
      assert.deepEqual(cells(parseCSV(written)), cells(parsed));
      // No vega file quotes needlessly, so the comma-separated ones come back as the very same text.
      if (options.delimiter === undefined) assert.equal(written, original);
    });
  }

  it('keeps the leading zeros of zipcodes.csv', () => {
    const parsed = parseCSV(readFileSync(join(VEGA, 'zipcodes.csv')));
    const zip = column(parsed, 'zip_code');
    assert.equal(zip.info.type, 'string');
    assert.equal(zip.values[0], '00501');
    assert.equal(zip.values.filter((z) => typeof z === 'string' && z.startsWith('0')).length > 1000, true);
  });
});
