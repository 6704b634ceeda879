/**
 * The built-in datasets: names, shapes, and the original framework's normalisation constants
 * (hysts/pytorch_image_classification, `dataset.name`; mean/std are per channel, RGB order, for
 * pixels scaled to [0, 1]), and the names of the folder datasets. Imports nothing: the config
 * tree takes its `dataset.name` values and forced shapes from here.
 */

/** The built-in datasets: files of a known format, downloaded when missing, shapes forced. */
export const BUILTIN_DATASET_NAMES = ['CIFAR10', 'CIFAR100', 'MNIST', 'FashionMNIST', 'KMNIST'] as const;
/** A built-in dataset's name. */
export type DatasetName = (typeof BUILTIN_DATASET_NAMES)[number];
/**
 * Folder-per-class datasets (train/ and val/ in `dataset.dataset_dir`), read by `image_folder.ts`;
 * ImageNet is the original's name for them, ImageFolder this project's.
 */
export const FOLDER_DATASET_NAMES = ['ImageNet', 'ImageFolder'] as const;
/** Values of `dataset.name` (the config tree's allowed values). */
export const DATASET_NAMES = [...BUILTIN_DATASET_NAMES, ...FOLDER_DATASET_NAMES] as const;

/** File format of a dataset's files. */
export type DatasetFormat = 'cifar10' | 'cifar100' | 'idx';

/** Static facts about a built-in dataset. */
export interface DatasetInfo {
  name: DatasetName;
  /** Image height = width, pixels. */
  imageSize: number;
  /** 3 (RGB) or 1 (grey). */
  channels: number;
  nClasses: number;
  /** Per-channel mean of pixel/255 (original's values). */
  mean: readonly number[];
  /** Per-channel standard deviation of pixel/255 (original's values). */
  std: readonly number[];
  trainSize: number;
  testSize: number;
  format: DatasetFormat;
}

/** Shapes and normalisation of every built-in dataset. */
export const DATASETS: Readonly<Record<DatasetName, DatasetInfo>> = {
  CIFAR10: {
    name: 'CIFAR10', imageSize: 32, channels: 3, nClasses: 10,
    mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616],
    trainSize: 50000, testSize: 10000, format: 'cifar10',
  },
  CIFAR100: {
    name: 'CIFAR100', imageSize: 32, channels: 3, nClasses: 100,
    mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762],
    trainSize: 50000, testSize: 10000, format: 'cifar100',
  },
  MNIST: {
    name: 'MNIST', imageSize: 28, channels: 1, nClasses: 10,
    mean: [0.1307], std: [0.3081], trainSize: 60000, testSize: 10000, format: 'idx',
  },
  FashionMNIST: {
    name: 'FashionMNIST', imageSize: 28, channels: 1, nClasses: 10,
    mean: [0.2860], std: [0.3530], trainSize: 60000, testSize: 10000, format: 'idx',
  },
  KMNIST: {
    name: 'KMNIST', imageSize: 28, channels: 1, nClasses: 10,
    mean: [0.1904], std: [0.3475], trainSize: 60000, testSize: 10000, format: 'idx',
  },
};

/**
 * Looks up a built-in dataset by name (exact, or differing only in letter case).
 * @throws Error listing the built-in names if unknown (also for the folder datasets)
 */
export function datasetInfo(name: string): DatasetInfo {
  const exact = (DATASETS as Record<string, DatasetInfo | undefined>)[name];
  if (exact) return exact;
  const folded = BUILTIN_DATASET_NAMES.find((n) => n.toLowerCase() === String(name).toLowerCase());
  if (folded) return DATASETS[folded];
  const folder = FOLDER_DATASET_NAMES.find((n) => n.toLowerCase() === String(name).toLowerCase());
  const imagenet = folder ? ` (${folder} is a folder dataset: loadImageFolder reads it)` : '';
  throw new Error(`Unknown dataset name "${name}"${imagenet}: supported are ${BUILTIN_DATASET_NAMES.join(', ')}`);
}

/** The built-in dataset of exactly this name, or undefined (folder datasets, unknown names). */
export function builtinDataset(name: string): DatasetInfo | undefined {
  return Object.prototype.hasOwnProperty.call(DATASETS, name) ? DATASETS[name as DatasetName] : undefined;
}
