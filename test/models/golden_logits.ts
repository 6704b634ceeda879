/**
 * Golden logits: what every model family outputs today for fixed weights and a fixed batch, recorded once in
 * test/fixtures/golden_logits.json and compared by test/models/golden_logits.test.ts, so that a change to kernels,
 * fused ops, layouts or the optimizer that alters any model's numbers is seen at once (issues 14 and 17).
 *
 * Per family (small widths, smallest valid depth, CIFAR shape 32×32×3 with 10 classes, the ImageNet type at 64×64×3 so that its last BN sees more than 2 values per channel; batch 2), from the model's
 * seeded initialisation plus the step harness's fixed BN γ, β, running statistics and momentum buffers
 * (test/step/harness.ts `loadFixedState`), in this order:
 * - `eval`: evaluation-mode logits [2, 10];
 * - `train`: training-mode logits at step 0 (batch statistics, dropout and shake keyed to step 0);
 * - `evalAfterTrainForward`: evaluation-mode logits again, which see the running statistics that forward updated;
 * - `evalAfterStep`: evaluation-mode logits after one SGD step (momentum 0.9, Nesterov, weight decay 1e-4, lr 0.01),
 *   which see the BN backward, every gradient and the optimizer update.
 *
 * Regenerate only deliberately, after a change that is meant to alter the numbers:
 * `node --import tsx scripts/golden_logits.ts` (it rewrites the fixture; review the diff).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Device } from '../../runtime/backend';
import { createModel } from '../../runtime/models';
import { createOptimizer } from '../../runtime/train/optim';
import { trainStep, trainStepOptions } from '../../runtime/train/step';
import { maxAbs, maxAbsDiff } from '../backend/helpers';
import { loadFixedState, stepBatch, stepConfig, type Family } from '../step/harness';

/** Where the recorded outputs live. */
export const GOLDEN_FIXTURE = 'test/fixtures/golden_logits.json';

/** The backends recorded: libtorch (the default engine) and wasm (the fallback). */
export const GOLDEN_DEVICES: Device[] = ['libtorch', 'wasm'];

/** Images per batch. */
const BATCH = 2;
const LR = 0.01;

const CIFAR10 = ['dataset.name', 'CIFAR10'];
const IMAGENET_64 = ['dataset.name', 'ImageNet', 'dataset.image_size', '64', 'dataset.n_classes', '10', 'dataset.n_channels', '3'];

/** Every model family of both model types (both block types where a family has two), each small. */
export const GOLDEN_FAMILIES: Family[] = [
  { name: 'resnet_preact', file: 'cifar/resnet_preact.yaml', overrides: ['model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '8', ...CIFAR10] },
  {
    name: 'resnet_preact_bottleneck', file: 'cifar/resnet_preact.yaml',
    overrides: ['model.resnet_preact.depth', '11', 'model.resnet_preact.block_type', 'bottleneck', 'model.resnet_preact.initial_channels', '8', ...CIFAR10],
  },
  { name: 'resnet', file: 'cifar/resnet.yaml', overrides: ['model.resnet.depth', '8', 'model.resnet.initial_channels', '8', ...CIFAR10] },
  {
    name: 'resnet_bottleneck', file: 'cifar/resnet.yaml',
    overrides: ['model.resnet.depth', '11', 'model.resnet.block_type', 'bottleneck', 'model.resnet.initial_channels', '8', ...CIFAR10],
  },
  { name: 'wrn', file: 'cifar/wrn.yaml', overrides: ['model.wrn.depth', '10', 'model.wrn.widening_factor', '1', 'model.wrn.initial_channels', '8', ...CIFAR10] },
  { name: 'densenet', file: 'cifar/densenet.yaml', overrides: ['model.densenet.depth', '10', 'model.densenet.growth_rate', '4', ...CIFAR10] },
  {
    name: 'densenet_basic', file: 'cifar/densenet.yaml',
    overrides: ['model.densenet.depth', '7', 'model.densenet.block_type', 'basic', 'model.densenet.growth_rate', '4', 'model.densenet.compression_rate', '1.0', ...CIFAR10],
  },
  {
    name: 'pyramidnet', file: 'cifar/pyramidnet.yaml',
    overrides: ['model.pyramidnet.depth', '11', 'model.pyramidnet.alpha', '6', 'model.pyramidnet.initial_channels', '8', ...CIFAR10],
  },
  {
    name: 'pyramidnet_basic', file: 'cifar/pyramidnet.yaml',
    overrides: ['model.pyramidnet.depth', '8', 'model.pyramidnet.block_type', 'basic', 'model.pyramidnet.alpha', '6', 'model.pyramidnet.initial_channels', '8', ...CIFAR10],
  },
  {
    name: 'resnext', file: 'cifar/resnext.yaml',
    overrides: ['model.resnext.depth', '11', 'model.resnext.initial_channels', '8', 'model.resnext.cardinality', '4', 'model.resnext.base_channels', '2', ...CIFAR10],
  },
  { name: 'shake_shake', file: 'cifar/shake_shake.yaml', overrides: ['model.shake_shake.depth', '8', 'model.shake_shake.initial_channels', '8', ...CIFAR10] },
  {
    name: 'se_resnet_preact', file: 'cifar/se_resnet_preact.yaml',
    overrides: ['model.se_resnet_preact.depth', '8', 'model.se_resnet_preact.initial_channels', '8', 'model.se_resnet_preact.se_reduction', '4', ...CIFAR10],
  },
  { name: 'vgg', file: 'cifar/vgg.yaml', overrides: ['model.vgg.n_channels', '[4, 4, 8, 8, 8]', 'model.vgg.n_layers', '[1, 1, 1, 1, 2]', ...CIFAR10] },
  {
    name: 'imagenet_resnet', file: 'imagenet/resnet18.yaml',
    overrides: ['model.resnet.n_blocks', '[1, 1, 1, 1]', 'model.resnet.initial_channels', '8', ...IMAGENET_64],
  },
  {
    name: 'imagenet_resnet_preact', file: 'imagenet/resnet_preact_18.yaml',
    overrides: ['model.resnet_preact.n_blocks', '[1, 1, 1, 1]', 'model.resnet_preact.initial_channels', '8', ...IMAGENET_64],
  },
  {
    name: 'imagenet_resnext', file: 'imagenet/resnext50_32x4d.yaml',
    overrides: ['model.resnext.n_blocks', '[1, 1, 1, 1]', 'model.resnext.initial_channels', '8', 'model.resnext.cardinality', '2', 'model.resnext.base_channels', '4', ...IMAGENET_64],
  },
  {
    name: 'imagenet_densenet', file: 'imagenet/densenet121.yaml',
    overrides: ['model.densenet.n_blocks', '[1, 1, 1, 1]', 'model.densenet.growth_rate', '4', ...IMAGENET_64],
  },
  {
    name: 'imagenet_pyramidnet', file: 'imagenet/pyramidnet200.yaml',
    overrides: ['model.pyramidnet.n_blocks', '[1, 1, 1, 1]', 'model.pyramidnet.initial_channels', '8', 'model.pyramidnet.alpha', '8', ...IMAGENET_64],
  },
  {
    name: 'imagenet_vgg', file: 'imagenet/vgg16.yaml',
    overrides: ['model.vgg.n_channels', '[4, 4, 8, 8, 8]', 'model.vgg.n_layers', '[1, 1, 1, 1, 1]', ...IMAGENET_64],
  },
];

/** The recorded outputs of one family on one backend, each logits [BATCH, classes] row-major. */
export interface GoldenOutputs {
  eval: number[];
  train: number[];
  evalAfterTrainForward: number[];
  evalAfterStep: number[];
}

/** The fixture: outputs by backend, then by family name. */
export type GoldenFixture = Record<string, Record<string, GoldenOutputs>>;

/**
 * Computes the four outputs of `family` on `device` (one ATen/XNNPACK thread, so reductions run in a fixed order).
 * @throws Error when the device does not start
 */
export async function goldenOutputs(device: Device, family: Family): Promise<GoldenOutputs> {
  await initBackend(device, 1);
  const cfg = stepConfig(family);
  const model = createModel(cfg);
  const optimizer = createOptimizer(cfg.train, model.params, cfg.optim);
  const size = cfg.dataset.image_size;
  const batch = stepBatch(cfg, BATCH, 1);
  const x = tf.tensor4d(batch.x, [BATCH, size, size, cfg.dataset.n_channels]);
  const logits = (training: boolean): number[] => {
    const y = tf.tidy(() => model.apply(x, training));
    const v = Array.from(y.dataSync());
    y.dispose();
    return v;
  };
  try {
    loadFixedState(model, optimizer, 1000);
    model.setStep?.(0);
    const evalLogits = logits(false);
    const train = logits(true);
    const evalAfterTrainForward = logits(false);
    const opts = trainStepOptions(cfg, [size, size, cfg.dataset.n_channels], cfg.dataset.n_classes);
    trainStep(model, optimizer, batch, LR, opts);
    return { eval: evalLogits, train, evalAfterTrainForward, evalAfterStep: logits(false) };
  } finally {
    x.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/**
 * Score of `ours` against the recorded `ref`: max|ours − ref| / (1 + max|ref|), Infinity for other lengths or NaN.
 */
export function goldenScore(ours: readonly number[], ref: readonly number[]): number {
  return maxAbsDiff(ours, ref) / (1 + maxAbs(ref));
}
