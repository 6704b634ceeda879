import type * as tf from '@tensorflow/tfjs-core';

/**
 * What a parameter tensor is, used by optimizers (e.g. no weight decay on BN) and by initialisers.
 * - `conv_weight`: [kh, kw, inChannels, outChannels] (HWIO, TensorFlow.js layout)
 * - `conv_bias`, `linear_bias`: [outChannels]
 * - `linear_weight`: [inFeatures, outFeatures]
 * - `bn_gamma`, `bn_beta`: [channels]
 */
export type ParamKind = 'conv_weight' | 'conv_bias' | 'linear_weight' | 'linear_bias' | 'bn_gamma' | 'bn_beta';

/** A trainable tensor of a model. */
export interface Param {
  /** Unique, stable, PyTorch-like dotted name, e.g. `stage1.block1.conv1.weight`. */
  name: string;
  kind: ParamKind;
  variable: tf.Variable;
}

/** A non-trainable tensor saved with the model, e.g. BN running mean/variance. */
export interface Buffer {
  /** Unique dotted name, e.g. `stage1.block1.bn1.running_mean`. */
  name: string;
  variable: tf.Variable;
}

/** A classifier built from a config: NHWC float32 images in, logits out. */
export interface Model {
  /** Model name as in `model.name`, e.g. `resnet_preact`. */
  readonly name: string;
  /** Trainable parameters, in a fixed order. */
  readonly params: readonly Param[];
  /** Non-trainable state (BN running statistics), in a fixed order. */
  readonly buffers: readonly Buffer[];
  /**
   * Forward pass.
   * @param x images [N, H, W, C] float32, normalised (NHWC)
   * @param training true: BN uses batch statistics and updates its running statistics; dropout is on
   * @returns logits [N, nClasses]
   */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  /**
   * Keys the training-time randomness (dropout masks, Shake-Shake's α/β) to optimizer step `step`
   * (0-based global step); the trainer calls it before each step so a resumed run is exact.
   * {@link createModel} adds it to every model it builds.
   */
  setStep?(step: number): void;
  /** Frees every variable of the model. */
  dispose(): void;
}
