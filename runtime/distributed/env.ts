/**
 * Where a worker process learns its place in the process group. In order:
 * - `ICL_RANK`, `ICL_WORLD_SIZE`, `ICL_LOCAL_RANK`, `ICL_MASTER_ADDR`, `ICL_MASTER_PORT`: set by
 *   the launcher (`--nproc_per_node`, runtime/distributed/launch.ts) and by the Slurm batch script;
 * - PyTorch's `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT` (torchrun style);
 * - Slurm's `SLURM_PROCID`, `SLURM_NTASKS`, `SLURM_LOCALID` under `srun`, with the master address
 *   from `ICL_MASTER_ADDR`/`MASTER_ADDR` (the batch script sets it to the first node) and the port
 *   from `ICL_MASTER_PORT`/`MASTER_PORT`, else 20000 + job id mod 20000.
 */
import { ConfigError } from '../config/config_error';

/** A worker's place in the group. */
export interface DistEnv {
  rank: number;
  worldSize: number;
  /** Rank on this machine (picks the GPU). */
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** Which variables it came from. */
  source: 'launcher' | 'torch' | 'slurm';
}

function int(v: string | undefined, what: string): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * The group this process belongs to according to its environment, or null when it runs alone.
 * @throws Error for malformed values (naming the variable)
 */
export function distEnvFrom(env: NodeJS.ProcessEnv = process.env): DistEnv | null {
  if (env.ICL_WORLD_SIZE !== undefined) {
    return {
      rank: int(env.ICL_RANK, 'ICL_RANK'),
      worldSize: int(env.ICL_WORLD_SIZE, 'ICL_WORLD_SIZE'),
      localRank: env.ICL_LOCAL_RANK ? int(env.ICL_LOCAL_RANK, 'ICL_LOCAL_RANK') : int(env.ICL_RANK, 'ICL_RANK'),
      masterAddr: env.ICL_MASTER_ADDR || '127.0.0.1',
      masterPort: int(env.ICL_MASTER_PORT, 'ICL_MASTER_PORT'),
      source: 'launcher',
    };
  }
  if (env.WORLD_SIZE !== undefined && env.RANK !== undefined) {
    return {
      rank: int(env.RANK, 'RANK'),
      worldSize: int(env.WORLD_SIZE, 'WORLD_SIZE'),
      localRank: env.LOCAL_RANK ? int(env.LOCAL_RANK, 'LOCAL_RANK') : 0,
      masterAddr: env.MASTER_ADDR || '127.0.0.1',
      masterPort: int(env.MASTER_PORT, 'MASTER_PORT'),
      source: 'torch',
    };
  }
  if (env.SLURM_PROCID !== undefined && env.SLURM_NTASKS !== undefined && Number(env.SLURM_NTASKS) > 1) {
    const port = env.ICL_MASTER_PORT || env.MASTER_PORT;
    return {
      rank: int(env.SLURM_PROCID, 'SLURM_PROCID'),
      worldSize: int(env.SLURM_NTASKS, 'SLURM_NTASKS'),
      localRank: env.SLURM_LOCALID ? int(env.SLURM_LOCALID, 'SLURM_LOCALID') : 0,
      masterAddr: env.ICL_MASTER_ADDR || env.MASTER_ADDR || '127.0.0.1',
      masterPort: port ? int(port, 'ICL_MASTER_PORT') : 20000 + (Number(env.SLURM_JOB_ID ?? 0) % 20000),
      source: 'slurm',
    };
  }
  return null;
}

/** The original's `train.dist` keys that concern the rendezvous. */
export interface DistKeys {
  init_method: string;
  world_size: number;
  node_rank: number;
}

/**
 * The group as the config's `train.dist` keys refine the environment's (torch.distributed.init_process_group's
 * arguments in the original): `init_method` tcp://HOST:PORT replaces the master address and port (env:// keeps
 * them); `world_size` and `node_rank` (the original passes it as the rank), when not -1, must agree with the
 * environment's.
 * @throws ConfigError naming the key and both values when they disagree
 */
export function withDistKeys(env: DistEnv, keys: DistKeys): DistEnv {
  let out = env;
  const tcp = /^tcp:\/\/([^:/\s]+):(\d+)\/?$/.exec(keys.init_method);
  if (tcp) out = { ...out, masterAddr: tcp[1], masterPort: Number(tcp[2]) };
  if (keys.world_size >= 0 && keys.world_size !== env.worldSize) {
    throw new ConfigError(`${keys.world_size}, but the launcher started ${env.worldSize} workers (leave it -1 to take it from the environment)`, { key: 'train.dist.world_size' });
  }
  if (keys.node_rank >= 0 && keys.node_rank !== env.rank) {
    throw new ConfigError(`${keys.node_rank}, but this worker is rank ${env.rank} (leave it -1 to take it from the environment)`, { key: 'train.dist.node_rank' });
  }
  return out;
}

/**
 * Why `device` can never train in several processes (wasm and js have no c10d collectives), in one
 * line, or undefined. Whether the libtorch addon here has them is process_group.ts's
 * `multiProcessUnsupported`; this check loads nothing.
 */
export function multiProcessDeviceProblem(device: string): string | undefined {
  if (device !== 'wasm' && device !== 'js') return undefined;
  return `training in several processes needs the libtorch backend (PyTorch's c10d collectives), not device ${device}: use device cpu, libtorch, cuda or auto with the addon built (npm run build:libtorch)`;
}
