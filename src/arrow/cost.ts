/**
 * What reading an uploaded Arrow column's values costs, found before any is
 * read. A batch's lengths can match its bytes and its values still make far
 * more than was sent: text offsets that go 0, N, 0, N read the whole values
 * buffer for every other row, a union's rows can all point at one 512 KB
 * string, a run of 4,000 rows repeats one value, a string view can name any
 * part of any data buffer, and list views nested three deep each over all the
 * rows below read 60^3 values a row, and a dictionary's one long string can be
 * every row's value. Reading such a column (describing it, a
 * query, an append, a CSV export) decodes gigabytes from a few hundred KB.
 *
 * Each row's cost is 1, plus 1 per byte of text or binary it decodes, plus the
 * costs of the rows of the nested columns it reads (prefix sums, so a list of
 * a million rows costs one pass); ranges are checked on the way, so no row
 * reads outside its data. A dictionary-encoded row is one read (its value is
 * decoded once, for all of them), and its value's cost is tallied apart: what
 * it stands for when written out. check.ts compares both with what was sent.
 */
import type { Batch } from '@uwdata/flechette';
import { Type } from '@uwdata/flechette';

/** The parts of a flechette batch a cost is read from. */
interface Parts {
  length: number;
  type: { typeId: number; stride?: number; mode?: number; typeMap?: Record<number, number> };
  values?: ArrayLike<number | bigint>;
  offsets?: ArrayLike<number | bigint>;
  sizes?: ArrayLike<number | bigint>;
  typeIds?: ArrayLike<number>;
  children?: Array<Batch<unknown>>;
  data?: Uint8Array[];
}

/**
 * The most an upload of `bytes` may cost to read (see readCost): 32 per byte
 * sent and at least 2^20. Honest data costs about one per value and byte
 * (a byte of bits holds 8 booleans, a Null column's rows are free up to 8 per
 * byte: see check.ts).
 */
export function readBudget(bytes: number): number {
  return Math.max(2 ** 20, 32 * bytes);
}

/** Types whose every row is one value read from fixed-width bytes (or no bytes: Null). */
const ONE_A_ROW: ReadonlySet<number> = new Set([
  Type.Null,
  Type.Bool,
  Type.Int,
  Type.Float,
  Type.Decimal,
  Type.Date,
  Type.Time,
  Type.Timestamp,
  Type.Interval,
  Type.Duration,
]);

/** Whether row `i` of `batch` is null, as flechette's `at` reads it (its validity bit, when it has nulls). */
export function isNull(batch: Batch<unknown>, i: number): boolean {
  return batch.nullCount > 0 && (batch as unknown as { validity?: unknown }).validity != null && !batch.isValid(i);
}

/** Reports a row that reads outside its data. */
export type Refuse = (what: string) => never;

/** A costing's state: what to call on a bad range, and the dictionary text tallied so far. */
export interface Costing {
  refuse: Refuse;
  /** the cost of writing out every dictionary-encoded row's value (see readCost) */
  text: number;
}

/**
 * The most an upload of `bytes` may stand for as dictionary values written
 * out: 256 per byte sent and at least 64 MiB, the text a CSV upload of its
 * size could hold many times over.
 */
export function textBudget(bytes: number): number {
  return Math.max(64 * 2 ** 20, 256 * bytes);
}

const at = (values: ArrayLike<number | bigint> | undefined, i: number): number => Number(values?.[i]);

/** A view's length, buffer and offset (Arrow's 16-byte BinaryView layout). */
function viewCost(bytes: Uint8Array, data: Uint8Array[] | undefined, i: number, refuse: Refuse): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + 16 * i, 16);
  const length = view.getInt32(0, true);
  if (length < 0) refuse(`a view at row ${i} of length ${length}`);
  if (length <= 12) return 1 + length;
  const buffer = view.getInt32(8, true);
  const offset = view.getInt32(12, true);
  const target = data?.[buffer];
  if (!target || offset < 0 || offset + length > target.length)
    refuse(`a view at row ${i} that reaches past its data buffers`);
  return 1 + length;
}

/** Prefix sums of `costs`: the cost of rows [a, b) is sums[b] - sums[a]. */
function prefix(costs: Float64Array): Float64Array {
  const sums = new Float64Array(costs.length + 1);
  for (let i = 0; i < costs.length; i++) sums[i + 1] = (sums[i] as number) + (costs[i] as number);
  return sums;
}

/**
 * The cost of reading each row of `batch` (see the module comment), given to
 * `put` row by row; nested columns' rows are costed first.
 */
function eachCost(batch: Batch<unknown>, costing: Costing, put: (row: number, cost: number) => void): void {
  const refuse: Refuse = costing.refuse;
  const b = batch as unknown as Parts;
  const n = b.length;
  const children = b.children ?? [];
  const child = (k: number): Batch<unknown> => {
    const c = children[k];
    if (!c) refuse(`no child column ${k}`);
    return c;
  };
  switch (b.type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Binary:
    case Type.LargeBinary: {
      const size = (b.values as ArrayLike<number>).length;
      for (let i = 0; i < n; i++) {
        const from = at(b.offsets, i);
        const to = at(b.offsets, i + 1);
        if (!(from <= to)) refuse(`text at row ${i} whose offsets go back (${from} to ${to})`);
        if (!(from >= 0 && to <= size)) refuse(`text at row ${i} that reaches past its ${size} bytes`);
        put(i, 1 + to - from);
      }
      return;
    }
    case Type.FixedSizeBinary:
      for (let i = 0; i < n; i++) put(i, 1 + (b.type.stride ?? 0));
      return;
    case Type.BinaryView:
    case Type.Utf8View:
      for (let i = 0; i < n; i++) put(i, viewCost(b.values as unknown as Uint8Array, b.data, i, refuse));
      return;
    case Type.List:
    case Type.LargeList:
    case Type.Map:
    case Type.ListView:
    case Type.LargeListView:
    case Type.FixedSizeList: {
      const values = child(0);
      const sums = prefix(rowCosts(values, costing));
      const stride = b.type.stride ?? 0;
      for (let i = 0; i < n; i++) {
        let from: number;
        let to: number;
        if (b.type.typeId === Type.FixedSizeList) {
          from = i * stride;
          to = from + stride;
        } else if (b.sizes) {
          from = at(b.offsets, i);
          to = from + at(b.sizes, i);
        } else {
          from = at(b.offsets, i);
          to = at(b.offsets, i + 1);
        }
        if (!(from <= to)) refuse(`a list at row ${i} whose offsets go back (${from} to ${to})`);
        if (!(from >= 0 && to <= values.length))
          refuse(`a list at row ${i} that reaches past its ${values.length} values`);
        put(i, 1 + (sums[to] as number) - (sums[from] as number));
      }
      return;
    }
    case Type.Struct: {
      const below = children.map((c) => rowCosts(c, costing));
      for (let i = 0; i < n; i++) {
        let cost = 1;
        for (const costs of below) cost += costs[i] as number;
        put(i, cost);
      }
      return;
    }
    case Type.Union: {
      const below = children.map((c) => rowCosts(c, costing));
      const dense = b.offsets !== undefined && b.offsets !== null;
      for (let i = 0; i < n; i++) {
        const k = b.type.typeMap?.[b.typeIds?.[i] as number];
        const costs = k === undefined ? undefined : below[k];
        if (!costs) refuse(`a union value at row ${i} of a type it does not have`);
        const row = dense ? at(b.offsets, i) : i;
        if (!(row >= 0 && row < costs.length)) refuse(`a union value at row ${i} past its member's values`);
        put(i, 1 + (costs[row] as number));
      }
      return;
    }
    case Type.RunEndEncoded: {
      const ends = child(0) as unknown as Parts;
      const values = rowCosts(child(1), costing);
      const runs = Math.min(ends.length, values.length);
      let row = 0;
      for (let k = 0; k < runs && row < n; k++) {
        const end = at(ends.values, k);
        if (!(end > row)) refuse(`run ends that do not increase (run ${k})`);
        for (; row < end && row < n; row++) put(row, 1 + (values[k] as number));
      }
      if (row < n) refuse(`runs that end before its ${n} rows`);
      return;
    }
    case Type.Dictionary: {
      // reading a row gives the dictionary's value, decoded once: a read; written
      // out (an answer, CSV) it is all its text, tallied apart (one 512 KB string
      // under 4,000 indices is 2 GB as text; categories of 55 characters under
      // one-byte codes, as pandas sends them, are 56 times the bytes sent)
      const values = dictionaryCosts(batch, costing);
      for (let i = 0; i < n; i++) {
        // a null's index is unspecified (pyarrow writes -1 for pandas' missing categories)
        if (isNull(batch, i)) {
          put(i, 1);
          continue;
        }
        const key = at(b.values, i);
        if (!(key >= 0 && key < values.length))
          refuse(`a dictionary index at row ${i} past its ${values.length} values`);
        costing.text += values[key] as number;
        put(i, 1);
      }
      return;
    }
    default:
      // one value a row: numbers, dates, booleans, nulls
      for (let i = 0; i < n; i++) put(i, 1);
  }
}

/** Each dictionary's value costs, once for all the batches that share it. */
const DICTIONARIES = new WeakMap<object, Float64Array>();

function dictionaryCosts(batch: Batch<unknown>, costing: Costing): Float64Array {
  const refuse: Refuse = costing.refuse;
  const dictionary = (batch as unknown as { dictionary?: { data: Array<Batch<unknown>> } }).dictionary;
  if (!dictionary) refuse('dictionary indices without a dictionary');
  let costs = DICTIONARIES.get(dictionary);
  if (!costs) {
    const parts = dictionary.data.map((d) => rowCosts(d, costing));
    costs = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let k = 0;
    for (const p of parts) {
      costs.set(p, k);
      k += p.length;
    }
    DICTIONARIES.set(dictionary, costs);
  }
  return costs;
}

/**
 * The cost of reading each row of `batch` (see the module comment).
 *
 * @param batch - a batch whose lengths check.ts has checked against its buffers
 * @param costing - where a dictionary's text is tallied, and what to call when a row reads outside its data
 * @returns one cost per row
 */
function rowCosts(batch: Batch<unknown>, costing: Costing): Float64Array {
  const costs = new Float64Array(batch.length);
  eachCost(batch, costing, (row, cost) => {
    costs[row] = cost;
  });
  return costs;
}

/**
 * The cost of reading every row of `batch` once.
 * @param batch - a batch whose lengths check.ts has checked against its buffers
 * @param costing - where a dictionary's text is tallied, and what to call when a row reads outside its data
 */
export function readCost(batch: Batch<unknown>, costing: Costing): number {
  // one value a row costs its rows, without a pass over them (ten million numbers)
  if (ONE_A_ROW.has((batch as unknown as Parts).type.typeId)) return batch.length;
  let total = 0;
  eachCost(batch, costing, (_, cost) => {
    total += cost;
  });
  return total;
}
