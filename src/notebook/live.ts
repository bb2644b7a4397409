/**
 * `live(name, render)`: one notebook display that follows a dataset as rows arrive.
 *
 *   client.subscribe(name) ── updates ──▶ Coalescer ── at most one draw per `interval`, ──▶ DisplayHandle.update
 *        (snapshot · append ·             (latest state     and no more than            (one display_id,
 *         replace · drop)                  wins)             `maxBytesPerSecond`)        updated in place)
 *
 *   until({ rows, timeout }) ── waits for the rows, then draws the latest state at once (flush)
 *   stop()                   ── ends the subscription, draws the final state, closes its connection
 *
 * Three measured kernel traps shape it (DESIGN.md, "Facts measured"): a display
 * sent from a background callback between cells is lost in a headless run, so a
 * report awaits `until()` (or `stop()`) in the cell; Jupyter drops output above
 * about 1 MB/s, so draws are coalesced and paced by their size; and nbconvert
 * blanks bare SVG, so charts go as HTML with inline SVG (chartBundle).
 *
 * Outside a notebook (plain Node.js, tests, scripts) nothing is drawn: each
 * throttled update logs one summary line (`log: false` silences it), unless a
 * `display` sink is given, which then receives the bundles exactly as a
 * notebook display would.
 */
import { inspect } from 'node:util';
import type { ColumnTable } from 'arquero';
import { type ChartSpec, chartBundle, renderChart } from '../chart/chart.js';
import { type CsvClient, connect } from '../client/client.js';
import type { LiveUpdate, Subscription } from '../client/subscription.js';
import { ArgumentError, ConnectionError, CsvSocketError, ErrorCode } from '../errors.js';
import type { CsvServer } from '../server/server.js';
import {
  DisplayHandle,
  escapeHTML,
  formatTable,
  holdCellUntil,
  isNotebook,
  type MimeBundle,
  tableToHTML,
} from './display.js';
import { currentServer } from './serve.js';

// ─────────────────────────────── types ───────────────────────────────

/** What a {@link LiveRender} function is told besides the table. */
export interface LiveInfo {
  /** The dataset. */
  name: string;
  /** Rows in the dataset at this draw. */
  rows: number;
  /** The kind of the latest update folded into this draw. */
  kind: LiveUpdate['kind'];
  /** Updates received so far (several may be folded into one draw). */
  updates: number;
}

/**
 * How {@link live} draws the table: `'table'` (its last rows), a vega-lite spec
 * (a chart of the whole table, as `chart()` draws it), or a function returning a
 * mime bundle or an HTML string (sync or async).
 */
export type LiveRender =
  | 'table'
  | ChartSpec
  | ((table: ColumnTable, info: LiveInfo) => MimeBundle | string | Promise<MimeBundle | string>);

/** Where {@link live} sends its bundles: a notebook display, or any sink with the same two methods. */
export interface LiveDisplay {
  /** The first output (called once, synchronously, from live()). */
  show(bundle: MimeBundle): void;
  /** Every later draw. */
  update(bundle: MimeBundle): void;
}

/** Options of {@link live}. */
export interface LiveOptions {
  /** The server to follow; default: the one `serve()` returned in this process. */
  server?: CsvServer;
  /** Or a server URL (with its `?token=`); live() opens and later closes its own connection. */
  url?: string;
  /** Or an open client to subscribe through (left open by stop()). */
  client?: CsvClient;
  /** `'table'`: how many of the last rows to show. @default 10 */
  limit?: number;
  /** A title above the display; default the dataset name. */
  title?: string;
  /** A chart spec: the most points drawn (larger tables are aggregated or sampled, as chart() does). @default 5000 */
  maxPoints?: number;
  /** Least time between two draws, in ms. @default 250 (4 updates a second) */
  interval?: number;
  /** Most output per second, measured on the bundles sent; a big draw waits longer before the next. @default 500000 */
  maxBytesPerSecond?: number;
  /** Outside a notebook: log one line per throttled update (`true`, the default, uses console.log), or not. */
  log?: boolean | ((line: string) => void);
  /** Send bundles here instead of a notebook display (then they are drawn outside a notebook too). */
  display?: LiveDisplay;
}

/** What {@link LiveView.until} waits for. */
export interface UntilOptions {
  /** Rows the dataset must reach. @default 1 */
  rows?: number;
  /** Milliseconds before rejecting with `CSVS_TIMEOUT`. @default no timeout */
  timeout?: number;
  /** Draw the latest state at once when the rows are there, bypassing the throttle. @default true */
  flush?: boolean;
}

/** The handle {@link live} returns. */
export interface LiveView {
  /** The dataset followed. */
  readonly name: string;
  /** Rows in the dataset as of the latest update received. */
  readonly rows: number;
  /** Rows in the latest state drawn (or logged). */
  readonly drawnRows: number;
  /** Updates received from the server. */
  readonly updates: number;
  /** Draws sent to the display (or lines logged). */
  readonly draws: number;
  /** Bytes of all bundles sent so far. */
  readonly bytes: number;
  /** The latest whole table received (null before the first rows or after a drop). */
  readonly table: ColumnTable | null;
  /** The failure that ended the view (a refused subscription, a lost connection), if any. */
  readonly error: Error | null;
  /** Resolves once the server has accepted the subscription (rejects if it refused). */
  readonly ready: Promise<void>;
  /** Resolves when the view has ended (stop(), a drop of the connection, a refused subscription); never rejects. */
  readonly done: Promise<void>;
  /**
   * Waits until the dataset has `rows` rows, then draws that state at once, so
   * a cell that awaits it records the final display in a headless report.
   *
   * @returns the whole table at that moment
   * @throws ConnectionError `CSVS_TIMEOUT` when the rows do not arrive in time
   * @throws ConnectionError `CSVS_CONNECTION_CLOSED` when the view ends first
   */
  until(options?: UntilOptions | number): Promise<ColumnTable>;
  /** Draws the latest state now if it was not drawn yet (waits for a draw in progress). */
  flush(): Promise<void>;
  /** Stops following: ends the subscription, draws the final state, closes the connection live() opened. */
  stop(): Promise<void>;
}

// ─────────────────────────────── throttle ───────────────────────────────

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

// ─────────────────────────────── drawing ───────────────────────────────

/** Bytes of a bundle as sent (UTF-8). */
export function bundleBytes(bundle: MimeBundle): number {
  let n = 0;
  for (const value of Object.values(bundle)) n += Buffer.byteLength(value, 'utf8');
  return n;
}

const numberFormat = new Intl.NumberFormat('en-US');
const count = (n: number): string => numberFormat.format(n);
const plural = (n: number, word: string): string => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

function message(title: string, text: string, error = false): MimeBundle {
  const style = error ? 'color:#b00' : 'color:#555';
  return {
    'text/plain': `${title}: ${text}`,
    'text/html': `<div class="csvs-live" style="font:12px sans-serif;${style}"><b>${escapeHTML(title)}</b> · ${escapeHTML(text)}</div>`,
  };
}

function caption(title: string, rows: number): string {
  return `<div class="csvs-caption" style="font:12px sans-serif;color:#555;margin:2px 0"><b>${escapeHTML(title)}</b> · live · ${escapeHTML(plural(rows, 'row'))}</div>`;
}

type Drawer = (table: ColumnTable, info: LiveInfo) => Promise<MimeBundle>;

function drawerFor(render: LiveRender, title: string, options: LiveOptions): Drawer {
  if (render === 'table') {
    const limit = options.limit ?? 10;
    return async (table) => {
      const total = table.numRows();
      const last = table.slice(-limit);
      const label = total > limit ? `${title} · last ${count(last.numRows())} of ${plural(total, 'row')}` : title;
      return {
        'text/html': tableToHTML(last, { limit, title: label }),
        'text/plain': formatTable(last, { limit, title: label }),
      };
    };
  }
  if (typeof render === 'function') {
    return async (table, info) => {
      const out = await render(table, info);
      if (typeof out === 'string') return { 'text/html': out, 'text/plain': `${title}: ${plural(info.rows, 'row')}` };
      if (!out || typeof out !== 'object') {
        throw new ArgumentError(
          ErrorCode.BAD_ARGUMENT,
          `live(): the render function must return HTML text or a mime bundle, got ${typeof out}`,
        );
      }
      return out;
    };
  }
  const spec = render;
  const renderOptions = options.maxPoints === undefined ? {} : { maxPoints: options.maxPoints };
  return async (table, info) => {
    const result = await renderChart(table, spec, renderOptions);
    const bundle = chartBundle(result, spec);
    return {
      ...bundle,
      'text/html': `<div class="csvs-live">${caption(title, info.rows)}${bundle['text/html'] ?? ''}</div>`,
      'text/plain': `${title} · live · ${plural(info.rows, 'row')} · ${bundle['text/plain'] ?? ''}`,
    };
  };
}

function checkRender(render: unknown): asserts render is LiveRender {
  if (render === 'table' || typeof render === 'function') return;
  if (render && typeof render === 'object' && !Array.isArray(render)) return;
  throw new ArgumentError(
    ErrorCode.BAD_ARGUMENT,
    `live(name, render): render must be 'table', a vega-lite spec object or a function (table) => bundle, got ${JSON.stringify(render) ?? typeof render}`,
  );
}

function checkNumber(value: number | undefined, what: string, min: number): void {
  if (value !== undefined && !(typeof value === 'number' && value >= min && Number.isFinite(value))) {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `live(): ${what} must be a number ≥ ${min}, got ${String(value)}`);
  }
}

// ─────────────────────────────── source ───────────────────────────────

function clientSource(options: LiveOptions): { open: () => Promise<CsvClient>; own: boolean } {
  const given = [options.client, options.url, options.server].filter((x) => x !== undefined).length;
  if (given > 1) throw new ArgumentError(ErrorCode.BAD_ARGUMENT, 'live(): pass at most one of client, url and server');
  const { client, url } = options;
  if (client) return { open: () => Promise.resolve(client), own: false };
  if (url !== undefined) return { open: () => connect(url), own: true };
  const server = options.server ?? currentServer();
  if (!server) {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      'live() needs a server: run `await serve()` first, or pass { server }, { url } or { client }',
    );
  }
  return { open: () => connect(server.url), own: true };
}

// ─────────────────────────────── live ───────────────────────────────

interface Waiter {
  rows: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * {@link live} with its clock passed in (tests use a manual clock). @internal
 */
export function createLive(name: string, render: LiveRender, options: LiveOptions, clock: Clock): LiveView {
  if (typeof name !== 'string' || name === '') {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `live(name, render): name must be a dataset name, got ${JSON.stringify(name)}`,
    );
  }
  checkRender(render);
  checkNumber(options.limit, 'limit', 1);
  checkNumber(options.interval, 'interval', 0);
  checkNumber(options.maxBytesPerSecond, 'maxBytesPerSecond', 1);
  const source = clientSource(options);
  const title = options.title ?? name;
  const drawer = drawerFor(render, title, options);
  const display: LiveDisplay | null = options.display ?? (isNotebook() ? displayHandle() : null);
  const log =
    display || options.log === false
      ? null
      : typeof options.log === 'function'
        ? options.log
        : (line: string) => console.log(line);

  let client: CsvClient | null = null;
  let sub: Subscription | null = null;
  let rows = 0;
  let drawnRows = 0;
  let updates = 0;
  let draws = 0;
  let bytes = 0;
  let kind: LiveUpdate['kind'] = 'snapshot';
  let dropped = false;
  let ended = false;
  let failure: Error | null = null;
  const waiters: Waiter[] = [];

  const send = (bundle: MimeBundle): number => {
    const size = bundleBytes(bundle);
    display?.update(bundle);
    draws++;
    bytes += size;
    return size;
  };

  const draw = async (): Promise<number> => {
    const table = sub?.table ?? null;
    const at = { name, rows, kind, updates };
    if (!display) {
      if (!log) return 0;
      const columns = table ? table.numCols() : 0;
      const added = at.rows - drawnRows;
      drawnRows = at.rows;
      draws++;
      log(
        dropped
          ? `live "${name}": dropped`
          : `live "${name}": ${plural(at.rows, 'row')} × ${plural(columns, 'column')} (${added >= 0 ? '+' : ''}${count(added)})`,
      );
      return 0;
    }
    if (!table) {
      drawnRows = at.rows;
      return send(message(title, dropped ? 'the dataset was dropped' : 'waiting for rows…'));
    }
    try {
      const bundle = await drawer(table, at);
      drawnRows = at.rows;
      return send(bundle);
    } catch (err) {
      drawnRows = at.rows;
      send(message(title, `render failed: ${err instanceof Error ? err.message : String(err)}`, true));
      throw err;
    }
  };

  let lastDrawError: unknown = null;
  const coalescer = new Coalescer(
    () =>
      draw().then(
        (n) => {
          lastDrawError = null;
          return n;
        },
        (err: unknown) => {
          lastDrawError = err;
          throw err;
        },
      ),
    { interval: options.interval ?? 250, maxBytesPerSecond: options.maxBytesPerSecond ?? 500_000, clock },
  );

  const settleWaiters = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i] as Waiter;
      if (rows >= w.rows) {
        waiters.splice(i, 1);
        w.resolve();
      } else if (ended) {
        waiters.splice(i, 1);
        w.reject(
          failure ??
            new ConnectionError(
              ErrorCode.CONNECTION_CLOSED,
              `live "${name}" ended at ${plural(rows, 'row')} before reaching ${count(w.rows)}`,
            ),
        );
      }
    }
  };

  display?.show(message(title, 'waiting for rows…'));

  let readyResolve!: () => void;
  let readyReject!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  ready.catch(() => undefined);

  const follow = async (): Promise<void> => {
    client = await source.open();
    if (ended) return;
    sub = client.subscribe(name);
    const subscribed = sub.ready.then(() => readyResolve());
    for await (const update of sub) {
      rows = update.rows;
      kind = update.kind;
      dropped = update.kind === 'drop';
      updates++;
      coalescer.push();
      settleWaiters();
    }
    await subscribed;
  };

  const done: Promise<void> = follow()
    .catch((err: unknown) => {
      failure = err instanceof Error ? err : new CsvSocketError(ErrorCode.INTERNAL, String(err));
      readyReject(failure);
      if (display) send(message(title, `stopped: ${failure.message}`, true));
      else log?.(`live "${name}": stopped: ${failure.message}`);
    })
    .finally(async () => {
      ended = true;
      readyResolve();
      settleWaiters();
      if (!failure) await coalescer.flush().catch(() => undefined);
      coalescer.stop();
      if (source.own) await client?.close().catch(() => undefined);
    });
  done.catch(() => undefined);
  // a refused subscription or an unreachable server shows in the calling cell
  holdCellUntil(ready);

  const view: LiveView = {
    name,
    get rows() {
      return rows;
    },
    get drawnRows() {
      return drawnRows;
    },
    get updates() {
      return updates;
    },
    get draws() {
      return draws;
    },
    get bytes() {
      return bytes;
    },
    get table() {
      return sub?.table ?? null;
    },
    get error() {
      return failure;
    },
    ready,
    done,
    async until(what?: UntilOptions | number): Promise<ColumnTable> {
      const opts: UntilOptions = typeof what === 'number' ? { rows: what } : (what ?? {});
      const target = opts.rows ?? 1;
      checkNumber(target, 'until(): rows', 0);
      checkNumber(opts.timeout, 'until(): timeout', 0);
      if (rows < target) {
        await new Promise<void>((resolve, reject) => {
          let timer: unknown = null;
          const waiter: Waiter = {
            rows: target,
            resolve: () => {
              if (timer !== null) clock.clearTimeout(timer);
              resolve();
            },
            reject: (err) => {
              if (timer !== null) clock.clearTimeout(timer);
              reject(err);
            },
          };
          waiters.push(waiter);
          if (opts.timeout !== undefined) {
            timer = clock.setTimeout(() => {
              const i = waiters.indexOf(waiter);
              if (i >= 0) waiters.splice(i, 1);
              reject(
                new ConnectionError(
                  ErrorCode.TIMEOUT,
                  `live "${name}": waited ${opts.timeout} ms for ${count(target)} rows; have ${count(rows)}`,
                ),
              );
            }, opts.timeout);
          }
          settleWaiters();
        });
      }
      if (opts.flush !== false) {
        await coalescer.flush();
        if (lastDrawError) throw lastDrawError;
      }
      const table = sub?.table;
      if (!table) {
        throw new ConnectionError(ErrorCode.CONNECTION_CLOSED, `live "${name}": the dataset was dropped`);
      }
      return table;
    },
    flush: () => coalescer.flush(),
    async stop(): Promise<void> {
      if (!ended) {
        ended = true;
        if (sub) await sub.close();
        else readyResolve();
      }
      await done;
    },
  };
  // tslab prints a cell's last value; the handle's internals are noise there
  Object.defineProperty(view, inspect.custom, {
    value: () => `live "${name}": ${plural(rows, 'row')}, ${plural(draws, 'draw')}`,
  });
  return view;
}

function displayHandle(): LiveDisplay {
  const handle = new DisplayHandle();
  return {
    show: (bundle) => {
      handle.show(bundle);
    },
    update: (bundle) => {
      handle.update(bundle);
    },
  };
}

/**
 * Follows a dataset and keeps ONE display updated in place as rows arrive: the
 * last rows (`'table'`), a vega-lite chart of the whole table (a spec), or
 * whatever a function draws. Draws are throttled — at most one per
 * `interval` (250 ms), and a draw of b bytes waits b / `maxBytesPerSecond`
 * (500 kB/s) before the next — and a burst always ends with a draw of its
 * latest state. The display appears in the calling cell at once.
 *
 * In a report executed headless, output sent after its cell finished is lost:
 * `await view.until({ rows })` (or `await view.stop()`) in a cell, which draws
 * the latest state before the cell ends.
 *
 * Outside a notebook nothing is drawn; each throttled update logs one line
 * (`live "sensor": 120 rows × 4 columns (+12)`), or nothing with `log: false`.
 *
 * @param name - the dataset to follow (it need not exist yet)
 * @param render - `'table'`, a vega-lite spec, or `(table, info) => bundle | html`
 * @param options - the server (default: the one serve() returned), throttle, rows shown
 * @returns the view: `until()`, `flush()`, `stop()`, counters
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` for a bad render or option, or no server to follow
 * @example
 * ```ts
 * const server = await serve();
 * const view = live('sensor', { mark: 'line', encoding: { x: { field: 'time' }, y: { field: 'temperature' } } });
 * const table = await view.until({ rows: 100, timeout: 30_000 });
 * ```
 */
export function live(name: string, render: LiveRender, options: LiveOptions = {}): LiveView {
  return createLive(name, render, options, systemClock);
}
