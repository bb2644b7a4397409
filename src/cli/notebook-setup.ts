/**
 * `csvsocket notebook-setup`: one command from `npm install csvsocket tslab` to a
 * working notebook.
 *
 *   find tslab ── from the current folder, then from this package
 *   find Jupyter ── --python, else /usr/bin/python3, python3, python: the first with jupyter_client
 *   register ── kernelspec "tslab" whose argv is absolute: [node, <tslab>/bin/tslab, "kernel", …]
 *   say how to start ── jupyter lab / jupyter notebook, or what to install
 *
 * `npx tslab install` registers `argv: ["tslab", …]`, and tslab is not on PATH
 * after a local install, so Jupyter (and nbconvert) fail with
 * `FileNotFoundError: 'tslab'`. An absolute node and tslab path work from any
 * shell, any folder and any PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ArgumentError, ErrorCode, NotFoundError } from '../errors.js';
import type { CliIO } from './io.js';

/** Options of {@link notebookSetup}. */
export interface NotebookSetupOptions {
  /** The Python whose Jupyter gets the kernel. @default the first of /usr/bin/python3, python3, python with Jupyter */
  python?: string;
  /** Install under `<prefix>/share/jupyter/kernels/tslab` (found through JUPYTER_PATH). */
  prefix?: string;
  /** Install for this user (the default unless root or a prefix is given). */
  user?: boolean;
  /** Where to look for tslab first. @default process.cwd() */
  cwd?: string;
}

/** What {@link notebookSetup} did. */
export interface NotebookSetupResult {
  /** The kernel.json written. */
  kernelJson: string;
  /** Its argv. */
  argv: string[];
  /** The Python used. */
  python: string;
  /** Front ends found (`jupyter lab`, `jupyter notebook`, `jupyter nbconvert`). */
  frontEnds: string[];
}

const installHint = [
  'Jupyter is not installed for any Python found (tried: %s). Install it, then run this again:',
  '  pip install jupyterlab            (any system; or: python3 -m pip install --user jupyterlab)',
  '  sudo apt-get install jupyter-notebook python3-ipykernel    (Debian, Ubuntu)',
  'or name a Python that has it: csvsocket notebook-setup --python /path/to/python3',
].join('\n');

/** The absolute path of tslab's launcher, from `cwd` first, else from this package. */
export function findTslab(cwd: string = process.cwd()): string {
  for (const from of [cwd, __dirname]) {
    try {
      const pkg = require.resolve('tslab/package.json', { paths: [from] });
      const bin = join(dirname(pkg), 'bin', 'tslab');
      if (existsSync(bin)) return bin;
    } catch {
      // not installed there
    }
  }
  throw new NotFoundError(
    ErrorCode.NOT_FOUND,
    `tslab is not installed in ${cwd} (nor beside csvsocket): run \`npm install tslab\` in your notebook folder, then this again`,
  );
}

function hasJupyter(python: string): boolean {
  const probe = spawnSync(python, ['-c', 'import jupyter_client, ipykernel'], { stdio: 'ignore', timeout: 30_000 });
  return probe.status === 0;
}

/** The Python to register with: the one given (which must have Jupyter), else the first that has it. */
export function findPython(given?: string): string {
  const candidates = given ? [given] : ['/usr/bin/python3', 'python3', 'python'];
  const found = candidates.find(hasJupyter);
  if (!found) throw new NotFoundError(ErrorCode.NOT_FOUND, installHint.replace('%s', candidates.join(', ')));
  return found;
}

// The kernelspec is written by Jupyter's own KernelSpecManager (as tslab's install.py does),
// so it lands where that Jupyter looks: the user's, the system's or the prefix's kernels folder.
const installScript = `
import json, os, sys, tempfile
from jupyter_client.kernelspec import KernelSpecManager
argv, user, prefix = json.loads(sys.argv[1]), sys.argv[2] == "1", sys.argv[3] or None
with tempfile.TemporaryDirectory() as td:
    os.chmod(td, 0o755)
    with open(os.path.join(td, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "TypeScript", "language": "typescript"}, f, indent=1)
    print(KernelSpecManager().install_kernel_spec(td, "tslab", user=user, prefix=prefix, replace=True))
`;

function frontEndsOf(python: string): string[] {
  const modules: Array<[string, string]> = [
    ['jupyterlab', 'jupyter lab'],
    ['notebook', 'jupyter notebook'],
    ['nbconvert', 'jupyter nbconvert'],
  ];
  return modules
    .filter(
      ([module]) => spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 30_000 }).status === 0,
    )
    .map(([, command]) => command);
}

/**
 * Registers the tslab kernel with absolute paths in the Jupyter of a Python that has it.
 *
 * @param options - Python, prefix or user install, where to find tslab
 * @returns the kernel.json written, its argv and the front ends found
 * @throws NotFoundError `CSVS_NOT_FOUND` when tslab or Jupyter is missing, saying what to install
 * @example
 * notebookSetup({ prefix: '/tmp/jupyter' }); // then JUPYTER_PATH=/tmp/jupyter/share/jupyter jupyter lab
 */
export function notebookSetup(options: NotebookSetupOptions = {}): NotebookSetupResult {
  const tslab = findTslab(options.cwd);
  const python = findPython(options.python);
  const argv = [process.execPath, tslab, 'kernel', '--config-path', '{connection_file}'];
  const prefix = options.prefix === undefined ? '' : resolve(options.prefix);
  const user = options.user ?? (prefix === '' && process.getuid?.() !== 0);
  const run = spawnSync(python, ['-c', installScript, JSON.stringify(argv), user ? '1' : '0', prefix], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) {
    throw new ArgumentError(
      ErrorCode.BAD_ARGUMENT,
      `registering the kernel with ${python} failed: ${(run.stderr || run.error?.message || '').trim().split('\n').at(-1)}`,
    );
  }
  const dir = run.stdout.trim().split('\n').at(-1) ?? '';
  return { kernelJson: join(dir, 'kernel.json'), argv, python, frontEnds: frontEndsOf(python) };
}

/** How to start, as printed after the kernel is registered. */
function nextSteps(result: NotebookSetupResult, prefix: string | undefined): string[] {
  const env = prefix ? `JUPYTER_PATH=${join(resolve(prefix), 'share', 'jupyter')} ` : '';
  const start = result.frontEnds.find((f) => f !== 'jupyter nbconvert');
  return [
    `Registered the TypeScript kernel "tslab": ${result.kernelJson}`,
    `  it runs ${result.argv.slice(0, 2).join(' ')}`,
    start
      ? `Start Jupyter in your notebook folder: ${env}${start}`
      : `No Jupyter front end found for ${result.python}: pip install jupyterlab (or apt-get install jupyter-notebook), then: ${env}jupyter lab`,
    'Pick the "TypeScript" kernel, and in a first cell of its own:',
    '  import { serve, send, show, chart, describe } from "csvsocket";',
    ...(result.frontEnds.includes('jupyter nbconvert')
      ? [
          `Run a notebook headless: ${env}jupyter nbconvert --to html --execute --ExecutePreprocessor.kernel_name=tslab NOTEBOOK.ipynb`,
        ]
      : []),
  ];
}

/**
 * Adds `notebook-setup` to the CLI.
 * @internal
 */
export function addNotebookSetupCommand(cli: Command, io: CliIO): void {
  cli
    .command('notebook-setup')
    .description('register the tslab kernel with Jupyter (absolute paths) and say how to start')
    .option('--python <python>', 'the Python whose Jupyter gets the kernel (default: the first with Jupyter)')
    .option('--prefix <dir>', 'install under DIR/share/jupyter/kernels (then set JUPYTER_PATH=DIR/share/jupyter)')
    .option('--user', 'install for this user (the default unless root)')
    .action((opts: { python?: string; prefix?: string; user?: boolean }) => {
      const options: NotebookSetupOptions = {};
      if (opts.python !== undefined) options.python = opts.python;
      if (opts.prefix !== undefined) options.prefix = opts.prefix;
      if (opts.user) options.user = true;
      const result = notebookSetup(options);
      for (const line of nextSteps(result, opts.prefix)) io.out(line);
    });
}
