/**
 * The parse worker: runs PieceParser (a CsvParser) for any number of uploads (or pieces of
 * uploads, see pool.ts) at once and answers each with Arrow IPC bytes written
 * into shared memory, which the main thread and the query workers read in
 * place (neither copied nor transferred).
 *
 *   begin (+ header prefix for a later piece) ─▶ chunk… ─▶ seal ─▶ 'sealed' stats
 *   finish (the merged column types) ─▶ columnsToIPC ─▶ 'columns' (a piece's IPC stream) + head
 */
import { parentPort } from 'node:worker_threads';
import { checkArrowUpload } from '../../arrow/check.js';
import { columnsToIPC, pieceColumns } from '../../arrow/ipc.js';
import { clearArena, discard, release } from '../../csv/arena.js';
import { ColumnBuilder } from '../../csv/column.js';
import { type ColumnInfo, formatValue, Utf8Column } from '../../csv/index.js';
import { ArrowColumn } from '../../csv/layout.js';
import { type ColumnStats, mergeColumnStats } from '../../csv/merge.js';
import { PieceParser } from '../../csv/parallel.js';
import { blankLinesWarning as blankWarning } from '../../csv/pieces.js';
import { DELIMITERS } from '../../csv/sniff.js';
import { ErrorCode, toCsvSocketError } from '../../errors.js';
import { pandasJSONToCSV } from '../../protocol/legacy.js';
import { IdleCollector } from '../gc.js';
import { lowerThreadPriority } from '../priority.js';
import { linesPerByte } from './cuts.js';
import type { FromWorker, IngestFormat, ParseOptions, ToWorker } from './messages.js';

/**
 * A sealed piece, already encoded with its own column types (the stream went
 * to the main thread, which hands it back with the merged types): the
 * builders' memory is freed as each piece ends, not when the last one does,
 * and most pieces need nothing more once every piece's types are merged.
 */
interface Encoded {
  rows: number;
  stats: ColumnStats[];
  /** the kinds the piece was encoded with */
  kinds: number[];
}

interface Job {
  format: IngestFormat;
  parser?: PieceParser;
  /** a first piece of about this many bytes whose parser waits for its first chunk, to size its columns */
  expectBytes?: number;
  encoded?: Encoded;
  chunks?: Uint8Array[];
  bytes: number;
  headRows: number;
  options: ParseOptions;
  failed: boolean;
}

const jobs = new Map<number, Job>();

// background work: the main thread (a notebook's kernel) gets the CPU first (priority.ts)
lowerThreadPriority();

// a finished parse's garbage: the young generation as soon as no job is left, all of it once idle for a while (see gc.ts)
const garbage = new IdleCollector(() => jobs.size === 0, 0);

/** garbage a worker leaves between collections during a long upload (see IdleCollector.made) */
const GARBAGE_BYTES = 64 << 20;

// string columns as UTF-8 bytes: no JS string per cell, and Arrow-ready
const UTF8 = { utf8Strings: true };
// every table is written into shared memory (see the module comment)
const SHARED = { shared: true };
const port = parentPort;
if (!port) throw new Error('ingest/worker.ts runs as a worker thread');

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
  if (message.op === 'done' || message.op === 'columns' || message.op === 'error') {
    // an idle worker keeps no memory for the next piece
    if (jobs.size === 0) clearArena();
    garbage.schedule();
  }
}

/** Columns just encoded (the IPC is a copy): their arrays go back to the arena for the next piece. */
function recycle(values: ReadonlyArray<unknown>): void {
  for (const v of values) {
    if (v instanceof Utf8Column) release(v.data, v.offsets);
    else if (v instanceof ArrowColumn) release(v.values);
  }
}

function fail(id: number, err: unknown): void {
  const job = jobs.get(id);
  if (job) {
    job.failed = true;
    // free the memory now; the main thread ends or aborts the job later
    delete job.parser;
    delete job.chunks;
    delete job.encoded;
  }
  const e = toCsvSocketError(err, ErrorCode.INTERNAL);
  send({ op: 'error', id, code: e.code, message: e.message, context: e.context() });
}

function head(columns: ColumnInfo[], values: Array<ArrayLike<unknown>>, rows: number, n: number) {
  const out: Array<Array<string | null>> = [];
  for (let r = 0; r < Math.min(rows, n); r++) {
    out.push(
      columns.map((c, i) => {
        const column = values[i];
        const v = column instanceof Utf8Column || column instanceof ArrowColumn ? column.get(r) : column?.[r];
        return v === null || v === undefined ? null : formatValue(v, c);
      }),
    );
  }
  return out;
}

/** Build the Arrow IPC of a whole parse (one piece, or a parse that ended) and send it with its first rows. */
function done(
  id: number,
  parsed: { columns: ColumnInfo[]; rows: number; values: readonly unknown[] },
  warnings: string[],
  headRows: number,
): void {
  const values = parsed.values as unknown as Array<ArrayLike<unknown>>;
  const ipc = columnsToIPC({ columns: parsed.columns, values }, SHARED);
  const result: FromWorker = {
    op: 'done',
    id,
    ipc,
    columns: parsed.columns,
    rows: parsed.rows,
    warnings,
    head: head(parsed.columns, values, parsed.rows, headRows),
  };
  recycle(values);
  send(result);
}

/** A new parse, or a later piece of one (with the header line before it). */
function begin(m: Extract<ToWorker, { op: 'begin' }>): void {
  const job: Job = { format: m.format, options: m.options, bytes: 0, headRows: m.headRows, failed: false };
  jobs.set(m.id, job);
  if (m.format !== 'csv') {
    job.chunks = [];
    return;
  }
  if (m.rowsHint === undefined && m.expectBytes !== undefined && !m.prefix) {
    job.expectBytes = m.expectBytes;
    return;
  }
  job.parser = new PieceParser(m.options, { utf8Strings: true, rowsHint: m.rowsHint ?? 0 });
  if (m.prefix) {
    job.parser.push(m.prefix);
    job.parser.startPiece(m.byteOffset ?? 0);
  }
}

function chunk(m: Extract<ToWorker, { op: 'chunk' }>): void {
  const job = jobs.get(m.id);
  if (!job || job.failed) return;
  job.bytes += m.bytes.byteLength;
  if (job.expectBytes !== undefined) parserFor(job, m.bytes);
  if (job.parser) {
    job.parser.push(m.bytes);
    // the parser keeps no view of a chunk: a pooled buffer goes back for the next
    // chunk, any other is freed now (see arena.ts discard)
    const buffer = m.bytes.buffer;
    if (buffer instanceof SharedArrayBuffer) send({ op: 'parsed', id: m.id, bytes: job.bytes });
    else if (m.back) send({ op: 'parsed', id: m.id, bytes: job.bytes, buffer }, [buffer]);
    else {
      discard(buffer);
      send({ op: 'parsed', id: m.id, bytes: job.bytes });
    }
  } else {
    // a shared buffer is reused once parsed: keep a copy
    job.chunks?.push(m.bytes.buffer instanceof SharedArrayBuffer ? m.bytes.slice() : m.bytes);
    send({ op: 'parsed', id: m.id, bytes: job.bytes });
  }
}

/** bytes of a first chunk whose line breaks estimate the piece's rows */
const SAMPLE_BYTES = 64 << 10;
/** every byte the sniffer may take for the field separator (a header's fields are counted by them) */
const DELIMITER_CODES = new Set(DELIMITERS.map((d) => d.charCodeAt(0)));

/**
 * The parser of a first piece, made once its first chunk shows how many bytes a
 * row takes: its columns start at the size the piece needs instead of growing
 * by doubling (a 1 MB upload parsed ~12% faster). The estimate trusts no
 * declared size: the piece is at most `pieceBytes`, and a row takes at least a
 * byte per column of the header line (counting every byte that may separate
 * fields), so the columns hold at most about 9 bytes per byte of the piece.
 */
function parserFor(job: Job, first: Uint8Array | null): void {
  const expect = job.expectBytes ?? 0;
  delete job.expectBytes;
  let rowsHint = 0;
  if (first && first.byteLength > 0) {
    const headerEnd = first.indexOf(10);
    let fields = 1;
    for (let i = 0, n = headerEnd < 0 ? first.byteLength : headerEnd; i < n; i++)
      if (DELIMITER_CODES.has(first[i] as number)) fields++;
    // rows per byte from the chunk's first 64 KiB (counting every line of a
    // megabyte cost as much as the growing it saves)
    const perByte = linesPerByte(first, 0, Math.min(first.byteLength, SAMPLE_BYTES));
    const bytes = Math.max(expect, first.byteLength);
    rowsHint = Math.min(Math.ceil(perByte * bytes * 1.05), Math.floor(bytes / fields));
  }
  job.parser = new PieceParser(job.options, { utf8Strings: true, rowsHint });
}

/** A CSV piece is complete: parse what is left and report its stats, or, when it is the whole input, finish it. */
function seal(m: Extract<ToWorker, { op: 'seal' }>): void {
  const job = jobs.get(m.id);
  if (job?.expectBytes !== undefined) parserFor(job, null);
  if (!job?.parser || job.failed) return;
  const state = job.parser.sealPiece(m.final);
  if (!m.whole) {
    const own = state.stats.map((s) => mergeColumnStats([s]));
    const parsed = job.parser.finishPiece(own);
    const values = parsed.values as unknown as Array<ArrayLike<unknown>>;
    const ipc = columnsToIPC({ columns: parsed.columns, values }, SHARED);
    recycle(values);
    // the stream goes to the main thread now: a handle kept here until the
    // upload's end would outlive young-generation collections, and the shared
    // memory would stay allocated until this worker's next full one
    job.encoded = { rows: parsed.rows, stats: state.stats, kinds: own.map((d) => d.kind) };
    delete job.parser;
    // what the piece leaves behind (its large arrays go back to the arena):
    // the encoder's objects and copies, about a quarter of its encoded size
    garbage.made(ipc.byteLength / 4, GARBAGE_BYTES);
    return send({ op: 'sealed', id: m.id, state, stream: ipc });
  }
  jobs.delete(m.id);
  const parsed = job.parser.finishPiece(state.stats.map((s) => mergeColumnStats([s])));
  const blank = blankWarning(state.blankLines, state.lastRowLine);
  done(m.id, parsed, blank === undefined ? state.warnings : [...state.warnings, blank], job.headRows);
}

/**
 * The merged types are known: a piece encoded with other types has those
 * columns converted (a column of numbers in this piece whose whole column is
 * text, say) and is encoded again; its first rows go to the summary.
 */
function finish(m: Extract<ToWorker, { op: 'finish' }>): void {
  const job = jobs.get(m.id);
  const encoded = job?.encoded;
  if (!job || !encoded || job.failed) return;
  jobs.delete(m.id);
  const columns = m.decisions.map((d) => d.info);
  let stream = m.stream;
  let values: Array<ArrowColumn | Utf8Column> | null = null;
  if (m.decisions.some((d, i) => d.kind !== encoded.kinds[i])) {
    const own = pieceColumns(m.stream);
    values = m.decisions.map((d, i) => {
      const column = own?.[i];
      if (column && d.kind === encoded.kinds[i]) return column;
      const stats = encoded.stats[i] as ColumnStats;
      const restored = ColumnBuilder.restore(stats, column instanceof ArrowColumn ? column : null, encoded.rows);
      return restored.finishArrow(d.kind);
    });
    stream = columnsToIPC({ columns, values: values as unknown as Array<ArrayLike<unknown>> }, SHARED);
  }
  let first: Array<Array<string | null>> = [];
  if (m.headRows > 0) {
    values ??= pieceColumns(stream);
    if (values) first = head(columns, values as unknown as Array<ArrayLike<unknown>>, encoded.rows, m.headRows);
  }
  // the piece's own columns are views of its shared IPC, which the arena never takes
  if (values) recycle(values);
  // encoded again: the new stream replaces the sealed one
  send(
    stream !== m.stream ? { op: 'columns', id: m.id, stream, head: first } : { op: 'columns', id: m.id, head: first },
  );
}

/** The whole input has arrived (a one-piece CSV, pandas JSON or Arrow): finish it. */
function end(m: Extract<ToWorker, { op: 'end' }>): void {
  const job = jobs.get(m.id);
  if (!job || job.failed) return;
  jobs.delete(m.id);
  if (job.format === 'arrow') return endArrow(m.id, job);
  if (job.format === 'pandas') {
    // the original design's df.to_json(): rebuilt as CSV text so that it gets
    // the same lossless typing and header checks as any CSV
    job.parser = new PieceParser(job.options, UTF8);
    job.parser.push(Buffer.from(pandasJSONToCSV(Buffer.concat(job.chunks ?? []).toString('utf8'))));
  }
  if (!job.parser) return;
  const parsed = job.parser.end();
  done(m.id, parsed, parsed.warnings, job.headRows);
}

/**
 * An Arrow upload: its metadata verified, every declared length checked against
 * its bytes and the row limit, before arquero opens it (which allocates per
 * declared row), then every value read once (arrow/check.ts).
 */
function endArrow(id: number, job: Job): void {
  const bytes = Buffer.concat(job.chunks ?? []);
  delete job.chunks;
  const limits = {
    maxRows: job.options.arrowMaxRows ?? Number.POSITIVE_INFINITY,
    maxColumns: job.options.maxColumns ?? Number.POSITIVE_INFINITY,
  };
  const { ipc, description, renamed, warnings } = checkArrowUpload(bytes, limits, job.headRows);
  const columns = description.columns.map((c) => {
    const header = renamed.get(c.name);
    return header === undefined ? c : { ...c, header };
  });
  send({ op: 'done', id, ipc, ...description, columns, warnings: [...warnings, ...description.warnings] }, []);
}

port.on('message', (m: ToWorker) => {
  try {
    switch (m.op) {
      case 'begin':
        return begin(m);
      case 'chunk':
        return chunk(m);
      case 'seal':
        return seal(m);
      case 'finish':
        return finish(m);
      case 'end':
        return end(m);
      case 'abort':
        jobs.delete(m.id);
        return;
    }
  } catch (err) {
    fail(m.id, err);
  }
});
