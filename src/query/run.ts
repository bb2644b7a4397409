/**
 * The engine: a parsed {@link Query} on an arquero table. Client strings reach
 * arquero only as column names (in `select`, `groupby` and `op.*` calls), and
 * only after they are checked to exist — never as expressions, which arquero
 * compiles with `Function`.
 *
 * ```
 *  Query + table ─► column check (every name, before any work)
 *               ──► filter   one compiled predicate over row indices
 *               ──► groupby / rollup   arquero verbs with op.*(name)
 *               ──► sort     stable, nulls last, over row indices
 *               ──► select   arquero select(names)
 *               ──► offset / limit, the row cap, then one reify
 * ```
 */

import type { ColumnTable } from 'arquero';
import * as aq from 'arquero';
import { ErrorCode, LimitError, QueryError } from '../errors.js';
import { checkColumns, columnValues, isMissing, kindOf, type Values } from './columns.js';
import { compileFilter } from './filter.js';
import type { Query, QueryLimits, Rollup, SortKey } from './types.js';
import { resolveLimits } from './validate.js';

function aggregate(table: ColumnTable, out: string, r: Rollup): unknown {
  if (r.column === undefined) return aq.op.count();
  if (r.op === 'sum' || r.op === 'mean') {
    const kind = kindOf(columnValues(table, r.column));
    if (kind !== 'number' && kind !== 'bigint' && kind !== 'empty') {
      throw new QueryError(
        ErrorCode.QUERY_INVALID,
        `Invalid query at rollup.${out}: ${r.op}(${r.column}) needs a numeric column; ${JSON.stringify(r.column)} holds ${kind} values`,
      );
    }
  }
  // Names only: arquero quotes a field name with JSON.stringify (tested with
  // hostile names in test/query.test.ts), so it is never parsed as code.
  switch (r.op) {
    case 'count':
      return aq.op.valid(r.column);
    case 'sum':
      return aq.op.sum(r.column);
    case 'mean':
      return aq.op.mean(r.column);
    case 'min':
      return aq.op.min(r.column);
    case 'max':
      return aq.op.max(r.column);
    case 'distinct':
      return aq.op.distinct(r.column);
  }
}

/** A stable row comparator for sort keys: nulls (and NaN) last in both directions, ties by input order. */
function rowComparator(table: ColumnTable, keys: SortKey[]): (a: number, b: number) => number {
  const cols = keys.map((k) => {
    const values = columnValues(table, k.column);
    const kind = kindOf(values);
    const sign = k.desc === true ? -1 : 1;
    if (kind === 'number' || kind === 'date') return { numbers: numericKeys(values, kind), values: null, sign };
    // dates went to numericKeys: text and booleans compare as they are
    return { numbers: null, values, sign };
  });
  const n = cols.length;
  const only = cols[0];
  if (n === 1 && only?.numbers) {
    // the common case, one number or date key: read from a Float64Array, so no
    // value is boxed per comparison (a top-10 of 5,000 rows made 160 KB of garbage)
    const { numbers, sign } = only;
    return (a: number, b: number): number => {
      const u = numbers[a] as number;
      const v = numbers[b] as number;
      const um = Number.isNaN(u);
      const vm = Number.isNaN(v);
      if (um || vm) return um ? (vm ? 0 : 1) : -1; // NaN: missing, last
      return u < v ? -sign : u > v ? sign : 0;
    };
  }
  return (a: number, b: number): number => {
    for (let i = 0; i < n; i++) {
      const { numbers, values, sign } = cols[i] as (typeof cols)[number];
      if (numbers) {
        const u = numbers[a] as number;
        const v = numbers[b] as number;
        const um = Number.isNaN(u);
        const vm = Number.isNaN(v);
        if (um || vm) {
          if (um && vm) continue;
          return um ? 1 : -1; // nulls last, whatever the direction
        }
        if (u < v) return -sign;
        if (u > v) return sign;
        continue;
      }
      const u = (values as Values)[a] as number;
      const v = (values as Values)[b] as number;
      const um = isMissing(u);
      const vm = isMissing(v);
      if (um || vm) {
        if (um && vm) continue;
        return um ? 1 : -1; // nulls last, whatever the direction
      }
      if (u < v) return -sign;
      if (u > v) return sign;
    }
    return 0;
  };
}

// a column's sort keys, made once per column (tables are immutable, see columns.ts)
const numericCache = new WeakMap<object, Float64Array>();

/** Number or date values as sortable numbers (epoch ms), missing ones as NaN. */
function numericKeys(values: Values, kind: 'number' | 'date'): Float64Array {
  if (values instanceof Float64Array) return values;
  const cached = numericCache.get(values);
  if (cached) return cached;
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    out[i] = kind === 'date' ? (v instanceof Date ? v.getTime() : Number.NaN) : typeof v === 'number' ? v : Number.NaN;
  }
  numericCache.set(values, out);
  return out;
}

/**
 * The first `top` rows in sort order of the rows `each` visits (in ascending
 * row order, so ties broken by index keep the sort stable), found in one pass
 * with a sorted buffer: O(n log top) instead of sorting every row, and no list
 * of all the rows is built.
 */
function topRows(compare: (a: number, b: number) => number, top: number, each: (visit: (row: number) => void) => void) {
  const stable = (a: number, b: number) => compare(a, b) || a - b;
  const best: number[] = [];
  each((row) => {
    if (best.length === top && (top === 0 || stable(row, best[top - 1] as number) >= 0)) return;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (stable(best[mid] as number, row) <= 0) lo = mid + 1;
      else hi = mid;
    }
    // insert at lo, dropping the last when full (not splice: it makes an array per call)
    let i = best.length < top ? best.length : top - 1;
    for (; i > lo; i--) best[i] = best[i - 1] as number;
    best[lo] = row;
  });
  return best;
}

/**
 * Sort row indices in place, stably, nulls last. With `top` (offset + limit)
 * far below the row count, only the first `top` rows are kept (see topRows).
 */
function sortRows(table: ColumnTable, rows: number[], keys: SortKey[], top?: number): void {
  const compare = rowComparator(table, keys);
  if (top !== undefined && top * 16 < rows.length && isAscending(rows)) {
    const best = topRows(compare, top, (visit) => {
      for (const row of rows) visit(row);
    });
    rows.length = 0;
    for (const row of best) rows.push(row);
    return;
  }
  // Array.prototype.sort is stable (ES2019), so ties keep their input order.
  rows.sort(compare);
}

/** The most rows the one-pass top-k keeps while filtering (its buffer insert is O(top)). */
const FUSED_TOP = 1000;

/**
 * Filter, sort and cut in one pass when only the first few rows of a sort are
 * wanted (a "top 10" query): the rows that pass go straight into the top-k
 * buffer, so no list of every passing row is built. Null when the query is not
 * of that shape; the answer is the one filterRows, sortRows and the cut give.
 */
function filterTopRows(table: ColumnTable, query: Query): number[] | null {
  const { sort, limit } = query;
  if (sort === undefined || sort.length === 0 || limit === undefined) return null;
  const top = (query.offset ?? 0) + limit;
  const n = table.totalRows();
  if (top > FUSED_TOP || top * 16 >= n || table.isFiltered() || table.isOrdered()) return null;
  const test = query.filter === undefined ? null : compileFilter(table, query.filter, new Map());
  const compare = rowComparator(table, sort);
  return topRows(compare, top, (visit) => {
    for (let r = 0; r < n; r++) if (test === null || test(r)) visit(r);
  });
}

function isAscending(rows: readonly number[]): boolean {
  for (let i = 1; i < rows.length; i++) if ((rows[i] as number) <= (rows[i - 1] as number)) return false;
  return true;
}

/** Raw row indices that pass the filter, in table order. */
function filterRows(table: ColumnTable, query: Query): number[] {
  if (query.filter === undefined) return Array.from(table.indices());
  const test = compileFilter(table, query.filter, new Map());
  const rows: number[] = [];
  if (!table.isFiltered() && !table.isOrdered()) {
    // the common case: scan raw rows without building an index first
    const n = table.totalRows();
    for (let r = 0; r < n; r++) if (test(r)) rows.push(r);
  } else {
    for (const r of table.indices()) if (test(r)) rows.push(r);
  }
  return rows;
}

/** The groupby/rollup output as a new table; output names are defined as data, never looked up. */
function rollupRows(table: ColumnTable, rows: number[], query: Query): ColumnTable {
  const groupby = query.groupby ?? [];
  const spec: Record<string, unknown> = {};
  for (const [out, r] of Object.entries(query.rollup ?? { count: { op: 'count' } as Rollup })) {
    Object.defineProperty(spec, out, { value: aggregate(table, out, r), enumerable: true });
  }
  const base = table.reify(rows);
  return (groupby.length > 0 ? base.groupby(groupby) : base)
    .rollup(spec as Parameters<ColumnTable['rollup']>[0])
    .ungroup();
}

/**
 * Run a parsed query on a table: filter → groupby/rollup → sort → select →
 * offset/limit. The query must come from `parseQuery` (or be typed
 * {@link Query} in code): it is not validated again. Every column it names is
 * checked before any row is read. The input table is never modified.
 *
 * Filter values take the column's type (its first non-null value decides):
 * `"22"` is 22 against numbers, an ISO string a date against Dates, `"true"`
 * true against booleans. `= null` matches nulls, `!=` is the negation of `=`,
 * `<`/`>` never match null. Strings compare with `<` (UTF-16 code-unit order,
 * so "Z" < "a"). Sorting is stable and puts nulls (and NaN) last in both
 * directions. Groups appear in order of first appearance.
 *
 * @param table - the table to query
 * @param query - the query, as returned by `parseQuery`
 * @param limits - bounds to enforce; only `maxRows` applies here (the rest were checked by `parseQuery`)
 * @returns a new table
 * @throws QueryError `CSVS_QUERY_UNKNOWN_COLUMN` naming the column and listing
 *   the available ones; `CSVS_QUERY_INVALID` for a value the column's type
 *   cannot take. LimitError `CSVS_LIMIT_ROWS` when the result has more than
 *   `maxRows` rows (a larger `limit` alone is fine)
 * @example
 * ```ts
 * runQuery(students, parseQuery({ groupby: ['grade'], rollup: { n: { op: 'count' }, avg: { op: 'mean', column: 'age' } }, sort: [{ column: 'grade' }] }))
 * ```
 */
export function runQuery(table: ColumnTable, query: Query, limits?: QueryLimits): ColumnTable {
  const { current, rows } = resultRows(table, query, resolveLimits(limits));
  const result = current.reify(rows);
  return query.select !== undefined ? selectColumns(result, query.select) : result;
}

/**
 * The rows of `table` that a query without groupby or rollup keeps, in the
 * result's order, as raw row indices: the rows runQuery's result is made of,
 * without making it (a query worker writes them straight from the dataset's
 * Arrow buffers, see arrow/take.ts). Checks and throws as runQuery does.
 *
 * @param table - the table to query (ungrouped)
 * @param query - the query, as returned by `parseQuery`, without groupby or rollup
 * @param limits - bounds to enforce; only `maxRows` applies here
 */
export function queryRows(table: ColumnTable, query: Query, limits?: QueryLimits): number[] {
  if ((query.groupby?.length ?? 0) > 0 || query.rollup !== undefined)
    throw new Error('internal: queryRows takes a query without groupby or rollup');
  return resultRows(table, query, resolveLimits(limits)).rows;
}

/** filter → groupby/rollup → sort → offset/limit, as raw row indices of `current`. */
function resultRows(table: ColumnTable, query: Query, lim: Required<QueryLimits>) {
  let current = table.ungroup();
  checkColumns(current, query);
  const grouped = (query.groupby?.length ?? 0) > 0 || query.rollup !== undefined;
  const fused = grouped ? null : filterTopRows(current, query);
  let rows = fused ?? filterRows(current, query);
  if (grouped) {
    current = rollupRows(current, rows, query);
    rows = Array.from(current.indices());
  }
  if (fused === null && query.sort !== undefined && query.sort.length > 0) {
    const top = query.limit === undefined ? undefined : (query.offset ?? 0) + query.limit;
    sortRows(current, rows, query.sort, top);
  }
  const start = query.offset ?? 0;
  const end = query.limit === undefined ? rows.length : start + query.limit;
  if (start > 0 || end < rows.length) rows = rows.slice(start, end);
  if (rows.length > lim.maxRows) {
    throw new LimitError('maxQueryRows', {
      limit: lim.maxRows,
      size: rows.length,
      hint: 'add a limit or a narrower filter',
    });
  }
  return { current, rows };
}

/**
 * Keep these columns, in this order. Not arquero's `select`, which drops a
 * column whose name is the empty string; the names were checked to exist.
 */
function selectColumns(table: ColumnTable, names: readonly string[]): ColumnTable {
  const data: Record<string, unknown> = {};
  for (const name of names) data[name] = table.column(name);
  return new aq.ColumnTable(data as ConstructorParameters<typeof aq.ColumnTable>[0], [...new Set(names)]);
}
