/**
 * What the main thread and a parse worker say to each other (pool.ts ⇄
 * worker.ts), and what a finished parse yields. Structured-cloned or
 * transferred through `postMessage`, never JSON.
 */

import type { ArrowStreams } from '../../arrow/ipc.js';
import type { ColumnInfo, CsvOptions } from '../../csv/index.js';
import type { ColumnDecision } from '../../csv/merge.js';
import type { PieceState } from '../../csv/pieces.js';
import type { ErrorContext } from '../../errors.js';
import type { UploadFormat } from '../../protocol/messages.js';

/** What a finished parse yields. */
export interface IngestResult {
  /** the table as Arrow IPC: one stream, or one per piece of a parallel parse, in order */
  ipc: ArrowStreams;
  columns: ColumnInfo[];
  rows: number;
  warnings: string[];
  /** first rows, exact text per cell, null for a missing value */
  head: Array<Array<string | null>>;
}

/** CSV options, and the row limit of an Arrow upload (checked before it is opened). */
export type ParseOptions = CsvOptions & { arrowMaxRows?: number };

/** What a worker parses: CSV, Arrow IPC, or the original design's pandas `to_json()`. */
export type IngestFormat = UploadFormat | 'pandas';

/** Messages from the main thread to a worker. */
export type ToWorker =
  | {
      op: 'begin';
      id: number;
      format: IngestFormat;
      options: ParseOptions;
      headRows: number;
      /** a later piece of a CSV: the file's start up to the end of its header line */
      prefix?: Uint8Array;
      /** a later piece: its first byte's offset in the file */
      byteOffset?: number;
      /** a later piece: the rows it is expected to hold */
      rowsHint?: number;
      /** a first piece: about how many bytes it will hold (from the upload's declared size), to size its columns from its first chunk */
      expectBytes?: number;
    }
  /** `back`: a pooled buffer, returned once parsed for the next chunk's copy (any other is freed by the worker) */
  | { op: 'chunk'; id: number; bytes: Uint8Array; back?: boolean }
  | { op: 'seal'; id: number; final: boolean; whole: boolean }
  | {
      op: 'finish';
      id: number;
      decisions: ColumnDecision[];
      headRows: number;
      /** the piece's stream, as its 'sealed' message gave it */
      stream: Uint8Array;
    }
  | { op: 'end'; id: number }
  | { op: 'abort'; id: number };

/** Messages from a worker to the main thread. */
export type FromWorker =
  | { op: 'parsed'; id: number; bytes: number; buffer?: ArrayBuffer }
  /** the piece's columns, each of its own type, as an IPC stream in shared memory (held by the main thread from here on) */
  | { op: 'sealed'; id: number; state: PieceState; stream: Uint8Array }
  | ({ op: 'done'; id: number } & IngestResult)
  /** `stream`: the piece encoded again with the merged types, when any differs from its own */
  | { op: 'columns'; id: number; stream?: Uint8Array; head: Array<Array<string | null>> }
  | { op: 'error'; id: number; code: string; message: string; context: ErrorContext };
