/**
 * What a query answers with, computed the same way in a query worker and, for
 * the few queries whose cost does not grow with the data, on the main thread:
 * the result as Arrow IPC plus what its summary needs (rows, column infos, the
 * first rows as text).
 */
import type { ColumnTable } from 'arquero';
import { headOf, inferColumns, tableToArrowIPC } from '../../arrow/ipc.js';
import type { ColumnInfo } from '../../csv/index.js';
import { type Query, runQuery } from '../../query/query.js';

/** A query's result as it travels back to the client. */
export interface QueryAnswer {
  /** the result table as Arrow IPC (stream format) */
  ipc: Uint8Array;
  rows: number;
  columns: ColumnInfo[];
  /** the first rows, exact text per cell */
  head: Array<Array<string | null>>;
}

/** Cells a head query (`limit` without filter, groupby or sort) may copy on the main thread. */
export const INLINE_CELLS = 20_000;

/**
 * Run `query` on `table` and encode the result.
 *
 * @param table - the dataset's table
 * @param known - the dataset's column infos (types and exact-text formats)
 * @param query - a parsed query
 * @param maxRows - the largest result allowed
 */
export function answerQuery(
  table: ColumnTable,
  known: readonly ColumnInfo[],
  query: Query,
  maxRows: number,
): QueryAnswer {
  const result = runQuery(table, query, { maxRows });
  // filter, sort, select and limit keep the dataset's columns as they are; only
  // a grouped result has new columns whose types must be read from the values
  const grouped = query.groupby !== undefined || query.rollup !== undefined;
  const byName = new Map(known.map((c) => [c.name, c]));
  const columns = grouped
    ? inferColumns(result, known)
    : result.columnNames().map((n) => byName.get(n) ?? { name: n, type: 'string' as const });
  return { ipc: tableToArrowIPC(result), rows: result.numRows(), columns, head: headOf(result, columns) };
}

/**
 * A head query — only `select`, `offset` and a small `limit` — answered from
 * its own rows: its cost is bounded by `limit × columns`, not by the table,
 * so it may run on the main thread. Returns null for any other query.
 *
 * The rows are cut first and the query (its `select`) then runs on them, so
 * the answer, and any error, is the one the whole-table path gives.
 *
 * @param table - the dataset's table
 * @param known - the dataset's column infos
 * @param query - a parsed query
 * @param maxRows - the largest result allowed
 */
export function answerHeadQuery(
  table: ColumnTable,
  known: readonly ColumnInfo[],
  query: Query,
  maxRows: number,
): QueryAnswer | null {
  const { filter, groupby, rollup, sort, limit, offset, ...rest } = query;
  if (filter !== undefined || groupby !== undefined || rollup !== undefined || limit === undefined) return null;
  if (sort !== undefined && sort.length > 0) return null;
  if (table.isFiltered() || table.isOrdered() || table.isGrouped()) return null;
  if (limit * Math.max(1, table.numCols()) > INLINE_CELLS) return null;
  const start = Math.min(offset ?? 0, table.numRows());
  const end = Math.min(start + limit, table.numRows());
  const rows = Array.from({ length: end - start }, (_, i) => start + i);
  return answerQuery(table.reify(rows), known, rest, maxRows);
}
