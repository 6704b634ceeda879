import type { Config } from '../config';
import { BatchLoader, datasetInfo, loadDataset, type ImageDataset, type TransformOptions } from '../data';

/** The train and test splits of a run, and their loaders. */
export interface RunData {
  train: ImageDataset;
  test: ImageDataset;
  trainLoader: BatchLoader;
  testLoader: BatchLoader;
  /** [H, W, C] */
  imageShape: [number, number, number];
  nClasses: number;
  close(): void;
}

/** The original's cifar-type train transforms from the `augmentation` section. */
export function trainTransform(cfg: Config): TransformOptions {
  const info = datasetInfo(cfg.dataset.name);
  const aug = cfg.augmentation;
  return {
    mean: info.mean,
    std: info.std,
    randomCrop: aug.use_random_crop
      ? { padding: aug.random_crop.padding, fill: aug.random_crop.fill, paddingMode: aug.random_crop.padding_mode as 'constant' }
      : null,
    horizontalFlip: aug.use_random_horizontal_flip ? { prob: aug.random_horizontal_flip.prob } : null,
  };
}

/** Loads the test split with its eval loader (normalise only), batch `batchSize`. */
export function loadTestData(cfg: Config, batchSize: number): { test: ImageDataset; loader: BatchLoader } {
  const info = datasetInfo(cfg.dataset.name);
  const test = loadDataset({ name: cfg.dataset.name, split: 'test', datasetDir: cfg.dataset.dataset_dir, maxSamples: cfg.dataset.max_test_samples });
  const loader = new BatchLoader(test, { mode: 'eval', batchSize, transform: { mean: info.mean, std: info.std }, workers: 0 });
  return { test, loader };
}

/**
 * Loads both splits (respecting `dataset.max_train_samples`/`max_test_samples`) and builds the
 * loaders: train batches `train.batch_size`, shuffled per epoch from `train.seed`, drop_last as
 * `train.dataloader.drop_last`, built in a worker thread unless `train.dataloader.num_workers` is 0;
 * validation batches `validation.batch_size`, in file order.
 */
export function loadRunData(cfg: Config): RunData {
  const train = loadDataset({ name: cfg.dataset.name, split: 'train', datasetDir: cfg.dataset.dataset_dir, maxSamples: cfg.dataset.max_train_samples });
  const { test, loader: testLoader } = loadTestData(cfg, cfg.validation.batch_size);
  const trainLoader = new BatchLoader(train, {
    mode: 'train',
    batchSize: cfg.train.batch_size,
    seed: cfg.train.seed,
    dropLast: cfg.train.dataloader.drop_last,
    transform: trainTransform(cfg),
    workers: Math.min(1, cfg.train.dataloader.num_workers),
  });
  return {
    train,
    test,
    trainLoader,
    testLoader,
    imageShape: [train.height, train.width, train.channels],
    nClasses: train.nClasses,
    close() {
      trainLoader.close();
      testLoader.close();
    },
  };
}
