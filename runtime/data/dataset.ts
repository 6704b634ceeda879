/**
 * Loading a built-in dataset split into memory as NHWC uint8 images and int32 labels.
 * The images live in a SharedArrayBuffer so the batch worker reads them without a copy.
 */
import { readCifarFiles } from './cifar';
import { datasetInfo, type DatasetName } from './dataset_info';
import { readIdxPair } from './idx';
import { locateDataset, type LocateEnvironment } from './locate';
import { torchRandperm } from './torch_randperm';

/** A dataset split in memory. */
export interface ImageDataset {
  name: DatasetName;
  split: 'train' | 'test';
  /** uint8 pixels [n, height, width, channels] NHWC, backed by a SharedArrayBuffer. */
  images: Uint8Array;
  /** Class indices [n], each in [0, nClasses). */
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  nClasses: number;
  /** Absolute paths of the files read. */
  files: string[];
}

export interface LoadDatasetOptions extends LocateEnvironment {
  /** One of DATASET_NAMES (letter case ignored). */
  name: string;
  split: 'train' | 'test';
  /** The config's `dataset.dataset_dir`; empty/undefined = only the default places. */
  datasetDir?: string;
  /** 0 or undefined = all samples; else the first N in file order. */
  maxSamples?: number;
}

/** A zeroed Uint8Array of `bytes` backed by a SharedArrayBuffer. */
export function sharedBytes(bytes: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(bytes));
}

/**
 * Finds (see locateDataset) and reads a dataset split.
 * @returns images [n, H, W, C] NHWC uint8 in shared memory, labels [n]
 * @throws for an unknown name (listing the supported ones), data not found (listing where it
 *   looked and how to get it), a negative or fractional maxSamples, and any format error of the
 *   readers (file name and byte offset), including a shape that differs from the dataset's
 */
export function loadDataset(opts: LoadDatasetOptions): ImageDataset {
  const info = datasetInfo(opts.name);
  const max = opts.maxSamples ?? 0;
  if (!Number.isInteger(max) || max < 0) throw new Error(`maxSamples must be a non-negative integer, got ${opts.maxSamples}`);
  const loc = locateDataset({ ...opts, name: info.name });
  const base = { name: info.name, split: opts.split, height: info.imageSize, width: info.imageSize, channels: info.channels, nClasses: info.nClasses, files: loc.files };
  if (info.format === 'idx') {
    const [imagesFile, labelsFile] = loc.files;
    const { images, labels } = readIdxPair(imagesFile, labelsFile, info.nClasses);
    if (images.height !== info.imageSize || images.width !== info.imageSize) {
      throw new Error(`${imagesFile}: images are ${images.height}x${images.width}, expected ${info.imageSize}x${info.imageSize} for ${info.name}`);
    }
    const n = max ? Math.min(max, images.n) : images.n;
    const pixels = sharedBytes(n * images.height * images.width);
    pixels.set(images.data.subarray(0, pixels.length));
    return { ...base, images: pixels, labels: labels.slice(0, n), n };
  }
  const kind = info.format === 'cifar10' ? 'CIFAR10' : 'CIFAR100';
  const data = readCifarFiles(kind, loc.files, max, sharedBytes);
  return { ...base, images: data.images, labels: data.labels, n: data.n };
}

/**
 * A dataset holding the given samples of another, in the given order (e.g. a validation split).
 * @param indices sample indices into `ds`, each in [0, ds.n)
 */
export function subsetDataset(ds: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const size = ds.height * ds.width * ds.channels;
  const images = sharedBytes(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= ds.n) throw new Error(`subsetDataset: index ${j} out of range [0, ${ds.n})`);
    images.set(ds.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = ds.labels[j];
  }
  return { ...ds, images, labels, n: indices.length };
}

/** The sample indices of a train/validation split (see {@link splitIndices}). */
export interface SplitIndices {
  /** Indices into the whole training set that are trained on, in the permutation's order. */
  train: Int32Array;
  /** Indices held out for validation, in the permutation's order; disjoint from `train`. */
  val: Int32Array;
}

/**
 * The original's `random_split(dataset, [n − nVal, nVal])` of the training set when
 * `train.use_test_as_val` is false: `nVal = floor(n · valRatio)` (Python's `int(n * val_ratio)`),
 * the permutation `torch.randperm(n)` right after `torch.manual_seed(seed)` — PyTorch's exact
 * draw, see runtime/data/torch_randperm.ts — its first `n − nVal` entries trained on, the rest
 * held out. The same seed gives the same split on every process.
 * @throws if valRatio is not in [0, 1)
 */
export function splitIndices(n: number, valRatio: number, seed: number): SplitIndices {
  if (!(valRatio >= 0 && valRatio < 1)) throw new Error(`val_ratio must be in [0, 1), got ${valRatio}`);
  const nVal = Math.floor(n * valRatio);
  const perm = torchRandperm(n, seed);
  return { train: perm.subarray(0, n - nVal), val: perm.subarray(n - nVal) };
}

/**
 * Splits a dataset into train and validation parts by {@link splitIndices} (each part in the
 * permutation's order, as the original's `Subset`s).
 * @throws if valRatio is not in [0, 1)
 */
export function randomSplit(ds: ImageDataset, valRatio: number, seed: number): { train: ImageDataset; val: ImageDataset; indices: SplitIndices } {
  const indices = splitIndices(ds.n, valRatio, seed);
  return { train: subsetDataset(ds, indices.train), val: subsetDataset(ds, indices.val), indices };
}
