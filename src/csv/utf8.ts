/**
 * UTF-8 helpers of the scanner: text of a byte range, where a chunk's last
 * complete sequence ends, where bytes stop being UTF-8, line counting, and the
 * error for bad bytes.
 */

import { CsvParseError, ErrorCode } from '../errors.js';

const LF = 10;
const CR = 13;

// Buffer's own decoders and encoder, which work on any Uint8Array without a Buffer view
const { latin1Slice, utf8Slice, utf8Write } = Buffer.prototype as unknown as {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  utf8Slice(this: Uint8Array, start: number, end: number): string;
  utf8Write(this: Uint8Array, text: string, offset: number, length: number): number;
};

/** The text of the UTF-8 bytes `bytes[start, end)` (a U+FEFF in them is kept). */
export function utf8Text(bytes: Uint8Array, start: number, end: number): string {
  return utf8Slice.call(bytes, start, end);
}

/** The text of the ASCII bytes `bytes[start, end)`. */
export function asciiText(bytes: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(bytes, start, end);
}

/**
 * Write `text` as UTF-8 into `bytes` at `at` (the room after it must hold it:
 * up to 3 bytes per UTF-16 unit).
 * @returns the bytes written
 */
export function writeUtf8(bytes: Uint8Array, text: string, at: number): number {
  return utf8Write.call(bytes, text, at, bytes.length - at);
}

/** Length of `bytes` up to the end of its last complete UTF-8 sequence. */
export function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= 4 && back <= n; back++) {
    const b = bytes[n - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** Physical lines ended in `bytes` (LF, CRLF, lone CR). */
export function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === LF || (c === CR && bytes[i + 1] !== LF)) n++;
  }
  return n;
}

/**
 * Offset of the first byte that breaks UTF-8 in `bytes`, or -1. An incomplete
 * sequence at the end is not an error (more bytes may follow).
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
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
 * The error for undecodable bytes, with the line and byte offset they are at.
 * @param bytes - the carried bytes of the previous chunk followed by the new chunk
 * @param carried - how many of `bytes` were carried (already counted in `nbytes`)
 * @param nbytes - bytes pushed before the new chunk (the carried ones included)
 * @param line - the physical line where `bytes` start
 */
export function invalidUtf8Error(
  bytes: Uint8Array,
  carried: number,
  nbytes: number,
  line: number,
  cause: unknown,
): CsvParseError {
  let offset = firstInvalidUtf8(bytes);
  if (offset < 0) offset = completeUtf8Length(bytes);
  line += countLines(bytes.subarray(0, offset));
  const at = nbytes - carried + offset;
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
