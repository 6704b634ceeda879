/**
 * A run's TensorBoard logs with the original's tags, steps and folders (train.py of
 * hysts/pytorch_image_classification):
 * - `<output_dir>/`, step = epoch: Train/Loss, Train/Acc1, Train/Acc5, Train/Time, Train/LearningRate after
 *   each epoch's training; Val/Loss (epochs > 0 only), Val/Acc1, Val/Acc5, Val/Time after each validation;
 *   with `tensorboard.train_images` Train/Image (the grid of the epoch's first batch), with
 *   `tensorboard.val_images` Val/Image (the first test batch, at the validation of epoch 0), with
 *   `tensorboard.model_params` a histogram of every parameter (tag: its name) at each validation;
 * - `<output_dir>/running/`, step = global step, every `train.log_period` steps and at the last step of an
 *   epoch: Train/RunningLoss, Train/RunningAcc1, Train/RunningAcc5 (means over the epoch so far) and
 *   Train/RunningLearningRate (the lr of that step).
 * Accuracies are fractions (0..1) and times seconds, as in the original. Train/LearningRate is, as there,
 * the lr after the epoch's last scheduler step, i.e. the next step's.
 */
import * as path from 'node:path';
import type { Batch } from '../../data/batch';
import type { SplitMetrics } from '../../protocol/events';
import type { Model } from '../../models/types';
import { EventFileWriter } from './event_file';
import { histogram } from './histogram';
import { gridImage, sideBySide, type ImageBatch } from './image_grid';

/** The `tensorboard.*` keys of a config. */
export interface TensorBoardOptions {
  train_images: boolean;
  val_images: boolean;
  model_params: boolean;
}

/** Where the run starts (train/trainer.ts's start point). */
export interface TensorBoardStart {
  /** The run continues an earlier one in the same folder (`--resume`). */
  resumed: boolean;
  /** Epochs completed. */
  epoch: number;
  /** Steps already done in epoch `epoch + 1`. */
  stepInEpoch: number;
  /** Optimizer steps done. */
  globalStep: number;
}

/** The means of an epoch's batches (loss, top-1 and top-5 accuracy as fractions). */
export interface TrainMeans {
  loss: number;
  acc1: number;
  acc5: number;
}

/** The original's two SummaryWriters of a run (only rank 0 makes one). */
export class TensorBoardRunWriter {
  private readonly epochs: EventFileWriter;
  private readonly running: EventFileWriter;
  /** The last epoch whose Train/Image is written. */
  private imagedEpoch = -1;

  /**
   * Opens new event files in `outputDir` and `outputDir/running`. Resuming, what a killed run logged after
   * its last checkpoint is removed first: epoch steps from the first epoch this run logs (0 when it starts
   * over from nothing, as validation of epoch 0 then runs again), global steps after `start.globalStep`.
   */
  constructor(outputDir: string, private readonly options: TensorBoardOptions, start: TensorBoardStart) {
    const fromScratch = start.epoch === 0 && start.stepInEpoch === 0;
    this.epochs = new EventFileWriter(outputDir, start.resumed ? (fromScratch ? 0 : start.epoch + 1) : undefined);
    this.running = new EventFileWriter(path.join(outputDir, 'running'), start.resumed ? start.globalStep + 1 : undefined);
  }

  /**
   * Train/Image: the grid of the first batch of `epoch` (with `tensorboard.train_images`); after a resume in
   * the middle of an epoch, of the first batch this run trains in it (the purge removed the earlier one).
   */
  trainBatch(epoch: number, batch: Batch, imageShape: readonly [number, number, number]): void {
    if (!this.options.train_images || epoch === this.imagedEpoch) return;
    this.imagedEpoch = epoch;
    this.epochs.add(epoch, [{ tag: 'Train/Image', image: gridImage(imageBatch(batch, imageShape)) }]);
  }

  /** The Train/Running* scalars at `globalStep` (1-based). */
  runningStep(globalStep: number, means: TrainMeans, lr: number): void {
    this.running.addScalar('Train/RunningLoss', means.loss, globalStep);
    this.running.addScalar('Train/RunningAcc1', means.acc1, globalStep);
    this.running.addScalar('Train/RunningAcc5', means.acc5, globalStep);
    this.running.addScalar('Train/RunningLearningRate', lr, globalStep);
  }

  /**
   * The Train/* scalars of `epoch`.
   * @param seconds the epoch's training time
   * @param nextLr the lr after the epoch (of the next step)
   */
  trainEpoch(epoch: number, means: TrainMeans, seconds: number, nextLr: number): void {
    this.epochs.addScalar('Train/Loss', means.loss, epoch);
    this.epochs.addScalar('Train/Acc1', means.acc1, epoch);
    this.epochs.addScalar('Train/Acc5', means.acc5, epoch);
    this.epochs.addScalar('Train/Time', seconds, epoch);
    this.epochs.addScalar('Train/LearningRate', nextLr, epoch);
  }

  /**
   * Val/Image of epoch 0 (with `tensorboard.val_images`): the first batch of `batches`, which is then closed.
   */
  async valImages(epoch: number, batches: AsyncGenerator<Batch, void, undefined>, imageShape: readonly [number, number, number]): Promise<void> {
    if (!this.options.val_images || epoch !== 0) return;
    const first = await batches.next();
    await batches.return();
    if (!first.done) this.epochs.add(epoch, [{ tag: 'Val/Image', image: gridImage(imageBatch(first.value, imageShape)) }]);
  }

  /**
   * The Val/* scalars of `epoch` (Val/Loss only after training started, Val/Acc5 when measured), then the
   * parameter histograms (with `tensorboard.model_params`).
   * @param seconds the validation's time
   */
  validation(epoch: number, val: SplitMetrics, seconds: number, model: Model): void {
    if (epoch > 0) this.epochs.addScalar('Val/Loss', val.loss, epoch);
    this.epochs.addScalar('Val/Acc1', val.accuracy, epoch);
    if (val.accuracy5 !== undefined) this.epochs.addScalar('Val/Acc5', val.accuracy5, epoch);
    this.epochs.addScalar('Val/Time', seconds, epoch);
    if (this.options.model_params) {
      for (const p of model.params) this.epochs.add(epoch, [{ tag: p.name, histo: histogram(p.variable.dataSync()) }]);
    }
  }

  close(): void {
    this.epochs.close();
    this.running.close();
  }
}

function imageBatch(batch: Batch, [height, width, channels]: readonly [number, number, number]): ImageBatch {
  const b: ImageBatch = { x: batch.x, n: batch.n, height, width, channels };
  return batch.x2 ? sideBySide(b, batch.x2) : b;
}
