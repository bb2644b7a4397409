/**
 * The zod schema of a {@link Query}: shape and strict keys only. Limits (depth,
 * sizes, `__proto__` keys) are checked before it by `validate.ts`, so the
 * schema's recursion never goes deeper than the depth limit.
 *
 * Only zod's public API is used (`z.lazy`, `transform`, `safeParse`,
 * `ctx.addIssue`), so the schema runs unchanged under zod 3 and zod 4.
 */

import { z } from 'zod';
import {
  COMPARE_OPS,
  type Filter,
  isScalarValue,
  NULL_OPS,
  type Query,
  type Rollup,
  type Scalar,
  TEXT_OPS,
} from './types.js';

/** How the filter forms read in an error message. */
export const FILTER_FORMS = '{"and":[…]}, {"or":[…]}, {"not":{…}} or {"column","op","value"}';

// `message` (not zod 3's invalid_type_error / zod 4's error) is the one
// parameter both major versions accept
const ColumnName = z.string({ message: 'expected a column name (string)' });

// a predicate rather than z.union: a union builds a ZodError for every branch it
// tries, which dominated the cost of small queries
const ScalarSchema = z.custom<Scalar>(isScalarValue, { message: 'Expected a string, number, boolean or null' });

const ALL_OPS: readonly string[] = [...COMPARE_OPS, 'in', ...TEXT_OPS, ...NULL_OPS];

const CompareLeaf = z.object({ column: ColumnName, op: z.enum(COMPARE_OPS), value: ScalarSchema }).strict();
// one predicate for the whole list: z.array(ScalarSchema) made an error for
// every bad value and a filter node copied them at every level above it (a
// 1 MB query of 330,000 objects in `in` lists held the event loop 7.7 s)
const ScalarList = z.custom<Scalar[]>((value) => Array.isArray(value) && value.every(isScalarValue), {
  message: 'Expected a list of strings, numbers, booleans or nulls',
});
const InLeaf = z.object({ column: ColumnName, op: z.literal('in'), value: ScalarList }).strict();
const TextLeaf = z.object({ column: ColumnName, op: z.enum(TEXT_OPS), value: z.string() }).strict();
const NullLeaf = z.object({ column: ColumnName, op: z.enum(NULL_OPS) }).strict();

const AndSchema = z.lazy(() => z.object({ and: z.array(FilterSchema) }).strict());
const OrSchema = z.lazy(() => z.object({ or: z.array(FilterSchema) }).strict());
const NotSchema = z.lazy(() => z.object({ not: FilterSchema }).strict());

/** A short description of a value for an error message: `"abc"`, `number 1`, `an array`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${typeof v} ${String(v)}`;
}

function leafBranch(op: unknown): z.ZodTypeAny | undefined {
  if ((COMPARE_OPS as readonly unknown[]).includes(op)) return CompareLeaf;
  if (op === 'in') return InLeaf;
  if ((TEXT_OPS as readonly unknown[]).includes(op)) return TextLeaf;
  if ((NULL_OPS as readonly unknown[]).includes(op)) return NullLeaf;
  return undefined;
}

/**
 * A filter node picks its branch by key (and / or / not / a leaf by its op)
 * instead of trying each as z.union does, so a valid query builds no error
 * objects and an invalid one gets the message of the branch it meant. Every
 * message this adds itself ends in "; got …" (see `validate.ts`).
 */
function parseFilterNode(data: unknown, ctx: z.RefinementCtx): Filter {
  const isObject = typeof data === 'object' && data !== null && !Array.isArray(data);
  const has = (key: string): boolean => isObject && Object.hasOwn(data, key);
  if (!isObject || !(has('and') || has('or') || has('not') || has('column') || has('op'))) {
    const keys = isObject ? Object.keys(data).map((k) => JSON.stringify(k)) : [];
    const got = isObject ? `an object with keys ${keys.join(', ') || '(none)'}` : describeValue(data);
    ctx.addIssue({ code: 'custom', message: `expected a filter, one of ${FILTER_FORMS}; got ${got}` });
    return z.NEVER;
  }
  const op = has('op') ? (data as { op: unknown }).op : undefined;
  const branch = has('and') ? AndSchema : has('or') ? OrSchema : has('not') ? NotSchema : leafBranch(op);
  if (branch === undefined) {
    const ops = ALL_OPS.map((o) => JSON.stringify(o)).join(', ');
    ctx.addIssue({
      code: 'custom',
      path: ['op'],
      message: `expected "op" to be one of ${ops}; got ${describeValue(op)}`,
    });
    return z.NEVER;
  }
  const result = branch.safeParse(data);
  if (result.success) return result.data as Filter;
  // the branch's issues, with paths relative to this node; zod prefixes ours
  for (const issue of result.error.issues) ctx.addIssue(issue as unknown as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
}

// The casts below bridge zod's `{ a?: T | undefined }` output and
// exactOptionalPropertyTypes; zod never adds keys the input lacks.
const FilterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.unknown().transform(parseFilterNode),
) as unknown as z.ZodType<Filter>;

const RollupSchema = z
  .object({ op: z.enum(['count', 'sum', 'mean', 'min', 'max', 'distinct']), column: ColumnName.optional() })
  .strict()
  .refine((r) => r.op === 'count' || r.column !== undefined, {
    message: 'expected a "column" (only count may omit it)',
    path: ['column'],
  });

/**
 * Output name → aggregate. Not z.record: zod 4's record refuses an object
 * whose own "constructor" key hides Object's, and any name is data here.
 */
function parseRollups(data: unknown, ctx: z.RefinementCtx): Record<string, Rollup> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    ctx.addIssue({ code: 'custom', message: `expected object; got ${describeValue(data)}` });
    return z.NEVER;
  }
  const out: Record<string, Rollup> = {};
  for (const [name, value] of Object.entries(data)) {
    const result = RollupSchema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        ctx.addIssue({ ...issue, path: [name, ...issue.path] } as unknown as Parameters<typeof ctx.addIssue>[0]);
      }
      return z.NEVER;
    }
    Object.defineProperty(out, name, { value: result.data, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const Count = z.number().int('expected an integer').nonnegative('expected a non-negative integer');

/**
 * The zod schema of a {@link Query}. Objects are strict: an unknown key is an
 * error. It checks shape only; `parseQuery` also checks limits (first, so a
 * hostile query never reaches zod's recursion). Any string, even empty, is a
 * valid rollup output name.
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
    rollup: z.unknown().transform(parseRollups).optional(),
    sort: z.array(z.object({ column: ColumnName, desc: z.boolean().optional() }).strict()).optional(),
    select: z.array(ColumnName).optional(),
    offset: Count.optional(),
    limit: Count.optional(),
  })
  .strict() as unknown as z.ZodType<Query>;
