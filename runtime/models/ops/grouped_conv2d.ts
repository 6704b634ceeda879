/**
 * Grouped 2-D convolution for NHWC tensors, as PyTorch's `nn.Conv2d(..., groups=G)` (the cardinality of ResNeXt,
 * arXiv 1611.05431). TensorFlow.js 4.22 has no grouped convolution, so it is composed from `conv2d` here.
 *
 * Semantics: x [N, H, W, Cin], weight [kh, kw, Cin/G, Cout] (HWIO with the per-group input width; PyTorch stores
 * [Cout, Cin/G, kh, kw]). Input channels g·Cin/G … (g+1)·Cin/G − 1 feed only output channels
 * g·Cout/G … (g+1)·Cout/G − 1, through weight columns g·Cout/G … (g+1)·Cout/G − 1.
 *
 * Composition: the G groups are taken b at a time (b = `groupsPerCall`, a divisor of G). Each of the G/b calls is one
 * `conv2d` over b adjacent groups with their dense block-diagonal weight [kh, kw, b·Cin/G, b·Cout/G] (the grouped
 * weight broadcast against a b×b identity mask); the G/b outputs are concatenated. b = 1 is "split, one conv per
 * group, concat"; b = G is "one conv with the block-diagonal weight". A call costs b× the FLOPs of its groups but
 * every call has a fixed cost (XNNPACK repacks the weights, Split/Concat copy), so narrow groups are best merged.
 *
 * Measured on tfjs-backend-wasm, 1 thread, forward + gradients w.r.t. x and w, ms (shared 2-core box, load 4–5, so
 * ±30%): ResNeXt-50 32×4d stage 1 [2,56,56,128] G=32: b=1 389, b=4 131, b=8 115, b=32 247; stage 2 (8 ch/group)
 * [2,28,28,256]: b=1 149, b=4 63, b=32 293; stage 4 (32 ch/group) [2,7,7,1024]: b=1 58, b=2 45, b=8 122;
 * ResNeXt-29 8×64d stage 1 [4,32,32,512] G=8: b=1 427, b=2 742, b=4 1190 (b=8 ≈ 12 s at batch 8).
 * Hence {@link chooseGroupsPerCall}: merge groups up to ~32 channels per call.
 *
 * Gradients come from tfjs autodiff through Split, Multiply (mask), Concat and conv2d, so on wasm they run on the
 * composed `Conv2DBackpropInput`/`Conv2DBackpropFilter` (XNNPACK) kernels and never need the
 * `DepthwiseConv2dNative` backprops that wasm lacks. A depthwise formulation (multiplier Cout/G, then a sum over
 * the Cin/G inputs of each group) would need both of them added, and holds a Cin/G-times larger intermediate.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Padding as tf.conv2d accepts it; PyTorch-style symmetric padding p is `[[0,0],[p,p],[p,p],[0,0]]`. */
export type ConvPad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

/** Widest block (channels in or out) that {@link chooseGroupsPerCall} still merges groups into. */
export const MAX_MERGED_WIDTH = 32;

/**
 * Groups per conv call used by default: the largest divisor b of G with b·max(Cin/G, Cout/G) ≤ {@link MAX_MERGED_WIDTH}
 * (at least 1). E.g. 32×4d → 8, 32×8d → 4, 8×16d → 2, 8×64d → 1.
 */
export function chooseGroupsPerCall(groups: number, inPerGroup: number, outPerGroup: number): number {
  const width = Math.max(inPerGroup, outPerGroup);
  let best = 1;
  for (let b = 1; b <= groups; b++) if (groups % b === 0 && b * width <= MAX_MERGED_WIDTH) best = b;
  return best;
}

/**
 * The dense block-diagonal weight of a grouped conv: [kh, kw, G·cg, G·og] with zeros off the diagonal blocks.
 * Differentiable (a broadcast multiply by a constant 0/1 mask), so its gradient is the grouped weight's gradient.
 * @param w [kh, kw, cg, G·og]
 * @param groups G
 */
export function blockDiagonalWeight(w: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [kh, kw, cg, cout] = w.shape;
  if (groups === 1) return w;
  return tf.tidy(() => {
    const mask = tf.reshape(tf.eye(groups), [1, 1, groups, 1, groups, 1]);
    const w6 = tf.reshape(w, [kh, kw, 1, cg, groups, cout / groups]);
    return tf.reshape(tf.mul(w6, mask), [kh, kw, groups * cg, cout]) as tf.Tensor4D;
  });
}

/**
 * Grouped convolution with PyTorch's `groups` semantics (see the file header).
 * @param x [N, H, W, Cin] float32
 * @param w [kh, kw, Cin/G, Cout]; Cin and Cout must be multiples of G
 * @param groups G ≥ 1
 * @param stride same stride on both axes
 * @param pad 'valid', 'same' or explicit NHWC pads
 * @param groupsPerCall groups merged into one conv call (a divisor of G); default {@link chooseGroupsPerCall}
 * @returns [N, oh, ow, Cout]
 * @throws Error when the channel counts do not divide by `groups`, the weight does not fit x, or groupsPerCall
 *   does not divide G
 */
export function groupedConv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  groups: number,
  stride: number,
  pad: ConvPad,
  groupsPerCall?: number,
): tf.Tensor4D {
  const cin = x.shape[3];
  const [, , cg, cout] = w.shape;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`groupedConv2d: groups must be a positive integer, got ${groups}`);
  if (cin % groups !== 0 || cout % groups !== 0) {
    throw new Error(`groupedConv2d: in (${cin}) and out (${cout}) channels must be multiples of groups (${groups})`);
  }
  if (cg * groups !== cin) {
    throw new Error(`groupedConv2d: weight has ${cg} input channels per group, x has ${cin} channels in ${groups} groups`);
  }
  const b = groupsPerCall ?? chooseGroupsPerCall(groups, cg, cout / groups);
  if (!Number.isInteger(b) || b < 1 || groups % b !== 0) {
    throw new Error(`groupedConv2d: groupsPerCall (${b}) must be a positive divisor of groups (${groups})`);
  }
  if (groups === 1) return tf.conv2d(x, w, stride, pad);
  const calls = groups / b;
  return tf.tidy((): tf.Tensor4D => {
    if (calls === 1) return tf.conv2d(x, blockDiagonalWeight(w, b), stride, pad);
    const xs = tf.split(x, calls, 3) as tf.Tensor4D[];
    const ws = tf.split(w, calls, 3) as tf.Tensor4D[];
    return tf.concat(
      xs.map((xi, i) => tf.conv2d(xi, blockDiagonalWeight(ws[i], b), stride, pad)),
      3,
    );
  });
}
