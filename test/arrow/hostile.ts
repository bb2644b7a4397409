/**
 * Hostile Arrow uploads built with flechette's own encoder from hand-made
 * batches (the encoder writes lengths and buffers as given): each is a few KB
 * whose values, read, would be megabytes or gigabytes (see arrow/cost.ts).
 * From a hostile review's reproductions (each crashed or swelled the worker).
 */
import {
  Column,
  columnFromArray,
  type DataType,
  dictionary,
  fixedSizeList,
  int8,
  int32,
  listView,
  nullType,
  runEndEncoded,
  Table,
  tableFromColumns,
  tableToIPC,
  UnionMode,
  union,
  utf8,
  utf8View,
} from '@uwdata/flechette';

interface Parts {
  length: number;
  nullCount: number;
  values?: unknown;
  offsets?: unknown;
  sizes?: unknown;
  typeIds?: unknown;
  children?: Parts[];
  data?: Uint8Array[];
}

const field = (name: string, type: DataType) => ({ name, type, nullable: true, metadata: null });

/** One column of one batch, written as flechette writes any table. */
export function arrowOf(type: DataType, batch: Parts): Uint8Array {
  const typed = (t: DataType, b: Parts): unknown => ({
    validity: new Uint8Array(0),
    ...b,
    type: t,
    children: b.children?.map((c, i) => typed((t as { children: Array<{ type: DataType }> }).children[i]!.type, c)),
  });
  const schema = { version: 5, endianness: 0, fields: [field('c', type)], metadata: null };
  const column = new Column([typed(type, batch)] as never, type as never);
  return tableToIPC(new Table(schema as never, [column] as never), { format: 'stream' }) as Uint8Array;
}

const text = (bytes: number): Parts => ({
  length: 1,
  nullCount: 0,
  offsets: Int32Array.of(0, bytes),
  values: new Uint8Array(bytes).fill(0x61),
});

/** `rows` lists of `size` Null values each, over a child of `values` Nulls. */
function fixedSizeLists(rows: number, size: number, values: number): Uint8Array {
  return arrowOf(fixedSizeList(field('x', nullType()) as never, size), {
    length: rows,
    nullCount: 0,
    children: [{ length: values, nullCount: values }],
  });
}

/** Each attack: what it is, its bytes, and what its refusal says. */
export const HOSTILE: Array<[string, () => Uint8Array, RegExp]> = [
  [
    'text offsets that go 0, N, 0, N (every other row reads all 32 KB)',
    () => {
      const values = new Uint8Array(32 * 1024).fill(0x63);
      const offsets = new Int32Array(1001).map((_, i) => (i % 2 ? values.length : 0));
      return arrowOf(utf8(), { length: 1000, nullCount: 0, offsets, values });
    },
    /text at row 1 whose offsets go back/,
  ],
  [
    'a dense union whose 4,000 rows all read one 32 KB string',
    () =>
      arrowOf(union(UnionMode.Dense, [utf8()]), {
        length: 4000,
        nullCount: 0,
        typeIds: new Int8Array(4000),
        offsets: new Int32Array(4000),
        children: [text(32 * 1024)],
      }),
    /values would read \d+ values and bytes from the \d+ bytes sent/,
  ],
  [
    'a sparse union of 4,000 rows over a member of 1',
    () =>
      arrowOf(union(UnionMode.Sparse, [utf8()]), {
        length: 4000,
        nullCount: 0,
        typeIds: new Int8Array(4000),
        children: [text(32 * 1024)],
      }),
    /a union value at row 1 past its member's values/,
  ],
  [
    'one run of 4,000 rows of a 32 KB string',
    () =>
      arrowOf(runEndEncoded(field('run_ends', int32()) as never, field('values', utf8()) as never), {
        length: 4000,
        nullCount: 0,
        children: [{ length: 1, nullCount: 0, values: Int32Array.of(4000) }, text(32 * 1024)],
      }),
    /values would read/,
  ],
  [
    '4,000 string views of the same 32 KB',
    () => {
      const data = new Uint8Array(32 * 1024).fill(0x62);
      const views = new Uint8Array(16 * 4000);
      const dv = new DataView(views.buffer);
      for (let i = 0; i < 4000; i++) dv.setInt32(16 * i, data.length, true);
      return arrowOf(utf8View(), { length: 4000, nullCount: 0, values: views, data: [data] });
    },
    /values would read/,
  ],
  [
    'list views three deep, each row over all 60 rows below (60^3 values a row)',
    () => {
      const lv = (n: number, size: number, child: Parts): Parts => ({
        length: n,
        nullCount: 0,
        offsets: new Int32Array(n),
        sizes: new Int32Array(n).fill(size),
        children: [child],
      });
      const leaf = { length: 60, nullCount: 0, values: new Int8Array(60).fill(7) };
      return arrowOf(listView(listView(listView(int8()))), lv(1000, 60, lv(60, 60, lv(60, 60, leaf))));
    },
    /values would read/,
  ],
  [
    'a dictionary whose one 32 KB string is the value of 4,000 rows (131 MB written out)',
    () =>
      tableToIPC(
        tableFromColumns([['c', columnFromArray(Array(4000).fill('d'.repeat(32 * 1024)), dictionary(utf8(), int8()))]]),
        { format: 'stream' },
      ) as Uint8Array,
    /dictionaries stand for 131076000 bytes of values/,
  ],
  [
    'a fixed-size list of 10 rows of 1,000 values over 10 values',
    () => fixedSizeLists(10, 1000, 10),
    /declares 10000 child values for 10 rows, but only 10 arrived/,
  ],
  [
    'a hundred thousand fixed-size lists of no values',
    () => fixedSizeLists(100_000, 0, 0),
    /more empty list cells \(100000\)/,
  ],
];
