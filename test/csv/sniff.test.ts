/**
 * src/csv/sniff.ts: the delimiter and the JSON check, from the header line alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELIMITERS, detectDelimiter, sniffStart } from '../../src/csv/sniff.js';

const code = (c: string) => c.charCodeAt(0);

describe('sniffStart', () => {
  it('picks the delimiter that occurs most often in the header line', () => {
    assert.deepEqual(sniffStart('a;b;c\n1,5;2;3\n', true), { delimiter: code(';'), json: false });
    assert.deepEqual(sniffStart('a\tb\n', true), { delimiter: code('\t'), json: false });
    assert.deepEqual(sniffStart('a|b|c\n', true), { delimiter: code('|'), json: false });
  });

  it('reads only the header line: the rows, however many commas they hold, do not vote', () => {
    assert.equal(sniffStart('a;b\n1,2,3,4,5;6\n7,8,9;0\n', true)?.delimiter, code(';'));
  });

  it('counts no delimiter inside quotes, and prefers in DELIMITERS order on a tie', () => {
    assert.equal(sniffStart('"x;y;z",b\n', true)?.delimiter, code(','));
    assert.deepEqual(DELIMITERS, [',', ';', '\t', '|']);
    assert.equal(sniffStart('a;b,c\n', true)?.delimiter, code(','));
    assert.equal(sniffStart('a|b\tc\n', true)?.delimiter, code('\t'));
    // a single column: a comma
    assert.equal(sniffStart('value\n1\n', true)?.delimiter, code(','));
  });

  it('skips blank lines before the header', () => {
    assert.deepEqual(sniffStart('\n  \t\r\n\na;b\n', true), { delimiter: code(';'), json: false });
  });

  it('waits (null) until the header line is complete, unless the input is final', () => {
    assert.equal(sniffStart('a;b', false), null);
    assert.equal(sniffStart('\n\n  ', false), null);
    assert.equal(sniffStart('"a\n;b";c', false), null, 'a newline in quotes does not end the header');
    assert.deepEqual(sniffStart('a;b', true), { delimiter: code(';'), json: false });
    assert.deepEqual(sniffStart('', true), { delimiter: code(','), json: false });
  });

  it('tells JSON from CSV by the first non-blank text', () => {
    for (const json of [
      '{"a":[1]}',
      '[{"a":1}]',
      '[\n{"a":1}]',
      '{\r\n"a":1}',
      '{ "a": 1 }',
      '[',
      '{',
      '\n\n{"a":1}',
    ]) {
      assert.equal(sniffStart(json, true)?.json, true, JSON.stringify(json));
    }
    for (const csv of ['a,b\n1,2\n', '[a],b\n1,2\n', '{x},y\n', '"{",b\n']) {
      assert.equal(sniffStart(csv, true)?.json, false, JSON.stringify(csv));
    }
  });
});

describe('detectDelimiter', () => {
  it('returns the delimiter as a string', () => {
    assert.equal(detectDelimiter('a|b\n1|2\n'), '|');
    assert.equal(detectDelimiter('a;b\n'), ';');
    assert.equal(detectDelimiter('a\tb'), '\t');
    assert.equal(detectDelimiter('only'), ',');
  });
});
