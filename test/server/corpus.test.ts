import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ParsedCsv, parseCSV, toCSV, toCSVTable } from '../../src/csv/index.js';
import { edgeCases } from '../csv/corpus.js';
import { rejectsWithCode, sameTable, serverWithClient } from '../helpers.js';

/** The first `n` rows (or the rest from `from`) of a parse, as CSV text. */
function rowsText(parsed: ParsedCsv, from: number, to: number): string {
  return toCSV(
    parsed.columns,
    parsed.values.map((v) => Array.from(v).slice(from, to)),
  );
}

/** async chunks: the first `cut` bytes alone, then the rest */
async function* cutAt(bytes: Uint8Array, cut: number): AsyncIterable<Uint8Array> {
  yield bytes.subarray(0, cut);
  yield bytes.subarray(cut);
}

describe('the edge-case corpus over a real server', () => {
  const ctx = serverWithClient();

  edgeCases().forEach((c, n) => {
    const name = `edge${n}`;
    if (c.error) {
      it(`refuses ${c.file} with ${c.error}`, async () => {
        await rejectsWithCode(ctx.client.send(c.bytes, { name, ...c.options }), c.error as string);
      });
      return;
    }
    it(`gives parseCSV's table for ${c.file}: client.send, server.table(), a query as CSV`, async () => {
      const expected = parseCSV(c.bytes, c.options);
      const { table, summary } = await ctx.client.upload(c.bytes, { name, ...c.options });
      assert.deepEqual(summary.columns, expected.columns);
      sameTable(table, expected, 'client.send');
      sameTable(ctx.server.table(name)!, expected, 'server.table()');
      // what `csvsocket query NAME --format csv` prints
      const result = await ctx.client.queryWithSummary(name, {});
      sameTable(result.table, expected, 'query');
      assert.equal(toCSVTable(result.table, result.summary.columns), toCSV(expected.columns, expected.values));
    });

    it(`gives the same table for ${c.file} sent in chunks cut in its first bytes`, async () => {
      const expected = parseCSV(c.bytes, c.options);
      for (const cut of [1, 3, 4]) {
        if (cut >= c.bytes.length) continue;
        const table = await ctx.client.send(cutAt(c.bytes, cut), { name: `${name}_cut`, ...c.options });
        sameTable(table, expected, `cut at byte ${cut}`);
      }
    });

    // a file of one row has no two halves: no append case for it
    if (parseCSV(c.bytes, c.options).rows < 2) return;
    it(`gives the same table for ${c.file} sent in two halves, the second appended`, async () => {
      const expected = parseCSV(c.bytes, c.options);
      const half = expected.rows >> 1;
      const options = { ...c.options, delimiter: ',' };
      await ctx.client.send(rowsText(expected, 0, half), { name: `${name}_app`, ...options });
      const { table, summary } = await ctx.client.upload(rowsText(expected, half, expected.rows), {
        name: `${name}_app`,
        mode: 'append',
        delimiter: ',',
      });
      const names = (cols: ParsedCsv['columns']) => cols.map(({ header: _, ...rest }) => rest);
      assert.deepEqual(names(summary.columns), names(expected.columns));
      assert.deepEqual(
        table.columnNames(),
        expected.columns.map((col) => col.name),
      );
      sameTable(table, expected, 'appended');
    });
  });
});
