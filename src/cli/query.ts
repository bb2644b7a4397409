/**
 * `csvsocket query`: build a {@link Query} from the CLI's expression syntax,
 * run it on the server, print the result. The table format escapes control
 * characters always; `--format csv` and `--format json` keep exact bytes into
 * a file or pipe and escape only on a terminal.
 */

import type { ColumnTable } from 'arquero';
import { type Command, Option } from 'commander';
import type { ColumnInfo } from '../csv/types.js';
import { parseFilterExpression, parseRollupExpression, parseSortExpression } from '../query/expressions.js';
import type { Filter, Query } from '../query/index.js';
import { escapeTerminal, formatRows } from '../text.js';
import { type ClientFlags, type CliIO, clientOptions, parseCount, splitList, withClient } from './io.js';

interface QueryFlags extends ClientFlags {
  filter?: string[];
  any?: boolean;
  sort?: string;
  select?: string;
  groupby?: string;
  rollup?: string;
  offset?: number;
  limit?: number;
  format: 'table' | 'csv' | 'json';
}

/** Add `query` to the program. */
export function addQueryCommand(cli: Command, io: CliIO): void {
  clientOptions(
    cli
      .command('query')
      .description('query a dataset on the server')
      .argument('<name>', 'dataset name')
      .option(
        '--filter <expr>',
        'keep rows matching, e.g. "grade = A", "age >= 22", "name ~ flo", "grade in A|B"; repeat to AND',
        (value: string, previous: string[] = []) => [...previous, value],
      )
      .option('--any', 'combine the filters with OR instead of AND')
      .option('--sort <keys>', 'sort keys, "-" for descending, e.g. grade,-age')
      .option('--select <columns>', 'columns to keep, e.g. name,grade')
      .option('--groupby <columns>', 'group by these columns, e.g. grade')
      .option('--rollup <aggs>', 'aggregates per group, e.g. "count,mean(age)" or "n=count,avg=mean(age)"')
      .addOption(new Option('--offset <n>', 'skip rows').argParser(parseCount))
      .addOption(new Option('--limit <n>', 'at most N rows').argParser(parseCount))
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table')),
  ).action((name: string, opts: QueryFlags) => queryCommand(name, opts, io));
}

/** The query the flags describe: the same JSON any other client would send. */
export function queryOf(opts: QueryFlags): Query {
  const query: Query = {};
  const filters: Filter[] = (opts.filter ?? []).map((f) => parseFilterExpression(f));
  if (filters.length === 1 && filters[0] !== undefined) query.filter = filters[0];
  else if (filters.length > 1) query.filter = opts.any ? { or: filters } : { and: filters };
  if (opts.groupby) query.groupby = splitList(opts.groupby);
  if (opts.rollup) query.rollup = parseRollupExpression(opts.rollup);
  if (opts.sort) query.sort = parseSortExpression(opts.sort);
  if (opts.select) query.select = splitList(opts.select);
  if (opts.offset !== undefined) query.offset = opts.offset;
  if (opts.limit !== undefined) query.limit = opts.limit;
  return query;
}

async function queryCommand(name: string, opts: QueryFlags, io: CliIO): Promise<void> {
  const query = queryOf(opts);
  await withClient(opts, async (client) => {
    const { table, summary } = await client.queryWithSummary(name, query);
    if (opts.format === 'table') {
      io.out(formatRows(table, summary.columns, Number.POSITIVE_INFINITY));
      return;
    }
    const text = opts.format === 'csv' ? await csvText(table, summary.columns) : await jsonText(table, summary.columns);
    io.out(io.outIsTTY ? escapeTerminal(text) : text);
  });
}

async function csvText(table: ColumnTable, columns: ColumnInfo[]): Promise<string> {
  const { toCSVTable } = await import('../csv/format.js');
  return toCSVTable(table, columns).replace(/\n$/, '');
}

async function jsonText(table: ColumnTable, columns: ColumnInfo[]): Promise<string> {
  const { formatCell } = await import('../arrow/ipc.js');
  const infos = new Map(columns.map((c) => [c.name, c]));
  const names = table.columnNames();
  const arrays = names.map((n) => table.array(n, Array) as unknown[]);
  const rows: unknown[] = [];
  for (let r = 0; r < table.numRows(); r++) {
    const row = Object.create(null) as Record<string, unknown>;
    names.forEach((n, i) => {
      const v = arrays[i]?.[r];
      row[n] = v instanceof Date ? formatCell(v, infos.get(n)) : v === undefined ? null : v;
    });
    rows.push(row);
  }
  return JSON.stringify(rows, null, 2);
}
