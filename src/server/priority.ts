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
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';

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

/** The start time (clock ticks since boot) of a thread or process from its `stat` file, or NaN. */
function startTicks(statFile: string): number {
  try {
    const stat = readFileSync(statFile, 'utf8');
    // the fields after the command name (which may hold spaces and parentheses); starttime is the 22nd field
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return Number.NaN;
  }
}

/** Clock ticks a second in /proc's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Chromium's priority for background threads on Linux (its ThreadType::kBackground). */
export const BACKGROUND_NICENESS = 10;

/**
 * Lower the priority of the threads Node starts with the process — V8's
 * background threads, which compile hot code and help the garbage collector
 * — to Chromium's background priority. Chrome runs V8's background
 * compilation below its main thread; Node runs it at the same priority, and
 * on two cores a compile job on each core made the main thread — a
 * notebook's kernel, the server's event loop — wait for the scheduler: of
 * the first thousand small queries after start-up, 7–24 took over 3 ms
 * (median 0.5 ms) while these threads used 200 ms of CPU; at nice 5, 8–10
 * did; at nice 10, 4–6.
 *
 * Only threads that started with the process are changed (Node's platform
 * threads; not workers or threads a program starts later), never the main
 * thread, and a thread already lower is left as it is. Linux only (elsewhere
 * threads have no priority of their own); nothing happens where not allowed.
 *
 * @param niceness - the nice value to lower them to @default BACKGROUND_NICENESS
 * @returns how many threads were lowered
 * @example
 * ```ts
 * lowerStartupThreads(); // when the server starts
 * ```
 */
export function lowerStartupThreads(niceness: number = BACKGROUND_NICENESS): number {
  let lowered = 0;
  try {
    const pid = process.pid;
    const started = startTicks('/proc/self/stat');
    // Node's own threads start before its bootstrap ends (V8's ~70 ms after the
    // process here); a program's workers start after it, from its code
    const bootstrapped = started + ((performance.nodeTiming.bootstrapComplete + 50) * TICKS_PER_SECOND) / 1000;
    for (const name of readdirSync('/proc/self/task')) {
      const tid = Number(name);
      if (tid === pid || !(startTicks(`/proc/self/task/${name}/stat`) <= bootstrapped)) continue;
      if (getPriority(tid) >= niceness) continue;
      setPriority(tid, niceness);
      lowered++;
    }
  } catch {
    // not Linux, or not allowed: the threads keep their priority
  }
  return lowered;
}
