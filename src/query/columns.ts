/**
 * Reading a table's columns for a query: values by raw row index (decoded once
 * per column), their kind, and the check that every name a query uses exists
 * before any row is read.
 */

import type { ColumnTable } from 'arquero';
import { layoutBatches } from '../arrow/take.js';
import { ArrowColumn } from '../csv/layout.js';
import { ErrorCode, QueryError } from '../errors.js';
import type { Filter, Query } from './types.js';

/** What a column holds, as far as comparisons are concerned. */
export type Kind = 'number' | 'bigint' | 'string' | 'boolean' | 'date' | 'other' | 'empty';
/** A column's values, indexed by raw row number. */
export type Values = ArrayLike<unknown>;

/** Null, undefined and NaN: the values filters treat as null and sorts put last. */
export const isMissing = (v: unknown): boolean =>
  v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

// Arrow-backed columns decode each value on access (strings from UTF-8 every
// time); tables are immutable, so a column's values are decoded once and kept
// for as long as the column lives
const decoded = new WeakMap<object, Values>();

/** The column's values indexed by raw row number (arquero's own row ids). */
export function columnValues(table: ColumnTable, name: string): Values {
  const col = table.column(name) as unknown;
  if (Array.isArray(col) || (ArrayBuffer.isView(col) && !(col instanceof DataView))) return col as unknown as Values;
  const cached = typeof col === 'object' && col !== null ? decoded.get(col) : undefined;
  if (cached) return cached;
  const numbers = float64Values(col);
  if (numbers) {
    decoded.set(col as object, numbers);
    return numbers;
  }
  const at = (col as { at?: unknown } | undefined)?.at;
  if (typeof at !== 'function') {
    throw new QueryError(ErrorCode.QUERY_UNKNOWN_COLUMN, `Column ${JSON.stringify(name)} cannot be read`);
  }
  const n = table.totalRows();
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = at.call(col, i);
  decoded.set(col as object, out);
  return out;
}

/**
 * An Arrow column of doubles with no missing value, as one Float64Array of its
 * batches' values (a copy per batch, not a value read per row: 1M rows in a few
 * milliseconds instead of 200–500); null for any other column.
 */
function float64Values(col: unknown): Float64Array | null {
  const parts = layoutBatches(col);
  if (!parts?.every((p) => p instanceof ArrowColumn && p.type === 'float64' && p.nullCount === 0)) return null;
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(((p as ArrowColumn).values as Float64Array).subarray(0, p.length), at);
    at += p.length;
  }
  // no number at all (empty, or only NaN, which an uploaded Arrow table may hold):
  // read value by value, so the column's kind stays 'empty' as it was
  for (let i = 0; i < out.length; i++) if (!Number.isNaN(out[i])) return out;
  return null;
}

export function kindOf(values: Values): Kind {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return 'bigint';
  if (ArrayBuffer.isView(values)) return 'number';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    if (v instanceof Date) return 'date';
    const t = typeof v;
    return t === 'number' || t === 'bigint' || t === 'string' || t === 'boolean' ? t : 'other';
  }
  return 'empty';
}

export function checkColumns(table: ColumnTable, query: Query): void {
  // A name counts only if its column is readable: arquero keeps columns in a
  // plain object, so a column named "__proto__" is listed but not usable.
  const have = table.columnNames((name) => {
    const col = table.column(name) as unknown;
    return (
      Array.isArray(col) || ArrayBuffer.isView(col) || typeof (col as { at?: unknown } | undefined)?.at === 'function'
    );
  });
  const known = new Set(have);
  const unknown = (name: string, where: string): QueryError => {
    const near = have.find((h) => h.toLowerCase() === name.toLowerCase());
    const list = have.length > 20 ? `${have.slice(0, 20).join(', ')}, … (${have.length - 20} more)` : have.join(', ');
    return new QueryError(
      ErrorCode.QUERY_UNKNOWN_COLUMN,
      `Unknown column ${JSON.stringify(name)} in ${where}${near !== undefined ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; the columns are: ${list}`,
    );
  };
  const need = (name: string, where: string, cols: Set<string> = known): void => {
    if (!cols.has(name)) throw unknown(name, where);
  };
  if (query.filter !== undefined) {
    const stack: Filter[] = [query.filter];
    while (stack.length > 0) {
      const f = stack.pop() as Filter;
      if ('and' in f) stack.push(...f.and);
      else if ('or' in f) stack.push(...f.or);
      else if ('not' in f) stack.push(f.not);
      else need(f.column, 'filter');
    }
  }
  for (const name of query.groupby ?? []) need(name, 'groupby');
  for (const [out, r] of Object.entries(query.rollup ?? {}))
    if (r.column !== undefined) need(r.column, `rollup ${out}`);
  // sort and select see the rollup's output when there is one
  let after = known;
  if (query.rollup !== undefined || (query.groupby?.length ?? 0) > 0) {
    after = new Set([...(query.groupby ?? []), ...Object.keys(query.rollup ?? { count: 0 })]);
  }
  const later = (name: string, where: string): void => {
    if (after.has(name)) return;
    if (after !== known && known.has(name)) {
      throw new QueryError(
        ErrorCode.QUERY_UNKNOWN_COLUMN,
        `Column ${JSON.stringify(name)} in ${where} is not in the grouped result; after groupby/rollup the columns are: ${[...after].join(', ')}`,
      );
    }
    throw unknown(name, where);
  };
  for (const k of query.sort ?? []) later(k.column, 'sort');
  for (const name of query.select ?? []) later(name, 'select');
}

/** Row values in the form coerced query values compare with (Dates as epoch ms). */
export function comparable(values: Values, kind: Kind): Values {
  if (kind !== 'date') return values;
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v instanceof Date ? v.getTime() : null;
  }
  return out;
}
