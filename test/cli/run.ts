/**
 * The CLI run in this process with its output captured, as the tests of
 * its commands use it.
 */
import { type CliIO, main } from '../../src/cli/main.js';

/**
 * Run the CLI with `argv` (without "node csvsocket").
 * @param tty - whether stdout counts as a terminal
 * @returns the exit code and what went to stdout and stderr
 */
export async function cli(argv: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    errIsTTY: false,
    outIsTTY: tty,
  };
  const code = await main(argv, io);
  return { code, out, err };
}
