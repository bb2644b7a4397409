import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as aq from 'arquero';
import { LimitError } from '../../src/errors.js';
import { parseQuery, type Query, runQuery } from '../../src/query/index.js';
import { tableEqual } from '../helpers.js';
import { codeOf, ids, mixed, run, students, studentsData, tableWithNames } from './tables.js';

describe('runQuery', () => {
  describe('filter', () => {
    it('finds Floofy (the seed lookup)', () => {
      const t = run(students(), { filter: { column: 'name', op: '=', value: 'Floofy' } });
      tableEqual(t, { id: [5], name: ['Floofy'], age: [21], grade: ['A'] });
    });

    it('compares numeric-looking strings as numbers on a number column', () => {
      assert.deepEqual(ids(run(students(), { filter: { column: 'age', op: '>=', value: '22' } })), [2, 3, 6, 10]);
      assert.deepEqual(ids(run(students(), { filter: { column: 'age', op: '=', value: '22' } })), [2, 3, 6, 10]);
      assert.deepEqual(ids(run(students(), { filter: { column: 'age', op: '<', value: 22 } })), [1, 4, 5, 7, 8, 9]);
      assert.deepEqual(ids(run(students(), { filter: { column: 'id', op: '<=', value: ' 2 ' } })), [1, 2]);
      assert.deepEqual(ids(run(students(), { filter: { column: 'id', op: '>', value: '8.5' } })), [9, 10]);
      assert.deepEqual(
        ids(run(students(), { filter: { column: 'id', op: '!=', value: '1e0' } })),
        [2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
    });

    it('combines criteria with and, or and not', () => {
      const both = {
        and: [
          { column: 'grade', op: '=', value: 'A' },
          { column: 'age', op: '=', value: 21 },
        ],
      };
      assert.deepEqual(ids(run(students(), { filter: both })), [1, 5, 9]);
      const either = {
        or: [
          { column: 'grade', op: '=', value: 'C' },
          { column: 'name', op: 'startsWith', value: 'Y' },
        ],
      };
      assert.deepEqual(ids(run(students(), { filter: either })), [8, 10]);
      assert.deepEqual(ids(run(students(), { filter: { not: both } })), [2, 3, 4, 6, 7, 8, 10]);
      const three = {
        and: [
          { column: 'grade', op: 'in', value: ['A', 'B'] },
          { column: 'age', op: '=', value: 22 },
          { not: { column: 'name', op: 'contains', value: 'h' } },
        ],
      };
      assert.deepEqual(ids(run(students(), { filter: three })), [2, 6]);
      const nested = {
        or: [
          {
            and: [
              { column: 'grade', op: '=', value: 'B' },
              { column: 'age', op: '>', value: 21 },
            ],
          },
          { column: 'id', op: '=', value: 8 },
          { column: 'id', op: '=', value: 9 },
        ],
      };
      assert.deepEqual(ids(run(students(), { filter: nested })), [2, 8, 9]);
    });

    it('treats an empty and as true and an empty or as false', () => {
      assert.equal(run(students(), { filter: { and: [] } }).numRows(), 10);
      assert.equal(run(students(), { filter: { or: [] } }).numRows(), 0);
    });

    it('matches in lists, coercing each value', () => {
      assert.deepEqual(
        ids(run(students(), { filter: { column: 'grade', op: 'in', value: ['B', 'C'] } })),
        [2, 4, 7, 8],
      );
      assert.deepEqual(ids(run(students(), { filter: { column: 'id', op: 'in', value: ['3', 5, '7'] } })), [3, 5, 7]);
      assert.deepEqual(ids(run(students(), { filter: { column: 'id', op: 'in', value: [] } })), []);
    });

    it('matches plain substrings, never regular expressions', () => {
      assert.deepEqual(ids(run(students(), { filter: { column: 'name', op: 'contains', value: 'sh' } })), [1, 3, 10]);
      assert.deepEqual(ids(run(students(), { filter: { column: 'name', op: 'startsWith', value: 'M' } })), [1, 8]);
      assert.deepEqual(ids(run(students(), { filter: { column: 'name', op: 'endsWith', value: 'a' } })), [4, 7, 8]);
      assert.deepEqual(
        ids(run(students(), { filter: { column: 'name', op: 'contains', value: 'flo' } })),
        [],
        'case-sensitive',
      );
      const t = aq.table({ s: ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', '(a+)+$', 'x.y', 'xzy'] });
      assert.deepEqual(run(t, { filter: { column: 's', op: 'contains', value: '(a+)+$' } }).array('s', Array), [
        '(a+)+$',
      ]);
      assert.deepEqual(run(t, { filter: { column: 's', op: 'contains', value: '.' } }).array('s', Array), ['x.y']);
      assert.deepEqual(run(t, { filter: { column: 's', op: 'startsWith', value: '^' } }).numRows(), 0);
    });

    it('matches substrings of non-string columns through their text', () => {
      assert.deepEqual(ids(run(students(), { filter: { column: 'id', op: 'startsWith', value: '1' } })), [1, 10]);
      assert.equal(run(mixed(), { filter: { column: 'd', op: 'startsWith', value: '2024-01' } }).numRows(), 2);
    });

    it('handles nulls: = null matches nulls, ordering never matches null, != is not =', () => {
      const m = mixed();
      assert.deepEqual(run(m, { filter: { column: 'n', op: '=', value: null } }).array('s', Array), [null, 'B']);
      assert.deepEqual(run(m, { filter: { column: 'n', op: '!=', value: null } }).array('n', Array), [3, 1, 2]);
      assert.deepEqual(run(m, { filter: { column: 'n', op: '<', value: 10 } }).array('n', Array), [3, 1, 2]);
      assert.deepEqual(run(m, { filter: { column: 'n', op: '<', value: null } }).numRows(), 0);
      assert.deepEqual(run(m, { filter: { column: 'n', op: '!=', value: 1 } }).array('n', Array), [3, null, 2, null]);
      assert.deepEqual(run(m, { filter: { column: 'n', op: 'isNull' } }).numRows(), 2);
      assert.deepEqual(run(m, { filter: { column: 'n', op: 'notNull' } }).array('n', Array), [3, 1, 2]);
      assert.deepEqual(run(m, { filter: { column: 'n', op: 'in', value: [1, null] } }).array('n', Array), [
        null,
        1,
        null,
      ]);
      assert.deepEqual(run(m, { filter: { column: 's', op: 'contains', value: '' } }).array('s', Array), [
        'b',
        'a',
        'c',
        'B',
      ]);
    });

    it('compares strings by code unit', () => {
      assert.deepEqual(run(mixed(), { filter: { column: 's', op: '<', value: 'b' } }).array('s', Array), ['a', 'B']);
    });

    it('compares ISO strings as dates on a Date column', () => {
      const m = mixed();
      assert.deepEqual(run(m, { filter: { column: 'd', op: '>=', value: '2024-03-01' } }).array('n', Array), [3, 2]);
      assert.deepEqual(run(m, { filter: { column: 'd', op: '=', value: '2024-01-15T00:00:00Z' } }).array('b', Array), [
        false,
      ]);
      assert.deepEqual(
        run(m, { filter: { column: 'd', op: 'in', value: ['2024-01-01', '2024-06-30'] } }).array('n', Array),
        [2, null],
      );
      assert.equal(run(m, { filter: { column: 'd', op: '<', value: Date.UTC(2024, 1, 1) } }).numRows(), 2);
    });

    it('compares "true" and "false" as booleans on a boolean column', () => {
      assert.deepEqual(run(mixed(), { filter: { column: 'b', op: '=', value: 'true' } }).array('n', Array), [3, 2]);
      assert.deepEqual(run(mixed(), { filter: { column: 'b', op: '=', value: false } }).array('s', Array), [null, 'B']);
    });

    it('compares against typed-array columns', () => {
      const t = aq.table({ x: Float64Array.from([1.5, 2.5, 3.5]), y: Int32Array.from([3, 2, 1]) });
      assert.deepEqual(run(t, { filter: { column: 'x', op: '>', value: '2' } }).array('y', Array), [2, 1]);
    });

    it('filters an already filtered and ordered table by its visible rows', () => {
      const t = students()
        .filter(aq.escape((d: { age: number }) => d.age === 21))
        .orderby(aq.desc('id'));
      assert.deepEqual(ids(run(t, { filter: { column: 'grade', op: '=', value: 'A' } })), [9, 5, 1]);
    });

    it('rejects a value the column type cannot take, naming both', async () => {
      await codeOf(
        () => run(students(), { filter: { column: 'age', op: '>', value: 'old' } }),
        'CSVS_QUERY_INVALID',
        /value "old" for column "age": the column holds numbers/,
      );
      await codeOf(
        () => run(students(), { filter: { column: 'age', op: 'in', value: ['1', 'x'] } }),
        'CSVS_QUERY_INVALID',
        /"x"/,
      );
      await codeOf(
        () => run(mixed(), { filter: { column: 'd', op: '<', value: 'soon' } }),
        'CSVS_QUERY_INVALID',
        /holds dates/,
      );
      await codeOf(
        () => run(mixed(), { filter: { column: 'b', op: '=', value: 'yes' } }),
        'CSVS_QUERY_INVALID',
        /holds booleans/,
      );
    });
  });

  describe('groupby and rollup', () => {
    it('counts per group as "count" when no rollup is given', () => {
      tableEqual(run(students(), { groupby: ['grade'] }), { grade: ['A', 'B', 'C'], count: [6, 3, 1] });
    });

    it('groups by grade with count and mean(age)', () => {
      const t = run(students(), {
        groupby: ['grade'],
        rollup: { n: { op: 'count' }, mean_age: { op: 'mean', column: 'age' } },
      });
      tableEqual(t, { grade: ['A', 'B', 'C'], n: [6, 3, 1], mean_age: [21.5, 64 / 3, 21] });
    });

    it('rolls up the whole table without a groupby, after the filter', () => {
      const t = run(students(), {
        filter: { column: 'grade', op: '!=', value: 'C' },
        rollup: {
          n: { op: 'count' },
          total: { op: 'sum', column: 'age' },
          lo: { op: 'min', column: 'name' },
          hi: { op: 'max', column: 'id' },
          grades: { op: 'distinct', column: 'grade' },
        },
      });
      tableEqual(t, { n: [9], total: [193], lo: ['Ameer'], hi: [10], grades: [2] });
    });

    it('counts non-null values for count(column) and ignores nulls in sum and mean', () => {
      const t = run(mixed(), {
        rollup: { c: { op: 'count', column: 'n' }, s: { op: 'sum', column: 'n' }, m: { op: 'mean', column: 'n' } },
      });
      tableEqual(t, { c: [3], s: [6], m: [2] });
    });

    it('groups by several columns, then sorts and selects the output', () => {
      const t = run(students(), {
        groupby: ['grade', 'age'],
        sort: [{ column: 'count', desc: true }, { column: 'grade' }],
        select: ['count', 'grade', 'age'],
        limit: 3,
      });
      tableEqual(t, { count: [3, 3, 2], grade: ['A', 'A', 'B'], age: [21, 22, 21] });
    });

    it('rejects sum or mean of a text column', async () => {
      await codeOf(
        () => run(students(), { rollup: { s: { op: 'sum', column: 'name' } } }),
        'CSVS_QUERY_INVALID',
        /sum\(name\) needs a numeric column; "name" holds string values/,
      );
    });

    it('rejects sort or select on an input column that the rollup dropped', async () => {
      await codeOf(
        () => run(students(), { groupby: ['grade'], sort: [{ column: 'age' }] }),
        'CSVS_QUERY_UNKNOWN_COLUMN',
        /"age" in sort is not in the grouped result; after groupby\/rollup the columns are: grade, count/,
      );
    });
  });

  describe('sort', () => {
    it('sorts by grade stably: ties keep their input order', () => {
      const t = run(students(), { sort: [{ column: 'grade' }] });
      assert.deepEqual(ids(t), [1, 3, 5, 6, 9, 10, 2, 4, 7, 8]);
      assert.deepEqual(
        ids(run(students(), { sort: [{ column: 'grade', desc: true }] })),
        [8, 2, 4, 7, 1, 3, 5, 6, 9, 10],
      );
    });

    it('sorts by several keys', () => {
      assert.deepEqual(
        ids(run(students(), { sort: [{ column: 'age', desc: true }, { column: 'name' }] })),
        [2, 6, 3, 10, 4, 5, 7, 8, 1, 9],
      );
    });

    it('stays stable on a large table with few distinct keys', () => {
      const n = 5000;
      const t = aq.table({ k: Array.from({ length: n }, (_, i) => i % 3), i: Array.from({ length: n }, (_, i) => i) });
      const out = run(t, { sort: [{ column: 'k' }] }).array('i', Array) as number[];
      const expected = [0, 1, 2].flatMap((k) => Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === k));
      assert.deepEqual(out, expected);
    });

    it('puts nulls last in both directions', () => {
      assert.deepEqual(run(mixed(), { sort: [{ column: 'n' }] }).array('n', Array), [1, 2, 3, null, null]);
      assert.deepEqual(run(mixed(), { sort: [{ column: 'n', desc: true }] }).array('n', Array), [3, 2, 1, null, null]);
      assert.deepEqual(run(mixed(), { sort: [{ column: 'd', desc: true }] }).array('n', Array), [2, 3, null, null, 1]);
      assert.deepEqual(run(mixed(), { sort: [{ column: 's' }] }).array('s', Array), ['B', 'a', 'b', 'c', null]);
      const nan = aq.table({ x: [2, Number.NaN, 1] });
      assert.deepEqual(run(nan, { sort: [{ column: 'x', desc: true }] }).array('x', Array), [2, 1, Number.NaN]);
    });
  });

  describe('select, offset and limit', () => {
    it('selects columns in the order given', () => {
      tableEqual(run(students(), { select: ['grade', 'name'], limit: 2 }), {
        grade: ['A', 'B'],
        name: ['Monish', 'Ameer'],
      });
    });

    it('sorts by a column it does not select', () => {
      tableEqual(run(students(), { sort: [{ column: 'age', desc: true }], select: ['name'], limit: 2 }), {
        name: ['Ameer', 'Lokesh'],
      });
    });

    it('applies offset and limit after the sort', () => {
      assert.deepEqual(ids(run(students(), { sort: [{ column: 'id', desc: true }], offset: 2, limit: 3 })), [8, 7, 6]);
      assert.deepEqual(ids(run(students(), { offset: 8 })), [9, 10]);
      assert.deepEqual(ids(run(students(), { offset: 20 })), []);
      assert.deepEqual(ids(run(students(), { limit: 0 })), []);
    });

    it('rejects a result larger than maxRows with LimitError CSVS_LIMIT_ROWS rather than cutting it silently', async () => {
      const err = await codeOf(
        () => runQuery(students(), {}, { maxRows: 5 }),
        'CSVS_LIMIT_ROWS',
        /the result has 10 rows, more than maxQueryRows \(5\); add a limit or a narrower filter/,
      );
      assert.ok(err instanceof LimitError);
      assert.equal(err.limit, 5);
      assert.equal(runQuery(students(), { limit: 5 }, { maxRows: 5 }).numRows(), 5);
    });

    it('caps the result, not the request: a limit far above maxRows is fine on a small result', () => {
      const q = parseQuery({ limit: 100_000_000 }, { maxRows: 10_000_000 });
      assert.equal(runQuery(students(), q, { maxRows: 10_000_000 }).numRows(), 10);
      assert.equal(runQuery(students(), parseQuery({ limit: 100_000_000, offset: 8 }), { maxRows: 2 }).numRows(), 2);
    });

    it('returns an ungrouped table and leaves the input alone', () => {
      const input = students().groupby('grade');
      const out = runQuery(input, {});
      assert.equal(out.isGrouped(), false);
      assert.equal(input.isGrouped(), true);
      tableEqual(out, studentsData);
    });
  });

  describe('unknown columns', () => {
    const cases: Array<[string, unknown, string]> = [
      [
        'filter',
        {
          filter: {
            and: [
              { column: 'age', op: '=', value: 1 },
              { column: 'Age2', op: '=', value: 1 },
            ],
          },
        },
        'Age2',
      ],
      ['groupby', { groupby: ['class'] }, 'class'],
      ['rollup', { rollup: { m: { op: 'mean', column: 'height' } } }, 'height'],
      ['sort', { sort: [{ column: 'score' }] }, 'score'],
      ['select', { select: ['id', 'email'] }, 'email'],
    ];
    for (const [where, query, name] of cases) {
      it(`names an unknown column in ${where} and lists the available ones`, async () => {
        const pattern = new RegExp(`Unknown column "${name}" in ${where}.*; the columns are: id, name, age, grade$`);
        await codeOf(() => run(students(), query), 'CSVS_QUERY_UNKNOWN_COLUMN', pattern);
      });
    }

    it('suggests a column that differs only in case', async () => {
      await codeOf(
        () => run(students(), { select: ['Name'] }),
        'CSVS_QUERY_UNKNOWN_COLUMN',
        /\(did you mean "name"\?\)/,
      );
    });

    it('checks every column before reading any row', async () => {
      // the filter value is bad too, but the unknown select column is reported first
      await codeOf(
        () => run(students(), { filter: { column: 'age', op: '=', value: 'x' }, select: ['nope'] }),
        'CSVS_QUERY_UNKNOWN_COLUMN',
      );
    });

    it('treats inherited names such as constructor and toString as unknown', async () => {
      for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'prototype']) {
        await codeOf(
          () => run(students(), { filter: { column: name, op: '=', value: 1 } }),
          'CSVS_QUERY_UNKNOWN_COLUMN',
          new RegExp(`"${name}"`),
        );
        await codeOf(() => run(students(), { select: [name] }), 'CSVS_QUERY_UNKNOWN_COLUMN');
        await codeOf(() => run(students(), { groupby: [name] }), 'CSVS_QUERY_UNKNOWN_COLUMN');
      }
    });

    it('shortens a long column list', async () => {
      const t = aq.table(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`c${i}`, [i]])));
      await codeOf(() => run(t, { select: ['x'] }), 'CSVS_QUERY_UNKNOWN_COLUMN', /c19, … \(10 more\)$/);
    });
  });

  describe('column names that look like code', () => {
    const names = [
      'd => globalThis.pwned = 1',
      '1 + 1',
      'constructor',
      '"]);globalThis.pwned=2;//',
      "'+globalThis.pwned+'",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile column name, on purpose
      '`${globalThis.pwned=3}`',
      'op.sum(d.x)',
    ];
    const pwned = () => (globalThis as { pwned?: unknown }).pwned;

    it('arquero itself treats names given to select, groupby, orderby and op.* as names', () => {
      const t = tableWithNames(names);
      for (const n of names) {
        assert.deepEqual(t.select([n]).array(n, Array), [3, 1, 2], n);
        assert.deepEqual(t.groupby([n]).count().array(n, Array), [3, 1, 2], n);
        assert.deepEqual(t.orderby(n).array(n, Array), [1, 2, 3], n);
        assert.deepEqual(t.orderby(aq.desc(n)).array(n, Array), [3, 2, 1], n);
        assert.deepEqual(
          t
            .groupby('g')
            .rollup({ s: aq.op.sum(n), m: aq.op.mean(n), v: aq.op.valid(n), x: aq.op.max(n) })
            .array('s', Array),
          [3, 3],
          n,
        );
        assert.deepEqual(t.rollup({ [n]: aq.op.count() }).columnNames(), [n], n);
      }
      assert.equal(pwned(), undefined);
    });

    it('runQuery filters, groups, sorts and selects them as names', () => {
      const t = tableWithNames(names);
      for (const n of names) {
        assert.deepEqual(
          run(t, { filter: { column: n, op: '>', value: '1' }, select: [n] }).array(n, Array),
          [3, 2],
          n,
        );
        tableEqual(
          run(t, { groupby: ['g'], rollup: { [n]: { op: 'sum', column: n } } }),
          { g: ['x', 'y'], [n]: [3, 3] },
          n,
        );
        assert.deepEqual(run(t, { sort: [{ column: n, desc: true }], select: [n] }).array(n, Array), [3, 2, 1], n);
        assert.deepEqual(run(t, { groupby: [n], sort: [{ column: n }] }).array(n, Array), [1, 2, 3], n);
      }
      assert.equal(pwned(), undefined);
    });

    it('reports a "__proto__" column, which arquero cannot hold, as unknown', async () => {
      const t = tableWithNames(['__proto__']);
      await codeOf(() => run(t, { select: ['__proto__'] }), 'CSVS_QUERY_UNKNOWN_COLUMN', /the columns are: g$/);
      await codeOf(() => run(t, { groupby: ['__proto__'] }), 'CSVS_QUERY_UNKNOWN_COLUMN');
      await codeOf(() => run(t, { rollup: { s: { op: 'sum', column: '__proto__' } } }), 'CSVS_QUERY_UNKNOWN_COLUMN');
    });
  });

  describe('hostile queries leave the table unchanged', () => {
    let deep: unknown = { column: 'age', op: '=', value: 1 };
    for (let i = 0; i < 10_000; i++) deep = { or: [deep] };
    const corpus: Array<[string, unknown, string]> = [
      [
        'an unknown column named constructor',
        { filter: { column: 'constructor', op: '=', value: 'Object' } },
        'CSVS_QUERY_UNKNOWN_COLUMN',
      ],
      ['an unknown column named __proto__', { select: ['__proto__'] }, 'CSVS_QUERY_UNKNOWN_COLUMN'],
      [
        'a __proto__ key',
        JSON.parse('{"filter":{"column":"age","op":"=","value":1},"__proto__":{"polluted":true}}'),
        'CSVS_QUERY_INVALID',
      ],
      ['a filter nested 10,000 deep', { filter: deep }, 'CSVS_QUERY_TOO_COMPLEX'],
      [
        'a 1e6-element in list',
        { filter: { column: 'id', op: 'in', value: new Array(1_000_000).fill(1) } },
        'CSVS_QUERY_TOO_COMPLEX',
      ],
      [
        'a 10 MB string',
        { filter: { column: 'name', op: '=', value: 'a'.repeat(10_000_000) } },
        'CSVS_QUERY_TOO_COMPLEX',
      ],
      ['an operator object', { filter: { column: 'age', op: '=', value: { $gt: 1 } } }, 'CSVS_QUERY_INVALID'],
      ['an op not in the list', { filter: { column: 'age', op: 'regex', value: '(a+)+$' } }, 'CSVS_QUERY_INVALID'],
      [
        'an arquero expression as op',
        { filter: { column: 'age', op: 'd => process.exit()', value: 1 } },
        'CSVS_QUERY_INVALID',
      ],
      [
        'an arquero expression as column',
        { filter: { column: 'd => process.exit()', op: '=', value: 1 } },
        'CSVS_QUERY_UNKNOWN_COLUMN',
      ],
      [
        'an arquero expression as select',
        { select: ["d => (globalThis.pwned = 'select')"] },
        'CSVS_QUERY_UNKNOWN_COLUMN',
      ],
      [
        'an arquero expression as rollup column',
        { rollup: { x: { op: 'sum', column: "d => (globalThis.pwned = 'rollup')" } } },
        'CSVS_QUERY_UNKNOWN_COLUMN',
      ],
      ['an array where the filter belongs', { filter: [[{ column: 'age' }]] }, 'CSVS_QUERY_INVALID'],
      ['a number where a filter belongs', { filter: { not: 42 } }, 'CSVS_QUERY_INVALID'],
      ['null as the query', null, 'CSVS_QUERY_INVALID'],
      ['a function as a value', { filter: { column: 'age', op: '=', value: () => 1 } }, 'CSVS_QUERY_INVALID'],
      ['a fractional limit', { limit: 0.5 }, 'CSVS_QUERY_INVALID'],
      ['a NaN offset', { offset: Number.NaN }, 'CSVS_QUERY_INVALID'],
    ];
    for (const [what, query, code] of corpus) {
      it(`rejects ${what} with ${code}`, async () => {
        const t = students();
        // parsed once, as the server does; runQuery trusts a parsed query
        await codeOf(() => runQuery(t, parseQuery(query)), code);
        tableEqual(t, studentsData);
        assert.equal((globalThis as { pwned?: unknown }).pwned, undefined);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });
    }

    it('runs a regex-looking contains value as a plain substring', () => {
      const t = students();
      assert.equal(run(t, { filter: { column: 'name', op: 'contains', value: '(a+)+$' } }).numRows(), 0);
      assert.equal(run(t, { filter: { column: 'name', op: 'contains', value: '.*' } }).numRows(), 0);
      tableEqual(t, studentsData);
    });
  });
});

describe('runQuery with sort and a small limit', () => {
  // a seeded table with many ties and nulls, so that stability and null order matter
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const n = 3000;
  const table = aq.table({
    id: Array.from({ length: n }, (_, i) => i),
    a: Array.from({ length: n }, () => (rand() < 0.1 ? null : Math.floor(rand() * 20))),
    b: Array.from({ length: n }, () => (rand() < 0.1 ? null : String.fromCharCode(97 + Math.floor(rand() * 5)))),
    c: Array.from({ length: n }, () =>
      rand() < 0.05 ? Number.NaN : rand() < 0.05 ? null : Math.floor(rand() * 50) / 4,
    ),
    d: Array.from({ length: n }, () => (rand() < 0.1 ? null : new Date(2020, 0, 1 + Math.floor(rand() * 30)))),
  });

  const cases: Array<[string, Query]> = [
    ['one key ascending', { sort: [{ column: 'a' }] }],
    ['one key descending', { sort: [{ column: 'a', desc: true }] }],
    ['two keys', { sort: [{ column: 'b' }, { column: 'a', desc: true }] }],
    ['after a filter', { filter: { column: 'a', op: '>', value: 5 }, sort: [{ column: 'b', desc: true }] }],
    ['a date key with nulls', { sort: [{ column: 'd', desc: true }] }],
    [
      'a number key with NaN and nulls, after a filter',
      { filter: { column: 'b', op: '!=', value: 'a' }, sort: [{ column: 'c' }] },
    ],
    ['two number keys', { sort: [{ column: 'a' }, { column: 'c', desc: true }] }],
    ['a date key, then a string key', { sort: [{ column: 'd' }, { column: 'b', desc: true }] }],
  ];
  for (const [label, query] of cases) {
    for (const [offset, limit] of [
      [0, 10],
      [5, 20],
      [0, 0],
      [0, 1],
    ] as const) {
      it(`takes the same rows as a full stable sort: ${label}, offset ${offset}, limit ${limit}`, () => {
        const full = runQuery(table, query).array('id', Array) as number[];
        const top = runQuery(table, { ...query, offset, limit }).array('id', Array) as number[];
        assert.deepEqual(top, full.slice(offset, offset + limit));
      });
    }
  }
});
