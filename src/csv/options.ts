/**
 * The parser's options, checked once: the delimiter, the limits and the
 * `types` overrides (see {@link CsvOptions}).
 */

import { ArgumentError, ErrorCode } from '../errors.js';
import { compileDateFormat } from './dateformat.js';
import { ColumnType, type CsvOptions, type TypeSpec } from './types.js';

export const DEFAULT_MAX_COLUMNS = 10_000;
const DEFAULT_MAX_FIELD_BYTES = 16 * 1024 * 1024;
const TYPE_NAMES: ReadonlySet<string> = new Set(Object.values(ColumnType));

/** {@link CsvOptions} checked, with the defaults filled in. */
export interface ParserOptions {
  /** the delimiter's char code (`,` until sniffed when `sniffing`) */
  delim: number;
  /** no delimiter given: the header line picks it */
  sniffing: boolean;
  maxColumns: number;
  maxFieldBytes: number;
  maxRows: number;
  types: Record<string, TypeSpec> | undefined;
}

/**
 * Check `options` and fill in the defaults.
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` for a delimiter that is not one
 *   character (or is a quote or line break), a negative limit, or an unknown type name
 */
export function readOptions(options: CsvOptions): ParserOptions {
  const sniffing = options.delimiter === undefined;
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `delimiter ${JSON.stringify(delimiter)} is not allowed; use one character other than a quote or line break, such as "," or "\\t"`,
    );
  }
  const delim = delimiter.charCodeAt(0);
  const maxColumns = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
  const maxFieldBytes = options.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  for (const [key, value] of [
    ['maxColumns', maxColumns],
    ['maxFieldBytes', maxFieldBytes],
    ['maxRows', maxRows],
  ] as const) {
    if (!(value >= 0)) throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `options.${key} is ${value}; use a number ≥ 0`);
  }
  if (options.types !== undefined) {
    for (const key of Object.keys(options.types)) {
      const t = options.types[key];
      if (typeof t === 'string' && t.startsWith('date:')) compileDateFormat(t.slice(5));
      else if (typeof t !== 'string' || !TYPE_NAMES.has(t)) {
        throw new ArgumentError(
          ErrorCode.BAD_ARGUMENT,
          `options.types[${JSON.stringify(key)}] is ${JSON.stringify(t)}; use one of ${[...TYPE_NAMES].join(', ')}, or a date format such as "date:%b %d %Y"`,
        );
      }
    }
  }
  return { delim, sniffing, maxColumns, maxFieldBytes, maxRows, types: options.types };
}
