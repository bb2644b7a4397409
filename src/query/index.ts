/**
 * The query concept: JSON query → checked {@link Query} → arquero verbs.
 *
 * ```
 *  types.ts        Query, Filter, Rollup, SortKey; FilterOp and Aggregate as const objects
 *  schema.ts       the zod schema (public API only)
 *  validate.ts     limits walk (bounded), message rewriting, parseQuery
 *  run.ts          runQuery: filter (filter.ts) → rollup → sort → select → limit
 *  columns.ts      column values, kinds, the unknown-column check
 *  expressions.ts  the CLI's --filter / --sort / --rollup syntax
 * ```
 */

export { parseFilterExpression, parseRollupExpression, parseSortExpression } from './expressions.js';
export { runQuery } from './run.js';
export { QuerySchema } from './schema.js';
export {
  Aggregate,
  defaultQueryLimits,
  type Filter,
  FilterOp,
  type Query,
  type QueryLimits,
  type Rollup,
  type Scalar,
  type SortKey,
} from './types.js';
export { parseQuery } from './validate.js';
