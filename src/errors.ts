/**
 * Every failure csvsocket reports carries a stable string `code`. The codes are
 * part of the public interface: the README lists each one, the wire protocol
 * sends them in `error` messages, and callers branch on them with
 * {@link isCsvSocketError} (an `instanceof` check fails when two copies of the
 * package are loaded, as happens in notebooks).
 */

/** All error codes, grouped by the subclass that raises them. */
export const ErrorCode = {
  // parse (CsvParseError)
  PARSE_EMPTY: 'CSVS_PARSE_EMPTY',
  PARSE_UNTERMINATED_QUOTE: 'CSVS_PARSE_UNTERMINATED_QUOTE',
  PARSE_RAGGED_ROW: 'CSVS_PARSE_RAGGED_ROW',
  PARSE_INVALID_UTF8: 'CSVS_PARSE_INVALID_UTF8',
  PARSE_QUOTE_IN_FIELD: 'CSVS_PARSE_QUOTE_IN_FIELD',
  PARSE_BAD_TYPE: 'CSVS_PARSE_BAD_TYPE',
  PARSE_BAD_JSON: 'CSVS_PARSE_BAD_JSON',
  // protocol (ProtocolError)
  PROTOCOL_BAD_MESSAGE: 'CSVS_PROTOCOL_BAD_MESSAGE',
  PROTOCOL_UNKNOWN_UPLOAD: 'CSVS_PROTOCOL_UNKNOWN_UPLOAD',
  PROTOCOL_BAD_OFFSET: 'CSVS_PROTOCOL_BAD_OFFSET',
  PROTOCOL_VERSION: 'CSVS_PROTOCOL_VERSION',
  PROTOCOL_WINDOW: 'CSVS_PROTOCOL_WINDOW',
  PROTOCOL_BAD_ARROW: 'CSVS_PROTOCOL_BAD_ARROW',
  // connection (ConnectionError)
  CONNECT_REFUSED: 'CSVS_CONNECT_REFUSED',
  CONNECT_FAILED: 'CSVS_CONNECT_FAILED',
  CONNECTION_CLOSED: 'CSVS_CONNECTION_CLOSED',
  TIMEOUT: 'CSVS_TIMEOUT',
  ADDRESS_IN_USE: 'CSVS_ADDRESS_IN_USE',
  // auth (AuthError)
  AUTH_REQUIRED: 'CSVS_AUTH_REQUIRED',
  AUTH_FORBIDDEN_ORIGIN: 'CSVS_AUTH_FORBIDDEN_ORIGIN',
  AUTH_FORBIDDEN_HOST: 'CSVS_AUTH_FORBIDDEN_HOST',
  AUTH_NOT_OWNER: 'CSVS_AUTH_NOT_OWNER',
  AUTH_UNSAFE_CONFIG: 'CSVS_AUTH_UNSAFE_CONFIG',
  // query (QueryError)
  QUERY_INVALID: 'CSVS_QUERY_INVALID',
  QUERY_UNKNOWN_COLUMN: 'CSVS_QUERY_UNKNOWN_COLUMN',
  QUERY_UNKNOWN_DATASET: 'CSVS_QUERY_UNKNOWN_DATASET',
  QUERY_TOO_COMPLEX: 'CSVS_QUERY_TOO_COMPLEX',
  QUERY_TIMEOUT: 'CSVS_QUERY_TIMEOUT',
  // limits (LimitError)
  LIMIT_FRAME_SIZE: 'CSVS_LIMIT_FRAME_SIZE',
  LIMIT_UPLOAD_SIZE: 'CSVS_LIMIT_UPLOAD_SIZE',
  LIMIT_COLUMNS: 'CSVS_LIMIT_COLUMNS',
  LIMIT_FIELD_SIZE: 'CSVS_LIMIT_FIELD_SIZE',
  LIMIT_CONNECTIONS: 'CSVS_LIMIT_CONNECTIONS',
  LIMIT_UPLOADS: 'CSVS_LIMIT_UPLOADS',
  LIMIT_ROWS: 'CSVS_LIMIT_ROWS',
  LIMIT_QUERIES: 'CSVS_LIMIT_QUERIES',
  // arguments and everything else
  BAD_ARGUMENT: 'CSVS_BAD_ARGUMENT',
  NOT_FOUND: 'CSVS_NOT_FOUND',
  INTERNAL: 'CSVS_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const knownCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Context an error may carry; every field is optional. */
export interface ErrorContext {
  /** 1-based line of the CSV input where the problem was found. */
  line?: number | undefined;
  /** 1-based column (field index) of the CSV input. */
  column?: number | undefined;
  /** The limit that was exceeded, in its own unit. */
  limit?: number | undefined;
  /** The dataset involved. */
  dataset?: string | undefined;
  /** The upload id involved. */
  upload?: string | undefined;
}

/**
 * Base class of every csvsocket error.
 *
 * @example
 * ```ts
 * try { await client.send('bad.csv') }
 * catch (e) { if (isCsvSocketError(e)) console.error(e.code, e.line) }
 * ```
 */
export class CsvSocketError extends Error {
  override name = 'CsvSocketError';
  /** Stable machine-readable code such as `CSVS_PARSE_RAGGED_ROW`. */
  readonly code: ErrorCode;
  /** 1-based line in the CSV input, when the error concerns one. */
  declare readonly line?: number;
  /** 1-based field index, when the error concerns one. */
  declare readonly column?: number;
  /** The limit that was exceeded. */
  declare readonly limit?: number;
  /** The dataset involved. */
  declare readonly dataset?: string;
  /** The upload id involved. */
  declare readonly upload?: string;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    if (context.line !== undefined) this.line = context.line;
    if (context.column !== undefined) this.column = context.column;
    if (context.limit !== undefined) this.limit = context.limit;
    if (context.dataset !== undefined) this.dataset = context.dataset;
    if (context.upload !== undefined) this.upload = context.upload;
  }

  /** The context fields, as sent on the wire. */
  context(): ErrorContext {
    const out: ErrorContext = {};
    if (this.line !== undefined) out.line = this.line;
    if (this.column !== undefined) out.column = this.column;
    if (this.limit !== undefined) out.limit = this.limit;
    if (this.dataset !== undefined) out.dataset = this.dataset;
    if (this.upload !== undefined) out.upload = this.upload;
    return out;
  }
}

/** The codes of one family: those that start with `prefix`. */
type Family<P extends string> = Extract<ErrorCode, `${P}${string}`>;

/** A csvsocket error whose code is one of `C`: each subclass below names its family. */
abstract class FamilyError<C extends ErrorCode> extends CsvSocketError {
  declare readonly code: C;
  constructor(code: C, message: string, context?: ErrorContext, options?: { cause?: unknown }) {
    super(code, message, context, options);
  }
}

/** Malformed CSV (or JSON) input. Carries `line` (and `column` where known). */
export class CsvParseError extends FamilyError<Family<'CSVS_PARSE_'>> {
  override name = 'CsvParseError' as const;
}

/** A message that breaks the wire protocol. */
export class ProtocolError extends FamilyError<Family<'CSVS_PROTOCOL_'>> {
  override name = 'ProtocolError' as const;
}

/** Refused, dropped or timed-out connections, and a port already in use. */
export class ConnectionError extends FamilyError<
  Family<'CSVS_CONNECT'> | typeof ErrorCode.TIMEOUT | typeof ErrorCode.ADDRESS_IN_USE
> {
  override name = 'ConnectionError' as const;
}

/** Missing or wrong token, foreign Origin or Host, or an unsafe configuration. */
export class AuthError extends FamilyError<Family<'CSVS_AUTH_'>> {
  override name = 'AuthError' as const;
}

/** A query that is malformed, names unknown columns, or is too large. */
export class QueryError extends FamilyError<Family<'CSVS_QUERY_'>> {
  override name = 'QueryError' as const;
}

/**
 * Each configurable limit (the {@link Limits} field a user raises) with the code
 * it raises and how its message reads. Limits not in {@link Limits} (a
 * connection's frames, a client's own caps) use the same names.
 */
const limitFacts = {
  maxFrameBytes: { code: ErrorCode.LIMIT_FRAME_SIZE, what: 'a message', unit: 'bytes' },
  maxUploadBytes: { code: ErrorCode.LIMIT_UPLOAD_SIZE, what: 'the upload', unit: 'bytes' },
  maxColumns: { code: ErrorCode.LIMIT_COLUMNS, what: 'the header', unit: 'columns' },
  maxFieldBytes: { code: ErrorCode.LIMIT_FIELD_SIZE, what: 'a field', unit: 'bytes' },
  maxConnections: { code: ErrorCode.LIMIT_CONNECTIONS, what: 'the server', unit: 'connections' },
  maxUploadsPerClient: { code: ErrorCode.LIMIT_UPLOADS, what: 'this connection', unit: 'uploads at once' },
  maxRows: { code: ErrorCode.LIMIT_ROWS, what: 'the data', unit: 'rows' },
  maxQueryRows: { code: ErrorCode.LIMIT_ROWS, what: 'the result', unit: 'rows' },
  maxQueriesPerClient: { code: ErrorCode.LIMIT_QUERIES, what: 'this connection', unit: 'queries running or waiting' },
} as const;

/** The name of a limit a {@link LimitError} can report. */
export type LimitName = keyof typeof limitFacts;

/** The facts of an exceeded limit; the error builds its message from them. */
export interface LimitFacts extends ErrorContext {
  /** the limit's value */
  limit: number;
  /** how much was asked for or seen, in the limit's unit, when known */
  size?: number | undefined;
  /** what to do about it, when raising the limit is not the whole answer */
  hint?: string | undefined;
  /** what went past the limit, when more precise than the limit's own word (`the "query" message`) */
  subject?: string | undefined;
}

/**
 * A configured limit was exceeded. Carries `limit`, and `limitName` when
 * built from facts.
 *
 * @example
 * ```ts
 * new LimitError('maxUploadBytes', { size: 3_000_000, limit: 1_000_000 })
 * // CSVS_LIMIT_UPLOAD_SIZE: the upload has 3000000 bytes, more than maxUploadBytes (1000000); raise the limit
 * ```
 */
export class LimitError extends CsvSocketError {
  override name = 'LimitError' as const;
  /** The exceeded limit's name, such as `maxUploadBytes`. */
  declare readonly limitName?: LimitName;

  constructor(limit: LimitName, facts: LimitFacts, options?: { cause?: unknown });
  constructor(code: Family<'CSVS_LIMIT_'>, message: string, context?: ErrorContext, options?: { cause?: unknown });
  constructor(
    first: LimitName | Family<'CSVS_LIMIT_'>,
    second: LimitFacts | string,
    third?: ErrorContext | { cause?: unknown },
    fourth?: { cause?: unknown },
  ) {
    if (typeof second === 'string') {
      super(first as Family<'CSVS_LIMIT_'>, second, third as ErrorContext | undefined, fourth);
      return;
    }
    const facts = limitFacts[first as LimitName];
    const { limit, size, hint, subject = facts.what, ...context } = second;
    const at = context.line === undefined ? '' : `line ${context.line}: `;
    const seen = size === undefined ? `${subject} is past` : `${subject} has ${size} ${facts.unit}, more than`;
    super(
      facts.code,
      `${at}${seen} ${first} (${limit}); ${hint ?? 'raise the limit'}`,
      { ...context, limit },
      third as { cause?: unknown } | undefined,
    );
    this.limitName = first as LimitName;
  }
}

/** A bad argument to a public function; thrown synchronously. */
export class ArgumentError extends FamilyError<typeof ErrorCode.BAD_ARGUMENT> {
  override name = 'ArgumentError' as const;
}

/** A file (or other named thing outside the server) that does not exist. */
export class NotFoundError extends FamilyError<typeof ErrorCode.NOT_FOUND> {
  override name = 'NotFoundError' as const;
}

/**
 * Whether `value` is a csvsocket error, optionally with a given code. Works
 * across two copies of the package, unlike `instanceof`.
 *
 * @param value - anything caught
 * @param code - the code to match, if any
 * @returns true when `value` has a known csvsocket `code` (equal to `code` if given)
 * @example
 * ```ts
 * if (isCsvSocketError(err, 'CSVS_AUTH_REQUIRED')) console.error('wrong token')
 * ```
 */
export function isCsvSocketError(value: unknown, code?: ErrorCode): value is CsvSocketError {
  if (typeof value !== 'object' || value === null) return false;
  const c = (value as { code?: unknown }).code;
  if (typeof c !== 'string' || !knownCodes.has(c)) return false;
  return code === undefined || c === code;
}

// biome-ignore lint/suspicious/noExplicitAny: each class takes the codes of its own family
const classByPrefix: Array<[string, new (code: any, message: string, context?: ErrorContext) => CsvSocketError]> = [
  ['CSVS_PARSE_', CsvParseError],
  ['CSVS_PROTOCOL_', ProtocolError],
  ['CSVS_CONNECT', ConnectionError],
  ['CSVS_TIMEOUT', ConnectionError],
  ['CSVS_ADDRESS', ConnectionError],
  ['CSVS_AUTH_', AuthError],
  ['CSVS_QUERY_', QueryError],
  ['CSVS_LIMIT_', LimitError],
  ['CSVS_BAD_ARGUMENT', ArgumentError],
  ['CSVS_NOT_FOUND', NotFoundError],
];

/**
 * Rebuild an error received on the wire as an instance of the right subclass,
 * so a client rejects with the same class the server raised.
 *
 * @param code - the code from the wire (an unknown code becomes `CSVS_INTERNAL`)
 * @param message - the message from the wire
 * @param context - line, column, limit, dataset, upload
 */
export function errorFromWire(code: string, message: string, context: ErrorContext = {}): CsvSocketError {
  const known = knownCodes.has(code) ? (code as ErrorCode) : ErrorCode.INTERNAL;
  const Ctor = classByPrefix.find(([prefix]) => known.startsWith(prefix))?.[1] ?? CsvSocketError;
  return new Ctor(known, message, context);
}

/**
 * Wrap anything thrown into a csvsocket error, keeping csvsocket errors as they are.
 *
 * @param err - what was caught
 * @param code - the code for errors that are not csvsocket errors
 */
export function toCsvSocketError(err: unknown, code: ErrorCode = ErrorCode.INTERNAL): CsvSocketError {
  if (err instanceof CsvSocketError) return err;
  if (isCsvSocketError(err)) return errorFromWire(err.code, err.message, err.context?.() ?? {});
  const message = err instanceof Error ? err.message : String(err);
  return new CsvSocketError(code, message, {}, { cause: err });
}
