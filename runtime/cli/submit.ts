/**
 * `npm run submit -- --slurm [--partition P] [--gres gpu:N] [--time T] [--nodes N]
 *   [--nproc_per_node N] [--cpus-per-task C] [--mem M] [--job-name J] [--sbatch-arg OPT]
 *   [--dry-run] (--config FILE | --resume RUN_DIR) [key value …]`
 * Writes the run's Slurm batch script into `<run folder>/slurm/job.sbatch` and submits it with
 * sbatch (runtime/slurm). Prints `{"job_id","output_dir","script"}`.
 */
import * as path from 'node:path';
import { ConfigError, parseCliArgs, type ExtraFlag } from '../config';
import type { SubmitResultLine } from '../protocol/results';
import { multiProcessDeviceProblem } from '../distributed/env';
import { checkDistributedConfig, checkPrecision } from '../train/preflight';
import { checkSlurmResources } from '../slurm/options';
import { submitToSlurm } from '../slurm/submit';
import { tasksPerNode, type SlurmResources } from '../slurm/script';
import { parseConfigCli, printJsonLine, runCli } from './main';

const USAGE = `Usage: npm run submit -- --slurm [--partition P] [--gres gpu:N] [--time T] [--nodes N]
         [--nproc_per_node N] [--cpus-per-task C] [--mem M] [--job-name J] [--sbatch-arg OPT]
         [--dry-run] (--config FILE | --resume RUN_DIR) [key value ...]

Writes a Slurm batch script for one training run into <train.output_dir>/slurm/job.sbatch and
submits it with sbatch. With --gres gpu:N (or --nproc_per_node N) the job starts N data-parallel
workers per node with srun. The script starts the run, or resumes it when its folder already
holds one (a requeued job continues). --dry-run writes the script without submitting.`;

function positive(name: string, v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--${name} must be a positive integer, got ${v}`);
  return n;
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

const FLAGS: Record<string, ExtraFlag> = {
  slurm: { type: 'boolean', description: 'submit to Slurm (the only scheduler so far)' },
  partition: { type: 'string', description: 'Slurm partition' },
  gres: { type: 'string', description: 'generic resources per node, e.g. gpu:2' },
  time: { type: 'string', description: 'time limit, e.g. 04:00:00' },
  nodes: { type: 'string', description: 'nodes (default 1)' },
  nproc_per_node: { type: 'string', description: 'workers per node (default: GPUs of --gres, else 1)' },
  'cpus-per-task': { type: 'string', description: 'CPUs per worker (also its num_threads)' },
  mem: { type: 'string', description: 'memory per node, e.g. 32G' },
  'job-name': { type: 'string', description: 'job name (default icl-<run folder name>)' },
  'sbatch-arg': { type: 'string', description: 'one more #SBATCH option, verbatim' },
  'dry-run': { type: 'boolean', description: 'write the script, do not submit' },
};

runCli(async () => {
  const cli = parseConfigCli(USAGE, FLAGS, true);
  if (!cli) return 0;
  if (cli.flags.slurm !== true) throw new ConfigError('say where to submit: --slurm (the only scheduler supported)');
  const cfg = cli.config;
  const res: SlurmResources = {
    partition: str(cli.flags.partition),
    gres: str(cli.flags.gres),
    time: str(cli.flags.time),
    nodes: positive('nodes', cli.flags.nodes),
    nprocPerNode: positive('nproc_per_node', cli.flags.nproc_per_node),
    cpusPerTask: positive('cpus-per-task', cli.flags['cpus-per-task']),
    mem: str(cli.flags.mem),
    jobName: str(cli.flags['job-name']),
    extra: typeof cli.flags['sbatch-arg'] === 'string' ? [cli.flags['sbatch-arg']] : undefined,
  };
  checkSlurmResources(res);
  checkPrecision(cfg.train.precision);
  if (tasksPerNode(res) * (res.nodes ?? 1) > 1) {
    checkDistributedConfig(cfg);
    // The addon is built on the cluster; only a device that can never do it is refused here.
    const never = multiProcessDeviceProblem(cfg.device);
    if (never) throw new ConfigError(never, { key: 'device' });
  }
  const args = process.argv.slice(2);
  // The key value pairs as given (the job passes them on; train.output_dir is the script's own).
  const parsed = parseCliArgs(args, FLAGS);
  const overrides: string[] = [];
  for (let i = 0; i + 1 < parsed.overrides.length; i += 2) {
    if (parsed.overrides[i] !== 'train.output_dir') overrides.push(parsed.overrides[i], parsed.overrides[i + 1]);
  }
  const outputDir = path.resolve(cfg.train.output_dir);
  const r = submitToSlurm(
    {
      outputDir,
      configFile: parsed.configFile ? path.resolve(parsed.configFile) : undefined,
      overrides,
      cwd: process.cwd(),
      node: process.execPath,
      execArgv: process.execArgv,
      trainScript: path.join(__dirname, `train${path.extname(__filename)}`),
      command: ['npm', 'run', 'submit', '--', ...args],
    },
    res,
    { resume: Boolean(cli.resumeDir), dryRun: cli.flags['dry-run'] === true },
  );
  process.stderr.write(r.jobId ? `submitted job ${r.jobId}: ${r.script}\n` : `wrote ${r.script} (not submitted: --dry-run)\n`);
  printJsonLine({ job_id: r.jobId ?? null, output_dir: r.outputDir, script: r.script } satisfies SubmitResultLine);
  return 0;
});
