/**
 * Modules loaded on first use, so that the CLI's `send` starts without
 * arquero, flechette or the CSV parser (most of a small upload's start-up).
 * Each loader keeps what it loaded: `require` of a loaded module still
 * resolves its path, a few KB of strings per call on a query's hot path.
 */

import type * as ArrowIPC from './arrow/ipc.js';
import type * as Csv from './csv/index.js';

/** `load()` on the first call, its value from then on. */
export function onFirstUse<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => {
    loaded ??= { value: load() };
    return loaded.value;
  };
}

/** src/arrow/ipc.ts: Arrow IPC to and from arquero tables. */
export const arrowIPC = onFirstUse(() => require('./arrow/ipc.js') as typeof ArrowIPC);

/** src/csv: the CSV parser and writer. */
export const csvModule = onFirstUse(() => require('./csv/index.js') as typeof Csv);
