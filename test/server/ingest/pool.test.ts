import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tableFromIPC } from '@uwdata/flechette';
import { columnsToIPC, ipcFragments, tableFromArrowIPC } from '../../../src/arrow/ipc.js';
import { type CsvOptions, CsvParser, parseCSV, Utf8Column } from '../../../src/csv/index.js';
import { ErrorCode, LimitError } from '../../../src/errors.js';
import { Ingest, type IngestResult } from '../../../src/server/ingest/pool.js';
import { rejectsWithCode } from '../../helpers.js';

const SPECTRUM = join(__dirname, '..', '..', '..', 'node_modules', 'csv-spectrum', 'csvs');

// Inputs where the typing is delicate: every one must come out of the worker
// path (UTF-8 string columns, Arrow built in the worker) exactly as parseCSV
// reads it.
const CASES: Array<[string, string, CsvOptions?]> = [
  ['mixed types', 'id,price,name,date,ok\n1,2.50,a,2021-01-02,true\n2,3.75,"b, c",2021-02-03,false\n'],
  ['nulls and quoted empties', 'a,b,c\n1,,""\n,x,\n3,"",y\n'],
  ['escaped quotes and newlines', 'a,b\n"say ""hi""","two\nlines"\n"x","y"\n'],
  ['non-ASCII text', 'name,city\nJosé,Zürich\n李,東京\n"😀, ok",İstanbul\n'],
  ['numbers that turn into text', 'n\n1\n2\n00501\n3\n'],
  ['decimals that break the round trip', 'x\n1.5\n2\n3.25\n'],
  ['dates that turn into text', 'd\n2021-01-01\n2021-13-01\n'],
  ['booleans that turn into text', 'b\ntrue\nfalse\nyes\n'],
  ['a column of nulls then text', 'a,b\n1,\n2,\n3,late\n'],
  ['forced string type', 'zip,n\n00501,1\n12345,2\n', { types: { zip: 'string', n: 'string' } }],
  ['blank line and CRLF', 'a,b\r\n1,x\r\n\r\n2,y\r\n'],
  ['lone CR line ends', 'a,b\r1,é\r2,z\r'],
  ['BOM and renamed headers', '\uFEFFa,a,\n1,2,3\n'],
  ['single column with empty lines', 'a\nx\n\ny\n'],
];

function plain(values: ArrayLike<unknown>): unknown[] {
  if (values instanceof Utf8Column) return Array.from({ length: values.length }, (_, i) => values.get(i));
  return Array.from(values as ArrayLike<unknown>, (v) => (v instanceof Date ? v.getTime() : v));
}

function expectSame(result: IngestResult, text: string, options: CsvOptions = {}): void {
  const expected = parseCSV(text, options);
  assert.deepEqual(result.columns, expected.columns);
  assert.equal(result.rows, expected.rows);
  assert.deepEqual(result.warnings, expected.warnings);
  const table = tableFromArrowIPC(result.ipc);
  assert.deepEqual(
    table.columnNames(),
    expected.columns.map((c) => c.name),
  );
  expected.columns.forEach((c, i) => {
    assert.deepEqual(
      plain(table.array(c.name, Array) as unknown[]),
      plain(expected.values[i] ?? []),
      `column ${c.name}`,
    );
  });
}

async function ingest(
  pool: Ingest,
  text: string | Uint8Array,
  options: CsvOptions = {},
  chunk = 1 << 20,
  sizeHint?: number,
): Promise<IngestResult> {
  const id = pool.begin('csv', options, { onParsed: () => undefined, onError: () => undefined }, sizeHint);
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let at = 0; at < bytes.length; at += chunk) pool.push(id, bytes.subarray(at, at + chunk));
  return pool.end(id);
}

/** Record batches in the result's IPC (more than one when it was parsed in pieces). */
function batches(result: IngestResult): number {
  const table = tableFromIPC(ipcFragments(result.ipc).map((f) => new Uint8Array(f)));
  return table.numCols === 0 ? 0 : (table.getChildAt(0)?.data.length ?? 0);
}

/** The ingest result equals parseCSV's, or both fail with the same code and message. */
async function expectSameOrSameError(
  pool: Ingest,
  input: string | Uint8Array,
  options: CsvOptions = {},
  chunk = 1 << 20,
): Promise<IngestResult | undefined> {
  let expected: unknown;
  try {
    parseCSV(input, options);
  } catch (err) {
    expected = err;
  }
  if (expected === undefined) {
    const result = await ingest(pool, input, options, chunk);
    expectSame(result, typeof input === 'string' ? input : Buffer.from(input).toString('utf8'), options);
    return result;
  }
  const e = expected as Error & { code: string; line?: number };
  let caught: (Error & { code?: string; line?: number }) | undefined;
  try {
    await ingest(pool, input, options, chunk);
  } catch (err) {
    caught = err as Error & { code?: string };
  }
  assert.ok(caught, `expected ${e.code} (${e.message}), got a table`);
  assert.equal(caught.code, e.code, caught.message);
  // the excerpt after a closing quote shows what had arrived, as when streaming
  const excerpt = (m: string) => m.replace(/ \(".*"\); a quoted field/s, '; a quoted field');
  // and a field over the limit may be caught before it ends, as when streaming
  if (e.code !== ErrorCode.LIMIT_FIELD_SIZE) assert.equal(excerpt(caught.message), excerpt(e.message));
  assert.equal(caught.line, e.line);
  return undefined;
}

// Inputs for parsing in pieces: the cuts fall inside quoted newlines, the
// pieces disagree on types and decimals, errors sit in later pieces.
const PIECE_CASES: Array<[string, string, CsvOptions?]> = [
  ['quoted newlines across cuts', 'a,b\n1,"x\ny\nz"\n2,"p\n\nq"\n3,r\n4,"""\n"""\n'],
  ['1 in piece 1 and x in piece 2', 'a,b\n1,p\n2,q\n3,r\nx,s\n'],
  ['decimals that disagree', 'p\n1.50\n2.25\n3.5\n'],
  ['decimals that agree', 'p\n1.50\n2.25\n3.75\n-0.10\n'],
  ['shortest decimals with integers', 'p\n1\n2\n2.5\n10.25\n'],
  ['integers then padded decimals', 'p\n1\n2\n3\n2.50\n'],
  ['padded decimals then integers', 'p\n2.50\n1.25\n3\n'],
  ['dates then text', 'd\n2021-01-01\n2021-02-03\n2021-13-01\n'],
  ['dates then numbers', 'd\n2021-01-01\n2021-02-03\n5\n'],
  ['booleans then text', 'b\ntrue\nfalse\ntrue\nno\n'],
  ['nulls in the first piece only', 'a,b\n,1\n,2\n,3\n4,5\n'],
  ['a column of nulls everywhere', 'a,b\n,1\n,2\n,3\n,4\n'],
  ['nulls, then numbers, then dates', 'a\n\n\n1\n2\n2021-01-01\n'],
  ['blank lines in several pieces', 'a,b\n1,2\n\n3,4\n\n5,6\n\n\n7,8\n\n'],
  ['CRLF across cuts', 'a,b\r\n1,"x\r\ny"\r\n\r\n2,z\r\n3,w\r\n'],
  ['blank lines and a BOM before the header', '\uFEFF\n  \n\r\na,b\n1,2\n3,4\n5,x\n'],
  ['a header with quoted newlines', '"a\nb",c\n1,2\n3,4\n'],
  ['a stray quote, then quoted newlines', 'a,b\n1,x"y\n2,"p\nq"\n3,4\n5,6\n'],
  ['a space before a quote', 'a,b\n1, "x\n2,3\n4,5\n6,"7\n8"\n'],
  ['escaped quotes at a cut', 'a,b\n1,""""\n2,"a""\nb"\n3,""\n4,x\n'],
  ['non-ASCII text', 'name,n\nJosé,1\n李,2\n"😀,\n ok",3\nİ,4.5\n'],
  ['forced types in every piece', 'n,z\n1,00501\n2.5,00502\n+3,x\n', { types: { n: 'number', z: 'string' } }],
  ['a ragged row in piece 2', 'a,b\n1,2\n3,4\n5,6\n7\n8,9\n'],
  ['a ragged row after quoted newlines', 'a,b\n1,"x\ny\nz"\n3,4\n5\n'],
  ['errors in piece 1 and piece 2: the first wins', 'a,b\n1\n2,3\n4,5\n6\n'],
  ['an unterminated quote opening in piece 1', 'a,b\n1,"x\n2,3\n4,5\n6,7\n'],
  ['text after a closing quote in a later piece', 'a,b\n1,2\n3,4\n5,"6"7\n8,9\n'],
  ['a bad forced value in a later piece', 'n\n1\n2\n3\nx\n', { types: { n: 'integer' } }],
  ['a lone CR after the header', 'a,b\r1,2\n3,4\n5,6\n'],
  ['an unknown forced type name', 'a,b\n1,2\n3,4\n', { types: { c: 'integer' } }],
  [
    'forced types with missing values',
    'n,b,d\n1,,2021-01-01\n"",true,""\n,FALSE,\n3,"",2021-01-02\n',
    { types: { n: 'integer', b: 'boolean', d: 'date' } },
  ],
  ['tab-separated values', 'a\tb\n1\t"x\ny"\n2\t\n\t3\n', { delimiter: '\t' }],
  ['a row limit', 'a\n1\n2\n3\n', { maxRows: 2 }],
  ['a field limit in a later piece', 'a,b\n1,2\n3,4\n5,xxxxxxxx\n', { maxFieldBytes: 4 }],
];

// inputs that must stay in one piece: no row boundary can be found safely
const ONE_PIECE = new Set([
  'a row limit',
  'lone CR line ends',
  'a lone CR after the header',
  'a stray quote, then quoted newlines',
  'a space before a quote',
]);

/** A deterministic random CSV from troublesome pieces of text. */
function randomCsv(seed: number): string {
  let x = seed;
  const rand = (n: number) => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  const cells = [
    '1',
    '22',
    '-3',
    '2.50',
    '0.5',
    '1.25',
    '00501',
    'x',
    'é',
    '2021-01-02',
    'true',
    'false',
    '',
    '""',
    '"a,b"',
    '"p\nq"',
    '"say ""hi"""',
    ' ',
    '1e3',
  ];
  const cols = 1 + rand(3);
  const lines: string[] = [];
  lines.push(Array.from({ length: cols }, (_, i) => `c${i}`).join(','));
  const rows = rand(12);
  for (let r = 0; r < rows; r++) {
    if (rand(10) === 0) lines.push('');
    lines.push(Array.from({ length: cols }, () => cells[rand(cells.length)]).join(','));
  }
  const eol = rand(4) === 0 ? '\r\n' : '\n';
  return lines.join(eol) + (rand(3) === 0 ? '' : eol);
}

describe('CsvParser', () => {
  describe('utf8Strings', () => {
    for (const [what, text, options] of CASES) {
      it(`reads ${what} like the string path, chunked anywhere`, () => {
        const expected = parseCSV(text, options);
        for (const size of [1, 2, 3, 7, 1 << 20]) {
          const parser = new CsvParser(options, { utf8Strings: true });
          const bytes = Buffer.from(text, 'utf8');
          for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size));
          const parsed = parser.end();
          assert.deepEqual(parsed.columns, expected.columns);
          assert.deepEqual(parsed.values.map(plain), expected.values.map(plain), `chunks of ${size}`);
          const table = tableFromArrowIPC(columnsToIPC(parsed));
          assert.equal(table.numRows(), expected.rows);
        }
      });
    }
  });
});

describe('CsvParser maxFieldBytes', () => {
  it('accepts, chunked anywhere, a quoted field whose value fits though its quoted text does not', () => {
    for (const text of ['"h\n0",c1\n1,2\n', 'a\n"h"""\n', 'a,b\n1,"x""y"\n']) {
      const expected = parseCSV(text, { maxFieldBytes: 3 });
      for (const size of [1, 2, 3]) {
        const parser = new CsvParser({ maxFieldBytes: 3 });
        const bytes = Buffer.from(text);
        for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size));
        assert.deepEqual(parser.end().values, expected.values, `${JSON.stringify(text)} in chunks of ${size}`);
      }
    }
  });
});

describe('Ingest', () => {
  const pool = new Ingest({ threads: 2 });
  after(() => pool.close());

  describe('#end', () => {
    for (const [what, text, options] of CASES) {
      it(`gives the table parseCSV gives for ${what}`, async () => {
        expectSame(await ingest(pool, text, options), text, options);
        expectSame(await ingest(pool, text, options, 3), text, options);
      });
    }

    it('gives the same table whatever size the upload declares (the first piece sizes its columns from it)', async () => {
      const rows = Array.from(
        { length: 3000 },
        (_, i) => `${i},${i / 8},"w ${i}",2020-01-0${(i % 9) + 1},${i % 2 === 0}`,
      );
      const text = `a,b,c,d,e\n${rows.join('\n')}\n`;
      const size = Buffer.byteLength(text);
      // the true size, one byte, a hostile trillion; in 1 MiB chunks and in 100-byte ones
      for (const declared of [size, 1, 1e12]) {
        for (const chunk of [1 << 20, 100]) {
          expectSame(await ingest(pool, text, {}, chunk, declared), text);
        }
      }
      // nothing arrives after all: the error parseCSV gives
      await rejectsWithCode(ingest(pool, '', {}, 1 << 20, 500), ErrorCode.PARSE_EMPTY);
      for (const [what, cased, options] of CASES) {
        const declared = Buffer.byteLength(cased);
        assert.doesNotThrow(() => parseCSV(cased, options), what);
        expectSame(await ingest(pool, cased, options, 7, declared), cased, options);
      }
    });

    for (const file of readdirSync(SPECTRUM).filter((f) => f.endsWith('.csv'))) {
      it(`gives the table parseCSV gives for csv-spectrum ${file}`, async () => {
        const text = readFileSync(join(SPECTRUM, file), 'utf8');
        expectSame(await ingest(pool, text, {}, 5), text);
      });
    }

    it('summarises the first rows as their exact text', async () => {
      const result = await ingest(pool, 'a,b,c\n007,2.50,x\n,"",é\n');
      assert.deepEqual(result.head, [
        ['007', '2.50', 'x'],
        [null, '', 'é'],
      ]);
    });

    it('rejects a ragged row with its line, as parseCSV does', async () => {
      await rejectsWithCode(ingest(pool, 'a,b\n1,2\n3\n'), ErrorCode.PARSE_RAGGED_ROW, /line 3/);
    });

    it('rejects an unterminated quote with its line', async () => {
      await rejectsWithCode(ingest(pool, 'a,b\n1,"x\n2,3\n', {}, 2), ErrorCode.PARSE_UNTERMINATED_QUOTE, /line 2/);
    });
  });

  describe('#push', () => {
    /** Each chunk alone in its ArrayBuffer behind a 16-byte header, as ws gives a large upload frame. */
    function owned(bytes: Buffer, size: number): Uint8Array[] {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += size) {
        const piece = bytes.subarray(at, at + size);
        const frame = new Uint8Array(16 + piece.byteLength);
        frame.set(piece, 16);
        chunks.push(frame.subarray(16));
      }
      return chunks;
    }
    const text = `id,name\n${Array.from({ length: 3000 }, (_, i) => `${i},"n ${i}"`).join('\n')}\n`;

    it("hands an owned chunk's buffer to the worker without a copy, and copies the rest", async () => {
      const id = pool.begin('csv', {}, { onParsed: () => undefined, onError: () => undefined });
      const chunks = owned(Buffer.from(text), 4096);
      const kept = Buffer.from(chunks.pop() as Uint8Array);
      for (const chunk of chunks) pool.push(id, chunk, true);
      pool.push(id, kept);
      expectSame(await pool.end(id), text);
      // transferred: detached here; the last one was copied and is still the caller's
      for (const chunk of chunks) assert.equal(chunk.buffer.byteLength, 0);
      assert.ok(kept.buffer.byteLength > 0);
    });

    it('copies the parts of an owned chunk that are cut between pieces', async () => {
      const pieces = new Ingest({ threads: 2, pieceBytes: 1000 });
      try {
        const id = pieces.begin('csv', {}, { onParsed: () => undefined, onError: () => undefined });
        for (const chunk of owned(Buffer.from(text), 4096)) pieces.push(id, chunk, true);
        const result = await pieces.end(id);
        assert.ok(batches(result) > 10, `${batches(result)} record batches`);
        expectSame(result, text);
      } finally {
        await pieces.close();
      }
    });
  });

  describe('in pieces of real size', () => {
    // a worker reuses a piece's arrays for its next piece (csv/arena.ts): rows that
    // differ from piece to piece (missing values, text lengths, a column that turns
    // to text late) show any value left over from an earlier piece
    it("gives parseCSV's table, piece after piece in each worker, and again for a second upload", async () => {
      const pool = new Ingest({ threads: 2, pieceBytes: 1 << 20 });
      try {
        const rows = ['n,x,word,day,flag,late'];
        for (let i = 0; i < 300_000; i++) {
          const x = i % 11 === 0 ? '' : (i / 7).toFixed(i % 3 === 0 ? 2 : 2);
          const word = i % 13 === 0 ? '' : 'w'.repeat(1 + ((i * 7) % 23)) + (i % 17 === 0 ? 'é' : '');
          const day = i % 19 === 0 ? '' : `20${10 + (i % 20)}-0${1 + (i % 9)}-1${i % 10}`;
          const flag = i % 5 === 0 ? '' : String(i % 2 === 0);
          const late = i === 290_000 ? 'text' : i % 4 === 0 ? '' : String(i);
          rows.push(`${i},${x},${word},${day},${flag},${late}`);
        }
        const text = `${rows.join('\n')}\n`;
        for (let upload = 0; upload < 2; upload++) {
          const result = await ingest(pool, text, {}, 1 << 20);
          assert.ok(batches(result) >= 8, `${batches(result)} record batches`);
          expectSame(result, text);
        }
      } finally {
        await pool.close();
      }
    });
  });

  describe('in pieces', () => {
    // tiny pieces: every few bytes a new piece may start, in the other worker
    const pools = [1, 4, 9].map((pieceBytes) => ({ pieceBytes, pool: new Ingest({ threads: 2, pieceBytes }) }));
    after(() => Promise.all(pools.map((p) => p.pool.close())));

    it('parses a long input in several pieces, as one parse would', async () => {
      const text = `id,price,name\n${Array.from({ length: 200 }, (_, i) => `${i},${(i / 4).toFixed(2)},"n ${i}\n"`).join('\n')}\n`;
      const { pool } = pools[2] as { pool: Ingest };
      const result = await ingest(pool, text, {}, 64);
      assert.ok(batches(result) > 10, `${batches(result)} record batches`);
      expectSame(result, text);
      assert.deepEqual(result.head[0], ['0', '0.00', 'n 0\n']);
      assert.equal(result.head.length, 5);
    });

    it('converts a piece typed on its own to the type of the whole column, exactly', async () => {
      // each piece is encoded as soon as it ends, with its own types: numbers,
      // dates, booleans and empty columns here, text (or numbers) in the last rows
      const rows = Array.from(
        { length: 120 },
        (_, i) =>
          `${i},${(i / 8).toFixed(3)},2012-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2 === 0},,${i % 3 ? '' : '1.50'}`,
      );
      rows.push('x,7,soon,maybe,text,2');
      const text = `n,d,day,flag,empty,mixed\n${rows.join('\n')}\n`;
      const { pool } = pools[2] as { pool: Ingest };
      const result = await ingest(pool, text, {}, 64);
      assert.ok(batches(result) > 10, `${batches(result)} record batches`);
      expectSame(result, text);
      assert.deepEqual(
        result.columns.map((c) => c.type),
        ['string', 'string', 'string', 'string', 'string', 'string'],
      );
    });

    it('reports progress over every piece up to the whole input', async () => {
      const text = `a,b\n${Array.from({ length: 100 }, (_, i) => `${i},x`).join('\n')}\n`;
      const { pool } = pools[1] as { pool: Ingest };
      let parsed = 0;
      const id = pool.begin('csv', {}, { onParsed: (n) => (parsed = Math.max(parsed, n)), onError: () => undefined });
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length; at += 10) pool.push(id, bytes.subarray(at, at + 10));
      await pool.end(id);
      assert.equal(parsed, bytes.length);
    });

    for (const [what, text, options] of [...PIECE_CASES, ...CASES]) {
      it(`reads ${what} as parseCSV does`, async () => {
        for (const { pieceBytes, pool } of pools) {
          for (const chunk of [1, 5, 1 << 20]) {
            const result = await expectSameOrSameError(pool, text, options, chunk).catch((err: Error) => {
              throw new Error(`pieces of ${pieceBytes}, chunks of ${chunk}: ${err.message}`);
            });
            // the cutting stops at a quote the parser reads as text, and before a lone-CR header
            if (result && pieceBytes === 1 && !ONE_PIECE.has(what) && result.rows > 1)
              assert.ok(batches(result) > 1, `parsed in ${batches(result)} piece(s)`);
          }
        }
      });
    }

    it('reports invalid UTF-8 in a later piece with its line and byte offset', async () => {
      const bytes = Buffer.concat([Buffer.from('a,b\n1,2\n3,4\n5,'), Buffer.from([0xff]), Buffer.from('\n7,8\n')]);
      for (const { pool } of pools) await expectSameOrSameError(pool, bytes, {}, 3);
    });

    it('reads random inputs as parseCSV does', async () => {
      for (let seed = 1; seed <= 150; seed++) {
        const text = randomCsv(seed);
        const { pool } = pools[seed % 3] as { pool: Ingest };
        await assert.doesNotReject(expectSameOrSameError(pool, text, {}, 1 + (seed % 7)), JSON.stringify(text));
      }
    });

    it('forgets an aborted parse in pieces and parses the next', async () => {
      const { pool } = pools[0] as { pool: Ingest };
      const id = pool.begin('csv', {}, { onParsed: () => undefined, onError: () => undefined });
      pool.push(id, Buffer.from('a,b\n1,2\n3,4\n5,'));
      pool.abort(id);
      await expectSameOrSameError(pool, 'a,b\n1,2\n3,4\n', {}, 2);
    });

    it('rejects an upload larger than free memory can hold, before memory runs out', async () => {
      const small = new Ingest({ threads: 2, pieceBytes: 64, memoryBytes: 2500 });
      try {
        const failed = new Promise<Error>((resolve) => {
          const id = small.begin('csv', {}, { onParsed: () => undefined, onError: resolve });
          for (let i = 0; i < 20; i++) small.push(id, Buffer.from(`${i},${'x'.repeat(98)}\n`));
        });
        const err = await failed;
        assert.ok(err instanceof LimitError);
        assert.equal((err as LimitError).code, ErrorCode.LIMIT_UPLOAD_SIZE);
        assert.match(
          err.message,
          /^the upload passed 1000 bytes, the most this server's free memory \(0 MB when the upload began\) can hold/,
        );
        // a parse that fits still works
        const result = await ingest(small, 'a,b\n1,2\n');
        assert.equal(result.rows, 1);
      } finally {
        await small.close();
      }
    });

    it('fails early on a bad row in a later piece, before the end', async () => {
      const { pool } = pools[1] as { pool: Ingest };
      const failed = new Promise<Error>((resolve) => {
        const id = pool.begin('csv', {}, { onParsed: () => undefined, onError: resolve });
        pool.push(id, Buffer.from('a,b\n1,2\n3,4\n5,6\n7\n'));
      });
      const err = await failed;
      assert.match(err.message, /^line 5 has 1 field/);
    });
  });
});
