/**
 * The page's one WebSocket to the server that served it, speaking protocol v1
 * (docs/protocol.md) with the same constants, frames, request routing and flow
 * control as the Node client:
 *
 *   upload{rid,id,clientId,name} ─▶ ready{offset} ─▶ chunk frames (≤ window un-acked) ─▶ end
 *                                ◀─ stored{summary}  ◀─ progress{offset} …
 */
import { ConnectionError, type CsvSocketError, ErrorCode, ProtocolError } from '../errors.js';
import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../protocol/constants.js';
import { encodeFrame, FrameKind } from '../protocol/frames.js';
import { type AnnouncedLimits, defaultAnnouncedLimits, uploadChunkBytes } from '../protocol/limits.js';
import type { ClientMessageInput, DatasetSummary, ServerMessage } from '../protocol/messages.js';
import { type PendingRequest, Requests } from '../protocol/requests.js';
import { SendWindow } from '../protocol/window.js';
import { uploadId } from './identity.js';

/** What the page says when the server refuses its token. */
export const TOKEN_PROBLEM =
  "The token in this page's address is missing or wrong. Open the exact link the server printed (http://…/?token=…).";

/**
 * Ask the server whether this page's token would be accepted: a browser sees a
 * refused WebSocket upgrade only as a closed socket, never its status or reason.
 *
 * @param token - the token from the page's address
 * @returns null when accepted, else what to tell the user
 */
export async function checkToken(token: string): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch('auth', { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
  } catch {
    return 'The server does not answer. Is it still running?';
  }
  if (res.status === 204) return null;
  if (res.status === 401) return TOKEN_PROBLEM;
  let detail = '';
  try {
    detail = ((await res.json()) as { message?: string }).message || '';
  } catch {
    // no JSON body: the status says enough
  }
  return `The server refuses this page (HTTP ${res.status}). ${detail}`.trim();
}

/** An Error (or csvsocket error) as one line for the page: `CODE: message (line N)`. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { code, line } = err as Partial<CsvSocketError>;
  // the page's own words for a closed connection need no code
  if (!code || err instanceof ConnectionError) return err.message;
  return `${code}: ${err.message}${line ? ` (line ${line})` : ''}`;
}

function openSocket(token: string): WebSocket {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
  try {
    // a browser cannot set headers on a WebSocket: the token travels as a second subprotocol
    return new WebSocket(url, token ? [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token] : [SUBPROTOCOL]);
  } catch {
    // a token with characters a subprotocol cannot hold goes in the query string instead
    return new WebSocket(`${url}?token=${encodeURIComponent(token)}`, [SUBPROTOCOL]);
  }
}

interface Waiting extends PendingRequest {
  resolve(message: ServerMessage): void;
}

/** The page's connection; {@link PageConnection.open} it. */
export class PageConnection {
  /** The limits from the server's welcome. */
  limits: AnnouncedLimits = { ...defaultAnnouncedLimits };
  private socket: WebSocket | null;
  private readonly requests = new Requests<Waiting>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
  }

  /**
   * Connect and wait for the server's welcome.
   *
   * @param token - the page's token
   * @param onDrop - called once if the connection closes after the welcome, with what to tell the user
   */
  static open(token: string, onDrop: (err: Error) => void): Promise<PageConnection> {
    return new Promise((resolve, reject) => {
      const socket = openSocket(token);
      socket.binaryType = 'arraybuffer';
      const connection = new PageConnection(socket);
      let welcomed = false;
      socket.onmessage = (event: MessageEvent) => {
        if (typeof event.data !== 'string') return; // this page asks for no tables back
        let m: ServerMessage;
        try {
          m = JSON.parse(event.data) as ServerMessage;
        } catch {
          return;
        }
        if (m.type === 'welcome') {
          welcomed = true;
          connection.limits = { ...connection.limits, ...m.limits };
          resolve(connection);
          return;
        }
        connection.onMessage(m);
      };
      socket.onclose = (event: CloseEvent) => {
        const error = welcomed
          ? `The connection to the server closed (${event.reason || `code ${event.code}`}). Reload the page to reconnect.`
          : 'Could not connect to the server.';
        connection.socket = null;
        connection.requests.rejectAll(new ConnectionError(ErrorCode.CONNECTION_CLOSED, error));
        if (welcomed) onDrop(new Error(error));
        else reject(new Error(error));
      };
    });
  }

  /** Whether the socket is open. */
  get isOpen(): boolean {
    return this.socket !== null;
  }

  private onMessage(m: ServerMessage): void {
    const answered = this.requests.route(m);
    if (answered && m.type !== 'welcome' && m.rid !== undefined) {
      this.requests.take(m.rid);
      answered.resolve(m);
    }
  }

  private send(message: ClientMessageInput): void {
    this.socket?.send(JSON.stringify(message));
  }

  private request(message: ClientMessageInput, hooks: PendingRequest | object = {}): Promise<ServerMessage> {
    if (!this.socket) return Promise.reject(new Error('Not connected to the server. Reload the page.'));
    return new Promise((resolve, reject) => {
      this.requests.add(message.rid, { resolve, reject, ...hooks });
      this.send(message);
    });
  }

  /** The datasets on the server. */
  async list(): Promise<DatasetSummary[]> {
    const answer = await this.request({ type: 'list', rid: this.requests.nextRid() });
    return answer.type === 'datasets' ? answer.datasets : [];
  }

  /**
   * Upload a file in chunks within the server's window.
   *
   * @param file - the file
   * @param name - the dataset name
   * @param clientId - this browser's owner id
   * @param onProgress - called with the bytes the server has taken
   * @returns the server's summary of the stored dataset
   */
  async upload(
    file: Blob,
    name: string,
    clientId: string,
    onProgress: (bytes: number) => void,
  ): Promise<DatasetSummary> {
    const rid = this.requests.nextRid();
    const total = file.size;
    const flow = new SendWindow(this.limits.windowBytes);
    let ready!: (offset: number) => void;
    const readyAt = new Promise<number>((resolve) => {
      ready = resolve;
    });
    const done = this.request(
      {
        type: 'upload',
        rid,
        id: uploadId(),
        clientId,
        name,
        format: 'csv',
        mode: 'replace',
        size: total,
        returnTable: false,
      },
      {
        onReady: ready,
        onProgress: (offset: number) => {
          flow.ack(offset);
          onProgress(offset);
        },
      },
    );
    done.catch(() => {
      flow.stop();
      ready(0);
    });
    let sent = await readyAt;
    const chunk = uploadChunkBytes(this.limits);
    while (sent < total && (await flow.room(sent))) {
      const piece = new Uint8Array(await file.slice(sent, Math.min(total, sent + chunk)).arrayBuffer());
      if (flow.isStopped || !this.socket) break;
      this.socket.send(encodeFrame(FrameKind.chunk, rid, sent, piece));
      sent += piece.byteLength;
    }
    if (!flow.isStopped) this.send({ type: 'end', rid, bytes: sent });
    const answer = await done;
    if (answer.type !== 'stored') {
      throw new ProtocolError(
        ErrorCode.PROTOCOL_BAD_MESSAGE,
        `expected "stored" from the server, got "${answer.type}"`,
      );
    }
    return answer.summary;
  }
}
