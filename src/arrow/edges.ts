/**
 * What changes when a value crosses the Arrow edge, in either direction.
 *
 *   decode: Utf8 ──► string, a leading U+FEFF kept (flechette's shared
 *           TextDecoder strips it from every value)
 *           Date32 / Date64 day ──► Date at local midnight (see csv/dates.ts)
 *           Timestamp µs / ns ──► Date of the millisecond it falls in (not truncated toward 1970)
 *   encode: a column of Dates that are all local midnights ──► Date32 day counts
 *           (arquero would write their UTC instants)
 */

import { type Batch, Column, dateDay, Table, Type } from '@uwdata/flechette';
import type { ColumnTable } from 'arquero';
import { dateToDay, dayToDate, isCalendarDay, MS_PER_DAY } from '../csv/dates.js';
import { FlatBuffer, MessageHeader, utf8At } from './read.js';

interface Utf8Parts {
  values: Uint8Array;
  offsets: Int32Array;
}

interface DateParts {
  source: { values: ArrayLike<number | bigint>; type: { unit: number } };
}

/**
 * Make a decoded Arrow table give this project's values: strings with their
 * leading U+FEFF, calendar days as local-midnight Dates. Each batch's `value`
 * is replaced on the instance, so nothing else in the process changes.
 *
 * @param table - a table from flechette's `tableFromIPC(bytes, { useDate: true })`
 * @returns the same table, or one with its dictionary columns of several batches retyped (see oneDictionaryPerBatch)
 */
export function localizeArrow(table: Table): Table {
  table.schema.fields.forEach((field, i) => {
    const column = table.getChildAt(i) as Column<unknown> | null;
    if (!column) return;
    const typeId = field.type.typeId;
    if (typeId === Type.Utf8) for (const b of column.data) keepBom(b);
    else if (typeId === Type.Date) for (const b of column.data) localDays(b);
    else if (typeId === Type.Timestamp) for (const b of column.data) flooredInstants(b);
    else if (typeId === Type.Dictionary && field.type.dictionary?.typeId === Type.Utf8) {
      // batches share their dictionary: its values are read once
      const read = new Map<Column<unknown>, unknown[]>();
      for (const b of column.data) {
        const batch = b as Batch<unknown> & { dictionary?: Column<unknown>; cache?: unknown[] };
        const { dictionary } = batch;
        if (!dictionary) continue;
        let values = read.get(dictionary);
        if (!values) {
          values = [];
          for (const d of dictionary.data) {
            keepBom(d);
            for (let k = 0; k < d.length; k++) values.push(d.at(k));
          }
          read.set(dictionary, values);
        }
        batch.cache = values;
      }
    }
  });
  return oneDictionaryPerBatch(table);
}

/**
 * A dictionary-encoded column of several batches, typed by its values so that
 * arquero reads each row from its own batch. arquero's `fromArrow` reads every
 * batch's indices against the last batch's dictionary (a stream may replace a
 * dictionary between batches: pyarrow's default writer does) and marks null
 * the rows that a batch's last validity byte covers past its end (a null in
 * the first of two batches of 3 and 5 rows nulled all 5 of the second).
 * Nothing else changes: the batches, their dictionaries and validity are
 * flechette's, read by their own `at`.
 */
function oneDictionaryPerBatch(table: Table): Table {
  let changed = false;
  const children = table.children.map((column) => {
    const type = column.type as { typeId: number; dictionary?: unknown };
    if (type.typeId !== Type.Dictionary || column.data.length < 2 || !type.dictionary) return column;
    changed = true;
    return new Column(column.data as Batch<unknown>[], type.dictionary as never);
  });
  return changed ? new Table(table.schema, children as never) : table;
}

function keepBom(batch: Batch<unknown>): void {
  const { values, offsets } = batch as unknown as Utf8Parts;
  const b = batch as unknown as { value: (i: number) => string };
  b.value = (i: number) => utf8At(values, offsets, i);
}

/**
 * Timestamps finer than milliseconds as the millisecond they fall in: flechette
 * gives fractional milliseconds, which `new Date` truncates toward zero, so a
 * microsecond before 1970 became 1970-01-01T00:00:00.000 (another day, and
 * year). Whole milliseconds are unchanged.
 */
function flooredInstants(batch: Batch<unknown>): void {
  const source = (batch as unknown as { source?: { value: (i: number) => number } }).source;
  if (!source) return;
  (batch as unknown as { value: (i: number) => Date }).value = (i: number) => new Date(Math.floor(source.value(i)));
}

function localDays(batch: Batch<unknown>): void {
  const source = (batch as unknown as DateParts).source;
  if (!source) return;
  const { values } = source;
  // DAY: int32 day counts; MILLISECOND: int64 ms that the spec makes whole days
  const days =
    source.type.unit === 0
      ? (i: number) => values[i] as number
      : (i: number) => Math.floor(Number(values[i]) / MS_PER_DAY);
  (batch as unknown as { value: (i: number) => Date }).value = (i: number) => dayToDate(days(i));
}

/**
 * The columns of `table` whose values are all calendar days (Dates at local
 * midnight, nulls allowed, at least one Date), as Arrow Date32 columns of their
 * local day counts, by name.
 *
 * @param table - an arquero table
 * @param makeBatch - builds a batch from its parts (ipc.ts's)
 */
export function calendarDayColumns(
  table: ColumnTable,
  makeBatch: (parts: {
    length: number;
    nullCount: number;
    type: ReturnType<typeof dateDay>;
    values: Int32Array;
    validity?: Uint8Array;
  }) => Batch<unknown>,
): Map<string, Column<unknown>> {
  const out = new Map<string, Column<unknown>>();
  const rows = table.numRows();
  for (const name of table.columnNames()) {
    let first: unknown = null;
    for (let r = 0; r < rows && (first === null || first === undefined); r++) first = table.get(name, r);
    if (!(first instanceof Date)) continue;
    const values = table.array(name, Array) as unknown[];
    const days = new Int32Array(rows);
    let validity: Uint8Array | undefined;
    let nullCount = 0;
    let ok = true;
    for (let r = 0; r < rows; r++) {
      const v = values[r];
      if (v === null || v === undefined) {
        nullCount++;
        continue;
      }
      if (!(v instanceof Date) || Number.isNaN(v.getTime()) || !isCalendarDay(v)) {
        ok = false;
        break;
      }
      days[r] = dateToDay(v);
    }
    if (!ok) continue;
    if (nullCount > 0) {
      validity = new Uint8Array((rows + 7) >> 3);
      for (let r = 0; r < rows; r++) {
        const v = values[r];
        if (v !== null && v !== undefined) validity[r >> 3] = (validity[r >> 3] as number) | (1 << (r & 7));
      }
    }
    const parts = { length: rows, nullCount, type: dateDay(), values: days, ...(validity ? { validity } : {}) };
    out.set(name, new Column([makeBatch(parts)]));
  }
  return out;
}

/**
 * The top-level field names of an Arrow IPC stream or file, decoded keeping a
 * leading U+FEFF (flechette strips it from names as from values). A small
 * flatbuffer walk over the Schema message, bounds-checked at every step.
 *
 * @param bytes - the IPC bytes
 * @returns the names, or null when the bytes do not hold a readable schema first
 */
export function rawFieldNames(bytes: Uint8Array): string[] | null {
  const fb = new FlatBuffer(bytes);
  try {
    let at = 0;
    // the file format starts with "ARROW1" and two bytes of padding
    if (bytes.byteLength >= 8 && bytes[0] === 0x41 && bytes[1] === 0x52 && bytes[5] === 0x31) at = 8;
    if (fb.u32(at) === 0xffffffff) at += 4;
    const size = fb.u32(at);
    at += 4;
    if (at + size > bytes.byteLength) return null;
    const message = fb.deref(at);
    if (fb.scalar(message, 1, fb.u8, 0) !== MessageHeader.Schema) return null;
    const schema = fb.child(message, 2);
    if (schema < 0) return null;
    const vector = fb.child(schema, 1);
    if (vector < 0) return [];
    const count = fb.u32(vector);
    if (count > (bytes.byteLength - vector) / 4) return null;
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = fb.child(fb.deref(vector + 4 + 4 * i), 0);
      names.push(name < 0 ? '' : fb.text(name));
    }
    return names;
  } catch {
    return null;
  }
}

/**
 * The table with its fields named as the bytes name them (see {@link rawFieldNames}).
 * @param table - flechette's decoding of `bytes`
 * @param bytes - the IPC bytes
 */
export function withRawNames(table: Table, bytes: Uint8Array): Table {
  const fields = table.schema.fields;
  const names = rawFieldNames(bytes);
  if (names === null || names.length !== fields.length || names.every((name, i) => name === fields[i]?.name))
    return table;
  return withNames(table, names);
}

/**
 * The table with its top-level fields named `names`, in order (nothing is re-encoded).
 * @param table - a flechette table
 * @param names - one name per field
 */
export function withNames(table: Table, names: readonly string[]): Table {
  const fields = table.schema.fields;
  const schema = { ...table.schema, fields: fields.map((f, i) => ({ ...f, name: names[i] as string })) };
  const children = fields.map((_, i) => table.getChildAt(i) as Column<unknown>);
  return new Table(schema as never, children);
}
