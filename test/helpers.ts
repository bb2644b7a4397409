import assert from 'node:assert/strict';
import type { ColumnTable } from 'arquero';

/** Column names and every value of two tables, compared in order. */
export function tableEqual(actual: ColumnTable, expected: Record<string, unknown[]>, message?: string): void {
  assert.deepEqual(actual.columnNames(), Object.keys(expected), message);
  for (const [name, values] of Object.entries(expected)) {
    assert.deepEqual(actual.array(name, Array), values, `${message ?? 'column'} ${name}`);
  }
}

/** Assert that `fn` rejects (or throws) a csvsocket error with `code`, and return it. */
export async function rejectsWithCode(fn: Promise<unknown> | (() => unknown), code: string, pattern?: RegExp): Promise<Error & { code: string }> {
  let caught: unknown;
  try {
    await (typeof fn === 'function' ? fn() : fn);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof Error, `expected a rejection with ${code}, got none`);
  assert.equal((caught as { code?: string }).code, code, `wrong code; message: ${(caught as Error).message}`);
  if (pattern) assert.match((caught as Error).message, pattern);
  return caught as Error & { code: string };
}
