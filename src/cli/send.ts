/**
 * `csvsocket send`: upload files (or standard input) and print the server's
 * summary. It asks for the summary only — the stored table is not sent back —
 * and loads the client only when it runs, so a small file's whole process
 * stays quick.
 */
import { statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import type { CsvClient } from '../client/client.js';
import type { TypeSpec } from '../csv/types.js';
import { ArgumentError, ErrorCode, isCsvSocketError } from '../errors.js';
import { LEGACY_REPLY } from '../protocol/constants.js';
import { formatCount } from '../protocol/units.js';
import { escapeTerminal, formatBytes, plural, summaryLine } from '../text.js';
import { type ClientFlags, type CliIO, clientOptions, collect, withClient } from './io.js';

const CONFIRMATION = `Server confirmation: ${LEGACY_REPLY}`;
const columnTypes = ['integer', 'number', 'boolean', 'date', 'string'];

interface SendFlags extends ClientFlags {
  name?: string;
  type?: string[];
  delimiter?: string;
  append?: boolean;
  follow?: boolean;
}

/** Add `send` to the program. */
export function addSendCommand(cli: Command, io: CliIO): void {
  clientOptions(
    cli
      .command('send')
      .description('upload CSV files (or - for standard input)')
      .argument('<files...>', 'CSV files')
      .option('--name <name>', 'dataset name (default: the file name without extension)')
      .option(
        '--type <column=type>',
        `force a column type (${columnTypes.join(', ')}, or date:FORMAT such as 'date:%b %d %Y'); repeatable`,
        collect,
      )
      .option('--delimiter <char>', 'the field delimiter: , ; | or tab (default: found from the header line)')
      .option('--append', 'append the rows to the dataset instead of replacing it')
      .option('--follow', 'keep sending: like tail -f, append each new complete line as the file grows (Ctrl-C stops)'),
  ).action((files: string[], opts: SendFlags) => sendCommand(files, opts, io));
}

async function sendCommand(files: string[], opts: SendFlags, io: CliIO): Promise<void> {
  if (opts.name && files.length > 1) {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, '--name names one dataset; send one file with it, or leave it out');
  }
  if (opts.follow) return followCommand(files, opts, io);
  const types = parseTypes(opts.type);
  if (opts.delimiter !== undefined) opts.delimiter = parseDelimiter(opts.delimiter);
  await withClient(opts, async (client) => {
    for (const file of files) await sendOne(client, file, opts, types, io);
  });
}

async function sendOne(
  client: CsvClient,
  file: string,
  opts: SendFlags,
  types: Record<string, TypeSpec> | undefined,
  io: CliIO,
): Promise<void> {
  const source = file === '-' ? process.stdin : file;
  const size = file === '-' ? 0 : fileSize(file);
  const bar = progressBar(io, file, size);
  try {
    const { summary } = await client.upload(source, {
      ...(opts.name ? { name: opts.name } : file === '-' ? { name: 'stdin' } : {}),
      ...(types ? { types } : {}),
      ...(opts.delimiter ? { delimiter: opts.delimiter } : {}),
      ...(opts.append ? { mode: 'append' as const } : {}),
      ...(bar ? { onProgress: (p: { bytes: number }) => bar.update(p.bytes) } : {}),
      returnTable: false,
    });
    bar?.stop();
    io.out(CONFIRMATION);
    io.out(summaryLine(summary));
    for (const w of summary.warnings) io.err(`csvsocket: warning: ${escapeTerminal(w)}`);
  } catch (err) {
    bar?.stop();
    if (isCsvSocketError(err) && err.line !== undefined) err.message = `${file}: ${err.message}`;
    throw err;
  }
}

async function followCommand(files: string[], opts: SendFlags, io: CliIO): Promise<void> {
  const file = files[0];
  if (files.length !== 1 || file === undefined || file === '-') {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, '--follow follows one file (not standard input)');
  }
  const name = opts.name ?? (basename(file, extname(file)) || 'data');
  const { follow } = await import('./follow.js');
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
            io.out(CONFIRMATION);
            io.out(summaryLine(summary));
            io.out(escapeTerminal(`following ${file}: new lines are appended to "${name}" (Ctrl-C stops)`));
            first = false;
          } else
            io.out(escapeTerminal(`appended ${plural(added, 'row')} to ${name} (${formatCount(summary.rows)} in all)`));
        },
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

const isTypeSpec = (type: string): type is TypeSpec =>
  columnTypes.includes(type) || (type.startsWith('date:') && type.length > 5);

/** `COLUMN=TYPE` pairs; a column name may hold `=`, so the first split whose right side is a type wins. */
function parseTypes(specs: string[] = []): Record<string, TypeSpec> | undefined {
  if (specs.length === 0) return undefined;
  const types = Object.create(null) as Record<string, TypeSpec>;
  for (const spec of specs) {
    let at = spec.indexOf('=');
    while (at > 0 && !isTypeSpec(spec.slice(at + 1))) at = spec.indexOf('=', at + 1);
    const type = spec.slice(at + 1);
    if (at <= 0 || !isTypeSpec(type)) {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `--type takes COLUMN=TYPE with TYPE one of ${columnTypes.join(', ')} or date:FORMAT; got ${JSON.stringify(spec)}`,
      );
    }
    types[spec.slice(0, at)] = type;
  }
  return types;
}

const delimiters: Record<string, string> = { ',': ',', ';': ';', '|': '|', tab: '\t', '\\t': '\t', '\t': '\t' };

function parseDelimiter(given: string): string {
  const delimiter = delimiters[given];
  if (delimiter === undefined || !Object.hasOwn(delimiters, given)) {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `--delimiter takes , ; | or tab; got ${JSON.stringify(given)}`);
  }
  return delimiter;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function progressBar(io: CliIO, label: string, total: number) {
  if (!io.errIsTTY || total < 4 * 1024 * 1024) return null;
  // cli-progress is loaded only when a bar is shown
  const { SingleBar, Presets } = require('cli-progress') as typeof import('cli-progress');
  const bar = new SingleBar(
    {
      format: `${escapeTerminal(label)} [{bar}] {percentage}% | {done} of {size} | {eta_formatted} left`,
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
