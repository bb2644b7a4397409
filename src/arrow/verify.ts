/**
 * Arrow IPC metadata verified before flechette decodes it, as a flatbuffers
 * verifier does before a reader trusts a buffer.
 *
 * flechette reads flatbuffers without bounds: a vector's count is whatever
 * its four bytes say (`Array.from({ length })`), one table may be reached
 * from any number of places, and a view column's count of data buffers is an
 * int64. A 408-byte upload whose schema declares 2^31 fields took the whole
 * process down ("invalid table size: allocation failed"), and a field tree
 * whose children all point at one table grows exponentially with its depth.
 * Every read flechette will make is made here first, bounds-checked, and
 * counted against the message's size, so decoding costs at most what was sent:
 *
 *   stream: [marker] size metadata body … 0        file: ARROW1 … messages … footer size ARROW1
 *   each metadata: every table, vector and string inside it; reads (tables, vector
 *     entries, string bytes) ≤ its size; fields nested ≤ 64 deep
 *   each record or dictionary batch: a node per field it holds, variadic buffers ≤ buffers,
 *     buffers inside its body and their lengths adding up to at most it
 *   each dictionary: text or fixed-width values, text offsets in order within their data
 *     (flechette decodes a dictionary whole as it reads the batches that use it)
 *   a file's blocks: inside the file, in order, one message each, none overlapping
 */

import { Type, Version } from '@uwdata/flechette';
import { ErrorCode, ProtocolError } from '../errors.js';
import { FlatBuffer, MessageHeader } from './read.js';

/** Types whose children flechette reads as the column's nested columns. */
const NESTED: ReadonlySet<number> = new Set([
  Type.List,
  Type.Struct,
  Type.Union,
  Type.FixedSizeList,
  Type.Map,
  Type.LargeList,
  Type.RunEndEncoded,
  Type.ListView,
  Type.LargeListView,
]);

/** Deepest nesting of fields (the flatbuffers verifier's default depth). */
const MAX_DEPTH = 64;

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"

/** Why the bytes are refused; caught and reported as one ProtocolError. */
class Damaged extends Error {}

/** One flatbuffer's reads, each paid for from a budget of its size. */
class Reads {
  private left: number;
  constructor(
    readonly fb: FlatBuffer,
    budget: number,
  ) {
    this.left = budget;
  }

  private spend(n: number): void {
    this.left -= n;
    if (this.left < 0) throw new Damaged('its metadata refers to the same parts more often than its size allows');
  }
  /** The table at `at`, its vtable checked. */
  enter(at: number): number {
    this.spend(1);
    this.fb.field(at, 0);
    return at;
  }
  /** The table field `i` of `table` points to, or -1. */
  table(table: number, i: number): number {
    const at = this.fb.child(table, i);
    return at < 0 ? -1 : this.enter(at);
  }
  /** Positions of the entries of the vector field `i` of `table` points to (none when absent). */
  vector(table: number, i: number, stride: number): number[] {
    const at = this.fb.child(table, i);
    if (at < 0) return [];
    const count = this.fb.u32(at);
    this.fb.check(at + 4, count * stride);
    this.spend(count);
    return Array.from({ length: count }, (_, k) => at + 4 + k * stride);
  }
  /** The string field `i` of `table` points to, checked. */
  string(table: number, i: number): void {
    const at = this.fb.child(table, i);
    if (at < 0) return;
    const length = this.fb.u32(at);
    this.fb.check(at + 4, length);
    this.spend(length);
  }
  /** A key-value metadata vector. */
  keyValues(table: number, i: number): void {
    for (const entry of this.vector(table, i, 4)) {
      const kv = this.enter(this.fb.deref(entry));
      this.string(kv, 0);
      this.string(kv, 1);
    }
  }
}

/** A dictionary as the stream builds it. */
interface Dictionary {
  /** field nodes of its batches */
  nodes: number;
  /** the type of its values */
  typeId: number;
  /** its values are 64-bit integers: signed or not */
  int64: 'signed' | 'unsigned' | null;
  /** declared cells of its values so far (deltas add to them) */
  cells: number;
  /** bytes of text or binary its values decode to so far */
  bytes: number;
  /** its batches so far (deltas add one each) */
  batches: number;
  /** changed since the last record batch */
  changed: boolean;
}

/** What batches must hold, from the schema. */
interface Shape {
  /** field nodes of a record batch */
  nodes: number;
  /** each dictionary, by id */
  dictionaries: Map<string, Dictionary>;
}

/**
 * Cells a stream may declare without bytes behind them (Null columns, run-end
 * encoding, a dictionary read again after each delta): 8 per byte sent, and
 * at least this many.
 */
const FREE_CELLS = 65_536;

/** The cells `bytes` may declare without bytes behind them. */
export function unbackedCells(bytes: number): number {
  return Math.max(FREE_CELLS, 8 * bytes);
}

/** An int64 id as a key (flechette compares them as numbers; equal ids give equal keys). */
function idAt(fb: FlatBuffer, at: number): string {
  return at < 0 ? '0:0' : `${fb.u32(at + 4)}:${fb.u32(at)}`;
}

function schema(r: Reads, at: number): Shape {
  const shape: Shape = { nodes: 0, dictionaries: new Map() };
  r.enter(at);
  for (const entry of r.vector(at, 1, 4)) shape.nodes += field(r, r.fb.deref(entry), 1, shape);
  r.keyValues(at, 2);
  return shape;
}

/** Check the Field at `at` and its children; @returns the nodes a record batch holds for it. */
function field(r: Reads, at: number, depth: number, shape: Shape): number {
  if (depth > MAX_DEPTH) throw new Damaged(`its fields are nested more than ${MAX_DEPTH} deep`);
  const { fb } = r;
  r.enter(at);
  r.string(at, 0);
  const typeId = fb.scalar(at, 2, fb.u8, 0);
  const type = r.table(at, 3);
  if (type >= 0 && typeId === Type.Timestamp) r.string(type, 1);
  if (type >= 0 && typeId === Type.Union) r.vector(type, 1, 4);
  const dictionary = r.table(at, 4);
  let values: Dictionary | undefined;
  if (dictionary >= 0) {
    r.table(dictionary, 1);
    // flechette decodes a dictionary's values whole as soon as a batch uses
    // them, before anything can be checked: only values whose decoding is
    // checked here (text and binary, below) or costs one read each
    if (NESTED.has(typeId) || typeId === Type.BinaryView || typeId === Type.Utf8View)
      throw new Damaged(
        `a dictionary of type ${typeId} values (send dictionaries of text, binary or fixed-width values)`,
      );
    // registered before its children, as flechette does: a child's with the same id replaces it
    const int64 =
      typeId === Type.Int && type >= 0 && fb.scalar(type, 0, fb.i32, 0) === 64
        ? fb.scalar(type, 1, fb.u8, 0) !== 0
          ? 'signed'
          : 'unsigned'
        : null;
    values = { nodes: 0, typeId, int64, cells: 0, bytes: 0, batches: 0, changed: false };
    shape.dictionaries.set(idAt(fb, fb.field(dictionary, 0)), values);
  }
  r.keyValues(at, 6);
  let below = 0;
  for (const entry of r.vector(at, 5, 4)) below += field(r, fb.deref(entry), depth + 1, shape);
  const own = 1 + (NESTED.has(typeId) ? below : 0);
  if (!values) return own;
  // the values are in dictionary batches; a record batch holds the indices
  values.nodes = own;
  return 1;
}

/** Text and binary types, with the width of their offsets. */
const TEXT: ReadonlyMap<number, 4 | 8> = new Map([
  [Type.Utf8, 4],
  [Type.Binary, 4],
  [Type.LargeUtf8, 8],
  [Type.LargeBinary, 8],
]);

/**
 * The bytes a text or binary column of `rows` values decodes to, its offsets
 * read from the body: in order, within its data, one for each value and one more.
 */
function textBytes(
  body: Uint8Array,
  regions: ReadonlyArray<readonly [number, number]>,
  rows: number,
  wide: 4 | 8,
): number {
  const [offsetsAt, offsetsLength] = regions[1] ?? [0, 0];
  const [, dataLength] = regions[2] ?? [0, 0];
  if (rows === 0) return 0;
  if (offsetsLength < (rows + 1) * wide) throw new Damaged(`a dictionary of ${rows} values with too few offsets`);
  const view = new DataView(body.buffer, body.byteOffset + offsetsAt, offsetsLength);
  const at = (i: number) => (wide === 4 ? view.getInt32(4 * i, true) : Number(view.getBigInt64(8 * i, true)));
  let last = at(0);
  if (last < 0) throw new Damaged('a dictionary whose offsets start before its data');
  for (let i = 1; i <= rows; i++) {
    const next = at(i);
    if (next < last) throw new Damaged(`a dictionary whose offsets go back at value ${i - 1}`);
    last = next;
  }
  if (last > dataLength) throw new Damaged('a dictionary whose offsets reach past its data');
  return last - at(0);
}

/**
 * A dictionary's 64-bit integers must be ones a number holds exactly
 * (flechette decodes a dictionary whole, and throws past 2^53, while decoding).
 */
function exactInt64(
  body: Uint8Array,
  regions: ReadonlyArray<readonly [number, number]>,
  rows: number,
  signed: boolean,
): void {
  const [validityAt, validityLength] = regions[0] ?? [0, 0];
  const [valuesAt, valuesLength] = regions[1] ?? [0, 0];
  const values = new DataView(body.buffer, body.byteOffset + valuesAt, valuesLength);
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < rows && 8 * i + 8 <= valuesLength; i++) {
    const v = signed ? values.getBigInt64(8 * i, true) : values.getBigUint64(8 * i, true);
    if (v <= limit && v >= -limit) continue;
    const valid = validityLength === 0 || ((body[validityAt + (i >> 3)] as number) & (1 << (i & 7))) !== 0;
    if (valid)
      throw new Damaged(
        `a dictionary holds the integer ${v}, beyond the 2^53 a number keeps exactly (send such values as text)`,
      );
  }
}

/** What a batch declares: its cells, its first column's rows, its buffers (offset and length in the body). */
interface Declared {
  cells: number;
  rows: number;
  regions: Array<[number, number]>;
}

/**
 * Check a RecordBatch table: a node for each of `nodes` fields, variadic buffers among its buffers.
 * @returns what it declares
 */
function records(r: Reads, at: number, version: number, nodes: number, body: number): Declared {
  const { fb } = r;
  r.enter(at);
  const held = r.vector(at, 1, 16);
  if (held.length < nodes) throw new Damaged(`a batch describes ${held.length} of its ${nodes} columns`);
  // before V4 each buffer had a page id in front
  const skip = version < Version.V4 ? 8 : 0;
  const regions = r.vector(at, 2, 16 + skip);
  const buffers = regions.length;
  let sent = 0;
  const parts: Array<[number, number]> = [];
  for (const region of regions) {
    const offset = fb.size(region + skip);
    const length = fb.size(region + skip + 8);
    if (offset + length > body) throw new Damaged('a buffer lies outside its message body');
    sent += length;
    parts.push([offset, length]);
  }
  // buffers laid over the same bytes would make a column of values out of
  // bytes already counted for another (a thousand columns over one region):
  // together they may be no longer than the body
  if (sent > body) throw new Damaged(`its buffers overlap: ${sent} bytes of them in a body of ${body}`);
  r.table(at, 3);
  let variadic = 0;
  for (const entry of r.vector(at, 4, 8)) variadic += fb.size(entry);
  if (variadic > buffers) throw new Damaged(`a batch declares ${variadic} data buffers but holds ${buffers}`);
  let cells = 0;
  for (const node of held) cells += fb.size(node);
  return { cells, rows: held[0] === undefined ? 0 : fb.size(held[0]), regions: parts };
}

/** The stream's state: its schema's shape once read. */
interface Reading {
  shape: Shape | null;
  /** dictionary cells flechette may still read (it reads a dictionary whole, again after each change) */
  cells: number;
}

/**
 * Check the message at `at` of `bytes` (the stream's framing, metadata and
 * body); @returns where the next message starts, or -1 at the end-of-stream marker.
 */
function message(bytes: Uint8Array, at: number, reading: Reading, expect?: number): number {
  const n = bytes.byteLength;
  const frame = new FlatBuffer(bytes);
  let size = frame.i32(at);
  at += 4;
  if (size === -1) {
    size = frame.i32(at);
    at += 4;
  }
  if (size === 0) return -1;
  if (size < 0 || at + size > n) throw new Damaged(`a message declares ${size} bytes of metadata`);
  const r = new Reads(new FlatBuffer(bytes.subarray(at, at + size)), size);
  const { fb } = r;
  const root = r.enter(fb.deref(0));
  const version = fb.scalar(root, 0, fb.i16, Version.V1);
  const type = fb.scalar(root, 1, fb.u8, 0);
  const body = fb.scalar(root, 3, fb.size, 0);
  const start = at + size;
  // flechette skips a message without a header, and its body with it unread
  if (fb.field(root, 2) < 0) return start;
  const header = r.table(root, 2);
  if (start + body > n) throw new Damaged(`a message declares a body of ${body} bytes, past the end`);
  if (expect !== undefined && type !== expect) throw new Damaged('a block of the file is not the message it names');
  switch (type) {
    case MessageHeader.Schema: {
      const shape = schema(r, header);
      reading.shape ??= shape;
      break;
    }
    case MessageHeader.DictionaryBatch: {
      const dictionary = reading.shape?.dictionaries.get(idAt(fb, fb.field(header, 0)));
      if (dictionary === undefined)
        throw new Damaged('a dictionary batch comes before its schema or has an unknown id');
      const data = fb.field(header, 1);
      const declared = data < 0 ? null : records(r, fb.deref(data), version, dictionary.nodes, body);
      const cells = declared?.cells ?? 0;
      const wide = TEXT.get(dictionary.typeId);
      const text =
        declared && wide ? textBytes(bytes.subarray(start, start + body), declared.regions, declared.rows, wide) : 0;
      if (declared && dictionary.int64)
        exactInt64(bytes.subarray(start, start + body), declared.regions, declared.rows, dictionary.int64 === 'signed');
      const delta = fb.scalar(header, 2, fb.u8, 0) !== 0;
      dictionary.cells = delta ? dictionary.cells + cells : cells;
      dictionary.bytes = delta ? dictionary.bytes + text : text;
      dictionary.batches = delta ? dictionary.batches + 1 : 1;
      dictionary.changed = true;
      break;
    }
    case MessageHeader.RecordBatch:
      if (!reading.shape) throw new Damaged('a record batch comes before the schema');
      records(r, header, version, reading.shape.nodes, body);
      // each record batch reads every changed dictionary whole (flechette's setDictionary)
      for (const dictionary of reading.shape.dictionaries.values()) {
        if (!dictionary.changed) continue;
        dictionary.changed = false;
        reading.cells -= dictionary.cells + dictionary.bytes + dictionary.batches;
        if (reading.cells < 0) throw new Damaged('its dictionaries declare more values than its bytes can stand for');
      }
      break;
    default:
      throw new Damaged(`a message has the unknown type ${type}`);
  }
  return start + body;
}

function stream(bytes: Uint8Array): void {
  const reading: Reading = { shape: null, cells: unbackedCells(bytes.byteLength) };
  let at = 0;
  while (at < bytes.byteLength) {
    at = message(bytes, at, reading);
    if (at < 0) return;
  }
}

function file(bytes: Uint8Array): void {
  const n = bytes.byteLength;
  const whole = new FlatBuffer(bytes);
  const tail = n - (MAGIC.length + 4);
  const footer = tail - whole.i32(tail);
  if (footer < 8 || footer >= tail) throw new Damaged('its footer is not inside the file');
  const r = new Reads(whole, tail - footer);
  const root = r.enter(whole.deref(footer));
  const reading: Reading = { shape: null, cells: unbackedCells(n) };
  const schemaAt = r.table(root, 1);
  if (schemaAt >= 0) reading.shape = schema(r, schemaAt);
  const blocks = [
    ...r.vector(root, 2, 24).map((at) => ({ at, type: MessageHeader.DictionaryBatch })),
    ...r.vector(root, 3, 24).map((at) => ({ at, type: MessageHeader.RecordBatch })),
  ].map((b) => ({ offset: whole.size(b.at), type: b.type }));
  r.keyValues(root, 4);
  blocks.sort((a, b) => a.offset - b.offset);
  let end = 8;
  for (const block of blocks) {
    if (block.offset < end) throw new Damaged('two blocks of the file overlap');
    if (block.offset + 8 > footer) throw new Damaged('a block of the file is outside its messages');
    end = message(bytes, block.offset, reading, block.type);
    if (end < 0 || end > footer) throw new Damaged('a block of the file is outside its messages');
  }
}

/**
 * Check Arrow IPC bytes (a stream, or a file) before they are decoded: every
 * flatbuffer read flechette will make stays inside its message and costs at
 * most its size, so that decoding costs at most what was sent.
 *
 * @param bytes - the IPC bytes as received
 * @throws ProtocolError `CSVS_PROTOCOL_BAD_ARROW` naming what is wrong
 * @example
 * ```ts
 * verifyArrowIPC(upload); // then tableFromIPC(upload) reads only what was sent
 * ```
 */
export function verifyArrowIPC(bytes: Uint8Array): void {
  try {
    if (bytes.byteLength >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b)) file(bytes);
    else stream(bytes);
  } catch (err) {
    const why = err instanceof Damaged ? err.message : 'its metadata points outside itself';
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_ARROW,
      `the upload is not a readable Arrow IPC stream: ${why}; send an uncompressed Arrow IPC stream or file`,
      {},
      { cause: err },
    );
  }
}
