/**
 * Runs notebooks headless through Jupyter with the repo's own tslab kernel.
 *
 *   ensureKernel ── `csvsocket notebook-setup --prefix .tmp/jupyter` (absolute node and tslab paths)
 *   ensureSelfLink ─ node_modules/csvsocket → .. so `import … from "csvsocket"` resolves to dist/
 *   executeNotebook ─ nbconvert --execute (cwd notebooks/), then nbconvert --to html;
 *                     meanwhile, for a notebook whose metadata lists `csvsocket.sends`,
 *                     another process sends those files to the kernel's server
 *   executeTwice ──── nbclient runs every cell twice in one kernel (re-run safety)
 *
 * Every run gets its own free port and token (CSVSOCKET_PORT, CSVSOCKET_TOKEN),
 * so a notebook's plain `serve()` never meets a server someone else runs on 8851.
 *
 * Nothing is installed outside the repo: Jupyter finds the kernel through
 * JUPYTER_PATH, and a kernel started from any checkout runs that checkout's tslab.
 * Used by test/notebooks.test.ts and scripts/report.ts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';

/** The repository root. */
export const repoRoot = resolve(__dirname, '..', '..');
/** Debian's Python, which has Jupyter (the first python3 on PATH may not). */
export const python = process.env.CSVSOCKET_PYTHON ?? '/usr/bin/python3';
/** Where the kernelspec lives: `<prefix>/share/jupyter/kernels/tslab/kernel.json`. */
export const jupyterPrefix = join(repoRoot, '.tmp', 'jupyter');
const jupyterPath = join(jupyterPrefix, 'share', 'jupyter');
const tslabBin = join(repoRoot, 'node_modules', 'tslab', 'bin', 'tslab');

/** A cell output as nbformat records it. */
export interface NotebookOutput {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error' | 'update_display_data';
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** A cell as nbformat records it. */
export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  outputs?: NotebookOutput[];
}

/** A file another process sends to the notebook's server while it runs (`metadata.csvsocket.sends`). */
export interface SendSpec {
  /** Path from the repository root. */
  file: string;
  /** Dataset name. */
  name?: string;
}

/** What the sending process printed for one file. */
export interface SentFile extends SendSpec {
  stdout: string;
  command: string;
}

/** An executed notebook and its HTML export. */
export interface ExecutedNotebook {
  /** The executed .ipynb. */
  file: string;
  /** The HTML export of it. */
  html: string;
  cells: NotebookCell[];
  /** Wall time of execution and export, in ms. */
  ms: number;
  /** The port and token the kernel's serve() got through the environment. */
  port: number;
  token: string;
  /** The files another process sent while the notebook ran. */
  sent: SentFile[];
}

/** Options of {@link executeNotebook}. */
export interface ExecuteOptions {
  /** Whole run, in ms. @default 300000 */
  timeoutMs?: number;
  /** Extra environment for the kernel. */
  env?: Record<string, string>;
  /** Go on after a cell that fails (nbconvert --allow-errors): for notebooks whose last cell must fail. */
  allowErrors?: boolean;
  /** The name of the executed notebook and its export. @default the notebook's own */
  outName?: string;
}

function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; timeoutMs: number; env?: Record<string, string> },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      cmd,
      args,
      {
        cwd: options.cwd ?? repoRoot,
        env: { ...jupyterEnv(), ...options.env },
        timeout: options.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolvePromise({ stdout, stderr });
      },
    );
  });
}

/** The environment for Jupyter: the repo's kernelspec first, quiet debugger warnings. */
export function jupyterEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(':'),
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
    JUPYTER_PLATFORM_DIRS: '1',
  };
}

/**
 * Registers the tslab kernel under .tmp/jupyter with `csvsocket notebook-setup`
 * (the command a user runs), which writes the absolute paths of node and of
 * this checkout's tslab. Idempotent: skipped when the kernelspec already points
 * at this checkout.
 */
export async function ensureKernel(): Promise<string> {
  const spec = join(jupyterPath, 'kernels', 'tslab', 'kernel.json');
  if (existsSync(spec)) {
    const argv = (JSON.parse(readFileSync(spec, 'utf8')) as { argv?: string[] }).argv;
    if (argv?.[0] === process.execPath && argv[1] === tslabBin) return spec;
  }
  if (!existsSync(tslabBin)) throw new Error(`${tslabBin} is missing; run npm ci`);
  mkdirSync(jupyterPrefix, { recursive: true });
  const cli = join(repoRoot, 'dist', 'cli', 'csvsocket.js');
  await run(process.execPath, [cli, 'notebook-setup', `--python=${python}`, `--prefix=${jupyterPrefix}`], {
    timeoutMs: 120_000,
  });
  return spec;
}

/**
 * Makes `node_modules/csvsocket` a link to the repo itself, so a notebook in
 * notebooks/ imports "csvsocket" exactly as a user would (package.json main and
 * types → dist/). Node's self-reference through "exports" would do at run time,
 * but tslab type-checks cells with Node10 resolution, which needs a real path.
 */
export function ensureSelfLink(): void {
  const link = join(repoRoot, 'node_modules', 'csvsocket');
  try {
    const stat = lstatSync(link);
    if (stat.isSymbolicLink() && readlinkSync(link) === '..') return;
    rmSync(link, { recursive: true, force: true });
  } catch {
    // missing: create it
  }
  symlinkSync('..', link, 'dir');
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolveListening) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveListening(true);
    });
    socket.once('error', () => resolveListening(false));
  });
}

function sendsOf(notebook: string): SendSpec[] {
  const meta = (JSON.parse(readFileSync(notebook, 'utf8')) as { metadata?: { csvsocket?: { sends?: SendSpec[] } } })
    .metadata;
  return meta?.csvsocket?.sends ?? [];
}

/**
 * Sends each file to the server on `port` from another process, once the
 * kernel listens: `node dist/cli/csvsocket.js send FILE --url URL --name N` — or, while
 * the CLI does not exist yet, a small script over the package's `connect()`.
 * The port is polled: the kernel is another process and tells nobody when its
 * server is up.
 */
async function sendFromElsewhere(
  port: number,
  token: string,
  sends: SendSpec[],
  stopped: () => boolean,
): Promise<SentFile[]> {
  while (!(await isListening(port))) {
    if (stopped()) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = `ws://127.0.0.1:${port}/?token=${token}`;
  const cli = join(repoRoot, 'dist', 'cli', 'csvsocket.js');
  const sent: SentFile[] = [];
  for (const spec of sends) {
    const file = join(repoRoot, spec.file);
    const name = spec.name ?? basename(spec.file, '.csv');
    const args = existsSync(cli)
      ? [cli, 'send', file, '--url', url, '--name', name]
      : ['-e', senderScript, join(repoRoot, 'dist', 'index.js'), url, file, name];
    const { stdout } = await run(process.execPath, args, { timeoutMs: 60_000 });
    sent.push({ ...spec, stdout, command: existsSync(cli) ? 'csvsocket send' : 'connect().upload' });
  }
  return sent;
}

const senderScript = `
const [index, url, file, name] = process.argv.slice(1);
const { connect } = require(index);
(async () => {
  const client = await connect(url);
  const { summary } = await client.upload(file, { name });
  console.log('Server confirmation: CSV file received and processed!');
  console.log(summary.name + ': ' + summary.rows + ' rows');
  await client.close();
})().catch((err) => { console.error(err.message); process.exit(1); });
`;

/**
 * Executes a notebook headless with the tslab kernel (cwd = the notebook's
 * folder) and exports the executed notebook to HTML. The kernel gets a free
 * port and a token in CSVSOCKET_PORT / CSVSOCKET_TOKEN; when the notebook's
 * metadata lists `csvsocket.sends`, another process sends those files to it
 * while it runs.
 *
 * @param notebook - path of the .ipynb.
 * @param outDir - where the executed .ipynb and the .html go.
 */
export async function executeNotebook(
  notebook: string,
  outDir: string,
  options: ExecuteOptions = {},
): Promise<ExecutedNotebook> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  await ensureKernel();
  ensureSelfLink();
  mkdirSync(outDir, { recursive: true });
  const start = Date.now();
  const name = options.outName ?? basename(notebook, '.ipynb');
  const port = await freePort();
  const token = randomBytes(12).toString('hex');
  const env = { CSVSOCKET_PORT: String(port), CSVSOCKET_TOKEN: token, ...options.env };
  let finished = false;
  const execution = run(
    python,
    [
      '-m',
      'jupyter',
      'nbconvert',
      '--to',
      'notebook',
      '--execute',
      '--ExecutePreprocessor.kernel_name=tslab',
      `--ExecutePreprocessor.timeout=${Math.round(timeoutMs / 2000)}`,
      '--ExecutePreprocessor.startup_timeout=120',
      ...(options.allowErrors ? ['--allow-errors'] : []),
      `--output-dir=${outDir}`,
      `--output=${name}`,
      resolve(notebook),
    ],
    { timeoutMs, env },
  ).finally(() => {
    finished = true;
  });
  const sends = sendsOf(notebook);
  const sending = sends.length ? sendFromElsewhere(port, token, sends, () => finished) : Promise.resolve([]);
  // the notebook's own failure explains a failed send (its server is gone), not the other way round
  const [ran, delivered] = await Promise.allSettled([execution, sending]);
  if (ran.status === 'rejected') throw ran.reason;
  if (delivered.status === 'rejected') throw delivered.reason;
  const sent = delivered.value;
  const file = join(outDir, `${name}.ipynb`);
  await run(python, ['-m', 'jupyter', 'nbconvert', '--to', 'html', `--output-dir=${outDir}`, file], {
    timeoutMs: 120_000,
  });
  const cells = (JSON.parse(readFileSync(file, 'utf8')) as { cells: NotebookCell[] }).cells;
  return { file, html: join(outDir, `${name}.html`), cells, ms: Date.now() - start, port, token, sent };
}

/** Two runs of every cell of one notebook in one kernel. */
export interface ExecutedTwice {
  /** Each run's outputs, cell by cell. */
  runs: [NotebookOutput[][], NotebookOutput[][]];
  cells: NotebookCell[];
  port: number;
  ms: number;
}

const twiceScript = `
import copy, json, os, sys
import nbformat
from nbclient import NotebookClient
path, out, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, kernel_name="tslab", timeout=timeout, startup_timeout=120,
                        resources={"metadata": {"path": os.path.dirname(path)}})
runs = []
with client.setup_kernel():
    for _ in range(2):
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                # a front end forgets a cleared cell's old outputs; nbclient 0.7 keeps
                # their display ids and then fails to update them (IndexError)
                client.clear_display_id_mapping(i)
                client.execute_cell(cell, i)
        runs.append(copy.deepcopy([cell.get("outputs", []) for cell in nb.cells]))
with open(out, "w") as f:
    json.dump({"runs": runs, "cells": nb.cells}, f)
`;

/**
 * Runs every cell of a notebook, then every cell again, in one kernel (nbclient),
 * the way a user re-runs a whole notebook; fails on any cell error.
 *
 * @param notebook - path of the .ipynb.
 * @param outDir - where the JSON of both runs goes.
 */
export async function executeTwice(notebook: string, outDir: string, timeoutMs = 300_000): Promise<ExecutedTwice> {
  await ensureKernel();
  ensureSelfLink();
  mkdirSync(outDir, { recursive: true });
  const start = Date.now();
  const out = join(outDir, `${basename(notebook, '.ipynb')}.twice.json`);
  const port = await freePort();
  const env = { CSVSOCKET_PORT: String(port), CSVSOCKET_TOKEN: randomBytes(12).toString('hex') };
  await run(python, ['-c', twiceScript, resolve(notebook), out, String(Math.round(timeoutMs / 2000))], {
    cwd: dirname(resolve(notebook)),
    timeoutMs,
    env,
  });
  const parsed = JSON.parse(readFileSync(out, 'utf8')) as { runs: ExecutedTwice['runs']; cells: NotebookCell[] };
  return { runs: parsed.runs, cells: parsed.cells, port, ms: Date.now() - start };
}

/** The text of a multi-line nbformat field. */
export function joined(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join('') : (value ?? '');
}
