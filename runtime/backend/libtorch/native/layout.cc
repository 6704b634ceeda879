// Memory-layout helper of the convolution kernels (runtime/backend/libtorch/kernels.ts), which run each layer in
// contiguous NCHW or in channels_last memory (convLayout):
//
//   icl::empty_like_layout(Tensor like, int[] size) -> Tensor
//
// an uninitialised float tensor of `size` (4-d, NCHW order) in the memory layout that `like` (an NCHW-ordered view)
// has: channels_last when its strides are channels_last, contiguous otherwise. convolution_backward computes the input
// gradient in the layout of the (unread) input it is given, so giving it dy's layout avoids a transposition.
#include <ATen/ATen.h>
#include <torch/library.h>

namespace {

at::Tensor emptyLikeLayout(const at::Tensor& like, at::IntArrayRef size) {
  TORCH_CHECK(size.size() == 4, "icl::empty_like_layout: size must have 4 dims (NCHW), got ", size.size());
  return at::empty(size, like.options().memory_format(like.suggest_memory_format()));
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(icl, m) { m.def("empty_like_layout(Tensor like, int[] size) -> Tensor", emptyLikeLayout); }
