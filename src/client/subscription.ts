/**
 * Live data on the client side: appending rows, and following a dataset as it grows.
 *
 *   client.append(name, rows) ── CSV text with a header ── upload {mode:'append', returnTable:false} ── stored
 *   client.subscribe(name) ── subscribe {rid,name} ─▶ subscribed
 *                          ◀─ update {kind, from, rows} + table frame   (snapshot · append · replace · drop)
 *   for await (const u of subscription) …  ── ends when the subscription or the connection closes
 *
 * Rows are appended through the ordinary upload path, so they get the same
 * parser, ownership checks and ordering as any upload; the server parses them
 * with the dataset's own column types.
 */
import type { ColumnTable } from 'arquero';
import { ArgumentError, type CsvSocketError, ErrorCode, errorFromWire } from '../errors.js';
import { arrowIPC, csvModule } from '../lazy.js';
import type { ClientMessageInput, DatasetSummary, ServerMessage } from '../protocol/messages.js';

/**
 * Rows for {@link CsvClient.append}: an array of objects (one per row, keys are
 * column names; a missing key or `null` is a missing value), or CSV text that
 * starts with its header line.
 */
export type AppendRows = ReadonlyArray<Readonly<Record<string, unknown>>> | string;

/** What a live subscription yields. */
export interface LiveUpdate {
  /** The dataset. */
  name: string;
  /**
   * `snapshot`: the dataset as it was when the subscription started; `append`:
   * rows were added; `replace`: the dataset was replaced (or the subscriber fell
   * behind and gets the whole table again); `drop`: the dataset was removed.
   */
  kind: 'snapshot' | 'append' | 'replace' | 'drop';
  /** The rows this update brought: the new rows of an append, else the whole table; null for a drop. */
  added: ColumnTable | null;
  /** Rows in the dataset after this update. */
  rows: number;
  /** The server's summary of the whole dataset after this update (absent for a drop). */
  summary?: DatasetSummary;
  /** The whole dataset after this update, assembled on this side (computed when first read). */
  readonly table: ColumnTable | null;
}

/** How a subscription reaches its connection. @internal */
export interface LiveTransport {
  send(message: ClientMessageInput): void;
  rid(): number;
}

// ─────────────────────────────── append ───────────────────────────────

function csvField(value: unknown, column: string): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `column "${column}": ${value} cannot be written to CSV; use null for a missing value`,
      );
    }
    text = csvModule().formatValue(value, { name: column, type: 'number' });
  } else if (typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `column "${column}": an invalid Date`);
    text = csvModule().formatDate(value);
  } else {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `column "${column}": a value must be a string, number, boolean, bigint, Date or null; got ${typeof value}`,
    );
  }
  // "" keeps an empty string apart from a missing value (an unquoted empty field)
  return text === '' || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Rows as CSV text with a header: the union of the rows' keys, in order of first appearance.
 *
 * @param rows - objects, one per row
 * @returns the CSV text
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` for no rows, a non-object row or a value CSV cannot hold
 * @example
 * ```ts
 * rowsToCSV([{ t: 1, v: 'a' }, { t: 2 }]) // 't,v\n1,a\n2,\n'
 * ```
 */
export function rowsToCSV(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): string {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      'append() takes a non-empty array of row objects, or CSV text with a header',
    );
  }
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `append() takes objects, one per row; got ${Array.isArray(row) ? 'an array' : typeof row}`,
      );
    }
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  const lines = [columns.map((c) => csvField(c, c) || '""').join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(Object.hasOwn(row, c) ? row[c] : null, c)).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * The CSV text an append sends: objects become CSV with a header; text must
 * have a header line and at least one row.
 *
 * @param rows - objects, or CSV text with a header
 */
export function appendText(rows: AppendRows): string {
  if (typeof rows !== 'string') return rowsToCSV(rows);
  const text = /[\r\n]$/.test(rows) ? rows : `${rows}\n`;
  if (!/[\r\n][^\r\n]/.test(text)) {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      'append() takes CSV text that starts with its header line and has at least one row',
    );
  }
  return text;
}

// ─────────────────────────────── subscribe ───────────────────────────────

interface Waiting {
  resolve: (result: IteratorResult<LiveUpdate>) => void;
  reject: (err: unknown) => void;
}

/**
 * A live view of one dataset on the server: an async iterator of
 * {@link LiveUpdate}s. It ends when {@link close} is called (or a `for await`
 * loop is left) or when the connection closes; it throws the server's error if
 * the subscription is refused.
 *
 * @example
 * ```ts
 * for await (const update of client.subscribe('sensor')) {
 *   console.log(update.kind, update.rows, update.table?.numRows());
 * }
 * ```
 */
export class Subscription implements AsyncIterableIterator<LiveUpdate> {
  /** The dataset followed. */
  readonly name: string;
  /** @internal */
  readonly rid: number;
  private readonly transport: LiveTransport;
  private readonly owner: Subscriptions;
  private readonly queue: LiveUpdate[] = [];
  private readonly waiting: Waiting[] = [];
  private failure: unknown = null;
  private ended = false;
  private update: Extract<ServerMessage, { type: 'update' }> | null = null;
  // the whole table: chunks since the last whole table, joined when read
  private chunks: ColumnTable[] = [];
  private joined: { upto: number; table: ColumnTable | null } = { upto: 0, table: null };
  private generation = 0;
  private readyResolve!: () => void;
  /** Resolves once the server has accepted the subscription. */
  readonly ready: Promise<void>;

  /** @internal use {@link CsvClient.subscribe} */
  constructor(transport: LiveTransport, owner: Subscriptions, name: string) {
    this.transport = transport;
    this.owner = owner;
    this.name = name;
    this.rid = transport.rid();
    this.ready = new Promise((resolve) => {
      this.readyResolve = resolve;
    });
    // an error before the first next() must not be an unhandled rejection
    this.ready.catch(() => undefined);
  }

  /** @internal */
  start(): void {
    this.transport.send({ type: 'subscribe', rid: this.rid, name: this.name });
  }

  /** The latest whole table this side holds (null before the first update or after a drop). */
  get table(): ColumnTable | null {
    return this.tableUpTo(this.generation, this.chunks.length);
  }

  next(): Promise<IteratorResult<LiveUpdate>> {
    const update = this.queue.shift();
    if (update) return Promise.resolve({ value: update, done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Leaving a `for await` loop ends the subscription. */
  async return(): Promise<IteratorResult<LiveUpdate>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LiveUpdate> {
    return this;
  }

  /** Stop following the dataset; the iterator ends once queued updates are read. */
  async close(): Promise<void> {
    if (this.ended) return;
    try {
      this.transport.send({ type: 'unsubscribe', rid: this.rid });
    } catch {
      // the connection is gone: nothing to unsubscribe from
    }
    this.finish(null);
  }

  /** @internal a message for this subscription */
  onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'subscribed':
        this.readyResolve();
        return;
      case 'error':
        this.finish(errorFromWire(m.code, m.message, m.context ?? {}));
        return;
      case 'update':
        if (m.table) {
          this.update = m;
          return;
        }
        this.apply(m, null);
        return;
      default:
    }
  }

  /** @internal the table frame that follows an update */
  onTable(payload: Uint8Array): void {
    const m = this.update;
    this.update = null;
    if (m) this.apply(m, arrowIPC().tableFromArrowIPC(payload));
  }

  /** @internal */
  finish(failure: CsvSocketError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.owner.forget(this.rid);
    this.readyResolve();
    if (failure) this.failure = failure;
    for (const w of this.waiting.splice(0)) {
      if (failure) w.reject(failure);
      else w.resolve({ value: undefined, done: true });
    }
  }

  private apply(m: Extract<ServerMessage, { type: 'update' }>, added: ColumnTable | null): void {
    if (this.ended) return;
    if (m.kind === 'append' && added) this.chunks.push(added);
    else {
      // a whole table (or none): start over from it
      this.generation++;
      this.chunks = added ? [added] : [];
      this.joined = { upto: 0, table: null };
    }
    const generation = this.generation;
    const upto = this.chunks.length;
    const self = this;
    const update: LiveUpdate = {
      name: m.name,
      kind: m.kind,
      added,
      rows: m.rows,
      ...(m.summary ? { summary: m.summary } : {}),
      get table() {
        return self.tableUpTo(generation, upto);
      },
    };
    const w = this.waiting.shift();
    if (w) w.resolve({ value: update, done: false });
    else this.queue.push(update);
  }

  private tableUpTo(generation: number, upto: number): ColumnTable | null {
    if (generation !== this.generation) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `the table of an update before a later replace is gone; read update.table when the update arrives`,
      );
    }
    if (upto === 0) return null;
    if (this.joined.upto === upto && this.joined.table) return this.joined.table;
    if (this.joined.upto < upto) {
      const rest = this.chunks.slice(this.joined.upto, upto);
      const base = this.joined.table ?? rest.shift()!;
      const table = rest.length > 0 ? base.concat(...rest) : base;
      this.joined = { upto, table };
      return table;
    }
    // an older update's table: join from the start
    const [first, ...rest] = this.chunks.slice(0, upto);
    return rest.length > 0 ? first!.concat(...rest) : first!;
  }
}

/** A connection's subscriptions, by request id. @internal */
export class Subscriptions {
  private readonly byRid = new Map<number, Subscription>();

  /** Start following `name`. */
  open(transport: LiveTransport, name: string): Subscription {
    const sub = new Subscription(transport, this, name);
    this.byRid.set(sub.rid, sub);
    sub.start();
    return sub;
  }

  /** Route a server message; true when it belonged to a subscription. */
  onMessage(m: ServerMessage): boolean {
    if (m.type === 'welcome' || m.rid === undefined) return false;
    const sub = this.byRid.get(m.rid);
    if (!sub) return m.type === 'update' || m.type === 'unsubscribed';
    sub.onMessage(m);
    return true;
  }

  /** Route a table frame; true when it belonged to a subscription. */
  onFrame(rid: number, payload: Uint8Array): boolean {
    const sub = this.byRid.get(rid);
    if (!sub) return false;
    sub.onTable(payload);
    return true;
  }

  /** The connection closed: every subscription ends. */
  end(): void {
    for (const sub of [...this.byRid.values()]) sub.finish(null);
    this.byRid.clear();
  }

  /** @internal */
  forget(rid: number): void {
    this.byRid.delete(rid);
  }
}
