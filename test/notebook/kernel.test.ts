/**
 * serve() against a stand-in for tslab's kernel module (`tslab/dist/jupyter.js`
 * in require.cache): the status display, its updates from server events, the
 * re-attach on a re-run cell, the redraw as a cell ends and the shutdown hook —
 * fast, without Jupyter. test/notebooks.test.ts runs the real kernel.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type * as Csvsocket from '../../src/index.js';
import { freePort, isListening } from '../e2e/jupyter.js';
import { installFakeKernel, type Written } from './fake-kernel.js';

const written: Written[] = [];

/** What tslab's JupyterHandlerImpl offers csvsocket: a cell's execution and the shutdown request. */
class FakeHandler {
  async handleExecuteImpl(): Promise<string> {
    return 'ran';
  }
  handleShutdown(): { restart: boolean } {
    return { restart: false };
  }
}

function statusWrites(): Written[] {
  return written.filter((w) => (w.data['text/plain'] ?? '').startsWith('csvsocket server'));
}

describe('serve() in a (stand-in) kernel', { timeout: 30_000 }, () => {
  let csvs: typeof Csvsocket;
  let server: Csvsocket.CsvServer;
  let port: number;

  before(async () => {
    installFakeKernel(FakeHandler, written);
    // loaded after the stand-in, as a notebook cell loads the package inside a running kernel
    csvs = require('../../src/index.js') as typeof Csvsocket;
    port = await freePort();
  });

  after(async () => {
    await server?.close();
  });

  it('is a notebook', () => {
    const display = require('../../src/notebook/kernel.js') as typeof import('../../src/notebook/kernel.js');
    assert.equal(display.isNotebook(), true);
  });

  it('shows one status display with the URL and a masked token', async () => {
    server = await csvs.serve({ port });
    const shown = statusWrites().filter((w) => !w.update);
    assert.equal(shown.length, 1);
    const last = statusWrites().at(-1);
    assert.equal(last?.transient.display_id, shown[0]?.transient.display_id);
    const text = last?.data['text/plain'] ?? '';
    assert.match(text, new RegExp(`ws://127\\.0\\.0\\.1:${port}/\\?token=${server.token?.slice(0, 4)}…`));
    // what a display shows is saved in the notebook and its reports: never the whole token
    assert.ok(server.token && !JSON.stringify(written).includes(server.token), 'the token is in a display');
    assert.match(text, /server\.url/);
    assert.match(last?.data['text/html'] ?? '', /clients: 0 · datasets: 0/);
  });

  it('a re-run cell gets the same server and the same display again', async () => {
    const id = statusWrites()[0]?.transient.display_id;
    const again = await csvs.serve({ port });
    assert.equal(again, server);
    const shown = statusWrites().filter((w) => !w.update);
    assert.equal(shown.length, 2);
    assert.equal(shown[1]?.transient.display_id, id);
  });

  it('updates the display in place on connections and datasets, printing nothing', async (t) => {
    // console, not process.stdout: the test runner reports through stdout
    const printed: unknown[] = [];
    for (const method of ['log', 'info', 'warn', 'error'] as const)
      t.mock.method(console, method, (...args: unknown[]) => printed.push(args));
    const before = written.length;
    const client = await csvs.connect(server.url);
    await client.upload('a,b\n1,2\n3,4\n', { name: 'pairs' });
    const disconnected = once(server, 'disconnect');
    await client.close();
    await disconnected;
    const updates = written.slice(before);
    assert.ok(updates.length >= 3);
    assert.ok(updates.every((w) => w.update && w.transient.display_id === statusWrites()[0]?.transient.display_id));
    const text = updates.at(-1)?.data['text/plain'] ?? '';
    assert.match(text, /clients: 0 · datasets: 1/);
    assert.match(text, /pairs: 2 rows × 2 columns/);
    assert.match(text, /client \d+ connected\n.*received "pairs"/s);
    assert.deepEqual(printed, []);
  });

  it('shows a dataset received again in a row as one event line', async () => {
    const client = await csvs.connect(server.url);
    await client.upload('a,b\n5,6\n', { name: 'again' });
    await client.upload('a,b\n5,6\n7,8\n', { name: 'again' });
    const disconnected = once(server, 'disconnect');
    await client.close();
    await disconnected;
    const text = statusWrites().at(-1)?.data['text/plain'] ?? '';
    assert.equal(text.match(/received "again"/g)?.length, 1, text);
    assert.match(text, /received "again": 2 rows/);
  });

  it('redraws the status display as each cell ends', async () => {
    const before = written.length;
    assert.equal(await new FakeHandler().handleExecuteImpl(), 'ran');
    const redrawn = written.slice(before);
    assert.equal(redrawn.length, 1);
    assert.equal(redrawn[0]?.update, true);
    assert.match(redrawn[0]?.data['text/plain'] ?? '', /datasets: 2/);
  });

  it("closes the server and frees its port on the kernel's shutdown_request", async () => {
    const closed = once(server, 'closed');
    assert.deepEqual(new FakeHandler().handleShutdown(), { restart: false });
    await closed;
    assert.equal(await isListening(port), false);
    assert.match(statusWrites().at(-1)?.data['text/plain'] ?? '', /closed; the port is free/);
  });
});
