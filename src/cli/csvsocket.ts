#!/usr/bin/env node
/**
 * The `csvsocket` executable (the package's `bin`): runs the bundled command,
 * dist/cli/csvsocket-bundle.js (scripts/build-cli.ts), from V8's code cache
 * when there is one. Compiling the bundle's half a megabyte, and the
 * functions a command then runs, took ~18 ms of the ~150 ms a `csvsocket send`
 * of a small file took here; Node 20 has no compile cache of its own (22's
 * `module.enableCompileCache` does the same).
 *
 * The cache is a file per user, Node version and build, in
 * `$XDG_CACHE_HOME/csvsocket` (else `~/.cache/csvsocket`), written when a
 * command ends without a usable one; V8 checks it against the source and
 * rejects a stale one. Without a writable cache folder the command just
 * compiles as usual.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Script } from 'node:vm';

const bundle = join(__dirname, 'csvsocket-bundle.js');

/** The cache file for this build and Node, and its folder; null when there is no home to put it in. */
function cachePath(): { dir: string; file: string } | null {
  try {
    const home = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
    const dir = join(home, 'csvsocket');
    const { size, mtimeMs } = statSync(bundle);
    return { dir, file: join(dir, `cli-${process.version}-${size}-${Math.round(mtimeMs)}.v8`) };
  } catch {
    return null;
  }
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Keep the compiled code for the next run (written whole, then renamed: commands may run at once), replacing other builds'. */
function writeCache(dir: string, file: string, data: Buffer): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const name = basename(file);
    for (const old of readdirSync(dir))
      if (old.startsWith('cli-') && old !== name) rmSync(join(dir, old), { force: true });
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, data, { mode: 0o600 });
    renameSync(partial, file);
  } catch {
    // a read-only home: compile again next time
  }
}

const cache = cachePath();
const cachedData = cache ? readCache(cache.file) : undefined;
// the same wrapper and line numbers as Node's own loader
const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
const script = new Script(Module.wrap(source), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
if (cache && (!cachedData || script.cachedDataRejected)) {
  // at the end, so that the functions the command ran are in it too
  process.once('exit', () => writeCache(cache.dir, cache.file, script.createCachedData()));
}
const run = script.runInThisContext() as (
  exports: object,
  require: NodeJS.Require,
  module: Module,
  filename: string,
  dirname: string,
) => void;
const module_ = new Module(bundle);
module_.filename = bundle;
run(module_.exports, createRequire(bundle), module_, bundle, __dirname);
