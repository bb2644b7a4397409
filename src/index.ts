/**
 * csvsocket — CSV over WebSockets into TypeScript notebooks as arquero tables.
 *
 * This file is the whole public surface, written by hand and grouped by
 * concept; everything a user imports comes from here (tslab resolves modules
 * the Node10 way and ignores `exports` subpaths). What is not exported here is
 * internal and may change in any release; internal members that public types
 * mention are tagged so that `stripInternal` keeps them out of the `.d.ts`.
 */
// biome-ignore-all assist/source/organizeImports: exports are grouped by concept, not sorted

// ── the server and its clients ──────────────────────────────────────────────
// serve() is the one way to start a server in a notebook (and fine anywhere):
// the same server again on a re-run cell, a status display, the port freed at
// kernel shutdown. startServer() starts a new, unshared server every call
// (scripts, tests, several servers in one process).
export { send, serve } from './notebook/serve.js';
export type { NotebookSendOptions } from './notebook/serve.js';
export { startServer } from './server/server.js';
export type { CsvServer, ServeOptions } from './server/server.js';
export { connect } from './client/client.js';
export type { ConnectOptions, CsvClient, ReconnectOptions, SendOptions, SendResult, Source } from './client/client.js';
export type { Dataset } from './server/datasets.js';
export { defaultLimits } from './protocol/limits.js';
export type { Limits } from './protocol/limits.js';

// ── live data: client.append(name, rows), client.subscribe(name), live() ────
export { rowsToCSV } from './client/subscription.js';
export type { AppendRows, LiveUpdate, Subscription } from './client/subscription.js';
export { live } from './notebook/live.js';
export { runSensor } from './client/sensor.js';
export type { SensorOptions } from './client/sensor.js';
export type { LiveOptions, LiveRender, LiveView } from './notebook/live.js';

// ── in a notebook: tables and charts ────────────────────────────────────────
export { describe, show } from './notebook/table.js';
export type { ShowOptions } from './notebook/table.js';
export { chart } from './notebook/chart.js';
export type { ChartOptions } from './notebook/chart.js';
export type { ChartSpec } from './chart/chart.js';

// ── CSV, queries and Arrow, usable on their own ─────────────────────────────
export { ColumnType, CsvParser, formatValue, parseCSV, toCSV, toCSVTable } from './csv/index.js';
export type { ColumnInfo, CsvOptions, ParsedCsv, TypeSpec } from './csv/index.js';
export {
  Aggregate,
  FilterOp,
  parseFilterExpression,
  parseQuery,
  parseRollupExpression,
  parseSortExpression,
  runQuery,
} from './query/index.js';
export type { Query } from './query/index.js';
export { tableFromArrowIPC, tableToArrowIPC } from './arrow/ipc.js';

// ── errors: one base class, a family of codes per subclass ──────────────────
export {
  ArgumentError,
  AuthError,
  ConnectionError,
  CsvParseError,
  CsvSocketError,
  ErrorCode,
  isCsvSocketError,
  LimitError,
  NotFoundError,
  ProtocolError,
  QueryError,
} from './errors.js';
export type { ErrorContext } from './errors.js';

// ── the wire protocol, for other implementations (docs/protocol.md) ─────────
export { LEGACY_REPLY, PROTOCOL_VERSION, SUBPROTOCOL } from './protocol/messages.js';
export type { DatasetSummary } from './protocol/messages.js';

// Held back: frame encoding and message schemas, the parse workers, the
// status and progress displays, HTML escaping, renderChart (chart() writes a
// file outside a notebook), and the query/CLI internals.
