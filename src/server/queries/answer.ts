/**
 * What a query answers with, computed the same way in a query worker and, for
 * the few queries whose cost does not grow with the data, on the main thread:
 * the result as Arrow IPC plus what its summary needs (rows, column infos, the
 * first rows as text).
 */
import type { ColumnTable } from 'arquero';
import {
  type ArrowStreams,
  arrowTypesOf,
  columnsToIPC,
  formatCell,
  headOf,
  inferColumns,
  tableToArrowIPCKeeping,
} from '../../arrow/ipc.js';
import { type LayoutColumn, layoutBatches, takeRows } from '../../arrow/take.js';
import { compileDateFormat } from '../../csv/dateformat.js';
import { type ColumnInfo, isCalendarDay } from '../../csv/index.js';
import type { Filter } from '../../query/index.js';
import { type Query, runQuery } from '../../query/index.js';
import { queryRows } from '../../query/run.js';

/** A query's result as it travels back to the client. */
export interface QueryAnswer {
  /** the result table as Arrow IPC (stream format; a whole dataset: its stored streams) */
  ipc: ArrowStreams;
  rows: number;
  columns: ColumnInfo[];
  /** the first rows, exact text per cell */
  head: Array<Array<string | null>>;
  /** `ipc` is this answer's own shared memory (a query worker's result): let it go once it is sent */
  disposable?: boolean;
}

/** A computed result: one IPC stream. */
export type EncodedAnswer = QueryAnswer & { ipc: Uint8Array };

/** Cells a head query (`limit` without filter, groupby or sort) may copy on the main thread. */
export const INLINE_CELLS = 20_000;

/**
 * Work a query may cost to run on the main thread, in row visits (a filter
 * node, a sort comparison, a cell encoded): about 10 ms at worst here. Past it
 * the query goes to a worker.
 */
export const INLINE_WORK = 200_000;

function filterNodes(filter: Filter): number {
  if ('and' in filter) return 1 + filter.and.reduce((n, f) => n + filterNodes(f), 0);
  if ('or' in filter) return 1 + filter.or.reduce((n, f) => n + filterNodes(f), 0);
  if ('not' in filter) return 1 + filterNodes(filter.not);
  return 1;
}

/**
 * An upper bound of a query's cost on `table`, in row visits: every filter
 * node, groupby column and rollup visits each row once, a sort key log2(rows)
 * times (twice for a small top-k), every cell may be encoded, and a text test
 * reads its cells' text (8 bytes a visit). Bounded by the query limits (at
 * most 1000 filter nodes) times the table's size.
 *
 * @param table - the dataset's table
 * @param query - a parsed query
 */
export function queryWork(table: ColumnTable, query: Query): number {
  const rows = table.numRows();
  const top = query.limit !== undefined && (query.offset ?? 0) + query.limit <= 1000;
  const perKey = top ? 2 : Math.ceil(Math.log2(rows + 2));
  const perRow =
    1 +
    (query.filter ? filterNodes(query.filter) : 0) +
    (query.groupby?.length ?? 0) +
    Object.keys(query.rollup ?? {}).length +
    (query.sort?.length ?? 0) * perKey +
    table.numCols();
  const work = rows * perRow;
  if (work > INLINE_WORK || !query.filter) return work;
  return work + textWork(table, query.filter, INLINE_WORK - work);
}

/** Bytes of text a contains / startsWith / endsWith test reads for about one row visit's time. */
const TEXT_BYTES_PER_VISIT = 8;

/**
 * What the filter's text tests (contains, startsWith, endsWith) cost beyond a
 * visit a row: each reads its cell, so a long cell costs in proportion (ten
 * contains over one 15 MB cell held the event loop a second), counted until
 * `budget` is passed.
 */
function textWork(table: ColumnTable, filter: Filter, budget: number): number {
  // (no map for a filter without text tests: most small queries)
  let tests: Map<string, number> | undefined;
  const walk = (f: Filter): void => {
    if ('and' in f) f.and.forEach(walk);
    else if ('or' in f) f.or.forEach(walk);
    else if ('not' in f) walk(f.not);
    else if (f.op === 'contains' || f.op === 'startsWith' || f.op === 'endsWith') {
      tests ??= new Map();
      tests.set(f.column, (tests.get(f.column) ?? 0) + 1);
    }
  };
  walk(filter);
  if (!tests) return 0;
  const names = new Set(table.columnNames());
  const rows = table.numRows();
  let work = 0;
  for (const [name, count] of tests) {
    if (!names.has(name)) continue;
    for (let r = 0; r < rows && work <= budget; r++) {
      const v = table.get(name, r);
      if (typeof v === 'string') work += (count * v.length) / TEXT_BYTES_PER_VISIT;
    }
  }
  return work;
}

/**
 * Run `query` on `table` and encode the result.
 *
 * @param table - the dataset's table
 * @param known - the dataset's column infos (types and exact-text formats)
 * @param query - a parsed query
 * @param maxRows - the largest result allowed
 * @param shared - write the answer into shared memory (a query worker's, see worker.ts)
 */
export function answerQuery(
  table: ColumnTable,
  known: readonly ColumnInfo[],
  query: Query,
  maxRows: number,
  shared = false,
): EncodedAnswer {
  // filter, sort, select and limit keep the dataset's columns as they are; only
  // a grouped result has new columns whose types must be read from the values
  const grouped = query.groupby !== undefined || query.rollup !== undefined;
  if (!grouped) {
    const taken = takenAnswer(table, known, query, maxRows, shared);
    if (taken) return taken;
  }
  const result = runQuery(table, query, { maxRows });
  const columns = grouped ? inferColumns(result, known) : knownColumns(known, result.columnNames());
  // a column that keeps the dataset's values keeps its Arrow type: an uploaded
  // table's lists, maps, structs and binary cannot be typed again from them
  const ipc =
    (grouped ? null : directIPC(result, columns)) ??
    tableToArrowIPCKeeping(result, arrowTypesOf(table, grouped ? (query.groupby ?? []) : result.columnNames()));
  return { ipc, rows: result.numRows(), columns, head: headOf(result, columns) };
}

/** The dataset's infos of these columns (a filter, sort or select keeps them as they are); text for a name it lacks. */
function knownColumns(known: readonly ColumnInfo[], names: readonly string[]): ColumnInfo[] {
  const byName = new Map(known.map((c) => [c.name, c]));
  return names.map((n) => byName.get(n) ?? { name: n, type: 'string' as const });
}

/** Tables from this many rows on answer from their Arrow buffers (see arrow/take.ts); below, either path is as fast. */
export const TAKE_MIN_ROWS = 1000;

/**
 * The answer to a query without groupby or rollup, written straight from the
 * dataset's Arrow buffers in the order the query keeps the rows (arrow/take.ts),
 * or null when a column is of a type not taken that way, the table is not a
 * plain Arrow table, or the table is small (the general path is as fast there).
 */
function takenAnswer(
  table: ColumnTable,
  known: readonly ColumnInfo[],
  query: Query,
  maxRows: number,
  shared: boolean,
): EncodedAnswer | null {
  if (table.totalRows() < TAKE_MIN_ROWS || table.isFiltered() || table.isOrdered() || table.isGrouped()) return null;
  // as runQuery's select: each name once, in the order asked (no column: rows of nothing, the general path's)
  const names = query.select ? [...new Set(query.select)] : table.columnNames();
  if (names.length === 0) return null;
  const batches: LayoutColumn[][] = [];
  for (const name of names) {
    const parts = layoutBatches(table.column(name));
    if (parts === null) return null;
    batches.push(parts);
  }
  const lengths = (batches[0] ?? []).map((p) => p.length).join();
  if (batches.some((parts) => parts.map((p) => p.length).join() !== lengths)) return null;
  const rows = queryRows(table, query, { maxRows });
  const columns = knownColumns(known, names);
  const values = takeRows(batches, rows);
  if (values === null) return null;
  const head = rows
    .slice(0, 5)
    .map((row) => columns.map((c) => formatCell((table.column(c.name) as { at(i: number): unknown }).at(row), c)));
  // columnsToIPC writes layout columns as they are (the parse workers hand it the same)
  return {
    // a query worker's in shared memory: it hands it to the main thread as it is (see worker.ts)
    ipc: columnsToIPC({ columns, values: values as unknown as Array<ArrayLike<unknown>> }, { shared }),
    rows: rows.length,
    columns,
    head,
  };
}

/**
 * Cells up to which an answer the general path computed (a grouped one, or one
 * of a table not taken from its buffers) is written with the dataset's own
 * Arrow types (see directIPC); a larger one is worth the inferring encoder's
 * dictionaries and narrow integers (a third fewer bytes to send). An answer
 * taken from the dataset's buffers keeps their types: as many bytes as the
 * same rows of the whole table, for a sort of 1M rows 0.7 s instead of 2.6 s.
 */
export const DIRECT_CELLS = 200_000;

/**
 * A small answer as Arrow IPC in the dataset's own Arrow types, written from
 * the values as they are, or null. The encoder that infers each column's type
 * (arquero's toArrow) allocates builders per column and costs ~0.3 ms even for
 * a 10-row answer, on the main thread for a small query.
 */
function directIPC(result: ColumnTable, columns: ColumnInfo[]): Uint8Array | null {
  if (result.numRows() * columns.length > DIRECT_CELLS) return null;
  const values = columns.map((c) => valuesOf(result, c.name));
  if (!columns.every((c, i) => holdsType(c, values[i] as ArrayLike<unknown>))) return null;
  return columnsToIPC({ columns, values });
}

/** A column's values in row order: runQuery's result is reified, so its columns are arrays already. */
function valuesOf(table: ColumnTable, name: string): ArrayLike<unknown> {
  const column = table.column(name) as unknown;
  const plain = Array.isArray(column) || (ArrayBuffer.isView(column) && !(column instanceof DataView));
  if (plain && !table.isFiltered() && !table.isOrdered() && (column as ArrayLike<unknown>).length === table.numRows())
    return column as ArrayLike<unknown>;
  return table.array(name) as ArrayLike<unknown>;
}

/**
 * Whether every value of a column is what its type says, as columnsToIPC
 * writes it: numbers, booleans, strings, and Dates (at local midnight, unless
 * the column's format has a time of day), nulls anywhere. A dataset's rows
 * always are; anything else goes through the inferring encoder.
 */
function holdsType(column: ColumnInfo, values: ArrayLike<unknown>): boolean {
  if (ArrayBuffer.isView(values))
    return values instanceof Float64Array && (column.type === 'integer' || column.type === 'number');
  const n = values.length;
  const is = (test: (v: unknown) => boolean): boolean => {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== null && v !== undefined && !test(v)) return false;
    }
    return true;
  };
  switch (column.type) {
    case 'integer':
    case 'number':
      return is((v) => typeof v === 'number');
    case 'boolean':
      return is((v) => typeof v === 'boolean');
    case 'string':
      return is((v) => typeof v === 'string');
    case 'date': {
      const withTime = column.format !== undefined && compileDateFormat(column.format).hasTime;
      return is((v) => v instanceof Date && !Number.isNaN(v.getTime()) && (withTime || isCalendarDay(v)));
    }
    default:
      return false;
  }
}

/**
 * Answer a query on the main thread when its cost does not grow past a bound:
 * a head query (only `select`, `offset` and a `limit` of at most
 * {@link INLINE_CELLS} cells), whose rows are cut first, or any query on a
 * table small enough that {@link queryWork} stays within {@link INLINE_WORK}.
 * Returns null for every other query: it goes to a worker.
 *
 * A head query's rows are cut first and the query (its `select`) then runs on
 * them, so the answer, and any error, is the one the whole-table path gives.
 *
 * @param table - the dataset's table
 * @param known - the dataset's column infos
 * @param query - a parsed query
 * @param maxRows - the largest result allowed
 */
export function answerBoundedQuery(
  table: ColumnTable,
  known: readonly ColumnInfo[],
  query: Query,
  maxRows: number,
): EncodedAnswer | null {
  if (queryWork(table, query) <= INLINE_WORK) return answerQuery(table, known, query, maxRows);
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
