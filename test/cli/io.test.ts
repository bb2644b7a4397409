/** The options every client command shares, against real servers: --ca for a self-signed wss:// server. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CsvServer, startServer } from '../../src/server/server.js';
import { cli } from './run.js';

describe('--ca FILE', () => {
  let dir: string;
  let server: CsvServer;
  let ca: string;
  let csv: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csvsocket-cli-tls-'));
    // a self-signed certificate for localhost and 127.0.0.1
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-subj', '/CN=localhost', '-days', '1', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    ca = join(dir, 'cert.pem');
    csv = join(dir, 'grades.csv');
    writeFileSync(csv, 'name,grade\nFloofy,A\nYash,B\n');
    server = await startServer({ port: 0, tls: { cert: ca, key: join(dir, 'key.pem') } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without --ca, send fails and names the --ca flag (not the API)', async () => {
    const r = await cli(['send', csv, '--url', server.url]);
    assert.equal(r.code, 1);
    assert.match(r.err, /CSVS_CONNECT_FAILED: .*TLS certificate is not trusted.*--ca FILE/);
    assert.doesNotMatch(r.err, /connect\(url/);
  });

  it('send, query and list trust the given certificate', async () => {
    const sent = await cli(['send', csv, '--url', server.url, '--ca', ca]);
    assert.equal(sent.code, 0, sent.err);
    assert.match(sent.out, /grades: 2 rows × 2 columns/);
    const q = await cli([
      'query',
      'grades',
      '--url',
      server.url,
      '--ca',
      ca,
      '--format',
      'csv',
      '--filter',
      'grade = A',
    ]);
    assert.equal(q.code, 0, q.err);
    assert.equal(q.out, 'name,grade\nFloofy,A\n');
    const l = await cli(['list', '--url', server.url, '--ca', ca]);
    assert.equal(l.code, 0, l.err);
    assert.match(l.out, /^grades: 2 rows/m);
  });

  it('exits 1 with CSVS_BAD_ARGUMENT for a --ca file that cannot be read', async () => {
    const r = await cli(['list', '--url', server.url, '--ca', join(dir, 'missing.pem')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /CSVS_BAD_ARGUMENT: --ca ".*missing\.pem" cannot be read \(ENOENT\)/);
  });
});
