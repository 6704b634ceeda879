/**
 * Multi-threaded tfjs-backend-wasm in Node, pinned to 4.22.0.
 *
 * Out of the box the wasm backend runs on 1 thread in Node: it forces `WASM_HAS_MULTITHREAD_SUPPORT` to false there
 * (tfjs issue #3830); forcing the flag fails with `ERR_WORKER_PATH` because Emscripten's workers get `blob:nodedata:`
 * URLs, which `node:worker_threads` cannot load; and `init_with_threads_count` caps threads at half of
 * `os.cpus().length` (1 on a 2-vCPU box). The 4-part workaround of /work/shared/notes/wasm-engine.md §4:
 *   1. set the flag to true;
 *   2. subclass `globalThis.Blob` to capture the main-script text (`var WasmBackendModuleThreadedSimd = …`) and write
 *      it to a real file, after a prelude defining the bundle's free variables (`require$$0..4`, `commonjsGlobal`,
 *      `_scriptDir`);
 *   3. patch `URL.createObjectURL` to write the worker script to a file instead, its `urlOrBlob` loading
 *      string-patched to `importScripts(<main file>)`;
 *   4. make `os.cpus()` report at least 2·threads entries while the backend initialises.
 * The files go to a private `os.tmpdir()` folder removed at process exit. The patches depend on the exact code that
 * 4.22.0 emits, hence the version pin; every check that fails returns a reason and the caller stays on 1 thread.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import type * as osTypes from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';

/** The real `os` module object (not an ES-module namespace copy), the one the wasm loader's `require('os')` sees. */
const os = createRequire(__filename)('node:os') as typeof osTypes;

/** The only tfjs-backend-wasm version whose emitted loader the hack has been checked against. */
export const THREADS_PINNED_VERSION = '4.22.0';

/** Resolves a thread request: 0 (auto) → `os.cpus().length`; anything else → max(1, floor(n)). */
export function resolveThreads(numThreads: number): number {
  if (!Number.isFinite(numThreads) || numThreads <= 0) return Math.max(1, os.cpus().length);
  return Math.max(1, Math.floor(numThreads));
}

/** Outcome of {@link prepareWasmThreads}. */
export type ThreadsPrep =
  | {
      ok: true;
      /** Call once the wasm backend has initialised (success or not): undoes the `os.cpus` patch. */
      finish(): void;
    }
  | { ok: false; reason: string };

const MAIN_PREFIX = 'var WasmBackendModuleThreadedSimd = ';
/** Free variables of the threaded factory's source that the prelude of the main-script file defines. */
const MAIN_FREE_VARS = ['require$$0', 'require$$1', 'require$$4', 'commonjsGlobal', '_scriptDir'];
/** The worker's branch that loads the main script from a string path or a Blob (4.22.0 text). */
const WORKER_LOAD_SNIPPET =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';

let prepared = false;
const DIR_PREFIX = 'icl-wasm-threads-';

/** Removes temp folders left by processes that died without running their exit handler (named by pid). */
function removeStaleDirs(): void {
  try {
    for (const name of fs.readdirSync(os.tmpdir())) {
      const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
      if (m == null || Number(m[1]) === process.pid) continue;
      try {
        process.kill(Number(m[1]), 0); // alive: leave it
      } catch (e) {
        if ((e as { code?: string }).code === 'ESRCH') fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
      }
    }
  } catch {
    // best effort
  }
}

/**
 * Applies the 4-part hack so that the next `tf.setBackend('wasm')` starts `threads` XNNPACK threads. Call it once per
 * process, before the wasm backend first initialises, and call `finish()` after. Never throws: returns `ok: false`
 * with a one-line reason when the installed version or environment does not match.
 */
export async function prepareWasmThreads(threads: number): Promise<ThreadsPrep> {
  try {
    if (wasmBackend.version_wasm !== THREADS_PINNED_VERSION) {
      return {
        ok: false,
        reason: `threads hack is pinned to tfjs-backend-wasm ${THREADS_PINNED_VERSION}, found ${wasmBackend.version_wasm}`,
      };
    }
    if (prepared) return { ok: false, reason: 'threads hack already applied in this process' };
    if (typeof SharedArrayBuffer === 'undefined') return { ok: false, reason: 'SharedArrayBuffer is unavailable' };
    if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) {
      return { ok: false, reason: 'the threaded wasm build needs SIMD, which this runtime lacks' };
    }
    const OrigBlob = globalThis.Blob;
    const origCreateObjectURL = URL.createObjectURL.bind(URL);
    if (typeof OrigBlob !== 'function' || typeof URL.createObjectURL !== 'function') {
      return { ok: false, reason: 'Blob/URL.createObjectURL are unavailable' };
    }

    removeStaleDirs();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
    process.once('exit', () => {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    });
    const mainFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.main.js');
    const workerFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
    const workerText = new WeakMap<Blob, string>();

    // Part 2 and the capture for part 3: a Blob that remembers the two scripts the loader builds.
    class CapturingBlob extends OrigBlob {
      constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
        super(parts, options);
        const text = parts?.length === 1 && typeof parts[0] === 'string' ? parts[0] : undefined;
        if (text == null) return;
        if (text.startsWith(MAIN_PREFIX)) {
          // A minified or different loader renames these free variables; the worker would then crash. Throwing here
          // rejects the backend's init promise, and the caller retries on 1 thread.
          for (const name of MAIN_FREE_VARS) {
            if (!text.includes(name)) throw new Error(`the wasm loader is not the code 4.22.0 emits (no ${name}; minified?)`);
          }
          const prelude =
            "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), " +
            `require$$4 = require('os'); var commonjsGlobal = globalThis; var _scriptDir = ${JSON.stringify(mainFile)};\n`;
          fs.writeFileSync(mainFile, prelude + text);
        } else if (text.includes(WORKER_LOAD_SNIPPET)) {
          workerText.set(this, text.replace(WORKER_LOAD_SNIPPET, `importScripts(${JSON.stringify(mainFile)});`));
        }
      }
    }
    // Part 3: the worker script becomes a real file, which node:worker_threads can load.
    const patchedCreateObjectURL = (obj: Blob): string => {
      const text = workerText.get(obj);
      if (text == null) return origCreateObjectURL(obj);
      if (!fs.existsSync(workerFile)) {
        // The loader escaped '\n' for the Blob; as a plain JS string literal these escapes are already correct.
        fs.writeFileSync(workerFile, text);
      }
      return workerFile;
    };
    // Part 4: init_with_threads_count caps threads at cpus/2.
    const origCpus = os.cpus;
    const realCpus = origCpus();
    const wanted = Math.max(realCpus.length, 2 * threads);
    const fakeCpus = (): osTypes.CpuInfo[] => {
      const list = origCpus();
      const out = list.slice();
      while (out.length < wanted) out.push(list[out.length % Math.max(list.length, 1)] ?? out[0]);
      return out;
    };

    // Part 1.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    globalThis.Blob = CapturingBlob as typeof Blob;
    URL.createObjectURL = patchedCreateObjectURL;
    (os as { cpus: typeof osTypes.cpus }).cpus = fakeCpus;
    wasmBackend.setThreadsCount(threads);
    prepared = true;
    return {
      ok: true,
      finish() {
        (os as { cpus: typeof osTypes.cpus }).cpus = origCpus;
        globalThis.Blob = OrigBlob;
        URL.createObjectURL = origCreateObjectURL;
      },
    };
  } catch (e) {
    return { ok: false, reason: `threads hack failed: ${firstLine(e)}` };
  }
}

/**
 * Lets the process exit while the XNNPACK thread pool is alive: Emscripten keeps a reference on every worker that
 * runs a pthread, so without this a script never ends. The pool threads only work while the main thread blocks in a
 * kernel, so unreferencing them is safe.
 */
export function unrefWasmWorkers(backend: unknown): void {
  type W = { unref?: () => void };
  const pt = (backend as { wasm?: { PThread?: { runningWorkers?: W[]; unusedWorkers?: W[] } } } | null)?.wasm?.PThread;
  for (const w of [...(pt?.runningWorkers ?? []), ...(pt?.unusedWorkers ?? [])]) w.unref?.();
}

/**
 * Undoes part 1 after a failed threaded start, so that retrying `tf.setBackend('wasm')` loads the single-threaded
 * SIMD build.
 */
export function disableWasmThreads(): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasmBackend.setThreadsCount(1);
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}
