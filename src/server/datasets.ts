/**
 * The server's datasets. A re-send under the same name replaces the dataset in
 * one step once the new table is complete, so readers never see a half-received
 * table; uploads in progress live in sessions and workers, never here.
 */
import { EventEmitter } from 'node:events';
import type { ColumnTable } from 'arquero';
import { type ArrowStreams, tableToArrowIPC } from '../arrow/ipc.js';
import type { ColumnInfo } from '../csv/index.js';
import type { DatasetSummary } from '../protocol/messages.js';

/** A stored dataset. */
export interface Dataset {
  name: string;
  table: ColumnTable;
  /** column types and exact-text formats, from the parse */
  columns: ColumnInfo[];
  summary: DatasetSummary;
  /** the table as Arrow IPC (in shared memory), kept when the parse produced it, to send back and query without re-encoding */
  ipc: ArrowStreams | null;
  /** who stored it: the uploading client's identity (see `ConnectOptions.clientId`) */
  owner: string;
}

/**
 * Encodings of the datasets built on this thread (an append), once per
 * version: 64 subscriptions to an appended 1M-row dataset encoded it 64 times
 * (9.5 s of the event loop, 640 MB queued). In shared memory, which the query
 * workers read as it is (queries/shared.ts).
 */
const encoded = new WeakMap<Dataset, Uint8Array>();

/** A dataset's table as Arrow IPC: the stored streams, or encoded once (a table built on this thread, an append). */
export function datasetIPC(dataset: Dataset): ArrowStreams {
  if (dataset.ipc) return dataset.ipc;
  let ipc = encoded.get(dataset);
  if (!ipc) {
    const bytes = tableToArrowIPC(dataset.table);
    ipc = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
    ipc.set(bytes);
    encoded.set(dataset, ipc);
  }
  return ipc;
}

/**
 * The datasets of one server, by name; emits `stored` with each new dataset,
 * and `released` with a dataset replaced (with its replacement) or dropped.
 */
export class Datasets extends EventEmitter<{
  stored: [Dataset];
  dropped: [string];
  released: [Dataset, Dataset | undefined];
}> {
  private readonly byName = new Map<string, Dataset>();

  /** The dataset under `name`, if any. */
  get(name: string): Dataset | undefined {
    return this.byName.get(name);
  }

  /** Every dataset, oldest first. */
  all(): IterableIterator<Dataset> {
    return this.byName.values();
  }

  /** Store (or atomically replace) a dataset and announce it. */
  put(dataset: Dataset): void {
    const old = this.byName.get(dataset.name);
    // delete first so that a replaced dataset moves to the end of the arrival order
    this.byName.delete(dataset.name);
    this.byName.set(dataset.name, dataset);
    this.emit('stored', dataset);
    if (old && old !== dataset) this.emit('released', old, dataset);
  }

  /** The first of `prefix_1`, `prefix_2`, … not in use. */
  freeName(prefix: string): string {
    for (let i = this.byName.size + 1; ; i++) {
      const name = `${prefix}_${i}`;
      if (!this.byName.has(name)) return name;
    }
  }

  /** Remove a dataset; returns whether it existed. */
  drop(name: string): boolean {
    const old = this.byName.get(name);
    if (!old) return false;
    this.byName.delete(name);
    this.emit('dropped', name);
    this.emit('released', old, undefined);
    return true;
  }
}
