/**
 * Writing values and tables back to CSV text, exactly as they were read.
 */

import type { ColumnTable } from 'arquero';
import { compileDateFormat, writeDate } from './dateformat.js';
import { formatDate, isoDate } from './dates.js';
import { type ColumnInfo, ColumnType } from './types.js';

/**
 * The exact original text of a cell: integers with `String`, numbers with
 * `toFixed(decimals)` (or `String` when the column has no fixed decimals), dates
 * as `YYYY-MM-DD` of their local calendar day (or in the column's `format`), booleans as `true`/`false`, strings as they are.
 *
 * @param value - a value from {@link ParsedCsv} `values` (or an arquero table)
 * @param column - the column it belongs to
 * @returns the cell text; `''` for `null`/`undefined`
 * @example
 * ```ts
 * formatValue(12.8, { name: 'x', type: 'number', decimals: 2 }) // '12.80'
 * ```
 */
export function formatValue(value: unknown, column: ColumnInfo): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (column.type === ColumnType.number && column.decimals !== undefined && Number.isFinite(value))
      return value.toFixed(column.decimals);
    return String(value);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return '';
    if (column.type !== ColumnType.date) return value.toISOString();
    return column.format === undefined ? isoDate(value) : writeDate(compileDateFormat(column.format), value);
  }
  return String(value);
}

const NEEDS_QUOTES = /[",\n\r]/;

/** A cell as CSV: quoted only when it must be (RFC 4180); `''` becomes `""` so it stays apart from a missing value. */
function cell(value: unknown, column: ColumnInfo | undefined): string {
  if (value === null || value === undefined) return '';
  const text =
    column === undefined ? (value instanceof Date ? formatDate(value) : String(value)) : formatValue(value, column);
  if (text === '') return '""';
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The header line. A first name that starts with U+FEFF is quoted: unquoted, a
 * reader takes that character for the file's byte order mark and drops it.
 */
function headerLine(names: readonly string[]): string {
  return names
    .map((name, i) =>
      i === 0 && name.charCodeAt(0) === 0xfeff ? `"${name.replaceAll('"', '""')}"` : cell(name, undefined),
    )
    .join(',');
}

/**
 * Write columns as CSV text: a header of the final column names, then one line
 * per row, each ending in `\n`, every value as it came in (see {@link formatValue}).
 * Fields are quoted only where RFC 4180 needs it; a missing value is an empty
 * field and an empty string is `""`.
 *
 * @param columns - the column infos (names and types)
 * @param values - one array per column, same order
 * @param rows - how many rows to write @default the length of the first column
 * @returns the CSV text
 * @example
 * ```ts
 * const parsed = parseCSV(text)
 * toCSV(parsed.columns, parsed.values) // text again, up to line endings
 * ```
 */
export function toCSV(columns: ColumnInfo[], values: Array<ArrayLike<unknown>>, rows?: number): string {
  const n = rows ?? values[0]?.length ?? 0;
  const out: string[] = [headerLine(columns.map((c) => c.name))];
  const width = columns.length;
  const line: string[] = new Array<string>(width);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < width; c++) line[c] = cell(values[c]?.[r], columns[c]);
    out.push(line.join(','));
  }
  return `${out.join('\n')}\n`;
}

/**
 * Write an arquero table as CSV text, like {@link toCSV}. Columns are matched to
 * `columns` by name, so a query's subset or reordering works; a column missing
 * from `columns` (a derived one) is written with `String()`.
 *
 * @param table - an arquero table (its filter and order are respected)
 * @param columns - the infos from the parse
 * @returns the CSV text
 * @example
 * ```ts
 * toCSVTable(table.filter((d) => d.n > 1).select('zip'), parsed.columns)
 * ```
 */
export function toCSVTable(table: ColumnTable, columns: ColumnInfo[]): string {
  const byName = new Map<string, ColumnInfo>();
  for (const c of columns) byName.set(c.name, c);
  const names = table.columnNames();
  const infos = names.map((name) => byName.get(name) ?? { name, type: ColumnType.string });
  const values = names.map((name) => table.array(name) as ArrayLike<unknown>);
  const plain = names.map((name) => !byName.has(name));
  const n = table.numRows();
  const out: string[] = [headerLine(names)];
  const line: string[] = new Array<string>(names.length);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < names.length; c++) line[c] = cell(values[c]?.[r], plain[c] ? undefined : infos[c]);
    out.push(line.join(','));
  }
  return `${out.join('\n')}\n`;
}
