import { writeFileAtomic } from '../util/atomic';

/**
 * Writes a NumPy `.npy` file (format version 1.0, little-endian, C order) that `numpy.load`
 * reads directly, atomically (temp file, fsync, rename). dtype `<f4` for Float32Array, `<i4` for Int32Array.
 * @param shape array shape; its product must equal `data.length`
 * @throws Error when the shape does not match the data; file-system errors naming the file
 */
export function writeNpy(file: string, data: Float32Array | Int32Array, shape: number[]): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`writeNpy ${file}: shape [${shape}] holds ${size} values, data has ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileAtomic(file, [pre, Buffer.from(header, 'latin1'), body]);
}
