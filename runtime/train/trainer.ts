/**
 * One training run, as the original's train.py: run folder, configs, backend, data, model,
 * optimizer and per-iteration lr schedule (startup.ts), optional validation before training, epochs of
 * training with periodic validation and checkpoints, events and logs throughout, clean stop on
 * SIGINT/SIGTERM, and resume from the last good checkpoint. Its parts: the stop signal
 * (stop_signal.ts), the throughput meter (throughput.ts), the checkpoint policy
 * (checkpoint_policy.ts) and validation (validation.ts); this file runs the epochs and writes
 * the events and log lines.
 */
import * as os from 'node:os';
import { configToPlainObject, type Config } from '../config';
import type { ProcessGroup } from '../distributed/process_group';
import { gradExchange } from '../distributed/sync';
import { PROTOCOL_VERSION, type RunStatus, type SplitMetrics } from '../protocol/events';
import { readEvents } from '../protocol/reader';
import { modelTensors, saveCheckpoint } from './checkpoint';
import { CheckpointPolicy } from './checkpoint_policy';
import { AverageMeter } from './metrics';
import { checkDistributedConfig } from './preflight';
import { formatDuration, Progress } from './progress';
import { startRun, type ResumeState, type RunContext, type StartPoint } from './startup';
import { trainStep, trainStepExchanged, trainStepOptions, type GradExchange, type StepOptions } from './step';
import { StopSignal } from './stop_signal';
import { TensorBoardRunWriter } from './tensorboard/run_writer';
import { ThroughputMeter, type ThroughputFigures } from './throughput';
import { validate } from './validation';

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

/** Result of a run. */
export interface TrainResult {
  status: RunStatus;
  outputDir: string;
  epoch: number;
  lastVal?: SplitMetrics;
  lastCheckpoint?: string;
}

/** The running means of an epoch's training loss and top-1/top-5 accuracy. */
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

  /** Adds one step's measurements (weighted by its images). */
  add(r: { loss: number; correct1: number; correct5: number; n: number }): void {
    this.loss.add(r.loss, r.n);
    this.acc1.add(r.correct1 / r.n, r.n);
    this.acc5.add(r.correct5 / r.n, r.n);
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
  if (cfg.train.distributed) checkDistributedConfig(cfg);
  const run = await startRun(cfg, opts);
  try {
    return await trainLoop(cfg, run);
  } finally {
    run.release();
  }
}


/** Resuming a run that already completed its schedule: its result, without appending an empty run. */
function completedRun(cfg: Config, c: RunContext): TrainResult | undefined {
  const { start } = c;
  const epochs = cfg.scheduler.epochs;
  if (!start.checkpoint || start.epoch < epochs || start.stepInEpoch !== 0) return undefined;
  const vals = readEvents(c.outputDir).events.filter((e) => e.type === 'epoch' && e.val !== undefined);
  const last = vals[vals.length - 1];
  c.logger.info(`the run already completed its ${epochs} epochs (${start.checkpoint}); to train longer, resume with scheduler.epochs larger than ${epochs}`);
  return { status: 'completed', outputDir: c.outputDir, epoch: start.epoch, lastVal: last?.type === 'epoch' ? last.val : undefined, lastCheckpoint: start.checkpoint };
}

async function trainLoop(cfg: Config, c: RunContext): Promise<TrainResult> {
  return completedRun(cfg, c) ?? (await new TrainingLoop(cfg, c).run());
}

/** One step's measurements over all workers: loss (batch mean), top-1/top-5 correct counts, images. */
type StepFigures = { loss: number; correct1: number; correct5: number; n: number };

/** The epochs of one run: training steps, events and log lines, validation and checkpoints. */
class TrainingLoop {
  private readonly lead: boolean;
  private readonly world: number;
  private readonly stepOpts: StepOptions;
  /** Synchronised batch norm's time in its reductions (ms), when on. */
  private readonly bnSync: { ms: number } | undefined;
  private readonly stop: StopSignal;
  private readonly policy: CheckpointPolicy;
  private readonly exchange: GradExchange | undefined;
  private tb: TensorBoardRunWriter | undefined;
  private epoch: number;
  private globalStep: number;
  private lastVal: SplitMetrics | undefined;
  private lastCheckpoint: string | undefined;
  /** Images of the current batch (the gradient exchange weighs the loss by it). */
  private batchN = 0;

  constructor(
    private readonly cfg: Config,
    private readonly c: RunContext,
  ) {
    const { data, model, dist, start } = c;
    this.stepOpts = trainStepOptions(cfg, data.imageShape, data.nClasses);
    this.world = dist?.worldSize ?? 1;
    this.lead = !dist || dist.rank === 0;
    this.epoch = start.epoch;
    this.globalStep = start.globalStep;
    if (dist) {
      // The replicas start equal (same seed or checkpoint); make it certain, bit for bit.
      dist.broadcastVariables([...model.params.map((p) => p.variable), ...model.buffers.map((b) => b.variable)]);
    }
    this.bnSync = this.installBatchNormSync();
    this.writeRunStart();
    this.stop = new StopSignal(c.logger, dist);
    this.exchange = dist ? gradExchange(dist, model, () => this.batchN, () => this.stop.local, this.stop.onExchange) : undefined;
    this.policy = new CheckpointPolicy(cfg.train.checkpoint_period, cfg.scheduler.epochs, start);
  }

  /** Synchronised batch norm (PyTorch's SyncBatchNorm): the model was built with the reducer (startRun); its timer. */
  private installBatchNormSync(): { ms: number } | undefined {
    const bnSync = this.c.syncBatchNorm;
    if (bnSync) this.c.logger.info(`synchronised batch norm: statistics of the global batch of ${this.world} workers (train.dist.use_sync_bn)`);
    return bnSync;
  }

  private writeRunStart(): void {
    const { cfg, c } = this;
    const { start, dist } = c;
    c.events.write({
      type: 'run_start',
      protocol: PROTOCOL_VERSION,
      config: configToPlainObject(cfg),
      backend: c.backend.backend,
      threads: c.backend.threads,
      output_dir: c.outputDir,
      params: c.params,
      macs: c.macs,
      steps_per_epoch: c.data.trainLoader.stepsPerEpoch,
      epochs: cfg.scheduler.epochs,
      world_size: this.world,
      pid: process.pid,
      host: os.hostname(),
      ...(dist ? { workers: dist.workers } : {}),
      ...(start.checkpoint ? { resumed_from: { epoch: start.epoch, checkpoint: start.checkpoint } } : {}),
      val_split: c.data.valSplit,
    });
  }

  /** Trains to the end of the schedule or a stop; records a failure as `run_end` failed and re-throws it. */
  async run(): Promise<TrainResult> {
    const { cfg, c } = this;
    try {
      // TensorBoard event files as the original's (rank 0, like the event log).
      if (this.lead && cfg.train.use_tensorboard) this.tb = new TensorBoardRunWriter(c.outputDir, cfg.tensorboard, { resumed: c.resume, ...c.start });
      if (cfg.train.val_first && this.validates() && this.epoch === 0 && c.start.stepInEpoch === 0) {
        this.lastVal = await this.validate(0);
        c.events.write({ type: 'epoch', epoch: 0, val: this.lastVal, lr: c.lrAt(0), elapsed_s: 0 });
      }
      let resumeStep = c.start.stepInEpoch;
      while (this.epoch < cfg.scheduler.epochs && !this.stop.requested()) {
        const complete = await this.trainEpoch(this.epoch + 1, resumeStep);
        resumeStep = 0;
        if (!complete) break;
      }
      const status: RunStatus = this.stop.requested() ? 'stopped' : 'completed';
      c.events.write({ type: 'run_end', status, epoch: this.epoch });
      c.logger.info(`run ${status} at epoch ${this.epoch}; run folder ${c.outputDir}`);
      return { status, outputDir: c.outputDir, epoch: this.epoch, lastVal: this.lastVal, lastCheckpoint: this.lastCheckpoint };
    } catch (err) {
      this.recordFailure(err);
      throw err;
    } finally {
      this.dispose();
    }
  }

  private recordFailure(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    try {
      this.c.events.write({ type: 'run_end', status: 'failed', epoch: this.epoch, error: { message } });
      this.c.logger.error(message);
    } catch {
      // e.g. a full disk: the error that ended the run is the one reported
    }
  }

  private dispose(): void {
    this.stop.dispose();
    this.tb?.close();
  }

  /** Whether the run validates at all (a validation set and `train.val_period` > 0). */
  private validates(): boolean {
    return this.c.data.valLoader !== null && this.cfg.train.val_period > 0;
  }

  private validate(epoch: number): Promise<SplitMetrics> {
    const { model, data, logger, tty, dist } = this.c;
    return validate({ model, data, logger, tty, dist, tb: () => this.tb }, epoch);
  }

  /**
   * Epoch `e` from step `resumeStep + 1`, then its validation, `epoch` event and checkpoint.
   * @returns false when the run stopped inside the epoch (its mid-epoch checkpoint is written)
   */
  private async trainEpoch(e: number, resumeStep: number): Promise<boolean> {
    const { c } = this;
    const meters = new Meters();
    if (resumeStep > 0 && c.start.meters) meters.restore(c.start.meters);
    const t0 = Date.now();
    const { stepsDone, lr } = await this.runSteps(e, resumeStep, meters);
    if (this.stop.requested() && stepsDone < c.data.trainLoader.stepsPerEpoch) {
      this.checkpoint(this.epoch, stepsDone, meters);
      return false;
    }
    this.epoch = e;
    await this.endEpoch(e, meters, lr, (Date.now() - t0) / 1000);
    return true;
  }

  /** The steps of epoch `e` after `resumeStep`, until its end or a stop. */
  private async runSteps(e: number, resumeStep: number, meters: Meters): Promise<{ stepsDone: number; lr: number }> {
    const { cfg, c } = this;
    const { data, model, dist } = c;
    const stepsPerEpoch = data.trainLoader.stepsPerEpoch;
    const meter = new ThroughputMeter({ commMs: dist ? () => dist.stats.ms : undefined, bnMs: this.bnSync ? () => this.bnSync!.ms : undefined });
    let lr = c.lrAt(this.globalStep);
    let stepsDone = resumeStep;
    const progress = new Progress(`Epoch ${e}/${cfg.scheduler.epochs}`, stepsPerEpoch, c.logger, cfg.train.log_period, c.tty);
    if (resumeStep > 0) progress.update(resumeStep);
    for await (const batch of data.trainLoader.epoch(e, { startStep: resumeStep + 1 })) {
      lr = c.lrAt(this.globalStep);
      this.tb?.trainBatch(e, batch, data.imageShape);
      // Data parallel: each worker draws its own training noise (rank 0 the single-process one).
      model.setStep?.(this.globalStep + (dist ? dist.rank * 2 ** 40 : 0));
      this.batchN = batch.n;
      const r: StepFigures = this.exchange
        ? await trainStepExchanged(model, c.optimizer, batch, lr, this.stepOpts, this.exchange)
        : { ...trainStep(model, c.optimizer, batch, lr, this.stepOpts), n: batch.n };
      if (!Number.isFinite(r.loss)) {
        throw new Error(`loss became ${r.loss} at epoch ${e} step ${batch.index} (lr ${lr}); lower train.base_lr or check the data`);
      }
      this.globalStep++;
      stepsDone = batch.index;
      meters.add(r);
      meter.add(r.n);
      const figures = meter.figures();
      progress.update(batch.index, { loss: meters.loss.mean, accuracy: meters.acc1.mean, lr, imagesPerSec: figures.imagesPerSec });
      if (batch.index % cfg.train.log_period === 0 || batch.index === stepsPerEpoch) {
        this.logStep(e, batch.index, r, lr, meters, figures);
        meter.reset();
      }
      // Let the event loop run (signals, worker messages): prefetched batches resolve as microtasks,
      // which alone would never return to it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.stop.requested()) break;
    }
    progress.stop();
    return { stepsDone, lr };
  }

  /** The `step` event, the running TensorBoard scalars and the log file's line of a logged step. */
  private logStep(e: number, step: number, r: StepFigures, lr: number, meters: Meters, figures: ThroughputFigures): void {
    const { c } = this;
    const { imagesPerSec, allreduceMsPerStep: commMs, syncBnMsPerStep: bnMs } = figures;
    c.events.write({
      type: 'step', epoch: e, step, global_step: this.globalStep, loss: r.loss,
      accuracy: r.correct1 / r.n, lr, images_per_sec: imagesPerSec,
      running: { loss: meters.loss.mean, accuracy: meters.acc1.mean, accuracy5: meters.acc5.mean },
      ...(commMs !== undefined ? { allreduce_ms: commMs } : {}),
    });
    this.tb?.runningStep(this.globalStep, { loss: meters.loss.mean, acc1: meters.acc1.mean, acc5: meters.acc5.mean }, lr);
    c.logger.fileOnly(
      `Epoch ${e} Step ${step}/${c.data.trainLoader.stepsPerEpoch} lr ${lr.toPrecision(6)} loss ${r.loss.toFixed(4)} (${meters.loss.mean.toFixed(4)}) ` +
        `acc@1 ${(r.correct1 / r.n).toFixed(4)} (${meters.acc1.mean.toFixed(4)}) acc@5 ${(r.correct5 / r.n).toFixed(4)} (${meters.acc5.mean.toFixed(4)}) ${imagesPerSec.toFixed(1)} img/s` +
        (commMs !== undefined ? ` all-reduce ${commMs.toFixed(1)} ms/step` : '') +
        (bnMs !== undefined ? ` sync-BN ${bnMs.toFixed(1)} ms/step` : ''),
    );
  }

  /** After the steps of epoch `e`: its log line, validation when due, the `epoch` event, the stop agreement and its checkpoint. */
  private async endEpoch(e: number, meters: Meters, lr: number, elapsed: number): Promise<void> {
    const { cfg, c } = this;
    const epochs = cfg.scheduler.epochs;
    c.logger.info(
      `Epoch ${e}/${epochs} train loss ${meters.loss.mean.toFixed(4)} acc@1 ${meters.acc1.mean.toFixed(4)} lr ${lr.toPrecision(4)} elapsed ${formatDuration(elapsed)}`,
    );
    this.tb?.trainEpoch(e, { loss: meters.loss.mean, acc1: meters.acc1.mean, acc5: meters.acc5.mean }, elapsed, c.lrAt(this.globalStep));
    let val: SplitMetrics | undefined;
    if (this.validates() && e % cfg.train.val_period === 0) {
      val = await this.validate(e);
      this.lastVal = val;
    }
    c.events.write({
      type: 'epoch', epoch: e, train: { loss: meters.loss.mean, accuracy: meters.acc1.mean, accuracy5: meters.acc5.mean },
      ...(val ? { val } : {}), lr, elapsed_s: elapsed,
    });
    this.stop.agreeAtEpochEnd();
    const file = this.checkpoint(e, 0);
    this.policy.saved(e, file, this.stop.requested());
  }

  /** Rank 0 writes the checkpoint after epoch `e` (`stepInEpoch` steps into the next when stopped) and its event. */
  private checkpoint(e: number, stepInEpoch: number, meters?: Meters): string | undefined {
    if (!this.lead) return undefined;
    const { cfg, c } = this;
    const { params, buffers } = modelTensors(c.model);
    const state: ResumeState = {
      scheme: 'keyed(seed, epoch, step)',
      seed: cfg.train.seed,
      step_in_epoch: stepInEpoch,
      ...(meters ? { meters: meters.snapshot() } : {}),
      ...(c.dist ? { world_size: this.world } : {}),
    };
    const file = saveCheckpoint(c.outputDir, e, {
      global_step: this.globalStep,
      params,
      buffers,
      optimizer: c.optimizer.getState(),
      rng: state,
      config: configToPlainObject(cfg),
    }, { stepInEpoch });
    c.events.write({ type: 'checkpoint', epoch: e, path: file });
    c.logger.info(`checkpoint ${file}`);
    this.lastCheckpoint = file;
    return file;
  }
}
