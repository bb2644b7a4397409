import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { binning, renderChart } from '../../src/chart/chart.js';
import { rejectsWithCode } from '../helpers.js';

const students = aq.table({
  name: ['Monish', 'Floofy', 'Ada', 'Grace'],
  grade: [90, 85, 97, 88],
  born: [new Date('2001-02-03'), new Date('2001-07-01'), new Date('2002-05-06'), new Date('2000-12-09')],
});

/** Marks of one vega role in an SVG, e.g. rect bars or symbol points. */
function marks(svg: string, role: string): string {
  const start = svg.indexOf(`role-mark ${role}`);
  assert.ok(start >= 0, `no ${role} marks in the SVG`);
  return svg.slice(start, svg.indexOf('</g>', start));
}

describe('renderChart', () => {
  it('draws one bar per row, with types inferred', async () => {
    const { svg, spec, note } = await renderChart(students, {
      mark: 'bar',
      encoding: { x: { field: 'name' }, y: { field: 'grade' } },
    });
    assert.match(svg, /^<svg /);
    assert.equal(marks(svg, 'marks').match(/<path/g)?.length, 4);
    assert.deepEqual(spec.encoding?.x, { field: 'name', type: 'nominal' });
    assert.deepEqual(spec.encoding?.y, { field: 'grade', type: 'quantitative' });
    assert.equal(note, undefined);
    assert.equal((spec.data as { values: unknown[] }).values.length, 4);
  });

  it('draws a line over dates, inlined as ISO strings', async () => {
    const { svg, spec } = await renderChart(students, {
      mark: 'line',
      encoding: { x: { field: 'born' }, y: { field: 'grade' } },
    });
    assert.match(marks(svg, 'marks'), /<path [^>]*d="M[\d.]+,[\d.]+L/);
    assert.equal((spec.encoding?.x as { type?: string } | undefined)?.type, 'temporal');
    assert.equal((spec.data as { values: Array<{ born: unknown }> }).values[0]?.born, '2001-02-03T00:00:00.000Z');
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(spec)));
  });

  it('draws one symbol per point', async () => {
    const { svg } = await renderChart(students, {
      mark: 'point',
      encoding: { x: { field: 'grade' }, y: { field: 'name' } },
    });
    assert.equal(marks(svg, 'marks').match(/<path/g)?.length, 4);
  });

  it('draws a histogram of binned counts', async () => {
    const values = aq.table({ v: [1, 1, 2, 3, 3, 3, 9] });
    const { svg } = await renderChart(values, {
      mark: 'bar',
      encoding: { x: { field: 'v', bin: true }, y: { aggregate: 'count' } },
    });
    assert.ok((marks(svg, 'marks').match(/<path/g)?.length ?? 0) >= 3);
  });

  it('aggregates a large aggregating spec exactly, with a note on the chart', async () => {
    const n = 20_000;
    const big = aq.table({
      v: Array.from({ length: n }, (_, i) => i % 10),
      k: Array.from({ length: n }, (_, i) => (i % 2 ? 'odd' : 'even')),
    });
    const hist = await renderChart(big, {
      mark: 'bar',
      encoding: { x: { field: 'v', bin: true }, y: { aggregate: 'count' } },
    });
    assert.match(hist.note ?? '', /aggregated 20,000 rows into \d+/);
    assert.ok(hist.svg.includes('aggregated 20,000 rows'), 'note missing from the SVG');
    assert.ok(hist.rows <= 20);
    const values = hist.spec.data as { values: Array<Record<string, number>> };
    assert.equal(
      values.values.reduce((sum, row) => sum + (row.__count_y ?? 0), 0),
      n,
    );
    const means = await renderChart(big, {
      mark: 'bar',
      encoding: { x: { field: 'k' }, y: { field: 'v', aggregate: 'mean' } },
    });
    const rows = (means.spec.data as { values: Array<Record<string, unknown>> }).values;
    assert.deepEqual(rows.map((r) => [r.k, r.__mean_y]).sort(), [
      ['even', 4],
      ['odd', 5],
    ]);
  });

  it('samples a large point chart to maxPoints, with a note', async () => {
    const big = aq.table({
      x: Array.from({ length: 12_000 }, (_, i) => i),
      y: Array.from({ length: 12_000 }, (_, i) => i % 13),
    });
    const { note, rows, svg } = await renderChart(
      big,
      { mark: 'point', encoding: { x: { field: 'x' }, y: { field: 'y' } } },
      { maxPoints: 3000 },
    );
    assert.equal(rows, 3000);
    assert.match(note ?? '', /sampled 3,000 of 12,000 rows \(every 4th row\)/);
    assert.ok(svg.includes('sampled 3,000'));
    assert.ok(svg.length < 1_000_000, `SVG of ${svg.length} bytes`);
  });

  it('keeps a title and adds the note as its subtitle', async () => {
    const big = aq.table({ x: Array.from({ length: 30 }, (_, i) => i) });
    const { spec } = await renderChart(
      big,
      { title: 'T', mark: 'tick', encoding: { x: { field: 'x' } } },
      { maxPoints: 10 },
    );
    assert.deepEqual(spec.title, { text: 'T', subtitle: 'sampled 10 of 30 rows (every 3rd row) for a readable chart' });
  });

  it('rejects bad arguments at once', async () => {
    await rejectsWithCode(() => renderChart({} as never, { mark: 'bar' }), 'CSVS_BAD_ARGUMENT', /arquero table/);
    await rejectsWithCode(() => renderChart(students, {}), 'CSVS_BAD_ARGUMENT', /no "mark"/);
    await rejectsWithCode(
      () => renderChart(students, { mark: 'bar', encoding: { x: { field: 'nope' } } }),
      'CSVS_BAD_ARGUMENT',
      /"nope" is not a column; the columns are "name", "grade", "born"/,
    );
    await rejectsWithCode(
      () => renderChart(students, { mark: 'bar' }, { maxPoints: 0 }),
      'CSVS_BAD_ARGUMENT',
      /maxPoints/,
    );
  });

  it('rejects a type vega-lite does not know, before compiling', async () => {
    await rejectsWithCode(
      renderChart(students, { mark: 'bar', encoding: { x: { field: 'name', type: 'nonsense' } } }),
      'CSVS_BAD_ARGUMENT',
      /encoding\.x\.type: "nonsense" is not one of "quantitative", "ordinal", "temporal", "nominal"/,
    );
  });
});

describe('binning', () => {
  it('picks nice steps like vega', () => {
    assert.deepEqual(binning(0, 9, 10), { start: 0, stop: 10, step: 1 });
    assert.deepEqual(binning(0, 100, 10), { start: 0, stop: 110, step: 10 });
    assert.equal(binning(-3.2, 7.9, 20).step, 1);
  });
});
