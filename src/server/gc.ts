/**
 * Garbage collection in the worker threads. A finished parse or query leaves
 * its columns and Arrow IPC as garbage, most of it outside the JS heap (typed
 * arrays), which an idle worker would otherwise keep until its next job: the
 * process's memory would stay at its peak between uploads.
 *
 * Two kinds, because a full collection is not free: it also throws away the
 * worker's optimised code and type feedback, and the next job runs the parser
 * unoptimised and recompiles it (~25 compilations of 2–40 ms on the V8 helper
 * threads per upload). Collecting in full after every upload cost a run of
 * back-to-back 50 MB uploads about a third of the server's CPU (1.1 s → 0.72 s
 * per upload, ack 690 → 500 ms). So a job's end brings a young-generation
 * collection at once (it frees the handles to the IPC just posted, which keep
 * the shared bytes alive), and the full one waits until the worker has been
 * quiet for a while.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** how long a worker stays quiet before a full collection (see the module comment) */
const FULL_DELAY_MS = 5_000;

/** V8's `gc()`: a full collection, or `{ type: 'minor' }` for the young generation only */
type Gc = (options?: { type: 'minor' | 'major' }) => void;

function exposeGc(): Gc | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as Gc;
  } catch {
    return undefined;
  }
}

/**
 * Collects the young generation `delayMs` after the last
 * {@link IdleCollector.schedule} call, and everything once the worker has
 * stayed idle for `fullDelayMs`, if `idle()` says it has nothing left to do by
 * then.
 *
 * @param idle - whether the worker is idle
 * @param delayMs - how long the worker must stay quiet before a young-generation collection
 * @param fullDelayMs - how long before a full one
 */
export class IdleCollector {
  private readonly collect = exposeGc();
  private timer: NodeJS.Timeout | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  /** garbage made since the last collection (see {@link IdleCollector.made}) */
  private garbage = 0;

  constructor(
    private readonly idle: () => boolean,
    private readonly delayMs: number,
    private readonly fullDelayMs = FULL_DELAY_MS,
  ) {}

  /** A job ended: collect the young generation after `delayMs`, everything after `fullDelayMs`, if still idle. */
  schedule(): void {
    if (!this.collect) return;
    this.cancel();
    this.timer = setTimeout(() => {
      if (this.idle()) this.collect?.({ type: 'minor' });
    }, this.delayMs);
    this.fullTimer = setTimeout(() => {
      if (this.idle()) this.collect?.();
    }, this.fullDelayMs);
    this.timer.unref();
    this.fullTimer.unref();
  }

  /** A job began: no collection while it runs. */
  cancel(): void {
    clearTimeout(this.timer);
    clearTimeout(this.fullTimer);
  }

  /**
   * Count `bytes` of garbage made; past `every` bytes since the last
   * collection, collect now. A long upload's pieces leave their builders'
   * typed arrays behind, and V8 waits longer between collections as the
   * memory it holds grows (the stored pieces count too): without this the
   * garbage grew with the upload (~0.4 GB beyond a 2 GB table).
   */
  made(bytes: number, every: number): void {
    this.garbage += bytes;
    if (this.garbage < every) return;
    this.garbage = 0;
    this.collect?.();
  }
}
