/**
 * Plain-text rendering of a dataset's first rows, laid out the way pandas
 * prints a DataFrame — what the original design's users saw on their server.
 */
import type { DatasetSummary } from './protocol.js';

/**
 * The summary's first rows as a pandas-style text table: a 0-based index
 * column, every column right-aligned, `NaN` for a missing value.
 *
 * @param summary - a dataset summary (its `columns` and `head`)
 * @returns the table text, without a trailing newline
 * @example
 * ```text
 *    id    name  age grade
 * 0   1  Monish   21     A
 * ```
 */
export function formatHead(summary: Pick<DatasetSummary, 'columns' | 'head'>): string {
  const header = ['', ...summary.columns.map((c) => c.name)];
  const rows = summary.head.map((row, i) => [String(i), ...row.map((v) => (v === null ? 'NaN' : oneLine(v)))]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padStart(widths[c] ?? 0)).join('  ').replace(/^ +$/, '');
  // pandas separates columns by two spaces except after the index, where one column of padding is shared
  return [line(header), ...rows.map(line)].map((l) => l.trimEnd()).join('\n');
}

function oneLine(value: string): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 37)}...` : flat;
}
