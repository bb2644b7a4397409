/**
 * The command's entry: runs {@link main} with the process's arguments.
 * `npm run build` bundles it into dist/cli/csvsocket-bundle.js
 * (scripts/build-cli.ts), which the `csvsocket` executable (csvsocket.ts) runs,
 * so that a command starts by reading one file.
 */
import { main } from './main.js';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
