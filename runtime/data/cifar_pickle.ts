/**
 * CIFAR python-version reader: the files torchvision downloads (`cifar-10-batches-py/data_batch_1`
 * … `data_batch_5`, `test_batch`; `cifar-100-python/train`, `test`). Each is a pickled dict
 * (https://www.cs.toronto.edu/~kriz/cifar.html) whose `data` is a uint8 numpy array [n, 3072]
 * (rows: the 32x32 red plane, then green, then blue, each row-major) and whose `labels`
 * (CIFAR-10) or `fine_labels` (CIFAR-100) is a list of n ints.
 */
import { NdArray, unpickle } from './pickle';

/** One python-version CIFAR file: images as in the file (channel planes), labels. */
export interface CifarPlanes {
  /** uint8 [n, 3, 32, 32] (a view into the file's bytes). */
  planes: Uint8Array;
  labels: Int32Array;
  n: number;
}

/**
 * Decodes a python-version CIFAR file.
 * @param bytes the file content
 * @param file used in messages only
 * @throws naming the file for a pickle that is not such a dict, a `data` array that is not uint8
 *   [n, 3072], a label list of another length, or a label out of range (CIFAR-10 < 10, CIFAR-100 < 100)
 */
export function parseCifarPickle(kind: 'CIFAR10' | 'CIFAR100', bytes: Uint8Array, file: string): CifarPlanes {
  const root = unpickle(bytes, file);
  if (!(root instanceof Map)) throw new Error(`${file}: not a CIFAR python-version file (the pickle holds no dict)`);
  const data = root.get('data');
  const labelKey = kind === 'CIFAR10' ? 'labels' : 'fine_labels';
  const labels = root.get(labelKey);
  if (!(data instanceof NdArray)) throw new Error(`${file}: not a CIFAR python-version file (no numpy array "data")`);
  if (!Array.isArray(labels)) throw new Error(`${file}: not a ${kind} python-version file (no list "${labelKey}")`);
  const dtype = data.dtype.replace(/^\|/, '');
  if (dtype !== 'u1' || data.shape.length !== 2 || data.shape[1] !== 3072 || data.fortranOrder) {
    throw new Error(`${file}: "data" is a ${data.fortranOrder ? 'Fortran-order ' : ''}${data.dtype} array of shape [${data.shape.join(', ')}], expected uint8 [n, 3072]`);
  }
  const n = data.shape[0];
  if (data.data.length !== n * 3072) throw new Error(`${file}: "data" holds ${data.data.length} bytes, expected ${n} x 3072`);
  if (labels.length !== n) throw new Error(`${file}: "${labelKey}" has ${labels.length} entries but "data" has ${n} images`);
  const nClasses = kind === 'CIFAR10' ? 10 : 100;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l >= nClasses) {
      throw new Error(`${file}: "${labelKey}"[${i}] is ${String(l)}: expected an integer in [0, ${nClasses})`);
    }
    out[i] = l;
  }
  return { planes: data.data, labels: out, n };
}
