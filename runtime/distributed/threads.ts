/**
 * Compute threads for this process when it shares the machine with sibling workers. Every worker using every core
 * oversubscribes the CPU, and OpenMP (libtorch) and the wasm thread pool slow down several-fold when their threads
 * are descheduled; so workers get their share of the cores unless `num_threads` says otherwise. The share comes from
 * the environment, so it is not written into the run's config (a later resume or evaluation alone gets all cores):
 * - `ICL_NUM_THREADS`: set by the local launcher (`--nproc_per_node`) and the run queue;
 * - under `srun`: `SLURM_CPUS_PER_TASK` when given, else the cores divided by this node's task count
 *   (`SLURM_NTASKS_PER_NODE`, else the first count of `SLURM_TASKS_PER_NODE`, e.g. `2(x3)`).
 */
import * as os from 'node:os';

/** Environment variable the launcher and the queue set to each child's thread share. */
export const NUM_THREADS_ENV = 'ICL_NUM_THREADS';

const positiveInt = (v: string | undefined): number | undefined => {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

/**
 * Threads this process should use.
 * @param numThreads the config's `num_threads` (0 = auto); a positive value always wins
 * @param env the process environment
 * @param cores logical cores of the machine
 * @returns a positive thread count, or 0 (auto: every core) when nothing asks for a share
 */
export function processThreads(numThreads: number, env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): number {
  if (numThreads > 0) return numThreads;
  const share = positiveInt(env[NUM_THREADS_ENV]);
  if (share !== undefined) return share;
  if (env.SLURM_PROCID === undefined) return 0;
  const perTask = positiveInt(env.SLURM_CPUS_PER_TASK);
  if (perTask !== undefined) return perTask;
  const tasks = positiveInt(env.SLURM_NTASKS_PER_NODE) ?? positiveInt(/^(\d+)/.exec(env.SLURM_TASKS_PER_NODE ?? '')?.[1]);
  return tasks !== undefined && tasks > 1 ? Math.max(1, Math.floor(cores / tasks)) : 0;
}
