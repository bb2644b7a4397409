import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvParseError } from '../../src/errors.js';
import { looksLikePandasJSON, pandasJSONToCSV } from '../../src/protocol/legacy.js';
import { rejectsWithCode } from '../helpers.js';

describe('legacy', () => {
  describe('#looksLikePandasJSON', () => {
    it('takes a message starting with { (after blanks) as JSON, anything else as CSV', () => {
      assert.equal(looksLikePandasJSON('{"a":{"0":1}}'), true);
      assert.equal(looksLikePandasJSON(' \n {"a":{}}'), true);
      assert.equal(looksLikePandasJSON('a,b\n1,2\n'), false);
      assert.equal(looksLikePandasJSON(''), false);
      assert.equal(looksLikePandasJSON('   '), false);
    });
  });

  describe('#pandasJSONToCSV', () => {
    it("rebuilds pandas' orient-columns JSON as CSV, quoting where needed", () => {
      const csv = pandasJSONToCSV(
        JSON.stringify({ id: { 0: 1, 1: 2 }, name: { 0: 'a, "b"', 1: null }, ok: { 0: true, 1: false } }),
      );
      assert.equal(csv, 'id,name,ok\n1,"a, ""b""",true\n2,,false\n');
    });

    it("rebuilds the seed's students.csv message", () => {
      const message = JSON.stringify({
        id: { 0: 1, 1: 2 },
        name: { 0: 'Monish', 1: 'Floofy' },
        age: { 0: 21, 1: 22 },
        grade: { 0: 'A', 1: 'B' },
      });
      assert.equal(pandasJSONToCSV(message), 'id,name,age,grade\n1,Monish,21,A\n2,Floofy,22,B\n');
    });

    it('orders rows by index and leaves a value missing from a column empty', () => {
      const csv = pandasJSONToCSV('{"a":{"1":"x","0":"y"},"b":{"0":5}}');
      assert.equal(csv, 'a,b\ny,5\nx,\n');
    });

    it('quotes an empty string so it stays apart from a missing value, and writes nested values as JSON', () => {
      assert.equal(pandasJSONToCSV('{"a":{"0":"","1":null}}'), 'a\n""\n\n');
      assert.equal(pandasJSONToCSV('{"a":{"0":{"k":1}}}'), 'a\n"{""k"":1}"\n');
    });

    it('rejects JSON of another shape with CsvParseError CSVS_PARSE_BAD_JSON at line 1', async () => {
      const err = await rejectsWithCode(
        () => pandasJSONToCSV('[1,2,3]'),
        'CSVS_PARSE_BAD_JSON',
        /an object of columns/,
      );
      assert.ok(err instanceof CsvParseError);
      assert.equal((err as CsvParseError).line, 1);
      await rejectsWithCode(() => pandasJSONToCSV('{"a":[1,2]}'), 'CSVS_PARSE_BAD_JSON', /orient "columns"/);
      await rejectsWithCode(() => pandasJSONToCSV('{"a":'), 'CSVS_PARSE_BAD_JSON', /neither CSV nor valid JSON/);
      await rejectsWithCode(() => pandasJSONToCSV('{}'), 'CSVS_PARSE_EMPTY', /no columns/);
    });
  });
});
