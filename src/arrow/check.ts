/**
 * Checks on an Arrow IPC upload before anything is built from it. Arrow
 * declares its lengths: a 440-byte stream can declare six Null columns of 10^8
 * rows each, which costs nothing to send and gigabytes to open. The metadata
 * is verified first (verify.ts: every read inside the bytes, none repeated
 * past their size), then the upload is decoded by the decoder that opens
 * tables (ipc.ts decodeArrow), and every declared length (record batches,
 * nested children, dictionaries) is checked against the bytes that back it
 * and against the row limit while the data are still views into the received
 * bytes, before any value is read.
 *
 *   bytes ─▶ verifyArrowIPC ─▶ decodeArrow (views, no copies) ─▶ every batch: length ≤ maxRows,
 *   buffers ≥ length, unbacked (Null, run-end) cells ≤ 8 × bytes ─▶ the cost of reading every
 *   value ≤ 32 × bytes (cost.ts) ─▶ values read ─▶ names made safe
 */
import { type Batch, type Column, type Table, Type, tableToIPC } from '@uwdata/flechette';
import type { ColumnTable } from 'arquero';
import { renameHeaders } from '../csv/headers.js';
import { ErrorCode, isCsvSocketError, LimitError, ProtocolError } from '../errors.js';
import { type Costing, isNull, readBudget, readCost, textBudget } from './cost.js';
import { withNames } from './edges.js';
import { decodeArrow, describeTable, type TableDescription, tableFromArrow, tableToArrowIPC } from './ipc.js';
import { unbackedCells, verifyArrowIPC } from './verify.js';

/** What an Arrow upload may declare. */
export interface ArrowLimits {
  /** most rows of the table (and of any nested column) */
  maxRows: number;
  /** most columns */
  maxColumns: number;
}

/** A checked Arrow upload: its bytes (re-encoded when a name had to change), the table they hold, its renamed columns. */
export interface CheckedArrow {
  ipc: Uint8Array;
  /** the table `ipc` holds, decoded as tables are opened (ipc.ts decodeArrow) */
  table: Table;
  /** its columns, rows and first rows, from reading every value once */
  description: TableDescription;
  warnings: string[];
  /** new name → the name as sent, for every renamed column */
  renamed: Map<string, string>;
}

/**
 * Check an Arrow IPC upload's metadata, declared lengths and names, decode it
 * and read every value once (describing it).
 *
 * @param bytes - the IPC stream or file as received
 * @param limits - the row and column limits
 * @param headRows - rows of the description's head
 * @returns the bytes to store and the table they hold, with notes on renamed columns
 * @throws ProtocolError `CSVS_PROTOCOL_BAD_ARROW` when the bytes are not Arrow IPC, are
 *   compressed, or declare more values than they hold
 * @throws LimitError `CSVS_LIMIT_ROWS` past `maxRows`, `CSVS_LIMIT_COLUMNS` past `maxColumns`
 */
export function checkArrowUpload(bytes: Uint8Array, limits: ArrowLimits, headRows = 5): CheckedArrow {
  verifyArrowIPC(bytes);
  const budget: Budget = { free: unbackedCells(bytes.byteLength), seen: new Set() };
  const warnings: string[] = [];
  let table: Table;
  let safe: ReturnType<typeof renameHeaders>;
  let description: TableDescription;
  let ipc = bytes;
  try {
    table = decodeArrow(bytes, (decoded) => {
      const fields = decoded.schema.fields;
      if (fields.length > limits.maxColumns) {
        throw new LimitError('maxColumns', {
          subject: 'the Arrow table',
          size: fields.length,
          limit: limits.maxColumns,
        });
      }
      let reads = 0;
      const costing: Costing = { refuse: (what) => short('', what), text: 0 };
      decoded.children.forEach((column, i) => {
        const name = fields[i]?.name ?? '';
        costing.refuse = (what) => short(name, what);
        for (const batch of column.data) {
          checkBatch(batch as Batch<unknown>, name, limits, budget);
          reads += readCost(batch as Batch<unknown>, costing);
        }
      });
      // a dictionary's values are read once, for every batch that uses it
      costing.refuse = (what) => short('dictionary', what);
      for (const d of budget.seen) reads += readCost(d, costing);
      const sent = bytes.byteLength;
      if (!(reads <= readBudget(sent))) {
        throw new ProtocolError(
          ErrorCode.PROTOCOL_BAD_ARROW,
          `the upload's values would read ${reads} values and bytes from the ${sent} bytes sent (at most ${readBudget(sent)}): its offsets, views, runs or unions read the same data again and again`,
        );
      }
      if (!(costing.text <= textBudget(sent))) {
        throw new ProtocolError(
          ErrorCode.PROTOCOL_BAD_ARROW,
          `the upload's dictionaries stand for ${costing.text} bytes of values from the ${sent} bytes sent (at most ${textBudget(sent)}); send such a table as CSV or with shorter values`,
        );
      }
    });
    // arquero keeps columns in an object keyed by name: "__proto__" would vanish
    // into the prototype and take the row count with it, and of two columns of
    // one name only the last would stay
    safe = renameHeaders(
      table.schema.fields.map((f) => f.name),
      warnings,
    );
    const rename = safe.some((c) => c.header !== undefined);
    if (rename)
      table = withNames(
        table,
        safe.map((c) => c.name),
      );
    // every value read once: what the lengths cannot show (a view into a
    // missing buffer, a union member that is not there) fails here
    const opened = tableFromArrow(table);
    description = describeTable(opened, headRows);
    if (rename) ipc = renamedIPC(table, opened);
  } catch (err) {
    if (isCsvSocketError(err)) throw err;
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_ARROW,
      `the upload is not a readable Arrow IPC stream (${(err as Error).message}); send an uncompressed Arrow IPC stream or file`,
      {},
      { cause: err },
    );
  }
  const renamed = new Map<string, string>();
  for (const c of safe) if (c.header !== undefined) renamed.set(c.name, c.header);
  return { ipc, table, description, warnings, renamed };
}

/**
 * The bytes to store for a table whose columns were renamed: written again by
 * flechette's encoder, which keeps every Arrow type but takes a column's
 * dictionary from its first batch only (dropping deltas and replacements), or,
 * for a dictionary column of several batches (or what that encoder cannot
 * write), from the values as arquero reads them.
 */
function renamedIPC(table: Table, opened: ColumnTable): Uint8Array {
  const oneDictionaryEach = table.children.every(
    (column) => column.data.length < 2 || !(column.data[0] as { dictionary?: unknown }).dictionary,
  );
  if (oneDictionaryEach) {
    try {
      return tableToIPC(table, { format: 'stream' }) as Uint8Array;
    } catch {
      // two columns sharing one dictionary: flechette keys dictionaries by type object
    }
  }
  return tableToArrowIPC(opened);
}

interface Budget {
  /** cells that may still be declared without bytes behind them */
  free: number;
  /** dictionary batches checked already (record batches share them) */
  seen: Set<Batch<unknown>>;
}

/** Elements of a typed array, or 0. */
function count(view: unknown): number {
  return view && typeof (view as ArrayLike<unknown>).length === 'number' ? (view as ArrayLike<unknown>).length : 0;
}

function checkBatch(batch: Batch<unknown>, column: string, limits: ArrowLimits, budget: Budget): void {
  const length = batch.length;
  if (!Number.isSafeInteger(length) || length < 0) short(column, `a length of ${length}`);
  if (length > limits.maxRows) {
    throw new LimitError('maxRows', { subject: `Arrow column "${column}"`, size: length, limit: limits.maxRows });
  }
  const b = batch as unknown as {
    type: { typeId: number; stride?: number };
    validity?: Uint8Array;
    values?: ArrayLike<unknown>;
    offsets?: ArrayLike<unknown>;
    typeIds?: ArrayLike<unknown>;
    sizes?: ArrayLike<unknown>;
    children?: Array<Batch<unknown>>;
    dictionary?: Column<unknown>;
    nullCount: number;
  };
  const need = (what: string, have: number, want: number) => {
    if (have < want) short(column, `${want} ${what} for ${length} rows, but only ${have} arrived`);
  };
  if (b.nullCount > 0 && count(b.validity) > 0) need('validity bytes', count(b.validity), Math.ceil(length / 8));
  const children = b.children ?? [];
  switch (b.type.typeId) {
    case Type.Null:
    case Type.RunEndEncoded:
      // nothing per row is sent: these cells are paid for by the upload's size
      budget.free -= length;
      if (budget.free < 0) short(column, `more null or run-end cells (${length}) than its bytes can stand for`);
      break;
    case Type.Bool:
      need('value bytes', count(b.values), Math.ceil(length / 8));
      break;
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Binary:
    case Type.LargeBinary:
      need('offsets', count(b.offsets), length === 0 ? 0 : length + 1);
      break;
    case Type.List:
    case Type.LargeList:
    case Type.Map:
      need('offsets', count(b.offsets), length === 0 ? 0 : length + 1);
      break;
    case Type.ListView:
    case Type.LargeListView:
      need('offsets', count(b.offsets), length);
      need('sizes', count(b.sizes), length);
      break;
    case Type.BinaryView:
    case Type.Utf8View:
      need('view bytes', count(b.values), 16 * length);
      break;
    case Type.Union:
      need('type ids', count(b.typeIds), length);
      break;
    case Type.Struct:
      if (children.length === 0) {
        budget.free -= length;
        if (budget.free < 0) short(column, `more empty struct cells (${length}) than its bytes can stand for`);
      }
      for (const child of children) need('child values', child.length, length);
      break;
    case Type.FixedSizeBinary:
      if (!((b.type.stride ?? 0) >= 0)) short(column, `a width of ${b.type.stride}`);
      need('value bytes', count(b.values), length * (b.type.stride ?? 0));
      break;
    case Type.FixedSizeList:
      if (!((b.type.stride ?? 0) >= 0)) short(column, `a list size of ${b.type.stride}`);
      // flechette names the list size `stride`: each row reads that many child values
      for (const child of children) need('child values', child.length, length * (b.type.stride ?? 1));
      if (!b.type.stride) {
        // lists of no values: nothing per row is sent
        budget.free -= length;
        if (budget.free < 0) short(column, `more empty list cells (${length}) than its bytes can stand for`);
      }
      break;
    default:
      // fixed-width values (numbers, dates, times, decimals, dictionary indices) and views
      need('values', count(b.values), length);
      if (INTEGERS.has(b.type.typeId)) exactIntegers(batch, length, column);
  }
  for (const child of children) checkBatch(child, column, limits, budget);
  for (const d of b.dictionary?.data ?? []) {
    if (budget.seen.has(d as Batch<unknown>)) continue;
    budget.seen.add(d as Batch<unknown>);
    checkBatch(d as Batch<unknown>, column, limits, budget);
  }
}

/** Types read as one integer a value (a decimal is several words; timestamps are converted to Dates). */
const INTEGERS: ReadonlySet<number> = new Set([Type.Int, Type.Duration, Type.Time]);

/**
 * 64-bit integers must be ones a number holds exactly: flechette reads them as
 * numbers and throws past 2^53 (a 64-bit id or hash, nanoseconds as int64),
 * which surfaced as an unreadable stream. Nulls may hold anything.
 */
function exactIntegers(batch: Batch<unknown>, length: number, column: string): void {
  const values = (batch as unknown as { values?: unknown }).values;
  if (!(values instanceof BigInt64Array || values instanceof BigUint64Array)) return;
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < length; i++) {
    const v = values[i] as bigint;
    if ((v <= limit && v >= -limit) || isNull(batch, i)) continue;
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_ARROW,
      `Arrow column "${column}" holds the integer ${v} at row ${i}, beyond the 2^53 a number keeps exactly; send such values as text (a CSV, or an Arrow string column)`,
    );
  }
}

function short(column: string, what: string): never {
  throw new ProtocolError(
    ErrorCode.PROTOCOL_BAD_ARROW,
    `Arrow column "${column}" declares ${what}; the upload's lengths must match its bytes`,
  );
}
