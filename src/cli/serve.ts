/**
 * `csvsocket serve`: start a server and print each upload as the original
 * design's server did ("Received CSV data!!" and the first rows).
 */
import { type Command, Option } from 'commander';
import { ArgumentError, ErrorCode } from '../errors.js';
import { DEFAULT_PORT } from '../protocol/constants.js';
import type { ServeOptions } from '../server/server.js';
import { escapeTerminal, formatHead } from '../text.js';
import { type CliIO, parseCount, parsePort } from './io.js';

interface ServeFlags {
  port: number;
  host: string;
  auth?: boolean;
  token?: string;
  dataDir?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowOverwrite?: boolean;
  threads?: number;
  queryTimeout?: number;
}

/** Add `serve` to the program. */
export function addServeCommand(cli: Command, io: CliIO): void {
  cli
    .command('serve')
    .description('start a server; print each upload as it arrives')
    .addOption(
      new Option('--port <port>', 'TCP port (0 picks a free one)')
        .env('CSVSOCKET_PORT')
        .argParser(parsePort)
        .default(DEFAULT_PORT),
    )
    .option('--host <host>', 'interface to bind; a non-loopback host needs a token', '127.0.0.1')
    .addOption(
      new Option('--token <token>', 'access token (default: a random one, printed in the URL)').env('CSVSOCKET_TOKEN'),
    )
    .option('--no-auth', 'no token (loopback only), for the original Python client')
    .option('--data-dir <dir>', 'keep every acknowledged dataset in this folder and reload it at start')
    .option('--tls-cert <file>', 'TLS certificate (PEM): serve wss://')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--allow-overwrite', 'let any client replace or drop any dataset (default: only the client that sent it)')
    .addOption(new Option('--threads <n>', 'parse worker threads').argParser(parseCount))
    .addOption(
      new Option('--query-timeout <ms>', 'time budget of one query in ms (default 30000); past it: CSVS_QUERY_TIMEOUT')
        .env('CSVSOCKET_QUERY_TIMEOUT_MS')
        .argParser(parseCount),
    )
    .action((opts: ServeFlags) => serveCommand(opts, io));
}

function serveOptions(opts: ServeFlags): ServeOptions & { dataDir?: string } {
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, '--tls-cert and --tls-key go together');
  }
  return {
    port: opts.port,
    host: opts.host,
    ...(opts.auth === false ? { token: false as const } : opts.token ? { token: opts.token } : {}),
    ...(opts.tlsCert && opts.tlsKey ? { tls: { cert: opts.tlsCert, key: opts.tlsKey } } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
    ...(opts.queryTimeout ? { limits: { queryTimeoutMs: opts.queryTimeout } } : {}),
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.allowOverwrite ? { allowOverwrite: true } : {}),
  };
}

async function serveCommand(opts: ServeFlags, io: CliIO): Promise<void> {
  const options = serveOptions(opts);
  const { startServer } = await import('../server/server.js');
  const { pageUrl } = await import('../server/page.js');
  const server = await startServer(options);
  // names and cells come from clients: never let them drive the terminal
  server.on('warning', (message) => io.err(`csvsocket: warning: ${escapeTerminal(message)}`));
  server.on('dataset', (dataset) => {
    io.out('Received CSV data!!');
    io.out(formatHead(dataset.summary));
    for (const w of dataset.summary.warnings) io.out(`warning: ${escapeTerminal(w)}`);
    io.out('');
  });
  const scheme = options.tls ? 'wss' : 'ws';
  const shownHost = server.host === '127.0.0.1' ? 'localhost' : server.host;
  io.out(`Server running on ${scheme}://${shownHost}:${server.port}`);
  io.out(server.token ? `Connect with: ${server.url}` : 'Auth is off (loopback only).');
  io.out(`Upload page: ${pageUrl(server.url)}`);
  io.onServer?.(server);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    server.once('closed', () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    });
  });
}
