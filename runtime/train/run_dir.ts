import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from './checkpoint';

/** Thrown for problems with the run folder; the CLI prints the message alone. */
export class RunDirError extends Error {}

/**
 * Checks that `dir` can hold a new run (absent or empty), or, when resuming, that it is a run folder.
 * Creates nothing, so a run that fails to start leaves no folder behind.
 * @throws RunDirError when `dir` exists and `resume` is false (as the original refuses it), or
 *   when resuming a folder that does not exist or has no `config.yaml`.
 */
export function checkRunDir(dir: string, resume: boolean): void {
  const exists = fs.existsSync(dir);
  if (resume) {
    if (!exists) throw new RunDirError(`cannot resume: ${dir} does not exist`);
    if (!fs.existsSync(path.join(dir, 'config.yaml'))) {
      throw new RunDirError(`cannot resume: ${dir} has no config.yaml (is it a run folder?)`);
    }
    return;
  }
  if (exists && fs.readdirSync(dir).length > 0) {
    throw new RunDirError(
      `output directory ${dir} already exists; resume it with --resume ${dir}, or choose another train.output_dir`,
    );
  }
}

/** {@link checkRunDir}, then creates the folder. */
export function prepareRunDir(dir: string, resume: boolean): void {
  checkRunDir(dir, resume);
  fs.mkdirSync(dir, { recursive: true });
}

/** Writes `text` to `file` atomically (temp file in the same folder, fsync, rename), see checkpoint.ts. */
export function writeTextAtomic(file: string, text: string): void {
  writeFileAtomic(file, [Buffer.from(text, 'utf8')]);
}

/** What `env.yaml` records about the machine and the engine. */
export interface EnvInfo {
  node_version: string;
  tfjs_version: string;
  backend: string;
  engine: string;
  threads: number;
  platform: string;
  cpu: string;
  cpu_count: number;
  memory_gb: number;
  gpu: string;
}

/** Collects {@link EnvInfo} for the chosen backend. */
export function collectEnvInfo(backend: { backend: string; engine: string; threads: number; tfjsVersion: string; gpu?: string }): EnvInfo {
  const cpus = os.cpus();
  return {
    node_version: process.version,
    tfjs_version: backend.tfjsVersion,
    backend: backend.backend,
    engine: backend.engine,
    threads: backend.threads,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpu_count: cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    gpu: backend.gpu ?? '',
  };
}

/** YAML text of `env.yaml`. */
export function dumpEnvInfo(env: EnvInfo): string {
  return stringify(env);
}
