/**
 * Vega-lite charts of arquero tables, rendered to SVG in the process itself.
 *
 *   table + spec ─ check ──────────── types ─────────── reduce ─────────────── render ─────────▶ { svg, spec, note, warnings }
 *                  (schema, columns;  (inferred in      (arquero aggregates;   (vega-lite → vega → SVG,
 *                   throws)            every view)       raw rows sampled by    a <title> per mark with
 *                                                        group, or fails)       a tooltip, warnings kept)
 *
 * vega and vega-lite are ES modules whose graph holds a top-level await
 * (vega-canvas awaits `import('canvas')`), which `require` cannot load, and
 * tslab compiles cells to CommonJS. So they are loaded with a real `import()`
 * the first time a chart renders, never when "csvsocket" is imported.
 */
import type { ColumnTable } from 'arquero';
import { ArgumentError, CsvSocketError, ErrorCode } from '../errors.js';
import { checkChart } from './check.js';
import { withTypes } from './infer.js';
import { reduceData } from './reduce.js';
import type { ChartResult, ChartSpec, RenderOptions } from './types.js';

const defaultMaxPoints = 5000;

interface Logger {
  level(): number;
  warn(...args: unknown[]): Logger;
}
interface VegaLiteModule {
  compile(spec: unknown, options?: { logger?: Logger }): { spec: unknown };
}
interface VegaView {
  toSVG(): Promise<string>;
  runAsync(): Promise<unknown>;
  finalize(): void;
}
type RendererClass = new (
  loader: unknown,
) => {
  attr(scene: unknown, item: { tooltip?: unknown }, attrs: unknown, tag: string | null): Record<string, unknown>;
  svg(): string;
};
interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: Record<string, unknown>) => VegaView;
  SVGStringRenderer: RendererClass;
  renderModule(name: string, module?: Record<string, unknown>): Record<string, unknown>;
  logger(
    level: number,
    method: string | undefined,
    handler: (method: string, level: string, input: unknown[]) => void,
  ): Logger;
  Warn: number;
}

let engines: Promise<{ vl: VegaLiteModule; vega: VegaModule }> | undefined;

/** Loads vega-lite and vega once, with a real dynamic import (see the top of this file). */
function loadEngines(): Promise<{ vl: VegaLiteModule; vega: VegaModule }> {
  engines ??= Promise.all([import('vega-lite'), import('vega')]).then(
    ([vl, vega]) => {
      const engine = { vl: vl as unknown as VegaLiteModule, vega: vega as unknown as VegaModule };
      installTooltips(engine.vega);
      return engine;
    },
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
 * Vega's SVG string renderer writes no tooltip (its browser handler sets a
 * `title` attribute on hover, which a static SVG never gets). This subclass
 * marks each item that has a tooltip; the marks are then given a `<title>`
 * child, which browsers show on hover, offline and in an exported notebook.
 */
function installTooltips(vega: VegaModule): void {
  const Base = vega.SVGStringRenderer;
  class TooltipRenderer extends Base {
    tips: string[] = [];
    override attr(scene: unknown, item: { tooltip?: unknown }, attrs: unknown, tag: string | null) {
      const out = super.attr(scene, item, attrs, tag);
      if (tag && item.tooltip !== undefined && item.tooltip !== null && item.tooltip !== '') {
        out['data-csvs-tip'] = this.tips.push(tooltipText(item.tooltip)) - 1;
      }
      return out;
    }
    override svg(): string {
      const text = super.svg();
      if (!text || this.tips.length === 0) return text;
      return text.replace(
        /<(\w+)((?:[^>"]|"[^"]*")*?) data-csvs-tip="(\d+)"(\/?)>/g,
        (_m, tag, attrs, i, selfClosing) => {
          const title = `<title>${escapeXML(this.tips[Number(i)] ?? '')}</title>`;
          return selfClosing ? `<${tag}${attrs}>${title}</${tag}>` : `<${tag}${attrs}>${title}`;
        },
      );
    }
  }
  vega.renderModule('svg', { ...vega.renderModule('svg'), headless: TooltipRenderer });
}

/** A tooltip value as text: an object becomes one `key: value` line per entry, as vega-tooltip shows it. */
export function tooltipText(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
      .join('\n');
  }
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}

function escapeXML(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/**
 * Renders a vega-lite spec of a table to SVG, in this process, without a browser.
 * The spec is checked against vega-lite's schema and the table's columns first;
 * missing types are inferred in every view; what the spec aggregates (bin,
 * aggregate, time units) is computed on the table with arquero, and raw marks
 * past `maxPoints` are sampled keeping every group, with a note on the chart.
 *
 * @param table - an arquero table.
 * @param spec - a vega-lite spec without data.
 * @param options - `maxPoints` (default 5000).
 * @returns the SVG (a `<title>` on each mark with a tooltip), the spec with its data, the note and vega's warnings.
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` naming the path, the bad value and the nearest valid ones.
 * @throws LimitError `CSVS_LIMIT_ROWS` when raw marks cannot be sampled without changing the chart.
 * @example
 * const { svg } = await renderChart(students, { mark: 'bar', encoding: { x: { field: 'name' }, y: { field: 'grade' } } });
 */
export async function renderChart(table: ColumnTable, spec: ChartSpec, options?: RenderOptions): Promise<ChartResult> {
  checkChart(table, spec, options, 'renderChart');
  return renderChecked(table, spec, options);
}

/**
 * {@link renderChart} for arguments already checked with `checkChart`.
 */
export async function renderChecked(
  table: ColumnTable,
  spec: ChartSpec,
  options?: RenderOptions,
): Promise<ChartResult> {
  const reduced = reduceData(table, withTypes(spec, table), options?.maxPoints ?? defaultMaxPoints);
  const { vl, vega } = await loadEngines();
  const warnings: string[] = [];
  const logger = vega.logger(vega.Warn, undefined, (_method, _level, input) => {
    const text = input.map((x) => (x instanceof Error ? x.message : String(x))).join(' ');
    if (!warnings.includes(text)) warnings.push(text);
  });
  let compiled: unknown;
  try {
    compiled = vl.compile(reduced.spec, { logger }).spec;
  } catch (err) {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `the vega-lite spec does not compile: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger, logLevel: vega.Warn });
  try {
    const svg = await view.toSVG();
    const result: ChartResult = { svg, spec: reduced.spec, rows: reduced.rows, warnings };
    if (reduced.note) result.note = reduced.note;
    return result;
  } finally {
    view.finalize();
  }
}
