/**
 * The batch script of a run submitted to Slurm (`npm run submit -- --slurm …`), written to
 * `<run folder>/slurm/job.sbatch`. One job per run; `nproc` tasks per node start the data-parallel
 * workers with `srun` (ranks from SLURM_PROCID/SLURM_NTASKS, the rendezvous on the first node of
 * the allocation, see runtime/distributed/env.ts). The script starts the run fresh when its folder holds
 * no run yet and resumes it otherwise, so a requeued or resubmitted job continues where it
 * stopped (Slurm's SIGTERM at the time limit or on preemption makes the trainer checkpoint).
 *
 * Quoting (docs/security.md): user strings (run folder, config file, overrides, the submitting
 * command) appear only as {@link shellQuote}d words on command lines, never in comments or
 * `#SBATCH` lines. The directives hold numbers, fixed text and the Slurm options checked by
 * runtime/slurm/options.ts; the job output goes to `job-%j.out` relative to the folder sbatch is
 * run in (`<run folder>/slurm`, see runtime/slurm/submit.ts), so the run folder is not one of them.
 */
import * as path from 'node:path';
import { CONFIG_FILE } from '../protocol/run_folder';

/** Resources asked of Slurm. */
export interface SlurmResources {
  partition?: string;
  /** e.g. `gpu:2`. */
  gres?: string;
  /** e.g. `01:00:00`. */
  time?: string;
  /** Nodes (default 1). */
  nodes?: number;
  /** Workers per node (default: the GPU count of `gres`, else 1). */
  nprocPerNode?: number;
  cpusPerTask?: number;
  /** e.g. `16G`. */
  mem?: string;
  jobName?: string;
  /** More `#SBATCH` options, verbatim (e.g. `--account=x`). */
  extra?: string[];
}

/** What the script runs. */
export interface SlurmRun {
  /** Absolute run folder. */
  outputDir: string;
  /** Config file (absolute), for a fresh start. */
  configFile?: string;
  /** `key value` overrides of a fresh start (also applied on resume). */
  overrides: string[];
  /** Working directory of the job (the project root; relative paths in the config resolve there). */
  cwd: string;
  /** Node binary, its options (e.g. `--import tsx`) and the training CLI script. */
  node: string;
  execArgv: string[];
  trainScript: string;
  /** The submitting command's words (e.g. `['npm', 'run', 'submit', '--', …]`), shown quoted in the header comment. */
  command?: readonly string[];
}

/** GPUs per node asked by a `--gres` value (`gpu:2`, `gpu:a100:4`), 0 when none. */
export function gresGpus(gres: string | undefined): number {
  for (const entry of (gres ?? '').split(',')) {
    const parts = entry.trim().split(':');
    if (parts[0] !== 'gpu') continue;
    const last = parts[parts.length - 1];
    return parts.length > 1 && /^\d+$/.test(last) ? Number(last) : 1;
  }
  return 0;
}

/** Workers per node: `nprocPerNode`, else one per GPU of `gres`, else 1. */
export function tasksPerNode(r: SlurmResources): number {
  return r.nprocPerNode ?? Math.max(1, gresGpus(r.gres));
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Quotes a word for bash, so that bash reads it back unchanged as one word: as is when it holds
 * only `[\w@%+=:,./-]`, else in single quotes; a word with control characters (newline, CR, …) in
 * ANSI-C quotes `$'…'` with every such character and backslash and quote escaped, so a quoted word
 * never spans two lines.
 */
export function shellQuote(s: string): string {
  if (/^[\w@%+=:,./-]+$/u.test(s)) return s;
  if (!CONTROL.test(s)) return `'${s.replace(/'/g, `'\\''`)}'`;
  const hex = (c: string) => [...Buffer.from(c, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  return `$'${s.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f-\u009f]/gu, hex)}'`;
}

/** A `#SBATCH` option sbatch reads as written: no control character, white space, quote, backslash or `#`. */
const SAFE_DIRECTIVE = /^-[^\s"'\\#\u0000-\u001f\u007f-\u009f]+$/u;

/** The default job name: `icl-` and the run folder's name with anything but `[\w.+-]` made `_`. */
export function defaultJobName(outputDir: string): string {
  return `icl-${path.basename(outputDir).replace(/[^\w.+-]/gu, '_')}`;
}

/**
 * The batch script.
 * @throws Error when an `#SBATCH` option is not safe to write (see runtime/slurm/options.ts, which
 *   checks the user's options with messages first)
 */
export function batchScript(run: SlurmRun, res: SlurmResources): string {
  const ntasks = tasksPerNode(res);
  const nodes = res.nodes ?? 1;
  const world = ntasks * nodes;
  const q = shellQuote;
  const opts = [
    `--job-name=${res.jobName ?? defaultJobName(run.outputDir)}`,
    '--output=job-%j.out',
    '--open-mode=append',
    `--nodes=${nodes}`,
    `--ntasks-per-node=${ntasks}`,
    ...(res.partition ? [`--partition=${res.partition}`] : []),
    ...(res.gres ? [`--gres=${res.gres}`] : []),
    ...(res.time ? [`--time=${res.time}`] : []),
    ...(res.cpusPerTask ? [`--cpus-per-task=${res.cpusPerTask}`] : []),
    ...(res.mem ? [`--mem=${res.mem}`] : []),
    ...(res.extra ?? []),
  ];
  const train = [run.node, ...run.execArgv, run.trainScript].map(q).join(' ');
  const fresh = [...(run.configFile ? ['--config', run.configFile] : []), ...run.overrides, 'train.output_dir', run.outputDir].map(q).join(' ');
  const resumeOverrides = run.overrides.length ? ` ${run.overrides.map(q).join(' ')}` : '';
  const dist = world > 1 ? ' train.distributed True' : '';
  const threads = res.cpusPerTask ? ` num_threads ${res.cpusPerTask}` : '';
  const unsafe = opts.find((o) => !SAFE_DIRECTIVE.test(o));
  if (unsafe !== undefined) throw new Error(`unsafe #SBATCH option ${JSON.stringify(unsafe)}`);
  return `#!/bin/bash
${opts.map((o) => `#SBATCH ${o}`).join('\n')}
#
# Image Classification Lab: one training run (${world} worker${world > 1 ? 's' : ''}).
${run.command ? `# Submitted with: ${run.command.map(q).join(' ')}\n` : ''}# Submitted from <run folder>/slurm, where the job output job-<job id>.out goes.
# Starts the run when RUN_DIR holds none yet, else resumes it (trains it again when it has no checkpoint yet).
set -euo pipefail
cd ${q(run.cwd)}
RUN_DIR=${q(run.outputDir)}
export ICL_MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"
export ICL_MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))
if [ -f "$RUN_DIR/${CONFIG_FILE}" ]; then
  echo "[$(date '+%F %T')] job $SLURM_JOB_ID: resuming $RUN_DIR"
  srun --kill-on-bad-exit=0 ${train} --resume "$RUN_DIR" --start-over${resumeOverrides}${dist}${threads}
else
  echo "[$(date '+%F %T')] job $SLURM_JOB_ID: starting $RUN_DIR"
  srun --kill-on-bad-exit=0 ${train} ${fresh}${dist}${threads}
fi
`;
}
