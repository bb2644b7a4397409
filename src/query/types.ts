/**
 * The structured query a client sends to the server: plain JSON data. Names
 * that are values (filter operators, aggregates) are `as const` objects with
 * derived union types.
 */

/**
 * A value a filter compares against; {@link runQuery} converts it to the
 * column's type.
 *
 * @example
 * ```ts
 * const v: Scalar = '22' // compares as 22 against a number column
 * ```
 */
export type Scalar = string | number | boolean | null;

/** A plain object as JSON.parse makes it (not an array, a class instance or a null-prototype object). */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Whether `v` is a {@link Scalar} (a number must be finite). */
export function isScalarValue(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** The comparing filter operators (schema.ts validates with them, fast.ts checks by hand). */
export const COMPARE_OPS = ['=', '!=', '<', '<=', '>', '>='] as const;
/** The text filter operators. */
export const TEXT_OPS = ['contains', 'startsWith', 'endsWith'] as const;
/** The missing-value filter operators. */
export const NULL_OPS = ['isNull', 'notNull'] as const;

/**
 * The comparison operators of a filter leaf, by name.
 *
 * @example
 * ```ts
 * const f: Filter = { column: 'name', op: FilterOp.startsWith, value: 'Flo' }
 * ```
 */
export const FilterOp = {
  eq: '=',
  ne: '!=',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
  in: 'in',
  contains: 'contains',
  startsWith: 'startsWith',
  endsWith: 'endsWith',
  isNull: 'isNull',
  notNull: 'notNull',
} as const;

/** One of the filter operators in {@link FilterOp}, e.g. `'>='`. */
export type FilterOp = (typeof FilterOp)[keyof typeof FilterOp];

/**
 * A filter tree: `and` / `or` / `not` nodes over column comparisons.
 * `contains`, `startsWith` and `endsWith` match a plain substring (never a
 * regular expression). `in` matches any of the listed values.
 *
 * @example
 * ```ts
 * const f: Filter = { and: [{ column: 'grade', op: 'in', value: ['A', 'B'] }, { not: { column: 'age', op: 'isNull' } }] }
 * ```
 */
export type Filter =
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter }
  | { column: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Scalar }
  | { column: string; op: 'in'; value: Scalar[] }
  | { column: string; op: 'contains' | 'startsWith' | 'endsWith'; value: string }
  | { column: string; op: 'isNull' | 'notNull' };

/**
 * One sort key; `desc` sorts largest first. Nulls sort last either way.
 *
 * @example
 * ```ts
 * const keys: SortKey[] = [{ column: 'grade' }, { column: 'age', desc: true }]
 * ```
 */
export interface SortKey {
  /** The column to sort by. */
  column: string;
  /** Sort descending. @default false */
  desc?: boolean;
}

/**
 * The aggregate functions a rollup may use. `count` counts rows (or a column's
 * non-null values); `sum` and `mean` need numbers and skip nulls; `min` and
 * `max` skip nulls; `distinct` counts distinct values, null counting as one.
 *
 * @example
 * ```ts
 * const r: Rollup = { op: Aggregate.mean, column: 'age' }
 * ```
 */
export const Aggregate = {
  count: 'count',
  sum: 'sum',
  mean: 'mean',
  min: 'min',
  max: 'max',
  distinct: 'distinct',
} as const;

/** One of the aggregate names in {@link Aggregate}, e.g. `'mean'`. */
export type Aggregate = (typeof Aggregate)[keyof typeof Aggregate];

/**
 * One output column of a rollup. `column` is required except for `count`
 * (`count` with a column counts its non-null values).
 *
 * @example
 * ```ts
 * const rollup: Record<string, Rollup> = { n: { op: 'count' }, avg: { op: 'mean', column: 'age' } }
 * ```
 */
export interface Rollup {
  /** The aggregate function. */
  op: Aggregate;
  /** The input column it aggregates. */
  column?: string;
}

/**
 * A query, applied in this order: filter → groupby/rollup → sort → select →
 * offset/limit. Sort and select see the rollup's output columns when there is
 * a groupby or rollup.
 *
 * @example
 * ```ts
 * const q: Query = { filter: { column: 'name', op: '=', value: 'Floofy' }, select: ['id', 'age'], limit: 1 }
 * ```
 */
export interface Query {
  /** Keep the rows that match. */
  filter?: Filter;
  /** Group by these columns (one output row per distinct combination, in order of first appearance). */
  groupby?: string[];
  /** Output column name → aggregate. With a groupby and no rollup: `{ count: { op: 'count' } }`. */
  rollup?: Record<string, Rollup>;
  /** Sort keys, most significant first. The sort is stable. */
  sort?: SortKey[];
  /** Keep only these columns, in this order. */
  select?: string[];
  /** Skip this many rows. @default 0 */
  offset?: number;
  /** Return at most this many rows. @default no limit */
  limit?: number;
}

/**
 * Bounds a query must respect; every one is checked before evaluation.
 *
 * @example
 * ```ts
 * parseQuery(input, { maxDepth: 8, maxRows: 100_000 })
 * ```
 */
export interface QueryLimits {
  /** Deepest nesting of `and` / `or` / `not` (a single leaf has depth 1). @default 16 */
  maxDepth?: number;
  /** Most filter nodes (leaves plus `and` / `or` / `not`). @default 1000 */
  maxNodes?: number;
  /** Most values in one `in` list. @default 10_000 */
  maxInValues?: number;
  /** Longest string anywhere in the query, in UTF-16 code units. @default 65_536 */
  maxStringLength?: number;
  /** Most rows a result may have; a larger result is a `CSVS_LIMIT_ROWS` error, not a silent cut (a larger `limit` is fine). @default Infinity */
  maxRows?: number;
  /** Most entries in `groupby`, `rollup`, `sort` or `select`. @default 1000 */
  maxColumns?: number;
}

/**
 * The defaults of {@link QueryLimits}.
 *
 * @example
 * ```ts
 * defaultQueryLimits.maxInValues // 10_000
 * ```
 */
export const defaultQueryLimits: Readonly<Required<QueryLimits>> = Object.freeze({
  maxDepth: 16,
  maxNodes: 1000,
  maxInValues: 10_000,
  maxStringLength: 64 * 1024,
  maxRows: Number.POSITIVE_INFINITY,
  maxColumns: 1000,
});
