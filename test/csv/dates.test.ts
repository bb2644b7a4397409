import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  dateToDay,
  dayToDate,
  formatDate,
  isCalendarDay,
  isoDate,
  isoDay,
  parseCSV,
  parseDateText,
} from '../../src/csv/index.js';
import { ArgumentError, CsvParseError, ErrorCode } from '../../src/errors.js';

const run = promisify(execFile);
const PROBE = join(__dirname, 'tz-probe.ts');

// [year, month (0-based), date, day of week] as arquero's local ops read them
const DAYS = [
  [2012, 0, 1, 0],
  [2012, 1, 29, 3],
  [2015, 11, 31, 4],
  [99, 11, 31, 4],
];
const CSV = 'date,n\n2012-01-01,1\n2012-02-29,2\n2015-12-31,3\n0099-12-31,4\n';

describe('calendar days in every time zone', () => {
  for (const tz of ['UTC', 'America/Los_Angeles', 'Asia/Tokyo', 'Pacific/Kiritimati']) {
    it(`agree on the day under TZ=${tz}: arquero's ops, every path, show(), toCSV, queries`, async () => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', PROBE], {
        env: { ...process.env, TZ: tz },
        cwd: join(__dirname, '..', '..'),
      });
      const out = JSON.parse(stdout) as Record<string, unknown>;
      for (const path of ['parseCSV', 'worker', 'reencoded', 'sent', 'stored'])
        assert.deepEqual(out[path], DAYS, `${path} under ${tz}`);
      assert.deepEqual(out.stocks, [
        [2000, 0, 1, 6],
        [2000, 1, 1, 2],
      ]);
      assert.equal(out.toCSV, CSV);
      assert.equal(out.queried, CSV);
      assert.equal(out.stocksCSV, 'date,price\nJan 1 2000,39.81\nFeb 1 2000,36.35\n');
      assert.deepEqual(out.head, [
        ['2012-01-01', '1'],
        ['2012-02-29', '2'],
      ]);
      assert.match(out.show as string, /\n2012-01-01 +1\n2012-02-29 +2\n2015-12-31 +3\n0099-12-31 +4$/);
      assert.equal(out.filtered, 1);
      assert.equal(out.localFilter, 1);
    });
  }
});

describe('dates.ts', () => {
  it('holds a day as local midnight and gives the same day back', () => {
    for (const text of ['1970-01-01', '2012-01-01', '2000-02-29', '0001-01-01', '0099-12-31', '9999-12-31']) {
      const d = dayToDate(dateToDay(new Date(parseDateText(text))));
      assert.equal(isoDate(d), text);
      assert.equal(d.getHours(), 0);
      assert.ok(isCalendarDay(d));
      assert.equal(formatDate(d), text);
    }
    assert.equal(isoDay(15340), '2012-01-01');
    assert.equal(formatDate(new Date(Date.UTC(2012, 0, 1, 12, 30))), '2012-01-01T12:30:00.000Z');
    assert.ok(Number.isNaN(parseDateText('2012-02-30')));
    assert.equal(parseDateText('2012-01-01T00:00:00Z'), Date.UTC(2012, 0, 1));
  });
});

describe('options.types date formats', () => {
  it('reads %b %d %Y, %m/%d/%Y and %d/%m/%Y, and writes each value back', () => {
    const us = parseCSV('d\n01/02/2021\n', { types: { d: 'date:%m/%d/%Y' } });
    const eu = parseCSV('d\n01/02/2021\n', { types: { d: 'date:%d/%m/%Y' } });
    assert.equal(isoDate((us.values[0] as Date[])[0] as Date), '2021-01-02');
    assert.equal(isoDate((eu.values[0] as Date[])[0] as Date), '2021-02-01');
    const stocks = parseCSV('d\nJan 1 2000\nDec 31 1999\n', { types: { d: 'date:%b %d %Y' } });
    assert.deepEqual(stocks.columns, [{ name: 'd', type: 'date', format: '%b %-d %Y' }]);
  });

  it('reads a time of day as local wall-clock time', () => {
    const p = parseCSV('t\n2010-01-01T01:00:00\n2010-07-04T23:59:59\n', {
      types: { t: 'date:%Y-%m-%dT%H:%M:%S' },
    });
    const [a, b] = p.values[0] as Date[];
    assert.deepEqual([a?.getFullYear(), a?.getMonth(), a?.getDate(), a?.getHours()], [2010, 0, 1, 1]);
    assert.deepEqual([b?.getHours(), b?.getMinutes(), b?.getSeconds()], [23, 59, 59]);
    const pm = parseCSV('t\n12/31/99 11:59 PM\n', { types: { t: 'date:%m/%d/%y %I:%M %p' } });
    const t = (pm.values[0] as Date[])[0] as Date;
    assert.deepEqual([t.getFullYear(), t.getHours(), t.getMinutes()], [1999, 23, 59]);
  });

  it('refuses a value that does not match, naming line and column', () => {
    assert.throws(
      () => parseCSV('d\nJan 1 2000\n2000-01-01\n', { types: { d: 'date:%b %d %Y' } }),
      (err: unknown) =>
        err instanceof CsvParseError &&
        err.code === ErrorCode.PARSE_BAD_TYPE &&
        err.line === 3 &&
        /^line 3, column "d": "2000-01-01" is not a date written as "%b %d %Y"/.test(err.message),
    );
  });

  it('refuses an unknown directive and a format without a day', () => {
    for (const spec of ['date:%Q %Y', 'date:%Y-%m'] as const) {
      assert.throws(
        () => parseCSV('d\nx\n', { types: { d: spec } }),
        (err: unknown) => err instanceof ArgumentError && err.code === ErrorCode.BAD_ARGUMENT,
      );
    }
  });
});
