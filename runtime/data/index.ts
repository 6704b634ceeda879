/** The data module: dataset readers, location, transforms, seeded randomness and the batch loader. */
export { BUILTIN_DATASET_NAMES, DATASETS, DATASET_NAMES, FOLDER_DATASET_NAMES, builtinDataset, datasetInfo, type DatasetInfo, type DatasetName, type DatasetFormat } from './dataset_info';
export { loadDataset, subsetDataset, randomSplit, splitIndices, sharedBytes, type ImageDataset, type LoadDatasetOptions, type SplitIndices } from './dataset';
export { locateDataset, searchDirs, downloadHelp, DATA_DIR_ENV, type LocateOptions, type LocatedDataset, type LocateEnvironment } from './locate';
export { ensureDataset, type EnsureDatasetOptions, type EnsuredDataset } from './download';
export { DownloadError } from './http_download';
export { DATASET_SOURCES, MIRROR_ENV } from './sources';
export { readIdxImages, readIdxLabels, readIdxPair, parseIdxImages, parseIdxLabels, readMaybeGzip, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxImages } from './idx';
export { readCifarFiles, parseCifar, cifarRecordSize, type CifarKind, type CifarData } from './cifar';
export { Rng, type RngState } from './rng';
export {
  padImage, padIndex, drawAugmentParams, normalizationTable, prepareTransform, transformImage, PADDING_MODES,
  type PaddingMode, type RandomCropOptions, type TransformOptions, type AugmentParams, type PreparedTransform,
} from './transforms';
export { BatchBuilder, computeStepsPerEpoch, epochOrder, type Batch, type BatchPlan } from './batch';
export { BatchLoader, type LoaderOptions } from './loader';
export { resolveDataWorker, startWorker, DATA_WORKER_SOURCE, DATA_WORKER_BUNDLE, DATA_WORKER_ENV, type WorkerScript } from './worker_path';
