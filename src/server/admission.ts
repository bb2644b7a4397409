/**
 * Admission of uploads: a whole classroom may start an upload at the same
 * moment. Each upload waits its turn for a `ready` (the client sends no byte
 * before it), and only a few stream and parse at once, first come first served:
 *
 *   upload ─▶ UploadGate.admit ─▶ (queue, FIFO) ─▶ slot free ─▶ `ready` ─▶ chunks ─▶ parsed ─▶ release
 *
 * Without it, 200 clients × 1 MB arrive in one burst: the main thread reads
 * and forwards 200 MB in one turn of the event loop (a stall of hundreds of
 * ms in the notebook's kernel), and the parse workers interleave 100 parses
 * each, holding all their half-built columns at once, so every upload finishes
 * near the end. Admitted a few at a time, the bytes of one turn are bounded and
 * uploads finish in the order they began.
 *
 * A slot is a lease, not a lock: it frees itself `leaseMs` after admission even
 * if its upload is still running (a large file, a slow or stalled client), so a
 * client can delay the queue by at most that long, never hold it.
 */

/** One upload's place: waiting, then admitted, then released. */
export interface Admission {
  /** Free the slot (or leave the queue). Idempotent. */
  release(): void;
  /** Whether the upload has been admitted (its `ready` sent). */
  readonly admitted: boolean;
}

/** Options of {@link UploadGate}. */
export interface GateOptions {
  /** uploads streaming and parsing at once */
  slots: number;
  /** a slot frees itself this long after admission */
  leaseMs: number;
}

interface Ticket extends Admission {
  admitted: boolean;
  start: () => void;
  timer?: NodeJS.Timeout;
  holds: boolean;
  done: boolean;
}

/** A first-come-first-served gate with `slots` leases. */
export class UploadGate {
  private readonly waiting: Ticket[] = [];
  /** index of the first still-waiting ticket in `waiting` (the queue is consumed from the front) */
  private head = 0;
  private held = 0;

  constructor(private readonly options: GateOptions) {}

  /** Uploads holding a slot. */
  get active(): number {
    return this.held;
  }

  /** Uploads waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /**
   * Queue an upload; `start` runs (synchronously, when a slot is free now) once it is admitted.
   *
   * @param start - sends the upload's `ready`
   * @returns the upload's place, to release when it is parsed, fails or goes away
   */
  admit(start: () => void): Admission {
    const ticket: Ticket = {
      start,
      admitted: false,
      holds: false,
      done: false,
      release: () => this.release(ticket),
    };
    this.waiting.push(ticket);
    this.pump();
    return ticket;
  }

  private release(ticket: Ticket): void {
    if (ticket.done) return;
    ticket.done = true;
    clearTimeout(ticket.timer);
    if (ticket.holds) {
      ticket.holds = false;
      this.held--;
    }
    // a waiting ticket is skipped when its turn comes
    this.pump();
  }

  private pump(): void {
    while (this.held < this.options.slots && this.head < this.waiting.length) {
      const ticket = this.waiting[this.head++] as Ticket;
      if (ticket.done) continue;
      ticket.holds = true;
      ticket.admitted = true;
      this.held++;
      ticket.timer = setTimeout(() => {
        // the lease ran out: the upload goes on, the slot goes to the next one
        if (!ticket.holds) return;
        ticket.holds = false;
        this.held--;
        this.pump();
      }, this.options.leaseMs);
      ticket.timer.unref();
      ticket.start();
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }
}
