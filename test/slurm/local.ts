/**
 * Whether the local one-node Slurm of test/slurm/start-local-slurm.sh is up, for the tests that use
 * it: `skip` is false when it is, else the reason (and under ICL_REQUIRE_SLURM=1 `down` makes the
 * test fail instead of skipping). Also the overrides of the tiny runs those tests submit.
 */
import { execFileSync } from 'node:child_process';
import { overrideValue } from '../../runtime/queue/file';

function slurmDown(): string | undefined {
  try {
    const state = execFileSync('sinfo', ['-h', '-N', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 }).trim().split('\n')[0];
    return /^(idle|mixed|allocated)/.test(state) ? undefined : `the local Slurm node is ${state || 'missing'}`;
  } catch (e) {
    return `no running Slurm (${(e as Error).message.split('\n')[0]})`;
  }
}

/** Why the local Slurm cannot be used, or undefined when it is up. */
export const down = slurmDown();
/** The `skip` option of a test that needs the local Slurm. */
export const skip = down && process.env.ICL_REQUIRE_SLURM !== '1' ? `${down}: start it with bash test/slurm/start-local-slurm.sh (.ci/run does)` : false;

/** Overrides of a tiny wasm run on the synthetic CIFAR-10 in `cifar` (1 epoch of `samples` images unless overridden). */
export function tinyRun(cifar: string, samples = 128): Record<string, string | number | boolean | number[]> {
  return {
    'dataset.name': 'CIFAR10',
    'dataset.dataset_dir': cifar,
    device: 'wasm',
    'dataset.max_train_samples': samples,
    'dataset.max_test_samples': 20,
    'model.name': 'vgg',
    'model.vgg.n_channels': [4, 4, 4, 4, 4],
    'model.vgg.n_layers': [1, 1, 1, 1, 1],
    'augmentation.use_random_crop': false,
    'augmentation.use_random_horizontal_flip': false,
    'train.batch_size': 32,
    'scheduler.epochs': 1,
  };
}

/** {@link tinyRun} as command-line `key value` pairs. */
export function tinyRunArgs(cifar: string, samples = 128): string[] {
  return Object.entries(tinyRun(cifar, samples)).flatMap(([k, v]) => [k, overrideValue(v)]);
}
