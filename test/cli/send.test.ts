/** `csvsocket send` asks for the summary only: the stored table does not come back. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CsvClient, connect } from '../../src/client/client.js';
import { type CsvServer, startServer } from '../../src/server/server.js';

describe('send, summary only', () => {
  let server: CsvServer;
  let client: CsvClient;
  before(async () => {
    server = await startServer({ port: 0 });
    client = await connect(server.url);
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('stores the data and answers with the summary and no table (returnTable: false, as the CLI sends)', async () => {
    const r = await client.upload('a,b\n1,x\n2,y\n', { name: 'tiny', returnTable: false });
    assert.equal(r.table, null);
    assert.equal(r.summary.rows, 2);
    assert.deepEqual(
      r.summary.columns.map((c) => c.name),
      ['a', 'b'],
    );
    assert.equal(server.table('tiny')?.numRows(), 2);
    // the default still hands the table back
    assert.equal((await client.upload('a\n1\n', { name: 'back' })).table?.numRows(), 1);
  });
});

describe('csvsocket send --type date:FORMAT and --delimiter', () => {
  let server: CsvServer;
  before(async () => {
    server = await startServer({ port: 0 });
  });
  after(async () => {
    await server.close();
  });

  const cli = join(__dirname, '..', '..', 'dist', 'cli', 'csvsocket.js');
  // the server runs in this process: the CLI must run beside it, not block it
  const run = (args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [cli, ...args, '--url', server.url],
        { encoding: 'utf8', env: { ...process.env, CSVSOCKET_CLIENT_ID: '' } },
        (err, stdout, stderr) => resolve({ status: err ? ((err.code as number) ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(input);
    });
  const send = (...args: string[]) => run(['send', '-', ...args], 'day;n\nJan 1 2000;1\nFeb 29 2000;2\n');

  it('reads a semicolon file with the format given, and writes the original text back', async () => {
    const r = await send('--name', 'days', '--delimiter', ';', '--type', 'day=date:%b %d %Y');
    assert.equal(r.status, 0, r.stderr);
    const table = server.table('days');
    assert.ok(table);
    assert.deepEqual(table.columnNames(), ['day', 'n']);
    const first = table.get('day', 0) as Date;
    assert.deepEqual([first.getFullYear(), first.getMonth(), first.getDate()], [2000, 0, 1]);
    const csv = await run(['query', 'days', '--format', 'csv']);
    assert.equal(csv.stdout, 'day,n\nJan 1 2000,1\nFeb 29 2000,2\n');
  });

  it('refuses an unknown delimiter and a type that is not one', async () => {
    const bad = await send('--delimiter', 'x');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /CSVS_BAD_ARGUMENT: --delimiter takes , ; \| or tab; got "x"/);
    const type = await send('--type', 'day=when');
    assert.equal(type.status, 1);
    assert.match(type.stderr, /--type takes COLUMN=TYPE .* or date:FORMAT; got "day=when"/);
  });
});

describe('csvsocket send, start-up', () => {
  let server: CsvServer;
  let dir: string;
  before(async () => {
    server = await startServer({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'csvsocket-cli-modules-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("does not load ws's native masking helper (a client masks with zeros), and leaves the environment as it was", async () => {
    // a preload that reports, as the process exits, which modules it loaded
    const report = join(dir, 'report.js');
    writeFileSync(
      report,
      `process.on('exit', () => process.stderr.write('\\nMODULES ' + JSON.stringify({
        bufferutil: Object.keys(require.cache).some((m) => m.includes('/node_modules/bufferutil/')),
        env: process.env.WS_NO_BUFFER_UTIL ?? null,
      }) + '\\n'));`,
    );
    const cli = join(__dirname, '..', '..', 'dist', 'cli', 'csvsocket.js');
    const r = await new Promise<{ status: number; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['-r', report, cli, 'send', '-', '--name', 'startup', '--url', server.url],
        { encoding: 'utf8', env: { ...process.env, CSVSOCKET_CLIENT_ID: '', WS_NO_BUFFER_UTIL: undefined } },
        (err, _stdout, stderr) => resolve({ status: err ? 1 : 0, stderr }),
      );
      child.stdin?.end('a\n1\n');
    });
    assert.equal(r.status, 0, r.stderr);
    const line = r.stderr.split('\n').find((l) => l.startsWith('MODULES '));
    assert.deepEqual(JSON.parse(line?.slice(8) ?? 'null'), { bufferutil: false, env: null });
    assert.equal(server.table('startup')?.numRows(), 1);
  });
});
