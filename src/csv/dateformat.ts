/**
 * Dates written in a format (`types: { d: 'date:%b %d %Y' }`), read and written
 * back exactly.
 *
 *   'date:%b %d %Y' ─► compileDateFormat ─► tokens
 *   "Jan 1 2000"    ─► readDate: fields, checked (a real day, an hour < 24)
 *                         │ and how each number was padded ("1" vs "01")
 *                         ▼
 *   a date-only format: a day count (a calendar day, see dates.ts);
 *   with a time: the local wall-clock time as epoch ms
 *
 * Directives: `%Y` (4-digit year), `%y` (2-digit year, 69–99 → 19xx, 00–68 →
 * 20xx, as POSIX), `%m`, `%d`, `%H`, `%I` (1–12), `%M`, `%S`, `%b`/`%B`
 * (English month names, `Jan`/`January`, case as written), `%p` (`AM`/`PM`),
 * `%%`. `%-d` (any numeric directive) is the same number without a leading
 * zero; `%d` reads both `01` and `1`, and the column remembers which one its
 * values use so that `toCSV` writes each value back as it came. A column whose
 * values mix the two (`01` and `1`) cannot be written back from its dates:
 * that is a `CSVS_PARSE_BAD_TYPE` naming the row and column.
 */

import { ArgumentError, ErrorCode } from '../errors.js';
import { civilFromDays, daysFromCivil, daysInMonth, localDateTime } from './dates.js';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The numeric directives and their [width, min, max]. */
const NUMERIC: Record<string, [number, number, number]> = {
  Y: [4, 0, 9999],
  y: [2, 0, 99],
  m: [2, 1, 12],
  d: [2, 1, 31],
  H: [2, 0, 23],
  I: [2, 1, 12],
  M: [2, 0, 59],
  S: [2, 0, 59],
};
const NAMES = new Set(['b', 'B', 'p']);
const TIME = new Set(['H', 'I', 'M', 'S', 'p']);

type Token = { kind: 'text'; text: string } | { kind: 'field'; dir: string; unpadded: boolean; slot: number };

/** A compiled format. Internal. */
export interface DateFormat {
  /** the format as written, without `date:` */
  readonly source: string;
  readonly tokens: readonly Token[];
  /** it reads a time of day: values are instants, not calendar days */
  readonly hasTime: boolean;
  /** count of numeric directives (the padding slots) */
  readonly slots: number;
}

const compiled = new Map<string, DateFormat>();

/**
 * Compile a format such as `%b %d %Y` (see the module comment for directives).
 * @param source - the format, without the `date:` prefix
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` for an unknown directive or a format without year, month and day
 */
export function compileDateFormat(source: string): DateFormat {
  const hit = compiled.get(source);
  if (hit) return hit;
  const tokens: Token[] = [];
  const seen = new Set<string>();
  let slots = 0;
  let text = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c !== '%') {
      text += c;
      continue;
    }
    let dir = source[++i];
    let unpadded = false;
    if (dir === '-') {
      unpadded = true;
      dir = source[++i];
    }
    if (dir === '%' && !unpadded) {
      text += '%';
      continue;
    }
    if (dir === undefined || !(dir in NUMERIC || NAMES.has(dir)) || (unpadded && !(dir in NUMERIC))) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `date format ${JSON.stringify(source)}: ${JSON.stringify(`%${unpadded ? '-' : ''}${dir ?? ''}`)} is not a directive; use %Y %y %m %d %H %I %M %S %b %B %p (%-d for no leading zero) or %% for a percent sign`,
      );
    }
    if (text !== '') tokens.push({ kind: 'text', text });
    text = '';
    tokens.push({ kind: 'field', dir, unpadded, slot: dir in NUMERIC ? slots++ : -1 });
    seen.add(dir);
  }
  if (text !== '') tokens.push({ kind: 'text', text });
  const year = seen.has('Y') || seen.has('y');
  const month = seen.has('m') || seen.has('b') || seen.has('B');
  if (!year || !month || !seen.has('d')) {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `date format ${JSON.stringify(source)} needs a year (%Y or %y), a month (%m, %b or %B) and a day (%d); for example "date:%b %d %Y" reads "Jan 1 2000"`,
    );
  }
  if (seen.has('I') !== seen.has('p')) {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `date format ${JSON.stringify(source)}: %I (hour 1–12) and %p (AM/PM) go together; use %H for a 24-hour clock`,
    );
  }
  const format: DateFormat = { source, tokens, hasTime: [...seen].some((d) => TIME.has(d)), slots };
  compiled.set(source, format);
  return format;
}

/** Padding evidence from one value: bit `slot` set in `padded` ("01") or `unpadded` ("1"). */
export interface Padding {
  padded: number;
  unpadded: number;
}

/**
 * Read `s[start, end)` with a format.
 * @param padding - receives the value's padding evidence (reset here)
 * @returns a day count (date-only format) or local epoch ms (with a time), or
 *   NaN when the text does not match, is no real date, or is a local time that
 *   does not exist (a DST gap)
 */
export function readDate(format: DateFormat, s: string, start: number, end: number, padding: Padding): number {
  padding.padded = 0;
  padding.unpadded = 0;
  let pos = start;
  let y = -1;
  let y2 = -1;
  let mo = -1;
  let d = -1;
  let h = 0;
  let h12 = -1;
  let pm = -1;
  let mi = 0;
  let se = 0;
  for (const t of format.tokens) {
    if (t.kind === 'text') {
      if (!s.startsWith(t.text, pos) || pos + t.text.length > end) return Number.NaN;
      pos += t.text.length;
      continue;
    }
    const dir = t.dir;
    if (dir === 'b' || dir === 'B') {
      let found = -1;
      for (let k = 0; k < 12; k++) {
        const name = dir === 'b' ? (MONTHS[k] as string).slice(0, 3) : (MONTHS[k] as string);
        if (pos + name.length <= end && s.startsWith(name, pos)) {
          found = k;
          pos += name.length;
          break;
        }
      }
      if (found < 0) return Number.NaN;
      mo = found + 1;
      continue;
    }
    if (dir === 'p') {
      const ap = s.substring(pos, pos + 2);
      if (pos + 2 > end || (ap !== 'AM' && ap !== 'PM')) return Number.NaN;
      pm = ap === 'PM' ? 1 : 0;
      pos += 2;
      continue;
    }
    const [width, min, max] = NUMERIC[dir] as [number, number, number];
    let n = 0;
    let digits = 0;
    while (digits < width && pos < end) {
      const c = s.charCodeAt(pos) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      digits++;
      pos++;
    }
    if (digits === 0 || n < min || n > max) return Number.NaN;
    if (dir === 'Y' && digits !== 4) return Number.NaN;
    if (digits < width) {
      if (n < 10 ** (digits - 1)) return Number.NaN; // "0" alone for a 2-digit field
      padding.unpadded |= 1 << t.slot;
    } else if (n < 10 ** (width - 1)) {
      if (t.unpadded) return Number.NaN; // %-d does not read "05"
      padding.padded |= 1 << t.slot;
    }
    if (dir === 'Y') y = n;
    else if (dir === 'y') y2 = n;
    else if (dir === 'm') mo = n;
    else if (dir === 'd') d = n;
    else if (dir === 'H') h = n;
    else if (dir === 'I') h12 = n;
    else if (dir === 'M') mi = n;
    else se = n;
  }
  if (pos !== end) return Number.NaN;
  if (y < 0) y = y2 >= 69 ? 1900 + y2 : 2000 + y2;
  if (d > daysInMonth(y, mo)) return Number.NaN;
  if (h12 >= 0) h = (h12 % 12) + (pm === 1 ? 12 : 0);
  if (!format.hasTime) return daysFromCivil(y, mo, d);
  const date = localDateTime(y, mo, d, h, mi, se);
  // a wall-clock time skipped by a DST change moves; it was not a real local time
  if (date.getHours() !== h || date.getMinutes() !== mi || date.getDate() !== d) return Number.NaN;
  return date.getTime();
}

/**
 * The format that writes a column's values back as they were read: each `%d`
 * whose values were written without a leading zero becomes `%-d`.
 * @param format - the compiled format
 * @param unpadded - the column's unpadded evidence (bit per slot)
 */
export function effectiveFormat(format: DateFormat, unpadded: number): string {
  let out = '';
  for (const t of format.tokens) {
    if (t.kind === 'text') out += t.text.replaceAll('%', '%%');
    else out += `%${t.unpadded || (t.slot >= 0 && unpadded & (1 << t.slot)) ? '-' : ''}${t.dir}`;
  }
  return out;
}

function num(n: number, width: number, unpadded: boolean): string {
  return unpadded ? String(n) : String(n).padStart(width, '0');
}

/**
 * Write a value with a format (the inverse of {@link readDate}).
 * @param format - the column's format (an {@link effectiveFormat})
 * @param value - a Date (local wall clock), or a day count for a date-only format
 */
export function writeDate(format: DateFormat, value: Date | number): string {
  let y: number;
  let mo: number;
  let d: number;
  let h = 0;
  let mi = 0;
  let se = 0;
  if (typeof value === 'number') [y, mo, d] = civilFromDays(value);
  else {
    y = value.getFullYear();
    mo = value.getMonth() + 1;
    d = value.getDate();
    h = value.getHours();
    mi = value.getMinutes();
    se = value.getSeconds();
  }
  let out = '';
  for (const t of format.tokens) {
    if (t.kind === 'text') {
      out += t.text;
      continue;
    }
    const u = t.unpadded;
    switch (t.dir) {
      case 'Y':
        out += String(y).padStart(4, '0');
        break;
      case 'y':
        out += num(y % 100, 2, u);
        break;
      case 'm':
        out += num(mo, 2, u);
        break;
      case 'd':
        out += num(d, 2, u);
        break;
      case 'H':
        out += num(h, 2, u);
        break;
      case 'I':
        out += num(h % 12 === 0 ? 12 : h % 12, 2, u);
        break;
      case 'M':
        out += num(mi, 2, u);
        break;
      case 'S':
        out += num(se, 2, u);
        break;
      case 'b':
        out += (MONTHS[mo - 1] as string).slice(0, 3);
        break;
      case 'B':
        out += MONTHS[mo - 1] as string;
        break;
      default:
        out += h < 12 ? 'AM' : 'PM';
    }
  }
  return out;
}

/** The format of a `types` entry such as `'date:%b %d %Y'`, or undefined for a plain type name. */
export function formatOfType(spec: string): string | undefined {
  return spec.startsWith('date:') ? spec.slice(5) : undefined;
}
