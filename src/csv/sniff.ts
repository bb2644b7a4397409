/**
 * What the start of an input says before any row is scanned: which delimiter
 * it uses, and whether it is JSON rather than CSV.
 */

import { CsvParseError, ErrorCode } from '../errors.js';

/** The delimiters {@link detectDelimiter} chooses from, in order of preference on a tie. */
export const DELIMITERS: readonly string[] = [',', ';', '\t', '|'];

/** What {@link sniffStart} found at the start of an input. */
export interface Sniffed {
  /** the delimiter's char code */
  delimiter: number;
  /** the first non-blank text starts like JSON (`{"`, `[{`, a lone `[` or `{`) */
  json: boolean;
}

/**
 * Look at the header line of `text` (the first line that is not blank,
 * respecting quotes) and pick the delimiter that occurs most often outside
 * quotes in it among `,` `;` tab `|`; `,` when none occurs (a single column).
 * Only the header line is read, so every piece of a parallel parse, which
 * sees the same header, decides the same.
 *
 * @param text - the input from its start, as text or UTF-8 bytes
 * @param final - no more input follows
 * @returns the decision, or null when the header line is not complete yet
 * @example
 * ```ts
 * sniffStart('a;b\n1,5;2\n', false) // { delimiter: 59 (';'), json: false }
 * ```
 */
export function sniffStart(text: string | Uint8Array, final: boolean): Sniffed | null {
  // the characters looked at are ASCII: a byte or a UTF-16 unit reads the same
  const len = text.length;
  const code =
    typeof text === 'string'
      ? (i: number) => text.charCodeAt(i)
      : (i: number) => (i < len ? (text[i] as number) : Number.NaN);
  let pos = 0;
  // skip blank lines (spaces and tabs only) before the header
  for (;;) {
    let p = pos;
    while (p < len && (code(p) === 32 || code(p) === 9)) p++;
    if (p === len) {
      if (!final) return null;
      pos = p;
      break;
    }
    const c = code(p);
    if (c !== 10 && c !== 13) break;
    pos = p + 1;
  }
  const counts = [0, 0, 0, 0];
  const codes = DELIMITERS.map((d) => d.charCodeAt(0));
  let quoted = false;
  let p = pos;
  for (; p < len; p++) {
    const c = code(p);
    if (c === 34) quoted = !quoted;
    else if (!quoted) {
      if (c === 10 || c === 13) break;
      const k = codes.indexOf(c);
      if (k >= 0) counts[k] = (counts[k] as number) + 1;
    }
  }
  if (p === len && !final) return null;
  let best = 0;
  for (let k = 1; k < counts.length; k++) if ((counts[k] as number) > (counts[best] as number)) best = k;
  const first = code(pos);
  const second = code(pos + 1);
  const json =
    (first === 123 || first === 91) &&
    (Number.isNaN(second) ||
      second === 34 ||
      second === 123 ||
      second === 91 ||
      second === 10 ||
      second === 13 ||
      second === 32);
  return { delimiter: codes[best] as number, json };
}

/**
 * The delimiter of a CSV text, as {@link sniffStart} picks it from the header line.
 * @param text - the CSV text from its start
 * @returns one of `,` `;` tab `|`
 * @example
 * ```ts
 * detectDelimiter('a|b\n1|2\n') // '|'
 * ```
 */
export function detectDelimiter(text: string): string {
  return String.fromCharCode((sniffStart(text, true) as Sniffed).delimiter);
}

/** The error for an input that starts like JSON (see {@link Sniffed.json}). */
export function jsonError(text: string): CsvParseError {
  const start = text.trimStart().slice(0, 20);
  return new CsvParseError(
    ErrorCode.PARSE_BAD_JSON,
    `this looks like JSON, not CSV (it starts with ${JSON.stringify(start)}); send a CSV file such as "a,b\\n1,2", or convert the JSON to CSV first`,
    { line: 1 },
  );
}
