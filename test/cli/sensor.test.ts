/**
 * `csvsocket sensor` as a process, and the readings it writes (src/client/sensor.ts).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sensorRows } from '../../src/client/sensor.js';
import { type CsvServer, live, startServer } from '../../src/index.js';
import { repoRoot } from '../e2e/jupyter.js';

describe('csvsocket sensor', () => {
  let server: CsvServer;

  before(async () => {
    server = await startServer({ port: 0 });
  });
  after(async () => {
    await server.close();
  });

  const cli = join(repoRoot, 'src', 'cli', 'bin.ts');
  const run = (args: string[]): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', cli, 'sensor', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const outputOf = (child: ChildProcess): { text: string } => {
    const out = { text: '' };
    child.stdout?.on('data', (c: Buffer) => (out.text += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out.text += c.toString()));
    return out;
  };

  it('writes --rows rows at --rate through --url, then stops by itself', async () => {
    const child = run(['--url', server.url, '--rows', '30', '--rate', '500', '--name', 'cli']);
    const out = outputOf(child);
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, out.text);
    assert.match(out.text, /^sensor: appending to "cli" at 500 rows\/s, 30 rows\nsensor: wrote 30 rows to "cli" in /);
    const table = server.table('cli');
    assert.ok(table);
    assert.equal(table.numRows(), 30);
    assert.deepEqual(table.columnNames(), ['time', 'sensor', 'temperature', 'humidity']);
    assert.deepEqual([...new Set(table.array('sensor', Array))], ['s1', 's2', 's3']);
  });

  it('runs until SIGTERM without --rows, keeping what it wrote', async () => {
    const view = live('forever', 'table', { server, log: false });
    const child = run(['--url', server.url, '--rate', '200', '--name', 'forever']);
    const out = outputOf(child);
    await view.until({ rows: 5 });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, out.text);
    const wrote = Number(/wrote (\d+) rows/.exec(out.text)?.[1]);
    assert.ok(wrote >= 5, out.text);
    await view.until({ rows: wrote });
    assert.equal(server.table('forever')?.numRows(), wrote);
    await view.stop();
  });

  it('exits 1 with a message when the server refuses it', async () => {
    const child = run(['--url', `${server.url.split('?')[0]}?token=wrong`, '--rows', '1']);
    const out = outputOf(child);
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 1);
    assert.match(out.text, /\ncsvsocket: CSVS_AUTH_REQUIRED: .*token/i);
  });

  it('gives the same readings for the same seed, evenly spaced in time', () => {
    const options = { rate: 4, sensors: 2, seed: 7, start: new Date(Date.UTC(2026, 0, 1)) };
    const a = sensorRows(options)(0, 6);
    assert.deepEqual(sensorRows(options)(0, 6), a);
    assert.deepEqual(
      a.map((r) => [r.time.toISOString().slice(11, 23), r.sensor]),
      [
        ['00:00:00.000', 's1'],
        ['00:00:00.250', 's2'],
        ['00:00:00.500', 's1'],
        ['00:00:00.750', 's2'],
        ['00:00:01.000', 's1'],
        ['00:00:01.250', 's2'],
      ],
    );
    for (const r of a) {
      assert.ok(r.temperature > 17 && r.temperature < 24, String(r.temperature));
      assert.ok(r.humidity > 38 && r.humidity < 52, String(r.humidity));
    }
  });
});
