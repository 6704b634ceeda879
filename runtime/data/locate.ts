/**
 * Finding a dataset's files on disk. When they are not found the error lists every folder looked
 * in and how to get the data (./download.ts downloads them first unless `dataset.download` is off).
 *
 * Search order (first folder holding every file of the requested split wins); each base folder B
 * is expanded to B and its usual subfolders (see {@link expandBase}):
 * 1. `datasetDir` (the config's `dataset.dataset_dir`), if given: then ONLY this folder is
 *    searched, and a folder that does not exist is a ConfigError (nothing falls back elsewhere)
 * 2. `$ICL_DATA_DIR`
 * 3. `./data` (relative to the working directory)
 * 4. `~/.torch/datasets` (where the original framework's torchvision puts them)
 * 5. `~/.cache/image-classification-lab` (where downloads go)
 * 6. `/usr/share/datasets` (Debian's dataset packages, e.g. `dataset-fashion-mnist`)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../config/errors';
import { datasetInfo, type DatasetName } from './dataset_info';

/** Environment variable naming an extra data folder. */
export const DATA_DIR_ENV = 'ICL_DATA_DIR';

/** Overrides of the process environment, for tests and embedding. */
export interface LocateEnvironment {
  /** Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Working directory for `./data`; defaults to `process.cwd()`. */
  cwd?: string;
  /** Home directory for `~`; defaults to `os.homedir()`. */
  home?: string;
  /** System datasets folder; defaults to `/usr/share/datasets`. */
  systemDir?: string;
}

export interface LocateOptions extends LocateEnvironment {
  name: string;
  split: 'train' | 'test';
  datasetDir?: string;
}

/** Where a dataset split was found. */
export interface LocatedDataset {
  name: DatasetName;
  split: 'train' | 'test';
  /** The folder holding the files. */
  dir: string;
  /**
   * Absolute file paths in reading order: IDX `[images, labels]`; CIFAR the batch files, binary
   * (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`; `train.bin`, `test.bin`) or python
   * version (`data_batch_1` … `data_batch_5`, `test_batch`; `train`, `test`).
   */
  files: string[];
}

/** Folder names used by the dataset authors (binary, python version), torchvision and Debian. */
const FOLDERS: Record<DatasetName, { archive?: string[]; debian: string }> = {
  CIFAR10: { archive: ['cifar-10-batches-bin', 'cifar-10-batches-py'], debian: 'cifar-10' },
  CIFAR100: { archive: ['cifar-100-binary', 'cifar-100-python'], debian: 'cifar-100' },
  MNIST: { debian: 'mnist' },
  FashionMNIST: { debian: 'fashion-mnist' },
  KMNIST: { debian: 'kmnist' },
};

/** For each file of a split, the accepted names (first existing one wins): CIFAR binary, then python version. */
function expectedFiles(name: DatasetName, split: 'train' | 'test'): string[][] {
  const cifar = (stem: string): string[] => [`${stem}.bin`, stem];
  if (name === 'CIFAR10') {
    return split === 'train' ? [1, 2, 3, 4, 5].map((i) => cifar(`data_batch_${i}`)) : [cifar('test_batch')];
  }
  if (name === 'CIFAR100') return [cifar(split)];
  const prefix = split === 'train' ? 'train' : 't10k';
  const variants = (kind: string): string[] => {
    const stems = [`${prefix}-${kind}-ubyte`, `${prefix}-${kind.replace('-', '.')}-ubyte`];
    return stems.flatMap((s) => [s, `${s}.gz`]);
  };
  return [variants('images-idx3'), variants('labels-idx1')];
}

function expandHome(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(home, p.slice(1)) : p;
}

/**
 * A base folder B and the subfolders where the files of `name` usually sit: IDX datasets
 * `B`, `B/raw`, `B/<Name>`, `B/<Name>/raw`, `B/<debian>`; CIFAR `B`, `B/<archive>`, `B/<Name>`,
 * `B/<Name>/<archive>`, `B/<debian>` (archive: the binary version's `cifar-10-batches-bin` /
 * `cifar-100-binary`, then the python version's `cifar-10-batches-py` / `cifar-100-python`;
 * debian: e.g. `fashion-mnist`).
 */
export function expandBase(base: string, name: DatasetName): string[] {
  const f = FOLDERS[name];
  const dirs = f.archive
    ? [base, ...f.archive.map((a) => path.join(base, a)), path.join(base, name), ...f.archive.map((a) => path.join(base, name, a))]
    : [base, path.join(base, 'raw'), path.join(base, name), path.join(base, name, 'raw')];
  dirs.push(path.join(base, f.debian));
  return dirs;
}

/** `dataset.dataset_dir` as an absolute path (`~` expanded); undefined when empty. */
export function explicitDatasetDir(datasetDir: string | undefined, e: LocateEnvironment = {}): string | undefined {
  if (!datasetDir) return undefined;
  return path.resolve(e.cwd ?? process.cwd(), expandHome(datasetDir, e.home ?? os.homedir()));
}

/**
 * Every folder looked in for `name`, in search order, without duplicates: with a `datasetDir`
 * only that folder and its subfolders, else the well-known places.
 */
export function searchDirs(name: string, datasetDir?: string, e: LocateEnvironment = {}): string[] {
  const info = datasetInfo(name);
  const explicit = explicitDatasetDir(datasetDir, e);
  if (explicit) return [...new Set(expandBase(explicit, info.name))];
  const env = e.env ?? process.env;
  const cwd = e.cwd ?? process.cwd();
  const home = e.home ?? os.homedir();
  const bases: string[] = [];
  const envDir = env[DATA_DIR_ENV];
  if (envDir) bases.push(path.resolve(cwd, expandHome(envDir, home)));
  bases.push(path.join(cwd, 'data'));
  bases.push(path.join(home, '.torch', 'datasets'));
  bases.push(defaultDownloadDir({ ...e, env: {} }));
  bases.push(e.systemDir ?? '/usr/share/datasets');
  return [...new Set(bases.flatMap((b) => expandBase(b, info.name)))];
}

/** Where downloads go: `$ICL_DATA_DIR`, else `~/.cache/image-classification-lab`. */
export function defaultDownloadDir(e: LocateEnvironment = {}): string {
  const envDir = (e.env ?? process.env)[DATA_DIR_ENV];
  const home = e.home ?? os.homedir();
  if (envDir) return path.resolve(e.cwd ?? process.cwd(), expandHome(envDir, home));
  return path.join(home, '.cache', 'image-classification-lab');
}

/** How to get a dataset, for the not-found message. */
export function downloadHelp(name: DatasetName): string {
  const put = `Put the files in one of the folders above, e.g. ./data/${name}/ or a folder named by dataset.dataset_dir or $${DATA_DIR_ENV}.`;
  const idx = (base: string): string =>
    ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
      .map((f) => `  ${base}${f}`).join('\n');
  switch (name) {
    case 'FashionMNIST':
      return 'Get Fashion-MNIST: on Debian/Ubuntu `sudo apt-get install dataset-fashion-mnist` (installs to /usr/share/datasets/fashion-mnist, found automatically), ' +
        `or download (gzip IDX, keep the names; .gz or uncompressed both work):\n${idx('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/')}\n` +
        `(see https://github.com/zalandoresearch/fashion-mnist). ${put}`;
    case 'MNIST':
      return `Get MNIST (gzip IDX, keep the names; .gz or uncompressed both work):\n${idx('https://ossci-datasets.s3.amazonaws.com/mnist/')}\n` +
        `(torchvision's mirror of http://yann.lecun.com/exdb/mnist/). ${put}`;
    case 'KMNIST':
      return `Get Kuzushiji-MNIST (gzip IDX, keep the names; .gz or uncompressed both work):\n${idx('http://codh.rois.ac.jp/kmnist/dataset/kmnist/')}\n` +
        `(see https://github.com/rois-codh/kmnist). ${put}`;
    case 'CIFAR10':
      return 'Get the CIFAR-10 python version that torchvision downloads, https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz, ' +
        'or the binary version, https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, and extract it, e.g. `mkdir -p data && tar -xzf cifar-10-python.tar.gz -C data` ' +
        '(creates data/cifar-10-batches-py/ with data_batch_1 … data_batch_5 and test_batch; the binary version creates data/cifar-10-batches-bin/).';
    case 'CIFAR100':
      return 'Get the CIFAR-100 python version that torchvision downloads, https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz, ' +
        'or the binary version, https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz, and extract it, e.g. `mkdir -p data && tar -xzf cifar-100-python.tar.gz -C data` ' +
        '(creates data/cifar-100-python/ with train and test; the binary version creates data/cifar-100-binary/).';
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the files of a dataset split.
 * @returns the first folder, in {@link searchDirs} order, holding every file of the split
 * @throws for an unknown name (listing the supported ones), or when nothing is found: the message
 *   lists every folder looked in, any folder holding only some of the files, and how to get the data
 */
export function locateDataset(opts: LocateOptions): LocatedDataset {
  const info = datasetInfo(opts.name);
  const explicit = explicitDatasetDir(opts.datasetDir, opts);
  if (explicit && !fs.existsSync(explicit)) {
    throw new ConfigError(`${explicit} does not exist (when set, only this folder is searched): fix the path, create the folder (a missing dataset is then downloaded into it), or set dataset.dataset_dir '' to search the usual places`, { key: 'dataset.dataset_dir' });
  }
  const wanted = expectedFiles(info.name, opts.split);
  const dirs = searchDirs(info.name, opts.datasetDir, opts);
  const partial: string[] = [];
  for (const dir of dirs) {
    const found = wanted.map((names) => names.map((n) => path.join(dir, n)).find(isFile));
    if (found.every((f): f is string => f !== undefined)) {
      return { name: info.name, split: opts.split, dir, files: found };
    }
    const missing = wanted.filter((_, i) => !found[i]).map((names) => names[0]);
    if (missing.length < wanted.length) partial.push(`${dir} (missing ${missing.join(', ')})`);
  }
  const wantedDesc = wanted.map((names) => (info.format === 'idx' ? `${names[0]}[.gz]` : `${names[1]}[.bin]`)).join(', ');
  const lines = [
    `${info.name} ${opts.split} split not found: no folder holds ${wantedDesc}.`,
    'Looked in:',
    ...dirs.map((d) => `  ${d}`),
  ];
  if (partial.length) lines.push('Incomplete folders:', ...partial.map((p) => `  ${p}`));
  lines.push(downloadHelp(info.name));
  throw new Error(lines.join('\n'));
}
