/**
 * The memory-layout helpers of the libtorch backend's convolutions (native/layout.cc): element-wise Add and Multiply
 * keep NCHW memory where either operand has it, with the bits of ATen's own a + b and a · b, and
 * `icl::empty_like_layout` follows its model's layout. Checked on the addon directly, by strides.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddon } from '../../runtime/backend/libtorch';

const loaded = loadAddon();
const skip = loaded.ok ? false : `libtorch backend unavailable: ${loaded.reason}`;

describe('libtorch memory layouts', { skip }, () => {
  if (!loaded.ok) return;
  const ad = loaded.addon;
  const call = (name: string, overload: string, args: unknown[]) => ad.call(ad.op(name, overload), args) as { id: number; shape: number[] };
  const strides = (id: number) => [0, 1, 2, 3].map((d) => ad.call(ad.op('aten::stride', 'int'), [id, d]) as number);
  const [n, h, w, c] = [2, 3, 5, 4];
  const values = (seed: number) => Float32Array.from({ length: n * h * w * c }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 3);
  // NHWC [n, h, w, c] in NHWC memory, and the same shape in NCHW memory (a permuted view of an NCHW tensor).
  const nhwc = (seed: number) => ad.fromData(values(seed), [n, h, w, c], 6);
  const nchwMemory = (seed: number) => call('aten::permute', '', [ad.fromData(values(seed), [n, c, h, w], 6), [0, 2, 3, 1]]).id;
  const NHWC_STRIDES = [h * w * c, w * c, c, 1];
  const NCHW_STRIDES = [c * h * w, w, 1, h * w];

  for (const [op, aten] of [['icl::add_nchw_first', 'aten::add.Tensor'], ['icl::mul_nchw_first', 'aten::mul.Tensor']] as const) {
    test(`${op}: the result lies in NCHW memory when either operand does, with ATen's bits`, () => {
      const [name, overload] = aten.split('.');
      for (const [a, b, want] of [
        [nhwc(1), nchwMemory(2), NCHW_STRIDES],
        [nchwMemory(1), nhwc(2), NCHW_STRIDES],
        [nhwc(1), nhwc(2), NHWC_STRIDES],
        [nchwMemory(1), nchwMemory(2), NCHW_STRIDES],
      ]) {
        const got = call(op, '', [a, b]);
        const ref = call(name, overload, [a, b]);
        assert.deepEqual(got.shape, [n, h, w, c]);
        assert.deepEqual(strides(got.id), want);
        assert.deepEqual(ad.toData(got.id), ad.toData(ref.id), 'values bit for bit');
      }
      // ATen alone keeps the first operand's layout: without the swap the first case would be NHWC.
      assert.deepEqual(strides(call(name, overload, [nhwc(1), nchwMemory(2)]).id), NHWC_STRIDES);
    });
  }

  test('icl::empty_like_layout follows its model: channels_last or contiguous NCHW', () => {
    const asNchw = (id: number) => call('aten::permute', '', [id, [0, 3, 1, 2]]).id;
    const size = [n, 6, 7, 8];
    assert.deepEqual(strides(call('icl::empty_like_layout', '', [asNchw(nhwc(1)), size]).id), [6 * 7 * 8, 1, 8 * 6, 6]);
    assert.deepEqual(strides(call('icl::empty_like_layout', '', [asNchw(nchwMemory(1)), size]).id), [6 * 7 * 8, 7 * 8, 8, 1]);
  });
});
