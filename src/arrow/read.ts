/**
 * Arrow IPC streams of flat columns, read without flechette's decoder: the
 * tables this server sends (Float64, Utf8, Bool, Date32 days, millisecond
 * timestamps; no dictionaries, compression, nesting or metadata) become the
 * same flechette batches, columns and table that `tableFromIPC(bytes,
 * { useDate: true })` and {@link localizeArrow} make, for arquero to open.
 *
 * Why: flechette builds each batch from object spreads (`{ ...node(), type }`,
 * then `{ ...base, validity, values }`) and each record batch's reading context
 * the same way, and in Node 20's V8 a spread followed by new properties gives
 * every object a map of its own. A query's answer of 10 rows cost the client
 * 20 µs and ~20 KB, a fifth of which survived each young-generation collection
 * (`--trace-gc-nvp`: 20% of what was allocated, 3.7 ms per scavenge, where
 * the same loop of plain objects keeps 0.01%); read here, nothing of it does.
 *
 * Anything else — an uploaded Arrow table's integers or dictionaries, a file —
 * returns null, for flechette to read.
 */

import {
  type Batch,
  batchType,
  bool,
  Column,
  type DataType,
  DateUnit,
  dateDay,
  type Field,
  float64,
  Precision,
  Table,
  TimeUnit,
  Type,
  timestamp,
  utf8,
  Version,
} from '@uwdata/flechette';
import { dayToDate } from '../csv/dates.js';
import { utf8Text } from '../csv/utf8.js';

/**
 * Bounds-checked reads of the flatbuffers in Arrow IPC bytes (each message's
 * metadata): every read past the bytes throws a RangeError.
 */
export class FlatBuffer {
  private readonly view: DataView;
  private readonly end: number;
  constructor(readonly bytes: Uint8Array) {
    this.end = bytes.byteLength;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Throws unless `size` bytes at `at` are inside the buffer. */
  check(at: number, size: number): void {
    if (at < 0 || at + size > this.end) throw new RangeError('out of bounds');
  }
  u8(at: number): number {
    this.check(at, 1);
    return this.view.getUint8(at);
  }
  i16(at: number): number {
    this.check(at, 2);
    return this.view.getInt16(at, true);
  }
  i32(at: number): number {
    this.check(at, 4);
    return this.view.getInt32(at, true);
  }
  u32(at: number): number {
    this.check(at, 4);
    return this.view.getUint32(at, true);
  }
  /** An int64 that must be a safe non-negative integer (a length, count or offset). */
  size(at: number): number {
    this.check(at, 8);
    const high = this.view.getUint32(at + 4, true);
    if (high > 0x1fffff) throw new RangeError('size out of range');
    return high * 0x100000000 + this.view.getUint32(at, true);
  }
  /** The position of field `i` of the table at `table`, or -1 when absent. */
  field(table: number, i: number): number {
    const vtable = table - this.i32(table);
    this.check(vtable, 4);
    // sizes and offsets are int16 to flechette: anything it would read otherwise is refused
    const size = this.view.getUint16(vtable, true);
    if (size < 4 || size % 2 !== 0 || size >= 0x8000) throw new RangeError('bad vtable');
    this.check(vtable, size);
    const at = 4 + 2 * i;
    if (at + 2 > size) return -1;
    const off = this.view.getUint16(vtable + at, true);
    if (off >= 0x8000) throw new RangeError('bad field offset');
    return off === 0 ? -1 : table + off;
  }
  /** The position an offset at `at` points to. */
  deref(at: number): number {
    return at + this.u32(at);
  }
  /** The table, vector or string field `i` of `table` points to, or -1. */
  child(table: number, i: number): number {
    const at = this.field(table, i);
    return at < 0 ? -1 : this.deref(at);
  }
  /** The string at `at` (a length, then UTF-8), a leading U+FEFF kept. */
  text(at: number): string {
    const length = this.u32(at);
    this.check(at + 4, length);
    return utf8Text(this.bytes, at + 4, at + 4 + length);
  }
  /** The scalar field `i` of `table` read by `read`, or `otherwise` when absent. */
  scalar(table: number, i: number, read: (at: number) => number, otherwise: number): number {
    const at = this.field(table, i);
    return at < 0 ? otherwise : read.call(this, at);
  }
}

/** Arrow's MessageHeader union (Message.fbs); the Type union's ids are flechette's `Type`. */
export const MessageHeader = { Schema: 1, DictionaryBatch: 2, RecordBatch: 3 } as const;

/** The string at `i` of UTF-8 `values` cut by `offsets`, a leading U+FEFF kept (csv/utf8.ts, as the parser's columns read). */
export function utf8At(values: Uint8Array, offsets: Int32Array, i: number): string {
  return utf8Text(values, offsets[i] as number, offsets[i + 1] as number);
}

/** Strings with their leading U+FEFF (flechette's Utf8Batch drops it). */
class TextBatch extends (batchType(utf8()) as unknown as typeof Batch<string>) {
  override value(index: number): string {
    const { values, offsets } = this as unknown as { values: Uint8Array; offsets: Int32Array };
    return utf8At(values, offsets, index);
  }
}

/** Date32 days as Dates at local midnight of their calendar day (see csv/dates.ts). */
class DayBatch extends (batchType(dateDay(), { useDate: true }) as unknown as typeof Batch<Date>) {
  override value(index: number): Date {
    return dayToDate((this as unknown as { source: { values: Int32Array } }).source.values[index] as number);
  }
}

interface Kind {
  type: DataType;
  make: new (parts: BatchParts) => Batch<unknown>;
  /** buffers after the validity bitmap: values, or offsets and values */
  buffers: 1 | 2;
}

interface TypedArrayClass {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, offset: number, length: number): Int32Array | Float64Array | BigInt64Array;
}

interface BatchParts {
  length: number;
  nullCount: number;
  type: DataType;
  validity: Uint8Array;
  values: Uint8Array | Int32Array | Float64Array | BigInt64Array;
  offsets: Int32Array | undefined;
}

// one class per kind, made once (flechette's batchType makes a class per call for dates)
const KINDS = {
  float64: { type: float64(), make: batchType(float64()), buffers: 1 },
  utf8: { type: utf8(), make: TextBatch, buffers: 2 },
  bool: { type: bool(), make: batchType(bool()), buffers: 1 },
  day: { type: dateDay(), make: DayBatch, buffers: 1 },
  instant: {
    type: timestamp(TimeUnit.MILLISECOND),
    make: batchType(timestamp(TimeUnit.MILLISECOND), { useDate: true }),
    buffers: 1,
  },
} as unknown as Record<'float64' | 'utf8' | 'bool' | 'day' | 'instant', Kind>;

/** The kind of the Field table at `at`, or null for anything this reader leaves to flechette. */
function kindOf(fb: FlatBuffer, at: number): Kind | null {
  // a dictionary, children or metadata: flechette's
  if (fb.field(at, 4) >= 0 || fb.field(at, 6) >= 0) return null;
  const children = fb.child(at, 5);
  if (children >= 0 && fb.u32(children) !== 0) return null;
  const type = fb.child(at, 3);
  switch (fb.scalar(at, 2, fb.u8, 0)) {
    case Type.Float:
      return fb.scalar(type, 0, fb.i16, 0) === Precision.DOUBLE ? KINDS.float64 : null;
    case Type.Utf8:
      return KINDS.utf8;
    case Type.Bool:
      return KINDS.bool;
    case Type.Date:
      // the unit's default is MILLISECOND (Date64), read by flechette
      return fb.scalar(type, 0, fb.i16, 1) === DateUnit.DAY ? KINDS.day : null;
    case Type.Timestamp:
      return fb.scalar(type, 0, fb.i16, 0) === TimeUnit.MILLISECOND && fb.field(type, 1) < 0 ? KINDS.instant : null;
    default:
      return null;
  }
}

interface Schema {
  version: number;
  endianness: number;
  fields: Field[];
  metadata: null;
}

function readSchema(fb: FlatBuffer, at: number, version: number, kinds: Kind[]): Schema | null {
  // big-endian, metadata or features: flechette's
  if (fb.scalar(at, 0, fb.i16, 0) !== 0 || fb.field(at, 2) >= 0 || fb.field(at, 3) >= 0) return null;
  const fields: Field[] = [];
  const vector = fb.child(at, 1);
  const count = vector < 0 ? 0 : fb.u32(vector);
  for (let i = 0; i < count; i++) {
    const f = fb.deref(vector + 4 + 4 * i);
    const kind = kindOf(fb, f);
    if (kind === null) return null;
    kinds.push(kind);
    const name = fb.child(f, 0);
    fields.push({
      name: name < 0 ? '' : fb.text(name),
      type: kind.type,
      nullable: fb.scalar(f, 1, fb.u8, 0) !== 0,
      metadata: null,
    } as unknown as Field);
  }
  return { version, endianness: 0, fields, metadata: null };
}

const NO_BYTES = new Uint8Array(0);

/**
 * Read the batches of one RecordBatch message into `columns`.
 * @returns false for what this reader leaves to flechette
 */
function readRecords(
  fb: FlatBuffer,
  at: number,
  body: Uint8Array,
  kinds: readonly Kind[],
  columns: Batch<unknown>[][],
) {
  if (fb.field(at, 3) >= 0) return false; // compressed
  const rows = fb.scalar(at, 0, fb.size, 0);
  const nodes = fb.child(at, 1);
  const buffers = fb.child(at, 2);
  if (nodes < 0 || buffers < 0 || fb.u32(nodes) !== kinds.length) return false;
  const bufferCount = fb.u32(buffers);
  let b = 0;
  const region = (): { offset: number; length: number } => {
    if (b >= bufferCount) throw new RangeError('too few buffers');
    const at8 = buffers + 4 + 16 * b++;
    const offset = fb.size(at8);
    const length = fb.size(at8 + 8);
    if (offset + length > body.byteLength) throw new RangeError('buffer past the body');
    return { offset: body.byteOffset + offset, length };
  };
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[k] as Kind;
    const node = nodes + 4 + 16 * k;
    const length = fb.size(node);
    const nullCount = fb.size(node + 8);
    if (length !== rows || nullCount > length) return false;
    const v = region();
    if (nullCount > 0 && v.length < (length + 7) >> 3) return false;
    const validity = v.length === 0 ? NO_BYTES : new Uint8Array(body.buffer, v.offset, v.length);
    let offsets: Int32Array | undefined;
    if (kind.buffers === 2) {
      const o = region();
      if (o.offset % 4 !== 0 || o.length < 4 * (length + 1)) return false;
      offsets = new Int32Array(body.buffer, o.offset, length + 1);
    }
    const d = region();
    // fixed-width values as their typed array; bits and UTF-8 as bytes
    const Values = (kind.type as { values?: TypedArrayClass }).values;
    let values: BatchParts['values'];
    if (Values) {
      if (d.offset % Values.BYTES_PER_ELEMENT !== 0 || d.length < Values.BYTES_PER_ELEMENT * length) return false;
      values = new Values(body.buffer, d.offset, length);
    } else {
      // bits: one per row
      if (kind === KINDS.bool && d.length < (length + 7) >> 3) return false;
      values = new Uint8Array(body.buffer, d.offset, d.length);
    }
    if (offsets && (offsets[length] as number) > values.byteLength) return false;
    const parts: BatchParts = { length, nullCount, type: kind.type, validity, values, offsets };
    (columns[k] as Batch<unknown>[]).push(new kind.make(parts));
  }
  return true;
}

/**
 * The flat table in `streams` (one Arrow IPC stream, or a parallel parse's
 * streams with one schema, read as one table), or null when it holds anything
 * this reader leaves to flechette (or is not a stream it can read).
 *
 * @param streams - IPC streams, each 8-byte aligned
 */
export function readFlatArrow(streams: readonly Uint8Array[]): Table | null {
  let schema: Schema | null = null;
  const kinds: Kind[] = [];
  let columns: Batch<unknown>[][] = [];
  try {
    for (const bytes of streams) {
      const fb = new FlatBuffer(bytes);
      const n = bytes.byteLength;
      let at = 0;
      while (at + 8 <= n) {
        // a continuation marker, then the metadata's size (the pre-1.0 format has the size alone)
        let size = fb.i32(at);
        at += 4;
        if (size === -1) {
          size = fb.i32(at);
          at += 4;
        }
        if (size === 0) break; // end of stream
        if (size < 0 || at + size > n) return null;
        // every read of a message's metadata stays within it, as flechette's do
        const meta = new FlatBuffer(bytes.subarray(at, at + size));
        const message = meta.deref(0);
        const version = meta.scalar(message, 0, meta.i16, 0);
        const header = meta.child(message, 2);
        const bodyLength = meta.scalar(message, 3, meta.size, 0);
        const start = at + size;
        // before V4 a Buffer struct had another field: flechette's
        if (header < 0 || version < Version.V4 || start + bodyLength > n) return null;
        switch (meta.scalar(message, 1, meta.u8, 0)) {
          case MessageHeader.Schema:
            if (schema === null) {
              schema = readSchema(meta, header, version, kinds);
              if (schema === null) return null;
              columns = kinds.map(() => []);
            }
            break;
          case MessageHeader.RecordBatch:
            if (
              schema === null ||
              !readRecords(meta, header, bytes.subarray(start, start + bodyLength), kinds, columns)
            )
              return null;
            break;
          default:
            return null;
        }
        at = start + bodyLength;
      }
    }
  } catch {
    return null;
  }
  if (schema === null) return null;
  const children = columns.map((batches, k) => new Column(batches, (kinds[k] as Kind).type));
  return new Table(schema as never, children);
}
