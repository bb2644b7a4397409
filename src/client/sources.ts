/**
 * What {@link CsvClient.send} accepts, turned into bytes to upload:
 *
 *   path / file: URL ─▶ the file, read from any offset (resumable; a server in this process reads it itself)
 *   CSV text, bytes  ─▶ held in memory (resumable)
 *   arquero table    ─▶ Arrow IPC in memory (resumable)
 *   stream           ─▶ read once, from the start (not resumable)
 */
import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ColumnTable } from 'arquero';
import { ArgumentError, ConnectionError, ErrorCode } from '../errors.js';
import { arrowIPC } from '../lazy.js';
import { CHUNK_BYTES } from '../protocol/limits.js';
import { missingFile } from './missing-file.js';

/**
 * What {@link CsvClient.send} accepts: a file path or `file:` URL, CSV text
 * (anything containing a line break), bytes, a Node stream or async iterable of
 * bytes, or an arquero table (sent as Arrow).
 */
export type Source =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | NodeJS.ReadableStream
  | AsyncIterable<Uint8Array>
  | ColumnTable;

/** A source ready to upload. @internal */
export interface OpenedSource {
  /** the dataset name: the one asked for, else the file's base name, else `data` */
  name: string;
  format: 'csv' | 'arrow';
  /** total bytes, null for a stream */
  size: number | null;
  /** whether the bytes can be read again from an offset (files, text, bytes, tables; not streams) */
  resumable: boolean;
  /** a file's path: a server in this process may read it itself */
  path?: string;
  /**
   * the chunks are views of bytes that stay as they are until the upload ends
   * (bytes, text, tables in memory), so they may go to the socket uncopied; a
   * stream or iterable may refill one buffer for each chunk it yields
   */
  stable?: boolean;
  /** the bytes from `offset` on */
  chunks(offset: number): AsyncIterable<Uint8Array>;
  /** a file: its bytes read at any offset straight into the caller's buffer (see pump.ts) */
  openReader?(): Promise<FileReader>;
}

/** Positional reads of an open file. @internal */
export interface FileReader {
  /** read up to `target.byteLength` bytes at `position` into `target`; 0 at the end of the file */
  read(target: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

async function openFileReader(path: string): Promise<FileReader> {
  const file = await open(path, 'r');
  return {
    read: async (target, position) => (await file.read(target, 0, target.byteLength, position)).bytesRead,
    close: () => file.close(),
  };
}

/**
 * Whether a value is an arquero table (by shape: `instanceof` fails across two copies of arquero).
 *
 * @param value - anything
 */
export function isTable(value: unknown): value is ColumnTable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ColumnTable).columnNames === 'function' &&
    typeof (value as ColumnTable).numRows === 'function'
  );
}

async function* fromBytes(bytes: Uint8Array, offset: number): AsyncIterable<Uint8Array> {
  yield bytes.subarray(offset);
}

/** A source held in memory: resumable from any offset. */
function inMemory(name: string, format: 'csv' | 'arrow', bytes: Uint8Array): OpenedSource {
  return { name, format, size: bytes.byteLength, resumable: true, stable: true, chunks: (o) => fromBytes(bytes, o) };
}

/** A file; `given` is the path as the caller wrote it, for the error when there is none. */
function fromFile(path: string, name: string | undefined, given?: string): OpenedSource {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch {
    throw missingFile(path, given);
  }
  return {
    name: name ?? (basename(path, extname(path)) || 'data'),
    format: extname(path).toLowerCase() === '.arrow' ? 'arrow' : 'csv',
    size,
    resumable: true,
    path,
    chunks: (offset) =>
      createReadStream(path, { start: offset, highWaterMark: CHUNK_BYTES }) as AsyncIterable<Uint8Array>,
    openReader: () => openFileReader(path),
  };
}

function fromStream(source: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, name: string | undefined): OpenedSource {
  const iterable =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array | string>)
      : Readable.from(source as NodeJS.ReadableStream);
  return {
    name: name ?? 'data',
    format: 'csv',
    size: null,
    resumable: false,
    async *chunks(offset) {
      if (offset !== 0) {
        throw new ConnectionError(ErrorCode.CONNECT_FAILED, 'a stream cannot be resumed from an offset');
      }
      for await (const chunk of iterable) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    },
  };
}

function pathOf(url: URL): string {
  try {
    return fileURLToPath(url);
  } catch {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `send() takes a file path, CSV text, bytes, a stream or a table; got the URL ${url.href} (expected file:///path)`,
    );
  }
}

/**
 * Open a source for upload.
 *
 * @param source - a path (relative to the working directory), `file:` URL, CSV text, bytes, stream or table
 * @param name - the dataset name, if given
 * @returns its name, format, size and bytes
 * @throws NotFoundError `CSVS_NOT_FOUND` for a path or file URL with no file
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` for a URL that is not `file:`, or a value of another kind
 * @example
 * ```ts
 * openSource('data/students.csv', undefined).name // 'students'
 * ```
 * @internal
 */
export function openSource(source: Source, name: string | undefined): OpenedSource {
  if (isTable(source))
    return inMemory(
      name ?? 'data',
      'arrow',
      // loaded only for a table: the CLI's send needs no arquero
      arrowIPC().tableToArrowIPC(source),
    );
  if (typeof source === 'string') {
    if (/[\r\n]/.test(source)) return inMemory(name ?? 'data', 'csv', Buffer.from(source, 'utf8'));
    // a path is a path: `#`, `?` and `%` in a file name are not URL syntax
    return /^file:/i.test(source) ? fromFile(pathOf(new URL(source)), name) : fromFile(resolve(source), name, source);
  }
  if (source instanceof URL) return fromFile(pathOf(source), name);
  if (source instanceof ArrayBuffer) return inMemory(name ?? 'data', 'csv', new Uint8Array(source));
  if (source instanceof Uint8Array) return inMemory(name ?? 'data', 'csv', source);
  if (typeof source === 'object' && source !== null && (Symbol.asyncIterator in source || 'pipe' in source)) {
    return fromStream(source as NodeJS.ReadableStream | AsyncIterable<Uint8Array>, name);
  }
  throw new ArgumentError(
    ErrorCode.BAD_ARGUMENT,
    `send() takes a file path, CSV text, bytes, a stream or a table; got ${source === null ? 'null' : typeof source}`,
  );
}
