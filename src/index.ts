/**
 * csvsocket — CSV over WebSockets into TypeScript notebooks as arquero tables.
 * This file is the whole public surface; everything a user imports comes from
 * here (tslab resolves modules the Node10 way and ignores `exports` subpaths).
 */

// the two ends
export { startServer, CsvServer } from './server.js';
export type { ServeOptions, CsvServerEvents } from './server.js';
export { connect, CsvClient, DEFAULT_URL } from './client.js';
export type { ConnectOptions, SendOptions, SendResult, Source } from './client.js';
// live data: client.append(name, rows), client.subscribe(name)
export { Subscription, rowsToCSV } from './live.js';
export type { AppendRows, LiveUpdate } from './live.js';
export type { Dataset } from './datasets.js';
export { defaultLimits } from './limits.js';
export type { Limits } from './limits.js';

// notebook helpers: send, show, chart, status displays
export * from './notebook-exports.js';
// serve() is the notebook-aware one: same server on a re-run cell, status display, port freed at kernel shutdown
export { serve, send, ServeEnv } from './shorthand.js';
export type { NotebookSendOptions } from './shorthand.js';
export { live } from './notebook-live.js';
export type { LiveDisplay, LiveInfo, LiveOptions, LiveRender, LiveView, UntilOptions } from './notebook-live.js';

// CSV, queries and Arrow, usable on their own
export { parseCSV, CsvParser, formatValue, toCSV, toCSVTable, ColumnType } from './csv.js';
export type { ColumnInfo, CsvOptions, ParsedCsv } from './csv.js';
export { parseQuery, runQuery, parseFilterExpression, parseSortExpression, parseRollupExpression, Aggregate, FilterOp } from './query.js';
export type { Query, Filter, SortKey, Rollup, Scalar, QueryLimits } from './query.js';
export { tableToArrowIPC, tableFromArrowIPC } from './arrow.js';

// errors
export {
  ErrorCode,
  CsvSocketError,
  CsvParseError,
  ProtocolError,
  ConnectionError,
  AuthError,
  QueryError,
  LimitError,
  ArgumentError,
  isCsvSocketError,
} from './errors.js';
export type { ErrorContext } from './errors.js';

// the wire protocol, for other implementations (see docs/protocol.md)
export { PROTOCOL_VERSION, SUBPROTOCOL, LEGACY_REPLY } from './protocol.js';
export type { DatasetSummary } from './protocol.js';
// held back: frame encoding, message schemas and the parse worker are internal
