/**
 * Rows of a table taken straight from its Arrow buffers, in a given order,
 * into one column each in the parse workers' layout (csv/layout.ts), ready
 * for columnsToIPC: a query worker's answer to a filter or sort is written
 * without a JavaScript value per cell.
 *
 *   dataset column: batch 1 │ batch 2 │ …      (one per parse piece)
 *   rows [r0, r1, …] ─▶ (batch, index) each ─▶ values, validity bits, UTF-8 bytes copied
 *
 * Making an arquero table of the rows first (`reify`) read every cell as a
 * value — a string decoded from UTF-8, a Date per day — and the encoder then
 * wrote them back: for a full sort of 1M rows, 2.3 s of a 3.3 s query and
 * ~260 MB of garbage in the worker. Only the types the server stores are
 * taken (float64, UTF-8, Date32 days, millisecond timestamps, booleans); a
 * column of any other type makes the caller take the general path.
 */
import { type Batch, Type } from '@uwdata/flechette';
import { ArrowColumn, Utf8Column } from '../csv/layout.js';

/** A column in the parse workers' layout. */
export type LayoutColumn = ArrowColumn | Utf8Column;

interface BatchFields {
  length: number;
  nullCount: number;
  type: { typeId: number; precision?: number; unit?: number };
  validity?: Uint8Array;
  values?: ArrayLike<number | bigint>;
  offsets?: Int32Array;
}

/** One batch in the layout, or null for a type this file does not take. */
function layoutOf(batch: Batch<unknown>): LayoutColumn | null {
  const b = batch as unknown as BatchFields;
  const validity = b.nullCount > 0 ? b.validity : undefined;
  const { typeId, precision, unit } = b.type;
  const values = b.values;
  if (typeId === Type.Utf8 && values instanceof Uint8Array && b.offsets instanceof Int32Array)
    return offsetsWithin(b.offsets, b.length, values.length)
      ? new Utf8Column(values, b.offsets, validity, b.nullCount, b.length)
      : null;
  if (typeId === Type.Float && precision === 2 && values instanceof Float64Array)
    return new ArrowColumn('float64', values, validity, b.nullCount, b.length);
  if (typeId === Type.Date && unit === 0 && values instanceof Int32Array)
    return new ArrowColumn('date', values, validity, b.nullCount, b.length);
  if (typeId === Type.Timestamp && unit === 1 && values instanceof BigInt64Array)
    return new ArrowColumn('timestamp', values, validity, b.nullCount, b.length);
  if (typeId === Type.Bool && values instanceof Uint8Array)
    return new ArrowColumn('bool', values, validity, b.nullCount, b.length);
  return null;
}

/**
 * Whether `length` values' offsets rise from 0 or more to at most `bytes`: a
 * table parsed here always has them so, and an uploaded Arrow table's are
 * checked before it is stored (arrow/cost.ts); kept for any other table this
 * is given, since bytes are copied from between them.
 */
function offsetsWithin(offsets: Int32Array, length: number, bytes: number): boolean {
  let known = checkedOffsets.get(offsets);
  if (known === undefined) {
    known = offsets.length >= length + 1 && (offsets[0] as number) >= 0 && (offsets[length] as number) <= bytes;
    for (let i = 0; known && i < length; i++) if ((offsets[i + 1] as number) < (offsets[i] as number)) known = false;
    checkedOffsets.set(offsets, known);
  }
  return known;
}

// a stored table's batches never change: their offsets are checked once, not
// on every query (1M rows of text took ~5 ms a column to check)
const checkedOffsets = new WeakMap<Int32Array, boolean>();

/**
 * A column's batches in the layout, or null when it is not an Arrow column of
 * the types taken here (a column arquero made, a dictionary, integers…).
 *
 * @param column - an arquero table's column (`table.column(name)`)
 */
export function layoutBatches(column: unknown): LayoutColumn[] | null {
  const data = (column as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0) return null;
  const out: LayoutColumn[] = [];
  for (const batch of data) {
    const part = layoutOf(batch as Batch<unknown>);
    if (part === null || (out.length > 0 && part.constructor !== out[0]?.constructor)) return null;
    if (part instanceof ArrowColumn && out[0] instanceof ArrowColumn && part.type !== out[0].type) return null;
    out.push(part);
  }
  return out;
}

/** Where each row is: its batch, and its index in that batch. */
interface Located {
  batch: Int32Array;
  index: Int32Array;
}

/**
 * Locate raw row indices among batches of these lengths.
 *
 * @param lengths - the batches' lengths, in order
 * @param rows - raw row indices (0 ≤ row < the sum of the lengths)
 */
function locate(lengths: readonly number[], rows: ArrayLike<number>): Located {
  const starts = new Float64Array(lengths.length + 1);
  for (let k = 0; k < lengths.length; k++) starts[k + 1] = (starts[k] as number) + (lengths[k] as number);
  const n = rows.length;
  const batch = new Int32Array(n);
  const index = new Int32Array(n);
  const last = lengths.length - 1;
  for (let i = 0; i < n; i++) {
    const r = rows[i] as number;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= r) lo = mid;
      else hi = mid - 1;
    }
    batch[i] = lo;
    index[i] = r - (starts[lo] as number);
  }
  return { batch, index };
}

const bit = (bits: Uint8Array, i: number): boolean => ((bits[i >> 3] as number) & (1 << (i & 7))) !== 0;

/** The rows' validity bits and null count, or undefined bits when no batch has a null. */
function takeValidity(parts: readonly LayoutColumn[], at: Located): { validity?: Uint8Array; nullCount: number } {
  if (!parts.some((p) => p.nullCount > 0)) return { nullCount: 0 };
  const n = at.batch.length;
  const validity = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const bits = (parts[at.batch[i] as number] as LayoutColumn).validity;
    if (bits === undefined || bit(bits, at.index[i] as number))
      validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
    else nullCount++;
  }
  return nullCount > 0 ? { validity, nullCount } : { nullCount: 0 };
}

/** The most bytes of text one column's Int32 offsets can address. */
const MAX_TEXT_BYTES = 0x7fffffff;

function takeUtf8(parts: readonly Utf8Column[], at: Located): Utf8Column | null {
  const n = at.batch.length;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const { offsets: o } = parts[at.batch[i] as number] as Utf8Column;
    const j = at.index[i] as number;
    total += (o[j + 1] as number) - (o[j] as number);
    if (total > MAX_TEXT_BYTES) return null;
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const { data: src, offsets: o } = parts[at.batch[i] as number] as Utf8Column;
    const j = at.index[i] as number;
    const from = o[j] as number;
    const to = o[j + 1] as number;
    let w = offsets[i] as number;
    // a loop for the short values text columns mostly hold; a copy for long ones
    if (to - from < 64) for (let x = from; x < to; x++) data[w++] = src[x] as number;
    else data.set(src.subarray(from, to), w);
  }
  const { validity, nullCount } = takeValidity(parts, at);
  return new Utf8Column(data, offsets, validity, nullCount, n);
}

function takeFixed(parts: readonly ArrowColumn[], at: Located): ArrowColumn {
  const n = at.batch.length;
  const type = (parts[0] as ArrowColumn).type;
  const { validity, nullCount } = takeValidity(parts, at);
  if (type === 'bool') {
    const values = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++)
      if (bit((parts[at.batch[i] as number] as ArrowColumn).values as Uint8Array, at.index[i] as number))
        values[i >> 3] = (values[i >> 3] as number) | (1 << (i & 7));
    return new ArrowColumn(type, values, validity, nullCount, n);
  }
  const values = type === 'float64' ? new Float64Array(n) : type === 'date' ? new Int32Array(n) : new BigInt64Array(n);
  const out = values as unknown as Array<number | bigint>;
  for (let i = 0; i < n; i++)
    out[i] = (parts[at.batch[i] as number] as ArrowColumn).values[at.index[i] as number] as number;
  return new ArrowColumn(type, values, validity, nullCount, n);
}

/**
 * Take `rows` of each column, in that order, into one column each; null when
 * a text column's taken bytes pass what one Arrow batch can address (2 GiB).
 *
 * @param columns - each column's batches in the layout (see {@link layoutBatches}), all with the same batch lengths
 * @param rows - raw row indices, in the result's order
 */
export function takeRows(
  columns: ReadonlyArray<readonly LayoutColumn[]>,
  rows: ArrayLike<number>,
): LayoutColumn[] | null {
  const first = columns[0] ?? [];
  const at = locate(
    first.map((p) => p.length),
    rows,
  );
  const out: LayoutColumn[] = [];
  for (const parts of columns) {
    const column =
      parts[0] instanceof Utf8Column ? takeUtf8(parts as Utf8Column[], at) : takeFixed(parts as ArrowColumn[], at);
    if (column === null) return null;
    out.push(column);
  }
  return out;
}
