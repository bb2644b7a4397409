/**
 * Untrusted JSON → a typed {@link Query}, or one QueryError that names the
 * path and what was expected.
 *
 * ```
 *  unknown ──► filter walk: depth, nodes, `in` sizes   (bounded: stops at maxDepth + 1)
 *          ──► generic walk: string and key lengths, __proto__ keys, list sizes
 *          ──► zod schema (shape, strict keys)       ──► Query
 * ```
 *
 * The filter walk comes first and never descends past the depth limit, so a
 * query nested 40,000 deep is refused after at most `maxDepth` levels, and
 * zod's recursion (one call per level) only ever sees a bounded tree.
 */

import type { z } from 'zod';
import { ArgumentError, ErrorCode, QueryError } from '../errors.js';
import { fastQuery } from './fast.js';
import { describeValue, QuerySchema } from './schema.js';
import { defaultQueryLimits, type Query, type QueryLimits } from './types.js';

type Path = ReadonlyArray<string | number>;

/** Fill in the defaults and check each given limit. */
export function resolveLimits(limits: QueryLimits | undefined): Required<QueryLimits> {
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

/** `filter.and[0].not`, or `(the query)` for the root. */
export function pathText(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s === '' ? '(the query)' : s;
}

/**
 * Depth, node count and `in` list sizes of the filter tree. Iterative, and it
 * throws on the first node past `maxDepth` or `maxNodes`, so its work is bounded
 * by the limits whatever the input's size; paths are at most `maxDepth` long.
 */
function checkFilter(filter: unknown, lim: Required<QueryLimits>): void {
  const nodes: Array<[unknown, number, Path]> = [[filter, 1, ['filter']]];
  let count = 0;
  while (nodes.length > 0) {
    const [node, depth, path] = nodes.pop() as [unknown, number, Path];
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue; // zod reports it
    if (depth > lim.maxDepth) {
      throw tooComplex(
        `Query filter is nested deeper than ${lim.maxDepth} levels (the depth limit; at ${pathText(path)})`,
        lim.maxDepth,
      );
    }
    if (++count > lim.maxNodes) throw tooComplex(`Query filter has more than ${lim.maxNodes} nodes`, lim.maxNodes);
    const n = node as Record<string, unknown>;
    for (const key of ['and', 'or'] as const) {
      const kids = Object.hasOwn(n, key) ? n[key] : undefined;
      if (!Array.isArray(kids)) continue;
      if (count + kids.length > lim.maxNodes) {
        throw tooComplex(`Query filter has more than ${lim.maxNodes} nodes`, lim.maxNodes);
      }
      for (let i = kids.length - 1; i >= 0; i--) nodes.push([kids[i], depth + 1, [...path, key, i]]);
    }
    if (Object.hasOwn(n, 'not')) nodes.push([n.not, depth + 1, [...path, 'not']]);
    if (n.op === 'in' && Array.isArray(n.value) && n.value.length > lim.maxInValues) {
      throw tooComplex(
        `Query "in" list at ${pathText(path)} has ${n.value.length} values; the limit is ${lim.maxInValues}`,
        lim.maxInValues,
      );
    }
  }
}

/** One entry of the generic walk: a value and how to rebuild its path (only when reporting). */
interface Visit {
  value: unknown;
  parent: Visit | null;
  key: string | number;
}

function pathOf(v: Visit): Path {
  const out: Array<string | number> = [];
  for (let at: Visit | null = v; at !== null && at.parent !== null; at = at.parent) out.push(at.key);
  return out.reverse();
}

/** String and key lengths and `__proto__` keys anywhere in the input: one pass, no path copies. */
function checkStrings(input: unknown, lim: Required<QueryLimits>): void {
  const stack: Visit[] = [{ value: input, parent: null, key: '' }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const { value } = visit;
    if (typeof value === 'string') {
      if (value.length > lim.maxStringLength) {
        throw tooComplex(
          `Query string at ${pathText(pathOf(visit))} has ${value.length} characters; the limit is ${lim.maxStringLength}`,
          lim.maxStringLength,
        );
      }
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: visit, key: i });
    } else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) {
        if (key === '__proto__') {
          throw new QueryError(
            ErrorCode.QUERY_INVALID,
            `Invalid query at ${pathText(pathOf(visit))}: the key "__proto__" is not allowed (arquero tables cannot hold a column of that name)`,
          );
        }
        if (key.length > lim.maxStringLength) {
          throw tooComplex(
            `Query key at ${pathText(pathOf(visit))} has ${key.length} characters; the limit is ${lim.maxStringLength}`,
            lim.maxStringLength,
          );
        }
        stack.push({ value: (value as Record<string, unknown>)[key], parent: visit, key });
      }
    }
  }
}

/**
 * Check every limit on the raw input before zod sees it. The result's row
 * count is not checked here: a large `limit` is fine, and `runQuery` refuses a
 * result that really has more than `maxRows` rows.
 */
function checkLimits(input: unknown, lim: Required<QueryLimits>): void {
  const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
  const q = (isObject ? input : {}) as Record<string, unknown>;
  if (Object.hasOwn(q, 'filter')) checkFilter(q.filter, lim);
  for (const key of ['groupby', 'sort', 'select'] as const) {
    const v = Object.hasOwn(q, key) ? q[key] : undefined;
    if (Array.isArray(v) && v.length > lim.maxColumns) {
      throw tooComplex(`Query ${key} has ${v.length} entries; the limit is ${lim.maxColumns}`, lim.maxColumns);
    }
  }
  if (Object.hasOwn(q, 'rollup') && typeof q.rollup === 'object' && q.rollup !== null) {
    const n = Object.keys(q.rollup).length;
    if (n > lim.maxColumns)
      throw tooComplex(`Query rollup has ${n} entries; the limit is ${lim.maxColumns}`, lim.maxColumns);
  }
  checkStrings(input, lim);
}

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const p of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, p)) return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

const quoteAll = (xs: readonly unknown[]): string => xs.map((x) => JSON.stringify(x)).join(', ');
const lowerFirst = (s: string): string => `${s.charAt(0).toLowerCase()}${s.slice(1)}`;

/**
 * One readable sentence from a zod issue. Reads the issue's fields loosely,
 * so zod 3's codes (`invalid_enum_value`, `invalid_literal`) and zod 4's
 * (`invalid_value`) read the same.
 */
function issueText(issue: z.ZodIssue, input: unknown): string {
  const at = pathText(issue.path as Path);
  const got = describeValue(valueAt(input, issue.path as Path));
  const i = issue as unknown as { code: string; message: string; expected?: unknown; keys?: string[] } & {
    options?: unknown[];
    values?: unknown[];
  };
  switch (i.code) {
    case 'invalid_enum_value':
    case 'invalid_literal':
    case 'invalid_value': {
      const options = i.options ?? i.values ?? (i.expected !== undefined ? [i.expected] : []);
      const one = options.length === 1;
      return `at ${at}: expected ${one ? '' : 'one of '}${quoteAll(options)}; got ${got}`;
    }
    case 'unrecognized_keys': {
      const keys = i.keys ?? [];
      return `at ${at}: unknown key${keys.length > 1 ? 's' : ''} ${quoteAll(keys)}`;
    }
    case 'invalid_type': {
      const expected = i.message.startsWith('expected') ? i.message.slice(9) : String(i.expected);
      return `at ${at}: expected ${expected}; got ${got}`;
    }
    default:
      // messages the schema builds itself already say what it got
      if (i.message.includes('; got ')) return `at ${at}: ${i.message}`;
      return `at ${at}: ${lowerFirst(i.message)}; got ${got}`;
  }
}

function checkNames(q: Query): void {
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
}

/**
 * Validate untrusted input as a {@link Query}: limits first (iterative walks,
 * the filter's bounded by the depth limit, so no input can overflow the stack
 * or take time beyond the limits), then the zod schema. Nothing is evaluated.
 * Parse once, then hand the result to `runQuery`.
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
  // the common shapes, checked by hand (fast.ts); anything else, and every error, below
  const fast = fastQuery(input, lim);
  if (fast !== null) {
    checkNames(fast);
    return fast;
  }
  checkLimits(input, lim);
  const result = QuerySchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const text = issue === undefined ? 'malformed' : issueText(issue, input);
    throw new QueryError(ErrorCode.QUERY_INVALID, `Invalid query ${text}`, {}, { cause: result.error });
  }
  checkNames(result.data);
  return result.data;
}
