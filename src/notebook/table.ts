/**
 * Tables a student can read: `show()`, `describe()` and the HTML and text they draw.
 *
 *   table ── columns (types: the server's ColumnType names) ── cells (one rendering per value)
 *                                                               ├─ tableToHTML   notebook
 *                                                               └─ formatTable   terminal, text/plain
 *
 * A value reads the same everywhere: a column the server parsed keeps its own
 * text (`0.0` stays `0.0`, as the seed-style printout shows it), a computed
 * float shows at most 10 significant digits (`1226`, not `1225.9999999999989`),
 * while the stored value keeps every digit. The server's column infos reach a
 * table through {@link rememberColumns}, keyed by arquero's column objects,
 * which filtered, sorted and selected tables share with their source.
 */
import { table as aqTable, type ColumnTable } from 'arquero';
import { formatCell } from '../arrow/ipc.js';
import type { ColumnInfo } from '../csv/index.js';
import { ArgumentError, ErrorCode } from '../errors.js';
import { processState } from '../state.js';
import { DisplayHandle, escapeHTML } from './display.js';
import { isNotebook } from './kernel.js';

/** Options of {@link show}, {@link tableToHTML} and {@link formatTable}. */
export interface ShowOptions {
  /** How many rows to show; the output says how many it left out. @default 20 */
  limit?: number;
  /** A title shown above the table. */
  title?: string;
  /** Longest string shown in a cell before it is cut with "…". @default 200 (40 in text) */
  maxWidth?: number;
  /** Show {@link describe}'s summary of the columns instead of the rows. @default false */
  summary?: boolean;
}

declare module '../state.js' {
  interface ProcessState {
    /** the server's column infos, by arquero column object (shared by derived tables) */
    columnInfos: WeakMap<object, ColumnInfo>;
  }
}

const infos = () => processState('columnInfos', () => new WeakMap());

/**
 * Remembers the server's column infos for a table it sent back, so show()
 * uses the server's type names and each value's own text (`decimals`).
 * @internal
 */
export function rememberColumns(table: ColumnTable, columns: readonly ColumnInfo[]): void {
  const map = infos();
  for (const info of columns) {
    const column = table.column(info.name);
    if (column) map.set(column, info);
  }
}

function infoOf(table: ColumnTable, name: string): ColumnInfo | undefined {
  const column = table.column(name);
  return column ? infos().get(column) : undefined;
}

// ─────────────────────────────── checks ───────────────────────────────

function assertTable(table: unknown, fn: string): asserts table is ColumnTable {
  const t = table as Partial<ColumnTable> | null;
  if (!t || typeof t.numRows !== 'function' || typeof t.columnNames !== 'function' || typeof t.scan !== 'function') {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `${fn}(table) expects an arquero table, got ${kindOf(table)}`);
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Promise) return 'a Promise (add await)';
  return typeof value === 'object'
    ? `an object (${Object.keys(value as object)
        .slice(0, 3)
        .join(', ')})`
    : typeof value;
}

function limitOf(options: ShowOptions | undefined, fn: string): number {
  const limit = options?.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `${fn}: limit must be a whole number ≥ 0, got ${String(limit)}`);
  }
  return limit;
}

// ─────────────────────────────── types ───────────────────────────────

/**
 * The type of a column as the server names it (src/csv ColumnType: "integer",
 * "number", "boolean", "date", "string"), from the server's column info when
 * the table came from it, else from up to `sample` values; "bigint", "object",
 * "mixed" and "null" (no values) for what a CSV never gives.
 * @internal
 */
export function displayType(table: ColumnTable, name: string, sample = 10_000): string {
  const info = infoOf(table, name);
  if (info) return info.type;
  const column = table.column(name);
  if (!column) return 'null';
  const data = (column as { data?: unknown }).data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return 'bigint';
  if (
    ArrayBuffer.isView(data) &&
    !(data instanceof DataView) &&
    !(data instanceof Float32Array || data instanceof Float64Array)
  ) {
    return 'integer';
  }
  const seen = new Set<string>();
  table.scan(
    (row) => {
      const value = column.at(row as number);
      if (value !== null && value !== undefined) seen.add(typeOf(value));
    },
    false,
    sample,
  );
  if (seen.has('integer') && seen.has('number')) seen.delete('integer');
  if (seen.size === 0) return 'null';
  return seen.size === 1 ? ([...seen][0] as string) : 'mixed';
}

function typeOf(value: unknown): string {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'integer' : 'number';
  if (value instanceof Date) return 'date';
  if (ArrayBuffer.isView(value)) return 'bytes';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const isNumeric = (type: string | undefined): boolean => type === 'integer' || type === 'number' || type === 'bigint';

// ─────────────────────────────── values ───────────────────────────────

/**
 * A computed number as a person reads it: at most 10 significant digits, so
 * float noise (`1225.9999999999989`) disappears; whole numbers as they are.
 * @internal
 */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(10)));
}

/** The text of one value, or `undefined` for null/undefined (shown distinctly). */
function valueText(value: unknown, info: ColumnInfo | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return info ? (formatCell(value, info) ?? String(value)) : formatNumber(value);
  if (value instanceof Date) return formatCell(value, info) ?? 'Invalid Date';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function cut(text: string, maxWidth: number): string {
  return text.length > maxWidth ? `${text.slice(0, Math.max(1, maxWidth - 1))}…` : text;
}

// ─────────────────────────────── layout ───────────────────────────────

interface Prepared {
  names: string[];
  types: string[];
  /** cell texts, undefined for a missing value; null stays apart from undefined */
  rows: Array<Array<string | null | undefined>>;
  total: number;
}

function prepare(table: ColumnTable, limit: number, maxWidth: number): Prepared {
  const names = table.columnNames();
  const columns = names.map((name) => table.column(name));
  const columnInfos = names.map((name) => infoOf(table, name));
  const rows: Prepared['rows'] = [];
  if (limit > 0) {
    table.scan(
      (row) => {
        rows.push(
          columns.map((column, i) => {
            const value = column?.at(row as number);
            if (value === null) return null;
            const text = valueText(value, columnInfos[i]);
            return text === undefined ? undefined : cut(text, maxWidth);
          }),
        );
      },
      true,
      limit,
    );
  }
  return { names, types: names.map((name) => displayType(table, name)), rows, total: table.numRows() };
}

const numberFormat = new Intl.NumberFormat('en-US');
const count = (n: number): string => numberFormat.format(n);
const plural = (n: number, word: string): string => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

/** "10 rows × 4 columns". */
const shapeOf = (p: Prepared): string => `${plural(p.total, 'row')} × ${plural(p.names.length, 'column')}`;

function cutNote(p: Prepared): string | undefined {
  return p.rows.length < p.total ? `showing ${count(p.rows.length)} of ${plural(p.total, 'row')}` : undefined;
}

const tableStyle = [
  '.csvs-table{border-collapse:collapse;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:4px 0}',
  '.csvs-table th,.csvs-table td{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top;white-space:pre}',
  '.csvs-table td.csvs-num{text-align:right}',
  '.csvs-table th small{display:block;color:#888;font-weight:normal}',
  '.csvs-null{color:#aaa;font-style:italic}',
  '.csvs-caption{font:12px sans-serif;color:#555;margin:2px 0}',
].join('');

/**
 * Renders a table as an HTML fragment: its shape and column types, at most
 * `limit` rows with a note of what was cut, every value and every column name
 * escaped, and null shown in grey italics.
 *
 * @param table - an arquero table.
 * @param options - row limit and title.
 * @returns an HTML string (a `<div>` holding a caption and a `<table>`).
 * @example
 * tableToHTML(aq.table({ x: [1, 2] })); // '<div class="csvs">…2 rows × 1 column…</div>'
 */
export function tableToHTML(table: ColumnTable, options?: ShowOptions): string {
  assertTable(table, 'tableToHTML');
  const p = prepare(table, limitOf(options, 'tableToHTML'), options?.maxWidth ?? 200);
  const numeric = p.types.map(isNumeric);
  const head = p.names
    .map(
      (name, i) =>
        `<th title="${escapeHTML(name)}">${escapeHTML(name)}<small>${escapeHTML(p.types[i] ?? '')}</small></th>`,
    )
    .join('');
  const body = p.rows
    .map((row) => {
      const cells = row.map((text, i) => {
        if (text === null || text === undefined) return `<td class="csvs-null">${String(text)}</td>`;
        return numeric[i] ? `<td class="csvs-num">${escapeHTML(text)}</td>` : `<td>${escapeHTML(text)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const note = cutNote(p);
  const caption = [options?.title, shapeOf(p), note]
    .filter((s): s is string => Boolean(s))
    .map(escapeHTML)
    .join(' · ');
  return (
    `<div class="csvs"><style>${tableStyle}</style>` +
    `<div class="csvs-caption">${caption}</div>` +
    `<table class="csvs-table"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>` +
    (note ? `<div class="csvs-caption">… ${escapeHTML(note)}</div>` : '') +
    '</div>'
  );
}

/** Display width of a string: one per code point (good enough for tables in a terminal). */
const width = (text: string): number => [...text].length;

/**
 * Renders a table as plain text: a shape line, a header with the column types,
 * at most `limit` rows (numbers right-aligned, null as `null`) and a note of
 * what was cut.
 *
 * @param table - an arquero table.
 * @param options - row limit and title.
 * @returns the text, lines separated by "\n", without a trailing newline.
 * @example
 * console.log(formatTable(aq.table({ x: [1, 2] })));
 * // 2 rows × 1 column
 * // x
 * // integer
 * // ───────
 * //       1
 * //       2
 */
export function formatTable(table: ColumnTable, options?: ShowOptions): string {
  assertTable(table, 'formatTable');
  const p = prepare(table, limitOf(options, 'formatTable'), options?.maxWidth ?? 40);
  const grid = p.rows.map((row) => row.map((text) => (text ?? 'null').replace(/\r?\n/g, '↵')));
  const names = p.names.map((n) => cut(n.replace(/\r?\n/g, '↵'), options?.maxWidth ?? 40));
  const widths = names.map((name, i) =>
    Math.max(width(name), width(p.types[i] ?? ''), ...grid.map((row) => width(row[i] ?? ''))),
  );
  const numeric = p.types.map(isNumeric);
  const line = (cells: string[], alignNumbers: boolean): string =>
    cells
      .map((cell, i) => {
        const fill = ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(cell)));
        return alignNumbers && numeric[i] ? fill + cell : cell + fill;
      })
      .join('  ')
      .trimEnd();
  const lines = [[options?.title, shapeOf(p)].filter(Boolean).join(' · ')];
  if (p.names.length > 0) {
    lines.push(line(names, false), line(p.types, false), widths.map((w) => '─'.repeat(w)).join('  '));
    for (const row of grid) lines.push(line(row, true));
  }
  const note = cutNote(p);
  if (note) lines.push(`… ${note}`);
  return lines.join('\n');
}

/**
 * The bundle show() displays: HTML and its text/plain fallback.
 * @internal
 */
export function tableBundle(table: ColumnTable, options?: ShowOptions): Record<string, string> {
  const shown = options?.summary ? describe(table) : table;
  const opts = options?.summary
    ? { ...options, limit: Math.max(options.limit ?? 0, shown.numRows()), title: options.title ?? 'summary' }
    : options;
  return { 'text/html': tableToHTML(shown, opts), 'text/plain': formatTable(shown, opts) };
}

/**
 * Shows a table: in a notebook as an HTML table (with a text/plain fallback),
 * elsewhere as a text table on stdout.
 *
 * @param table - an arquero table.
 * @param options - row limit (default 20), title, `summary: true` for {@link describe}'s view.
 * @example
 * show(students.orderby('grade'), { limit: 5 });
 */
export function show(table: ColumnTable, options?: ShowOptions): void {
  assertTable(table, 'show');
  const bundle = tableBundle(table, options);
  if (isNotebook()) new DisplayHandle().show(bundle);
  else console.log(bundle['text/plain']);
}

// ─────────────────────────────── describe ───────────────────────────────

interface ColumnStats {
  count: number;
  nulls: number;
  distinct: Set<unknown>;
  min: unknown;
  max: unknown;
  sum: number;
  tops: Map<unknown, number>;
}

function statsOf(values: ArrayLike<unknown>, numeric: boolean): ColumnStats {
  const s: ColumnStats = { count: 0, nulls: 0, distinct: new Set(), min: null, max: null, sum: 0, tops: new Map() };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      s.nulls++;
      continue;
    }
    s.count++;
    const key = v instanceof Date ? v.getTime() : v;
    s.distinct.add(key);
    if (!numeric) s.tops.set(key, (s.tops.get(key) ?? 0) + 1);
    if (typeof v === 'number' || typeof v === 'bigint' || v instanceof Date) {
      if (s.min === null || (v as number) < (s.min as number)) s.min = v;
      if (s.max === null || (v as number) > (s.max as number)) s.max = v;
      if (typeof v === 'number') s.sum += v;
    }
  }
  return s;
}

function topText(tops: Map<unknown, number>, info: ColumnInfo | undefined): string | null {
  if (tops.size === 0) return null;
  return [...tops]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(
      ([v, n]) =>
        `${cut(valueText(typeof v === 'number' && info?.type === 'date' ? new Date(v) : v, info) ?? '', 20)} (${count(n)})`,
    )
    .join(', ');
}

/**
 * What `df.info()` and `df.describe()` give a class, as one table: per column
 * its type (the server's names), values present, nulls, distinct values, and
 * min / max / mean for numbers (min / max for dates), the three most frequent
 * values for text.
 *
 * @param table - an arquero table.
 * @returns a table with one row per column; show it, or leave it as a cell's last value.
 * @example
 * describe(students); // column, type, count, nulls, distinct, min, max, mean, top
 */
export function describe(table: ColumnTable): ColumnTable {
  assertTable(table, 'describe');
  const names = table.columnNames();
  const out = {
    column: [] as string[],
    type: [] as string[],
    count: [] as number[],
    nulls: [] as number[],
    distinct: [] as number[],
    min: [] as Array<string | null>,
    max: [] as Array<string | null>,
    mean: [] as Array<number | null>,
    top: [] as Array<string | null>,
  };
  for (const name of names) {
    const type = displayType(table, name);
    const info = infoOf(table, name);
    const numeric = type === 'integer' || type === 'number';
    const s = statsOf(table.array(name) as ArrayLike<unknown>, numeric || type === 'date');
    out.column.push(name);
    out.type.push(type);
    out.count.push(s.count);
    out.nulls.push(s.nulls);
    out.distinct.push(s.distinct.size);
    out.min.push(s.min === null ? null : (valueText(s.min, info) ?? null));
    out.max.push(s.max === null ? null : (valueText(s.max, info) ?? null));
    out.mean.push(numeric && s.count > 0 ? Number((s.sum / s.count).toPrecision(10)) : null);
    out.top.push(numeric || type === 'date' ? null : topText(s.tops, info));
  }
  return aqTable(out);
}
