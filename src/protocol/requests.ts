/**
 * The client side of request/reply: request ids, the table of requests waiting
 * for an answer, and the routing of `ready`, `progress` and `error` replies.
 * The Node client and the browser page share it (no Node APIs).
 *
 *   send {type, rid} ─▶ add(rid)      ready{rid}    ─▶ onReady(offset)
 *                                     progress{rid} ─▶ onProgress(offset)
 *                                     error{rid}    ─▶ reject(error of the server's class), forget
 *                                     anything else ─▶ returned to the caller, who settles it
 */
import { type CsvSocketError, errorFromWire } from '../errors.js';
import { MAX_RID } from './constants.js';
import type { ServerMessage } from './messages.js';

/** What a waiting request needs from the router. */
export interface PendingRequest {
  /** fail the request */
  reject(err: CsvSocketError): void;
  /** the server is ready for an upload's bytes from `offset` on */
  onReady?: ((offset: number) => void) | undefined;
  /** the server has taken an upload's bytes up to `offset` */
  onProgress?: ((offset: number) => void) | undefined;
}

/**
 * The requests a connection waits on, by request id.
 *
 * @example
 * ```ts
 * const requests = new Requests<Waiting>();
 * const rid = requests.nextRid();
 * requests.add(rid, { resolve, reject });
 * // on each message from the server:
 * const answered = requests.route(message);
 * if (answered) { requests.take(message.rid); answered.resolve(message); }
 * ```
 */
export class Requests<P extends PendingRequest> {
  private readonly pending = new Map<number, P>();
  private next = 1;

  /** A fresh request id: 1, 2, … wrapping to 1 after {@link MAX_RID}. */
  nextRid(): number {
    const rid = this.next;
    this.next = this.next >= MAX_RID ? 1 : this.next + 1;
    return rid;
  }

  /** Wait for the answer to request `rid`. */
  add(rid: number, request: P): void {
    this.pending.set(rid, request);
  }

  /** The request waiting under `rid`, if any. */
  get(rid: number | undefined): P | undefined {
    return rid === undefined ? undefined : this.pending.get(rid);
  }

  /** Stop waiting for request `rid` and return it. */
  take(rid: number): P | undefined {
    const request = this.pending.get(rid);
    this.pending.delete(rid);
    return request;
  }

  /**
   * Deliver a server message: `ready` and `progress` go to the request's hooks,
   * an `error` rejects it with the error class of its code.
   *
   * @param message - a validated server message
   * @returns the request a final answer (`stored`, `result`, `datasets`, …) belongs to, still waiting,
   *   for the caller to settle; undefined when the message was handled or answers no waiting request
   */
  route(message: ServerMessage): P | undefined {
    if (message.type === 'welcome') return undefined;
    const request = this.get(message.rid);
    if (!request) return undefined;
    switch (message.type) {
      case 'ready':
        request.onReady?.(message.offset);
        return undefined;
      case 'progress':
        request.onProgress?.(message.offset);
        return undefined;
      case 'error':
        this.take(message.rid!);
        request.reject(errorFromWire(message.code, message.message, message.context ?? {}));
        return undefined;
      default:
        return request;
    }
  }

  /**
   * Fail every waiting request and forget it.
   *
   * @param error - the error, or a function choosing one per request
   */
  rejectAll(error: CsvSocketError | ((request: P) => CsvSocketError)): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const request of waiting) request.reject(typeof error === 'function' ? error(request) : error);
  }
}
