/**
 * The run folder as a contract: the names of the files a training run writes into
 * `train.output_dir`, and the checkpoint-name pattern. The runtime writes them and the extension
 * and scripts read them, both through this module only (no TensorFlow.js here).
 *
 * ```
 * <run>/config.yaml                 the full config (CONFIG_FILE)
 * <run>/config_min.yaml             keys that differ from the defaults (CONFIG_MIN_FILE)
 * <run>/env.yaml                    machine and engine (ENV_FILE)
 * <run>/log.txt                     the log (LOG_FILE)
 * <run>/events.jsonl                the event log, see events.ts (EVENTS_FILE)
 * <run>/run.lock                    held by a live run: JSON { pid, host, started } (LOCK_FILE)
 * <run>/checkpoint_00010.ckpt       checkpoints (CHECKPOINT_NAME_RE, checkpointFileName)
 * <run>/last_checkpoint             names the newest checkpoint (LAST_CHECKPOINT_FILE)
 * <run>/eval/                       what `evaluate` writes by default (EVAL_DIR)
 * <run>/slurm/job.sbatch, jobs.json Slurm submissions (SLURM_DIR, SLURM_SCRIPT, SLURM_JOBS; slurm_jobs.ts reads them)
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** File name of the full config saved in a run folder. */
export const CONFIG_FILE = 'config.yaml';
/** File name of the minimal config (differences from the defaults) saved in a run folder. */
export const CONFIG_MIN_FILE = 'config_min.yaml';
/** File name of the machine and engine description of a run. */
export const ENV_FILE = 'env.yaml';
/** File name of a run's log. */
export const LOG_FILE = 'log.txt';
/** File name of the event log inside a run folder. */
export const EVENTS_FILE = 'events.jsonl';
/** Name of the lock file a running run holds in its folder: JSON `{ pid, host, started }`. */
export const LOCK_FILE = 'run.lock';
/**
 * The console output (stdout and stderr) of a run started from the VS Code extension: the extension starts the
 * runtime detached, writing here, so that the run outlives the window.
 */
export const CONSOLE_LOG_FILE = 'stdout.log';
/** Name of the tag file naming the newest checkpoint of a run folder (as fvcore's). */
export const LAST_CHECKPOINT_FILE = 'last_checkpoint';
/** Folder (inside the checkpoint's folder) that `evaluate` writes to when `test.output_dir` is empty. */
export const EVAL_DIR = 'eval';
/** Folder of a run that holds what Slurm submission writes (script, job list, job output). */
export const SLURM_DIR = 'slurm';
/** The batch script inside {@link SLURM_DIR}. */
export const SLURM_SCRIPT = 'job.sbatch';
/** The list of submitted jobs inside {@link SLURM_DIR} (see slurm_jobs.ts). */
export const SLURM_JOBS = 'jobs.json';

/**
 * Checkpoint file names, as the runtime writes them (`checkpoint_00010.ckpt`,
 * `checkpoint_00003_step00120.ckpt`): group 1 is the epoch, group 2 (optional) the step.
 */
export const CHECKPOINT_NAME_RE = /^checkpoint_(\d+)(?:_step(\d+))?\.ckpt$/;

/**
 * `checkpoint_%05d.ckpt` for the end of `epoch`; `checkpoint_%05d_step%05d.ckpt` for a run
 * stopped `step` steps into the epoch after `epoch`.
 */
export function checkpointFileName(epoch: number, step = 0): string {
  const base = `checkpoint_${String(epoch).padStart(5, '0')}`;
  return step > 0 ? `${base}_step${String(step).padStart(5, '0')}.ckpt` : `${base}.ckpt`;
}

/**
 * The epoch and step of a checkpoint file (a path or a bare name), or undefined when the name is not
 * a checkpoint's. `step` is 0 for the end of `epoch`.
 */
export function parseCheckpointName(file: string): { epoch: number; step: number } | undefined {
  const m = CHECKPOINT_NAME_RE.exec(path.basename(file));
  return m ? { epoch: Number(m[1]), step: Number(m[2] ?? 0) } : undefined;
}

/** Whether a folder holds a run's {@link CONFIG_FILE} (a run to resume). */
export function hasRunConfig(dir: string): boolean {
  return fs.existsSync(path.join(dir, CONFIG_FILE));
}

/** True when `dir` holds nothing but what a Slurm submission wrote ({@link SLURM_DIR}: the run has not started). */
export function onlySubmission(dir: string): boolean {
  if (!fs.existsSync(dir)) return false;
  const names = fs.readdirSync(dir);
  return names.length > 0 && names.every((n) => n === SLURM_DIR);
}

export { pidAlive } from '../util/pid';
