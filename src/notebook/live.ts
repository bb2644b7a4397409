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
import { DisplayHandle, escapeHTML } from './display.js';
import { holdCellUntil, isNotebook, type MimeBundle } from './kernel.js';
import { currentServer } from './serve.js';
import { formatTable, tableToHTML } from './table.js';
import { type Clock, Coalescer, systemClock } from './throttle.js';

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

/** What a draw reads: the latest state folded in from the subscription. */
interface LiveState {
  rows: number;
  kind: LiveUpdate['kind'];
  updates: number;
  dropped: boolean;
}

/** Where draws go: a display (notebook or sink), a log line, or nowhere. */
interface Output {
  display: LiveDisplay | null;
  log: ((line: string) => void) | null;
}

function outputOf(options: LiveOptions): Output {
  const display = options.display ?? (isNotebook() ? displayHandle() : null);
  if (display || options.log === false) return { display, log: null };
  return { display, log: typeof options.log === 'function' ? options.log : (line) => console.log(line) };
}

function checkLive(name: string, render: unknown, options: LiveOptions): asserts render is LiveRender {
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
}

/**
 * One followed dataset: the subscription's updates fold into {@link LiveState},
 * the {@link Coalescer} paces draws of it, waiters of `until()` settle on it.
 */
class LiveFollower implements LiveView {
  readonly name: string;
  readonly ready: Promise<void>;
  readonly done: Promise<void>;
  drawnRows = 0;
  draws = 0;
  bytes = 0;
  error: Error | null = null;
  private readonly state: LiveState = { rows: 0, kind: 'snapshot', updates: 0, dropped: false };
  private readonly title: string;
  private readonly drawer: Drawer;
  private readonly output: Output;
  private readonly coalescer: Coalescer;
  private readonly waiters: Waiter[] = [];
  private readonly clock: Clock;
  private client: CsvClient | null = null;
  private sub: Subscription | null = null;
  private ended = false;
  private lastDrawError: unknown = null;
  private markReady!: () => void;
  private failReady!: (err: unknown) => void;

  constructor(name: string, render: LiveRender, options: LiveOptions, clock: Clock) {
    const source = clientSource(options);
    this.name = name;
    this.clock = clock;
    this.title = options.title ?? name;
    this.drawer = drawerFor(render, this.title, options);
    this.output = outputOf(options);
    this.coalescer = new Coalescer(() => this.drawTracked(), {
      interval: options.interval ?? 250,
      maxBytesPerSecond: options.maxBytesPerSecond ?? 500_000,
      clock,
    });
    this.output.display?.show(message(this.title, 'waiting for rows…'));
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.ready.catch(() => undefined);
    this.done = this.follow(source)
      .catch((err: unknown) => this.fail(err))
      .finally(() => this.end(source.own));
    this.done.catch(() => undefined);
  }

  get rows(): number {
    return this.state.rows;
  }
  get updates(): number {
    return this.state.updates;
  }
  get table(): ColumnTable | null {
    return this.sub?.table ?? null;
  }

  private async follow(source: { open: () => Promise<CsvClient> }): Promise<void> {
    this.client = await source.open();
    if (this.ended) return;
    this.sub = this.client.subscribe(this.name);
    const subscribed = this.sub.ready.then(() => this.markReady());
    for await (const update of this.sub) {
      this.state.rows = update.rows;
      this.state.kind = update.kind;
      this.state.dropped = update.kind === 'drop';
      this.state.updates++;
      this.coalescer.push();
      this.settleWaiters();
    }
    await subscribed;
  }

  private fail(err: unknown): void {
    this.error = err instanceof Error ? err : new CsvSocketError(ErrorCode.INTERNAL, String(err));
    this.failReady(this.error);
    if (this.output.display) this.send(message(this.title, `stopped: ${this.error.message}`, true));
    else this.output.log?.(`live "${this.name}": stopped: ${this.error.message}`);
  }

  private async end(ownClient: boolean): Promise<void> {
    this.ended = true;
    this.markReady();
    this.settleWaiters();
    if (!this.error) await this.coalescer.flush().catch(() => undefined);
    this.coalescer.stop();
    if (ownClient) await this.client?.close().catch(() => undefined);
  }

  private send(bundle: MimeBundle): number {
    const size = bundleBytes(bundle);
    this.output.display?.update(bundle);
    this.draws++;
    this.bytes += size;
    return size;
  }

  private async drawTracked(): Promise<number> {
    try {
      const n = await this.draw();
      this.lastDrawError = null;
      return n;
    } catch (err) {
      this.lastDrawError = err;
      throw err;
    }
  }

  private async draw(): Promise<number> {
    const table = this.sub?.table ?? null;
    const at: LiveInfo = { name: this.name, rows: this.state.rows, kind: this.state.kind, updates: this.state.updates };
    const previous = this.drawnRows;
    this.drawnRows = at.rows;
    if (!this.output.display) {
      if (this.output.log) this.logLine(table, at.rows - previous);
      return 0;
    }
    if (!table)
      return this.send(message(this.title, this.state.dropped ? 'the dataset was dropped' : 'waiting for rows…'));
    try {
      return this.send(await this.drawer(table, at));
    } catch (err) {
      this.send(message(this.title, `render failed: ${err instanceof Error ? err.message : String(err)}`, true));
      throw err;
    }
  }

  private logLine(table: ColumnTable | null, added: number): void {
    this.draws++;
    const columns = table ? table.numCols() : 0;
    this.output.log?.(
      this.state.dropped
        ? `live "${this.name}": dropped`
        : `live "${this.name}": ${plural(this.state.rows, 'row')} × ${plural(columns, 'column')} (${added >= 0 ? '+' : ''}${count(added)})`,
    );
  }

  private settleWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i] as Waiter;
      if (this.state.rows >= w.rows) {
        this.waiters.splice(i, 1);
        w.resolve();
      } else if (this.ended) {
        this.waiters.splice(i, 1);
        w.reject(
          this.error ??
            new ConnectionError(
              ErrorCode.CONNECTION_CLOSED,
              `live "${this.name}" ended at ${plural(this.state.rows, 'row')} before reaching ${count(w.rows)}`,
            ),
        );
      }
    }
  }

  private waitForRows(target: number, timeout: number | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: unknown = null;
      const stop = (): void => {
        if (timer !== null) this.clock.clearTimeout(timer);
      };
      const waiter: Waiter = {
        rows: target,
        resolve: () => {
          stop();
          resolve();
        },
        reject: (err) => {
          stop();
          reject(err);
        },
      };
      this.waiters.push(waiter);
      if (timeout !== undefined) {
        timer = this.clock.setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          const have = count(this.state.rows);
          const text = `live "${this.name}": waited ${timeout} ms for ${count(target)} rows; have ${have}`;
          reject(new ConnectionError(ErrorCode.TIMEOUT, text));
        }, timeout);
      }
      this.settleWaiters();
    });
  }

  async until(what?: UntilOptions | number): Promise<ColumnTable> {
    const opts: UntilOptions = typeof what === 'number' ? { rows: what } : (what ?? {});
    const target = opts.rows ?? 1;
    checkNumber(target, 'until(): rows', 0);
    checkNumber(opts.timeout, 'until(): timeout', 0);
    if (this.state.rows < target) await this.waitForRows(target, opts.timeout);
    if (opts.flush !== false) {
      await this.coalescer.flush();
      if (this.lastDrawError) throw this.lastDrawError;
    }
    const table = this.sub?.table;
    if (!table) {
      throw new ConnectionError(ErrorCode.CONNECTION_CLOSED, `live "${this.name}": the dataset was dropped`);
    }
    return table;
  }

  flush(): Promise<void> {
    return this.coalescer.flush();
  }

  async stop(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      if (this.sub) await this.sub.close();
      else this.markReady();
    }
    await this.done;
  }

  // tslab prints a cell's last value; the handle's internals are noise there
  [inspect.custom](): string {
    return `live "${this.name}": ${plural(this.state.rows, 'row')}, ${plural(this.draws, 'draw')}`;
  }
}

/**
 * {@link live} with its clock passed in (tests use a manual clock). @internal
 */
export function createLive(name: string, render: LiveRender, options: LiveOptions, clock: Clock): LiveView {
  checkLive(name, render, options);
  const view = new LiveFollower(name, render, options, clock);
  // a refused subscription or an unreachable server shows in the calling cell
  holdCellUntil(view.ready);
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
