/**
 * Appending rows to a live dataset, losslessly: the new rows are parsed on
 * their own (no type forced on them, so every value keeps its text), then each
 * column gets the type a first parse of the combined rows would have given it.
 *
 *   dataset column ─┐
 *                   ├─► stats of each side ─► mergeColumnStats ─► combined type
 *   new rows column ┘      (from the values)        │
 *                                                   ▼
 *            a side typed more strictly is rewritten as its exact text (a string column)
 *
 * So `00501` into an integer column makes it a string column (`"1"`, `"00501"`),
 * `2.5` into a two-decimal column keeps `2.50` and `2.5` as written; nothing
 * is rounded or reformatted.
 */
import type { ColumnTable } from 'arquero';
import * as aq from 'arquero';
import { type ArrowStreams, streamList } from '../arrow/ipc.js';
import { compileDateFormat, effectiveFormat, type Padding, readDate, writeDate } from '../csv/dateformat.js';
import { dateToDay } from '../csv/dates.js';
import { type ColumnInfo, type ColumnType, formatValue } from '../csv/index.js';
import { type ColumnStats, mergeColumnStats } from '../csv/merge.js';
import { CsvParseError, ErrorCode } from '../errors.js';
import { type Dataset, datasetIPC } from './datasets.js';

// kinds as csv/column.ts numbers them
const K_NULL = 0;
const K_NUM = 1;
const K_DATE = 2;
const K_BOOL = 3;
const K_STR = 4;

/**
 * The type overrides for parsing rows to append: only the dataset's date
 * columns read with a format keep it (a format parse is exact), plus what the
 * client gave. Every other column is inferred from the new rows' own text.
 *
 * @param dataset - the dataset appended to, if it exists
 * @param given - the client's overrides, which win
 */
export function appendParseTypes(
  dataset: Pick<Dataset, 'columns'> | undefined,
  given?: Record<string, string>,
): Record<string, string> | undefined {
  if (!dataset) return given;
  const types = Object.create(null) as Record<string, string>;
  // `%d` rather than `%-d`: the new rows may pad either way, and the merge says whether both fit
  for (const c of dataset.columns)
    if (c.type === 'date' && c.format) types[c.header ?? c.name] = `date:${basicFormat(c.format)}`;
  if (given) Object.assign(types, given);
  return Object.keys(types).length > 0 ? types : undefined;
}

/** What the values of one side of an append say about their column, as the parser would count it. */
function statsOf(info: ColumnInfo, values: readonly unknown[]): ColumnStats {
  const s: ColumnStats = {
    name: info.name,
    kind: K_NULL,
    hasInt: false,
    hasDecimal: false,
    fixedDec: -1,
    allShortest: true,
    lossy: false,
  };
  if (info.header !== undefined) s.header = info.header;
  let any = false;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    any = true;
    if (info.type !== 'number') break;
    const text = formatValue(v, info);
    const dot = text.indexOf('.');
    if (dot < 0) s.hasInt = true;
    else {
      s.hasDecimal = true;
      const dec = text.length - dot - 1;
      s.fixedDec = s.fixedDec === -1 || s.fixedDec === dec ? dec : -2;
      if (text !== String(v)) s.allShortest = false;
    }
  }
  if (!any) return s;
  if (info.type === 'integer') s.hasInt = true;
  s.kind =
    info.type === 'integer' || info.type === 'number'
      ? K_NUM
      : info.type === 'date'
        ? K_DATE
        : info.type === 'boolean'
          ? K_BOOL
          : K_STR;
  return s;
}

/** The type of a column once rows are appended: the dataset's and the rows' merged. */
function combinedInfo(old: ColumnInfo, oldValues: unknown[], added: ColumnInfo, addedValues: unknown[]): ColumnInfo {
  const a = statsOf(old, oldValues);
  const b = statsOf(added, addedValues);
  let format: string | undefined;
  if (a.kind === K_DATE && b.kind === K_DATE && (old.format ?? '') !== (added.format ?? '')) {
    format = mergedFormat(old, oldValues, added, addedValues);
    if (format === undefined) a.kind = K_STR;
  }
  const { info } = mergeColumnStats([a, b]);
  if (info.type === 'date') {
    format ??= a.kind === K_DATE ? old.format : added.format;
    if (format !== undefined) info.format = format;
  }
  return info;
}

/** How each value of a format column pads its numbers (write it, read it back). */
function paddingOf(info: ColumnInfo, values: unknown[]): { padded: number; unpadded: number; each: Padding[] } {
  const format = compileDateFormat(info.format as string);
  const base = compileDateFormat(basicFormat(info.format as string));
  const one: Padding = { padded: 0, unpadded: 0 };
  let padded = 0;
  let unpadded = 0;
  const each: Padding[] = [];
  for (const v of values) {
    if (!(v instanceof Date)) {
      each.push({ padded: 0, unpadded: 0 });
      continue;
    }
    const text = writeDate(format, format.hasTime ? v : dateToDay(v));
    readDate(base, text, 0, text.length, one);
    padded |= one.padded;
    unpadded |= one.unpadded;
    each.push({ ...one });
  }
  return { padded, unpadded, each };
}

/** A format with every `%-x` read as `%x` (which reads both paddings). */
function basicFormat(format: string): string {
  return format.replace(/%(-?)(.)/g, (_, _dash: string, d: string) => `%${d}`);
}

/**
 * The format of two date columns read with the same format but padded
 * differently so far (`%b %d %Y` whose days were all ≥ 10, then `Jan 1 2000`):
 * the one that writes both sides back; undefined when they are different formats.
 * @throws CsvParseError `CSVS_PARSE_BAD_TYPE` when one number is written both with and without its leading zero
 */
function mergedFormat(
  old: ColumnInfo,
  oldValues: unknown[],
  added: ColumnInfo,
  addedValues: unknown[],
): string | undefined {
  if (old.format === undefined || added.format === undefined) return undefined;
  const base = basicFormat(old.format);
  if (base !== basicFormat(added.format)) return undefined;
  const a = paddingOf(old, oldValues);
  const b = paddingOf(added, addedValues);
  if ((a.padded | b.padded) & (a.unpadded | b.unpadded)) {
    // the first new row at odds with the stored ones (line 1 is the header)
    const row = b.each.findIndex((p) => (p.unpadded & a.padded) !== 0 || (p.padded & a.unpadded) !== 0);
    const line = row + 2;
    throw new CsvParseError(
      ErrorCode.PARSE_BAD_TYPE,
      `cannot append line ${line} of the new rows: column "${old.name}" (date:${old.format}) has its dates written ${a.padded & b.unpadded ? 'with' : 'without'} a leading zero and the new rows write them ${a.padded & b.unpadded ? 'without' : 'with'} one, so the dates could not be written back exactly; write them the same way, or read the column as text`,
      { line },
    );
  }
  return effectiveFormat(compileDateFormat(base), a.unpadded | b.unpadded);
}

function same(a: ColumnInfo, b: ColumnInfo): boolean {
  return a.type === b.type && a.decimals === b.decimals && a.format === b.format;
}

/** A side's values as the combined column holds them: unchanged, or as their exact text. */
function recast(values: unknown[], from: ColumnInfo, to: ColumnType): unknown[] | null {
  if (to !== 'string' || from.type === 'string') return null;
  return values.map((v) => (v === null || v === undefined ? null : formatValue(v, from)));
}

function withColumns(table: ColumnTable, replaced: Map<string, unknown[]>): ColumnTable {
  return replaced.size === 0 ? table : table.assign(aq.table(replaced as never));
}

/**
 * The dataset's table with `rows` appended, and the combined column infos.
 *
 * @param dataset - the stored dataset
 * @param rows - the new rows, parsed on their own
 * @param columns - the new rows' column infos
 * @returns the combined table and its column infos
 * @throws CsvParseError `CSVS_PARSE_BAD_TYPE` when the columns differ
 * @example
 * ```ts
 * const { table, columns } = appendTable(dataset, added, result.columns)
 * ```
 */
export function appendTable(
  dataset: Dataset,
  rows: ColumnTable,
  columns: readonly ColumnInfo[],
): { table: ColumnTable; columns: ColumnInfo[] } {
  const have = dataset.columns.map((c) => c.name);
  const got = columns.map((c) => c.name);
  if (have.length !== got.length || have.some((n, i) => n !== got[i])) {
    throw new CsvParseError(
      ErrorCode.PARSE_BAD_TYPE,
      `cannot append to "${dataset.name}": its columns are ${JSON.stringify(have)}, the new rows have ${JSON.stringify(got)}`,
      { dataset: dataset.name, line: 1 },
    );
  }
  const merged: ColumnInfo[] = [];
  const oldCast = new Map<string, unknown[]>();
  const newCast = new Map<string, unknown[]>();
  columns.forEach((added, i) => {
    const old = dataset.columns[i] as ColumnInfo;
    if (rows.numRows() === 0) {
      merged.push(old);
      return;
    }
    const addedValues = rows.array(added.name, Array) as unknown[];
    // the common case first: the same type (and decimals, and format) stays
    if (same(old, added)) {
      merged.push(old);
      return;
    }
    const oldValues = dataset.table.array(old.name, Array) as unknown[];
    const info = combinedInfo(old, oldValues, added, addedValues);
    if (old.header !== undefined) info.header = old.header;
    merged.push(same(info, old) ? old : info);
    const o = recast(oldValues, old, info.type);
    if (o) oldCast.set(old.name, o);
    const n = recast(addedValues, added, info.type);
    if (n) newCast.set(added.name, n);
  });
  const table = withColumns(dataset.table, oldCast).concat(withColumns(rows, newCast));
  return { table, columns: merged };
}

/** Streams an appended dataset may be made of before an append joins them into one table. */
const MAX_STREAMS = 256;

/** The first message of an Arrow IPC stream (its schema), as bytes. */
function schemaMessage(stream: Uint8Array): Uint8Array | null {
  if (stream.byteLength < 8) return null;
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const size = view.getInt32(0, true) === -1 ? view.getInt32(4, true) : -1;
  return size > 0 && 8 + size <= stream.byteLength ? stream.subarray(0, 8 + size) : null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/**
 * The streams of `dataset` with the new rows' streams after them, when the new
 * rows keep every column as it is (the same types, decimals and formats, the
 * same Arrow schema): the appended table is then the streams read as one, and
 * nothing of the stored rows is copied or decoded. Null when a column must
 * change (see {@link appendTable}), or when the dataset already has many
 * streams (the append then joins them into one table).
 *
 * A one-row append to 1M rows × 40 columns copied every column into arrays on
 * the main thread: 1.5 s of the kernel's event loop.
 *
 * @param dataset - the dataset appended to
 * @param streams - the new rows as the parse wrote them
 * @param columns - the new rows' column infos
 */
export function appendedStreams(
  dataset: Dataset,
  streams: ArrowStreams,
  columns: readonly ColumnInfo[],
): Uint8Array[] | null {
  if (columns.length !== dataset.columns.length) return null;
  for (let i = 0; i < columns.length; i++) {
    const old = dataset.columns[i] as ColumnInfo;
    const added = columns[i] as ColumnInfo;
    if (old.name !== added.name || !same(old, added)) return null;
  }
  const added = streamList(streams);
  const stored = streamList(datasetIPC(dataset));
  if (stored.length + added.length > MAX_STREAMS) return null;
  const schema = stored[0] ? schemaMessage(stored[0]) : null;
  if (!schema) return null;
  for (const stream of added) {
    const own = schemaMessage(stream);
    if (!own || !sameBytes(own, schema)) return null;
  }
  return [...stored, ...added];
}

/**
 * The dataset's table with `rows` appended (see {@link appendTable}).
 *
 * @param dataset - the stored dataset
 * @param rows - the new rows as a table
 * @param columns - the new rows' column infos
 * @throws CsvParseError `CSVS_PARSE_BAD_TYPE` when the columns differ
 */
export function concatTables(dataset: Dataset, rows: ColumnTable, columns: readonly ColumnInfo[]): ColumnTable {
  return appendTable(dataset, rows, columns).table;
}
