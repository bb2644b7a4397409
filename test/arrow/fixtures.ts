import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Arrow written by pyarrow 25 (test/data/arrow/make-pyarrow.py): every type, both formats, V4 and V5. */
export const PYARROW = join(__dirname, '..', 'data', 'arrow', 'pyarrow');

/** Each pyarrow-written file, by name. */
export function pyarrowFiles(): Array<[string, Uint8Array]> {
  return readdirSync(PYARROW)
    .filter((f) => f.endsWith('.arrow'))
    .sort()
    .map((f) => [f, new Uint8Array(readFileSync(join(PYARROW, f)))]);
}

/** The pyarrow-written file `name`. */
export function pyarrowFile(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(PYARROW, name)));
}
