import * as tf from '@tensorflow/tfjs-core';
import { explicitPad, free, run, type Backend } from './util';

/**
 * `Conv2DBackpropFilter` for the wasm backend, which lacks it in 4.22: the gradient of a conv2d w.r.t. its filter,
 * composed from the wasm (XNNPACK) `Conv2D` by treating the batch as the channel axis.
 *
 * Inputs: `x` [N, H, W, Cin] and `dy` [N, oh, ow, Cout] (NHWC); output dW [kh, kw, Cin, Cout] (HWIO).
 * With xT = x transposed to [Cin, H, W, N] and dyT = dy transposed to [oh, ow, N, Cout] used as the filter,
 * dW[ky, kx, ci, co] = Σ_{n,i,j} x[n, i·s − top + ky, j·s − left + kx, ci] · dy[n, i, j, co]
 * is a stride-1 conv of xT with dyT dilated by the forward strides, padded [top, need − H − top] where
 * need = (oh − 1)·s + kh; a negative bottom/right pad crops xT (the forward never read those rows).
 * Pads come from `backend_util.computeConv2DInfo`, so 'same', 'valid', explicit and numeric pads all work.
 * Dilation must be 1 (as in tfjs-core's conv2d gradient). Source: /work/shared/notes/wasm-engine.md §2.
 */
function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [, H, W] = x.shape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  let bottom = (oh - 1) * sh + kh - H - top;
  let right = (ow - 1) * sw + kw - W - left;

  let xT = run('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }); // [Cin, H, W, N]
  if (bottom < 0 || right < 0) {
    const cropped = run('Slice', backend, { x: xT }, {
      begin: [0, 0, 0, 0],
      size: [xT.shape[0], H + Math.min(bottom, 0), W + Math.min(right, 0), xT.shape[3]],
    });
    free(backend, xT);
    xT = cropped;
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  const dyT = run('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [oh, ow, N, Cout]
  const conv = run('Conv2D', backend, { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: explicitPad(top, bottom, left, right),
    dataFormat: 'NHWC',
    dilations: [sh, sw],
  }); // [Cin, kh, kw, Cout]
  free(backend, xT, dyT);
  const dW = run('Transpose', backend, { x: conv }, { perm: [1, 2, 0, 3] }); // [kh, kw, Cin, Cout]
  free(backend, conv);
  return dW;
}

/** Kernel registration for {@link conv2DBackpropFilter} (the wasm backend has none). */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
