import { StepNoise } from '../../runtime/models/layers/noise';
import * as tf from '@tensorflow/tfjs-core';
import { loadConfig, type Config } from '../../runtime/config';
import { Rng } from '../../runtime/data/rng';
import { countParams, createModel } from '../../runtime/models';
import { traceLayers } from '../../runtime/models/layers';
import type { BuildContext } from '../../runtime/models/build_context';
import * as nn from '../../runtime/models/nn';
import type { InitMode } from '../../runtime/models/layers';
import type { Model } from '../../runtime/models/types';

/** The config of `file` (a path under configs/) with dotted `key value` overrides. */
export function config(file: string, overrides: string[] = []): Config {
  return loadConfig({ configFile: `configs/${file}`, overrides });
}

/** Builds the model of `file` + overrides through the zoo's one door. */
export function build(file: string, overrides: string[] = []): Model {
  return createModel(config(file, overrides));
}

/**
 * Parameter count of the model of `file` + overrides, built through `createModel` with the normal
 * deviates of the init stubbed to 0: building a 138M-parameter model then takes a second, not twenty.
 */
export function countFast(file: string, overrides: string[] = []): number {
  const model = buildFast(file, overrides);
  const n = countParams(model);
  model.dispose();
  return n;
}

/** Builds the model of `file` + overrides with every Kaiming-normal weight 0 (for counts and shapes only). */
export function buildFast(file: string, overrides: string[] = []): Model {
  const normal = Rng.prototype.normal;
  Rng.prototype.normal = () => 0;
  try {
    return build(file, overrides);
  } finally {
    Rng.prototype.normal = normal;
  }
}

/** The build context `createModel` derives from a config (dataset shape, init mode, seeded PRNG). */
export function contextOf(cfg: Config): BuildContext {
  return {
    inChannels: cfg.dataset.n_channels,
    imageSize: cfg.dataset.image_size,
    nClasses: cfg.dataset.n_classes,
    initMode: cfg.model.init_mode as InitMode,
    rng: Rng.fromKey(cfg.train.seed, 0x1e17),
    noise: new StepNoise(cfg.train.seed),
    nn,
  };
}

/** Mean and (population) standard deviation of a parameter, found by its dotted name. */
export function paramStats(model: Model, name: string): { mean: number; std: number; size: number } {
  const p = model.params.find((q) => q.name === name);
  if (!p) throw new Error(`no parameter ${name} (have ${model.params.slice(0, 8).map((q) => q.name).join(', ')}, ...)`);
  const v = p.variable.dataSync() as Float32Array;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, size: v.length };
}

/** Values of a parameter, found by its dotted name. */
export function paramValues(model: Model, name: string): Float32Array {
  const p = model.params.find((q) => q.name === name);
  if (!p) throw new Error(`no parameter ${name}`);
  return p.variable.dataSync() as Float32Array;
}

/**
 * Runs `steps` plain SGD steps (lr, mean cross-entropy) on one fixed random batch in training mode;
 * returns the losses. Frees every tensor it creates.
 */
export function trainSteps(model: Model, inputShape: [number, number, number, number], nClasses: number, steps: number, lr: number): number[] {
  const x = tf.randomNormal(inputShape, 0, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: inputShape[0] }, (_, i) => i % nClasses), 'int32');
  const target = tf.oneHot(labels, nClasses);
  const vars = model.params.map((p) => p.variable);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, true);
      return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    }, vars);
    losses.push(value.dataSync()[0]);
    tf.tidy(() => {
      for (const p of model.params) {
        const g = grads[p.variable.name];
        if (g) p.variable.assign(tf.sub(p.variable, tf.mul(g, lr)));
      }
    });
    tf.dispose([value, ...Object.values(grads)]);
  }
  tf.dispose([x, labels, target]);
  return losses;
}

/** Output shapes by layer name of one traced evaluation-mode forward pass; also returns the logits' shape. */
export function layerShapes(model: Model, inputShape: [number, number, number, number]): { out: number[]; shapes: Record<string, number[]>; types: Record<string, string> } {
  const x = tf.zeros(inputShape) as tf.Tensor4D;
  const { result, layers } = traceLayers(() => tf.tidy(() => model.apply(x, false)));
  const out = result.shape;
  tf.dispose([x, result]);
  return {
    out,
    shapes: Object.fromEntries(layers.map((l) => [l.name, l.outputShape])),
    types: Object.fromEntries(layers.map((l) => [l.name, l.type])),
  };
}

/** Checks that parameter names are unique and returns them. */
export function uniqueNames(model: Model): string[] {
  const names = model.params.map((p) => p.name).concat(model.buffers.map((b) => b.name));
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`duplicate parameter name ${n}`);
    seen.add(n);
  }
  return model.params.map((p) => p.name);
}
