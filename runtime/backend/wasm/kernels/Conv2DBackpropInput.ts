import * as tf from '@tensorflow/tfjs-core';
import { explicitPad, free, run, type Backend } from './util';

/**
 * `Conv2DBackpropInput` for the wasm backend, replacing the stock kernel (a scalar C++ loop, ~10× slower in a
 * training step) with the XNNPACK `Conv2D`: the gradient of a conv2d w.r.t. its input is a stride-1 conv of the
 * zero-inserted dy with the spatially reversed, in/out-swapped filter.
 *
 * Inputs: `dy` [N, oh, ow, Cout] and `filter` [kh, kw, Cin, Cout]; output dx = `inputShape` [N, H, W, Cin] (NHWC).
 * Stride s > 1: dy → Reshape [N, oh, 1, ow, 1, C] → PadV2 (0, s − 1) → Reshape [N, oh·s, ow·s, C] (the trailing
 * zeros are harmless). Filter → Reverse axes [0, 1] → Transpose [0, 1, 3, 2]. Pads (kh − 1 − top,
 * H + kh − 1 − (kh − 1 − top) − oh·s), with negative pads turned into a Slice. Dilation must be 1.
 * Source: /work/shared/notes/wasm-engine.md §2.
 */
function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropInput supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [N, H, W] = attrs.inputShape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const cOut = dy.shape[3];

  // Zero-inserted dy: [N, oh·sh, ow·sw, Cout].
  let dyd: tf.TensorInfo = dy;
  const owned: tf.TensorInfo[] = [];
  if (sh > 1 || sw > 1) {
    const r6 = run('Reshape', backend, { x: dy }, { shape: [N, oh, 1, ow, 1, cOut] });
    const padded = run('PadV2', backend, { x: r6 }, {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ],
      constantValue: 0,
    });
    free(backend, r6);
    dyd = run('Reshape', backend, { x: padded }, { shape: [N, oh * sh, ow * sw, cOut] });
    free(backend, padded);
    owned.push(dyd);
  }
  let top = kh - 1 - info.padInfo.top;
  let left = kw - 1 - info.padInfo.left;
  let bottom = H + kh - 1 - top - oh * sh;
  let right = W + kw - 1 - left - ow * sw;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    const t0 = Math.max(-top, 0);
    const l0 = Math.max(-left, 0);
    const cropped = run('Slice', backend, { x: dyd }, {
      begin: [0, t0, l0, 0],
      size: [N, oh * sh - t0 + Math.min(bottom, 0), ow * sw - l0 + Math.min(right, 0), cOut],
    });
    owned.push(cropped);
    dyd = cropped;
    top = Math.max(top, 0);
    left = Math.max(left, 0);
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  const rev = run('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const wT = run('Transpose', backend, { x: rev }, { perm: [0, 1, 3, 2] }); // [kh, kw, Cout, Cin]
  free(backend, rev);
  const dx = run('Conv2D', backend, { x: dyd, filter: wT }, {
    strides: [1, 1],
    pad: explicitPad(top, bottom, left, right),
    dataFormat: 'NHWC',
    dilations: [1, 1],
  });
  free(backend, wT, ...owned);
  return dx;
}

/** Kernel registration for {@link conv2DBackpropInput}; replaces the stock wasm kernel. */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};
