/**
 * csvsocket — CSV over WebSockets into TypeScript notebooks as arquero tables.
 * This file is the whole public surface; everything a user imports comes from
 * here (tslab resolves modules the Node10 way and ignores `exports` subpaths).
 */
// biome-ignore-all assist/source/organizeImports: exports are grouped by concept, not sorted

// the two ends; serve() is the notebook-aware one: the same server on a re-run
// cell, a status display, the port freed at kernel shutdown
export { ServeEnv, send, serve } from './shorthand.js';
export type { NotebookSendOptions } from './shorthand.js';
export { CsvServer, startServer } from './server.js';
export type { CsvServerEvents, ServeOptions } from './server.js';
export { CsvClient, connect, DEFAULT_URL } from './client.js';
export type { ConnectOptions, SendOptions, SendResult, Source } from './client.js';
export type { Dataset } from './datasets.js';
export { defaultLimits } from './limits.js';
export type { Limits } from './limits.js';

// live data: client.append(name, rows), client.subscribe(name), live() in a notebook
export { rowsToCSV, Subscription } from './live.js';
export type { AppendRows, LiveUpdate } from './live.js';
export { live } from './notebook-live.js';
export type { LiveDisplay, LiveInfo, LiveOptions, LiveRender, LiveView, UntilOptions } from './notebook-live.js';

// notebook display: show, chart, status and progress displays
export * from './notebook-exports.js';

// CSV, queries and Arrow, usable on their own
export { ColumnType, CsvParser, formatValue, parseCSV, toCSV, toCSVTable } from './csv.js';
export type { ColumnInfo, CsvOptions, ParsedCsv } from './csv.js';
export {
  Aggregate,
  FilterOp,
  parseFilterExpression,
  parseQuery,
  parseRollupExpression,
  parseSortExpression,
  runQuery,
} from './query.js';
export type { Filter, Query, QueryLimits, Rollup, Scalar, SortKey } from './query.js';
export { tableFromArrowIPC, tableToArrowIPC } from './arrow.js';

// errors
export {
  ArgumentError,
  AuthError,
  ConnectionError,
  CsvParseError,
  CsvSocketError,
  ErrorCode,
  isCsvSocketError,
  LimitError,
  ProtocolError,
  QueryError,
} from './errors.js';
export type { ErrorContext } from './errors.js';

// the wire protocol, for other implementations (see docs/protocol.md)
export { LEGACY_REPLY, PROTOCOL_VERSION, SUBPROTOCOL } from './protocol.js';
export type { DatasetSummary } from './protocol.js';

// held back: frame encoding, message schemas, the parse worker and the upload page are internal
