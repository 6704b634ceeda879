// Memory-layout helper of the convolution kernels (runtime/backend/libtorch/kernels.ts), which run each layer in
// contiguous NCHW or in channels_last memory (convLayout):
//
//   icl::empty_like_layout(Tensor like, int[] size) -> Tensor
//
// an uninitialised float tensor of `size` (4-d, NCHW order) in the memory layout that `like` (an NCHW-ordered view)
// has: channels_last when its strides are channels_last, contiguous otherwise. convolution_backward computes the input
// gradient in the layout of the (unread) input it is given, so giving it dy's layout avoids a transposition.
//
//   icl::add_nchw_first(Tensor a, Tensor b) -> Tensor        a + b
//   icl::mul_nchw_first(Tensor a, Tensor b) -> Tensor        a · b
//
// with the operands swapped when only b lies in NCHW memory behind its NHWC shape (nchwPhysical), so the result lies
// in NCHW memory too: ATen's element-wise operators give their result the first operand's layout when the operands'
// layouts differ, and a residual Add of a block's channels_last input and its wide (NCHW) branch would otherwise hand
// the next wide convolution a channels_last tensor to transpose (Shake-Shake: 120 transpositions a step). Addition and
// multiplication commute exactly in IEEE arithmetic, so the bits are those of a + b and a · b.
#include <ATen/ATen.h>
#include <torch/library.h>

namespace icl {

// Whether t ([N, H, W, C], tfjs's NHWC) lies in contiguous NCHW memory (a permuted view), as a wide convolution's output
// does (runtime/backend/libtorch/kernels.ts, convLayout).
bool nchwPhysical(const at::Tensor& t) { return t.dim() == 4 && !t.is_contiguous() && t.permute({0, 3, 1, 2}).is_contiguous(); }

}  // namespace icl

namespace {

at::Tensor addNchwFirst(const at::Tensor& a, const at::Tensor& b) { return icl::nchwPhysical(b) && !icl::nchwPhysical(a) ? at::add(b, a) : at::add(a, b); }

at::Tensor mulNchwFirst(const at::Tensor& a, const at::Tensor& b) { return icl::nchwPhysical(b) && !icl::nchwPhysical(a) ? at::mul(b, a) : at::mul(a, b); }

at::Tensor emptyLikeLayout(const at::Tensor& like, at::IntArrayRef size) {
  TORCH_CHECK(size.size() == 4, "icl::empty_like_layout: size must have 4 dims (NCHW), got ", size.size());
  return at::empty(size, like.options().memory_format(like.suggest_memory_format()));
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(icl, m) {
  m.def("empty_like_layout(Tensor like, int[] size) -> Tensor", emptyLikeLayout);
  m.def("add_nchw_first(Tensor a, Tensor b) -> Tensor", addNchwFirst);
  m.def("mul_nchw_first(Tensor a, Tensor b) -> Tensor", mulNchwFirst);
}
