import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  columnFromArray,
  dictionary,
  fixedSizeBinary,
  int8,
  int64,
  tableFromColumns,
  tableToIPC,
  uint64,
  utf8,
} from '@uwdata/flechette';
import { checkArrowUpload } from '../../src/arrow/check.js';
import { tableFromArrowIPC } from '../../src/arrow/ipc.js';
import { isCsvSocketError } from '../../src/errors.js';
import { pyarrowFile as file, PYARROW, pyarrowFiles } from './fixtures.js';
import { arrowOf, HOSTILE } from './hostile.js';

const LIMITS = { maxRows: 1_000_000, maxColumns: 1000 };

/** What an upload gets: 'stored' (and every value read), or the code it is refused with. */
function outcome(bytes: Uint8Array): string {
  try {
    const checked = checkArrowUpload(bytes, LIMITS);
    tableFromArrowIPC(checked.ipc).objects();
    return 'stored';
  } catch (err) {
    return isCsvSocketError(err) ? err.code : `not a csvsocket error: ${(err as Error).stack}`;
  }
}

function refusedWith(bytes: Uint8Array, code: string, why: RegExp): void {
  assert.throws(
    () => checkArrowUpload(bytes, LIMITS),
    (err: unknown) => {
      assert.ok(isCsvSocketError(err), String(err));
      assert.equal(err.code, code);
      assert.match(err.message, why);
      return true;
    },
  );
}

/** Each variant of `bytes` with one int32 or int64 set to `value`. */
function* patched(bytes: Uint8Array, values: readonly number[], wide: readonly bigint[] = []): Generator<Uint8Array> {
  for (let at = 0; at + 4 <= bytes.length; at += 4)
    for (const v of values) {
      const out = new Uint8Array(bytes);
      new DataView(out.buffer).setInt32(at, v, true);
      yield out;
    }
  for (let at = 0; at + 8 <= bytes.length; at += 8)
    for (const v of wide) {
      const out = new Uint8Array(bytes);
      new DataView(out.buffer).setBigInt64(at, v, true);
      yield out;
    }
}

describe('checkArrowUpload', () => {
  it('opens every pyarrow file with safe names as tableFromArrowIPC opens it (compressed ones refused: no codec)', () => {
    for (const [name, bytes] of pyarrowFiles()) {
      if (name.startsWith('compressed')) {
        refusedWith(bytes, 'CSVS_PROTOCOL_BAD_ARROW', /Missing compression codec/);
        continue;
      }
      const checked = checkArrowUpload(bytes, LIMITS);
      // (a column named "__proto__" or "" is what renaming is for: expected.json holds those)
      if (checked.renamed.size > 0) continue;
      const opened = tableFromArrowIPC(bytes);
      assert.equal(checked.description.rows, opened.numRows(), name);
      assert.deepEqual(
        tableFromArrowIPC(checked.ipc).objects(),
        opened.objects(),
        `${name}: the table checked is the table opened`,
      );
    }
  });

  it('stores dictionaries as pyarrow reads them: replaced between batches, a null in a short first batch, under unsafe names', () => {
    const expected = JSON.parse(readFileSync(join(PYARROW, 'expected.json'), 'utf8')) as Record<string, unknown[][]>;
    assert.ok(Object.keys(expected).length >= 3);
    for (const [name, rows] of Object.entries(expected)) {
      const checked = checkArrowUpload(file(name), LIMITS);
      const stored = tableFromArrowIPC(checked.ipc)
        .objects()
        .map((row) => Object.values(row));
      assert.deepEqual(stored, rows, `${name}: the stored table`);
      assert.deepEqual(
        checked.description.head.map((row) => row.map((cell) => (cell === null ? null : cell))),
        rows.slice(0, 5).map((row) => row.map((cell) => (cell === null ? null : String(cell)))),
        `${name}: the summary's first rows`,
      );
    }
  });

  it('refuses a dictionary that declares 2^31 values (flechette read it whole while decoding: out of memory)', () => {
    const outcomes = new Set<string>();
    for (const bytes of patched(file('dict_utf8.arrow'), [0x7fffffff])) {
      try {
        checkArrowUpload(bytes, LIMITS);
      } catch (err) {
        outcomes.add((err as Error).message.replace(/\d+/g, 'N'));
      }
    }
    assert.ok(
      [...outcomes].some((m) => /a dictionary of N values with too few offsets/.test(m)),
      [...outcomes].join('\n'),
    );
  });

  it('refuses a dictionary whose text offsets go back, before flechette decodes its values (0, N, 0, N decoded ~K/2 × N bytes)', () => {
    const bytes = new Uint8Array(file('dict_utf8.arrow'));
    // the dictionary 'a', 'b', '\ufeffc': offsets 0, 1, 2, 6 in its body
    const offsets = Buffer.from(Int32Array.of(0, 1, 2, 6).buffer);
    const at = Buffer.from(bytes).indexOf(offsets);
    assert.ok(at > 0, 'the dictionary offsets');
    new Uint8Array(bytes.buffer).set(new Uint8Array(Int32Array.of(0, 6, 0, 6).buffer), at);
    refusedWith(bytes, 'CSVS_PROTOCOL_BAD_ARROW', /a dictionary whose offsets go back at value 1/);
  });

  it('stores categories as pandas sends them: 100,000 rows of 4 labels of 55 characters under one-byte codes', () => {
    const labels = ['algebra', 'biology', 'chemistry', 'drawing'].map((l) => l.padEnd(55, '.'));
    const column = columnFromArray(
      Array.from({ length: 100_000 }, (_, i) => labels[i % 4]),
      dictionary(utf8(), int8()),
    );
    const bytes = tableToIPC(tableFromColumns([['course', column]]), { format: 'stream' }) as Uint8Array;
    assert.ok(bytes.byteLength < 200_000);
    assert.equal(checkArrowUpload(bytes, LIMITS).description.rows, 100_000);
  });

  it('refuses 64-bit integers past 2^53 with a message naming the column and the value, in columns and dictionaries', () => {
    const arrow = (column: ReturnType<typeof columnFromArray>) =>
      tableToIPC(tableFromColumns([['id', column]]), { format: 'stream' }) as Uint8Array;
    const big = 2n ** 53n + 1n;
    refusedWith(
      arrow(columnFromArray([1n, big], int64())),
      'CSVS_PROTOCOL_BAD_ARROW',
      /column "id" holds the integer 9007199254740993 at row 1, beyond the 2\^53/,
    );
    refusedWith(
      arrow(columnFromArray([2n ** 64n - 1n], uint64())),
      'CSVS_PROTOCOL_BAD_ARROW',
      /holds the integer 18446744073709551615/,
    );
    // a dictionary of one value, 5, then set to 2^53 + 1 in its batch's body (flechette will not write it)
    const bytes = arrow(columnFromArray([5n, 5n], dictionary(int64())));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let patched = 0;
    for (let at = 0; at + 8 <= bytes.length; at += 8)
      if (view.getBigInt64(at, true) === 5n) {
        view.setBigInt64(at, big, true);
        patched++;
      }
    assert.equal(patched, 1);
    refusedWith(bytes, 'CSVS_PROTOCOL_BAD_ARROW', /a dictionary holds the integer 9007199254740993/);
    assert.equal(checkArrowUpload(arrow(columnFromArray([2n ** 53n - 1n], int64())), LIMITS).description.rows, 1);
  });

  it("refuses a binary column of negative width (its cost would cancel another column's)", () => {
    const bytes = arrowOf(fixedSizeBinary(-(2 ** 31)), { length: 10, nullCount: 0, values: new Uint8Array(10) });
    refusedWith(bytes, 'CSVS_PROTOCOL_BAD_ARROW', /declares a width of -2147483648/);
  });

  it('refuses a list whose offsets reach past its values (reading it would read 2^31 values)', () => {
    let refusals = 0;
    for (const bytes of patched(file('list.arrow'), [0x7fffffff, 0x10000])) {
      try {
        checkArrowUpload(bytes, LIMITS);
      } catch (err) {
        if (/a list at row \d+ that reaches past its \d+ values/.test((err as Error).message)) refusals++;
      }
    }
    assert.ok(refusals >= 2, `${refusals} refusals`);
  });

  for (const [what, build, why] of HOSTILE) {
    it(`refuses ${what} before reading a value`, () => {
      refusedWith(build(), 'CSVS_PROTOCOL_BAD_ARROW', why);
    });
  }

  it('stores or refuses with a code every variant of eight files with one int32 or int64 set to a hostile value', () => {
    const counts: Record<string, number> = {};
    for (const name of [
      'nested.arrow',
      'list_view.arrow',
      'dict-delta.arrow',
      'string_view.arrow',
      'dense_union.arrow',
      'run_end.arrow',
      'map.arrow',
      'struct.arrow',
    ]) {
      for (const bytes of patched(file(name), [0x7fffffff, -4, -1, 0x40000000, 0x8000], [1n << 31n, 1n << 40n, -1n])) {
        const result = outcome(bytes);
        counts[result] = (counts[result] ?? 0) + 1;
        assert.match(result, /^(stored|CSVS_PROTOCOL_BAD_ARROW|CSVS_LIMIT_ROWS)$/, name);
      }
    }
    assert.ok((counts.stored ?? 0) > 100 && (counts.CSVS_PROTOCOL_BAD_ARROW ?? 0) > 1000, JSON.stringify(counts));
  });
});
