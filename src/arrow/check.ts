/**
 * Checks on an Arrow IPC upload before anything is built from it. Arrow
 * declares its lengths: a 440-byte stream can declare six Null columns of 10^8
 * rows each, which costs nothing to send and gigabytes to open. Every declared
 * length (record batches, nested children, dictionaries) is checked against the
 * bytes that back it and against the row limit, while the data are still views
 * into the received bytes; only then is the table opened.
 *
 *   bytes ─▶ flechette decode (views, no copies) ─▶ every batch: length ≤ maxRows,
 *   buffers ≥ length, unbacked (Null, run-end) cells ≤ 8 × bytes ─▶ names made safe
 */
import { type Batch, type Column, Type, tableFromColumns, tableFromIPC, tableToIPC } from '@uwdata/flechette';
import { renameHeaders } from '../csv/headers.js';
import { ErrorCode, LimitError, ProtocolError } from '../errors.js';

/** What an Arrow upload may declare. */
export interface ArrowLimits {
  /** most rows of the table (and of any nested column) */
  maxRows: number;
  /** most columns */
  maxColumns: number;
}

/** A checked Arrow upload: its bytes (re-encoded when a name had to change) and its renamed columns. */
export interface CheckedArrow {
  ipc: Uint8Array;
  warnings: string[];
  /** new name → the name as sent, for every renamed column */
  renamed: Map<string, string>;
}

/** Cells a column may declare without bytes behind them (Null type, run-end encoding), at least. */
const FREE_CELLS = 65_536;

/**
 * Check an Arrow IPC upload's declared lengths and names.
 *
 * @param bytes - the IPC stream or file as received
 * @param limits - the row and column limits
 * @returns the bytes to open, with notes on renamed columns
 * @throws ProtocolError `CSVS_PROTOCOL_BAD_ARROW` when the bytes are not Arrow IPC, are
 *   compressed, or declare more values than they hold
 * @throws LimitError `CSVS_LIMIT_ROWS` past `maxRows`, `CSVS_LIMIT_COLUMNS` past `maxColumns`
 */
export function checkArrowUpload(bytes: Uint8Array, limits: ArrowLimits): CheckedArrow {
  let table: ReturnType<typeof tableFromIPC>;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_ARROW,
      `the upload is not a readable Arrow IPC stream (${(err as Error).message}); send an uncompressed Arrow IPC stream or file`,
    );
  }
  const names = table.schema.fields.map((f) => f.name);
  if (names.length > limits.maxColumns) {
    throw new LimitError('maxColumns', { subject: 'the Arrow table', size: names.length, limit: limits.maxColumns });
  }
  const budget = { free: Math.max(FREE_CELLS, 8 * bytes.byteLength) };
  table.children.forEach((column, i) => {
    for (const batch of column.data) checkBatch(batch as Batch<unknown>, names[i] as string, limits, budget);
  });
  const warnings: string[] = [];
  const safe = renameHeaders(names, warnings);
  const renamed = new Map<string, string>();
  for (const c of safe) if (c.header !== undefined) renamed.set(c.name, c.header);
  if (renamed.size === 0) return { ipc: bytes, warnings, renamed };
  // arquero keeps columns in an object keyed by name: "__proto__" would vanish
  // into the prototype and take the row count with it; write the table again
  // under names that are safe keys
  const entries = table.children.map((column, i) => [safe[i]?.name as string, column] as [string, Column<unknown>]);
  const ipc = tableToIPC(tableFromColumns(entries), { format: 'stream' }) as Uint8Array;
  return { ipc, warnings, renamed };
}

interface Budget {
  /** cells that may still be declared without bytes behind them */
  free: number;
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
    type: { typeId: number; listSize?: number };
    validity?: Uint8Array;
    values?: ArrayLike<unknown>;
    offsets?: ArrayLike<unknown>;
    typeIds?: ArrayLike<unknown>;
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
    case Type.List:
    case Type.LargeList:
    case Type.Map:
      need('offsets', count(b.offsets), length === 0 ? 0 : length + 1);
      break;
    case Type.ListView:
    case Type.LargeListView:
      need('offsets', count(b.offsets), length);
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
    case Type.FixedSizeList:
      for (const child of children) need('child values', child.length, length * (b.type.listSize ?? 1));
      break;
    default:
      // fixed-width values (numbers, dates, times, decimals, dictionary indices) and views
      need('values', count(b.values), length);
  }
  for (const child of children) checkBatch(child, column, limits, budget);
  if (b.dictionary) for (const d of b.dictionary.data) checkBatch(d as Batch<unknown>, column, limits, budget);
}

function short(column: string, what: string): never {
  throw new ProtocolError(
    ErrorCode.PROTOCOL_BAD_ARROW,
    `Arrow column "${column}" declares ${what}; the upload's lengths must match its bytes`,
  );
}
