import { Rng } from '../../data/rng';

/** PRNG stream key of the training noise (independent of the weight-init and data streams). */
const NOISE_STREAM = 0x5eed;

/**
 * The randomness of a model's forward pass in training (dropout masks, Shake-Shake's α and β),
 * keyed like the data pipeline: the draws of optimizer step t come from the stream
 * (train.seed, t), in forward order. The trainer calls {@link StepNoise.setStep} before each step,
 * so a resumed run draws exactly what the uninterrupted run drew, and the noise never depends on
 * the initial weights or on how many weights a model has.
 */
export class StepNoise {
  private rng: Rng;

  constructor(private readonly seed: number) {
    this.rng = Rng.fromKey(seed, NOISE_STREAM, 0);
  }

  /** Starts the draws of optimizer step `step` (0-based global step). */
  setStep(step: number): void {
    this.rng = Rng.fromKey(this.seed, NOISE_STREAM, step);
  }

  /** A U[0, 1) draw. */
  uniform(): number {
    return this.rng.uniform();
  }

  /** A seed for a TensorFlow.js random op (e.g. `tf.dropout`), uint32. */
  nextSeed(): number {
    return this.rng.nextUint32();
  }
}
