/**
 * A hand-written check of the common query shapes (filter trees, sort,
 * select, groupby, rollup, offset, limit), run before the limit walks and
 * the zod schema: a small query is answered in well under a millisecond, and
 * validating it the general way cost ~40 µs and ~10 KB of garbage per query.
 * The schema's filter and rollup are zod transforms, and a transform builds an
 * object with a getter of its own on each parse, which V8 gives a map of its
 * own in old space: everything that parse made then outlives the young
 * generation, so each general parse also lengthens the next collection.
 *
 * It accepts only input that the general path accepts too, with every limit
 * met, and returns the same value; anything else (an error, a rollup, an
 * unusual key) returns null and takes the general path, so every error
 * message is the general path's.
 */
import {
  Aggregate,
  COMPARE_OPS,
  type Filter,
  isRecord,
  isScalarValue,
  NULL_OPS,
  type Query,
  type QueryLimits,
  type Rollup,
  type Scalar,
  type SortKey,
  TEXT_OPS,
} from './types.js';

const COMPARE = new Set<string>(COMPARE_OPS);
const TEXT = new Set<string>(TEXT_OPS);
const NULL_TEST = new Set<string>(NULL_OPS);
const QUERY_KEYS = new Set(['filter', 'groupby', 'rollup', 'sort', 'select', 'offset', 'limit']);
const AGGREGATES = new Set<string>(Object.values(Aggregate));
/**
 * The longest key or operator name this path accepts without measuring it
 * ("startsWith"): the general path measures every string against
 * `maxStringLength`, so a lower limit takes the general path.
 */
const LONGEST_FIXED = Math.max(
  ...[
    ...QUERY_KEYS,
    ...COMPARE,
    ...TEXT,
    ...NULL_TEST,
    ...AGGREGATES,
    'in',
    'and',
    'or',
    'not',
    'column',
    'op',
    'value',
    'desc',
  ].map((k) => k.length),
);

type Limits = Required<QueryLimits>;

function isScalar(v: unknown, lim: Limits): v is Scalar {
  return typeof v === 'string' ? v.length <= lim.maxStringLength : isScalarValue(v);
}

function keysWithin(o: Record<string, unknown>, allowed: readonly string[]): boolean {
  const keys = Object.keys(o);
  for (const k of keys) if (!allowed.includes(k)) return false;
  return true;
}

/** The filter as the schema gives it, or null; counts nodes in `count`. */
function filterOf(node: unknown, depth: number, count: { n: number }, lim: Limits): Filter | null {
  if (!isRecord(node) || depth > lim.maxDepth || ++count.n > lim.maxNodes) return null;
  for (const key of ['and', 'or'] as const) {
    if (!Object.hasOwn(node, key)) continue;
    const kids = node[key];
    if (!Array.isArray(kids) || Object.keys(node).length !== 1 || count.n + kids.length > lim.maxNodes) return null;
    const out: Filter[] = [];
    for (const kid of kids) {
      const f = filterOf(kid, depth + 1, count, lim);
      if (f === null) return null;
      out.push(f);
    }
    return key === 'and' ? { and: out } : { or: out };
  }
  if (Object.hasOwn(node, 'not')) {
    if (Object.keys(node).length !== 1) return null;
    const inner = filterOf(node.not, depth + 1, count, lim);
    return inner === null ? null : { not: inner };
  }
  const { column, op, value } = node;
  if (typeof column !== 'string' || column.length > lim.maxStringLength || typeof op !== 'string') return null;
  if (NULL_TEST.has(op)) {
    return keysWithin(node, ['column', 'op']) ? ({ column, op } as Filter) : null;
  }
  if (!keysWithin(node, ['column', 'op', 'value']) || !Object.hasOwn(node, 'value')) return null;
  if (COMPARE.has(op)) return isScalar(value, lim) ? ({ column, op, value } as Filter) : null;
  if (TEXT.has(op)) {
    return typeof value === 'string' && value.length <= lim.maxStringLength ? ({ column, op, value } as Filter) : null;
  }
  if (op === 'in') {
    if (!Array.isArray(value) || value.length > lim.maxInValues) return null;
    for (const v of value) if (!isScalar(v, lim)) return null;
    return { column, op, value: value.slice() };
  }
  return null;
}

function namesOf(v: unknown, lim: Limits): string[] | null {
  if (!Array.isArray(v) || v.length > lim.maxColumns) return null;
  for (const name of v) if (typeof name !== 'string' || name.length > lim.maxStringLength) return null;
  return v.slice();
}

function sortOf(v: unknown, lim: Limits): SortKey[] | null {
  if (!Array.isArray(v) || v.length > lim.maxColumns) return null;
  const out: SortKey[] = [];
  for (const key of v) {
    if (!isRecord(key) || !keysWithin(key, ['column', 'desc'])) return null;
    const { column, desc } = key;
    if (typeof column !== 'string' || column.length > lim.maxStringLength) return null;
    if (Object.hasOwn(key, 'desc')) {
      if (typeof desc !== 'boolean') return null;
      out.push({ column, desc });
    } else out.push({ column });
  }
  return out;
}

/** Output name → aggregate, names defined as data (any name but `__proto__`, which the general path refuses). */
function rollupOf(v: unknown, lim: Limits): Record<string, Rollup> | null {
  if (!isRecord(v)) return null;
  const names = Object.keys(v);
  if (names.length > lim.maxColumns) return null;
  const out: Record<string, Rollup> = {};
  for (const name of names) {
    const r = v[name];
    if (name === '__proto__' || name.length > lim.maxStringLength || !isRecord(r)) return null;
    if (!keysWithin(r, ['op', 'column']) || typeof r.op !== 'string' || !AGGREGATES.has(r.op)) return null;
    const op = r.op as Aggregate;
    let rollup: Rollup;
    if (Object.hasOwn(r, 'column')) {
      if (typeof r.column !== 'string' || r.column.length > lim.maxStringLength) return null;
      rollup = { op, column: r.column };
    } else if (op === 'count') rollup = { op };
    else return null;
    Object.defineProperty(out, name, { value: rollup, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * The query, when `input` has one of the common shapes and is valid within
 * `lim`; null otherwise (the general path then decides, with its messages).
 *
 * @param input - the query as received
 * @param lim - the limits in force
 */
export function fastQuery(input: unknown, lim: Limits): Query | null {
  if (!isRecord(input) || lim.maxStringLength < LONGEST_FIXED) return null;
  const out: Query = {};
  for (const key of Object.keys(input)) {
    if (!QUERY_KEYS.has(key)) return null;
    const v = input[key];
    switch (key) {
      case 'filter': {
        const f = filterOf(v, 1, { n: 0 }, lim);
        if (f === null) return null;
        out.filter = f;
        break;
      }
      case 'groupby':
      case 'select': {
        const names = namesOf(v, lim);
        if (names === null) return null;
        out[key] = names;
        break;
      }
      case 'rollup': {
        const rollup = rollupOf(v, lim);
        if (rollup === null) return null;
        out.rollup = rollup;
        break;
      }
      case 'sort': {
        const sort = sortOf(v, lim);
        if (sort === null) return null;
        out.sort = sort;
        break;
      }
      default:
        if (!isCount(v)) return null;
        out[key as 'offset' | 'limit'] = v;
    }
  }
  return out;
}
