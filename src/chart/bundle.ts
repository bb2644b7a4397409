/**
 * A rendered chart as a display bundle, for any front end: HTML with the inline
 * SVG (nbconvert keeps it; a bare image/svg+xml output is blanked by its HTML
 * export), the vega-lite spec with its data (for front ends that render
 * vega-lite), and a text summary. The notebook shows it; chart/ only builds it.
 */
import type { ChartResult, ChartSpec } from './types.js';

const count = (n: number): string => new Intl.NumberFormat('en-US').format(n);

function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * One line saying what a chart is: mark, encoded fields, rows, note.
 *
 * @param result - the rendered chart, or undefined while it renders
 * @param spec - the spec as the user wrote it
 */
export function describeChart(result: ChartResult | undefined, spec: ChartSpec): string {
  const fields = Object.entries(spec.encoding ?? {})
    .flatMap(([channel, def]) =>
      def && !Array.isArray(def) && typeof def.field === 'string' ? [`${channel}=${def.field}`] : [],
    )
    .join(', ');
  const mark = typeof spec.mark === 'string' ? spec.mark : (spec.mark?.type ?? 'composite');
  const rows = result ? `, ${count(result.rows)} rows` : '';
  return `chart: ${mark}${fields ? ` (${fields})` : ''}${rows}${result?.note ? ` — ${result.note}` : ''}`;
}

/**
 * The display bundle of a chart; vega's warnings are listed under it.
 *
 * @param result - from renderChart
 * @param spec - the spec as the user wrote it (for the text summary)
 * @returns mime type → content
 */
export function chartBundle(result: ChartResult, spec: ChartSpec): Record<string, string> {
  const note = result.note
    ? `<div class="csvs-note" style="font:11px sans-serif;color:#666">${escapeText(result.note)}</div>`
    : '';
  const warnings = result.warnings.map(
    (w) => `<div class="csvs-warning" style="font:11px sans-serif;color:#a60">⚠ vega: ${escapeText(w)}</div>`,
  );
  const text = [describeChart(result, spec), ...result.warnings.map((w) => `warning (vega): ${w}`)];
  return {
    'text/html': `<div class="csvs-chart">${result.svg}${note}${warnings.join('')}</div>`,
    'application/vnd.vegalite.v5+json': JSON.stringify(result.spec),
    'text/plain': text.join('\n'),
  };
}
