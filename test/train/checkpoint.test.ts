import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Model, Param } from '../../runtime/models/types';
import {
  CheckpointError,
  findLastCheckpoint,
  loadCheckpoint,
  loadModelTensors,
  modelTensors,
  probeCheckpoint,
  restoreOptimizerState,
  saveCheckpoint,
  type CheckpointInput,
  type HostTensor,
} from '../../runtime/train/checkpoint';
import { SGD } from '../../runtime/train/optim';

let root: string;
before(async () => {
  await tf.setBackend('cpu');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-ckpt-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

let runCounter = 0;
function runDir(): string {
  runCounter += 1;
  return path.join(root, `run${runCounter}`);
}

let modelCounter = 0;
/** A two-parameter, one-buffer model with values offset by `shift`. */
function tinyModel(shift = 0): Model {
  modelCounter += 1;
  const v = (name: string, values: number[], shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
    tf.variable(tf.tensor(values, shape, dtype), true, `ckpttest_${modelCounter}_${name}`);
  const params: Param[] = [
    { name: 'conv.weight', kind: 'conv_weight', variable: v('w', [1, 2, 3, 4, 5, 6].map((x) => x + shift + 0.125), [1, 1, 2, 3]) },
    { name: 'bn.bias', kind: 'bn_beta', variable: v('b', [0.5 + shift, -0.5], [2]) },
  ];
  const buffers = [
    { name: 'bn.running_mean', variable: v('rm', [0.1 + shift, 0.2], [2]) },
    { name: 'bn.num_batches_tracked', variable: v('n', [7 + shift], [], 'int32') },
  ];
  return {
    name: 'tiny',
    params,
    buffers,
    apply: () => {
      throw new Error('not used');
    },
    dispose: () => [...params, ...buffers].forEach((p) => p.variable.dispose()),
  };
}

function input(model: Model, extra: Partial<CheckpointInput> = {}): CheckpointInput {
  return {
    global_step: 3900,
    ...modelTensors(model),
    optimizer: { name: 'sgd', tensors: { 'conv.weight': { dtype: 'float32', shape: [1, 1, 2, 3], values: new Float32Array([9, 8, 7, 6, 5, 4]) } } },
    rng: { seed: 0, state: [1, 2, 3] },
    config: { train: { base_lr: 0.1 }, scheduler: { type: 'cosine' } },
    ...extra,
  };
}

function values(t: HostTensor | undefined): number[] {
  assert.ok(t);
  return Array.from(t.values);
}

test('round trip: params, buffers (int32 too), optimizer state, epoch, global_step, rng, config', () => {
  const dir = runDir();
  const model = tinyModel();
  const file = saveCheckpoint(dir, 10, input(model));
  assert.equal(file, path.join(dir, 'checkpoint_00010.ckpt'));
  assert.equal(fs.readFileSync(path.join(dir, 'last_checkpoint'), 'utf8'), 'checkpoint_00010.ckpt');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['checkpoint_00010.ckpt', 'last_checkpoint'], 'no temp file left');
  const raw = fs.readFileSync(file);
  assert.equal(raw.subarray(0, 8).toString('ascii'), 'ICLCKPT1');
  assert.equal((12 + raw.readUInt32LE(8)) % 8, 0, 'data section 8-byte aligned');

  const ck = loadCheckpoint(file);
  assert.equal(ck.path, file);
  assert.equal(ck.epoch, 10);
  assert.equal(ck.global_step, 3900);
  assert.deepEqual(ck.rng, { seed: 0, state: [1, 2, 3] });
  assert.deepEqual(ck.config, { train: { base_lr: 0.1 }, scheduler: { type: 'cosine' } });
  assert.ok(!Number.isNaN(Date.parse(ck.created)));
  assert.deepEqual(Object.keys(ck.params), ['conv.weight', 'bn.bias']);
  assert.deepEqual(ck.params['conv.weight'].shape, [1, 1, 2, 3]);
  assert.equal(ck.params['conv.weight'].dtype, 'float32');
  assert.deepEqual(values(ck.params['conv.weight']), [1.125, 2.125, 3.125, 4.125, 5.125, 6.125]);
  assert.deepEqual(values(ck.params['bn.bias']), [0.5, -0.5]);
  assert.deepEqual(values(ck.buffers['bn.running_mean']), Array.from(new Float32Array([0.1, 0.2])));
  assert.equal(ck.buffers['bn.num_batches_tracked'].dtype, 'int32');
  assert.ok(ck.buffers['bn.num_batches_tracked'].values instanceof Int32Array);
  assert.deepEqual(ck.buffers['bn.num_batches_tracked'].shape, []);
  assert.deepEqual(values(ck.buffers['bn.num_batches_tracked']), [7]);
  assert.equal(ck.optimizer.name, 'sgd');
  assert.deepEqual(values(ck.optimizer.tensors['conv.weight']), [9, 8, 7, 6, 5, 4]);
  assert.deepEqual(probeCheckpoint(file), { path: file, epoch: 10, global_step: 3900, optimizer: 'sgd', created: ck.created });
  assert.equal(findLastCheckpoint(dir), file);
  model.dispose();
});

test('resume: model tensors and SGD state restored into fresh objects, no tensor leak', () => {
  const dir = runDir();
  const a = tinyModel();
  const optA = new SGD(a.params, { momentum: 0.9, nesterov: true }, () => 5e-4);
  const g = { 'conv.weight': tf.ones([1, 1, 2, 3]), 'bn.bias': tf.ones([2]) };
  optA.step(g, 0.1);
  const file = saveCheckpoint(dir, 1, { ...input(a), optimizer: optA.getState() });

  const b = tinyModel(100);
  const optB = new SGD(b.params, { momentum: 0.9, nesterov: true }, () => 5e-4);
  const n = tf.memory().numTensors;
  const ck = loadCheckpoint(file);
  loadModelTensors(b, ck);
  restoreOptimizerState(optB, ck.optimizer);
  assert.equal(tf.memory().numTensors, n + 2, 'only the two momentum buffers were added');
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(Array.from(b.params[i].variable.dataSync()), Array.from(a.params[i].variable.dataSync()));
    assert.deepEqual(Array.from(b.buffers[i].variable.dataSync()), Array.from(a.buffers[i].variable.dataSync()));
  }
  // one more identical step on both gives identical weights
  optA.step(g, 0.1);
  optB.step(g, 0.1);
  assert.deepEqual(Array.from(b.params[0].variable.dataSync()), Array.from(a.params[0].variable.dataSync()));
  assert.throws(() => restoreOptimizerState(optB, { name: 'adam', tensors: ck.optimizer.tensors }), /cannot load the state of optimizer 'adam'/);
  assert.equal(tf.memory().numTensors, n + 2, 'a failed restore frees its temporaries');
  tf.dispose(Object.values(g));
  [optA, optB].forEach((o) => o.dispose());
  [a, b].forEach((m) => m.dispose());
});

test('findLastCheckpoint: tag, leftover temp files, truncated newest, missing or corrupt tag', () => {
  const dir = runDir();
  assert.equal(findLastCheckpoint(dir), undefined, 'missing folder');
  fs.mkdirSync(dir);
  assert.equal(findLastCheckpoint(dir), undefined, 'empty folder');
  const model = tinyModel();
  const f10 = saveCheckpoint(dir, 10, input(model));
  const f20 = saveCheckpoint(dir, 20, input(model));
  assert.equal(findLastCheckpoint(dir), f20);

  // a run killed mid-write leaves a temp file: never a candidate
  fs.writeFileSync(path.join(dir, 'checkpoint_00030.ckpt.tmp-1234-abcd'), 'ICLCKPT1garbage');
  assert.equal(findLastCheckpoint(dir), f20);

  // newest checkpoint truncated and named by the tag: fall back to the newest readable one
  const f30 = saveCheckpoint(dir, 30, input(model));
  fs.truncateSync(f30, fs.statSync(f30).size - 3);
  const skipped: string[] = [];
  assert.equal(findLastCheckpoint(dir, { onSkip: (f, why) => skipped.push(`${path.basename(f)}: ${why}`) }), f20);
  assert.equal(skipped.length, 1);
  assert.match(skipped[0], /^checkpoint_00030\.ckpt: .*checkpoint_00030\.ckpt: truncated/);

  // tag missing: newest readable by epoch number
  fs.rmSync(path.join(dir, 'last_checkpoint'));
  assert.equal(findLastCheckpoint(dir), f20);
  // tag empty, or naming a file that does not exist
  fs.writeFileSync(path.join(dir, 'last_checkpoint'), '');
  assert.equal(findLastCheckpoint(dir), f20);
  fs.writeFileSync(path.join(dir, 'last_checkpoint'), 'checkpoint_00099.ckpt');
  assert.equal(findLastCheckpoint(dir), f20);
  // issue 12 finding 7: a kill between a checkpoint's rename and the tag's leaves the tag naming
  // the older one; the newer complete checkpoint wins (at most the epochs since it are lost)
  fs.writeFileSync(path.join(dir, 'last_checkpoint'), 'checkpoint_00010.ckpt\n');
  assert.equal(findLastCheckpoint(dir), f20);
  // a step checkpoint (stopped 5 steps into epoch 21) is newer than epoch 20, older than epoch 21
  const s20 = saveCheckpoint(dir, 20, input(model), { stepInEpoch: 5 });
  fs.writeFileSync(path.join(dir, 'last_checkpoint'), 'checkpoint_00020.ckpt\n');
  assert.equal(findLastCheckpoint(dir), s20);
  fs.rmSync(s20);
  // nothing readable at all
  for (const f of [f10, f20]) fs.writeFileSync(f, 'not a checkpoint');
  assert.equal(findLastCheckpoint(dir), undefined);
  model.dispose();
});

/** Rewrites the header of `file` with `edit` applied (keeping the data). */
function editHeader(file: string, edit: (h: Record<string, unknown>) => void): void {
  const buf = fs.readFileSync(file);
  const len = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(12, 12 + len).toString('utf8')) as Record<string, unknown>;
  edit(header);
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - ((12 + json.length) % 8)) % 8, 0x20)]);
  const pre = Buffer.alloc(12);
  pre.write('ICLCKPT1', 0, 'ascii');
  pre.writeUInt32LE(json.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, json, buf.subarray(12 + len)]));
}

test('loadCheckpoint: every corruption gives an error naming the file and byte offset', () => {
  const dir = runDir();
  const model = tinyModel();
  const good = fs.readFileSync(saveCheckpoint(dir, 1, input(model)));
  model.dispose();
  const headerLen = good.readUInt32LE(8);
  const dataStart = 12 + headerLen;
  const file = path.join(dir, 'bad.ckpt');
  const expectError = (bytes: Buffer | null, re: RegExp, offset?: number): void => {
    if (bytes) fs.writeFileSync(file, bytes);
    for (const read of [loadCheckpoint, probeCheckpoint]) {
      assert.throws(
        () => read(file),
        (err: unknown) => {
          assert.ok(err instanceof CheckpointError, String(err));
          assert.equal(err.file, file);
          assert.ok(err.message.startsWith(`${file}: `), err.message);
          assert.match(err.message, re);
          if (offset !== undefined) {
            assert.equal(err.offset, offset);
            assert.ok(err.message.endsWith(`(at byte offset ${offset})`), err.message);
          }
          return true;
        },
      );
    }
  };
  expectError(good.subarray(0, 5), /truncated: 5 bytes, shorter than the 12-byte preamble/, 5);
  expectError(Buffer.concat([Buffer.from('PK\x03\x04xxxx'), good.subarray(8)]), /not a checkpoint: magic is "PK\\u0003\\u0004xxxx", expected "ICLCKPT1"/, 0);
  expectError(good.subarray(0, 40), new RegExp(`truncated: the header needs bytes 12\\.\\.${dataStart}, the file has 40 bytes`), 40);
  const notJson = Buffer.from(good);
  notJson.write('}', 12);
  expectError(notJson, /corrupt header: .*JSON/, 12);
  const badUtf8 = Buffer.from(good);
  badUtf8[20] = 0xff;
  expectError(badUtf8, /corrupt header: .*(encoded|decode|utf)/i, 12);
  expectError(good.subarray(0, good.length - 1), new RegExp(`truncated: the header describes ${good.length} bytes \\(data ${dataStart}\\.\\.${good.length}\\), the file ends after ${good.length - 1}`), good.length - 1);
  expectError(Buffer.concat([good, Buffer.from([0, 0])]), new RegExp(`corrupt: 2 unexpected bytes after the data section \\(file is ${good.length + 2} bytes, expected ${good.length}\\)`), good.length);

  // a flipped data byte: structure fine (probe passes), checksum fails on load
  const flipped = Buffer.from(good);
  flipped[dataStart + 3] ^= 0x40;
  fs.writeFileSync(file, flipped);
  assert.equal(probeCheckpoint(file).epoch, 1);
  assert.throws(() => loadCheckpoint(file), new RegExp(`corrupt data: the SHA-256 of bytes ${dataStart}\\.\\.${good.length} does not match the header \\(at byte offset ${dataStart}\\)`));

  const withHeader = (edit: (h: Record<string, unknown>) => void, re: RegExp, offset?: number): void => {
    fs.writeFileSync(file, good);
    editHeader(file, edit);
    expectError(null, re, offset);
  };
  const tensors = (h: Record<string, unknown>) => h.tensors as Array<Record<string, unknown>>;
  withHeader((h) => (h.version = 2), /corrupt header: version 2 is not supported \(this reader reads version 1\)/, 12);
  withHeader((h) => (h.epoch = -1), /corrupt header: 'epoch' must be an integer >= 0, got -1/, 12);
  withHeader((h) => delete h.global_step, /'global_step' must be an integer >= 0, got undefined/, 12);
  withHeader((h) => (h.optimizer = 3), /'optimizer' must be a string/, 12);
  withHeader((h) => (h.data_sha256 = null), /'data_sha256' must be a string/, 12);
  withHeader((h) => (h.config = []), /'config' must be an object/, 12);
  withHeader((h) => (h.tensors = {}), /'tensors' must be an array/, 12);
  withHeader((h) => (tensors(h)[0] = 5 as unknown as Record<string, unknown>), /tensors\[0\] must be an object/, 12);
  withHeader((h) => (tensors(h)[0].group = 'weights'), /tensors\[0\]\.group must be one of params, buffers, optimizer/, 12);
  withHeader((h) => (tensors(h)[0].name = 1), /tensors\[0\]\.name must be a string/, 12);
  withHeader((h) => (tensors(h)[1].name = 'conv.weight'), /tensors\[1\]: duplicate tensor params\/conv\.weight/, 12);
  withHeader((h) => (tensors(h)[0].dtype = 'float16'), /tensors\[0\] \(params\/conv\.weight\)\.dtype must be one of float32, int32/, 12);
  withHeader((h) => (tensors(h)[0].shape = [2, -1]), /tensors\[0\] \(params\/conv\.weight\)\.shape must be a list of integers >= 0/, 12);
  withHeader((h) => (tensors(h)[0].offset = 1.5), /tensors\[0\] \(params\/conv\.weight\)\.offset and \.nbytes must be integers >= 0/, 12);
  withHeader((h) => (tensors(h)[0].shape = [7]), /tensors\[0\] \(params\/conv\.weight\): shape \[7\] needs 28 bytes, nbytes is 24/, 12);
  fs.writeFileSync(file, good);
  const dataBytes = good.length - dataStart;
  editHeader(file, (h) => (tensors(h)[0].offset = dataBytes - 4));
  const editedStart = 12 + fs.readFileSync(file).readUInt32LE(8);
  expectError(
    null,
    new RegExp(`corrupt header: tensor params/conv\\.weight \\(bytes ${dataBytes - 4}\\.\\.${dataBytes + 20} of the data\\) lies outside the ${dataBytes}-byte data section`),
    editedStart + dataBytes - 4,
  );
  assert.throws(() => loadCheckpoint(path.join(dir, 'nope.ckpt')), /ENOENT/);
});

test('saveCheckpoint: invalid input is refused before anything is written', () => {
  const dir = runDir();
  const model = tinyModel();
  assert.throws(() => saveCheckpoint(dir, -1, input(model)), /saveCheckpoint: epoch must be an integer >= 0, got -1/);
  assert.throws(() => saveCheckpoint(dir, 1, input(model, { global_step: 1.5 })), /global_step must be an integer >= 0, got 1.5/);
  assert.throws(() => saveCheckpoint(dir, 1, input(model, { config: [] as unknown as Record<string, unknown> })), /config must be a JSON object/);
  const b = tf.tensor([true, false], [2], 'bool');
  assert.throws(() => saveCheckpoint(dir, 1, input(model, { buffers: { mask: b } })), /saveCheckpoint: buffers 'mask': dtype bool cannot be saved \(allowed: float32, int32\)/);
  b.dispose();
  assert.throws(() => saveCheckpoint(dir, 1, input(model, { buffers: { mask: b } })), /buffers 'mask': tensor is disposed/);
  const wrong: HostTensor = { dtype: 'float32', shape: [2, 2], values: new Float32Array(3) };
  assert.throws(() => saveCheckpoint(dir, 1, input(model, { params: { x: wrong } })), /params 'x': 3 values for shape \[2, 2\] \(4\)/);
  assert.equal(fs.existsSync(dir), false, 'nothing written');
  model.dispose();
});

test('loadModelTensors: lists missing / unexpected names and mismatches; the model is unchanged on error', () => {
  const dir = runDir();
  const a = tinyModel();
  const ck = loadCheckpoint(saveCheckpoint(dir, 1, input(a)));
  const b = tinyModel(100);
  const before = Array.from(b.params[0].variable.dataSync());
  const params = { ...ck.params, extra: ck.params['bn.bias'] } as Record<string, HostTensor>;
  delete params['bn.bias'];
  const buffers = { ...ck.buffers, 'bn.running_mean': { dtype: 'float32', shape: [3], values: new Float32Array(3) } } as Record<string, HostTensor>;
  buffers['bn.num_batches_tracked'] = { dtype: 'float32', shape: [], values: new Float32Array(1) };
  assert.throws(
    () => loadModelTensors(b, { params, buffers }),
    (err: Error) => {
      assert.equal(
        err.message,
        "checkpoint does not match model 'tiny': missing params: bn.bias; unexpected params: extra; " +
          "buffers 'bn.running_mean': saved shape [3], model [2]; buffers 'bn.num_batches_tracked': saved dtype float32, model int32",
      );
      return true;
    },
  );
  assert.deepEqual(Array.from(b.params[0].variable.dataSync()), before);
  const n = tf.memory().numTensors;
  loadModelTensors(b, ck);
  assert.equal(tf.memory().numTensors, n, 'no leak');
  assert.deepEqual(Array.from(b.params[0].variable.dataSync()), Array.from(a.params[0].variable.dataSync()));
  [a, b].forEach((m) => m.dispose());
});

test('loadModelTensors: a mismatch names the model the checkpoint holds, and stays short (issue 12 finding 8)', () => {
  const b = tinyModel(100);
  const params: Record<string, HostTensor> = {};
  for (let i = 0; i < 40; i++) params[`stage${i}.block.conv.weight`] = { dtype: 'float32', shape: [1], values: new Float32Array(1) };
  const config = { model: { type: 'cifar', name: 'resnet_preact', resnet_preact: { depth: 14 } } };
  assert.throws(
    () => loadModelTensors(b, { params, buffers: {}, config }),
    (err: Error) => {
      assert.match(err.message, /^checkpoint holds model cifar\/resnet_preact \(depth 14\), does not match model 'tiny': missing params: /);
      assert.match(err.message, /unexpected params: stage0\.block\.conv\.weight, stage1\.block\.conv\.weight, stage2\.block\.conv\.weight, stage3\.block\.conv\.weight, stage4\.block\.conv\.weight \(and 35 more\)/);
      assert.ok(err.message.length < 600, `${err.message.length} characters`);
      return true;
    },
  );
  b.dispose();
});
