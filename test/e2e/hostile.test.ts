import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { type CsvClient, type CsvServer, connect, isCsvSocketError, startServer } from '../../src/index.js';
import { rejectsWithCode } from '../helpers.js';
import { closeCode, numberedCSV, prng, rawSocket, tableChecksum, untilClosed, wsFrame } from '../server/helpers.js';

const FRAME = 1024 * 1024;
const BASE = `id,name,score,when,flag\n${Array.from({ length: 40 }, (_, i) => `${i},"name ${i}, with comma",${i * 1.5},2024-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2 === 0}`).join('\n')}\n`;

function chunkFrame(rid: number, offset: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.write('CS', 0);
  header[2] = 1;
  header.writeUInt32LE(rid, 4);
  header.writeDoubleLE(offset, 8);
  return Buffer.concat([header, payload]);
}

describe('hostile input', () => {
  let server: CsvServer;
  let client: CsvClient;
  let baseline: string;
  let faults = 0;
  before(async () => {
    server = await startServer({
      port: 0,
      limits: { maxFrameBytes: FRAME, maxFieldBytes: 64 * 1024, resumeGraceMs: 200 },
    });
    client = await connect(server.url, { reconnect: false });
    baseline = tableChecksum(await client.send(numberedCSV(500), { name: 'baseline' }));
  });
  afterEach(async () => {
    // after every attack: a normal upload works and nothing acknowledged was lost
    const check = await connect(server.url, { reconnect: false });
    assert.equal((await check.send('a,b\n1,2\n', { name: 'canary' })).numRows(), 1);
    await check.close();
    assert.equal(tableChecksum(server.table('baseline')!), baseline);
  });
  after(async () => {
    await client.close();
    await server.close();
    process.stdout.write(`# hostile inputs tried: ${faults}\n`);
  });

  describe('malformed WebSocket frames over raw TCP', () => {
    const cases: Array<[string, () => Buffer, number[]]> = [
      ['reserved bits set', () => wsFrame(1, Buffer.from('{}'), { rsv: 4 }), [1002]],
      ['an unknown opcode', () => wsFrame(3, Buffer.from('x')), [1002]],
      ['an unmasked client frame', () => wsFrame(1, Buffer.from('{"type":"list","rid":1}'), { mask: false }), [1002]],
      ['invalid UTF-8 in a text frame', () => wsFrame(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), [1007]],
      ['a 2^63-byte length', () => wsFrame(2, Buffer.alloc(0), { declaredLength: 2n ** 63n - 1n }), [1009, 1002]],
      ['a length past maxFrameBytes', () => wsFrame(2, Buffer.alloc(0), { declaredLength: BigInt(FRAME + 1) }), [1009]],
      ['a control frame over 125 bytes', () => wsFrame(9, Buffer.alloc(200)), [1002]],
      ['a fragmented control frame', () => wsFrame(9, Buffer.from('x'), { fin: false }), [1002]],
      ['a continuation with nothing to continue', () => wsFrame(0, Buffer.from('x')), [1002]],
      [
        'a fragment flood past maxFrameBytes',
        () =>
          Buffer.concat([
            wsFrame(2, Buffer.alloc(1024), { fin: false }),
            ...Array.from({ length: 1100 }, () => wsFrame(0, Buffer.alloc(1024), { fin: false })),
          ]),
        [1009],
      ],
    ];
    for (const [what, frame, codes] of cases) {
      it(`closes the connection on ${what} (${codes.join(' or ')})`, async () => {
        faults++;
        const { socket, rest } = await rawSocket(server.port, `/?token=${server.token}`);
        const closed = untilClosed(socket, rest);
        socket.write(frame());
        const received = await closed;
        assert.ok(codes.includes(closeCode(received) ?? -1), `close code ${closeCode(received)}`);
      });
    }

    it('survives 10,000 empty fragments (a flood that stays under the size limit)', async () => {
      faults++;
      const { socket, rest } = await rawSocket(server.port, `/?token=${server.token}`);
      const closed = untilClosed(socket, rest);
      const flood = [
        wsFrame(1, Buffer.alloc(0), { fin: false }),
        ...Array.from({ length: 10_000 }, () => wsFrame(0, Buffer.alloc(0), { fin: false })),
      ];
      socket.write(Buffer.concat(flood));
      socket.end(wsFrame(0, Buffer.from('{"type":"list","rid":1}')));
      const received = await closed;
      assert.ok(received.length >= 0);
    });

    it('answers binary and text garbage on an open connection with error messages, and keeps it', async () => {
      const { socket, rest } = await rawSocket(server.port, `/?token=${server.token}`);
      const random = prng(7);
      const garbage: Buffer[] = [];
      for (let i = 0; i < 50; i++) {
        const bytes = Buffer.from(
          Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)),
        );
        garbage.push(
          wsFrame(2, bytes),
          wsFrame(1, Buffer.from(JSON.stringify({ type: 'upload', rid: i + 1, garbage: bytes.toString('base64') }))),
        );
      }
      garbage.push(
        wsFrame(2, chunkFrame(999, 0, Buffer.from('x'))),
        wsFrame(1, Buffer.from('{"type":"end","rid":5,"bytes":10}')),
      );
      garbage.push(wsFrame(1, Buffer.from('{"type":"list","rid":4000}')));
      faults += garbage.length;
      let got = rest.toString('latin1');
      socket.write(Buffer.concat(garbage));
      while (!got.includes('"rid":4000')) got += ((await once(socket, 'data')) as [Buffer])[0].toString('latin1');
      assert.match(got, /CSVS_PROTOCOL_BAD_MESSAGE/);
      assert.doesNotMatch(got, /CSVS_INTERNAL/);
      socket.destroy();
    });
  });

  describe('hostile handshakes', () => {
    for (const [what, count, size] of [
      ['more headers than maxHeadersCount (CVE-2024-37890)', 1000, 1],
      ['headers past the size limit', 4000, 8],
    ] as const) {
      it(`answers ${what} with 400 or 431, not a crash`, async () => {
        faults++;
        const socket = tcpConnect(server.port, '127.0.0.1');
        await once(socket, 'connect');
        const closed = untilClosed(socket);
        const filler = Array.from({ length: count }, (_, i) => `X-${i}: ${'v'.repeat(size)}\r\n`).join('');
        socket.end(
          `GET /?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${filler}` +
            `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: csvsocket.v1\r\n\r\n`,
        );
        const status = /^HTTP\/1\.1 (\d+)/.exec((await closed).toString('latin1'))?.[1];
        assert.ok(status === '400' || status === '431', `status ${status}`);
      });
    }

    it('answers raw binary garbage instead of HTTP with 400', async () => {
      const random = prng(11);
      for (let i = 0; i < 20; i++) {
        faults++;
        const socket = tcpConnect(server.port, '127.0.0.1');
        await once(socket, 'connect');
        const closed = untilClosed(socket);
        socket.end(Buffer.from(Array.from({ length: 64 + i * 50 }, () => Math.floor(random() * 256))));
        const answer = (await closed).toString('latin1');
        assert.ok(answer === '' || answer.startsWith('HTTP/1.1 400'), answer.slice(0, 40));
      }
    });
  });

  describe('hostile CSV', () => {
    const sources = [
      BASE,
      numberedCSV(60),
      'a,"b ""q""",c\r\n1,"multi\nline",3\r\n"x",,\r\n',
      '\ufeffid;name\n1;ä\n2;ö\n',
    ];

    function mutate(text: string, seed: number): Buffer {
      const random = prng(seed);
      const bytes = Buffer.from(text);
      const out: number[] = [];
      const specials = [0x22, 0x2c, 0x0a, 0x0d, 0x00, 0xff, 0xc3, 0x5c];
      for (const b of bytes) {
        const r = random();
        if (r < 0.01) out.push(Math.floor(random() * 256));
        else if (r < 0.015) out.push(specials[Math.floor(random() * specials.length)]!);
        else if (r < 0.018) continue;
        else if (r < 0.02) out.push(b, b);
        else out.push(b);
      }
      return Buffer.from(out);
    }

    async function expectCleanOutcome(bytes: Uint8Array, name: string): Promise<'stored' | string> {
      faults++;
      try {
        await client.send(bytes, { name });
        return 'stored';
      } catch (err) {
        assert.ok(isCsvSocketError(err), `not a csvsocket error: ${String(err)}`);
        assert.notEqual(err.code, 'CSVS_INTERNAL', err.message);
        return err.code;
      }
    }

    it('stores or cleanly refuses 400 randomly mutated CSVs', async () => {
      const outcomes = new Map<string, number>();
      for (let seed = 1; seed <= 400; seed++) {
        const outcome = await expectCleanOutcome(mutate(sources[seed % sources.length]!, seed), 'mutant');
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      assert.ok((outcomes.get('stored') ?? 0) > 0);
      assert.ok(outcomes.size > 1, JSON.stringify([...outcomes]));
    });

    it('stores or cleanly refuses 100 zzuf-mutated CSVs (zzuf -r0.01 -s SEED)', async () => {
      // .ci/run installs Debian's zzuf; without it this is a setup error, not a pass
      assert.ok(existsSync('/usr/bin/zzuf'), 'zzuf is not installed (apt-get install zzuf)');
      for (let seed = 1; seed <= 100; seed++) {
        const input = Buffer.from(sources[seed % sources.length]!);
        const mutated = execFileSync('zzuf', ['-r0.01', `-s${seed}`], { input });
        await expectCleanOutcome(mutated, 'zzuf');
      }
    });

    it('refuses 100,000 columns with CSVS_LIMIT_COLUMNS', async () => {
      faults++;
      const header = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',');
      await rejectsWithCode(client.send(`${header}\n`, { name: 'wide' }), 'CSVS_LIMIT_COLUMNS');
      assert.equal(server.table('wide'), undefined);
    });

    it('refuses a field past maxFieldBytes (1 MiB field, 64 KiB limit) with CSVS_LIMIT_FIELD_SIZE', async () => {
      faults += 2;
      await rejectsWithCode(client.send(`a\n"${'x'.repeat(FRAME)}"\n`, { name: 'field' }), 'CSVS_LIMIT_FIELD_SIZE');
      await rejectsWithCode(client.send(`a,b\n1,${'y'.repeat(FRAME)}\n`, { name: 'field' }), 'CSVS_LIMIT_FIELD_SIZE');
    });

    it('refuses a 200 MB single field with the default limit', async () => {
      faults++;
      const heavy = await startServer({ port: 0, threads: 1 });
      try {
        const c = await connect(heavy.url, { reconnect: false });
        const big = Buffer.alloc(200 * 1024 * 1024 + 8, 0x7a);
        big.write('a\n"', 0);
        await rejectsWithCode(c.send(big, { name: 'huge' }), 'CSVS_LIMIT_FIELD_SIZE');
        await c.close();
      } finally {
        await heavy.close();
      }
    });

    it('refuses an empty file with CSVS_PARSE_EMPTY and stores a header-only one with no rows', async () => {
      faults += 3;
      await rejectsWithCode(client.send(new Uint8Array(0), { name: 'empty' }), 'CSVS_PARSE_EMPTY');
      await rejectsWithCode(client.send('\n\n', { name: 'blank' }), 'CSVS_PARSE_EMPTY');
      assert.equal((await client.send('a,b\n', { name: 'header-only' })).numRows(), 0);
    });
  });
});

describe('load: 200 clients at once, 20 killed mid-upload', () => {
  let server: CsvServer;
  before(async () => {
    server = await startServer({ port: 0, limits: { resumeGraceMs: 300 } });
  });
  after(() => server.close());

  it('stores all 180 intact uploads exactly and none of the killed ones', async () => {
    const discarded: string[] = [];
    server.on('discarded', (d) => discarded.push(d.name));
    const allDiscarded = new Promise<void>((resolve) => {
      server.on('discarded', () => discarded.length === 20 && resolve());
    });
    const clients = await Promise.all(
      Array.from({ length: 180 }, (_, i) => connect(server.url, { reconnect: false, clientId: `load-client-${i}` })),
    );
    const killed = await Promise.all(
      Array.from({ length: 20 }, () => rawSocket(server.port, `/?token=${server.token}`)),
    );
    assert.equal(server.clients, 200);
    killed.forEach(({ socket }, i) => {
      socket.write(
        wsFrame(1, Buffer.from(JSON.stringify({ type: 'upload', rid: 1, id: `killed-${i}`, name: `killed-${i}` }))),
      );
      socket.write(wsFrame(2, chunkFrame(1, 0, Buffer.from(numberedCSV(100).slice(0, 700)))));
    });
    const sends = clients.map(async (c, i) => {
      const text = numberedCSV(50 + i, `c${i}-`);
      const table = await c.send(text, { name: `load-${i}` });
      return tableChecksum(table);
    });
    // kill the raw ones while the others upload
    for (const { socket } of killed) socket.destroy();
    const sums = await Promise.all(sends);
    await allDiscarded;
    for (let i = 0; i < 180; i++) {
      assert.equal(tableChecksum(server.table(`load-${i}`)!), sums[i]);
      assert.equal(server.table(`load-${i}`)!.numRows(), 50 + i);
    }
    assert.equal(discarded.length, 20);
    assert.ok(server.list().every((d) => !d.name.startsWith('killed-')));
    assert.equal(server.list().length, 180);
    await Promise.all(clients.map((c) => c.close()));
  });
});
