import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildPage } from '../../scripts/build-page.js';
import { main } from '../../src/cli/main.js';
import { type CsvServer, startServer } from '../../src/index.js';
import { PAGE_CSP, pageUrl } from '../../src/server/page.js';
import { tableEqual } from '../helpers.js';
import { launchChromium } from './browser.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  server: CsvServer,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A CSV of `rows` rows, bigger than one 1 MiB chunk when rows is large, and its columns. */
function sampleCSV(rows: number): { text: string; columns: Record<string, unknown[]> } {
  const id: number[] = [];
  const city: string[] = [];
  const zip: string[] = [];
  const temp: number[] = [];
  const lines = ['id,city,zip,temp'];
  const cities = ['Oslo', 'Lima, Peru', 'Chennai', 'Quito'];
  for (let i = 0; i < rows; i++) {
    const c = cities[i % cities.length]!;
    const z = String(i % 1000).padStart(5, '0');
    const t = Math.round((i % 400) - 100) / 4;
    id.push(i + 1);
    city.push(c);
    zip.push(z);
    temp.push(t);
    lines.push(`${i + 1},${c.includes(',') ? `"${c}"` : c},${z},${t}`);
  }
  return { text: `${lines.join('\n')}\n`, columns: { id, city, zip, temp } };
}

describe('upload page', () => {
  let server: CsvServer;
  let dir: string;

  before(async () => {
    buildPage(); // the server serves dist/page/, also under tsx: bundle src/page/app.ts fresh
    server = await startServer({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'csvsocket-page-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('GET /', () => {
    it('serves the page with a strict Content-Security-Policy and no inline script', async () => {
      const res = await get(server, '/');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.equal(res.headers['content-security-policy'], PAGE_CSP);
      assert.match(PAGE_CSP, /default-src 'self'/);
      assert.match(PAGE_CSP, /connect-src 'self' ws: wss:/);
      assert.doesNotMatch(PAGE_CSP, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.match(res.body, /<script src="app\.js" defer><\/script>/);
      assert.doesNotMatch(res.body, /<script>|<script [^>]*>[^<]|\son[a-z]+=|style=/i);
    });

    it('serves the script and the style sheet without a token', async () => {
      const js = await get(server, '/app.js');
      assert.equal(js.status, 200);
      assert.match(String(js.headers['content-type']), /^text\/javascript/);
      assert.match(js.body, /csvsocket\.v1/);
      const css = await get(server, '/style.css');
      assert.equal(css.status, 200);
      assert.match(String(css.headers['content-type']), /^text\/css/);
    });

    it('answers other paths as before: 426, connect with a WebSocket', async () => {
      const res = await get(server, '/elsewhere');
      assert.equal(res.status, 426);
    });

    it('refuses other methods with 405', async () => {
      const res = await get(server, '/', { method: 'POST' });
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, 'GET, HEAD');
    });
  });

  describe('GET /auth', () => {
    it('answers 204 for the right token', async () => {
      const res = await get(server, '/auth', { headers: { authorization: `Bearer ${server.token}` } });
      assert.equal(res.status, 204);
    });

    it('answers 401 with the code for a wrong or missing token', async () => {
      const wrong = await get(server, '/auth', { headers: { authorization: 'Bearer wrong-token-123' } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers['x-csvsocket-error'], 'CSVS_AUTH_REQUIRED');
      assert.equal(JSON.parse(wrong.body).code, 'CSVS_AUTH_REQUIRED');
      const missing = await get(server, '/auth');
      assert.equal(missing.status, 401);
    });

    it("answers 403 for another site's Origin", async () => {
      const res = await get(server, '/auth', {
        headers: { authorization: `Bearer ${server.token}`, origin: 'http://evil.example' },
      });
      assert.equal(res.status, 403);
      assert.equal(res.headers['x-csvsocket-error'], 'CSVS_AUTH_FORBIDDEN_ORIGIN');
    });
  });

  describe('pageUrl', () => {
    it('turns the server URL into the page address with the token', () => {
      assert.equal(pageUrl('ws://127.0.0.1:8851/?token=abc'), 'http://127.0.0.1:8851/?token=abc');
      assert.equal(pageUrl('wss://h:1/?token=a'), 'https://h:1/?token=a');
      assert.equal(pageUrl(server.url), `http://127.0.0.1:${server.port}/?token=${server.token}`);
    });
  });

  describe('csvsocket serve', () => {
    it('prints the page address with the token after its other lines', async () => {
      const lines: string[] = [];
      let url = '';
      const done = main(['serve', '--port', '0'], {
        out: (text) => lines.push(text),
        err: (text) => lines.push(text),
        errIsTTY: false,
        onServer: (s) => {
          url = s.url;
          void s.close();
        },
      });
      assert.equal(await done, 0);
      assert.match(lines[0] ?? '', /^Server running on ws:\/\/localhost:\d+$/);
      assert.match(lines[1] ?? '', /^Connect with: ws:/);
      assert.equal(lines[2], `Upload page: ${pageUrl(url)}`);
      assert.match(lines[2] ?? '', /^Upload page: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/);
    });
  });

  describe('in Chromium', () => {
    let browser: Browser;
    let page: Page;
    const errors: string[] = [];

    before(async () => {
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
    });

    async function open(url: string): Promise<Page> {
      page = await browser.newPage();
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(url);
      await page.waitForSelector('body[data-state]');
      return page;
    }

    it('uploads a file in chunks, shows its summary and first rows, and the server has the table', async () => {
      const { text, columns } = sampleCSV(60_000); // about 1.5 MB: two chunks
      const file = join(dir, 'weather.csv');
      writeFileSync(file, text);
      const p = await open(pageUrl(server.url));
      assert.equal(await p.getAttribute('body', 'data-state'), 'connected');
      assert.match((await p.textContent('#status')) ?? '', /Connected/);
      await p.setInputFiles('#file', file);
      assert.equal(await p.inputValue('#name'), 'weather');
      const stored = server.nextDataset({ name: 'weather' });
      await p.click('#upload');
      await p.waitForSelector('#result:not([hidden])');
      const summary = await p.textContent('#summary');
      assert.match(summary ?? '', /weather — 60,000 rows × 4 columns/);
      const headers = await p.$$eval('#head thead th', (ths) => ths.map((th) => th.textContent));
      assert.deepEqual(headers, ['idinteger', 'citystring', 'zipstring', 'tempnumber']);
      const first = await p.$$eval('#head tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
      assert.deepEqual(first, ['1', 'Oslo', '00000', '-25']);
      const second = await p.$$eval('#head tbody tr:nth-child(2) td', (tds) => tds.map((td) => td.textContent));
      assert.deepEqual(second, ['2', 'Lima, Peru', '00001', '-24.75']);
      // the progress bar ends full
      assert.equal(
        await p.$eval(
          '#progress',
          (el) => (el as unknown as { value: number }).value === (el as unknown as { max: number }).max,
        ),
        true,
      );
      // the dataset list shows it with its shape
      await p.waitForSelector('#datasets tbody tr');
      const listed = await p.$$eval('#datasets tbody tr td', (tds) => tds.slice(0, 3).map((td) => td.textContent));
      assert.deepEqual(listed, ['weather', '60,000', '4']);
      // and the server has the table, value for value
      const dataset = await stored;
      assert.ok(dataset.summary.bytes > 1024 * 1024, 'the file spans more than one chunk');
      tableEqual(server.table('weather')!, columns);
      assert.deepEqual(errors, []);
      await p.close();
    });

    it('shows names and values as text, never as markup', async () => {
      const file = join(dir, 'hostile.csv');
      writeFileSync(file, '<img src=x id=bad1>,b\n"<b id=bad2>bold</b>",<script>x</script>\n');
      const p = await open(pageUrl(server.url));
      await p.setInputFiles('#file', file);
      await p.click('#upload');
      await p.waitForSelector('#result:not([hidden])');
      assert.equal(await p.$('#bad1'), null);
      assert.equal(await p.$('#bad2'), null);
      assert.equal(await p.$$eval('#head script', (s) => s.length), 0);
      const cells = await p.$$eval('#head tbody td', (tds) => tds.map((td) => td.textContent));
      assert.deepEqual(cells, ['<b id=bad2>bold</b>', '<script>x</script>']);
      assert.match((await p.textContent('#head thead')) ?? '', /<img src=x id=bad1>/);
      tableEqual(server.table('hostile')!, {
        '<img src=x id=bad1>': ['<b id=bad2>bold</b>'],
        b: ['<script>x</script>'],
      });
      await p.close();
    });

    it("shows the server's error for a file it cannot take", async () => {
      const file = join(dir, 'ragged.csv');
      writeFileSync(file, 'a,b\n1,2\n3,4,5\n');
      const p = await open(pageUrl(server.url));
      await p.setInputFiles('#file', file);
      await p.click('#upload');
      await p.waitForSelector('#problem:not([hidden])');
      assert.match((await p.textContent('#problem')) ?? '', /CSVS_PARSE_RAGGED_ROW.*line 3/);
      assert.equal(server.table('ragged'), undefined);
      await p.close();
    });

    it('keeps a random client id in localStorage: a reload replaces its own dataset, another browser cannot', async () => {
      const file = join(dir, 'mine.csv');
      const idOf = (p: Page) => p.evaluate<string | null>("localStorage.getItem('csvsocket.clientId')");
      const sendFile = async (p: Page, text: string) => {
        writeFileSync(file, text);
        await p.setInputFiles('#file', file);
        await p.click('#upload');
        await p.waitForSelector('#result:not([hidden]), #problem:not([hidden])');
      };
      const mine = await browser.newContext();
      try {
        const p = await mine.newPage();
        await p.goto(pageUrl(server.url));
        await p.waitForSelector('body[data-state="connected"]');
        const id = await idOf(p);
        assert.match(id ?? '', /^[0-9a-f]{32}$/);
        await sendFile(p, 'a\n1\n');
        assert.equal(server.table('mine')?.numRows(), 1);

        await p.reload();
        await p.waitForSelector('body[data-state="connected"]');
        assert.equal(await idOf(p), id, 'the reload keeps the id');
        await sendFile(p, 'a\n1\n2\n');
        assert.equal(await p.isHidden('#problem'), true, (await p.textContent('#problem')) ?? '');
        assert.equal(server.table('mine')?.numRows(), 2, 'the reloaded page replaced its own dataset');

        const theirs = await browser.newContext();
        try {
          const q = await theirs.newPage();
          await q.goto(pageUrl(server.url));
          await q.waitForSelector('body[data-state="connected"]');
          const other = await idOf(q);
          assert.match(other ?? '', /^[0-9a-f]{32}$/);
          assert.notEqual(other, id, 'another browser gets its own id');
          await sendFile(q, 'a\n9\n9\n9\n');
          assert.match((await q.textContent('#problem')) ?? '', /Could not send mine\.csv: CSVS_AUTH_NOT_OWNER/);
          assert.equal(server.table('mine')?.numRows(), 2, 'the other browser did not replace it');
        } finally {
          await theirs.close();
        }
      } finally {
        await mine.close();
      }
    });

    it('says the token is missing or wrong, for a wrong token and for none', async () => {
      for (const url of [`http://127.0.0.1:${server.port}/?token=not-the-token`, `http://127.0.0.1:${server.port}/`]) {
        const p = await open(url);
        assert.equal(await p.getAttribute('body', 'data-state'), 'refused');
        assert.match((await p.textContent('#problem')) ?? '', /token in this page's address is missing or wrong/);
        assert.equal(await p.isDisabled('#upload'), true);
        await p.close();
      }
    });
  });
});
