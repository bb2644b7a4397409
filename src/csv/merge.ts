/**
 * Merging what the pieces of a parallel parse found out about each column into
 * the one type the whole column gets (see {@link mergeColumnStats}). Internal.
 */

import { CsvParseError, ErrorCode } from '../errors.js';
import { type DateFormat, effectiveFormat } from './dateformat.js';
import { type ColumnInfo, ColumnType } from './types.js';

/**
 * A column's candidate kind, as ColumnBuilder tracks it and the merge combines
 * it (`NULL`: only missing values so far).
 */
export const Kind = { NULL: 0, NUM: 1, DATE: 2, BOOL: 3, STR: 4 } as const;
const { NULL: K_NULL, NUM: K_NUM, DATE: K_DATE, BOOL: K_BOOL, STR: K_STR } = Kind;

/**
 * What one piece of a parse found out about a column, to merge with the other
 * pieces (see {@link mergeColumnStats}). Internal.
 */
export interface ColumnStats {
  name: string;
  header?: string;
  forced?: ColumnType;
  kind: number;
  hasInt: boolean;
  hasDecimal: boolean;
  fixedDec: number;
  allShortest: boolean;
  lossy: boolean;
  /** a date column read with a format: the format, and its values' padding evidence */
  format?: DateFormat;
  padded?: number;
  unpadded?: number;
}

/** The type a column gets once every piece is parsed. Internal. */
export interface ColumnDecision {
  kind: number;
  info: ColumnInfo;
}

/**
 * The type of a column parsed in pieces: exactly what one ColumnBuilder fed
 * every value in order would decide. A column keeps a type only when every
 * piece allows it; the number rules (same decimals everywhere, or shortest form
 * everywhere) apply to the pieces' combined counts.
 *
 * @param stats - the column's {@link ColumnStats} of every piece, in order
 */
export function mergeColumnStats(stats: readonly ColumnStats[]): ColumnDecision {
  const first = stats[0] as ColumnStats;
  let kind: number = K_NULL;
  let hasInt = false;
  let hasDecimal = false;
  let fixedDec = -1;
  let allShortest = true;
  let lossy = false;
  let padded = 0;
  let unpadded = 0;
  for (const s of stats) {
    padded |= s.padded ?? 0;
    unpadded |= s.unpadded ?? 0;
    if (s.kind !== K_NULL) kind = kind === K_NULL || kind === s.kind ? s.kind : K_STR;
    hasInt ||= s.hasInt;
    hasDecimal ||= s.hasDecimal;
    lossy ||= s.lossy;
    allShortest &&= s.allShortest;
    if (s.fixedDec !== -1) fixedDec = fixedDec === -1 || fixedDec === s.fixedDec ? s.fixedDec : -2;
  }
  const forced = first.forced;
  if (kind === K_NUM && forced === undefined) {
    const fixed = !hasInt && fixedDec > 0;
    if (!(!hasDecimal || fixed || allShortest)) kind = K_STR;
  }
  const info: ColumnInfo = { name: first.name, type: ColumnType.string };
  if (first.header !== undefined) info.header = first.header;
  if (kind === K_NUM) {
    info.type = forced ?? (hasDecimal ? ColumnType.number : ColumnType.integer);
    if (info.type === ColumnType.number && !lossy && !hasInt && fixedDec > 0) info.decimals = fixedDec;
  } else if (kind === K_DATE) {
    info.type = ColumnType.date;
    if (first.format) {
      if (padded & unpadded) throw paddingError(first.name, first.format, padded & unpadded, undefined, undefined);
      info.format = effectiveFormat(first.format, unpadded);
    }
  } else if (kind === K_BOOL) info.type = ColumnType.boolean;
  return { kind: kind === K_NULL ? K_STR : kind, info };
}

/** The error for a format column whose values pad a number both ways ("01" and "1"). */
export function paddingError(
  name: string,
  format: DateFormat,
  slots: number,
  text: string | undefined,
  line: number | undefined,
): CsvParseError {
  let slot = 0;
  while (!(slots & (1 << slot))) slot++;
  const token = format.tokens.find((t) => t.kind === 'field' && t.slot === slot);
  const dir = token && token.kind === 'field' ? token.dir : 'd';
  const where = line === undefined ? `column "${name}"` : `line ${line}, column "${name}": ${JSON.stringify(text)}`;
  return new CsvParseError(
    ErrorCode.PARSE_BAD_TYPE,
    `${where}: %${dir} is written both with and without a leading zero ("01" and "1") in this column, so the dates cannot be written back exactly with ${JSON.stringify(`date:${format.source}`)}; read the column as text (drop the override) or make the values consistent`,
    line === undefined ? {} : { line },
  );
}
