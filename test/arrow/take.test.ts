import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnsToIPC, headOf, tableFromArrowIPC } from '../../src/arrow/ipc.js';
import { layoutBatches, takeRows } from '../../src/arrow/take.js';
import { type ColumnInfo, parseCSV } from '../../src/csv/index.js';
import { parseQuery, type Query, runQuery } from '../../src/query/index.js';
import { answerQuery, TAKE_MIN_ROWS } from '../../src/server/queries/answer.js';

/** CSV rows with every type the server stores, nulls, empty and long text, non-ASCII and a leading U+FEFF. */
function csvRows(from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) {
    const price = i % 11 === 0 ? '' : (((i * 7919) % 10_000) / 100).toFixed(2);
    const name =
      i % 13 === 0 ? '' : i % 17 === 0 ? '""' : i % 5 === 0 ? `"né ${'long '.repeat(i % 30)}${i}"` : `w${i % 7}`;
    const day =
      i % 19 === 0 ? '' : `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    const at = i % 23 === 0 ? '' : `2024-03-0${1 + (i % 9)} 1${i % 10}:0${i % 6}:00`;
    const flag = i % 29 === 0 ? '' : i % 3 === 0 ? 'true' : 'false';
    const note = i % 31 === 0 ? '\ufeffbom' : `note ${i % 1000}`;
    lines.push(`${i},${price},${name},${day},${at},${flag},${note}`);
  }
  return lines.join('\n');
}

const HEADER = 'id,price,name,day,at,flag,note';
const TYPES = { at: 'date:%Y-%m-%d %H:%M:%S' } as const;

/** A table stored as the server stores it: pieces of different lengths, each its own Arrow stream. */
function piecesTable(cuts: number[]): { table: ReturnType<typeof tableFromArrowIPC>; columns: ColumnInfo[] } {
  const streams: Uint8Array[] = [];
  let columns: ColumnInfo[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const parsed = parseCSV(`${HEADER}\n${csvRows(cuts[k] as number, cuts[k + 1] as number)}\n`, { types: TYPES });
    // every piece with the whole table's types, as the merged parse writes them
    if (k === 0) columns = parsed.columns;
    streams.push(columnsToIPC({ columns, values: parsed.values }));
  }
  return { table: tableFromArrowIPC(streams), columns };
}

describe('takeRows', () => {
  const { table, columns } = piecesTable([0, 700, 701, 2500, 4000]);

  it('reads every stored type of every batch', () => {
    for (const name of table.columnNames()) assert.ok(layoutBatches(table.column(name)), name);
  });

  it('leaves a text column whose offsets do not rise within its bytes to the general path', () => {
    // an uploaded Arrow table's offsets were only counted (arrow/check.ts)
    const { table: other } = piecesTable([0, 50, 100]);
    const batch = (other.column('note') as unknown as { data: Array<{ offsets: Int32Array }> }).data[1];
    assert.ok(batch);
    batch.offsets[2] = (batch.offsets[1] as number) - 1;
    assert.equal(layoutBatches(other.column('note')), null);
    assert.ok(layoutBatches(other.column('name')), 'the other columns are taken as they are');
  });

  it('takes rows in any order from any batch, as reading each value would', () => {
    const rows = [3999, 0, 700, 699, 701, 2500, 2499, 1234, 1234, 42];
    const names = table.columnNames();
    const taken = takeRows(
      names.map((n) => layoutBatches(table.column(n)) ?? []),
      rows,
    );
    const written = tableFromArrowIPC(columnsToIPC({ columns, values: taken as never }));
    assert.deepEqual(written.objects(), table.reify(rows).objects());
  });
});

describe('answerQuery on a stored table', () => {
  const { table, columns } = piecesTable([0, 700, 701, 2500, 4000]);
  const cases: Query[] = [
    { sort: [{ column: 'price', desc: true }] },
    { sort: [{ column: 'name' }, { column: 'id', desc: true }] },
    { sort: [{ column: 'day' }], offset: 10, limit: 2000, select: ['day', 'at', 'id'] },
    { filter: { column: 'flag', op: '=', value: true }, select: ['note', 'note', 'name'] },
    { filter: { column: 'name', op: 'contains', value: 'long' }, sort: [{ column: 'at', desc: true }] },
    { filter: { column: 'id', op: '<', value: 0 } },
    { offset: 3990 },
    { select: [], limit: 3 },
  ];
  for (const query of cases) {
    it(`answers ${JSON.stringify(query)} as the rows' own table does`, () => {
      assert.ok(table.totalRows() >= TAKE_MIN_ROWS);
      const parsed = parseQuery(query);
      const answer = answerQuery(table, columns, parsed, 1e9);
      const expected = runQuery(table, parsed);
      assert.deepEqual(tableFromArrowIPC(answer.ipc).objects(), expected.objects());
      assert.deepEqual(tableFromArrowIPC(answer.ipc).columnNames(), expected.columnNames());
      assert.equal(answer.rows, expected.numRows());
      assert.deepEqual(answer.head, headOf(expected, answer.columns));
    });
  }
});
