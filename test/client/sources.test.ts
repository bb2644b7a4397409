import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as aq from 'arquero';
import { tableFromArrowIPC } from '../../src/arrow/ipc.js';
import { isTable, type OpenedSource, openSource } from '../../src/client/sources.js';
import { ArgumentError, ConnectionError, NotFoundError } from '../../src/errors.js';
import { rejectsWithCode, serverWithClient, tableEqual } from '../helpers.js';

async function bytesOf(source: OpenedSource, offset = 0): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source.chunks(offset)) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('sources', () => {
  let dir: string;
  const text = 'a,b\n1,x\n2,y\n';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'csvsocket-sources-'));
    writeFileSync(join(dir, 'plain.csv'), text);
    writeFileSync(join(dir, 'odd #1 50%.csv'), text);
    writeFileSync(join(dir, 'table.arrow'), 'not really arrow');
    mkdirSync(join(dir, 'folder.csv'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('#openSource', () => {
    it('opens a path: named after the file, its size, resumable from any offset, and its path', async () => {
      const source = openSource(join(dir, 'plain.csv'), undefined);
      assert.deepEqual(
        { name: source.name, format: source.format, size: source.size, resumable: source.resumable, path: source.path },
        { name: 'plain', format: 'csv', size: text.length, resumable: true, path: join(dir, 'plain.csv') },
      );
      assert.equal(await bytesOf(source), text);
      assert.equal(await bytesOf(source, 4), text.slice(4));
    });

    it('resolves a relative path against the working directory', async () => {
      const source = openSource(relative(process.cwd(), join(dir, 'plain.csv')), 'given');
      assert.equal(source.name, 'given');
      assert.equal(source.path, join(dir, 'plain.csv'));
    });

    it('opens a file whose name has #, % and spaces, as a path, a file: URL and a file: URL string', async () => {
      const path = join(dir, 'odd #1 50%.csv');
      for (const given of [path, pathToFileURL(path), pathToFileURL(path).href]) {
        const source = openSource(given, undefined);
        assert.equal(source.path, path, String(given));
        assert.equal(source.name, 'odd #1 50%');
        assert.equal(await bytesOf(source), text);
      }
    });

    it('sends a file ending in .arrow as Arrow', () => {
      assert.equal(openSource(join(dir, 'table.arrow'), undefined).format, 'arrow');
    });

    it('rejects a missing file and a folder with NotFoundError CSVS_NOT_FOUND', async () => {
      const missing = await rejectsWithCode(
        () => openSource(join(dir, 'plian.csv'), undefined),
        'CSVS_NOT_FOUND',
        /^no file "plian\.csv" in .*; did you mean "plain\.csv"\?$/,
      );
      assert.ok(missing instanceof NotFoundError);
      const folder = await rejectsWithCode(
        () => openSource(pathToFileURL(join(dir, 'folder.csv')), undefined),
        'CSVS_NOT_FOUND',
        /folder\.csv is a folder, not a file: name a CSV file in it$/,
      );
      assert.ok(folder instanceof NotFoundError);
    });

    it('rejects a URL that is not a local file with ArgumentError CSVS_BAD_ARGUMENT', async () => {
      for (const url of [new URL('https://example.com/a.csv'), new URL('file://otherhost/a.csv')]) {
        const err = await rejectsWithCode(
          () => openSource(url, undefined),
          'CSVS_BAD_ARGUMENT',
          /^send\(\) takes a file path, CSV text, bytes, a stream or a table; got the URL /,
        );
        assert.ok(err instanceof ArgumentError);
      }
    });

    it('holds CSV text (anything with a line break) in memory, resumable', async () => {
      const source = openSource(text, undefined);
      assert.deepEqual(
        { name: source.name, format: source.format, size: source.size, resumable: source.resumable },
        { name: 'data', format: 'csv', size: text.length, resumable: true },
      );
      assert.equal(source.path, undefined);
      assert.equal(await bytesOf(source, 8), text.slice(8));
      assert.equal(openSource('a\r1\r', 'cr').size, 4);
    });

    it('holds bytes and an ArrayBuffer in memory', async () => {
      const bytes = new TextEncoder().encode(text);
      assert.equal(await bytesOf(openSource(bytes, 'u8')), text);
      assert.equal(await bytesOf(openSource(bytes.buffer as ArrayBuffer, 'ab'), 2), text.slice(2));
    });

    it('reads a stream once from the start and refuses to resume it', async () => {
      const source = openSource(Readable.from([Buffer.from('a,b\n'), '1,x\n']), 'stream');
      assert.deepEqual({ size: source.size, resumable: source.resumable }, { size: null, resumable: false });
      assert.equal(await bytesOf(source), 'a,b\n1,x\n');
      const again = openSource(Readable.from([Buffer.from('x')]), undefined);
      const err = await rejectsWithCode(() => bytesOf(again, 3), 'CSVS_CONNECT_FAILED', /cannot be resumed/);
      assert.ok(err instanceof ConnectionError);
    });

    it('takes an async iterable of bytes as a stream', async () => {
      async function* rows(): AsyncIterable<Uint8Array> {
        yield new TextEncoder().encode('a\n');
        yield new TextEncoder().encode('1\n');
      }
      assert.equal(await bytesOf(openSource(rows(), undefined)), 'a\n1\n');
    });

    it('sends an arquero table as Arrow IPC of the same table', () => {
      const table = aq.table({ n: [1, 2], s: ['a', null] });
      assert.equal(isTable(table), true);
      const source = openSource(table, undefined);
      assert.deepEqual({ name: source.name, format: source.format }, { name: 'data', format: 'arrow' });
      assert.equal(source.resumable, true);
    });

    it('rejects anything else with ArgumentError CSVS_BAD_ARGUMENT', async () => {
      for (const value of [42, null, { a: 1 }]) {
        const err = await rejectsWithCode(
          () => openSource(value as never, undefined),
          'CSVS_BAD_ARGUMENT',
          /^send\(\) takes a file path, CSV text, bytes, a stream or a table; got (number|null|object)$/,
        );
        assert.ok(err instanceof ArgumentError);
      }
    });
  });

  describe('through a real server', () => {
    const ctx = serverWithClient();

    it('uploads a file with # and % in its name, and an arquero table that comes back equal', async () => {
      const table = await ctx.client.send(join(dir, 'odd #1 50%.csv'));
      tableEqual(table, { a: [1, 2], b: ['x', 'y'] });
      assert.ok(ctx.server.table('odd #1 50%'));
      const local = aq.table({ n: [1.5, null], s: ['a', 'b'] });
      tableEqual(await ctx.client.send(local, { name: 'arrow' }), { n: [1.5, null], s: ['a', 'b'] });
      const ipc = openSource(local, undefined);
      const parts: Uint8Array[] = [];
      for await (const chunk of ipc.chunks(0)) parts.push(chunk);
      tableEqual(tableFromArrowIPC(Buffer.concat(parts)), { n: [1.5, null], s: ['a', 'b'] });
    });
  });
});
