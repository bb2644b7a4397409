import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnFromArray, float64, tableFromColumns, tableToIPC } from '@uwdata/flechette';
import { columnsToIPC, tableFromArrowIPC } from '../../src/arrow/ipc.js';
import { parseCSV } from '../../src/csv/index.js';
import { columnValues, kindOf } from '../../src/query/columns.js';
import { parseQuery, runQuery } from '../../src/query/index.js';

describe('columnValues', () => {
  // two pieces, as the server stores a table
  const piece = (from: number, to: number) =>
    parseCSV(
      `n,gaps\n${Array.from({ length: to - from }, (_, i) => `${(from + i) * 1.5},${(from + i) % 3 ? from + i : ''}`).join('\n')}\n`,
    );
  const first = piece(0, 40);
  const table = tableFromArrowIPC([
    columnsToIPC(first),
    columnsToIPC({ columns: first.columns, values: piece(40, 100).values }),
  ]);

  it("reads a column of doubles without a missing value as one Float64Array of its batches' values", () => {
    const n = columnValues(table, 'n');
    assert.ok(n instanceof Float64Array);
    assert.deepEqual(
      [...n],
      Array.from({ length: 100 }, (_, i) => i * 1.5),
    );
    assert.equal(columnValues(table, 'n'), n, 'once per column');
  });

  it('reads a column of doubles that holds no number (only NaN) value by value: its kind stays empty', () => {
    const nan = tableFromArrowIPC(
      tableToIPC(tableFromColumns([['x', columnFromArray(Float64Array.from([Number.NaN, Number.NaN]), float64())]]), {
        format: 'stream',
      }) as Uint8Array,
    );
    const x = columnValues(nan, 'x');
    assert.ok(Array.isArray(x));
    assert.equal(kindOf(x), 'empty');
    assert.equal(runQuery(nan, parseQuery({ filter: { column: 'x', op: '=', value: 'n/a' } })).numRows(), 0);
  });

  it('reads a column with missing values value by value, nulls kept', () => {
    const gaps = columnValues(table, 'gaps');
    assert.ok(Array.isArray(gaps));
    assert.deepEqual(
      gaps,
      Array.from({ length: 100 }, (_, i) => (i % 3 ? i : null)),
    );
  });
});
