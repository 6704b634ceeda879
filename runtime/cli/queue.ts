/**
 * `npm run queue -- FILE [--parallel K] [--output_dir DIR]`
 * `npm run queue -- FILE --slurm [--partition P] [--gres gpu:N] [--time T] [--nodes N]
 *   [--cpus-per-task C] [--mem M] [--sbatch-arg OPT] [--wait [--poll-seconds S]] [--output_dir DIR]`
 * Runs the experiments of a queue file (runtime/queue/file.ts), one per GPU or K at a time on the
 * CPU, recording each run's folder and status in `<queue folder>/queue.json`. SIGINT stops the
 * running runs cleanly; running the same command again continues the queue. With `--slurm` every
 * run not pending, running or completed in Slurm is submitted as one job (runtime/queue/slurm.ts).
 * Prints a final JSON line `{"status","queue_dir","runs":[{"name","status","output_dir","job_id"?}]}`.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { readQueueFile } from '../queue/file';
import { runQueue } from '../queue/runner';
import { submitQueueToSlurm } from '../queue/slurm';
import { checkSlurmResources } from '../slurm/options';
import { tasksPerNode, type SlurmResources } from '../slurm/script';
import type { QueueResultLine } from '../protocol/results';
import { checkDistributedConfig, checkPrecision } from '../train/preflight';
import { printJsonLine, runCli } from './main';

const USAGE = `Usage: npm run queue -- FILE [--parallel K] [--output_dir DIR]
       npm run queue -- FILE --slurm [--partition P] [--gres gpu:N] [--time T] [--nodes N]
                         [--cpus-per-task C] [--mem M] [--sbatch-arg OPT] [--wait [--poll-seconds S]]
                         [--output_dir DIR]

Runs the experiments listed in FILE (YAML: a list of {config, overrides, name}), one per GPU
when there are GPUs, else K at a time on the CPU (default: the file's parallel, else 1).
The queue folder (default experiments/queue/<FILE name>) holds queue.json (each run's folder
and status) and logs/. Ctrl-C stops the running runs with a checkpoint; the same command
continues the queue: completed runs are skipped, the others resumed.

With --slurm, each run is submitted as one Slurm job (as npm run submit -- --slurm does; a run's
nproc_per_node or --gres gpu:N workers start with srun), and queue.json records its job id and
state. The same command again submits only the runs whose job failed, was cancelled or stopped,
or that were never submitted (they resume their run folder). --wait follows the jobs to their end
(polling Slurm every S seconds, default 10). --parallel does not apply: Slurm schedules the jobs.`;

runCli(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        parallel: { type: 'string', short: 'k' },
        output_dir: { type: 'string' },
        slurm: { type: 'boolean' },
        partition: { type: 'string' },
        gres: { type: 'string' },
        time: { type: 'string' },
        nodes: { type: 'string' },
        'cpus-per-task': { type: 'string' },
        mem: { type: 'string' },
        'sbatch-arg': { type: 'string', multiple: true },
        wait: { type: 'boolean' },
        'poll-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
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
  const positive = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
  if (!values.slurm) {
    const slurmOnly = ['partition', 'gres', 'time', 'nodes', 'cpus-per-task', 'mem', 'sbatch-arg', 'wait', 'poll-seconds'].filter((k) => values[k as keyof typeof values] !== undefined);
    if (slurmOnly.length) throw new ConfigError(`--${slurmOnly[0]} applies to a queue submitted to Slurm: add --slurm`);
    const parallel = positive('parallel', values.parallel);
    const queue = readQueueFile(positionals[0], values.output_dir);
    const status = await runQueue({ queue, parallel });
    printJsonLine({ status: status.status, queue_dir: status.output_dir, runs: status.runs.map((r) => ({ name: r.name, status: r.status, output_dir: r.output_dir })) } satisfies QueueResultLine);
    return status.status === 'completed' ? 0 : status.status === 'stopped' ? 130 : 1;
  }

  if (values.parallel !== undefined) throw new ConfigError('--parallel does not apply with --slurm: every run is its own Slurm job and Slurm decides how many run at once');
  const resources: SlurmResources = {
    partition: values.partition,
    gres: values.gres,
    time: values.time,
    nodes: positive('nodes', values.nodes),
    cpusPerTask: positive('cpus-per-task', values['cpus-per-task']),
    mem: values.mem,
    extra: values['sbatch-arg'],
  };
  checkSlurmResources(resources);
  const pollSeconds = values['poll-seconds'] === undefined ? 10 : Number(values['poll-seconds']);
  if (!(pollSeconds > 0)) throw new ConfigError(`--poll-seconds must be a positive number, got ${values['poll-seconds']}`);
  const queue = readQueueFile(positionals[0], values.output_dir);
  // What submit checks before sbatch, for every run.
  queue.entries.forEach((e, i) => {
    const cfg = loadConfig({ configFile: e.config, overrides: e.overrides });
    try {
      checkPrecision(cfg.train.precision);
      const world = tasksPerNode({ ...resources, ...(e.nprocPerNode !== undefined ? { nprocPerNode: e.nprocPerNode } : {}) }) * (resources.nodes ?? 1);
      if (world > 1) checkDistributedConfig(cfg);
    } catch (err) {
      throw new ConfigError(`${positionals[0]}: run ${i + 1} (${e.name}): ${(err as Error).message}`);
    }
  });
  const status = await submitQueueToSlurm({
    queue,
    resources,
    wait: values.wait === true,
    pollMs: pollSeconds * 1000,
    command: ['npm', 'run', 'queue', '--', ...process.argv.slice(2)],
  });
  printJsonLine({ status: status.status, queue_dir: status.output_dir, runs: status.runs.map((r) => ({ name: r.name, status: r.status, output_dir: r.output_dir, job_id: r.job_id ?? null })) } satisfies QueueResultLine);
  // Without --wait every run is now pending, running or completed (a refused submission throws).
  return !values.wait || status.status === 'completed' ? 0 : 1;
});
