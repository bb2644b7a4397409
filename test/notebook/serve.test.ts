/**
 * The notebook shorthands outside a notebook: serve() is idempotent and takes
 * its defaults from the environment, send() uses the server serve() returned
 * and prints the original's messages; background events print nothing.
 * (Inside a kernel they run in test/notebooks.test.ts.)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { ErrorCode, send, serve } from '../../src/index.js';
import { isNotebook } from '../../src/notebook/kernel.js';
import { freePort } from '../e2e/jupyter.js';
import { rejectsWithCode, tableEqual } from '../helpers.js';

const studentsPath = join(__dirname, '..', '..', 'data', 'students.csv');

/** Runs `fn` with console.log captured; returns what it printed. */
async function capture(fn: () => Promise<unknown>): Promise<string> {
  const original = console.log;
  let out = '';
  console.log = (...args: unknown[]) => {
    out += `${args.map(String).join(' ')}\n`;
  };
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return out;
}

describe('serve (notebook shorthand)', () => {
  const env = { port: process.env.CSVSOCKET_PORT, token: process.env.CSVSOCKET_TOKEN };
  const started: Array<{ close(): Promise<void> }> = [];

  afterEach(() => {
    for (const [key, value] of [
      ['CSVSOCKET_PORT', env.port],
      ['CSVSOCKET_TOKEN', env.token],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  after(async () => {
    await Promise.all(started.map((s) => s.close()));
  });

  it('is not in a notebook here', () => {
    assert.equal(isNotebook(), false);
  });

  it('returns the running server when called again with the same options', async () => {
    const port = await freePort();
    const a = await serve({ port });
    started.push(a);
    const b = await serve({ port });
    assert.equal(b, a);
    assert.equal(b.token, a.token, 'a re-run keeps the random token');
  });

  it('restarts cleanly on the same port when the options change — never EADDRINUSE', async () => {
    const port = await freePort();
    const a = await serve({ port });
    const b = await serve({ port, limits: { maxConnections: 3 } });
    started.push(b);
    assert.notEqual(b, a);
    assert.equal(a.isClosed, true);
    assert.equal(b.port, port);
    assert.equal(b.token, a.token);
  });

  it('takes its port and token from CSVSOCKET_PORT and CSVSOCKET_TOKEN', async () => {
    const port = await freePort();
    process.env.CSVSOCKET_PORT = String(port);
    process.env.CSVSOCKET_TOKEN = 'an-env-token-123';
    const server = await serve();
    started.push(server);
    assert.equal(server.port, port);
    assert.equal(server.token, 'an-env-token-123');
  });

  it('rejects a CSVSOCKET_PORT that is not a port, naming the variable', async () => {
    process.env.CSVSOCKET_PORT = '88a51';
    await rejectsWithCode(() => serve(), ErrorCode.BAD_ARGUMENT, /CSVSOCKET_PORT must be a port number.*"88a51"/);
  });
});

describe('send (notebook shorthand)', () => {
  it("uploads to the server serve() returned, prints the original's messages, returns the table", async () => {
    const server = await serve({ port: await freePort() });
    try {
      let table: Awaited<ReturnType<typeof send>> | undefined;
      const printed = await capture(async () => {
        table = await send(studentsPath, { name: 'students' });
      });
      assert.ok(table);
      tableEqual(table.select('id', 'grade'), {
        id: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        grade: ['A', 'B', 'A', 'B', 'A', 'A', 'B', 'C', 'A', 'A'],
      });
      assert.ok(server.table('students'), 'the dataset is on the server serve() returned');
      assert.match(
        printed,
        /^Received CSV data!!\n +id +name +age +grade\n0 +1 +Monish +21 +A\n(?:.*\n){4}\nServer confirmation: CSV file received and processed!\n$/,
      );
    } finally {
      await server.close();
    }
  });

  it('prints nothing with verbose: false, and nothing when another client connects later', async () => {
    const server = await serve({ port: await freePort() });
    try {
      const printed = await capture(async () => {
        await send('a,b\n1,2\n', { name: 'quiet', verbose: false });
        await send('a,b\n3,4\n', { name: 'quiet2', verbose: false });
      });
      assert.equal(printed, '');
    } finally {
      await server.close();
    }
  });
});
