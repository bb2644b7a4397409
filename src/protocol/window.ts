/**
 * Flow control of an upload: a sender may be at most `windowBytes` ahead of
 * the last offset the server acknowledged (`progress`). Shared by the Node
 * client and the browser page (no Node APIs).
 */

/**
 * The send window of one upload.
 *
 * @example
 * ```ts
 * const window = new SendWindow(limits.windowBytes, start);
 * // on progress{offset}: window.ack(offset); on failure: window.stop()
 * while (sent < total && (await window.room(sent))) sent += sendChunk(sent);
 * ```
 */
export class SendWindow {
  private acked: number;
  private wake: (() => void) | null = null;
  private stopped = false;

  /**
   * @param windowBytes - how far ahead of the acknowledged offset the sender may be
   * @param start - the offset the upload starts (or resumes) from
   */
  constructor(
    private readonly windowBytes: number,
    start = 0,
  ) {
    this.acked = start;
  }

  /** The server has taken the bytes up to `offset`. */
  ack(offset: number): void {
    if (offset > this.acked) this.acked = offset;
    this.wake?.();
  }

  /** Stop sending (the upload failed or the connection closed): a waiting sender resumes. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Whether {@link stop} was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Wait until a sender that has sent `sent` bytes may send more.
   *
   * @param sent - bytes sent so far (the offset of the next chunk)
   * @returns true to send on, false when the window was stopped
   */
  async room(sent: number): Promise<boolean> {
    while (!this.stopped && sent - this.acked > this.windowBytes) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
    return !this.stopped;
  }
}
