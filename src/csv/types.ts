/**
 * The shapes shared by the CSV parser, the type inference and the writers.
 */

/**
 * The type of a parsed column. A column gets a non-string type only when every
 * value in it survives the round trip through {@link formatValue} exactly.
 *
 * @example
 * ```ts
 * if (column.type === ColumnType.integer) console.log('whole numbers')
 * ```
 */
export const ColumnType = {
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  date: 'date',
  string: 'string',
} as const;

/** One of `'integer' | 'number' | 'boolean' | 'date' | 'string'`. */
export type ColumnType = (typeof ColumnType)[keyof typeof ColumnType];

/**
 * A type override in {@link CsvOptions} `types`: a {@link ColumnType}, or
 * `date:` and a strftime-like format (`'date:%b %d %Y'` reads `Jan 1 2000`;
 * `%Y %y %m %d %H %I %M %S %b %B %p %%`, `%-d` for no leading zero). A format
 * column's values are dates and `toCSV` writes each one back as it was written.
 */
export type TypeSpec = ColumnType | `date:${string}`;

/**
 * What the parser found out about one column.
 *
 * @example
 * ```ts
 * const info: ColumnInfo = { name: 'price', type: 'number', decimals: 2 }
 * ```
 */
export interface ColumnInfo {
  /** The column's name in the table (renamed when the header was empty, a duplicate or a reserved word). */
  name: string;
  /** The inferred (or overridden) type. */
  type: ColumnType;
  /** For `number` columns written with a fixed count of decimals (`"0.0"`, `"12.80"`): `toFixed(decimals)` reproduces every value. */
  decimals?: number;
  /** The original header text, present only when the column was renamed. */
  header?: string;
  /**
   * For `date` columns read with a format (`types: { d: 'date:%b %-d %Y' }`): the
   * format that writes every value back exactly, padding as the values had it
   * (`%-d` where days were written without a leading zero).
   */
  format?: string;
}

/**
 * Options of {@link parseCSV} and {@link CsvParser}.
 *
 * @example
 * ```ts
 * parseCSV(text, { delimiter: '\t', types: { zip: 'string' }, maxRows: 1e6 })
 * ```
 */
export interface CsvOptions {
  /**
   * Force a column's type, by original header text or final name. A value that
   * cannot be that type throws `CsvParseError` `CSVS_PARSE_BAD_TYPE` with its line.
   * `'date:%b %d %Y'` reads dates in that format, exactly (see {@link TypeSpec}).
   * Forced `integer`/`number`/`boolean` also accept non-canonical spellings
   * (`+5`, `1e3`, `TRUE`), which makes that column lossy.
   * @default {} (infer every column)
   */
  types?: Record<string, TypeSpec>;
  /**
   * The field separator, one character.
   * @default detected from the header line: the most frequent of `,` `;` tab `|` outside quotes, `,` if none
   */
  delimiter?: string;
  /** The most columns a header may have (`LimitError` `CSVS_LIMIT_COLUMNS`). @default 10_000 */
  maxColumns?: number;
  /** The largest field, in UTF-8 bytes (`LimitError` `CSVS_LIMIT_FIELD_SIZE`). @default 16 MiB */
  maxFieldBytes?: number;
  /** The most data rows (`LimitError` `CSVS_LIMIT_ROWS`). @default Infinity */
  maxRows?: number;
}

/**
 * A parsed CSV as typed columns.
 *
 * @example
 * ```ts
 * const { columns, values, rows } = parseCSV('a,b\n1,x\n')
 * // columns: [{ name: 'a', type: 'integer' }, { name: 'b', type: 'string' }]
 * // values: [Float64Array [1], ['x']], rows: 1
 * ```
 */
export interface ParsedCsv {
  /** One entry per column, in file order. */
  columns: ColumnInfo[];
  /**
   * One array per column, same order as `columns`: `Float64Array` (no missing
   * values) or `(number | null)[]` for integer/number, `(boolean | null)[]`,
   * `(Date | null)[]` (local midnight of the calendar day; with a format that
   * has a time, that local time), `(string | null)[]`. `null` is a missing
   * value (an unquoted empty field); `''` is a quoted empty field (`""`).
   */
  values: Array<ArrayLike<unknown>>;
  /** Count of data rows. */
  rows: number;
  /** Human-readable notes: renamed headers, skipped blank lines. */
  warnings: string[];
}
