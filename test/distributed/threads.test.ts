import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { planWorkers } from '../../runtime/distributed/launch';
import { NUM_THREADS_ENV, processThreads } from '../../runtime/distributed/threads';

test('processThreads: num_threads wins, else the launcher share, else srun tasks share the cores, else auto (0)', () => {
  assert.equal(processThreads(3, { [NUM_THREADS_ENV]: '1', SLURM_PROCID: '0', SLURM_CPUS_PER_TASK: '8' }, 16), 3);
  assert.equal(processThreads(0, { [NUM_THREADS_ENV]: '2' }, 16), 2);
  assert.equal(processThreads(0, {}, 16), 0);
  assert.equal(processThreads(0, { [NUM_THREADS_ENV]: 'x' }, 16), 0);
  // Under srun: --cpus-per-task, else the cores over this node's tasks.
  assert.equal(processThreads(0, { SLURM_PROCID: '1', SLURM_CPUS_PER_TASK: '4' }, 16), 4);
  assert.equal(processThreads(0, { SLURM_PROCID: '1', SLURM_NTASKS_PER_NODE: '4' }, 16), 4);
  assert.equal(processThreads(0, { SLURM_PROCID: '1', SLURM_TASKS_PER_NODE: '2(x3)' }, 2), 1);
  assert.equal(processThreads(0, { SLURM_PROCID: '0', SLURM_TASKS_PER_NODE: '1' }, 16), 0);
  // Slurm variables of a batch step without srun tasks do not count.
  assert.equal(processThreads(0, { SLURM_CPUS_PER_TASK: '4' }, 16), 0);
});

test('the launcher gives workers their share in the environment, not as a config override', () => {
  const plan = planWorkers({ nproc: 2, args: ['--config', 'c.yaml'], device: 'wasm', numThreads: 0 }, 1234, [], 4);
  for (const w of plan) {
    assert.equal(w.env[NUM_THREADS_ENV], '2');
    assert.ok(!w.args.includes('num_threads'), w.args.join(' '));
  }
  const pinned = planWorkers({ nproc: 2, args: [], device: 'wasm', numThreads: 3 }, 1234, [], 4);
  assert.equal(pinned[0].env[NUM_THREADS_ENV], '3');
});
