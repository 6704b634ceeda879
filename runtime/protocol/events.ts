/**
 * The run event protocol: the versioned contract between the training runtime and its readers
 * (the VS Code extension, scripts). Each run folder holds `events.jsonl`, one JSON object per line,
 * appended and flushed as things happen. Every event has `type` and `time` (ISO 8601, UTC).
 *
 * Versioning: `PROTOCOL_VERSION` is bumped on any incompatible change; new optional fields do not
 * bump it. Readers must ignore event types and fields they do not know.
 */

/** Version written in `run_start.protocol`. */
export const PROTOCOL_VERSION = 1;

export { CONSOLE_LOG_FILE, EVENTS_FILE } from './run_folder';

/** Fields common to every event. */
export interface EventBase {
  /** ISO 8601 timestamp, e.g. `2026-11-29T20:18:53.123Z`. */
  time: string;
}

/** Loss and top-1 accuracy (fraction 0..1) of one pass over a split. */
export interface SplitMetrics {
  loss: number;
  accuracy: number;
  /** Top-5 accuracy (fraction 0..1), when the dataset has at least 5 classes. */
  accuracy5?: number;
}

/**
 * What a run validates on. `test`: the official test split (`train.use_test_as_val` True, the
 * default). `held_out`: `n` images held out from the training files (`use_test_as_val` False,
 * `train.val_ratio` > 0; the original's `random_split`), so validation figures are not test
 * figures. `none`: no validation set (`use_test_as_val` False with `val_ratio` 0).
 */
export interface ValSplitInfo {
  source: 'test' | 'held_out' | 'none';
  /** Images in the validation set (0 for `none`). */
  n: number;
  /** `held_out`: `train.val_ratio`. */
  ratio?: number;
  /** `held_out`: `train.seed`, which draws the split. */
  seed?: number;
}

/** Written once when training starts (also on resume, with `resumed_from`). */
export interface RunStartEvent extends EventBase {
  type: 'run_start';
  protocol: number;
  /** The full, merged config tree (as in `config.yaml`). */
  config: Record<string, unknown>;
  /** TensorFlow.js backend name actually used: `libtorch`, `tensorflow` (tfjs-node / tfjs-node-gpu), `wasm` or `cpu` (device js). */
  backend: string;
  /** Threads the backend computes with. */
  threads?: number;
  /** Absolute path of the run folder. */
  output_dir: string;
  /** Number of trainable parameters. */
  params: number;
  /** Multiply-accumulates of the model for one image (as `npm run summary`); absent in older logs. */
  macs?: number;
  /** Optimizer steps per epoch. */
  steps_per_epoch: number;
  /** Total epochs of the schedule (`scheduler.epochs`). */
  epochs: number;
  /** Data-parallel world size (1 for a single process). */
  world_size?: number;
  /** Data-parallel runs: every worker process (rank 0 writes the events; `pid` is rank 0's). */
  workers?: { rank: number; pid: number; host: string }[];
  /** Process id of the training process (rank 0), so a reader can stop it (SIGINT) or tell it is alive. */
  pid?: number;
  /** Host name of the machine the run is on (a pid means nothing elsewhere). */
  host?: string;
  /** Epoch the run continues after, when it was resumed. */
  resumed_from?: { epoch: number; checkpoint: string };
  /** What the `val` metrics of the epoch events are measured on; absent in older logs (then: the test split). */
  val_split?: ValSplitInfo;
}

/** Running training metrics, every `train.log_period` steps and at the last step of an epoch. */
export interface StepEvent extends EventBase {
  type: 'step';
  /** 1-based epoch. */
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  /** Optimizer steps done since the start of training (1-based, counts across epochs). */
  global_step: number;
  /** Mean training loss of this step's batch. */
  loss: number;
  /** Top-1 accuracy (fraction 0..1) of this step's batch. */
  accuracy: number;
  /** Learning rate used for this step. */
  lr: number;
  /** Means over the epoch's batches so far (the log line's values in parentheses; TensorBoard's Train/Running*). */
  running?: SplitMetrics;
  /** Training throughput over the steps since the previous step event, images per second. */
  images_per_sec: number;
  /** Data-parallel runs: mean time per step spent in the gradient all-reduce (including waiting for slower workers), ms. */
  allreduce_ms?: number;
}

/** Written at the end of each epoch (epoch 0 is the optional validation before training). */
export interface EpochEvent extends EventBase {
  type: 'epoch';
  epoch: number;
  /** Epoch means over the training batches (absent for epoch 0). */
  train?: SplitMetrics;
  /** Validation metrics, when this epoch was validated. */
  val?: SplitMetrics;
  /** Learning rate of the last step of the epoch. */
  lr: number;
  /** Seconds spent in this epoch's training loop (without validation). */
  elapsed_s: number;
}

/** A checkpoint was written (atomically) and can be passed to `test.checkpoint` or found by `--resume`. */
export interface CheckpointEvent extends EventBase {
  type: 'checkpoint';
  epoch: number;
  /** Absolute path of the checkpoint file. */
  path: string;
}

/** Terminal status of a run. */
export type RunStatus = 'completed' | 'failed' | 'stopped';

/** Written once when the run ends, however it ends (except a SIGKILL). */
export interface RunEndEvent extends EventBase {
  type: 'run_end';
  status: RunStatus;
  /** Last completed epoch. */
  epoch: number;
  /** Present when `status` is `failed`. */
  error?: { message: string };
}

/** Any event of protocol version 1. */
export type RunEvent = RunStartEvent | StepEvent | EpochEvent | CheckpointEvent | RunEndEvent;

/** The `type` discriminator values. */
export type RunEventType = RunEvent['type'];

/** An event as a writer passes it: everything but `time`, which the writer stamps. */
export type RunEventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'time'> : never) : never;
