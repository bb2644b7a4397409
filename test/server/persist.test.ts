import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import * as aq from 'arquero';
import { type CsvServer, connect, startServer } from '../../src/index.js';
import { fileStem } from '../../src/server/persist.js';
import { rejectsWithCode } from '../helpers.js';
import { CutProxy, numberedCSV, rawSocket, tableChecksum, wsFrame } from './helpers.js';

const ROWS = 20_000;
const csv = numberedCSV(ROWS);
const ids = Array.from({ length: ROWS }, (_, i) => i);
const expected = tableChecksum(
  aq.table({ id: ids, label: ids.map((i) => `r${i}`), value: ids.map((i) => ((i * 7) % 1000) + 0.5) }),
);

describe('reconnect and resume', () => {
  let server: CsvServer;
  let proxy: CutProxy;
  before(async () => {
    // small frames so that an upload spans many chunks
    server = await startServer({ port: 0, threads: 1, limits: { maxFrameBytes: 16 * 1024, resumeGraceMs: 30_000 } });
    proxy = await new CutProxy(server.port).listen();
  });
  after(async () => {
    await proxy.close();
    await server.close();
  });
  const viaProxy = () => server.url.replace(`:${server.port}/`, `:${proxy.port}/`);

  for (const cut of [300, 40_000, 150_000, 300_000]) {
    it(`resumes an upload cut after ${cut} bytes, with no duplicate or missing row`, async () => {
      const client = await connect(viaProxy(), { reconnect: { minDelay: 10, maxDelay: 100 } });
      proxy.cutAfter(cut);
      const before = proxy.cuts;
      // the cut applies to the next TCP connection: reconnect once to get it
      (client as unknown as { ws: { _socket: { destroy(): void } } }).ws._socket.destroy();
      await client.list().catch(() => undefined);
      const table = await client.send(csv, { name: `resumed-${cut}` });
      assert.equal(proxy.cuts, before + 1, 'the connection was cut');
      assert.ok(client.reconnects >= 2);
      assert.equal(table.numRows(), ROWS);
      assert.equal(tableChecksum(table), expected);
      assert.equal(tableChecksum(server.table(`resumed-${cut}`)!), expected);
      await client.close();
    });
  }

  it('resumes from the server offset when the socket is destroyed mid-upload', async () => {
    const client = await connect(server.url, { reconnect: { minDelay: 10 } });
    let killed = false;
    const table = await client.send(csv, {
      name: 'destroyed',
      onProgress: () => {
        if (killed) return;
        killed = true;
        (client as unknown as { ws: { _socket: { destroy(): void } } }).ws._socket.destroy();
      },
    });
    assert.ok(killed);
    assert.equal(client.reconnects, 1);
    assert.equal(tableChecksum(table), expected);
    await client.close();
  });

  it('fails pending queries on a drop (they are not resumed) and works after reconnecting', async () => {
    const client = await connect(server.url, { reconnect: { minDelay: 10 } });
    await client.send('a\n1\n', { name: 'q' });
    const pending = client.query('q');
    (client as unknown as { ws: { _socket: { destroy(): void } } }).ws._socket.destroy();
    await rejectsWithCode(pending, 'CSVS_CONNECTION_CLOSED', /dropped/);
    assert.equal((await client.query('q')).numRows(), 1);
    await client.close();
  });

  it('does not reconnect after a deliberate close, nor with reconnect: false', async () => {
    const client = await connect(server.url, { reconnect: false });
    (client as unknown as { ws: { _socket: { destroy(): void } } }).ws._socket.destroy();
    await rejectsWithCode(client.send(csv, { name: 'never' }), 'CSVS_CONNECTION_CLOSED');
    assert.equal(client.reconnects, 0);
  });

  it("discards a killed client's partial upload after resumeGraceMs; it never becomes visible", async () => {
    const quick = await startServer({ port: 0, threads: 1, limits: { resumeGraceMs: 100 } });
    try {
      const { socket } = await rawSocket(quick.port, `/?token=${quick.token}`);
      socket.write(
        wsFrame(1, Buffer.from(JSON.stringify({ type: 'upload', rid: 1, id: 'killed-1', name: 'partial' }))),
      );
      const header = Buffer.alloc(16);
      header.write('CS', 0);
      header[2] = 1;
      header.writeUInt32LE(1, 4);
      header.writeDoubleLE(0, 8);
      socket.write(wsFrame(2, Buffer.concat([header, Buffer.from('id,v\n1,2\n3,4\n')])));
      await once(socket, 'data');
      const discarded = once(quick, 'discarded');
      socket.destroy();
      const [info] = (await discarded) as [{ id: string; name: string; bytes: number }];
      assert.equal(info.id, 'killed-1');
      assert.equal(info.name, 'partial');
      assert.equal(quick.table('partial'), undefined);
      assert.deepEqual(
        quick.list().map((d) => d.name),
        [],
      );
      const client = await connect(quick.url);
      assert.deepEqual(await client.list(), []);
      await client.close();
    } finally {
      await quick.close();
    }
  });
});

describe('persistence (dataDir)', () => {
  let dir: string;
  let server: CsvServer | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'csvsocket-data-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const data = () => join(dir, 'data');

  const hostile = [
    '../escape',
    '../../etc/passwd',
    '/abs/path',
    '..',
    '.',
    'CON',
    'a\\b',
    'Students',
    'students',
    'ünïcödé名前',
    '.hidden',
    'x'.repeat(128),
  ];

  it('writes each dataset before acknowledging it, and reloads all of them after a restart', async () => {
    server = await startServer({ port: 0, threads: 1, dataDir: data() });
    const client = await connect(server.url);
    const sums = new Map<string, string>();
    for (const name of ['keep', 'replaced', 'appended', 'dropped', ...hostile]) {
      const table = await client.send(numberedCSV(50, name.slice(0, 5)), { name });
      // acknowledged ⇒ on disk already
      assert.ok(existsSync(join(data(), `${fileStem(name)}.json`)), `sidecar of ${name}`);
      sums.set(name, tableChecksum(table));
    }
    sums.set('replaced', tableChecksum(await client.send(numberedCSV(7, 'new'), { name: 'replaced' })));
    sums.set(
      'appended',
      tableChecksum(
        await client.send(numberedCSV(3, 'app').replace('id,label,value\n', 'id,label,value\n'), {
          name: 'appended',
          mode: 'append',
        }),
      ),
    );
    await client.drop('dropped');
    sums.delete('dropped');
    assert.ok(!existsSync(join(data(), `${fileStem('dropped')}.json`)));
    await client.close();
    await server.close();

    server = await startServer({ port: 0, threads: 1, dataDir: data() });
    assert.deepEqual(new Set(server.list().map((d) => d.name)), new Set(sums.keys()));
    for (const [name, sum] of sums) assert.equal(tableChecksum(server.table(name)!), sum, name);
    assert.equal(server.table('appended')!.numRows(), 53);
    assert.equal(server.table('replaced')!.numRows(), 7);
    // every file inside the directory, none elsewhere; one sidecar and one arrow file per dataset
    assert.deepEqual(readdirSync(dir), ['data']);
    const files = readdirSync(data());
    assert.ok(
      files.every((f) => /^[a-z0-9_-]+-[0-9a-f]{24}(\.[0-9a-z]+\.arrow|\.json)$/.test(f)),
      files.join(' '),
    );
    assert.equal(files.length, sums.size * 2);
  });

  it('gives names that differ only in a lone surrogate different files (UTF-8 would make both U+FFFD)', () => {
    assert.notEqual(fileStem('report\ufffd'), fileStem('report\udfff'));
    assert.notEqual(fileStem('a\ud800'), fileStem('a\udbff'));
    // a well-formed name keeps the file name it always had
    assert.match(fileStem('students'), /^students-[0-9a-f]{24}$/);
  });

  it('ignores the leftovers of an interrupted write and keeps the last acknowledged version', async () => {
    writeFileSync(join(data(), `.${fileStem('keep')}.json.abc.tmp`), '{"half":');
    writeFileSync(join(data(), `${fileStem('keep')}.zzz.arrow`), 'not arrow');
    writeFileSync(join(data(), 'garbage.json'), '{"version":1,"name":"../../x","arrow":"../../x.arrow"}');
    const warnings: string[] = [];
    server = await startServer({ port: 0, threads: 1, dataDir: data() });
    server.on('warning', (w) => warnings.push(w));
    await new Promise((r) => process.nextTick(r));
    assert.equal(server.table('keep')!.numRows(), 50);
    assert.ok(!readdirSync(data()).some((f) => f.endsWith('.tmp') || f.endsWith('.zzz.arrow')));
    assert.match(warnings.join(' '), /garbage\.json/);
  });

  it('keeps an acknowledged upload through a kill -9 of the server process', async () => {
    const { spawn } = await import('node:child_process');
    const killDir = join(dir, 'kill');
    const script = `const { startServer } = require(${JSON.stringify(join(__dirname, '../../src/server/server.ts'))});
startServer({ port: 0, threads: 1, dataDir: ${JSON.stringify(killDir)} }).then((s) => console.log(s.url));
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const client = await connect(line.toString().trim(), { reconnect: false });
      const sum = tableChecksum(await client.send(csv, { name: 'survivor' }));
      child.kill('SIGKILL');
      await once(child, 'exit');
      server = await startServer({ port: 0, threads: 1, dataDir: killDir });
      assert.equal(tableChecksum(server.table('survivor')!), sum);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('isolation', () => {
  let server: CsvServer;
  before(async () => {
    server = await startServer({ port: 0, threads: 1 });
  });
  after(() => server.close());

  it("refuses to replace, append to or drop another client's dataset with CSVS_AUTH_NOT_OWNER", async () => {
    const alice = await connect(server.url, { clientId: 'alice-0123456789' });
    const mallory = await connect(server.url, { clientId: 'mallory-012345678' });
    await alice.send('a\n1\n', { name: 'alices' });
    await rejectsWithCode(
      mallory.send('a\n666\n', { name: 'alices' }),
      'CSVS_AUTH_NOT_OWNER',
      /belongs to another client/,
    );
    await rejectsWithCode(mallory.send('a\n666\n', { name: 'alices', mode: 'append' }), 'CSVS_AUTH_NOT_OWNER');
    await rejectsWithCode(mallory.drop('alices'), 'CSVS_AUTH_NOT_OWNER');
    assert.deepEqual(server.table('alices')!.array('a', Array), [1]);
    // the owner may, also from a new connection with the same id
    const again = await connect(server.url, { clientId: 'alice-0123456789' });
    assert.equal((await again.send('a\n1\n2\n', { name: 'alices', mode: 'append' })).numRows(), 3);
    await again.drop('alices');
    await Promise.all([alice.close(), mallory.close(), again.close()]);
  });

  it('treats clients of the server process as the owner of everything', async () => {
    const other = await connect(server.url, { clientId: 'someone-else-1234' });
    await other.send('a\n1\n', { name: 'theirs' });
    const local = await connect(server.url); // default id: this process's
    assert.equal((await local.send('a\n2\n', { name: 'theirs' })).numRows(), 1);
    await local.drop('theirs');
    await Promise.all([other.close(), local.close()]);
  });

  it('lets anyone overwrite with allowOverwrite', async () => {
    const open = await startServer({ port: 0, threads: 1, allowOverwrite: true });
    try {
      const a = await connect(open.url, { clientId: 'aaaaaaaaaaaa' });
      const b = await connect(open.url, { clientId: 'bbbbbbbbbbbb' });
      await a.send('a\n1\n', { name: 'shared' });
      await b.send('a\n2\n', { name: 'shared' });
      await b.drop('shared');
      await Promise.all([a.close(), b.close()]);
    } finally {
      await open.close();
    }
  });
});
