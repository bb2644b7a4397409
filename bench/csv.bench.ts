/**
 * CSV parsing speed: a generated 1M-row, 7-column (~48 MB) CSV with integers,
 * 2-decimal floats, text, ISO dates and some quoted fields holding commas,
 * parsed by csvsocket's parseCSV (from bytes, from text, and streamed in 64 KiB
 * chunks) and by arquero's fromCSV.
 *
 * Run: node --import tsx bench/csv.bench.ts [rows]
 */

import { performance } from 'node:perf_hooks';
import * as aq from 'arquero';
import { CsvParser, parseCSV } from '../src/csv/index.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);

function generate(rows: number): string {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  const parts: string[] = ['id,price,name,date,count,ratio,note\n'];
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const start = Date.UTC(2000, 0, 1);
  for (let i = 0; i < rows; i++) {
    const price = (rand() * 10000).toFixed(2);
    const name = words[(i * 7) % 8];
    const date = new Date(start + Math.floor(rand() * 9000) * 86_400_000).toISOString().slice(0, 10);
    const count = Math.floor(rand() * 100000);
    const ratio = ((Math.floor(rand() * 20000) - 9999) / 100).toFixed(2); // never "-0.00", which (rightly) makes a column string
    const note = i % 10 === 0 ? `"${words[i % 8]}, ${words[(i + 3) % 8]} "` : `n${i % 1000}`;
    parts.push(`${i},${price},${name},${date},${count},${ratio},${note}\n`);
  }
  return parts.join('');
}

function time<T>(label: string, mb: number, fn: () => T, runs = 3): T {
  let best = Number.POSITIVE_INFINITY;
  let out: T | undefined;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    out = fn();
    best = Math.min(best, performance.now() - t0);
  }
  console.log(
    `${label.padEnd(34)} ${best.toFixed(0).padStart(6)} ms  ${(mb / (best / 1000)).toFixed(1).padStart(6)} MB/s`,
  );
  return out as T;
}

const text = generate(ROWS);
const bytes = new TextEncoder().encode(text);
const mb = bytes.byteLength / 1e6;
console.log(`${ROWS} rows, 7 columns, ${mb.toFixed(1)} MB (best of 3 runs)`);

const parsed = time('csvsocket parseCSV(bytes)', mb, () => parseCSV(bytes));
time('csvsocket parseCSV(string)', mb, () => parseCSV(text));
time('csvsocket CsvParser, 64 KiB chunks', mb, () => {
  const p = new CsvParser();
  for (let i = 0; i < bytes.length; i += 65536) p.push(bytes.subarray(i, i + 65536));
  return p.end();
});
console.log(
  'types:',
  parsed.columns.map((c) => `${c.name}:${c.type}${c.decimals === undefined ? '' : `(${c.decimals})`}`).join(' '),
);
time('arquero fromCSV(string)', mb, () => aq.fromCSV(text), 1);
