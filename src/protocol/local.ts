/**
 * In-process hand-over of a file upload. A client in the server's own process
 * (a notebook's `send(path)`) offers the file under a random handle; a server
 * in the same process that finds the handle reads the file's bytes itself
 * instead of receiving them over the socket, and leaves the stored table under
 * the handle instead of sending its Arrow IPC back. Every message of the
 * upload (upload, ready, progress, end, stored) still goes over the socket,
 * and the bytes go through the same parse, so the table is the one a remote
 * upload of the file gives. A server in another process never finds the
 * handle and takes the bytes as usual.
 *
 *   client: offerLocalFile(path) ─▶ upload{local: handle} ─▶ ready{offset: size, local}
 *   server: takeLocalFile(handle) ─▶ reads the file ─▶ parse ─▶ stored ─▶ handOver(table)
 *   client: end{bytes: size} ─▶ stored ─▶ takeLocalTable(handle)
 *
 * A remote peer cannot name a file: a handle is 128 random bits that exist
 * only in this process, and only for a file this process chose to send.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import type { ColumnTable } from 'arquero';
import { processState } from '../state.js';

/** A file a client of this process offers to a server of this process. */
export interface LocalOffer {
  path: string;
  size: number;
  /** the server took the file (it reads the bytes itself) */
  taken: boolean;
  /** the stored table, left here by the server */
  table?: ColumnTable;
}

declare module '../state.js' {
  interface ProcessState {
    /** files offered for in-process uploads, by handle */
    localOffers: Map<string, LocalOffer>;
  }
}

const offers = () => processState('localOffers', () => new Map<string, LocalOffer>());

/** Offer `path` (of `size` bytes) for an in-process upload; returns its handle. @internal */
export function offerLocalFile(path: string, size: number): string {
  const handle = randomBytes(16).toString('base64url');
  offers().set(handle, { path, size, taken: false });
  return handle;
}

/** The server side: the offered file, once (a second take finds nothing). @internal */
export function takeLocalFile(handle: string): LocalOffer | undefined {
  const offer = offers().get(handle);
  if (!offer || offer.taken) return undefined;
  offer.taken = true;
  return offer;
}

/** The server side: leave the stored table for the client. @internal */
export function handOverTable(handle: string, table: ColumnTable): boolean {
  const offer = offers().get(handle);
  if (!offer?.taken) return false;
  offer.table = table;
  return true;
}

/** The client side: the table the server left, and forget the offer. @internal */
export function takeLocalTable(handle: string): ColumnTable | undefined {
  const offer = offers().get(handle);
  offers().delete(handle);
  return offer?.table;
}

/** The client side: forget an offer (the upload failed or went over the socket). @internal */
export function withdrawLocalFile(handle: string): void {
  offers().delete(handle);
}
