/**
 * Loads the Node-API addon of the `libtorch` backend (native/addon.cc, built by `npm run build:libtorch`).
 * The addon holds at::Tensor handles by integer id and calls ATen operators through the c10 dispatcher.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

/** Env var naming an addon file to load instead of native/build/Release/icl_libtorch.node. */
export const LIBTORCH_ADDON_ENV = 'ICL_LIBTORCH_ADDON';
/** `=1` when the addon loads: count c10's allocations ({@link LibtorchAddon.allocatorStats}). */
export const LIBTORCH_ALLOC_STATS_ENV = 'ICL_LIBTORCH_ALLOC_STATS';

/** A tensor result of {@link LibtorchAddon.call}: handle id, shape and c10::ScalarType code. */
export interface LtTensor {
  id: number;
  shape: number[];
  dtype: number;
}

/** A result of an operator call: tensors, lists/tuples of them, numbers, booleans or null. */
export type LtValue = LtTensor | LtValue[] | number | boolean | null;

/** The functions exported by icl_libtorch.node. */
export interface LibtorchAddon {
  /** Copies a typed array into a new tensor of `shape` and c10::ScalarType `dtype` (optionally on `device`). */
  fromData(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: number, device?: string): number;
  /** A contiguous CPU copy of the tensor's values. */
  toData(id: number): Float32Array | Int32Array | Uint8Array | Float64Array | BigInt64Array;
  /** Drops the handle (the storage is freed when no view holds it). Unknown ids are ignored. */
  free(id: number): void;
  /** Looks an operator up by schema name and overload (e.g. 'aten::add', 'Tensor'); throws if absent. */
  op(name: string, overload: string): number;
  /**
   * Calls an operator with positional arguments in schema order (tensor ids, numbers, arrays, strings, booleans;
   * `undefined` takes the schema default, `null` is None).
   */
  call(op: number, args: unknown[]): LtValue;
  info(id: number): LtTensor;
  memory(): { numTensors: number; numBytes: number };
  /**
   * Bytes that c10's allocators hand out on the JS thread (their own figure, as PyTorch's memory profiler sees it:
   * native/allocator_stats.cc) and their peak since the addon loaded or the last `allocatorStats(true)`, which
   * restarts the peak from the bytes in use. Only when ICL_LIBTORCH_ALLOC_STATS=1 was set before the addon loaded
   * ({@link LIBTORCH_ALLOC_STATS_ENV}); throws otherwise.
   */
  allocatorStats(resetPeak?: boolean): { bytes: number; peakBytes: number };
  setNumThreads(n: number): number;
  getNumThreads(): number;
  version(): string;
  cudaDeviceCount(): number;
  /** Whether the linked libtorch was built with CUDA (libc10_cuda loaded), whether or not it sees a device. */
  cudaBuilt(): boolean;
  /**
   * Sets ATen's global cuDNN flags, as `torch.backends.cudnn.benchmark` / `.deterministic` do; returns those in force.
   * Process-wide; without effect on CPU tensors.
   */
  setCudnn(benchmark: boolean, deterministic: boolean): { benchmark: boolean; deterministic: boolean };
  config(): string;
  /** The c10d process group (native/process_group.cc; runtime/distributed/process_group.ts wraps it). */
  pgBackends(): { gloo: boolean; nccl: boolean };
  /** Rendezvous at addr:port (rank 0 hosts the TCPStore) and forms the Gloo group; returns what Gloo bound. */
  pgInit(addr: string, port: number, rank: number, worldSize: number, timeoutMs: number): string;
  pgUseNccl(): void;
  /** New tensors: the mean over the ranks of each tensor, all-reduced in buckets of at most `bucketBytes`. */
  pgAllReduceMean(ids: number[], bucketBytes: number): LtTensor[];
  /** Sums in place over the ranks. */
  pgAllReduceF64(values: Float64Array): void;
  /** New tensors holding rank `root`'s values. */
  pgBroadcast(ids: number[], root: number): LtTensor[];
  pgBarrier(): void;
  pgStoreSet(key: string, value: string): void;
  pgStoreCheck(key: string): boolean;
  pgStoreGet(key: string): string;
  pgDestroy(): void;
}

/** Where the built addon lies (or the file named by `$ICL_LIBTORCH_ADDON`). */
export function addonPath(): string {
  const fromEnv = process.env[LIBTORCH_ADDON_ENV];
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(__dirname, 'native', 'build', 'Release', 'icl_libtorch.node');
}

let loaded: { ok: true; addon: LibtorchAddon } | { ok: false; reason: string } | undefined;

/**
 * Loads the addon once per process. Never throws: the failure reason is a single line (not built, libtorch
 * shared libraries missing, ...).
 */
export function loadAddon(): { ok: true; addon: LibtorchAddon } | { ok: false; reason: string } {
  if (loaded) return loaded;
  const file = addonPath();
  const named = process.env[LIBTORCH_ADDON_ENV];
  if (named && !fs.existsSync(file)) {
    loaded = { ok: false, reason: `${LIBTORCH_ADDON_ENV} names ${named}, which does not exist` };
    return loaded;
  }
  if (!fs.existsSync(file)) {
    loaded = { ok: false, reason: `the addon is not built (${path.relative(process.cwd(), file) || file} missing; run npm run build:libtorch with libtorch installed)` };
    return loaded;
  }
  try {
    const addon = createRequire(__filename)(file) as LibtorchAddon;
    loaded = { ok: true, addon };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
    loaded = { ok: false, reason: `the addon failed to load: ${msg}` };
  }
  return loaded;
}
