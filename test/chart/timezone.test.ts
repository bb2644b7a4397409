/**
 * Charts of date-only values under a zone west of UTC: a `timeUnit: "month"`
 * bar chart of seattle-weather's Jan–Feb 2012 has a January and a February
 * bar, never a December one (issue 10 §1 and §2).
 */
process.env.TZ = 'America/Los_Angeles';

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { renderChart } from '../../src/chart/chart.js';
import { serverWithClient } from '../helpers.js';

const csv = readFileSync(join(__dirname, '../../node_modules/vega-datasets/data/seattle-weather.csv'), 'utf8');
const janFeb = csv.split('\n').slice(0, 61).join('\n');

describe('charts in America/Los_Angeles', () => {
  const ctx = serverWithClient();

  it('bins date-only values of Jan–Feb 2012 into January and February', async () => {
    assert.equal(new Date(2012, 0, 1).getTimezoneOffset(), 480, 'the zone did not apply');
    const weather = await ctx.client.send(janFeb, { name: 'seattle' });
    // a date-only value is its calendar day in every zone (local midnight in the process)
    assert.equal(aq.op.month(weather.get('date', 0) as Date), 0);
    const { spec, svg } = await renderChart(weather, {
      mark: 'bar',
      encoding: { x: { field: 'date', timeUnit: 'month' }, y: { aggregate: 'count' } },
    });
    const values = (spec.data as { values: Array<Record<string, unknown>> }).values;
    assert.deepEqual(
      values.map((r) => r.__count_y),
      [31, 29],
    );
    assert.match(svg, />Jan<\/text>.*>Feb<\/text>/s);
    assert.doesNotMatch(svg, />Dec<\/text>/);
  });
});
