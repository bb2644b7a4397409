/**
 * What the pieces of a parallel parse report to be merged (see
 * src/server/ingest/pool.ts). Internal.
 */

import type { ColumnStats } from './merge.js';

/** What a piece of a parallel parse reports once parsed (internal). */
export interface PieceState {
  rows: number;
  /** physical lines consumed (line breaks in the piece) */
  lines: number;
  /** skipped empty lines, counted from the piece's first line */
  blankLines: number[];
  /** line of the last row, counted from the piece's first line; 0 without rows */
  lastRowLine: number;
  warnings: string[];
  stats: ColumnStats[];
}

/**
 * The warning about skipped empty lines before the last row, if any.
 * @param blankLines - the skipped lines, ascending
 * @param lastRowLine - the line of the last row
 */
export function blankLinesWarning(blankLines: readonly number[], lastRowLine: number): string | undefined {
  const blank = blankLines.filter((l) => l < lastRowLine);
  if (blank.length === 0) return undefined;
  const shown = blank.slice(0, 10).join(', ') + (blank.length > 10 ? `, … (${blank.length} in all)` : '');
  return `skipped ${blank.length} empty line${blank.length === 1 ? '' : 's'} (line${blank.length === 1 ? '' : 's'} ${shown})`;
}
