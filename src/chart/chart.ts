/**
 * Charts: a vega-lite spec of an arquero table, checked, reduced and rendered
 * to SVG in this process (render.ts draws the stages). Showing a chart in a
 * notebook is the notebook's job (src/notebook/chart.ts); this folder returns
 * a result and a display bundle.
 */
export { binning } from './aggregate.js';
export { chartBundle, describeChart } from './bundle.js';
export { checkChart } from './check.js';
export { renderChart, renderChecked } from './render.js';
export type { ChannelDef, ChartResult, ChartSpec, Encoding, RenderOptions } from './types.js';
