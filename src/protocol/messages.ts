/**
 * The csvsocket wire protocol, version 1 (docs/protocol.md is the prose form).
 *
 *   client                                   server
 *     |-- upgrade, subprotocol csvsocket.v1 -->|   token: ?token=, Authorization: Bearer,
 *     |<------------- welcome ----------------|   or subprotocol csvsocket.token.<T>
 *     |-- upload {rid,id,name,format} ------->|
 *     |<------------- ready {rid,offset} -----|   offset > 0: resume from there
 *     |== chunk frames (binary, rid, offset) =>|
 *     |<------------- progress {rid,offset} --|   bytes parsed so far (flow control)
 *     |-- end {rid,bytes} ------------------->|
 *     |<------------- stored {rid,summary} ---|
 *     |<== table frame (binary, rid, Arrow) ==|   when the upload asked for the table back
 *
 * JSON control messages travel as text frames and are validated with zod;
 * bulk data travels as binary frames with a 16-byte header (see ./frames.ts).
 * A connection that offers no subprotocol speaks the original design's legacy
 * protocol: one text message (CSV text or pandas `to_json()`), one text reply.
 */
import { z } from 'zod';
import type { ColumnInfo } from '../csv/types.js';
import { ErrorCode, ProtocolError } from '../errors.js';
import { MAX_RID } from './constants.js';
import { fastServerMessage } from './fast.js';
import { DATASET_NAME_MAX, NO_CONTROL_CHARACTER, NO_LONE_SURROGATE } from './names.js';

// the protocol's constants and frames live in files the browser page bundles too
export {
  DEFAULT_PORT,
  LEGACY_REPLY,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
} from './constants.js';
export { decodeFrame, encodeFrame, encodeFrameHeader, FRAME_HEADER_BYTES, type Frame, FrameKind } from './frames.js';

// ---------------------------------------------------------------------------
// JSON messages

const rid = z.number().int().min(1).max(MAX_RID);
/**
 * Dataset names: 1–128 characters, no control characters. Checked with
 * regular expressions, not `.refine`: a refinement builds an object with its
 * own getter on each parse, which V8 gives a map of its own in old space, so
 * everything that parse made outlived the young generation (a third of a
 * query message's parse was copied by each scavenge, 3–7 ms pauses).
 */
export const DatasetName = z
  .string()
  .min(1)
  .max(DATASET_NAME_MAX)
  .regex(NO_CONTROL_CHARACTER, 'must not contain control characters')
  // a lone surrogate has no UTF-8 form: "report\udfff" would turn into "report\ufffd"
  // on its way to a file name or a page, and two names would share one dataset's files
  .regex(NO_LONE_SURROGATE, 'must be well-formed Unicode (no lone surrogate such as \\udfff)');
const columnType = z.enum(['integer', 'number', 'boolean', 'date', 'string']);
// typed as the parser's ColumnInfo (zod's optional keys admit `undefined`, which
// exactOptionalPropertyTypes tells apart)
const columnInfo = z
  .object({
    name: z.string(),
    type: columnType,
    decimals: z.number().int().min(0).max(100).optional(),
    header: z.string().optional(),
    /** a date column read with a format (`date:%b %d %Y`): how its values are written */
    format: z.string().max(200).optional(),
  })
  .strict() as unknown as z.ZodType<ColumnInfo, z.ZodTypeDef, unknown>;
/** Type overrides an upload may carry: far more than any column limit. */
export const MAX_TYPE_OVERRIDES = 100_000;

/** a type override: a column type, or `date:` and a format of at most 200 characters */
function isTypeSpec(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return (
    (columnType.options as readonly string[]).includes(value) || (value.startsWith('date:') && value.length <= 200)
  );
}

/**
 * Per-column type overrides, checked by a predicate that stops at the first
 * bad entry: z.record of a z.union built an error for every branch of every
 * entry and kept them all, so one upload message of 100,000 bad entries (1 MB)
 * held the event loop 2.5 s and 500 MB, and one of 500,000 ran the process
 * out of memory.
 */
const typeOverrides = z.custom<Record<string, string>>(
  (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    let count = 0;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (++count > MAX_TYPE_OVERRIDES || !isTypeSpec((value as Record<string, unknown>)[key])) return false;
    }
    return true;
  },
  {
    message: `expected types as {column: type}, each type one of integer, number, boolean, date, string or "date:FORMAT" (at most 200 characters), at most ${MAX_TYPE_OVERRIDES} columns`,
  },
);

/** How an upload's bytes are encoded. */
export const UploadFormat = { csv: 'csv', arrow: 'arrow' } as const;
export type UploadFormat = (typeof UploadFormat)[keyof typeof UploadFormat];

/** What an upload does to an existing dataset of the same name. */
export const UploadMode = { replace: 'replace', append: 'append' } as const;
export type UploadMode = (typeof UploadMode)[keyof typeof UploadMode];

const uploadMessage = z
  .object({
    type: z.literal('upload'),
    rid,
    /** client-chosen id, stable across reconnects, for resuming */
    id: z.string().min(1).max(128),
    /** the client's identity, for dataset ownership (kept secret by the client) */
    clientId: z.string().min(8).max(128).optional(),
    name: DatasetName,
    format: z.enum(['csv', 'arrow']).default('csv'),
    mode: z.enum(['replace', 'append']).default('replace'),
    /** total size when known, for progress and an early size check */
    size: z.number().int().min(0).optional(),
    /** per-column type overrides */
    types: typeOverrides.optional(),
    /** the CSV field separator (one character); detected from the header line when absent */
    delimiter: z.string().length(1).optional(),
    /** send the stored table back as Arrow IPC */
    returnTable: z.boolean().default(true),
    /** an in-process file's handle (protocol/local.ts); a server in another process ignores it */
    local: z.string().min(16).max(64).optional(),
  })
  .strict();

const endMessage = z.object({ type: z.literal('end'), rid, bytes: z.number().int().min(0) }).strict();
const abortMessage = z.object({ type: z.literal('abort'), rid }).strict();
const queryMessage = z
  .object({
    type: z.literal('query'),
    rid,
    name: DatasetName,
    /** the structured query; validated by src/query.ts */
    query: z.unknown(),
  })
  .strict();
const listMessage = z.object({ type: z.literal('list'), rid }).strict();
/** follow a dataset (it need not exist yet): updates carry this rid until `unsubscribe` */
const subscribeMessage = z.object({ type: z.literal('subscribe'), rid, name: DatasetName }).strict();
const unsubscribeMessage = z.object({ type: z.literal('unsubscribe'), rid }).strict();
const dropMessage = z
  .object({ type: z.literal('drop'), rid, name: DatasetName, clientId: z.string().min(8).max(128).optional() })
  .strict();

/** Every message a client may send, validated on arrival. */
export const ClientMessage = z.discriminatedUnion('type', [
  uploadMessage,
  endMessage,
  abortMessage,
  queryMessage,
  listMessage,
  dropMessage,
  subscribeMessage,
  unsubscribeMessage,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type UploadMessage = z.infer<typeof uploadMessage>;
/** A client message as written by a sender: defaults may be left out. */
export type ClientMessageInput = z.input<typeof ClientMessage>;

const summary = z.object({
  name: z.string(),
  rows: z.number().int(),
  columns: z.array(columnInfo),
  /** the first rows, each value as its exact text ('' for null) */
  head: z.array(z.array(z.string().nullable())),
  warnings: z.array(z.string()),
  /** bytes received */
  bytes: z.number(),
  /** milliseconds from the first byte to the stored table */
  ms: z.number(),
  /** ISO time the dataset was stored */
  stored: z.string(),
});
/** What the server reports about a stored dataset. */
export type DatasetSummary = z.infer<typeof summary>;

const limitsInfo = z.object({
  maxFrameBytes: z.number(),
  maxUploadBytes: z.number(),
  chunkBytes: z.number(),
  windowBytes: z.number(),
});

/** Every message a server may send. */
export const ServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), protocol: z.number(), server: z.string(), limits: limitsInfo }),
  z.object({ type: z.literal('ready'), rid, offset: z.number().int().min(0) }),
  z.object({ type: z.literal('progress'), rid, offset: z.number().int().min(0) }),
  z.object({ type: z.literal('stored'), rid, summary, table: z.boolean() }),
  z.object({ type: z.literal('result'), rid, summary, table: z.boolean() }),
  z.object({ type: z.literal('datasets'), rid, datasets: z.array(summary) }),
  z.object({ type: z.literal('dropped'), rid, name: z.string() }),
  z.object({ type: z.literal('subscribed'), rid, name: z.string() }),
  z.object({ type: z.literal('unsubscribed'), rid }),
  /** a subscribed dataset changed; a table frame with the same rid follows when `table` (rows `from`…`rows`) */
  z.object({
    type: z.literal('update'),
    rid,
    name: z.string(),
    kind: z.enum(['snapshot', 'append', 'replace', 'drop']),
    from: z.number().int().min(0),
    rows: z.number().int().min(0),
    summary: summary.optional(),
    table: z.boolean(),
  }),
  z.object({
    type: z.literal('error'),
    rid: rid.optional(),
    code: z.string(),
    message: z.string(),
    context: z
      .object({
        line: z.number().optional(),
        column: z.number().optional(),
        limit: z.number().optional(),
        dataset: z.string().optional(),
        upload: z.string().optional(),
      })
      .optional(),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerLimitsInfo = z.infer<typeof limitsInfo>;

/**
 * Parse and validate a client's JSON message.
 *
 * @param text - the text frame
 * @returns the message, with defaults filled in
 * @throws ProtocolError `CSVS_PROTOCOL_BAD_MESSAGE` naming what is wrong
 */
export function parseClientMessage(text: string): ClientMessage {
  return parseWith(ClientMessage, text, 'client');
}

/**
 * Parse and validate a server's JSON message.
 *
 * @param text - the text frame
 * @throws ProtocolError `CSVS_PROTOCOL_BAD_MESSAGE`
 */
export function parseServerMessage(text: string): ServerMessage {
  return parseWith(ServerMessage, text, 'server', fastServerMessage as (json: unknown) => ServerMessage | null);
}

function parseWith<T>(
  schema: z.ZodType<T, z.ZodTypeDef, unknown>,
  text: string,
  who: string,
  fast?: (json: unknown) => T | null,
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_MESSAGE,
      `${who} message is not JSON: ${JSON.stringify(text.slice(0, 60))}`,
    );
  }
  const quick = fast?.(json);
  if (quick) return quick;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : '';
    const type =
      typeof json === 'object' && json !== null && typeof (json as { type?: unknown }).type === 'string'
        ? ` "${String((json as { type: string }).type).slice(0, 40)}"`
        : '';
    throw new ProtocolError(
      ErrorCode.PROTOCOL_BAD_MESSAGE,
      `invalid ${who} message${type}${where}: ${issue?.message ?? 'does not match the protocol'}`,
    );
  }
  return parsed.data;
}

/**
 * The request id of a message that failed to parse, so the error reply can
 * name the request it answers: the `rid` of a JSON object when it is a valid
 * one, else undefined.
 *
 * @param text - the text frame as received
 * @example
 * ```ts
 * ridOf('{"type":"upload","rid":7,"name":""}') // 7
 * ```
 */
export function ridOf(text: string): number | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const rid = typeof json === 'object' && json !== null ? (json as { rid?: unknown }).rid : undefined;
  return typeof rid === 'number' && Number.isInteger(rid) && rid >= 1 && rid <= MAX_RID ? rid : undefined;
}

/**
 * Serialise a message for sending.
 *
 * @param message - a server or client message
 */
export function encodeMessage(message: ServerMessage | ClientMessageInput): string {
  return JSON.stringify(message);
}
