/**
 * `npm run train -- [--config FILE.yaml] [--resume RUN_DIR] [--nproc_per_node N] [--nnodes M --node_rank R
 *   --master_addr A [--master_port P]] [key value …]`
 * Trains a classifier; see README "Training". Prints a final JSON line:
 * `{"status":…,"output_dir":…,"epoch":…,"val_loss":…,"val_accuracy":…,"checkpoint":…}`.
 * With `--nproc_per_node N` it launches N data-parallel workers (runtime/distributed/launch.ts); a
 * process started with a rank in its environment (by that launcher, torchrun-style variables or
 * `srun`) is one of those workers (runtime/distributed/env.ts); it joins the c10d process group
 * (runtime/distributed/process_group.ts). `--nnodes` runs one such launcher per machine (torchrun's flags).
 */
import * as path from 'node:path';
import { ConfigError, type Config } from '../config';
import { distEnvFrom, withDistKeys, type DistEnv } from '../distributed/env';
import { launchWorkers, nodeFlags, withoutFlags, LAUNCH_FLAGS } from '../distributed/launch';
import { multiProcessUnsupported, ProcessGroup } from '../distributed/process_group';
import { loadAddon } from '../backend/libtorch/addon';
import { ensureRunDataset } from '../train/data';
import { Logger } from '../train/logger';
import { checkRunDir, refuseSecondHistory } from '../train/run_dir';
import type { TrainResultLine } from '../protocol/results';
import { onlySubmission } from '../protocol/run_folder';
import { checkDistributedConfig, checkPrecision } from '../train/preflight';
import { runTraining, type TrainResult } from '../train/trainer';
import { applyNoDownload, NO_DOWNLOAD_FLAG, parseConfigCli, printJsonLine, runCli } from './main';

const USAGE = `Usage: npm run train -- [--config FILE.yaml] [--resume RUN_DIR] [--nproc_per_node N]
       [--nnodes M --node_rank R --master_addr A [--master_port P]] [key value ...]

Trains the model of the config (defaults, then FILE.yaml, then the key value pairs) and writes
the run folder train.output_dir: config.yaml, config_min.yaml, env.yaml, log.txt, events.jsonl,
checkpoint_NNNNN.ckpt. --resume RUN_DIR continues a stopped or killed run from its last checkpoint
(a run that trained but has no checkpoint is started over only with --start-over).
--nproc_per_node N trains data-parallel in N worker processes (one per GPU, or N on the CPU);
train.batch_size is per worker (see docs/distributed.md). On M machines, run the same command on
each with --nnodes M, its --node_rank (0..M-1) and node 0's address as --master_addr. A built-in dataset
that is not found is downloaded first (torchvision's archives, into ~/.cache/image-classification-lab or
$ICL_DATA_DIR); --no-download (dataset.download False) turns that off.`;

const START_OVER_FLAG = {
  'start-over': { type: 'boolean', description: 'with --resume of a run that has no checkpoint: train it again from epoch 0, after its old history' },
} as const;

runCli(async () => {
  const cli = parseConfigCli(USAGE, { ...LAUNCH_FLAGS, ...NO_DOWNLOAD_FLAG, ...START_OVER_FLAG }, true);
  if (!cli) return 0;
  const cfg = cli.config;
  applyNoDownload(cli);
  const env = distEnvFrom();
  // Resuming a trained run without a checkpoint would append a second history: only when asked.
  if (cfg.train.resume && cli.flags['start-over'] !== true && (!env || env.rank === 0)) refuseSecondHistory(path.resolve(cfg.train.output_dir));
  const nprocFlag = cli.flags.nproc_per_node;
  const nproc = nprocFlag === undefined ? 1 : Number(nprocFlag);
  if (!Number.isInteger(nproc) || nproc < 1) throw new ConfigError(`--nproc_per_node must be a positive integer, got ${nprocFlag}`);
  const node = nodeFlags(cli.flags);
  if ((nproc > 1 || node.nnodes > 1) && !env) return launch(cfg, nproc, node);
  const worker = env && (env.source === 'launcher' || cfg.train.distributed) && env.worldSize > 1 ? env : null;
  let comm: ProcessGroup | undefined;
  try {
    if (process.send) {
      // Started by the launcher or the queue with an IPC channel: stop cleanly if it goes away.
      process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
      process.channel?.unref();
    }
    if (worker) comm = joinProcessGroup(cfg, worker);
    // train.resume: set by --resume, or in the YAML as in the original (continue train.output_dir).
    const result = await runTraining(cfg, { resume: cfg.train.resume, dist: comm });
    comm?.close();
    if (!comm || comm.rank === 0) printJsonLine(resultLine(result));
    return result.status === 'completed' ? 0 : 130;
  } catch (err) {
    comm?.abort();
    if (worker && err instanceof Error && !err.message.startsWith('rank ')) err.message = `rank ${worker.rank}: ${err.message}`;
    throw err;
  }
});

/** The launcher: checks what would fail in every worker once, then starts them. */
async function launch(cfg: Config, nproc: number, node: ReturnType<typeof nodeFlags>): Promise<number> {
  checkPrecision(cfg.train.precision);
  checkDistributedConfig(cfg);
  const unsupported = multiProcessUnsupported(cfg.device);
  if (unsupported) throw new ConfigError(unsupported);
  const outputDir = path.resolve(cfg.train.output_dir);
  if (node.nodeRank === 0 && (cfg.train.resume || !onlySubmission(outputDir))) checkRunDir(outputDir, cfg.train.resume);
  // Download a missing dataset once, here, rather than in every worker.
  await ensureRunDataset(cfg, new Logger());
  return launchWorkers({ nproc, ...node, args: withoutFlags(process.argv.slice(2)), device: cfg.device, numThreads: cfg.num_threads, outputDir });
}

/** A worker of data-parallel training joins the process group of its rank. */
function joinProcessGroup(cfg: Config, worker: DistEnv): ProcessGroup {
  // srun / torchrun give every worker of a node the node's GPUs: take the local rank's one
  // (before any backend loads CUDA).
  const gpus = (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',').filter((g) => g.trim() !== '');
  if (worker.source !== 'launcher' && gpus.length > 1) process.env.CUDA_VISIBLE_DEVICES = gpus[worker.localRank % gpus.length];
  checkDistributedConfig(cfg);
  const unsupported = multiProcessUnsupported(cfg.device);
  if (unsupported) throw new ConfigError(unsupported);
  let at = worker;
  try {
    at = withDistKeys(worker, { init_method: cfg.train.dist.init_method, world_size: cfg.train.dist.world_size, node_rank: cfg.train.dist.node_rank });
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const loaded = loadAddon();
  const cuda = ['auto', 'cuda', 'gpu'].includes(cfg.device) && loaded.ok && loaded.addon.cudaDeviceCount() > 0;
  return ProcessGroup.join({ ...at, backend: cfg.train.dist.backend === 'gloo' ? 'gloo' : 'nccl', cuda });
}

function resultLine(result: TrainResult): TrainResultLine {
  return {
    status: result.status,
    output_dir: result.outputDir,
    epoch: result.epoch,
    val_loss: result.lastVal?.loss ?? null,
    val_accuracy: result.lastVal?.accuracy ?? null,
    checkpoint: result.lastCheckpoint ?? null,
  };
}
