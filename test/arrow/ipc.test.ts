import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tableFromIPC } from '@uwdata/flechette';
import * as aq from 'arquero';
import { rawFieldNames } from '../../src/arrow/edges.js';
import {
  columnsToIPC,
  formatCell,
  inferColumns,
  ipcByteLength,
  ipcFragments,
  pieceColumns,
  tableFromArrowIPC,
  tableToArrowIPC,
} from '../../src/arrow/ipc.js';
import { parseCSV, Utf8Column } from '../../src/csv/index.js';
import { sameTable, tableEqual } from '../helpers.js';
import { pyarrowFile } from './fixtures.js';

const B = '\ufeff';

describe('tableFromArrowIPC', () => {
  it('keeps a U+FEFF at the start of a value and of a column name', () => {
    const parsed = parseCSV(`${B}${B}a,${B},c\n"${B}x",${B}y,z\n`);
    assert.deepEqual(
      parsed.columns.map((c) => c.name),
      [`${B}a`, B, 'c'],
    );
    const table = tableFromArrowIPC(columnsToIPC(parsed));
    sameTable(table, parsed);
    // flechette alone loses them: that is what this module works around
    const plain = tableFromIPC(columnsToIPC(parsed));
    assert.equal(plain.getChildAt(0)?.at(0), 'x');
  });

  it('keeps them through arquero dictionary-encoded strings (tableToArrowIPC)', () => {
    const table = aq.table({ [`${B}k`]: [`${B}x`, `${B}x`, 'y', null] });
    tableEqual(tableFromArrowIPC(tableToArrowIPC(table)), { [`${B}k`]: [`${B}x`, `${B}x`, 'y', null] });
  });

  it('opens timestamps finer than a millisecond as the millisecond they fall in, before 1970 too', () => {
    const ms = (name: string) =>
      (tableFromArrowIPC(pyarrowFile(`${name}.arrow`)).array(name, Array) as Array<Date | null>).map((d) =>
        d === null ? null : d.getTime(),
      );
    // µs: -1, null, -1001, -86,400,000,000,001 (a day and a µs before 1970), 1, 999, 1000
    assert.deepEqual(ms('timestamp_before_1970'), [-1, null, -2, -86_400_000_001, 0, 0, 1]);
    // ns: -1, null, -1,000,001, 1, 0, 5, 7
    assert.deepEqual(ms('timestamp_ns_before_1970'), [-1, null, -2, 0, 0, 0, 0]);
  });

  it('opens Arrow dates as local midnight of their calendar day', () => {
    const table = tableFromArrowIPC(columnsToIPC(parseCSV('d\n2012-01-01\n\n1999-12-31\n')));
    const [a, gap, b] = table.array('d', Array) as Array<Date | null>;
    assert.deepEqual([a?.getFullYear(), a?.getMonth(), a?.getDate(), a?.getHours()], [2012, 0, 1, 0]);
    assert.equal(gap, null);
    assert.deepEqual([b?.getFullYear(), b?.getMonth(), b?.getDate()], [1999, 11, 31]);
  });
});

describe('tableToArrowIPC', () => {
  it('writes a column of local midnights as Arrow Date32 days, other Dates as their instant', () => {
    const instant = new Date(Date.UTC(2020, 5, 1, 12, 34, 56, 789));
    const table = aq.table({ day: [new Date(2012, 0, 1), null], at: [instant, null], n: [1, 2] });
    const bytes = tableToArrowIPC(table);
    const arrow = tableFromIPC(bytes);
    assert.equal(arrow.getChild('day')?.type.typeId, 8); // Type.Date
    assert.equal(arrow.getChild('day')?.at(0), 15340 * 86_400_000);
    const back = tableFromArrowIPC(bytes);
    assert.equal((back.get('day', 0) as Date).getTime(), new Date(2012, 0, 1).getTime());
    assert.equal((back.get('at', 0) as Date).getTime(), instant.getTime());
    assert.deepEqual(inferColumns(back), [
      { name: 'day', type: 'date' },
      { name: 'at', type: 'string' },
      { name: 'n', type: 'integer' },
    ]);
    assert.equal(formatCell(back.get('day', 0)), '2012-01-01');
    assert.equal(formatCell(back.get('at', 0)), '2020-06-01T12:34:56.789Z');
  });

  it('keeps a filtered and ordered table’s rows', () => {
    const table = aq
      .table({ d: [new Date(2001, 0, 3), new Date(2001, 0, 1), new Date(2001, 0, 2)], k: [3, 1, 2] })
      .filter((r: { k: number }) => r.k > 1)
      .orderby('k');
    tableEqual(tableFromArrowIPC(tableToArrowIPC(table)), {
      d: [new Date(2001, 0, 2), new Date(2001, 0, 3)],
      k: [2, 3],
    });
  });
});

describe('rawFieldNames', () => {
  it('reads the names as written, and null for bytes that hold no schema', () => {
    const bytes = columnsToIPC(parseCSV(`${B}${B}a,b\n1,2\n`));
    assert.deepEqual(rawFieldNames(bytes), [`${B}a`, 'b']);
    assert.equal(rawFieldNames(new Uint8Array([1, 2, 3])), null);
    assert.equal(rawFieldNames(bytes.subarray(0, 20)), null);
  });
});

describe('a date format column', () => {
  it('travels as Arrow timestamps when it has a time of day, and writes back its text', () => {
    const parsed = parseCSV('t\n2010-01-01T01:00:00\n', { types: { t: 'date:%Y-%m-%dT%H:%M:%S' } });
    const table = tableFromArrowIPC(columnsToIPC(parsed));
    sameTable(table, parsed);
    assert.equal(formatCell(table.get('t', 0), parsed.columns[0]), '2010-01-01T01:00:00');
    assert.deepEqual(inferColumns(table, parsed.columns), parsed.columns);
  });
});

describe('ArrowStreams (the pieces of a parallel parse)', () => {
  const pieces = ['n,s,d\n1,a,2012-01-01\n2,"b,c",\n', 'n,s,d\n3,,2012-02-29\n', 'n,s,d\n4,"x\ny",1999-12-31\n'];
  const streams = pieces.map((text) => columnsToIPC(parseCSV(text), { shared: true }));
  const whole = parseCSV(`n,s,d\n1,a,2012-01-01\n2,"b,c",\n3,,2012-02-29\n4,"x\ny",1999-12-31\n`);

  it('writes a piece into shared memory', () => {
    for (const s of streams) assert.ok(s.buffer instanceof SharedArrayBuffer);
  });

  it('opens the list of streams as one table, in order', () => {
    sameTable(tableFromArrowIPC(streams), whole);
  });

  it('gives fragments that, one after the other, are one stream of the same table', () => {
    const fragments = ipcFragments(streams);
    assert.ok(fragments.length > streams.length, 'no copy: views of each stream, then the end marker');
    const joined = Buffer.concat(fragments);
    assert.equal(joined.byteLength, ipcByteLength(streams));
    sameTable(tableFromArrowIPC(new Uint8Array(joined)), whole);
    assert.deepEqual(ipcFragments(streams[0] as Uint8Array), [streams[0]]);
  });

  it('reads a piece back in the parser layouts, as views', () => {
    const columns = pieceColumns(streams[0] as Uint8Array);
    assert.deepEqual(
      columns?.map((c) => (c instanceof Utf8Column ? 'utf8' : c.type)),
      ['float64', 'utf8', 'date'],
    );
    assert.equal(columns?.[1]?.get(1), 'b,c');
    assert.equal(columns?.[2]?.get(1), null);
    assert.equal(pieceColumns(columnsToIPC(parseCSV('a,b\n'))), null);
  });
});
