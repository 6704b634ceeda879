/**
 * One full-batch training step from a fixed checkpoint, on any device, returned as plain arrays: the harness of the
 * step-equivalence tier (test/step). Every backend starts from the same state (the model's seeded initialisation,
 * then BN γ, β, running statistics and the optimizer's state set from a fixed PRNG), takes one `trainStep` on the
 * same batch at a constant lr, and reports every parameter, BN buffer and optimizer state tensor afterwards.
 *
 * Score of a tensor against a reference: max|ours − ref| / (1e-6 + 1e-4·max|ref|); the float noise of one step
 * stays under 1.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Device } from '../../runtime/backend';
import { loadConfig, type Config } from '../../runtime/config';
import { createModel } from '../../runtime/models';
import type { Model } from '../../runtime/models/types';
import { createOptimizer, weightDecayPolicy } from '../../runtime/train/optim';
import { trainStep, trainStepOptions } from '../../runtime/train/step';
import { randomValues } from '../backend/helpers';

/** A small variant of one model family: its config file under configs/ and overrides. */
export interface Family {
  name: string;
  file: string;
  overrides: string[];
}

/** Dataset keys of a small batch: ImageNet keeps the given image size (CIFAR would force 32×32). */
const small = (size: number) => ['dataset.name', 'ImageNet', 'dataset.image_size', String(size), 'dataset.n_classes', '4', 'dataset.n_channels', '3'];
const SMALL = small(8);
const SMALL_IMAGENET = small(32);

/** The nine CIFAR-type families and the ImageNet-type ResNet-18, each at a few channels. */
export const FAMILIES: Family[] = [
  { name: 'resnet_preact', file: 'cifar/resnet_preact.yaml', overrides: ['model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '8', ...SMALL] },
  { name: 'resnet', file: 'cifar/resnet.yaml', overrides: ['model.resnet.depth', '8', 'model.resnet.initial_channels', '8', ...SMALL] },
  { name: 'wrn', file: 'cifar/wrn.yaml', overrides: ['model.wrn.depth', '10', 'model.wrn.widening_factor', '1', 'model.wrn.initial_channels', '8', ...SMALL] },
  {
    name: 'densenet', file: 'cifar/densenet.yaml',
    overrides: ['model.densenet.depth', '16', 'model.densenet.growth_rate', '4', ...SMALL],
  },
  {
    name: 'pyramidnet', file: 'cifar/pyramidnet.yaml',
    overrides: ['model.pyramidnet.depth', '8', 'model.pyramidnet.block_type', 'basic', 'model.pyramidnet.alpha', '6', 'model.pyramidnet.initial_channels', '8', ...SMALL],
  },
  {
    name: 'resnext', file: 'cifar/resnext.yaml',
    overrides: ['model.resnext.depth', '11', 'model.resnext.initial_channels', '8', 'model.resnext.cardinality', '4', 'model.resnext.base_channels', '2', ...SMALL],
  },
  {
    name: 'se_resnet_preact', file: 'cifar/se_resnet_preact.yaml',
    overrides: ['model.se_resnet_preact.depth', '8', 'model.se_resnet_preact.initial_channels', '8', 'model.se_resnet_preact.se_reduction', '4', ...SMALL],
  },
  { name: 'shake_shake', file: 'cifar/shake_shake.yaml', overrides: ['model.shake_shake.depth', '8', 'model.shake_shake.initial_channels', '8', ...SMALL] },
  { name: 'vgg', file: 'cifar/vgg.yaml', overrides: ['model.vgg.n_channels', '[4, 4, 8, 8, 8]', 'model.vgg.n_layers', '[1, 1, 1, 1, 2]', ...small(32)] },
  {
    name: 'resnet18_imagenet', file: 'imagenet/resnet18.yaml',
    overrides: ['model.resnet.n_blocks', '[1, 1, 1, 1]', 'model.resnet.initial_channels', '8', ...SMALL_IMAGENET],
  },
];

/** What the step does besides the family: the optimizer (train.* overrides), lr, batch size, seed of the state. */
export interface StepSetup {
  /** Overrides of train.* (and optim.*), e.g. ['train.optimizer', 'adam']; default SGD, Nesterov 0.9, wd 1e-4. */
  train?: string[];
  lr?: number;
  images?: number;
  seed?: number;
}

/** The tensors after the step, keyed `params/<name>`, `buffers/<name>`, `optimizer/<key>`, and what the step had. */
export interface StepResult {
  tensors: Map<string, HostTensor>;
  /** The same tensors before the step (the fixed checkpoint). */
  start: Map<string, HostTensor>;
  loss: number;
  /** The batch of the step (NHWC images, labels). */
  batch: { x: Float32Array; y: Int32Array; n: number };
  /** Weight decay per parameter name (`train.weight_decay` by `train.no_weight_decay_on_bn`). */
  weightDecay: Record<string, number>;
}

/** A tensor read back to the host: its shape and float32 values. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** The constant learning rate of the step. */
export const LR = 0.05;

const SGD_DEFAULT = ['train.optimizer', 'sgd', 'train.momentum', '0.9', 'train.nesterov', 'True', 'train.weight_decay', '1e-4'];

/** The config of `family` with the step's train overrides. */
export function stepConfig(family: Family, setup: StepSetup = {}): Config {
  return loadConfig({ configFile: `configs/${family.file}`, overrides: [...family.overrides, ...SGD_DEFAULT, ...(setup.train ?? [])] });
}

/** The same deterministic values on every backend: u in [-1, 1) from `seed`, as `scale·u + offset` (or |u|). */
function fixed(shape: number[], seed: number, scale: number, offset = 0, positive = false): tf.Tensor {
  const v = randomValues(shape.reduce((a, b) => a * b, 1), seed);
  for (let i = 0; i < v.length; i++) v[i] = offset + scale * (positive ? Math.abs(v[i]) : v[i]);
  return tf.tensor(v, shape);
}

/**
 * Sets the "checkpoint": BN γ = 1 + 0.3u, β = 0.2u, running mean 0.1u, running variance 1 + 0.5|u|; every other
 * parameter keeps the seeded init (the same on every backend). Optimizer state: each slot of the optimizer gets
 * values of the parameter's gradient scale (first moments 0.01u, second moments 1e-4|u|, step counts 3), so the
 * step exercises the momentum / moment terms; SGD gets a momentum buffer per parameter.
 */
export function loadFixedState(model: Model, optimizer: ReturnType<typeof createOptimizer>, seed: number): void {
  let s = seed;
  tf.tidy(() => {
    for (const p of model.params) {
      if (p.kind === 'bn_gamma') p.variable.assign(fixed(p.variable.shape, s++, 0.3, 1));
      else if (p.kind === 'bn_beta') p.variable.assign(fixed(p.variable.shape, s++, 0.2));
    }
    for (const b of model.buffers) {
      if (b.name.endsWith('running_mean')) b.variable.assign(fixed(b.variable.shape, s++, 0.1));
      else if (b.name.endsWith('running_var')) b.variable.assign(fixed(b.variable.shape, s++, 0.5, 1, true));
    }
  });
  const slots: Record<string, (shape: number[]) => tf.Tensor> = {
    sgd: (shape) => fixed(shape, s++, 0.01),
    exp_avg: (shape) => fixed(shape, s++, 0.01),
    exp_avg_sq: (shape) => fixed(shape, s++, 1e-4, 0, true),
    max_exp_avg_sq: (shape) => fixed(shape, s++, 2e-4, 0, true),
    momentum_buffer: (shape) => fixed(shape, s++, 0.01),
  };
  const tensors: Record<string, tf.Tensor> = {};
  for (const p of model.params) {
    const shape = p.variable.shape;
    if (optimizer.name === 'sgd') tensors[p.name] = slots.sgd(shape);
    else for (const slot of optimizerSlots(optimizer.name)) tensors[`${p.name}/${slot}`] = slot === 'step' ? tf.scalar(3) : slots[slot](shape);
  }
  optimizer.setState({ name: optimizer.name, tensors });
  tf.dispose(Object.values(tensors));
}

/** The state slots of the slot optimizers (runtime/train/optim), `step` being the counter. */
function optimizerSlots(name: string): string[] {
  switch (name) {
    case 'adam':
    case 'adabound':
    case 'adaboundw':
      return ['exp_avg', 'exp_avg_sq', 'step'];
    case 'amsgrad':
      return ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step'];
    case 'lars':
      return ['momentum_buffer'];
    default:
      throw new Error(`no fixed state for optimizer ${name}`);
  }
}

/** The batch: `n` images of deterministic values in [-1.5, 1.5) (NHWC) and labels i mod K. */
export function stepBatch(cfg: Config, n: number, seed: number): { x: Float32Array; y: Int32Array; n: number } {
  const { image_size: s, n_channels: c, n_classes: k } = cfg.dataset;
  const x = randomValues(n * s * s * c, seed);
  for (let i = 0; i < x.length; i++) x[i] *= 1.5;
  return { x, y: Int32Array.from({ length: n }, (_, i) => i % k), n };
}

/**
 * Builds `family` on `device`, loads the fixed state, takes one training step and returns every tensor.
 * @throws Error when the device does not start
 */
export async function stepOn(device: Device, family: Family, setup: StepSetup = {}): Promise<StepResult> {
  await initBackend(device, 1);
  const cfg = stepConfig(family, setup);
  const seed = setup.seed ?? 1;
  const model = createModel(cfg);
  const optimizer = createOptimizer(cfg.train, model.params, cfg.optim);
  const snapshot = (): Map<string, HostTensor> => {
    const out = new Map<string, HostTensor>();
    const put = (key: string, t: tf.Tensor) => out.set(key, { shape: t.shape, data: Float32Array.from(t.dataSync()) });
    for (const p of model.params) put(`params/${p.name}`, p.variable);
    for (const b of model.buffers) put(`buffers/${b.name}`, b.variable);
    for (const [k, t] of Object.entries(optimizer.getState().tensors)) put(`optimizer/${k}`, t);
    return out;
  };
  try {
    loadFixedState(model, optimizer, 1000 * seed);
    const start = snapshot();
    const imageShape: [number, number, number] = [cfg.dataset.image_size, cfg.dataset.image_size, cfg.dataset.n_channels];
    model.setStep?.(0);
    const batch = stepBatch(cfg, setup.images ?? 8, seed);
    const r = trainStep(model, optimizer, batch, setup.lr ?? LR, trainStepOptions(cfg, imageShape, cfg.dataset.n_classes));
    const decay = weightDecayPolicy(cfg.train);
    return { tensors: snapshot(), start, loss: r.loss, batch, weightDecay: Object.fromEntries(model.params.map((p) => [p.name, decay(p)])) };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** max|a − b| / (1e-6 + 1e-4·max|ref|) of one tensor (Infinity for different lengths or a NaN). */
export function stepScore(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) return Infinity;
  let diff = 0;
  let big = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    if (!(d <= diff)) diff = Number.isNaN(d) ? Infinity : d;
    big = Math.max(big, Math.abs(ref[i]));
  }
  return diff / (1e-6 + 1e-4 * big);
}

/** Scores of every tensor of `ref` in `ours`, worst first; a tensor missing from `ours` scores Infinity. */
export function scoreAll(ours: StepResult, ref: StepResult): Array<{ key: string; score: number }> {
  const out = [...ref.tensors].map(([key, r]) => ({ key, score: ours.tensors.has(key) ? stepScore(ours.tensors.get(key)!.data, r.data) : Infinity }));
  for (const key of ours.tensors.keys()) if (!ref.tensors.has(key)) out.push({ key, score: Infinity });
  return out.sort((a, b) => b.score - a.score);
}

/** The Python with Debian's python3-torch (the pyenv `python3` on PATH may lack torch). */
export const TORCH_PYTHON = process.env.ICL_TORCH_PYTHON ?? '/usr/bin/python3';

/** Why PyTorch cannot run here, or undefined when `import torch` works. */
export function torchUnavailable(): string | undefined {
  const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `${TORCH_PYTHON} did not start (${r.error.message}); install python3-torch`;
  return r.status === 0 ? undefined : `${TORCH_PYTHON} cannot import torch (apt-get install python3-torch)`;
}

const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/**
 * PyTorch's own step (scripts/step_pytorch.py) from the state `ours.start` on `ours.batch`, with the optimizer of
 * `setup`: the original's network, torch.optim (or the paper's rule), one step.
 * @throws Error with the script's stderr when it fails
 */
export function stepOnPytorch(family: Family, setup: StepSetup, ours: StepResult, double = false): StepResult {
  const cfg = stepConfig(family, setup);
  const t = cfg.train;
  const optimizer = {
    name: t.optimizer, momentum: t.momentum, nesterov: t.nesterov, betas: t.optimizer.startsWith('adabound') ? cfg.optim.adabound.betas : cfg.optim.adam.betas,
    final_lr: cfg.optim.adabound.final_lr, gamma: cfg.optim.adabound.gamma, base_lr: t.base_lr, eps: cfg.optim.lars.eps, threshold: cfg.optim.lars.threshold,
  };
  const tensors = Object.fromEntries([...ours.start].map(([k, v]) => [k, { shape: v.shape, data: b64(v.data) }]));
  const { image_size: s, n_channels: c } = cfg.dataset;
  const request = {
    config: { model: cfg.model, dataset: cfg.dataset }, optimizer, lr: setup.lr ?? LR, weight_decay: ours.weightDecay,
    x: { shape: [ours.batch.n, s, s, c], data: b64(ours.batch.x) }, y: Array.from(ours.batch.y), tensors,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-step-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.json'), JSON.stringify(request));
    const script = path.join(__dirname, '..', '..', 'scripts', 'step_pytorch.py');
    const r = spawnSync(TORCH_PYTHON, [script, path.join(dir, 'in.json'), path.join(dir, 'out.json'), ...(double ? ['--double'] : [])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scripts/step_pytorch.py failed (${r.status}): ${r.stderr}`);
    const out = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as { loss: number; tensors: Record<string, { shape: number[]; data: string }> };
    const tensorsAfter = new Map<string, HostTensor>();
    for (const [k, v] of Object.entries(out.tensors)) {
      const bytes = Buffer.from(v.data, 'base64');
      tensorsAfter.set(k, { shape: v.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) });
    }
    return { ...ours, tensors: tensorsAfter, loss: out.loss };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
