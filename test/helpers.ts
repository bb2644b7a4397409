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
export async function rejectsWithCode(
  fn: Promise<unknown> | (() => unknown),
  code: string,
  pattern?: RegExp,
): Promise<Error & { code: string }> {
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

/**
 * A server on port 0 and one connected client for a describe block, closed
 * after it: `const ctx = serverWithClient();` then `ctx.server`, `ctx.client`.
 */
export function serverWithClient(options: import('../src/index.js').ServeOptions = {}): {
  server: import('../src/index.js').CsvServer;
  client: import('../src/index.js').CsvClient;
} {
  // loaded lazily so that tests of modules below the server need not load it
  const { startServer, connect } = require('../src/index.js') as typeof import('../src/index.js');
  const { before, after } = require('node:test') as typeof import('node:test');
  const ctx = {} as { server: import('../src/index.js').CsvServer; client: import('../src/index.js').CsvClient };
  before(async () => {
    ctx.server = await startServer({ port: 0, ...options });
    ctx.client = await connect(ctx.server.url);
  });
  after(async () => {
    await ctx.client.close();
    await ctx.server.close();
  });
  return ctx;
}

/**
 * A self-signed certificate for localhost and 127.0.0.1 (openssl, valid one day),
 * written as `cert.pem` and `key.pem` into `dir`.
 *
 * @returns the PEM texts and the files' paths
 */
export function selfSignedCert(dir: string): { cert: string; key: string; certFile: string; keyFile: string } {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/** A cell as tests compare it: a Date by its instant, undefined as null, anything else as it is. */
function comparable(value: unknown): unknown {
  if (value instanceof Date) return { date: value.getTime() };
  return value === undefined ? null : value;
}

/** The values of a column however it is held: an array, a typed array, or a column with `get(i)`. */
export function plainValues(values: ArrayLike<unknown> | { length: number; get(i: number): unknown }): unknown[] {
  const get = (values as { get?: unknown }).get;
  if (typeof get === 'function' && !Array.isArray(values)) {
    const column = values as { length: number; get(i: number): unknown };
    return Array.from({ length: column.length }, (_, i) => comparable(column.get(i)));
  }
  return Array.from(values as ArrayLike<unknown>, comparable);
}

/**
 * An arquero table against parsed columns (`parseCSV`'s result, or any
 * `{ columns, values }`): the same names in the same order, and every value
 * equal (Dates as the same instant), row by row.
 */
export function sameTable(
  actual: ColumnTable,
  expected: { columns: ReadonlyArray<{ name: string }>; values: ReadonlyArray<ArrayLike<unknown>> },
  message = 'table',
): void {
  assert.deepEqual(
    actual.columnNames(),
    expected.columns.map((c) => c.name),
    `${message}: column names`,
  );
  expected.columns.forEach((c, i) => {
    assert.deepEqual(
      plainValues(actual.array(c.name, Array) as unknown[]),
      plainValues(expected.values[i] ?? []),
      `${message}: column ${JSON.stringify(c.name)}`,
    );
  });
}
