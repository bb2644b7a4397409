/**
 * Notebook integration: tables, status and progress shown inside a tslab kernel.
 *
 *   isNotebook() ── finds the kernel's own tslab/dist/jupyter.js in require.cache
 *        │
 *   DisplayHandle ── one output area with a display_id, filled now, updated later
 *        │
 *   show() · createStatusDisplay() · createProgressDisplay() · chart() (chart.ts)
 *
 * Two kernel behaviours shape this module (see DESIGN.md, "Facts measured"):
 * a display sent from a background callback lands in whichever cell runs at
 * that moment, and `display.raw` sends a single mime type. So every rich output
 * goes through the kernel's `lastWriteDisplayData` with a whole bundle, and
 * anything that changes later updates one display in place by its display_id.
 */
import { randomBytes } from 'node:crypto';
import { sep } from 'node:path';
import type { ColumnTable } from 'arquero';
import { ArgumentError, ErrorCode } from '../errors.js';
import { processState } from '../state.js';
import { formatBytes } from '../text.js';

// ───────────────────────────── kernel access ─────────────────────────────

/** A Jupyter mime bundle: mime type → content. */
export type MimeBundle = Record<string, string>;

interface KernelDisplayData {
  data: MimeBundle;
  metadata: Record<string, string>;
  transient: { display_id?: string };
}

type WriteDisplayData = (data: KernelDisplayData, update: boolean) => void;

interface TslabJupyterModule {
  lastWriteDisplayData: WriteDisplayData | null;
  JupyterHandlerImpl?: { prototype: Record<PropertyKey, unknown> };
}

const kernelFile = `${sep}tslab${sep}dist${sep}jupyter.js`;
let kernelCache: TslabJupyterModule | undefined;

/**
 * The kernel's own `tslab/dist/jupyter.js`. Scanning `require.cache` finds the
 * copy the running kernel loaded, wherever it is installed; requiring "tslab"
 * from here could load a second copy, which can never display ("Not ready").
 */
function kernelModule(): TslabJupyterModule | undefined {
  if (kernelCache && typeof kernelCache.lastWriteDisplayData === 'function') return kernelCache;
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!file.endsWith(kernelFile) || !mod) continue;
    const exported = mod.exports as Partial<TslabJupyterModule> | undefined;
    if (exported && typeof exported.lastWriteDisplayData === 'function') {
      kernelCache = exported as TslabJupyterModule;
      return kernelCache;
    }
  }
  return undefined;
}

/**
 * Whether this code runs inside a tslab Jupyter kernel that can display rich output.
 *
 * @returns `true` in a tslab notebook cell, `false` in plain Node.js, tests and the CLI.
 * @example
 * if (isNotebook()) show(table); else console.log(formatTable(table));
 */
export function isNotebook(): boolean {
  return kernelModule() !== undefined;
}

/** Sends one bundle to the kernel; `false` when there is no kernel to send it to. */
function writeDisplay(bundle: MimeBundle, displayId: string | undefined, update: boolean): boolean {
  const writer = kernelModule()?.lastWriteDisplayData;
  if (typeof writer !== 'function') return false;
  const transient: { display_id?: string } = {};
  if (displayId !== undefined) transient.display_id = displayId;
  try {
    writer({ data: bundle, metadata: {}, transient }, update);
    return true;
  } catch {
    // A closed iopub socket must not take the caller (often a background callback) down.
    return false;
  }
}

/**
 * One output area in a notebook, identified by a display_id so it can be
 * updated in place from any later callback. Outside a notebook every method
 * is a no-op.
 *
 * @example
 * const handle = new DisplayHandle();
 * handle.show({ 'text/plain': 'working…' });
 * setTimeout(() => handle.update({ 'text/plain': 'done' }), 1000);
 */
export class DisplayHandle {
  /** The Jupyter display_id shared by every output of this handle. */
  readonly id: string = randomBytes(8).toString('hex');
  #shown = false;

  /**
   * Adds an output with this handle's display_id to the cell running now.
   * Call it synchronously from the cell that should hold the output.
   *
   * @param bundle - the mime bundle to show.
   * @returns whether a kernel received it.
   */
  show(bundle: MimeBundle): boolean {
    const sent = writeDisplay(bundle, this.id, false);
    if (sent) this.#shown = true;
    return sent;
  }

  /**
   * Replaces the content of every output carrying this display_id, wherever it is.
   *
   * @param bundle - the new mime bundle.
   * @returns whether a kernel received it.
   */
  update(bundle: MimeBundle): boolean {
    return writeDisplay(bundle, this.id, this.#shown);
  }
}

// ─────────────────────── cell completion waits for displays ───────────────────────

interface SharedState {
  pending: Set<Promise<unknown>>;
  /** Redraws run as every cell ends (see {@link refreshAtCellEnd}). */
  refresh?: Set<() => void>;
}

declare module '../state.js' {
  interface ProcessState {
    /** displays a running cell waits for, and redraws at each cell's end */
    cells: SharedState;
    /** kernel handler prototypes already patched, by patch */
    kernelPatches: { cellEnd: WeakSet<object>; shutdown: WeakSet<object> };
    /** hooks run at the kernel's shutdown_request */
    shutdownHooks: Set<() => Promise<void> | void>;
  }
}
const patches = () => processState('kernelPatches', () => ({ cellEnd: new WeakSet(), shutdown: new WeakSet() }));
/** How long a cell waits at most for displays it started (a chart being rendered). */
const cellWaitMs = 60_000;

function sharedState(): SharedState {
  return processState('cells', () => ({ pending: new Set() }));
}

/**
 * Makes the kernel finish a cell only after `work` settles (at most 60 s), so a
 * display the cell started without `await` is filled while its cell still runs.
 * Jupyter clients that execute headless (nbclient, nbconvert) drop output whose
 * parent cell has finished; a front end would also route it to the wrong cell.
 *
 * Wraps tslab's `JupyterHandlerImpl#handleExecuteImpl` once per kernel. When a
 * future tslab renames it, nothing breaks: displays then arrive as late updates.
 *
 * @returns whether the kernel will wait for `work`.
 */
export function holdCellUntil(work: Promise<unknown>): boolean {
  const state = installHold();
  if (!state) return false;
  const tracked = work.then(
    () => undefined,
    () => undefined,
  );
  state.pending.add(tracked);
  void tracked.then(() => state.pending.delete(tracked));
  return true;
}

/**
 * Wraps the kernel's cell execution once, so that cells wait for the work
 * {@link holdCellUntil} registers. tslab looks the method up when a cell
 * starts, so the wrap holds from the next cell on: it is installed when the
 * package is imported, not when the first chart needs it (a chart in the last
 * cell of a notebook would otherwise finish after the headless run ended).
 */
function installHold(): SharedState | undefined {
  const proto = kernelModule()?.JupyterHandlerImpl?.prototype;
  if (!proto || typeof proto.handleExecuteImpl !== 'function') return undefined;
  const state = sharedState();
  if (!patches().cellEnd.has(proto)) {
    const original = proto.handleExecuteImpl as (...args: unknown[]) => Promise<unknown>;
    proto.handleExecuteImpl = async function (this: unknown, ...args: unknown[]) {
      try {
        return await original.apply(this, args);
      } finally {
        await settle(state);
        for (const redraw of state.refresh ?? []) {
          try {
            redraw();
          } catch {
            // a display that cannot redraw must not fail the cell
          }
        }
      }
    };
    patches().cellEnd.add(proto);
  }
  return state;
}

installHold();

/**
 * Redraws a display as each cell ends, while the cell still runs. An update
 * sent from a background callback between cells carries the finished cell's
 * parent message, and headless runs (nbclient) drop it; redrawn at the end of
 * the next cell, the display in a report shows the state of that moment.
 */
function refreshAtCellEnd(redraw: () => void): void {
  const state = installHold();
  if (!state) return;
  state.refresh ??= new Set();
  state.refresh.add(redraw);
}

/**
 * Runs `hook` when the kernel receives Jupyter's `shutdown_request` (a user's
 * "Shut down" or "Restart kernel"), so servers close and free their ports at
 * once rather than when Jupyter kills the process seconds later — a restarted
 * kernel calling serve() would otherwise meet `EADDRINUSE`. Registering the same
 * function twice runs it once. Outside a notebook it does nothing.
 *
 * @param hook - what to run; its rejection is ignored.
 * @returns whether the kernel will call it.
 */
export function whenKernelShutsDown(hook: () => Promise<void> | void): boolean {
  const proto = kernelModule()?.JupyterHandlerImpl?.prototype;
  if (!proto || typeof proto.handleShutdown !== 'function') return false;
  const hooks = processState('shutdownHooks', () => new Set());
  hooks.add(hook);
  if (!patches().shutdown.has(proto)) {
    const original = proto.handleShutdown as (...args: unknown[]) => unknown;
    const registered = hooks;
    // tslab answers shutdown_request synchronously and then closes its sockets;
    // the hooks run on, and the process exits once nothing else holds it
    proto.handleShutdown = function (this: unknown, ...args: unknown[]) {
      for (const h of registered) {
        try {
          void Promise.resolve(h()).catch(() => undefined);
        } catch {
          // a failing hook must not keep the kernel from answering
        }
      }
      return original.apply(this, args);
    };
    patches().shutdown.add(proto);
  }
  return true;
}

async function settle(state: SharedState): Promise<void> {
  if (state.pending.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, cellWaitMs);
  });
  await Promise.race([Promise.all([...state.pending]), timeout]);
  clearTimeout(timer);
  state.pending.clear();
}

// ─────────────────────────────── formatting ───────────────────────────────

/** Options of {@link show}, {@link tableToHTML} and {@link formatTable}. */
export interface ShowOptions {
  /** How many rows to show; the output says how many it left out. @default 20 */
  limit?: number;
  /** A title shown above the table. */
  title?: string;
  /** Longest string shown in a cell before it is cut with "…". @default 200 */
  maxWidth?: number;
}

interface Prepared {
  names: string[];
  types: string[];
  rows: unknown[][];
  total: number;
  shown: number;
}

const defaultLimit = 20;

function assertTable(table: unknown, fn: string): asserts table is ColumnTable {
  const t = table as Partial<ColumnTable> | null;
  if (!t || typeof t.numRows !== 'function' || typeof t.columnNames !== 'function' || typeof t.scan !== 'function') {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `${fn}(table) expects an arquero table, got ${describe(table)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object'
    ? `an object (${Object.keys(value as object)
        .slice(0, 3)
        .join(', ')})`
    : typeof value;
}

function limitOf(options: ShowOptions | undefined, fn: string): number {
  const limit = options?.limit ?? defaultLimit;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `${fn}: limit must be a whole number ≥ 0, got ${String(limit)}`);
  }
  return limit;
}

/** The type name of one value, as shown under a column header. */
function typeOf(value: unknown): string {
  if (value instanceof Date) return 'date';
  if (ArrayBuffer.isView(value)) return 'bytes';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * The type of a column from its values: "number", "string", "date", "boolean",
 * "bigint", "object", "mixed" (several) or "null" (no values at all).
 */
export function columnType(table: ColumnTable, name: string, sample = 10_000): string {
  const column = table.column(name);
  if (!column) return 'null';
  const data = (column as { data?: unknown }).data;
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    return data instanceof BigInt64Array || data instanceof BigUint64Array ? 'bigint' : 'number';
  }
  const seen = new Set<string>();
  table.scan(
    (row) => {
      const value = column.at(row as number);
      if (value !== null && value !== undefined) seen.add(typeOf(value));
    },
    false,
    sample,
  );
  if (seen.size === 0) return 'null';
  return seen.size === 1 ? ([...seen][0] as string) : 'mixed';
}

function prepare(table: ColumnTable, limit: number): Prepared {
  const names = table.columnNames();
  const columns = names.map((name) => table.column(name));
  const rows: unknown[][] = [];
  if (limit > 0) {
    table.scan(
      (row) => {
        rows.push(columns.map((column) => column?.at(row as number)));
      },
      true,
      limit,
    );
  }
  return {
    names,
    types: names.map((name) => columnType(table, name)),
    rows,
    total: table.numRows(),
    shown: rows.length,
  };
}

const numberFormat = new Intl.NumberFormat('en-US');

/** "1,000" — counts in captions use thousands separators. */
function count(n: number): string {
  return numberFormat.format(n);
}

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** "10 rows × 4 columns". */
function shapeOf(p: Prepared): string {
  return `${plural(p.total, 'row')} × ${plural(p.names.length, 'column')}`;
}

function cutNote(p: Prepared): string | undefined {
  return p.shown < p.total ? `showing ${count(p.shown)} of ${plural(p.total, 'row')}` : undefined;
}

/** A Date as an ISO date, with the time only when it is not midnight UTC. */
function isoDate(d: Date): string {
  if (Number.isNaN(d.getTime())) return 'Invalid Date';
  const iso = d.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

function cut(text: string, maxWidth: number): string {
  return text.length > maxWidth ? `${text.slice(0, Math.max(1, maxWidth - 1))}…` : text;
}

/** The text of one cell, or `undefined` for null/undefined (shown distinctly). */
function cellText(value: unknown, maxWidth: number): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return isoDate(value);
  if (typeof value === 'string') return cut(value, maxWidth);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') {
    try {
      return cut(
        JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value),
        maxWidth,
      );
    } catch {
      return cut(String(value), maxWidth);
    }
  }
  return String(value);
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @param text - any text.
 * @returns the text with `& < > " '` replaced by entities.
 * @example
 * escapeHTML('<img src=x onerror=alert(1)>'); // '&lt;img src=x onerror=alert(1)&gt;'
 */
export function escapeHTML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);
}

const tableStyle = [
  '.csvs-table{border-collapse:collapse;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:4px 0}',
  '.csvs-table th,.csvs-table td{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top;white-space:pre}',
  '.csvs-table td.csvs-num{text-align:right}',
  '.csvs-table th small{display:block;color:#888;font-weight:normal}',
  '.csvs-null{color:#aaa;font-style:italic}',
  '.csvs-caption{font:12px sans-serif;color:#555;margin:2px 0}',
].join('');

/**
 * Renders a table as an HTML fragment: its shape and column types, at most
 * `limit` rows with a note of what was cut, every value and every column name
 * escaped, Dates as ISO dates and null shown in grey italics.
 *
 * @param table - an arquero table.
 * @param options - row limit and title.
 * @returns an HTML string (a `<div>` holding a caption and a `<table>`).
 * @example
 * tableToHTML(aq.table({ x: [1, 2] })); // '<div class="csvs">…2 rows × 1 column…</div>'
 */
export function tableToHTML(table: ColumnTable, options?: ShowOptions): string {
  assertTable(table, 'tableToHTML');
  const p = prepare(table, limitOf(options, 'tableToHTML'));
  const maxWidth = options?.maxWidth ?? 200;
  const numeric = p.types.map((t) => t === 'number' || t === 'bigint');
  const head = p.names
    .map(
      (name, i) =>
        `<th title="${escapeHTML(name)}">${escapeHTML(name)}<small>${escapeHTML(p.types[i] ?? '')}</small></th>`,
    )
    .join('');
  const body = p.rows
    .map((row) => {
      const cells = row.map((value, i) => {
        const text = cellText(value, maxWidth);
        if (text === undefined) return `<td class="csvs-null">${value === null ? 'null' : 'undefined'}</td>`;
        return numeric[i] ? `<td class="csvs-num">${escapeHTML(text)}</td>` : `<td>${escapeHTML(text)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const note = cutNote(p);
  const caption = [options?.title, shapeOf(p), note]
    .filter((s): s is string => Boolean(s))
    .map(escapeHTML)
    .join(' · ');
  return (
    `<div class="csvs"><style>${tableStyle}</style>` +
    `<div class="csvs-caption">${caption}</div>` +
    `<table class="csvs-table"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>` +
    (note ? `<div class="csvs-caption">… ${escapeHTML(note)}</div>` : '') +
    '</div>'
  );
}

/** Display width of a string: one per code point (good enough for tables in a terminal). */
function width(text: string): number {
  return [...text].length;
}

/**
 * Renders a table as plain text: a shape line, a header with the column types,
 * at most `limit` rows (numbers right-aligned, null as `null`) and a note of
 * what was cut.
 *
 * @param table - an arquero table.
 * @param options - row limit and title.
 * @returns the text, lines separated by "\n", without a trailing newline.
 * @example
 * console.log(formatTable(aq.table({ x: [1, 2] })));
 * // 2 rows × 1 column
 * // x
 * // number
 * // ──────
 * //      1
 * //      2
 */
export function formatTable(table: ColumnTable, options?: ShowOptions): string {
  assertTable(table, 'formatTable');
  const p = prepare(table, limitOf(options, 'formatTable'));
  const maxWidth = options?.maxWidth ?? 40;
  const grid = p.rows.map((row) => row.map((value) => cellText(value, maxWidth)?.replace(/\r?\n/g, '↵') ?? 'null'));
  const names = p.names.map((n) => cut(n.replace(/\r?\n/g, '↵'), maxWidth));
  const widths = names.map((name, i) =>
    Math.max(width(name), width(p.types[i] ?? ''), ...grid.map((row) => width(row[i] ?? ''))),
  );
  const pad = (text: string, i: number, right: boolean): string => {
    const fill = ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(text)));
    return right ? fill + text : text + fill;
  };
  const numeric = p.types.map((t) => t === 'number' || t === 'bigint');
  const line = (cells: string[], alignNumbers: boolean): string =>
    cells
      .map((cell, i) => pad(cell, i, alignNumbers && (numeric[i] ?? false)))
      .join('  ')
      .trimEnd();
  const lines: string[] = [];
  lines.push([options?.title, shapeOf(p)].filter(Boolean).join(' · '));
  if (p.names.length > 0) {
    lines.push(line(names, false), line(p.types, false), widths.map((w) => '─'.repeat(w)).join('  '));
    for (const row of grid) lines.push(line(row, true));
  }
  const note = cutNote(p);
  if (note) lines.push(`… ${note}`);
  return lines.join('\n');
}

/**
 * Shows a table: in a notebook as an HTML table (with a text/plain fallback),
 * elsewhere as a text table on stdout.
 *
 * @param table - an arquero table.
 * @param options - row limit (default 20) and title.
 * @example
 * show(students.orderby('grade'), { limit: 5 });
 */
export function show(table: ColumnTable, options?: ShowOptions): void {
  assertTable(table, 'show');
  const text = formatTable(table, options);
  if (isNotebook()) {
    new DisplayHandle().show({ 'text/html': tableToHTML(table, options), 'text/plain': text });
  } else {
    console.log(text);
  }
}

// ─────────────────────────── status and progress ───────────────────────────

/** What the server's status display shows. */
export interface ServerStatus {
  /** Where clients connect (without the token). */
  url: string;
  /** The token clients must present; shown so a user can copy the full URL. */
  token?: string;
  /** Connected clients right now. */
  clients: number;
  /** Every dataset received so far. */
  datasets: Array<{ name: string; rows: number; columns: number }>;
  /** Recent events, oldest first (the display keeps the last 8). */
  events: string[];
}

/** A display updated in place; see {@link createStatusDisplay}. */
export interface StatusDisplay {
  /** Redraws the one status display (a no-op outside a notebook). */
  update(state: ServerStatus): void;
  /** Shows the display again in the cell running now, e.g. when a serve() cell re-runs; all copies keep updating. */
  attach(): void;
}

function statusBundle(s: ServerStatus | undefined): MimeBundle {
  if (!s)
    return {
      'text/plain': 'csvsocket server: starting…',
      'text/html': '<div class="csvs-status">csvsocket server: starting…</div>',
    };
  const full = s.token ? `${s.url}${s.url.includes('?') ? '&' : '?'}token=${encodeURIComponent(s.token)}` : s.url;
  const events = s.events.slice(-8);
  const text = [
    `csvsocket server: ${full}`,
    `clients: ${s.clients} · datasets: ${s.datasets.length}`,
    ...s.datasets.map((d) => `  ${d.name}: ${plural(d.rows, 'row')} × ${plural(d.columns, 'column')}`),
    ...events.map((e) => `  · ${e}`),
  ].join('\n');
  const datasets = s.datasets
    .map(
      (d) => `<li><code>${escapeHTML(d.name)}</code> — ${plural(d.rows, 'row')} × ${plural(d.columns, 'column')}</li>`,
    )
    .join('');
  const html =
    '<div class="csvs-status" style="font:12px sans-serif;border-left:3px solid #4c78a8;padding:4px 8px">' +
    `<div><b>csvsocket server</b> <code>${escapeHTML(full)}</code></div>` +
    `<div>clients: ${s.clients} · datasets: ${s.datasets.length}</div>` +
    (datasets ? `<ul style="margin:2px 0">${datasets}</ul>` : '') +
    (events.length ? `<div style="color:#666">${events.map(escapeHTML).join('<br>')}</div>` : '') +
    '</div>';
  return { 'text/plain': text, 'text/html': html };
}

/**
 * Creates the server's status display in the cell running now: URL and token,
 * connected clients, datasets received and recent events, updated in place
 * (one display_id), so background events never print into another cell.
 * Outside a notebook it does nothing; the CLI prints its own lines.
 *
 * @returns the display; call `update(state)` from any callback.
 * @example
 * const status = createStatusDisplay();
 * status.update({ url: server.url, clients: 0, datasets: [], events: ['listening'] });
 */
export function createStatusDisplay(): StatusDisplay {
  if (!isNotebook()) return { update() {}, attach() {} };
  const handle = new DisplayHandle();
  let last: ServerStatus | undefined;
  handle.show(statusBundle(last));
  refreshAtCellEnd(() => {
    if (last) handle.update(statusBundle(last));
  });
  return {
    update(state) {
      last = { ...state, datasets: [...state.datasets], events: [...state.events] };
      handle.update(statusBundle(last));
    },
    attach() {
      handle.show(statusBundle(last));
    },
  };
}

/** A progress bar updated in place; see {@link createProgressDisplay}. */
export interface ProgressDisplay {
  /** Sets the bytes done so far; redraws at most every 100 ms. */
  update(bytes: number): void;
  /** Marks the work finished and draws the final state. */
  done(): void;
}

function progressBundle(label: string, bytes: number, total: number, finished: boolean): MimeBundle {
  const fraction = total > 0 ? Math.min(1, bytes / total) : finished ? 1 : 0;
  const percent = Math.round(fraction * 100);
  const summary = `${percent}% (${formatBytes(bytes)} of ${formatBytes(total)})${finished ? ' ✓' : ''}`;
  const bar = `${'█'.repeat(Math.round(fraction * 30))}${'░'.repeat(30 - Math.round(fraction * 30))}`;
  return {
    'text/plain': `${label} ${bar} ${summary}`,
    'text/html':
      '<div class="csvs-progress" style="font:12px sans-serif">' +
      `<span>${escapeHTML(label)}</span> ` +
      '<span style="display:inline-block;width:200px;height:10px;background:#eee;vertical-align:middle">' +
      `<span style="display:block;height:10px;width:${(fraction * 100).toFixed(1)}%;background:#4c78a8"></span></span> ` +
      `<span>${escapeHTML(summary)}</span></div>`,
  };
}

/**
 * Creates a progress bar in the cell running now, updated in place.
 * Outside a notebook it does nothing (the CLI draws its own bar).
 *
 * @param label - what is being transferred, e.g. the file name.
 * @param totalBytes - the expected size; 0 when unknown.
 * @returns the display.
 * @example
 * const progress = createProgressDisplay('students.csv', size);
 * stream.on('data', (chunk) => progress.update((done += chunk.length)));
 * stream.on('end', () => progress.done());
 */
export function createProgressDisplay(label: string, totalBytes: number): ProgressDisplay {
  if (!isNotebook()) return { update() {}, done() {} };
  const handle = new DisplayHandle();
  let bytes = 0;
  let drawnAt = 0;
  let finished = false;
  handle.show(progressBundle(label, 0, totalBytes, false));
  return {
    update(n) {
      if (finished) return;
      bytes = n;
      const now = Date.now();
      if (now - drawnAt < 100) return;
      drawnAt = now;
      handle.update(progressBundle(label, bytes, totalBytes, false));
    },
    done() {
      if (finished) return;
      finished = true;
      handle.update(progressBundle(label, Math.max(bytes, totalBytes), totalBytes, true));
    },
  };
}
