/**
 * `npm run queue -- FILE [--parallel K] [--output_dir DIR]`
 * Runs the experiments of a queue file (runtime/queue/file.ts), one per GPU or K at a time on the
 * CPU, recording each run's folder and status in `<queue folder>/queue.json`. SIGINT stops the
 * running runs cleanly; running the same command again continues the queue. Prints a final JSON
 * line `{"status","queue_dir","runs":[{"name","status","output_dir"}]}`.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config';
import { readQueueFile } from '../queue/file';
import { runQueue } from '../queue/runner';
import { printJsonLine, runCli } from './main';

const USAGE = `Usage: npm run queue -- FILE [--parallel K] [--output_dir DIR]

Runs the experiments listed in FILE (YAML: a list of {config, overrides, name}), one per GPU
when there are GPUs, else K at a time on the CPU (default: the file's parallel, else 1).
The queue folder (default experiments/queue/<FILE name>) holds queue.json (each run's folder
and status) and logs/. Ctrl-C stops the running runs with a checkpoint; the same command
continues the queue: completed runs are skipped, the others resumed.`;

runCli(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      options: { parallel: { type: 'string', short: 'k' }, output_dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (e) {
    throw new ConfigError((e as Error).message.split('\n')[0]);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new ConfigError(`expected one queue file, got ${positionals.length}\n${USAGE}`);
  const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
  if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) throw new ConfigError(`--parallel must be a positive integer, got ${values.parallel}`);
  const queue = readQueueFile(positionals[0], values.output_dir);
  const status = await runQueue({ queue, parallel });
  printJsonLine({ status: status.status, queue_dir: status.output_dir, runs: status.runs.map((r) => ({ name: r.name, status: r.status, output_dir: r.output_dir })) });
  return status.status === 'completed' ? 0 : status.status === 'stopped' ? 130 : 1;
});
