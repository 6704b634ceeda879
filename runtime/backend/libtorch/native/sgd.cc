// The SGD step (runtime/backend/libtorch/sgd_kernel.ts) in one pass over each parameter, updating parameters and
// momentum buffers in place, as torch.optim.SGD does (dampening 0):
//
//   icl::sgd_step_(Tensor[] params, Tensor[] grads, Tensor?[] buffers, float[] weight_decay, float lr, float momentum,
//                  bool nesterov) -> (Tensor[] params, Tensor?[] buffers)
//
// per element, in torch.optim.SGD's order (torch/optim/sgd.py, _single_tensor_sgd, 1.13), each line one ATen operator:
//   d = g + wd·p                     d_p.add(param, alpha=wd)          (only where wd ≠ 0)
//   buf = buf·momentum + d           buf.mul_(momentum).add_(d_p)      (buf = d where there was none: clone(d_p))
//   d = d + momentum·buf             d_p.add(buf, alpha=momentum)      (Nesterov; else d = buf)
//   p = p − lr·d                     param.add_(d_p, alpha=-lr)
// rounded as ATen rounds them: its add with alpha is a fused multiply-add where its vectorised kernels use FMA (CPU
// capability AVX2 or AVX-512, cpu_features.h), the product and the sum rounded apart otherwise; buf·m
// is rounded before d is added (two operators). So the bits are those of the _foreach_* operators this replaces,
// which read and wrote every parameter-sized tensor five times more (VGG-15: 14.7 M parameters, 123 → about 30 ms a
// step). The update runs over memory in the gradient's layout: a parameter (or buffer) in another layout, as every
// convolution filter is before its first step (tfjs's HWIO, where oneDNN computes OIHW or OHWI), is copied into it
// once, so the following forward passes find their filter in the layout they need, without a transposition each call.
// Returns the parameters (the inputs, updated in place, or those copies) and, per parameter, the new buffer where
// there was none or it was copied (momentum > 0), else None. Parameters on CUDA take those ATen operators themselves,
// in place.
//
//   icl::storage_exclusive(Tensor[] tensors) -> bool[]
//
// whether each tensor is the only one that uses its storage: no view or alias of it is alive (a tfjs tensor that
// shares the same addon handle is seen by the TypeScript side, through the backend's reference count).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include "cpu_features.h"

#include <vector>

namespace {

c10::List<bool> storageExclusive(const std::vector<at::Tensor>& tensors) {
  c10::List<bool> out;
  out.reserve(tensors.size());
  for (const at::Tensor& t : tensors) out.push_back(t.defined() && t.has_storage() && t.storage().use_count() == 1);
  return out;
}

using icl::atenUsesFma;  // cpu_features.h

struct SgdArgs {
  float wd, lr, momentum;
  bool nesterov;
  bool hadBuffer;
};

// a·b + c in one rounding (Fma) or two.
template <bool Fma>
__attribute__((always_inline)) inline float madd(float a, float b, float c) {
  if constexpr (Fma) return __builtin_fmaf(a, b, c);
  return a * b + c;
}

// Elements [begin, end) of one parameter. fp-contract is off so that the compiler fuses no product and sum that ATen
// rounds apart (buf·m, then + d).
template <bool Fma, bool Momentum>
__attribute__((always_inline, optimize("fp-contract=off"))) inline void sgdLoop(float* __restrict p, const float* __restrict g, float* __restrict buf,
                                                                             SgdArgs a, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++) {
    float d = a.wd != 0.f ? madd<Fma>(p[i], a.wd, g[i]) : g[i];
    if constexpr (Momentum) {
      float b;
      if (a.hadBuffer) {
        const float scaled = buf[i] * a.momentum;
        b = scaled + d;
      } else {
        b = d;
      }
      buf[i] = b;
      d = a.nesterov ? madd<Fma>(b, a.momentum, d) : b;
    }
    p[i] = madd<Fma>(d, -a.lr, p[i]);
  }
}

template <bool Momentum>
__attribute__((optimize("fp-contract=off"))) void sgdRows(float* p, const float* g, float* buf, SgdArgs a, int64_t begin, int64_t end) {
  sgdLoop<false, Momentum>(p, g, buf, a, begin, end);
}

#if defined(__x86_64__) || defined(__i386__)
template <bool Momentum>
__attribute__((target("avx2,fma"), optimize("fp-contract=off"))) void sgdRowsFma(float* p, const float* g, float* buf, SgdArgs a, int64_t begin,
                                                                              int64_t end) {
  sgdLoop<true, Momentum>(p, g, buf, a, begin, end);
}
#endif

// Whether t is a dense CPU float32 tensor whose memory holds exactly its numel() values (any order of dimensions),
// so that an element-wise update can run over its memory linearly.
bool denseFloat(const at::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_non_overlapping_and_dense();
}

bool sameLayout(const at::Tensor& a, const at::Tensor& b) { return a.sizes() == b.sizes() && a.strides() == b.strides(); }

// t in the memory layout (strides) of `like`: t itself when it has it, else a copy.
at::Tensor inLayoutOf(const at::Tensor& t, const at::Tensor& like) {
  if (sameLayout(t, like)) return t;
  return at::empty_strided(like.sizes(), like.strides(), like.options()).copy_(t);
}

std::tuple<std::vector<at::Tensor>, c10::List<c10::optional<at::Tensor>>> sgdStep(const std::vector<at::Tensor>& params,
                                                                                 const std::vector<at::Tensor>& grads,
                                                                                 const c10::List<c10::optional<at::Tensor>>& buffers,
                                                                                 c10::ArrayRef<double> weightDecay, double lr, double momentum,
                                                                                 bool nesterov) {
  const size_t n = params.size();
  TORCH_CHECK(grads.size() == n && buffers.size() == n && weightDecay.size() == n, "icl::sgd_step_: ", n, " parameters, ", grads.size(),
              " gradients, ", buffers.size(), " buffers, ", weightDecay.size(), " weight decays");
  const bool fma = atenUsesFma();
  std::vector<at::Tensor> updated;
  c10::List<c10::optional<at::Tensor>> newBuffers;
  for (size_t k = 0; k < n; k++) {
    const at::Tensor& p0 = params[k];
    TORCH_CHECK(grads[k].sizes() == p0.sizes(), "icl::sgd_step_: gradient ", k, " has shape ", grads[k].sizes(), ", parameter ", p0.sizes());
    const c10::optional<at::Tensor> had = buffers.get(k);
    const bool hadBuffer = had.has_value() && had->defined();
    if (!(denseFloat(p0) && grads[k].device().is_cpu() && (!hadBuffer || denseFloat(*had)))) {
      // CUDA (or an unusual layout): torch.optim.SGD's own operators, in place.
      at::Tensor d = weightDecay[k] != 0.0 ? at::add(grads[k], p0, weightDecay[k]) : grads[k];
      at::Tensor buf;
      if (momentum != 0.0) {
        buf = hadBuffer ? *had : d.clone(at::MemoryFormat::Contiguous);
        if (hadBuffer) buf.mul_(momentum).add_(d);
        d = nesterov ? at::add(d, buf, momentum) : buf;
      }
      p0.add_(d, -lr);
      updated.push_back(p0);
      newBuffers.push_back(momentum != 0.0 && !hadBuffer ? c10::optional<at::Tensor>(buf) : c10::nullopt);
      continue;
    }
    // The update runs in the gradient's memory layout (a convolution's filter gradient: the layout oneDNN computed
    // it in, which the next forward wants): a parameter or buffer in another layout is copied into it once, and the
    // copy is returned in its place; from then on they share the layout and the update is in place.
    const at::Tensor g0 = grads[k].to(at::kFloat);
    const at::Tensor& like = denseFloat(g0) ? g0 : p0;
    const at::Tensor p = inLayoutOf(p0, like), g = inLayoutOf(g0, like);
    at::Tensor buf;
    if (momentum != 0.0) buf = hadBuffer ? inLayoutOf(*had, like) : at::empty_strided(like.sizes(), like.strides(), like.options());
    updated.push_back(p);
    newBuffers.push_back(momentum != 0.0 && !(hadBuffer && buf.is_same(*had)) ? c10::optional<at::Tensor>(buf) : c10::nullopt);
    const SgdArgs a{static_cast<float>(weightDecay[k]), static_cast<float>(lr), static_cast<float>(momentum), nesterov, hadBuffer};
    float* pp = p.data_ptr<float>();
    const float* gp = g.data_ptr<float>();
    float* bp = buf.defined() ? buf.data_ptr<float>() : nullptr;
    at::parallel_for(0, p.numel(), 32768, [&](int64_t begin, int64_t end) {
#if defined(__x86_64__) || defined(__i386__)
      if (fma) return momentum != 0.0 ? sgdRowsFma<true>(pp, gp, bp, a, begin, end) : sgdRowsFma<false>(pp, gp, bp, a, begin, end);
#endif
      momentum != 0.0 ? sgdRows<true>(pp, gp, bp, a, begin, end) : sgdRows<false>(pp, gp, bp, a, begin, end);
    });
  }
  return {updated, newBuffers};
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(icl, m) {
  m.def("storage_exclusive(Tensor[] tensors) -> bool[]", storageExclusive);
  m.def("sgd_step_(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)?[] buffers, float[] weight_decay, float lr, float momentum, bool nesterov)"
        " -> (Tensor[], Tensor?[])",
        sgdStep);
}
