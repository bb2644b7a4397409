/**
 * Where the CLI writes, and the helpers every client command shares: the
 * --url / --token / --ca options, the user's client id, one connection per
 * command. Nothing here loads the client, ws, arquero or zod: commands `import()`
 * what they need inside their action, so `csvsocket send` starts fast.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CsvClient } from '../client/client.js';
import { ArgumentError, ErrorCode } from '../errors.js';
import { DEFAULT_URL } from '../protocol/constants.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** whether stderr is a terminal (progress bars only then) */
  errIsTTY: boolean;
  /**
   * whether stdout is a terminal: `--format csv` and `--format json` escape
   * control characters only then, and keep exact bytes into a file or pipe
   * @default false
   */
  outIsTTY?: boolean;
  /** called with the running server by `serve`, so tests can stop it */
  onServer?: (server: { close(): Promise<void>; url: string }) => void;
}

/** The process's own stdout and stderr. */
export const processIO: CliIO = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  errIsTTY: Boolean(process.stderr.isTTY),
  outIsTTY: Boolean(process.stdout.isTTY),
};

/** commander parser of a TCP port. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is an integer from 0 to 65535.');
  return n;
}

/** commander parser of a count (a non-negative integer). */
export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

/** commander collector of a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `a, b,,c` → `['a', 'b', 'c']`. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The options every client command shares: where the server is, its token, and a CA to trust. */
export interface ClientFlags {
  url: string;
  token?: string;
  ca?: string;
}

/** Add --url, --token and --ca to a client command. */
export function clientOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'server URL (the one `csvsocket serve` printed)')
        .env('CSVSOCKET_URL')
        .default(DEFAULT_URL),
    )
    .addOption(new Option('--token <token>', 'access token, if the URL does not carry it').env('CSVSOCKET_TOKEN'))
    .addOption(
      new Option(
        '--ca <file>',
        'trust this CA certificate (PEM) for a wss:// server with a self-signed certificate',
      ).env('CSVSOCKET_CA'),
    );
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

function readCA(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `--ca ${JSON.stringify(file)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a PEM file with the CA certificate`,
    );
  }
}

/**
 * The client module, loaded without ws's native masking helper (bufferutil):
 * a client masks with a zero key (nothing to XOR) and servers do not mask, so
 * it would be ~5 ms of start-up for nothing. ws reads the variable once, as it
 * loads; it is unset again after.
 */
async function loadClient(): Promise<typeof import('../client/client.js')> {
  const given = process.env.WS_NO_BUFFER_UTIL;
  process.env.WS_NO_BUFFER_UTIL ??= '1';
  try {
    return await import('../client/client.js');
  } finally {
    if (given === undefined) delete process.env.WS_NO_BUFFER_UTIL;
  }
}

/** Connect, run, and always close. */
export async function withClient<T>(opts: ClientFlags, run: (client: CsvClient) => Promise<T>): Promise<T> {
  const clientId = cliClientId();
  const ca = opts.ca ? readCA(opts.ca) : undefined;
  const { connect } = await loadClient();
  const client = await connect(opts.url, {
    ...(opts.token ? { token: opts.token } : {}),
    ...(clientId ? { clientId } : {}),
    ...(ca ? { ca } : {}),
  });
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}
