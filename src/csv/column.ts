/**
 * Type inference, one builder per column, on the field's UTF-8 bytes.
 *
 *   field bytes ──► candidate kind (integer/number, date, boolean) ──► stored as numbers
 *                      │ a value that does not round-trip
 *                      ▼
 *                  string kind: earlier values rebuilt exactly from their numbers
 *
 * A column stays numeric (or date, or boolean) only while every value seen so far
 * comes back exactly through `formatValue`. Values are converted as they arrive,
 * so a numeric column never holds a million short strings; if a later value
 * breaks the type, the earlier ones are rebuilt from the stored numbers (each
 * numeric value remembers its count of decimals, so `toFixed` restores its text).
 */

import { CsvParseError, ErrorCode } from '../errors.js';
import { release, takeF64, takeU8 } from './arena.js';
import {
  compileDateFormat,
  type DateFormat,
  effectiveFormat,
  type Padding,
  readDate,
  writeDate,
} from './dateformat.js';
import { daysFromCivil, daysInMonth, dayToDate, isoDay } from './dates.js';
import { ArrowColumn, type Utf8Column } from './layout.js';
import { type ColumnStats, Kind, paddingError } from './merge.js';
import { Utf8Sink } from './sinks.js';
import { type ColumnInfo, ColumnType } from './types.js';
import { asciiText, utf8Text } from './utf8.js';

// The kinds as this module's own constants, not reads of another module's
// exports: the hot path compares them for every value.
const K_NULL: number = Kind.NULL;
const K_NUM: number = Kind.NUM;
const K_DATE: number = Kind.DATE;
const K_BOOL: number = Kind.BOOL;
const K_STR: number = Kind.STR;

const POW10: number[] = [];
for (let i = 0; i <= 22; i++) POW10.push(10 ** i);

/**
 * The sink of a column that holds no text: never written, since a column
 * writes strings only in the string kind, and every change to that kind makes
 * the column its own sink.
 */
const NO_STRINGS = new Utf8Sink(0);

const EMPTY_F64 = new Float64Array(0);
const EMPTY_U8 = new Uint8Array(0);

// Results of scanNumber, kept in module variables so scanning allocates nothing.
let gValue = 0;
let gDec = 0;
let gShortest = false;
/** where scanNumber stopped reading */
let gEnd = 0;

/**
 * Read a number from the bytes at `start` (not past `end`): `-`, digits, and
 * `.` and digits; gEnd is where the reading stopped, and the result classifies
 * the bytes `s[start, gEnd)`.
 * @returns 0 not a canonical number, 1 a safe integer written canonically,
 *   2 a decimal `d.ddd` that `toFixed(gDec)` reproduces (gShortest: so does `String`)
 */
function scanNumber(s: Uint8Array, start: number, end: number): number {
  let i = start;
  let neg = false;
  if (i < end && s[i] === 45) {
    neg = true;
    i++;
  }
  const intStart = i;
  // m, the digits read as one integer, is exact while it stays below 2^53: every
  // partial value is smaller than the whole
  let m = 0;
  let c = 0;
  while (i < end) {
    c = s[i] as number;
    const d = c - 48;
    if (d < 0 || d > 9) break;
    m = m * 10 + d;
    i++;
  }
  const intDigits = i - intStart;
  gEnd = i;
  if (intDigits === 0) return 0;
  if (intDigits > 1 && s[intStart] === 48) return 0; // leading zero: 00501
  if (i === end || c !== 46) {
    // Past 2^53 the running product stays unsafe, so the check is exact.
    if (!Number.isSafeInteger(m) || (neg && m === 0)) return 0;
    gValue = neg ? -m : m;
    gDec = 0;
    gShortest = true;
    return 1;
  }
  i++;
  const fracStart = i;
  while (i < end) {
    const d = (s[i] as number) - 48;
    if (d < 0 || d > 9) break;
    m = m * 10 + d;
    i++;
  }
  const fracDigits = i - fracStart;
  gEnd = i;
  if (fracDigits === 0) return 0;
  if (neg && m === 0) return 0; // -0.0 prints as 0.0
  let v: number;
  let shortest: boolean;
  if (m < 1e15 && fracDigits <= 22) {
    // m < 10^15 (at most 15 significant digits) and 10^f are exact, and IEEE
    // division rounds correctly, so this is Number(text); 15 significant digits
    // always round-trip (DBL_DIG).
    v = m / (POW10[fracDigits] as number);
    shortest = s[i - 1] !== 48 && v >= 1e-6;
    if (neg) v = -v;
  } else {
    const text = asciiText(s, start, i);
    v = Number(text);
    if (fracDigits > 100 || v.toFixed(fracDigits) !== text) return 0;
    shortest = String(v) === text;
  }
  gValue = v;
  gDec = fracDigits;
  gShortest = shortest;
  return 2;
}

// Calendar tables for scanDate (years 0000–9999): a lookup instead of the
// divisions of daysFromCivil, for every date cell
const LEAP = new Uint8Array(10000);
const YEAR_START = new Int32Array(10000);
for (let y = 0; y < 10000; y++) {
  LEAP[y] = daysInMonth(y, 2) === 29 ? 1 : 0;
  YEAR_START[y] = daysFromCivil(y, 1, 1);
}
/** days in month m (1–12) at [13 * leap + m], and days before it in the year */
const MONTH_LEN = new Int32Array(26);
const MONTH_START = new Int32Array(26);
for (let leap = 0; leap < 2; leap++) {
  for (let m = 1, before = 0; m <= 12; m++) {
    const n = daysInMonth(leap ? 2000 : 2001, m);
    MONTH_LEN[13 * leap + m] = n;
    MONTH_START[13 * leap + m] = before;
    before += n;
  }
}

/** Days since 1970-01-01 of the bytes `YYYY-MM-DD` (a real calendar date), or NaN. */
function scanDate(s: Uint8Array, start: number, end: number): number {
  if (end - start !== 10 || s[start + 4] !== 45 || s[start + 7] !== 45) return Number.NaN;
  let y = 0;
  for (let i = start; i < start + 4; i++) {
    const d = (s[i] as number) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    y = y * 10 + d;
  }
  const m1 = (s[start + 5] as number) - 48;
  const m2 = (s[start + 6] as number) - 48;
  const d1 = (s[start + 8] as number) - 48;
  const d2 = (s[start + 9] as number) - 48;
  if (m1 < 0 || m1 > 9 || m2 < 0 || m2 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return Number.NaN;
  const m = m1 * 10 + m2;
  const d = d1 * 10 + d2;
  if (m < 1 || m > 12 || d < 1) return Number.NaN;
  const at = 13 * (LEAP[y] as number) + m;
  if (d > (MONTH_LEN[at] as number)) return Number.NaN;
  return (YEAR_START[y] as number) + (MONTH_START[at] as number) + d - 1;
}

/** The bytes `s[start, end)` are `true` (1), `false` (0), or neither (-1). */
function scanBoolean(s: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len === 4)
    return s[start] === 116 && s[start + 1] === 114 && s[start + 2] === 117 && s[start + 3] === 101 ? 1 : -1;
  if (len === 5)
    return s[start] === 102 &&
      s[start + 1] === 97 &&
      s[start + 2] === 108 &&
      s[start + 3] === 115 &&
      s[start + 4] === 101
      ? 0
      : -1;
  return -1;
}

const LENIENT_INTEGER = /^[+-]?\d+$/;
const LENIENT_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Collects one column's values and infers its type (see the module comment).
 * Internal: used by the parser, one instance per column.
 *
 * @example
 * ```ts
 * const b = new ColumnBuilder('a', undefined, undefined)
 * b.add(Buffer.from('12'), 0, 2, 2); b.addNull(); b.finish() // values [12, null], type integer
 * ```
 */
export class ColumnBuilder {
  private kind = K_NULL;
  private n = 0;
  private nulls = 0;
  private nums: Float64Array = EMPTY_F64;
  private decs: Uint8Array = EMPTY_U8;
  private strs: Utf8Sink;
  private readonly utf8: boolean;
  private hasInt = false;
  private hasDecimal = false;
  private fixedDec = -1; // common count of decimals; -2 when they differ
  private allShortest = true;
  private lossy = false;
  private readonly forced: ColumnType | undefined;
  /** a date column's format (`types: { d: 'date:%b %d %Y' }`) */
  private readonly format: DateFormat | undefined;
  private readonly padding: Padding = { padded: 0, unpadded: 0 };
  private padded = 0;
  private unpadded = 0;
  /** expected count of values (a piece's estimate), to size arrays once */
  private readonly capacity: number;

  /**
   * @param name - the final column name (for error messages)
   * @param header - the original header text when renamed
   * @param forced - the type from `options.types`, if any
   * @param format - for a forced `date`, the format it is written in
   */
  constructor(
    readonly name: string,
    readonly header: string | undefined,
    forced: ColumnType | undefined,
    utf8 = false,
    capacity = 0,
    format?: DateFormat,
  ) {
    this.forced = forced;
    this.format = format;
    this.utf8 = utf8;
    this.capacity = capacity;
    // a column gets its sink when it becomes text (a piece's sink is sized for its
    // rows: a megabyte a column, which columns of numbers never use)
    this.strs = forced === ColumnType.string ? this.newSink(0) : NO_STRINGS;
    if (forced === ColumnType.string) this.kind = K_STR;
    else if (forced === ColumnType.integer || forced === ColumnType.number) this.startTyped(K_NUM);
    else if (forced === ColumnType.date) this.startTyped(K_DATE);
    else if (forced === ColumnType.boolean) this.startTyped(K_BOOL);
  }

  private newSink(nulls: number): Utf8Sink {
    return new Utf8Sink(nulls, this.capacity, this.utf8);
  }

  /** Add a missing value (an unquoted empty field). */
  addNull(): void {
    const n = this.n;
    this.nulls++;
    if (this.kind === K_STR) this.strs.pushNull();
    else if (this.kind !== K_NULL) {
      if (n === this.nums.length) this.grow();
      this.nums[n] = Number.NaN;
    }
    this.n = n + 1;
  }

  /**
   * Remove the last value (of a row that turned out incomplete; the parser
   * adds it again with the rest of the row). What the value taught the column
   * about its type stays: the same value comes back.
   */
  pop(): void {
    const n = this.n - 1;
    this.n = n;
    if (this.kind === K_STR) {
      if (this.strs.pop()) this.nulls--;
    } else if (this.kind === K_NULL || Number.isNaN(this.nums[n] as number)) this.nulls--;
  }

  /**
   * Add the UTF-8 bytes `s[start, end)` (already unquoted and unescaped, and
   * valid UTF-8); they are copied, the builder keeps no view of `s`.
   * @param line - the physical line of the field, for `CSVS_PARSE_BAD_TYPE`
   */
  add(s: Uint8Array, start: number, end: number, line: number): void {
    const kind = this.kind;
    if (kind === K_STR) {
      this.strs.push(s, start, end);
      this.n++;
      return;
    }
    if (kind === K_NULL && this.decide(s, start, end) === K_STR) {
      this.strs.push(s, start, end);
      this.n++;
      return;
    }
    if (this.n === this.nums.length) this.grow();
    if (this.kind === K_NUM) this.addNumber(s, start, end, line);
    else if (this.kind === K_DATE) {
      const v = this.format ? this.readFormatted(s, start, end, line) : scanDate(s, start, end);
      if (!Number.isNaN(v)) this.nums[this.n++] = v;
      else this.mismatch(s, start, end, line);
    } else if (this.kind === K_BOOL) {
      const v = scanBoolean(s, start, end);
      if (v >= 0) this.nums[this.n++] = v;
      else this.mismatch(s, start, end, line);
    } else {
      this.strs.push(s, start, end);
      this.n++;
    }
  }

  /** A value of a format column: its day (or local ms), padding checked against the earlier values. */
  private readFormatted(s: Uint8Array, start: number, end: number, line: number): number {
    const format = this.format as DateFormat;
    const text = utf8Text(s, start, end);
    const v = readDate(format, text, 0, text.length, this.padding);
    if (Number.isNaN(v)) return v;
    this.padded |= this.padding.padded;
    this.unpadded |= this.padding.unpadded;
    if (this.padded & this.unpadded) throw paddingError(this.name, format, this.padded & this.unpadded, text, line);
    return v;
  }

  private addNumber(s: Uint8Array, start: number, end: number, line: number): void {
    const st = scanNumber(s, start, end);
    if (st === 0 || gEnd !== end || (st === 2 && this.forced === ColumnType.integer)) {
      this.mismatch(s, start, end, line);
      return;
    }
    this.addScanned(st);
  }

  /**
   * The parser's fast path for a column of numbers or of text: read the
   * unquoted field at `s[start]` and add it, when it is a number that this
   * column takes as one, or any text for a text column, ending before `end`
   * at `delim` or a line break — a single pass over its bytes.
   * @returns where the field ends, or -1: nothing was added, read the field as usual
   */
  take(s: Uint8Array, start: number, end: number, delim: number): number {
    if (this.kind === K_STR) {
      // a column of text copies its field as it finds the field's end (Utf8Sink.take)
      const p = this.strs.take(s, start, end, delim);
      if (p >= 0) this.n++;
      return p;
    }
    if (this.kind !== K_NUM) return -1;
    const st = scanNumber(s, start, end);
    const p = gEnd;
    if (st === 0 || p === end || (st === 2 && this.forced === ColumnType.integer)) return -1;
    const c = s[p] as number;
    if (c !== delim && c !== 10 && c !== 13) return -1;
    if (this.n === this.nums.length) this.grow();
    this.addScanned(st);
    return p;
  }

  /** Add the number scanNumber read (its result `st`, gValue, gDec, gShortest). */
  private addScanned(st: number): void {
    if (st === 1) this.hasInt = true;
    else {
      this.hasDecimal = true;
      if (this.fixedDec === -1) this.fixedDec = gDec;
      else if (this.fixedDec !== gDec) this.fixedDec = -2;
    }
    if (!gShortest) this.allShortest = false;
    const n = this.n;
    this.nums[n] = gValue;
    this.decs[n] = gDec;
    this.n = n + 1;
    // Neither "same decimals everywhere" nor "shortest form everywhere" can hold any more.
    if (!this.allShortest && (this.hasInt || this.fixedDec === -2) && this.forced === undefined) this.toStrings();
  }

  /** A value that does not fit the current kind: degrade to strings, or fail a forced type. */
  private mismatch(s: Uint8Array, start: number, end: number, line: number): void {
    const forced = this.forced;
    if (forced === undefined) {
      this.toStrings();
      this.strs.push(s, start, end);
      this.n++;
      return;
    }
    const text = utf8Text(s, start, end);
    let v = Number.NaN;
    if (text === '')
      v = Number.NaN; // `""` in a forced non-string column reads as missing
    else if (forced === ColumnType.integer && LENIENT_INTEGER.test(text)) {
      v = Number(text) + 0;
      if (!Number.isSafeInteger(v)) this.badType(text, line, 'a safe integer (at most 9007199254740991)');
    } else if (forced === ColumnType.number && LENIENT_NUMBER.test(text)) v = Number(text) + 0;
    else if (forced === ColumnType.boolean && /^(true|false)$/i.test(text)) v = text.length === 4 ? 1 : 0;
    else {
      const want =
        forced !== ColumnType.date
          ? `a value of type ${forced}`
          : this.format
            ? `a date written as ${JSON.stringify(this.format.source)} (a real date${this.format.hasTime ? ' and local time' : ''})`
            : 'a calendar date written YYYY-MM-DD';
      this.badType(text, line, want);
    }
    if (text === '') this.nulls++;
    this.lossy = true;
    this.nums[this.n] = v;
    this.decs[this.n] = 0;
    this.n++;
  }

  private badType(text: string, line: number, want: string): never {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw new CsvParseError(
      ErrorCode.PARSE_BAD_TYPE,
      `line ${line}, column "${this.name}": ${JSON.stringify(shown)} is not ${want}, but options.types makes the column ${this.format ? `date:${this.format.source}` : this.forced}; fix the value or drop the override`,
      { line },
    );
  }

  /** Pick the candidate kind from the first non-missing value. */
  private decide(s: Uint8Array, start: number, end: number): number {
    const len = end - start;
    let kind = K_STR;
    if (len === 10 && s[start + 4] === 45) kind = Number.isNaN(scanDate(s, start, end)) ? K_STR : K_DATE;
    else if (scanBoolean(s, start, end) >= 0) kind = K_BOOL;
    else if (len > 0) {
      const c = s[start] as number;
      if (c === 45 || (c >= 48 && c <= 57)) kind = K_NUM;
    }
    if (kind === K_STR) {
      this.kind = K_STR;
      this.strs = this.newSink(this.n);
    } else this.startTyped(kind);
    return kind;
  }

  private startTyped(kind: number): void {
    this.kind = kind;
    const cap = Math.max(1024, this.n * 2, this.capacity);
    // the values so far were all missing; every later slot is written as it is added
    this.nums = this.f64(cap).fill(Number.NaN, 0, this.n);
    // decs as long as nums (an arena's array may be longer than asked): `nums.length` is the capacity
    if (kind === K_NUM) this.decs = this.u8(this.nums.length);
  }

  /** Arrays of at least `n` values: reused ones in a parse worker (see arena.ts), else new. */
  private f64(n: number): Float64Array {
    return this.utf8 ? takeF64(n) : new Float64Array(n);
  }

  private u8(n: number): Uint8Array {
    return this.utf8 ? takeU8(n) : new Uint8Array(n);
  }

  /** Arrays this builder no longer reads, back to the arena (a parse worker's builder only). */
  private drop(...arrays: ArrayBufferView[]): void {
    if (this.utf8) release(...arrays);
  }

  private grow(): void {
    const cap = Math.max(1024, this.nums.length * 2);
    const nums = this.f64(cap);
    nums.set(this.nums);
    this.drop(this.nums);
    this.nums = nums;
    if (this.kind === K_NUM) {
      const decs = this.u8(nums.length);
      decs.set(this.decs);
      this.drop(this.decs);
      this.decs = decs;
    }
  }

  /** Rebuild every value so far as its original text and continue as a string column. */
  private toStrings(): void {
    const n = this.n;
    const strs = this.newSink(0);
    const { nums, decs, kind } = this;
    for (let i = 0; i < n; i++) {
      const v = nums[i] as number;
      let text: string;
      if (Number.isNaN(v)) {
        strs.pushNull();
        continue;
      }
      if (kind === K_NUM) {
        const d = decs[i] as number;
        text = d === 0 ? String(v) : v.toFixed(d);
      } else if (kind === K_DATE) text = this.dateText(v);
      else text = v === 1 ? 'true' : 'false';
      strs.pushText(text);
    }
    this.strs = strs;
    this.kind = K_STR;
    this.drop(nums, decs);
    this.nums = EMPTY_F64;
    this.decs = EMPTY_U8;
  }

  /** The exact text of a stored date value (a day, or local ms with a time format). */
  private dateText(v: number): string {
    const format = this.format;
    if (!format) return isoDay(v);
    return writeDate(compileDateFormat(effectiveFormat(format, this.unpadded)), format.hasTime ? new Date(v) : v);
  }

  /** What this column found so far, to merge with other pieces. Internal. */
  stats(): ColumnStats {
    const s: ColumnStats = {
      name: this.name,
      kind: this.kind,
      hasInt: this.hasInt,
      hasDecimal: this.hasDecimal,
      fixedDec: this.fixedDec,
      allShortest: this.allShortest,
      lossy: this.lossy,
    };
    if (this.header !== undefined) s.header = this.header;
    if (this.forced !== undefined) s.forced = this.forced;
    if (this.format) {
      s.format = this.format;
      s.padded = this.padded;
      s.unpadded = this.unpadded;
    }
    return s;
  }

  /**
   * A builder holding a piece's column again, from the Arrow column it was
   * encoded as (see {@link ColumnBuilder.finishArrow}) and the stats it had,
   * to convert it to the kind the merge of every piece decided. The text of a
   * number is rebuilt exactly without its per-value count of decimals: a
   * column still of numbers has either every value in shortest form
   * (`String`) or every value with the same decimals (`toFixed`). Internal.
   */
  static restore(stats: ColumnStats, column: ArrowColumn | null, n: number): ColumnBuilder {
    const b = new ColumnBuilder(stats.name, stats.header, stats.forced, true, 0, stats.format);
    b.hasInt = stats.hasInt;
    b.hasDecimal = stats.hasDecimal;
    b.fixedDec = stats.fixedDec;
    b.allShortest = stats.allShortest;
    b.lossy = stats.lossy;
    b.padded = stats.padded ?? 0;
    b.unpadded = stats.unpadded ?? 0;
    b.kind = stats.kind;
    b.n = n;
    if (stats.kind === K_NULL || column === null) {
      b.kind = K_NULL;
      b.nulls = n;
      return b;
    }
    const nums = new Float64Array(n);
    const { values, validity } = column;
    for (let i = 0; i < n; i++) {
      if (validity && !((validity[i >> 3] as number) & (1 << (i & 7)))) {
        nums[i] = Number.NaN;
        b.nulls++;
      } else if (column.type === 'bool') nums[i] = ((values[i >> 3] as number) >> (i & 7)) & 1;
      else nums[i] = Number(values[i]);
    }
    b.nums = nums;
    b.decs = new Uint8Array(n).fill(stats.allShortest ? 0 : Math.max(0, stats.fixedDec));
    return b;
  }

  /**
   * The values in Arrow's layout as the kind `kind` that the merge decided
   * (see {@link mergeColumnStats}): values typed more strictly here are
   * rebuilt as their exact text. Only with UTF-8 strings. Internal.
   */
  finishArrow(kind: number): ArrowColumn | Utf8Column {
    const n = this.n;
    if (kind === K_STR) {
      if (this.kind === K_NULL) this.strs = this.newSink(n);
      else if (this.kind !== K_STR) this.toStrings();
      return this.strs.finish();
    }
    if (this.kind !== kind && this.kind !== K_NULL)
      throw new Error(`internal: column "${this.name}" cannot become kind ${kind} from ${this.kind}`);
    const nums = this.kind === K_NULL ? new Float64Array(n).fill(Number.NaN) : this.nums;
    let validity: Uint8Array | undefined;
    // every missing value is a NaN here and counted in `nulls`
    const nullCount = this.kind === K_NULL ? n : this.nulls;
    if (nullCount > 0) {
      validity = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++)
        if (!Number.isNaN(nums[i] as number)) validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
    }
    this.drop(this.decs);
    this.nums = EMPTY_F64;
    this.decs = EMPTY_U8;
    if (kind === K_NUM) {
      // in place: the IPC writer copies the values once, so no right-sized copy here
      // (the caller hands `nums` back to the arena once it is encoded)
      if (nullCount > 0) for (let i = 0; i < n; i++) if (Number.isNaN(nums[i] as number)) nums[i] = 0;
      return new ArrowColumn('float64', nums.subarray(0, n), validity, nullCount, n);
    }
    if (kind === K_DATE && this.format?.hasTime) {
      const ms = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = nums[i] as number;
        if (!Number.isNaN(v)) ms[i] = BigInt(v);
      }
      this.drop(nums);
      return new ArrowColumn('timestamp', ms, validity, nullCount, n);
    }
    if (kind === K_DATE) {
      const days = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = nums[i] as number;
        if (!Number.isNaN(v)) days[i] = v;
      }
      this.drop(nums);
      return new ArrowColumn('date', days, validity, nullCount, n);
    }
    const bits = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (nums[i] === 1) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
    this.drop(nums);
    return new ArrowColumn('bool', bits, validity, nullCount, n);
  }

  /**
   * The column's info and values.
   * @returns `{ info, values }` in the shape of {@link ParsedCsv}
   */
  finish(): { info: ColumnInfo; values: ArrayLike<unknown> } {
    if (this.kind === K_NUM && this.forced === undefined) {
      const fixed = !this.hasInt && this.fixedDec > 0;
      if (!this.hasDecimal || fixed || this.allShortest) {
        // stays numeric
      } else this.toStrings();
    }
    const n = this.n;
    const info: ColumnInfo = { name: this.name, type: ColumnType.string };
    if (this.header !== undefined) info.header = this.header;
    let values: ArrayLike<unknown>;
    switch (this.kind) {
      case K_NUM: {
        info.type = this.forced ?? (this.hasDecimal ? ColumnType.number : ColumnType.integer);
        if (info.type === ColumnType.number && !this.lossy && !this.hasInt && this.fixedDec > 0)
          info.decimals = this.fixedDec;
        const nums = this.nums;
        if (this.nulls === 0) values = nums.slice(0, n);
        else {
          const out = new Array<number | null>(n);
          for (let i = 0; i < n; i++) {
            const v = nums[i] as number;
            out[i] = Number.isNaN(v) ? null : v;
          }
          values = out;
        }
        break;
      }
      case K_DATE: {
        info.type = ColumnType.date;
        if (this.format) info.format = effectiveFormat(this.format, this.unpadded);
        const time = this.format?.hasTime === true;
        // a calendar day is a Date at local midnight (see dates.ts); `new Date` costs
        // ~250 ns here, so equal days share one Date: treat them as immutable.
        const out = new Array<Date | null>(n);
        const shared = new Map<number, Date>();
        for (let i = 0; i < n; i++) {
          const v = this.nums[i] as number;
          if (Number.isNaN(v)) out[i] = null;
          else {
            let d = shared.get(v);
            if (d === undefined) {
              d = time ? new Date(v) : dayToDate(v);
              shared.set(v, d);
            }
            out[i] = d;
          }
        }
        values = out;
        break;
      }
      case K_BOOL: {
        info.type = ColumnType.boolean;
        const out = new Array<boolean | null>(n);
        for (let i = 0; i < n; i++) {
          const v = this.nums[i] as number;
          out[i] = Number.isNaN(v) ? null : v === 1;
        }
        values = out;
        break;
      }
      case K_NULL:
        values = new Array<string | null>(n).fill(null);
        break;
      default:
        values = this.utf8 ? (this.strs.finish() as unknown as ArrayLike<unknown>) : this.strs.toArray();
    }
    return { info, values };
  }
}
