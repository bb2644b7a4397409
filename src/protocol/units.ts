/**
 * Sizes and counts as people read them, shared by the terminal, the notebook
 * and the browser page. No imports: the page bundles this file.
 */

/**
 * Bytes as `158 B`, `4.0 MB`, `48 MB`, `2.1 GB`.
 *
 * @param bytes - a byte count
 * @example
 * ```ts
 * formatBytes(1536) // '1.5 KB'
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * A count and a word, plural when the count is not 1: `1 row`, `2 rows`, `1,000 rows`.
 *
 * @param n - the count
 * @param word - the singular
 */
export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * A count with thousands separators, as `toLocaleString('en-US')` writes it:
 * `1,000,000`. Integers are grouped by hand: the first `toLocaleString` call
 * of a process loads ICU's locale data (~11 ms), a tenth of the CLI's start-up.
 *
 * @param n - the count
 * @example
 * ```ts
 * formatCount(1234567) // '1,234,567'
 * ```
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let at = out.length; at < digits.length; at += 3) out += `,${digits.slice(at, at + 3)}`;
  return n < 0 ? `-${out}` : out;
}
