#!/usr/bin/env node
/**
 * `csvsocket` — the command line, a thin layer over the public API.
 * Results go to stdout; errors to stderr as `csvsocket: CODE: message` with
 * exit status 1.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatCell } from '../arrow/ipc.js';
import { type CsvClient, connect, DEFAULT_URL } from '../client/client.js';
import { type ColumnType, toCSVTable } from '../csv/index.js';
import { ArgumentError, ErrorCode, isCsvSocketError } from '../errors.js';
import { DEFAULT_PORT, LEGACY_REPLY } from '../protocol/messages.js';
import {
  type Filter,
  parseFilterExpression,
  parseRollupExpression,
  parseSortExpression,
  type Query,
} from '../query/index.js';
import { pageUrl } from '../server/page.js';
import { type ServeOptions, startServer } from '../server/server.js';
import { escapeTerminal, formatBytes, formatHead, formatRows, plural, summaryLine } from '../text.js';
import { follow } from './follow.js';
import { addNotebookSetupCommand } from './notebook-setup.js';
import { addSensorCommand } from './sensor.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** whether stderr is a terminal (progress bars only then) */
  errIsTTY: boolean;
  /** called with the running server by `serve`, so tests can stop it */
  onServer?: (server: { close(): Promise<void>; url: string }) => void;
}

const processIO: CliIO = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  errIsTTY: Boolean(process.stderr.isTTY),
};

const columnTypes = ['integer', 'number', 'boolean', 'date', 'string'];

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is an integer from 0 to 65535.');
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseTypes(specs: string[] = []): Record<string, ColumnType> | undefined {
  if (specs.length === 0) return undefined;
  const types = Object.create(null) as Record<string, ColumnType>;
  for (const spec of specs) {
    const at = spec.lastIndexOf('=');
    const column = spec.slice(0, at);
    const type = spec.slice(at + 1);
    if (at <= 0 || !columnTypes.includes(type)) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `--type takes COLUMN=TYPE with TYPE one of ${columnTypes.join(', ')}; got ${JSON.stringify(spec)}`,
      );
    }
    types[column] = type as ColumnType;
  }
  return types;
}

/** The URL and token options every client command shares. */
function clientOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'server URL (the one `csvsocket serve` printed)')
        .env('CSVSOCKET_URL')
        .default(DEFAULT_URL),
    )
    .addOption(new Option('--token <token>', 'access token, if the URL does not carry it').env('CSVSOCKET_TOKEN'));
}

/**
 * The CLI's client identity, kept in the user's config folder so that a user
 * can re-send (replace) or drop the datasets they sent earlier from another
 * command, while other people's clients cannot (the server's isolation rule).
 */
function cliClientId(): string | undefined {
  if (process.env.CSVSOCKET_CLIENT_ID) return process.env.CSVSOCKET_CLIENT_ID;
  const dir = join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'csvsocket');
  const file = join(dir, 'client-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[\w-]{16,128}$/.test(id)) return id;
  } catch {
    // first use: make one below
  }
  try {
    const id = randomUUID();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${id}\n`, { mode: 0o600 });
    return id;
  } catch {
    return undefined; // read-only home: a per-process identity, as for any client
  }
}

async function withClient<T>(
  opts: { url: string; token?: string },
  run: (client: CsvClient) => Promise<T>,
): Promise<T> {
  const clientId = cliClientId();
  const client = await connect(opts.url, {
    ...(opts.token ? { token: opts.token } : {}),
    ...(clientId ? { clientId } : {}),
  });
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

function progressBar(io: CliIO, label: string, total: number) {
  if (!io.errIsTTY || total < 4 * 1024 * 1024) return null;
  // cli-progress is loaded only when a bar is shown
  const { SingleBar, Presets } = require('cli-progress') as typeof import('cli-progress');
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {done} of {size} | {eta_formatted} left`,
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { done: formatBytes(0), size: formatBytes(total) });
  return {
    update: (bytes: number) => bar.update(bytes, { done: formatBytes(bytes) }),
    stop: () => bar.stop(),
  };
}

/**
 * Build the `csvsocket` command.
 *
 * @param io - where output goes
 * @returns the commander program
 */
export function program(io: CliIO = processIO): Command {
  const cli = new Command('csvsocket')
    .description('Move CSV data over WebSockets into TypeScript notebooks as arquero tables.')
    .version(require('../../package.json').version as string)
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

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
    .action(async (opts) => {
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) {
        throw new ArgumentError(ErrorCode.BAD_ARGUMENT, '--tls-cert and --tls-key go together');
      }
      const options: ServeOptions & { dataDir?: string } = {
        port: opts.port,
        host: opts.host,
        ...(opts.auth === false ? { token: false as const } : opts.token ? { token: opts.token as string } : {}),
        ...(opts.tlsCert ? { tls: { cert: opts.tlsCert as string, key: opts.tlsKey as string } } : {}),
        ...(opts.threads ? { threads: opts.threads as number } : {}),
        ...(opts.queryTimeout ? { limits: { queryTimeoutMs: opts.queryTimeout as number } } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir as string } : {}),
        ...(opts.allowOverwrite ? { allowOverwrite: true } : {}),
      };
      const server = await startServer(options);
      server.on('warning', (message) => io.err(`csvsocket: warning: ${message}`));
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
    });

  clientOptions(
    cli
      .command('send')
      .description('upload CSV files (or - for standard input)')
      .argument('<files...>', 'CSV files')
      .option('--name <name>', 'dataset name (default: the file name without extension)')
      .option('--type <column=type>', `force a column type (${columnTypes.join(', ')}); repeatable`, collect)
      .option('--append', 'append the rows to the dataset instead of replacing it')
      .option('--follow', 'keep sending: like tail -f, append each new complete line as the file grows (Ctrl-C stops)'),
  ).action(async (files: string[], opts) => {
    if (opts.name && files.length > 1) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        '--name names one dataset; send one file with it, or leave it out',
      );
    }
    if (opts.follow) {
      if (files.length !== 1 || files[0] === '-') {
        throw new ArgumentError(ErrorCode.BAD_ARGUMENT, '--follow follows one file (not standard input)');
      }
      const file = files[0]!;
      const name = (opts.name as string | undefined) ?? (basename(file, extname(file)) || 'data');
      await withClient(opts, async (client) => {
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          let first = true;
          await follow(client, file, {
            name,
            signal: stop.signal,
            onUpdate: (summary, added) => {
              if (first) {
                io.out(`Server confirmation: ${LEGACY_REPLY}`);
                io.out(summaryLine(summary));
                io.out(`following ${file}: new lines are appended to "${name}" (Ctrl-C stops)`);
                first = false;
              } else
                io.out(`appended ${plural(added, 'row')} to ${name} (${summary.rows.toLocaleString('en-US')} in all)`);
            },
          });
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      });
      return;
    }
    const types = parseTypes(opts.type);
    await withClient(opts, async (client) => {
      for (const file of files) {
        const source = file === '-' ? process.stdin : file;
        const size = file === '-' ? 0 : fileSize(file);
        const bar = progressBar(io, file, size);
        try {
          const { summary } = await client.upload(source, {
            ...(opts.name ? { name: opts.name as string } : file === '-' ? { name: 'stdin' } : {}),
            ...(types ? { types } : {}),
            ...(opts.append ? { mode: 'append' as const } : {}),
            ...(bar ? { onProgress: (p: { bytes: number }) => bar.update(p.bytes) } : {}),
          });
          bar?.stop();
          io.out(`Server confirmation: ${LEGACY_REPLY}`);
          io.out(summaryLine(summary));
          for (const w of summary.warnings) io.err(`csvsocket: warning: ${w}`);
        } catch (err) {
          bar?.stop();
          if (isCsvSocketError(err) && err.line !== undefined) err.message = `${file}: ${err.message}`;
          throw err;
        }
      }
    });
  });

  clientOptions(
    cli
      .command('query')
      .description('query a dataset on the server')
      .argument('<name>', 'dataset name')
      .option(
        '--filter <expr>',
        'keep rows matching, e.g. "grade = A", "age >= 22", "name ~ flo", "grade in A|B"; repeat to AND',
        collect,
      )
      .option('--any', 'combine the filters with OR instead of AND')
      .option('--sort <keys>', 'sort keys, "-" for descending, e.g. grade,-age')
      .option('--select <columns>', 'columns to keep, e.g. name,grade')
      .option('--groupby <columns>', 'group by these columns, e.g. grade')
      .option('--rollup <aggs>', 'aggregates per group, e.g. "count,mean(age)" or "n=count,avg=mean(age)"')
      .addOption(new Option('--offset <n>', 'skip rows').argParser(parseCount))
      .addOption(new Option('--limit <n>', 'at most N rows').argParser(parseCount))
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table')),
  ).action(async (name: string, opts) => {
    const query: Query = {};
    const filters: Filter[] = (opts.filter ?? []).map((f: string) => parseFilterExpression(f));
    if (filters.length === 1) query.filter = filters[0]!;
    else if (filters.length > 1) query.filter = opts.any ? { or: filters } : { and: filters };
    if (opts.groupby) query.groupby = splitList(opts.groupby);
    if (opts.rollup) query.rollup = parseRollupExpression(opts.rollup);
    if (opts.sort) query.sort = parseSortExpression(opts.sort);
    if (opts.select) query.select = splitList(opts.select);
    if (opts.offset !== undefined) query.offset = opts.offset;
    if (opts.limit !== undefined) query.limit = opts.limit;
    await withClient(opts, async (client) => {
      const { table, summary } = await client.queryWithSummary(name, query);
      if (opts.format === 'csv') io.out(toCSVTable(table, summary.columns).replace(/\n$/, ''));
      else if (opts.format === 'json') {
        const infos = new Map(summary.columns.map((c) => [c.name, c]));
        const names = table.columnNames();
        const arrays = names.map((n) => table.array(n, Array) as unknown[]);
        const rows: unknown[] = [];
        for (let r = 0; r < table.numRows(); r++) {
          const row = Object.create(null) as Record<string, unknown>;
          names.forEach((n, i) => {
            const v = arrays[i]?.[r];
            const info = infos.get(n);
            row[n] = v instanceof Date ? formatCell(v, info) : v === undefined ? null : v;
          });
          rows.push(row);
        }
        io.out(JSON.stringify(rows, null, 2));
      } else io.out(formatRows(table, summary.columns, Number.POSITIVE_INFINITY));
    });
  });

  clientOptions(
    cli
      .command('list')
      .description('list the datasets on a server')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table')),
  ).action(async (opts) => {
    await withClient(opts, async (client) => {
      const datasets = await client.list();
      if (opts.format === 'json') io.out(JSON.stringify(datasets, null, 2));
      else if (datasets.length === 0) io.out('no datasets yet');
      else for (const d of datasets) io.out(summaryLine(d));
    });
  });

  addNotebookSetupCommand(cli, io);
  addSensorCommand(cli, io);
  return cli;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Run the CLI.
 *
 * @param argv - the arguments after `csvsocket`
 * @param io - where output goes
 * @returns the exit status: 0, or 1 on any failure
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2));
 * ```
 */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  try {
    await program(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // help and version exit 0; usage errors were already printed by commander
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 1;
    }
    if (isCsvSocketError(err)) io.err(`csvsocket: ${err.code}: ${err.message}`);
    else io.err(`csvsocket: ${(err as Error)?.message ?? String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
