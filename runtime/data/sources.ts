/**
 * Where the built-in datasets are downloaded from: the archives, URLs and MD5 sums of torchvision
 * (torchvision/datasets/cifar.py and mnist.py, the loaders the original framework calls with
 * `download=True`). CIFAR comes as the python-pickle version torchvision downloads (read by
 * ./cifar_pickle.ts); the MNIST family as the four gzip IDX files, kept compressed.
 */
import type { DatasetName } from './dataset_info';

/** One file to download. */
export interface RemoteFile {
  /** File name on the server and on disk, e.g. `cifar-10-python.tar.gz`. */
  name: string;
  /** MD5 of the whole file, lower-case hex (torchvision's). */
  md5: string;
}

/** How a dataset is downloaded and laid out on disk. */
export interface DatasetSource {
  /** Base URLs (ending in `/`) tried in order; the file's name is appended. */
  mirrors: readonly string[];
  files: readonly RemoteFile[];
  /**
   * `tar.gz`: one archive, extracted into `folder`'s parent (its members all sit under `folder`/).
   * `files`: the files themselves go into `folder`.
   */
  kind: 'tar.gz' | 'files';
  /** Folder under the download base: CIFAR the archive's top folder, IDX torchvision's `<Name>/raw`. */
  folder: string;
}

const IDX_NAMES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

function idx(name: DatasetName, mirrors: string[], md5s: string[]): DatasetSource {
  return { mirrors, files: IDX_NAMES.map((n, i) => ({ name: n, md5: md5s[i] })), kind: 'files', folder: `${name}/raw` };
}

/** torchvision's sources of every built-in dataset. */
export const DATASET_SOURCES: Readonly<Record<DatasetName, DatasetSource>> = {
  CIFAR10: {
    mirrors: ['https://www.cs.toronto.edu/~kriz/'],
    files: [{ name: 'cifar-10-python.tar.gz', md5: 'c58f30108f718f92721af3b95e74349a' }],
    kind: 'tar.gz',
    folder: 'cifar-10-batches-py',
  },
  CIFAR100: {
    mirrors: ['https://www.cs.toronto.edu/~kriz/'],
    files: [{ name: 'cifar-100-python.tar.gz', md5: 'eb9058c3a382ffc7106e4002c42a8d85' }],
    kind: 'tar.gz',
    folder: 'cifar-100-python',
  },
  MNIST: idx('MNIST', ['http://yann.lecun.com/exdb/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'], [
    'f68b3c2dcbeaaa9fbdd348bbdeb94873', 'd53e105ee54ea40749a09fcbcd1e9432', '9fb629c4189551a2d022fa330f9573f3', 'ec29112dd5afa0611ce80d1b7f02629c',
  ]),
  FashionMNIST: idx('FashionMNIST', ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'], [
    '8d4fb7e6c68d591d4c3dfef9ec88bf0d', '25c81989df183df01b3e8a0aad5dffbe', 'bef4ecab320f06d8554ea6380940ec79', 'bb300cfdad3c16e7a12a480ee83cd310',
  ]),
  KMNIST: idx('KMNIST', ['http://codh.rois.ac.jp/kmnist/dataset/kmnist/'], [
    'bdb82020997e1d708af4cf47b453dcf7', 'e144d726b3acfaa3e44228e80efcd344', '5c965bf0a639b31b8f53240b1b52f4d7', '7320c461ea6c1c855c0b718fb2a4b134',
  ]),
};

/** Environment variable naming a mirror (a base URL) used instead of the sources above. */
export const MIRROR_ENV = 'ICL_DATASET_MIRROR';

/** The base URLs to try for `name`: `$ICL_DATASET_MIRROR` alone when set, else torchvision's. */
export function mirrorsFor(name: DatasetName, env: Record<string, string | undefined> = process.env): string[] {
  const mirror = env[MIRROR_ENV]?.trim();
  if (mirror) return [mirror.endsWith('/') ? mirror : `${mirror}/`];
  return [...DATASET_SOURCES[name].mirrors];
}
