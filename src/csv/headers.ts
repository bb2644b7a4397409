/**
 * Header cleanup: every column gets a unique, non-empty name that is safe as a
 * property key (arquero builds objects keyed by column name, and a column called
 * `__proto__` breaks an arquero table).
 */

import { ArgumentError, CsvParseError, ErrorCode } from '../errors.js';
import { ColumnBuilder } from './column.js';
import { compileDateFormat } from './dateformat.js';
import { type ColumnInfo, ColumnType, type TypeSpec } from './types.js';

/**
 * Names that collide with `Object.prototype` (or function) properties. A header
 * with one of these names gets a trailing underscore: `__proto__` → `__proto___`,
 * `constructor` → `constructor_`.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toString',
  'toLocaleString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * Turn raw header texts into column names, predictably:
 * - an empty header becomes `column_N` (N = 1-based position);
 * - a reserved name (see {@link RESERVED_HEADERS}) gets a trailing `_`;
 * - the second and later copies of a name get `_2`, `_3`, … (the first free
 *   suffix, never a name used by another header).
 * Each renamed column keeps its original text in `header` and adds a warning.
 *
 * @param raw - the header fields as read
 * @param warnings - where to add one note per renamed column
 * @returns one `{ name, header? }` per column (type is filled in later)
 * @example
 * ```ts
 * renameHeaders(['a', '', 'a', '__proto__'], w)
 * // names: a, column_2, a_2, __proto___
 * ```
 */
export function renameHeaders(raw: readonly string[], warnings: string[]): Array<Pick<ColumnInfo, 'name' | 'header'>> {
  // Names kept as written claim their spelling first, so a generated name never steals one.
  const taken = new Set<string>();
  for (const h of raw) if (h !== '' && !RESERVED_HEADERS.has(h)) taken.add(h);
  const kept = new Set<string>();
  const out: Array<Pick<ColumnInfo, 'name' | 'header'>> = [];
  raw.forEach((h, i) => {
    const position = i + 1;
    if (h !== '' && !RESERVED_HEADERS.has(h) && !kept.has(h)) {
      kept.add(h);
      out.push({ name: h });
      return;
    }
    let base: string;
    let why: string;
    let n: number;
    if (h === '') {
      base = `column_${position}`;
      why = `renamed empty header (column ${position})`;
      n = 1;
    } else if (RESERVED_HEADERS.has(h)) {
      base = `${h}_`;
      why = `renamed header "${h}" (column ${position}), a reserved JavaScript property name,`;
      n = 1;
    } else {
      base = h;
      why = `renamed duplicate header "${h}" (column ${position})`;
      n = 2;
    }
    let name = n === 1 ? base : `${base}_${n}`;
    while (taken.has(name) || kept.has(name) || RESERVED_HEADERS.has(name)) {
      n += 1;
      name = `${base}_${n}`;
    }
    kept.add(name);
    warnings.push(`${why} to "${name}"`);
    out.push({ name, header: h });
  });
  return out;
}

/**
 * One {@link ColumnBuilder} per header column, typed by `types` (matched by the
 * column's name, else by its header as written). Internal.
 * @param named - the columns, from {@link renameHeaders}
 * @param line - the header's line, for the error
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` when `types` names no column of the header
 */
export function columnBuilders(
  named: ReadonlyArray<Pick<ColumnInfo, 'name' | 'header'>>,
  types: Record<string, TypeSpec> | undefined,
  line: number,
  utf8Strings: boolean,
  rowsHint: number,
): ColumnBuilder[] {
  const used = new Set<string>();
  const builders = named.map(({ name, header }) => {
    let spec: TypeSpec | undefined;
    if (types !== undefined) {
      if (Object.hasOwn(types, name)) {
        spec = types[name];
        used.add(name);
      } else if (header !== undefined && Object.hasOwn(types, header)) {
        spec = types[header];
        used.add(header);
      }
    }
    const format = spec?.startsWith('date:') ? compileDateFormat(spec.slice(5)) : undefined;
    const forced = format ? ColumnType.date : (spec as ColumnType | undefined);
    return new ColumnBuilder(name, header, forced, utf8Strings, rowsHint, format);
  });
  if (types !== undefined) {
    const unknown = Object.keys(types).filter((k) => !used.has(k));
    if (unknown.length > 0) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `options.types names ${unknown.map((k) => JSON.stringify(k)).join(', ')}, not a column of this CSV (line ${line}); columns are ${named.map((n) => JSON.stringify(n.name)).join(', ')}`,
      );
    }
  }
  return builders;
}

/** The error for an input without a header line. */
export function noHeaderError(): CsvParseError {
  return new CsvParseError(
    ErrorCode.PARSE_EMPTY,
    'the input has no header line (it is empty, only a BOM, or only blank lines); a CSV needs at least a header such as "a,b"',
    { line: 1 },
  );
}
