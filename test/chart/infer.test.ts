import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { columnKind, withTypes } from '../../src/chart/infer.js';
import type { ChannelDef, ChartSpec } from '../../src/chart/types.js';

const cars = aq.table({
  hp: [130, 165, null],
  mpg: [18, 15, 24],
  origin: ['USA', 'Europe', 'Japan'],
  year: [new Date(1970, 0, 1), new Date(1971, 0, 1), new Date(1972, 0, 1)],
  iso: ['2012-01-01', '2012-01-02', null],
});

const unit: ChartSpec = {
  mark: 'point',
  encoding: { x: { field: 'hp' }, y: { field: 'mpg' }, color: { field: 'origin' } },
};
const typeAt = (spec: unknown, path: Array<string | number>): unknown =>
  (path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], spec) as ChannelDef).type;

describe('columnKind', () => {
  it('reads numbers, dates, ISO date text and text', () => {
    assert.equal(columnKind(cars, 'hp'), 'quantitative');
    assert.equal(columnKind(cars, 'year'), 'temporal');
    assert.equal(columnKind(cars, 'iso'), 'temporal');
    assert.equal(columnKind(cars, 'origin'), 'nominal');
  });
});

describe('withTypes', () => {
  it('types fields in every kind of view, not only at the top level', () => {
    const cases: Array<[ChartSpec, Array<string | number>]> = [
      [unit, ['encoding', 'x']],
      [{ layer: [unit] }, ['layer', 0, 'encoding', 'x']],
      [{ hconcat: [unit] }, ['hconcat', 0, 'encoding', 'x']],
      [{ vconcat: [unit] }, ['vconcat', 0, 'encoding', 'x']],
      [{ concat: [unit] }, ['concat', 0, 'encoding', 'x']],
      [{ facet: { field: 'origin' }, spec: unit }, ['spec', 'encoding', 'x']],
      [{ vconcat: [{ layer: [unit] }] }, ['vconcat', 0, 'layer', 0, 'encoding', 'x']],
      [
        { repeat: ['hp', 'mpg'], spec: { mark: 'point', encoding: { x: { field: { repeat: 'repeat' } } } } },
        ['spec', 'encoding', 'x'],
      ],
    ];
    for (const [spec, path] of cases)
      assert.equal(typeAt(withTypes(spec, cars), path), 'quantitative', JSON.stringify(spec));
  });

  it('types facet definitions, tooltips, bins, time units and aggregates; keeps given types', () => {
    const typed = withTypes(
      {
        facet: { row: { field: 'origin' }, column: { field: 'hp' } },
        spec: {
          mark: 'bar',
          encoding: {
            x: { field: 'year', timeUnit: 'year' },
            y: { field: 'mpg', aggregate: 'mean' },
            color: { field: 'hp', type: 'ordinal' },
            tooltip: [{ field: 'origin' }, { field: 'mpg', bin: true }],
          },
        },
      },
      cars,
    );
    assert.equal(typeAt(typed, ['facet', 'row']), 'nominal');
    assert.equal(typeAt(typed, ['facet', 'column']), 'ordinal');
    assert.equal(typeAt(typed, ['spec', 'encoding', 'x']), 'temporal');
    assert.equal(typeAt(typed, ['spec', 'encoding', 'y']), 'quantitative');
    assert.equal(typeAt(typed, ['spec', 'encoding', 'color']), 'ordinal');
    assert.equal(typeAt(typed, ['spec', 'encoding', 'tooltip', 0]), 'nominal');
    assert.equal(typeAt(typed, ['spec', 'encoding', 'tooltip', 1]), 'quantitative');
  });

  it('does not change the spec it is given', () => {
    const spec: ChartSpec = { layer: [{ mark: 'point', encoding: { x: { field: 'hp' } } }] };
    withTypes(spec, cars);
    assert.deepEqual(spec, { layer: [{ mark: 'point', encoding: { x: { field: 'hp' } } }] });
  });
});
