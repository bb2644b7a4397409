#!/usr/bin/env node
/**
 * The `csvsocket` executable: runs {@link main} with the process's arguments.
 * `npm run build` bundles it into dist/cli/csvsocket.js (scripts/build-cli.ts),
 * the package's `bin`, so that a command starts by reading one file.
 */
import { main } from './main.js';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
