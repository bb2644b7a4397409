/**
 * How a cell's values print in a notebook, and only there.
 *
 * tslab prints a cell's last value with `console.log(value)` and a failed cell's
 * error with `console.error(err)` (tslab/dist/executor.js), both through Node's
 * `util.inspect`. Inside a kernel, and only there, this module gives
 *
 *   an arquero table    ── the table show() draws (a display), instead of `ColumnTable { _data: … }`
 *   a csvsocket error   ── `CSVS_CODE: message` and a hint, instead of a stack through ws and
 *                          tslab and `{ code, line: undefined, … }`; `err.stack` keeps the full trace
 *
 * Outside a notebook arquero and the errors print exactly as Node prints them.
 */
import { inspect } from 'node:util';
import { ColumnTable } from 'arquero';
import { CsvSocketError, ErrorCode } from '../errors.js';
import { processState } from '../state.js';
import { DisplayHandle } from './display.js';
import { isNotebook, quietValue } from './kernel.js';
import { formatTable, tableBundle } from './table.js';

declare module '../state.js' {
  interface ProcessState {
    /** prototypes given a notebook inspect, so each is patched once */
    notebookInspect: WeakSet<object>;
    /** errors the kernel printed already (an awaited failure), so none is printed twice */
    reportedErrors: WeakSet<object>;
  }
}

/** What to try next, by error code; the message already says what went wrong. */
const hints: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.ADDRESS_IN_USE]: 'serve({ port: 0 }) picks a free port; or close the other server (server.close()).',
  [ErrorCode.CONNECT_REFUSED]: 'is the server running? In a notebook, run `await serve()` first.',
  [ErrorCode.CONNECT_FAILED]: 'check the URL, including its ?token=…; `server.url` has the full one.',
  [ErrorCode.CONNECTION_CLOSED]: 'the server closed or restarted; run the cell again.',
  [ErrorCode.AUTH_REQUIRED]: 'use the whole URL with its ?token=… (server.url).',
  [ErrorCode.NOT_FOUND]: 'fs.readdirSync(".") lists the files in the folder a relative path starts from.',
  [ErrorCode.PARSE_RAGGED_ROW]: 'a row has more or fewer fields than the header: look at that line in the file.',
  [ErrorCode.PARSE_UNTERMINATED_QUOTE]: 'a quote opens a field and never closes: look at that line in the file.',
  [ErrorCode.QUERY_UNKNOWN_COLUMN]: 'table.columnNames() lists the columns.',
  [ErrorCode.QUERY_UNKNOWN_DATASET]: 'server.list() lists the datasets.',
  [ErrorCode.TIMEOUT]: 'the data did not arrive in time; raise `timeout` or check the sender.',
};

/**
 * A csvsocket error as a student reads it: `CSVS_CODE: message`, a hint when
 * there is one, and where the full stack is.
 * @internal
 */
export function errorText(err: CsvSocketError): string {
  const hint = hints[err.code];
  const where = [
    err.line === undefined ? '' : `line ${err.line}`,
    err.column === undefined ? '' : `field ${err.column}`,
  ]
    .filter(Boolean)
    .join(', ');
  return [
    `${err.code}: ${err.message}${where && !err.message.includes(`line ${err.line}`) ? ` (${where})` : ''}`,
    ...(hint ? [`hint: ${hint}`] : []),
    '(err.stack has the full trace)',
  ].join('\n');
}

/**
 * Gives arquero tables and csvsocket errors their notebook inspect, once per
 * process; does nothing outside a notebook.
 * @internal
 */
export function installNotebookInspect(): boolean {
  if (!isNotebook()) return false;
  const done = processState('notebookInspect', () => new WeakSet());
  const tableProto = ColumnTable.prototype as unknown as Record<symbol, unknown>;
  if (!done.has(tableProto)) {
    done.add(tableProto);
    Object.defineProperty(tableProto, inspect.custom, {
      configurable: true,
      writable: true,
      value: function (this: ColumnTable, depth: number, options: { depth?: number | null }) {
        // nested in another value (an array of tables, an object), a one-line summary
        if (options.depth !== null && options.depth !== undefined && depth < options.depth) {
          return `ColumnTable (${this.numRows()} rows × ${this.numCols()} columns)`;
        }
        // the cell's last value (or console.log(table)): the table show() draws
        return new DisplayHandle().show(tableBundle(this)) ? quietValue() : formatTable(this);
      },
    });
  }
  const errorProto = CsvSocketError.prototype as unknown as Record<symbol, unknown>;
  if (!done.has(errorProto)) {
    done.add(errorProto);
    Object.defineProperty(errorProto, inspect.custom, {
      configurable: true,
      writable: true,
      value: function (this: CsvSocketError) {
        noteReported(this);
        return errorText(this);
      },
    });
  }
  return true;
}

const reported = () => processState('reportedErrors', () => new WeakSet());

function noteReported(err: object): void {
  reported().add(err);
}

/**
 * Whether the kernel printed this error already (a failed `await` in a cell).
 * @internal
 */
export function wasReported(err: unknown): boolean {
  return typeof err === 'object' && err !== null && reported().has(err);
}
