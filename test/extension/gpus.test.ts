import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readQueueFile } from '../../runtime/queue/file';
import { cpuDataParallelPlan, gpuDataParallelPlan, parseGpuList, queueName, queuePaths, queueYaml, validateProcessCount } from '../../extension/runs/gpus';
import { runtimeLaunch } from '../../extension/runs/launch';

test('nvidia-smi -L: GPU lines with their index; MIG devices and noise skipped', () => {
  const out = 'GPU 0: NVIDIA H200 (UUID: GPU-aaa)\n  MIG 1g.18gb     Device  0: (UUID: MIG-x)\nGPU 1: NVIDIA H200 (UUID: GPU-bbb)\n\nNo devices found\n';
  assert.deepEqual(parseGpuList(out), [
    { index: '0', label: 'GPU 0: NVIDIA H200 (UUID: GPU-aaa)' },
    { index: '1', label: 'GPU 1: NVIDIA H200 (UUID: GPU-bbb)' },
  ]);
  assert.deepEqual(parseGpuList(''), []);
});

test('one data-parallel run over the chosen GPUs: --nproc_per_node N and CUDA_VISIBLE_DEVICES', () => {
  assert.deepEqual(gpuDataParallelPlan(['1', '3']), { flags: ['--nproc_per_node', '2'], overrides: ['device', 'cuda'], env: { CUDA_VISIBLE_DEVICES: '1,3' } });
  assert.throws(() => gpuDataParallelPlan([]), /no GPU/);
  const launch = runtimeLaunch({ mode: 'source', node: 'node', workspace: '/ws', extensionDir: '/ext', cli: 'train', args: [...gpuDataParallelPlan(['0', '1']).flags, '--config', 'c.yaml'] });
  assert.deepEqual(launch.args, ['--import', 'tsx', path.join('/ws', 'runtime', 'cli', 'train.ts'), '--nproc_per_node', '2', '--config', 'c.yaml']);
});

test('data-parallel on the CPU: N wasm processes, no GPU', () => {
  assert.deepEqual(cpuDataParallelPlan(3), { flags: ['--nproc_per_node', '3'], overrides: ['device', 'cpu'], env: { CUDA_VISIBLE_DEVICES: '' } });
  assert.throws(() => cpuDataParallelPlan(0));
  assert.equal(validateProcessCount('2'), undefined);
  assert.match(validateProcessCount('0') ?? '', /whole number/);
  assert.match(validateProcessCount('two') ?? '', /whole number/);
});

test('queue: file and folder names; the bundled queue CLI', () => {
  assert.equal(queueName(new Date(2026, 10, 29, 9, 5, 7)), 'queue-20261129-090507');
  assert.deepEqual(queuePaths('experiments', 'q'), { file: 'experiments/queue/q.yaml', outputDir: 'experiments/queue/q' });
  const launch = runtimeLaunch({ mode: 'bundle', node: 'node', workspace: '/ws', extensionDir: '/ext', cli: 'queue', args: ['/ws/q.yaml'] });
  assert.deepEqual(launch.args, [path.join('/ext', 'dist', 'cli', 'queue.js'), '/ws/q.yaml']);
});

test('queue YAML: one run per chosen config with the same overrides, read back by the runtime', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-queue-'));
  try {
    const configs = [path.resolve('configs/cifar/resnet_preact.yaml'), path.resolve('configs/cifar/wrn.yaml')];
    const { file } = queuePaths(path.join(tmp, 'experiments'), 'q1');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, queueYaml({ configs, overrides: ['scheduler.epochs', '2', 'scheduler.milestones', '[1, 2]'], outputDir: 'q1', device: 'cuda' }));
    const q = readQueueFile(file);
    assert.equal(q.outputDir, path.join(tmp, 'experiments', 'queue', 'q1'));
    assert.equal(q.entries.length, 2);
    assert.deepEqual(q.entries.map((e) => e.config), configs);
    for (const e of q.entries) {
      assert.deepEqual(e.overrides, ['device', 'cuda', 'scheduler.epochs', '2', 'scheduler.milestones', '[1, 2]']);
      assert.equal(path.dirname(e.outputDir), q.outputDir);
    }
    assert.notEqual(q.entries[0].name, q.entries[1].name);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.throws(() => queueYaml({ configs: [], overrides: [], outputDir: 'q' }), /no config/);
  assert.throws(() => queueYaml({ configs: ['a.yaml'], overrides: ['x'], outputDir: 'q' }), /pairs/);
  assert.match(queueYaml({ configs: ['a.yaml'], overrides: [], outputDir: 'q', parallel: 2 }), /parallel: 2/);
});
