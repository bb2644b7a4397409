/**
 * The edge-case corpus in test/data/edge/: each file with the options it is
 * read with and, for a file that must be refused, the error it gets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CsvOptions } from '../../src/csv/index.js';

export const EDGE = join(__dirname, '..', 'data', 'edge');

export interface EdgeCase {
  file: string;
  bytes: Uint8Array;
  options: CsvOptions;
  /** the error code every path must give, for an input that is refused */
  error?: string;
  line?: number;
}

/** Every case of the corpus, in cases.json order. */
export function edgeCases(): EdgeCase[] {
  const cases = JSON.parse(readFileSync(join(EDGE, 'cases.json'), 'utf8')) as Record<
    string,
    { options?: CsvOptions; error?: string; line?: number }
  >;
  return Object.entries(cases).map(([file, c]) => ({
    file,
    bytes: new Uint8Array(readFileSync(join(EDGE, file))),
    options: c.options ?? {},
    ...(c.error ? { error: c.error } : {}),
    ...(c.line ? { line: c.line } : {}),
  }));
}
