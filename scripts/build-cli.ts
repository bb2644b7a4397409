/**
 * Builds the `csvsocket` command into one file, dist/cli/csvsocket-bundle.js,
 * which the package's `bin` (src/cli/csvsocket.ts) runs from V8's code cache:
 * src/cli/bin.ts with the modules a client command loads —
 * the command files, the client, the protocol, commander, ws and zod — bundled
 * by esbuild. Node then reads one file instead of ~190 and resolves no
 * node_modules paths: start-up of `csvsocket send` ~165 → ~140 ms on the
 * bench's machine (bench/results.md measures it).
 *
 * Everything else the package has (the server, the CSV parser, Arrow, the
 * notebook helpers) stays where tsc wrote it and is `require`d from dist/ when
 * a command needs it: the server's worker threads start from their own files,
 * and `serve` loads the same modules the library does. Part of `npm run build`,
 * after tsc.
 *
 *   node --import tsx scripts/build-cli.ts
 */
import { dirname, join, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = join(__dirname, '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const out = join(dist, 'cli', 'csvsocket-bundle.js');

/** The source folders and files bundled (paths in src/): what a client command runs. */
const BUNDLED = [
  'cli',
  'client',
  'protocol',
  'errors.ts',
  'text.ts',
  'state.ts',
  'query/expressions.ts',
  'query/types.ts',
  'csv/arena.ts',
];
/** Packages bundled: loaded by every client command. The rest load from node_modules when needed. */
const PACKAGES = ['commander', 'ws', 'zod'];

function bundled(file: string): boolean {
  const rel = relative(src, file).split(sep);
  return BUNDLED.includes(rel[0] as string) || BUNDLED.includes(rel.join('/'));
}

/** Local modules outside {@link BUNDLED} load from dist/ at run time, by their path from the bundle. */
const restInDist: Plugin = {
  name: 'rest-in-dist',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const file = join(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      if (!file.startsWith(src + sep) || bundled(file)) return undefined;
      const target = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
      let path = relative(dirname(out), target).split(sep).join('/');
      if (!path.startsWith('.')) path = `./${path}`;
      return { path, external: true };
    });
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (args.path.startsWith('node:') || PACKAGES.includes(name as string)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Bundle the command. */
export async function buildCli(): Promise<void> {
  await build({
    entryPoints: [join(src, 'cli', 'bin.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'warning',
    // `import()` of a module left in dist/ becomes a require, as tsc writes it
    supported: { 'dynamic-import': false },
    plugins: [restInDist],
  });
}

if (require.main === module) void buildCli();
