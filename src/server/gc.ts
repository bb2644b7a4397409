/**
 * Garbage collection in the worker threads. A finished parse or query leaves
 * its columns and Arrow IPC as garbage, most of it outside the JS heap (typed
 * arrays), which an idle worker would otherwise keep until its next job: the
 * process's memory would stay at its peak between uploads.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/**
 * Collects garbage `delayMs` after the last {@link IdleCollector.schedule} call,
 * if `idle()` says the worker has nothing left to do by then.
 *
 * @param idle - whether the worker is idle
 * @param delayMs - how long the worker must stay quiet first
 */
export class IdleCollector {
  private readonly collect = exposeGc();
  private timer: NodeJS.Timeout | undefined;
  /** garbage made since the last collection (see {@link IdleCollector.made}) */
  private garbage = 0;

  constructor(
    private readonly idle: () => boolean,
    private readonly delayMs: number,
  ) {}

  /** A job ended: collect once the worker stays idle for `delayMs`. */
  schedule(): void {
    if (!this.collect) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.idle()) this.collect?.();
    }, this.delayMs);
    this.timer.unref();
  }

  /** A job began: no collection while it runs. */
  cancel(): void {
    clearTimeout(this.timer);
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
