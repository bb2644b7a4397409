/**
 * `npm run demo`: the original design's walk-through in one process — a server,
 * a client that sends data/students.csv, the server's `Received CSV data!!`
 * with the first five rows, the client's confirmation, then the Floofy lookup
 * and the sort by grade as remote queries.
 */
import { join } from 'node:path';
import { connect } from '../src/client/client.js';
import { ErrorCode, isCsvSocketError } from '../src/errors.js';
import { LEGACY_REPLY } from '../src/protocol/messages.js';
import { type CsvServer, startServer } from '../src/server/server.js';
import { formatHead, formatRows } from '../src/text.js';

async function start(): Promise<CsvServer> {
  try {
    return await startServer({ port: 8851 });
  } catch (err) {
    // another server holds the original's port: the demo runs on a free one
    if (isCsvSocketError(err, ErrorCode.ADDRESS_IN_USE)) return startServer({ port: 0 });
    throw err;
  }
}

async function demo(file: string): Promise<void> {
  const server = await start();
  console.log(`Server running on ws://localhost:${server.port}`);
  server.on('dataset', (dataset) => {
    console.log('Received CSV data!!');
    console.log(formatHead(dataset.summary));
    console.log('');
  });
  const client = await connect(server.url);
  try {
    const { summary } = await client.upload(file, { name: 'students' });
    console.log(`Server confirmation: ${LEGACY_REPLY}`);
    console.log('');
    console.log('# Specific record retrieval: name = Floofy');
    const floofy = await client.queryWithSummary('students', { filter: { column: 'name', op: '=', value: 'Floofy' } });
    console.log(formatRows(floofy.table, floofy.summary.columns));
    console.log('');
    console.log('# Sorting operation: by grade');
    const sorted = await client.queryWithSummary('students', { sort: [{ column: 'grade' }] });
    console.log(formatRows(sorted.table, summary.columns));
  } finally {
    await client.close();
    await server.close();
  }
}

demo(process.argv[2] ?? join(__dirname, '..', 'data', 'students.csv')).catch((err: unknown) => {
  console.error(`demo failed: ${isCsvSocketError(err) ? `${err.code}: ` : ''}${(err as Error).message}`);
  process.exitCode = 1;
});
