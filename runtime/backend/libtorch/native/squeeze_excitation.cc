// Squeeze-and-excitation (Hu et al., arXiv 1709.01507) as one operator each way, registered with the c10 dispatcher
// beside the batch-norm kernels (runtime/backend/libtorch/fused_kernels.ts calls them):
//
//   icl::se_forward(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2) -> (Tensor y, Tensor scale, Tensor hidden,
//       Tensor squeezed)
//   icl::se_backward(Tensor dy, Tensor x, Tensor w1, Tensor w2, Tensor squeezed, Tensor hidden, Tensor scale)
//       -> (Tensor dx, Tensor dw1, Tensor db1, Tensor dw2, Tensor db2)
//
// x, y, dy: [N, H, W, C] contiguous (tfjs NHWC); w1 [C, R], b1 [R], w2 [R, C], b2 [C] (tfjs's Linear layout, the
// transpose of PyTorch's); squeezed = mean of x over H, W [N, C]; hidden = relu(squeezed·w1 + b1) [N, R];
// scale = sigmoid(hidden·w2 + b2) [N, C]; y = x·scale broadcast over H, W.
//
// Why: composed of tfjs ops, an SE block is about 75 kernels in a training step (mean, two linears, ReLU, sigmoid,
// the broadcast multiply, and their gradients), each on tiny [N, C] tensors where tfjs's dispatch and tape cost more
// than the arithmetic. Here the small parts are a few ATen calls inside C++, and the two passes over the activations
// backward (Σ over H, W of dy·x; dx = dy·scale + d(squeezed)/(H·W)) are loops over the data as it lies.
// Saved for the gradient: x, squeezed, hidden, scale (as PyTorch's autograd saves for the same graph).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <tuple>

namespace {

bool cpuFloat(const at::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == at::kFloat; }

void checkShapes(const at::Tensor& x, const at::Tensor& w1, const at::Tensor& w2) {
  TORCH_CHECK(x.dim() == 4, "icl se: x must be [N, H, W, C], got ", x.dim(), " dims");
  const int64_t c = x.size(3);
  TORCH_CHECK(w1.dim() == 2 && w1.size(0) == c, "icl se: w1 must be [", c, ", R], got ", w1.sizes());
  TORCH_CHECK(w2.dim() == 2 && w2.size(0) == w1.size(1) && w2.size(1) == c, "icl se: w2 must be [", w1.size(1), ", ", c, "], got ", w2.sizes());
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> seForward(const at::Tensor& x_, const at::Tensor& w1, const at::Tensor& b1,
                                                                     const at::Tensor& w2, const at::Tensor& b2) {
  checkShapes(x_, w1, w2);
  const at::Tensor x = x_.contiguous();
  const int64_t n = x.size(0), c = x.size(3);
  at::Tensor squeezed = x.mean({1, 2});
  at::Tensor hidden = at::addmm(b1, squeezed, w1).relu_();
  at::Tensor scale = at::addmm(b2, hidden, w2).sigmoid_();
  at::Tensor y = x * scale.view({n, 1, 1, c});
  return {y, scale, hidden, squeezed};
}

// Σ over H, W of dy·x per sample and channel: [N, C].
at::Tensor sumOverSpace(const at::Tensor& dy, const at::Tensor& x) {
  const int64_t n = x.size(0), hw = x.size(1) * x.size(2), c = x.size(3);
  if (!(cpuFloat(dy) && cpuFloat(x))) return (dy * x).sum({1, 2});
  at::Tensor out = at::empty({n, c}, x.options());
  const float* dyp = dy.data_ptr<float>();
  const float* xp = x.data_ptr<float>();
  float* op = out.data_ptr<float>();
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; s++) {
      float* __restrict acc = op + s * c;
      for (int64_t k = 0; k < c; k++) acc[k] = 0.f;
      for (int64_t p = 0; p < hw; p++) {
        const float* __restrict d = dyp + (s * hw + p) * c;
        const float* __restrict v = xp + (s * hw + p) * c;
        for (int64_t k = 0; k < c; k++) acc[k] += d[k] * v[k];
      }
    }
  });
  return out;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor> seBackward(const at::Tensor& dy_, const at::Tensor& x_, const at::Tensor& w1,
                                                                                  const at::Tensor& w2, const at::Tensor& squeezed,
                                                                                  const at::Tensor& hidden, const at::Tensor& scale) {
  checkShapes(x_, w1, w2);
  const at::Tensor dy = dy_.contiguous(), x = x_.contiguous();
  const int64_t n = x.size(0), hw = x.size(1) * x.size(2), c = x.size(3);
  // Through the sigmoid and fc2.
  at::Tensor dz2 = sumOverSpace(dy, x).mul_(scale * (1 - scale));  // [N, C]
  at::Tensor dw2 = at::mm(hidden.t(), dz2);
  at::Tensor db2 = dz2.sum(0);
  // Through the ReLU and fc1.
  at::Tensor dz1 = at::mm(dz2, w2.t()).mul_(hidden > 0);  // [N, R]
  at::Tensor dw1 = at::mm(squeezed.t(), dz1);
  at::Tensor db1 = dz1.sum(0);
  // The mean over H, W spreads d(squeezed) evenly; the scale multiplies dy.
  at::Tensor dsq = at::mm(dz1, w1.t()).div_(static_cast<double>(hw));  // [N, C]
  at::Tensor dx = at::addcmul(dsq.view({n, 1, 1, c}), dy, scale.view({n, 1, 1, c}));
  return {dx, dw1, db1, dw2, db2};
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(icl, m) {
  m.def("se_forward(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2) -> (Tensor, Tensor, Tensor, Tensor)", seForward);
  m.def("se_backward(Tensor dy, Tensor x, Tensor w1, Tensor w2, Tensor squeezed, Tensor hidden, Tensor scale) -> (Tensor, Tensor, Tensor, Tensor, Tensor)",
        seBackward);
}
