import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { checkChart, pathText } from '../../src/chart/check.js';
import { nearest } from '../../src/chart/schema.js';
import type { ChartSpec } from '../../src/chart/types.js';
import { ArgumentError } from '../../src/errors.js';

const weather = aq.table({
  date: [new Date(2012, 0, 1), new Date(2012, 0, 2)],
  temp_max: [12.8, 10.6],
  temp_min: [5, 2.8],
  weather: ['drizzle', 'rain'],
  'a.b': [1, 2],
});

/** The ArgumentError checkChart throws for a spec (fails when it does not throw). */
function problem(spec: unknown): string {
  let caught: unknown;
  try {
    checkChart(weather, spec, undefined, 'chart');
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ArgumentError, `expected an ArgumentError, got ${String(caught)}`);
  assert.equal(caught.code, 'CSVS_BAD_ARGUMENT');
  assert.equal(caught.name, 'ArgumentError');
  return caught.message;
}

describe('checkChart', () => {
  describe('against the vega-lite schema', () => {
    it('names a wrong mark and the nearest one', () => {
      assert.match(
        problem({ mark: 'bars', encoding: { x: { field: 'weather' } } }),
        /^chart: the spec is not valid vega-lite: mark: "bars" is not one of "boxplot", .*"bar".* — did you mean "bar"\?$/,
      );
    });

    it('names a misspelt type', () => {
      assert.match(
        problem({ mark: 'bar', encoding: { x: { field: 'weather', type: 'quantitive' } } }),
        /encoding\.x\.type: "quantitive" is not one of "quantitative", "ordinal", "temporal", "nominal" — did you mean "quantitative"\?/,
      );
    });

    it('names an unknown aggregate and suggests average', () => {
      assert.match(
        problem({ mark: 'bar', encoding: { x: { field: 'weather' }, y: { field: 'temp_max', aggregate: 'avg' } } }),
        /encoding\.y\.aggregate: "avg" is not one of "average", "count", .* — did you mean "average"\?/,
      );
    });

    it('finds mistakes inside layer, facet, concat and repeat', () => {
      assert.match(
        problem({
          layer: [
            { mark: 'bar', encoding: { x: { field: 'weather' } } },
            { mark: 'rule', encoding: { y: { field: 'temp_max', aggregate: 'avg' } } },
          ],
        }),
        /layer\[1\]\.encoding\.y\.aggregate: "avg"/,
      );
      assert.match(
        problem({
          facet: { row: { field: 'weather' } },
          spec: { mark: 'point', encoding: { color: { field: 'weather', type: 'nominl' } } },
        }),
        /spec\.encoding\.color\.type: "nominl" .* did you mean "nominal"\?/,
      );
      assert.match(
        problem({ hconcat: [{ mark: 'bar' }, { mark: 'lines' }] }),
        /hconcat\[1\]\.mark: "lines" .* did you mean "line"\?/,
      );
    });

    it('names an unknown property and the nearest valid one', () => {
      assert.match(
        problem({ mark: 'bar', encoding: { x: { feild: 'weather' } } }),
        /encoding\.x\.feild: "feild" is not a vega-lite property here — did you mean "field"\?/,
      );
      assert.match(
        problem({ mark: 'bar', encodings: {} }),
        /encodings: "encodings" is not a vega-lite property here — did you mean "encoding"\?/,
      );
    });

    it("accepts valid specs of every kind, and ignores the spec's own data", () => {
      const specs: ChartSpec[] = [
        {
          mark: { type: 'point', tooltip: true },
          encoding: { x: { field: 'temp_max' }, tooltip: [{ field: 'date' }] },
        },
        {
          data: { url: 'ignored.csv' },
          mark: 'bar',
          encoding: { x: { field: 'temp_max', bin: { maxbins: 20 } }, y: { aggregate: 'count' } },
        },
        {
          repeat: ['temp_max', 'temp_min'],
          spec: { mark: 'bar', encoding: { x: { field: { repeat: 'repeat' }, bin: true }, y: { aggregate: 'count' } } },
        },
        {
          transform: [{ calculate: 'datum.temp_max - datum.temp_min', as: 'range' }],
          mark: 'bar',
          encoding: { x: { field: 'range' } },
        },
        {
          transform: [{ fold: ['temp_max', 'temp_min'] }],
          mark: 'line',
          encoding: { x: { field: 'date' }, y: { field: 'value' }, color: { field: 'key' } },
        },
      ];
      for (const spec of specs)
        assert.doesNotThrow(() => checkChart(weather, spec, undefined, 'chart'), JSON.stringify(spec));
    });
  });

  describe("against the table's columns", () => {
    it('names a field typo inside a layer, with the nearest column', () => {
      assert.match(
        problem({ layer: [{ mark: 'line', encoding: { x: { field: 'date' }, y: { field: 'tmp_max' } } }] }),
        /layer\[0\]\.encoding\.y\.field: "tmp_max" is not a column — did you mean "temp_max"\? The columns are "date", "temp_max", "temp_min", "weather", "a\.b"/,
      );
    });

    it('names a field typo inside a facet and a transform', () => {
      assert.match(
        problem({ facet: { field: 'wether' }, spec: { mark: 'bar' } }),
        /facet\.field: "wether" is not a column — did you mean "weather"\?/,
      );
      assert.match(
        problem({ transform: [{ filter: 'datum.temp_mx > 10' }], mark: 'bar', encoding: { x: { field: 'weather' } } }),
        /transform\[0\]\.filter: "temp_mx" is not a column — did you mean "temp_max"/,
      );
      assert.match(
        problem({ transform: [{ filter: { field: 'wheather', equal: 'rain' } }], mark: 'bar' }),
        /transform\[0\]\.filter\.field: "wheather" is not a column/,
      );
    });

    it('knows names made by transforms, and tells how to write a column with a dot', () => {
      assert.match(
        problem({ transform: [{ calculate: '1', as: 'range' }], mark: 'bar', encoding: { x: { field: 'rnge' } } }),
        /"rnge" is not a column — did you mean "range"\?/,
      );
      assert.match(
        problem({ mark: 'bar', encoding: { x: { field: 'a.b' } } }),
        /write the column "a\.b" as "a\\\\\.b"/,
      );
      assert.doesNotThrow(() =>
        checkChart(weather, { mark: 'bar', encoding: { x: { field: 'a\\.b' } } }, undefined, 'chart'),
      );
    });

    it('lists every problem at once', () => {
      const message = problem({
        mark: 'bars',
        encoding: { x: { field: 'nope' }, y: { field: 'temp_max', aggregate: 'avg' } },
      });
      assert.equal(message.split('\n  - ').length, 4, message);
    });
  });
});

describe('nearest', () => {
  it('finds close words, prefixes and abbreviations', () => {
    assert.deepEqual(nearest('bars', ['arc', 'bar', 'line']), ['bar']);
    assert.deepEqual(nearest('avg', ['average', 'count', 'max']), ['average']);
    assert.deepEqual(nearest('tmep', ['temp', 'time']), ['temp']);
    assert.deepEqual(nearest('zzz', ['bar', 'line']), []);
  });
});

describe('pathText', () => {
  it('writes a path as JavaScript', () => {
    assert.equal(pathText(['layer', 1, 'encoding', 'y', 'field']), 'layer[1].encoding.y.field');
    assert.equal(pathText([]), 'the spec');
  });
});
