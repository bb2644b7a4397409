/**
 * Where a string column's values go: their UTF-8 bytes, copied from the input
 * into Arrow's layout ({@link Utf8Sink}). The parse workers hand that layout
 * on as it is; `parseCSV` turns it into JS strings once, at the end. Internal.
 */

import { release, takeI32, takeU8 } from './arena.js';
import { Utf8Column } from './layout.js';
import { asciiText, utf8Text, writeUtf8 } from './utf8.js';

/** Below this many bytes, a value is copied byte by byte (cheaper than a subarray and `set`). */
const SHORT = 32;

/** One string column's values as UTF-8 bytes, row offsets and validity. */
export class Utf8Sink {
  private data: Uint8Array;
  private offsets: Int32Array;
  private valid: Uint8Array;
  private at = 0;
  private n = 0;
  private nulls = 0;
  /** the bits of every byte so far, OR'd: below 0x80, every value is ASCII */
  private high = 0;

  /** arrays come from (and go back to) the parse worker's arena (arena.ts) */
  private readonly pooled: boolean;

  constructor(nulls: number, capacity = 0, pooled = false) {
    this.pooled = pooled;
    // a piece's expected rows, with room for short values without growing (a
    // column of words, codes, names); else small arrays that grow
    const rows = capacity > 1024 ? capacity : 0;
    this.offsets = rows ? this.i32(rows + 2) : new Int32Array(1024);
    this.valid = rows ? this.u8(rows + 2) : new Uint8Array(1024);
    this.data = rows ? this.u8(Math.max(1 << 16, rows * 8)) : new Uint8Array(1 << 16);
    this.offsets[0] = 0;
    for (let i = 0; i < nulls; i++) this.pushNull();
  }

  private i32(n: number): Int32Array {
    return this.pooled ? takeI32(n) : new Int32Array(n);
  }

  private u8(n: number): Uint8Array {
    return this.pooled ? takeU8(n) : new Uint8Array(n);
  }

  private drop(array: ArrayBufferView): void {
    if (this.pooled) release(array);
  }

  /** Copy the (valid UTF-8) bytes `bytes[start, end)` as the next value. */
  push(bytes: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.at + len > this.data.length) this.growData(this.at + len);
    const data = this.data;
    let at = this.at;
    if (len < SHORT) {
      let high = 0;
      for (let i = start; i < end; i++) {
        const c = bytes[i] as number;
        high |= c;
        data[at++] = c;
      }
      this.high |= high;
    } else {
      data.set(bytes.subarray(start, end), at);
      at += len;
      this.high = 0x80;
    }
    this.at = at;
    this.row(1);
  }

  /**
   * The parser's fast path for a column of text: copy the unquoted field at
   * `bytes[start]` as the next value while finding its end, at `delim` or a
   * line break before `end` — a single pass over its bytes.
   * @returns where the field ends, or -1: nothing was added (an empty field, no
   *   end before `end`, or no room): read the field as usual
   */
  take(bytes: Uint8Array, start: number, end: number, delim: number): number {
    const data = this.data;
    let at = this.at;
    const room = data.length;
    let high = 0;
    let i = start;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c === delim || c === 10 || c === 13) break;
      if (at === room) return -1;
      high |= c;
      data[at++] = c;
    }
    if (i === end || i === start) return -1;
    this.high |= high;
    this.at = at;
    this.row(1);
    return i;
  }

  /** Encode `text` as the next value (a value rebuilt from a number, a date, a boolean). */
  pushText(text: string): void {
    if (this.at + text.length * 3 > this.data.length) this.growData(this.at + text.length * 3);
    const n = writeUtf8(this.data, text, this.at);
    if (n !== text.length) this.high = 0x80;
    this.at += n;
    this.row(1);
  }

  pushNull(): void {
    this.nulls++;
    this.row(0);
  }

  /** Remove the last value; returns whether it was missing. */
  pop(): boolean {
    const n = this.n - 1;
    this.n = n;
    this.at = this.offsets[n] as number;
    const missing = this.valid[n] === 0;
    if (missing) this.nulls--;
    return missing;
  }

  private row(valid: number): void {
    const n = this.n;
    if (n + 2 > this.offsets.length) {
      const offsets = this.i32(this.offsets.length * 2);
      offsets.set(this.offsets);
      this.drop(this.offsets);
      this.offsets = offsets;
    }
    if (n + 1 > this.valid.length) {
      const v = this.u8(this.valid.length * 2);
      v.set(this.valid);
      this.drop(this.valid);
      this.valid = v;
    }
    this.valid[n] = valid;
    this.offsets[n + 1] = this.at;
    this.n = n + 1;
  }

  private growData(need: number): void {
    const data = this.u8(Math.max(need, this.data.length * 2));
    data.set(this.data.subarray(0, this.at));
    this.drop(this.data);
    this.data = data;
  }

  /** The values in Arrow's layout. */
  finish(): Utf8Column {
    const n = this.n;
    let validity: Uint8Array | undefined;
    if (this.nulls > 0) {
      validity = new Uint8Array((n + 7) >> 3);
      const v = this.valid;
      for (let i = 0; i < n; i++) if (v[i]) validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
    }
    // data and offsets go out in the column (the caller hands them back once encoded)
    this.drop(this.valid);
    return new Utf8Column(this.data.subarray(0, this.at), this.offsets.subarray(0, n + 1), validity, this.nulls, n);
  }

  /** The values as JS strings (`null` where missing). */
  toArray(): Array<string | null> {
    const { n, data, offsets, valid } = this;
    const out = new Array<string | null>(n);
    // all ASCII: one decode of the whole column, each value a slice of it
    const whole = this.high < 0x80 ? asciiText(data, 0, this.at) : null;
    for (let i = 0; i < n; i++) {
      if (valid[i] === 0) out[i] = null;
      else {
        const s = offsets[i] as number;
        const e = offsets[i + 1] as number;
        out[i] = whole === null ? utf8Text(data, s, e) : whole.substring(s, e);
      }
    }
    return out;
  }
}
