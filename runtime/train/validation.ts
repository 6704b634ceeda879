/**
 * Validation during training (the original's `validate` in train.py): the model in inference mode
 * over the validation loader, mean cross-entropy and top-1/top-5 accuracy, logged, written to
 * TensorBoard, and returned for the `epoch` event. In data-parallel training each worker evaluates
 * its slice of the validation set with rank 0's batch-norm statistics (DDP's broadcast_buffers) and
 * the sums are reduced, so every worker returns the figures of the whole set.
 */
import type { ProcessGroup } from '../distributed/process_group';
import { sumOver } from '../distributed/sync';
import type { Model } from '../models/types';
import type { SplitMetrics } from '../protocol/events';
import type { RunData } from './data';
import { evaluateModel, type EvalResult } from './evaluate';
import type { Logger } from './logger';
import { formatDuration, Progress } from './progress';
import type { TensorBoardRunWriter } from './tensorboard/run_writer';

/** What validation reads. */
export interface ValidationContext {
  model: Model;
  data: Pick<RunData, 'valLoader' | 'imageShape' | 'nClasses'>;
  logger: Logger;
  /** Progress bar on a terminal. */
  tty?: boolean;
  dist?: ProcessGroup;
  /** TensorBoard (rank 0 with train.use_tensorboard), read at each validation. */
  tb?: () => TensorBoardRunWriter | undefined;
}

/** Sums a worker's figures over the workers: the figures of the whole validation set. */
function reduceOverWorkers(dist: ProcessGroup, local: EvalResult): EvalResult {
  const [loss, c1, c5, n] = sumOver(dist, [local.loss * local.n || 0, (local.accuracy * local.n) || 0, ((local.accuracy5 ?? 0) * local.n) || 0, local.n]);
  return { loss: loss / n, accuracy: c1 / n, accuracy5: c5 / n, n };
}

/**
 * Validates the model after epoch `epoch` (0: before training, `train.val_first`).
 * @returns loss (mean cross-entropy), accuracy and accuracy5 (fractions 0..1) over the validation set
 * @throws Error when the run has no validation set
 */
export async function validate(v: ValidationContext, epoch: number): Promise<SplitMetrics> {
  const { model, data, logger, dist } = v;
  const valLoader = data.valLoader;
  if (!valLoader) throw new Error('validate: no validation set');
  const t0 = Date.now();
  const progress = new Progress(`Val ${epoch}`, valLoader.stepsPerEpoch, logger, Number.MAX_SAFE_INTEGER, v.tty);
  let batches = 0;
  if (dist) dist.broadcastVariables(model.buffers.map((b) => b.variable));
  const local = await evaluateModel(model, valLoader.epoch(0), data.imageShape, data.nClasses, { onBatch: () => progress.update(++batches) });
  progress.stop();
  const r = dist ? reduceOverWorkers(dist, local) : local;
  logger.info(
    `Val epoch ${epoch} loss ${r.loss.toFixed(4)} acc@1 ${r.accuracy.toFixed(4)} acc@5 ${(r.accuracy5 ?? NaN).toFixed(4)} (${formatDuration((Date.now() - t0) / 1000)})`,
  );
  const tb = v.tb?.();
  tb?.validation(epoch, r, (Date.now() - t0) / 1000, model);
  await tb?.valImages(epoch, valLoader.epoch(0), data.imageShape);
  return { loss: r.loss, accuracy: r.accuracy, accuracy5: r.accuracy5 };
}
