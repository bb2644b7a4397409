/** `csvsocket list`: the datasets on a server, one line each (or JSON). */
import { type Command, Option } from 'commander';
import { escapeTerminal, summaryLine } from '../text.js';
import { type ClientFlags, type CliIO, clientOptions, withClient } from './io.js';

interface ListFlags extends ClientFlags {
  format: 'table' | 'json';
}

/** Add `list` to the program. */
export function addListCommand(cli: Command, io: CliIO): void {
  clientOptions(
    cli
      .command('list')
      .description('list the datasets on a server')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table')),
  ).action(async (opts: ListFlags) => {
    await withClient(opts, async (client) => {
      const datasets = await client.list();
      if (opts.format === 'json') {
        const text = JSON.stringify(datasets, null, 2);
        io.out(io.outIsTTY ? escapeTerminal(text) : text);
      } else if (datasets.length === 0) io.out('no datasets yet');
      else for (const d of datasets) io.out(summaryLine(d));
    });
  });
}
