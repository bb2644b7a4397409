/**
 * Where a CSV byte stream may be cut into pieces that workers parse at once:
 * after a line break outside quotes. The main thread only counts quotes (with a
 * check that every quote opens or closes a quoted field as the parser reads it;
 * a stray quote, a lone-CR header or an overlong header stops the cutting), and
 * remembers the header line, which every later piece starts with.
 *
 *   chunk ─▶ scanPrefix (until the header line ends) ─▶ findCuts (quote parity) ─▶ offsets
 */

const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const TAB = 9;
const BOM = [0xef, 0xbb, 0xbf];
/** a header line longer than this is not copied to every piece: no cutting */
const MAX_HEADER_BYTES = 1 << 20;

/** The main thread's view of a CSV byte stream, to find where it may be cut. */
export interface Scan {
  /** cutting allowed: no stray quote, no lone-CR header, no row limit */
  enabled: boolean;
  headerDone: boolean;
  /** the current line before the header has something other than blanks */
  content: boolean;
  /** the header line ended with CR: is an LF next? */
  cr: boolean;
  /** inside a quoted field (odd count of quotes so far) */
  odd: boolean;
  /** last byte of the previous chunk */
  last: number;
  /** the leading bytes may still be a BOM */
  bom: boolean;
  prefix: Uint8Array[];
  prefixLen: number;
  /** the file's start up to the end of its header line, once known */
  header?: Uint8Array;
  /** bytes scanned so far (the caller adds each chunk's length) */
  total: number;
  delim: number;
}

/** A fresh scan of a stream whose fields are separated by `delim`; `enabled` false: never cut. */
export function newScan(enabled: boolean, delim: number): Scan {
  return {
    enabled,
    headerDone: false,
    content: false,
    cr: false,
    odd: false,
    last: -1,
    bom: true,
    prefix: [],
    prefixLen: 0,
    total: 0,
    delim,
  };
}

/**
 * Scan a chunk before the header line has ended, keeping the bytes up to its end.
 * @returns the offset in `bytes` after the header line, or its length when the header goes on
 */
export function scanPrefix(s: Scan, bytes: Uint8Array): number {
  const end = scanHeader(s, bytes);
  const at = end < 0 ? bytes.byteLength : end;
  if (s.enabled) {
    s.prefix.push(bytes.slice(0, at));
    s.prefixLen += at;
    if (s.prefixLen > MAX_HEADER_BYTES) s.enabled = false;
    else if (end >= 0) {
      s.headerDone = true;
      s.header = Buffer.concat(s.prefix);
    }
  }
  if (!s.enabled || s.headerDone) s.prefix = [];
  return at;
}

/**
 * The offsets in `buf` (from `at` on) after which a new piece may start: the
 * first line break outside quotes at least `firstRoom` bytes after `at`, then
 * at least `pieceBytes` after each cut. Tracks quotes to the chunk's end.
 *
 * @param s - the stream's scan (header done)
 * @param buf - the chunk
 * @param at - where the rows start in the chunk
 * @param firstRoom - bytes the current piece still takes
 * @param pieceBytes - the size of a piece
 */
export function findCuts(s: Scan, buf: Buffer, at: number, firstRoom: number, pieceBytes: number): number[] {
  const len = buf.byteLength;
  let nq = buf.indexOf(QUOTE, at);
  const cuts: number[] = [];
  let room = firstRoom;
  while (s.enabled) {
    let from = at + Math.max(0, room);
    if (from >= len) break;
    nq = quotesTo(s, buf, nq, from);
    let cut = -1;
    while (s.enabled) {
      const lf = buf.indexOf(LF, from);
      if (lf === -1) break;
      nq = quotesTo(s, buf, nq, lf);
      if (!s.enabled) break;
      if (!s.odd) {
        cut = lf + 1;
        break;
      }
      from = lf + 1;
    }
    if (cut < 0) break;
    cuts.push(cut);
    at = cut;
    room = pieceBytes;
  }
  quotesTo(s, buf, nq, len);
  return cuts;
}

/**
 * Count the quotes of `buf` from `nq` (the next quote, or -1) to before `to`,
 * flipping `s.odd`: every quote must open a quoted field (outside quotes, at a
 * field's start), close one, or be the second of a "" pair; anything else
 * stops the cutting. A module function, not a closure per chunk: V8 compiled
 * each new closure again (~5 compilations per upload).
 *
 * @returns the next quote at or after `to`, or -1
 */
function quotesTo(s: Scan, buf: Buffer, nq: number, to: number): number {
  const delim = s.delim;
  while (nq !== -1 && nq < to) {
    if (!s.odd) {
      const prev = nq > 0 ? (buf[nq - 1] as number) : s.last;
      if (prev !== delim && prev !== LF && prev !== CR && prev !== QUOTE) {
        s.enabled = false;
        return nq;
      }
    }
    s.odd = !s.odd;
    nq = buf.indexOf(QUOTE, nq + 1);
  }
  return nq;
}

/**
 * Scan the start of the file for the end of its header line (the first line
 * that is not blank, as the parser reads it), tracking quotes.
 * @returns the offset in `bytes` just after the header's line break, or -1
 */
function scanHeader(s: Scan, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (s.cr) {
      // CRLF ends the header; a lone CR would too, but then no piece could start
      // at an LF the way the parser counts: keep one piece
      s.cr = false;
      if (b === LF) return i + 1;
      s.enabled = false;
      return -1;
    }
    const abs = s.total + i;
    if (s.bom) {
      if (abs < 3 && b === BOM[abs]) continue;
      s.bom = false;
    }
    if (b === QUOTE) {
      const prev = i > 0 ? (bytes[i - 1] as number) : s.last;
      if (!s.odd && abs !== 0 && prev !== s.delim && prev !== LF && prev !== CR && prev !== QUOTE) {
        s.enabled = false;
        return -1;
      }
      s.odd = !s.odd;
      s.content = true;
      continue;
    }
    if (s.odd) continue;
    if (b === LF || b === CR) {
      if (!s.content) continue;
      if (b === LF) return i + 1;
      s.cr = true;
      continue;
    }
    if ((b !== SPACE && b !== TAB) || b === s.delim) s.content = true;
  }
  return -1;
}

/** Line breaks per byte in `buf[from, to)`: how many rows a piece of a given size holds. */
export function linesPerByte(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let at = buf.indexOf(LF, from); at !== -1 && at < to; at = buf.indexOf(LF, at + 1)) n++;
  return n / Math.max(1, to - from);
}
