import assert from 'node:assert/strict';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { WebSocketServer } from 'ws';
import { connect, startServer, toCSVTable } from '../../src/index.js';
import { rejectsWithCode, serverWithClient, tableEqual } from '../helpers.js';

const studentsPath = join(__dirname, '..', '..', 'data', 'students.csv');
const zipcodesPath = join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', 'zipcodes.csv');

describe('CsvClient', () => {
  const ctx = serverWithClient();

  describe('#send', () => {
    const expected = { a: [1, 2], b: ['x', null] };
    const text = 'a,b\n1,x\n2,\n';

    it('sends a file path, naming the dataset after the file', async () => {
      const table = await ctx.client.send(studentsPath);
      assert.equal(table.numRows(), 10);
      assert.ok(ctx.server.table('students'));
    });

    it('sends a file: URL', async () => {
      const table = await ctx.client.send(new URL(`file://${studentsPath}`), { name: 'by-url' });
      assert.equal(table.numRows(), 10);
    });

    it('sends CSV text', async () => {
      tableEqual(await ctx.client.send(text, { name: 'text' }), expected);
    });

    it('sends bytes', async () => {
      tableEqual(await ctx.client.send(Buffer.from(text), { name: 'bytes' }), expected);
      tableEqual(await ctx.client.send(new TextEncoder().encode(text), { name: 'u8' }), expected);
    });

    it('sends a Node stream', async () => {
      tableEqual(
        await ctx.client.send(Readable.from([Buffer.from('a,b\n1,'), Buffer.from('x\n2,\n')]), { name: 'stream' }),
        expected,
      );
      const table = await ctx.client.send(createReadStream(studentsPath), { name: 'file-stream' });
      assert.equal(table.numRows(), 10);
    });

    it('sends an arquero table as Arrow and gets it back', async () => {
      const local = aq.table({
        n: [1.5, 2, null],
        s: ['a', 'b', 'c'],
        d: [new Date(Date.UTC(2020, 0, 2)), null, new Date(Date.UTC(2021, 5, 6))],
      });
      const stored = await ctx.client.send(local, { name: 'arrow' });
      tableEqual(stored, Object.fromEntries(local.columnNames().map((n) => [n, local.array(n, Array) as unknown[]])));
    });

    it('keeps leading zeros of real zip codes (vega-datasets zipcodes.csv)', async () => {
      const table = await ctx.client.send(zipcodesPath);
      const original = readFileSync(zipcodesPath, 'utf8').trimEnd().split('\n');
      assert.equal(table.numRows(), original.length - 1);
      assert.equal(table.get('zip_code', 0), original[1]!.split(',')[0]);
      assert.match(String(table.get('zip_code', 0)), /^0/);
    });

    it('brings every vega-datasets CSV back value for value through the server', async () => {
      const dir = join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data');
      const files = readdirSync(dir).filter((f) => f.endsWith('.csv'));
      assert.ok(files.length >= 20, `expected the vega-datasets CSVs, found ${files.length}`);
      for (const file of files) {
        const original = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n').replace(/\n*$/, '\n');
        const { table, summary } = await ctx.client.upload(join(dir, file), { name: `vega-${file}` });
        // the table as the client holds it (from Arrow), written with the server's column formats
        assert.equal(toCSVTable(table, summary.columns), original, file);
      }
    });

    it('applies per-column type overrides', async () => {
      const table = await ctx.client.send('id,code\n1,7\n2,8\n', { name: 'typed', types: { code: 'string' } });
      tableEqual(table, { id: [1, 2], code: ['7', '8'] });
    });

    it('rejects a path that does not exist with CSVS_NOT_FOUND', async () => {
      await rejectsWithCode(
        ctx.client.send('no/such/file.csv'),
        'CSVS_NOT_FOUND',
        /no file "file\.csv": the folder .*no\/such does not exist/,
      );
    });

    it('rejects a dataset name with control characters', async () => {
      await rejectsWithCode(
        ctx.client.send('a\n1\n', { name: 'bad\u0000name' }),
        'CSVS_PROTOCOL_BAD_MESSAGE',
        /control/,
      );
    });
  });

  describe('#queryWithSummary', () => {
    it('keeps the decimals of a number column whose values are whole, through filters and appends', async () => {
      await ctx.client.send('x,y\n1.0,a\n2.0,b\n', { name: 'whole' });
      const filtered = await ctx.client.queryWithSummary('whole', { filter: { column: 'y', op: '=', value: 'a' } });
      assert.equal(toCSVTable(filtered.table, filtered.summary.columns), 'x,y\n1.0,a\n');
      await ctx.client.send('x,y\n3.0,c\n', { name: 'whole', mode: 'append' });
      const all = await ctx.client.queryWithSummary('whole', {});
      assert.equal(toCSVTable(all.table, all.summary.columns), 'x,y\n1.0,a\n2.0,b\n3.0,c\n');
    });

    it('returns column types so values can be written exactly', async () => {
      await ctx.client.send('p,q\n0.50,x\n1.25,y\n', { name: 'prices' });
      const { summary, table } = await ctx.client.queryWithSummary('prices', { sort: [{ column: 'p', desc: true }] });
      assert.deepEqual(summary.columns[0], { name: 'p', type: 'number', decimals: 2 });
      assert.deepEqual(table.array('p', Array), [1.25, 0.5]);
    });
  });
});

describe('connect', () => {
  it('says there is no csvsocket server at a refused URL, and how to start one', async () => {
    const probe = await startServer({ port: 0 });
    const url = `ws://127.0.0.1:${probe.port}/`;
    await probe.close();
    await rejectsWithCode(connect(url), 'CSVS_CONNECT_REFUSED', /no csvsocket server at .*csvsocket serve/);
  });

  it('rejects a missing or wrong token with CSVS_AUTH_REQUIRED', async () => {
    const server = await startServer({ port: 0 });
    try {
      await rejectsWithCode(connect(`ws://127.0.0.1:${server.port}/`), 'CSVS_AUTH_REQUIRED', /needs a token/);
      await rejectsWithCode(connect(`ws://127.0.0.1:${server.port}/?token=wrong-token`), 'CSVS_AUTH_REQUIRED', /wrong/);
      const ok = await connect(`ws://127.0.0.1:${server.port}/`, { token: server.token! });
      await ok.close();
    } finally {
      await server.close();
    }
  });

  it('rejects a WebSocket server that does not speak csvsocket', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws) => ws.send('hello'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as { port: number }).port;
    try {
      await rejectsWithCode(connect(`ws://127.0.0.1:${port}/`), 'CSVS_PROTOCOL_VERSION', /csvsocket/);
    } finally {
      wss.close();
      http.close();
    }
  });

  it('rejects a URL that is not ws:// with CSVS_BAD_ARGUMENT', async () => {
    await rejectsWithCode(connect('ftp://example/'), 'CSVS_BAD_ARGUMENT', /ws:\/\//);
    await rejectsWithCode(connect('not a url'), 'CSVS_BAD_ARGUMENT');
  });

  it('fails pending requests with CSVS_CONNECTION_CLOSED when the server goes away', async () => {
    const server = await startServer({ port: 0 });
    const client = await connect(server.url);
    await server.close();
    await rejectsWithCode(client.list(), 'CSVS_CONNECTION_CLOSED');
  });
});
