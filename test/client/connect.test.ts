import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { connect as connectClient } from '../../src/client/client.js';
import { createDialer, DEFAULT_URL, redial } from '../../src/client/connect.js';
import { ArgumentError, AuthError, ConnectionError, LimitError, ProtocolError } from '../../src/errors.js';
import { type CsvServer, startServer } from '../../src/index.js';
import { rejectsWithCode, selfSignedCert } from '../helpers.js';

function listen(server: Server | NetServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

function close(server: Server | NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port where nothing listens (just freed). */
async function freePort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await close(server);
  return port;
}

/** An HTTP server that answers every upgrade with `status`, a code header and a body. */
async function refusing(
  status: number,
  code: string,
  body: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer();
  server.on('upgrade', (_req, socket) => {
    socket.end(
      `HTTP/1.1 ${status} No\r\nContent-Type: text/plain\r\n${code ? `x-csvsocket-error: ${code}\r\n` : ''}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  const port = await listen(server);
  return { url: `ws://127.0.0.1:${port}/`, stop: () => close(server) };
}

describe('connect', () => {
  describe('#createDialer', () => {
    it('takes the token from the URL and shows the URL without it', () => {
      const dialer = createDialer('ws://127.0.0.1:9/?token=secret&x=1');
      assert.equal(dialer.url, 'ws://127.0.0.1:9/?x=1');
      assert.doesNotMatch(dialer.url, /secret/);
    });

    it('takes http(s):// as ws(s)://, and defaults to 127.0.0.1:8851', () => {
      assert.equal(createDialer('http://h:1/').url, 'ws://h:1/');
      assert.equal(createDialer('https://h:1/').url, 'wss://h:1/');
      const saved = process.env.CSVSOCKET_URL;
      delete process.env.CSVSOCKET_URL;
      try {
        assert.equal(createDialer(undefined).url, DEFAULT_URL);
        assert.equal(DEFAULT_URL, 'ws://127.0.0.1:8851/');
      } finally {
        if (saved !== undefined) process.env.CSVSOCKET_URL = saved;
      }
    });

    it('rejects what is not a URL, and other schemes, with ArgumentError CSVS_BAD_ARGUMENT', async () => {
      let err = await rejectsWithCode(
        () => createDialer('localhost:8851'),
        'CSVS_BAD_ARGUMENT',
        /^a csvsocket URL starts with ws:\/\/ or wss:\/\/, got localhost:\/\/$/,
      );
      assert.ok(err instanceof ArgumentError);
      err = await rejectsWithCode(
        connectClient('not a url'),
        'CSVS_BAD_ARGUMENT',
        /^not a URL: "not a url" \(expected e\.g\. ws:\/\/127\.0\.0\.1:8851\/\)$/,
      );
      assert.ok(err instanceof ArgumentError);
    });

    it('sets the reconnect policy from its defaults, or none', () => {
      assert.deepEqual(createDialer('ws://h/').reconnect, { retries: 5, minDelay: 100, maxDelay: 5000 });
      assert.deepEqual(createDialer('ws://h/', { reconnect: { retries: 2 } }).reconnect, {
        retries: 2,
        minDelay: 100,
        maxDelay: 5000,
      });
      assert.equal(createDialer('ws://h/', { reconnect: false }).reconnect, null);
      assert.equal(createDialer('ws://h/', { clientId: 'me-12345678' }).clientId, 'me-12345678');
    });
  });

  describe('#dial', () => {
    it('fails with ConnectionError CSVS_CONNECT_REFUSED where nothing listens, naming the cure', async () => {
      const port = await freePort();
      const err = await rejectsWithCode(
        createDialer(`ws://127.0.0.1:${port}/`).dial(),
        'CSVS_CONNECT_REFUSED',
        new RegExp(`^no csvsocket server at ws://127\\.0\\.0\\.1:${port}/: start one with \`npx csvsocket serve\``),
      );
      assert.ok(err instanceof ConnectionError);
    });

    it("turns the server's HTTP refusals into the class of their code, with the server's reason", async () => {
      const cases: Array<[number, string, string, string, new (...args: never[]) => Error, RegExp]> = [
        [
          401,
          'CSVS_AUTH_REQUIRED',
          'CSVS_AUTH_REQUIRED: wrong token',
          'CSVS_AUTH_REQUIRED',
          AuthError,
          /^wrong token$/,
        ],
        [
          403,
          'CSVS_AUTH_FORBIDDEN_HOST',
          'CSVS_AUTH_FORBIDDEN_HOST: host evil',
          'CSVS_AUTH_FORBIDDEN_HOST',
          AuthError,
          /^host evil$/,
        ],
        [403, '', '', 'CSVS_AUTH_FORBIDDEN_ORIGIN', AuthError, /^forbidden$/],
        [503, 'CSVS_LIMIT_CONNECTIONS', '', 'CSVS_LIMIT_CONNECTIONS', LimitError, /^the server is full$/],
        [500, '', 'oops', 'CSVS_CONNECT_FAILED', ConnectionError, /answered HTTP 500; is it a csvsocket server\?$/],
      ];
      for (const [status, header, body, code, Class, message] of cases) {
        const server = await refusing(status, header, body);
        try {
          const err = await rejectsWithCode(createDialer(server.url).dial(), code, message);
          assert.ok(err instanceof Class, `${status} ${code}: ${err.name}`);
        } finally {
          await server.stop();
        }
      }
    });

    it('refuses a WebSocket server that does not speak csvsocket.v1 with ProtocolError CSVS_PROTOCOL_VERSION', async () => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => false });
      await new Promise((resolve) => wss.once('listening', resolve));
      const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
      try {
        const err = await rejectsWithCode(
          createDialer(url).dial(),
          'CSVS_PROTOCOL_VERSION',
          /^ws:\/\/127\.0\.0\.1:\d+\/ does not speak csvsocket\.v1; is it a csvsocket server of a compatible version\?$/,
        );
        assert.ok(err instanceof ProtocolError);
      } finally {
        await new Promise((resolve) => wss.close(resolve));
      }
    });

    it('refuses a server that answers the subprotocol but greets with something else', async () => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'csvsocket.v1' });
      wss.on('connection', (ws) => ws.send('{"type":"ready","rid":1,"offset":0}'));
      await new Promise((resolve) => wss.once('listening', resolve));
      const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
      try {
        const err = await rejectsWithCode(
          createDialer(url).dial(),
          'CSVS_PROTOCOL_VERSION',
          /did not greet like a csvsocket server$/,
        );
        assert.ok(err instanceof ProtocolError);
      } finally {
        await new Promise((resolve) => wss.close(resolve));
      }
    });

    it('gives up after the timeout with ConnectionError CSVS_TIMEOUT when the server never answers', async () => {
      const sockets: import('node:net').Socket[] = [];
      const silent = createNetServer((socket) => sockets.push(socket));
      const port = await listen(silent);
      try {
        const err = await rejectsWithCode(
          createDialer(`ws://127.0.0.1:${port}/`, { timeout: 200 }).dial(),
          'CSVS_TIMEOUT',
          /no answer from ws:\/\/127\.0\.0\.1:\d+\/ within 200 ms$/,
        );
        assert.ok(err instanceof ConnectionError);
      } finally {
        for (const socket of sockets) socket.destroy();
        await close(silent);
      }
    });
  });

  describe('TLS', () => {
    let dir: string;
    let cert: string;
    let server: CsvServer;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'csvsocket-connect-tls-'));
      const tls = selfSignedCert(dir);
      cert = tls.cert;
      server = await startServer({ port: 0, tls: { cert: tls.certFile, key: tls.keyFile } });
    });
    after(async () => {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('says a self-signed certificate is not trusted and how to trust it', async () => {
      const err = await rejectsWithCode(
        createDialer(server.url).dial(),
        'CSVS_CONNECT_FAILED',
        /: the server's TLS certificate is not trusted \(self[- ]signed certificate\); pass its certificate or CA as connect\(url, \{ ca \}\)$/,
      );
      assert.ok(err instanceof ConnectionError);
      assert.doesNotMatch(err.message, new RegExp(server.token ?? 'no token'));
    });

    it('connects when given the certificate as ca, or insecure', async () => {
      for (const options of [{ ca: cert }, { insecure: true }]) {
        const { ws, welcome } = await createDialer(server.url, options).dial();
        assert.equal(welcome.type, 'welcome');
        assert.equal(ws.protocol, 'csvsocket.v1');
        ws.terminate();
      }
    });
  });

  describe('#redial', () => {
    let server: CsvServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it('dials again until it works', async () => {
      server = await startServer({ port: 0 });
      let calls = 0;
      const real = createDialer(server.url, { reconnect: { retries: 4, minDelay: 1, maxDelay: 2 } });
      const dialer = {
        ...real,
        dial: () =>
          ++calls < 3 ? Promise.reject(new ConnectionError('CSVS_CONNECT_REFUSED', 'not yet')) : real.dial(),
      };
      const dialed = await redial(dialer, () => false);
      assert.equal(calls, 3);
      assert.equal(dialed?.welcome.type, 'welcome');
      dialed?.ws.terminate();
    });

    it('gives up after its retries with ConnectionError CSVS_CONNECTION_CLOSED naming the last failure', async () => {
      const port = await freePort();
      const dialer = createDialer(`ws://127.0.0.1:${port}/`, { reconnect: { retries: 2, minDelay: 1, maxDelay: 2 } });
      const err = await rejectsWithCode(
        redial(dialer, () => false),
        'CSVS_CONNECTION_CLOSED',
        new RegExp(
          `^lost the connection to ws://127\\.0\\.0\\.1:${port}/ and could not reconnect: no csvsocket server at`,
        ),
      );
      assert.ok(err instanceof ConnectionError);
    });

    it('stops at once on a refused token', async () => {
      server = await startServer({ port: 0 });
      let calls = 0;
      const real = createDialer(server.url.replace(/token=[^&]+/, 'token=wrong-token'), {
        reconnect: { retries: 5, minDelay: 1, maxDelay: 2 },
      });
      const dialer = {
        ...real,
        dial: () => {
          calls++;
          return real.dial();
        },
      };
      await rejectsWithCode(
        redial(dialer, () => false),
        'CSVS_CONNECTION_CLOSED',
        /could not reconnect: /,
      );
      assert.equal(calls, 1);
    });

    it('returns null when the client is closed meanwhile', async () => {
      const dialer = createDialer('ws://127.0.0.1:9/', { reconnect: { retries: 3, minDelay: 1, maxDelay: 1 } });
      assert.equal(await redial(dialer, () => true), null);
    });
  });
});
