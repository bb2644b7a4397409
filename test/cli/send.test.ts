/** `csvsocket send` asks for the summary only: the stored table does not come back. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CsvClient, connect } from '../../src/client/client.js';
import { type CsvServer, startServer } from '../../src/server/server.js';

describe('send, summary only', () => {
  let server: CsvServer;
  let client: CsvClient;
  before(async () => {
    server = await startServer({ port: 0 });
    client = await connect(server.url);
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('stores the data and answers with the summary and no table (returnTable: false, as the CLI sends)', async () => {
    const r = await client.upload('a,b\n1,x\n2,y\n', { name: 'tiny', returnTable: false });
    assert.equal(r.table, null);
    assert.equal(r.summary.rows, 2);
    assert.deepEqual(
      r.summary.columns.map((c) => c.name),
      ['a', 'b'],
    );
    assert.equal(server.table('tiny')?.numRows(), 2);
    // the default still hands the table back
    assert.equal((await client.upload('a\n1\n', { name: 'back' })).table?.numRows(), 1);
  });
});
