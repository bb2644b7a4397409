/**
 * Runs notebooks headless through Jupyter with the repo's own tslab kernel.
 *
 *   ensureKernel ── `tslab install --prefix .tmp/jupyter --binary <repo>/node_modules/.bin/tslab`
 *   ensureSelfLink ─ node_modules/csvsocket → .. so `import … from "csvsocket"` resolves to dist/
 *   executeNotebook ─ nbconvert --execute (cwd notebooks/), then nbconvert --to html
 *
 * Nothing is installed outside the repo: Jupyter finds the kernel through
 * JUPYTER_PATH, and a kernel started from any checkout runs that checkout's tslab.
 * Used by test/notebooks.test.ts and scripts/report.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** The repository root. */
export const repoRoot = resolve(__dirname, '..');
/** Debian's Python, which has Jupyter (the first python3 on PATH may not). */
export const python = process.env.CSVSOCKET_PYTHON ?? '/usr/bin/python3';
/** Where the kernelspec lives: `<prefix>/share/jupyter/kernels/tslab/kernel.json`. */
export const jupyterPrefix = join(repoRoot, '.tmp', 'jupyter');
const jupyterPath = join(jupyterPrefix, 'share', 'jupyter');
const tslabBin = join(repoRoot, 'node_modules', '.bin', 'tslab');

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

/** An executed notebook and its HTML export. */
export interface ExecutedNotebook {
  /** The executed .ipynb. */
  file: string;
  /** The HTML export of it. */
  html: string;
  cells: NotebookCell[];
  /** Wall time of execution and export, in ms. */
  ms: number;
}

function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; timeoutMs: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      cmd,
      args,
      { cwd: options.cwd ?? repoRoot, env: jupyterEnv(), timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 },
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
 * Registers the tslab kernel under .tmp/jupyter with the absolute path of this
 * checkout's tslab (tslab's own `install` would run whichever `tslab` is on PATH).
 * Idempotent: skipped when the kernelspec already points at this checkout.
 */
export async function ensureKernel(): Promise<string> {
  const spec = join(jupyterPath, 'kernels', 'tslab', 'kernel.json');
  if (existsSync(spec)) {
    const argv = (JSON.parse(readFileSync(spec, 'utf8')) as { argv?: string[] }).argv;
    if (argv?.[0] === tslabBin) return spec;
  }
  if (!existsSync(tslabBin)) throw new Error(`${tslabBin} is missing; run npm ci`);
  mkdirSync(jupyterPrefix, { recursive: true });
  await run(tslabBin, ['install', `--python=${python}`, `--binary=${tslabBin}`, `--prefix=${jupyterPrefix}`], {
    timeoutMs: 60_000,
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

/**
 * Executes a notebook headless with the tslab kernel (cwd = the notebook's
 * folder) and exports the executed notebook to HTML.
 *
 * @param notebook - path of the .ipynb.
 * @param outDir - where the executed .ipynb and the .html go.
 */
export async function executeNotebook(
  notebook: string,
  outDir: string,
  timeoutMs = 300_000,
): Promise<ExecutedNotebook> {
  await ensureKernel();
  ensureSelfLink();
  mkdirSync(outDir, { recursive: true });
  const start = Date.now();
  const name = basename(notebook, '.ipynb');
  await run(
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
      `--output-dir=${outDir}`,
      `--output=${name}`,
      resolve(notebook),
    ],
    { timeoutMs },
  );
  const file = join(outDir, `${name}.ipynb`);
  await run(python, ['-m', 'jupyter', 'nbconvert', '--to', 'html', `--output-dir=${outDir}`, file], {
    timeoutMs: 120_000,
  });
  const cells = (JSON.parse(readFileSync(file, 'utf8')) as { cells: NotebookCell[] }).cells;
  return { file, html: join(outDir, `${name}.html`), cells, ms: Date.now() - start };
}

/** The text of a multi-line nbformat field. */
export function joined(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join('') : (value ?? '');
}
