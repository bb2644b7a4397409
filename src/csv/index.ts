/**
 * Streaming, lossless CSV → typed columns, and back. The implementation lives
 * in `src/csv/`: `parser.ts` (scanner; `options.ts`, `utf8.ts`, `sniff.ts`
 * beside it), `column.ts` (type inference; `sinks.ts`, `layout.ts` for Arrow's
 * layout), `merge.ts`, `pieces.ts`, `parallel.ts` (parallel parse pieces),
 * `headers.ts` (header renaming), `format.ts` (writers), `dates.ts` (calendar
 * days: local midnight in the process, day counts on the wire), `types.ts`.
 */

export { ColumnBuilder } from './column.js';
export {
  dateToDay,
  dayToDate,
  formatDate,
  isCalendarDay,
  isoDate,
  isoDay,
  MS_PER_DAY,
  parseDateText,
} from './dates.js';
export { formatValue, toCSV, toCSVTable } from './format.js';
export { RESERVED_HEADERS, renameHeaders } from './headers.js';
export { Utf8Column } from './layout.js';
export { CsvParser, parseCSV } from './parser.js';
export { DELIMITERS, detectDelimiter } from './sniff.js';
export { type ColumnInfo, ColumnType, type CsvOptions, type ParsedCsv, type TypeSpec } from './types.js';
