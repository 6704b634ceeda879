import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseEvents, type RunEvent } from '../../runtime/protocol';

export const ROOT = path.resolve(__dirname, '..', '..');

/** A fresh temp folder removed at exit. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return zlib.gzipSync(Buffer.concat([header, Buffer.from(data)]));
}

/**
 * Writes a learnable 10-class dataset in the MNIST IDX format (what FashionMNIST reads): class k is a
 * bright 7×7 square at one of 10 fixed places on a noisy 28×28 background.
 */
export function writeSyntheticMnist(dir: string, nTrain: number, nTest: number): void {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  const write = (prefix: string, n: number) => {
    const images = new Uint8Array(n * 28 * 28);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const k = i % 10;
      labels[i] = k;
      const top = 2 + Math.floor(k / 5) * 12 + Math.floor(rand() * 4);
      const left = 1 + (k % 5) * 5 + Math.floor(rand() * 2);
      for (let p = 0; p < 28 * 28; p++) images[i * 784 + p] = Math.floor(rand() * 60);
      for (let y = top; y < top + 7; y++) for (let x = left; x < Math.min(28, left + 7); x++) images[i * 784 + y * 28 + x] = 200 + Math.floor(rand() * 55);
    }
    fs.writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), idx(0x803, [n, 28, 28], images));
    fs.writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), idx(0x801, [n], labels));
  };
  fs.mkdirSync(dir, { recursive: true });
  write('train', nTrain);
  write('t10k', nTest);
}

/** Result of a CLI run. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON, when it is JSON. */
  json?: Record<string, unknown>;
}

/** Starts `runtime/cli/<name>.ts` under tsx, as `npm run <name> -- args` does. */
export function startCli(name: string, args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'runtime/cli', `${name}.ts`), ...args], {
    cwd: ROOT,
    env: { ...process.env, ICL_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
  return { child, done };
}

/** Runs a CLI to the end. */
export function runCli(name: string, args: string[]): Promise<CliResult> {
  return startCli(name, args).done;
}

/** The events of a run folder. */
export function events(runDir: string): RunEvent[] {
  const file = path.join(runDir, 'events.jsonl');
  return fs.existsSync(file) ? parseEvents(fs.readFileSync(file, 'utf8')).events : [];
}

/** Resolves once `predicate` holds for the run's events (polling every 50 ms), or rejects after `timeoutMs`. */
export async function waitForEvent(runDir: string, predicate: (e: RunEvent) => boolean, timeoutMs = 120_000): Promise<RunEvent> {
  const t0 = Date.now();
  for (;;) {
    const hit = events(runDir).find(predicate);
    if (hit) return hit;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for an event in ${runDir}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
