/**
 * A hand-written check of the server messages a client reads most — `ready`,
 * `progress`, and `stored` or `result` with their summary — run before the
 * zod schema. A query's `result` carries the answer's columns and first rows,
 * and validating it the general way made ~35 KB of garbage per message (a
 * third of what a small query cost the client), so the client collected
 * twice as often.
 *
 * It accepts only a message the schema accepts, with exactly the schema's
 * keys (the schema would strip any other), and returns it as it is — the
 * value the schema gives; anything else returns null and takes the schema, so
 * every error message is the schema's.
 */
import type { ColumnInfo } from '../csv/types.js';
import { isRecord } from '../query/types.js';
import { MAX_RID } from './constants.js';

type Json = Record<string, unknown>;

const COLUMN_TYPES = new Set(['integer', 'number', 'boolean', 'date', 'string']);
const COLUMN_KEYS = new Set(['name', 'type', 'decimals', 'header', 'format']);
const SUMMARY_KEYS = ['name', 'rows', 'columns', 'head', 'warnings', 'bytes', 'ms', 'stored'] as const;

const isInteger = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isRid = (v: unknown): boolean => isInteger(v, 1, MAX_RID);

/** Exactly these keys: no more (the schema strips them), no fewer. */
function hasKeys(o: Json, keys: readonly string[]): boolean {
  let n = 0;
  for (const k in o) {
    if (!keys.includes(k)) return false;
    n++;
  }
  return n === keys.length;
}

function isColumn(c: unknown): c is ColumnInfo {
  if (!isRecord(c) || typeof c.name !== 'string' || typeof c.type !== 'string' || !COLUMN_TYPES.has(c.type))
    return false;
  for (const k in c) if (!COLUMN_KEYS.has(k)) return false;
  if (c.decimals !== undefined && !isInteger(c.decimals, 0, 100)) return false;
  if (c.header !== undefined && typeof c.header !== 'string') return false;
  return c.format === undefined || (typeof c.format === 'string' && c.format.length <= 200);
}

function isSummary(s: unknown): boolean {
  if (!isRecord(s) || !hasKeys(s, SUMMARY_KEYS)) return false;
  const { name, rows, columns, head, warnings, bytes, ms, stored } = s;
  if (typeof name !== 'string' || !isInteger(rows, -Infinity, Infinity) || typeof stored !== 'string') return false;
  if (typeof bytes !== 'number' || typeof ms !== 'number') return false;
  if (!Array.isArray(columns) || !columns.every(isColumn)) return false;
  if (!Array.isArray(warnings) || !warnings.every((w) => typeof w === 'string')) return false;
  if (!Array.isArray(head)) return false;
  for (const row of head) {
    if (!Array.isArray(row)) return false;
    for (const cell of row) if (cell !== null && typeof cell !== 'string') return false;
  }
  return true;
}

/**
 * The message as the schema gives it, or null for anything this check does not cover.
 *
 * @param json - a parsed server message
 */
export function fastServerMessage(json: unknown): Json | null {
  if (!isRecord(json)) return null;
  switch (json.type) {
    case 'ready':
    case 'progress':
      return hasKeys(json, ['type', 'rid', 'offset']) && isRid(json.rid) && isInteger(json.offset, 0, Infinity)
        ? json
        : null;
    case 'stored':
    case 'result':
      return hasKeys(json, ['type', 'rid', 'summary', 'table']) &&
        isRid(json.rid) &&
        typeof json.table === 'boolean' &&
        isSummary(json.summary)
        ? json
        : null;
    default:
      return null;
  }
}
