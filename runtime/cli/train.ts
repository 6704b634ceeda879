/**
 * `npm run train -- [--config FILE.yaml] [--resume RUN_DIR] [--nproc_per_node N] [key value …]`
 * Trains a classifier; see README "Training". Prints a final JSON line:
 * `{"status":…,"output_dir":…,"epoch":…,"val_loss":…,"val_accuracy":…,"checkpoint":…}`.
 * With `--nproc_per_node N` it launches N data-parallel workers (runtime/dist/launch.ts); a
 * process started with a rank in its environment (by that launcher, torchrun-style variables or
 * `srun`) is one of those workers (runtime/dist/env.ts).
 */
import * as path from 'node:path';
import { ConfigError } from '../config';
import { distEnvFrom } from '../dist/env';
import { launchWorkers } from '../dist/launch';
import { RingComm } from '../dist/ring';
import { onlySubmission } from '../slurm/script';
import { ensureRunDataset } from '../train/data';
import { Logger } from '../train/logger';
import { checkRunDir } from '../train/run_dir';
import { checkPrecision } from '../train/step';
import { checkDistributedConfig, runTraining } from '../train/trainer';
import { applyNoDownload, NO_DOWNLOAD_FLAG, parseConfigCli, printJsonLine, runCli } from './main';

const USAGE = `Usage: npm run train -- [--config FILE.yaml] [--resume RUN_DIR] [--nproc_per_node N] [key value ...]

Trains the model of the config (defaults, then FILE.yaml, then the key value pairs) and writes
the run folder train.output_dir: config.yaml, config_min.yaml, env.yaml, log.txt, events.jsonl,
checkpoint_NNNNN.ckpt. --resume RUN_DIR continues a stopped or killed run from its last checkpoint.
--nproc_per_node N trains data-parallel in N worker processes (one per GPU, or N on the CPU);
train.batch_size is per worker (see docs/distributed.md). A built-in dataset that is not found is
downloaded first (torchvision's archives, into ~/.cache/image-classification-lab or $ICL_DATA_DIR);
--no-download (dataset.download False) turns that off.`;

/** Argument list without `--nproc_per_node N` / `--nproc_per_node=N`. */
function withoutNproc(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--nproc_per_node') i++;
    else if (!argv[i].startsWith('--nproc_per_node=')) out.push(argv[i]);
  }
  return out;
}

runCli(async () => {
  const cli = parseConfigCli(USAGE, { nproc_per_node: { type: 'string', description: 'data-parallel worker processes on this machine (one per GPU)' }, ...NO_DOWNLOAD_FLAG }, true);
  if (!cli) return 0;
  const cfg = cli.config;
  applyNoDownload(cli);
  const env = distEnvFrom();
  const nprocFlag = cli.flags.nproc_per_node;
  const nproc = nprocFlag === undefined ? 1 : Number(nprocFlag);
  if (!Number.isInteger(nproc) || nproc < 1) throw new ConfigError(`--nproc_per_node must be a positive integer, got ${nprocFlag}`);
  if (nproc > 1 && !env) {
    // The launcher: check what would fail in every worker once, then start them.
    checkPrecision(cfg.train.precision);
    checkDistributedConfig({ ...cfg, train: { ...cfg.train, distributed: true } } as typeof cfg);
    const outputDir = path.resolve(cfg.train.output_dir);
    if (cfg.train.resume || !onlySubmission(outputDir)) checkRunDir(outputDir, cfg.train.resume);
    // Download a missing dataset once, here, rather than in every worker.
    await ensureRunDataset(cfg, new Logger());
    return launchWorkers({ nproc, args: withoutNproc(process.argv.slice(2)), device: cfg.device, numThreads: cfg.num_threads, outputDir });
  }
  const worker = env && (env.source === 'launcher' || cfg.train.distributed) && env.worldSize > 1 ? env : null;
  let comm: RingComm | undefined;
  try {
    if (process.send) {
      // Started by the launcher or the queue with an IPC channel: stop cleanly if it goes away.
      process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
      process.channel?.unref();
    }
    if (worker) {
      // srun / torchrun give every worker of a node the node's GPUs: take the local rank's one
      // (before any backend loads CUDA).
      const gpus = (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',').filter((g) => g.trim() !== '');
      if (worker.source !== 'launcher' && gpus.length > 1) process.env.CUDA_VISIBLE_DEVICES = gpus[worker.localRank % gpus.length];
      comm = await RingComm.connect({ rank: worker.rank, worldSize: worker.worldSize, masterAddr: worker.masterAddr, masterPort: worker.masterPort });
    }
    // train.resume: set by --resume, or in the YAML as in the original (continue train.output_dir).
    const result = await runTraining(cfg, { resume: cfg.train.resume, dist: comm });
    comm?.close();
    if (comm && comm.rank !== 0) return result.status === 'completed' ? 0 : 130;
    printJsonLine({
      status: result.status,
      output_dir: result.outputDir,
      epoch: result.epoch,
      val_loss: result.lastVal?.loss ?? null,
      val_accuracy: result.lastVal?.accuracy ?? null,
      checkpoint: result.lastCheckpoint ?? null,
    });
    return result.status === 'completed' ? 0 : 130;
  } catch (err) {
    comm?.abort();
    if (worker && err instanceof Error && !err.message.startsWith('rank ')) err.message = `rank ${worker.rank}: ${err.message}`;
    throw err;
  }
});
