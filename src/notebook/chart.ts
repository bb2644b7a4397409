/**
 * `chart()`: a vega-lite chart of a table, shown in the calling notebook cell
 * (or written to an SVG file outside a notebook). Rendering is chart/'s job;
 * this module only displays its bundle.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import type { ColumnTable } from 'arquero';
import {
  type ChannelDef,
  type ChartSpec,
  chartBundle,
  checkChart,
  describeChart,
  type RenderOptions,
  renderChecked,
} from '../chart/chart.js';
import { DisplayHandle, escapeHTML } from './display.js';
import { holdCellUntil, isNotebook, quietValue } from './kernel.js';

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

let fileCounter = 0;

function chartImpl(table: ColumnTable, spec: ChartSpec, options?: ChartOptions): Promise<string | undefined> {
  checkChart(table, spec, options, 'chart');
  const work = isNotebook() ? displayChart(table, spec, options) : writeChart(table, spec, options);
  // A chart the caller does not await must never become an unhandled rejection
  // (it would end the kernel); its failure is shown in its display instead.
  work.catch(() => {});
  // tslab prints a cell's last value: neither "Promise { <pending> }" nor an empty line under a chart
  Object.defineProperty(work, inspect.custom, { value: quietValue });
  return work;
}

function displayChart(table: ColumnTable, spec: ChartSpec, options: ChartOptions | undefined): Promise<undefined> {
  // Created now, while the calling cell runs, so the chart lands in that cell.
  const handle = new DisplayHandle();
  handle.show({ 'text/plain': `${describeChart(undefined, spec)} — rendering…` });
  const work = renderChecked(table, spec, options).then(
    (result) => {
      handle.update(chartBundle(result, spec));
      return undefined;
    },
    (err: unknown) => {
      const code = (err as { code?: unknown }).code;
      const message = `${typeof code === 'string' ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`;
      handle.update({
        'text/plain': `chart failed: ${message}`,
        'text/html': `<pre class="csvs-error" style="color:#b00;white-space:pre-wrap">chart failed: ${escapeHTML(message)}</pre>`,
      });
      throw err;
    },
  );
  holdCellUntil(work);
  return work;
}

async function writeChart(table: ColumnTable, spec: ChartSpec, options: ChartOptions | undefined): Promise<string> {
  const file = resolve(options?.file ?? `chart-${++fileCounter}.svg`);
  const result = await renderChecked(table, spec, options);
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
   * The spec is checked first (vega-lite's schema and the table's columns):
   * a mistake throws at once, naming its path and the nearest valid values.
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
