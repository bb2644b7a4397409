/**
 * The server's side of an in-process file upload (see protocol/local.ts): the
 * file is read straight into shared memory, which the parse workers read in
 * place, so the bytes cross neither the socket nor a thread boundary by copy.
 *
 *   file ─▶ read 4 MiB into a SharedArrayBuffer ─▶ Ingest.push (no copy) ─▶ workers
 *
 * At most WINDOW bytes wait unparsed, as with a remote client's window, so a
 * file larger than memory streams through in bounded memory.
 */
import { open } from 'node:fs/promises';

const READ_BYTES = 4 << 20;
/** unparsed bytes allowed in flight */
const WINDOW = 64 << 20;

/** What the reader needs from the upload it feeds. */
export interface LocalReadTarget {
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
        const n = Math.min(READ_BYTES, size - at);
        const bytes = new Uint8Array(new SharedArrayBuffer(n));
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
