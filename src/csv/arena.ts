/**
 * Memory a parse worker reuses from one piece of an upload to the next: the
 * large typed arrays of a piece's column builders, sized from the rows it is
 * expected to hold. Fresh memory costs zeroing, page faults and garbage
 * collections (about a fifth of a worker's time), and makes the process's
 * memory churn. A worker's builders take their arrays here; once a piece is
 * encoded the worker hands the arrays back with {@link release}. Only
 * builders of the workers' kind (UTF-8 strings) use it, and an idle worker
 * empties it ({@link clearArena}). Internal.
 *
 * A buffer the arena does not keep is freed at once ({@link discard}), not
 * left to the thread's garbage collector: V8 collects a thread whose heap
 * barely grows only once ~64 MB of such memory has piled up, so each thread
 * held tens of megabytes of dead buffers at any moment.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';

/** Arrays smaller than this are not worth keeping. */
const MIN_BYTES = 64 << 10;
/** Buffers kept at most. */
const MAX_FREE = 48;

const free: ArrayBuffer[] = [];

/** A buffer of at least `bytes` (a multiple of 8): a kept one up to twice that size, or a new one. */
function take(bytes: number): ArrayBuffer {
  const size = (bytes + 7) & ~7;
  if (size >= MIN_BYTES) {
    for (let i = free.length - 1; i >= 0; i--) {
      const b = free[i] as ArrayBuffer;
      if (b.byteLength >= size && b.byteLength <= 2 * size) {
        free.splice(i, 1);
        return b;
      }
    }
  }
  return new ArrayBuffer(size);
}

/** A Float64Array of at least `n` values (their contents undefined). */
export function takeF64(n: number): Float64Array {
  return new Float64Array(take(n * 8));
}

/** An Int32Array of at least `n` values (their contents undefined). */
export function takeI32(n: number): Int32Array {
  return new Int32Array(take(n * 4));
}

/** A Uint8Array of at least `n` bytes (their contents undefined). */
export function takeU8(n: number): Uint8Array {
  return new Uint8Array(take(n));
}

/**
 * Hand back the buffers of arrays taken here (views of them are fine) that
 * nothing reads any more.
 */
export function release(...arrays: ReadonlyArray<ArrayBufferView | undefined>): void {
  for (const a of arrays) {
    const b = a?.buffer;
    if (!(b instanceof ArrayBuffer) || b.byteLength < MIN_BYTES || b.byteLength % 8 !== 0) continue;
    if (free.includes(b)) continue;
    if (free.length >= MAX_FREE) discard(b);
    else free.push(b);
  }
}

/** Free every kept buffer (the worker is idle). */
export function clearArena(): void {
  discard(...free.splice(0));
}

let nowhere: MessagePort | undefined;

/**
 * Free the memory of buffers nothing reads any more, now: each is transferred
 * in a message posted on a closed port. Node still serialises such a message
 * (so the transfer detaches the buffer, as the HTML spec asks) and then drops
 * it, which frees the memory; `ArrayBuffer.prototype.transfer` would do the
 * same but is not in Node 20. A view of a discarded buffer reads as empty.
 */
export function discard(...buffers: ArrayBuffer[]): void {
  if (buffers.length === 0) return;
  if (!nowhere) {
    const channel = new MessageChannel();
    channel.port2.close();
    channel.port1.close();
    nowhere = channel.port1;
  }
  nowhere.postMessage(null, buffers);
}
