/**
 * Header cleanup: every column gets a unique, non-empty name that is safe as a
 * property key (arquero builds objects keyed by column name, and a column called
 * `__proto__` breaks an arquero table).
 */

import type { ColumnInfo } from './types.js';

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
