import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { closeMatches, missingFile } from '../../src/client/missing-file.js';

describe('missingFile', () => {
  const folder = mkdtempSync(join(tmpdir(), 'csvs-missing-'));
  for (const name of ['students.csv', 'Students.CSV.bak', 'seattle-weather.csv', 'notes.txt', 'students.tsv'])
    writeFileSync(join(folder, name), 'a\n1\n');

  it('says the file is missing, from which folder, and names close matches', () => {
    const err = missingFile(join(folder, 'studnets.csv'), 'studnets.csv');
    assert.equal(err.name, 'NotFoundError');
    assert.equal(err.code, 'CSVS_NOT_FOUND');
    assert.equal(
      err.message,
      `no file "studnets.csv" in ${folder} (a relative path starts from the current folder; in Jupyter, the notebook’s folder); did you mean "students.csv", "students.tsv"?`,
    );
  });

  it('finds another extension or case, and leaves out what is far', () => {
    assert.deepEqual(closeMatches(folder, 'seattle-weather.json'), ['seattle-weather.csv']);
    assert.deepEqual(closeMatches(folder, 'STUDENTS.csv'), ['students.csv', 'students.tsv']);
    assert.deepEqual(closeMatches(folder, 'population.csv'), []);
  });

  it('says when the folder itself is missing, or the path is a folder', () => {
    assert.equal(
      missingFile(join(folder, 'data', 'x.csv'), '/abs/x.csv').message,
      `no file "x.csv": the folder ${join(folder, 'data')} does not exist`,
    );
    assert.equal(missingFile(folder).message, `${folder} is a folder, not a file: name a CSV file in it`);
  });
});
