import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// Registers the pure-JS `cpu` backend. A named import, so bundlers keep the module (the package
// declares itself side-effect free, and a bare import would be dropped from dist/).
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone has no gradients registered: every training path needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from './wasm/kernels';
import { wasmBinaryDir } from './wasm/paths';
import { disableWasmThreads, prepareWasmThreads, resolveThreads, unrefWasmWorkers } from './wasm/threads';
import { type CudnnFlags, LIBTORCH_BACKEND_NAME, loadAddon, registerLibtorchBackend } from './libtorch';
import { DEVICES } from '../config/tree';

/** What the user asks for: the config's `device` values (CLI `--device`); runtime/config/tree.ts is their one definition. */
export type Device = (typeof DEVICES)[number];

/**
 * The config's `device` value as a {@link Device}.
 * @throws Error naming the value and the allowed ones (the config module checks this earlier)
 */
export function toDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new Error(`device ${value} is not one of ${DEVICES.join(', ')}`);
}
/** The library that actually runs the kernels. */
export type Engine = 'tfjs-node-gpu' | 'tfjs-node' | 'libtorch' | 'wasm' | 'js';

/** The backend that {@link initBackend} selected, and why others were not. */
export interface BackendInfo {
  /** `tf.getBackend()`: `tensorflow` (tfjs-node / tfjs-node-gpu), `wasm` or `cpu` (pure JS). */
  backend: string;
  engine: Engine;
  /** Compute threads: wasm XNNPACK threads; for tfjs-node the intra-op threads requested; 1 for js. */
  threads: number;
  /** wasm only: whether the SIMD build is loaded. */
  simd?: boolean;
  /** tfjs-core version. */
  tfjsVersion: string;
  /** tfjs-node-gpu or libtorch on CUDA: the CUDA device in use (name from nvidia-smi when available). */
  gpu?: string;
  /** libtorch only: the linked libtorch's version. */
  libtorchVersion?: string;
  /** Why fewer threads than asked for are used (e.g. the wasm threads hack did not apply); absent if none. */
  threadsNote?: string;
  /** Engines tried before the chosen one (or instead of it), each with a one-line reason. */
  skipped: { engine: string; reason: string }[];
}

const TFJS_NODE = '@tensorflow/tfjs-node';
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
const localRequire = createRequire(__filename);

/** How to install each optional engine, for error messages. */
const INSTALL_HINT: Record<string, string> = {
  [TFJS_NODE]: `npm install ${TFJS_NODE}@${tf.version_core} (downloads libtensorflow; Linux/macOS/Windows x64)`,
  [TFJS_NODE_GPU]: `npm install ${TFJS_NODE_GPU}@${tf.version_core} (Linux x64 with CUDA 11.2 and cuDNN 8.1)`,
};

type NodeLoad = { ok: true; gpu: boolean; gpuName?: string } | { ok: false; reason: string };

const nodeLoads = new Map<string, NodeLoad>();

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e != null && 'message' in e ? String(e.message) : String(e);
  return msg.split('\n')[0].trim().slice(0, 160);
}

/** Turns a `require()` failure of an optional tfjs package into a one-line reason. */
export function summariseLoadError(pkg: string, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' && msg.includes(`'${pkg}'`)) return 'not installed';
  const lib = /(lib[\w-]+\.so(?:\.[\d.]+)?|[\w-]+\.dll|lib[\w-]+\.dylib)/.exec(msg);
  if (lib && /cannot open shared object|no such file|not found|image not found|could not be found/i.test(msg)) {
    return `${lib[1]} not found`;
  }
  if (/tfjs_binding\.node/.test(msg)) return 'native binding tfjs_binding.node is missing (its install step failed)';
  if (code === 'MODULE_NOT_FOUND') {
    const missing = /Cannot find module '([^']+)'/.exec(msg);
    if (missing) return `its dependency ${missing[1]} is not installed`;
  }
  return firstLine(e) || 'failed to load';
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** The tfjs-core that `pkg` would use, if it differs from ours (a second copy registers on a separate registry). */
function foreignCore(pkgMain: string): string | undefined {
  const ours = realpathOrSelf(localRequire.resolve('@tensorflow/tfjs-core'));
  const fromPkg = createRequire(pkgMain);
  const theirs: string[] = [];
  for (const resolver of [fromPkg, createRequire(safeResolve(fromPkg, '@tensorflow/tfjs') ?? pkgMain)]) {
    const p = safeResolve(resolver, '@tensorflow/tfjs-core');
    if (p != null) theirs.push(realpathOrSelf(p));
  }
  const other = theirs.find((p) => p !== ours);
  if (other == null) return undefined;
  let version = '?';
  try {
    const pj = path.join(other.slice(0, other.lastIndexOf(`${path.sep}dist${path.sep}`)), 'package.json');
    version = (JSON.parse(fs.readFileSync(pj, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    // keep '?'
  }
  return `it brings its own @tensorflow/tfjs-core ${version} (${path.dirname(other)}); reinstall it at ${tf.version_core}`;
}

function safeResolve(req: NodeJS.Require, id: string): string | undefined {
  try {
    return req.resolve(id);
  } catch {
    return undefined;
  }
}

function gpuName(): string | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const names = out.toString().trim().split('\n').filter(Boolean);
    return names.length > 0 ? names[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads `@tensorflow/tfjs-node(-gpu)` and makes its `tensorflow` backend current on OUR tfjs-core. Never throws;
 * a failed load is remembered (a native module cannot be loaded twice).
 */
async function loadTfjsNode(pkg: string): Promise<NodeLoad> {
  const cached = nodeLoads.get(pkg);
  if (cached) return cached;
  const other = pkg === TFJS_NODE ? TFJS_NODE_GPU : TFJS_NODE;
  let result: NodeLoad;
  if (nodeLoads.get(other)?.ok) {
    result = { ok: false, reason: `${other} is already loaded in this process` };
  } else {
    result = await loadTfjsNodeOnce(pkg);
  }
  nodeLoads.set(pkg, result);
  return result;
}

async function loadTfjsNodeOnce(pkg: string): Promise<NodeLoad> {
  let main: string;
  try {
    main = localRequire.resolve(pkg);
  } catch (e) {
    return { ok: false, reason: summariseLoadError(pkg, e) };
  }
  const foreign = foreignCore(main);
  if (foreign) return { ok: false, reason: foreign };
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  try {
    await quietly(async () => localRequire(pkg));
  } catch (e) {
    return { ok: false, reason: summariseLoadError(pkg, e) };
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    return { ok: false, reason: "it loaded but registered no 'tensorflow' backend on this tfjs-core (a second copy?)" };
  }
  const { value: ok, warnings } = await quietly(() => tf.setBackend('tensorflow'));
  if (!ok || tf.getBackend() !== 'tensorflow') {
    return { ok: false, reason: `its backend failed to start${warnings ? `: ${warnings}` : ''}` };
  }
  const b = tf.backend() as { isUsingGpuDevice?: boolean };
  const gpu = b.isUsingGpuDevice === true;
  return { ok: true, gpu, gpuName: gpu ? (gpuName() ?? 'CUDA device') : undefined };
}

/** Runs `f` with console.warn/log captured (tfjs logs failed backend starts with stack traces); returns them too. */
async function quietly<T>(f: () => T | Promise<T>): Promise<{ value: T; warnings: string }> {
  const saved = { warn: console.warn, log: console.log };
  const lines: string[] = [];
  const capture = (...args: unknown[]): void => {
    lines.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  console.warn = capture;
  console.log = capture;
  try {
    const value = await f();
    // The first line of a failure is "Initialization of backend X failed"; the cause follows.
    const cause = lines.find((l) => !/^Initialization of backend/.test(l)) ?? lines[0] ?? '';
    return { value, warnings: cause.split('\n')[0].slice(0, 160) };
  } finally {
    console.warn = saved.warn;
    console.log = saved.log;
  }
}

let wasmPathsSet = false;
let wasmStarted = false;
let wasmThreadsNote: string | undefined;

/** Starts (once per process) and selects the wasm backend with our kernels; returns threads and SIMD. */
async function startWasm(numThreads: number): Promise<{ threads: number; simd: boolean; threadsNote?: string }> {
  registerWasmKernels();
  if (!wasmStarted) {
    if (!wasmPathsSet && (tf.engine() as unknown as { registry?: Record<string, unknown> }).registry?.wasm == null) {
      wasmBackend.setWasmPaths(`${wasmBinaryDir()}${path.sep}`);
      wasmPathsSet = true;
    }
    const want = resolveThreads(numThreads);
    let prep: Awaited<ReturnType<typeof prepareWasmThreads>> | undefined;
    const startedElsewhere = (tf.engine() as unknown as { registry?: Record<string, unknown> }).registry?.wasm != null;
    if (startedElsewhere) {
      // Some other code ran tf.setBackend('wasm') / tf.ready() first: its thread count stands.
      if (want > 1) wasmThreadsNote = 'the wasm backend was already started by other code; its thread count stands';
    } else if (want > 1) {
      prep = await prepareWasmThreads(want);
      if (!prep.ok) wasmThreadsNote = `1 thread: ${prep.reason}`;
    } else {
      wasmBackend.setThreadsCount(1);
    }
    let started: { value: boolean; warnings: string };
    try {
      started = await quietly(() => withTimeout(tf.setBackend('wasm'), 60_000, 'wasm start timed out after 60 s'));
    } catch (e) {
      started = { value: false, warnings: firstLine(e) };
    } finally {
      if (prep?.ok) prep.finish();
    }
    if (!started.value && prep?.ok) {
      wasmThreadsNote = `1 thread: the threaded start failed (${started.warnings || 'unknown reason'})`;
      disableWasmThreads();
      started = await quietly(() => tf.setBackend('wasm'));
    }
    if (!started.value) {
      throw new Error(`the wasm backend failed to start: ${started.warnings || 'unknown reason'}`);
    }
    wasmStarted = true;
    unrefWasmWorkers(tf.backend());
    const got = wasmBackend.getThreadsCount();
    if (want > 1 && got < want && wasmThreadsNote == null) {
      wasmThreadsNote = `${got} thread(s) of ${want} requested: the wasm backend capped the count`;
    }
  } else if (!(await tf.setBackend('wasm'))) {
    throw new Error('the wasm backend failed to restart');
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  return { threads: wasmBackend.getThreadsCount(), simd, threadsNote: wasmThreadsNote };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function startJs(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the pure-JS cpu backend failed to start');
  // Silence tfjs's one-time "install tfjs-node" banner: the user chose this backend.
  const backend = tf.backend();
  if (backend instanceof MathBackendCPU) (backend as unknown as { firstUse: boolean }).firstUse = false;
}

/**
 * Thread request for tfjs-node: exported as `TF_NUM_INTRAOP_THREADS` (read by libtensorflow's process_util when it
 * creates its thread pools; not verified on this machine, which has no tfjs-node) unless the user set it.
 * Returns the count reported in {@link BackendInfo.threads}.
 */
function setNodeThreads(numThreads: number): number {
  if (numThreads > 0) process.env.TF_NUM_INTRAOP_THREADS ??= String(resolveThreads(numThreads));
  const fromEnv = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : resolveThreads(0);
}

type LibtorchStart = { ok: true; version: string; threads: number; gpu?: string } | { ok: false; reason: string };

/** CUDA devices the libtorch addon's libtorch sees (0 when the addon is absent or a CPU build). */
function libtorchCudaDevices(): number {
  const loaded = loadAddon();
  return loaded.ok ? loaded.addon.cudaDeviceCount() : 0;
}

/**
 * Registers and selects the `libtorch` backend (runtime/backend/libtorch, an addon built by `npm run build:libtorch`)
 * on `device` ('cpu' or 'cuda'), with `numThreads` ATen threads (0 = one per core). Never throws.
 */
async function startLibtorch(device: 'cpu' | 'cuda', numThreads: number, cudnn?: CudnnFlags): Promise<LibtorchStart> {
  const r = registerLibtorchBackend(device, resolveThreads(numThreads), cudnn);
  if (!r.ok) return r;
  let ok: boolean;
  try {
    ok = (await quietly(() => tf.setBackend(LIBTORCH_BACKEND_NAME))).value;
  } catch (e) {
    return { ok: false, reason: `its backend failed to start: ${firstLine(e)}` };
  }
  if (!ok) return { ok: false, reason: 'its backend failed to start' };
  return { ok: true, version: r.info.version, threads: r.info.threads, gpu: device === 'cuda' ? (gpuName() ?? 'CUDA device') : undefined };
}

/**
 * Selects and initialises the TensorFlow.js backend for `device`, and reports what was chosen.
 *
 * - `auto`: the fastest engine that loads, by the measurements in docs/libtorch.md: tfjs-node-gpu with a CUDA device,
 *   libtorch on CUDA (a CUDA libtorch build that sees a device), libtorch on CPU, tfjs-node, wasm.
 * - `cuda` / `gpu`: tfjs-node-gpu with a CUDA device, else libtorch on CUDA (a CUDA libtorch build), else an Error
 *   saying why, how to install them and what `auto` would use.
 * - `cpu`: libtorch on CPU, else tfjs-node, else wasm. `libtorch`: the libtorch (ATen) engine on CPU (runtime/backend/libtorch, built by
 *   `npm run build:libtorch`), else an Error saying why. `wasm`: wasm only.
 *   `js`: tfjs's pure-JS `cpu` backend (very slow, for reference).
 *
 * On wasm it registers the composed kernels ({@link registerWasmKernels}) and, when `numThreads` resolves to more
 * than 1 (0 = auto = `os.cpus().length`), tries the threads workaround (see `wasm/threads.ts`), falling back to
 * 1 thread with {@link BackendInfo.threadsNote}. Optional packages' failures never throw library stack traces;
 * they are summarised in {@link BackendInfo.skipped}.
 * @param cudnn the config's `cudnn.benchmark` / `cudnn.deterministic`, set as ATen's flags when libtorch is chosen
 *   (libtorch's defaults, both off, when omitted)
 */
export async function initBackend(device: Device, numThreads: number, cudnn?: CudnnFlags): Promise<BackendInfo> {
  // libtensorflow sizes its thread pools when tfjs-node creates its context, i.e. on load: set the request first.
  const nodeThreads = device === 'wasm' || device === 'js' ? 0 : setNodeThreads(numThreads);
  const e = new Engines(numThreads, nodeThreads, cudnn);
  switch (device) {
    case 'auto':
      return autoBackend(e);
    case 'cuda':
    case 'gpu':
      return cudaBackend(e, device);
    case 'cpu':
      return (await e.libtorch('cpu')) ?? (await e.node(TFJS_NODE, 'tfjs-node')) ?? e.wasm();
    case 'libtorch': {
      const info = await e.libtorch('cpu');
      if (info) return info;
      throw new Error(`device libtorch: ${e.skipped[e.skipped.length - 1].reason}. See docs/libtorch.md.`);
    }
    case 'wasm':
      return e.wasm();
    case 'js':
      await startJs();
      return { ...e.base, backend: tf.getBackend(), engine: 'js', threads: 1 };
    default: {
      const never: never = device;
      throw new Error(`unknown device ${String(never)}: use auto, cuda, gpu, cpu, wasm, js or libtorch`);
    }
  }
}

/** The engines {@link initBackend} tries, each recording why it was skipped. */
class Engines {
  readonly skipped: BackendInfo['skipped'] = [];
  readonly base = { tfjsVersion: tf.version_core, skipped: this.skipped };

  constructor(
    private readonly numThreads: number,
    private readonly nodeThreads: number,
    private readonly cudnn?: CudnnFlags,
  ) {}

  /** tfjs-node or tfjs-node-gpu, or undefined (skipped) when it does not load or start. */
  async node(pkg: string, engine: 'tfjs-node' | 'tfjs-node-gpu'): Promise<BackendInfo | undefined> {
    const r = await loadTfjsNode(pkg);
    if (!r.ok) {
      this.skipped.push({ engine, reason: r.reason });
      return undefined;
    }
    if (!(await tf.setBackend('tensorflow'))) {
      this.skipped.push({ engine, reason: 'its backend failed to restart' });
      return undefined;
    }
    return { ...this.base, backend: tf.getBackend(), engine, threads: this.nodeThreads, gpu: r.gpuName };
  }

  /** Starts the libtorch engine on `dev` (nothing recorded). */
  startLibtorch(dev: 'cpu' | 'cuda'): ReturnType<typeof startLibtorch> {
    return startLibtorch(dev, this.numThreads, this.cudnn);
  }

  /** The libtorch engine on `dev`, or undefined (skipped). */
  async libtorch(dev: 'cpu' | 'cuda'): Promise<BackendInfo | undefined> {
    const r = await this.startLibtorch(dev);
    if (!r.ok) {
      this.skipped.push({ engine: dev === 'cuda' ? 'libtorch (CUDA)' : 'libtorch', reason: r.reason });
      return undefined;
    }
    return this.libtorchInfo(r);
  }

  libtorchInfo(r: { threads: number; gpu?: string; version: string }): BackendInfo {
    return { ...this.base, backend: tf.getBackend(), engine: 'libtorch', threads: r.threads, gpu: r.gpu, libtorchVersion: r.version };
  }

  async wasm(): Promise<BackendInfo> {
    const w = await startWasm(this.numThreads);
    return { ...this.base, backend: tf.getBackend(), engine: 'wasm', threads: w.threads, simd: w.simd, threadsNote: w.threadsNote };
  }
}

/**
 * `device auto`, fastest first, as measured (docs/libtorch.md): a GPU engine; then libtorch (ATen, PyTorch's own
 * kernels, 0.9-1.1x PyTorch here) before tfjs-node (libtensorflow's eager ops) and wasm (0.1-0.4x PyTorch).
 */
async function autoBackend(e: Engines): Promise<BackendInfo> {
  const gpuLoad = await loadTfjsNode(TFJS_NODE_GPU);
  if (gpuLoad.ok && gpuLoad.gpu) {
    const info = await e.node(TFJS_NODE_GPU, 'tfjs-node-gpu');
    if (info) return info;
  } else {
    e.skipped.push({ engine: 'tfjs-node-gpu', reason: gpuLoad.ok ? 'it sees no CUDA device' : gpuLoad.reason });
  }
  if (libtorchCudaDevices() > 0) {
    const info = await e.libtorch('cuda');
    if (info) return info;
  }
  return (
    (await e.libtorch('cpu')) ??
    (await e.node(TFJS_NODE, 'tfjs-node')) ??
    (gpuLoad.ok && !gpuLoad.gpu ? await e.node(TFJS_NODE_GPU, 'tfjs-node-gpu') : undefined) ??
    e.wasm()
  );
}

/** `device cuda` / `gpu`: tfjs-node-gpu with a CUDA device, else libtorch on CUDA, else an Error saying why and what would work. */
async function cudaBackend(e: Engines, device: 'cuda' | 'gpu'): Promise<BackendInfo> {
  const r = await loadTfjsNode(TFJS_NODE_GPU);
  const reason = !r.ok ? r.reason : !r.gpu ? 'it loaded but sees no CUDA device' : undefined;
  if (reason == null) {
    const info = await e.node(TFJS_NODE_GPU, 'tfjs-node-gpu');
    if (info) return info;
  }
  const lt = await e.startLibtorch('cuda');
  if (lt.ok) return e.libtorchInfo(lt);
  const autoWould = [loadAddon().ok ? 'libtorch' : '', safeResolve(localRequire, TFJS_NODE) != null ? 'tfjs-node' : '', 'wasm'].filter(Boolean).join(' if it loads, else ');
  throw new Error(
    `device ${device}: ${TFJS_NODE_GPU} did not load (${reason ?? 'its backend failed to start'}) and libtorch on CUDA is ` +
      `unavailable (${lt.reason}). Install it with: ${INSTALL_HINT[TFJS_NODE_GPU]}` +
      `${lt.reason.includes('LIBTORCH=') ? '' : '; or build the libtorch backend against a CUDA libtorch (LIBTORCH=/path/to/libtorch npm run build:libtorch)'}. ` +
      `'device auto' would use ${autoWould}.`,
  );
}

/**
 * One line for logs, e.g. `backend wasm (SIMD, 2 threads); skipped tfjs-node-gpu: not installed, tfjs-node: not
 * installed`.
 */
export function describeBackend(info: BackendInfo): string {
  const details: string[] = [];
  if (info.engine === 'wasm') details.push(info.simd ? 'SIMD' : 'no SIMD');
  else if (info.engine === 'js') details.push('pure JS, very slow');
  else if (info.engine === 'libtorch') details.push(`libtorch ${info.libtorchVersion ?? ''}`.trim());
  else details.push(info.engine);
  if (info.gpu) details.push(`GPU ${info.gpu}`);
  details.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  let line = `backend ${info.backend} (${details.join(', ')})`;
  if (info.threadsNote) line += `; ${info.threadsNote}`;
  if (info.skipped.length > 0) line += `; skipped ${info.skipped.map((s) => `${s.engine}: ${s.reason}`).join(', ')}`;
  return line;
}
