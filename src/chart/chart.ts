/**
 * Vega-lite charts of arquero tables, rendered to SVG in the process itself.
 *
 *   table + spec ─ validate ─ reduce ─────────── inline ──────── render ──▶ { svg, spec, note }
 *                  (throws)   (aggregate or      (values, types  (vega-lite → vega
 *                              sample > max)      inferred)       → SVG, lazy import)
 *
 * vega and vega-lite are ES modules whose graph holds a top-level await
 * (vega-canvas awaits `import('canvas')`), which `require` cannot load, and
 * tslab compiles cells to CommonJS. So they are loaded with a real `import()`
 * the first time a chart renders, never when "csvsocket" is imported.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import type { ColumnTable } from 'arquero';
import { ArgumentError, CsvSocketError, ErrorCode } from '../errors.js';
import { columnType, DisplayHandle, escapeHTML, holdCellUntil, isNotebook } from '../notebook/display.js';

/** One encoding channel of a vega-lite spec (the part csvsocket reads; any other key passes through). */
export interface ChannelDef {
  /** The column to encode. */
  field?: string;
  /** "quantitative", "temporal", "ordinal" or "nominal"; inferred from the column when missing. */
  type?: string;
  /** An aggregate such as "count", "sum" or "mean". */
  aggregate?: string;
  /** Bin the field: `true` or `{ maxbins }`. */
  bin?: unknown;
  /** A time unit such as "month". */
  timeUnit?: string;
  /** The axis or legend title. */
  title?: string;
  [key: string]: unknown;
}

/** A vega-lite spec; its data comes from the table, so `data` is ignored. */
export interface ChartSpec {
  /** The mark: "bar", "line", "point", … or `{ type: "bar", … }`. */
  mark?: string | { type: string; [key: string]: unknown };
  /** Channel → definition. */
  encoding?: Record<string, ChannelDef | ChannelDef[] | undefined>;
  /** A title, or `{ text, subtitle }`. */
  title?: string | { text?: string; subtitle?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** What {@link renderChart} produces. */
export interface ChartResult {
  /** The chart as a standalone SVG document. */
  svg: string;
  /** The vega-lite spec that was rendered, its data inlined as JSON-safe values (Dates as ISO strings). */
  spec: ChartSpec;
  /** Why the data was reduced, e.g. "sampled 5,000 of 100,000 rows (every 20th row)"; shown on the chart too. */
  note?: string;
  /** How many data rows the spec carries. */
  rows: number;
}

/** Options of {@link renderChart}. */
export interface RenderOptions {
  /** Most rows inlined in a chart; a larger table is aggregated (when the spec aggregates) or sampled. @default 5000 */
  maxPoints?: number;
}

/** Options of {@link chart}. */
export interface ChartOptions extends RenderOptions {
  /** Outside a notebook: the SVG file to write. @default `chart-<n>.svg` in the current directory */
  file?: string;
}

/** Options of the shorthands `chart.bar`, `chart.line`, `chart.point` and `chart.histogram`. */
export interface ShorthandOptions extends ChartOptions {
  /** A column to colour the marks by. */
  color?: string;
  /** The chart title. */
  title?: string;
}

const defaultMaxPoints = 5000;

// ─────────────────────────────── validate ───────────────────────────────

function bad(message: string): ArgumentError {
  return new ArgumentError(ErrorCode.BAD_ARGUMENT, message);
}

function validate(table: unknown, spec: unknown, options: RenderOptions | undefined, fn: string): void {
  const t = table as Partial<ColumnTable> | null;
  if (!t || typeof t.numRows !== 'function' || typeof t.columnNames !== 'function') {
    throw bad(`${fn}(table, spec) expects an arquero table first, got ${t === null ? 'null' : typeof t}`);
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
    throw bad(
      `${fn}(table, spec) expects a vega-lite spec object such as { mark: "bar", encoding: {…} }, got ${Array.isArray(spec) ? 'an array' : typeof spec}`,
    );
  }
  const s = spec as ChartSpec;
  const views = ['mark', 'layer', 'hconcat', 'vconcat', 'concat', 'facet', 'repeat'];
  if (!views.some((key) => key in s)) {
    throw bad(`${fn}: the spec has no "mark" (or layer/concat/facet/repeat); add e.g. mark: "bar"`);
  }
  const columns = new Set((table as ColumnTable).columnNames());
  for (const [channel, def] of Object.entries(s.encoding ?? {})) {
    for (const d of Array.isArray(def) ? def : [def]) {
      if (d && typeof d.field === 'string' && !columns.has(d.field) && !d.field.includes('.') && !hasTransform(s)) {
        throw bad(
          `${fn}: encoding.${channel}.field "${d.field}" is not a column; the columns are ${[...columns].map((c) => `"${c}"`).join(', ')}`,
        );
      }
    }
  }
  const max = options?.maxPoints;
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw bad(`${fn}: maxPoints must be a whole number ≥ 1, got ${String(max)}`);
  }
}

function hasTransform(spec: ChartSpec): boolean {
  return Array.isArray(spec.transform) && spec.transform.length > 0;
}

function markType(spec: ChartSpec): string | undefined {
  return typeof spec.mark === 'string' ? spec.mark : spec.mark?.type;
}

// ──────────────────────────────── reduce ────────────────────────────────

type Row = Record<string, unknown>;

interface Reduced {
  rows: Row[];
  spec: ChartSpec;
  note?: string;
}

const count = (n: number): string => new Intl.NumberFormat('en-US').format(n);

/** The table's rows in order as plain objects (safe for any column name, `__proto__` included). */
function rowsOf(table: ColumnTable, every = 1): Row[] {
  const names = table.columnNames();
  const columns = names.map((name) => table.column(name));
  const rows: Row[] = [];
  let i = 0;
  table.scan((row) => {
    if (i++ % every !== 0) return;
    rows.push(Object.fromEntries(names.map((name, c) => [name, columns[c]?.at(row as number)])));
  }, true);
  return rows;
}

function reduce(table: ColumnTable, spec: ChartSpec, maxPoints: number): Reduced {
  const total = table.numRows();
  if (total <= maxPoints) return { rows: rowsOf(table), spec };
  const aggregated = aggregate(table, spec);
  if (aggregated && aggregated.rows.length <= maxPoints) {
    return {
      ...aggregated,
      note: `aggregated ${count(total)} rows into ${count(aggregated.rows.length)} before drawing`,
    };
  }
  const every = Math.ceil(total / maxPoints);
  const rows = rowsOf(table, every);
  return {
    rows,
    spec,
    note: `sampled ${count(rows.length)} of ${count(total)} rows (every ${ordinal(every)} row) for a readable chart`,
  };
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${count(n)}${suffix}`;
}

const aggregateOps = new Set([
  'count',
  'valid',
  'missing',
  'distinct',
  'sum',
  'mean',
  'average',
  'min',
  'max',
  'median',
]);
const opTitles: Record<string, string> = {
  valid: 'Count of valid',
  missing: 'Count of missing',
  distinct: 'Distinct of',
  sum: 'Sum of',
  mean: 'Mean of',
  average: 'Mean of',
  min: 'Min of',
  max: 'Max of',
  median: 'Median of',
};

interface Plan {
  keys: Array<{ channel: string; field: string }>;
  bins: Array<{ channel: string; field: string; def: ChannelDef; start: number; step: number }>;
  aggs: Array<{ channel: string; field: string | undefined; op: string; def: ChannelDef; name: string }>;
}

/**
 * Computes a single-view spec's aggregates with plain loops, exactly as vega-lite
 * would, and rewrites the spec to plot the result; `undefined` when the spec uses
 * something this does not reproduce (transforms, time units, layers, …).
 */
function aggregate(table: ColumnTable, spec: ChartSpec): { rows: Row[]; spec: ChartSpec } | undefined {
  if (!spec.mark || !spec.encoding || hasTransform(spec) || 'layer' in spec || 'facet' in spec || 'repeat' in spec)
    return undefined;
  const plan: Plan = { keys: [], bins: [], aggs: [] };
  const encoding = spec.encoding;
  for (const [channel, def] of Object.entries(encoding)) {
    if (def === undefined) continue;
    if (Array.isArray(def) || typeof def !== 'object' || def.timeUnit !== undefined) return undefined;
    const field = def.field;
    if (def.aggregate !== undefined) {
      if (typeof def.aggregate !== 'string' || !aggregateOps.has(def.aggregate) || def.bin) return undefined;
      if (field === undefined && def.aggregate !== 'count') return undefined;
      if (
        field !== undefined &&
        !['count', 'valid', 'missing', 'distinct'].includes(def.aggregate) &&
        columnType(table, field) !== 'number'
      )
        return undefined;
      plan.aggs.push({ channel, field, op: def.aggregate, def, name: `__${def.aggregate}_${channel}` });
    } else if (def.bin) {
      const options = def.bin === true ? {} : def.bin;
      if (typeof field !== 'string' || typeof options !== 'object' || columnType(table, field) !== 'number')
        return undefined;
      const extra = Object.keys(options as object).filter((k) => k !== 'maxbins');
      const partner = channel === 'x' ? 'x2' : channel === 'y' ? 'y2' : undefined;
      if (extra.length > 0 || partner === undefined || encoding[partner] !== undefined) return undefined;
      const maxbins = (options as { maxbins?: unknown }).maxbins;
      const values = table.array(field, Array) as unknown[];
      const nums = values.filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
      if (nums.length === 0) return undefined;
      const { start, step } = binning(Math.min(...nums), Math.max(...nums), typeof maxbins === 'number' ? maxbins : 10);
      plan.bins.push({ channel, field, def, start, step });
    } else if (typeof field === 'string') {
      plan.keys.push({ channel, field });
    }
  }
  if (plan.aggs.length === 0) return undefined;
  return { rows: group(table, plan), spec: rewrite(spec, plan) };
}

/** Vega's bin step: a power of ten divided by 5 or 2, so that at most `maxbins` bins span [min, max]. */
export function binning(min: number, max: number, maxbins: number): { start: number; stop: number; step: number } {
  const span = max - min || Math.abs(min) || 1;
  let step = 10 ** Math.ceil(Math.log10(span / maxbins));
  for (const div of [5, 2]) {
    if (Math.ceil(span / (step / div)) <= maxbins) {
      step /= div;
      break;
    }
  }
  const start = Math.floor(min / step) * step;
  let stop = Math.ceil(max / step) * step;
  if (stop <= max) stop += step;
  return { start, stop, step };
}

function group(table: ColumnTable, plan: Plan): Row[] {
  interface Group {
    key: unknown[];
    values: unknown[][];
    n: number;
  }
  const groups = new Map<string, Group>();
  const keyColumns = plan.keys.map((k) => table.column(k.field));
  const binColumns = plan.bins.map((b) => table.column(b.field));
  const aggColumns = plan.aggs.map((a) => (a.field === undefined ? undefined : table.column(a.field)));
  table.scan((r) => {
    const row = r as number;
    const key: unknown[] = keyColumns.map((c) => normalizeKey(c?.at(row)));
    for (const [i, b] of plan.bins.entries()) {
      const v = binColumns[i]?.at(row);
      if (typeof v !== 'number' || Number.isNaN(v)) return; // vega-lite filters invalid binned values
      key.push(b.start + Math.floor((v - b.start) / b.step) * b.step);
    }
    const id = JSON.stringify(key);
    let g = groups.get(id);
    if (!g) {
      g = { key, values: plan.aggs.map(() => []), n: 0 };
      groups.set(id, g);
    }
    g.n++;
    for (const [i, column] of aggColumns.entries()) if (column) g.values[i]?.push(column.at(row));
  }, true);
  const rows: Row[] = [];
  for (const g of groups.values()) {
    const entries: Array<[string, unknown]> = plan.keys.map((k, i) => [k.field, g.key[i]]);
    for (const [i, b] of plan.bins.entries()) {
      const start = g.key[plan.keys.length + i] as number;
      entries.push([`__bin_${b.channel}`, start], [`__bin_end_${b.channel}`, start + b.step]);
    }
    for (const [i, a] of plan.aggs.entries()) entries.push([a.name, reduceValues(a.op, g.values[i] ?? [], g.n)]);
    rows.push(Object.fromEntries(entries));
  }
  return rows;
}

/** Dates group by their time, not their identity. */
function normalizeKey(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

function reduceValues(op: string, values: unknown[], n: number): number | null {
  const valid = values.filter((v) => v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v)));
  const nums = valid.map(Number);
  switch (op) {
    case 'count':
      return n;
    case 'valid':
      return valid.length;
    case 'missing':
      return n - valid.length;
    case 'distinct':
      return new Set(values.map(normalizeKey)).size;
    case 'sum':
      return nums.reduce((a, b) => a + b, 0);
    case 'mean':
    case 'average':
      return nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : null;
    case 'min':
      return nums.length ? Math.min(...nums) : null;
    case 'max':
      return nums.length ? Math.max(...nums) : null;
    default: {
      if (!nums.length) return null;
      const sorted = nums.sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    }
  }
}

function rewrite(spec: ChartSpec, plan: Plan): ChartSpec {
  const encoding: Record<string, ChannelDef | ChannelDef[] | undefined> = { ...spec.encoding };
  for (const b of plan.bins) {
    const { bin: _bin, ...rest } = b.def;
    encoding[b.channel] = {
      ...rest,
      field: `__bin_${b.channel}`,
      bin: { binned: true, step: b.step },
      type: 'quantitative',
      title: b.def.title ?? b.field,
    };
    encoding[b.channel === 'x' ? 'x2' : 'y2'] = { field: `__bin_end_${b.channel}` };
  }
  for (const a of plan.aggs) {
    const { aggregate: _aggregate, ...rest } = a.def;
    const title = a.def.title ?? (a.op === 'count' ? 'Count of Records' : `${opTitles[a.op] ?? a.op} ${a.field ?? ''}`);
    encoding[a.channel] = { ...rest, field: a.name, type: 'quantitative', title };
  }
  return { ...spec, encoding };
}

// ──────────────────────────────── inline ────────────────────────────────

const isoDateLike = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The vega-lite type of a column: number → quantitative, Date (or ISO date text) → temporal, else nominal. */
function inferType(rows: Row[], field: string): string | undefined {
  let kind: string | undefined;
  for (const row of rows) {
    const v = row[field];
    if (v === null || v === undefined) continue;
    const k =
      typeof v === 'number' || typeof v === 'bigint'
        ? 'quantitative'
        : v instanceof Date || (typeof v === 'string' && isoDateLike.test(v))
          ? 'temporal'
          : 'nominal';
    if (kind !== undefined && kind !== k) return 'nominal';
    kind = k;
  }
  return kind;
}

function withTypes(encoding: ChartSpec['encoding'], rows: Row[]): ChartSpec['encoding'] {
  if (!encoding) return encoding;
  const fill = (def: ChannelDef): ChannelDef => {
    if (def.type !== undefined || typeof def.field !== 'string') return def;
    const type = def.bin ? 'quantitative' : def.timeUnit ? 'temporal' : inferType(rows, def.field);
    return type ? { ...def, type } : def;
  };
  return Object.fromEntries(
    Object.entries(encoding).map(([channel, def]) => [
      channel,
      def === undefined ? def : Array.isArray(def) ? def.map(fill) : fill(def),
    ]),
  );
}

function jsonValue(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

function withNote(spec: ChartSpec, note: string | undefined): ChartSpec {
  if (!note) return spec;
  const title = spec.title;
  if (title === undefined || title === '') {
    return { ...spec, title: { text: note, fontSize: 11, fontWeight: 'normal', color: '#666', anchor: 'start' } };
  }
  const t = typeof title === 'string' ? { text: title } : title;
  return { ...spec, title: { ...t, subtitle: t.subtitle ? `${t.subtitle} · ${note}` : note } };
}

function inline(reduced: Reduced): ChartSpec {
  const { data: _data, ...rest } = reduced.spec;
  const values = reduced.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, jsonValue(v)])));
  const spec: ChartSpec = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...rest, data: { values } };
  if (values.length > 1000) {
    // Vega labels every mark for screen readers: a third of the SVG of a large scatter plot.
    const config = rest.config && typeof rest.config === 'object' ? (rest.config as Record<string, unknown>) : {};
    if (config.aria === undefined) spec.config = { ...config, aria: false };
  }
  const encoding = withTypes(rest.encoding, reduced.rows);
  if (encoding !== undefined) spec.encoding = encoding;
  if (Array.isArray(rest.layer)) {
    spec.layer = rest.layer.map((layer: unknown) =>
      layer && typeof layer === 'object' && 'encoding' in layer
        ? { ...layer, encoding: withTypes((layer as ChartSpec).encoding, reduced.rows) }
        : layer,
    );
  }
  return withNote(spec, reduced.note);
}

// ──────────────────────────────── render ────────────────────────────────

interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}
interface VegaView {
  toSVG(): Promise<string>;
  finalize(): void;
}
interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: string }) => VegaView;
}

let engines: Promise<{ vl: VegaLiteModule; vega: VegaModule }> | undefined;

/** Loads vega-lite and vega once, with a real dynamic import (see the top of this file). */
function loadEngines(): Promise<{ vl: VegaLiteModule; vega: VegaModule }> {
  engines ??= Promise.all([import('vega-lite'), import('vega')]).then(
    ([vl, vega]) => ({ vl: vl as unknown as VegaLiteModule, vega: vega as unknown as VegaModule }),
    (err: unknown) => {
      engines = undefined;
      throw new CsvSocketError(
        ErrorCode.INTERNAL,
        `charts need the packages "vega" and "vega-lite", which failed to load: ${String(err)}`,
        {},
        { cause: err },
      );
    },
  );
  return engines;
}

/**
 * Renders a vega-lite spec of a table to SVG, in this process, without a browser.
 * The table's rows become the spec's inline data; a missing `type` is inferred
 * (number → quantitative, Date or ISO date text → temporal, else nominal); a table
 * longer than `maxPoints` is aggregated exactly when the spec aggregates (count,
 * sum, mean, bins, …) and otherwise sampled every k-th row, with a note on the chart.
 *
 * @param table - an arquero table.
 * @param spec - a vega-lite spec without data.
 * @param options - `maxPoints` (default 5000).
 * @returns the SVG, the spec with its data, and the note when the data was reduced.
 * @example
 * const { svg } = await renderChart(students, { mark: 'bar', encoding: { x: { field: 'name' }, y: { field: 'grade' } } });
 */
export async function renderChart(table: ColumnTable, spec: ChartSpec, options?: RenderOptions): Promise<ChartResult> {
  validate(table, spec, options, 'renderChart');
  return render(table, spec, options);
}

async function render(table: ColumnTable, spec: ChartSpec, options: RenderOptions | undefined): Promise<ChartResult> {
  const reduced = reduce(table, spec, options?.maxPoints ?? defaultMaxPoints);
  const full = inline(reduced);
  const { vl, vega } = await loadEngines();
  let compiled: unknown;
  try {
    compiled = vl.compile(full).spec;
  } catch (err) {
    throw new CsvSocketError(
      ErrorCode.BAD_ARGUMENT,
      `the vega-lite spec does not compile: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const result: ChartResult = { svg, spec: full, rows: reduced.rows.length };
    if (reduced.note) result.note = reduced.note;
    return result;
  } finally {
    view.finalize();
  }
}

// ──────────────────────────────── display ────────────────────────────────

function describeChart(result: ChartResult | undefined, spec: ChartSpec): string {
  const fields = Object.entries(spec.encoding ?? {})
    .flatMap(([channel, def]) => (def && !Array.isArray(def) && def.field ? [`${channel}=${def.field}`] : []))
    .join(', ');
  const rows = result ? `, ${count(result.rows)} rows` : '';
  return `chart: ${markType(spec) ?? 'composite'}${fields ? ` (${fields})` : ''}${rows}${result?.note ? ` — ${result.note}` : ''}`;
}

/**
 * The display bundle of a chart: HTML with the inline SVG (nbconvert keeps it;
 * a bare image/svg+xml output is blanked by its HTML export), the vega-lite spec
 * with its data (for front ends that render vega-lite), and a text summary.
 */
export function chartBundle(result: ChartResult, spec: ChartSpec): Record<string, string> {
  const note = result.note
    ? `<div class="csvs-note" style="font:11px sans-serif;color:#666">${escapeHTML(result.note)}</div>`
    : '';
  return {
    'text/html': `<div class="csvs-chart">${result.svg}${note}</div>`,
    'application/vnd.vegalite.v5+json': JSON.stringify(result.spec),
    'text/plain': describeChart(result, spec),
  };
}

let fileCounter = 0;

function chartImpl(table: ColumnTable, spec: ChartSpec, options?: ChartOptions): Promise<string | undefined> {
  validate(table, spec, options, 'chart');
  const work = isNotebook() ? displayChart(table, spec, options) : writeChart(table, spec, options);
  // A chart the caller does not await must never become an unhandled rejection
  // (it would end the kernel); its failure is shown in its display instead.
  work.catch(() => {});
  // tslab prints a cell's last value; "Promise { <pending> }" under every chart is noise.
  Object.defineProperty(work, inspect.custom, { value: () => '' });
  return work;
}

function displayChart(table: ColumnTable, spec: ChartSpec, options: ChartOptions | undefined): Promise<undefined> {
  // Created now, while the calling cell runs, so the chart lands in that cell.
  const handle = new DisplayHandle();
  handle.show({ 'text/plain': `${describeChart(undefined, spec)} — rendering…` });
  const work = render(table, spec, options).then(
    (result) => {
      handle.update(chartBundle(result, spec));
      return undefined;
    },
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      handle.update({
        'text/plain': `chart failed: ${message}`,
        'text/html': `<pre class="csvs-error" style="color:#b00">chart failed: ${escapeHTML(message)}</pre>`,
      });
      throw err;
    },
  );
  holdCellUntil(work);
  return work;
}

async function writeChart(table: ColumnTable, spec: ChartSpec, options: ChartOptions | undefined): Promise<string> {
  const file = resolve(options?.file ?? `chart-${++fileCounter}.svg`);
  const result = await render(table, spec, options);
  await writeFile(file, result.svg);
  return file;
}

function shorthand(
  mark: string,
  table: ColumnTable,
  x: string,
  y: string | undefined,
  options: ShorthandOptions | undefined,
): Promise<string | undefined> {
  const encoding: Record<string, ChannelDef> = {
    x: { field: x },
    y: y === undefined ? { aggregate: 'count', type: 'quantitative' } : { field: y },
  };
  if (options?.color !== undefined) encoding.color = { field: options.color };
  const spec: ChartSpec = { mark: mark === 'point' ? { type: 'point', tooltip: true } : mark, encoding };
  if (options?.title !== undefined) spec.title = options.title;
  return chartImpl(table, spec, options);
}

/** {@link chart} and its shorthands. */
export interface ChartFunction {
  /**
   * Draws a vega-lite chart of a table. In a notebook the chart appears in the
   * calling cell (awaited or not) as one display bundle: HTML with the inline
   * SVG, the vega-lite JSON and a text summary. Elsewhere it writes an SVG file.
   *
   * @param table - an arquero table; its rows become the chart's data.
   * @param spec - a vega-lite spec without data; missing types are inferred.
   * @param options - `file` (outside a notebook, default `chart-<n>.svg`) and `maxPoints` (default 5000).
   * @returns in a notebook, `undefined` once the chart is shown; elsewhere the absolute path of the SVG file.
   * @example
   * chart(students.groupby('grade').count(), { mark: 'bar', encoding: { x: { field: 'grade' }, y: { field: 'count' } } });
   */
  (table: ColumnTable, spec: ChartSpec, options?: ChartOptions): Promise<string | undefined>;
  /**
   * Bar chart of `y` by `x`; without `y`, the count of rows per `x`.
   * @example chart.bar(students, 'grade');
   */
  bar(table: ColumnTable, x: string, y?: string, options?: ShorthandOptions): Promise<string | undefined>;
  /**
   * Line chart of `y` over `x`.
   * @example chart.line(weather, 'date', 'temp_max');
   */
  line(table: ColumnTable, x: string, y: string, options?: ShorthandOptions): Promise<string | undefined>;
  /**
   * Scatter plot of `y` against `x`.
   * @example chart.point(weather, 'temp_min', 'temp_max', { color: 'weather' });
   */
  point(table: ColumnTable, x: string, y: string, options?: ShorthandOptions): Promise<string | undefined>;
  /**
   * Histogram of a numeric column (binned, counted).
   * @example chart.histogram(weather, 'precipitation');
   */
  histogram(table: ColumnTable, field: string, options?: ShorthandOptions): Promise<string | undefined>;
}

/**
 * Draws a vega-lite chart of a table: inline in a notebook, an SVG file elsewhere.
 * See {@link ChartFunction} for the shorthands `chart.bar`, `chart.line`,
 * `chart.point` and `chart.histogram`.
 *
 * @example
 * chart(students, { mark: 'point', encoding: { x: { field: 'age' }, y: { field: 'grade' } } });
 * chart.histogram(students, 'grade');
 */
export const chart: ChartFunction = Object.assign(chartImpl, {
  bar: (table: ColumnTable, x: string, y?: string, options?: ShorthandOptions) =>
    shorthand('bar', table, x, y, options),
  line: (table: ColumnTable, x: string, y: string, options?: ShorthandOptions) =>
    shorthand('line', table, x, y, options),
  point: (table: ColumnTable, x: string, y: string, options?: ShorthandOptions) =>
    shorthand('point', table, x, y, options),
  histogram: (table: ColumnTable, field: string, options?: ShorthandOptions) => {
    const spec: ChartSpec = {
      mark: 'bar',
      encoding: {
        x: { field, bin: { maxbins: 20 }, type: 'quantitative' },
        y: { aggregate: 'count', type: 'quantitative' },
      },
    };
    if (options?.title !== undefined) spec.title = options.title;
    if (options?.color !== undefined && spec.encoding) spec.encoding.color = { field: options.color };
    return chartImpl(table, spec, options);
  },
});
