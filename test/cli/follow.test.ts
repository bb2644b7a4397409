/**
 * `csvsocket send --follow` (src/cli/follow.ts), through its exported
 * functions: completeLines, and follow against a real server on port 0 with a
 * real file that the test appends to. (test/cli/main.test.ts runs the built
 * CLI's --follow once; these cover the cases one at a time.)
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { completeLines, follow } from '../../src/cli/follow.js';
import { ArgumentError } from '../../src/errors.js';
import { type CsvClient, type CsvServer, connect, startServer } from '../../src/index.js';
import type { DatasetSummary } from '../../src/protocol/messages.js';
import { rejectsWithCode, tableEqual } from '../helpers.js';

describe('completeLines', () => {
  it('ends after the last newline, or at 0 when there is none', () => {
    assert.deepEqual(completeLines('a,b\n1,2\n3,', false), { end: 8, inQuotes: false });
    assert.deepEqual(completeLines('a,b\n1,2\n', false), { end: 8, inQuotes: false });
    assert.deepEqual(completeLines('a,b', false), { end: 0, inQuotes: false });
    assert.deepEqual(completeLines('', true), { end: 0, inQuotes: true });
  });

  it('does not cut at a newline inside a quoted field, and carries the quote state on', () => {
    // the second line's field is still open at its newline: the cut stays after line 1
    assert.deepEqual(completeLines('a\n"x\ny', false), { end: 2, inQuotes: false });
    // starting inside quotes, the first newline is part of the field
    assert.deepEqual(completeLines('tail\nstill"\nnext\n', true), { end: 17, inQuotes: false });
    // an escaped quote ("") toggles twice and changes nothing
    assert.deepEqual(completeLines('"a""b"\n', false), { end: 7, inQuotes: false });
  });
});

/** Updates from follow's onUpdate, awaited one at a time. */
class Updates {
  private readonly queue: Array<{ summary: DatasetSummary; added: number }> = [];
  private waiter: (() => void) | null = null;
  readonly onUpdate = (summary: DatasetSummary, added: number): void => {
    this.queue.push({ summary, added });
    this.waiter?.();
  };
  async next(): Promise<{ summary: DatasetSummary; added: number }> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = null;
    return this.queue.shift() as { summary: DatasetSummary; added: number };
  }
}

describe('follow', () => {
  let server: CsvServer;
  let client: CsvClient;
  let dir: string;
  before(async () => {
    server = await startServer({ port: 0 });
    client = await connect(server.url);
    dir = mkdtempSync(join(tmpdir(), 'csvsocket-follow-'));
  });
  after(async () => {
    await client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Follow `file` as `name` until the returned stop() is called. */
  function start(file: string, name: string): { updates: Updates; stop: () => Promise<void> } {
    const updates = new Updates();
    const abort = new AbortController();
    const running = follow(client, file, { name, interval: 5, onUpdate: updates.onUpdate, signal: abort.signal });
    running.catch(() => undefined);
    return {
      updates,
      stop: async () => {
        abort.abort();
        await running;
      },
    };
  }

  it('sends the complete lines, then appends each new complete line, holding back a partial one', async () => {
    const file = join(dir, 'grow.csv');
    writeFileSync(file, 'id,temp\n1,20.5\n2,21');
    const { updates, stop } = start(file, 'grow');
    try {
      const first = await updates.next();
      assert.equal(first.added, 1);
      assert.equal(first.summary.rows, 1);
      tableEqual(server.table('grow')!, { id: [1], temp: [20.5] });
      // finish the partial line and add one more
      appendFileSync(file, '.5\n3,22.5\n');
      const second = await updates.next();
      assert.equal(second.added, 2);
      assert.equal(second.summary.rows, 3);
      tableEqual(server.table('grow')!, { id: [1, 2, 3], temp: [20.5, 21.5, 22.5] });
    } finally {
      await stop();
    }
  });

  it('sends a file that shrank (rewritten) again whole', async () => {
    const file = join(dir, 'rewrite.csv');
    writeFileSync(file, 'n\n1\n2\n3\n');
    const { updates, stop } = start(file, 'rewrite');
    try {
      assert.equal((await updates.next()).summary.rows, 3);
      writeFileSync(file, 'n\n9\n');
      const again = await updates.next();
      assert.equal(again.summary.rows, 1);
      assert.equal(again.added, 1);
      tableEqual(server.table('rewrite')!, { n: [9] });
    } finally {
      await stop();
    }
  });

  it('waits for a quoted field with a newline in it to close before appending its row', async () => {
    const file = join(dir, 'quoted.csv');
    writeFileSync(file, 'id,note\n1,plain\n');
    const { updates, stop } = start(file, 'quoted');
    try {
      await updates.next();
      appendFileSync(file, '2,"two\n');
      appendFileSync(file, 'lines"\n');
      const update = await updates.next();
      assert.equal(update.summary.rows, 2);
      tableEqual(server.table('quoted')!, { id: [1, 2], note: ['plain', 'two\nlines'] });
    } finally {
      await stop();
    }
  });

  it('counts a row whose quoted field spans lines as one added row', async () => {
    const file = join(dir, 'count.csv');
    writeFileSync(file, 'id,note\n1,plain\n');
    const { updates, stop } = start(file, 'count');
    try {
      await updates.next();
      appendFileSync(file, '2,"two\nlines"\n');
      const update = await updates.next();
      assert.equal(update.summary.rows, 2);
      assert.equal(update.added, 1);
    } finally {
      await stop();
    }
  });

  it('refuses a file without a complete header line with CSVS_BAD_ARGUMENT', async () => {
    const file = join(dir, 'headless.csv');
    writeFileSync(file, 'id,temp');
    const err = await rejectsWithCode(follow(client, file, { name: 'headless', interval: 5 }), 'CSVS_BAD_ARGUMENT');
    assert.ok(err instanceof ArgumentError);
    assert.equal(err.message, `${file} has no complete header line to follow`);
    assert.equal(server.table('headless'), undefined);
  });
});
