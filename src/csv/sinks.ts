/**
 * Where a string column's values go: JS strings ({@link ArraySink}) or UTF-8
 * bytes in Arrow's layout ({@link Utf8Sink}). Internal.
 */

import { Utf8Column } from './layout.js';

/** Where a string column's values go: JS strings, or UTF-8 bytes. */
export interface StringSink {
  push(s: string, start: number, end: number): void;
  pushNull(): void;
  finish(): ArrayLike<unknown> | Utf8Column;
}

export class ArraySink implements StringSink {
  readonly strs: Array<string | null>;
  constructor(nulls: number) {
    this.strs = nulls === 0 ? [] : new Array<string | null>(nulls).fill(null);
  }
  push(s: string, start: number, end: number): void {
    this.strs.push(s.substring(start, end));
  }
  pushNull(): void {
    this.strs.push(null);
  }
  finish(): Array<string | null> {
    return this.strs;
  }
}

export class Utf8Sink implements StringSink {
  private data = new Uint8Array(1 << 16);
  private offsets = new Int32Array(1024);
  private valid = new Uint8Array(1024);
  private at = 0;
  private n = 0;
  private nulls = 0;

  constructor(nulls: number, capacity = 0) {
    if (capacity > 1024) {
      this.offsets = new Int32Array(capacity + 2);
      this.valid = new Uint8Array(capacity + 2);
    }
    for (let i = 0; i < nulls; i++) this.pushNull();
  }

  push(s: string, start: number, end: number): void {
    const len = end - start;
    if (this.at + len * 3 > this.data.length) this.growData(this.at + len * 3);
    const data = this.data;
    let at = this.at;
    for (let i = start; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // not ASCII: let the encoder handle this value (surrogates and all)
        at =
          this.at +
          Buffer.from(data.buffer, data.byteOffset, data.byteLength).write(s.substring(start, end), this.at, 'utf8');
        break;
      }
      data[at++] = c;
    }
    this.at = at;
    this.row(1);
  }

  pushNull(): void {
    this.nulls++;
    this.row(0);
  }

  private row(valid: number): void {
    const n = this.n;
    if (n + 2 > this.offsets.length) {
      const offsets = new Int32Array(this.offsets.length * 2);
      offsets.set(this.offsets);
      this.offsets = offsets;
      const v = new Uint8Array(this.offsets.length);
      v.set(this.valid);
      this.valid = v;
    }
    this.valid[n] = valid;
    this.offsets[n + 1] = this.at;
    this.n = n + 1;
  }

  private growData(need: number): void {
    const data = new Uint8Array(Math.max(need, this.data.length * 2));
    data.set(this.data.subarray(0, this.at));
    this.data = data;
  }

  finish(): Utf8Column {
    const n = this.n;
    let validity: Uint8Array | undefined;
    if (this.nulls > 0) {
      validity = new Uint8Array((n + 7) >> 3);
      const v = this.valid;
      for (let i = 0; i < n; i++) if (v[i]) validity[i >> 3] = (validity[i >> 3] as number) | (1 << (i & 7));
    }
    return new Utf8Column(this.data.subarray(0, this.at), this.offsets.subarray(0, n + 1), validity, this.nulls, n);
  }
}
