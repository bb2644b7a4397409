/**
 * `csvsocket send --follow FILE`: like `tail -f`, keeps a dataset in step with
 * a CSV file that another program is appending to. The file as it is becomes
 * the dataset; then every new complete line is appended, and subscribers (a
 * notebook's `live()`) see the rows arrive.
 *
 *   read all ─▶ send (replace) ─▶ poll size ─▶ new bytes ─▶ complete lines ─▶ append
 */
import { open, stat } from 'node:fs/promises';
import type { CsvClient } from '../client/client.js';
import { ArgumentError, ErrorCode } from '../errors.js';
import type { DatasetSummary } from '../protocol/messages.js';

/** Options of {@link follow}. */
export interface FollowOptions {
  /** dataset name */
  name: string;
  /** how often to look for new lines, in ms @default 200 */
  interval?: number;
  /** called after the first upload and after each append */
  onUpdate?: (summary: DatasetSummary, added: number) => void;
  /** stops following when aborted */
  signal?: AbortSignal;
}

/**
 * The end of the last complete line in `text` that is not inside a quoted
 * field, given whether `text` starts inside quotes.
 *
 * @returns the index just past that line's newline (0 when there is none), and the quote state there
 */
export function completeLines(text: string, inQuotes: boolean): { end: number; inQuotes: boolean } {
  let quoted = inQuotes;
  let end = 0;
  let stateAtEnd = inQuotes;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 10 && !quoted) {
      end = i + 1;
      stateAtEnd = quoted;
    }
  }
  return { end, inQuotes: stateAtEnd };
}

/**
 * Upload `path`, then append each new complete line as the file grows, until
 * `options.signal` aborts. A file that shrinks (rewritten or truncated) is sent
 * again whole.
 *
 * @param client - a connected client
 * @param path - the CSV file
 * @param options - name, poll interval, callbacks, abort signal
 * @example
 * ```ts
 * const stop = new AbortController();
 * await follow(client, 'sensor.csv', { name: 'sensor', signal: stop.signal });
 * ```
 */
export async function follow(client: CsvClient, path: string, options: FollowOptions): Promise<void> {
  const interval = options.interval ?? 200;
  let header = '';
  let offset = 0;
  let pending = Buffer.alloc(0);
  let inQuotes = false;

  const readFrom = async (start: number, size: number): Promise<Buffer> => {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(size - start);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  };

  const sendWhole = async (): Promise<void> => {
    const size = (await stat(path)).size;
    const bytes = await readFrom(0, size);
    const text = bytes.toString('utf8');
    const cut = completeLines(text, false);
    if (cut.end === 0) throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `${path} has no complete header line to follow`);
    const firstLine = text.indexOf('\n');
    header = text.slice(0, firstLine + 1);
    const complete = Buffer.from(text.slice(0, cut.end), 'utf8');
    const { summary } = await client.upload(complete, { name: options.name });
    offset = complete.byteLength;
    pending = Buffer.alloc(0);
    inQuotes = cut.inQuotes;
    options.onUpdate?.(summary, summary.rows);
  };

  await sendWhole();
  while (!options.signal?.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval);
      options.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
    if (options.signal?.aborted) break;
    const size = (await stat(path)).size;
    if (size < offset + pending.byteLength) {
      await sendWhole();
      continue;
    }
    if (size === offset + pending.byteLength) continue;
    const fresh = await readFrom(offset + pending.byteLength, size);
    pending = Buffer.concat([pending, fresh]);
    // cut on a byte boundary that is a newline outside quotes (UTF-8 never uses 0x0a or 0x22 inside a character)
    const text = pending.toString('latin1');
    const cut = completeLines(text, inQuotes);
    if (cut.end === 0) continue;
    const lines = pending.subarray(0, cut.end);
    pending = pending.subarray(cut.end);
    offset += cut.end;
    inQuotes = cut.inQuotes;
    const body = lines.toString('utf8');
    if (body.trim() === '') continue;
    const summary = await client.append(options.name, header + body);
    const added = countRows(body);
    options.onUpdate?.(summary, added);
  }
}

/** Rows in whole CSV lines: line breaks outside quotes that end a non-blank line. */
function countRows(text: string): number {
  let rows = 0;
  let quoted = false;
  let blank = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 10 && !quoted) {
      if (!blank) rows++;
      blank = true;
      continue;
    }
    if (c !== 13 && c !== 32 && c !== 9) blank = false;
  }
  return blank ? rows : rows + 1;
}
