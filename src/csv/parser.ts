/**
 * The streaming CSV scanner.
 *
 *   bytes ─► TextDecoder (fatal, streaming; strips the BOM) ─► pending text
 *        ─► scan complete rows (RFC 4180 + lone CR) ─► ColumnBuilder per column
 *        ─► end(): ParsedCsv
 *
 * Rows are parsed transactionally: an incomplete row at the end of the text seen
 * so far is kept and parsed again once at least as much new text has arrived
 * (so total work stays linear however the input is chunked). Nothing is
 * allocated per row: field offsets live in reused typed arrays, and each field
 * goes straight to its column's builder.
 */

import { ArgumentError, CsvParseError, ErrorCode, LimitError } from '../errors.js';
import { ColumnBuilder } from './column.js';
import { compileDateFormat } from './dateformat.js';
import { renameHeaders } from './headers.js';
import type { ArrowColumn, Utf8Column } from './layout.js';
import type { ColumnDecision, ColumnStats } from './merge.js';
import { sniffStart } from './sniff.js';
import { type ColumnInfo, ColumnType, type CsvOptions, type ParsedCsv, type TypeSpec } from './types.js';

const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const TAB = 9;
const F_QUOTED = 1;
const F_ESCAPED = 2;

const DEFAULT_MAX_COLUMNS = 10_000;
const DEFAULT_MAX_FIELD_BYTES = 16 * 1024 * 1024;
const EMPTY_BYTES = new Uint8Array(0);
const TYPE_NAMES: ReadonlySet<string> = new Set(Object.values(ColumnType));

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
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private carry: Uint8Array = EMPTY_BYTES;
  private pending: string[] = [];
  private pendingLen = 0;
  private waitFor = 1;
  private tail = '';
  private line = 1; // physical line where `tail` starts
  private openField = 0; // offset in the last scanned text of the field left incomplete
  private openFieldLine = 1;
  private textStarted = false;
  private header: string[] | null = null;
  private builders: ColumnBuilder[] = [];
  private ncols = 0;
  private nrows = 0;
  private nbytes = 0;
  private lastRowLine = 0;
  private readonly blankLines: number[] = [];
  private readonly warnings: string[] = [];
  private starts: Int32Array;
  private ends: Int32Array;
  private flags: Uint8Array;
  private lines: Int32Array;
  private failure: unknown = undefined;
  private done = false;
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
    this.sniffing = options.delimiter === undefined;
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new ArgumentError(
        ErrorCode.BAD_ARGUMENT,
        `delimiter ${JSON.stringify(delimiter)} is not allowed; use one character other than a quote or line break, such as "," or "\\t"`,
      );
    }
    this.delim = delimiter.charCodeAt(0);
    this.maxColumns = options.maxColumns ?? DEFAULT_MAX_COLUMNS;
    this.maxFieldBytes = options.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
    this.maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
    for (const [key, value] of [
      ['maxColumns', this.maxColumns],
      ['maxFieldBytes', this.maxFieldBytes],
      ['maxRows', this.maxRows],
    ] as const) {
      if (!(value >= 0))
        throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `options.${key} is ${value}; use a number ≥ 0`);
    }
    if (options.types !== undefined) {
      for (const key of Object.keys(options.types)) {
        const t = options.types[key];
        if (typeof t === 'string' && t.startsWith('date:')) compileDateFormat(t.slice(5));
        else if (typeof t !== 'string' || !TYPE_NAMES.has(t)) {
          throw new ArgumentError(
            ErrorCode.BAD_ARGUMENT,
            `options.types[${JSON.stringify(key)}] is ${JSON.stringify(t)}; use one of ${[...TYPE_NAMES].join(', ')}, or a date format such as "date:%b %d %Y"`,
          );
        }
      }
      this.types = options.types;
    }
    const cap = Math.min(this.maxColumns, DEFAULT_MAX_COLUMNS) + 1;
    this.starts = new Int32Array(cap);
    this.ends = new Int32Array(cap);
    this.flags = new Uint8Array(cap);
    this.lines = new Int32Array(cap);
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
    // A streaming TextDecoder is ~4x slower than a one-shot fatal decode here, so
    // cut each chunk after its last complete UTF-8 sequence and carry the rest.
    let bytes = chunk;
    const carry = this.carry;
    if (carry.length > 0) {
      bytes = new Uint8Array(carry.length + chunk.length);
      bytes.set(carry);
      bytes.set(chunk, carry.length);
    }
    const cut = completeUtf8Length(bytes);
    let text: string;
    try {
      text = this.decoder.decode(cut === bytes.length ? bytes : bytes.subarray(0, cut));
    } catch (err) {
      this.fail(this.utf8Error(bytes, carry.length, err));
    }
    this.carry = cut === bytes.length ? EMPTY_BYTES : bytes.slice(cut);
    this.nbytes += chunk.byteLength;
    this.feed(this.dropBom(text));
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
    this.nbytes += Buffer.byteLength(text, 'utf8');
    this.feed(this.dropBom(text));
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
      throw new CsvParseError(
        ErrorCode.PARSE_EMPTY,
        'the input has no header line (it is empty, only a BOM, or only blank lines); a CSV needs at least a header such as "a,b"',
        { line: 1 },
      );
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

  /**
   * @internal parallel parsing: the input so far was the header (and any
   * blank lines and BOM before it), taken from the start of the file; what
   * follows is a piece of the file starting at a row boundary at byte
   * `byteOffset`. Lines are counted from 1 again, relative to the piece.
   */
  startPiece(byteOffset: number): void {
    this.check();
    if (this.header === null || this.tail !== '' || this.pending.length > 0 || this.carry.length > 0 || this.nrows > 0)
      throw new Error('internal: a piece prefix must be exactly the header line');
    this.line = 1;
    this.nbytes = byteOffset;
    this.blankLines.length = 0;
  }

  /**
   * @internal parallel parsing: parse what is left of this piece. A piece
   * other than the last (`final` false) must end at a row boundary.
   * @returns what the merge needs: rows, lines consumed, blank lines (relative), column stats
   */
  sealPiece(final: boolean): PieceState {
    this.check();
    try {
      if (final) {
        if (this.carry.length > 0) throw this.utf8Error(this.carry, this.carry.length, undefined);
        this.process(true);
      } else {
        this.process(false);
        if (this.tail !== '' || this.carry.length > 0)
          throw new Error('internal: a piece of the parallel parse did not end at a row boundary');
      }
    } catch (err) {
      this.fail(err);
    }
    if (this.header === null) {
      this.fail(
        new CsvParseError(
          ErrorCode.PARSE_EMPTY,
          'the input has no header line (it is empty, only a BOM, or only blank lines); a CSV needs at least a header such as "a,b"',
          { line: 1 },
        ),
      );
    }
    return {
      rows: this.nrows,
      lines: this.line - 1,
      blankLines: this.blankLines.slice(),
      lastRowLine: this.lastRowLine,
      warnings: this.warnings.slice(),
      stats: this.builders.map((b) => b.stats()),
    };
  }

  /**
   * @internal parallel parsing: the columns in Arrow's layout, typed as the
   * merge of every piece decided (strings as UTF-8 only).
   */
  finishPiece(decisions: readonly ColumnDecision[]): {
    columns: ColumnInfo[];
    values: Array<ArrowColumn | Utf8Column>;
    rows: number;
  } {
    this.check();
    this.done = true;
    const values = this.builders.map((b, i) => b.finishArrow((decisions[i] as ColumnDecision).kind));
    this.builders = [];
    return { columns: decisions.map((d) => d.info), values, rows: this.nrows };
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.done)
      throw new ArgumentError(ErrorCode.BAD_ARGUMENT, 'this CsvParser has ended; create a new one for another input');
  }

  private fail(err: unknown): never {
    this.failure = err;
    throw err;
  }

  /**
   * The input's first character, if U+FEFF, is its byte order mark: dropped once.
   * A chunk that is only the BOM starts the text, so a second U+FEFF (the first
   * header's own) is kept wherever the chunks are cut.
   */
  private dropBom(text: string): string {
    if (this.textStarted || text === '') return text;
    this.textStarted = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  private feed(text: string): void {
    if (text === '') return;
    this.pending.push(text);
    this.pendingLen += text.length;
    if (this.pendingLen >= this.waitFor) {
      try {
        this.process(false);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  private process(final: boolean): void {
    let buf = this.tail;
    if (this.pending.length > 0) {
      // join, not +: a flat string, where `tail + text` is a rope that every
      // charCodeAt of the scan would have to look through
      if (buf === '' && this.pending.length === 1) buf = this.pending[0] as string;
      else {
        if (buf !== '') this.pending.unshift(buf);
        buf = this.pending.join('');
      }
      this.pending = [];
      this.pendingLen = 0;
    }
    this.openField = 0;
    if (this.header === null && !this.sniffStart(buf, final)) {
      this.tail = buf;
      this.waitFor = Math.max(1, buf.length);
      return;
    }
    const consumed = this.scan(buf, final);
    this.tail = consumed === 0 ? buf : buf.slice(consumed);
    this.waitFor = Math.max(1, this.tail.length);
    if (!final && this.tail.length > 0) {
      // the open field's raw text (its quotes, its quotes doubled) is at most twice
      // its value plus 2: only a field that cannot fit trips this early check, so a
      // chunked input fails exactly when a whole one does (the exact check is made
      // when the field ends); it bounds the memory an unclosed quote can take
      const open = this.tail.length - this.openField;
      if (open > 2 * this.maxFieldBytes + 2) {
        throw new LimitError(
          ErrorCode.LIMIT_FIELD_SIZE,
          `line ${this.openFieldLine}: a field is longer than maxFieldBytes (${this.maxFieldBytes} bytes) and still not finished; raise the limit or check for an unclosed quote`,
          { line: this.openFieldLine, limit: this.maxFieldBytes },
        );
      }
    }
  }

  /**
   * Before the header: pick the delimiter when none was given, and refuse JSON.
   * @returns false while the header line is incomplete
   */
  private sniffStart(buf: string, final: boolean): boolean {
    const sniffed = sniffStart(buf, final);
    if (sniffed === null) return false;
    if (sniffed.json) {
      const start = buf.trimStart().slice(0, 20);
      throw new CsvParseError(
        ErrorCode.PARSE_BAD_JSON,
        `this looks like JSON, not CSV (it starts with ${JSON.stringify(start)}); send a CSV file such as "a,b\\n1,2", or convert the JSON to CSV first`,
        { line: 1 },
      );
    }
    if (this.sniffing) {
      this.delim = sniffed.delimiter;
      this.sniffing = false;
    }
    return true;
  }

  /** Parse every complete row of `buf`; returns how much of `buf` was consumed. */
  private scan(buf: string, final: boolean): number {
    const len = buf.length;
    const delim = this.delim;
    let pos = 0;
    let line = this.line;
    let consumed = 0;
    let consumedLine = line;
    let cap = this.header === null ? this.starts.length : this.ncols;
    const { starts, ends, flags, lines } = this;
    rows: while (pos < len) {
      const rowLine = line;
      const rowStart = pos;
      let c = buf.charCodeAt(pos);
      if (c === LF || c === CR || (this.header === null && this.isBlankLine(buf, pos))) {
        let next = pos;
        while (next < len) {
          c = buf.charCodeAt(next);
          if (c === LF || c === CR) break;
          next++;
        }
        if (next === len && !final) break;
        if (next < len && c === CR) {
          if (next + 1 === len && !final) break;
          if (buf.charCodeAt(next + 1) === LF) next++;
        }
        pos = next + 1;
        line++;
        if (this.header !== null) {
          if (this.ncols === 1) {
            this.startRow(rowLine);
            (this.builders[0] as ColumnBuilder).addNull();
            this.nrows++;
            this.lastRowLine = rowLine;
          } else this.blankLines.push(rowLine);
        }
        consumed = pos;
        consumedLine = line;
        continue;
      }
      let nf = 0;
      for (;;) {
        if (pos === len) {
          if (!final) {
            this.openField = pos;
            this.openFieldLine = line;
            break rows;
          }
          if (nf < cap) {
            starts[nf] = pos;
            ends[nf] = pos;
            flags[nf] = 0;
            lines[nf] = line;
          }
          nf++;
          break;
        }
        c = buf.charCodeAt(pos);
        if (c === QUOTE) {
          const openLine = line;
          let p = pos + 1;
          let escaped = 0;
          let q: number;
          for (;;) {
            q = buf.indexOf('"', p);
            if (q === -1 || (q + 1 === len && !final)) {
              if (!final) {
                this.openField = pos;
                this.openFieldLine = openLine;
                break rows;
              }
              throw new CsvParseError(
                ErrorCode.PARSE_UNTERMINATED_QUOTE,
                `line ${openLine}: the quote that opens field ${nf + 1} is never closed; end the field with " (and double any quote inside it as "")`,
                { line: openLine, column: nf + 1 },
              );
            }
            if (buf.charCodeAt(q + 1) === QUOTE) {
              escaped = F_ESCAPED;
              p = q + 2;
              continue;
            }
            break;
          }
          for (let i = pos + 1; i < q; i++) {
            const d = buf.charCodeAt(i);
            if (d === LF || (d === CR && buf.charCodeAt(i + 1) !== LF)) line++;
          }
          if (nf < cap) {
            starts[nf] = pos + 1;
            ends[nf] = q;
            flags[nf] = F_QUOTED | escaped;
            lines[nf] = openLine;
          }
          nf++;
          pos = q + 1;
          if (pos === len) break;
          c = buf.charCodeAt(pos);
          if (c === delim) {
            pos++;
            continue;
          }
          if (c !== LF && c !== CR) {
            throw new CsvParseError(
              ErrorCode.PARSE_QUOTE_IN_FIELD,
              `line ${line}: text follows the closing quote of field ${nf} (${JSON.stringify(buf.slice(pos - 1, pos + 9))}); a quoted field must end at its closing quote — write a quote inside it as ""`,
              { line, column: nf },
            );
          }
        } else {
          let p = pos;
          while (p < len) {
            c = buf.charCodeAt(p);
            if (c === delim || c === LF || c === CR) break;
            p++;
          }
          if (p === len && !final) {
            this.openField = pos;
            this.openFieldLine = line;
            break rows;
          }
          if (nf < cap) {
            starts[nf] = pos;
            ends[nf] = p;
            flags[nf] = 0;
            lines[nf] = line;
          }
          nf++;
          pos = p;
          if (p === len) break;
          if (c === delim) {
            pos++;
            continue;
          }
        }
        // c is LF or CR at pos: the row ends
        if (c === CR) {
          if (pos + 1 === len && !final) {
            this.openField = rowStart;
            this.openFieldLine = rowLine;
            break rows;
          }
          if (buf.charCodeAt(pos + 1) === LF) pos++;
        }
        pos++;
        line++;
        break;
      }
      if (this.header === null) {
        if (nf > this.maxColumns) {
          throw new LimitError(
            ErrorCode.LIMIT_COLUMNS,
            `line ${rowLine}: the header has ${nf} columns, more than maxColumns (${this.maxColumns}); raise the limit or check the delimiter`,
            { line: rowLine, limit: this.maxColumns },
          );
        }
        this.setHeader(buf, nf, rowLine);
        cap = this.ncols;
      } else {
        if (nf !== this.ncols) {
          throw new CsvParseError(
            ErrorCode.PARSE_RAGGED_ROW,
            `line ${rowLine} has ${nf} field${nf === 1 ? '' : 's'}, the header has ${this.ncols}; every row needs ${this.ncols} (quote a field that contains ${JSON.stringify(String.fromCharCode(delim))} or a line break)`,
            { line: rowLine },
          );
        }
        this.startRow(rowLine);
        this.commitRow(buf, nf);
        this.lastRowLine = rowLine;
      }
      consumed = pos;
      consumedLine = line;
    }
    this.line = consumedLine;
    this.openField -= consumed;
    return consumed;
  }

  private isBlankLine(buf: string, pos: number): boolean {
    for (let i = pos; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c === LF || c === CR) return true;
      if ((c !== SPACE && c !== TAB) || c === this.delim) return false;
    }
    return true;
  }

  private startRow(line: number): void {
    if (this.nrows >= this.maxRows) {
      throw new LimitError(
        ErrorCode.LIMIT_ROWS,
        `line ${line}: more than maxRows (${this.maxRows}) data rows; raise the limit or send a smaller file`,
        { line, limit: this.maxRows },
      );
    }
  }

  private field(buf: string, i: number): string {
    const s = buf.substring(this.starts[i] as number, this.ends[i] as number);
    return (this.flags[i] as number) & F_ESCAPED ? s.replaceAll('""', '"') : s;
  }

  private checkFieldSize(buf: string, i: number, length: number): void {
    if (length * 3 <= this.maxFieldBytes) return;
    const bytes = Buffer.byteLength(this.field(buf, i), 'utf8');
    if (bytes > this.maxFieldBytes) {
      const line = this.lines[i] as number;
      throw new LimitError(
        ErrorCode.LIMIT_FIELD_SIZE,
        `line ${line}: field ${i + 1} has ${bytes} bytes, more than maxFieldBytes (${this.maxFieldBytes}); raise the limit`,
        { line, column: i + 1, limit: this.maxFieldBytes },
      );
    }
  }

  private commitRow(buf: string, nf: number): void {
    const { starts, ends, flags, lines, builders } = this;
    const big = this.maxFieldBytes / 3;
    for (let i = 0; i < nf; i++) {
      const s = starts[i] as number;
      const e = ends[i] as number;
      const f = flags[i] as number;
      const b = builders[i] as ColumnBuilder;
      if (e - s > big) this.checkFieldSize(buf, i, e - s);
      if (f === 0) {
        if (s === e) b.addNull();
        else b.add(buf, s, e, lines[i] as number);
      } else if (f & F_ESCAPED) {
        const v = buf.substring(s, e).replaceAll('""', '"');
        b.add(v, 0, v.length, lines[i] as number);
      } else b.add(buf, s, e, lines[i] as number);
    }
    this.nrows++;
  }

  private setHeader(buf: string, nf: number, line: number): void {
    const raw: string[] = [];
    for (let i = 0; i < nf; i++) {
      this.checkFieldSize(buf, i, (this.ends[i] as number) - (this.starts[i] as number));
      raw.push(this.field(buf, i));
    }
    const named = renameHeaders(raw, this.warnings);
    const types = this.types;
    const used = new Set<string>();
    this.builders = named.map(({ name, header }) => {
      let spec: TypeSpec | undefined;
      if (types !== undefined) {
        if (Object.hasOwn(types, name)) {
          spec = types[name];
          used.add(name);
        } else if (header !== undefined && Object.hasOwn(types, header)) {
          spec = types[header];
          used.add(header);
        }
      }
      const format = spec?.startsWith('date:') ? compileDateFormat(spec.slice(5)) : undefined;
      const forced = format ? ColumnType.date : (spec as ColumnType | undefined);
      return new ColumnBuilder(name, header, forced, this.utf8Strings, this.rowsHint, format);
    });
    if (types !== undefined) {
      const unknown = Object.keys(types).filter((k) => !used.has(k));
      if (unknown.length > 0) {
        throw new ArgumentError(
          ErrorCode.BAD_ARGUMENT,
          `options.types names ${unknown.map((k) => JSON.stringify(k)).join(', ')}, not a column of this CSV (line ${line}); columns are ${named.map((n) => JSON.stringify(n.name)).join(', ')}`,
        );
      }
    }
    this.header = raw;
    this.ncols = nf;
    if (nf > this.starts.length) {
      this.starts = new Int32Array(nf + 1);
      this.ends = new Int32Array(nf + 1);
      this.flags = new Uint8Array(nf + 1);
      this.lines = new Int32Array(nf + 1);
    }
  }

  /**
   * Build the error for undecodable bytes, with the line they are on.
   * @param bytes - the carried bytes of the previous chunk followed by the new chunk
   * @param carried - how many of `bytes` were carried (already counted in `nbytes`)
   */
  private utf8Error(bytes: Uint8Array, carried: number, cause: unknown): CsvParseError {
    let line = this.line + countLines(this.tail) + this.pending.reduce((n, t) => n + countLines(t), 0);
    let offset = firstInvalidUtf8(bytes);
    if (offset < 0) offset = completeUtf8Length(bytes);
    for (let i = 0; i < offset; i++) {
      const b = bytes[i];
      if (b === LF || (b === CR && bytes[i + 1] !== LF)) line++;
    }
    const at = this.nbytes - carried + offset;
    const byte = bytes[offset];
    const what =
      offset >= bytes.length - 3 && cause === undefined
        ? `the input ends inside a UTF-8 sequence (byte offset ${at})`
        : `byte 0x${(byte ?? 0).toString(16).padStart(2, '0')} at byte offset ${at} is not valid UTF-8`;
    return new CsvParseError(
      ErrorCode.PARSE_INVALID_UTF8,
      `line ${line}: ${what}; save the file as UTF-8 (or convert it, e.g. iconv -f latin1 -t utf-8)`,
      { line },
      cause === undefined ? undefined : { cause },
    );
  }
}

/** What a piece of a parallel parse reports once parsed (internal). */
export interface PieceState {
  rows: number;
  /** physical lines consumed (line breaks in the piece) */
  lines: number;
  /** skipped empty lines, counted from the piece's first line */
  blankLines: number[];
  /** line of the last row, counted from the piece's first line; 0 without rows */
  lastRowLine: number;
  warnings: string[];
  stats: ColumnStats[];
}

/**
 * The warning about skipped empty lines before the last row, if any.
 * @param blankLines - the skipped lines, ascending
 * @param lastRowLine - the line of the last row
 */
export function blankLinesWarning(blankLines: readonly number[], lastRowLine: number): string | undefined {
  const blank = blankLines.filter((l) => l < lastRowLine);
  if (blank.length === 0) return undefined;
  const shown = blank.slice(0, 10).join(', ') + (blank.length > 10 ? `, … (${blank.length} in all)` : '');
  return `skipped ${blank.length} empty line${blank.length === 1 ? '' : 's'} (line${blank.length === 1 ? '' : 's'} ${shown})`;
}

/** Length of `bytes` up to the end of its last complete UTF-8 sequence. */
function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= 4 && back <= n; back++) {
    const b = bytes[n - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** Physical lines ended in `text` (LF, CRLF, lone CR). */
function countLines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) n++;
  }
  return n;
}

/**
 * Offset of the first byte that breaks UTF-8 in `bytes`, or -1. An incomplete
 * sequence at the end is not an error (more bytes may follow).
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return -1;
      const cb = bytes[i + k] as number;
      if ((cb & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cb & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
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
