/**
 * The notebook half of the public surface, re-exported by `src/index.ts`
 * (`export * from './notebook-exports.js'`).
 */

export type {
  ChannelDef,
  ChartFunction,
  ChartOptions,
  ChartResult,
  ChartSpec,
  RenderOptions,
  ShorthandOptions,
} from './chart.js';
export { chart, renderChart } from './chart.js';
export type { ProgressDisplay, ServerStatus, ShowOptions, StatusDisplay } from './notebook.js';
export {
  createProgressDisplay,
  createStatusDisplay,
  escapeHTML,
  formatTable,
  isNotebook,
  show,
  tableToHTML,
} from './notebook.js';
