import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnFromArray, field, int32, struct, tableFromColumns, tableFromIPC, tableToIPC } from '@uwdata/flechette';
import { columnsToIPC } from '../../src/arrow/ipc.js';
import { FlatBuffer } from '../../src/arrow/read.js';
import { verifyArrowIPC } from '../../src/arrow/verify.js';
import { writeArrowStream } from '../../src/arrow/write.js';
import { parseCSV } from '../../src/csv/index.js';
import { ArrowColumn } from '../../src/csv/layout.js';
import { isCsvSocketError } from '../../src/errors.js';
import { PYARROW, pyarrowFile, pyarrowFiles } from './fixtures.js';

/** Refused by the verifier with CSVS_PROTOCOL_BAD_ARROW and a message matching `why`. */
function refused(bytes: Uint8Array, why: RegExp): void {
  assert.throws(
    () => verifyArrowIPC(bytes),
    (err: unknown) => {
      assert.ok(isCsvSocketError(err, 'CSVS_PROTOCOL_BAD_ARROW'), String(err));
      assert.match(err.message, why);
      return true;
    },
  );
}

/** A stream of one zero-row Bool column per name (this project's writer), split into its messages. */
function boolStream(columns: number): { bytes: Uint8Array; schemaEnd: number; batch: Uint8Array } {
  const bytes = writeArrowStream(
    Array.from({ length: columns }, (_, i) => ({
      name: `c${i}`,
      column: new ArrowColumn('bool', new Uint8Array(0), undefined, 0, 0),
    })),
    0,
  );
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const schemaEnd = 8 + dv.getInt32(4, true);
  const size = dv.getInt32(schemaEnd + 4, true);
  return { bytes, schemaEnd, batch: bytes.slice(schemaEnd + 8, schemaEnd + 8 + size) };
}

/**
 * A schema, then `count` record-batch messages of 8 bytes of metadata whose
 * root offsets all point at one RecordBatch flatbuffer placed after the
 * end-of-stream marker (outside every message).
 */
function pointingOutside(columns: number, count: number): Uint8Array {
  const { bytes, schemaEnd, batch } = boolStream(columns);
  const root = new FlatBuffer(batch).deref(0);
  const target = schemaEnd + 16 * count + 8;
  const out = new Uint8Array(target + batch.length);
  const o = new DataView(out.buffer);
  out.set(bytes.subarray(0, schemaEnd));
  let at = schemaEnd;
  for (let m = 0; m < count; m++, at += 16) {
    o.setInt32(at, -1, true);
    o.setInt32(at + 4, 8, true);
    o.setUint32(at + 8, target + root - (at + 8), true);
  }
  o.setInt32(at, -1, true);
  o.setInt32(at + 4, 0, true);
  out.set(batch, target);
  return out;
}

/** `bytes` with the int32 at `at` set to `to`. */
function patchInt32(bytes: Uint8Array, at: number, to: number): Uint8Array {
  const out = new Uint8Array(bytes);
  new DataView(out.buffer).setInt32(at, to, true);
  return out;
}

/** The position of the vector count of the schema's fields (the first message's). */
function fieldsCount(bytes: Uint8Array): number {
  const size = new DataView(bytes.buffer, bytes.byteOffset).getInt32(4, true);
  const fb = new FlatBuffer(bytes.subarray(8, 8 + size));
  return 8 + fb.child(fb.child(fb.deref(0), 2), 1);
}

describe('verifyArrowIPC', () => {
  it('passes every stream and file pyarrow writes (50: every type, nesting, dictionaries with deltas, views, unions, metadata, V4)', () => {
    const files = pyarrowFiles();
    assert.ok(files.length >= 50, `${files.length} files in ${PYARROW}`);
    for (const [name, bytes] of files) assert.doesNotThrow(() => verifyArrowIPC(bytes), name);
  });

  it("passes this project's and flechette's streams of the CSV corpus", () => {
    const parsed = parseCSV('a,b,c,d\n1,x,true,2024-01-02\n,\ufeffy,,\n');
    const ours = columnsToIPC(parsed);
    assert.doesNotThrow(() => verifyArrowIPC(ours));
    assert.doesNotThrow(() => verifyArrowIPC(boolStream(3).bytes));
  });

  it('refuses a stream of 3 rows whose schema declares 2^31 fields (flechette: the process ran out of memory)', () => {
    const bytes = columnsToIPC(parseCSV('x,s\n1,a\n2,b\n3,c\n'));
    const at = fieldsCount(bytes);
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getInt32(at, true), 2);
    refused(patchInt32(bytes, at, 0x7fffffff), /points outside itself/);
  });

  it('refuses metadata of -4 bytes (flechette: read the same message forever)', () => {
    refused(patchInt32(new Uint8Array(16), 0, -4), /declares -4 bytes of metadata/);
  });

  it('refuses a body that ends past the bytes, or of a negative length', () => {
    const bytes = columnsToIPC(parseCSV('x\n1\n2\n'));
    for (let at = 0; at + 8 <= bytes.length; at += 8) {
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      // the record batch's bodyLength is the int64 that equals its body's size (16: two 8-byte buffers)
      if (view.getBigInt64(at, true) !== 16n) continue;
      const long = new Uint8Array(bytes);
      new DataView(long.buffer).setBigInt64(at, 1n << 40n, true);
      refused(long, /body of 1099511627776 bytes|points outside/);
      const negative = new Uint8Array(bytes);
      new DataView(negative.buffer).setBigInt64(at, -16n, true);
      refused(negative, /points outside itself/);
      return;
    }
    assert.fail('no body length found');
  });

  it('refuses messages whose root points outside their metadata (read by reaching past the end marker)', () => {
    refused(pointingOutside(1, 1), /points outside itself/);
    refused(pointingOutside(64, 2000), /points outside itself/);
  });

  it('refuses a vtable whose size flechette reads as negative', () => {
    const { bytes, schemaEnd } = boolStream(1);
    const out = new Uint8Array(bytes);
    const meta = new FlatBuffer(out.subarray(schemaEnd + 8));
    const root = meta.deref(0);
    const vtable = schemaEnd + 8 + root - meta.i32(root);
    const view = new DataView(out.buffer);
    view.setUint16(vtable, view.getUint16(vtable, true) | 0x8000, true);
    refused(out, /points outside itself/);
  });

  it('refuses a record batch that describes fewer columns than the schema has', () => {
    const { bytes, schemaEnd } = boolStream(3);
    const meta = new FlatBuffer(bytes.subarray(schemaEnd + 8));
    const nodes = meta.child(meta.child(meta.deref(0), 2), 1);
    refused(patchInt32(bytes, schemaEnd + 8 + nodes, 1), /describes 1 of its 3 columns/);
  });

  it('refuses a view column that declares 2^40 data buffers', () => {
    const bytes = pyarrowFile('string_view.arrow');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    let patched = 0;
    for (let at = 0; at + 8 <= bytes.length; at += 8) {
      const out = new Uint8Array(bytes);
      new DataView(out.buffer).setBigInt64(at, 1n << 40n, true);
      // the one variadic count (1: the long string's buffer) is the patch the verifier names
      if (view.getBigInt64(at, true) !== 1n) continue;
      try {
        verifyArrowIPC(out);
      } catch (err) {
        if (/declares 1099511627776 data buffers/.test((err as Error).message)) patched++;
      }
    }
    assert.equal(patched, 1);
  });

  it("refuses buffers outside their message's body, or over each other", () => {
    // two batches of one Int8 column: the second's values pointed back at the first's body
    const bytes = columnsToIPC(parseCSV('x\ntrue\nfalse\n'));
    const size = new DataView(bytes.buffer, bytes.byteOffset).getInt32(4, true);
    const start = 8 + size; // the record batch message
    const batchSize = new DataView(bytes.buffer, bytes.byteOffset).getInt32(start + 4, true);
    const meta = new FlatBuffer(bytes.subarray(start + 8, start + 8 + batchSize));
    const buffers = start + 8 + meta.child(meta.child(meta.deref(0), 2), 2);
    const back = new Uint8Array(bytes);
    new DataView(back.buffer).setBigInt64(buffers + 4 + 16, -64n, true); // the values' offset
    refused(back, /points outside itself/);
    const past = new Uint8Array(bytes);
    new DataView(past.buffer).setBigInt64(buffers + 4 + 16 + 8, 1024n, true); // the values' length
    refused(past, /a buffer lies outside its message body/);
    const over = new Uint8Array(bytes);
    // validity and values over the same 8 bytes: 16 bytes of buffers in a body of 8 or 16
    const view = new DataView(over.buffer);
    view.setBigInt64(buffers + 4, 0n, true);
    view.setBigInt64(buffers + 4 + 8, view.getBigInt64(buffers + 4 + 24, true) + 8n, true);
    refused(over, /its buffers overlap|lies outside/);
  });

  it('refuses fields nested more than 64 deep', () => {
    // a field whose type nests `depth` structs, written by flechette's encoder
    const deep = (depth: number) => {
      let type: ReturnType<typeof int32> | ReturnType<typeof struct> = int32();
      let value: unknown = 1;
      for (let d = 0; d < depth; d++) {
        type = struct([field('s', type)]);
        value = { s: value };
      }
      return tableToIPC(tableFromColumns([['deep', columnFromArray([value], type)]]), {
        format: 'stream',
      }) as Uint8Array;
    };
    assert.doesNotThrow(() => verifyArrowIPC(deep(63)));
    refused(deep(64), /nested more than 64 deep/);
  });

  it('passes only what flechette decodes at the cost of its size: each int32 of four files set to a hostile value', () => {
    let passed = 0;
    let refusedCount = 0;
    for (const name of ['dict-delta.arrow', 'nested.arrow', 'string_view.arrow', 'dense_union.arrow']) {
      const base = pyarrowFile(name);
      const variants: Uint8Array[] = [];
      for (let at = 0; at + 4 <= base.length; at += 4)
        for (const v of [0x7fffffff, -4, -1, 0x40000000, 0x8000]) variants.push(patchInt32(base, at, v));
      for (const bytes of variants) {
        try {
          verifyArrowIPC(bytes);
        } catch {
          refusedCount++;
          continue;
        }
        passed++;
        // what passes is decoded at the cost of its size: flechette finishes or throws, and never
        // with more columns or batches than the bytes could describe
        try {
          const table = tableFromIPC(bytes);
          assert.ok(table.numCols <= bytes.length / 4, name);
        } catch (err) {
          assert.ok(err instanceof Error, name);
        }
      }
    }
    assert.ok(passed > 100 && refusedCount > 1000, `${passed} passed, ${refusedCount} refused`);
  });
});
