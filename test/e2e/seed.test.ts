/**
 * The original design's own client.py — websockets + pandas, unchanged — run
 * with Debian's /usr/bin/python3 against `csvsocket serve --no-auth` on the
 * original's port 8851.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(__dirname, '..', '..');
const python = '/usr/bin/python3';

function pythonHasSeedDeps(): boolean {
  try {
    execFileSync(python, ['-c', 'import websockets, pandas'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the original client.py', () => {
  it('uploads to csvsocket serve --no-auth and prints the server confirmation', async () => {
    // .ci/run installs python3-pandas and python3-websockets; without them this is a setup error, not a pass
    assert.ok(pythonHasSeedDeps(), `${python} needs python3-pandas and python3-websockets (apt-get install them)`);
    const server = spawn(process.execPath, [join(root, 'dist', 'cli', 'csvsocket.js'), 'serve', '--no-auth'], {
      cwd: root,
    });
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
    });
    server.stderr.on('data', (d) => {
      out += d;
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout.on('data', () => {
          if (out.includes('Server running on ws://localhost:8851')) resolve();
        });
        server.once('exit', () => reject(new Error(`serve exited (is port 8851 taken?): ${out}`)));
      });
      const client = spawn(python, ['client.py'], { cwd: join(root, 'test', 'data', 'seed') });
      let said = '';
      client.stdout.on('data', (d) => {
        said += d;
      });
      client.stderr.on('data', (d) => {
        said += d;
      });
      const code = await new Promise<number | null>((resolve) => client.on('close', resolve));
      assert.equal(code, 0, said);
      assert.equal(said, 'Server says: CSV file received and processed!\n');
      for (let i = 0; i < 100 && !out.includes('Floofy'); i++) await new Promise((r) => setTimeout(r, 20));
      assert.match(
        out,
        /Received CSV data!!\n +id +name +age +grade\n0 +1 +Monish +21 +A\n1 +2 +Ameer +22 +B\n2 +3 +Lokesh +22 +A\n3 +4 +Divya +21 +B\n4 +5 +Floofy +21 +A\n/,
      );
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('close', r));
    }
  });
});
