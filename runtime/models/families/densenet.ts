/**
 * DenseNet (Huang et al., "Densely Connected Convolutional Networks", arXiv 1608.06993), CIFAR type,
 * exactly as the original framework builds it (`models/cifar/densenet.py`):
 * - 3 dense stages of n layers: basic BN-ReLU-conv3×3(k) with depth = 3n+4, or bottleneck ("-B")
 *   BN-ReLU-conv1×1(4k)-[drop]-BN-ReLU-conv3×3(k)-[drop] with depth = 6n+4; each layer concatenates
 *   its k new channels to its input (k = `growth_rate`; dropout `drop_rate` in training only);
 * - 3×3 stem conv with 2k outputs; after stages 1 and 2 a transition BN-ReLU-conv1×1(int(c·rate))
 *   -[drop]-avg-pool 2×2 ("-C" when `compression_rate` < 1);
 * - final BN-ReLU, global average pooling, Linear.
 * Parameters on CIFAR-10: DenseNet-BC-100 k=12 (the YAML) 769,162; DenseNet-BC-250 k=24 15,324,406;
 * DenseNet-BC-190 k=40 25,624,430; DenseNet-100 k=12 (basic) needs compression_rate 1.0 for the
 * paper's model: 7,083,538 (with the YAML's 0.5 it is a "DenseNet-C" of 4,068,490); DenseNet-100
 * k=24 (basic, rate 1.0) 28,071,706; DenseNet-40 k=12 (basic, rate 1.0) 1,059,298.
 *
 * ImageNet type (`models/imagenet/densenet.py`): the 7×7/2 stem conv-BN-ReLU + max-pool 3/2 with 2k channels
 * (see {@link ImagenetStem}), 4 dense stages of `n_blocks[i]` layers (no depth rule: the list gives the layers;
 * basic or bottleneck as the CIFAR type), a transition after stages 1-3, then a final BN **without** ReLU
 * (`bn_last`, as the original), global average pooling, Linear. Any `dataset.image_size` works.
 * Parameters (224×224, 1000 classes): DenseNet-121 ([6, 12, 24, 16] bottleneck, k 32, rate 0.5) 7,978,856.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { float, int, ints, section, str, type ConfigOf } from '../../config/spec';
import { ImagenetStem } from '../blocks/stem';
import type { BuildContext, Nn } from '../build_context';
import type { AvgPool2d, BatchNorm2d, Conv2d, Dropout, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { BLOCK_TYPES, DROP_RATE, IMAGENET_BLOCKS, POSITIVE, cifarBlocks, defineFamily, imagenetBlocks } from './define';

const SECTION = section('DenseNet (-BC)', {
  depth: int(100, 'Depth of the cifar model (basic: 3n+4, bottleneck: 6n+4)', POSITIVE),
  n_blocks: ints([6, 12, 24, 16], 'Layers per dense block of the imagenet model (4 blocks)', IMAGENET_BLOCKS),
  block_type: str('bottleneck', 'Dense layer: basic (3x3) or bottleneck (1x1-3x3)', { allowed: BLOCK_TYPES }),
  growth_rate: int(12, 'Growth rate k', POSITIVE),
  drop_rate: float(0.0, 'Dropout rate after each conv', DROP_RATE),
  compression_rate: float(0.5, 'Transition compression: output channels = int(c * rate)', { minimum: 0, maximum: 1 }),
}, '1608.06993');

/** The `model.densenet` config section (the cifar type reads depth, the imagenet type n_blocks). */
export type DenseNetConfig = ConfigOf<typeof SECTION>;

/** A dense layer or transition: [N, H, W, in] → [N, H', W', out]. */
interface DenseModule {
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

/** BN-ReLU-conv, then optional dropout; the unit of dense layers and transitions. */
class BnReluConv {
  private readonly bn: BatchNorm2d;
  private readonly conv: Conv2d;
  private readonly dropout?: Dropout;

  constructor(r: ParamRegistry, suffix: string, inC: number, outC: number, kernel: number, drop: DropSpec, ctx: BuildContext) {
    const { nn } = ctx;
    this.bn = new nn.BatchNorm2d(r, `bn${suffix}`, inC);
    this.conv = new nn.Conv2d(r, `conv${suffix}`, inC, outC, kernel, { initMode: ctx.initMode, rng: ctx.rng, padding: (kernel - 1) / 2 });
    if (drop.rate > 0) this.dropout = new nn.Dropout(r, `dropout${suffix}`, drop.rate, ctx.noise);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const y = this.conv.apply(this.bn.applyRelu(x, training));
    return this.dropout ? this.dropout.apply(y, training) : y;
  }
}

/** Dropout after each conv (`model.densenet.drop_rate`; masks from the model's StepNoise). */
export interface DropSpec {
  rate: number;
}

/** Basic dense layer: BN-ReLU-conv3×3(k)-[drop], concatenated to the input. Names `bn`, `conv`. */
export class DenseBasicLayer implements DenseModule {
  private readonly nn: Nn;
  private readonly unit: BnReluConv;

  constructor(r: ParamRegistry, inC: number, growth: number, drop: DropSpec, ctx: BuildContext) {
    this.nn = ctx.nn;
    this.unit = new BnReluConv(r, '', inC, growth, 3, drop, ctx);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.nn.concat([x, this.unit.apply(x, training)], 3);
  }
}

/** Bottleneck dense layer: BN-ReLU-conv1×1(4k)-[drop]-BN-ReLU-conv3×3(k)-[drop], concatenated to the input. */
export class DenseBottleneckLayer implements DenseModule {
  private readonly nn: Nn;
  private readonly unit1: BnReluConv;
  private readonly unit2: BnReluConv;

  constructor(r: ParamRegistry, inC: number, growth: number, drop: DropSpec, ctx: BuildContext) {
    this.nn = ctx.nn;
    this.unit1 = new BnReluConv(r, '1', inC, 4 * growth, 1, drop, ctx);
    this.unit2 = new BnReluConv(r, '2', 4 * growth, growth, 3, drop, ctx);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.nn.concat([x, this.unit2.apply(this.unit1.apply(x, training), training)], 3);
  }
}

/** Transition: BN-ReLU-conv1×1-[drop]-avg-pool 2×2/2. Names `bn`, `conv`, `pool`. */
export class Transition implements DenseModule {
  private readonly unit: BnReluConv;
  private readonly pool: AvgPool2d;

  constructor(r: ParamRegistry, inC: number, outC: number, drop: DropSpec, ctx: BuildContext) {
    this.unit = new BnReluConv(r, '', inC, outC, 1, drop, ctx);
    this.pool = new ctx.nn.AvgPool2d(r, 'pool', 2, 2);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.pool.apply(this.unit.apply(x, training));
  }
}

/**
 * Builds the dense stages `stage1`… (`n[s]` layers each, a transition after every stage but the
 * last); returns them and the channels of the last stage.
 */
export function buildDenseStages(
  root: ParamRegistry,
  cfg: DenseNetConfig,
  inC: number,
  n: number[],
  drop: DropSpec,
  ctx: BuildContext,
): { stages: DenseModule[][]; outChannels: number } {
  let Layer: typeof DenseBasicLayer | typeof DenseBottleneckLayer;
  if (cfg.block_type === 'basic') Layer = DenseBasicLayer;
  else if (cfg.block_type === 'bottleneck') Layer = DenseBottleneckLayer;
  else throw new Error(`densenet: block_type ${cfg.block_type} is not basic or bottleneck`);
  const k = cfg.growth_rate;
  const stages = n.map((layers, s) => {
    const stage = root.child(`stage${s + 1}`);
    const modules: DenseModule[] = [];
    for (let i = 0; i < layers; i++) modules.push(new Layer(stage.child(`block${i + 1}`), inC + i * k, k, drop, ctx));
    inC += layers * k;
    if (s < n.length - 1) {
      const outC = Math.trunc(inC * cfg.compression_rate); // Python's int(c * rate)
      modules.push(new Transition(stage.child('transition'), inC, outC, drop, ctx));
      inC = outC;
    }
    return modules;
  });
  return { stages, outChannels: inC };
}

/** Builds the CIFAR-type DenseNet. */
export function buildDenseNet(cfg: DenseNetConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const n = cifarBlocks(densenet, cfg.depth, cfg.block_type);
  const root = nn.ParamRegistry.root(ctx);
  const stemC = 2 * cfg.growth_rate;
  const conv = new nn.Conv2d(root, 'conv', ctx.inChannels, stemC, 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const { stages, outChannels } = buildDenseStages(root, cfg, stemC, n, { rate: cfg.drop_rate }, ctx);
  const bn = new nn.BatchNorm2d(root, 'bn', outChannels);
  const fc = new nn.Linear(root, 'fc', outChannels, ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(densenet.name, root, (x, training) => {
    let h = conv.apply(x);
    for (const modules of stages) for (const m of modules) h = nn.tidy(() => m.apply(h, training));
    h = bn.applyRelu(h, training);
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

/** Builds the ImageNet-type DenseNet. */
export function buildImagenetDenseNet(cfg: DenseNetConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const n = imagenetBlocks(densenet, cfg.n_blocks);
  const root = nn.ParamRegistry.root(ctx);
  const stemC = 2 * cfg.growth_rate;
  const stem = new ImagenetStem(root, ctx.inChannels, stemC, ctx);
  const { stages, outChannels } = buildDenseStages(root, cfg, stemC, n, { rate: cfg.drop_rate }, ctx);
  const bnLast = new nn.BatchNorm2d(root, 'bn_last', outChannels);
  const fc = new nn.Linear(root, 'fc', outChannels, ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(densenet.name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const modules of stages) for (const m of modules) h = nn.tidy(() => m.apply(h, training));
    h = bnLast.apply(h, training); // no ReLU here, as the original
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

const densenet = defineFamily({
  name: 'densenet',
  types: ['cifar', 'imagenet'],
  depth: { layers: { basic: 1, bottleneck: 2 }, extra: 4 },
  section: SECTION,
  build: { cifar: buildDenseNet, imagenet: buildImagenetDenseNet },
});
export default densenet;
