import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatCount, plural } from '../../src/protocol/units.js';
import * as text from '../../src/text.js';

describe('units', () => {
  describe('#formatBytes', () => {
    it('writes bytes, then KB … TB with one decimal below 10', () => {
      assert.equal(formatBytes(0), '0 B');
      assert.equal(formatBytes(1023), '1023 B');
      assert.equal(formatBytes(1024), '1.0 KB');
      assert.equal(formatBytes(1536), '1.5 KB');
      assert.equal(formatBytes(48 * 1024 * 1024), '48 MB');
      assert.equal(formatBytes(2.1 * 1024 ** 3), '2.1 GB');
      assert.equal(formatBytes(5 * 1024 ** 5), '5120 TB');
    });

    it('is the one text.ts gives the terminal and the notebook', () => {
      assert.equal(text.formatBytes, formatBytes);
      assert.equal(text.plural, plural);
    });
  });

  describe('#formatCount', () => {
    it("groups thousands as toLocaleString('en-US') does", () => {
      for (const n of [
        0,
        1,
        -1,
        7,
        999,
        1000,
        -1000,
        12_345,
        999_999,
        1_000_000,
        2 ** 40 + 7,
        Number.MAX_SAFE_INTEGER,
      ]) {
        assert.equal(formatCount(n), n.toLocaleString('en-US'), String(n));
      }
      assert.equal(formatCount(1234.5678), '1,234.568');
    });

    it("groups a count without ICU: a process's first toLocaleString loads its locale data (~11 ms of the CLI's start-up)", (t) => {
      const spy = t.mock.method(Number.prototype, 'toLocaleString');
      assert.equal(formatCount(1_000_000), '1,000,000');
      assert.equal(plural(60_000, 'row'), '60,000 rows');
      assert.equal(spy.mock.callCount(), 0);
    });
  });

  describe('#plural', () => {
    it('adds an s except for one, and groups thousands', () => {
      assert.equal(plural(1, 'row'), '1 row');
      assert.equal(plural(0, 'row'), '0 rows');
      assert.equal(plural(60_000, 'row'), '60,000 rows');
    });
  });
});
