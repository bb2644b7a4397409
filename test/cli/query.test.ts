/**
 * The client commands run in-process (`main(argv, io)`) against a real server
 * on port 0: hostile cells and names reach a terminal escaped, and exact into
 * a pipe; the row cap applies to the result, not to --limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/client/client.js';
import { type CsvServer, startServer } from '../../src/server/server.js';
import { cli } from './run.js';

const ESC_CLEAR = '\u001b[2J';
const OSC52 = '\u001b]52;c;ZXZpbA==\u0007';
const RLO = '\u202e';
const C1 = '\u009b31m';

/** Any character a terminal would act on or that reorders text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters that must not reach a terminal
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('csvsocket query and list on a terminal', () => {
  let server: CsvServer;
  let url: string;
  // written as toCSV writes it (quotes only where needed), so the bytes can be compared
  const csv = `id,note,evil${RLO}name\n1,${ESC_CLEAR}gone,plain\n2,${OSC52},${C1}x\n3,ok${RLO}txt.exe,a\tb\n`;

  before(async () => {
    server = await startServer({ port: 0 });
    url = server.url;
    const c = await connect(url);
    await c.send(csv, { name: `hostile${RLO}cod.exe` });
    await c.send('a,b\n1,2\n3,4\n', { name: 'small' });
    await c.close();
  });
  after(async () => {
    await server.close();
  });

  it('escapes control and bidi characters in the table format, even into a pipe', async () => {
    const r = await cli(['query', `hostile${RLO}cod.exe`, '--url', url]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, RAW);
    assert.match(r.out, /\\x1b\[2Jgone/);
    assert.match(r.out, /\\x1b\]52;c;ZXZpbA==\\x07/);
    assert.match(r.out, /evil\\u202ename/);
    assert.match(r.out, /\\x9b31mx/);
  });

  it('escapes --format csv and --format json on a terminal', async () => {
    for (const format of ['csv', 'json']) {
      const r = await cli(['query', `hostile${RLO}cod.exe`, '--url', url, '--format', format], true);
      assert.equal(r.code, 0, r.err);
      assert.doesNotMatch(r.out, RAW, format);
      assert.match(r.out, /\\(x1b|u001b)\[2Jgone/, format);
    }
  });

  it('keeps exact bytes with --format csv and --format json into a pipe or file', async () => {
    const r = await cli(['query', `hostile${RLO}cod.exe`, '--url', url, '--format', 'csv']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, csv);
    const j = await cli(['query', `hostile${RLO}cod.exe`, '--url', url, '--format', 'json']);
    assert.match(j.out, new RegExp(RLO));
    assert.equal((JSON.parse(j.out) as Array<Record<string, unknown>>)[1]?.note, OSC52);
  });

  it('escapes names in list, and in error messages', async () => {
    const r = await cli(['list', '--url', url]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, RAW);
    assert.match(
      r.out,
      /hostile\\u202ecod\.exe: 3 rows × 3 columns \(id integer, note string, evil\\u202ename string\)/,
    );
    const bad = await cli(['query', `hostile${RLO}cod.exe`, '--url', url, '--select', `no${ESC_CLEAR}such`]);
    assert.equal(bad.code, 1);
    assert.doesNotMatch(bad.err, RAW);
    assert.match(
      bad.err,
      /CSVS_QUERY_UNKNOWN_COLUMN: Unknown column "no\\u001b\[2Jsuch" in select; the columns are: id, note, evil\\u202ename/,
    );
  });

  it('takes a --limit far above the server maximum on a 2-row dataset (the result is capped, not the request)', async () => {
    const r = await cli(['query', 'small', '--url', url, '--format', 'csv', '--limit', '100000000']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'a,b\n1,2\n3,4\n');
  });

  it('exits 1 with CSVS_LIMIT_ROWS when the result itself is above maxQueryRows', async () => {
    const small = await startServer({ port: 0, limits: { maxQueryRows: 1 } });
    try {
      const c = await connect(small.url);
      await c.send('a,b\n1,2\n3,4\n', { name: 'small' });
      await c.close();
      const r = await cli(['query', 'small', '--url', small.url, '--limit', '100000000']);
      assert.equal(r.code, 1);
      assert.match(r.err, /^csvsocket: CSVS_LIMIT_ROWS: the result has 2 rows, more than maxQueryRows \(1\)/);
    } finally {
      await small.close();
    }
  });
});
