/**
 * The benchmark's server, in its own process so that its RSS and event loop
 * are its own. Uses the built package (dist/), so parse workers run compiled JS,
 * and bench/run.ts runs it transpiled, under plain node: no TypeScript loader
 * in the server or its workers (tsx alone took ~30 MB in each thread).
 * Talks to bench/run.ts over the IPC channel:
 *
 *   → { url }                        once listening
 *   → { dataset, at, storedBytes }   on each stored dataset (at: epoch ms, fractional)
 *   ← 'reset'  → { reset }           restart the event-loop histogram and the RSS peak
 *   ← 'stats'  → { stats: {...} }    max event-loop delay, peak RSS, RSS samples, garbage collections
 *   ← 'memory' → { memory: {...} }   process.memoryUsage() (for investigating RSS)
 */
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';

/** the package's folder: given by run.ts, which runs a transpiled copy of this file from elsewhere */
const root = process.env.CSVS_BENCH_ROOT ?? join(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { serve } = require(join(root, 'dist/index.js')) as typeof import('../src/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ipcByteLength } = require(join(root, 'dist/arrow/ipc.js')) as typeof import('../src/arrow/ipc.js');

const now = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const server = await serve({ port: 0, limits: { maxConnections: 512 } });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let peak = 0;
  let samples: number[] = [];
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, rss);
    samples.push(rss);
  }, 20);
  sampler.unref();
  // garbage collections since the last reset: [epoch ms at start, duration ms]
  let gcs: Array<[number, number]> = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push([performance.timeOrigin + e.startTime, e.duration]);
  }).observe({ entryTypes: ['gc'] });
  // storedBytes: the stored table's Arrow IPC, which its columns are views of
  server.on('dataset', (d) =>
    process.send?.({
      dataset: d.name,
      rows: d.summary.rows,
      at: now(),
      storedBytes: d.ipc ? ipcByteLength(d.ipc) : -1,
    }),
  );
  process.on('message', (m: string) => {
    if (m === 'reset') {
      loop.reset();
      peak = process.memoryUsage.rss();
      samples = [];
      gcs = [];
      process.send?.({ reset: true });
    } else if (m === 'stats') {
      peak = Math.max(peak, process.memoryUsage.rss());
      process.send?.({
        stats: {
          loopMaxMs: loop.max / 1e6,
          loopP99Ms: loop.percentile(99) / 1e6,
          peakRss: peak,
          maxRss: process.resourceUsage().maxRSS * 1024,
          samples,
          gcs,
        },
      });
    } else if (m === 'memory') {
      process.send?.({ memory: process.memoryUsage() });
    } else if (m === 'exit') {
      void server.close().then(() => process.exit(0));
    }
  });
  process.send?.({ url: server.url });
}

void main();
