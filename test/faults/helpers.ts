/**
 * Tiny runs and checks shared by the fault, disk and concurrency tiers (docs/reliability.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { loadConfig } from '../../runtime/config';
import { parseEvents, type RunEvent, type RunStartEvent } from '../../runtime/protocol';
import { CHECKPOINT_NAME_RE, LOCK_FILE } from '../../runtime/protocol/run_folder';
import { loadCheckpoint } from '../../runtime/train/checkpoint';
import { evaluateCheckpoint } from '../../runtime/train/evaluate_checkpoint';
import { TEMP_NAME_RE } from '../../runtime/util/atomic';
import { runTraining, type TrainResult } from '../../runtime/train/trainer';
import { ROOT, type CliResult } from '../cli/fixtures';
import { installFaults, removeFaults, type FaultPlan, type FaultPoint } from './shim';

/** Overrides of a 2-epoch run of 2 steps each (32 images, batch 16), tiny ResNet, every step logged. */
export function tinyArgs(data: string, out: string, extra: string[] = []): string[] {
  return [
    'dataset.name', 'FashionMNIST', 'dataset.dataset_dir', data, 'dataset.max_train_samples', '32',
    'model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '8',
    'train.batch_size', '16', 'validation.batch_size', '20', 'scheduler.epochs', '2',
    'train.checkpoint_period', '2', 'train.log_period', '1', 'train.output_dir', out, 'num_threads', '1',
    ...extra,
  ];
}

export const CONFIG = 'configs/cifar/resnet_preact.yaml';

/** What an in-process command under a fault plan did. */
export interface Outcome<T> {
  result?: T;
  error?: Error;
  points: FaultPoint[];
  struck: boolean;
  ms: number;
}

/** Runs `body` with `plan` in force (none: no faults), SIGINT listeners it leaves removed. */
export async function underFaults<T>(plan: FaultPlan | undefined, body: () => Promise<T>): Promise<Outcome<T>> {
  const listeners = new Set(process.listeners('SIGINT'));
  const termListeners = new Set(process.listeners('SIGTERM'));
  if (plan) installFaults(plan);
  const t0 = Date.now();
  let result: T | undefined;
  let error: Error | undefined;
  try {
    result = await body();
  } catch (err) {
    error = err as Error;
  }
  const ms = Date.now() - t0;
  const { points, struck } = plan ? removeFaults() : { points: [], struck: false };
  for (const l of process.listeners('SIGINT')) if (!listeners.has(l)) process.removeListener('SIGINT', l);
  for (const l of process.listeners('SIGTERM')) if (!termListeners.has(l)) process.removeListener('SIGTERM', l);
  return { result, error, points, struck, ms };
}

/** A new tiny run, in-process. */
export function train(data: string, out: string, extra: string[] = []): Promise<TrainResult> {
  return runTraining(loadConfig({ configFile: path.join(ROOT, CONFIG), overrides: tinyArgs(data, out, extra) }), { quiet: true });
}

/** `--resume out`, in-process. */
export function resume(out: string, overrides: string[] = []): Promise<TrainResult> {
  return runTraining(loadConfig({ resumeDir: out, overrides }), { resume: true, quiet: true });
}

/** `evaluate` of `ckpt` into `outDir`, in-process. */
export function evaluate(runDir: string, ckpt: string, outDir: string): ReturnType<typeof evaluateCheckpoint> {
  const cfg = loadConfig({ configFile: path.join(runDir, 'config.yaml'), overrides: ['test.checkpoint', ckpt, 'test.output_dir', outDir] });
  return evaluateCheckpoint(cfg, () => undefined);
}

/** Temp files and staging folders under `dir` (recursively). */
export function leftovers(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => TEMP_NAME_RE.test(path.basename(f)));
}

export function events(runDir: string): RunEvent[] {
  const file = path.join(runDir, 'events.jsonl');
  return fs.existsSync(file) ? parseEvents(fs.readFileSync(file, 'utf8')).events : [];
}

/** The newest checkpoint of `runDir` that loads completely (checksum included), by (epoch, step). */
export function newestComplete(runDir: string): string | undefined {
  if (!fs.existsSync(runDir)) return undefined;
  let best: { file: string; key: number } | undefined;
  for (const name of fs.readdirSync(runDir)) {
    const m = CHECKPOINT_NAME_RE.exec(name);
    if (!m) continue;
    const file = path.join(runDir, name);
    try {
      loadCheckpoint(file);
    } catch {
      continue;
    }
    const key = Number(m[1]) * 1e6 + Number(m[2] ?? 0);
    if (!best || key > best.key) best = { file, key };
  }
  return best?.file;
}

/**
 * The state a run folder may be in after a fault: absent, or resumable (config.yaml that loads,
 * no lock of a live run). Returns the problems found (none: fine).
 */
export function folderState(out: string): { exists: boolean; problems: string[] } {
  if (!fs.existsSync(out)) return { exists: false, problems: [] };
  const problems: string[] = [];
  try {
    loadConfig({ resumeDir: out });
  } catch (err) {
    problems.push(`not resumable: ${(err as Error).message}`);
  }
  return { exists: true, problems };
}

/**
 * After a fault: resumes `out` (or trains it anew when absent) to the end, and checks that it
 * continued from the newest complete checkpoint, completed, and left no temp file or lock.
 * Returns the problems found.
 */
export async function recover(data: string, out: string): Promise<string[]> {
  const problems: string[] = [];
  const { exists, problems: state } = folderState(out);
  problems.push(...state);
  if (state.length) return problems;
  const expected = newestComplete(out);
  const starts = events(out).filter((e) => e.type === 'run_start').length;
  const r = await underFaults(undefined, () => (exists ? resume(out) : train(data, out)));
  if (r.error) return [...problems, `recovery failed: ${r.error.message}`];
  const after = events(out).filter((e): e is RunStartEvent => e.type === 'run_start');
  if (after.length > starts) {
    const from = after[after.length - 1].resumed_from?.checkpoint;
    if (from !== expected) problems.push(`resumed from ${from ?? 'nothing'}, newest complete checkpoint ${expected ?? 'none'}`);
  } else if (r.result!.lastCheckpoint !== expected) {
    problems.push(`completed run reported ${r.result!.lastCheckpoint}, newest complete ${expected}`);
  }
  if (r.result!.status !== 'completed' || r.result!.epoch !== 2) problems.push(`recovery ended ${r.result!.status} at epoch ${r.result!.epoch}`);
  const left = [...leftovers(out), ...leftovers(path.dirname(out)).filter((f) => f.startsWith(`.${path.basename(out)}.`))];
  if (left.length) problems.push(`temp files left after a successful run: ${left.join(', ')}`);
  if (fs.existsSync(path.join(out, LOCK_FILE))) problems.push('lock file left after the run');
  return problems;
}

/** Starts `runtime/cli/<name>.ts` with the fault plan in force in the child (test/faults/preload.ts). */
export function startCliWithFaults(name: string, args: string[], plan?: FaultPlan, record?: string): { pid: number; done: Promise<CliResult & { ms: number }> } {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', path.join(ROOT, 'test/faults/preload.ts'), path.join(ROOT, 'runtime/cli', `${name}.ts`), ...args], {
    cwd: ROOT,
    env: { ...process.env, ICL_DEBUG: '', ICL_FAULT_PLAN: plan ? JSON.stringify(plan) : '', ICL_FAULT_RECORD: record ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult & { ms: number }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }));
  });
  return { pid: child.pid!, done };
}
