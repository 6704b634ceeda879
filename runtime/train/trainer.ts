/**
 * One training run, as the original's train.py: run folder, configs, backend, data, model,
 * optimizer and per-iteration lr schedule, optional validation before training, epochs of
 * training with periodic validation and checkpoints, events and logs throughout, clean stop on
 * SIGINT/SIGTERM, and resume from the last good checkpoint.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ConfigError, configToPlainObject, type Config } from '../config';
import type { ProcessGroup } from '../distributed/process_group';
import { anyOver, gradExchange, sumOver } from '../distributed/sync';
import { setBatchNormSync } from '../models/ops/batch_norm_sync';
import { PROTOCOL_VERSION, type RunStatus, type SplitMetrics } from '../protocol/events';
import { readEvents } from '../protocol/reader';
import { modelTensors, saveCheckpoint } from './checkpoint';
import { evaluateModel } from './evaluate';
import { AverageMeter } from './metrics';
import { formatDuration, Progress } from './progress';
import { startRun, type ResumeState, type RunContext, type StartPoint } from './startup';
import { trainStep, trainStepExchanged, trainStepOptions } from './step';
import { TensorBoardRunWriter } from './tensorboard/run_writer';

/** Options of {@link runTraining}. */
export interface TrainOptions {
  /** Continue the run in `cfg.train.output_dir` from its last good checkpoint. */
  resume?: boolean;
  /** Do not print to the console (tests). */
  quiet?: boolean;
  /** Progress bar on a terminal; default: stderr is a TTY. */
  tty?: boolean;
  /**
   * Data-parallel training: this worker's process group (runtime/distributed). Every worker runs
   * runTraining on its shard of the data; gradients are averaged every step, metrics summed; only
   * rank 0 writes the run folder, logs and events.
   */
  dist?: ProcessGroup;
}

/**
 * Checks the distributed options (`train.dist.*`) of a config before any worker starts; called by the launcher, the
 * workers and `submit --slurm`. `backend` nccl and gloo and `init_method` env:// and tcp://HOST:PORT are
 * implemented (docs/distributed.md); mpi and file:// are not.
 * @throws ConfigError naming the key and what is expected
 */
export function checkDistributedConfig(cfg: Config): void {
  if (!cfg.train.distributed) return;
  const d = cfg.train.dist;
  if (d.backend === 'mpi') throw new ConfigError(`train.dist.backend: mpi is not available (this runtime has PyTorch's c10d Gloo and NCCL); use nccl or gloo`, { key: 'train.dist.backend' });
  if (d.init_method !== 'env://' && !/^tcp:\/\/[^:/\s]+:\d+\/?$/.test(d.init_method)) {
    throw new ConfigError(`train.dist.init_method: expected env:// or tcp://HOST:PORT, got ${JSON.stringify(d.init_method)}`, { key: 'train.dist.init_method' });
  }
}

/** Result of a run. */
export interface TrainResult {
  status: RunStatus;
  outputDir: string;
  epoch: number;
  lastVal?: SplitMetrics;
  lastCheckpoint?: string;
}

class Meters {
  loss = new AverageMeter();
  acc1 = new AverageMeter();
  acc5 = new AverageMeter();

  snapshot(): NonNullable<StartPoint['meters']> {
    return {
      loss: [this.loss.mean * this.loss.n || 0, this.loss.n],
      acc1: [this.acc1.mean * this.acc1.n || 0, this.acc1.n],
      acc5: [this.acc5.mean * this.acc5.n || 0, this.acc5.n],
    };
  }

  restore(s: NonNullable<StartPoint['meters']>): void {
    if (s.loss[1] > 0) this.loss.add(s.loss[0] / s.loss[1], s.loss[1]);
    if (s.acc1[1] > 0) this.acc1.add(s.acc1[0] / s.acc1[1], s.acc1[1]);
    if (s.acc5[1] > 0) this.acc5.add(s.acc5[0] / s.acc5[1], s.acc5[1]);
  }
}

/**
 * Trains `cfg` to the end of its schedule, or until SIGINT/SIGTERM (then it finishes the current
 * step, writes a checkpoint and a `run_end` event with status `stopped`).
 * @throws RunDirError / ConfigError / data and backend errors before training starts (nothing
 *   written but what the folder already had); errors during training are recorded as a `run_end`
 *   event with status `failed` and re-thrown.
 */
export async function runTraining(cfg: Config, opts: TrainOptions = {}): Promise<TrainResult> {
  checkDistributedConfig(cfg);
  const run = await startRun(cfg, opts);
  try {
    return await trainLoop(cfg, run);
  } finally {
    run.release();
  }
}

async function trainLoop(cfg: Config, c: RunContext): Promise<TrainResult> {
  const { logger, data, model, optimizer, events, lrAt, dist } = c;
  const stepsPerEpoch = data.trainLoader.stepsPerEpoch;
  const epochs = cfg.scheduler.epochs;
  const { start } = c;
  if (start.checkpoint && start.epoch >= epochs && start.stepInEpoch === 0) {
    // Resuming a finished run: nothing to train. Report its result instead of appending an empty run.
    const vals = readEvents(c.outputDir).events.filter((e) => e.type === 'epoch' && e.val !== undefined);
    const last = vals[vals.length - 1];
    logger.info(`the run already completed its ${epochs} epochs (${start.checkpoint}); to train longer, resume with scheduler.epochs larger than ${epochs}`);
    return { status: 'completed', outputDir: c.outputDir, epoch: start.epoch, lastVal: last?.type === 'epoch' ? last.val : undefined, lastCheckpoint: start.checkpoint };
  }
  const stepOpts = trainStepOptions(cfg, data.imageShape, data.nClasses);
  const world = dist?.worldSize ?? 1;
  const lead = !dist || dist.rank === 0;
  if (dist) {
    // The replicas start equal (same seed or checkpoint); make it certain, bit for bit.
    dist.broadcastVariables([...model.params.map((p) => p.variable), ...model.buffers.map((b) => b.variable)]);
  }
  // Synchronised batch norm (PyTorch's SyncBatchNorm): every training-mode BN layer sums its
  // statistics over the workers with a blocking all-reduce of the process group (removed in finally).
  const bnSync = dist && cfg.train.distributed && cfg.train.dist.use_sync_bn ? { ms: 0 } : undefined;
  if (dist && bnSync) {
    setBatchNormSync((values) => {
      const t0 = performance.now();
      dist.sumF64(values);
      bnSync.ms += performance.now() - t0;
    });
    logger.info(`synchronised batch norm: statistics of the global batch of ${world} workers (train.dist.use_sync_bn)`);
  }

  events.write({
    type: 'run_start',
    protocol: PROTOCOL_VERSION,
    config: configToPlainObject(cfg),
    backend: c.backend.backend,
    threads: c.backend.threads,
    output_dir: c.outputDir,
    params: c.params,
    macs: c.macs,
    steps_per_epoch: stepsPerEpoch,
    epochs,
    world_size: world,
    pid: process.pid,
    host: os.hostname(),
    ...(dist ? { workers: dist.workers } : {}),
    ...(start.checkpoint ? { resumed_from: { epoch: start.epoch, checkpoint: start.checkpoint } } : {}),
    val_split: data.valSplit,
  });
  // TensorBoard event files as the original's (rank 0, like the event log): opened in the try, closed in its finally.
  let tb: TensorBoardRunWriter | undefined;

  let stopSignal: string | undefined;
  /** Data-parallel: whether any worker was asked to stop, as agreed at the last exchange. */
  let agreedStop = false;
  const stopRequested = () => (dist ? agreedStop : stopSignal !== undefined);
  let batchN = 0;
  const exchange = dist ? gradExchange(dist, model, () => batchN, () => stopSignal !== undefined, (stop) => (agreedStop ||= stop)) : undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopSignal) return;
    stopSignal = sig;
    logger.warn(`${sig} received: stopping after this step and writing a checkpoint (send again to stop at once)`);
    process.once(sig, () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let epoch = start.epoch;
  let globalStep = start.globalStep;
  let lastVal: SplitMetrics | undefined;
  let lastCheckpoint: string | undefined;

  const valLoader = data.valLoader;
  const valPeriod = valLoader ? cfg.train.val_period : 0;
  const validate = async (e: number): Promise<SplitMetrics> => {
    if (!valLoader) throw new Error('validate: no validation set');
    const t0 = Date.now();
    const progress = new Progress(`Val ${e}`, valLoader.stepsPerEpoch, logger, Number.MAX_SAFE_INTEGER, c.tty);
    let batches = 0;
    // Data parallel: rank 0's BN statistics (the ones checkpointed, as DDP's broadcast_buffers),
    // each worker on its slice of the validation set, sums reduced.
    if (dist) dist.broadcastVariables(model.buffers.map((b) => b.variable));
    const local = await evaluateModel(model, valLoader.epoch(0), data.imageShape, data.nClasses, { onBatch: () => progress.update(++batches) });
    progress.stop();
    let r = local;
    if (dist) {
      const [loss, c1, c5, n] = sumOver(dist, [local.loss * local.n || 0, (local.accuracy * local.n) || 0, ((local.accuracy5 ?? 0) * local.n) || 0, local.n]);
      r = { loss: loss / n, accuracy: c1 / n, accuracy5: c5 / n, n };
    }
    logger.info(
      `Val epoch ${e} loss ${r.loss.toFixed(4)} acc@1 ${r.accuracy.toFixed(4)} acc@5 ${(r.accuracy5 ?? NaN).toFixed(4)} (${formatDuration((Date.now() - t0) / 1000)})`,
    );
    tb?.validation(e, r, (Date.now() - t0) / 1000, model);
    await tb?.valImages(e, valLoader.epoch(0), data.imageShape);
    return { loss: r.loss, accuracy: r.accuracy, accuracy5: r.accuracy5 };
  };

  const checkpoint = (e: number, stepInEpoch: number, meters?: Meters): string | undefined => {
    if (!lead) return undefined;
    const { params, buffers } = modelTensors(model);
    const state: ResumeState = {
      scheme: 'keyed(seed, epoch, step)',
      seed: cfg.train.seed,
      step_in_epoch: stepInEpoch,
      ...(meters ? { meters: meters.snapshot() } : {}),
      ...(dist ? { world_size: world } : {}),
    };
    const file = saveCheckpoint(c.outputDir, e, {
      global_step: globalStep,
      params,
      buffers,
      optimizer: optimizer.getState(),
      rng: state,
      config: configToPlainObject(cfg),
    }, { stepInEpoch });
    events.write({ type: 'checkpoint', epoch: e, path: file });
    logger.info(`checkpoint ${file}`);
    lastCheckpoint = file;
    return file;
  };

  // The resume point of the last epoch between periodic checkpoints: removed once a newer checkpoint is complete.
  const periodic = (file: string): boolean => {
    const m = /checkpoint_(\d+)\.ckpt$/.exec(file);
    return m === null || Number(m[1]) % cfg.train.checkpoint_period === 0;
  };
  // The final checkpoint of a completed schedule is its result (named by its result line): extending the run keeps it.
  let rolling = start.checkpoint && !start.final && !periodic(start.checkpoint) ? start.checkpoint : undefined;
  const dropRollingCheckpoint = (): void => {
    if (rolling && rolling !== lastCheckpoint) fs.rmSync(rolling, { force: true });
    rolling = undefined;
  };

  try {
    if (lead && cfg.train.use_tensorboard) tb = new TensorBoardRunWriter(c.outputDir, cfg.tensorboard, { resumed: c.resume, ...start });
    if (cfg.train.val_first && valPeriod > 0 && epoch === 0 && start.stepInEpoch === 0) {
      lastVal = await validate(0);
      events.write({ type: 'epoch', epoch: 0, val: lastVal, lr: lrAt(0), elapsed_s: 0 });
    }
    let resumeStep = start.stepInEpoch;
    while (epoch < epochs && !stopRequested()) {
      const e = epoch + 1;
      const meters = new Meters();
      if (resumeStep > 0 && start.meters) meters.restore(start.meters);
      const t0 = Date.now();
      let windowStart = Date.now();
      let windowImages = 0;
      let windowSteps = 0;
      let windowCommMs = dist?.stats.ms ?? 0;
      let windowBnMs = bnSync?.ms ?? 0;
      let lr = lrAt(globalStep);
      let stepsDone = resumeStep;
      const progress = new Progress(`Epoch ${e}/${epochs}`, stepsPerEpoch, logger, cfg.train.log_period, c.tty);
      if (resumeStep > 0) progress.update(resumeStep);
      for await (const batch of data.trainLoader.epoch(e, { startStep: resumeStep + 1 })) {
        lr = lrAt(globalStep);
        tb?.trainBatch(e, batch, data.imageShape);
        // Data parallel: each worker draws its own training noise (rank 0 the single-process one).
        model.setStep?.(globalStep + (dist ? dist.rank * 2 ** 40 : 0));
        batchN = batch.n;
        const r = exchange
          ? await trainStepExchanged(model, optimizer, batch, lr, stepOpts, exchange)
          : { ...trainStep(model, optimizer, batch, lr, stepOpts), n: batch.n };
        if (!Number.isFinite(r.loss)) {
          throw new Error(`loss became ${r.loss} at epoch ${e} step ${batch.index} (lr ${lr}); lower train.base_lr or check the data`);
        }
        globalStep++;
        stepsDone = batch.index;
        meters.loss.add(r.loss, r.n);
        meters.acc1.add(r.correct1 / r.n, r.n);
        meters.acc5.add(r.correct5 / r.n, r.n);
        windowImages += r.n;
        windowSteps++;
        const last = batch.index === stepsPerEpoch;
        const seconds = (Date.now() - windowStart) / 1000;
        const imagesPerSec = windowImages / Math.max(seconds, 1e-9);
        progress.update(batch.index, { loss: meters.loss.mean, accuracy: meters.acc1.mean, lr, imagesPerSec });
        if (batch.index % cfg.train.log_period === 0 || last) {
          const commMs = dist ? (dist.stats.ms - windowCommMs) / Math.max(windowSteps, 1) : undefined;
          events.write({
            type: 'step', epoch: e, step: batch.index, global_step: globalStep, loss: r.loss,
            accuracy: r.correct1 / r.n, lr, images_per_sec: imagesPerSec,
            running: { loss: meters.loss.mean, accuracy: meters.acc1.mean, accuracy5: meters.acc5.mean },
            ...(commMs !== undefined ? { allreduce_ms: commMs } : {}),
          });
          tb?.runningStep(globalStep, { loss: meters.loss.mean, acc1: meters.acc1.mean, acc5: meters.acc5.mean }, lr);
          logger.fileOnly(
            `Epoch ${e} Step ${batch.index}/${stepsPerEpoch} lr ${lr.toPrecision(6)} loss ${r.loss.toFixed(4)} (${meters.loss.mean.toFixed(4)}) ` +
              `acc@1 ${(r.correct1 / r.n).toFixed(4)} (${meters.acc1.mean.toFixed(4)}) acc@5 ${(r.correct5 / r.n).toFixed(4)} (${meters.acc5.mean.toFixed(4)}) ${imagesPerSec.toFixed(1)} img/s` +
              (commMs !== undefined ? ` all-reduce ${commMs.toFixed(1)} ms/step` : '') +
              (bnSync ? ` sync-BN ${((bnSync.ms - windowBnMs) / Math.max(windowSteps, 1)).toFixed(1)} ms/step` : ''),
          );
          windowStart = Date.now();
          windowImages = 0;
          windowSteps = 0;
          windowCommMs = dist?.stats.ms ?? 0;
          windowBnMs = bnSync?.ms ?? 0;
        }
        // Let the event loop run (signals, worker messages): prefetched batches resolve as microtasks,
        // which alone would never return to it.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (stopRequested()) break;
      }
      progress.stop();
      resumeStep = 0;
      if (stopRequested() && stepsDone < stepsPerEpoch) {
        checkpoint(epoch, stepsDone, meters);
        break;
      }
      epoch = e;
      const elapsed = (Date.now() - t0) / 1000;
      logger.info(
        `Epoch ${e}/${epochs} train loss ${meters.loss.mean.toFixed(4)} acc@1 ${meters.acc1.mean.toFixed(4)} lr ${lr.toPrecision(4)} elapsed ${formatDuration(elapsed)}`,
      );
      tb?.trainEpoch(e, { loss: meters.loss.mean, acc1: meters.acc1.mean, acc5: meters.acc5.mean }, elapsed, lrAt(globalStep));
      let val: SplitMetrics | undefined;
      if (valPeriod > 0 && e % valPeriod === 0) {
        val = await validate(e);
        lastVal = val;
      }
      events.write({
        type: 'epoch', epoch: e, train: { loss: meters.loss.mean, accuracy: meters.acc1.mean, accuracy5: meters.acc5.mean },
        ...(val ? { val } : {}), lr, elapsed_s: elapsed,
      });
      if (dist) agreedStop = anyOver(dist, agreedStop || stopSignal !== undefined);
      // Every epoch is checkpointed: periodic ones and the last are kept; one in between is the resume point until the
      // next is complete (then removed), so a crash or a killed job loses at most one epoch.
      const file = checkpoint(e, 0);
      dropRollingCheckpoint();
      if (!(e % cfg.train.checkpoint_period === 0 || e === epochs || stopRequested())) rolling = file;
    }
    const status: RunStatus = stopRequested() ? 'stopped' : 'completed';
    events.write({ type: 'run_end', status, epoch });
    logger.info(`run ${status} at epoch ${epoch}; run folder ${c.outputDir}`);
    return { status, outputDir: c.outputDir, epoch, lastVal, lastCheckpoint };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    try {
      events.write({ type: 'run_end', status: 'failed', epoch, error: { message } });
      logger.error(message);
    } catch {
      // e.g. a full disk: the error that ended the run is the one reported
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    tb?.close();
    if (bnSync) setBatchNormSync(null);
  }
}
