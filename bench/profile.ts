/**
 * A CPU profile of one scenario, for the benchmark's misses: run under
 * `node --cpu-prof --cpu-prof-dir DIR` (every thread writes its own profile),
 * then `topFunctions(DIR)` sums self time per function over all of them.
 *
 *   node --cpu-prof … bench/profile.ts send FILE   in-process send(path) ×4
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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
  if (scenario !== 'send' || !file) throw new Error('usage: bench/profile.ts send FILE');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { serve, connect } = require('../dist/index.js') as typeof import('../src/index.js');
  const server = await serve({ port: 0 });
  const client = await connect(server.url);
  for (let run = 0; run < 4; run++) await client.send(file, { name: 'big' });
  await client.close();
  await server.close();
}

if (require.main === module) void main();
