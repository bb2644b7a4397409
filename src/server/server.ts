/**
 * The csvsocket server: a `ws` WebSocket server that receives CSV uploads from
 * many clients at once, parses them off the main thread, keeps each dataset as
 * an arquero table under a name, and answers queries with Arrow IPC.
 *
 *   upgrade ─▶ checkUpgrade (token, Origin, Host) ─▶ Session (one per socket)
 *   Session ─▶ Ingest (worker threads) ─▶ Datasets.put ─▶ 'dataset' event
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { ColumnTable } from 'arquero';
import { type WebSocket, WebSocketServer } from 'ws';
import { ArgumentError, AuthError, ConnectionError, ErrorCode } from '../errors.js';
import { type Limits, resolveLimits } from '../protocol/limits.js';
import {
  type DatasetSummary,
  DEFAULT_PORT,
  LEGACY_REPLY,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
} from '../protocol/messages.js';
import { processClientId, processState } from '../state.js';
import { UploadGate } from './admission.js';
import { type AuthCheck, checkUpgrade, exposureWarning, isLoopbackHost, newToken } from './auth.js';
import { type Dataset, Datasets } from './datasets.js';
import { ReleaseCollector, sharedBytesLetGo } from './gc.js';
import { Ingest } from './ingest/pool.js';
import { handlePageRequest } from './page.js';
import { KeyedQueue, Persist } from './persist.js';
import { lowerPlatformThreads } from './priority.js';
import { QueryPool } from './queries/pool.js';
import { Session } from './session.js';
import { LiveHub } from './subscribers.js';
import type { CompletedUpload, Upload } from './uploads.js';

/** Options of {@link serve} and `csvsocket serve`. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. @default 8851 */
  port?: number;
  /** Interface to bind. A non-loopback host requires a token. @default '127.0.0.1' */
  host?: string;
  /** The access token; `false` turns auth off (loopback only). @default a random 144-bit token */
  token?: string | false;
  /** Extra browser origins allowed to connect (the server's own page is always allowed). @default [] */
  allowOrigins?: string[];
  /** Extra Host header names accepted on a loopback server (DNS-rebinding protection). @default [] */
  allowHosts?: string[];
  /** TLS certificate and key (PEM text or file paths): serve wss:// and https://. */
  tls?: { cert: string; key: string };
  /** Limits; see {@link Limits}. */
  limits?: Partial<Limits>;
  /** Parse worker threads. @default min(4, cores) */
  threads?: number;
  /** Query worker threads, started on demand (see `limits.maxQueriesPerClient`). @default 4 */
  queryThreads?: number;
  /**
   * Directory where every acknowledged dataset is written (atomically, as Arrow
   * IPC plus a JSON sidecar) and from which datasets are reloaded at start, so a
   * restart loses nothing that was acknowledged. @default none: datasets live in memory only
   */
  dataDir?: string;
  /**
   * Let any client replace, append to or drop any dataset. By default only the
   * client that stored a dataset (same `clientId`) and clients in the server's
   * own process may. @default false
   */
  allowOverwrite?: boolean;
  /**
   * @internal How uploads take turns (admission.ts): uploads streaming at once
   * (default 4 per parse thread) and how long one keeps its turn (default 2 s).
   */
  uploadTurns?: { slots?: number; leaseMs?: number };
}

/** A running csvsocket server. Emits `dataset`, `connection`, `disconnect` and `warning`. */
export interface CsvServerEvents {
  dataset: [dataset: Dataset];
  connection: [info: { id: number; legacy: boolean; clients: number }];
  disconnect: [info: { id: number; clients: number }];
  warning: [message: string];
  /** an interrupted upload was not resumed within `limits.resumeGraceMs` and was thrown away */
  discarded: [info: { id: string; name: string; bytes: number }];
  closed: [];
}

/**
 * Uploads streaming and parsing at once, per parse thread; the others wait
 * for their `ready` in arrival order (admission.ts). Enough to keep every
 * parse thread busy while the next uploads' bytes travel.
 */
const UPLOADS_PER_THREAD = 4;
/** An admitted upload gives its slot to the next one after this long, finished or not. */
const UPLOAD_LEASE_MS = 2000;

/**
 * A running server. Create it with {@link serve}.
 *
 * @example
 * ```ts
 * const server = await serve({ port: 0 });
 * console.log(server.url);          // ws://127.0.0.1:40123/?token=…
 * const table = await server.next(); // the next dataset to arrive
 * await server.close();
 * ```
 */
export class CsvServer extends EventEmitter<CsvServerEvents> {
  /** The port the server listens on. */
  readonly port: number;
  /** The interface the server is bound to. */
  readonly host: string;
  /** The access token, or null when auth is off. */
  readonly token: string | null;
  /** The limits in force. */
  readonly limits: Limits;
  /** @internal */
  readonly datasets: Datasets;
  private readonly http: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly ingest: Ingest;
  private readonly queries: QueryPool;
  private readonly live: LiveHub;
  private readonly sessions = new Set<Session>();
  private readonly parked = new Map<string, Upload>();
  private readonly handshakes = new WeakMap<Duplex, NodeJS.Timeout>();
  private readonly completed = new Map<string, CompletedUpload>();
  private readonly queue = new KeyedQueue();
  private readonly gate: UploadGate;
  private readonly persist: Persist | null;
  private readonly released = new ReleaseCollector();
  private readonly allowOverwrite: boolean;
  private readonly secure: boolean;
  private readonly check: AuthCheck;
  private nextSession = 1;
  private nextLegacy = 1;
  /** open connections per client key (client id, else remote address) */
  private readonly perClient = new Map<string, number>();
  private closing: Promise<void> | null = null;

  /** @internal use {@link serve} */
  constructor(http: HttpServer, options: ResolvedServe) {
    super();
    this.http = http;
    const address = http.address();
    this.port = typeof address === 'object' && address ? address.port : options.port;
    this.host = options.host;
    this.token = options.token;
    this.limits = options.limits;
    this.secure = options.secure;
    this.persist = options.persist;
    this.allowOverwrite = options.allowOverwrite;
    this.datasets = new Datasets();
    this.live = new LiveHub(this.datasets);
    for (const dataset of options.restored) this.datasets.put(dataset);
    this.ingest = new Ingest(options.threads === undefined ? {} : { threads: options.threads });
    this.gate = new UploadGate({
      slots: options.uploadTurns?.slots ?? UPLOADS_PER_THREAD * this.ingest.threads,
      leaseMs: options.uploadTurns?.leaseMs ?? UPLOAD_LEASE_MS,
    });
    this.queries = new QueryPool(this.datasets, {
      limits: this.limits,
      released: this.released,
      ...(options.queryThreads === undefined ? {} : { threads: options.queryThreads }),
    });
    this.check = {
      token: options.token,
      host: options.host,
      port: this.port,
      allowOrigins: options.allowOrigins,
      allowHosts: options.allowHosts,
    };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxFrameBytes,
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    // slow-loris: a connection gets handshakeTimeoutMs in all to complete its upgrade
    // (Node's own headersTimeout is only checked every 30 s)
    http.on(this.secure ? 'secureConnection' : 'connection', (socket: Duplex) => {
      const timer = setTimeout(() => socket.destroy(), this.limits.handshakeTimeoutMs);
      timer.unref();
      this.handshakes.set(socket, timer);
      socket.once('close', () => clearTimeout(timer));
    });
    http.on('upgrade', (req, socket, head) => {
      clearTimeout(this.handshakes.get(socket));
      this.onUpgrade(req, socket, head);
    });
    http.on('request', (req, res) => this.onRequest(req, res));
    this.datasets.on('stored', (dataset: Dataset) => this.emit('dataset', dataset));
    // a replaced or dropped table's shared memory is freed by a collection on this thread (see gc.ts)
    this.datasets.on('released', (old, now) => this.released.released(sharedBytesLetGo(old.ipc, now?.ipc)));
  }

  /** Where clients connect, with the token as `?token=` when auth is on. */
  get url(): string {
    const base = `${this.secure ? 'wss' : 'ws'}://${urlHost(this.host)}:${this.port}/`;
    return this.token ? `${base}?token=${encodeURIComponent(this.token)}` : base;
  }

  /** The received datasets as arquero tables, by name. */
  get tables(): ReadonlyMap<string, ColumnTable> {
    return new Map([...this.datasets.all()].map((d) => [d.name, d.table]));
  }

  /** Number of connected clients. */
  get clients(): number {
    return this.sessions.size;
  }

  /**
   * The dataset stored under `name`.
   *
   * @param name - the dataset name
   * @returns its arquero table, or undefined
   */
  table(name: string): ColumnTable | undefined {
    return this.datasets.get(name)?.table;
  }

  /** Summaries of every dataset, in arrival order. */
  list(): DatasetSummary[] {
    return [...this.datasets.all()].map((d) => d.summary);
  }

  /**
   * Wait for the next dataset to arrive (optionally one with a given name).
   *
   * @param options.name - wait for this dataset name only
   * @param options.timeout - milliseconds before rejecting with `CSVS_TIMEOUT` @default no timeout
   * @returns the dataset's arquero table
   * @example
   * ```ts
   * const t = await server.next({ timeout: 60_000 });
   * ```
   */
  async next(options: { name?: string; timeout?: number } = {}): Promise<ColumnTable> {
    return (await this.nextDataset(options)).table;
  }

  /**
   * Like {@link next}, resolving to the whole dataset record (name, table, summary).
   */
  nextDataset(options: { name?: string; timeout?: number } = {}): Promise<Dataset> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onData = (dataset: Dataset) => {
        if (options.name !== undefined && dataset.name !== options.name) return;
        cleanup();
        resolve(dataset);
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        this.off('dataset', onData);
      };
      this.on('dataset', onData);
      if (options.timeout !== undefined) {
        timer = setTimeout(() => {
          cleanup();
          const what = options.name === undefined ? 'a dataset' : `dataset "${options.name}"`;
          reject(new ConnectionError(ErrorCode.TIMEOUT, `no ${what} arrived within ${options.timeout} ms`));
        }, options.timeout);
      }
    });
  }

  /**
   * Wait until `count` datasets are stored in total, or until the named ones all are.
   *
   * @param what - a count, or a list of names
   * @param options.timeout - milliseconds before rejecting with `CSVS_TIMEOUT`
   * @returns the tables, in arrival order (count) or in the order named
   */
  async waitFor(what: number | string[], options: { timeout?: number } = {}): Promise<ColumnTable[]> {
    const done = (): ColumnTable[] | null => {
      if (typeof what === 'number') {
        const all = [...this.datasets.all()];
        return all.length >= what ? all.map((d) => d.table) : null;
      }
      const tables = what.map((n) => this.datasets.get(n)?.table);
      return tables.every((t) => t !== undefined) ? (tables as ColumnTable[]) : null;
    };
    const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout;
    for (;;) {
      const ready = done();
      if (ready) return ready;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ConnectionError(
          ErrorCode.TIMEOUT,
          `waited ${options.timeout} ms for ${JSON.stringify(what)}; have ${JSON.stringify([...this.datasets.all()].map((d) => d.name))}`,
        );
      }
      await this.nextDataset(Number.isFinite(left) ? { timeout: left } : {}).catch(() => undefined);
    }
  }

  /** Whether {@link close} has been called. */
  get isClosed(): boolean {
    return this.closing !== null;
  }

  /** Stop accepting connections, close every client, stop the workers and free the port. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        for (const session of this.sessions) session.terminate(1001, 'server closing');
        this.wss.close();
        await new Promise<void>((resolve) => {
          this.http.close(() => resolve());
          this.http.closeAllConnections();
        });
        await this.ingest.close();
        await this.queries.close();
        this.released.stop();
        this.emit('closed');
      })();
    }
    return this.closing;
  }

  /**
   * Why a new connection is refused, or null. The server's own process (the
   * notebook) always gets in; anyone else within maxConnections, and one client
   * within maxConnectionsPerClient, so that no client can take every slot.
   */
  private connectionRefusal(key: string): string | null {
    const { maxConnections, maxConnectionsPerClient } = this.limits;
    if (key === `id:${processClientId()}`) return null;
    if (this.sessions.size >= maxConnections) return `the server holds ${maxConnections} connections already`;
    if ((this.perClient.get(key) ?? 0) >= maxConnectionsPerClient)
      return `this client holds ${maxConnectionsPerClient} connections already (maxConnectionsPerClient); close one`;
    return null;
  }

  /** A name for a legacy upload: `upload_N`, never handed out twice by this server. */
  private legacyName(): string {
    for (;;) {
      const name = `upload_${this.nextLegacy++}`;
      if (!this.datasets.get(name)) return name;
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (handlePageRequest(req, res, this.check)) return;
    res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
    res.end(`csvsocket ${PROTOCOL_VERSION}: connect with a WebSocket client (npx csvsocket send FILE --url ...)\n`);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const refusal = checkUpgrade(req, this.check);
    if (refusal) {
      const body = `${refusal.code}: ${refusal.message}\n`;
      socket.end(
        `HTTP/1.1 ${refusal.status} ${refusal.status === 401 ? 'Unauthorized' : 'Forbidden'}\r\n` +
          `Content-Type: text/plain; charset=utf-8\r\nX-Csvsocket-Error: ${refusal.code}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const key = clientKey(req);
    const full = this.connectionRefusal(key);
    if (full) {
      const body = `${ErrorCode.LIMIT_CONNECTIONS}: ${full}\n`;
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nX-Csvsocket-Error: ${ErrorCode.LIMIT_CONNECTIONS}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    this.perClient.set(key, (this.perClient.get(key) ?? 0) + 1);
    let counted = true;
    const uncount = () => {
      if (!counted) return;
      counted = false;
      const n = (this.perClient.get(key) ?? 1) - 1;
      if (n > 0) this.perClient.set(key, n);
      else this.perClient.delete(key);
    };
    socket.once('close', uncount);
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const session = new Session(this.nextSession++, ws, {
        datasets: this.datasets,
        ingest: this.ingest,
        queries: this.queries,
        limits: this.limits,
        legacy: ws.protocol !== SUBPROTOCOL,
        legacyReply: LEGACY_REPLY,
        parked: this.parked,
        legacyName: () => this.legacyName(),
        live: this.live,
        onDiscard: (upload) => this.emit('discarded', { id: upload.id, name: upload.name, bytes: upload.received }),
        allowOverwrite: this.allowOverwrite,
        adminId: processClientId(),
        persist: this.persist,
        queue: this.queue,
        completed: this.completed,
        gate: this.gate,
        released: this.released,
      });
      this.sessions.add(session);
      this.emit('connection', { id: session.id, legacy: session.legacy, clients: this.sessions.size });
      ws.on('close', () => {
        uncount();
        this.sessions.delete(session);
        session.dispose();
        this.emit('disconnect', { id: session.id, clients: this.sessions.size });
      });
      session.start();
    });
  }
}

/**
 * Who a connection counts against: the client id it names in the
 * `X-Csvsocket-Client` header (the Node client sends it), else its address.
 */
function clientKey(req: IncomingMessage): string {
  const id = req.headers['x-csvsocket-client'];
  if (typeof id === 'string' && id.length >= 8 && id.length <= 128) return `id:${id}`;
  return `address:${req.socket.remoteAddress ?? ''}`;
}

interface ResolvedServe {
  port: number;
  host: string;
  token: string | null;
  allowOrigins: string[];
  allowHosts: string[];
  limits: Limits;
  secure: boolean;
  threads?: number;
  queryThreads?: number;
  persist: Persist | null;
  restored: Dataset[];
  allowOverwrite: boolean;
  uploadTurns?: { slots?: number; leaseMs?: number };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function readPem(value: string): string {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

/**
 * Start a csvsocket server in this process.
 *
 * @param options - port, host, token, TLS, limits
 * @returns the running server, once it listens
 * @throws AuthError `CSVS_AUTH_UNSAFE_CONFIG` for auth off on a non-loopback host
 * @throws ConnectionError `CSVS_ADDRESS_IN_USE` when the port is taken
 * @example
 * ```ts
 * const server = await serve({ port: 0 });
 * const client = await connect(server.url);
 * ```
 */
export async function startServer(options: ServeOptions = {}): Promise<CsvServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (options.token === false && !isLoopbackHost(host)) {
    throw new AuthError(
      ErrorCode.AUTH_UNSAFE_CONFIG,
      `auth can only be turned off on a loopback host; "${host}" is reachable from the network — keep the token`,
    );
  }
  if (typeof options.token === 'string' && options.token.length < 8) {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, 'a token must have at least 8 characters');
  }
  const token = options.token === false ? null : (options.token ?? newToken());
  // the event loop first: V8's background compiling yields to it (priority.ts)
  lowerPlatformThreads();
  const secure = options.tls !== undefined;
  const limits = resolveLimits(options.limits);
  const http = secure
    ? createHttpsServer({
        cert: readPem(options.tls!.cert),
        key: readPem(options.tls!.key),
        handshakeTimeout: limits.handshakeTimeoutMs,
      })
    : createServer();
  const restored = options.dataDir === undefined ? null : await Persist.open(options.dataDir);
  http.headersTimeout = limits.handshakeTimeoutMs;
  http.requestTimeout = limits.handshakeTimeoutMs;
  http.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new ConnectionError(
            ErrorCode.ADDRESS_IN_USE,
            `port ${port} on ${host} is already in use — stop the other server, or pick another port (--port 0 picks a free one)`,
          ),
        );
      } else
        reject(new ConnectionError(ErrorCode.CONNECT_FAILED, `cannot listen on ${host}:${port}: ${err.message}`, {}));
    };
    http.once('error', onError);
    http.listen(port, host, () => {
      http.off('error', onError);
      resolve();
    });
  });
  const server = new CsvServer(http, {
    port,
    host,
    token,
    allowOrigins: options.allowOrigins ?? [],
    allowHosts: options.allowHosts ?? [],
    limits,
    secure,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.queryThreads === undefined ? {} : { queryThreads: options.queryThreads }),
    persist: restored?.persist ?? null,
    restored: restored?.datasets ?? [],
    allowOverwrite: options.allowOverwrite ?? false,
    ...(options.uploadTurns === undefined ? {} : { uploadTurns: options.uploadTurns }),
  });
  if (restored && restored.warnings.length > 0) {
    const warning = `could not reload ${restored.warnings.length} file(s) from ${options.dataDir}: ${restored.warnings.join('; ')}`;
    process.nextTick(() => server.emit('warning', warning));
  }
  const warning = exposureWarning(host, secure);
  if (warning) process.nextTick(() => server.emit('warning', warning));
  return server;
}

interface Registered {
  key: string;
  server: CsvServer;
}

// one registry per process, shared by every copy of the package that is loaded
// (a notebook may load two), so that a re-run cell finds the server it started
declare module '../state.js' {
  interface ProcessState {
    /** servers started with startServer's registry, by port */
    servers: Map<string, Promise<Registered>>;
  }
}
function registry(): Map<string, Promise<Registered>> {
  return processState('servers', () => new Map());
}

function optionsKey(options: ServeOptions): string {
  const { tls, ...rest } = options;
  return JSON.stringify({ ...rest, tls: tls ? [tls.cert.length, tls.key.length, tls.cert.slice(-64)] : null });
}

/**
 * Start the csvsocket server of this process, or return the one already running.
 * Calling it again with the same options returns the same server (a notebook
 * cell can be re-run safely); with other options for the same port it closes
 * the old server cleanly and starts a new one — never `EADDRINUSE`.
 *
 * @param options - port, host, token, TLS, limits; see {@link ServeOptions}
 * @returns the running server
 * @example
 * ```ts
 * const server = await serve();       // ws://127.0.0.1:8851, random token
 * console.log(server.url);
 * ```
 */
export async function serve(options: ServeOptions = {}): Promise<CsvServer> {
  const port = options.port ?? DEFAULT_PORT;
  const slot = port === 0 ? `0:${optionsKey(options)}` : `${options.host ?? '127.0.0.1'}:${port}`;
  const key = optionsKey({ ...options, port });
  const servers = registry();
  const existing = servers.get(slot);
  if (existing) {
    const found = await existing.catch(() => null);
    if (found && found.key === key && !found.server.isClosed) return found.server;
    // a random token is part of the server, not of the options: keep it across restarts
    if (found && options.token === undefined && found.server.token) options = { ...options, token: found.server.token };
    if (found) await found.server.close();
  }
  const started = startServer(options).then((server) => {
    server.once('closed', () => {
      if (servers.get(slot) === started) servers.delete(slot);
    });
    return { key, server };
  });
  servers.set(slot, started);
  try {
    return (await started).server;
  } catch (err) {
    servers.delete(slot);
    throw err;
  }
}
