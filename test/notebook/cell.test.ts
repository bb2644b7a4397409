/**
 * What a cell prints, against a stand-in for tslab that does what tslab's
 * executor does (tslab/dist/executor.js and jupyter.js): per cell it installs
 * its own `process.stdout.write` / `process.stderr.write`, prints the cell's
 * last value with `console.log(value)` and a failure with `console.error(err)`.
 * test/e2e/notebook-cells.test.ts runs the same points through Jupyter.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as aq from 'arquero';
import type * as Csvsocket from '../../src/index.js';
import { formatTable } from '../../src/notebook/table.js';
import { installFakeKernel, type Written } from './fake-kernel.js';

const written: Written[] = [];
const realStdout = process.stdout.write;
const realStderr = process.stderr.write;

/** A cell's output: stdout and stderr text, and the displays it sent. */
interface CellOutput {
  stdout: string;
  stderr: string;
  displays: Written[];
  ok: boolean;
}

class FakeHandler {
  async handleExecuteImpl(cell: () => unknown, out: CellOutput): Promise<void> {
    // the test runner reports through stdout in Buffers; a cell's console.log writes strings
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk !== 'string')
        return (realStdout as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
      out.stdout += chunk;
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => {
      out.stderr += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      const value = await cell();
      if (value !== null && value !== undefined) console.log(value);
    } catch (err) {
      console.error(err);
      out.ok = false;
    }
  }
  handleShutdown(): void {}
}

/** Runs one cell as tslab would and returns what it printed. */
async function runCell(cell: () => unknown): Promise<CellOutput> {
  const out: CellOutput = { stdout: '', stderr: '', displays: [], ok: true };
  const from = written.length;
  try {
    await new FakeHandler().handleExecuteImpl(cell, out);
  } finally {
    process.stdout.write = realStdout;
    process.stderr.write = realStderr;
  }
  out.displays = written.slice(from);
  return out;
}

describe('a cell in a (stand-in) tslab kernel', { timeout: 60_000 }, () => {
  let csvs: typeof Csvsocket;
  const servers: Csvsocket.CsvServer[] = [];

  before(() => {
    installFakeKernel(FakeHandler, written);
    csvs = require('../../src/index.js') as typeof Csvsocket;
  });

  after(async () => {
    for (const s of servers) await s.close();
  });

  describe('a table as the last value', () => {
    it('draws as show() would and prints nothing, not ColumnTable internals', async () => {
      const out = await runCell(() => aq.table({ id: [1, 2], total: [1225.9999999999989, 2.5] }));
      assert.equal(out.stdout, '');
      assert.equal(out.displays.length, 1);
      assert.match(out.displays[0]?.data['text/html'] ?? '', /2 rows × 2 columns/);
      assert.match(out.displays[0]?.data['text/plain'] ?? '', /^ +1 +1226$/m);
      assert.doesNotMatch(JSON.stringify(out.displays), /_data|Column \{/);
    });

    it('inside another value stays one line', async () => {
      const out = await runCell(() => ({ t: aq.table({ a: [1] }) }));
      assert.equal(out.stdout, '{ t: ColumnTable (1 rows × 1 columns) }\n');
      assert.equal(out.displays.length, 0);
    });

    it('describe() as the last value shows the summary', async () => {
      const out = await runCell(() => csvs.describe(aq.table({ n: [1, 2, null] })));
      assert.equal(out.stdout, '');
      assert.match(out.displays[0]?.data['text/plain'] ?? '', /^n +integer +2 +1 +2 +1 +2 +1\.5/m);
    });
  });

  describe('tables the server hands out', () => {
    it("server.next() gives a table that shows the server's types and each value's text", async () => {
      const server = await csvs.serve({ port: 0, token: 'decimals-token' });
      servers.push(server);
      const arriving = server.next({ name: 'decimals' });
      const client = await csvs.connect(server.url);
      await client.upload('x,n\n1.50,1\n2.25,2\n', { name: 'decimals' });
      await client.close();
      const text = formatTable(await arriving);
      assert.match(text, /^number +integer$/m);
      assert.match(text, /^ +1\.50 +1$/m);
    });
  });

  describe('a chart as the last value', () => {
    it('draws the chart and prints no blank line under it', async () => {
      const table = aq.table({ name: ['a', 'b'], grade: [1, 2] });
      const out = await runCell(() =>
        csvs.chart(table, { mark: 'bar', encoding: { x: { field: 'name' }, y: { field: 'grade' } } }),
      );
      assert.equal(out.stdout, '');
      assert.ok(out.displays.some((d) => /<svg/.test(d.data['text/html'] ?? '')));
    });
  });

  describe('errors', () => {
    it('print as CSVS_CODE: message and a hint, nothing undefined; the stack stays on err.stack', async () => {
      let caught: Error | undefined;
      const out = await runCell(async () => {
        try {
          await csvs.send(join(__dirname, 'no-such-file.csv'), { serve: { port: 0 } });
        } catch (err) {
          caught = err as Error;
          throw err;
        }
      });
      assert.equal(out.ok, false);
      assert.match(out.stderr, /^CSVS_NOT_FOUND: no file "no-such-file\.csv" in .*notebook\n/);
      assert.match(out.stderr, /\nhint: /);
      assert.doesNotMatch(out.stderr, /undefined|node_modules|at async/);
      assert.match(caught?.stack ?? '', /\n +at /);
    });
  });

  describe('send() not awaited', () => {
    it("prints the original's messages in the cell that started it", async () => {
      const server = await csvs.serve({ port: 0 });
      servers.push(server);
      const out = await runCell(() => {
        void csvs.send('id,score\n1,0.0\n2,5.0\n', { name: 'unawaited' });
      });
      assert.match(out.stdout, /Received CSV data!!\n.*0\.0/s);
      assert.match(out.stdout, /Server confirmation: CSV file received and processed!/);
      assert.equal(out.stderr, '');
    });

    it('as the last value prints nothing but its messages', async () => {
      const out = await runCell(() => csvs.send('a\n1\n', { name: 'last' }));
      assert.doesNotMatch(out.stdout, /Promise/);
      assert.match(out.stdout, /^Received CSV data!!/);
    });

    it('that fails shows its error in its own cell, once', async () => {
      const out = await runCell(() => {
        void csvs.send(join(__dirname, 'missing-too.csv'));
      });
      assert.match(out.stderr, /^send\(\) was not awaited, and it failed:\nCSVS_NOT_FOUND: no file "missing-too\.csv"/);
      const next = await runCell(() => 1);
      assert.equal(next.stderr, '');
    });

    it('that fails but was handled prints nothing', async () => {
      const out = await runCell(() => {
        csvs.send(join(__dirname, 'missing-too.csv')).catch(() => undefined);
      });
      assert.equal(out.stderr, '');
    });
  });

  describe('serve() with the port taken', () => {
    it('falls back to a free port when none was given, and says so in the status display', async (t) => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(8851, '127.0.0.1', resolve)).catch(() => undefined);
      t.after(() => blocker.close());
      const out = await runCell(async () => {
        const server = await csvs.serve();
        servers.push(server);
        assert.notEqual(server.port, 8851);
      });
      assert.equal(out.ok, true, out.stderr);
      const status = out.displays.at(-1)?.data['text/plain'] ?? '';
      assert.match(status, /port 8851 is taken \(another notebook or server\?\): listening on port \d+/);
    });

    it('names serve({ port: 0 }) when the port was given', async (t) => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      t.after(() => blocker.close());
      const taken = (blocker.address() as { port: number }).port;
      await assert.rejects(csvs.serve({ port: taken }), (err: Csvsocket.CsvSocketError) => {
        assert.equal(err.name, 'ConnectionError');
        assert.equal(err.code, 'CSVS_ADDRESS_IN_USE');
        assert.match(
          err.message,
          /^port \d+ is already in use by another server; serve\(\{ port: 0 \}\) picks a free one$/,
        );
        return true;
      });
    });
  });
});
