/**
 * The tslab kernel, as far as csvsocket reaches into it.
 *
 *   kernelModule() ── the kernel's own tslab/dist/jupyter.js, found in require.cache
 *        │
 *        ├─ writeDisplay()        lastWriteDisplayData: one whole mime bundle, with a display_id
 *        ├─ holdCellUntil()       JupyterHandlerImpl#handleExecuteImpl waits for work a cell started
 *        ├─ atCellEnd()           redraws and checks that run as every cell ends
 *        ├─ whenKernelShutsDown() JupyterHandlerImpl#handleShutdown runs hooks first
 *        └─ quietValue()          a cell's last value that was displayed already prints nothing
 *
 * tslab prints a cell's last value with `console.log(value)` (executor.js), so
 * an object that displays itself still costs a line of stdout: its inspect text,
 * or an empty line for `''`. Once per process, `process.stdout.write` becomes an
 * accessor that wraps whatever writer tslab installs for each cell and drops the
 * one line {@link quietValue} stands for.
 *
 * Every patch is made once per process (src/state.ts) and tolerates a tslab
 * that renamed what it patches: then displays arrive as late updates, and
 * nothing breaks.
 */
import { sep } from 'node:path';
import { processState } from '../state.js';

/** A Jupyter mime bundle: mime type → content. */
export type MimeBundle = Record<string, string>;

interface KernelDisplayData {
  data: MimeBundle;
  metadata: Record<string, string>;
  transient: { display_id?: string };
}

type WriteDisplayData = (data: KernelDisplayData, update: boolean) => void;

interface TslabJupyterModule {
  lastWriteDisplayData: WriteDisplayData | null;
  JupyterHandlerImpl?: { prototype: Record<PropertyKey, unknown> };
}

interface CellState {
  /** work the running cell waits for */
  pending: Set<Promise<unknown>>;
  /** run as every cell ends, after its pending work settled */
  atEnd: Set<() => void>;
}

declare module '../state.js' {
  interface ProcessState {
    /** work a running cell waits for, and what runs at each cell's end */
    cells: CellState;
    /** kernel handler prototypes already patched, by patch */
    kernelPatches: { cellEnd: WeakSet<object>; shutdown: WeakSet<object> };
    /** hooks run at the kernel's shutdown_request */
    shutdownHooks: Set<() => Promise<void> | void>;
    /** whether process.stdout.write drops the quiet line (installed once) */
    quietStdout: boolean;
  }
}

const kernelFile = `${sep}tslab${sep}dist${sep}jupyter.js`;
let kernelCache: TslabJupyterModule | undefined;

/**
 * The kernel's own `tslab/dist/jupyter.js`. Scanning `require.cache` finds the
 * copy the running kernel loaded, wherever it is installed; requiring "tslab"
 * from here could load a second copy, which can never display ("Not ready").
 */
function kernelModule(): TslabJupyterModule | undefined {
  if (kernelCache && typeof kernelCache.lastWriteDisplayData === 'function') return kernelCache;
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!file.endsWith(kernelFile) || !mod) continue;
    const exported = mod.exports as Partial<TslabJupyterModule> | undefined;
    if (exported && typeof exported.lastWriteDisplayData === 'function') {
      kernelCache = exported as TslabJupyterModule;
      return kernelCache;
    }
  }
  return undefined;
}

/**
 * Whether this code runs inside a tslab Jupyter kernel that can display rich output.
 *
 * @returns `true` in a tslab notebook cell, `false` in plain Node.js, tests and the CLI.
 * @example
 * if (isNotebook()) show(table); else console.log(formatTable(table));
 */
export function isNotebook(): boolean {
  return kernelModule() !== undefined;
}

/** Sends one bundle to the kernel; `false` when there is no kernel to send it to. @internal */
export function writeDisplay(bundle: MimeBundle, displayId: string | undefined, update: boolean): boolean {
  const writer = kernelModule()?.lastWriteDisplayData;
  if (typeof writer !== 'function') return false;
  const transient: { display_id?: string } = {};
  if (displayId !== undefined) transient.display_id = displayId;
  try {
    writer({ data: bundle, metadata: {}, transient }, update);
    return true;
  } catch {
    // A closed iopub socket must not take the caller (often a background callback) down.
    return false;
  }
}

// ─────────────────────── cell completion waits for displays ───────────────────────

const patches = () => processState('kernelPatches', () => ({ cellEnd: new WeakSet(), shutdown: new WeakSet() }));
const cells = () => processState('cells', () => ({ pending: new Set(), atEnd: new Set() }));
/** How long a cell waits at most for work it started (a chart being rendered, an upload). */
const cellWaitMs = 60_000;

/**
 * Makes the kernel finish a cell only after `work` settles (at most 60 s), so a
 * display the cell started without `await` is filled while its cell still runs.
 * Jupyter clients that execute headless (nbclient, nbconvert) drop output whose
 * parent cell has finished; a front end would also route it to the wrong cell.
 *
 * @returns whether the kernel will wait for `work`.
 * @internal
 */
export function holdCellUntil(work: Promise<unknown>): boolean {
  if (!installCellEnd()) return false;
  const state = cells();
  const tracked = Promise.prototype.then.call(
    work,
    () => undefined,
    () => undefined,
  );
  state.pending.add(tracked);
  void tracked.then(() => state.pending.delete(tracked));
  return true;
}

/**
 * Runs `fn` as each cell ends, while the cell still runs. An update sent from
 * a background callback between cells carries the finished cell's parent
 * message, and headless runs (nbclient) drop it; redrawn at the end of the next
 * cell, a display in a report shows the state of that moment.
 *
 * @returns a function that unregisters `fn`.
 * @internal
 */
export function atCellEnd(fn: () => void): () => void {
  if (!installCellEnd()) return () => undefined;
  const { atEnd } = cells();
  atEnd.add(fn);
  return () => atEnd.delete(fn);
}

/**
 * Wraps tslab's `JupyterHandlerImpl#handleExecuteImpl` once per kernel, so that
 * cells wait for the work {@link holdCellUntil} registers and then run the
 * {@link atCellEnd} hooks. tslab looks the method up when a cell starts, so the
 * wrap holds from the next cell on: it is installed when the package is
 * imported (a chart in the last cell would otherwise finish after the run ended).
 */
function installCellEnd(): boolean {
  const proto = kernelModule()?.JupyterHandlerImpl?.prototype;
  if (!proto || typeof proto.handleExecuteImpl !== 'function') return false;
  if (patches().cellEnd.has(proto)) return true;
  const state = cells();
  const original = proto.handleExecuteImpl as (...args: unknown[]) => Promise<unknown>;
  proto.handleExecuteImpl = async function (this: unknown, ...args: unknown[]) {
    try {
      return await original.apply(this, args);
    } finally {
      await settle(state);
      for (const fn of state.atEnd) {
        try {
          fn();
        } catch {
          // a hook that fails must not fail the cell
        }
      }
    }
  };
  patches().cellEnd.add(proto);
  return true;
}

async function settle(state: CellState): Promise<void> {
  if (state.pending.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, cellWaitMs);
  });
  await Promise.race([Promise.all([...state.pending]), timeout]);
  clearTimeout(timer);
  state.pending.clear();
}

/**
 * Runs `hook` when the kernel receives Jupyter's `shutdown_request` (a user's
 * "Shut down" or "Restart kernel"), so servers close and free their ports at
 * once rather than when Jupyter kills the process seconds later — a restarted
 * kernel calling serve() would otherwise meet `EADDRINUSE`. Registering the same
 * function twice runs it once. Outside a notebook it does nothing.
 *
 * @param hook - what to run; its rejection is ignored.
 * @returns whether the kernel will call it.
 * @internal
 */
export function whenKernelShutsDown(hook: () => Promise<void> | void): boolean {
  const proto = kernelModule()?.JupyterHandlerImpl?.prototype;
  if (!proto || typeof proto.handleShutdown !== 'function') return false;
  const hooks = processState('shutdownHooks', () => new Set());
  hooks.add(hook);
  if (!patches().shutdown.has(proto)) {
    const original = proto.handleShutdown as (...args: unknown[]) => unknown;
    // tslab answers shutdown_request synchronously and then closes its sockets;
    // the hooks run on, and the process exits once nothing else holds it
    proto.handleShutdown = function (this: unknown, ...args: unknown[]) {
      for (const h of hooks) {
        try {
          void Promise.resolve(h()).catch(() => undefined);
        } catch {
          // a failing hook must not keep the kernel from answering
        }
      }
      return original.apply(this, args);
    };
    patches().shutdown.add(proto);
  }
  return true;
}

// ─────────────────────── a displayed last value prints nothing ───────────────────────

/** What an already displayed value's inspect returns; never shown (see {@link quietValue}). */
const QUIET = '\u2063csvsocket:displayed\u2063';

/**
 * The inspect text of a value that has displayed itself (a chart, a table, an
 * upload in progress): tslab's `console.log` of the cell's last value then
 * prints nothing at all, not even an empty line. Outside a notebook, or when the
 * stdout filter could not be installed, it is `''`.
 *
 * @example
 * Object.defineProperty(promise, inspect.custom, { value: quietValue });
 * @internal
 */
export function quietValue(): string {
  return installQuietStdout() ? QUIET : '';
}

/**
 * Makes `process.stdout.write` an accessor: tslab assigns its writer for each
 * cell, the getter returns that writer behind a filter that drops the one line
 * `console.log` writes for {@link QUIET}.
 */
function installQuietStdout(): boolean {
  if (!isNotebook()) return false;
  return processState('quietStdout', () => {
    const stdout = process.stdout as NodeJS.WriteStream & { write: (...args: unknown[]) => boolean };
    let writer = stdout.write;
    const quiet = `${QUIET}\n`;
    const filtered = function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      if (typeof chunk === 'string' && chunk.includes(QUIET)) {
        const kept = chunk.split(quiet).join('').split(QUIET).join('');
        if (kept === '') return true;
        return writer.call(stdout, kept, ...rest);
      }
      return writer.call(stdout, chunk, ...rest);
    };
    try {
      Object.defineProperty(stdout, 'write', {
        configurable: true,
        enumerable: true,
        get: () => filtered,
        set: (next: typeof writer) => {
          if (next !== filtered) writer = next;
        },
      });
      return true;
    } catch {
      return false;
    }
  });
}
