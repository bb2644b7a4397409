/**
 * The server's side of an in-process file upload (see protocol/local.ts): the
 * file is read straight into shared memory, which the parse workers read in
 * place, so the bytes cross neither the socket nor a thread boundary by copy.
 *
 *   file ─▶ read 4 MiB into a shared buffer ─▶ Ingest.push (no copy) ─▶ workers
 *      ▲                                                                  │
 *      └──────────── the buffer, once every chunk of it is parsed ◀───────┘
 *
 * At most WINDOW bytes wait unparsed, so a few buffers go round (fresh memory
 * costs page faults and garbage collections on the main thread), and a file
 * larger than memory streams through in bounded memory.
 */
import { open } from 'node:fs/promises';

/** unparsed bytes allowed in flight: enough to keep every worker busy */
const WINDOW = 24 << 20;

/** What the reader needs from the upload it feeds. */
export interface LocalReadTarget {
  /** a shared buffer to read into (Ingest.sharedBuffer) */
  buffer(): Uint8Array;
  /** hand a chunk to the parse; false: the upload has failed, stop reading */
  push(bytes: Uint8Array): boolean;
  /** bytes pushed but not yet parsed */
  backlog(): number;
}

/**
 * Read `size` bytes of `path` into the parse, chunk by chunk.
 * @returns a function to call when the parse has made progress (wakes a reader waiting on the window), and the read's end
 * @throws (the promise rejects) when the file cannot be read or is shorter than `size`
 */
export function readLocalFile(
  path: string,
  size: number,
  target: LocalReadTarget,
): { wake: () => void; done: Promise<void> } {
  let waiting: (() => void) | null = null;
  const wake = () => {
    const w = waiting;
    waiting = null;
    w?.();
  };
  const done = (async () => {
    const file = await open(path, 'r');
    try {
      let at = 0;
      while (at < size) {
        while (target.backlog() > WINDOW) await new Promise<void>((r) => (waiting = r));
        const buffer = target.buffer();
        const n = Math.min(buffer.byteLength, size - at);
        const bytes = buffer.subarray(0, n);
        let got = 0;
        while (got < n) {
          const { bytesRead } = await file.read(bytes, got, n - got, at + got);
          if (bytesRead === 0) throw new Error(`${path} ended at byte ${at + got}, before its ${size} bytes`);
          got += bytesRead;
        }
        at += n;
        if (!target.push(bytes)) return;
      }
    } finally {
      await file.close();
    }
  })();
  return { wake, done };
}
