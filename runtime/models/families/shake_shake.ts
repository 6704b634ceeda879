/**
 * Shake-Shake regularised ResNet (Gastaldi, "Shake-Shake regularization", arXiv 1705.07485), CIFAR type, exactly as
 * the original framework builds it (`models/cifar/shake_shake.py`):
 * - depth = 6n+2: 3 stages of n blocks at strides 1, 2, 2 (Shake-Shake-26 has n = 4); each block has two residual
 *   branches ReLU-conv3×3(stride)-BN-ReLU-conv3×3-BN mixed by {@link shakeShake} (α forward, β backward, per image
 *   or per batch; 0.5 when a flag is off and in evaluation), plus the shortcut;
 * - stem conv3×3 with a fixed 16 channels + BN (no ReLU); stage outputs [d, 2d, 4d], d = `initial_channels` ("2×d d"
 *   = 2 branches of width d);
 * - shortcut: identity when in = out, else ReLU then two paths, stride-s subsampling and the copy shifted by one
 *   pixel (x[1:, 1:] zero-padded bottom/right) then stride-s subsampling, each conv1×1(out/2), concatenated, BN
 *   (also for stage 1's 16 → d at stride 1);
 * - after stage 3 ReLU, global average pooling, Linear (no final BN).
 * α and β come from the model's per-step training noise (`ctx.noise`, keyed by train.seed and the optimizer
 * step), drawn once per block call, so a resumed run draws what the uninterrupted run drew.
 * Parameters on CIFAR-10 (depth 26): 2×32d 2,923,162; 2×64d 11,653,978; 2×96d 26,192,922; 2×128d 46,539,994;
 * on 28×28×1: 2×32d 2,922,874, 2×96d 26,192,634.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { bool, int, section, type ConfigOf } from '../../config/spec';
import type { BuildContext, Nn } from '../build_context';
import type { BatchNorm2d, Conv2d, ParamRegistry } from '../layers';
import type { ShakeFlags, UniformSource } from '../ops/shake_shake';
import type { Model } from '../types';
import { POSITIVE, cifarBlocks, defineFamily } from './define';

const SECTION = section('Shake-Shake regularised ResNet', {
  depth: int(26, 'Depth of the cifar model (6n+2)', POSITIVE),
  initial_channels: int(96, "Channels of the first stage (the 'd' in 2x{d}d)", POSITIVE),
  shake_forward: bool(true, 'Random branch weights in the forward pass (else 0.5)'),
  shake_backward: bool(true, 'Random branch weights in the backward pass (else the forward ones)'),
  shake_image: bool(true, 'One random weight per image (else one per batch)'),
}, '1705.07485');

/** The `model.shake_shake` config section. */
export type ShakeShakeConfig = ConfigOf<typeof SECTION>;

/** Channels of the stem conv, fixed in the original. */
const STEM_CHANNELS = 16;

/** One residual branch: ReLU-conv3×3(stride)-BN-ReLU-conv3×3-BN. */
class ResidualPath {
  private readonly nn: Nn;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    const nn = (this.nn = ctx.nn);
    const conv = { initMode: ctx.initMode, rng: ctx.rng, padding: 1 };
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, outC, 3, { ...conv, stride });
    this.bn1 = new nn.BatchNorm2d(r, 'bn1', outC);
    this.conv2 = new nn.Conv2d(r, 'conv2', outC, outC, 3, conv);
    this.bn2 = new nn.BatchNorm2d(r, 'bn2', outC);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const y = this.bn1.applyRelu(this.conv1.apply(this.nn.relu(x)), training);
    return this.bn2.apply(this.conv2.apply(y), training);
  }
}

/** The shortcut when in ≠ out: ReLU, two strided 1×1 paths (one shifted by a pixel), concat, BN. */
export class SkipConnection {
  private readonly nn: Nn;
  private readonly conv1: Conv2d;
  private readonly conv2: Conv2d;
  private readonly bn: BatchNorm2d;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    // A 1×1 conv at stride s reads x[s·i, s·j]: the original's avg_pool2d(kernel 1, stride s) then conv1×1.
    const nn = (this.nn = ctx.nn);
    const conv = { initMode: ctx.initMode, rng: ctx.rng, stride };
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, Math.floor(outC / 2), 1, conv);
    this.conv2 = new nn.Conv2d(r, 'conv2', inC, Math.floor(outC / 2), 1, conv);
    this.bn = new nn.BatchNorm2d(r, 'bn', outC);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const { nn } = this;
    const h = nn.relu(x);
    const y1 = this.conv1.apply(h);
    const shifted = nn.pad(nn.slice(h, [0, 1, 1, 0], [-1, -1, -1, -1]), [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ]) as tf.Tensor4D;
    const y2 = this.conv2.apply(shifted);
    return this.bn.apply(nn.concat([y1, y2], 3), training);
  }
}

class ShakeBlock {
  private readonly nn: Nn;
  private readonly path1: ResidualPath;
  private readonly path2: ResidualPath;
  private readonly skip?: SkipConnection;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, private readonly flags: ShakeFlags, private readonly rng: UniformSource, ctx: BuildContext) {
    this.nn = ctx.nn;
    this.path1 = new ResidualPath(r.child('residual_path1'), inC, outC, stride, ctx);
    this.path2 = new ResidualPath(r.child('residual_path2'), inC, outC, stride, ctx);
    if (inC !== outC) this.skip = new SkipConnection(r.child('shortcut').child('skip'), inC, outC, stride, ctx);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const x1 = this.path1.apply(x, training);
    const x2 = this.path2.apply(x, training);
    const { alpha, beta } = this.nn.drawShakeWeights(x.shape[0], this.flags, training, this.rng);
    const y = this.nn.shakeShake(x1, x2, alpha, beta);
    return this.nn.add(this.skip ? this.skip.apply(x, training) : x, y);
  }
}

/** Options of {@link buildShakeShake}. */
export interface ShakeShakeOptions {
  /** Source of α and β; default: the model's per-step training noise (`ctx.noise`). */
  shakeRng?: UniformSource;
}

/**
 * Builds the CIFAR-type Shake-Shake ResNet.
 * @throws ConfigError when depth is not 6n+2 (n ≥ 1)
 */
export function buildShakeShake(cfg: ShakeShakeConfig, ctx: BuildContext, options: ShakeShakeOptions = {}): Model {
  const { nn } = ctx;
  const n = cifarBlocks(shakeShake, cfg.depth);
  const flags: ShakeFlags = { shake_forward: cfg.shake_forward, shake_backward: cfg.shake_backward, shake_image: cfg.shake_image };
  const rng: UniformSource = options.shakeRng ?? ctx.noise;
  const d = cfg.initial_channels;
  const channels = [STEM_CHANNELS, d, 2 * d, 4 * d];
  const root = nn.ParamRegistry.root(ctx);
  const conv = new nn.Conv2d(root, 'conv', ctx.inChannels, STEM_CHANNELS, 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const bn = new nn.BatchNorm2d(root, 'bn', STEM_CHANNELS);
  const stages: ShakeBlock[][] = [1, 2, 2].map((stride, s) => {
    const stage = root.child(`stage${s + 1}`);
    const blocks: ShakeBlock[] = [];
    for (let b = 0; b < n[s]; b++) {
      const first = b === 0;
      blocks.push(new ShakeBlock(stage.child(`block${b + 1}`), first ? channels[s] : channels[s + 1], channels[s + 1], first ? stride : 1, flags, rng, ctx));
    }
    return blocks;
  });
  const fc = new nn.Linear(root, 'fc', channels[3], ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(shakeShake.name, root, (x, training) => {
    let h = bn.apply(conv.apply(x), training);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    return fc.apply(nn.mean(nn.relu(h), [1, 2]) as tf.Tensor2D);
  });
}

const shakeShake = defineFamily({ name: 'shake_shake', types: ['cifar'], depth: { layers: 2, extra: 2 }, section: SECTION, build: { cifar: buildShakeShake } });
export default shakeShake;
