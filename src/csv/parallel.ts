/**
 * The parser of one piece of a parallel parse (see src/server/ingest/pool.ts):
 * a {@link CsvParser} with the piece stage on top. Internal.
 */

import { noHeaderError } from './headers.js';
import type { ArrowColumn, Utf8Column } from './layout.js';
import type { ColumnDecision } from './merge.js';
import { CsvParser } from './parser.js';
import type { PieceState } from './pieces.js';
import type { ColumnInfo } from './types.js';

/**
 * The parser of one piece of a parallel parse (the parse workers' parser): a
 * {@link CsvParser} fed the header, moved to the piece with `startPiece`,
 * sealed with `sealPiece`, and finished as the merge of every piece decided.
 * @internal
 */
export class PieceParser extends CsvParser {
  /**
   * @internal parallel parsing: the input so far was the header (and any
   * blank lines and BOM before it), taken from the start of the file; what
   * follows is a piece of the file starting at a row boundary at byte
   * `byteOffset`. Lines are counted from 1 again, relative to the piece.
   */
  startPiece(byteOffset: number): void {
    this.check();
    if (
      this.header === null ||
      this.tail.length > 0 ||
      this.pending.length > 0 ||
      this.carry.length > 0 ||
      this.nrows > 0
    )
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
        if (this.tail.length > 0 || this.carry.length > 0)
          throw new Error('internal: a piece of the parallel parse did not end at a row boundary');
      }
    } catch (err) {
      this.fail(err);
    }
    if (this.header === null) {
      this.fail(noHeaderError());
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
}
