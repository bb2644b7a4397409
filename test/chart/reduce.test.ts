import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { chartBundle, renderChart } from '../../src/chart/chart.js';
import type { ChartSpec } from '../../src/chart/types.js';
import { LimitError } from '../../src/errors.js';
import { rejectsWithCode } from '../helpers.js';

type Values = Array<Record<string, unknown>>;
const valuesOf = (spec: ChartSpec): Values => (spec.data as { values: Values }).values;
const million = 1_000_000;
const groups = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
// Every 10th row of this table is an "alpha" row: sampling every k-th row would keep one group.
const big = aq.table({
  v: Float64Array.from({ length: million }, (_, i) => (i * 7919) % 1000),
  w: Float64Array.from({ length: million }, (_, i) => i % 7),
  g: Array.from({ length: million }, (_, i) => groups[i % 5]),
});
// The case: 50,000 rows, 5 groups, colour by group.
const fifty = aq.table({
  v: Float64Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 1000),
  g: Array.from({ length: 50_000 }, (_, i) => groups[i % 5]),
  id: Array.from({ length: 50_000 }, (_, i) => `row ${i}`),
});

/** The labels of the SVG's legend. */
function legendLabels(svg: string): string[] {
  const start = svg.indexOf('role-legend-label');
  assert.ok(start >= 0, 'no legend');
  return [...svg.slice(start).matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '').slice(0, 10);
}

describe('reduceData (through renderChart)', () => {
  it('draws a histogram of 1,000,000 rows from its bins (no RangeError), counts exact', async () => {
    const { spec, rows, svg } = await renderChart(big, {
      mark: 'bar',
      encoding: { x: { field: 'v', bin: { maxbins: 20 } }, y: { aggregate: 'count' } },
    });
    assert.ok(rows <= 20, `${rows} rows`);
    assert.equal(
      valuesOf(spec).reduce((sum, r) => sum + (r.__count_y as number), 0),
      million,
    );
    assert.equal(svg.match(/<path/g)?.length !== undefined, true);
    assert.equal((svg.match(/role-mark marks/g) ?? []).length, 1);
  });

  it('computes aggregate max over 1,000,000 rows (no RangeError)', async () => {
    const { spec } = await renderChart(big, {
      mark: 'bar',
      encoding: { x: { field: 'g' }, y: { field: 'v', aggregate: 'max' } },
    });
    const max = new Map<unknown, number>();
    big.scan((row) => {
      const g = big.get('g', row as number);
      max.set(g, Math.max(max.get(g) ?? -1, big.get('v', row as number) as number));
    });
    assert.deepEqual(
      valuesOf(spec).map((r) => [r.g, r.__max_y]),
      groups.map((g) => [g, max.get(g)]),
    );
    assert.equal((spec.encoding?.y as { title?: string } | undefined)?.title, 'Max of v');
  });

  it('computes time units in local time before drawing', async () => {
    const days = aq.table({ d: Array.from({ length: 60 }, (_, i) => new Date(2012, 0, 1 + i)) });
    const { spec, svg } = await renderChart(
      days,
      { mark: 'bar', encoding: { x: { field: 'd', timeUnit: 'month' }, y: { aggregate: 'count' } } },
      { maxPoints: 10 },
    );
    assert.deepEqual(
      valuesOf(spec).map((r) => r.__count_y),
      [31, 29],
    );
    assert.match(svg, />Jan<\/text>.*>Feb<\/text>/s);
  });

  it('keeps every colour group when sampling raw points, and says so', async () => {
    const { svg, note, rows } = await renderChart(fifty, {
      mark: 'point',
      encoding: { x: { field: 'v' }, y: { field: 'v' }, color: { field: 'g' } },
    });
    assert.deepEqual(legendLabels(svg).slice(0, 5).sort(), [...groups].sort());
    assert.match(note ?? '', /^sampled 5,000 of 50,000 rows, keeping all 5 groups of "g"$/);
    assert.ok(svg.includes('keeping all 5 groups'), 'note missing from the chart');
    assert.equal(rows, 5000);
  });

  it('keeps every facet and detail group too', async () => {
    const { spec } = await renderChart(fifty, {
      mark: 'line',
      encoding: { x: { field: 'v' }, y: { field: 'v' }, detail: { field: 'g' } },
    });
    assert.deepEqual([...new Set(valuesOf(spec).map((r) => r.g))].sort(), [...groups].sort());
  });

  it('fails like MaxRowsError when the groups alone exceed maxPoints', async () => {
    const err = await rejectsWithCode(
      renderChart(fifty, { mark: 'point', encoding: { x: { field: 'v' }, color: { field: 'id' } } }),
      'CSVS_LIMIT_ROWS',
      /50,000 rows in 50,000 groups of "id" exceed maxPoints \(5,000\).*raise the limit: chart\(table, spec, \{ maxPoints: 50000 \}\)/,
    );
    assert.ok(err instanceof LimitError);
  });

  it('refuses to sample a spec it cannot aggregate itself', async () => {
    await rejectsWithCode(
      renderChart(fifty, { mark: 'boxplot', encoding: { x: { field: 'g' }, y: { field: 'v' } } }),
      'CSVS_LIMIT_ROWS',
      /sampling would change its numbers.*maxPoints: 50000 \}\)$/,
    );
  });

  it('aggregates each layer into its own data', async () => {
    const { spec, rows } = await renderChart(big, {
      layer: [
        { mark: 'bar', encoding: { x: { field: 'g' }, y: { field: 'v', aggregate: 'mean' } } },
        { mark: 'rule', encoding: { y: { field: 'v', aggregate: 'mean' } } },
      ],
    });
    assert.equal(rows, 6);
    const layers = spec.layer as ChartSpec[];
    assert.equal(valuesOf(layers[0] as ChartSpec).length, 5);
    assert.equal(valuesOf(layers[1] as ChartSpec).length, 1);
  });

  it('aggregates a facet + spec with the facet field as a key', async () => {
    const { spec, rows } = await renderChart(big, {
      facet: { column: { field: 'g' } },
      spec: { mark: 'bar', encoding: { x: { field: 'v', bin: true }, y: { aggregate: 'count' } } },
    });
    assert.equal(rows, 50);
    assert.deepEqual([...new Set(valuesOf(spec).map((r) => r.g))].sort(), [...groups].sort());
  });

  it('writes a repeat out as a concat of views aggregated on their own', async () => {
    const { spec, rows } = await renderChart(big, {
      repeat: ['v', 'w'],
      columns: 2,
      spec: { mark: 'bar', encoding: { x: { field: { repeat: 'repeat' }, bin: true }, y: { aggregate: 'count' } } },
    });
    const views = spec.concat as ChartSpec[];
    assert.equal(views.length, 2);
    assert.equal(spec.columns, 2);
    assert.deepEqual(
      views.map((v) => (v.encoding?.x as { title?: string } | undefined)?.title),
      ['v', 'w'],
    );
    assert.ok(rows <= 25, `${rows} rows`);
    for (const view of views)
      assert.equal(
        valuesOf(view).reduce((sum, r) => sum + (r.__count_y as number), 0),
        million,
      );
  });

  it('aggregates units nested in concat and layer, keeping raw views on the shared data', async () => {
    const small = big.slice(0, 3000);
    const { spec } = await renderChart(
      small,
      {
        vconcat: [
          {
            layer: [
              { mark: 'bar', encoding: { x: { field: 'g' }, y: { aggregate: 'count' } } },
              { mark: 'tick', encoding: { x: { field: 'g' }, y: { field: 'v' } } },
            ],
          },
        ],
      },
      { maxPoints: 5000 },
    );
    const layer = (spec.vconcat as ChartSpec[])[0]?.layer as ChartSpec[];
    assert.equal(valuesOf(layer[0] as ChartSpec).length, 5);
    assert.equal(layer[1]?.data, undefined);
    assert.equal(valuesOf(spec).length, 3000);
  });

  it('keeps only the columns the spec uses: a 10-bar chart of 1,000,000 rows is under 30 kB', async () => {
    const spec: ChartSpec = {
      mark: 'bar',
      encoding: {
        x: { field: 'v', bin: { maxbins: 10 } },
        y: { aggregate: 'count' },
        tooltip: [{ aggregate: 'count' }],
      },
    };
    const result = await renderChart(big, spec);
    assert.equal(result.rows, 10);
    const bytes = Object.values(chartBundle(result, spec)).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    assert.ok(bytes <= 30_000, `${bytes} bytes`);
    const raw = await renderChart(big.slice(0, 100), { mark: 'point', encoding: { x: { field: 'v' } } });
    assert.deepEqual(Object.keys(valuesOf(raw.spec)[0] ?? {}), ['v']);
  });
});
