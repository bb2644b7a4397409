/**
 * The streaming CSV scanner, on bytes.
 *
 *   bytes ─► UTF-8 check (isUtf8, up to the last complete sequence; drops the BOM)
 *        ─► scan complete rows (RFC 4180 + lone CR) on the bytes
 *        ─► each field's bytes ─► ColumnBuilder per column ─► end(): ParsedCsv
 *
 * No text is decoded on the way: delimiters, quotes and line breaks are ASCII,
 * so fields are found on the bytes; numbers, dates and booleans are read from
 * the bytes, and text is copied as UTF-8 (decoded only for `parseCSV`'s string
 * columns, once per column at the end). Rows are parsed transactionally: an
 * incomplete row at the end of the bytes seen so far is kept and parsed again
 * once at least as many new bytes have arrived (so total work stays linear
 * however the input is chunked). Nothing is allocated per row: field offsets
 * live in reused typed arrays, and each field goes straight to its column's
 * builder.
 */

import { isUtf8 } from 'node:buffer';
import { ArgumentError, CsvParseError, ErrorCode, LimitError } from '../errors.js';
import type { ColumnBuilder } from './column.js';
import { columnBuilders, noHeaderError, renameHeaders } from './headers.js';
import type { Utf8Column } from './layout.js';
import { readOptions } from './options.js';
import { blankLinesWarning } from './pieces.js';

import { jsonError, sniffStart } from './sniff.js';
import type { ColumnInfo, CsvOptions, ParsedCsv, TypeSpec } from './types.js';
import { completeUtf8Length, countLines, invalidUtf8Error, utf8Text } from './utf8.js';

const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const TAB = 9;
const F_QUOTED = 1;
const F_ESCAPED = 2;
/** a data field its builder has already read (ColumnBuilder.take) */
const F_TAKEN = 4;

const EMPTY_BYTES = new Uint8Array(0);

/**
 * `bytes` as a plain Uint8Array view: the scanner's loops then see one kind of
 * array (a Buffer is a subclass, which makes every access site polymorphic).
 */
function plain(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The parts one after the other, in a new plain Uint8Array. */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
/** the cause of an invalid-UTF-8 error, as a fatal TextDecoder would throw it */
const NOT_UTF8 = 'The encoded data was not valid for encoding utf-8';

/**
 * A streaming CSV parser: push byte chunks split anywhere (mid-field, mid-quote,
 * mid-CRLF, mid-UTF-8 sequence), then call `end()` for the typed columns.
 *
 * Reading rules: the first non-blank line is the header; fields follow RFC 4180
 * (quoted fields may hold delimiters, doubled quotes and newlines); LF, CRLF and
 * lone CR end lines; without `options.delimiter`, the header line decides
 * between `,` `;` tab and `|` (the most frequent outside quotes; `,` if none);
 * input that starts like JSON is refused (`CSVS_PARSE_BAD_JSON`); a BOM is dropped; an unquoted empty field is `null`, a quoted
 * empty field `""` is the empty string; a quote inside an unquoted field (`ab"c`)
 * is kept as text. A completely empty line is skipped (with a warning, unless it
 * is at the end) when the header has several columns, and is a `null` value when
 * it has one. Blank lines before the header are skipped. Line numbers count
 * physical lines from 1.
 *
 * @example
 * ```ts
 * const parser = new CsvParser({ maxRows: 1_000_000 })
 * for await (const chunk of fs.createReadStream('data.csv')) parser.push(chunk)
 * const { columns, values, rows } = parser.end()
 * ```
 */
export class CsvParser {
  private delim: number;
  /** no delimiter given: {@link sniffStart} picks it from the header line */
  private sniffing: boolean;
  private readonly maxColumns: number;
  private readonly maxFieldBytes: number;
  private readonly maxRows: number;
  private readonly types: Record<string, TypeSpec> | undefined;
  /** @internal the bytes after the last complete UTF-8 sequence pushed */
  protected carry: Uint8Array = EMPTY_BYTES;
  /** @internal bytes not scanned yet, owned (copies) */
  protected pending: Uint8Array[] = [];
  private pendingLen = 0;
  private waitFor = 1;
  /** @internal the bytes of the incomplete row at the end of the input so far, owned */
  protected tail: Uint8Array = EMPTY_BYTES;
  /** the scratch buffer an escaped field (`""` inside) is unescaped into */
  private scratch: Uint8Array = new Uint8Array(256);
  /** @internal */
  protected line = 1; // physical line where `tail` starts
  private openField = 0; // offset in the last scanned text of the field left incomplete
  private openFieldLine = 1;
  private textStarted = false;
  /** @internal */
  protected header: string[] | null = null;
  /** @internal */
  protected builders: ColumnBuilder[] = [];
  private ncols = 0;
  /** @internal */
  protected nrows = 0;
  /** @internal */
  protected nbytes = 0;
  /** @internal */
  protected lastRowLine = 0;
  /** @internal */
  protected readonly blankLines: number[] = [];
  /** @internal */
  protected readonly warnings: string[] = [];
  /** the header row's fields as they are found: start, end, flags and line of each, in turn */
  private readonly headerFields: number[] = [];
  private failure: unknown = undefined;
  /** @internal */
  protected done = false;
  private readonly utf8Strings: boolean;
  private readonly rowsHint: number;

  /**
   * @param options - types, delimiter and limits; see {@link CsvOptions}
   * @throws ArgumentError `CSVS_BAD_ARGUMENT` for a delimiter that is not one
   *   character (or is a quote or line break) or an unknown type name
   * @param internal - `utf8Strings`: string columns come back as
   *   {@link Utf8Column} (Arrow's layout) instead of arrays of strings; the
   *   parse workers use it (internal, not part of the public API); `rowsHint`:
   *   the expected count of rows, to size the column arrays once
   */
  constructor(options: CsvOptions = {}, internal: { utf8Strings?: boolean; rowsHint?: number } = {}) {
    this.utf8Strings = internal.utf8Strings === true;
    this.rowsHint = Math.max(0, Math.min(internal.rowsHint ?? 0, 1 << 24));
    const o = readOptions(options);
    this.sniffing = o.sniffing;
    this.delim = o.delim;
    this.maxColumns = o.maxColumns;
    this.maxFieldBytes = o.maxFieldBytes;
    this.maxRows = o.maxRows;
    this.types = o.types;
  }

  /** Bytes pushed so far (UTF-8 bytes for text given to {@link CsvParser.pushText}). */
  get bytes(): number {
    return this.nbytes;
  }

  /** Complete data rows parsed so far (not counting the header). */
  get rows(): number {
    return this.nrows;
  }

  /**
   * Add a chunk of UTF-8 bytes; complete rows are parsed at once.
   * @param chunk - any slice of the input
   * @throws CsvParseError (invalid UTF-8, ragged row, …) or LimitError
   * @example
   * ```ts
   * socket.on('message', (bytes) => parser.push(bytes))
   * ```
   */
  push(chunk: Uint8Array): void {
    this.check();
    // the chunk is checked up to its last complete UTF-8 sequence; the rest is
    // carried to the next chunk
    let bytes = chunk;
    const carry = this.carry;
    if (carry.length > 0) {
      bytes = concat([carry, chunk]);
    }
    const cut = completeUtf8Length(bytes);
    const complete = cut === bytes.length ? bytes : bytes.subarray(0, cut);
    if (!isUtf8(complete)) this.fail(this.utf8Error(bytes, carry.length, new TypeError(NOT_UTF8)));
    this.carry = cut === bytes.length ? EMPTY_BYTES : bytes.slice(cut);
    this.nbytes += chunk.byteLength;
    this.feed(this.dropBom(plain(complete)), bytes !== chunk);
  }

  /**
   * Add a chunk of already decoded text (a leading BOM is dropped).
   * @param text - any slice of the input
   * @throws like {@link CsvParser.push}
   * @example
   * ```ts
   * parser.pushText('a,b\n1,')
   * parser.pushText('2\n')
   * ```
   */
  pushText(text: string): void {
    this.check();
    const bytes = plain(Buffer.from(text, 'utf8'));
    this.nbytes += bytes.byteLength;
    this.feed(this.dropBom(bytes), true);
  }

  /**
   * Finish: parse the last row and build the columns.
   * @returns the typed columns, see {@link ParsedCsv}
   * @throws CsvParseError `CSVS_PARSE_EMPTY`, `CSVS_PARSE_UNTERMINATED_QUOTE`, … with the line
   * @example
   * ```ts
   * const { columns, values } = parser.end()
   * ```
   */
  end(): ParsedCsv {
    this.check();
    if (this.carry.length > 0) this.fail(this.utf8Error(this.carry, this.carry.length, undefined));
    try {
      this.process(true);
    } catch (err) {
      this.fail(err);
    }
    this.done = true;
    if (this.header === null) {
      throw noHeaderError();
    }
    const columns: ColumnInfo[] = [];
    const values: Array<ArrayLike<unknown>> = [];
    for (const b of this.builders) {
      const { info, values: v } = b.finish();
      columns.push(info);
      values.push(v);
    }
    const blank = blankLinesWarning(this.blankLines, this.lastRowLine);
    if (blank !== undefined) this.warnings.push(blank);
    return { columns, values, rows: this.nrows, warnings: this.warnings };
  }

  /** @internal */
  protected check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.done)
      throw new ArgumentError(ErrorCode.BAD_ARGUMENT, 'this CsvParser has ended; create a new one for another input');
  }

  /** @internal */
  protected fail(err: unknown): never {
    this.failure = err;
    throw err;
  }

  /**
   * The input's first character, if U+FEFF (EF BB BF), is its byte order mark:
   * dropped once. A chunk that is only the BOM starts the text, so a second
   * U+FEFF (the first header's own) is kept wherever the chunks are cut.
   */
  private dropBom(bytes: Uint8Array): Uint8Array {
    if (this.textStarted || bytes.length === 0) return bytes;
    this.textStarted = true;
    return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  }

  /**
   * @param owned - `bytes` is this parser's own (a copy), not a view of the
   *   caller's chunk, which it may reuse once `push` returns
   */
  private feed(bytes: Uint8Array, owned: boolean): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingLen += bytes.length;
    if (this.pendingLen >= this.waitFor) {
      try {
        this.process(false);
      } catch (err) {
        this.fail(err);
      }
    } else if (!owned) this.pending[this.pending.length - 1] = bytes.slice();
  }

  /** @internal */
  protected process(final: boolean): void {
    let buf = this.tail;
    if (this.tail.length > 0 && this.pending.length === 1 && this.header !== null) buf = this.bridge();
    else if (this.pending.length > 0) {
      // one buffer to scan: the chunk itself when nothing is left over from before
      if (buf.length === 0 && this.pending.length === 1) buf = this.pending[0] as Uint8Array;
      else {
        if (buf.length > 0) this.pending.unshift(buf);
        buf = concat(this.pending);
      }
      this.pending = [];
      this.pendingLen = 0;
    }
    this.openField = 0;
    if (this.header === null && !this.sniffStart(buf, final)) {
      this.tail = buf.slice();
      this.waitFor = Math.max(1, buf.length);
      return;
    }
    const consumed = this.scan(buf, final);
    // a copy: `buf` may be the caller's chunk
    this.tail = consumed === buf.length ? EMPTY_BYTES : buf.slice(consumed);
    this.waitFor = Math.max(1, this.tail.length);
    if (!final && this.tail.length > 0) {
      // the open field's raw text (its quotes, its quotes doubled) is at most twice
      // its value plus 2: only a field that cannot fit trips this early check, so a
      // chunked input fails exactly when a whole one does (the exact check is made
      // when the field ends); it bounds the memory an unclosed quote can take
      const open = this.tail.length - this.openField;
      if (open > 2 * this.maxFieldBytes + 2) {
        throw new LimitError('maxFieldBytes', {
          limit: this.maxFieldBytes,
          line: this.openFieldLine,
          subject: 'a field still not finished',
          hint: 'raise the limit or check for an unclosed quote',
        });
      }
    }
  }

  /**
   * The left-over row and one new chunk, without copying the chunk: the row is
   * finished on a copy of itself and the chunk's start, and what follows is
   * the chunk itself (a view), unless the row reaches past that start.
   * @returns what is left to scan
   */
  private bridge(): Uint8Array {
    const tail = this.tail;
    const chunk = this.pending[0] as Uint8Array;
    this.pending = [];
    this.pendingLen = 0;
    const k = Math.min(chunk.length, Math.max(1 << 16, 2 * tail.length));
    const head = concat([tail, chunk.subarray(0, k)]);
    if (k === chunk.length) return head;
    this.openField = 0;
    const used = this.scan(head, false);
    if (used >= tail.length) return chunk.subarray(used - tail.length);
    return concat([head.subarray(used), chunk.subarray(k)]);
  }

  /**
   * Before the header: pick the delimiter when none was given, and refuse JSON.
   * @returns false while the header line is incomplete
   */
  private sniffStart(buf: Uint8Array, final: boolean): boolean {
    const sniffed = sniffStart(buf, final);
    if (sniffed === null) return false;
    if (sniffed.json) throw jsonError(utf8Text(buf, 0, completeUtf8Length(buf.subarray(0, 400))));
    if (this.sniffing) {
      this.delim = sniffed.delimiter;
      this.sniffing = false;
    }
    return true;
  }

  /**
   * Parse every complete row of `buf`; returns how many of its bytes were
   * consumed. A data row's fields go to their builders as they are found; a
   * row that turns out incomplete (the input so far ends inside it) is taken
   * back from the builders and scanned again with more input.
   */
  private scan(buf: Uint8Array, final: boolean): number {
    const len = buf.length;
    const delim = this.delim;
    const maxField = this.maxFieldBytes;
    let pos = 0;
    let line = this.line;
    let consumed = 0;
    let consumedLine = line;
    let builders = this.builders;
    let ncols = this.ncols;
    rows: while (pos < len) {
      const rowLine = line;
      const rowStart = pos;
      let c = buf[pos] as number;
      const head = this.header === null;
      if (c === LF || c === CR || (head && this.isBlankLine(buf, pos))) {
        let next = pos;
        while (next < len) {
          c = buf[next] as number;
          if (c === LF || c === CR) break;
          next++;
        }
        if (next === len && !final) break;
        if (next < len && c === CR) {
          if (next + 1 === len && !final) break;
          if (next + 1 < len && buf[next + 1] === LF) next++;
        }
        pos = next + 1;
        line++;
        if (!head) {
          if (ncols === 1) {
            this.startRow(rowLine);
            (builders[0] as ColumnBuilder).addNull();
            this.nrows++;
            this.lastRowLine = rowLine;
          } else this.blankLines.push(rowLine);
        }
        consumed = pos;
        consumedLine = line;
        continue;
      }
      if (!head) this.startRow(rowLine);
      let nf = 0;
      for (;;) {
        const fieldLine = line;
        let s = pos;
        let e = pos;
        let f = 0;
        let rowEnds = false;
        if (pos === len) {
          if (!final) {
            this.rollBack(nf);
            this.openField = pos;
            this.openFieldLine = line;
            break rows;
          }
          rowEnds = true;
        } else if (c === QUOTE) {
          let p = pos + 1;
          let escaped = 0;
          let breaks = 0;
          let q: number;
          for (;;) {
            // to the next quote, counting the line breaks inside the field
            while (p < len) {
              const d = buf[p] as number;
              if (d === QUOTE) break;
              if (d === LF || (d === CR && (p + 1 === len || buf[p + 1] !== LF))) breaks++;
              p++;
            }
            q = p;
            if (q === len || (q + 1 === len && !final)) {
              if (!final) {
                this.rollBack(nf);
                this.openField = pos;
                this.openFieldLine = fieldLine;
                break rows;
              }
              throw new CsvParseError(
                ErrorCode.PARSE_UNTERMINATED_QUOTE,
                `line ${fieldLine}: the quote that opens field ${nf + 1} is never closed; end the field with " (and double any quote inside it as "")`,
                { line: fieldLine, column: nf + 1 },
              );
            }
            if (q + 1 < len && buf[q + 1] === QUOTE) {
              escaped = F_ESCAPED;
              p = q + 2;
              continue;
            }
            break;
          }
          line += breaks;
          s = pos + 1;
          e = q;
          f = F_QUOTED | escaped;
          pos = q + 1;
          if (pos === len) rowEnds = true;
          else {
            c = buf[pos] as number;
            if (c === delim) pos++;
            else if (c === LF || c === CR) rowEnds = true;
            else {
              throw new CsvParseError(
                ErrorCode.PARSE_QUOTE_IN_FIELD,
                `line ${line}: text follows the closing quote of field ${nf + 1} (${JSON.stringify(this.excerpt(buf, pos - 1))}); a quoted field must end at its closing quote — write a quote inside it as ""`,
                { line, column: nf + 1 },
              );
            }
          }
        } else {
          // a column of numbers or of text reads its field as it finds the field's end
          const end = head || nf >= ncols ? -1 : (builders[nf] as ColumnBuilder).take(buf, pos, len, delim);
          if (end >= 0) {
            if (end - pos > maxField) this.checkFieldSize(buf, pos, end, 0, nf, fieldLine);
            f = F_TAKEN;
            pos = end;
            c = buf[end] as number;
          } else {
            let p = pos;
            while (p < len) {
              c = buf[p] as number;
              if (c === delim || c === LF || c === CR) break;
              p++;
            }
            if (p === len && !final) {
              this.rollBack(nf);
              this.openField = pos;
              this.openFieldLine = line;
              break rows;
            }
            e = p;
            pos = p;
          }
          if (pos === len || c !== delim) rowEnds = true;
          else pos++;
        }
        if (head) this.headerField(nf, s, e, f, fieldLine);
        else if (nf < ncols && f !== F_TAKEN) {
          const b = builders[nf] as ColumnBuilder;
          if (e - s > maxField) this.checkFieldSize(buf, s, e, f, nf, fieldLine);
          if (f === 0) {
            if (s === e) b.addNull();
            else b.add(buf, s, e, fieldLine);
          } else if (f & F_ESCAPED) b.add(this.scratch, 0, this.unescape(buf, s, e), fieldLine);
          else b.add(buf, s, e, fieldLine);
        }
        nf++;
        if (!rowEnds) {
          c = pos < len ? (buf[pos] as number) : -1;
          continue;
        }
        // the row ends at pos: a line break (LF, CRLF or a lone CR), or the end of the input
        if (pos < len) {
          if (buf[pos] === CR) {
            if (pos + 1 === len && !final) {
              this.rollBack(nf);
              this.openField = rowStart;
              this.openFieldLine = rowLine;
              break rows;
            }
            if (pos + 1 < len && buf[pos + 1] === LF) pos++;
          }
          pos++;
          line++;
        }
        break;
      }
      if (head) {
        if (nf > this.maxColumns) {
          throw new LimitError('maxColumns', {
            size: nf,
            limit: this.maxColumns,
            line: rowLine,
            subject: 'the header',
            hint: 'raise the limit or check the delimiter',
          });
        }
        this.setHeader(buf, nf, rowLine);
        builders = this.builders;
        ncols = this.ncols;
      } else {
        if (nf !== ncols) {
          throw new CsvParseError(
            ErrorCode.PARSE_RAGGED_ROW,
            `line ${rowLine} has ${nf} field${nf === 1 ? '' : 's'}, the header has ${ncols}; every row needs ${ncols} (quote a field that contains ${JSON.stringify(String.fromCharCode(delim))} or a line break)`,
            { line: rowLine },
          );
        }
        this.nrows++;
        this.lastRowLine = rowLine;
      }
      consumed = pos;
      consumedLine = line;
    }
    this.line = consumedLine;
    this.openField -= consumed;
    return consumed;
  }

  /** Take back the first `nf` fields of an incomplete data row from their builders. */
  private rollBack(nf: number): void {
    if (this.header === null) return;
    for (let i = Math.min(nf, this.ncols) - 1; i >= 0; i--) (this.builders[i] as ColumnBuilder).pop();
  }

  /** Keep field `i` of the header row (until the row ends, see {@link setHeader}). */
  private headerField(i: number, s: number, e: number, f: number, line: number): void {
    // past maxColumns the row fails at its end: nothing more to keep
    if (i >= this.maxColumns) return;
    const fields = this.headerFields;
    fields[4 * i] = s;
    fields[4 * i + 1] = e;
    fields[4 * i + 2] = f;
    fields[4 * i + 3] = line;
  }

  /** About 10 characters of `buf` from `pos`, for an error message (whole UTF-8 sequences). */
  private excerpt(buf: Uint8Array, pos: number): string {
    let end = Math.min(buf.length, pos + 10);
    while (end < buf.length && ((buf[end] as number) & 0xc0) === 0x80) end++;
    return utf8Text(buf, pos, end);
  }

  private isBlankLine(buf: Uint8Array, pos: number): boolean {
    for (let i = pos; i < buf.length; i++) {
      const c = buf[i] as number;
      if (c === LF || c === CR) return true;
      if ((c !== SPACE && c !== TAB) || c === this.delim) return false;
    }
    return true;
  }

  private startRow(line: number): void {
    if (this.nrows >= this.maxRows) {
      throw new LimitError('maxRows', { limit: this.maxRows, line, hint: 'raise the limit or send a smaller file' });
    }
  }

  /** The quoted field `buf[s, e)`, unescaped (`""` → `"`) into the scratch buffer: its length there. */
  private unescape(buf: Uint8Array, s: number, e: number): number {
    if (this.scratch.length < e - s) this.scratch = new Uint8Array(Math.max(e - s, this.scratch.length * 2));
    const out = this.scratch;
    let n = 0;
    for (let k = s; k < e; k++) {
      const c = buf[k] as number;
      out[n++] = c;
      if (c === QUOTE) k++; // the second quote of a "" pair
    }
    return n;
  }

  /** The text of the field `buf[s, e)` with flags `f` (headers, errors). */
  private fieldText(buf: Uint8Array, s: number, e: number, f: number): string {
    if (f & F_ESCAPED) return utf8Text(this.scratch, 0, this.unescape(buf, s, e));
    return utf8Text(buf, s, e);
  }

  /** The field `buf[s, e)` (raw bytes, flags `f`) of column `i` must fit in maxFieldBytes. */
  private checkFieldSize(buf: Uint8Array, s: number, e: number, f: number, i: number, line: number): void {
    if (e - s <= this.maxFieldBytes) return;
    const bytes = f & F_ESCAPED ? this.unescape(buf, s, e) : e - s;
    if (bytes > this.maxFieldBytes) {
      throw new LimitError('maxFieldBytes', {
        size: bytes,
        limit: this.maxFieldBytes,
        line,
        column: i + 1,
        subject: `field ${i + 1}`,
      });
    }
  }

  private setHeader(buf: Uint8Array, nf: number, line: number): void {
    const raw: string[] = [];
    const fields = this.headerFields;
    for (let i = 0; i < nf; i++) {
      const s = fields[4 * i] as number;
      const e = fields[4 * i + 1] as number;
      const f = fields[4 * i + 2] as number;
      this.checkFieldSize(buf, s, e, f, i, fields[4 * i + 3] as number);
      raw.push(this.fieldText(buf, s, e, f));
    }
    const named = renameHeaders(raw, this.warnings);
    this.builders = columnBuilders(named, this.types, line, this.utf8Strings, this.rowsHint);
    this.header = raw;
    this.ncols = nf;
  }

  /**
   * Build the error for undecodable bytes, with the line they are on.
   * @param bytes - the carried bytes of the previous chunk followed by the new chunk
   * @param carried - how many of `bytes` were carried (already counted in `nbytes`)
   */
  /** @internal */
  protected utf8Error(bytes: Uint8Array, carried: number, cause: unknown): CsvParseError {
    const line = this.line + countLines(this.tail) + this.pending.reduce((n, t) => n + countLines(t), 0);
    return invalidUtf8Error(bytes, carried, this.nbytes, line, cause);
  }
}

/**
 * Parse a whole CSV at once (the same scanner as {@link CsvParser}).
 *
 * @param input - CSV text, or UTF-8 bytes
 * @param options - types, delimiter and limits; see {@link CsvOptions}
 * @returns the typed columns, see {@link ParsedCsv}
 * @throws CsvParseError with `code` and `line`, or LimitError
 * @example
 * ```ts
 * const { columns, values } = parseCSV('zip,n\n00501,1\n')
 * // zip stays a string column ('00501'), n is an integer column
 * ```
 */
export function parseCSV(input: string | Uint8Array, options?: CsvOptions): ParsedCsv {
  const parser = new CsvParser(options);
  if (typeof input === 'string') parser.pushText(input);
  else parser.push(input);
  return parser.end();
}
