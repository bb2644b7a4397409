/**
 * Every limit the server enforces, with its default. docs/security.md says what
 * each one protects. No Node APIs: the browser page bundles this file.
 */
import { ArgumentError, ErrorCode } from '../errors.js';

/** Server limits; every one is configurable. */
export interface Limits {
  /** Largest WebSocket message (a chunk, or a whole legacy message). @default 64 MiB */
  maxFrameBytes: number;
  /** Largest upload in bytes. @default 4 GiB */
  maxUploadBytes: number;
  /** Most columns in a CSV. @default 10,000 */
  maxColumns: number;
  /** Longest single field in bytes. @default 16 MiB */
  maxFieldBytes: number;
  /** Most connections at once. @default 256 */
  maxConnections: number;
  /** Most uploads in progress per connection. @default 4 */
  maxUploadsPerClient: number;
  /** Time allowed for the HTTP upgrade (slow-loris protection). @default 10 s */
  handshakeTimeoutMs: number;
  /** A connection with no message for this long is closed. @default 30 min */
  idleTimeoutMs: number;
  /** Interval of WebSocket pings; a peer that misses two is dropped. @default 30 s */
  heartbeatMs: number;
  /** How long an interrupted upload waits to be resumed before it is discarded. @default 60 s */
  resumeGraceMs: number;
  /** Most rows a query returns, and most rows an Arrow upload may declare. @default 10,000,000 */
  maxQueryRows: number;
  /**
   * Time budget of one query, counted from when a query worker takes it (time
   * spent waiting for a free worker does not count); a query still running then is stopped (its worker thread is terminated) and fails with
   * `CSVS_QUERY_TIMEOUT`. @default 30 s
   */
  queryTimeoutMs: number;
  /**
   * Most queries one connection may have waiting or running at once; one more
   * is refused with `CSVS_LIMIT_QUERIES`. A connection also never runs on more
   * than half of the query workers at once, so one client cannot hold them all.
   * @default 4
   */
  maxQueriesPerClient: number;
  /** An upload with no chunk for this long fails with `CSVS_TIMEOUT` and frees its parse. @default 60 s */
  uploadStallMs: number;
  /** Most connections with one client id (or, without one, from one address). @default 32 */
  maxConnectionsPerClient: number;
  /** Most interrupted uploads one client keeps waiting for resumption; parking more discards its oldest. @default 8 */
  maxParkedPerClient: number;
}

/** The defaults. */
export const defaultLimits: Readonly<Limits> = Object.freeze({
  maxFrameBytes: 64 * 1024 * 1024,
  maxUploadBytes: 4 * 1024 * 1024 * 1024,
  maxColumns: 10_000,
  maxFieldBytes: 16 * 1024 * 1024,
  maxConnections: 256,
  maxUploadsPerClient: 4,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 30 * 60_000,
  heartbeatMs: 30_000,
  resumeGraceMs: 60_000,
  maxQueryRows: 10_000_000,
  queryTimeoutMs: 30_000,
  maxQueriesPerClient: 4,
  uploadStallMs: 60_000,
  maxConnectionsPerClient: 32,
  maxParkedPerClient: 8,
});

/** Upload chunk size a client uses. */
export const CHUNK_BYTES = 1024 * 1024;
/** Bytes a client may send beyond the last acknowledged offset. */
export const WINDOW_BYTES = 16 * 1024 * 1024;

/** The limits a server announces in its `welcome` message, which its clients obey. */
export interface AnnouncedLimits {
  /** largest message the server takes */
  maxFrameBytes: number;
  /** largest upload the server takes */
  maxUploadBytes: number;
  /** chunk size the server asks for */
  chunkBytes: number;
  /** bytes a client may send beyond the last acknowledged offset */
  windowBytes: number;
}

/** What a client assumes until the server's `welcome` says otherwise. */
export const defaultAnnouncedLimits: Readonly<AnnouncedLimits> = Object.freeze({
  maxFrameBytes: defaultLimits.maxFrameBytes,
  maxUploadBytes: defaultLimits.maxUploadBytes,
  chunkBytes: CHUNK_BYTES,
  windowBytes: WINDOW_BYTES,
});

/**
 * The payload size of one upload chunk: the server's chunk size, small enough
 * that a chunk with its frame header fits in one message.
 *
 * @param limits - the server's announced limits
 * @returns bytes per chunk, at least 1
 */
export function uploadChunkBytes(limits: Pick<AnnouncedLimits, 'chunkBytes' | 'maxFrameBytes'>): number {
  return Math.max(1, Math.min(limits.chunkBytes, limits.maxFrameBytes - 64));
}

/**
 * Fill in defaults and check each given limit is a positive number.
 *
 * @param given - the limits to override
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` for an unknown limit or a value that is not a positive number
 */
export function resolveLimits(given: Partial<Limits> = {}): Limits {
  const limits: Limits = { ...defaultLimits };
  for (const [key, value] of Object.entries(given)) {
    if (!(key in defaultLimits))
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `unknown limit "${key}"; known: ${Object.keys(defaultLimits).join(', ')}`,
      );
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0))
      throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `limit ${key} must be a positive number, got ${String(value)}`);
    limits[key as keyof Limits] = value;
  }
  return limits;
}
