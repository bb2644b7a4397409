/**
 * A filter tree compiled once into nested closures over row indices; values a
 * client sent are converted to each column's type first. No client string is
 * ever evaluated: it is compared as data.
 */

import type { ColumnTable } from 'arquero';
import { formatDate, parseDateText } from '../csv/dates.js';
import { ErrorCode, QueryError } from '../errors.js';
import { columnValues, comparable, isMissing, type Kind, kindOf, type Values } from './columns.js';
import { describeValue } from './schema.js';
import type { Filter, Scalar } from './types.js';

/** Whether a row (by raw index) passes. */
export type Predicate = (row: number) => boolean;

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * The query value as the column's own type, so "22" compares as 22 against
 * numbers, "2024-05-01" as a date against Dates, "true" as true against booleans.
 */
function coerce(value: Scalar, kind: Kind, column: string): unknown {
  if (value === null) return null;
  const bad = (what: string): QueryError =>
    new QueryError(
      ErrorCode.QUERY_INVALID,
      `Invalid query value ${describeValue(value)} for column ${JSON.stringify(column)}: the column holds ${what}`,
    );
  switch (kind) {
    case 'number':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && NUMERIC.test(value.trim())) return Number(value);
      throw bad('numbers, so expected a number');
    case 'bigint':
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      if (typeof value === 'string' && INTEGER.test(value.trim())) return BigInt(value.trim());
      throw bad('64-bit integers, so expected an integer');
    case 'date': {
      // a date-only text is that local calendar day, as date columns hold it (csv/dates.ts)
      const t = typeof value === 'number' ? value : typeof value === 'string' ? parseDateText(value) : Number.NaN;
      if (Number.isNaN(t)) throw bad('dates, so expected an ISO date such as "2024-05-01" or "2024-05-01T12:00:00Z"');
      return t;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad('booleans, so expected true or false');
    case 'string':
      return typeof value === 'string' ? value : String(value);
    default:
      return value;
  }
}

const text = (v: unknown): string => (v instanceof Date ? formatDate(v) : String(v));

/** Each column a filter reads, decoded once per query. */
export type ColumnCache = Map<string, { raw: Values; col: Values; kind: Kind }>;

type Leaf = Exclude<Filter, { and: Filter[] } | { or: Filter[] } | { not: Filter }>;
type TextLeaf = Extract<Leaf, { op: 'contains' | 'startsWith' | 'endsWith' }>;
type CompareLeaf = Extract<Leaf, { op: '=' | '!=' | '<' | '<=' | '>' | '>=' }>;

function entryFor(table: ColumnTable, column: string, cache: ColumnCache) {
  let entry = cache.get(column);
  if (entry === undefined) {
    const raw = columnValues(table, column);
    const kind = kindOf(raw);
    entry = { raw, col: comparable(raw, kind), kind };
    cache.set(column, entry);
  }
  return entry;
}

/** contains / startsWith / endsWith: a plain substring test (never a regular expression). */
function textLeaf(leaf: TextLeaf, raw: Values, col: Values, kind: Kind): Predicate {
  const s = leaf.value;
  const test =
    leaf.op === 'contains'
      ? (v: string) => v.includes(s)
      : leaf.op === 'startsWith'
        ? (v: string) => v.startsWith(s)
        : (v: string) => v.endsWith(s);
  if (kind === 'string') {
    return (r) => {
      const v = col[r];
      return typeof v === 'string' && test(v);
    };
  }
  // other kinds match through their text
  return (r) => {
    const v = raw[r];
    return !isMissing(v) && test(text(v));
  };
}

function compareLeaf(leaf: CompareLeaf, col: Values, kind: Kind): Predicate {
  const x = coerce(leaf.value, kind, leaf.column) as number | string | boolean | bigint | null;
  if (x === null) {
    // only equality makes sense against null; ordering never matches
    if (leaf.op === '=') return (r) => isMissing(col[r]);
    if (leaf.op === '!=') return (r) => !isMissing(col[r]);
    return () => false;
  }
  type V = typeof x;
  switch (leaf.op) {
    case '=':
      return (r) => col[r] === x;
    case '!=':
      return (r) => col[r] !== x;
    case '<':
      return (r) => {
        const v = col[r] as V;
        return v != null && v < x;
      };
    case '<=':
      return (r) => {
        const v = col[r] as V;
        return v != null && v <= x;
      };
    case '>':
      return (r) => {
        const v = col[r] as V;
        return v != null && v > x;
      };
    case '>=':
      return (r) => {
        const v = col[r] as V;
        return v != null && v >= x;
      };
  }
}

function compileLeaf(table: ColumnTable, leaf: Leaf, cache: ColumnCache): Predicate {
  const { raw, col, kind } = entryFor(table, leaf.column, cache);
  switch (leaf.op) {
    case 'isNull':
      return (r) => isMissing(col[r]);
    case 'notNull':
      return (r) => !isMissing(col[r]);
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return textLeaf(leaf, raw, col, kind);
    case 'in': {
      const set = new Set(leaf.value.map((v) => coerce(v, kind, leaf.column)));
      const wantNull = set.has(null);
      return (r) => {
        const v = col[r];
        return isMissing(v) ? wantNull : set.has(v);
      };
    }
    default:
      return compareLeaf(leaf, col, kind);
  }
}

/** Compile the whole tree once into nested closures; evaluation never re-reads the tree. */
export function compileFilter(table: ColumnTable, filter: Filter, cache: ColumnCache): Predicate {
  if ('and' in filter || 'or' in filter) {
    const isAnd = 'and' in filter;
    const parts = (isAnd ? filter.and : (filter as { or: Filter[] }).or).map((f) => compileFilter(table, f, cache));
    const [a, b] = parts;
    if (parts.length === 0) return () => isAnd;
    if (parts.length === 1 && a !== undefined) return a;
    if (parts.length === 2 && a !== undefined && b !== undefined)
      return isAnd ? (r) => a(r) && b(r) : (r) => a(r) || b(r);
    const n = parts.length;
    return isAnd
      ? (r) => {
          for (let i = 0; i < n; i++) if (!(parts[i] as Predicate)(r)) return false;
          return true;
        }
      : (r) => {
          for (let i = 0; i < n; i++) if ((parts[i] as Predicate)(r)) return true;
          return false;
        };
  }
  if ('not' in filter) {
    const inner = compileFilter(table, filter.not, cache);
    return (r) => !inner(r);
  }
  return compileLeaf(table, filter, cache);
}
