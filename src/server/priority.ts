/**
 * The server's parse workers do background work for its main thread, which in
 * a notebook is the kernel: when they keep every core busy, the main thread
 * must still get the CPU at once, or every client's answers and the notebook
 * itself wait for a time slice (the event loop stalled for hundreds of ms
 * while 200 uploads parsed on two cores).
 *
 * On Linux a thread has its own nice value, so a parse worker lowers its own
 * priority when it starts; elsewhere this does nothing. Query workers keep
 * theirs: a query's time budget is wall-clock time, which a lower priority
 * would spend waiting whenever other programs are busy.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much lower than the main thread a worker runs (nice steps; Linux's scheduler gives nice 0 about 3× the CPU share of nice 5). */
export const WORKER_NICENESS = 5;

/**
 * Lower the calling thread's scheduling priority by `steps` nice levels (at
 * most to 19). Call it from a worker thread: it changes that thread only.
 *
 * @param steps - nice levels to add @default WORKER_NICENESS
 * @returns the thread's new nice value, or null where threads have no
 *   priority of their own (not Linux) or the change is not allowed
 * @example
 * ```ts
 * // first thing in a worker module
 * lowerThreadPriority();
 * ```
 */
export function lowerThreadPriority(steps: number = WORKER_NICENESS): number | null {
  try {
    // "<pid>/task/<tid>": the kernel's id of this very thread
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    const nice = Math.min(19, getPriority(tid) + steps);
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return null;
  }
}
