/**
 * Datasets on disk, so that a server (or notebook kernel) restart loses nothing
 * a client was told is stored. Each dataset is two files in the data directory:
 *
 *   <stem>.<generation>.arrow   the table as Arrow IPC
 *   <stem>.json                 the sidecar: name, owner, summary, columns, the
 *                               arrow file's name, size and sha256
 *
 * `<stem>` is a slug of the name plus a hash of it, so that no dataset name
 * (`../x`, `/etc/passwd`, `CON`, names differing only in case) can leave the
 * directory or collide with another. Every file is written to a temporary file,
 * fsynced and renamed into place; the sidecar's rename is the commit point, so a
 * crash leaves either the old dataset or the new one, never a mix. Start-up
 * removes temporary files and arrow files no sidecar names.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ipcFragments, tableFromArrowIPC } from '../arrow/ipc.js';
import { type Dataset, datasetIPC } from './datasets.js';

const SIDECAR_VERSION = 1;

interface Sidecar {
  version: number;
  name: string;
  owner: string;
  arrow: string;
  bytes: number;
  sha256: string;
  summary: Dataset['summary'];
  columns: Dataset['columns'];
}

/**
 * The file stem for a dataset name: safe on every file system, unique per name.
 *
 * @param name - any dataset name
 * @returns e.g. `students-5f2c…` (ASCII letters, digits, `_` and `-` only)
 */
export function fileStem(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, 40)
    .toLowerCase();
  // UTF-8 tells every well-formed name apart (and keeps existing files' names);
  // a name with a lone surrogate, which UTF-8 would turn into U+FFFD, is hashed
  // as its exact UTF-16 code units, under a prefix no UTF-8 text hashes to
  const hash = (
    isWellFormed(name)
      ? createHash('sha256').update(name, 'utf8')
      : createHash('sha256').update('utf16le:').update(name, 'utf16le')
  )
    .digest('hex')
    .slice(0, 24);
  return `${slug || 'dataset'}-${hash}`;
}

function isWellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // some file systems cannot fsync a directory; the renames are still atomic
  }
}

/** Write `data` to `dir/file` atomically: temporary file, fsync, rename, fsync the directory. */
async function writeAtomic(dir: string, file: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dir, `.${file}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, join(dir, file));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

/** What {@link Persist.open} found in the directory. */
export interface Restored {
  persist: Persist;
  /** the datasets, oldest first */
  datasets: Dataset[];
  /** files that could not be read, each with why */
  warnings: string[];
}

/** The data directory of one server. */
export class Persist {
  readonly dir: string;
  // the arrow file each dataset's sidecar names now, to delete once superseded
  private readonly arrowOf = new Map<string, string>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Open (creating it if needed) a data directory and read back every dataset in it.
   *
   * @param dir - the directory
   */
  static async open(dir: string): Promise<Restored> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const persist = new Persist(dir);
    const files = await readdir(dir);
    const datasets: Dataset[] = [];
    const warnings: string[] = [];
    const referenced = new Set<string>();
    for (const file of files) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      try {
        const sidecar = JSON.parse(await readFile(join(dir, file), 'utf8')) as Sidecar;
        if (
          sidecar.version !== SIDECAR_VERSION ||
          typeof sidecar.name !== 'string' ||
          `${fileStem(sidecar.name)}.json` !== file
        ) {
          throw new Error('not a csvsocket sidecar of this version');
        }
        if (
          !/^[A-Za-z0-9_.-]+\.arrow$/.test(sidecar.arrow) ||
          !sidecar.arrow.startsWith(`${fileStem(sidecar.name)}.`)
        ) {
          throw new Error(`names an arrow file outside its dataset: ${JSON.stringify(sidecar.arrow)}`);
        }
        referenced.add(sidecar.arrow);
        const ipc = new Uint8Array(await readFile(join(dir, sidecar.arrow)));
        if (ipc.byteLength !== sidecar.bytes || sha256(ipc) !== sidecar.sha256)
          throw new Error(`${sidecar.arrow} does not match its checksum`);
        const table = tableFromArrowIPC(ipc);
        // a summary without its row count (an older server stored a "__proto__" column
        // that way) would make every client's list fail: refuse it here, not there
        if (sidecar.summary?.rows !== table.numRows() || !Array.isArray(sidecar.columns))
          throw new Error(`its summary does not describe ${sidecar.arrow} (${table.numRows()} rows)`);
        datasets.push({
          name: sidecar.name,
          table,
          columns: sidecar.columns,
          summary: sidecar.summary,
          ipc,
          owner: sidecar.owner,
        });
        persist.arrowOf.set(sidecar.name, sidecar.arrow);
      } catch (err) {
        warnings.push(`${file}: ${(err as Error).message}`);
      }
    }
    // leftovers of an interrupted write: temporary files, and arrow files no sidecar names
    for (const file of files) {
      if ((file.startsWith('.') && file.endsWith('.tmp')) || (file.endsWith('.arrow') && !referenced.has(file))) {
        await unlink(join(dir, file)).catch(() => undefined);
      }
    }
    datasets.sort((a, b) => a.summary.stored.localeCompare(b.summary.stored));
    return { persist, datasets, warnings };
  }

  /**
   * Write a dataset durably; resolves once it would survive a crash.
   *
   * @param dataset - the dataset to store (replacing any of the same name)
   */
  async save(dataset: Dataset): Promise<void> {
    const stem = fileStem(dataset.name);
    const ipc = Buffer.concat(ipcFragments(datasetIPC(dataset)));
    const arrow = `${stem}.${Date.now().toString(36)}${randomBytes(4).toString('hex')}.arrow`;
    await writeAtomic(this.dir, arrow, ipc);
    const sidecar: Sidecar = {
      version: SIDECAR_VERSION,
      name: dataset.name,
      owner: dataset.owner,
      arrow,
      bytes: ipc.byteLength,
      sha256: sha256(ipc),
      summary: dataset.summary,
      columns: dataset.columns,
    };
    await writeAtomic(this.dir, `${stem}.json`, JSON.stringify(sidecar));
    const old = this.arrowOf.get(dataset.name);
    this.arrowOf.set(dataset.name, arrow);
    if (old && old !== arrow) await unlink(join(this.dir, old)).catch(() => undefined);
  }

  /**
   * Delete a dataset's files; resolves once the deletion is durable.
   *
   * @param name - the dataset name
   */
  async remove(name: string): Promise<void> {
    const stem = fileStem(name);
    await unlink(join(this.dir, `${stem}.json`)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await fsyncDir(this.dir);
    const arrow = this.arrowOf.get(name);
    this.arrowOf.delete(name);
    if (arrow) await unlink(join(this.dir, arrow)).catch(() => undefined);
  }
}

/** Runs tasks one after another per key (a dataset name), so writes land in order. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Run `task` after every earlier task of `key` has settled.
   *
   * @returns the task's promise
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
