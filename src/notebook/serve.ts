/**
 * The notebook shorthands `serve()` and `send(path)`.
 *
 *   serve(options) ── env defaults ── server.ts serve (one server per port, idempotent)
 *        │                                  │
 *        └─ status display in this cell ◀── 'connection' · 'disconnect' · 'dataset' · 'warning' · 'closed'
 *                                            (updated in place by display_id, never printed)
 *   send(path) ── the current server (or a new one) ── a real client upload ── the seed's messages
 *
 * In a notebook, serve() with no port given falls back to a free port when 8851
 * is taken (a second notebook, a shared JupyterHub host) and says so in the
 * status display; send() keeps its cell running until the upload ends, so its
 * messages — or its error, when nobody awaited it — show in the cell that started it.
 *
 * Outside a notebook both behave exactly like their plain versions: no display,
 * nothing printed by background events.
 */
import { inspect } from 'node:util';
import type { ColumnTable } from 'arquero';
import { type CsvClient, connect, type SendOptions, type Source } from '../client/client.js';
import type { ColumnInfo } from '../csv/index.js';
import { ArgumentError, ConnectionError, ErrorCode, isCsvSocketError, toCsvSocketError } from '../errors.js';
import { DEFAULT_PORT, LEGACY_REPLY } from '../protocol/messages.js';
import { type CsvServer, type ServeOptions, serve as serveInProcess } from '../server/server.js';
import { processState } from '../state.js';
import { formatHead } from '../text.js';
import { atCellEnd, holdCellUntil, isNotebook, quietValue, whenKernelShutsDown } from './kernel.js';
import {
  createProgressDisplay,
  createStatusDisplay,
  type ProgressDisplay,
  type ServerStatus,
  type StatusDisplay,
} from './status.js';
import { rememberColumns } from './table.js';
import { errorText, installNotebookInspect, wasReported } from './values.js';

// a table left as a cell's last value draws as show() would; errors read as `CSVS_CODE: message`
installNotebookInspect();

// ───────────────────────────── shared state ─────────────────────────────

interface Attached {
  display: StatusDisplay;
  status: ServerStatus;
}

interface NotebookServers {
  /** The server the last serve() returned, which send() uses. */
  current: CsvServer | null;
  /** Every server serve() or send() started and that is still open. */
  open: Set<CsvServer>;
  /** Each server's status display. */
  displays: WeakMap<CsvServer, Attached>;
  /** Each server's client for send(). */
  clients: WeakMap<CsvServer, Promise<CsvClient>>;
}

declare module '../state.js' {
  interface ProcessState {
    /** the servers serve() and send() started in this process */
    notebookServers: NotebookServers;
  }
}

function shared(): NotebookServers {
  return processState('notebookServers', () => ({
    current: null,
    open: new Set(),
    displays: new WeakMap(),
    clients: new WeakMap(),
  }));
}

/** The server serve() returned last in this process, while it is open. @internal */
export function currentServer(): CsvServer | null {
  const server = shared().current;
  return server && !server.isClosed ? server : null;
}

// ───────────────────────────── serve ─────────────────────────────

/** The environment variables that give {@link serve} its defaults. */
export const ServeEnv = {
  /** The port when `options.port` is not given (a report runner pins one this way). */
  PORT: 'CSVSOCKET_PORT',
  /** The token when `options.token` is not given. */
  TOKEN: 'CSVSOCKET_TOKEN',
} as const;

function withEnvDefaults(options: ServeOptions): ServeOptions {
  const resolved: ServeOptions = { ...options };
  const port = process.env[ServeEnv.PORT];
  if (resolved.port === undefined && port !== undefined && port !== '') {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `${ServeEnv.PORT} must be a port number from 0 to 65535, got "${port}"`,
      );
    }
    resolved.port = n;
  }
  const token = process.env[ServeEnv.TOKEN];
  if (resolved.token === undefined && token !== undefined && token !== '') resolved.token = token;
  return resolved;
}

/**
 * Start this process's csvsocket server, or return the one already running —
 * the notebook-aware version of the server's `serve`. Re-running a cell that
 * calls it returns the same server (same port, same token); changed options
 * for the same port close the old server and start a new one, never
 * `EADDRINUSE`. In a notebook the calling cell holds one status display —
 * URL and token, connected clients, datasets received, recent events — that
 * background events update in place instead of printing into whatever cell
 * runs at that moment. When the kernel shuts down, every server closes and
 * frees its port.
 *
 * `CSVSOCKET_PORT` and `CSVSOCKET_TOKEN` in the environment replace the
 * default port (8851) and the default random token.
 *
 * @param options - port, host, token, TLS, limits; see {@link ServeOptions}
 * @returns the running server
 * @throws ConnectionError `CSVS_ADDRESS_IN_USE` when another process holds the port
 * @example
 * ```ts
 * const server = await serve();        // status display: ws://127.0.0.1:8851/?token=…
 * const table = await server.next();   // a CSV someone else sends
 * ```
 */
export async function serve(options: ServeOptions = {}): Promise<CsvServer> {
  const { server, note } = await startInProcess(options);
  await track(server);
  attachStatus(server, true, note);
  return server;
}

/** The port serve() tries when none is given. */
const defaultPort = DEFAULT_PORT;

/**
 * The in-process server for these options. A taken port fails with an error
 * that names `serve({ port: 0 })` — except in a notebook that gave no port,
 * which gets a free one and a note saying so.
 */
async function startInProcess(options: ServeOptions): Promise<{ server: CsvServer; note?: string }> {
  const resolved = withEnvDefaults(options);
  try {
    return { server: await serveInProcess(resolved) };
  } catch (err) {
    if (!isCsvSocketError(err, ErrorCode.ADDRESS_IN_USE)) throw err;
    const port = resolved.port ?? defaultPort;
    if (resolved.port === undefined && isNotebook()) {
      const server = await serveInProcess({ ...resolved, port: 0 });
      return { server, note: `port ${port} is taken (another notebook or server?): listening on port ${server.port}` };
    }
    throw new ConnectionError(
      ErrorCode.ADDRESS_IN_USE,
      `port ${port} is already in use by another server; serve({ port: 0 }) picks a free one`,
      {},
      { cause: err },
    );
  }
}

async function track(server: CsvServer): Promise<CsvServer> {
  const state = shared();
  state.current = server;
  if (!state.open.has(server)) {
    state.open.add(server);
    // server.next(), server.table() and live() hand out these very tables: show() then
    // uses the server's column types and each value's own text
    const remember = (dataset: { table: ColumnTable; columns: ColumnInfo[] }) =>
      rememberColumns(dataset.table, dataset.columns);
    server.on('dataset', remember);
    server.once('closed', () => {
      server.off('dataset', remember);
      state.open.delete(server);
      if (state.current === server) state.current = null;
    });
    whenKernelShutsDown(closeAll);
  }
  return server;
}

/** Closes every server the shorthands started; the kernel's shutdown calls it. */
async function closeAll(): Promise<void> {
  await Promise.all([...shared().open].map((server) => server.close().catch(() => undefined)));
}

function snapshot(server: CsvServer): Pick<ServerStatus, 'url' | 'token' | 'clients' | 'datasets'> {
  const url = server.url.split('?')[0] ?? server.url;
  return {
    url,
    ...(server.token ? { token: server.token } : {}),
    clients: server.clients,
    datasets: server.list().map((d) => ({ name: d.name, rows: d.rows, columns: d.columns.length })),
  };
}

/**
 * Shows the server's status display in the cell running now. The first call
 * for a server creates the display and subscribes to the server's events;
 * later calls (a re-run serve() cell) show the same display again, with the
 * same display_id, so every copy keeps updating.
 */
function attachStatus(server: CsvServer, again: boolean, note?: string): void {
  if (!isNotebook()) return;
  const { displays } = shared();
  const attached = displays.get(server);
  if (attached) {
    if (!again) return;
    Object.assign(attached.status, snapshot(server));
    if (note && attached.status.events.at(-1) !== note)
      attached.status.events = [...attached.status.events, note].slice(-8);
    attached.display.attach();
    attached.display.update(attached.status);
    return;
  }
  const status: ServerStatus = { ...snapshot(server), events: [note ?? `listening on port ${server.port}`] };
  const display = createStatusDisplay();
  displays.set(server, { display, status });
  // `replaces`: an event that supersedes the last one when it starts the same way
  // (rows appended to a live dataset are one line, not eight)
  const redraw = (event?: string, replaces?: string) => {
    Object.assign(status, snapshot(server));
    if (event) {
      const kept =
        replaces !== undefined && status.events.at(-1)?.startsWith(replaces)
          ? status.events.slice(0, -1)
          : status.events;
      status.events = [...kept, event].slice(-8);
    }
    display.update(status);
  };
  const onConnection = (info: { id: number; legacy: boolean }) =>
    redraw(`client ${info.id} connected${info.legacy ? ' (original JSON/CSV protocol)' : ''}`);
  const onDisconnect = (info: { id: number }) => redraw(`client ${info.id} disconnected`);
  const onDataset = (dataset: { name: string; summary: { rows: number; columns: unknown[] } }) =>
    redraw(
      `received "${dataset.name}": ${count(dataset.summary.rows)} rows × ${dataset.summary.columns.length} columns`,
      `received "${dataset.name}":`,
    );
  const onWarning = (message: string) => redraw(`warning: ${message}`);
  server.on('connection', onConnection);
  server.on('disconnect', onDisconnect);
  server.on('dataset', onDataset);
  server.on('warning', onWarning);
  server.once('closed', () => {
    server.off('connection', onConnection);
    server.off('disconnect', onDisconnect);
    server.off('dataset', onDataset);
    server.off('warning', onWarning);
    status.clients = 0;
    status.events = [...status.events, 'closed; the port is free'].slice(-8);
    display.update(status);
  });
  redraw();
}

const numberFormat = new Intl.NumberFormat('en-US');

/** "1,461", as the tables and the status display's dataset list write counts. */
function count(n: number): string {
  return numberFormat.format(n);
}

// ───────────────────────────── send ─────────────────────────────

/** Options of the notebook {@link send}. */
export interface NotebookSendOptions extends SendOptions {
  /** Options for the in-process server; without them send() uses the server serve() returned last, or starts one. */
  serve?: ServeOptions;
  /** Print the original's messages and the first five rows. @default true */
  verbose?: boolean;
  /** Show a progress bar (in a notebook) for uploads larger than this many bytes. @default 4 MiB */
  progressAbove?: number;
}

async function clientFor(server: CsvServer): Promise<CsvClient> {
  const { clients } = shared();
  let client = clients.get(server);
  if (client) {
    const c = await client.catch(() => null);
    if (c?.open) return c;
  }
  client = connect(server.url);
  clients.set(server, client);
  const opened = client;
  server.once('closed', () => {
    void opened.then((c) => c.close()).catch(() => undefined);
  });
  return client;
}

async function serverFor(options: ServeOptions | undefined): Promise<CsvServer> {
  const current = shared().current;
  if (options === undefined && current && !current.isClosed) return current;
  const { server, note } = await startInProcess(options ?? {});
  await track(server);
  attachStatus(server, false, note);
  return server;
}

/**
 * Upload a CSV to this process's server (the one serve() returned, or a new
 * one), print the original's messages — `Received CSV data!!`, the first five
 * rows, `Server confirmation: CSV file received and processed!` — and return
 * the table. In a notebook, an upload larger than 4 MiB shows a progress bar
 * updated in place.
 *
 * @param source - a file path, CSV text, bytes, a stream or an arquero table
 * @param options - name, type overrides, server options, verbosity
 * @returns the table as the server stored it
 * @example
 * ```ts
 * const students = await send('../data/students.csv');
 * ```
 */
export function send(source: Source, options: NotebookSendOptions = {}): Promise<ColumnTable> {
  const work = upload(source, options);
  return isNotebook() ? inCell(work, 'send()') : work;
}

async function upload(source: Source, options: NotebookSendOptions): Promise<ColumnTable> {
  const { serve: serveOptions, verbose = true, progressAbove = 4 * 1024 * 1024, ...sendOptions } = options;
  const server = await serverFor(serveOptions);
  const client = await clientFor(server);
  // a holder, since TypeScript does not see the callback assign a plain `let`
  const shown: { progress?: ProgressDisplay } = {};
  const { table, summary } = await client.upload(source, {
    ...sendOptions,
    onProgress: (p) => {
      sendOptions.onProgress?.(p);
      if (p.total !== null && p.total > progressAbove && isNotebook()) {
        shown.progress ??= createProgressDisplay(`Uploading ${labelOf(source, options)}`, p.total);
        shown.progress.update(p.bytes);
      }
    },
  });
  shown.progress?.done();
  rememberColumns(table, summary.columns);
  if (verbose) {
    console.log('Received CSV data!!');
    console.log(formatHead(summary));
    console.log('');
    console.log(`Server confirmation: ${LEGACY_REPLY}`);
  }
  return table;
}

function labelOf(source: Source, options: NotebookSendOptions): string {
  return options.name ?? (typeof source === 'string' && !/[\r\n]/.test(source) ? source : 'data');
}

/**
 * Keeps the cell that started `work` running until it settles, so what it
 * prints lands in that cell even when nobody awaits it; if it then fails and
 * nobody awaited or handled it, its error is printed there as the cell ends.
 * The returned promise prints nothing as a cell's last value.
 */
function inCell<T>(work: Promise<T>, what: string): Promise<T> {
  if (!holdCellUntil(work)) return work;
  const seen = { handled: false, failed: false, error: undefined as unknown };
  Promise.prototype.then.call(work, undefined, (err: unknown) => {
    seen.failed = true;
    seen.error = err;
  });
  // `.then`/`.catch`/`.finally` and Promise.all go through `then`; an `await` is seen as
  // the kernel printing the error it threw (values.ts)
  const then = work.then;
  Object.defineProperty(work, 'then', {
    configurable: true,
    value(this: Promise<T>, ...args: Parameters<Promise<T>['then']>) {
      seen.handled = true;
      return then.apply(this, args);
    },
  });
  Object.defineProperty(work, inspect.custom, { value: quietValue });
  const off = atCellEnd(() => {
    off();
    if (!seen.failed || seen.handled || wasReported(seen.error)) return;
    const text = errorText(toCsvSocketError(seen.error));
    process.stderr.write(`${what} was not awaited, and it failed:\n${text}\n`);
  });
  return work;
}
