/**
 * Kernels of the `libtorch` backend: each maps a TensorFlow.js kernel (NHWC, tfjs attributes) onto ATen operators
 * called through the addon. Convolutions and pools view NHWC data as NCHW in `channels_last` memory format
 * (a permute, no copy), so oneDNN runs on the data as it lies.
 *
 * A kernel that is not here fails with tfjs's "Kernel 'X' not registered for backend 'libtorch'" error.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LtTensor } from './addon';
import { KernelScope, LibtorchBackend, MEMORY_FORMAT, ST, scalarType } from './backend';
import { LIBTORCH_FUSED_KERNELS } from './fused_kernels';

export const LIBTORCH_BACKEND_NAME = 'libtorch';

/** Kernel inputs by name (optional ones, e.g. `bias`, may be absent). */
type In = Record<string, tf.TensorInfo>;
// Attributes are typed per kernel at the use site.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Attrs = any;
/** A kernel result: a tensor, optionally with the tfjs dtype it must have. */
type Out = LtTensor | { t: LtTensor; dtype: tf.DataType };
type Impl = (s: KernelScope, inputs: In, attrs: Attrs) => Out | Out[];

function kernel(kernelName: string, impl: Impl): tf.KernelConfig {
  return {
    kernelName,
    backendName: LIBTORCH_BACKEND_NAME,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as LibtorchBackend;
      const s = new KernelScope(b);
      const keep = new Set<number>();
      try {
        const r = impl(s, inputs as In, attrs);
        const outs = (Array.isArray(r) ? r : [r]).map((o) => {
          const info = 't' in o ? b.adopt(s, o.t, o.dtype) : b.adopt(s, o);
          keep.add(b.handle(info.dataId));
          return info;
        });
        return Array.isArray(r) ? outs : outs[0];
      } finally {
        s.finish(keep);
      }
    },
  };
}

const as = (t: LtTensor, dtype: tf.DataType): Out => ({ t, dtype });
const dtypeOf = (t: tf.TensorInfo): tf.DataType => t.dtype;
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

// ---------- elementwise ----------

const UNARY: Record<string, string> = {
  Abs: 'aten::abs', Acos: 'aten::acos', Acosh: 'aten::acosh', Asin: 'aten::asin', Asinh: 'aten::asinh', Atan: 'aten::atan',
  Atanh: 'aten::atanh', Ceil: 'aten::ceil', Cos: 'aten::cos', Cosh: 'aten::cosh', Elu: 'aten::elu', Erf: 'aten::erf',
  Exp: 'aten::exp', Expm1: 'aten::expm1', Floor: 'aten::floor', Log: 'aten::log', Log1p: 'aten::log1p', Neg: 'aten::neg',
  Reciprocal: 'aten::reciprocal', Relu: 'aten::relu', Round: 'aten::round', Rsqrt: 'aten::rsqrt', Selu: 'aten::selu',
  Sigmoid: 'aten::sigmoid', Sign: 'aten::sign', Sin: 'aten::sin', Sinh: 'aten::sinh', Softplus: 'aten::softplus',
  Sqrt: 'aten::sqrt', Square: 'aten::square', Tan: 'aten::tan', Tanh: 'aten::tanh',
};
const UNARY_BOOL: Record<string, string> = { IsNan: 'aten::isnan', IsInf: 'aten::isinf', IsFinite: 'aten::isfinite', LogicalNot: 'aten::logical_not' };
const BINARY: Record<string, string> = {
  // Add and Multiply keep NCHW memory where either operand has it (native/layout.cc; the same bits).
  Add: 'icl::add_nchw_first', Sub: 'aten::sub.Tensor', Multiply: 'icl::mul_nchw_first', Maximum: 'aten::maximum', Minimum: 'aten::minimum',
  Pow: 'aten::pow.Tensor_Tensor', Atan2: 'aten::atan2', Mod: 'aten::remainder.Tensor',
};
const BINARY_BOOL: Record<string, string> = {
  Equal: 'aten::eq.Tensor', NotEqual: 'aten::ne.Tensor', Greater: 'aten::gt.Tensor', GreaterEqual: 'aten::ge.Tensor', Less: 'aten::lt.Tensor',
  LessEqual: 'aten::le.Tensor', LogicalAnd: 'aten::logical_and', LogicalOr: 'aten::logical_or',
};

const elementwise: tf.KernelConfig[] = [
  ...Object.entries(UNARY).map(([k, op]) => kernel(k, (s, { x }) => as(s.call(op, s.id(x)), dtypeOf(x)))),
  ...Object.entries(UNARY_BOOL).map(([k, op]) => kernel(k, (s, { x }) => as(s.call(op, s.id(x)), 'bool'))),
  ...Object.entries(BINARY).map(([k, op]) => kernel(k, (s, { a, b }) => as(s.call(op, s.id(a), s.id(b)), tf.upcastType(a.dtype, b.dtype)))),
  ...Object.entries(BINARY_BOOL).map(([k, op]) => kernel(k, (s, { a, b }) => as(s.call(op, s.id(a), s.id(b)), 'bool'))),
  kernel('RealDiv', (s, { a, b }) => as(s.call('aten::div.Tensor', s.id(a), s.id(b)), 'float32')),
  kernel('FloorDiv', (s, { a, b }) => as(s.call('aten::div.Tensor_mode', s.id(a), s.id(b), 'floor'), 'int32')),
  kernel('SquaredDifference', (s, { a, b }) => as(s.call('aten::square', s.call('aten::sub.Tensor', s.id(a), s.id(b))), tf.upcastType(a.dtype, b.dtype))),
  kernel('AddN', (s, inputs) => {
    const ts = Object.values(inputs);
    let acc = s.call('aten::alias', s.id(ts[0]));
    for (const t of ts.slice(1)) acc = s.call('icl::add_nchw_first', acc, s.id(t));
    return as(acc, ts[0].dtype);
  }),
  kernel('Relu6', (s, { x }) => as(s.call('aten::hardtanh', s.id(x), 0, 6), dtypeOf(x))),
  kernel('LeakyRelu', (s, { x }, { alpha }) => as(s.call('aten::leaky_relu', s.id(x), alpha), dtypeOf(x))),
  kernel('Prelu', (s, { x, alpha }) => {
    const neg = s.call('aten::lt.Scalar', s.id(x), 0);
    return as(s.call('aten::where.self', neg, s.call('aten::mul.Tensor', s.id(x), s.id(alpha)), s.id(x)), dtypeOf(x));
  }),
  kernel('EluGrad', (s, { dy, y }) => {
    const neg = s.call('aten::lt.Scalar', s.id(y), 0);
    return as(s.call('aten::where.self', neg, s.call('aten::mul.Tensor', s.id(dy), s.call('aten::add.Scalar', s.id(y), 1)), s.id(dy)), dtypeOf(dy));
  }),
  // step(x) = 1 where x > 0 else alpha (NaN inputs give alpha, not NaN as on cpu). The comparison writes straight
  // into a tensor of x's dtype (one pass; it is half of every ReLU gradient).
  kernel('Step', (s, { x }, { alpha }: tf.StepAttrs) => {
    let r = s.call('aten::empty_like', s.id(x));
    s.call('aten::gt.Scalar_out', s.id(x), 0, r);
    if (alpha !== 0) r = s.call('aten::add.Scalar', s.call('aten::mul.Scalar', r, 1 - alpha), alpha);
    return as(r, dtypeOf(x));
  }),
  kernel('ClipByValue', (s, { x }, { clipValueMin, clipValueMax }: tf.ClipByValueAttrs) =>
    as(s.call('aten::clamp', s.id(x), clipValueMin, clipValueMax), dtypeOf(x))),
  kernel('Cast', (s, { x }, { dtype }: tf.CastAttrs) => as(s.call('aten::to.dtype', s.id(x), scalarType(dtype)), dtype)),
  // Tensors are immutable to tfjs, so Identity (tfjs saves every tensor a gradient needs through it) shares the data.
  {
    kernelName: 'Identity',
    backendName: LIBTORCH_BACKEND_NAME,
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as In;
      (backend as LibtorchBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  },
  kernel('Select', (s, { condition, t, e }) => {
    let c = s.call('aten::to.dtype', s.id(condition), ST.bool);
    if (condition.shape.length < t.shape.length) c = s.call('aten::reshape', c, [...condition.shape, ...t.shape.slice(condition.shape.length).map(() => 1)]);
    return as(s.call('aten::where.self', c, s.id(t), s.id(e)), dtypeOf(t));
  }),
  kernel('FusedBatchNorm', (s, { x, mean, variance, offset, scale }, { varianceEpsilon }: tf.FusedBatchNormAttrs) => {
    const c = x.shape[x.shape.length - 1];
    const perChannel = (t: tf.TensorInfo | undefined) => t != null && t.shape.length === 1 && t.shape[0] === c;
    if (x.shape.length === 4 && [mean, variance, offset, scale].every(perChannel)) {
      // One channels_last pass (ATen's inference batch norm) instead of four.
      const [y] = s.callList('aten::native_batch_norm', toNCHW(s, s.id(x)), s.id(scale), s.id(offset), s.id(mean), s.id(variance), false, 0.1, varianceEpsilon) as LtTensor[];
      return as(toNHWC(s, y), 'float32');
    }
    let k = s.call('aten::rsqrt', s.call('aten::add.Scalar', s.id(variance), varianceEpsilon));
    if (scale) k = s.call('aten::mul.Tensor', k, s.id(scale));
    let y = s.call('aten::mul.Tensor', s.call('aten::sub.Tensor', s.id(x), s.id(mean)), k);
    if (offset) y = s.call('aten::add.Tensor', y, s.id(offset));
    return as(y, 'float32');
  }),
];

// ---------- reductions ----------

/** Reduction axes; null/undefined means all (as in tfjs). */
function axes(x: tf.TensorInfo, axis: number | number[] | null | undefined): number[] {
  return tf.util.parseAxisParam(axis as number[], x.shape);
}

/** Reduces over each of `dims` in turn (operators that take one dim), highest first so indices stay valid. */
function reduceEach(s: KernelScope, x: tf.TensorInfo, dims: number[], keepDims: boolean, f: (t: LtTensor | number, d: number) => LtTensor): LtTensor {
  let t: LtTensor | number = s.id(x);
  for (const d of [...dims].sort((p, q) => q - p)) t = f(t, d);
  if (typeof t === 'number') t = s.call('aten::alias', t);
  if (keepDims) t = s.call('aten::reshape', t, tf.backend_util.expandShapeToKeepDim(t.shape, dims));
  return t;
}

const reductions: tf.KernelConfig[] = [
  kernel('Sum', (s, { x }, { axis, keepDims }: tf.SumAttrs) => {
    const dims = axes(x, axis);
    const dtype = x.dtype === 'bool' ? 'int32' : x.dtype;
    if (dims.length === 0) return as(s.call('aten::alias', s.id(x)), dtype);
    return as(s.call('aten::sum.dim_IntList', s.id(x), dims, keepDims, scalarType(dtype)), dtype);
  }),
  kernel('Mean', (s, { x }, { axis, keepDims }: tf.MeanAttrs) => {
    const dims = axes(x, axis);
    if (dims.length === 0) return as(s.call('aten::alias', s.id(x)), x.dtype);
    const xf = x.dtype === 'float32' ? s.id(x) : s.call('aten::to.dtype', s.id(x), ST.float32);
    return as(s.call('aten::mean.dim', xf, dims, keepDims), x.dtype === 'bool' ? 'float32' : x.dtype);
  }),
  kernel('Max', (s, { x }, { reductionIndices, keepDims }: tf.MaxAttrs) => {
    const dims = axes(x, reductionIndices);
    return as(dims.length === 0 ? s.call('aten::alias', s.id(x)) : s.call('aten::amax', s.id(x), dims, keepDims), x.dtype);
  }),
  kernel('Min', (s, { x }, { axis, keepDims }: tf.MinAttrs) => {
    const dims = axes(x, axis);
    return as(dims.length === 0 ? s.call('aten::alias', s.id(x)) : s.call('aten::amin', s.id(x), dims, keepDims), x.dtype);
  }),
  kernel('Prod', (s, { x }, { axis, keepDims }: tf.ProdAttrs) => {
    const dtype = x.dtype === 'bool' ? 'int32' : x.dtype;
    return as(reduceEach(s, x, axes(x, axis), keepDims, (t, d) => s.call('aten::prod.dim_int', t, d, false, scalarType(dtype))), dtype);
  }),
  kernel('All', (s, { x }, { axis, keepDims }: tf.AllAttrs) =>
    as(reduceEach(s, x, axes(x, axis), keepDims, (t, d) => s.call('aten::all.dim', t, d, false)), 'bool')),
  kernel('Any', (s, { x }, { axis, keepDims }: tf.AnyAttrs) =>
    as(reduceEach(s, x, axes(x, axis), keepDims, (t, d) => s.call('aten::any.dim', t, d, false)), 'bool')),
  kernel('ArgMax', (s, { x }, { axis }: tf.ArgMaxAttrs) => as(s.call('aten::argmax', s.id(x), axes(x, axis)[0], false), 'int32')),
  kernel('ArgMin', (s, { x }, { axis }: tf.ArgMinAttrs) => as(s.call('aten::argmin', s.id(x), axes(x, axis)[0], false), 'int32')),
  kernel('Cumsum', (s, { x }, { axis, exclusive, reverse }: tf.CumsumAttrs) => {
    const d = axes(x, axis)[0];
    let t: LtTensor | number = s.id(x);
    if (reverse) t = s.call('aten::flip', t, [d]);
    let c = s.call('aten::cumsum', t, d, scalarType(x.dtype));
    if (exclusive) c = s.call('aten::sub.Tensor', c, t);
    if (reverse) c = s.call('aten::flip', c, [d]);
    return as(c, x.dtype);
  }),
  kernel('Softmax', (s, { logits }, { dim }: tf.SoftmaxAttrs) => as(s.call('aten::_softmax', s.id(logits), dim, false), 'float32')),
  kernel('LogSoftmax', (s, { logits }, { axis }: tf.LogSoftmaxAttrs) => as(s.call('aten::_log_softmax', s.id(logits), axis, false), 'float32')),
  kernel('TopK', (s, { x }, { k, sorted }: tf.TopKAttrs) => {
    const [values, indices] = s.callList('aten::topk', s.id(x), k, -1, true, sorted) as LtTensor[];
    return [as(values, x.dtype), as(indices, 'int32')];
  }),
];

// ---------- matmul ----------

function matmul(s: KernelScope, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): LtTensor {
  const at = transposeA ? s.call('aten::transpose.int', s.id(a), -2, -1) : s.id(a);
  const bt = transposeB ? s.call('aten::transpose.int', s.id(b), -2, -1) : s.id(b);
  return s.call('aten::matmul', at, bt);
}

function activate(s: KernelScope, y: LtTensor, activation: string | undefined, prelu?: tf.TensorInfo, leakyAlpha?: number): LtTensor {
  switch (activation ?? 'linear') {
    case 'linear':
      return y;
    case 'relu':
      return s.call('aten::relu', y);
    case 'relu6':
      return s.call('aten::hardtanh', y, 0, 6);
    case 'elu':
      return s.call('aten::elu', y);
    case 'sigmoid':
      return s.call('aten::sigmoid', y);
    case 'leakyrelu':
      return s.call('aten::leaky_relu', y, leakyAlpha ?? 0.2);
    case 'prelu': {
      if (!prelu) throw new Error('libtorch backend: prelu activation without weights');
      return s.call('aten::where.self', s.call('aten::lt.Scalar', y, 0), s.call('aten::mul.Tensor', y, s.id(prelu)), y);
    }
    default:
      throw new Error(`libtorch backend: fused activation ${String(activation)} is not supported`);
  }
}

const matmuls: tf.KernelConfig[] = [
  kernel('BatchMatMul', (s, { a, b }, { transposeA, transposeB }: tf.BatchMatMulAttrs) => as(matmul(s, a, b, transposeA, transposeB), a.dtype)),
  kernel('_FusedMatMul', (s, { a, b, bias, preluActivationWeights }, attrs: tf._FusedMatMulAttrs) => {
    let y = matmul(s, a, b, attrs.transposeA, attrs.transposeB);
    if (bias) y = s.call('aten::add.Tensor', y, s.id(bias));
    return as(activate(s, y, attrs.activation, preluActivationWeights, attrs.leakyreluAlpha), a.dtype);
  }),
];

// ---------- shapes and data movement ----------

const shapes: tf.KernelConfig[] = [
  kernel('Reshape', (s, { x }, { shape }: tf.ReshapeAttrs) => as(s.call('aten::reshape', s.id(x), shape), x.dtype)),
  kernel('Transpose', (s, { x }, { perm }: tf.TransposeAttrs) => as(s.call('aten::permute', s.id(x), perm), x.dtype)),
  kernel('BroadcastTo', (s, { x }, { shape }: tf.BroadCastToAttrs) => as(s.call('aten::expand', s.id(x), shape), x.dtype)),
  kernel('Concat', (s, inputs, { axis }: tf.ConcatAttrs) => {
    const ts = Object.values(inputs);
    const d = tf.util.parseAxisParam(axis, ts[0].shape)[0];
    const nonEmpty = ts.filter((t) => size(t.shape) > 0);
    const use = nonEmpty.length > 0 ? nonEmpty : [ts[0]];
    if (use.length === 1) {
      const outShape = tf.backend_util.computeOutShape(ts.map((t) => t.shape), d);
      return as(s.call('aten::reshape', s.id(use[0]), outShape), ts[0].dtype);
    }
    return as(s.call('aten::cat', use.map((t) => s.id(t)), d), ts[0].dtype);
  }),
  kernel('SplitV', (s, { x }, { numOrSizeSplits, axis }: tf.SplitVAttrs) => {
    const d = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, d);
    return (s.callList('aten::split_with_sizes', s.id(x), sizes, d) as LtTensor[]).map((t) => as(t, x.dtype));
  }),
  kernel('Pack', (s, inputs, { axis }: tf.PackAttrs) => {
    const ts = Object.values(inputs);
    return as(s.call('aten::stack', ts.map((t) => s.id(t)), axis), ts[0].dtype);
  }),
  kernel('Unpack', (s, { value }, { axis }: tf.UnpackAttrs) =>
    (s.callList('aten::unbind.int', s.id(value), tf.util.parseAxisParam(axis, value.shape)[0]) as LtTensor[]).map((t) => as(t, value.dtype))),
  kernel('Slice', (s, { x }, { begin, size: sz }: tf.SliceAttrs) => {
    const [b, n] = tf.slice_util.parseSliceParams(x, begin, sz);
    let t: LtTensor | number = s.id(x);
    for (let d = 0; d < x.shape.length; d++) {
      if (b[d] !== 0 || n[d] !== x.shape[d]) t = s.call('aten::slice.Tensor', t, d, b[d], b[d] + n[d], 1);
    }
    return as(typeof t === 'number' ? s.call('aten::alias', t) : t, x.dtype);
  }),
  kernel('StridedSlice', (s, { x }, a: tf.StridedSliceAttrs) => {
    const info = tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
    let t: LtTensor | number = s.id(x);
    if (!info.isIdentity) {
      for (let d = 0; d < x.shape.length; d++) {
        const b = info.begin[d];
        const st = info.strides[d];
        const n = Math.max(0, Math.ceil((info.end[d] - b) / st));
        if (n === x.shape[d] && b === 0 && st === 1) continue;
        if (st > 0) {
          t = s.call('aten::slice.Tensor', t, d, b, n === 0 ? b : b + st * (n - 1) + 1, st);
        } else {
          const idx = s.call('aten::arange.start_step', b, b + st * n, st, ST.int64, undefined, device(s));
          t = s.call('aten::index_select', t, d, idx);
        }
      }
    }
    return as(s.call('aten::reshape', t, info.finalShape), x.dtype);
  }),
  kernel('Tile', (s, { x }, { reps }: tf.TileAttrs) => as(s.call('aten::repeat', s.id(x), reps), x.dtype)),
  kernel('PadV2', (s, { x }, { paddings, constantValue }: tf.PadV2Attrs) => {
    const flat: number[] = [];
    for (let d = paddings.length - 1; d >= 0; d--) flat.push(paddings[d][0], paddings[d][1]);
    return as(s.call('aten::constant_pad_nd', s.id(x), flat, constantValue), x.dtype);
  }),
  kernel('Reverse', (s, { x }, { dims }: tf.ReverseAttrs) => {
    const d = tf.util.parseAxisParam(dims, x.shape);
    return as(d.length === 0 ? s.call('aten::alias', s.id(x)) : s.call('aten::flip', s.id(x), d), x.dtype);
  }),
  kernel('Fill', (s, _inputs, { shape, value, dtype }: tf.FillAttrs) => {
    if (typeof value === 'string') throw new Error('libtorch backend: string tensors are not supported');
    return as(s.call('aten::full', shape, value, scalarType(dtype), undefined, device(s)), dtype);
  }),
  kernel('ZerosLike', (s, { x }) => as(s.call('aten::zeros_like', s.id(x)), x.dtype)),
  kernel('OnesLike', (s, { x }) => as(s.call('aten::ones_like', s.id(x)), x.dtype)),
  kernel('Range', (s, _inputs, { start, stop, step, dtype }: tf.RangeAttrs) => {
    if (step === 0 || (stop - start) / step <= 0) return as(s.call('aten::empty.memory_format', [0], scalarType(dtype), undefined, device(s)), dtype);
    return as(s.call('aten::arange.start_step', start, stop, step, scalarType(dtype), undefined, device(s)), dtype);
  }),
  kernel('OneHot', (s, { indices }, { depth, onValue, offValue, dtype }: tf.OneHotAttrs) => {
    const classes = s.call('aten::arange', depth, ST.int32, undefined, device(s));
    const idx = s.call('aten::unsqueeze', s.call('aten::to.dtype', s.id(indices), ST.int32), -1);
    let r = s.call('aten::to.dtype', s.call('aten::eq.Tensor', idx, classes), scalarType(dtype));
    if (onValue !== 1 || offValue !== 0) r = s.call('aten::add.Scalar', s.call('aten::mul.Scalar', r, onValue - offValue), offValue);
    return as(r, dtype);
  }),
  kernel('GatherV2', (s, { x, indices }, { axis, batchDims }: tf.GatherV2Attrs) => {
    if (batchDims !== 0) throw new Error('libtorch backend: GatherV2 with batchDims > 0 is not supported');
    const d = tf.util.parseAxisParam(axis, x.shape)[0];
    const idx = s.call('aten::to.dtype', s.call('aten::reshape', s.id(indices), [-1]), ST.int64);
    const g = s.call('aten::index_select', s.id(x), d, idx);
    return as(s.call('aten::reshape', g, [...x.shape.slice(0, d), ...indices.shape, ...x.shape.slice(d + 1)]), x.dtype);
  }),
  kernel('UnsortedSegmentSum', (s, { x, segmentIds }, { numSegments }: tf.UnsortedSegmentSumAttrs) => {
    const rest = x.shape.slice(segmentIds.shape.length);
    const xf = s.call('aten::reshape', s.id(x), [-1, ...rest]);
    const ids = s.call('aten::to.dtype', s.call('aten::reshape', s.id(segmentIds), [-1]), ST.int64);
    const zeros = s.call('aten::zeros', [numSegments, ...rest], scalarType(x.dtype), undefined, device(s));
    return as(s.call('aten::index_add', zeros, 0, ids, xf), x.dtype);
  }),
];

function device(s: KernelScope): string | undefined {
  return s.backend.device === 'cpu' ? undefined : s.backend.device;
}

// ---------- convolutions (NHWC viewed as NCHW, channels_last or contiguous in memory) ----------
//
// tfjs's tensors are NHWC; a convolution hands oneDNN their NCHW-ordered view. Which memory layout that view has
// decides oneDNN's kernel: for channels_last (NHWC in memory, the layout tfjs uploads) libtorch 1.13's oneDNN 2.6 runs its
// NHWC kernels, for contiguous NCHW it reorders to its blocked layout. In a training step of WRN-16-4 (batch 64, 2
// threads), the 3×3 convolutions with 64 to 256 channels took 20–25% less time each in NCHW (forward 56 → 45 ms, filter
// gradient 91 → 69 ms, input gradient 52 → 44 ms at 64 channels, 32×32), while with 16 or 32 channels, and 1×1
// convolutions, channels_last is up to 3× faster (docs/performance.md). So {@link convLayout} picks the layout per
// layer. An NCHW output stays NCHW in memory behind its NHWC shape (a permuted view, strides [C·H·W, W, 1, H·W]); ATen's
// element-wise operators and our batch norm kernels (native/bn_relu.cc) keep that layout, so the following layer
// finds it without a copy. Only where the choice changes (the first wide layer of a stage) is the activation
// transposed, once forward and once backward.

const toNCHW = (s: KernelScope, t: LtTensor | number): LtTensor => s.call('aten::permute', t, [0, 3, 1, 2]);
const toNHWC = (s: KernelScope, t: LtTensor | number): LtTensor => s.call('aten::permute', t, [0, 2, 3, 1]);

/** Least input and output channels of a (not grouped, not 1×1) convolution that runs in contiguous NCHW. */
export const NCHW_MIN_CHANNELS = 64;

/**
 * Memory layout a convolution runs in (see the section comment): `nchw` for plain convolutions of 3×3 or more with at
 * least {@link NCHW_MIN_CHANNELS} input and output channels, `input` (whatever layout its input has, so never a copy)
 * for 1×1 convolutions, which are a matrix product either way, and `channelsLast` for the rest.
 */
export type ConvLayout = 'nchw' | 'channelsLast' | 'input';

/** {@link ConvLayout} of a convolution. */
export function convLayout(info: tf.backend_util.Conv2DInfo, depthwise: boolean): ConvLayout {
  if (depthwise) return 'channelsLast';
  if (info.filterHeight * info.filterWidth === 1) return 'input';
  return Math.min(info.inChannels, info.outChannels) >= NCHW_MIN_CHANNELS ? 'nchw' : 'channelsLast';
}

/** The NCHW-ordered view of NHWC `t` in `layout` (copied only when its memory is in the other layout). */
function convOperand(s: KernelScope, t: LtTensor | number, layout: ConvLayout): LtTensor {
  if (layout === 'input') return toNCHW(s, t);
  return s.call('aten::contiguous', toNCHW(s, t), layout === 'nchw' ? MEMORY_FORMAT.contiguous : MEMORY_FORMAT.channelsLast);
}

function checkNHWC(kernelName: string, dataFormat: string | undefined): void {
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`libtorch backend: ${kernelName} supports NHWC only (got ${dataFormat})`);
  }
}

/** HWIO filter [kh, kw, Cin, Cout] → OIHW weight; depthwise [kh, kw, Cin, m] → [Cin·m, 1, kh, kw]. */
function weightOf(s: KernelScope, filter: LtTensor | number, shape: number[], depthwise: boolean): LtTensor {
  const f = depthwise ? s.call('aten::reshape', filter, [shape[0], shape[1], 1, shape[2] * shape[3]]) : filter;
  return s.call('aten::permute', f, [3, 2, 0, 1]);
}

/** OIHW weight gradient back to the tfjs filter layout. */
function filterOf(s: KernelScope, w: LtTensor, shape: number[], depthwise: boolean): LtTensor {
  const hwio = s.call('aten::permute', w, [2, 3, 1, 0]);
  return depthwise ? s.call('aten::reshape', hwio, shape) : hwio;
}

interface Geometry {
  info: tf.backend_util.Conv2DInfo;
  symmetric: boolean;
  /** constant_pad_nd pads for NHWC (C, W, H from the last dim). */
  nhwcPad: number[];
}

/** Geometry of a forward (optionally depthwise) convolution of NHWC `x` with an HWIO (or HWCM) `filter`. */
function forwardConvInfo(
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  a: Pick<tf.Conv2DAttrs, 'strides' | 'dilations' | 'pad' | 'dimRoundingMode'>,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  const shape4 = (t: tf.TensorInfo) => t.shape as [number, number, number, number];
  return tf.backend_util.computeConv2DInfo(shape4(x), shape4(filter), a.strides, a.dilations, a.pad, a.dimRoundingMode, depthwise);
}

function geometry(info: tf.backend_util.Conv2DInfo): Geometry {
  const p = info.padInfo;
  return { info, symmetric: p.top === p.bottom && p.left === p.right, nhwcPad: [0, 0, p.left, p.right, p.top, p.bottom] };
}

function emptyNHWC(s: KernelScope, shape: number[]): LtTensor {
  return s.call('aten::empty.memory_format', shape, ST.float32, undefined, device(s));
}

function conv(s: KernelScope, x: tf.TensorInfo, filter: tf.TensorInfo, g: Geometry, depthwise: boolean, bias?: tf.TensorInfo): LtTensor {
  const { info } = g;
  let xin: LtTensor | number = s.id(x);
  if (!g.symmetric) xin = s.call('aten::constant_pad_nd', xin, g.nhwcPad, 0);
  const pad = g.symmetric ? [info.padInfo.top, info.padInfo.left] : [0, 0];
  const w = weightOf(s, s.id(filter), filter.shape, depthwise);
  const groups = depthwise ? info.inChannels : 1;
  const b = bias && bias.shape.length === 1 && bias.shape[0] === info.outChannels ? s.id(bias) : null;
  let y = toNHWC(s, s.call('aten::convolution', convOperand(s, xin, convLayout(info, depthwise)), w, b, [info.strideHeight, info.strideWidth], pad,
    [info.dilationHeight, info.dilationWidth], false, [0, 0], groups));
  if (bias && b == null) y = s.call('aten::add.Tensor', y, s.id(bias));
  return y;
}

/** dx of a conv: convolution_backward with an unread input of the (padded) input shape. */
function convBackpropInput(s: KernelScope, dy: tf.TensorInfo, filter: LtTensor | number, filterShape: number[], inputShape: number[], g: Geometry, depthwise: boolean): LtTensor {
  const { info } = g;
  const p = info.padInfo;
  const padded = g.symmetric ? inputShape : [inputShape[0], inputShape[1] + p.top + p.bottom, inputShape[2] + p.left + p.right, inputShape[3]];
  const layout = convLayout(info, depthwise);
  const dyIn = convOperand(s, s.id(dy), layout);
  // An unread input of the (padded) input's shape, in the layout dy has now: the layout dx is computed in.
  const input = s.call('icl::empty_like_layout', dyIn, [padded[0], padded[3], padded[1], padded[2]]);
  const w = weightOf(s, filter, filterShape, depthwise);
  const pad = g.symmetric ? [p.top, p.left] : [0, 0];
  const [dx] = s.callList('aten::convolution_backward', dyIn, input, w, null, [info.strideHeight, info.strideWidth], pad,
    [info.dilationHeight, info.dilationWidth], false, [0, 0], depthwise ? info.inChannels : 1, [true, false, false]) as LtTensor[];
  let r = toNHWC(s, dx);
  if (!g.symmetric) {
    r = s.call('aten::slice.Tensor', r, 1, p.top, p.top + inputShape[1], 1);
    r = s.call('aten::slice.Tensor', r, 2, p.left, p.left + inputShape[2], 1);
  }
  return r;
}

/** dW of a conv: convolution_backward with an unread weight of the filter's shape. */
function convBackpropFilter(s: KernelScope, x: tf.TensorInfo, dy: tf.TensorInfo, filterShape: number[], g: Geometry, depthwise: boolean): LtTensor {
  const { info } = g;
  let xin: LtTensor | number = s.id(x);
  if (!g.symmetric) xin = s.call('aten::constant_pad_nd', xin, g.nhwcPad, 0);
  const w = weightOf(s, s.call('aten::empty.memory_format', filterShape, ST.float32, undefined, device(s)), filterShape, depthwise);
  const pad = g.symmetric ? [info.padInfo.top, info.padInfo.left] : [0, 0];
  // oneDNN's channels_last weight-gradient kernel in libtorch 1.13 writes past its buffer when a layer has fewer than 8
  // input or output channels (heap corruption; PyTorch alone reproduces it with a channels_last 1×1 stride-2 conv of
  // 4 -> 8 channels): such small layers take contiguous NCHW copies, which use another kernel.
  const small = !depthwise && Math.min(info.inChannels, info.outChannels) < 8;
  const layout = small ? 'nchw' : convLayout(info, depthwise);
  const [, dw] = s.callList('aten::convolution_backward', convOperand(s, s.id(dy), layout), convOperand(s, xin, layout), w, null, [info.strideHeight, info.strideWidth], pad,
    [info.dilationHeight, info.dilationWidth], false, [0, 0], depthwise ? info.inChannels : 1, [false, true, false]) as LtTensor[];
  return filterOf(s, dw, filterShape, depthwise);
}

type ConvAttrs = tf.Conv2DAttrs & { activation?: string; leakyreluAlpha?: number };

const convs: tf.KernelConfig[] = [
  kernel('Conv2D', (s, { x, filter }, a: tf.Conv2DAttrs) => {
    checkNHWC('Conv2D', a.dataFormat);
    const info = forwardConvInfo(x, filter, a, false);
    return as(conv(s, x, filter, geometry(info), false), 'float32');
  }),
  kernel('FusedConv2D', (s, { x, filter, bias, preluActivationWeights }, a: ConvAttrs) => {
    checkNHWC('FusedConv2D', a.dataFormat);
    const info = forwardConvInfo(x, filter, a, false);
    return as(activate(s, conv(s, x, filter, geometry(info), false, bias), a.activation, preluActivationWeights, a.leakyreluAlpha), 'float32');
  }),
  kernel('DepthwiseConv2dNative', (s, { x, filter }, a: tf.DepthwiseConv2dNativeAttrs) => {
    checkNHWC('DepthwiseConv2dNative', a.dataFormat);
    const info = forwardConvInfo(x, filter, a, true);
    return as(conv(s, x, filter, geometry(info), true), 'float32');
  }),
  kernel('FusedDepthwiseConv2D', (s, { x, filter, bias, preluActivationWeights }, a: ConvAttrs) => {
    checkNHWC('FusedDepthwiseConv2D', a.dataFormat);
    const info = forwardConvInfo(x, filter, a, true);
    return as(activate(s, conv(s, x, filter, geometry(info), true, bias), a.activation, preluActivationWeights, a.leakyreluAlpha), 'float32');
  }),
  kernel('Conv2DBackpropInput', (s, { dy, filter }, a: tf.Conv2DBackpropInputAttrs) => {
    checkNHWC('Conv2DBackpropInput', a.dataFormat);
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false);
    return as(convBackpropInput(s, dy, s.id(filter), filter.shape, a.inputShape, geometry(info), false), 'float32');
  }),
  kernel('Conv2DBackpropFilter', (s, { x, dy }, a: tf.Conv2DBackpropFilterAttrs) => {
    checkNHWC('Conv2DBackpropFilter', a.dataFormat);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false);
    return as(convBackpropFilter(s, x, dy, a.filterShape, geometry(info), false), 'float32');
  }),
  kernel('DepthwiseConv2dNativeBackpropInput', (s, { dy, filter }, a: tf.DepthwiseConv2dNativeBackpropInputAttrs) => {
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
    return as(convBackpropInput(s, dy, s.id(filter), filter.shape, a.inputShape, geometry(info), true), 'float32');
  }),
  kernel('DepthwiseConv2dNativeBackpropFilter', (s, { x, dy }, a: tf.DepthwiseConv2dNativeBackpropFilterAttrs) => {
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
    return as(convBackpropFilter(s, x, dy, a.filterShape, geometry(info), true), 'float32');
  }),
];

// ---------- pooling ----------

function poolInfo(x: number[], a: { filterSize: [number, number] | number; strides: [number, number] | number; pad: tf.AvgPoolAttrs['pad']; dimRoundingMode?: 'floor' | 'round' | 'ceil' }): Geometry {
  return geometry(tf.backend_util.computePool2DInfo(x as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode));
}

const kernelOf = (g: Geometry) => [g.info.filterHeight, g.info.filterWidth];
const strideOf = (g: Geometry) => [g.info.strideHeight, g.info.strideWidth];
const symPad = (g: Geometry) => (g.symmetric ? [g.info.padInfo.top, g.info.padInfo.left] : [0, 0]);

/** Valid-element counts of each window of an asymmetrically padded average pool, [1, oh, ow, 1]. */
function windowCounts(s: KernelScope, x: tf.TensorInfo, g: Geometry): LtTensor {
  const ones = s.call('aten::ones', [1, x.shape[1], x.shape[2], 1], ST.float32, undefined, device(s));
  const padded = s.call('aten::constant_pad_nd', ones, g.nhwcPad, 0);
  return toNHWC(s, s.call('aten::avg_pool2d', toNCHW(s, padded), kernelOf(g), strideOf(g), [0, 0], false, true, 1));
}

function unpad(s: KernelScope, t: LtTensor, g: Geometry, shape: number[]): LtTensor {
  if (g.symmetric) return t;
  const p = g.info.padInfo;
  return s.call('aten::slice.Tensor', s.call('aten::slice.Tensor', t, 1, p.top, p.top + shape[1], 1), 2, p.left, p.left + shape[2], 1);
}

const pools: tf.KernelConfig[] = [
  kernel('AvgPool', (s, { x }, a: tf.AvgPoolAttrs) => {
    const g = poolInfo(x.shape, a);
    const { info } = g;
    if (info.outHeight === 1 && info.outWidth === 1 && info.filterHeight === x.shape[1] && info.filterWidth === x.shape[2] && info.padInfo.top === 0 && info.padInfo.left === 0) {
      // Global average pool (batch_norm.ts's per-channel means): a plain mean over H and W.
      return as(s.call('aten::mean.dim', s.id(x), [1, 2], true), 'float32');
    }
    if (g.symmetric) {
      return as(toNHWC(s, s.call('aten::avg_pool2d', toNCHW(s, s.id(x)), kernelOf(g), strideOf(g), symPad(g), false, false, null)), 'float32');
    }
    const padded = s.call('aten::constant_pad_nd', s.id(x), g.nhwcPad, 0);
    const sums = toNHWC(s, s.call('aten::avg_pool2d', toNCHW(s, padded), kernelOf(g), strideOf(g), [0, 0], false, true, 1));
    return as(s.call('aten::div.Tensor', sums, windowCounts(s, x, g)), 'float32');
  }),
  kernel('AvgPoolGrad', (s, { dy, input }, a: tf.AvgPoolGradAttrs) => {
    const g = poolInfo(input.shape, a);
    if (g.symmetric) {
      return as(toNHWC(s, s.call('aten::avg_pool2d_backward', toNCHW(s, s.id(dy)), toNCHW(s, s.id(input)), kernelOf(g), strideOf(g), symPad(g), false, false, null)), 'float32');
    }
    const p = g.info.padInfo;
    const padded = emptyNHWC(s, [input.shape[0], input.shape[1] + p.top + p.bottom, input.shape[2] + p.left + p.right, input.shape[3]]);
    const scaled = s.call('aten::div.Tensor', s.id(dy), windowCounts(s, input, g));
    const dx = toNHWC(s, s.call('aten::avg_pool2d_backward', toNCHW(s, scaled), toNCHW(s, padded), kernelOf(g), strideOf(g), [0, 0], false, true, 1));
    return as(unpad(s, dx, g, input.shape), 'float32');
  }),
  kernel('MaxPool', (s, { x }, a: tf.MaxPoolAttrs) => {
    const g = poolInfo(x.shape, a);
    const xin = g.symmetric ? s.id(x) : s.call('aten::constant_pad_nd', s.id(x), g.nhwcPad, -Infinity);
    return as(toNHWC(s, s.call('aten::max_pool2d', toNCHW(s, xin), kernelOf(g), strideOf(g), symPad(g), [1, 1], false)), x.dtype);
  }),
  kernel('MaxPoolGrad', (s, { dy, input }, a: tf.MaxPoolGradAttrs) => {
    const g = poolInfo(input.shape, a);
    const xin = toNCHW(s, g.symmetric ? s.id(input) : s.call('aten::constant_pad_nd', s.id(input), g.nhwcPad, -Infinity));
    const [, indices] = s.callList('aten::max_pool2d_with_indices', xin, kernelOf(g), strideOf(g), symPad(g), [1, 1], false) as LtTensor[];
    const dx = toNHWC(s, s.call('aten::max_pool2d_with_indices_backward', toNCHW(s, s.id(dy)), xin, kernelOf(g), strideOf(g), symPad(g), [1, 1], false, indices));
    return as(unpad(s, dx, g, input.shape), 'float32');
  }),
];

/** This project's fused kernels (runtime/kernels/kernel_names.ts), implemented in fused_kernels.ts. */
const fused: tf.KernelConfig[] = Object.entries(LIBTORCH_FUSED_KERNELS).map(([name, impl]) => kernel(name, impl));

/** Every kernel of the libtorch backend. */
export const LIBTORCH_KERNEL_CONFIGS: readonly tf.KernelConfig[] = [...elementwise, ...reductions, ...matmuls, ...shapes, ...convs, ...pools, ...fused];

/** Registers {@link LIBTORCH_KERNEL_CONFIGS} (idempotent). */
export function registerLibtorchKernels(): void {
  for (const config of LIBTORCH_KERNEL_CONFIGS) {
    if (tf.getKernel(config.kernelName, LIBTORCH_BACKEND_NAME) == null) tf.registerKernel(config);
  }
}

export { MEMORY_FORMAT };
