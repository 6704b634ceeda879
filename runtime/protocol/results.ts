/**
 * The result lines of the CLIs: each command ends by printing one JSON object on the last line of
 * its stdout (runtime/cli/main.ts's `printJsonLine`). Their types are declared here, for the CLIs
 * that print them and the readers (the extension, scripts, tests) that parse them. New optional
 * fields may be added; readers ignore fields they do not know.
 */
import type { RunStatus } from './events';

/** `npm run train`: the run's end. */
export interface TrainResultLine {
  status: RunStatus;
  output_dir: string;
  /** Epochs completed. */
  epoch: number;
  /** Loss and top-1 accuracy (fraction 0..1) of the last validation, null when none ran. */
  val_loss: number | null;
  val_accuracy: number | null;
  /** The last checkpoint written, null when none. */
  checkpoint: string | null;
}

/** `npm run evaluate`: the test split's figures for one checkpoint. */
export interface EvaluateResultLine {
  /** Mean cross-entropy. */
  loss: number;
  /** Top-1 accuracy, fraction 0..1. */
  accuracy: number;
  /** 1 - accuracy. */
  error: number;
  /** Images evaluated. */
  n: number;
}

/** `npm run submit`: the batch script written and the job submitted (job_id null with --dry-run). */
export interface SubmitResultLine {
  job_id: string | null;
  output_dir: string;
  script: string;
}

/** `npm run queue`: the queue's state when the command returns. */
export interface QueueResultLine {
  status: string;
  queue_dir: string;
  /** `job_id`: Slurm queues only (null before submission). */
  runs: Array<{ name: string; status: string; output_dir: string; job_id?: string | null }>;
}

/** `npm run summary`: the model's size. */
export interface SummaryResultLine {
  model: string;
  params: number;
  /** Multiply-accumulates of one forward pass of one image. */
  macs: number;
  output_shape: number[];
}

/** The last non-empty line of a command's stdout parsed as JSON, or undefined when it is not JSON. */
export function lastJsonLine(stdout: string): unknown {
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as unknown;
  } catch {
    return undefined;
  }
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The result line of `npm run evaluate` from its stdout, checked: `loss`, `accuracy` and `error`
 * finite numbers, `n` an integer >= 0.
 * @returns undefined when the last line is not such an object (the command failed or printed something else)
 */
export function parseEvaluateResult(stdout: string): EvaluateResultLine | undefined {
  const v = lastJsonLine(stdout);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const r = v as Record<string, unknown>;
  if (!isNumber(r.loss) || !isNumber(r.accuracy) || !isNumber(r.error) || !isNumber(r.n) || !Number.isInteger(r.n) || r.n < 0) return undefined;
  return { loss: r.loss, accuracy: r.accuracy, error: r.error, n: r.n };
}
