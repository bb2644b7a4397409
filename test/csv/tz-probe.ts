/**
 * Run by test/csv/dates.test.ts in a child process with TZ set: prints, as JSON,
 * what each path makes of calendar days in this time zone.
 */
import * as aq from 'arquero';
import { columnsToIPC, headOf, tableFromArrowIPC, tableToArrowIPC } from '../../src/arrow/ipc.js';
import { parseCSV, toCSV, toCSVTable } from '../../src/csv/index.js';
import { connect, startServer } from '../../src/index.js';
import { formatTable } from '../../src/notebook/table.js';
import { parseFilterExpression, runQuery } from '../../src/query/index.js';

const TEXT = 'date,n\n2012-01-01,1\n2012-02-29,2\n2015-12-31,3\n0099-12-31,4\n';
const STOCKS = 'date,price\nJan 1 2000,39.81\nFeb 1 2000,36.35\n';

function days(table: aq.ColumnTable, column = 'date'): number[][] {
  return table
    .derive({
      y: aq.escape((d: Record<string, Date>) => aq.op.year(d[column] as Date)),
      m: aq.escape((d: Record<string, Date>) => aq.op.month(d[column] as Date)),
      d: aq.escape((d: Record<string, Date>) => aq.op.date(d[column] as Date)),
      w: aq.escape((d: Record<string, Date>) => aq.op.dayofweek(d[column] as Date)),
    })
    .objects()
    .map((r) => {
      const row = r as Record<string, number>;
      return [row.y, row.m, row.d, row.w] as number[];
    });
}

async function main(): Promise<void> {
  const parsed = parseCSV(TEXT);
  const worker = tableFromArrowIPC(columnsToIPC(parsed));
  const again = tableFromArrowIPC(tableToArrowIPC(worker));
  const stocks = parseCSV(STOCKS, { types: { date: 'date:%b %d %Y' } });
  const stocksTable = tableFromArrowIPC(columnsToIPC(stocks));

  const server = await startServer({ port: 0 });
  const client = await connect(server.url);
  let sent: aq.ColumnTable;
  let stored: aq.ColumnTable;
  let queried: string;
  let filtered: number;
  try {
    sent = await client.send(TEXT, { name: 'weather' });
    stored = server.table('weather') as aq.ColumnTable;
    const q = await client.queryWithSummary('weather', {});
    queried = toCSVTable(q.table, q.summary.columns);
    filtered = (await client.query('weather', { filter: parseFilterExpression('date == "2012-01-01"') })).numRows();
  } finally {
    await client.close();
    await server.close();
  }
  const out = {
    parseCSV: days(aq.table({ date: parsed.values[0] as Date[] })),
    worker: days(worker),
    reencoded: days(again),
    sent: days(sent),
    stored: days(stored),
    stocks: days(stocksTable),
    toCSV: toCSV(parsed.columns, parsed.values),
    stocksCSV: toCSV(stocks.columns, stocks.values),
    queried,
    head: headOf(worker, parsed.columns, 2),
    show: formatTable(worker),
    filtered,
    localFilter: runQuery(worker, { filter: parseFilterExpression('date == "2012-01-01"') }).numRows(),
  };
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
