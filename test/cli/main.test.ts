import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = join(__dirname, '..', '..');
const cliPath = join(root, 'dist', 'cli', 'csvsocket.js');
const studentsPath = join(root, 'data', 'students.csv');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would. */
const configHome = mkdtempSync(join(tmpdir(), 'csvs-config-'));

function run(args: string[], input?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: root,
      env: {
        ...process.env,
        CSVSOCKET_URL: '',
        CSVSOCKET_TOKEN: '',
        CSVSOCKET_CLIENT_ID: '',
        XDG_CONFIG_HOME: configHome,
        XDG_CACHE_HOME: configHome,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Start `csvsocket serve` and wait for the URL it prints. */
async function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [cliPath, 'serve', '--port', '0', ...args], { cwd: root });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /Connect with: (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`serve exited: ${out}`)));
  });
  return { child, url, output: () => out };
}

async function waitForOutput(get: () => string, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 200 && !pattern.test(get()); i++) await new Promise((r) => setTimeout(r, 25));
  assert.match(get(), pattern);
}

describe('csvsocket CLI', () => {
  let server: Awaited<ReturnType<typeof startServe>>;

  before(async () => {
    server = await startServe([]);
  });
  after(() => {
    server.child.kill('SIGTERM');
  });

  describe('serve', () => {
    it("prints the original's start line and a token URL", () => {
      assert.match(
        server.output(),
        /^Server running on ws:\/\/localhost:\d+\nConnect with: ws:\/\/127\.0\.0\.1:\d+\/\?token=/,
      );
    });
  });

  describe('send', () => {
    it("uploads, prints the original's confirmation and a summary; the server prints the first five rows", async () => {
      const r = await run(['send', studentsPath, '--url', server.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^Server confirmation: CSV file received and processed!\nstudents: 10 rows × 4 columns \(id integer, name string, age integer, grade string\)/,
      );
      await waitForOutput(
        server.output,
        /Received CSV data!!\n +id +name +age +grade\n0 +1 +Monish +21 +A\n(.*\n){3}4 +5 +Floofy +21 +A\n/,
      );
    });

    it("lets a user re-send their dataset, but not replace someone else's", async () => {
      assert.equal((await run(['send', studentsPath, '--name', 'mine', '--url', server.url])).code, 0);
      const again = await run(['send', studentsPath, '--name', 'mine', '--url', server.url]);
      assert.equal(again.code, 0, again.stderr);
      const other = await run(['send', studentsPath, '--name', 'mine', '--url', server.url], undefined, {
        XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'csvs-other-')),
      });
      assert.equal(other.code, 1);
      assert.match(other.stderr, /CSVS_AUTH_NOT_OWNER: dataset "mine" belongs to another client/);
    });

    it('--follow appends each new complete line as the file grows, like tail -f', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'csvs-'));
      const file = join(dir, 'sensor.csv');
      writeFileSync(file, 't,note\n1,start\n');
      const child = spawn(process.execPath, [cliPath, 'send', file, '--follow', '--url', server.url], {
        cwd: root,
        env: { ...process.env, XDG_CONFIG_HOME: configHome },
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      try {
        await waitForOutput(() => out, /following .*sensor\.csv/);
        assert.match(out, /sensor: 1 row × 2 columns/);
        // a line written in two pieces is sent only once it is complete; a quoted field may span lines
        appendFileSync(file, '2,warm\n3,');
        await waitForOutput(() => out, /appended 1 row to sensor \(2 in all\)/);
        appendFileSync(file, 'hot\n4,"two\n');
        appendFileSync(file, 'lines"\n');
        await waitForOutput(() => out, /\(4 in all\)/);
        const r = await run(['query', 'sensor', '--url', server.url, '--format', 'csv']);
        assert.equal(r.stdout, 't,note\n1,start\n2,warm\n3,hot\n4,"two\nlines"\n');
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await new Promise((r) => child.once('close', r)), 0);
    });

    it('reads standard input with -', async () => {
      const r = await run(['send', '-', '--name', 'piped', '--url', server.url], 'x,y\n1,2\n');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /piped: 1 row × 2 columns/);
    });

    it('exits 1 with the code and line of a parse error', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'csvs-'));
      const bad = join(dir, 'bad.csv');
      writeFileSync(bad, 'a,b\n1,2\n"open,3\n');
      const r = await run(['send', bad, '--url', server.url]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^csvsocket: CSVS_PARSE_UNTERMINATED_QUOTE: .*bad\.csv: .*line 3/m);
      assert.equal(r.stdout, '');
    });

    it('exits 1 and says how to start a server when none is there', async () => {
      const r = await run(['send', studentsPath, '--url', 'ws://127.0.0.1:1/']);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /CSVS_CONNECT_REFUSED: no csvsocket server at ws:\/\/127\.0\.0\.1:1\/: start one with `npx csvsocket serve`/,
      );
    });

    it('exits 1 on a wrong token', async () => {
      const url = server.url.replace(/token=.*/, 'token=not-the-token');
      const r = await run(['send', studentsPath, '--url', url]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /CSVS_AUTH_REQUIRED/);
      assert.doesNotMatch(r.stderr, /not-the-token/);
    });

    it('exits 1 for a missing file', async () => {
      const r = await run(['send', 'missing.csv', '--url', server.url]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /CSVS_NOT_FOUND: no file "missing\.csv" in /);
    });
  });

  describe('query', () => {
    before(async () => {
      const r = await run(['send', studentsPath, '--url', server.url]);
      assert.equal(r.code, 0, r.stderr);
    });

    it('filters with readable expressions', async () => {
      const r = await run([
        'query',
        'students',
        '--url',
        server.url,
        '--filter',
        'grade = A',
        '--filter',
        'age >= 22',
        '--format',
        'csv',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'id,name,age,grade\n3,Lokesh,22,A\n6,Augustine,22,A\n10,Yash,22,A\n');
    });

    it('finds Floofy and sorts by grade, descending age', async () => {
      const floofy = await run(['query', 'students', '--url', server.url, '--filter', 'name = Floofy']);
      assert.match(floofy.stdout, /^ +id +name +age +grade\n0 +5 +Floofy +21 +A\n$/);
      const sorted = await run([
        'query',
        'students',
        '--url',
        server.url,
        '--sort',
        'grade,-age',
        '--select',
        'name',
        '--format',
        'json',
      ]);
      assert.deepEqual(
        JSON.parse(sorted.stdout).map((r: { name: string }) => r.name),
        ['Lokesh', 'Augustine', 'Yash', 'Monish', 'Floofy', 'Simran', 'Ameer', 'Divya', 'Krupa', 'Meghana'],
      );
    });

    it('groups and aggregates', async () => {
      const r = await run([
        'query',
        'students',
        '--url',
        server.url,
        '--groupby',
        'grade',
        '--rollup',
        'n=count',
        '--sort',
        'grade',
        '--format',
        'csv',
      ]);
      assert.equal(r.stdout, 'grade,n\nA,6\nB,3\nC,1\n');
    });

    it('writes every value exactly as it came in with --format csv', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'csvs-'));
      const file = join(dir, 'exact.csv');
      const text =
        'zip,price,big,when,note\n00501,1.50,9007199254740993,2021-02-03,"a, ""quoted"" note"\n02134,2.00,1,2021-12-31,\n';
      writeFileSync(file, text);
      assert.equal((await run(['send', file, '--url', server.url])).code, 0);
      const r = await run(['query', 'exact', '--url', server.url, '--format', 'csv']);
      assert.equal(r.stdout, text);
      assert.equal(readFileSync(file, 'utf8'), text);
    });

    it('exits 1 with usage help for a malformed filter', async () => {
      const r = await run(['query', 'students', '--url', server.url, '--filter', 'grade']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /CSVS_BAD_ARGUMENT/);
    });

    it('exits 1 naming the available columns for an unknown one', async () => {
      const r = await run(['query', 'students', '--url', server.url, '--filter', 'nmae = x']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /CSVS_QUERY_UNKNOWN_COLUMN: .*nmae/);
    });
  });

  describe('list', () => {
    it('lists datasets with their shapes', async () => {
      const r = await run(['list', '--url', server.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^students: 10 rows × 4 columns/m);
    });
  });

  describe('--help', () => {
    for (const command of ['serve', 'send', 'query', 'list']) {
      it(`documents ${command}`, async () => {
        const r = await run([command, '--help']);
        assert.equal(r.code, 0);
        assert.match(r.stdout, new RegExp(`Usage: csvsocket ${command}`));
      });
    }

    it('rejects an unknown command with exit status 1', async () => {
      const r = await run(['frobnicate']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /unknown command/);
    });
  });

  describe('code cache', () => {
    const cacheFiles = (dir: string) => (existsSync(join(dir, 'csvsocket')) ? readdirSync(join(dir, 'csvsocket')) : []);

    it('keeps the compiled command in the user cache after the first run and starts from it after', async () => {
      const cache = mkdtempSync(join(tmpdir(), 'csvs-cache-'));
      const first = await run(['--version'], undefined, { XDG_CACHE_HOME: cache });
      assert.equal(first.code, 0, first.stderr);
      const files = cacheFiles(cache);
      assert.equal(files.length, 1, `one cache file: ${files}`);
      const file = join(cache, 'csvsocket', files[0] as string);
      const written = statSync(file).mtimeMs;
      const second = await run(['--version'], undefined, { XDG_CACHE_HOME: cache });
      assert.equal(second.stdout, first.stdout);
      assert.equal(statSync(file).mtimeMs, written, 'a usable cache is not written again');
      rmSync(cache, { recursive: true, force: true });
    });

    it('runs as usual from a corrupt cache (and replaces it) or without a writable one', async () => {
      const cache = mkdtempSync(join(tmpdir(), 'csvs-cache-'));
      await run(['--version'], undefined, { XDG_CACHE_HOME: cache });
      const file = join(cache, 'csvsocket', cacheFiles(cache)[0] as string);
      const size = statSync(file).size;
      writeFileSync(file, Buffer.alloc(size, 7));
      const corrupt = await run(['list', '--help'], undefined, { XDG_CACHE_HOME: cache });
      assert.equal(corrupt.code, 0, corrupt.stderr);
      assert.match(corrupt.stdout, /Usage: csvsocket list/);
      assert.notDeepEqual(readFileSync(file), Buffer.alloc(size, 7), 'the corrupt cache was replaced');
      // a file where the cache folder should be: nothing can be written
      const blocked = mkdtempSync(join(tmpdir(), 'csvs-cache-'));
      writeFileSync(join(blocked, 'csvsocket'), 'not a folder');
      const unwritable = await run(['--version'], undefined, { XDG_CACHE_HOME: blocked });
      assert.equal(unwritable.code, 0, unwritable.stderr);
      assert.equal(unwritable.stderr, '');
      rmSync(cache, { recursive: true, force: true });
      rmSync(blocked, { recursive: true, force: true });
    });
  });
});
