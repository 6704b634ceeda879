/**
 * The data-parallel process group: PyTorch's c10d (Gloo; NCCL for CUDA tensors when the linked libtorch has it)
 * through the libtorch addon (runtime/backend/libtorch/native/process_group.cc). The same worker joins under our
 * `--nproc_per_node` launcher, under `srun`, or under torchrun (runtime/distributed/env.ts gives rank and rendezvous).
 *
 * Every collective blocks until it is done on every rank. When one fails (a rank died, or did not answer within
 * the timeout), the surviving ranks find out which rank is gone through the rendezvous store and throw a
 * {@link DistError} naming it; Gloo's own message names no rank.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon, type LibtorchAddon } from '../backend/libtorch/addon';
import { KernelScope, LibtorchBackend } from '../backend/libtorch/backend';
import { multiProcessDeviceProblem } from './env';

/** Seconds a collective or the rendezvous waits for the other ranks (default 300). */
export const DIST_TIMEOUT_ENV = 'ICL_DIST_TIMEOUT_S';
const DEFAULT_TIMEOUT_S = 300;
/** Seconds the surviving ranks wait for each other after a failed collective, to learn which rank is gone. */
export const FAILURE_WAIT_S = 5;
/** DDP's bucket size (`bucket_cap_mb` 25). */
export const BUCKET_BYTES = 25 * 1024 * 1024;

/** A failed rendezvous or collective; the message names the ranks concerned. */
export class DistError extends Error {
  override name = 'DistError';
}

/** One worker of the group, as `run_start` records it. */
export interface WorkerInfo {
  rank: number;
  pid: number;
  host: string;
}

/** How to join. */
export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  /** Rank on this machine (which GPU, without CUDA_VISIBLE_DEVICES). */
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** `train.dist.backend`: `nccl` uses NCCL for CUDA tensors when every rank has a GPU of its own, `gloo` never. */
  backend?: 'nccl' | 'gloo';
  /** Whether this worker trains on CUDA tensors (NCCL is considered only then). */
  cuda?: boolean;
  /** Default: `ICL_DIST_TIMEOUT_S`, else 300 s. */
  timeoutSeconds?: number;
}

/** Timeout of collectives and rendezvous, seconds. @throws Error when `ICL_DIST_TIMEOUT_S` is not a positive number */
export function distTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[DIST_TIMEOUT_ENV];
  if (v === undefined || v === '') return DEFAULT_TIMEOUT_S;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${DIST_TIMEOUT_ENV} must be a positive number of seconds, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * Why this process cannot train with other processes on `device`, in one line, or undefined when it can (the
 * libtorch addon is built with Gloo). Checked by the launcher before it starts workers.
 */
export function multiProcessUnsupported(device: string): string | undefined {
  const never = multiProcessDeviceProblem(device);
  if (never) return never;
  const loaded = loadAddon();
  if (!loaded.ok) return `training in several processes needs the libtorch backend (PyTorch's c10d collectives): ${loaded.reason}`;
  if (!loaded.addon.pgBackends().gloo) {
    return 'training in several processes needs c10d Gloo, but the libtorch addon was built without it (no gloo headers: apt-get install libgloo-dev, then npm run build:libtorch)';
  }
  return undefined;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function listRanks(ranks: number[]): string {
  return `rank${ranks.length > 1 ? 's' : ''} ${ranks.join(', ')}`;
}

/** This process's place in the c10d group, and its collectives. */
export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  /** `gloo`, or `gloo+nccl` when CUDA tensors go through NCCL. */
  readonly backendName: string;
  /** Every worker's pid and host (rank order). */
  readonly workers: WorkerInfo[];
  /** Milliseconds spent in the gradient all-reduce (including waiting for the slowest rank). */
  readonly stats = { ms: 0 };
  private closed = false;

  private constructor(private readonly addon: LibtorchAddon, private readonly where: string, o: ProcessGroupOptions, backendName: string, workers: WorkerInfo[]) {
    this.rank = o.rank;
    this.worldSize = o.worldSize;
    this.backendName = backendName;
    this.workers = workers;
  }

  /**
   * Joins the group: rendezvous through a TCPStore hosted by rank 0 at masterAddr:masterPort, then a Gloo group
   * (and an NCCL one for CUDA tensors when `backend` is `nccl`, the addon has it, and no two ranks share a GPU).
   * @throws DistError when the addon cannot do it, or the rendezvous times out (naming address, port and the
   *   ranks that did not arrive)
   */
  static join(o: ProcessGroupOptions): ProcessGroup {
    const why = multiProcessUnsupported('libtorch');
    if (why) throw new DistError(why);
    const addon = (loadAddon() as { ok: true; addon: LibtorchAddon }).addon;
    const timeoutS = o.timeoutSeconds ?? distTimeoutSeconds();
    const where = `${o.masterAddr}:${o.masterPort}`;
    try {
      addon.pgInit(o.masterAddr, o.masterPort, o.rank, o.worldSize, Math.round(timeoutS * 1000));
    } catch (e) {
      throw new DistError(`rank ${o.rank}: ${firstLine(e)}`);
    }
    addon.pgStoreSet(`worker/${o.rank}`, JSON.stringify({ rank: o.rank, pid: process.pid, host: os.hostname() }));
    const workers = Array.from({ length: o.worldSize }, (_, r) => JSON.parse(addon.pgStoreGet(`worker/${r}`)) as WorkerInfo);
    let backendName = 'gloo';
    if (o.cuda && (o.backend ?? 'nccl') === 'nccl' && addon.pgBackends().nccl) {
      // NCCL refuses two ranks on one GPU: use it only when every rank has its own.
      const gpu = (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',')[0]?.trim() || String(o.localRank);
      addon.pgStoreSet(`gpu/${o.rank}`, `${os.hostname()}/${gpu}`);
      const gpus = Array.from({ length: o.worldSize }, (_, r) => addon.pgStoreGet(`gpu/${r}`));
      if (new Set(gpus).size === gpus.length) {
        addon.pgUseNccl();
        backendName = 'gloo+nccl';
      }
    }
    return new ProcessGroup(addon, where, o, backendName, workers);
  }

  /** Why CUDA tensors do not go through NCCL here, for the log; undefined when they do. */
  ncclNote(cuda: boolean): string | undefined {
    if (!cuda || this.backendName.includes('nccl')) return undefined;
    return this.addon.pgBackends().nccl ? 'ranks share a GPU (NCCL refuses that) or train.dist.backend is gloo' : 'this libtorch addon has no NCCL';
  }

  /**
   * The element-wise mean over the ranks of each tensor (gradients): flattened into buckets of
   * {@link BUCKET_BYTES}, every bucket's all-reduce started before the first is awaited, then divided by the world
   * size. The values stay in libtorch. Needs the libtorch backend; the inputs are not modified.
   * @returns new tensors (the caller disposes them), shapes as given
   */
  allReduceMean(tensors: tf.Tensor[]): tf.Tensor[] {
    const backend = libtorchBackend();
    const t0 = performance.now();
    const out = this.guard('the gradient all-reduce', () => this.addon.pgAllReduceMean(tensors.map((t) => backend.handle(t.dataId)), BUCKET_BYTES));
    this.stats.ms += performance.now() - t0;
    return out.map((lt) => tf.engine().makeTensorFromTensorInfo(backend.adopt(new KernelScope(backend), lt), backend));
  }

  /** Sums `values` over the ranks, in place (float64; metrics, flags, synchronised batch norm). */
  sumF64(values: Float64Array): void {
    this.guard('an all-reduce', () => this.addon.pgAllReduceF64(values));
  }

  /** Replaces each variable's value by rank `root`'s (initial weights, BN buffers). */
  broadcastVariables(variables: readonly tf.Variable[], root = 0): void {
    if (variables.length === 0) return;
    const backend = libtorchBackend();
    const out = this.guard('a broadcast', () => this.addon.pgBroadcast(variables.map((v) => backend.handle(v.dataId)), root));
    variables.forEach((v, i) => {
      const t = tf.engine().makeTensorFromTensorInfo(backend.adopt(new KernelScope(backend), out[i], v.dtype), backend);
      v.assign(t);
      t.dispose();
    });
  }

  /** Waits until every rank gets here. */
  barrier(): void {
    this.guard('a barrier', () => this.addon.pgBarrier());
  }

  /** Leaves the group (after a last barrier, so rank 0's store outlives every other rank's use of it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.pgBarrier();
    this.addon.pgDestroy();
  }

  /** Marks the group unusable without talking to the other ranks (after a failure). */
  abort(): void {
    this.closed = true;
  }

  /** Runs a collective; on failure, finds out which ranks are gone and throws a DistError naming them. */
  private guard<T>(what: string, f: () => T): T {
    if (this.closed) throw new DistError(`rank ${this.rank}: ${what} on a closed process group`);
    try {
      return f();
    } catch (e) {
      this.closed = true;
      throw new DistError(this.diagnose(what, firstLine(e)));
    }
  }

  /**
   * Every surviving rank writes `failed/<rank>` to the store and waits up to {@link FAILURE_WAIT_S} s for the
   * others' keys; the ranks whose key never came are the dead or stalled ones. Without the store, rank 0 (which
   * hosts it) is gone.
   */
  private diagnose(what: string, cause: string): string {
    const me = `rank ${this.rank}: ${what} failed`;
    try {
      this.addon.pgStoreSet(`failed/${this.rank}`, cause);
    } catch {
      return `${me}: rank 0 is gone (it hosted the rendezvous store at ${this.where}; exited, killed or unreachable) (${cause})`;
    }
    const deadline = Date.now() + FAILURE_WAIT_S * 1000;
    let missing: number[] = [];
    for (;;) {
      try {
        missing = Array.from({ length: this.worldSize }, (_, r) => r).filter((r) => !this.addon.pgStoreCheck(`failed/${r}`));
      } catch {
        return `${me}: rank 0 is gone (it hosted the rendezvous store at ${this.where}; exited, killed or unreachable) (${cause})`;
      }
      if (missing.length === 0 || Date.now() > deadline) break;
      sleepSync(100);
    }
    if (missing.length === 0) return `${me} on every rank (${cause})`;
    return `${me}: ${listRanks(missing)} of ${this.worldSize} did not answer (the worker exited, was killed or stalled) (${cause})`;
  }
}

/** The active tfjs backend, which must be libtorch for the collectives. */
function libtorchBackend(): LibtorchBackend {
  const b = tf.engine().backend;
  if (!(b instanceof LibtorchBackend)) throw new DistError(`the collectives need the libtorch backend, but ${tf.getBackend()} is active`);
  return b;
}
