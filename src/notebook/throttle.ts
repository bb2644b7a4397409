/**
 * Paced redraws for live displays: many "something changed" signals in, few draws out.
 *
 *   push() push() push() ──▶ draw (at once) ── pause: max(interval, bytes / maxBytesPerSecond) ──▶ draw (latest state)
 *
 * Jupyter drops output above about 1 MB/s, so a draw's pause grows with its size.
 */
/** A clock and timers; tests pass a manual one. @internal */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

/** The real clock. @internal */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // a pending draw must not keep a script alive
    timer.unref?.();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** Options of {@link Coalescer}. @internal */
export interface CoalescerOptions {
  /** Least ms between the starts of two draws. */
  interval: number;
  /** Most bytes per second: after a draw of b bytes, the next starts b / rate seconds later at the earliest. */
  maxBytesPerSecond: number;
  clock: Clock;
}

/**
 * Coalesces a stream of "something changed" signals into paced draws: the first
 * change draws at once; changes during the pause (or during a draw) fold into
 * one draw of the latest state when the pause ends. The pause after a draw is
 * `max(interval, bytes / maxBytesPerSecond)`, so output stays under the byte
 * rate on average whatever the draw size. A draw is an async function that
 * reads the latest state itself and resolves to the bytes it sent. @internal
 */
export class Coalescer {
  private readonly draw: () => Promise<number>;
  private readonly options: CoalescerOptions;
  private pending = false;
  private drawing: Promise<void> | null = null;
  private timer: unknown = null;
  private nextAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(draw: () => Promise<number>, options: CoalescerOptions) {
    this.draw = draw;
    this.options = options;
  }

  /** Whether a change waits to be drawn. */
  get dirty(): boolean {
    return this.pending;
  }

  /** Something changed: draw now if the pause is over, else once it is. */
  push(): void {
    if (this.stopped) return;
    this.pending = true;
    this.pump();
  }

  /** Draws the latest state now if it is not drawn yet, bypassing the pause (not the draw in progress). */
  async flush(): Promise<void> {
    while (this.drawing) await this.drawing;
    if (!this.pending) return;
    this.cancelTimer();
    await this.drawNow();
  }

  /** No more draws, except through flush(). */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private pump(): void {
    if (this.stopped || this.drawing || !this.pending || this.timer !== null) return;
    const wait = this.nextAt - this.options.clock.now();
    if (wait > 0) {
      this.timer = this.options.clock.setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      return;
    }
    void this.drawNow();
  }

  private drawNow(): Promise<void> {
    this.pending = false;
    const started = this.options.clock.now();
    const run = this.draw().then(
      (bytes) => {
        const byRate = (bytes * 1000) / this.options.maxBytesPerSecond;
        this.nextAt = started + Math.max(this.options.interval, byRate);
      },
      () => {
        this.nextAt = started + this.options.interval;
      },
    );
    const drawing = run.finally(() => {
      if (this.drawing === drawing) this.drawing = null;
      this.pump();
    });
    this.drawing = drawing;
    return drawing;
  }
}
