import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CsvOptions, parseCSV, toCSVTable } from '../../src/csv/index.js';
import { ErrorCode } from '../../src/errors.js';
import type { Datasets } from '../../src/server/datasets.js';
import { rejectsWithCode, sameTable, serverWithClient } from '../helpers.js';

describe('appending rows (send --append)', () => {
  const ctx = serverWithClient();
  let n = 0;

  /** Send `first`, append `more`; the stored table must be the parse of both together, every value as written. */
  async function appendsLikeOneParse(first: string[], more: string[], options: CsvOptions = {}): Promise<void> {
    const name = `append${n++}`;
    await ctx.client.send(`x\n${first.join('\n')}\n`, { name, ...options });
    const { summary } = await ctx.client.upload(`x\n${more.join('\n')}\n`, { name, mode: 'append' });
    const whole = `x\n${[...first, ...more].join('\n')}\n`;
    const expected = parseCSV(whole, options);
    assert.deepEqual(summary.columns, expected.columns);
    sameTable(ctx.server.table(name)!, expected, 'stored');
    const result = await ctx.client.queryWithSummary(name, {});
    assert.equal(toCSVTable(result.table, result.summary.columns), whole);
  }

  describe('into an integer column', () => {
    for (const value of ['00501', '+5', '-0', '1e3', '9007199254740993', '""', '2.5']) {
      it(`keeps ${value} as written (the column becomes what one parse of all rows makes it)`, async () => {
        await appendsLikeOneParse(['1', '2'], [value]);
      });
    }
    it('stays integer for integers and missing values', async () => {
      await appendsLikeOneParse(['1', '2'], ['3', '']);
    });
  });

  describe('into a number column with two decimals', () => {
    for (const value of ['2.5', '3.125', '7', '4.00']) {
      it(`keeps ${value} as written`, async () => {
        await appendsLikeOneParse(['1.20', '2.50'], [value]);
      });
    }
    it('becomes a shortest-form number column when every value is in shortest form', async () => {
      await appendsLikeOneParse(['1.25', '3.75'], ['7']);
    });
  });

  it('keeps 1.50 as written in a number column', async () => {
    await appendsLikeOneParse(['1.5', '2.25'], ['1.50']);
  });

  it('keeps TRUE as written in a boolean column', async () => {
    await appendsLikeOneParse(['true', 'false'], ['TRUE']);
  });

  it('keeps a calendar day column a date column', async () => {
    await appendsLikeOneParse(['2012-01-01', '2012-01-02'], ['2012-01-03']);
  });

  describe('into a date column read with a format', () => {
    const options: CsvOptions = { types: { x: 'date:%b %d %Y' } };

    it('learns the padding from the new rows when the stored ones did not show it', async () => {
      await appendsLikeOneParse(['Jan 10 2000', 'Jan 11 2000'], ['Jan 1 2000'], options);
    });

    it('refuses rows that pad a number the other way than the stored rows, naming the column', async () => {
      await ctx.client.send('x\nJan 01 2000\n', { name: 'padded', ...options });
      await rejectsWithCode(
        ctx.client.send('x\nJan 2 2000\n', { name: 'padded', mode: 'append' }),
        ErrorCode.PARSE_BAD_TYPE,
        /cannot append line 2 of the new rows: column "x" \(date:%b %d %Y\) has its dates written with a leading zero/,
      );
    });
  });

  it("joins the stored Arrow streams and the new rows' when no column changes, and copies nothing", async () => {
    const text = (rows: number[]) =>
      `id,name,day,ok\n${rows.map((i) => `${i},n${i},2024-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2 === 0}`).join('\n')}\n`;
    // the server's own record of the dataset (its Arrow streams are not public)
    const stored = (name: string) => (ctx.server as unknown as { datasets: Datasets }).datasets.get(name);
    await ctx.client.send(text([1, 2, 3]), { name: 'joined' });
    const before = stored('joined');
    for (const rows of [[4, 5], [6], [7, 8, 9]]) await ctx.client.send(text(rows), { name: 'joined', mode: 'append' });
    const after = stored('joined');
    assert.ok(before?.ipc && after?.ipc, 'both versions keep their Arrow streams');
    const streams = (ipc: unknown) => (ipc instanceof Uint8Array ? [ipc] : (ipc as Uint8Array[]));
    assert.equal(streams(after.ipc)[0], streams(before.ipc)[0], 'the stored rows are the same bytes');
    assert.equal(streams(after.ipc).length, streams(before.ipc).length + 3);
    const whole = parseCSV(text([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    assert.deepEqual(after.columns, whole.columns);
    sameTable(ctx.server.table('joined')!, whole, 'stored');
    const result = await ctx.client.queryWithSummary('joined', { filter: { column: 'id', op: '>', value: 7 } });
    assert.deepEqual(result.table.array('name', Array), ['n8', 'n9']);
    // a change of type still rebuilds the table as one parse of all rows would type it
    await ctx.client.send('id,name,day,ok\nten,n10,2024-01-10,true\n', { name: 'joined', mode: 'append' });
    assert.equal(stored('joined')?.ipc, null);
    assert.equal(stored('joined')?.columns[0]?.type, 'string');
    assert.deepEqual(ctx.server.table('joined')?.array('id', Array).slice(-2), ['9', 'ten']);
  });

  it('refuses rows with other columns', async () => {
    await ctx.client.send('a,b\n1,2\n', { name: 'cols' });
    await rejectsWithCode(
      ctx.client.send('a,c\n1,2\n', { name: 'cols', mode: 'append' }),
      ErrorCode.PARSE_BAD_TYPE,
      /cannot append to "cols": its columns are \["a","b"\], the new rows have \["a","c"\]/,
    );
  });
});
