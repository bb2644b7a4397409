/**
 * Opening a connection: the URL and token, the WebSocket handshake and the
 * server's welcome, the errors a user can act on (nothing listening, a refused
 * token, an untrusted TLS certificate), and redialing after a drop.
 *
 *   createDialer(url, options) ─▶ dial() ─▶ upgrade (subprotocol csvsocket.v1, Bearer token)
 *        ├─ HTTP 401/403/503 ─▶ AuthError / LimitError with the server's reason
 *        ├─ socket error     ─▶ ConnectionError naming the cure
 *        └─ welcome          ─▶ { ws, welcome }
 *   redial(dialer) ─▶ dial() again with exponential backoff and jitter
 */
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import {
  ArgumentError,
  AuthError,
  ConnectionError,
  type CsvSocketError,
  ErrorCode,
  errorFromWire,
  LimitError,
  ProtocolError,
} from '../errors.js';
import { DEFAULT_URL, SUBPROTOCOL } from '../protocol/constants.js';
import { parseServerMessage, type ServerMessage } from '../protocol/messages.js';
import { processClientId } from '../state.js';

export { DEFAULT_URL } from '../protocol/constants.js';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The server's token; also read from the URL's `?token=` and `$CSVSOCKET_TOKEN`. */
  token?: string;
  /** Milliseconds to wait for the connection. @default 10000 */
  timeout?: number;
  /** CA certificate (PEM) to trust for wss://, e.g. a self-signed server's. */
  ca?: string | Buffer;
  /** Accept any TLS certificate (testing only). @default false */
  insecure?: boolean;
  /**
   * Reconnect after the connection drops (a network failure, not a close by
   * either end), and resume interrupted uploads from the server's last received
   * offset. `false` turns it off. @default { retries: 5, minDelay: 100, maxDelay: 5000 }
   */
  reconnect?: boolean | ReconnectOptions;
  /**
   * Who this client is, for dataset ownership: a client may replace, append to
   * or drop only datasets it stored (unless the server has `allowOverwrite`).
   * Keep it secret; reuse it to act as the same owner later.
   * @default `$CSVSOCKET_CLIENT_ID`, else one random id per process
   */
  clientId?: string;
}

/** How a client reconnects after a drop. */
export interface ReconnectOptions {
  /** Attempts before giving up. @default 5 */
  retries?: number;
  /** Delay before the first attempt, in ms; doubled each time, with jitter. @default 100 */
  minDelay?: number;
  /** Longest delay between attempts, in ms. @default 5000 */
  maxDelay?: number;
}

const DEFAULT_RECONNECT: Required<ReconnectOptions> = { retries: 5, minDelay: 100, maxDelay: 5000 };

/** The server's first message. @internal */
export type Welcome = Extract<ServerMessage, { type: 'welcome' }>;

/** An open socket that the server has welcomed. @internal */
export interface Dialed {
  ws: WebSocket;
  welcome: Welcome;
}

/** How a client opens (and re-opens) its socket. @internal */
export interface Dialer {
  /** the server URL without the token, as shown in messages */
  url: string;
  dial(): Promise<Dialed>;
  reconnect: Required<ReconnectOptions> | null;
  clientId: string;
}

function parseServerUrl(raw: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `not a URL: ${JSON.stringify(raw)} (expected e.g. ${DEFAULT_URL})`);
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `a csvsocket URL starts with ws:// or wss://, got ${parsed.protocol}//`,
    );
  }
  return parsed;
}

/**
 * Everything {@link connect} needs to open, and re-open, a connection.
 *
 * @param url - the server URL (`http(s)://` is taken as `ws(s)://`); its `?token=` is the token
 *   @default `$CSVSOCKET_URL`, else {@link DEFAULT_URL}
 * @param options - token, timeout, TLS trust, reconnect policy, client id
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` for a string that is not a ws(s):// or http(s):// URL
 * @internal
 */
export function createDialer(url: string | undefined, options: ConnectOptions = {}): Dialer {
  const parsed = parseServerUrl(url ?? process.env.CSVSOCKET_URL ?? DEFAULT_URL);
  const token = options.token ?? (parsed.searchParams.get('token') || undefined) ?? process.env.CSVSOCKET_TOKEN;
  parsed.searchParams.delete('token');
  const shown = parsed.toString();
  const timeout = options.timeout ?? 10_000;
  const reconnect =
    options.reconnect === false
      ? null
      : { ...DEFAULT_RECONNECT, ...(typeof options.reconnect === 'object' ? options.reconnect : {}) };
  const clientId = options.clientId ?? process.env.CSVSOCKET_CLIENT_ID ?? processClientId();
  return { url: shown, dial: () => openSocket(shown, token, { ...options, clientId }, timeout), reconnect, clientId };
}

/**
 * Dial again after a drop: up to `retries` attempts, the delay doubling from
 * `minDelay` to at most `maxDelay`, each with jitter. A refused token is final.
 *
 * @param dialer - how to dial
 * @param stopped - true once the client is being closed: stop trying
 * @returns the new socket, or null when stopped
 * @throws ConnectionError `CSVS_CONNECTION_CLOSED` naming the last failure, when every attempt failed
 * @internal
 */
export async function redial(dialer: Dialer, stopped: () => boolean): Promise<Dialed | null> {
  const policy = dialer.reconnect ?? { ...DEFAULT_RECONNECT, retries: 0 };
  let last: unknown = null;
  for (let attempt = 0; attempt < policy.retries && !stopped(); attempt++) {
    const delay = Math.min(policy.maxDelay, policy.minDelay * 2 ** attempt) * (0.5 + Math.random() / 2);
    await new Promise((r) => setTimeout(r, delay));
    if (stopped()) break;
    try {
      const dialed = await dialer.dial();
      if (!stopped()) return dialed;
      dialed.ws.terminate();
      break;
    } catch (err) {
      last = err;
      // a refused token or origin will not get better by retrying
      if (err instanceof AuthError) break;
    }
  }
  if (stopped()) return null;
  const detail = last instanceof Error ? `: ${last.message}` : '';
  throw new ConnectionError(
    ErrorCode.CONNECTION_CLOSED,
    `lost the connection to ${dialer.url} and could not reconnect${detail}`,
  );
}

// certificate problems a `ca` option (or a proper certificate) fixes
const TLS_TRUST_ERRORS: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What a server that accepts WebSockets but not csvsocket's subprotocol is told. */
function notCsvSocket(shown: string): ProtocolError {
  const hint = 'is it a csvsocket server of a compatible version?';
  return new ProtocolError(ErrorCode.PROTOCOL_VERSION, `${shown} does not speak ${SUBPROTOCOL}; ${hint}`);
}

/**
 * The error for a failed socket: nothing listening, an untrusted certificate,
 * a WebSocket server of another kind, or anything else.
 *
 * @param err - the socket's error
 * @param shown - the server URL without the token
 * @internal
 */
export function socketError(err: NodeJS.ErrnoException, shown: string): CsvSocketError {
  // ws: "Server sent no subprotocol" / "Server sent an invalid subprotocol"
  if (/sent (no|an invalid) subprotocol/.test(err.message)) return notCsvSocket(shown);
  if (err.code === 'ECONNREFUSED') {
    return new ConnectionError(
      ErrorCode.CONNECT_REFUSED,
      `no csvsocket server at ${shown}: start one with \`npx csvsocket serve\` (or \`await serve()\` in a notebook), or pass the URL it printed`,
    );
  }
  if (TLS_TRUST_ERRORS.has(err.code ?? '')) {
    return new ConnectionError(
      ErrorCode.CONNECT_FAILED,
      `cannot connect to ${shown}: the server's TLS certificate is not trusted (${err.message}); pass its certificate or CA as connect(url, { ca })`,
    );
  }
  return new ConnectionError(ErrorCode.CONNECT_FAILED, `cannot connect to ${shown}: ${err.message}`);
}

/**
 * The error for an upgrade the server answered with an HTTP status instead.
 *
 * @param status - the HTTP status
 * @param code - the server's `x-csvsocket-error` header, '' if none
 * @param body - the response body (`CODE: reason`)
 * @param shown - the server URL without the token
 * @internal
 */
export function refusalError(status: number, code: string, body: string, shown: string): CsvSocketError {
  const detail = body.replace(/^CSVS_[A-Z_]+: /, '').trim();
  if (status === 401) return new AuthError(ErrorCode.AUTH_REQUIRED, detail || `the server at ${shown} needs a token`);
  if (status === 403) return errorFromWire(code || ErrorCode.AUTH_FORBIDDEN_ORIGIN, detail || 'forbidden');
  if (status === 503) return new LimitError(ErrorCode.LIMIT_CONNECTIONS, detail || 'the server is full');
  return new ConnectionError(ErrorCode.CONNECT_FAILED, `${shown} answered HTTP ${status}; is it a csvsocket server?`);
}

function readRefusal(res: IncomingMessage, shown: string): Promise<CsvSocketError> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (body.length < 2000) body += c;
    });
    res.on('end', () =>
      resolve(refusalError(res.statusCode ?? 0, String(res.headers['x-csvsocket-error'] ?? ''), body, shown)),
    );
  });
}

function welcomeFrom(data: WebSocket.RawData, isBinary: boolean, shown: string): Welcome {
  const greeting = new ProtocolError(ErrorCode.PROTOCOL_VERSION, `${shown} did not greet like a csvsocket server`);
  if (isBinary) throw greeting;
  let m: ServerMessage;
  try {
    m = parseServerMessage((data as Buffer).toString('utf8'));
  } catch {
    throw greeting;
  }
  if (m.type !== 'welcome') throw greeting;
  return m;
}

/**
 * The masking key of every frame this client sends: zero, so ws neither XORs
 * nor copies an upload's bytes (a chunk goes from the file to the socket
 * untouched). RFC 6455 requires a client to set the mask bit, which it still
 * does; the key's randomness exists for browsers, where a hostile script
 * chooses the payload and could otherwise make it read as HTTP to a proxy on
 * the way (cache poisoning). This Node client sends only the caller's own data
 * in its own framing, never bytes chosen by a third party, so a predictable
 * key protects nothing here. Servers unmask a zero key as any other (ws skips
 * the XOR); the browser page keeps the browser's random key.
 */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

function newSocket(shown: string, token: string | undefined, options: ConnectOptions, timeout: number): WebSocket {
  return new WebSocket(shown, [SUBPROTOCOL], {
    // the client id lets the server count connections per client (and always admit its own process)
    headers: {
      ...(options.clientId ? { 'x-csvsocket-client': options.clientId } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    handshakeTimeout: timeout,
    maxPayload: 0,
    perMessageDeflate: false,
    generateMask: zeroMask,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.insecure ? { rejectUnauthorized: false } : {}),
  });
}

/** Open a socket and wait for the welcome; every failure rejects with a csvsocket error, once. */
function openSocket(
  shown: string,
  token: string | undefined,
  options: ConnectOptions,
  timeout: number,
): Promise<Dialed> {
  return new Promise((resolve, reject) => {
    const ws = newSocket(shown, token, options, timeout);
    let settled = false;
    const fail = (err: CsvSocketError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new ConnectionError(ErrorCode.TIMEOUT, `no answer from ${shown} within ${timeout} ms`)),
      timeout,
    );
    ws.on('unexpected-response', (_req, res) => void readRefusal(res, shown).then(fail));
    ws.on('error', (err: NodeJS.ErrnoException) => fail(socketError(err, shown)));
    ws.on('close', (code, reason) => {
      const why = reason.toString() || code;
      fail(new ConnectionError(ErrorCode.CONNECTION_CLOSED, `${shown} closed the connection (${why})`));
    });
    ws.once('open', () => {
      if (ws.protocol !== SUBPROTOCOL) fail(notCsvSocket(shown));
    });
    ws.once('message', (data, isBinary) => {
      if (settled) return;
      try {
        const welcome = welcomeFrom(data, isBinary, shown);
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        resolve({ ws, welcome });
      } catch (err) {
        fail(err as CsvSocketError);
      }
    });
  });
}
