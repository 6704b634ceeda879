/**
 * The per-class files of an evaluation (runtime/protocol/evaluation.ts): `classes.json` (class names,
 * confusion matrix, per-class accuracy, precision, F1) and `gallery.json` (the most confidently wrong
 * test images as PNGs), built from the logits of the whole test split.
 */
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { EVAL_CLASSES_FILE, EVAL_FORMAT_VERSION, EVAL_GALLERY_FILE, type ClassReport, type Gallery, type GalleryImage } from '../protocol/evaluation';
import { classFigures, confidentMistakes, confusionMatrix, macroMean, scorePredictions } from './class_metrics';
import { writeTextAtomic } from '../util/atomic';

/** Images kept per confusion cell in the gallery. */
export const GALLERY_PER_CELL = 8;
/** Most confident wrong images kept overall, besides. */
export const GALLERY_TOP = 64;

/** What the per-class files are built from. */
export interface EvaluationInputs {
  /** Shared by the evaluation's files. */
  id: string;
  checkpoint: string;
  dataset: string;
  classes: readonly string[];
  /** Logits [n, K] row-major. */
  logits: Float32Array;
  /** True classes [n]. */
  labels: ArrayLike<number>;
  /** The test images as loaded: uint8 [≥ n, height, width, channels] NHWC. */
  images: Uint8Array;
  height: number;
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
}

/** The `classes.json` of an evaluation. */
export function classReport(inp: EvaluationInputs, predictions: ArrayLike<number>): ClassReport {
  const k = inp.classes.length;
  const confusion = confusionMatrix(inp.labels, predictions, k);
  const perClass = classFigures(confusion);
  const n = inp.labels.length;
  const correct = perClass.reduce((a, c) => a + c.correct, 0);
  return {
    version: EVAL_FORMAT_VERSION,
    id: inp.id,
    checkpoint: inp.checkpoint,
    dataset: inp.dataset,
    classes: [...inp.classes],
    n,
    accuracy: n ? correct / n : 0,
    confusion,
    per_class: perClass,
    macro: {
      accuracy: macroMean(perClass.map((c) => c.accuracy)),
      precision: macroMean(perClass.map((c) => c.precision)),
      f1: macroMean(perClass.map((c) => c.f1)),
    },
  };
}

/**
 * Image `index` of an NHWC uint8 batch as a PNG (grey or RGB, as the data).
 * @throws when channels is not 1 or 3
 */
export function imagePng(images: Uint8Array, index: number, height: number, width: number, channels: number): Buffer {
  if (channels !== 1 && channels !== 3) throw new Error(`imagePng: ${channels} channels (1 or 3 expected)`);
  const size = height * width * channels;
  const colorType = channels === 1 ? 0 : 2;
  const png = new PNG({ width, height, colorType, inputColorType: colorType, inputHasAlpha: false });
  png.data = Buffer.from(images.subarray(index * size, (index + 1) * size));
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false });
}

/** The `gallery.json` of an evaluation: see {@link confidentMistakes}, with {@link GALLERY_PER_CELL} and {@link GALLERY_TOP}. */
export function gallery(inp: EvaluationInputs): Gallery {
  const scored = scorePredictions(inp.logits, inp.labels, inp.classes.length);
  const kept = confidentMistakes(scored, GALLERY_PER_CELL, GALLERY_TOP);
  const images = kept.map((s): GalleryImage => ({
    index: s.index,
    true: s.true,
    predicted: s.predicted,
    probability: s.probability,
    true_probability: s.trueProbability,
    png: imagePng(inp.images, s.index, inp.height, inp.width, inp.channels).toString('base64'),
  }));
  return {
    version: EVAL_FORMAT_VERSION,
    id: inp.id,
    height: inp.height,
    width: inp.width,
    channels: inp.channels,
    per_cell: GALLERY_PER_CELL,
    top: GALLERY_TOP,
    wrong: scored.filter((s) => s.predicted !== s.true).length,
    images,
  };
}

/**
 * Writes `classes.json` and `gallery.json` into `outDir`, each atomically.
 * @param predictions argmax of each logits row [n]
 * @throws file-system errors naming the file
 */
export function writeClassFiles(outDir: string, inp: EvaluationInputs, predictions: ArrayLike<number>): ClassReport {
  const report = classReport(inp, predictions);
  writeTextAtomic(path.join(outDir, EVAL_CLASSES_FILE), `${JSON.stringify(report)}\n`);
  writeTextAtomic(path.join(outDir, EVAL_GALLERY_FILE), `${JSON.stringify(gallery(inp))}\n`);
  return report;
}
