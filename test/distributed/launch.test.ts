import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../runtime/config';
import { withDistKeys, type DistEnv } from '../../runtime/distributed/env';
import { nodeFlags, planWorkers, withoutFlags } from '../../runtime/distributed/launch';

test('nodeFlags: torchrun-style node flags, and one line naming the flag that is missing or malformed', () => {
  assert.deepEqual(nodeFlags({}), { nnodes: 1, nodeRank: 0, masterAddr: '127.0.0.1', masterPort: undefined });
  assert.deepEqual(nodeFlags({ nnodes: '2', node_rank: '1', master_addr: '10.0.0.5' }), { nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.5', masterPort: 29500 });
  assert.equal(nodeFlags({ nnodes: '2', node_rank: '0', master_addr: 'a', master_port: '1234' }).masterPort, 1234);
  assert.throws(() => nodeFlags({ nnodes: '2', node_rank: '0' }), /^ConfigError: --nnodes 2 needs --master_addr/);
  assert.throws(() => nodeFlags({ nnodes: '2', master_addr: 'a' }), /--nnodes 2 needs --node_rank/);
  assert.throws(() => nodeFlags({ nnodes: '2', node_rank: '2', master_addr: 'a' }), /--node_rank must be below --nnodes 2, got 2/);
  assert.throws(() => nodeFlags({ nnodes: 'x' }), /--nnodes must be an integer >= 1, got x/);
  assert.throws(() => nodeFlags({ node_rank: '1' }), /--node_rank 1 needs --nnodes/);
  assert.throws(() => nodeFlags({ master_port: '70000' }), /--master_port must be a TCP port/);
});

test('node R of M starts ranks R·N..R·N+N-1 of M·N, meeting at the master address; the workers get no launcher flags', () => {
  const plan = planWorkers({ nproc: 2, args: [], device: 'cpu', numThreads: 1, nnodes: 3, nodeRank: 1, masterAddr: '10.0.0.5' }, 29500, [], 4);
  assert.deepEqual(plan.map((p) => [p.rank, p.env.ICL_RANK, p.env.ICL_LOCAL_RANK, p.env.ICL_WORLD_SIZE, p.env.ICL_MASTER_ADDR]), [
    [2, '2', '0', '6', '10.0.0.5'],
    [3, '3', '1', '6', '10.0.0.5'],
  ]);
  assert.deepEqual(withoutFlags(['--nnodes', '2', '--node_rank=1', '--config', 'c.yaml', '--master_addr', 'a', '--master_port=5', '--nproc_per_node', '2', 'k', 'v']), ['--config', 'c.yaml', 'k', 'v']);
});

test('train.dist keys: init_method tcp:// sets the rendezvous; world_size and node_rank must agree with the launcher', () => {
  const env: DistEnv = { rank: 1, worldSize: 2, localRank: 1, masterAddr: '127.0.0.1', masterPort: 1000, source: 'torch' };
  assert.deepEqual(withDistKeys(env, { init_method: 'env://', world_size: -1, node_rank: -1 }), env);
  assert.deepEqual(withDistKeys(env, { init_method: 'tcp://10.1.2.3:23456', world_size: 2, node_rank: 1 }), { ...env, masterAddr: '10.1.2.3', masterPort: 23456 });
  assert.throws(() => withDistKeys(env, { init_method: 'env://', world_size: 4, node_rank: -1 }), (e: unknown) => e instanceof ConfigError && /^train\.dist\.world_size: 4, but the launcher started 2 workers/.test(e.message));
  assert.throws(() => withDistKeys(env, { init_method: 'env://', world_size: -1, node_rank: 0 }), (e: unknown) => e instanceof ConfigError && /^train\.dist\.node_rank: 0, but this worker is rank 1/.test(e.message));
});
