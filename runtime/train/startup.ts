/**
 * The start of a training run, guarded: backend, data (with its loader's worker thread), model,
 * optimizer and the resume point are all set up before the run folder is touched; then the
 * folder's files are written (a new run's in a staging folder renamed into place, so a failed or
 * killed start leaves no folder; a resumed run's `config.yaml` only once its checkpoint loaded).
 * Any error releases everything acquired so far, so a failed start never hangs the process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyCores, contentionWarning, describeBackend, initBackend, toDevice, type BackendInfo } from '../backend';
import { ConfigError, configWarnings, dumpConfig, dumpMinConfig, type Config } from '../config';
import type { ProcessGroup } from '../distributed/process_group';
import { processThreads } from '../distributed/threads';
import { countParams, createModel } from '../models';
import type { BatchNormReducer } from '../models/ops/batch_norm_sync';
import { countMacs } from '../models/macs';
import type { Model } from '../models/types';
import { CONFIG_FILE, CONFIG_MIN_FILE, ENV_FILE, LOG_FILE, onlySubmission } from '../protocol/run_folder';
import { EventWriter } from '../protocol/writer';
import { writeTextAtomic } from '../util/atomic';
import { findLastCheckpoint, loadCheckpoint, loadModelTensors, restoreOptimizerState } from './checkpoint';
import { describeValSplit, ensureRunDataset, loadRunData, type RunData } from './data';
import { Logger } from './logger';
import { createOptimizer, type Optimizer } from './optim';
import { createLrSchedule } from './schedule';
import { checkRunDir, collectEnvInfo, commitRunDir, dumpEnvInfo, lockRunDir, removeLeftovers, stageRunDir, type RunLock } from './run_dir';
import { checkPrecision } from './preflight';

/** Where a run continues from. */
export interface StartPoint {
  /** Epochs completed. */
  epoch: number;
  /** Steps already done inside epoch `epoch + 1` (a run stopped mid-epoch); 0 otherwise. */
  stepInEpoch: number;
  globalStep: number;
  /** Running train meters of the partial epoch. */
  meters?: { loss: [number, number]; acc1: [number, number]; acc5: [number, number] };
  checkpoint?: string;
  /** The checkpoint is the final one of a completed schedule (its result): an extension keeps it. */
  final?: boolean;
}

/**
 * The random state saved in a checkpoint's `rng` field. Every random draw of a run is keyed, not
 * sequential: weights from (train.seed), the sample order of epoch e from (train.seed, e), the
 * augmentation of step s from (train.seed, e, s) (runtime/data/batch.ts). So the position in the
 * run is the whole state: `step_in_epoch` (0 at an epoch boundary) plus the epoch and global step of
 * the checkpoint header. `meters` keeps the partial epoch's running means for a mid-epoch resume.
 */
export interface ResumeState {
  scheme: 'keyed(seed, epoch, step)';
  seed: number;
  step_in_epoch: number;
  meters?: StartPoint['meters'];
  /** Data-parallel workers of the run (absent: 1); a resume with another count gets other batches. */
  world_size?: number;
}

/** The event log of rank 0, or nothing on the other ranks. */
export type Events = Pick<EventWriter, 'write' | 'close'>;
const NO_EVENTS: Events = { write: (e) => ({ ...e, time: '' }) as never, close: () => undefined };

/** Everything a started run holds; {@link RunContext.release} frees it all. */
export interface RunContext {
  outputDir: string;
  resume: boolean;
  logger: Logger;
  backend: BackendInfo;
  data: RunData;
  model: Model;
  params: number;
  /** Multiply-accumulates for one image (runtime/models/macs.ts); 0 on ranks other than 0. */
  macs: number;
  optimizer: Optimizer;
  /** Learning rate of iteration t (0-based). */
  lrAt: (t: number) => number;
  events: Events;
  start: StartPoint;
  tty?: boolean;
  dist?: ProcessGroup;
  /** Synchronised batch norm's reducer (`train.dist.use_sync_bn`), which the model was built with, and its time. */
  syncBatchNorm?: TimedReducer;
  /** Closes the loader (and its worker thread), frees model and optimizer, closes the logs, releases the folder's lock. */
  release(): void;
}

/** A batch-norm reducer and the milliseconds spent in it so far. */
export interface TimedReducer {
  reduce: BatchNormReducer;
  ms: number;
}

/** Synchronised batch norm's sum over the workers of `dist` (a blocking float64 all-reduce), timed. */
function timedReducer(dist: ProcessGroup): TimedReducer {
  const timed: TimedReducer = {
    ms: 0,
    reduce: (values) => {
      const t0 = performance.now();
      dist.sumF64(values);
      timed.ms += performance.now() - t0;
    },
  };
  return timed;
}

/**
 * A data-parallel run's backend check and its log lines.
 * @throws ConfigError (key `device`) when the backend is not libtorch (the c10d collectives need it)
 */
function checkDataParallel(cfg: Config, dist: ProcessGroup, backend: BackendInfo, logger: Logger): void {
  if (backend.engine !== 'libtorch') {
    throw new ConfigError(`training in several processes needs the libtorch backend (PyTorch's c10d collectives), but device ${cfg.device} gave ${backend.engine}`, { key: 'device' });
  }
  logger.info(`data parallel: ${dist.worldSize} workers (c10d ${dist.backendName}), train.batch_size ${cfg.train.batch_size} per worker (${cfg.train.batch_size * dist.worldSize} per step)`);
  const note = dist.ncclNote(backend.gpu !== undefined);
  if (note) logger.info(`CUDA tensors go through Gloo, not NCCL: ${note}`);
}

/** Synchronised batch norm's timed reducer when `train.dist.use_sync_bn` is on in a data-parallel run, else undefined. */
function syncBatchNormReducer(cfg: Config, dist: ProcessGroup | undefined): TimedReducer | undefined {
  return dist && cfg.train.distributed && cfg.train.dist.use_sync_bn ? timedReducer(dist) : undefined;
}

/** Options of {@link startRun} (those of runTraining). */
export interface StartOptions {
  resume?: boolean;
  quiet?: boolean;
  tty?: boolean;
  dist?: ProcessGroup;
}

/** The release steps of what has been acquired, run in reverse order, each once; errors in one do not stop the others. */
class Releases {
  private steps: Array<() => void> = [];

  add(step: () => void): void {
    this.steps.push(step);
  }

  run(): void {
    for (const step of this.steps.reverse()) {
      try {
        step();
      } catch {
        // best effort: the error that ended the run is the one reported
      }
    }
    this.steps = [];
  }
}

function startPoint(cfg: Config, c: Pick<RunContext, 'outputDir' | 'resume' | 'logger' | 'model' | 'optimizer' | 'data' | 'dist'>): StartPoint {
  if (c.resume) {
    const file = findLastCheckpoint(c.outputDir, { onSkip: (f, why) => c.logger.warn(`skipping checkpoint ${f}: ${why}`) });
    if (!file) {
      c.logger.warn(`no readable checkpoint in ${c.outputDir}: starting from epoch 0`);
      return { epoch: 0, stepInEpoch: 0, globalStep: 0 };
    }
    const ckpt = loadCheckpoint(file);
    loadModelTensors(c.model, ckpt);
    restoreOptimizerState(c.optimizer, ckpt.optimizer);
    const state = (ckpt.rng ?? { step_in_epoch: 0 }) as Partial<ResumeState>;
    const stepInEpoch = state.step_in_epoch ?? 0;
    const world = c.dist?.worldSize ?? 1;
    if ((state.world_size ?? 1) !== world) {
      c.logger.warn(`the run was trained by ${state.world_size ?? 1} worker(s) and resumes with ${world}: the global batch and the batches of the resumed epochs differ from the original run's`);
    }
    if (state.seed !== undefined && state.seed !== cfg.train.seed) {
      c.logger.warn(`train.seed is ${cfg.train.seed} but the run used ${state.seed}: the resumed batches will differ from the original run's`);
    }
    c.logger.info(`resuming from ${file}: epoch ${ckpt.epoch}${stepInEpoch ? ` step ${stepInEpoch}` : ''}, global step ${ckpt.global_step}`);
    const savedEpochs = (ckpt.config.scheduler as { epochs?: unknown } | undefined)?.epochs;
    const final = stepInEpoch === 0 && savedEpochs === ckpt.epoch;
    return { epoch: ckpt.epoch, stepInEpoch, globalStep: ckpt.global_step, meters: state.meters, checkpoint: file, final };
  }
  if (cfg.train.checkpoint) {
    const ckpt = loadCheckpoint(cfg.train.checkpoint);
    loadModelTensors(c.model, ckpt);
    c.logger.info(`initial weights from ${cfg.train.checkpoint}`);
  }
  return { epoch: cfg.train.start_epoch, stepInEpoch: 0, globalStep: cfg.train.start_epoch * c.data.trainLoader.stepsPerEpoch };
}

/**
 * Writes the run's config files: a new run's into a staging folder (with the lock) renamed to
 * `outputDir`, or in place when `outputDir` exists (empty, or Slurm's submission files); a resumed
 * run's `config.yaml` (it may carry new overrides) and `env.yaml` in place.
 */
function writeRunFiles(cfg: Config, outputDir: string, backend: BackendInfo, how: 'new' | 'resume' | 'submitted', releases: Releases): void {
  const env = dumpEnvInfo(collectEnvInfo(backend));
  if (how === 'new' && fs.existsSync(outputDir)) {
    // An empty folder given beforehand (it may be a mount point, which cannot be renamed over): written in
    // place under its lock; config.yaml first, so a killed start leaves a resumable folder or a stale lock.
    const lock = lockRunDir(outputDir);
    releases.add(() => lock.release());
    removeLeftovers(outputDir);
    how = 'submitted';
  }
  if (how !== 'new') {
    writeTextAtomic(path.join(outputDir, CONFIG_FILE), dumpConfig(cfg));
    if (how === 'submitted') writeMin(cfg, outputDir);
    writeTextAtomic(path.join(outputDir, ENV_FILE), env);
    return;
  }
  const staging = stageRunDir(outputDir);
  let committed = false;
  releases.add(() => {
    if (!committed) fs.rmSync(staging, { recursive: true, force: true });
  });
  const lock = lockRunDir(staging);
  releases.add(() => lock.release());
  writeTextAtomic(path.join(staging, CONFIG_FILE), dumpConfig(cfg));
  writeMin(cfg, staging);
  writeTextAtomic(path.join(staging, ENV_FILE), env);
  commitRunDir(staging, outputDir);
  committed = true;
  lock.moved(outputDir);
}

function writeMin(cfg: Config, dir: string): void {
  const min = dumpMinConfig(cfg);
  if (min.trim() !== '') writeTextAtomic(path.join(dir, CONFIG_MIN_FILE), min);
}

/**
 * Starts a run: checks, locks the folder of a resumed run, sets up backend, data, model, optimizer
 * and schedule, finds the resume point, then writes the run folder's files and opens its logs.
 * @throws RunDirError (folder exists, in use, cannot be created), ConfigError, data, backend and
 *   checkpoint errors; every resource acquired is released first, and the folder is as it was
 *   (a new run's is not created).
 */
export async function startRun(cfg: Config, opts: StartOptions = {}): Promise<RunContext> {
  const outputDir = path.resolve(cfg.train.output_dir);
  const resume = opts.resume ?? false;
  const dist = opts.dist && opts.dist.worldSize > 1 ? opts.dist : undefined;
  const lead = !dist || dist.rank === 0;
  checkPrecision(cfg.train.precision);
  // A run submitted to Slurm starts in a folder that holds only its slurm/ submission files.
  const submitted = !resume && onlySubmission(outputDir);
  if (lead && !submitted) checkRunDir(outputDir, resume);
  const releases = new Releases();
  const logger = new Logger(opts.quiet || !lead);
  releases.add(() => logger.close());
  try {
    let lock: RunLock | undefined;
    if (lead && (resume || submitted)) {
      lock = lockRunDir(outputDir);
      releases.add(() => lock!.release());
      for (const name of removeLeftovers(outputDir)) logger.info(`removed ${name}, left by an interrupted write`);
    }
    for (const w of configWarnings(cfg)) logger.warn(w);
    await ensureRunDataset(cfg, logger);
    const backend = await initBackend(toDevice(cfg.device), processThreads(cfg.num_threads), cfg.cudnn);
    logger.info(describeBackend(backend));
    if (!dist && !backend.gpu && backend.threads > 1) {
      const busy = contentionWarning(backend.threads, await busyCores(), os.availableParallelism());
      if (busy) logger.warn(busy);
    }
    if (dist) checkDataParallel(cfg, dist, backend, logger);
    const data = loadRunData(cfg, dist ? { rank: dist.rank, worldSize: dist.worldSize } : undefined);
    releases.add(() => data.close());
    if (data.trainLoader.stepsPerEpoch === 0) {
      const have = dist ? `the ${Math.ceil(data.train.n / dist.worldSize)} training images of each of the ${dist.worldSize} workers` : `the ${data.train.n} training images`;
      throw new ConfigError(`${cfg.train.batch_size} is larger than ${have}: no full batch per epoch`, { key: 'train.batch_size' });
    }
    const lrAt = createLrSchedule(cfg, data.trainLoader.stepsPerEpoch);
    const syncBatchNorm = syncBatchNormReducer(cfg, dist);
    const model = createModel(cfg, { syncBatchNorm: syncBatchNorm?.reduce });
    releases.add(() => model.dispose());
    const optimizer = createOptimizer(cfg.train, model.params, cfg.optim);
    releases.add(() => optimizer.dispose());
    logger.info(
      `${cfg.dataset.name}: ${data.train.n} train images (${data.train.files[0]}), ${describeValSplit(data.valSplit)}; ${data.trainLoader.stepsPerEpoch} steps per epoch`,
    );
    const params = countParams(model);
    // Only rank 0 writes run_start: the other workers skip the traced forward pass.
    const macs = lead ? countMacs(model, data.imageShape) : 0;
    logger.info(`model ${cfg.model.type}/${cfg.model.name}: ${params.toLocaleString('en-US')} parameters, ${macs.toLocaleString('en-US')} MACs per image`);
    const start = startPoint(cfg, { outputDir, resume, logger, model, optimizer, data, dist });

    let events: Events = NO_EVENTS;
    if (lead) {
      // Only now, with everything that can refuse the run checked, is the folder written.
      writeRunFiles(cfg, outputDir, backend, resume ? 'resume' : submitted ? 'submitted' : 'new', releases);
      logger.attachFile(path.join(outputDir, LOG_FILE));
      const writer = new EventWriter(outputDir);
      events = writer;
      releases.add(() => writer.close());
    }
    return { outputDir, resume, logger, backend, data, model, params, macs, optimizer, lrAt, events, start, tty: opts.tty, dist, syncBatchNorm, release: () => releases.run() };
  } catch (err) {
    releases.run();
    throw err;
  }
}
