/**
 * Each stored dataset version as the query workers see it: its Arrow IPC bytes
 * in a SharedArrayBuffer, made once per version (a multi-piece parse already
 * writes them there, so nothing is copied), under a key by which a worker keeps
 * its decoded table. When a dataset is replaced or dropped its key is
 * forgotten, and the workers drop what they decoded.
 */
import { streamList } from '../../arrow/ipc.js';
import { type Dataset, type Datasets, datasetIPC } from '../datasets.js';

/** A dataset version shared with the workers. */
export interface SharedDataset {
  /** the version's key: a worker decodes each key once */
  key: number;
  /** the IPC streams, in SharedArrayBuffers */
  ipc: readonly Uint8Array[];
  /** already replaced or dropped when first shared: forgotten after each query */
  stale: boolean;
}

/** The shared versions of one server's datasets. */
export class SharedDatasets {
  private readonly datasets: Datasets;
  private readonly forget: (key: number) => void;
  private readonly shared = new WeakMap<Dataset, SharedDataset>();
  /** the key of the current version of each dataset shared so far */
  private readonly current = new Map<string, number>();
  private nextKey = 1;

  /**
   * @param datasets - the server's datasets (their `stored` and `dropped` events)
   * @param forget - told each key no worker needs any more
   */
  constructor(datasets: Datasets, forget: (key: number) => void) {
    this.datasets = datasets;
    this.forget = forget;
    datasets.on('stored', (d) => this.retire(d.name));
    datasets.on('dropped', (name) => this.retire(name));
  }

  /** The dataset's version in shared memory, made on its first query. */
  get(dataset: Dataset): SharedDataset {
    let shared = this.shared.get(dataset);
    if (shared) return shared;
    // the stored streams, or a table built on this thread (an append) as
    // datasetIPC encodes it once, in shared memory: either is used as it is
    const ipc = streamList(datasetIPC(dataset)).map((part) => {
      if (part.buffer instanceof SharedArrayBuffer && part.byteOffset % 8 === 0) return part;
      const bytes = new Uint8Array(new SharedArrayBuffer(part.byteLength));
      bytes.set(part);
      return bytes;
    });
    const stale = this.datasets.get(dataset.name) !== dataset;
    shared = { key: this.nextKey++, ipc, stale };
    this.shared.set(dataset, shared);
    if (!stale) {
      this.retire(dataset.name);
      this.current.set(dataset.name, shared.key);
    }
    return shared;
  }

  /** A query on `dataset` finished: a stale version is forgotten at once. */
  done(dataset: Dataset): void {
    const shared = this.shared.get(dataset);
    if (shared?.stale) this.forget(shared.key);
  }

  private retire(name: string): void {
    const key = this.current.get(name);
    if (key === undefined) return;
    this.current.delete(name);
    this.forget(key);
  }
}
