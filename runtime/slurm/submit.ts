/**
 * Submitting a run to Slurm: checks the Slurm options (runtime/slurm/options.ts), writes
 * `<run>/slurm/job.sbatch` (runtime/slurm/script.ts), runs `sbatch --parsable` on it in
 * `<run>/slurm` (where the script's relative `--output` puts the job output) and records the job
 * in `<run>/slurm/jobs.json`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasRunConfig, onlySubmission, SLURM_DIR, SLURM_SCRIPT } from '../protocol/run_folder';
import { slurmJobsFile, submittedJobs, type SubmittedJob } from '../protocol/slurm_jobs';
import { RunDirError } from '../train/run_dir';
import { checkSlurmResources } from './options';
import { batchScript, type SlurmResources, type SlurmRun } from './script';

export interface SubmitResult {
  /** Absent with `dryRun`. */
  jobId?: string;
  script: string;
  outputDir: string;
}

/**
 * Writes the batch script and submits it.
 * @param resume the run folder already holds a run to continue (`--resume`)
 * @throws ConfigError when a Slurm option is not one sbatch reads as given (nothing is written then);
 *   RunDirError when a fresh run's folder already holds a run (resume it instead);
 *   Error with sbatch's message when it refuses the job
 */
export function submitToSlurm(run: SlurmRun, res: SlurmResources, opts: { resume?: boolean; dryRun?: boolean; sbatch?: string } = {}): SubmitResult {
  checkSlurmResources(res);
  const dir = run.outputDir;
  if (opts.resume) {
    if (!hasRunConfig(dir)) throw new RunDirError(`cannot resume: ${dir} has no config.yaml (is it a run folder?)`);
  } else if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0 && !onlySubmission(dir)) {
    throw new RunDirError(`output directory ${dir} already exists; submit it again with --resume ${dir}, or choose another train.output_dir`);
  }
  const slurmDir = path.join(dir, SLURM_DIR);
  fs.mkdirSync(slurmDir, { recursive: true });
  const script = path.join(slurmDir, SLURM_SCRIPT);
  fs.writeFileSync(script, batchScript(run, res), { mode: 0o755 });
  if (opts.dryRun) return { script, outputDir: dir };
  let out: string;
  try {
    out = execFileSync(opts.sbatch ?? 'sbatch', ['--parsable', script], { cwd: slurmDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as Error & { stderr?: string; code?: string };
    if (err.code === 'ENOENT') throw new Error('sbatch not found: run this on a Slurm login node (or install slurm-client)');
    throw new Error(`sbatch refused the job: ${(err.stderr ?? err.message).trim().split('\n').pop()}`);
  }
  const [jobId, cluster] = out.trim().split(';');
  const jobs: SubmittedJob[] = [...submittedJobs(dir), { job_id: jobId, submitted: new Date().toISOString(), script, ...(cluster ? { cluster } : {}) }];
  fs.writeFileSync(slurmJobsFile(dir), `${JSON.stringify(jobs, null, 2)}\n`);
  return { jobId, script, outputDir: dir };
}
