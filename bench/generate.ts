/**
 * The benchmark's CSV: 1M rows, 7 columns (~48 MB) of integers, 2-decimal
 * floats, text, ISO dates and quoted fields holding commas — the same data as
 * bench/csv.bench.ts. Written once to bench/tmp/ and reused.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

/**
 * CSV text of `rows` rows starting at row `from`, header first when `from` is 0.
 * Deterministic: the same rows every time.
 */
export function* csvRows(rows: number, from = 0, batch = 10_000): Generator<string> {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const start = Date.UTC(2000, 0, 1);
  if (from === 0) yield 'id,price,name,date,count,ratio,note\n';
  let parts: string[] = [];
  for (let i = from; i < from + rows; i++) {
    const price = (rand() * 10000).toFixed(2);
    const name = WORDS[(i * 7) % 8];
    const date = new Date(start + Math.floor(rand() * 9000) * 86_400_000).toISOString().slice(0, 10);
    const count = Math.floor(rand() * 100000);
    const ratio = ((Math.floor(rand() * 20000) - 9999) / 100).toFixed(2); // never "-0.00"
    const note = i % 10 === 0 ? `"${WORDS[i % 8]}, ${WORDS[(i + 3) % 8]} "` : `n${i % 1000}`;
    parts.push(`${i},${price},${name},${date},${count},${ratio},${note}\n`);
    if (parts.length === batch) {
      yield parts.join('');
      parts = [];
    }
  }
  if (parts.length > 0) yield parts.join('');
}

/** Write `rows` rows to `path` unless a file is already there; returns its size in bytes. */
export async function ensureCsv(path: string, rows: number): Promise<number> {
  if (existsSync(path)) return statSync(path).size;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.part`;
  const out = createWriteStream(tmp);
  for (const text of csvRows(rows)) {
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  renameSync(tmp, path);
  return statSync(path).size;
}
