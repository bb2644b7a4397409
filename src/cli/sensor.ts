/**
 * `csvsocket sensor`: a pretend sensor appending readings to a dataset at a steady
 * rate (src/client/sensor.ts), for live notebooks and demos; Ctrl-C stops it.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { SensorOptions } from '../client/sensor.js';
import type { CliIO } from './io.js';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number > 0.');
  return n;
}

/**
 * Adds `sensor` to the CLI.
 * @internal
 */
export function addSensorCommand(cli: Command, io: CliIO): void {
  cli
    .command('sensor')
    .description('append pretend sensor readings (time, sensor, temperature, humidity) to a dataset')
    .option('--url <url>', 'server URL with its ?token= (default $CSVSOCKET_URL, then ws://127.0.0.1:8851/)')
    .option('--name <name>', 'dataset to append to', 'sensor')
    .option('--rows <n>', 'rows to write (default: until stopped)', positiveNumber)
    .option('--rate <r>', 'rows per second', positiveNumber, 10)
    .option('--sensors <k>', 'sensors s1…sK taking turns', positiveNumber, 3)
    .option('--seed <s>', 'seed of the noise (the same values every run)', Number, 1)
    .action(
      async (opts: { url?: string; name: string; rows?: number; rate: number; sensors: number; seed: number }) => {
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const rows = opts.rows ?? Number.POSITIVE_INFINITY;
        io.out(
          `sensor: appending to "${opts.name}" at ${opts.rate} rows/s${Number.isFinite(rows) ? `, ${rows} rows` : ' until stopped'}`,
        );
        const options: SensorOptions = {
          name: opts.name,
          rows,
          rate: opts.rate,
          sensors: opts.sensors,
          seed: opts.seed,
          signal: controller.signal,
        };
        if (opts.url !== undefined) options.url = opts.url;
        try {
          const { runSensor } = await import('../client/sensor.js');
          const result = await runSensor(options);
          io.out(`sensor: wrote ${result.rows} rows to "${opts.name}" in ${(result.ms / 1000).toFixed(1)} s`);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      },
    );
}
