import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clearArena, discard, release, takeF64 } from '../../src/csv/arena.js';

const MB = 1 << 20;

describe('arena', () => {
  it('gives a released buffer to the next array that fits, and frees what it keeps when cleared', () => {
    const a = takeF64(100_000);
    release(a);
    const b = takeF64(90_000);
    assert.equal(b.buffer, a.buffer, 'the kept buffer is reused');
    release(b);
    clearArena();
    assert.equal(b.buffer.byteLength, 0, 'a cleared buffer is freed (detached)');
    assert.notEqual(takeF64(90_000).buffer, b.buffer);
  });

  it('discard frees memory at once, without a garbage collection', () => {
    const buffers = Array.from({ length: 32 }, () => new Uint8Array(MB).fill(1).buffer);
    const before = process.memoryUsage().arrayBuffers;
    discard(...buffers);
    const after = process.memoryUsage().arrayBuffers;
    assert.ok(
      buffers.every((b) => b.byteLength === 0),
      'every buffer is detached',
    );
    assert.ok(before - after >= 32 * MB, `freed ${((before - after) / MB).toFixed(1)} MB of 32`);
    discard(); // nothing: no error
  });
});
