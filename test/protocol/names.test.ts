import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { DatasetName, parseClientMessage } from '../../src/protocol/messages.js';
import {
  DATASET_NAME_MAX,
  datasetNameForFile,
  hasControlCharacter,
  hasLoneSurrogate,
  isDatasetName,
} from '../../src/protocol/names.js';

describe('names', () => {
  describe('#isDatasetName', () => {
    it('accepts 1 to 128 characters without control characters, as the server does', () => {
      for (const name of ['a', 'students', 'x'.repeat(DATASET_NAME_MAX), '__proto__', 'ünïcødé 🙂', 'a\u0085b']) {
        assert.equal(isDatasetName(name), true, name);
        assert.doesNotThrow(() => parseClientMessage(JSON.stringify({ type: 'drop', rid: 1, name })));
      }
    });

    it('refuses the empty name, 129 characters and control characters, as the server does', () => {
      for (const name of ['', 'x'.repeat(DATASET_NAME_MAX + 1), 'a\nb', 'tab\there', 'del\u007f', '\u0000']) {
        assert.equal(isDatasetName(name), false, JSON.stringify(name));
        assert.throws(() => parseClientMessage(JSON.stringify({ type: 'drop', rid: 1, name })), /"name"/);
      }
    });
  });

  describe('#hasLoneSurrogate', () => {
    it('finds an unpaired high or low surrogate, not a pair', () => {
      for (const text of ['report\udfff', '\ud83d', 'a\ud83db', '\ude42\ud83d', '\ud83d\ud83d'])
        assert.equal(hasLoneSurrogate(text), true, JSON.stringify(text));
      for (const text of ['', 'plain', '🙂', 'a🙂b🙂', '\ud83d\ude42'])
        assert.equal(hasLoneSurrogate(text), false, text);
    });

    it('is refused by the message schema with its own reason', () => {
      assert.throws(
        () => parseClientMessage(JSON.stringify({ type: 'drop', rid: 1, name: 'report\udfff' })),
        /"name": must be well-formed Unicode/,
      );
      assert.throws(
        () => parseClientMessage(JSON.stringify({ type: 'drop', rid: 1, name: 'a\tb' })),
        /"name": must not contain control characters/,
      );
    });

    it('is checked without a refinement (one made every parse outlive the young generation)', () => {
      assert.ok(DatasetName instanceof z.ZodString);
    });
  });

  describe('#hasControlCharacter', () => {
    it('finds C0 controls and DEL only', () => {
      assert.equal(hasControlCharacter('\u001f'), true);
      assert.equal(hasControlCharacter(' ~'), false);
      assert.equal(hasControlCharacter(''), false);
    });
  });

  describe('#datasetNameForFile', () => {
    it('drops the extension', () => {
      assert.equal(datasetNameForFile('students.csv'), 'students');
      assert.equal(datasetNameForFile('archive.tar.gz'), 'archive.tar');
      assert.equal(datasetNameForFile('README'), 'README');
    });

    it('falls back to "data" when nothing is left', () => {
      assert.equal(datasetNameForFile('.csv'), 'data');
      assert.equal(datasetNameForFile(''), 'data');
      assert.equal(datasetNameForFile('   .csv'), 'data');
    });

    it('replaces control characters and cuts to the longest name, giving a valid name', () => {
      assert.equal(datasetNameForFile('a\tb\u0000.csv'), 'a_b_');
      const long = datasetNameForFile(`${'y'.repeat(300)}.csv`);
      assert.equal(long.length, DATASET_NAME_MAX);
      for (const file of ['a\tb.csv', `${'y'.repeat(300)}.csv`, '.csv', 'x\n.tsv']) {
        assert.equal(isDatasetName(datasetNameForFile(file)), true, file);
      }
    });
  });
});
