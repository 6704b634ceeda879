/**
 * The one place that says where the batch worker's entry file is.
 *
 * - From TypeScript source (this file is `worker_path.ts`, e.g. under `node --import tsx`): the
 *   worker runs `loader_worker.ts` beside this file, registering tsx in the worker first
 *   (see {@link startWorker}).
 * - From JavaScript (an esbuild bundle, or tsc output): the build must emit the worker entry
 *   {@link DATA_WORKER_SOURCE} as {@link DATA_WORKER_BUNDLE} beside the bundle that uses the loader
 *   (or its parent folder); `loader_worker.js` beside this file (tsc output) also works, and
 *   `$ICL_DATA_WORKER` overrides everything.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** Build entry point of the worker, relative to the repository root. */
export const DATA_WORKER_SOURCE = 'runtime/data/loader_worker.ts';
/** File name the build gives the bundled worker, placed beside the bundles (e.g. `dist/data-worker.js`). */
export const DATA_WORKER_BUNDLE = 'data-worker.js';
/** Environment variable with an explicit path to the worker script. */
export const DATA_WORKER_ENV = 'ICL_DATA_WORKER';

/** A worker entry file: JavaScript, or TypeScript to run through tsx's require hook. */
export interface WorkerScript {
  filename: string;
  /** true for a `.ts` file: the worker registers tsx (`tsx/cjs/api`) before requiring it. */
  typescript?: boolean;
}

/**
 * Resolves the worker script for the current way of running.
 * @throws listing the paths tried when running from JavaScript and no worker file is found
 */
export function resolveDataWorker(env: Record<string, string | undefined> = process.env): WorkerScript {
  const override = env[DATA_WORKER_ENV];
  if (override) {
    const filename = path.resolve(override);
    return { filename, typescript: filename.endsWith('.ts') };
  }
  if (__filename.endsWith('.ts')) return { filename: path.join(__dirname, 'loader_worker.ts'), typescript: true };
  const tried = [path.join(__dirname, DATA_WORKER_BUNDLE), path.join(__dirname, '..', DATA_WORKER_BUNDLE), path.join(__dirname, 'loader_worker.js')];
  const found = tried.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(`batch worker script not found; tried ${tried.join(', ')}. The build must emit ${DATA_WORKER_SOURCE} as ${DATA_WORKER_BUNDLE} ` +
      `beside the bundle, or set $${DATA_WORKER_ENV}; or use the loader with workers: 0`);
  }
  return { filename: found };
}

/**
 * Starts a worker thread running `script`. A TypeScript entry is started through a small eval'd
 * bootstrap that registers tsx's CommonJS hook in the worker and then requires the file (Node 20
 * does not apply `--import tsx` from a worker's execArgv to the worker's entry file).
 */
export function startWorker(script: WorkerScript): Worker {
  if (!script.typescript) return new Worker(script.filename);
  const tsxApiId = 'tsx/cjs/api'; // a variable, so bundlers leave this source-only branch alone
  const tsxApi = require.resolve(tsxApiId);
  const code = `require(${JSON.stringify(tsxApi)}).register();\nrequire(${JSON.stringify(script.filename)});\n`;
  return new Worker(code, { eval: true });
}
