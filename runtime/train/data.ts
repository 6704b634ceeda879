import * as path from 'node:path';
import { ConfigError, type Config } from '../config';
import { BatchLoader, FOLDER_DATASET_NAMES, datasetInfo, ensureDataset, loadDataset, type ImageDataset, type TransformOptions } from '../data';
import { RESIZED_CROP_DEFAULTS, type MixOptions, type SourceLayout } from '../data/augment';
import { randomSplit, splitIndices, subsetDataset, type SplitIndices } from '../data/dataset';
import { listImageFolder, loadImageFolder } from '../data/image_folder';
import { ShardedTrainLoader, sliceDataset, type Shard } from '../distributed/sampler';
import type { Logger } from './logger';
import { DownloadProgress } from './progress';
import type { ValSplitInfo } from '../protocol/events';

/** The training and validation sets of a run, and their loaders. */
export interface RunData {
  /** The images trained on (with a held-out validation part: the rest of the training files). */
  train: ImageDataset;
  /** The validation set: the test split, or the images held out from the training files. */
  val: ImageDataset;
  /** Which set validation uses and its size (logged, and written in `run_start.val_split`). */
  valSplit: ValSplitInfo;
  /** With a held-out validation part: the indices into the (first max_train_samples) training files of both parts. */
  heldOut?: SplitIndices;
  /** A {@link ShardedTrainLoader} over this rank's shard in data-parallel runs. */
  trainLoader: BatchLoader | ShardedTrainLoader;
  /**
   * Eval transforms, file order; null when there is no validation set (use_test_as_val False with
   * val_ratio 0). Data-parallel runs: over this rank's slice of the set (see runtime/distributed/sampler.ts).
   */
  valLoader: BatchLoader | null;
  /** [H, W, C] */
  imageShape: [number, number, number];
  nClasses: number;
  close(): void;
}

/** The original's ImageNet normalisation, used for every folder dataset. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** True for `ImageFolder` / `ImageNet` (folder-per-class data with imagenet-type transforms). */
export function isFolderDataset(cfg: Config): boolean {
  return (FOLDER_DATASET_NAMES as readonly string[]).includes(cfg.dataset.name);
}

function normalisation(cfg: Config): { mean: readonly number[]; std: readonly number[] } {
  if (isFolderDataset(cfg)) return { mean: IMAGENET_MEAN, std: IMAGENET_STD };
  const info = datasetInfo(cfg.dataset.name);
  return { mean: info.mean, std: info.std };
}

/** The batch mixing a config asks for, with the original's priority mixup > ricap > cutmix; null if none. */
export function mixOptions(cfg: Config): MixOptions | null {
  const a = cfg.augmentation;
  if (a.use_mixup) return { kind: 'mixup', alpha: a.mixup.alpha };
  if (a.use_ricap) return { kind: 'ricap', alpha: a.ricap.beta };
  if (a.use_cutmix) return { kind: 'cutmix', alpha: a.cutmix.alpha };
  return null;
}

/**
 * The original's train transforms from the `augmentation` section: cifar-type (pad + random crop,
 * flip) for the built-in datasets, imagenet-type (random resized crop or center crop, flip) for
 * folder datasets (`source` = the train split's layout); then normalisation, Cutout, Random
 * Erasing, Dual-Cutout, and the batch mixing.
 */
export function trainTransform(cfg: Config, source?: SourceLayout): TransformOptions {
  const aug = cfg.augmentation;
  const cut = aug.cutout;
  const cutout = { prob: cut.prob, maskSize: cut.mask_size, cutInside: cut.cut_inside, maskColor: cut.mask_color };
  const re = aug.random_erasing;
  const folder = isFolderDataset(cfg);
  if (folder && !source) throw new Error(`trainTransform: ${cfg.dataset.name} needs the train split's source layout`);
  return {
    ...normalisation(cfg),
    randomCrop: aug.use_random_crop && !folder
      ? { padding: aug.random_crop.padding, fill: aug.random_crop.fill, paddingMode: aug.random_crop.padding_mode as 'constant' }
      : null,
    horizontalFlip: aug.use_random_horizontal_flip ? { prob: aug.random_horizontal_flip.prob } : null,
    cutout: aug.use_cutout ? cutout : null,
    randomErasing: aug.use_random_erasing
      ? { prob: re.prob, areaRatioRange: re.area_ratio_range, minAspectRatio: re.min_aspect_ratio, maxAttempt: re.max_attempt }
      : null,
    dualCutout: aug.use_dual_cutout ? cutout : null,
    mix: mixOptions(cfg),
    folder: folder && source ? { source, randomResizedCrop: aug.use_random_crop ? RESIZED_CROP_DEFAULTS : null } : null,
  };
}

/**
 * Checks that val/ has exactly the class folders of train/ (labels are folder indices, so any
 * difference would silently swap labels).
 * @throws Error listing the folders only in one of them
 */
export function checkSameClasses(dir: string, train: readonly string[], val: readonly string[]): void {
  const onlyTrain = train.filter((c) => !val.includes(c));
  const onlyVal = val.filter((c) => !train.includes(c));
  if (onlyTrain.length === 0 && onlyVal.length === 0) return;
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  throw new Error(
    `${dir}: val/ must have the class folders of train/ (labels are folder indices): only in train/: ${list(onlyTrain)}; only in val/: ${list(onlyVal)}`,
  );
}

/** Checks what a folder dataset's files imply against the config (classes, channels), and val's classes against train's. */
function checkFolder(cfg: Config, ds: ImageDataset & { classes?: string[] }, trainClasses?: readonly string[]): void {
  if (trainClasses) checkSameClasses(cfg.dataset.dataset_dir, trainClasses, ds.classes ?? []);
  if (cfg.dataset.n_channels !== 3) {
    throw new ConfigError(`${cfg.dataset.n_channels}, but ${cfg.dataset.name} images are decoded to RGB: set dataset.n_channels 3`, { key: 'dataset.n_channels' });
  }
  if (ds.nClasses !== cfg.dataset.n_classes) {
    const shown = (ds.classes ?? []).slice(0, 5).join(', ');
    throw new ConfigError(
      `${cfg.dataset.n_classes}, but ${cfg.dataset.dataset_dir}/${ds.split === 'train' ? 'train' : 'val'} has ${ds.nClasses} class folders (${shown}${ds.nClasses > 5 ? ', ...' : ''}): set dataset.n_classes ${ds.nClasses}`,
      { key: 'dataset.n_classes' },
    );
  }
}

function loadSplit(
  cfg: Config, split: 'train' | 'test', maxSamples: number, part?: { indices: ArrayLike<number>; processing: 'train' | 'eval' },
  trainClasses?: readonly string[],
): ImageDataset & { layout?: SourceLayout; classes?: string[] } {
  if (!isFolderDataset(cfg)) return loadDataset({ name: cfg.dataset.name, split, datasetDir: cfg.dataset.dataset_dir, maxSamples });
  if (!cfg.dataset.dataset_dir) throw new ConfigError(`is empty: dataset.name ${cfg.dataset.name} needs a folder with train/ and val/, one sub-folder per class`, { key: 'dataset.dataset_dir' });
  const ds = loadImageFolder({
    dir: cfg.dataset.dataset_dir, split, imageSize: cfg.dataset.image_size, maxSamples,
    resize: cfg.tta.use_resize ? cfg.tta.resize : null,
    ...(part ?? {}),
  });
  checkFolder(cfg, ds, trainClasses);
  return ds;
}

/**
 * Makes sure a built-in dataset is on disk before {@link loadRunData} / {@link loadTestData} read
 * it: downloads it (runtime/data/download.ts) when it is not found and `dataset.download` is True,
 * logging what and where, with a progress bar on a terminal and plain progress lines elsewhere.
 * Folder datasets are left alone.
 * @throws ConfigError for an explicit `dataset.dataset_dir` that does not exist; the not-found
 *   error when downloading is off; DownloadError (one line) when a download fails
 */
export async function ensureRunDataset(cfg: Config, logger: Logger): Promise<void> {
  if (isFolderDataset(cfg)) return;
  const progress = new DownloadProgress(logger);
  try {
    await ensureDataset({
      name: cfg.dataset.name,
      datasetDir: cfg.dataset.dataset_dir,
      download: cfg.dataset.download,
      log: (m) => logger.info(m),
      onProgress: (file, done, total) => progress.update(file, done, total),
    });
  } finally {
    progress.stop();
  }
}

/** How an eval loader is built: validation's (`validation.*`) or evaluate's (`test.*`; never drops a batch). */
export interface EvalLoaderOptions {
  batchSize: number;
  /** `*.dataloader.num_workers`: 0 builds batches in-thread, more uses one worker thread. */
  numWorkers: number;
  /** `validation.dataloader.drop_last`: drop the last incomplete batch. */
  dropLast?: boolean;
}

/** The eval loader options of validation during training (`validation.batch_size`, `validation.dataloader.*`). */
export const validationLoaderOptions = (cfg: Config): EvalLoaderOptions => ({
  batchSize: cfg.validation.batch_size,
  numWorkers: cfg.validation.dataloader.num_workers,
  dropLast: cfg.validation.dataloader.drop_last,
});

function evalLoader(cfg: Config, ds: ImageDataset, opts: EvalLoaderOptions, shard?: Shard): BatchLoader {
  const part = shard && shard.worldSize > 1 ? sliceDataset(ds, shard) : ds;
  return new BatchLoader(part, { mode: 'eval', batchSize: opts.batchSize, dropLast: opts.dropLast ?? false, transform: normalisation(cfg), workers: Math.min(1, opts.numWorkers) });
}

/**
 * Loads the test split with its eval loader (normalise only). Folder datasets:
 * the `val/` folder, resized (`tta.use_resize`: shorter side to `tta.resize`) and center-cropped
 * to `dataset.image_size` at load; with `trainClasses`, its class folders must be those.
 */
export function loadTestData(cfg: Config, loader: EvalLoaderOptions, shard?: Shard, trainClasses?: readonly string[]): { test: ImageDataset & { classes?: string[] }; loader: BatchLoader } {
  const test = loadSplit(cfg, 'test', cfg.dataset.max_test_samples, undefined, trainClasses);
  return { test, loader: evalLoader(cfg, test, loader, shard) };
}

/** The validation set a config asks for: `test`, `held_out` (train.use_test_as_val False, val_ratio > 0) or `none`. */
export function valSource(cfg: Config): ValSplitInfo['source'] {
  if (cfg.train.use_test_as_val) return 'test';
  return cfg.train.val_ratio > 0 ? 'held_out' : 'none';
}

/** One line for the log: what validation runs on. */
export function describeValSplit(v: ValSplitInfo): string {
  if (v.source === 'test') return `validation on the ${v.n} test images`;
  if (v.source === 'none') return 'no validation set (train.use_test_as_val False, train.val_ratio 0)';
  return `validation on ${v.n} images held out from the training files (train.use_test_as_val False, train.val_ratio ${v.ratio}, seed ${v.seed}; not the test set)`;
}

/**
 * The training set and, with `train.use_test_as_val` False, its held-out validation part: the
 * original's `random_split` (runtime/data/dataset.ts `splitIndices`, seeded by `train.seed`, so
 * every data-parallel rank holds out the same images). The held-out part gets eval transforms
 * (folder datasets: resized and center-cropped at load, like val/).
 */
function loadTrainAndHeldOut(cfg: Config): { train: ImageDataset & { layout?: SourceLayout; classes?: string[] }; heldOut?: { val: ImageDataset; indices: SplitIndices } } {
  const max = cfg.dataset.max_train_samples;
  if (valSource(cfg) !== 'held_out') return { train: loadSplit(cfg, 'train', max) };
  if (isFolderDataset(cfg)) {
    const listed = listImageFolder(path.resolve(cfg.dataset.dataset_dir || '.', 'train')).files.length;
    const indices = splitIndices(max > 0 ? Math.min(max, listed) : listed, cfg.train.val_ratio, cfg.train.seed);
    return {
      train: loadSplit(cfg, 'train', max, { indices: indices.train, processing: 'train' }),
      heldOut: { val: loadSplit(cfg, 'train', max, { indices: indices.val, processing: 'eval' }), indices },
    };
  }
  const { train, val, indices } = randomSplit(loadSplit(cfg, 'train', max), cfg.train.val_ratio, cfg.train.seed);
  return { train, heldOut: { val, indices } };
}

/**
 * Loads the training set and the validation set (respecting `dataset.max_train_samples`/`max_test_samples`;
 * see {@link valSource}) and builds the loaders: train batches `train.batch_size`, shuffled per epoch from `train.seed`, drop_last as
 * `train.dataloader.drop_last`, built in a worker thread unless `train.dataloader.num_workers` is 0;
 * validation batches `validation.batch_size` (`validation.dataloader.*`), eval transforms, in order. With a `shard` of a world larger
 * than 1 (data-parallel), the train loader is this rank's {@link ShardedTrainLoader} and the
 * validation loader covers this rank's slice of the validation set.
 */
export function loadRunData(cfg: Config, shard?: Shard): RunData {
  const { train, heldOut } = loadTrainAndHeldOut(cfg);
  const source = valSource(cfg);
  let val: ImageDataset;
  let valLoader: BatchLoader | null = null;
  if (source === 'test') {
    const t = loadTestData(cfg, validationLoaderOptions(cfg), shard, train.classes);
    val = t.test;
    valLoader = t.loader;
  } else {
    val = heldOut?.val ?? subsetDataset(train, []);
    if (val.n > 0) valLoader = evalLoader(cfg, val, validationLoaderOptions(cfg), shard);
  }
  const valSplit: ValSplitInfo = source === 'held_out'
    ? { source, n: val.n, ratio: cfg.train.val_ratio, seed: cfg.train.seed }
    : { source, n: source === 'test' ? val.n : 0 };
  const trainLoader = shard && shard.worldSize > 1
    ? new ShardedTrainLoader(train, {
      batchSize: cfg.train.batch_size,
      seed: cfg.train.seed,
      dropLast: cfg.train.dataloader.drop_last,
      transform: trainTransform(cfg, train.layout),
      shard,
    })
    : new BatchLoader(train, {
    mode: 'train',
    batchSize: cfg.train.batch_size,
    seed: cfg.train.seed,
    dropLast: cfg.train.dataloader.drop_last,
    transform: trainTransform(cfg, train.layout),
    workers: Math.min(1, cfg.train.dataloader.num_workers),
  });
  return {
    train,
    val,
    valSplit,
    ...(heldOut ? { heldOut: heldOut.indices } : {}),
    trainLoader,
    valLoader,
    imageShape: [train.height, train.width, train.channels],
    nClasses: train.nClasses,
    close() {
      trainLoader.close();
      valLoader?.close();
    },
  };
}
