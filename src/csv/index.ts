/**
 * Streaming, lossless CSV → typed columns, and back. The implementation lives
 * in `src/csv/`: `parser.ts` (scanner), `column.ts` (type inference),
 * `headers.ts` (header renaming), `format.ts` (writers), `types.ts`.
 */

export { ColumnBuilder, isoDate, Utf8Column } from './column.js';
export { formatValue, toCSV, toCSVTable } from './format.js';
export { RESERVED_HEADERS, renameHeaders } from './headers.js';
export { CsvParser, parseCSV } from './parser.js';
export { type ColumnInfo, ColumnType, type CsvOptions, type ParsedCsv } from './types.js';
