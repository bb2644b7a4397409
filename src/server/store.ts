/**
 * The last stage of an upload: its parse result becomes a dataset (appended to
 * the one it extends), is written to the data directory, and only then replaces
 * the dataset in memory. One store or drop at a time per name, so an append sees
 * the previous append and the order on disk is the order in memory.
 *
 *   parse result ─▶ owner check ─▶ dataset (append: concat) ─▶ persist ─▶ Datasets.put ─▶ remember
 */
import { type ArrowStreams, headOf, tableFromArrowIPC } from '../arrow/ipc.js';
import { AuthError, ErrorCode } from '../errors.js';
import type { DatasetSummary } from '../protocol/messages.js';
import { appendedStreams, appendTable } from './append.js';
import type { Dataset } from './datasets.js';
import type { IngestResult } from './ingest/pool.js';
import { markAppend } from './subscribers.js';
import type { CompletedUpload, Upload, UploadContext } from './uploads.js';

/**
 * Null when `owner` may replace, append to or drop the dataset `name`, else why not.
 *
 * @param ctx - the server's datasets and ownership rules
 * @param owner - the client's identity
 * @param name - the dataset
 */
export function notOwner(ctx: UploadContext, owner: string, name: string): AuthError | null {
  const dataset = ctx.datasets.get(name);
  if (!dataset || ctx.allowOverwrite || owner === ctx.adminId || dataset.owner === owner) return null;
  return new AuthError(
    ErrorCode.AUTH_NOT_OWNER,
    `dataset "${name}" belongs to another client; send under another name (or start the server with allowOverwrite)`,
    { dataset: name },
  );
}

/**
 * Store a parsed upload: durable before it is visible, visible before it is acknowledged.
 *
 * @param ctx - what the server shares
 * @param upload - the finished upload
 * @param result - its parse result
 * @returns the stored dataset
 */
export function storeUpload(ctx: UploadContext, upload: Upload, result: IngestResult): Promise<Dataset> {
  return ctx.queue.run(upload.name, async () => {
    const refused = notOwner(ctx, upload.owner, upload.name);
    if (refused) throw refused;
    const dataset = datasetOf(upload, result, ctx.datasets.get(upload.name));
    await ctx.persist?.save(dataset);
    ctx.datasets.put(dataset);
    remember(ctx, upload.id, dataset);
    return dataset;
  });
}

/** Remember a stored upload for resumeGraceMs, for a client whose answer was lost. */
function remember(ctx: UploadContext, id: string, dataset: Dataset): void {
  const { completed, limits } = ctx;
  const entry: CompletedUpload = { name: dataset.name, owner: dataset.owner, dataset: new WeakRef(dataset) };
  completed.set(id, entry);
  setTimeout(() => {
    if (completed.get(id) === entry) completed.delete(id);
  }, limits.resumeGraceMs).unref();
}

/** The dataset an upload's parse result makes, appended to `previous` in append mode. */
function datasetOf(upload: Upload, result: IngestResult, previous: Dataset | undefined): Dataset {
  let table = tableFromArrowIPC(result.ipc);
  let ipc: ArrowStreams | null = result.ipc;
  let { columns, head, rows } = result;
  if (upload.mode === 'append' && previous) {
    const joined = appendedStreams(previous, result.ipc, columns);
    if (joined) {
      // every column stays as it is: the stored streams and the new ones, read as one table
      ipc = joined;
      table = tableFromArrowIPC(joined);
      columns = previous.columns;
      markAppend(table, previous.table.numRows());
    } else {
      // each column typed as a first parse of all the rows would type it (append.ts)
      ({ table, columns } = appendTable(previous, table, columns));
      // a widened column changes the stored rows too: subscribers get the whole table
      const widened = columns.some((c, i) => c.type !== previous.columns[i]?.type);
      if (!widened) markAppend(table, previous.table.numRows());
      ipc = null;
    }
    head = headOf(table, columns);
    rows = table.numRows();
  }
  const summary: DatasetSummary = {
    name: upload.name,
    rows,
    columns,
    head,
    warnings: result.warnings,
    bytes: upload.received,
    ms: Date.now() - upload.started,
    stored: new Date().toISOString(),
  };
  return { name: upload.name, table, columns, summary, ipc, owner: upload.owner };
}
