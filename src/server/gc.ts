/**
 * Garbage collection in the worker threads, and on the main thread once tables
 * in shared memory are let go. A finished parse or query leaves
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
 *
 * The main thread has the opposite problem: a stored table lives in shared
 * memory, which V8 counts against no thread's heap, so a replaced or dropped
 * dataset gave the main thread no reason to collect, and each re-sent 50 MB
 * file kept the one before it (server RSS 219 → 319 MB over six re-sends of
 * the same name). {@link ReleaseCollector} collects once enough is let go.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type ArrowStreams, streamList } from '../arrow/ipc.js';

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

/**
 * Young-generation collections on the main thread while uploads arrive. Each
 * socket read is a buffer of its own that is garbage as soon as ws has copied
 * it into a frame, and V8 starts no collection for such memory: the main
 * thread held 46–48 MB of dead reads at the peak of a 50 MB upload (28–32 MB
 * when collected every 8 MB; each collection takes a millisecond or two).
 *
 * @param everyBytes - upload bytes received between collections
 * @param collect - V8's `gc()`, exposed at run time
 */
export class ReceiveCollector {
  private received = 0;

  constructor(
    private readonly everyBytes = 8 << 20,
    private readonly collect: Gc | undefined = exposeGc(),
  ) {}

  /** `bytes` of an upload arrived. */
  add(bytes: number): void {
    this.received += bytes;
    if (this.received < this.everyBytes) return;
    this.received = 0;
    this.collect?.({ type: 'minor' });
  }
}

/**
 * A collection made `delayMs` after `minBytes` of memory were let go (what
 * is let go during the wait joins it), by {@link DeferredCollector.collectOwed}.
 */
abstract class DeferredCollector {
  private owed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly minBytes: number,
    protected readonly collect: Gc | undefined,
  ) {}

  /** `bytes` more were let go. */
  protected owe(bytes: number): void {
    if (!this.collect || bytes <= 0) return;
    this.owed += bytes;
    if (this.owed < this.minBytes || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const owed = this.owed;
      this.owed = 0;
      this.collectOwed(owed);
    }, this.delayMs);
    this.timer.unref();
  }

  /**
   * Collect what is owed now rather than at the end of the wait: memory is
   * about to be taken again (an upload begins), and the wait would let the
   * old table and the new one's first pieces be held at once.
   */
  flush(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const owed = this.owed;
    this.owed = 0;
    this.collectOwed(owed);
  }

  /** Collect, `owed` bytes having been let go. */
  protected abstract collectOwed(owed: number): void;

  /** Forget what is owed (the server closes). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.owed = 0;
  }
}

/**
 * A young-generation collection on the main thread soon after a query
 * worker's answer has been written. The answer is in shared memory (a
 * transferred buffer would count as new memory of this thread's and start a
 * full collection here, see queries/worker.ts), which is freed once the
 * worker and this thread have both collected their handles to it; this
 * thread may otherwise allocate too little to collect for a long while. The
 * handle is young, so a minor collection (a millisecond or two) frees it; it
 * is made once `minBytes` of answers are owed, not for every small answer (a
 * stream of 1-row answers would spend a fifth of this thread collecting). A
 * handle held longer than `youngMs` (a slow client's socket) may have moved
 * to the old generation, which only a full collection frees: its bytes go to
 * a {@link ReleaseCollector} instead (a reviewer measured 20 such answers of
 * 32 MB held 3 s each: 721 MB of RSS, until a full collection).
 *
 * @param delayMs - the wait after an answer is written, collecting the next ones too
 * @param minBytes - answer bytes let go before a collection is worth it
 * @param collect - V8's `gc()`, exposed at run time
 * @param youngMs - how long a handle is taken to stay young
 * @param old - the thread's full collections (the server's, which also frees replaced tables)
 */
export class AnswerCollector extends DeferredCollector {
  private readonly old: ReleaseCollector;
  /** `old` is this collector's own (not the server's): stopped with it */
  private readonly ownsOld: boolean;

  constructor(
    delayMs = 20,
    minBytes = 1 << 20,
    collect: Gc | undefined = exposeGc(),
    private readonly youngMs = 100,
    old?: ReleaseCollector,
  ) {
    super(delayMs, minBytes, collect);
    this.ownsOld = old === undefined;
    this.old = old ?? new ReleaseCollector(undefined, undefined, collect);
  }

  /** An answer of `bytes` in shared memory was written and let go, `heldMs` after it arrived. */
  written(bytes: number, heldMs = 0): void {
    if (heldMs > this.youngMs) this.old.released(bytes);
    else this.owe(bytes);
  }

  protected collectOwed(): void {
    this.collect?.({ type: 'minor' });
  }

  override stop(): void {
    super.stop();
    if (this.ownsOld) this.old.stop();
  }
}

/** Shared bytes let go before the main thread collects (see {@link ReleaseCollector}). */
const RELEASE_MIN_BYTES = 32 << 20;

/**
 * Full collections on the main thread after tables in shared memory were let
 * go. A collection's pause grows with the live heap, so it is made only when
 * what it frees is at least half the heap (a notebook with a large heap
 * collects often enough by itself), at most once per `delayMs`, and not in
 * the middle of the work that let the table go; but at once when the next
 * upload begins ({@link DeferredCollector.flush}): a file re-sent at once
 * otherwise held the table it replaced through the first ~100 ms of its parse
 * (server RSS 285 MB, then 242 after the collection).
 *
 * @param delayMs - the wait after the first release, collecting what follows too
 * @param minBytes - bytes let go before a collection is worth it
 * @param collect - a full collection (V8's `gc()`, exposed at run time)
 */
export class ReleaseCollector extends DeferredCollector {
  constructor(delayMs = 200, minBytes = RELEASE_MIN_BYTES, collect: Gc | undefined = exposeGc()) {
    super(delayMs, minBytes, collect);
  }

  /** `bytes` of shared memory are no longer referenced by anything the server keeps. */
  released(bytes: number): void {
    this.owe(bytes);
  }

  protected collectOwed(owed: number): void {
    if (owed >= getHeapStatistics().used_heap_size / 2) this.collect?.();
  }
}

/**
 * The bytes of shared memory in `old` that `kept` does not also hold (an
 * append keeps the pieces it extends).
 *
 * @param old - the streams of a dataset let go
 * @param kept - the streams of what replaced it, if anything
 */
export function sharedBytesLetGo(old: ArrowStreams | null, kept: ArrowStreams | null | undefined): number {
  if (!old) return 0;
  const keep = new Set<ArrayBufferLike>(kept ? streamList(kept).map((s) => s.buffer) : []);
  const seen = new Set<ArrayBufferLike>();
  let bytes = 0;
  for (const s of streamList(old)) {
    const buffer = s.buffer;
    if (!(buffer instanceof SharedArrayBuffer) || keep.has(buffer) || seen.has(buffer)) continue;
    seen.add(buffer);
    bytes += buffer.byteLength;
  }
  return bytes;
}
