/**
 * `send(path)`: the notebook shorthand. Ensures this process's server, uploads
 * through a real client connection (the same path every other client takes),
 * shows the original design's messages and returns the table.
 */
import type { ColumnTable } from 'arquero';
import { type CsvClient, connect, type SendOptions, type Source } from './client.js';
import { formatHead } from './text.js';
import { createProgressDisplay, isNotebook } from './notebook.js';
import { LEGACY_REPLY } from './protocol.js';
import { type CsvServer, type ServeOptions, serve } from './server.js';

/** Options of the notebook {@link send}. */
export interface NotebookSendOptions extends SendOptions {
  /** Options for the in-process server, if it is not running yet. */
  serve?: ServeOptions;
  /** Print the original's messages and the first five rows. @default true */
  verbose?: boolean;
}

const clients = new WeakMap<CsvServer, Promise<CsvClient>>();

async function clientFor(server: CsvServer): Promise<CsvClient> {
  let client = clients.get(server);
  if (client) {
    const c = await client.catch(() => null);
    if (c?.open) return c;
  }
  client = connect(server.url);
  clients.set(server, client);
  server.once('closed', () => {
    void client?.then((c) => c.close()).catch(() => undefined);
  });
  return client;
}

/**
 * Upload a CSV to this process's server (starting it if needed), print the
 * original's messages — `Received CSV data!!`, the first five rows,
 * `Server confirmation: CSV file received and processed!` — and return the table.
 *
 * @param source - a file path, CSV text, bytes, a stream or an arquero table
 * @param options - name, type overrides, server options, verbosity
 * @returns the table as the server stored it
 * @example
 * ```ts
 * const students = await send('../data/students.csv');
 * ```
 */
export async function send(source: Source, options: NotebookSendOptions = {}): Promise<ColumnTable> {
  const { serve: serveOptions, verbose = true, ...sendOptions } = options;
  const server = await serve(serveOptions);
  const client = await clientFor(server);
  let progress: ReturnType<typeof createProgressDisplay> | null = null;
  const { table, summary } = await client.upload(source, {
    ...sendOptions,
    onProgress: (p) => {
      sendOptions.onProgress?.(p);
      if (p.total !== null && p.total > 4 * 1024 * 1024 && isNotebook()) {
        progress ??= createProgressDisplay(`Uploading ${summary_name(source, options)}`, p.total);
        progress.update(p.bytes);
      }
    },
  });
  (progress as ReturnType<typeof createProgressDisplay> | null)?.done();
  if (verbose) {
    console.log('Received CSV data!!');
    console.log(formatHead(summary));
    console.log('');
    console.log(`Server confirmation: ${LEGACY_REPLY}`);
  }
  return table;
}

function summary_name(source: Source, options: NotebookSendOptions): string {
  return options.name ?? (typeof source === 'string' && !/[\r\n]/.test(source) ? source : 'data');
}
