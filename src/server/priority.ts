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
 * Lower the priority of Node's platform threads — the pool that runs V8's
 * background tasks: compiling hot code, and helping the garbage collector —
 * to Chromium's background priority. Chrome runs V8's background compilation
 * below its main thread; Node runs its one pool at the same priority as the
 * main thread, and on two cores a compile job on each core made the main
 * thread — a notebook's kernel, the server's event loop — wait for the
 * scheduler: of the first thousand small queries after start-up, 7–24 took
 * over 3 ms (median 0.5 ms) while these threads used 200 ms of CPU; at nice
 * 5, 8–10 did; at nice 10, 4–6. The collector's helpers are in the same pool
 * (Chrome keeps those at normal priority): the server's event-loop maxima
 * stayed within today's range (uploads 19–25 ms, 200 uploads 36–38 ms).
 *
 * The platform threads are the first Node starts, before V8 itself: its
 * `--v8-pool-size` workers (4 by default) and its delayed-task thread, the
 * lowest thread ids after the main thread's. Only those are changed, and only
 * if they started with V8 (`performance.nodeTiming.v8Start`): never the main
 * thread, libuv's threadpool, a loader's thread or any worker, which all start
 * after them. A thread already lower is left as it is. Linux only (elsewhere
 * threads have no priority of their own); nothing happens where not allowed.
 *
 * @param niceness - the nice value to lower them to @default BACKGROUND_NICENESS
 * @returns how many threads were lowered
 * @example
 * ```ts
 * lowerPlatformThreads(); // when the server starts
 * ```
 */
export function lowerPlatformThreads(niceness: number = BACKGROUND_NICENESS): number {
  let tids: number[];
  try {
    tids = readdirSync('/proc/self/task').map(Number);
  } catch {
    return 0; // not Linux
  }
  const pid = process.pid;
  const started = startTicks('/proc/self/stat');
  // thread start times are known to a clock tick, and the process starts a
  // little before Node's clock does: 30 ms of slack (libuv's pool starts later still)
  const withV8 = started + ((performance.nodeTiming.v8Start + 30) * TICKS_PER_SECOND) / 1000;
  const platform = tids
    .filter((tid) => tid !== pid)
    .sort((a, b) => a - b)
    .slice(0, v8PoolSize() + 1);
  let lowered = 0;
  for (const tid of platform) {
    try {
      if (!(startTicks(`/proc/self/task/${tid}/stat`) <= withV8) || getPriority(tid) >= niceness) continue;
      setPriority(tid, niceness);
      lowered++;
    } catch {
      // gone, or not allowed: it keeps its priority
    }
  }
  return lowered;
}

/** Node's platform worker threads: `--v8-pool-size` from the command line or NODE_OPTIONS, else 4. */
function v8PoolSize(): number {
  const options = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  let size = 4;
  options.forEach((option, i) => {
    const value = option.startsWith('--v8-pool-size=')
      ? option.slice('--v8-pool-size='.length)
      : option === '--v8-pool-size'
        ? options[i + 1]
        : undefined;
    if (value !== undefined && /^\d+$/.test(value)) size = Number(value);
  });
  return size;
}
