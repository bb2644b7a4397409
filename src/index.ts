/**
 * csvsocket — CSV over WebSockets into TypeScript notebooks as arquero tables.
 * This file is the whole public surface; everything a user imports comes from
 * here (tslab resolves modules the Node10 way and ignores `exports` subpaths).
 */
// biome-ignore-all assist/source/organizeImports: exports are grouped by concept, not sorted

// the two ends; serve() is the notebook-aware one: the same server on a re-run
// cell, a status display, the port freed at kernel shutdown
export { ServeEnv, send, serve } from './notebook/serve.js';
export type { NotebookSendOptions } from './notebook/serve.js';
export { CsvServer, startServer } from './server/server.js';
export type { CsvServerEvents, ServeOptions } from './server/server.js';
export { CsvClient, connect, DEFAULT_URL } from './client/client.js';
export type { ConnectOptions, SendOptions, SendResult, Source } from './client/client.js';
export type { Dataset } from './server/datasets.js';
export { defaultLimits } from './protocol/limits.js';
export type { Limits } from './protocol/limits.js';

// live data: client.append(name, rows), client.subscribe(name), live() in a notebook
export { rowsToCSV, Subscription } from './client/subscription.js';
export type { AppendRows, LiveUpdate } from './client/subscription.js';
export { live } from './notebook/live.js';
export { runSensor } from './client/sensor.js';
export type { SensorOptions } from './client/sensor.js';
export type { LiveDisplay, LiveInfo, LiveOptions, LiveRender, LiveView, UntilOptions } from './notebook/live.js';

// notebook display: show, chart, status and progress displays
export type { ChannelDef, ChartResult, ChartSpec, RenderOptions } from './chart/chart.js';
export { renderChart } from './chart/chart.js';
export type { ChartFunction, ChartOptions, ShorthandOptions } from './notebook/chart.js';
export { chart } from './notebook/chart.js';
export type { ProgressDisplay, ServerStatus, StatusDisplay } from './notebook/status.js';
export { createProgressDisplay, createStatusDisplay } from './notebook/status.js';
export { escapeHTML } from './notebook/display.js';
export { isNotebook } from './notebook/kernel.js';
export type { ShowOptions } from './notebook/table.js';
export { describe, formatTable, show, tableToHTML } from './notebook/table.js';

// CSV, queries and Arrow, usable on their own
export { ColumnType, CsvParser, formatValue, parseCSV, toCSV, toCSVTable } from './csv/index.js';
export type { ColumnInfo, CsvOptions, ParsedCsv } from './csv/index.js';
export {
  Aggregate,
  FilterOp,
  parseFilterExpression,
  parseQuery,
  parseRollupExpression,
  parseSortExpression,
  runQuery,
} from './query/query.js';
export type { Filter, Query, QueryLimits, Rollup, Scalar, SortKey } from './query/query.js';
export { tableFromArrowIPC, tableToArrowIPC } from './arrow/ipc.js';

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
export { LEGACY_REPLY, PROTOCOL_VERSION, SUBPROTOCOL } from './protocol/messages.js';
export type { DatasetSummary } from './protocol/messages.js';

// held back: frame encoding, message schemas, the parse worker and the upload page are internal
