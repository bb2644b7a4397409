/**
 * Tables to and from Arrow IPC. Arrow is how tables travel back to clients:
 * arquero opens it without parsing (a 1M-row table in milliseconds), and the
 * parse worker builds it straight from its columns so the main thread — in a
 * notebook, the kernel — never touches the rows.
 */

import {
  type Batch,
  batchType,
  bool,
  Column,
  type DataType,
  dateDay,
  float64,
  type Table,
  TimeUnit,
  Type,
  tableFromColumns,
  tableFromIPC,
  tableToIPC,
  timestamp,
  utf8,
} from '@uwdata/flechette';
import type * as Arquero from 'arquero';
import type { ColumnTable } from 'arquero';
import { compileDateFormat } from '../csv/dateformat.js';
import {
  type ColumnInfo,
  type ColumnType,
  dateToDay,
  formatDate,
  formatValue,
  isCalendarDay,
  Utf8Column,
} from '../csv/index.js';
import { ArrowColumn } from '../csv/layout.js';
import { onFirstUse } from '../lazy.js';
import { calendarDayColumns, localizeArrow, withRawNames } from './edges.js';
import { readFlatArrow } from './read.js';
import { type NamedColumn, writeArrowStream } from './write.js';

/**
 * arquero, loaded on first use: a parse worker encodes and decodes pieces with
 * flechette alone, and arquero's modules cost each worker thread ~16 MB
 * (measured: a worker with flechette 12 MB of RSS, with arquero too 28 MB).
 */
const aq = onFirstUse(() => require('arquero') as typeof Arquero);

/** Columns as the CSV parser produces them. */
export interface ColumnsLike {
  columns: ColumnInfo[];
  values: Array<ArrayLike<unknown>>;
}

/**
 * Encode parsed CSV columns as Arrow IPC (stream format), typed from the
 * inferred column types rather than re-inferred from the values.
 *
 * Each column's Arrow buffers are written straight from the parser's arrays
 * (a `Float64Array` is used as it is; strings are joined and encoded once), so
 * a 1M-row table takes tens of milliseconds rather than the seconds a
 * value-by-value builder needs.
 *
 * @param data - the parser's columns and values
 * @returns the IPC bytes
 * @example
 * ```ts
 * const bytes = columnsToIPC(parseCSV(text)); aq.fromArrow(bytes)
 * ```
 */
export function columnsToIPC(data: ColumnsLike, options: { shared?: boolean } = {}): Uint8Array {
  const layout = layoutColumns(data);
  if (layout) return writeArrowStream(layout, layout[0]?.column.length ?? 0, options.shared);
  const entries: Array<[string, Column<unknown>]> = [];
  let rows = -1;
  data.columns.forEach((column, i) => {
    const values = data.values[i] ?? [];
    if (rows < 0) rows = values.length;
    entries.push([column.name, new Column([arrowBatch(column, values)])]);
  });
  // tableFromColumns takes [name, column] pairs, so "__proto__" or
  // "constructor" as a column name is an ordinary name
  const table = tableFromColumns(entries);
  if (!options.shared) return tableToIPC(table, { format: 'stream' }) as Uint8Array;
  return tableToIPC(table, { format: 'stream', sink: new SharedSink() as never }) as Uint8Array;
}

/** The columns as written by writeArrowStream, when every one is in Arrow's layout already (a parse's, a taken answer's). */
function layoutColumns(data: ColumnsLike): NamedColumn[] | null {
  const out: NamedColumn[] = [];
  for (let i = 0; i < data.columns.length; i++) {
    const column = data.values[i];
    if (!(column instanceof ArrowColumn || column instanceof Utf8Column)) return null;
    out.push({ name: (data.columns[i] as ColumnInfo).name, column });
  }
  return out.length > 0 && out.every(({ column }) => column.length === out[0]?.column.length) ? out : null;
}

/**
 * flechette's IPC sink, writing into shared memory: the bytes are collected
 * and copied once into a SharedArrayBuffer (the copy the in-memory sink makes
 * into an ordinary buffer), which the server's threads then read in place.
 */
class SharedSink {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  write(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.byteLength;
  }
  pad(count: number): void {
    this.write(new Uint8Array(count));
  }
  finish(): Uint8Array {
    const out = new Uint8Array(new SharedArrayBuffer(this.size));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }
}

/**
 * A table as Arrow IPC: one stream, or the streams of a parallel parse's
 * pieces in order (each complete, all with the same schema and no
 * dictionaries), which read as one table — the batches of each, in order.
 */
export type ArrowStreams = Uint8Array | readonly Uint8Array[];

/** The streams of `ipc` as a list. */
export function streamList(ipc: ArrowStreams): readonly Uint8Array[] {
  return ipc instanceof Uint8Array ? [ipc] : ipc;
}

/** The bytes of the one stream {@link ipcFragments} gives. */
export function ipcByteLength(ipc: ArrowStreams): number {
  return ipcFragments(ipc).reduce((n, f) => n + f.byteLength, 0);
}

/**
 * The columns of a one-batch IPC stream (a parse piece's, see
 * {@link columnsToIPC}) in the parser's layouts, as views of its bytes; null
 * for a stream without rows.
 */
export function pieceColumns(ipc: Uint8Array): Array<ArrowColumn | Utf8Column> | null {
  const table = tableFromIPC(ipc);
  if (table.numRows === 0) return null;
  return table.children.map((column) => {
    const b = column.data[0] as unknown as BatchParts & { values: ArrowColumn['values'] };
    const validity = b.nullCount > 0 ? b.validity : undefined;
    const typeId = b.type.typeId;
    if (typeId === Type.Utf8)
      return new Utf8Column(b.values as Uint8Array, b.offsets as Int32Array, validity, b.nullCount, b.length);
    const kind =
      typeId === Type.Float
        ? 'float64'
        : typeId === Type.Date
          ? 'date'
          : typeId === Type.Timestamp
            ? 'timestamp'
            : 'bool';
    return new ArrowColumn(kind, b.values, validity, b.nullCount, b.length);
  });
}

/** The end-of-stream marker of an Arrow IPC stream. */
const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** The Arrow type of a column kind; a date read with a time of day is a timestamp (its instant). */
function arrowType(kind: ArrowColumn['type'] | 'utf8'): DataType {
  if (kind === 'utf8') return utf8();
  if (kind === 'float64') return float64();
  if (kind === 'date') return dateDay();
  if (kind === 'timestamp') return timestamp(TimeUnit.MILLISECOND);
  return bool();
}

/**
 * Views of `ipc` whose concatenation is one Arrow IPC stream: the first
 * stream's schema, every stream's batches in order, one end marker. Batches
 * are position independent, so sending or writing these views one after the
 * other gives one stream without copying the table (a single stream is given
 * as it is).
 */
export function ipcFragments(ipc: ArrowStreams): Uint8Array[] {
  const streams = streamList(ipc);
  if (streams.length === 1) return [streams[0] as Uint8Array];
  const bodies = streams.map((s, k) => {
    const view = new DataView(s.buffer, s.byteOffset, s.byteLength);
    if (s.byteLength < 16 || view.getInt32(0, true) !== -1 || view.getInt32(s.byteLength - 8, true) !== -1)
      throw new Error('internal: not an Arrow IPC stream');
    // skip every schema but the first: a continuation marker, its length, its metadata
    const start = k === 0 ? 0 : 8 + view.getInt32(4, true);
    return s.subarray(start, s.byteLength - END_OF_STREAM.byteLength);
  });
  bodies.push(END_OF_STREAM);
  return bodies;
}

interface BatchParts {
  length: number;
  nullCount: number;
  type: DataType;
  validity?: Uint8Array;
  values?: ArrayLike<number | bigint> & { buffer: ArrayBufferLike };
  offsets?: Int32Array;
}

const NO_VALIDITY = new Uint8Array(0);

function makeBatch(parts: BatchParts): Batch<unknown> {
  // the IPC writer expects a validity buffer even when nothing is missing
  if (!parts.validity) parts.validity = NO_VALIDITY;
  const BatchClass = batchType(parts.type) as unknown as new (p: BatchParts) => Batch<unknown>;
  return new BatchClass(parts);
}

/** A validity bitmap for `values` (bit set = present), or undefined when none is missing. */
function validityOf(values: ArrayLike<unknown>): { validity?: Uint8Array; nullCount: number } {
  const n = values.length;
  let nullCount = 0;
  for (let i = 0; i < n; i++) if (values[i] === null || values[i] === undefined) nullCount++;
  if (nullCount === 0) return { nullCount };
  const validity = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    if (values[i] !== null && values[i] !== undefined) validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
  }
  return { validity, nullCount };
}

function arrowBatch(column: ColumnInfo, values: ArrayLike<unknown>): Batch<unknown> {
  const type: ColumnType = column.type;
  const length = values.length;
  if ((values as unknown) instanceof Utf8Column) {
    const c = values as unknown as Utf8Column;
    return makeBatch({
      length,
      nullCount: c.nullCount,
      type: utf8(),
      values: c.data,
      offsets: c.offsets,
      ...(c.validity ? { validity: c.validity } : {}),
    });
  }
  if ((values as unknown) instanceof ArrowColumn) {
    const c = values as unknown as ArrowColumn;
    return makeBatch({
      length,
      nullCount: c.nullCount,
      type: arrowType(c.type),
      values: c.values,
      ...(c.validity ? { validity: c.validity } : {}),
    });
  }
  switch (type) {
    case 'integer':
    case 'number': {
      if (values instanceof Float64Array) return makeBatch({ length, nullCount: 0, type: float64(), values });
      const out = new Float64Array(length);
      for (let i = 0; i < length; i++) out[i] = (values[i] as number | null) ?? 0;
      return makeBatch({ length, ...validityOf(values), type: float64(), values: out });
    }
    case 'date': {
      if (column.format !== undefined && compileDateFormat(column.format).hasTime) {
        const ms = new BigInt64Array(length);
        for (let i = 0; i < length; i++) {
          const d = values[i] as Date | null;
          if (d) ms[i] = BigInt(d.getTime());
        }
        return makeBatch({ length, ...validityOf(values), type: timestamp(TimeUnit.MILLISECOND), values: ms });
      }
      const out = new Int32Array(length);
      for (let i = 0; i < length; i++) {
        const d = values[i] as Date | null;
        if (d) out[i] = dateToDay(d);
      }
      return makeBatch({ length, ...validityOf(values), type: dateDay(), values: out });
    }
    case 'boolean': {
      const out = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (values[i] === true) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
      return makeBatch({ length, ...validityOf(values), type: bool(), values: out });
    }
    default:
      return utf8Batch(values as ArrayLike<string | null>);
  }
}

/** Strings as one UTF-8 buffer with offsets: one join and one encode for the whole column. */
function utf8Batch(values: ArrayLike<string | null>): Batch<unknown> {
  const length = values.length;
  const offsets = new Int32Array(length + 1);
  const list = Array.isArray(values) ? values : Array.from(values);
  // join writes null as ''; nulls are marked in the validity bitmap
  const text = list.join('');
  const bytes = Buffer.from(text, 'utf8');
  const ascii = bytes.byteLength === text.length;
  let at = 0;
  for (let i = 0; i < length; i++) {
    const s = list[i];
    if (s) at += ascii ? s.length : Buffer.byteLength(s, 'utf8');
    offsets[i + 1] = at;
  }
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return makeBatch({ length, ...validityOf(values), type: utf8(), values: data, offsets });
}

/**
 * Encode an arquero table as Arrow IPC (stream format). A column of calendar
 * days (Dates at local midnight, as the parser makes them) travels as Arrow
 * Date32 day counts, so a reader in any time zone gets the same days; other
 * Dates keep their instant.
 *
 * @param table - any arquero table
 * @returns the IPC bytes
 * @example
 * ```ts
 * const bytes = tableToArrowIPC(aq.table({ day: [new Date(2012, 0, 1)] }))
 * ```
 */
export function tableToArrowIPC(table: ColumnTable): Uint8Array {
  return encodeTable(table, undefined);
}

/**
 * {@link tableToArrowIPC}, keeping the Arrow types `known` of some columns
 * (see {@link arrowTypesOf}), or reading them from the values when those do
 * not fit them.
 *
 * @param table - any arquero table
 * @param known - Arrow types by column name
 * @internal
 */
export function tableToArrowIPCKeeping(table: ColumnTable, known: Readonly<Record<string, DataType>>): Uint8Array {
  if (Object.keys(known).length > 0) {
    try {
      return encodeTable(table, known);
    } catch {
      // values that are not of their column's old type: their types are read from them
    }
  }
  return encodeTable(table, undefined);
}

/**
 * The Arrow types of `table`'s columns that came from an Arrow upload as
 * nested, binary or null columns, by name: reading them back from their
 * values fails (an answer of empty lists, a map, a struct with a null) or
 * changes them (binary as Int16Array). See {@link tableToArrowIPCKeeping}.
 *
 * @param table - a dataset's table
 * @param names - the columns that keep the dataset's values
 * @internal
 */
export function arrowTypesOf(table: ColumnTable, names: readonly string[]): Record<string, DataType> {
  const types: Record<string, DataType> = Object.create(null);
  const own = new Set(table.columnNames());
  for (const name of names) {
    if (!own.has(name)) continue;
    const type = (table.column(name) as { type?: DataType } | undefined)?.type;
    if (type && KEPT.has(type.typeId)) types[name] = type;
  }
  return types;
}

/** Types whose values arquero's encoder cannot type again (nested, binary, null). */
const KEPT: ReadonlySet<number> = new Set([
  Type.Null,
  Type.Binary,
  Type.LargeBinary,
  Type.FixedSizeBinary,
  Type.BinaryView,
  Type.List,
  Type.LargeList,
  Type.FixedSizeList,
  Type.ListView,
  Type.LargeListView,
  Type.Struct,
  Type.Map,
  Type.Union,
]);

function encodeTable(table: ColumnTable, known: Readonly<Record<string, DataType>> | undefined): Uint8Array {
  // types with no prototype: arquero looks each column name up in it, and a
  // column named "constructor" or "toString" would find Object's own members
  const types = Object.assign(Object.create(null), known);
  const days = calendarDayColumns(table, makeBatch as never);
  if (days.size === 0) return aq().toArrowIPC(table, { format: 'stream', types }) as Uint8Array;
  const names = table.columnNames();
  const rest = names.filter((n) => !days.has(n));
  const arrow = rest.length > 0 ? aq().toArrow(table, { columns: rest, types }) : null;
  const entries = names.map((n): [string, Column<unknown>] => [
    n,
    days.get(n) ?? (arrow?.getChild(n) as unknown as Column<unknown>),
  ]);
  return tableToIPC(tableFromColumns(entries), { format: 'stream' }) as Uint8Array;
}

/**
 * Open Arrow IPC bytes as an arquero table: strings exactly as encoded (a
 * leading U+FEFF kept), Arrow dates as `Date`s at local midnight of their
 * calendar day, timestamps as `Date`s of their instant.
 *
 * @param ipc - IPC stream or file bytes, or the streams of a parallel parse (see {@link ArrowStreams})
 * @example
 * ```ts
 * tableFromArrowIPC(tableToArrowIPC(table)) // the same values
 * ```
 */
export function tableFromArrowIPC(ipc: ArrowStreams): ColumnTable {
  return tableFromArrow(decodeArrow(ipc));
}

/**
 * Decode Arrow IPC bytes into a flechette table that gives this project's
 * values (see {@link tableFromArrowIPC}), the one decoder for opening a table
 * and for checking an upload.
 *
 * @param ipc - IPC stream or file bytes, or the streams of a parallel parse
 * @param check - called with the table as decoded, before any of its values is read
 * @internal
 */
export function decodeArrow(ipc: ArrowStreams, check?: (table: Table) => void): Table {
  // Arrow reads typed arrays straight out of the buffer, which needs 8-byte
  // alignment; Node's Buffer pool and ws hand out slices at any offset
  const aligned = streamList(ipc).map((bytes) => (bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes)));
  const flat = readFlatArrow(aligned);
  if (flat) {
    check?.(flat);
    return flat;
  }
  const first = aligned[0] as Uint8Array;
  const table = tableFromIPC(aligned.length === 1 ? first : aligned, { useDate: true });
  check?.(table);
  return localizeArrow(withRawNames(table, first));
}

/**
 * A decoded Arrow table as an arquero table.
 * @param arrow - from {@link decodeArrow}
 * @internal
 */
export function tableFromArrow(arrow: Table): ColumnTable {
  return aq().fromArrow(arrow as never) as ColumnTable;
}

/**
 * Column types of any arquero table, inferred from its values: the types a
 * stored CSV had where the caller knows them (`known`, by name), otherwise
 * integer, number, boolean, date (local midnight: a calendar day), or string.
 *
 * @param table - the table to describe
 * @param known - column infos from the parse, reused for columns of the same name
 */
export function inferColumns(table: ColumnTable, known: readonly ColumnInfo[] = []): ColumnInfo[] {
  const byName = new Map(known.map((c) => [c.name, c]));
  return table.columnNames().map((name) => {
    const values = table.array(name, Array) as unknown[];
    const info = byName.get(name);
    const inferred = inferType(values);
    // a number column whose values happen to be whole ("1.0", "2.0") keeps its
    // info, and with it the decimals that write each value back exactly
    const fits =
      inferred === null ||
      info?.type === inferred ||
      (info?.type === 'number' && inferred === 'integer') ||
      // a date-time read with a format: Dates, not calendar days
      (info?.type === 'date' && info.format !== undefined && values.every((v) => v == null || v instanceof Date));
    if (info && fits) return info;
    return { name, type: inferred ?? 'string' };
  });
}

function inferType(values: unknown[]): ColumnType | null {
  let type: ColumnType | null = null;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    let t: ColumnType;
    if (typeof v === 'number') t = Number.isSafeInteger(v) && !Object.is(v, -0) ? 'integer' : 'number';
    else if (typeof v === 'boolean') t = 'boolean';
    else if (v instanceof Date) t = isCalendarDay(v) ? 'date' : 'string';
    else t = 'string';
    if (type === null || type === t) type = t;
    else if ((type === 'integer' && t === 'number') || (type === 'number' && t === 'integer')) type = 'number';
    else return 'string';
  }
  return type;
}

/**
 * A cell's text: the exact original text for CSV-typed columns, ISO text for
 * dates and times, `String()` otherwise; `null` for a missing value.
 *
 * @param value - the cell
 * @param column - its column info, when known
 */
export function formatCell(value: unknown, column?: ColumnInfo): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    return column?.type === 'date' ? formatValue(value, column) : formatDate(value);
  }
  if (column && column.type !== 'string') return formatValue(value, column);
  return typeof value === 'string' ? value : String(value);
}

/** Rows, columns and the first rows of a table, as a summary needs them. */
export interface TableDescription {
  columns: ColumnInfo[];
  rows: number;
  warnings: string[];
  head: Array<Array<string | null>>;
}

/**
 * Describe a table for a summary: inferred columns and the first `headRows` rows as text.
 *
 * @param table - the table
 * @param headRows - how many rows to include
 * @param known - column infos to reuse by name
 */
export function describeTable(table: ColumnTable, headRows = 5, known: readonly ColumnInfo[] = []): TableDescription {
  const columns = inferColumns(table, known);
  return { columns, rows: table.numRows(), warnings: [], head: headOf(table, columns, headRows) };
}

/**
 * The first `n` rows of a table as exact text, reading only those rows.
 *
 * @param table - the table
 * @param columns - its column infos, in the order to write
 * @param n - how many rows @default 5
 */
export function headOf(table: ColumnTable, columns: readonly ColumnInfo[], n = 5): Array<Array<string | null>> {
  const rows = Math.min(n, table.numRows());
  const head: Array<Array<string | null>> = [];
  for (let r = 0; r < rows; r++) head.push(columns.map((c) => formatCell(table.get(c.name, r), c)));
  return head;
}
