/**
 * src/csv/dateformat.ts: dates in a written format, read and written back exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileDateFormat, effectiveFormat, formatOfType, readDate, writeDate } from '../../src/csv/dateformat.js';
import { daysFromCivil } from '../../src/csv/dates.js';
import { ArgumentError } from '../../src/errors.js';

/** Read a whole string; returns the value and the padding evidence. */
function read(format: string, s: string): { value: number; padded: number; unpadded: number } {
  const padding = { padded: 0, unpadded: 0 };
  const value = readDate(compileDateFormat(format), s, 0, s.length, padding);
  return { value, ...padding };
}

describe('compileDateFormat', () => {
  it('compiles a format once and says whether it has a time of day', () => {
    const f = compileDateFormat('%b %d %Y');
    assert.equal(compileDateFormat('%b %d %Y'), f);
    assert.equal(f.source, '%b %d %Y');
    assert.equal(f.hasTime, false);
    assert.equal(f.slots, 2);
    assert.equal(compileDateFormat('%Y-%m-%d %H:%M').hasTime, true);
    assert.equal(compileDateFormat('%m/%d/%y %I %p').hasTime, true);
  });

  it('refuses an unknown directive, a format without year, month and day, and %I without %p', () => {
    assert.throws(() => compileDateFormat('%Y-%m-%q'), {
      name: 'ArgumentError',
      code: 'CSVS_BAD_ARGUMENT',
      message: /^date format "%Y-%m-%q": "%q" is not a directive; use %Y %y %m %d/,
    });
    assert.throws(() => compileDateFormat('%Y-%-b-%d'), {
      code: 'CSVS_BAD_ARGUMENT',
      message: /"%-b" is not a directive/,
    });
    assert.throws(() => compileDateFormat('%Y-%m-%d %'), {
      code: 'CSVS_BAD_ARGUMENT',
      message: /"%" is not a directive/,
    });
    const err = (() => {
      try {
        compileDateFormat('%Y-%m');
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof ArgumentError);
    assert.equal(err.code, 'CSVS_BAD_ARGUMENT');
    assert.match(
      err.message,
      /^date format "%Y-%m" needs a year \(%Y or %y\), a month \(%m, %b or %B\) and a day \(%d\)/,
    );
    assert.throws(() => compileDateFormat('%Y-%m-%d %I:%M'), {
      code: 'CSVS_BAD_ARGUMENT',
      message: /%I \(hour 1–12\) and %p \(AM\/PM\) go together/,
    });
  });
});

describe('readDate', () => {
  it('reads a date-only format as a day count, padded or not', () => {
    assert.equal(read('%b %d %Y', 'Jan 1 2000').value, daysFromCivil(2000, 1, 1));
    assert.equal(read('%B %d, %Y', 'February 29, 2024').value, daysFromCivil(2024, 2, 29));
    assert.equal(read('%d.%m.%Y', '05.11.1999').value, daysFromCivil(1999, 11, 5));
    assert.equal(read('%Y%%%m%%%d', '2020%07%04').value, daysFromCivil(2020, 7, 4));
  });

  it('reads %y as POSIX does: 69–99 are 19xx, 00–68 are 20xx', () => {
    assert.equal(read('%m/%d/%y', '01/02/69').value, daysFromCivil(1969, 1, 2));
    assert.equal(read('%m/%d/%y', '01/02/68').value, daysFromCivil(2068, 1, 2));
  });

  it('reads a time of day as local wall-clock epoch ms, with %I and %p', () => {
    assert.equal(read('%Y-%m-%d %H:%M:%S', '2021-03-04 13:05:09').value, new Date(2021, 2, 4, 13, 5, 9).getTime());
    assert.equal(read('%m/%d/%Y %I:%M %p', '03/04/2021 12:30 AM').value, new Date(2021, 2, 4, 0, 30).getTime());
    assert.equal(read('%m/%d/%Y %I:%M %p', '03/04/2021 12:30 PM').value, new Date(2021, 2, 4, 12, 30).getTime());
    assert.equal(read('%m/%d/%Y %I:%M %p', '03/04/2021 1:30 PM').value, new Date(2021, 2, 4, 13, 30).getTime());
  });

  it('is NaN for text that does not match or is no real date', () => {
    for (const [format, s] of [
      ['%Y-%m-%d', '2023-02-29'],
      ['%Y-%m-%d', '2023-13-01'],
      ['%Y-%m-%d', '2023-00-10'],
      ['%Y-%m-%d', '23-01-01'],
      ['%Y-%m-%d', '2023-01-01x'],
      ['%Y-%m-%d', '2023/01/01'],
      ['%b %d %Y', 'jan 1 2000'],
      ['%Y-%m-%d %H:%M', '2023-01-01 24:00'],
      ['%Y-%m-%d %I %p', '2023-01-01 11 pm'],
      ['%Y-%m-%-d', '2023-01-05'],
      ['%Y-%m-%d', '2023-01-0'],
    ] as const) {
      assert.ok(Number.isNaN(read(format, s).value), `${format} ${s}`);
    }
  });

  it('records for each numeric field whether it was written with a leading zero', () => {
    // slots: %m is 0, %d is 1
    assert.deepEqual(read('%m/%d/%Y', '01/5/2000'), { value: daysFromCivil(2000, 1, 5), padded: 0b01, unpadded: 0b10 });
    // 10 and 12 say nothing either way
    assert.deepEqual(read('%m/%d/%Y', '12/10/2000'), { value: daysFromCivil(2000, 12, 10), padded: 0, unpadded: 0 });
  });

  it('reads only the range it is given', () => {
    const padding = { padded: 0, unpadded: 0 };
    const line = 'x,2000-01-02,y';
    assert.equal(readDate(compileDateFormat('%Y-%m-%d'), line, 2, 12, padding), daysFromCivil(2000, 1, 2));
  });
});

describe('effectiveFormat and writeDate', () => {
  it('write a value back as it was read, the leading zeros included', () => {
    const format = compileDateFormat('%m/%d/%Y');
    const { value, unpadded } = read('%m/%d/%Y', '01/5/2000');
    const effective = effectiveFormat(format, unpadded);
    assert.equal(effective, '%m/%-d/%Y');
    assert.equal(writeDate(compileDateFormat(effective), value), '01/5/2000');
    assert.equal(effectiveFormat(compileDateFormat('100%% %Y-%m-%d'), 0), '100%% %Y-%m-%d');
  });

  it('writes names, 12-hour clocks and two-digit years', () => {
    assert.equal(writeDate(compileDateFormat('%B %-d, %Y'), daysFromCivil(2024, 2, 9)), 'February 9, 2024');
    assert.equal(writeDate(compileDateFormat('%b %d %y'), daysFromCivil(1999, 12, 31)), 'Dec 31 99');
    const f = compileDateFormat('%Y-%m-%d %I:%M:%S %p');
    assert.equal(writeDate(f, new Date(2021, 2, 4, 0, 7, 9)), '2021-03-04 12:07:09 AM');
    assert.equal(writeDate(f, new Date(2021, 2, 4, 12, 0, 0)), '2021-03-04 12:00:00 PM');
    assert.equal(writeDate(f, new Date(2021, 2, 4, 23, 59, 59)), '2021-03-04 11:59:59 PM');
  });

  it('round-trips what it reads', () => {
    for (const [format, s] of [
      ['%b %d %Y', 'Mar 07 2001'],
      ['%d/%m/%y %H:%M', '31/12/99 23:59'],
      ['%m/%d/%Y %I:%M %p', '07/04/2021 09:15 AM'],
      ['%Y%m%d', '19700101'],
    ] as const) {
      const v = read(format, s).value;
      const compiled = compileDateFormat(format);
      assert.equal(writeDate(compiled, compiled.hasTime ? new Date(v) : v), s, format);
    }
  });
});

describe('formatOfType', () => {
  it("takes the format out of a 'date:…' type and nothing out of a plain type", () => {
    assert.equal(formatOfType('date:%b %d %Y'), '%b %d %Y');
    assert.equal(formatOfType('date:'), '');
    assert.equal(formatOfType('date'), undefined);
    assert.equal(formatOfType('string'), undefined);
  });
});
