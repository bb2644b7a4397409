/**
 * A pretend sensor: appends rows `time,sensor,temperature,humidity` to a dataset
 * at a steady rate through `connect()` + `client.append`, for a number of rows
 * or until it is stopped — live data for a lesson, with nothing but the package.
 *
 *   runSensor({ url: server.url, rows: 200, rate: 20 })          in a notebook or script
 *   csvsocket sensor --url 'ws://127.0.0.1:8851/?token=…' --rows 200 --rate 20   from a shell
 *
 * Pacing: row i is due at start + i / rate seconds and carries that time; the
 * script wakes when the next row is due (at most 20 times a second), and sends
 * every row due by then in one append — so a high rate or a slow server gives
 * bigger batches, never a slower rate. Values are a sine wave per sensor (one
 * period every 120 rows) plus noise from a seeded generator.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ArgumentError, ErrorCode } from '../errors.js';
import { type CsvClient, connect } from './client.js';

/** Options of {@link runSensor}. */
export interface SensorOptions {
  /** Server URL with its token; ignored when `client` is given. @default $CSVSOCKET_URL, then ws://127.0.0.1:8851/ */
  url?: string;
  /** An open client to append through (left open). */
  client?: CsvClient;
  /** The dataset. @default 'sensor' */
  name?: string;
  /** Rows to write; Infinity writes until `signal` aborts. @default Infinity */
  rows?: number;
  /** Rows per second. @default 10 */
  rate?: number;
  /** Sensors s1…sK, taking turns. @default 3 */
  sensors?: number;
  /** Seed of the noise. @default 1 */
  seed?: number;
  /** The first row's time. @default now */
  start?: Date;
  /** Stops the writing (the rows written so far stay). */
  signal?: AbortSignal;
  /** Called after each append with the rows written so far. */
  onAppend?: (written: number) => void;
}

/** One sensor row (a type, not an interface, so that it is a `Record<string, unknown>` for append()). */
export type SensorRow = {
  time: Date;
  sensor: string;
  temperature: number;
  humidity: number;
};

/** Shortest sleep between two appends, in ms (at most 20 appends a second). */
const minTick = 50;

/** mulberry32: a small seeded generator, the same numbers for the same seed (the tests' too). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The readings generator: row i of sensor s(i mod K + 1), at start + i / rate seconds.
 *
 * @returns a function giving rows [from, to)
 */
export function sensorRows(options: {
  rate: number;
  sensors: number;
  seed: number;
  start: Date;
}): (from: number, to: number) => SensorRow[] {
  const next = seededRandom(options.seed);
  const t0 = options.start.getTime();
  return (from, to) => {
    const rows: SensorRow[] = [];
    for (let i = from; i < to; i++) {
      const s = i % options.sensors;
      // one slow wave every 120 rows, whatever the rate, shifted per sensor
      const phase = (2 * Math.PI * i) / 120 + s;
      rows.push({
        time: new Date(t0 + Math.round((i * 1000) / options.rate)),
        sensor: `s${s + 1}`,
        temperature: Math.round((20 + s + 2 * Math.sin(phase) + (next() - 0.5) * 0.4) * 100) / 100,
        humidity: Math.round((45 - 5 * Math.sin(phase) + (next() - 0.5) * 2) * 10) / 10,
      });
    }
    return rows;
  };
}

function positive(value: number, what: string, allowInfinity = false): number {
  if (Number.isNaN(value) || value <= 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw new ArgumentError(ErrorCode.BAD_ARGUMENT, `runSensor(): ${what} must be a number > 0, got ${value}`);
  }
  return value;
}

/**
 * Writes sensor rows to a dataset at a steady rate: sensors s1…sK taking
 * turns, each a slow sine wave (one period every 120 rows) plus seeded noise.
 *
 * @param options - server URL or client, dataset name, rows, rate, sensors, seed, abort signal
 * @returns the rows written and the time it took
 * @throws ArgumentError `CSVS_BAD_ARGUMENT` for a rows, rate or sensors value that is not > 0
 * @example
 * ```ts
 * const server = await serve();
 * const writing = runSensor({ url: server.url, rows: 100, rate: 25 });
 * const readings = await live('sensor', 'table').until({ rows: 100 });
 * ```
 */
export async function runSensor(options: SensorOptions = {}): Promise<{ rows: number; ms: number }> {
  const name = options.name ?? 'sensor';
  const total = positive(options.rows ?? Number.POSITIVE_INFINITY, 'rows', true);
  const rate = positive(options.rate ?? 10, 'rate');
  const sensors = Math.floor(positive(options.sensors ?? 3, 'sensors'));
  const rowsOf = sensorRows({ rate, sensors, seed: options.seed ?? 1, start: options.start ?? new Date() });
  const client = options.client ?? (await connect(options.url));
  const started = performance.now();
  let written = 0;
  try {
    while (written < total && !options.signal?.aborted) {
      // every row due by now (the first at once), in one append
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
      if (due > written) {
        await client.append(name, rowsOf(written, due));
        written = due;
        options.onAppend?.(written);
      }
      if (written >= total) break;
      const nextAt = started + (written * 1000) / rate;
      const wait = Math.max(minTick, nextAt - performance.now());
      try {
        await sleep(wait, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        break; // aborted
      }
    }
  } finally {
    if (!options.client) await client.close();
  }
  return { rows: written, ms: performance.now() - started };
}
