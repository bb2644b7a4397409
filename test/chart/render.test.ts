import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { chartBundle, renderChart } from '../../src/chart/chart.js';
import { tooltipText } from '../../src/chart/render.js';

const cars = aq.table({
  name: ['chevrolet <chevelle>', 'buick skylark', 'plymouth satellite'],
  hp: [130, 165, 150],
  origin: ['USA', 'USA', 'Japan'],
});

/** The texts of the SVG's <title> elements. */
const titles = (svg: string): string[] => [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1] ?? '');

describe('renderChart', () => {
  describe('tooltips', () => {
    it('gives every mark of a tooltip encoding a <title> (escaped)', async () => {
      const { svg } = await renderChart(cars, {
        mark: 'point',
        encoding: { x: { field: 'hp' }, y: { field: 'name' }, tooltip: [{ field: 'name' }, { field: 'hp' }] },
      });
      assert.deepEqual(titles(svg), [
        'name: chevrolet &lt;chevelle&gt;\nhp: 130',
        'name: buick skylark\nhp: 165',
        'name: plymouth satellite\nhp: 150',
      ]);
      assert.match(svg, /<path [^>]*><title>name: chevrolet/);
      assert.doesNotMatch(svg, /data-csvs-tip/);
    });

    it('gives marks a <title> for mark: { tooltip: true } and for aggregated bars', async () => {
      const points = await renderChart(cars, {
        mark: { type: 'point', tooltip: true },
        encoding: { x: { field: 'hp' } },
      });
      assert.deepEqual(titles(points.svg), ['hp: 130', 'hp: 165', 'hp: 150']);
      const bars = await renderChart(cars, {
        mark: 'bar',
        encoding: {
          x: { field: 'origin' },
          y: { aggregate: 'count' },
          tooltip: [{ field: 'origin' }, { aggregate: 'count' }],
        },
      });
      assert.deepEqual(titles(bars.svg).sort(), [
        'origin: Japan\nCount of Records: 1',
        'origin: USA\nCount of Records: 2',
      ]);
    });

    it('writes no <title> without a tooltip', async () => {
      const { svg } = await renderChart(cars, { mark: 'bar', encoding: { x: { field: 'name' }, y: { field: 'hp' } } });
      assert.deepEqual(titles(svg), []);
    });

    it('formats tooltip values as vega-tooltip does', () => {
      assert.equal(tooltipText({ a: 1, b: 'x' }), 'a: 1\nb: x');
      assert.equal(tooltipText('plain'), 'plain');
    });
  });

  describe('warnings', () => {
    it("collects vega-lite's warnings and shows them under the chart", async () => {
      const spec = {
        mark: 'bar',
        encoding: { x: { field: 'name' }, y: { field: 'hp' }, shape: { field: 'origin' } },
      } as const;
      const result = await renderChart(cars, spec);
      assert.equal(result.warnings.length, 1);
      assert.match(result.warnings[0] ?? '', /shape/);
      const bundle = chartBundle(result, spec);
      assert.match(bundle['text/html'] ?? '', /class="csvs-warning"[^>]*>⚠ vega: .*shape/);
      assert.match(bundle['text/plain'] ?? '', /\nwarning \(vega\): .*shape/);
    });

    it('has none for a clean spec', async () => {
      const { warnings } = await renderChart(cars, {
        mark: 'bar',
        encoding: { x: { field: 'name' }, y: { field: 'hp' } },
      });
      assert.deepEqual(warnings, []);
    });
  });
});
