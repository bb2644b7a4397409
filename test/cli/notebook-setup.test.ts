/**
 * `csvsocket notebook-setup`: the kernel registered with absolute node and tslab
 * paths into a temporary --prefix, and what it says when Jupyter is missing.
 * test/e2e/jupyter.ts registers the kernel the e2e notebooks run on with it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type CliIO, main } from '../../src/cli/main.js';

function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (t) => lines.push(t), err: (t) => errors.push(t), errIsTTY: false };
}

const python = '/usr/bin/python3';
const hasJupyter = spawnSync(python, ['-c', 'import jupyter_client, ipykernel'], { stdio: 'ignore' }).status === 0;

describe('csvsocket notebook-setup', { timeout: 120_000 }, () => {
  const prefix = mkdtempSync(join(tmpdir(), 'csvs-kernel-'));
  after(() => rmSync(prefix, { recursive: true, force: true }));

  it('says what to install when the Python has no Jupyter, and exits 1', async () => {
    const io = capture();
    assert.equal(await main(['notebook-setup', '--python', '/bin/false', '--prefix', prefix], io), 1);
    const text = io.errors.join('\n');
    assert.match(
      text,
      /^csvsocket: CSVS_NOT_FOUND: Jupyter is not installed for any Python found \(tried: \/bin\/false\)/,
    );
    assert.match(text, /pip install jupyterlab/);
    assert.match(text, /apt-get install jupyter-notebook python3-ipykernel/);
    assert.equal(existsSync(join(prefix, 'share')), false);
  });

  it('registers the tslab kernel with absolute paths and says how to start', {
    skip: hasJupyter ? false : `${python} has no Jupyter`,
  }, async () => {
    const io = capture();
    assert.equal(await main(['notebook-setup', '--python', python, '--prefix', prefix], io), 0, io.errors.join('\n'));
    const spec = join(prefix, 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json');
    const kernel = JSON.parse(readFileSync(spec, 'utf8')) as { argv: string[]; display_name: string };
    assert.equal(kernel.argv[0], process.execPath);
    assert.match(kernel.argv[1] ?? '', /\/node_modules\/tslab\/bin\/tslab$/);
    assert.ok(existsSync(kernel.argv[1] ?? ''));
    assert.deepEqual(kernel.argv.slice(2), ['kernel', '--config-path', '{connection_file}']);
    assert.equal(kernel.display_name, 'TypeScript');
    const text = io.lines.join('\n');
    assert.match(
      text,
      new RegExp(`^Registered the TypeScript kernel "tslab": ${spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
    );
    assert.match(text, new RegExp(`JUPYTER_PATH=${join(prefix, 'share', 'jupyter')} jupyter`));
    assert.match(text, /import \{ serve, send, show, chart, describe \} from "csvsocket";/);
    // Jupyter itself finds it there
    const listed = spawnSync(python, ['-m', 'jupyter', 'kernelspec', 'list', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, JUPYTER_PATH: join(prefix, 'share', 'jupyter') },
    });
    assert.match(
      listed.stdout,
      new RegExp(`"resource_dir": "${join(prefix, 'share', 'jupyter', 'kernels', 'tslab')}"`),
    );
  });
});
