/**
 * A CPU profile of one scenario, for the benchmark's misses: run under
 * `node --cpu-prof --cpu-prof-dir DIR` (every thread writes its own profile),
 * then `topFunctions(DIR)` sums self time per function over all of them.
 *
 *   node --cpu-prof … bench/profile.ts send FILE     in-process send(path) ×4
 *   node --cpu-prof … bench/profile.ts upload FILE   the file's bytes over the socket ×3 (the server ack)
 *   node --cpu-prof … bench/profile.ts many          200 clients × 1 MB at once
 *   node --cpu-prof … bench/profile.ts query         1000 small queries on a 10k-row table
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvRows } from './generate.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Module loading (node's loaders, tsx): start-up, not the scenario. */
const LOADING = /node:internal\/(modules|bootstrap|source_map)|\/tsx\/|cjs-module-lexer/;

/** Self time per function over every profile in `dir`, largest first (GC and program included; idle and module loading left out). */
export function topFunctions(dir: string, n = 12): Array<{ name: string; ms: number; share: number }> {
  const self = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const byNode = new Map<number, number>();
    for (let i = 0; i < p.samples.length; i++) {
      const id = p.samples[i] as number;
      byNode.set(id, (byNode.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
    for (const node of p.nodes) {
      const us = byNode.get(node.id) ?? 0;
      if (node.callFrame.functionName === '(idle)' || LOADING.test(node.callFrame.url)) continue;
      total += us;
      const where = node.callFrame.url.split('/').slice(-2).join('/');
      const key = `${node.callFrame.functionName || '(anonymous)'}${where ? ` ${where}:${node.callFrame.lineNumber + 1}` : ''}`;
      self.set(key, (self.get(key) ?? 0) + us);
    }
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / Math.max(1, total) }));
}

async function main(): Promise<void> {
  const [scenario, file] = process.argv.slice(2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { serve, connect } = require('../dist/index.js') as typeof import('../src/index.js');
  const server = await serve({ port: 0, limits: { maxConnections: 512 } });
  const client = await connect(server.url);
  if (scenario === 'send' && file) {
    for (let run = 0; run < 4; run++) await client.send(file, { name: 'big' });
  } else if (scenario === 'upload' && file) {
    // bytes, not a path: this process's server would read a path itself
    const bytes = readFileSync(file);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < bytes.byteLength; at += 1 << 20) yield bytes.subarray(at, at + (1 << 20));
    }
    for (let run = 0; run < 3; run++) await client.upload(chunks(), { name: 'big' });
  } else if (scenario === 'many') {
    const oneMB = Buffer.from(Array.from(csvRows(21_000)).join(''));
    const clients = await Promise.all(
      Array.from({ length: 200 }, (_, i) => connect(server.url, { clientId: `student-${i}` })),
    );
    await Promise.all(clients.map((c, i) => c.send(oneMB, { name: `many-${i}` })));
    await Promise.all(clients.map((c) => c.close()));
  } else if (scenario === 'query') {
    await client.send(Buffer.from(Array.from(csvRows(10_000)).join('')), { name: 'small' });
    const query = {
      filter: { column: 'count', op: '>', value: 50_000 },
      sort: [{ column: 'price', desc: true }],
      limit: 10,
    };
    for (let i = 0; i < 1100; i++) await client.query('small', query as never);
  } else throw new Error('usage: bench/profile.ts send|upload FILE, or many, or query');
  await client.close();
  await server.close();
}

if (require.main === module) void main();
