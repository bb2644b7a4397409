/**
 * `csvsocket` — the command line, a thin layer over the public API.
 * Results go to stdout; errors to stderr as `csvsocket: CODE: message` with
 * exit status 1.
 *
 * ```
 *  csvsocket.ts   the executable: runs bin.ts, bundled (scripts/build-cli.ts), from V8's code cache
 *  main.ts        the program: one command per file, errors → exit status
 *  serve.ts       csvsocket serve        send.ts    csvsocket send (follow.ts: --follow)
 *  query.ts       csvsocket query        list.ts    csvsocket list
 *  notebook-setup.ts, sensor.ts           io.ts      output, shared client options
 * ```
 *
 * Start-up matters (`csvsocket send` of a small file should take well under
 * 150 ms): this file and the command files load only commander and small
 * modules; each action `import()`s the client, server, arquero or zod it needs.
 */
import { Command } from 'commander';
import { isCsvSocketError } from '../errors.js';
import { escapeTerminal } from '../text.js';
import { type CliIO, processIO } from './io.js';
import { addListCommand } from './list.js';
import { addNotebookSetupCommand } from './notebook-setup.js';
import { addQueryCommand } from './query.js';
import { addSendCommand } from './send.js';
import { addSensorCommand } from './sensor.js';
import { addServeCommand } from './serve.js';

export type { CliIO } from './io.js';

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
  addServeCommand(cli, io);
  addSendCommand(cli, io);
  addQueryCommand(cli, io);
  addListCommand(cli, io);
  addNotebookSetupCommand(cli, io);
  addSensorCommand(cli, io);
  return cli;
}

// the client's advice names its API; on the command line the same fix is a flag
const CLI_HINTS: Array<[RegExp, string]> = [[/connect\(url, \{ ca \}\)/, '--ca FILE (the certificate or CA, PEM)']];

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
    let message = isCsvSocketError(err) ? `${err.code}: ${err.message}` : ((err as Error)?.message ?? String(err));
    for (const [api, flag] of CLI_HINTS) message = message.replace(api, flag);
    // messages quote names and values from the server: escape them
    io.err(`csvsocket: ${escapeTerminal(message)}`);
    return 1;
  }
}
