/**
 * Columns in Arrow's layout (the parser's and arrow/take.ts's) written as one
 * Arrow IPC stream: a Schema message, one RecordBatch, the end marker — sized
 * first and written once into one buffer (shared memory for the server's
 * threads), each column's buffers copied as they are.
 *
 * Why not flechette's `tableToIPC`: it builds a table, batches and a
 * flatbuffer builder per call — ~30 KB of garbage for a 10-row answer, a
 * third of what the server allocated per small query — and then copies the
 * stream into shared memory again. The messages are the ones flechette
 * writes (metadata version 5, the same tables and fields), so any Arrow reader
 * reads them; the tests read each stream back with flechette.
 *
 *   stream  = message(schema) message(record batch) FF FF FF FF 00 00 00 00
 *   message = FF FF FF FF, metadata size, metadata (a flatbuffer, padded to 8), body
 */

import { DateUnit, Precision, TimeUnit, Type, Version } from '@uwdata/flechette';
import type { ArrowColumn, Utf8Column } from '../csv/layout.js';
import { MessageHeader } from './read.js';

/** A column to write: its name and its layout. */
export interface NamedColumn {
  name: string;
  column: ArrowColumn | Utf8Column;
}

const encoder = new TextEncoder();

/**
 * A flatbuffer written front to back: each table's vtable just before it, its
 * children after it (the offsets a table holds must point forward), every
 * scalar aligned to its size from the start.
 */
class Flat {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  at = 0;

  private room(n: number): void {
    if (this.at + n <= this.bytes.byteLength) return;
    const grown = new Uint8Array(Math.max(this.bytes.byteLength * 2, this.at + n));
    grown.set(this.bytes);
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
  align(n: number): void {
    const pad = (n - (this.at % n)) % n;
    this.room(pad);
    this.at += pad;
  }
  u8(at: number, v: number): void {
    this.view.setUint8(at, v);
  }
  i16(at: number, v: number): void {
    this.view.setInt16(at, v, true);
  }
  u32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  /** A safe non-negative integer as an int64. */
  i64(at: number, v: number): void {
    this.view.setUint32(at, v % 0x100000000, true);
    this.view.setUint32(at + 4, Math.floor(v / 0x100000000), true);
  }
  /** Point the offset at `from` to `to` (which is after it). */
  point(from: number, to: number): void {
    this.u32(from, to - from);
  }
  /**
   * A vtable, then its table of `size` bytes (zeroed; the table's alignment
   * is `align`), whose field i is at table + `fields[i]` (0: absent).
   * @returns where the table starts
   */
  table(size: number, fields: readonly number[], align = 4): number {
    const vtable = 4 + 2 * fields.length;
    // the vtable is 2-aligned and ends where the table starts
    this.align(2);
    const pad = (align - ((this.at + vtable) % align)) % align;
    this.room(pad + vtable + size);
    this.at += pad;
    const start = this.at;
    this.view.setUint16(start, vtable, true);
    this.view.setUint16(start + 2, size, true);
    for (let i = 0; i < fields.length; i++) this.view.setUint16(start + 4 + 2 * i, fields[i] as number, true);
    const table = start + vtable;
    this.view.setInt32(table, table - start, true);
    this.at = table + size;
    return table;
  }
  /** A vector of `count` offsets, to be pointed later; @returns where it starts (its first element 4 bytes on) */
  offsets(count: number): number {
    this.align(4);
    this.room(4 + 4 * count);
    const start = this.at;
    this.u32(start, count);
    this.at += 4 + 4 * count;
    return start;
  }
  /** A vector of 16-byte structs of two int64 each, from `values` two by two; @returns where it starts */
  pairs(values: readonly number[]): number {
    // the elements are 8-aligned, so the count before them is at 4 mod 8
    this.align(4);
    if (this.at % 8 === 0) {
      this.room(4);
      this.at += 4;
    }
    this.room(4 + 8 * values.length);
    const start = this.at;
    this.u32(start, values.length / 2);
    this.at += 4;
    for (const v of values) {
      this.i64(this.at, v);
      this.at += 8;
    }
    return start;
  }
  /** A string (its UTF-8 length, bytes and a NUL); @returns where it starts */
  string(text: string): number {
    const utf8 = encoder.encode(text);
    this.align(4);
    this.room(4 + utf8.byteLength + 1);
    const start = this.at;
    this.u32(start, utf8.byteLength);
    this.bytes.set(utf8, start + 4);
    this.at += 4 + utf8.byteLength + 1;
    return start;
  }
  /** The flatbuffer, padded to 8 bytes. */
  done(): Uint8Array {
    this.align(8);
    return this.bytes.subarray(0, this.at);
  }
}

/**
 * A Message (the root table) whose header table `header` writes, returning
 * where that table starts.
 */
function message(type: number, bodyLength: number, header: (flat: Flat) => number): Uint8Array {
  const flat = new Flat();
  flat.at = 4; // the root offset
  // fields: version (i16), header_type (u8), header (offset), bodyLength (i64)
  const table = flat.table(24, [20, 22, 16, 8], 8);
  flat.point(0, table);
  flat.i64(table + 8, bodyLength);
  flat.i16(table + 20, Version.V5);
  flat.u8(table + 22, type);
  flat.point(table + 16, header(flat));
  return flat.done();
}

/** The Arrow type of a layout column: its Type id and the one scalar its table holds (or -1). */
function typeOf(column: ArrowColumn | Utf8Column): { id: number; scalar: number } {
  if (!('type' in column)) return { id: Type.Utf8, scalar: -1 };
  switch (column.type) {
    case 'float64':
      return { id: Type.Float, scalar: Precision.DOUBLE };
    case 'date':
      return { id: Type.Date, scalar: DateUnit.DAY };
    case 'timestamp':
      return { id: Type.Timestamp, scalar: TimeUnit.MILLISECOND };
    default:
      return { id: Type.Bool, scalar: -1 };
  }
}

function schemaMessage(columns: readonly NamedColumn[]): Uint8Array {
  return message(MessageHeader.Schema, 0, (flat) => {
    // fields: endianness (absent: little), fields (offset)
    const schema = flat.table(8, [0, 4]);
    const slots = flat.offsets(columns.length);
    flat.point(schema + 4, slots);
    columns.forEach(({ name, column }, i) => {
      // fields: name, nullable, type_type, type, dictionary (absent), children
      const field = flat.table(20, [4, 16, 17, 8, 0, 12]);
      flat.point(slots + 4 + 4 * i, field);
      const type = typeOf(column);
      flat.u8(field + 16, 1);
      flat.u8(field + 17, type.id);
      flat.point(field + 4, flat.string(name));
      const typeTable = type.scalar < 0 ? flat.table(4, []) : flat.table(8, [4]);
      if (type.scalar >= 0) flat.i16(typeTable + 4, type.scalar);
      flat.point(field + 8, typeTable);
      // Arrow C++ wants the children vector even when it is empty
      flat.point(field + 12, flat.offsets(0));
    });
    return schema;
  });
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** The byte views of a column's buffers, in Arrow's order: validity, then offsets and data, or values. */
function buffersOf(column: ArrowColumn | Utf8Column): Uint8Array[] {
  const rows = column.length;
  const bits = (rows + 7) >> 3;
  const validity = column.nullCount > 0 && column.validity ? column.validity.subarray(0, bits) : new Uint8Array(0);
  const bytes = (a: ArrayBufferView, length: number) => new Uint8Array(a.buffer, a.byteOffset, length);
  if (!('type' in column)) {
    const first = column.offsets[0] as number;
    const last = column.offsets[rows] as number;
    let offsets = column.offsets.subarray(0, rows + 1);
    if (first !== 0) offsets = offsets.map((o) => o - first);
    return [validity, bytes(offsets, 4 * (rows + 1)), column.data.subarray(first, last)];
  }
  const values = column.values;
  const size = column.type === 'bool' ? bits : rows * values.BYTES_PER_ELEMENT;
  return [validity, bytes(values, size)];
}

/**
 * One Arrow IPC stream of these columns, all `rows` long.
 *
 * @param columns - names and layout columns, in order
 * @param rows - the row count
 * @param shared - write into a SharedArrayBuffer (for the server's threads)
 */
export function writeArrowStream(columns: readonly NamedColumn[], rows: number, shared = false): Uint8Array {
  const buffers = columns.map(({ column }) => {
    if (column.length !== rows) throw new Error('internal: columns of different lengths');
    return buffersOf(column);
  });
  const regions: number[] = [];
  let bodyLength = 0;
  for (const list of buffers) {
    for (const b of list) {
      regions.push(bodyLength, b.byteLength);
      bodyLength += pad8(b.byteLength);
    }
  }
  const schema = schemaMessage(columns);
  const batch = message(MessageHeader.RecordBatch, bodyLength, (flat) => {
    // fields: length (i64), nodes (offset), buffers (offset)
    const table = flat.table(24, [8, 4, 16], 8);
    flat.i64(table + 8, rows);
    flat.point(table + 4, flat.pairs(columns.flatMap(({ column }) => [rows, column.nullCount])));
    flat.point(table + 16, flat.pairs(regions));
    return table;
  });
  const size = 8 + schema.byteLength + 8 + batch.byteLength + bodyLength + 8;
  const out = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const meta of [schema, batch]) {
    view.setInt32(at, -1, true);
    view.setInt32(at + 4, meta.byteLength, true);
    out.set(meta, at + 8);
    at += 8 + meta.byteLength;
  }
  for (const list of buffers) {
    for (const b of list) {
      out.set(b, at);
      at += pad8(b.byteLength);
    }
  }
  view.setInt32(at, -1, true);
  return out;
}
