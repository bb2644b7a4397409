import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import {
  type Filter,
  parseFilterExpression,
  parseRollupExpression,
  parseSortExpression,
} from '../../src/query/index.js';
import { tableEqual } from '../helpers.js';
import { codeOf, ids, run, students } from './tables.js';

describe('parseFilterExpression', () => {
  const ok: Array<[string, Filter]> = [
    ['grade = A', { column: 'grade', op: '=', value: 'A' }],
    ['grade == A', { column: 'grade', op: '=', value: 'A' }],
    ['age >= 22', { column: 'age', op: '>=', value: '22' }],
    ['age>=22', { column: 'age', op: '>=', value: '22' }],
    ['age <= 22', { column: 'age', op: '<=', value: '22' }],
    ['age < 22', { column: 'age', op: '<', value: '22' }],
    ['age > 22', { column: 'age', op: '>', value: '22' }],
    ['name != Floofy', { column: 'name', op: '!=', value: 'Floofy' }],
    ['name ~ flo', { column: 'name', op: 'contains', value: 'flo' }],
    ['name ^= Flo', { column: 'name', op: 'startsWith', value: 'Flo' }],
    ['name $= sh', { column: 'name', op: 'endsWith', value: 'sh' }],
    ['grade in A|B', { column: 'grade', op: 'in', value: ['A', 'B'] }],
    ['grade in A | B |C', { column: 'grade', op: 'in', value: ['A', 'B', 'C'] }],
    ['grade IN A', { column: 'grade', op: 'in', value: ['A'] }],
    ['age is null', { column: 'age', op: 'isNull' }],
    ['age not null', { column: 'age', op: 'notNull' }],
    ['age is not null', { column: 'age', op: 'notNull' }],
    ['  age   IS   NULL  ', { column: 'age', op: 'isNull' }],
    ['name = Mary Ann', { column: 'name', op: '=', value: 'Mary Ann' }],
    ['name = "Mary Ann "', { column: 'name', op: '=', value: 'Mary Ann ' }],
    ["name = 'a >= b'", { column: 'name', op: '=', value: 'a >= b' }],
    ['name = ""', { column: 'name', op: '=', value: '' }],
    ['name = "say \\"hi\\""', { column: 'name', op: '=', value: 'say "hi"' }],
    ['note = a = b', { column: 'note', op: '=', value: 'a = b' }],
    ['name ~ (a+)+$', { column: 'name', op: 'contains', value: '(a+)+$' }],
    ['"first name" = Bob', { column: 'first name', op: '=', value: 'Bob' }],
    ["'a=b' != 1", { column: 'a=b', op: '!=', value: '1' }],
    ['tag in "a|b"|c', { column: 'tag', op: 'in', value: ['a|b', 'c'] }],
    ['"is" is null', { column: 'is', op: 'isNull' }],
    ['d => process.exit() = 1', { column: 'd', op: '=', value: '> process.exit() = 1' }],
  ];
  for (const [text, expected] of ok) {
    it(`parses ${text}`, () => assert.deepEqual(parseFilterExpression(text), expected));
  }

  const bad: Array<[string, RegExp]> = [
    ['', /missing column name/],
    ['   ', /missing column name/],
    ['grade', /missing operator/],
    ['grade A', /unknown operator at "A"/],
    ['grade =', /missing value \(use "" for an empty string\)/],
    ['grade = "A', /unterminated " quote/],
    ['"grade = A', /unterminated " quote/],
    ['grade = "A" B', /unexpected "B" after the quoted value/],
    ['grade in', /missing value/],
    ['grade in A||B', /missing value/],
    ['grade in A|', /missing value/],
    ['grade in "A" B', /unexpected "B" in the "in" list/],
    ['age is null please', /unexpected "please" after "is null"/],
    ['age is 3', /unknown operator at "is 3"/],
    ['= 3', /missing column name/],
  ];
  for (const [text, pattern] of bad) {
    it(`rejects ${JSON.stringify(text)} listing the accepted forms`, async () => {
      const err = await codeOf(() => parseFilterExpression(text), 'CSVS_BAD_ARGUMENT', pattern);
      assert.ok(err instanceof ArgumentError);
      assert.match(err.message, /accepted forms: COLUMN = VALUE.*COLUMN in A\|B\|C, COLUMN is null, COLUMN not null/);
    });
  }

  it('produces filters that parseQuery accepts and runQuery coerces', () => {
    const t = students();
    const filter = { and: ['age >= 22', 'grade in A|B', 'name !=  Yash'].map(parseFilterExpression) };
    assert.deepEqual(ids(run(t, { filter })), [2, 3, 6]);
    assert.deepEqual(ids(run(t, { filter: parseFilterExpression('name = Floofy') })), [5]);
  });
});

describe('parseSortExpression', () => {
  it('parses columns with - for descending', () => {
    assert.deepEqual(parseSortExpression('grade,-age'), [{ column: 'grade' }, { column: 'age', desc: true }]);
    assert.deepEqual(parseSortExpression(' grade , +age '), [{ column: 'grade' }, { column: 'age' }]);
    assert.deepEqual(parseSortExpression('"a,b",-"-x"'), [{ column: 'a,b' }, { column: '-x', desc: true }]);
    assert.deepEqual(parseSortExpression('first name'), [{ column: 'first name' }]);
  });

  it('rejects empty keys and bad quotes', async () => {
    for (const [text, pattern] of [
      ['', /empty column name/],
      ['a,,b', /empty column name/],
      ['-', /empty column name/],
      ['"a', /unterminated " quote/],
      ['"a"b', /unexpected "b" after a quoted name/],
    ] as const) {
      const err = await codeOf(() => parseSortExpression(text), 'CSVS_BAD_ARGUMENT', pattern);
      assert.match(err.message, /expected COLUMN\[,-COLUMN…\]/);
    }
  });

  it('drives runQuery', () => {
    assert.deepEqual(ids(run(students(), { sort: parseSortExpression('grade,-age'), limit: 4 })), [3, 6, 10, 1]);
  });
});

describe('parseRollupExpression', () => {
  it('parses functions with default and given names', () => {
    assert.deepEqual(parseRollupExpression('count'), { count: { op: 'count' } });
    assert.deepEqual(parseRollupExpression('mean(age)'), { mean_age: { op: 'mean', column: 'age' } });
    assert.deepEqual(parseRollupExpression('n=count,avg=mean(age)'), {
      n: { op: 'count' },
      avg: { op: 'mean', column: 'age' },
    });
    assert.deepEqual(parseRollupExpression(' count , SUM( age ) , distinct(grade), min(name), max(id), count(age)'), {
      count: { op: 'count' },
      sum_age: { op: 'sum', column: 'age' },
      distinct_grade: { op: 'distinct', column: 'grade' },
      min_name: { op: 'min', column: 'name' },
      max_id: { op: 'max', column: 'id' },
      count_age: { op: 'count', column: 'age' },
    });
    assert.deepEqual(parseRollupExpression('"avg, age"=mean("the age")'), {
      'avg, age': { op: 'mean', column: 'the age' },
    });
  });

  it('rejects unknown functions, missing columns, repeated names and __proto__', async () => {
    const bad: Array<[string, RegExp]> = [
      ['median(age)', /unknown function "median"/],
      ['mean', /mean needs a column, as in mean\(age\)/],
      ['count,count', /output name "count" appears twice/],
      ['', /cannot read ""/],
      ['mean(age', /cannot read "mean\(age"/],
      ['x=', /cannot read "x="/],
      ['__proto__=count', /"__proto__" is not allowed/],
    ];
    for (const [text, pattern] of bad) {
      const err = await codeOf(() => parseRollupExpression(text), 'CSVS_BAD_ARGUMENT', pattern);
      assert.match(err.message, /expected \[NAME=\]FUNCTION\[\(COLUMN\)\].*count, sum, mean, min, max, distinct/);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('keeps code-like text as a column name, which runQuery then finds unknown', async () => {
    const rollup = parseRollupExpression('sum(d => process.exit())');
    assert.deepEqual(rollup, { 'sum_d => process.exit()': { op: 'sum', column: 'd => process.exit()' } });
    await codeOf(() => run(students(), { rollup }), 'CSVS_QUERY_UNKNOWN_COLUMN');
  });

  it('drives runQuery', () => {
    const t = run(students(), {
      groupby: ['grade'],
      rollup: parseRollupExpression('n=count,mean(age)'),
      sort: parseSortExpression('-n'),
    });
    tableEqual(t, { grade: ['A', 'B', 'C'], n: [6, 3, 1], mean_age: [21.5, 64 / 3, 21] });
  });
});
