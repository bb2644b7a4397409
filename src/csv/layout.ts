/**
 * The Arrow column layouts the parse workers build: {@link Utf8Column} for
 * strings, {@link ArrowColumn} for numbers, dates and booleans. Internal.
 */

import { dayToDate } from './dates.js';
import { utf8Text } from './utf8.js';

/**
 * A string column as Arrow lays it out: UTF-8 bytes, row offsets and a
 * validity bitmap. The parse workers collect strings this way, so a million
 * cells never become a million JS strings (allocation and GC were a third of
 * the parse) and the Arrow IPC needs no second encoding pass.
 */
export class Utf8Column {
  constructor(
    /** UTF-8 bytes of every value, back to back */
    readonly data: Uint8Array,
    /** `length + 1` offsets into `data` */
    readonly offsets: Int32Array,
    /** bit i set when row i has a value; undefined when none is missing */
    readonly validity: Uint8Array | undefined,
    readonly nullCount: number,
    readonly length: number,
  ) {}

  /** The value of row `i` (for summaries; not for bulk access). */
  get(i: number): string | null {
    if (this.validity && !((this.validity[i >> 3] as number) & (1 << (i & 7)))) return null;
    return utf8Text(this.data, this.offsets[i] as number, this.offsets[i + 1] as number);
  }
}

/**
 * A non-string column in Arrow's layout, as the parse workers build it:
 * `float64` values, `date` days since the epoch (no `Date` per cell), or
 * `bool` bits; bit i of `validity` set when row i has a value. Internal.
 */
export class ArrowColumn {
  constructor(
    readonly type: 'float64' | 'date' | 'timestamp' | 'bool',
    readonly values: Float64Array | Int32Array | BigInt64Array | Uint8Array,
    readonly validity: Uint8Array | undefined,
    readonly nullCount: number,
    readonly length: number,
  ) {}

  /** The value of row `i` as parseCSV gives it (for summaries; not for bulk access). */
  get(i: number): number | boolean | Date | null {
    if (this.validity && !((this.validity[i >> 3] as number) & (1 << (i & 7)))) return null;
    if (this.type === 'float64') return this.values[i] as number;
    if (this.type === 'date') return dayToDate(this.values[i] as number);
    if (this.type === 'timestamp') return new Date(Number(this.values[i]));
    return ((this.values[i >> 3] as number) & (1 << (i & 7))) !== 0;
  }
}
