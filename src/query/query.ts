/**
 * The structured query a client sends to the server: plain JSON data, checked
 * against limits and a zod schema, then evaluated with closures built here.
 * No string from a client ever reaches arquero as an expression — arquero
 * compiles string expressions with `Function`, so a crafted `d => …` would run
 * any code. Client strings reach arquero only as column names (in `select`,
 * `groupby` and `op.*` calls), and only after they are checked to exist.
 *
 * ```
 *  unknown JSON ──► limits walk (iterative: depth, nodes, sizes, __proto__)   parseQuery
 *               ──► zod schema (shape, strict keys)                   ──► Query
 *  Query + table ─► column check (every name, before any work)               runQuery
 *               ──► filter   one compiled predicate over row indices
 *               ──► groupby / rollup   arquero verbs with op.*(name)
 *               ──► sort     stable, nulls last, over row indices
 *               ──► select   arquero select(names)
 *               ──► offset / limit, then one reify
 * ```
 *
 * The CLI forms (`--filter "age >= 22"`, `--sort grade,-age`,
 * `--rollup n=count,avg=mean(age)`) are parsed by {@link parseFilterExpression},
 * {@link parseSortExpression} and {@link parseRollupExpression} into the same
 * data, so the CLI sends exactly what any other client could.
 */

import type { ColumnTable } from 'arquero';
import * as aq from 'arquero';
import { z } from 'zod';
import { ArgumentError, ErrorCode, QueryError } from '../errors.js';

// ───────────────────────────── types ─────────────────────────────

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
  /** Most rows a result may have; a larger result is an error, not a silent cut. @default Infinity */
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

// ───────────────────────────── schema ─────────────────────────────

const ColumnName = z.string({
  invalid_type_error: 'expected a column name (string)',
  required_error: 'expected a column name (string)',
});
// a predicate rather than z.union: a union builds a ZodError for every branch it
// tries, which dominated the cost of small queries
const ScalarSchema = z.custom<Scalar>(
  (v) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)),
  { message: 'Expected a string, number, boolean or null' },
);

const CompareLeaf = z
  .object({ column: ColumnName, op: z.enum(['=', '!=', '<', '<=', '>', '>=']), value: ScalarSchema })
  .strict();
const InLeaf = z.object({ column: ColumnName, op: z.literal('in'), value: z.array(ScalarSchema) }).strict();
const TextLeaf = z
  .object({ column: ColumnName, op: z.enum(['contains', 'startsWith', 'endsWith']), value: z.string() })
  .strict();
const NullLeaf = z.object({ column: ColumnName, op: z.enum(['isNull', 'notNull']) }).strict();
const LeafSchema = z.discriminatedUnion('op', [CompareLeaf, InLeaf, TextLeaf, NullLeaf]);

// The casts below bridge zod's `{ a?: T | undefined }` output and
// exactOptionalPropertyTypes; zod never adds keys the input lacks.
const AndSchema = z.lazy(() => z.object({ and: z.array(FilterSchema) }).strict());
const OrSchema = z.lazy(() => z.object({ or: z.array(FilterSchema) }).strict());
const NotSchema = z.lazy(() => z.object({ not: FilterSchema }).strict());

/**
 * A filter node: picks its branch by key (and / or / not / a leaf) instead of
 * trying each as z.union does, so a valid query builds no error objects and an
 * invalid one gets the message of the branch it meant.
 */
class FilterType extends z.ZodType<Filter, z.ZodTypeDef, unknown> {
  override _parse(input: z.ParseInput): z.ParseReturnType<Filter> {
    const data = input.data as Record<string, unknown> | null;
    const has = (key: string) => typeof data === 'object' && data !== null && Object.hasOwn(data, key);
    const isObject = typeof data === 'object' && data !== null && !Array.isArray(data);
    if (!isObject || !(has('and') || has('or') || has('not') || has('column') || has('op'))) {
      const ctx = this._getOrReturnCtx(input);
      const got = isObject
        ? `an object with keys ${
            Object.keys(data)
              .map((k) => JSON.stringify(k))
              .join(', ') || '(none)'
          }`
        : describe(data);
      z.addIssueToContext(ctx, {
        code: z.ZodIssueCode.custom,
        message: `expected a filter, one of ${FILTER_FORMS}; got ${got}`,
        params: { complete: true },
      });
      return z.INVALID;
    }
    const branch = has('and') ? AndSchema : has('or') ? OrSchema : has('not') ? NotSchema : LeafSchema;
    return branch._parse(input) as z.ParseReturnType<Filter>;
  }
}
const FilterSchema: z.ZodType<Filter, z.ZodTypeDef, unknown> = new FilterType({});

const RollupSchema = z
  .object({ op: z.enum(['count', 'sum', 'mean', 'min', 'max', 'distinct']), column: ColumnName.optional() })
  .strict()
  .refine((r) => r.op === 'count' || r.column !== undefined, {
    message: 'expected a "column" (only count may omit it)',
    path: ['column'],
  });

const Count = z.number().int('expected an integer').nonnegative('expected a non-negative integer');

/**
 * The zod schema of a {@link Query}. Objects are strict: an unknown key is an
 * error. It checks shape only; {@link parseQuery} also checks limits (first,
 * so a hostile query never reaches zod's recursion).
 *
 * @example
 * ```ts
 * QuerySchema.safeParse({ filter: { column: 'age', op: '>=', value: 22 } }).success // true
 * ```
 */
export const QuerySchema: z.ZodType<Query> = z
  .object({
    filter: FilterSchema.optional(),
    groupby: z.array(ColumnName).optional(),
    rollup: z.record(z.string().min(1, 'expected a non-empty output column name'), RollupSchema).optional(),
    sort: z.array(z.object({ column: ColumnName, desc: z.boolean().optional() }).strict()).optional(),
    select: z.array(ColumnName).optional(),
    offset: Count.optional(),
    limit: Count.optional(),
  })
  .strict() as unknown as z.ZodType<Query>;

// ───────────────────────────── parseQuery ─────────────────────────────

function resolveLimits(limits: QueryLimits | undefined): Required<QueryLimits> {
  const out = { ...defaultQueryLimits };
  if (limits === undefined) return out;
  for (const key of Object.keys(defaultQueryLimits) as Array<keyof QueryLimits>) {
    const v = limits[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `QueryLimits.${key} must be a non-negative number; got ${String(v)}`,
      );
    }
    out[key] = v;
  }
  return out;
}

function tooComplex(message: string, limit: number): QueryError {
  return new QueryError(ErrorCode.QUERY_TOO_COMPLEX, message, { limit });
}

function pathText(path: ReadonlyArray<string | number>): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s === '' ? '(the query)' : s;
}

/**
 * Walk the raw input once, iteratively, before zod sees it: zod recurses into
 * nested filters and would overflow the stack on a 10,000-deep one, and every
 * size limit is cheaper to check here than after parsing.
 */
function checkLimits(input: unknown, lim: Required<QueryLimits>): void {
  // generic walk: string lengths, __proto__ keys
  const stack: Array<[unknown, Array<string | number>]> = [[input, []]];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, Array<string | number>];
    if (typeof value === 'string') {
      if (value.length > lim.maxStringLength) {
        throw tooComplex(
          `Query string at ${pathText(path)} has ${value.length} characters; the limit is ${lim.maxStringLength}`,
          lim.maxStringLength,
        );
      }
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], [...path, i]]);
    } else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) {
        if (key === '__proto__') {
          throw new QueryError(
            ErrorCode.QUERY_INVALID,
            `Invalid query at ${pathText(path)}: the key "__proto__" is not allowed`,
          );
        }
        if (key.length > lim.maxStringLength) {
          throw tooComplex(
            `Query key at ${pathText(path)} has ${key.length} characters; the limit is ${lim.maxStringLength}`,
            lim.maxStringLength,
          );
        }
        stack.push([(value as Record<string, unknown>)[key], [...path, key]]);
      }
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return;
  const q = input as Record<string, unknown>;
  for (const key of ['groupby', 'sort', 'select'] as const) {
    const v = q[key];
    if (Array.isArray(v) && v.length > lim.maxColumns) {
      throw tooComplex(`Query ${key} has ${v.length} entries; the limit is ${lim.maxColumns}`, lim.maxColumns);
    }
  }
  if (typeof q.rollup === 'object' && q.rollup !== null) {
    const n = Object.keys(q.rollup).length;
    if (n > lim.maxColumns)
      throw tooComplex(`Query rollup has ${n} entries; the limit is ${lim.maxColumns}`, lim.maxColumns);
  }
  if (typeof q.limit === 'number' && q.limit > lim.maxRows) {
    throw tooComplex(`Query limit ${q.limit} is above the server's maximum of ${lim.maxRows} rows`, lim.maxRows);
  }
  // filter walk: depth, node count, `in` list size
  if (q.filter === undefined) return;
  const nodes: Array<[unknown, number, Array<string | number>]> = [[q.filter, 1, ['filter']]];
  let count = 0;
  while (nodes.length > 0) {
    const [node, depth, path] = nodes.pop() as [unknown, number, Array<string | number>];
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue; // zod reports it
    if (depth > lim.maxDepth)
      throw tooComplex(
        `Query filter is nested deeper than ${lim.maxDepth} levels (at ${pathText(path)})`,
        lim.maxDepth,
      );
    if (++count > lim.maxNodes) throw tooComplex(`Query filter has more than ${lim.maxNodes} nodes`, lim.maxNodes);
    const n = node as Record<string, unknown>;
    for (const key of ['and', 'or'] as const) {
      const kids = n[key];
      if (Array.isArray(kids))
        for (let i = kids.length - 1; i >= 0; i--) nodes.push([kids[i], depth + 1, [...path, key, i]]);
    }
    if (n.not !== undefined) nodes.push([n.not, depth + 1, [...path, 'not']]);
    if (n.op === 'in' && Array.isArray(n.value) && n.value.length > lim.maxInValues) {
      throw tooComplex(
        `Query "in" list at ${pathText(path)} has ${n.value.length} values; the limit is ${lim.maxInValues}`,
        lim.maxInValues,
      );
    }
  }
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = root;
  for (const p of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, p)) return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${typeof v} ${String(v)}`;
}

const FILTER_FORMS = '{"and":[…]}, {"or":[…]}, {"not":{…}} or {"column","op","value"}';

/** One readable sentence from a zod issue, descending into the union branch the input was aiming at. */
function issueText(issue: z.ZodIssue, input: unknown): string {
  const at = pathText(issue.path);
  const got = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_union': {
      // Two unions exist: a filter node (and / or / not / leaf) and a scalar.
      // A scalar union's branches each fail with a plain type mismatch.
      const firsts = issue.unionErrors.map((e) => e.issues[0]);
      const scalar = firsts.every((f) => f !== undefined && f.code === 'invalid_type' && f.expected !== 'object');
      if (scalar) return `at ${at}: expected a string, number, boolean or null; got ${describe(got)}`;
      if (typeof got === 'object' && got !== null && !Array.isArray(got)) {
        const keys = Object.keys(got);
        const branch = keys.includes('and')
          ? 0
          : keys.includes('or')
            ? 1
            : keys.includes('not')
              ? 2
              : keys.includes('op') || keys.includes('column')
                ? 3
                : -1;
        const chosen = branch >= 0 ? firsts[branch] : undefined;
        if (chosen !== undefined) return issueText(chosen, input);
        return `at ${at}: expected a filter, one of ${FILTER_FORMS}; got an object with keys ${keys.map((k) => JSON.stringify(k)).join(', ') || '(none)'}`;
      }
      return `at ${at}: expected a filter, one of ${FILTER_FORMS}; got ${describe(got)}`;
    }
    case 'invalid_union_discriminator':
      return `at ${at}: expected "op" to be one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}; got ${describe(got)}`;
    case 'invalid_enum_value':
      return `at ${at}: expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}; got ${describe(got)}`;
    case 'invalid_literal':
      return `at ${at}: expected ${JSON.stringify(issue.expected)}; got ${describe(got)}`;
    case 'unrecognized_keys':
      return `at ${at}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_type':
      return `at ${at}: expected ${issue.message.startsWith('expected') ? issue.message.slice(9) : issue.expected}; got ${describe(got)}`;
    case 'custom':
      if ((issue.params as { complete?: boolean } | undefined)?.complete) return `at ${at}: ${issue.message}`;
      return `at ${at}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}; got ${describe(got)}`;
    default:
      return `at ${at}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}; got ${describe(got)}`;
  }
}

/**
 * Validate untrusted input as a {@link Query}: limits first (an iterative walk,
 * so no input can overflow the stack), then the zod schema. Nothing is
 * evaluated.
 *
 * @param input - the query as received, e.g. from `JSON.parse`
 * @param limits - bounds to enforce; see {@link QueryLimits} for defaults
 * @returns the query, typed
 * @throws QueryError `CSVS_QUERY_TOO_COMPLEX` (with `limit`) when a limit is exceeded;
 *   `CSVS_QUERY_INVALID` naming the path and what was expected otherwise
 * @example
 * ```ts
 * const q = parseQuery(JSON.parse('{"filter":{"column":"name","op":"=","value":"Floofy"}}'))
 * ```
 */
export function parseQuery(input: unknown, limits?: QueryLimits): Query {
  const lim = resolveLimits(limits);
  checkLimits(input, lim);
  const result = QuerySchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const text = issue === undefined ? 'malformed' : issueText(issue, input);
    throw new QueryError(ErrorCode.QUERY_INVALID, `Invalid query ${text}`, {}, { cause: result.error });
  }
  const q = result.data;
  if (q.groupby !== undefined && q.rollup !== undefined) {
    for (const name of q.groupby) {
      if (Object.hasOwn(q.rollup, name)) {
        throw new QueryError(
          ErrorCode.QUERY_INVALID,
          `Invalid query at rollup.${name}: the output name "${name}" is also a groupby column; choose another name`,
        );
      }
    }
  } else if (q.groupby?.includes('count') && q.rollup === undefined) {
    throw new QueryError(
      ErrorCode.QUERY_INVALID,
      'Invalid query at groupby: grouping by a column named "count" needs an explicit rollup, since the default rollup output is also named "count"',
    );
  }
  return q;
}

// ───────────────────────────── columns ─────────────────────────────

type Kind = 'number' | 'bigint' | 'string' | 'boolean' | 'date' | 'other' | 'empty';
type Values = ArrayLike<unknown>;

const isMissing = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/** The column's values indexed by raw row number (arquero's own row ids). */
// Arrow-backed columns decode each value on access (strings from UTF-8 every
// time); tables are immutable, so a column's values are decoded once and kept
// for as long as the column lives
const decoded = new WeakMap<object, Values>();

function columnValues(table: ColumnTable, name: string): Values {
  const col = table.column(name) as unknown;
  if (Array.isArray(col) || (ArrayBuffer.isView(col) && !(col instanceof DataView))) return col as unknown as Values;
  const cached = typeof col === 'object' && col !== null ? decoded.get(col) : undefined;
  if (cached) return cached;
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

function kindOf(values: Values): Kind {
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

function checkColumns(table: ColumnTable, query: Query): void {
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

// ───────────────────────────── filter ─────────────────────────────

type Predicate = (row: number) => boolean;

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
      `Invalid query value ${describe(value)} for column ${JSON.stringify(column)}: the column holds ${what}`,
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
      const t = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
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

/** Row values in the form coerced query values compare with (Dates as epoch ms). */
function comparable(values: Values, kind: Kind): Values {
  if (kind !== 'date') return values;
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v instanceof Date ? v.getTime() : null;
  }
  return out;
}

const text = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

type ColumnCache = Map<string, { raw: Values; col: Values; kind: Kind }>;

function compileLeaf(
  table: ColumnTable,
  leaf: Exclude<Filter, { and: Filter[] } | { or: Filter[] } | { not: Filter }>,
  cache: ColumnCache,
): Predicate {
  let entry = cache.get(leaf.column);
  if (entry === undefined) {
    const raw = columnValues(table, leaf.column);
    const kind = kindOf(raw);
    entry = { raw, col: comparable(raw, kind), kind };
    cache.set(leaf.column, entry);
  }
  const { raw, col, kind } = entry;
  switch (leaf.op) {
    case 'isNull':
      return (r) => isMissing(col[r]);
    case 'notNull':
      return (r) => !isMissing(col[r]);
    case 'contains': {
      const s = leaf.value;
      return kind === 'string'
        ? (r) => {
            const v = col[r];
            return typeof v === 'string' && v.includes(s);
          }
        : (r) => {
            const v = raw[r];
            return !isMissing(v) && text(v).includes(s);
          };
    }
    case 'startsWith': {
      const s = leaf.value;
      return kind === 'string'
        ? (r) => {
            const v = col[r];
            return typeof v === 'string' && v.startsWith(s);
          }
        : (r) => {
            const v = raw[r];
            return !isMissing(v) && text(v).startsWith(s);
          };
    }
    case 'endsWith': {
      const s = leaf.value;
      return kind === 'string'
        ? (r) => {
            const v = col[r];
            return typeof v === 'string' && v.endsWith(s);
          }
        : (r) => {
            const v = raw[r];
            return !isMissing(v) && text(v).endsWith(s);
          };
    }
    case 'in': {
      const set = new Set(leaf.value.map((v) => coerce(v, kind, leaf.column)));
      const wantNull = set.has(null);
      return (r) => {
        const v = col[r];
        return isMissing(v) ? wantNull : set.has(v);
      };
    }
    default: {
      const x = coerce(leaf.value, kind, leaf.column) as number | string | boolean | bigint | null;
      if (x === null) {
        // only equality makes sense against null; ordering never matches
        if (leaf.op === '=') return (r) => isMissing(col[r]);
        if (leaf.op === '!=') return (r) => !isMissing(col[r]);
        return () => false;
      }
      switch (leaf.op) {
        case '=':
          return (r) => col[r] === x;
        case '!=':
          return (r) => col[r] !== x;
        case '<':
          return (r) => {
            const v = col[r] as typeof x;
            return v != null && v < x;
          };
        case '<=':
          return (r) => {
            const v = col[r] as typeof x;
            return v != null && v <= x;
          };
        case '>':
          return (r) => {
            const v = col[r] as typeof x;
            return v != null && v > x;
          };
        case '>=':
          return (r) => {
            const v = col[r] as typeof x;
            return v != null && v >= x;
          };
      }
    }
  }
}

/** Compile the whole tree once into nested closures; evaluation never re-reads the tree. */
function compileFilter(table: ColumnTable, filter: Filter, cache: ColumnCache): Predicate {
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

// ───────────────────────────── runQuery ─────────────────────────────

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

/**
 * Sort row indices in place, stably, nulls last. With `top` (offset + limit)
 * far below the row count, only the first `top` rows are kept, found by one
 * pass with a sorted buffer instead of sorting every row: a small query's
 * "sort, then take 10" costs O(n log top) instead of O(n log n).
 */
function sortRows(table: ColumnTable, rows: number[], keys: SortKey[], top?: number): void {
  const cols = keys.map((k) => {
    const values = columnValues(table, k.column);
    return { values: comparable(values, kindOf(values)), sign: k.desc === true ? -1 : 1 };
  });
  const n = cols.length;
  const compare = (a: number, b: number): number => {
    for (let i = 0; i < n; i++) {
      const { values, sign } = cols[i] as (typeof cols)[number];
      const u = values[a] as number;
      const v = values[b] as number;
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
  if (top !== undefined && top * 16 < rows.length && isAscending(rows)) {
    // rows are in input order, so ties broken by index keep the sort stable
    const stable = (a: number, b: number) => compare(a, b) || a - b;
    const best: number[] = [];
    for (const row of rows) {
      if (best.length === top && (top === 0 || stable(row, best[top - 1] as number) >= 0)) continue;
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (stable(best[mid] as number, row) <= 0) lo = mid + 1;
        else hi = mid;
      }
      best.splice(lo, 0, row);
      if (best.length > top) best.pop();
    }
    rows.length = 0;
    for (const row of best) rows.push(row);
    return;
  }
  // Array.prototype.sort is stable (ES2019), so ties keep their input order.
  rows.sort(compare);
}

function isAscending(rows: readonly number[]): boolean {
  for (let i = 1; i < rows.length; i++) if ((rows[i] as number) <= (rows[i - 1] as number)) return false;
  return true;
}

/**
 * Run a query on a table: filter → groupby/rollup → sort → select →
 * offset/limit. The query is validated again (it may come from JavaScript
 * rather than {@link parseQuery}), and every column it names is checked
 * before any row is read. The input table is never modified.
 *
 * Filter values take the column's type (its first non-null value decides):
 * `"22"` is 22 against numbers, an ISO string a date against Dates, `"true"`
 * true against booleans. `= null` matches nulls, `!=` is the negation of `=`,
 * `<`/`>` never match null. Strings compare with `<` (UTF-16 code-unit order,
 * so "Z" < "a"). Sorting is stable and puts nulls (and NaN) last in both
 * directions. Groups appear in order of first appearance.
 *
 * @param table - the table to query
 * @param query - the query
 * @param limits - bounds to enforce; see {@link QueryLimits}
 * @returns a new table
 * @throws QueryError `CSVS_QUERY_UNKNOWN_COLUMN` naming the column and listing
 *   the available ones; `CSVS_QUERY_INVALID` for a value the column's type
 *   cannot take; `CSVS_QUERY_TOO_COMPLEX` when the result exceeds `maxRows`
 * @example
 * ```ts
 * runQuery(students, { groupby: ['grade'], rollup: { n: { op: 'count' }, avg: { op: 'mean', column: 'age' } }, sort: [{ column: 'grade' }] })
 * ```
 */
export function runQuery(table: ColumnTable, query: Query, limits?: QueryLimits): ColumnTable {
  const lim = resolveLimits(limits);
  const q = parseQuery(query, limits);
  let current = table.ungroup();
  checkColumns(current, q);

  let rows: number[];
  if (q.filter !== undefined) {
    const test = compileFilter(current, q.filter, new Map());
    rows = [];
    if (!current.isFiltered() && !current.isOrdered()) {
      // the common case: scan raw rows without building an index first
      const n = current.totalRows();
      for (let r = 0; r < n; r++) if (test(r)) rows.push(r);
    } else {
      for (const r of current.indices()) if (test(r)) rows.push(r);
    }
  } else {
    rows = Array.from(current.indices());
  }

  const groupby = q.groupby ?? [];
  if (groupby.length > 0 || q.rollup !== undefined) {
    const spec: Record<string, unknown> = {};
    for (const [out, r] of Object.entries(q.rollup ?? { count: { op: 'count' } as Rollup })) {
      Object.defineProperty(spec, out, { value: aggregate(current, out, r), enumerable: true });
    }
    const base = current.reify(rows);
    current = (groupby.length > 0 ? base.groupby(groupby) : base)
      .rollup(spec as Parameters<ColumnTable['rollup']>[0])
      .ungroup();
    rows = Array.from(current.indices());
  }

  if (q.sort !== undefined && q.sort.length > 0) {
    sortRows(current, rows, q.sort, q.limit === undefined ? undefined : (q.offset ?? 0) + q.limit);
  }

  const start = q.offset ?? 0;
  const end = q.limit === undefined ? rows.length : start + q.limit;
  if (start > 0 || end < rows.length) rows = rows.slice(start, end);
  if (rows.length > lim.maxRows) {
    throw tooComplex(
      `Query result has ${rows.length} rows, more than the maximum of ${lim.maxRows}; add a limit or a narrower filter`,
      lim.maxRows,
    );
  }

  const result = current.reify(rows);
  return q.select !== undefined ? result.select(q.select) : result;
}

// ───────────────────────────── CLI expressions ─────────────────────────────

const FILTER_HELP =
  'accepted forms: COLUMN = VALUE, COLUMN != VALUE, COLUMN < | <= | > | >= VALUE, ' +
  'COLUMN ~ TEXT (contains), COLUMN ^= TEXT (starts with), COLUMN $= TEXT (ends with), ' +
  'COLUMN in A|B|C, COLUMN is null, COLUMN not null; quote a column or value with "…" or \'…\' ' +
  'to keep spaces, operators or | (backslash escapes a quote inside quotes)';

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s.charAt(this.i))) this.i++;
  }
  done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s.charAt(this.i);
  }
  /** A quoted string starting at the cursor, or undefined when none starts here. */
  quoted(fail: (why: string) => Error): string | undefined {
    const q = this.peek();
    if (q !== '"' && q !== "'") return undefined;
    let out = '';
    for (let j = this.i + 1; j < this.s.length; j++) {
      const c = this.s.charAt(j);
      if (c === '\\' && j + 1 < this.s.length) out += this.s.charAt(++j);
      else if (c === q) {
        this.i = j + 1;
        return out;
      } else out += c;
    }
    throw fail(`unterminated ${q} quote`);
  }
  /** Characters up to (not including) any of `stops`, trimmed. */
  until(stops: RegExp): string {
    const start = this.i;
    while (this.i < this.s.length && !stops.test(this.s.charAt(this.i))) this.i++;
    return this.s.slice(start, this.i).trim();
  }
}

const SYMBOL_OPS: ReadonlyArray<[string, Filter extends infer F ? (F extends { op: infer O } ? O : never) : never]> = [
  ['<=', '<='],
  ['>=', '>='],
  ['!=', '!='],
  ['^=', 'startsWith'],
  ['$=', 'endsWith'],
  ['==', '='],
  ['=', '='],
  ['<', '<'],
  ['>', '>'],
  ['~', 'contains'],
];

/**
 * Parse the CLI's filter syntax into a {@link Filter} leaf. Values stay strings;
 * {@link runQuery} gives them the column's type.
 *
 * Forms: `grade = A`, `age >= 22` (also `<`, `<=`, `>`, `!=`), `name ~ flo`
 * (contains), `name ^= Flo` (starts with), `name $= sh` (ends with),
 * `grade in A|B`, `age is null`, `age not null` (or `is not null`). Quote a
 * column or value with `"…"` or `'…'` to keep spaces, operators or `|`.
 *
 * @param text - the expression, e.g. from `--filter`
 * @returns the filter
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` with the accepted forms
 * @example
 * ```ts
 * parseFilterExpression('age >= 22')         // { column: 'age', op: '>=', value: '22' }
 * parseFilterExpression('name = "Mary Ann"') // { column: 'name', op: '=', value: 'Mary Ann' }
 * ```
 */
export function parseFilterExpression(text: string): Filter {
  const fail = (why: string): ArgumentError =>
    new ArgumentError(ErrorCode.BAD_ARGUMENT, `Cannot parse filter ${JSON.stringify(text)}: ${why}; ${FILTER_HELP}`);
  if (typeof text !== 'string') throw fail('expected a string');
  const c = new Cursor(text);
  c.skipSpace();
  const column = c.quoted(fail) ?? c.until(/[\s=!<>~^$]/);
  if (column === '') throw fail('missing column name');
  c.skipSpace();
  const rest = text.slice(c.i);
  const word = /^(is\s+not\s+null|is\s+null|not\s+null|in)(?=\s|$)/i.exec(rest);
  let op: string | undefined;
  if (word !== null) {
    const w = (word[1] as string).toLowerCase().replace(/\s+/g, ' ');
    c.i += (word[0] as string).length;
    if (w !== 'in') {
      c.skipSpace();
      if (!c.done()) throw fail(`unexpected ${JSON.stringify(text.slice(c.i))} after "${w}"`);
      return { column, op: w === 'is null' ? 'isNull' : 'notNull' };
    }
    op = 'in';
  } else {
    const sym = SYMBOL_OPS.find(([s]) => rest.startsWith(s));
    if (sym === undefined) throw fail(rest === '' ? 'missing operator' : `unknown operator at ${JSON.stringify(rest)}`);
    c.i += sym[0].length;
    op = sym[1];
  }
  c.skipSpace();
  const value = (stops: RegExp): string => {
    const q = c.quoted(fail);
    if (q !== undefined) return q;
    const v = c.until(stops);
    if (v === '') throw fail('missing value (use "" for an empty string)');
    return v;
  };
  if (op === 'in') {
    const values: string[] = [];
    for (;;) {
      c.skipSpace();
      values.push(value(/\|/));
      c.skipSpace();
      if (c.done()) break;
      if (c.peek() !== '|') throw fail(`unexpected ${JSON.stringify(text.slice(c.i))} in the "in" list`);
      c.i++;
    }
    return { column, op: 'in', value: values };
  }
  const v = value(/$^/);
  c.skipSpace();
  if (!c.done()) throw fail(`unexpected ${JSON.stringify(text.slice(c.i))} after the quoted value`);
  return { column, op, value: v } as Filter;
}

/** Split on commas outside quotes; each part keeps its quotes. */
function splitList(text: string, fail: (why: string) => Error): string[] {
  const parts: string[] = [];
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote !== '') {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ',') {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quote !== '') throw fail(`unterminated ${quote} quote`);
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** A whole part that is a column name, quoted or bare. */
function nameOf(part: string, fail: (why: string) => Error): string {
  const c = new Cursor(part.trim());
  const q = c.quoted(fail);
  if (q !== undefined) {
    c.skipSpace();
    if (!c.done()) throw fail(`unexpected ${JSON.stringify(part.slice(c.i))} after a quoted name`);
    return q;
  }
  if (part.trim() === '') throw fail('empty column name');
  return part.trim();
}

/**
 * Parse the CLI's sort syntax: comma-separated columns, `-` before a column
 * for descending (`+` is accepted for ascending). Quote a name that contains
 * a comma or starts with `-`.
 *
 * @param text - e.g. `grade,-age`
 * @returns the sort keys, most significant first
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` on an empty key or bad quoting
 * @example
 * ```ts
 * parseSortExpression('grade,-age') // [{ column: 'grade' }, { column: 'age', desc: true }]
 * ```
 */
export function parseSortExpression(text: string): SortKey[] {
  const fail = (why: string): ArgumentError =>
    new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `Cannot parse sort ${JSON.stringify(text)}: ${why}; expected COLUMN[,-COLUMN…] (a leading - sorts descending; quote names with "…")`,
    );
  if (typeof text !== 'string') throw fail('expected a string');
  return splitList(text, fail).map((part) => {
    const sign = part.charAt(0);
    const desc = sign === '-';
    const name = nameOf(sign === '-' || sign === '+' ? part.slice(1) : part, fail);
    return desc ? { column: name, desc: true } : { column: name };
  });
}

/**
 * Parse the CLI's rollup syntax: comma-separated `[NAME=]OP[(COLUMN)]`.
 * Without a name the output is `count` for `count`, and `OP_COLUMN`
 * (e.g. `mean_age`) otherwise.
 *
 * @param text - e.g. `count`, `mean(age)`, `n=count,avg=mean(age)`
 * @returns output column name → aggregate
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` on an unknown function, a missing
 *   column or a repeated output name
 * @example
 * ```ts
 * parseRollupExpression('n=count,avg=mean(age)') // { n: { op: 'count' }, avg: { op: 'mean', column: 'age' } }
 * ```
 */
export function parseRollupExpression(text: string): Record<string, Rollup> {
  const ops = Object.values(Aggregate) as string[];
  const fail = (why: string): ArgumentError =>
    new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `Cannot parse rollup ${JSON.stringify(text)}: ${why}; expected [NAME=]FUNCTION[(COLUMN)], comma-separated, with FUNCTION one of ${ops.join(', ')} (only count may omit the column)`,
    );
  if (typeof text !== 'string') throw fail('expected a string');
  const out: Record<string, Rollup> = {};
  for (const part of splitList(text, fail)) {
    const m = /^(?:([^=()]+?)\s*=\s*)?([A-Za-z]+)\s*(?:\((.*)\))?$/s.exec(part);
    if (m === null) throw fail(`cannot read ${JSON.stringify(part)}`);
    const [, given, fn = '', arg] = m;
    const op = fn.toLowerCase();
    if (!ops.includes(op)) throw fail(`unknown function ${JSON.stringify(fn)}`);
    const column = arg === undefined ? undefined : nameOf(arg, fail);
    if (column === undefined && op !== 'count') throw fail(`${op} needs a column, as in ${op}(age)`);
    const name = given !== undefined ? nameOf(given, fail) : column === undefined ? op : `${op}_${column}`;
    if (name === '__proto__') throw fail('the output name "__proto__" is not allowed');
    if (Object.hasOwn(out, name))
      throw fail(`output name ${JSON.stringify(name)} appears twice; name them, as in n=count`);
    const r: Rollup = column === undefined ? { op: op as Aggregate } : { op: op as Aggregate, column };
    Object.defineProperty(out, name, { value: r, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
