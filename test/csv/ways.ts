/**
 * Every way of parsing one input, for tests that require them all to agree:
 * parseCSV(string), parseCSV(bytes), pushText per character, and CsvParser over
 * adversarial byte chunkings (every byte, random splits, each cut in the first
 * bytes so that a BOM or a UTF-8 sequence arrives alone).
 */
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/client/sensor.js';
import { type CsvOptions, CsvParser, type ParsedCsv, parseCSV } from '../../src/csv/index.js';
import { CsvParseError } from '../../src/errors.js';

const encoder = new TextEncoder();

/** A seeded PRNG (mulberry32), so that every "random" input is reproducible: the sensor's own. */
export const prng = seededRandom;

/** Byte chunkings: whole, every byte, and random splits (some tiny, some large). */
export function chunkings(bytes: Uint8Array, everyByte: boolean): Array<{ label: string; chunks: Uint8Array[] }> {
  const out: Array<{ label: string; chunks: Uint8Array[] }> = [{ label: 'one chunk', chunks: [bytes] }];
  if (everyByte) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    out.push({ label: '1-byte chunks', chunks });
  }
  for (const [seed, max] of [
    [1, 7],
    [2, 64],
    [3, 4096],
  ] as const) {
    const rand = prng(seed * 7919 + bytes.length);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; ) {
      const n = 1 + Math.floor(rand() * max);
      chunks.push(bytes.subarray(i, i + n));
      i += n;
    }
    out.push({ label: `random splits ≤${max} (seed ${seed})`, chunks });
  }
  // a first chunk of 1…7 bytes: a BOM (3 bytes) or a character arrives alone
  for (let cut = 1; cut <= Math.min(7, bytes.length - 1); cut++)
    out.push({ label: `cut at byte ${cut}`, chunks: [bytes.subarray(0, cut), bytes.subarray(cut)] });
  return out;
}

export type Way = { label: string; run: () => ParsedCsv };

/** Every way of parsing the same input: parseCSV(string), parseCSV(bytes), CsvParser over chunkings, pushText per character. */
export function ways(input: string | Uint8Array, options?: CsvOptions, everyByte = true): Way[] {
  const bytes = typeof input === 'string' ? encoder.encode(input) : input;
  const list: Way[] = [];
  if (typeof input === 'string') {
    list.push({ label: 'parseCSV(string)', run: () => parseCSV(input, options) });
    if (everyByte) {
      list.push({
        label: 'pushText per character',
        run: () => {
          const p = new CsvParser(options);
          for (const ch of input) p.pushText(ch);
          return p.end();
        },
      });
    }
  }
  list.push({ label: 'parseCSV(bytes)', run: () => parseCSV(bytes, options) });
  for (const { label, chunks } of chunkings(bytes, everyByte)) {
    list.push({
      label: `CsvParser, ${label}`,
      run: () => {
        const p = new CsvParser(options);
        for (const c of chunks) p.push(c);
        return p.end();
      },
    });
  }
  return list;
}

/** Parse every way; all results must be identical. Returns the result. */
export function parseAll(input: string | Uint8Array, options?: CsvOptions, everyByte = true): ParsedCsv {
  const [first, ...rest] = ways(input, options, everyByte);
  assert.ok(first);
  const expected = first.run();
  for (const way of rest) assert.deepEqual(way.run(), expected, `${way.label} differs from ${first.label}`);
  return expected;
}

/** Every way must throw `cls` with `code` and `line`; returns the error of the first way. */
export function failAll(
  input: string | Uint8Array,
  code: string,
  line: number | undefined,
  options?: CsvOptions,
  cls: new (...args: never[]) => Error = CsvParseError,
): Error & { code: string; line?: number } {
  let first: (Error & { code: string; line?: number }) | undefined;
  for (const way of ways(input, options)) {
    let caught: unknown;
    try {
      way.run();
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof cls, `${way.label}: expected ${cls.name} ${code}, got ${String(caught)}`);
    const e = caught as Error & { code: string; line?: number };
    assert.equal(e.code, code, `${way.label}: ${e.message}`);
    assert.equal(e.line, line, `${way.label}: wrong line; ${e.message}`);
    first ??= e;
  }
  assert.ok(first);
  return first;
}
