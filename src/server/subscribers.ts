/**
 * Live datasets on the server side: subscribers and the updates they get.
 *
 *   subscribe {rid,name} ─▶ subscribed {rid} ─▶ update 'snapshot' + table frame (when the dataset exists)
 *   Datasets 'stored' (append) ─▶ update 'append'  + table frame of the new rows only
 *   Datasets 'stored' (other)  ─▶ update 'replace' + table frame of the whole table
 *   Datasets 'dropped'         ─▶ update 'drop'
 *
 * Appends arrive as ordinary uploads with `mode: 'append'` (ownership, ordering
 * per name and persistence are the session's); the session marks an appended
 * table with {@link markAppend} so that subscribers get only the new rows. A
 * subscriber whose socket has more than {@link LAG_BYTES} unsent is skipped and
 * later resynchronised with a 'replace', so a slow reader never makes the
 * server buffer without bound.
 */
import type { ColumnTable } from 'arquero';
import { type ArrowStreams, tableToArrowIPC } from '../arrow/ipc.js';
import { CsvParseError, type CsvSocketError, ErrorCode } from '../errors.js';
import type { ServerMessage } from '../protocol/messages.js';
import { type Dataset, type Datasets, datasetIPC } from './datasets.js';

/** Bytes a subscriber's socket may have unsent before updates to it are held back. */
export const LAG_BYTES = 16 * 1024 * 1024;
/** Subscriptions one connection may hold. */
export const MAX_SUBSCRIPTIONS = 64;

/** What the hub needs from a connection. */
export interface Subscriber {
  /** Send a message, and a table frame with the same rid after it. */
  notify(message: ServerMessage, table?: ArrowStreams): void;
  /** Bytes queued on the socket, not yet sent. */
  readonly bufferedAmount: number;
}

interface Subscription {
  name: string;
  /** rows the subscriber holds */
  rows: number;
  /** updates were held back: the next one is a whole table */
  stale: boolean;
}

// an appended table → the row count before the append
const appendedFrom = new WeakMap<ColumnTable, number>();

/**
 * Mark `table` as the previous table with rows appended from row `from` on.
 *
 * @param table - the concatenated table about to be stored
 * @param from - the previous table's row count
 */
export function markAppend(table: ColumnTable, from: number): void {
  appendedFrom.set(table, from);
}

/**
 * The error an append's parse failed with, in the append's terms: a column of
 * the dataset that the new rows lack makes the parser refuse its forced type;
 * the client is told the columns differ, as for any other column mismatch.
 *
 * @param err - the parse error
 * @param dataset - the dataset appended to
 */
export function appendFailure(
  err: CsvSocketError,
  dataset: Pick<Dataset, 'name' | 'columns'> | undefined,
): CsvSocketError {
  if (!dataset || err.code !== ErrorCode.BAD_ARGUMENT) return err;
  const m = /not a column of this CSV \(line \d+\); columns are (.*)$/.exec(err.message);
  if (!m) return err;
  let got: unknown;
  try {
    got = JSON.parse(`[${m[1]}]`);
  } catch {
    return err;
  }
  return new CsvParseError(
    ErrorCode.PARSE_BAD_TYPE,
    `cannot append to "${dataset.name}": its columns are ${JSON.stringify(dataset.columns.map((c) => c.name))}, the new rows have ${JSON.stringify(got)}`,
    { dataset: dataset.name, line: 1 },
  );
}

/** The subscribers of one server's datasets. */
export class LiveHub {
  private readonly subscribers = new Map<Subscriber, Map<number, Subscription>>();
  private readonly datasets: Datasets;

  constructor(datasets: Datasets) {
    this.datasets = datasets;
    datasets.on('stored', (dataset) => this.onStored(dataset));
    datasets.on('dropped', (name) => this.onDropped(name));
  }

  /** Number of subscriptions, over all connections. */
  get size(): number {
    let n = 0;
    for (const subs of this.subscribers.values()) n += subs.size;
    return n;
  }

  /**
   * Subscribe a connection to a dataset (which need not exist yet).
   *
   * @param who - the connection
   * @param rid - the request id, repeated in every update
   * @param name - the dataset
   */
  subscribe(who: Subscriber, rid: number, name: string): void {
    let subs = this.subscribers.get(who);
    if (!subs) {
      subs = new Map();
      this.subscribers.set(who, subs);
    }
    if (subs.has(rid)) {
      who.notify({
        type: 'error',
        rid,
        code: 'CSVS_PROTOCOL_BAD_MESSAGE',
        message: `request id ${rid} is already in use`,
      });
      return;
    }
    if (subs.size >= MAX_SUBSCRIPTIONS) {
      who.notify({
        type: 'error',
        rid,
        code: 'CSVS_LIMIT_UPLOADS',
        message: `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection; unsubscribe from one first`,
        context: { limit: MAX_SUBSCRIPTIONS, dataset: name },
      });
      return;
    }
    const sub: Subscription = { name, rows: 0, stale: false };
    subs.set(rid, sub);
    who.notify({ type: 'subscribed', rid, name });
    const dataset = this.datasets.get(name);
    if (dataset) this.sendWhole(who, rid, sub, dataset, 'snapshot');
  }

  /**
   * End a subscription; answered with `unsubscribed`.
   *
   * @param who - the connection
   * @param rid - the subscription's request id
   */
  unsubscribe(who: Subscriber, rid: number): void {
    this.subscribers.get(who)?.delete(rid);
    who.notify({ type: 'unsubscribed', rid });
  }

  /** Forget a closed connection. */
  forget(who: Subscriber): void {
    this.subscribers.delete(who);
  }

  private onStored(dataset: Dataset): void {
    const from = appendedFrom.get(dataset.table);
    let added: Uint8Array | null = null;
    for (const [who, subs] of this.subscribers) {
      for (const [rid, sub] of subs) {
        if (sub.name !== dataset.name) continue;
        if (who.bufferedAmount > LAG_BYTES) {
          sub.stale = true;
          continue;
        }
        if (from !== undefined && !sub.stale && sub.rows === from) {
          // encoded once for every subscriber
          added ??= tableToArrowIPC(dataset.table.slice(from));
          const rows = dataset.table.numRows();
          who.notify(
            {
              type: 'update',
              rid,
              name: dataset.name,
              kind: 'append',
              from,
              rows,
              summary: dataset.summary,
              table: true,
            },
            added,
          );
          sub.rows = rows;
        } else {
          this.sendWhole(who, rid, sub, dataset, 'replace');
        }
      }
    }
  }

  private onDropped(name: string): void {
    for (const [who, subs] of this.subscribers) {
      for (const [rid, sub] of subs) {
        if (sub.name !== name) continue;
        sub.rows = 0;
        sub.stale = false;
        who.notify({ type: 'update', rid, name, kind: 'drop', from: 0, rows: 0, table: false });
      }
    }
  }

  private sendWhole(
    who: Subscriber,
    rid: number,
    sub: Subscription,
    dataset: Dataset,
    kind: 'snapshot' | 'replace',
  ): void {
    const rows = dataset.table.numRows();
    who.notify(
      { type: 'update', rid, name: dataset.name, kind, from: 0, rows, summary: dataset.summary, table: true },
      datasetIPC(dataset),
    );
    sub.rows = rows;
    sub.stale = false;
  }
}
