import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, plural } from '../../src/protocol/units.js';
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

  describe('#plural', () => {
    it('adds an s except for one, and groups thousands', () => {
      assert.equal(plural(1, 'row'), '1 row');
      assert.equal(plural(0, 'row'), '0 rows');
      assert.equal(plural(60_000, 'row'), '60,000 rows');
    });
  });
});
