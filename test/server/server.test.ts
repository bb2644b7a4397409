import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type CsvServer, connect, serve, startServer } from '../../src/index.js';
import { encodeFrame, FrameKind, LEGACY_REPLY, SUBPROTOCOL } from '../../src/protocol/messages.js';
import { rejectsWithCode, serverWithClient, tableEqual } from '../helpers.js';

const studentsPath = join(__dirname, '..', '..', 'data', 'students.csv');
const studentsCSV = readFileSync(studentsPath, 'utf8');
const students = {
  id: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  name: ['Monish', 'Ameer', 'Lokesh', 'Divya', 'Floofy', 'Augustine', 'Krupa', 'Meghana', 'Simran', 'Yash'],
  age: [21, 22, 22, 21, 21, 22, 21, 21, 21, 22],
  grade: ['A', 'B', 'A', 'B', 'A', 'A', 'B', 'C', 'A', 'A'],
};

/** A raw protocol-v1 socket, for what the client never sends. */
async function rawSocket(
  server: CsvServer,
): Promise<{ ws: WebSocket; messages: Array<Record<string, unknown>>; next: () => Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(server.url, [SUBPROTOCOL]);
  const messages: Array<Record<string, unknown>> = [];
  const waiting: Array<(m: Record<string, unknown>) => void> = [];
  ws.on('message', (data, isBinary) => {
    const m = isBinary
      ? { binary: (data as Buffer).byteLength }
      : (JSON.parse(data.toString()) as Record<string, unknown>);
    const w = waiting.shift();
    if (w) w(m);
    else messages.push(m);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const next = () => {
    const m = messages.shift();
    return m ? Promise.resolve(m) : new Promise<Record<string, unknown>>((resolve) => waiting.push(resolve));
  };
  assert.equal((await next()).type, 'welcome');
  return { ws, messages, next };
}

describe('CsvServer', () => {
  const ctx = serverWithClient();

  describe('#url', () => {
    it('carries the port and the token', () => {
      assert.match(ctx.server.url, new RegExp(`^ws://127\\.0\\.0\\.1:${ctx.server.port}/\\?token=[\\w-]{24}$`));
      assert.ok(ctx.server.port > 0);
    });
  });

  describe('upload', () => {
    it('stores a CSV as an arquero table and returns it value for value', async () => {
      const table = await ctx.client.send(studentsPath);
      tableEqual(table, students);
      tableEqual(ctx.server.table('students')!, students);
    });

    it('acknowledges with a summary: rows, column types, first rows', async () => {
      const { summary } = await ctx.client.upload(studentsCSV, { name: 'summary' });
      assert.equal(summary.name, 'summary');
      assert.equal(summary.rows, 10);
      assert.deepEqual(
        summary.columns.map((c) => [c.name, c.type]),
        [
          ['id', 'integer'],
          ['name', 'string'],
          ['age', 'integer'],
          ['grade', 'string'],
        ],
      );
      assert.deepEqual(summary.head[4], ['5', 'Floofy', '21', 'A']);
      assert.equal(summary.head.length, 5);
      assert.equal(summary.bytes, Buffer.byteLength(studentsCSV));
    });

    it('replaces a dataset atomically: the old table stays until the new one is complete', async () => {
      await ctx.client.send('x\n1\n', { name: 'swap' });
      const other = await connect(ctx.server.url);
      try {
        // a second upload that fails halfway never replaces the stored table
        await rejectsWithCode(other.send('x\n2\n3,4\n', { name: 'swap' }), 'CSVS_PARSE_RAGGED_ROW');
        tableEqual(ctx.server.table('swap')!, { x: [1] });
        await other.send('x\n5\n', { name: 'swap' });
        tableEqual(ctx.server.table('swap')!, { x: [5] });
      } finally {
        await other.close();
      }
    });

    it('streams a multi-chunk upload with progress and gets every row', async () => {
      const rows = 200_000;
      const lines = ['n,label'];
      for (let i = 0; i < rows; i++) lines.push(`${i},"row, ${i}"`);
      const text = `${lines.join('\n')}\n`;
      const progress: number[] = [];
      const table = await ctx.client.send(Buffer.from(text), {
        name: 'big',
        onProgress: (p) => progress.push(p.bytes),
      });
      assert.equal(table.numRows(), rows);
      assert.equal(table.get('label', rows - 1), `row, ${rows - 1}`);
      assert.equal(
        (table.array('n', Array) as number[]).reduce((a, b) => a + b, 0),
        (rows * (rows - 1)) / 2,
      );
      assert.ok(Buffer.byteLength(text) > 2 * 1024 * 1024, 'the upload spans several chunks');
      assert.ok(progress.length >= 2, 'progress is reported as chunks are parsed');
      assert.equal(progress.at(-1), Buffer.byteLength(text));
    });

    it('serves many clients at once', async () => {
      const clients = await Promise.all(Array.from({ length: 20 }, () => connect(ctx.server.url)));
      try {
        const tables = await Promise.all(clients.map((c, i) => c.send(`k,v\n${i},${i * 2}\n`, { name: `many-${i}` })));
        for (const [i, t] of tables.entries()) tableEqual(t, { k: [i], v: [i * 2] });
        assert.equal(ctx.server.clients >= 21, true);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });

    it('rejects a bad CSV with its code and line, and keeps serving', async () => {
      const err = await rejectsWithCode(
        ctx.client.send('a,b\n1,2\n3\n', { name: 'bad' }),
        'CSVS_PARSE_RAGGED_ROW',
        /line 3/,
      );
      assert.equal((err as unknown as { line: number }).line, 3);
      assert.equal(ctx.server.table('bad'), undefined);
      tableEqual(await ctx.client.send('a\n1\n', { name: 'after-bad' }), { a: [1] });
    });

    it('appends rows to a dataset', async () => {
      await ctx.client.send('t,v\n1,10\n', { name: 'live' });
      const table = await ctx.client.send('t,v\n2,20\n3,30\n', { name: 'live', mode: 'append' });
      tableEqual(table, { t: [1, 2, 3], v: [10, 20, 30] });
      await rejectsWithCode(
        ctx.client.send('x\n1\n', { name: 'live', mode: 'append' }),
        'CSVS_PARSE_BAD_TYPE',
        /columns/,
      );
    });
  });

  describe('#next', () => {
    it('resolves with the next dataset to arrive, optionally by name', async () => {
      const any = ctx.server.next();
      const named = ctx.server.next({ name: 'wanted' });
      await ctx.client.send('a\n1\n', { name: 'first' });
      tableEqual(await any, { a: [1] });
      await ctx.client.send('b\n2\n', { name: 'wanted' });
      tableEqual(await named, { b: [2] });
    });

    it('rejects with CSVS_TIMEOUT when nothing arrives in time', async () => {
      await rejectsWithCode(ctx.server.next({ name: 'never', timeout: 20 }), 'CSVS_TIMEOUT', /never/);
    });
  });

  describe('#waitFor', () => {
    it('waits for named datasets', async () => {
      const waiting = ctx.server.waitFor(['w1', 'w2'], { timeout: 10_000 });
      await ctx.client.send('a\n1\n', { name: 'w2' });
      await ctx.client.send('a\n2\n', { name: 'w1' });
      const [w1, w2] = await waiting;
      tableEqual(w1!, { a: [2] });
      tableEqual(w2!, { a: [1] });
    });
  });

  describe('query', () => {
    it("runs the original's lookups: Floofy, and the sort by grade", async () => {
      await ctx.client.send(studentsPath);
      const floofy = await ctx.client.query('students', { filter: { column: 'name', op: '=', value: 'Floofy' } });
      tableEqual(floofy, { id: [5], name: ['Floofy'], age: [21], grade: ['A'] });
      const sorted = await ctx.client.query('students', { sort: [{ column: 'grade' }] });
      assert.deepEqual(sorted.array('id', Array), [1, 3, 5, 6, 9, 10, 2, 4, 7, 8]);
    });

    it('groups with count and mean', async () => {
      const grouped = await ctx.client.query('students', {
        groupby: ['grade'],
        rollup: { n: { op: 'count' }, age: { op: 'mean', column: 'age' } },
        sort: [{ column: 'grade' }],
      });
      tableEqual(grouped, { grade: ['A', 'B', 'C'], n: [6, 3, 1], age: [21.5, 64 / 3, 21] });
    });

    it('rejects an unknown dataset with CSVS_QUERY_UNKNOWN_DATASET naming what exists', async () => {
      await rejectsWithCode(ctx.client.query('nope', {}), 'CSVS_QUERY_UNKNOWN_DATASET', /"students"/);
    });

    it('rejects a query that is code, not data', async () => {
      await rejectsWithCode(
        ctx.client.query('students', { filter: 'd => process.exit(1)' } as never),
        'CSVS_QUERY_INVALID',
      );
      await rejectsWithCode(
        ctx.client.query('students', { filter: { column: 'd => process.exit(1)', op: '=', value: 1 } }),
        'CSVS_QUERY_UNKNOWN_COLUMN',
      );
      tableEqual(ctx.server.table('students')!, students);
    });
  });

  describe('list and drop', () => {
    it('lists summaries and drops a dataset', async () => {
      await ctx.client.send('a\n1\n', { name: 'to-drop' });
      assert.ok((await ctx.client.list()).some((d) => d.name === 'to-drop'));
      await ctx.client.drop('to-drop');
      assert.ok(!(await ctx.client.list()).some((d) => d.name === 'to-drop'));
      await rejectsWithCode(ctx.client.drop('to-drop'), 'CSVS_QUERY_UNKNOWN_DATASET');
    });
  });

  describe('protocol errors', () => {
    it('answers a malformed message with CSVS_PROTOCOL_BAD_MESSAGE and keeps the connection', async () => {
      const raw = await rawSocket(ctx.server);
      try {
        raw.ws.send('{"type":"upload","rid":7}');
        const err = await raw.next();
        assert.equal(err.type, 'error');
        assert.equal(err.rid, 7);
        assert.equal(err.code, 'CSVS_PROTOCOL_BAD_MESSAGE');
        raw.ws.send('not json');
        assert.equal((await raw.next()).code, 'CSVS_PROTOCOL_BAD_MESSAGE');
        raw.ws.send(Buffer.from('binary garbage'));
        assert.equal((await raw.next()).code, 'CSVS_PROTOCOL_BAD_MESSAGE');
        raw.ws.send(JSON.stringify({ type: 'list', rid: 8 }));
        assert.equal((await raw.next()).type, 'datasets');
      } finally {
        raw.ws.close();
      }
    });

    it('fails an upload whose chunks skip bytes with CSVS_PROTOCOL_BAD_OFFSET', async () => {
      const raw = await rawSocket(ctx.server);
      try {
        raw.ws.send(JSON.stringify({ type: 'upload', rid: 1, id: 'gap', name: 'gap' }));
        assert.equal((await raw.next()).type, 'ready');
        raw.ws.send(encodeFrame(FrameKind.chunk, 1, 0, Buffer.from('a\n1\n')));
        raw.ws.send(encodeFrame(FrameKind.chunk, 1, 100, Buffer.from('2\n')));
        let m = await raw.next();
        while (m.type === 'progress') m = await raw.next();
        assert.equal(m.code, 'CSVS_PROTOCOL_BAD_OFFSET');
        assert.equal(ctx.server.table('gap'), undefined);
      } finally {
        raw.ws.close();
      }
    });

    it('rejects an end that disagrees with the bytes received', async () => {
      const raw = await rawSocket(ctx.server);
      try {
        raw.ws.send(JSON.stringify({ type: 'upload', rid: 1, id: 'short', name: 'short' }));
        await raw.next();
        raw.ws.send(encodeFrame(FrameKind.chunk, 1, 0, Buffer.from('a\n1\n')));
        raw.ws.send(JSON.stringify({ type: 'end', rid: 1, bytes: 999 }));
        let m = await raw.next();
        while (m.type === 'progress') m = await raw.next();
        assert.equal(m.code, 'CSVS_PROTOCOL_BAD_OFFSET');
      } finally {
        raw.ws.close();
      }
    });
  });

  describe('legacy protocol (the original client)', () => {
    it('takes plain CSV text and answers in plain text', async () => {
      const server2 = await startServer({ port: 0, token: false });
      try {
        const ws = new WebSocket(server2.url);
        await new Promise((r) => ws.once('open', r));
        const stored = server2.nextDataset();
        ws.send(studentsCSV);
        const [reply] = await Promise.all([new Promise<string>((r) => ws.once('message', (d) => r(d.toString())))]);
        assert.equal(reply, LEGACY_REPLY);
        tableEqual((await stored).table, students);
        ws.send('a,b\n1\n');
        const err = await new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
        assert.match(err, /^Error CSVS_PARSE_RAGGED_ROW: line 2/);
        ws.close();
      } finally {
        await server2.close();
      }
    });

    it("takes pandas' df.to_json() (orient columns)", async () => {
      const server2 = await startServer({ port: 0, token: false });
      try {
        const ws = new WebSocket(server2.url);
        await new Promise((r) => ws.once('open', r));
        const stored = server2.nextDataset();
        ws.send(
          JSON.stringify({ id: { 0: 1, 1: 2 }, name: { 0: 'Monish', 1: null }, zip: { 0: '00501', 1: '02134' } }),
        );
        assert.equal(await new Promise<string>((r) => ws.once('message', (d) => r(d.toString()))), LEGACY_REPLY);
        const { table, name } = await stored;
        assert.match(name, /^upload_\d+$/);
        tableEqual(table, { id: [1, 2], name: ['Monish', null], zip: ['00501', '02134'] });
        ws.close();
      } finally {
        await server2.close();
      }
    });
  });
});

describe('serve', () => {
  afterEach(async () => {
    for (const port of [0]) void port;
  });

  it('returns the running server when called again with the same options', async () => {
    const a = await serve({ port: 0, token: 'same-token-123' });
    const b = await serve({ port: 0, token: 'same-token-123' });
    try {
      assert.equal(a, b);
    } finally {
      await a.close();
    }
  });

  it('restarts cleanly on the same port when the options change, never EADDRINUSE', async () => {
    const probe = await startServer({ port: 0 });
    const port = probe.port;
    await probe.close();
    const a = await serve({ port });
    const b = await serve({ port, limits: { maxColumns: 5 } });
    try {
      assert.notEqual(a, b);
      assert.equal(a.isClosed, true);
      assert.equal(b.port, port);
      assert.equal(b.token, a.token, 'the random token survives a restart');
      const c = await connect(b.url);
      await rejectsWithCode(c.send('a,b,c,d,e,f\n1,2,3,4,5,6\n'), 'CSVS_LIMIT_COLUMNS');
      await c.close();
    } finally {
      await b.close();
    }
  });

  it('frees the port on close', async () => {
    const a = await startServer({ port: 0 });
    const port = a.port;
    await a.close();
    const b = await startServer({ port });
    await b.close();
  });

  it('says the port is in use with CSVS_ADDRESS_IN_USE', async () => {
    const a = await startServer({ port: 0 });
    try {
      await rejectsWithCode(startServer({ port: a.port }), 'CSVS_ADDRESS_IN_USE', /--port 0/);
    } finally {
      await a.close();
    }
  });

  it('refuses auth off on a non-loopback host', async () => {
    await rejectsWithCode(startServer({ port: 0, host: '0.0.0.0', token: false }), 'CSVS_AUTH_UNSAFE_CONFIG');
  });
});
