/**
 * The evaluation files of a run folder: what `npm run evaluate` (and the extension's Evaluate
 * Checkpoint) writes into `test.output_dir` (default `RUN_DIR/eval`), and what the Runs view, the
 * experiments table and the evaluation panel read. TensorFlow.js-free, no Node.js imports: the
 * extension and its webviews import it.
 *
 * - `metrics.json` ({@link EvalMetricsFile}): test loss, top-1/top-5 accuracy, error, images;
 * - `classes.json` ({@link ClassReport}): class names, the confusion matrix, per-class figures;
 * - `gallery.json` ({@link Gallery}): the most confidently wrong test images as small PNGs.
 *
 * Each file is written atomically; `metrics.json` last. All three carry the same `id`, so a reader
 * that finds different ids (an evaluation killed between two renames) knows the files are of two
 * evaluations. Readers must ignore fields they do not know.
 */

export { EVAL_DIR } from './run_folder';
export const EVAL_METRICS_FILE = 'metrics.json';
export const EVAL_CLASSES_FILE = 'classes.json';
export const EVAL_GALLERY_FILE = 'gallery.json';
/** Version of `classes.json` and `gallery.json`; bumped on an incompatible change. */
export const EVAL_FORMAT_VERSION = 1;

/** `metrics.json`: one evaluation of a checkpoint on the test split. */
export interface EvalMetricsFile {
  /** Mean cross-entropy over the test images. */
  loss: number;
  /** Top-1 accuracy, fraction 0..1. */
  accuracy: number;
  /** 1 − accuracy. */
  error: number;
  /** Test images evaluated. */
  n: number;
  /** Top-5 accuracy, fraction 0..1. */
  accuracy5?: number;
  /** Absolute path of the checkpoint evaluated. */
  checkpoint: string;
  /** Shared with classes.json and gallery.json of the same evaluation (absent before per-class files). */
  id?: string;
  /** ISO 8601 time the evaluation ended. */
  time?: string;
}

/** Figures of one class, counted over the test images. */
export interface ClassFigures {
  /** Test images of this class (the confusion row's sum). */
  support: number;
  /** Test images predicted as this class (the confusion column's sum). */
  predicted: number;
  /** Images of this class predicted as this class (the diagonal). */
  correct: number;
  /**
   * The class's top-1 accuracy, correct / support: the fraction of its images classified right,
   * which is its recall (torchmetrics' per-class `MulticlassAccuracy`). Null without images.
   */
  accuracy: number | null;
  /** correct / predicted; null when nothing was predicted as this class. */
  precision: number | null;
  /** Harmonic mean of precision and recall; null when either is null, 0 when both are 0. */
  f1: number | null;
}

/** `classes.json`: the per-class view of an evaluation. */
export interface ClassReport {
  version: number;
  id: string;
  /** Absolute path of the checkpoint evaluated. */
  checkpoint: string;
  /** `dataset.name` of the run. */
  dataset: string;
  /** Class names in label order (dataset's names, MNIST's digits, a folder dataset's folder names). */
  classes: string[];
  /** Test images. */
  n: number;
  /** Top-1 accuracy, fraction 0..1. */
  accuracy: number;
  /** `confusion[t][p]`: test images of true class t predicted as class p (rows true, columns predicted); the cells sum to n. */
  confusion: number[][];
  /** One entry a class, in label order. */
  per_class: ClassFigures[];
  /** Unweighted means over the classes that have a value (macro average). */
  macro: { accuracy: number | null; precision: number | null; f1: number | null };
}

/** One wrongly classified test image. */
export interface GalleryImage {
  /** Index of the image in the test split (file order, after `dataset.max_test_samples`). */
  index: number;
  /** True class (label index). */
  true: number;
  /** Predicted class (argmax of the logits). */
  predicted: number;
  /** Softmax probability of the predicted class, 0..1. */
  probability: number;
  /** Softmax probability of the true class, 0..1. */
  true_probability: number;
  /** The test image's pixels as loaded (before normalisation) as a PNG, base64. */
  png: string;
}

/** `gallery.json`: the most confidently wrong test images. */
export interface Gallery {
  version: number;
  id: string;
  /** Image height and width in pixels, and channels of the original (1 grey, 3 RGB). */
  height: number;
  width: number;
  channels: number;
  /** At most this many images of each confusion cell (true t, predicted p ≠ t), the most confident ones. */
  per_cell: number;
  /** At least the `top` most confident wrong images overall are kept besides. */
  top: number;
  /** Wrong images of the test split in all (the gallery holds a selection). */
  wrong: number;
  /** The kept images, most confident first. */
  images: GalleryImage[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);

/**
 * Checks the shape of a parsed `classes.json` (a reader must not trust a file's shape).
 * @returns the problem in words, or undefined when it is well-formed
 */
export function classReportProblem(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return 'not an object';
  const o = v as Partial<ClassReport>;
  if (o.version !== EVAL_FORMAT_VERSION) return `version ${String(o.version)}, expected ${EVAL_FORMAT_VERSION}`;
  if (!Array.isArray(o.classes) || !o.classes.every((c) => typeof c === 'string')) return 'classes: expected a list of names';
  const k = o.classes.length;
  if (!Array.isArray(o.confusion) || o.confusion.length !== k || !o.confusion.every((r) => Array.isArray(r) && r.length === k && r.every(isNum))) {
    return `confusion: expected ${k}×${k} numbers`;
  }
  if (!Array.isArray(o.per_class) || o.per_class.length !== k) return `per_class: expected ${k} entries`;
  for (const c of o.per_class) {
    if (!c || !isNum(c.support) || !isNum(c.predicted) || !isNum(c.correct) || !isNumOrNull(c.accuracy) || !isNumOrNull(c.precision) || !isNumOrNull(c.f1)) {
      return 'per_class: an entry lacks support, predicted, correct, accuracy, precision or f1';
    }
  }
  if (!isNum(o.n) || !isNum(o.accuracy) || typeof o.id !== 'string') return 'n, accuracy or id missing';
  return undefined;
}

/**
 * Checks the shape of a parsed `gallery.json`.
 * @returns the problem in words, or undefined when it is well-formed
 */
export function galleryProblem(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return 'not an object';
  const o = v as Partial<Gallery>;
  if (o.version !== EVAL_FORMAT_VERSION) return `version ${String(o.version)}, expected ${EVAL_FORMAT_VERSION}`;
  if (!isNum(o.height) || !isNum(o.width) || !isNum(o.channels) || typeof o.id !== 'string') return 'height, width, channels or id missing';
  if (!Array.isArray(o.images)) return 'images: expected a list';
  for (const im of o.images) {
    if (!im || !isNum(im.index) || !isNum(im.true) || !isNum(im.predicted) || !isNum(im.probability) || typeof im.png !== 'string') {
      return 'images: an entry lacks index, true, predicted, probability or png';
    }
  }
  return undefined;
}
