/**
 * Tables to and from Arrow IPC. Arrow is how tables travel back to clients:
 * arquero opens it without parsing (a 1M-row table in milliseconds), and the
 * parse worker builds it straight from its columns so the main thread — in a
 * notebook, the kernel — never touches the rows.
 */
import * as aq from 'arquero';
import { bool, dateDay, float64, tableFromArrays, tableToIPC, utf8 } from '@uwdata/flechette';
import type { ColumnTable } from 'arquero';
import { type ColumnInfo, type ColumnType, formatValue } from './csv.js';

/** Columns as the CSV parser produces them. */
export interface ColumnsLike {
  columns: ColumnInfo[];
  values: Array<ArrayLike<unknown>>;
}

const arrowType = {
  integer: float64,
  number: float64,
  boolean: bool,
  date: dateDay,
  string: utf8,
} satisfies Record<ColumnType, () => unknown>;

/**
 * Encode parsed CSV columns as Arrow IPC (stream format), typed from the
 * inferred column types rather than re-inferred from the values.
 *
 * @param data - the parser's columns and values
 * @returns the IPC bytes
 * @example
 * ```ts
 * const bytes = columnsToIPC(parseCSV(text)); aq.fromArrow(bytes)
 * ```
 */
export function columnsToIPC(data: ColumnsLike): Uint8Array {
  const entries: Array<[string, ArrayLike<unknown>]> = [];
  const types = new Map<string, unknown>();
  data.columns.forEach((column, i) => {
    entries.push([column.name, data.values[i] ?? []]);
    types.set(column.name, arrowType[column.type]());
  });
  // flechette takes a types object keyed by name; build it without a prototype
  // so that a column called "__proto__" or "constructor" is an ordinary key
  const typeRecord = Object.create(null) as Record<string, unknown>;
  for (const [name, type] of types) typeRecord[name] = type;
  const table = tableFromArrays(entries as never, { types: typeRecord as never });
  return tableToIPC(table, { format: 'stream' }) as Uint8Array;
}

/**
 * Encode an arquero table as Arrow IPC (stream format).
 *
 * @param table - any arquero table
 * @returns the IPC bytes
 */
export function tableToArrowIPC(table: ColumnTable): Uint8Array {
  return aq.toArrowIPC(table, { format: 'stream' }) as Uint8Array;
}

/**
 * Open Arrow IPC bytes as an arquero table (dates as `Date` objects).
 *
 * @param bytes - IPC stream or file bytes
 */
export function tableFromArrowIPC(bytes: Uint8Array): ColumnTable {
  // Arrow reads typed arrays straight out of the buffer, which needs 8-byte
  // alignment; Node's Buffer pool and ws hand out slices at any offset
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  return aq.fromArrow(aligned) as ColumnTable;
}

/**
 * Column types of any arquero table, inferred from its values: the types a
 * stored CSV had where the caller knows them (`known`, by name), otherwise
 * integer, number, boolean, date (UTC midnight), or string.
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
    if (info && (info.type === inferred || inferred === null)) return info;
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
    else if (v instanceof Date) t = v.getTime() % 86_400_000 === 0 ? 'date' : 'string';
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
    const iso = value.toISOString();
    return value.getTime() % 86_400_000 === 0 ? iso.slice(0, 10) : iso;
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
  const n = Math.min(headRows, table.numRows());
  const arrays = columns.map((c) => table.array(c.name, Array) as unknown[]);
  const head: Array<Array<string | null>> = [];
  for (let r = 0; r < n; r++) head.push(columns.map((c, i) => formatCell(arrays[i]?.[r], c)));
  return { columns, rows: table.numRows(), warnings: [], head };
}
