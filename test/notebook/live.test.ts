/**
 * live(name, render): the throttle and coalescing over real subscriptions to a
 * real server (with a manual clock, so no test depends on timing).
 * test/e2e/notebook-live.test.ts runs notebooks/live.ipynb.
 *
 * The display is a sink with DisplayHandle's two methods: outside a kernel a
 * DisplayHandle sends nothing, so the bundles are caught where they would leave.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { runSensor } from '../../src/client/sensor.js';
import { type CsvClient, type CsvServer, connect, live, startServer } from '../../src/index.js';
import type { MimeBundle } from '../../src/notebook/kernel.js';
import { createLive, type LiveDisplay } from '../../src/notebook/live.js';
import { type Clock, Coalescer } from '../../src/notebook/throttle.js';

/** Timers that fire only when the test moves the time on. */
class ManualClock implements Clock {
  time = 0;
  private seq = 0;
  readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(timer: unknown): void {
    this.timers.delete(timer as number);
  }

  /** When the pending timers fire. */
  due(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  advance(ms: number): void {
    this.time += ms;
    for (const [id, t] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.time && this.timers.delete(id)) t.fn();
    }
  }
}

/** A display that records what it is sent. */
class Sink implements LiveDisplay {
  shown: MimeBundle[] = [];
  updates: MimeBundle[] = [];
  private waiting: Array<{ done: (b: MimeBundle) => boolean; resolve: () => void }> = [];

  show(bundle: MimeBundle): void {
    this.shown.push(bundle);
  }

  update(bundle: MimeBundle): void {
    this.updates.push(bundle);
    const met = this.waiting.filter((w) => w.done(bundle));
    this.waiting = this.waiting.filter((w) => !met.includes(w));
    for (const w of met) w.resolve();
  }

  /** Resolves once `n` updates have arrived. */
  waitFor(n: number): Promise<void> {
    return this.waitUntil(() => this.updates.length >= n);
  }

  /** Resolves once an update (the latest, or one to come) satisfies `done`. */
  waitUntil(done: (b: MimeBundle) => boolean): Promise<void> {
    const latest = this.updates.at(-1);
    if (latest && done(latest)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ done, resolve }));
  }

  get last(): MimeBundle {
    const b = this.updates.at(-1);
    assert.ok(b, 'nothing was drawn');
    return b;
  }
}

describe('live()', () => {
  let server: CsvServer;
  let writer: CsvClient;

  before(async () => {
    server = await startServer({ port: 0 });
    writer = await connect(server.url);
  });
  after(async () => {
    await writer.close();
    await server.close();
  });

  describe('throttle and coalescing', () => {
    it('draws the first update at once and folds a burst into one draw of its latest state', async () => {
      const clock = new ManualClock();
      const sink = new Sink();
      const view = createLive('burst', 'table', { server, display: sink, limit: 3 }, clock);
      assert.match(sink.shown[0]?.['text/plain'] ?? '', /^burst: waiting for rows…$/);
      await view.ready;
      await writer.append('burst', [{ i: 1 }]);
      await sink.waitFor(1);
      assert.match(sink.last['text/html'] ?? '', /1 row × 1 column/);
      for (let i = 2; i <= 11; i++) await writer.append('burst', [{ i }]);
      await view.until({ rows: 11, flush: false });
      assert.equal(view.updates, 11);
      assert.equal(sink.updates.length, 1, 'no draw during the pause');
      assert.deepEqual(clock.due(), [250], 'one pending draw, at the end of the pause');
      clock.advance(249);
      await tick();
      assert.equal(sink.updates.length, 1);
      clock.advance(1);
      await sink.waitFor(2);
      const html = sink.last['text/html'] ?? '';
      assert.match(html, /burst · last 3 of 11 rows/);
      assert.deepEqual(
        [...html.matchAll(/<td class="csvs-num">(\d+)<\/td>/g)].map((m) => m[1]),
        ['9', '10', '11'],
      );
      assert.equal(view.draws, 2);
      assert.equal(view.drawnRows, 11);
      assert.deepEqual(clock.due(), [], 'nothing left to draw');
      await view.stop();
    });

    it('paces draws by their size: a 100 kB draw at 200 kB/s waits 500 ms, not 250', async () => {
      const clock = new ManualClock();
      const sink = new Sink();
      const big = 'x'.repeat(100_000);
      const view = createLive(
        'paced',
        (table) => ({ 'text/html': `<p>${table.numRows()}</p>${big}`, 'text/plain': String(table.numRows()) }),
        { server, display: sink, maxBytesPerSecond: 200_000 },
        clock,
      );
      await view.ready;
      await writer.append('paced', [{ i: 1 }]);
      await sink.waitFor(1);
      await writer.append('paced', [{ i: 2 }]);
      await view.until({ rows: 2, flush: false });
      const [first] = clock.due();
      assert.ok(first !== undefined && first > 500 && first < 501, `next draw at ${first} ms`);
      clock.advance(250);
      await tick();
      assert.equal(sink.updates.length, 1, 'a draw inside the byte budget');
      clock.advance(251);
      await sink.waitFor(2);
      assert.equal(sink.last['text/plain'], '2');
      assert.equal(view.bytes, 2 * (100_000 + '<p>1</p>'.length + 1));
      await view.stop();
    });

    it('until() draws the latest state at once, bypassing the pause', async () => {
      const clock = new ManualClock();
      const sink = new Sink();
      const view = createLive('flushed', 'table', { server, display: sink }, clock);
      await view.ready;
      for (let i = 1; i <= 5; i++) await writer.append('flushed', [{ i, label: `<b>${i}</b>` }]);
      const table = await view.until({ rows: 5 });
      assert.equal(table.numRows(), 5);
      assert.match(sink.last['text/html'] ?? '', /5 rows × 2 columns/);
      assert.match(sink.last['text/html'] ?? '', /&lt;b&gt;5&lt;\/b&gt;/, 'values are escaped');
      assert.deepEqual(clock.due(), [], 'the pending draw was the flushed one');
      assert.ok(view.draws <= 2, `${view.draws} draws for 5 updates`);
      await view.stop();
    });

    it('Coalescer: a change during a draw is drawn after it, once', async () => {
      const clock = new ManualClock();
      let release: () => void = () => undefined;
      let draws = 0;
      const coalescer = new Coalescer(
        () => {
          draws++;
          return new Promise<number>((resolve) => {
            release = () => resolve(0);
          });
        },
        { interval: 100, maxBytesPerSecond: 1, clock },
      );
      coalescer.push();
      assert.equal(draws, 1);
      coalescer.push();
      coalescer.push();
      assert.equal(draws, 1, 'a draw in progress is never doubled');
      release();
      await tick();
      assert.deepEqual(clock.due(), [100]);
      clock.advance(100);
      assert.equal(draws, 2);
      release();
      await coalescer.flush();
      assert.equal(coalescer.dirty, false);
      coalescer.stop();
      coalescer.push();
      assert.equal(draws, 2, 'no draws after stop()');
    });
  });

  describe('rendering', () => {
    it('charts a vega-lite spec of the whole table, with the sensor script writing', async () => {
      const sink = new Sink();
      const view = live(
        'chart',
        { mark: { type: 'line', point: true }, encoding: { x: { field: 'time' }, y: { field: 'temperature' } } },
        { server, display: sink },
      );
      await view.ready;
      const written = await runSensor({ client: writer, name: 'chart', rows: 60, rate: 2000 });
      assert.equal(written.rows, 60);
      const table = await view.until({ rows: 60, timeout: 30_000 });
      assert.deepEqual(table.columnNames(), ['time', 'sensor', 'temperature', 'humidity']);
      const bundle = sink.last;
      assert.match(
        bundle['text/plain'] ?? '',
        /^chart · live · 60 rows · chart: line \(x=time, y=temperature\), 60 rows$/,
      );
      const svg = bundle['text/html'] ?? '';
      assert.match(svg, /^<div class="csvs-live">.*<div class="csvs-chart"><svg /s);
      const symbols = /<g class="mark-symbol role-mark[^>]*>(.*?)<\/g>/s.exec(svg)?.[1] ?? '';
      assert.equal(symbols.split('<path').length - 1, 60, 'one point per row');
      const spec = JSON.parse(bundle['application/vnd.vegalite.v5+json'] ?? '{}') as { data: { values: unknown[] } };
      assert.equal(spec.data.values.length, 60);
      await view.stop();
    });

    it('shows a render failure in the display, keeps following, and until() rejects with it', async () => {
      const sink = new Sink();
      const view = live(
        'picky',
        (table) => {
          if (table.numRows() < 3) throw new Error('need three rows');
          return `<p>${table.numRows()} rows</p>`;
        },
        { server, display: sink, interval: 0 },
      );
      await view.ready;
      await writer.append('picky', [{ i: 1 }]);
      await assert.rejects(view.until({ rows: 1 }), /need three rows/);
      assert.match(sink.last['text/html'] ?? '', /color:#b00.*render failed: need three rows/);
      await writer.append('picky', [{ i: 2 }, { i: 3 }]);
      await view.until({ rows: 3 });
      assert.deepEqual(sink.last, { 'text/html': '<p>3 rows</p>', 'text/plain': 'picky: 3 rows' });
      await view.stop();
    });

    it('shows a drop, and the dataset again when it comes back', async () => {
      const sink = new Sink();
      const view = live('dropped', 'table', { server, display: sink, interval: 0 });
      await writer.append('dropped', [{ i: 1 }]);
      await view.until({ rows: 1 });
      await writer.drop('dropped');
      await sink.waitUntil((b) => b['text/plain'] === 'dropped: the dataset was dropped');
      assert.equal(view.table, null);
      await writer.append('dropped', [{ i: 7 }]);
      const table = await view.until({ rows: 1 });
      assert.deepEqual(table.array('i', Array), [7]);
      await view.stop();
    });

    it('outside a notebook without a display logs one line per throttled update', async () => {
      const lines: string[] = [];
      const clock = new ManualClock();
      const view = createLive('logged', 'table', { server, log: (l) => lines.push(l) }, clock);
      await view.ready;
      await writer.append('logged', [{ a: 1, b: 'x' }]);
      await view.until({ rows: 1 });
      await writer.append('logged', [{ a: 2, b: 'y' }]);
      await writer.append('logged', [{ a: 3, b: 'z' }]);
      await view.until({ rows: 3 });
      assert.deepEqual(lines, ['live "logged": 1 row × 2 columns (+1)', 'live "logged": 3 rows × 2 columns (+2)']);
      await view.stop();
    });
  });

  describe('until, stop and errors', () => {
    it('until() times out with CSVS_TIMEOUT and rejects with CSVS_CONNECTION_CLOSED when stopped first', async () => {
      const clock = new ManualClock();
      const view = createLive('slow', 'table', { server, log: false }, clock);
      await view.ready;
      await writer.append('slow', [{ i: 1 }]);
      await view.until({ rows: 1, flush: false });
      const timedOut = view.until({ rows: 10, timeout: 1000 });
      clock.advance(1000);
      await assert.rejects(timedOut, { code: 'CSVS_TIMEOUT', message: /waited 1000 ms for 10 rows; have 1/ });
      const pending = assert.rejects(view.until({ rows: 10 }), {
        code: 'CSVS_CONNECTION_CLOSED',
        message: /ended at 1 row before reaching 10/,
      });
      await view.stop();
      await pending;
      await view.done;
    });

    it('stop() closes the connection live() opened and leaves a given client open', async () => {
      const before = server.clients;
      const own = live('mine', 'table', { url: server.url, log: false });
      await own.ready;
      assert.equal(server.clients, before + 1);
      await own.stop();
      while (server.clients > before) await once(server, 'disconnect');
      const reader = await connect(server.url);
      const shared = live('mine', 'table', { client: reader, log: false });
      await shared.ready;
      await shared.stop();
      assert.equal(reader.open, true);
      await reader.close();
    });

    it('refuses a bad render, bad options, several sources and a missing server', () => {
      assert.throws(() => live('x', 42 as never, { server }), { code: 'CSVS_BAD_ARGUMENT', message: /render must be/ });
      assert.throws(() => live('', 'table', { server }), { code: 'CSVS_BAD_ARGUMENT' });
      assert.throws(() => live('x', 'table', { server, limit: 0 }), { code: 'CSVS_BAD_ARGUMENT', message: /limit/ });
      assert.throws(() => live('x', 'table', { server, url: server.url }), {
        code: 'CSVS_BAD_ARGUMENT',
        message: /at most one of/,
      });
      assert.throws(() => live('x', 'table'), { code: 'CSVS_BAD_ARGUMENT', message: /await serve\(\)/ });
    });

    it('a refused subscription ends the view with the server error', async () => {
      const view = live('never', 'table', { url: `${server.url.split('?')[0]}?token=wrong`, log: false });
      await assert.rejects(view.ready, { code: 'CSVS_AUTH_REQUIRED' });
      await view.done;
      assert.equal(view.error?.name, 'AuthError');
      await assert.rejects(view.until(1), { code: 'CSVS_AUTH_REQUIRED' });
    });
  });
});
