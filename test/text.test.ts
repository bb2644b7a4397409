/**
 * src/text.ts: terminal-safe text and the pandas-style tables the CLI and the
 * server print.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import type { DatasetSummary } from '../src/protocol/messages.js';
import { escapeTerminal, formatHead, formatPandas, formatRows, summaryLine } from '../src/text.js';

describe('escapeTerminal', () => {
  it('escapes ESC, so neither a screen clear nor an OSC 52 clipboard write reaches the terminal', () => {
    assert.equal(escapeTerminal('a\x1b[2Jb'), 'a\\x1b[2Jb');
    assert.equal(escapeTerminal('\x1b]52;c;ZXZpbA==\x07'), '\\x1b]52;c;ZXZpbA==\\x07');
    assert.ok(!escapeTerminal('\x1b]52;c;ZXZpbA==\x1b\\').includes('\x1b'));
  });

  it('escapes other C0 controls, DEL and C1 controls, keeping tab and line feed', () => {
    assert.equal(escapeTerminal('\x00\x08\r\x7f'), '\\x00\\x08\\x0d\\x7f');
    assert.equal(escapeTerminal('\u0085\u009b2J\u009d'), '\\x85\\x9b2J\\x9d');
    assert.equal(escapeTerminal('a\tb\nc'), 'a\tb\nc');
  });

  it('escapes bidi overrides and isolates (U+202E), and lone surrogates, but not a surrogate pair', () => {
    assert.equal(escapeTerminal('invoice\u202Efdp.exe'), 'invoice\\u202efdp.exe');
    assert.equal(escapeTerminal('\u2066x\u2069\u200f\u061c'), '\\u2066x\\u2069\\u200f\\u061c');
    assert.equal(escapeTerminal('a\ud800b'), 'a\\ud800b');
    assert.equal(escapeTerminal('a\udc00b'), 'a\\udc00b');
    assert.equal(escapeTerminal('\udc00\ud800'), '\\udc00\\ud800');
    assert.equal(escapeTerminal('ok 😀 ü 中'), 'ok 😀 ü 中');
  });
});

describe('formatPandas', () => {
  it('lays rows out as pandas prints a DataFrame', () => {
    assert.equal(
      formatPandas(
        ['id', 'name', 'age', 'grade'],
        [
          ['1', 'Monish', '21', 'A'],
          ['2', 'Ameer', '22', 'B'],
        ],
        [true, false, true, false],
      ),
      ['   id    name  age grade', '0   1  Monish   21     A', '1   2   Ameer   22     B'].join('\n'),
    );
  });

  it('keeps a minus sign in the leading space, prints NaN for a missing value, starts the index where told', () => {
    assert.equal(
      formatPandas(
        ['x', 's'],
        [
          ['-1.5', null],
          [null, 'b'],
        ],
        [true, false],
        9,
      ),
      ['      x    s', '9  -1.5  NaN', '10  NaN    b'].join('\n'),
    );
  });

  it('flattens line breaks, cuts long cells at 40 characters and escapes control characters', () => {
    const text = formatPandas(['c'], [['a\r\nb'], ['x'.repeat(50)], ['\x1b[2J']]);
    const lines = text.split('\n');
    assert.equal(lines[1], `0${' '.repeat(38)} a b`);
    assert.equal(lines[2], `1  ${'x'.repeat(37)}...`);
    assert.equal(lines[3], `2${' '.repeat(34)} \\x1b[2J`);
    assert.ok(!text.includes('\x1b'));
  });
});

const summary: DatasetSummary = {
  name: 'students',
  rows: 10,
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'name', type: 'string' },
  ] as DatasetSummary['columns'],
  head: [
    ['1', 'Monish'],
    ['2', null],
  ],
  warnings: [],
  bytes: 158,
  ms: 12,
  stored: '2026-01-01T00:00:00.000Z',
};

describe('formatHead', () => {
  it("lays a summary's first rows out with its numeric columns right-aligned", () => {
    assert.equal(formatHead(summary), ['   id    name', '0   1  Monish', '1   2     NaN'].join('\n'));
  });
});

describe('formatRows', () => {
  it('prints at most `limit` rows and says how many were left out', () => {
    const table = aq.table({ n: [1, 2, 3] });
    assert.equal(
      formatRows(table, [{ name: 'n', type: 'integer' }] as DatasetSummary['columns'], 2),
      ['   n', '0  1', '1  2', '… 1 more rows (3 in all)'].join('\n'),
    );
  });
});

describe('summaryLine', () => {
  it('names the dataset, its shape, its column types, its size and time', () => {
    assert.equal(summaryLine(summary), 'students: 10 rows × 2 columns (id integer, name string), 158 B in 12 ms');
    assert.equal(
      summaryLine({ ...summary, rows: 1, columns: summary.columns.slice(0, 1), bytes: 2048 }),
      'students: 1 row × 1 column (id integer), 2.0 KB in 12 ms',
    );
  });

  it('escapes a hostile dataset or column name and shortens a very long column list', () => {
    const hostile = summaryLine({
      ...summary,
      name: 'evil\x1b[2J',
      columns: [{ name: 'c\u202E', type: 'string' }] as DatasetSummary['columns'],
    });
    assert.equal(hostile, 'evil\\x1b[2J: 10 rows × 1 column (c\\u202e string), 158 B in 12 ms');
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `column_${i}`, type: 'number' }));
    const line = summaryLine({ ...summary, columns: many as DatasetSummary['columns'] });
    const inside = /\((.*)\)/.exec(line)?.[1] ?? '';
    assert.equal(inside.length, 200);
    assert.ok(inside.endsWith('...'));
    assert.match(line, /^students: 10 rows × 40 columns \(column_0 number, /);
  });
});
