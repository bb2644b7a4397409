import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as aq from 'arquero';
import { ArgumentError } from '../../src/errors.js';
import { chart } from '../../src/notebook/chart.js';

const students = aq.table({
  name: ['Monish', 'Floofy', 'Ada', 'Grace'],
  grade: [90, 85, 97, 88],
  born: [new Date('2001-02-03'), new Date('2001-07-01'), new Date('2002-05-06'), new Date('2000-12-09')],
});

describe('chart outside a notebook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csvs-chart-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes an SVG file and resolves to its path', async () => {
    const file = join(dir, 'grades.svg');
    assert.equal(
      await chart(students, { mark: 'bar', encoding: { x: { field: 'name' }, y: { field: 'grade' } } }, { file }),
      file,
    );
    assert.match(readFileSync(file, 'utf8'), /^<svg [^>]*>.*role-mark/s);
  });

  it('has shorthands for bar, line, point and histogram', async () => {
    for (const [kind, make] of [
      ['bar', () => chart.bar(students, 'name', 'grade', { file: join(dir, 'bar.svg') })],
      ['count', () => chart.bar(students, 'name', undefined, { file: join(dir, 'count.svg') })],
      ['line', () => chart.line(students, 'born', 'grade', { file: join(dir, 'line.svg') })],
      ['point', () => chart.point(students, 'born', 'grade', { file: join(dir, 'point.svg'), color: 'name' })],
      ['histogram', () => chart.histogram(students, 'grade', { file: join(dir, 'hist.svg'), title: 'Grades' })],
    ] as const) {
      const file = await make();
      assert.ok(file, kind);
      assert.match(readFileSync(file, 'utf8'), /role-mark/, kind);
    }
  });

  it('throws bad arguments synchronously', () => {
    assert.throws(
      () => chart(students, null as never),
      (err) => err instanceof ArgumentError && err.code === 'CSVS_BAD_ARGUMENT',
    );
    assert.throws(
      () => chart(students, { mark: 'bars' }),
      (err) => err instanceof ArgumentError && /mark: "bars" is not one of .* did you mean "bar"\?/.test(err.message),
    );
  });
});
