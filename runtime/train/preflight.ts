/**
 * Checks of a config that this runtime cannot train although the config tree allows it: run by the
 * trainer, and before any worker starts by the launcher, `submit` and `queue`. No TensorFlow.js and
 * no backend are loaded here, so `submit` and `queue` stay light.
 */
import { ConfigError, type Config } from '../config';

/** Precision levels TensorFlow.js can train at. */
export const SUPPORTED_PRECISIONS = ['O0'] as const;

/**
 * @throws ConfigError (key `train.precision`) for any `train.precision` but O0: the apex mixed/half precision levels (O1, O2,
 *   O3) have no TensorFlow.js counterpart; training here is always float32.
 */
export function checkPrecision(precision: string): void {
  if ((SUPPORTED_PRECISIONS as readonly string[]).includes(precision)) return;
  throw new ConfigError(
    `train.precision ${precision} is not supported: TensorFlow.js trains in float32 only (O0); the original's O1/O2/O3 are NVIDIA apex mixed/half precision levels. Set train.precision O0.`,
    { key: 'train.precision' },
  );
}

/**
 * Checks the distributed options (`train.dist.*`) of a config as if `train.distributed` were
 * true (the launcher, the workers, `submit --slurm` and Slurm queues ask when more than one
 * process will train). `backend` nccl and gloo and `init_method` env:// and tcp://HOST:PORT are
 * implemented (docs/distributed.md); mpi and file:// are not.
 * @throws ConfigError naming the key and what is expected
 */
export function checkDistributedConfig(cfg: Config): void {
  const d = cfg.train.dist;
  if (d.backend === 'mpi') throw new ConfigError(`train.dist.backend: mpi is not available (this runtime has PyTorch's c10d Gloo and NCCL); use nccl or gloo`, { key: 'train.dist.backend' });
  if (d.init_method !== 'env://' && !/^tcp:\/\/[^:/\s]+:\d+\/?$/.test(d.init_method)) {
    throw new ConfigError(`train.dist.init_method: expected env:// or tcp://HOST:PORT, got ${JSON.stringify(d.init_method)}`, { key: 'train.dist.init_method' });
  }
}
