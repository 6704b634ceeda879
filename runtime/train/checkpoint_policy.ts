/**
 * Which checkpoints a run keeps (`train.checkpoint_period`). Every epoch is checkpointed: the
 * periodic ones (epoch divisible by the period) and the last of the schedule are kept; one in
 * between is the resume point until the next checkpoint is complete, then removed, so a crash or a
 * killed job loses at most one epoch. A run stopped by a signal keeps its checkpoint. The final
 * checkpoint of a completed schedule is its result (named by its result line): extending the run
 * (resume with more epochs) keeps it.
 */
import * as fs from 'node:fs';
import { parseCheckpointName } from '../protocol/run_folder';

/** Where a run starts, as far as the policy cares. */
export interface PolicyStart {
  /** The checkpoint it resumes from. */
  checkpoint?: string;
  /** That checkpoint is the final one of a completed schedule. */
  final?: boolean;
}

/** The rotation of a run's epoch checkpoints. */
export class CheckpointPolicy {
  /** The resume point between periodic checkpoints, removed once a newer checkpoint is complete. */
  private rolling: string | undefined;

  /**
   * @param period `train.checkpoint_period` (epochs, >= 1)
   * @param epochs `scheduler.epochs`, the schedule's last epoch
   */
  constructor(
    private readonly period: number,
    private readonly epochs: number,
    start: PolicyStart = {},
  ) {
    this.rolling = start.checkpoint && !start.final && !this.periodic(start.checkpoint) ? start.checkpoint : undefined;
  }

  /** Whether a checkpoint file is one the period keeps (a mid-epoch one, or an unknown name, is not rolled). */
  periodic(file: string): boolean {
    const n = parseCheckpointName(file);
    return n === undefined || n.step > 0 || n.epoch % this.period === 0;
  }

  /**
   * After the checkpoint `file` of epoch `epoch` is complete: removes the previous resume point and
   * makes `file` the new one unless it is kept (periodic, the schedule's last, or a stopping run's).
   * @param stopping the run stops after this epoch (a signal)
   */
  saved(epoch: number, file: string | undefined, stopping: boolean): void {
    if (this.rolling && this.rolling !== file) fs.rmSync(this.rolling, { force: true });
    this.rolling = undefined;
    if (!(epoch % this.period === 0 || epoch === this.epochs || stopping)) this.rolling = file;
  }
}
