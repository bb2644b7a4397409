/**
 * Plain-text tables laid out the way pandas prints a DataFrame — what the
 * original design's users saw on their server and in their terminal.
 */
import type { ColumnTable } from 'arquero';
import type { ColumnInfo } from './csv/index.js';
import { arrowIPC } from './lazy.js';
import type { DatasetSummary } from './protocol/messages.js';
import { formatBytes, formatCount, plural } from './protocol/units.js';

// browser-safe, so the upload page shares them; re-exported for the terminal and notebook faces
export { formatBytes, plural };

/**
 * Rows as a text table laid out exactly as pandas prints a DataFrame: a
 * left-aligned 0-based index, columns right-aligned and one space apart, a
 * leading space before every value (numbers keep it for a sign) and before the
 * header of a numeric column, `NaN` for a missing value, long cells cut at 40
 * characters.
 *
 * @param names - column names
 * @param rows - cell texts, null for missing
 * @param numeric - which columns are numeric (integer or number)
 * @param firstIndex - the index of the first row @default 0
 * @returns the table text, without a trailing newline
 * @example
 * ```text
 *    id    name  age grade
 * 0   1  Monish   21     A
 * ```
 */
export function formatPandas(
  names: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | null>>,
  numeric: readonly boolean[] = [],
  firstIndex = 0,
): string {
  const index = rows.map((_, i) => String(firstIndex + i));
  const indexWidth = Math.max(0, ...index.map((s) => s.length));
  const columns = names.map((name, c) => {
    const isNumber = numeric[c] === true;
    const header = isNumber ? ` ${oneLine(name)}` : oneLine(name);
    const cells = rows.map((row) => {
      const v = row[c] ?? null;
      const text = v === null ? 'NaN' : oneLine(v);
      return isNumber && text.startsWith('-') ? text : ` ${text}`;
    });
    const width = Math.max(header.length, ...cells.map((s) => s.length));
    return { header: header.padStart(width), cells: cells.map((s) => s.padStart(width)) };
  });
  const lines = [[''.padEnd(indexWidth), ...columns.map((c) => c.header)].join(' ')];
  for (let r = 0; r < rows.length; r++) {
    lines.push([index[r]!.padEnd(indexWidth), ...columns.map((c) => c.cells[r]!)].join(' '));
  }
  return lines.join('\n');
}

const isNumeric = (c: ColumnInfo | undefined) => c?.type === 'integer' || c?.type === 'number';

/**
 * A summary's first rows as a pandas-style table.
 *
 * @param summary - a dataset summary (its `columns` and `head`)
 */
export function formatHead(summary: Pick<DatasetSummary, 'columns' | 'head'>): string {
  return formatPandas(
    summary.columns.map((c) => c.name),
    summary.head,
    summary.columns.map(isNumeric),
  );
}

/**
 * A whole table as a pandas-style text table, each value as its exact text.
 *
 * @param table - the table
 * @param columns - column infos for exact number formats
 * @param limit - most rows to print; a line says how many were left out @default 50
 */
export function formatRows(table: ColumnTable, columns: readonly ColumnInfo[] = [], limit = 50): string {
  const names = table.columnNames();
  const infos = new Map(columns.map((c) => [c.name, c]));
  const arrays = names.map((n) => table.array(n, Array) as unknown[]);
  // loaded here, not at the top: the CLI's `send` uses this module without arquero
  const { formatCell } = arrowIPC();
  const n = Math.min(limit, table.numRows());
  const rows: Array<Array<string | null>> = [];
  for (let r = 0; r < n; r++) rows.push(names.map((name, i) => formatCell(arrays[i]?.[r], infos.get(name))));
  const text = formatPandas(
    names,
    rows,
    names.map((name) => isNumeric(infos.get(name))),
  );
  const cut = table.numRows() - n;
  return cut > 0 ? `${text}\n… ${formatCount(cut)} more rows (${formatCount(table.numRows())} in all)` : text;
}

/**
 * One line about a stored dataset: name, shape, column types, time.
 *
 * @param summary - the server's summary
 * @example
 * ```text
 * students: 10 rows × 4 columns (id integer, name string, age integer, grade string), 158 bytes in 12 ms
 * ```
 */
export function summaryLine(summary: DatasetSummary): string {
  const cols = summary.columns.map((c) => `${escapeTerminal(c.name)} ${c.type}`).join(', ');
  const shown = cols.length > 200 ? `${cols.slice(0, 197)}...` : cols;
  return `${escapeTerminal(summary.name)}: ${plural(summary.rows, 'row')} × ${plural(summary.columns.length, 'column')} (${shown}), ${formatBytes(summary.bytes)} in ${summary.ms} ms`;
}

function oneLine(value: string): string {
  const flat = escapeTerminal(value.replace(/[\r\n\t]+/g, ' '));
  return flat.length > 40 ? `${flat.slice(0, 37)}...` : flat;
}

// C0 controls but tab and line feed, DEL, C1 controls, bidi overrides and
// isolates, and lone surrogates: what a terminal would act on or reorder
const TERMINAL_UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text made safe to write to a terminal: control characters (ESC, so no
 * `ESC[2J` or OSC 52 clipboard sequence reaches the terminal), C1 controls,
 * bidirectional overrides (U+202E) and lone surrogates become visible escapes
 * such as `\x1b` or `\u202e`; tab and line feed stay. Everything csvsocket
 * prints to a terminal from a client's data goes through it; `--format csv`
 * into a file or pipe keeps the exact bytes.
 *
 * @param text - untrusted text (a cell, a column or dataset name)
 * @returns the text with every unsafe character escaped
 * @example
 * ```ts
 * escapeTerminal('a\x1b[2Jb') // 'a\\x1b[2Jb'
 * ```
 */
export function escapeTerminal(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
