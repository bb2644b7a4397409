/**
 * The original design's wire format, kept so that its clients work unchanged:
 * a connection that offers no subprotocol sends one text message — CSV text,
 * or pandas' `df.to_json()` (orient "columns": `{"col": {"0": v, …}, …}`) —
 * and gets the plain text reply `CSV file received and processed!`.
 */
import { CsvParseError, ErrorCode } from '../errors.js';

/**
 * Whether a legacy text message is meant as pandas JSON rather than CSV text:
 * it starts with `{` (no CSV header does in practice); its shape is checked
 * when it is parsed, by {@link pandasJSONToCSV}.
 *
 * @param text - the message
 */
export function looksLikePandasJSON(text: string): boolean {
  const start = text.search(/\S/);
  return start >= 0 && text[start] === '{';
}

/**
 * Rebuild pandas `to_json()` output (orient "columns") as CSV text, so that it
 * goes through the same lossless typing and header checks as any CSV. Row order
 * is the index order of the first column; a value missing from a column is null.
 *
 * @param text - the JSON text
 * @returns CSV text with a header line
 * @throws CsvParseError `CSVS_PARSE_BAD_JSON` when the text is not that shape
 * @example
 * ```ts
 * pandasJSONToCSV('{"id":{"0":1,"1":2},"name":{"0":"a","1":"b"}}') // 'id,name\n1,a\n2,b\n'
 * ```
 */
export function pandasJSONToCSV(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CsvParseError(
      ErrorCode.PARSE_BAD_JSON,
      `the message is neither CSV nor valid JSON: ${(err as Error).message}`,
      { line: 1 },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CsvParseError(ErrorCode.PARSE_BAD_JSON, 'expected pandas df.to_json() output: an object of columns', {
      line: 1,
    });
  }
  const columns = Object.entries(json as Record<string, unknown>);
  if (columns.length === 0)
    throw new CsvParseError(ErrorCode.PARSE_EMPTY, 'the JSON message has no columns', { line: 1 });
  const index: string[] = [];
  const seen = new Set<string>();
  for (const [name, col] of columns) {
    if (typeof col !== 'object' || col === null || Array.isArray(col)) {
      throw new CsvParseError(
        ErrorCode.PARSE_BAD_JSON,
        `column ${JSON.stringify(name)} is not an object of index → value (expected df.to_json() with orient "columns")`,
        { line: 1 },
      );
    }
    for (const key of Object.keys(col)) {
      if (!seen.has(key)) {
        seen.add(key);
        index.push(key);
      }
    }
  }
  const lines = [columns.map(([name]) => quote(name)).join(',')];
  for (const key of index) {
    lines.push(
      columns
        .map(([, col]) => {
          const has = Object.hasOwn(col as object, key);
          return has ? cell((col as Record<string, unknown>)[key]) : '';
        })
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return quote(value);
  return quote(JSON.stringify(value));
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
}
