/**
 * Pure parts of "Run on GPUs…": the GPUs `nvidia-smi -L` lists, the flags and environment of one
 * data-parallel run (`--nproc_per_node N`, `CUDA_VISIBLE_DEVICES`), and the queue file of one
 * experiment per GPU (`npm run queue -- FILE`, see runtime/queue/file.ts). No vscode import.
 */
import * as path from 'node:path';
import * as YAML from 'yaml';

/** A GPU as `nvidia-smi -L` lists it. */
export interface Gpu {
  /** The index CUDA_VISIBLE_DEVICES takes. */
  index: string;
  /** The whole line (`GPU 0: NVIDIA H200 (UUID: …)`). */
  label: string;
}

/** Parses `nvidia-smi -L` (lines `GPU <i>: <name> (UUID: …)`; MIG lines are skipped). */
export function parseGpuList(stdout: string): Gpu[] {
  const out: Gpu[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^GPU (\d+):/.exec(line.trim());
    if (m) out.push({ index: m[1], label: line.trim() });
  }
  return out;
}

/** How one training is started: flags before `--config`, overrides added first (the user's win), environment. */
export interface TrainPlan {
  flags: string[];
  overrides: string[];
  env: Record<string, string>;
}

/** One data-parallel run over `gpus` (indices): one worker per GPU, each pinned by the launcher. */
export function gpuDataParallelPlan(gpus: readonly string[]): TrainPlan {
  if (!gpus.length) throw new Error('no GPU chosen');
  return { flags: ['--nproc_per_node', String(gpus.length)], overrides: ['device', 'cuda'], env: { CUDA_VISIBLE_DEVICES: gpus.join(',') } };
}

/** One data-parallel run of `n` worker processes on the CPU (`device cpu`, which picks libtorch: several processes need its c10d collectives; the cores shared). */
export function cpuDataParallelPlan(n: number): TrainPlan {
  if (!Number.isInteger(n) || n < 1) throw new Error(`the number of processes must be a positive integer, got ${n}`);
  return { flags: ['--nproc_per_node', String(n)], overrides: ['device', 'cpu'], env: { CUDA_VISIBLE_DEVICES: '' } };
}

/** Checks the process count typed in the input box; undefined when valid. */
export function validateProcessCount(v: string): string | undefined {
  return /^\s*\d+\s*$/.test(v) && Number(v) >= 1 && Number(v) <= 64 ? undefined : 'a whole number of processes, 1 to 64';
}

/** `queue-20261129-220500` from a date (local time). */
export function queueName(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `queue-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The queue file and folder of "a queue, one experiment per GPU", relative to the workspace. */
export function queuePaths(experimentsFolder: string, name: string): { file: string; outputDir: string } {
  const dir = path.posix.join(experimentsFolder.split(path.sep).join('/'), 'queue');
  return { file: path.posix.join(dir, `${name}.yaml`), outputDir: path.posix.join(dir, name) };
}

/**
 * The YAML of a queue: one run per config (absolute paths), each with the same overrides
 * (`key value` pairs as typed), in `outputDir` (relative to the queue file's folder, as the runtime reads it). `parallel`: runs at a time on the CPU (GPUs: one per GPU).
 */
export function queueYaml(opts: { configs: readonly string[]; overrides: readonly string[]; outputDir: string; parallel?: number; device?: string }): string {
  if (!opts.configs.length) throw new Error('no config chosen');
  if (opts.overrides.length % 2) throw new Error(`overrides come in key value pairs, got ${opts.overrides.length} tokens`);
  const overrides = [...(opts.device ? ['device', opts.device] : []), ...opts.overrides];
  const doc: Record<string, unknown> = {
    ...(opts.parallel ? { parallel: opts.parallel } : {}),
    output_dir: opts.outputDir,
    runs: opts.configs.map((config) => ({ config, ...(overrides.length ? { overrides } : {}) })),
  };
  return `# Written by Image Classification Lab (Run on GPUs… → a queue); run it again with: npm run queue -- <this file>\n${YAML.stringify(doc)}`;
}
