import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { AuthError, ConnectionError, type CsvServer, connect, startServer } from '../../src/index.js';
import {
  checkUpgrade,
  exposureWarning,
  isLoopbackHost,
  newToken,
  offeredToken,
  sameToken,
} from '../../src/server/auth.js';
import { rejectsWithCode, selfSignedCert } from '../helpers.js';
import { rawUpgrade } from './helpers.js';

const CSV = 'id,name\n1,Monish\n2,Floofy\n';

/** Open a raw `ws` socket with the csvsocket subprotocol and wait for the welcome. */
function openRaw(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('message', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('auth', () => {
  let server: CsvServer;
  let base: string;
  before(async () => {
    server = await startServer({ port: 0 });
    base = `ws://127.0.0.1:${server.port}/`;
  });
  after(() => server.close());

  describe('token', () => {
    it('is random and carries at least 128 bits', () => {
      const bytes = Buffer.from(server.token ?? '', 'base64url');
      assert.ok(bytes.byteLength * 8 >= 128, `token has ${bytes.byteLength * 8} bits`);
      assert.notEqual(newToken(), newToken());
      assert.equal(new Set(Array.from({ length: 200 }, newToken)).size, 200);
    });

    it('compares tokens by value whatever their lengths (constant time by hashing first)', () => {
      assert.equal(sameToken('abcdefgh', 'abcdefgh'), true);
      assert.equal(sameToken('abcdefgh', 'abcdefgX'), false);
      assert.equal(sameToken('abcdefgh', 'abcdefgh-longer'), false);
      assert.equal(sameToken('', 'abcdefgh'), false);
    });

    it('is accepted as ?token=', async () => {
      const ws = await openRaw(`${base}?token=${server.token}`, ['csvsocket.v1']);
      assert.equal(ws.protocol, 'csvsocket.v1');
      ws.close();
    });

    it('is accepted as Authorization: Bearer', async () => {
      const ws = await openRaw(base, ['csvsocket.v1'], { authorization: `Bearer ${server.token}` });
      ws.close();
    });

    it('is accepted as a csvsocket.token.<T> subprotocol, and never echoed back as the chosen one', async () => {
      const ws = await openRaw(base, ['csvsocket.v1', `csvsocket.token.${server.token}`]);
      assert.equal(ws.protocol, 'csvsocket.v1');
      ws.close();
    });

    it('lets connect() upload with the token in the URL', async () => {
      const client = await connect(server.url);
      const table = await client.send(CSV, { name: 'auth-ok' });
      assert.equal(table.numRows(), 2);
      await client.close();
    });

    for (const [how, path, headers] of [
      ['no token', '/', {}],
      ['a wrong ?token=', '/?token=WRONG-but-long-enough-1234', {}],
      ['a wrong Bearer token', '/', { authorization: 'Bearer WRONG-but-long-enough-1234' }],
      [
        'a wrong token subprotocol',
        '/',
        { 'sec-websocket-protocol': 'csvsocket.v1, csvsocket.token.WRONG-but-long-enough-1234' },
      ],
      ['a prefix of the right token', '/?token=PREFIX', {}],
    ] as const) {
      it(`refuses ${how} with 401 before the upgrade, code in X-Csvsocket-Error`, async () => {
        const p = path === '/?token=PREFIX' ? `/?token=${server.token?.slice(0, -1)}` : path;
        const answer = await rawUpgrade(server.port, p, { host: `127.0.0.1:${server.port}`, ...headers });
        assert.equal(answer.status, 401);
        assert.equal(answer.headers['x-csvsocket-error'], 'CSVS_AUTH_REQUIRED');
        assert.match(answer.body, /^CSVS_AUTH_REQUIRED: /);
        assert.doesNotMatch(answer.body, /WRONG|PREFIX/);
        if (server.token) assert.ok(!answer.body.includes(server.token.slice(0, 8)));
      });
    }

    it('makes connect() reject with AuthError CSVS_AUTH_REQUIRED for a missing token', async () => {
      const err = await rejectsWithCode(
        connect(base, { token: undefined as never }),
        'CSVS_AUTH_REQUIRED',
        /needs a token/,
      );
      assert.ok(err instanceof AuthError);
    });

    it('makes connect() reject with CSVS_AUTH_REQUIRED for a wrong token, without echoing it anywhere', async () => {
      const secret = 'sEcReT-wrong-token-4c9f2e';
      const logged: string[] = [];
      const originals = { log: console.log, error: console.error, warn: console.warn, info: console.info };
      const write = process.stderr.write.bind(process.stderr);
      for (const k of Object.keys(originals) as Array<keyof typeof originals>)
        console[k] = (...a: unknown[]) => logged.push(a.map(String).join(' '));
      process.stderr.write = ((chunk: string | Uint8Array) =>
        logged.push(String(chunk)) > 0) as typeof process.stderr.write;
      const warnings: string[] = [];
      server.on('warning', (w) => warnings.push(w));
      try {
        for (const url of [`${base}?token=${secret}`, base]) {
          const err = await rejectsWithCode(
            connect(url, url === base ? { token: secret } : {}),
            'CSVS_AUTH_REQUIRED',
            /token is wrong/,
          );
          assert.ok(err instanceof AuthError);
          const text = `${err.message}\n${err.stack}\n${JSON.stringify(err)}\n${String((err as { cause?: unknown }).cause ?? '')}`;
          assert.ok(!text.includes(secret), `the error echoes the offered token: ${text}`);
        }
      } finally {
        Object.assign(console, originals);
        process.stderr.write = write;
      }
      assert.ok(!logged.join('\n').includes(secret), 'the token was logged');
      assert.ok(!warnings.join('\n').includes(secret));
    });

    it('keeps the server token out of every refusal and out of client error messages', async () => {
      const token = server.token ?? '';
      const err = await rejectsWithCode(
        connect(`ws://127.0.0.1:${server.port}/nowhere?token=${token}x`),
        'CSVS_AUTH_REQUIRED',
      );
      assert.ok(!err.message.includes(token));
    });

    it('reads offered tokens from the query, the header and the subprotocol', () => {
      const req = (url: string, headers: Record<string, string>) => ({ url, headers }) as never;
      assert.equal(offeredToken(req('/?token=a1', {})), 'a1');
      assert.equal(offeredToken(req('/', { authorization: 'Bearer b2' })), 'b2');
      assert.equal(offeredToken(req('/', { 'sec-websocket-protocol': 'csvsocket.v1, csvsocket.token.c3' })), 'c3');
      assert.equal(offeredToken(req('/', { authorization: 'Basic Zm9vOmJhcg==' })), null);
    });
  });

  describe('token: false', () => {
    it('is refused on a non-loopback host with CSVS_AUTH_UNSAFE_CONFIG (before binding)', async () => {
      for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
        const err = await rejectsWithCode(
          startServer({ port: 0, host, token: false }),
          'CSVS_AUTH_UNSAFE_CONFIG',
          /loopback/,
        );
        assert.ok(err instanceof AuthError);
      }
    });

    it('is allowed on loopback, where any local client connects without a token', async () => {
      const open = await startServer({ port: 0, token: false });
      try {
        assert.equal(open.token, null);
        assert.doesNotMatch(open.url, /token/);
        const client = await connect(open.url);
        assert.equal((await client.send(CSV, { name: 'x' })).numRows(), 2);
        await client.close();
      } finally {
        await open.close();
      }
    });

    it('refuses a token shorter than 8 characters', async () => {
      await rejectsWithCode(startServer({ port: 0, token: 'short' }), 'CSVS_BAD_ARGUMENT');
    });
  });
});

describe('Origin and Host checks', () => {
  let server: CsvServer;
  let headers: Record<string, string>;
  before(async () => {
    server = await startServer({ port: 0, allowOrigins: ['https://notebook.example'], allowHosts: ['mybox.lan'] });
    headers = { authorization: `Bearer ${server.token}`, 'sec-websocket-protocol': 'csvsocket.v1' };
  });
  after(() => server.close());

  for (const origin of [
    'https://evil.example',
    'null',
    'http://localhost.evil.example',
    `http://127.0.0.1:${1}`,
    'file://',
  ]) {
    it(`refuses Origin ${origin} with 403 CSVS_AUTH_FORBIDDEN_ORIGIN, even with the right token`, async () => {
      const answer = await rawUpgrade(server.port, '/', { ...headers, host: `127.0.0.1:${server.port}`, origin });
      assert.equal(answer.status, 403);
      assert.equal(answer.headers['x-csvsocket-error'], 'CSVS_AUTH_FORBIDDEN_ORIGIN');
    });
  }

  it('refuses a foreign Origin before looking at the token (a page learns nothing about it)', async () => {
    const answer = await rawUpgrade(server.port, '/', {
      host: `127.0.0.1:${server.port}`,
      origin: 'https://evil.example',
    });
    assert.equal(answer.status, 403);
  });

  it("accepts the server's own origin http://<Host> and a configured one", async () => {
    for (const origin of [`http://127.0.0.1:${server.port}`, 'https://notebook.example']) {
      const answer = await rawUpgrade(server.port, '/', { ...headers, host: `127.0.0.1:${server.port}`, origin });
      assert.equal(answer.status, 101, `origin ${origin}`);
    }
  });

  it('accepts no Origin at all (command-line and script clients send none)', async () => {
    const answer = await rawUpgrade(server.port, '/', { ...headers, host: `127.0.0.1:${server.port}` });
    assert.equal(answer.status, 101);
  });

  for (const host of ['evil.example', 'evil.example:80', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.1']) {
    it(`refuses Host "${host}" on a loopback server with 403 CSVS_AUTH_FORBIDDEN_HOST (DNS rebinding)`, async () => {
      const answer = await rawUpgrade(server.port, '/', {
        ...headers,
        host: host ? `${host}${host.includes(':') ? '' : `:${server.port}`}` : '',
      });
      assert.equal(answer.status === 400 ? 403 : answer.status, 403, `host ${host}: ${answer.body}`);
      if (answer.status === 403) assert.equal(answer.headers['x-csvsocket-error'], 'CSVS_AUTH_FORBIDDEN_HOST');
    });
  }

  it('accepts loopback Host names and a configured allowHosts name', async () => {
    for (const host of [
      `localhost:${server.port}`,
      `127.0.0.1:${server.port}`,
      `[::1]:${server.port}`,
      `mybox.lan:${server.port}`,
      `app.localhost:${server.port}`,
    ]) {
      const answer = await rawUpgrade(server.port, '/', { ...headers, host });
      assert.equal(answer.status, 101, `host ${host}`);
    }
  });

  it('refuses a rebinding page even when it guessed the token', async () => {
    const answer = await rawUpgrade(server.port, `/?token=${server.token}`, {
      host: `attacker.example:${server.port}`,
      origin: `http://attacker.example:${server.port}`,
    });
    assert.equal(answer.status, 403);
  });

  it('knows loopback names and addresses, including IPv4-mapped IPv6', () => {
    for (const h of [
      'localhost',
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      'a.localhost',
      '::ffff:127.0.0.1',
      '0:0:0:0:0:0:0:1',
    ]) {
      assert.equal(isLoopbackHost(h), true, h);
    }
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      'localhost.evil',
      '127.0.0.1.nip.io',
      '128.0.0.1',
      '::ffff:10.0.0.1',
      '',
    ]) {
      assert.equal(isLoopbackHost(h), false, h);
    }
  });

  it('checks the Host only on a loopback server; a network server relies on its token', () => {
    const req = { url: '/?token=abcdefgh', headers: { host: 'mybox.example:8851' } } as never;
    assert.equal(
      checkUpgrade(req, { token: 'abcdefgh', host: '0.0.0.0', port: 8851, allowOrigins: [], allowHosts: [] }),
      null,
    );
    assert.equal(
      checkUpgrade(req, { token: 'abcdefgh', host: '127.0.0.1', port: 8851, allowOrigins: [], allowHosts: [] })?.status,
      403,
    );
  });
});

describe('TLS', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let server: CsvServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csvsocket-tls-'));
    ({ cert, key } = selfSignedCert(dir));
    server = await startServer({ port: 0, tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves wss:// when given a certificate and key (as file paths)', () => {
    assert.match(server.url, /^wss:\/\/127\.0\.0\.1:\d+\/\?token=/);
  });

  it('lets a client that trusts the certificate (ca) upload and query', async () => {
    const client = await connect(server.url, { ca: cert });
    const table = await client.send(CSV, { name: 'tls' });
    assert.deepEqual(table.array('name', Array), ['Monish', 'Floofy']);
    assert.equal((await client.query('tls', { limit: 1 })).numRows(), 1);
    await client.close();
  });

  it('accepts PEM text as well as file paths', async () => {
    const inline = await startServer({ port: 0, tls: { cert, key } });
    try {
      const client = await connect(inline.url, { ca: cert });
      await client.close();
    } finally {
      await inline.close();
    }
  });

  it('makes a client that does not trust the certificate fail with a clear CSVS_CONNECT_FAILED', async () => {
    const err = await rejectsWithCode(connect(server.url), 'CSVS_CONNECT_FAILED', /certificate/);
    assert.ok(err instanceof ConnectionError);
    assert.match(err.message, /\bca\b/);
    assert.ok(!err.message.includes(server.token ?? '-'), 'the token leaked into the message');
  });

  it('refuses a plain ws:// client on the TLS port', async () => {
    const url = server.url.replace('wss://', 'ws://');
    const err = await rejectsWithCode(connect(url, { timeout: 5000 }), 'CSVS_CONNECT_FAILED');
    assert.ok(err instanceof ConnectionError);
  });

  it('emits no exposure warning for TLS or loopback, and one for a clear-text network host', () => {
    assert.equal(exposureWarning('127.0.0.1', false), null);
    assert.equal(exposureWarning('0.0.0.0', true), null);
    assert.match(exposureWarning('0.0.0.0', false) ?? '', /without TLS/);
    assert.match(exposureWarning('192.168.1.10', false) ?? '', /--tls-cert/);
  });
});
