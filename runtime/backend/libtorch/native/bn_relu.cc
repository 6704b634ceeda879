// Fused batch normalisation (arXiv 1502.03167) with the residual Add and the ReLU that follow it: the BN -> ReLU pair
// of every pre-activation block (arXiv 1603.05027), the BN -> Add -> ReLU end of every post-activation block (arXiv
// 1512.03385), PyramidNet's BN -> Add (arXiv 1610.02915) and BN alone, for channels-last float32 activations,
// registered with the c10 dispatcher as `icl::` operators so the TypeScript kernels call them like ATen's
// (runtime/backend/libtorch/fused_kernels.ts):
//
//   icl::bn_train(Tensor x, Tensor gamma, Tensor beta, Tensor? residual, bool relu, float eps)
//       -> (Tensor y, Tensor mean, Tensor invstd, Tensor var)          y = [relu](BN(x) [+ residual])
//   icl::bn_train_backward(Tensor dy, Tensor? y, Tensor x, Tensor gamma, Tensor mean, Tensor invstd, bool relu,
//       bool residual_grad) -> (Tensor dx, Tensor dresidual, Tensor dgamma, Tensor dbeta)
//   icl::bn_eval(Tensor x, Tensor running_mean, Tensor running_var, Tensor gamma, Tensor beta, Tensor? residual,
//       bool relu, float eps) -> Tensor
//   icl::bn_running_stats(Tensor running_mean, Tensor running_var, Tensor mean, Tensor var, float count, float momentum)
//       -> (Tensor, Tensor)
//
// The backward saves (reads) only x, the statistics and, with the ReLU, y (its mask), as PyTorch's BN + in-place ReLU;
// dresidual is the masked dy (written in the first backward pass, then read by the second instead of dy and y) when
// residual_grad and relu, else an empty tensor (without the ReLU the residual's gradient is dy itself).
//
// x, y, dy: [..., C] with C innermost and contiguous (tfjs NHWC); gamma, beta, statistics: [C]. mean and invstd are
// the batch mean and 1/sqrt(biased var + eps), as ATen's native_batch_norm saves them; var is the biased variance.
//
// Why: ATen runs BN, Add and ReLU as separate operators, so the activations are read and written once more forward
// per operator and twice more backward (ReLU, then threshold_backward) than needed; these loops do
// y = max(0, x*a + b + r) in the pass that normalises, and mask dy by y > 0 inside the two backward passes.
//
// Tensors that are not CPU float32 (CUDA) take ATen's own batch norm on the [rows, C] view (ATen's channels-last
// kernels on CUDA: statistics and normalisation in about 3 kernels) with the ReLU applied in place on its output, and
// threshold_backward then native_batch_norm_backward (about 4 kernels) backward; the running statistics are two lerps.
// Only device-generic at:: calls, so this compiles against a CPU-only libtorch too. ICL_BN_RELU_GENERIC=1 sends CPU
// tensors down that path as well (the GPU check's CPU rehearsal runs the kernel tests so).
//
// The forward is PyTorch's CPU batch norm for a contiguous (NCHW) float tensor, the layout the original trains in,
// to the bit (ATen/native/cpu/batch_norm_kernel.cpp, libtorch 1.13; checked against torch.native_batch_norm):
//   mean = float(Σx / M) with Σ in double; var_sum = float(Σ double(float(x − mean)²)); var = var_sum / M in float;
//   invstd = float(1 / sqrt(double(var) + eps)); α = γ·invstd; β' = fma(−mean, α, β); y = fma(x, α, β') where
//   ATen's vectorised kernels use FMA (CPU capability AVX2/AVX-512), x·α + β' otherwise (capability DEFAULT).
// Why to the bit: the ReLU mask y > 0 decides whether an element's whole dy reaches Σdy (dβ). y = x·α + β' cancels
// when |mean·α| ≫ |y|, so two formulas or two roundings of the statistics disagree about the sign of elements with
// y within a few ulp(mean·α) of 0; each such element moves dβ (and, through dx, everything upstream) by its dy.
// With the statistics accumulated otherwise (in float blocks of 64 rows) one step of ResNet-preact-8 differed from
// PyTorch's by up to 100× the float noise (issue 20, docs/libtorch.md).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include "cpu_features.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

namespace icl {
bool nchwPhysical(const at::Tensor& t);  // layout.cc
}  // namespace icl

namespace {

constexpr int64_t kGrain = 512;  // rows per parallel task

bool forceGeneric() {
  static const bool force = [] {
    const char* v = std::getenv("ICL_BN_RELU_GENERIC");
    return v != nullptr && std::string(v) == "1";
  }();
  return force;
}

bool fastPath(const at::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == at::kFloat && !forceGeneric(); }

int64_t channelsOf(const at::Tensor& x, const at::Tensor& gamma) {
  TORCH_CHECK(x.dim() >= 2, "icl bn_relu: x must have a channel dimension, got ", x.dim(), " dims");
  const int64_t c = x.size(-1);
  TORCH_CHECK(gamma.numel() == c, "icl bn_relu: gamma has ", gamma.numel(), " values for ", c, " channels");
  return c;
}

// Per-channel sums of x (Square false) or of the float square float((x − mean)²) (Square) over rows [begin, end) of
// channels-last x, added into the double accumulators a[C], row by row: each channel receives its rows in order, as
// ATen's CPU batch norm sums in double; vectorised across channels, which does not reorder any channel's sum, so the
// AVX2 build (4 double lanes; without FMA, so no product is fused into a sum) gives the same bits as the baseline one.
template <bool Square>
__attribute__((always_inline)) inline void statRowsLoop(const float* xp, const float* mean, int64_t c, int64_t begin, int64_t end,
                                                        double* __restrict a) {
  const float* __restrict mf = mean;
  for (int64_t m = begin; m < end; m++) {
    const float* __restrict xr = xp + m * c;
    for (int64_t k = 0; k < c; k++) {
      if constexpr (Square) {
        const float d = xr[k] - mf[k];
        a[k] += d * d;  // the float square, summed in double
      } else {
        a[k] += xr[k];
      }
    }
  }
}

template <bool Square>
void statRows(const float* xp, const float* mean, int64_t c, int64_t begin, int64_t end, double* a) {
  statRowsLoop<Square>(xp, mean, c, begin, end, a);
}

#if defined(__x86_64__) || defined(__i386__)
template <bool Square>
__attribute__((target("avx2"))) void statRowsAvx2(const float* xp, const float* mean, int64_t c, int64_t begin, int64_t end, double* a) {
  statRowsLoop<Square>(xp, mean, c, begin, end, a);
}
#endif

using icl::atenUsesFma;  // cpu_features.h
using icl::cpuHasAvx2;

// Σx (Square false, mean unused) or Σ float((x − mean)²) per channel of channels-last x ([rows, C]), in double: each
// thread sums its rows (statRows), then the threads' sums are added.
template <bool Square>
std::vector<double> channelStats(const float* xp, const float* mean, int64_t rows, int64_t c) {
  const int nt = at::get_num_threads();
  const bool avx2 = cpuHasAvx2();
  std::vector<double> part(static_cast<size_t>(nt) * c, 0.0);
  at::parallel_for(0, rows, kGrain, [&](int64_t begin, int64_t end) {
    double* a = part.data() + static_cast<size_t>(at::get_thread_num()) * c;
#if defined(__x86_64__) || defined(__i386__)
    if (avx2) return statRowsAvx2<Square>(xp, mean, c, begin, end, a);
#endif
    statRows<Square>(xp, mean, c, begin, end, a);
  });
  std::vector<double> sums(c, 0.0);
  for (int t = 0; t < nt; t++) {
    for (int64_t k = 0; k < c; k++) sums[k] += part[static_cast<size_t>(t) * c + k];
  }
  return sums;
}

// y[m, k] = x[m, k]·a[k] + b[k] (+ r[m, k] when Res; Relu: max(0, ·)) over rows [first, last), the scale-shift in one
// rounding (Fma) or two, then the residual added in its own rounding (as BN's output, then the Add); inlined into the
// two entry points below so that each is vectorised for its own target.
template <bool Relu, bool Res, bool Fma>
__attribute__((always_inline)) inline void scaleShiftLoop(const float* xp, const float* ap, const float* bp, const float* rp, float* yp, int64_t first,
                                                          int64_t last, int64_t c) {
  for (int64_t m = first; m < last; m++) {
    const float* __restrict xr = xp + m * c;
    const float* __restrict rr = Res ? rp + m * c : nullptr;
    float* __restrict yr = yp + m * c;
    const float* __restrict a = ap;
    const float* __restrict b = bp;
    for (int64_t k = 0; k < c; k++) {
      float v;
      if constexpr (Fma) {
        v = __builtin_fmaf(xr[k], a[k], b[k]);
      } else {
        v = xr[k] * a[k] + b[k];
      }
      if constexpr (Res) v = v + rr[k];
      yr[k] = Relu ? std::max(0.f, v) : v;
    }
  }
}

template <bool Relu, bool Res>
void scaleShiftRows(const float* xp, const float* ap, const float* bp, const float* rp, float* yp, int64_t first, int64_t last, int64_t c) {
  scaleShiftLoop<Relu, Res, false>(xp, ap, bp, rp, yp, first, last, c);
}

#if defined(__x86_64__) || defined(__i386__)
template <bool Relu, bool Res>
__attribute__((target("avx2,fma"))) void scaleShiftRowsFma(const float* xp, const float* ap, const float* bp, const float* rp, float* yp, int64_t first,
                                                            int64_t last, int64_t c) {
  scaleShiftLoop<Relu, Res, true>(xp, ap, bp, rp, yp, first, last, c);
}
#endif

// y[m, k] = [max(0,] x[m, k]·a[k] + b[k] [+ r[m, k]]) over rows [0, rows), in parallel, rounded as ATen's vectorised
// kernels round x·α + β' (see atenUsesFma); rp is null without a residual.
template <bool Relu, bool Res>
void scaleShiftAs(const float* xp, const float* ap, const float* bp, const float* rp, float* yp, int64_t rows, int64_t c) {
  const bool fma = atenUsesFma();
  at::parallel_for(0, rows, kGrain, [&](int64_t begin, int64_t end) {
#if defined(__x86_64__) || defined(__i386__)
    if (fma) return scaleShiftRowsFma<Relu, Res>(xp, ap, bp, rp, yp, begin, end, c);
#endif
    scaleShiftRows<Relu, Res>(xp, ap, bp, rp, yp, begin, end, c);
  });
}

void scaleShift(bool relu, const float* xp, const float* ap, const float* bp, const float* rp, float* yp, int64_t rows, int64_t c) {
  if (relu) {
    if (rp != nullptr) return scaleShiftAs<true, true>(xp, ap, bp, rp, yp, rows, c);
    return scaleShiftAs<true, false>(xp, ap, bp, rp, yp, rows, c);
  }
  if (rp != nullptr) return scaleShiftAs<false, true>(xp, ap, bp, rp, yp, rows, c);
  scaleShiftAs<false, false>(xp, ap, bp, rp, yp, rows, c);
}

// α = γ·invstd and β' = β − mean·α in one rounding, as ATen's batch_norm_cpu_collect_linear_and_constant_terms.
void linearTerms(const float* g, const float* be, const float* mean, const float* invstd, int64_t c, std::vector<float>& a, std::vector<float>& b) {
  a.resize(c);
  b.resize(c);
  for (int64_t k = 0; k < c; k++) {
    a[k] = invstd[k] * g[k];
    b[k] = atenUsesFma() ? std::fmaf(-mean[k], a[k], be[k]) : be[k] - mean[k] * a[k];
  }
}

// The residual as a contiguous tensor of x's shape, or an undefined tensor without one.
at::Tensor residualOf(const c10::optional<at::Tensor>& residual, const at::Tensor& x) {
  if (!residual.has_value() || !residual->defined()) return {};
  TORCH_CHECK(residual->sizes() == x.sizes(), "icl bn: the residual has shape ", residual->sizes(), ", x ", x.sizes());
  return residual->contiguous();
}

// Whether x ([N, H, W, C], tfjs's NHWC) lies in contiguous NCHW memory: the output of a wide convolution, which runs in
// NCHW (runtime/backend/libtorch/kernels.ts, convLayout). Such tensors take the same arithmetic in loops over NCHW
// planes (bnTrainNchw, bnTrainBackwardNchw, bnEval) and their results stay in NCHW memory behind the NHWC shape, so the
// next convolution needs no transposition.
using icl::nchwPhysical;  // layout.cc

at::Tensor nchwView(const at::Tensor& t) { return t.permute({0, 3, 1, 2}); }
at::Tensor nhwcView(const at::Tensor& t) { return t.permute({0, 2, 3, 1}); }

// Per-plane sums for the statistics of x in NCHW memory, in 8 double lanes (vectorised: float → double, add), as ATen's
// contiguous CPU kernel sums each channel in double (batch_norm_kernel.cpp, batch_norm_cpu_collect_stats_contiguous_impl):
// Σx, then Σ float((x − mean)²). The tail (hw mod 8 values) is summed out of line, as in planeSums.
constexpr int kStatLanes = 8;

template <bool Square>
__attribute__((noinline)) double planeTailStat(const float* xr, float mean, int64_t j, int64_t hw) {
  double t = 0.0;
  for (; j < hw; j++) {
    const float d = Square ? xr[j] - mean : xr[j];
    t += Square ? static_cast<double>(d * d) : static_cast<double>(d);
  }
  return t;
}

template <bool Square>
__attribute__((always_inline)) inline double planeStat(const float* __restrict xr, float mean, int64_t hw) {
  double a[kStatLanes] = {};
  int64_t j = 0;
  for (; j + kStatLanes <= hw; j += kStatLanes) {
#pragma GCC unroll 1  // as in planeSums: unrolled first, the lanes were not vectorised
    for (int l = 0; l < kStatLanes; l++) {
      const float d = Square ? xr[j + l] - mean : xr[j + l];
      a[l] += Square ? static_cast<double>(d * d) : static_cast<double>(d);
    }
  }
  double t = 0.0;
  for (int l = 0; l < kStatLanes; l++) t += a[l];
  return j < hw ? t + planeTailStat<Square>(xr, mean, j, hw) : t;
}

// Mean, biased variance and invstd of channels [kBegin, kEnd) of x (n planes of hw per channel), rounded as bnTrain's.
__attribute__((always_inline)) inline void nchwStatsLoop(const float* xp, int64_t n, int64_t c, int64_t hw, double eps, float* mean, float* var,
                                                         float* invstd, int64_t kBegin, int64_t kEnd) {
  const auto count = static_cast<double>(n * hw);
  for (int64_t k = kBegin; k < kEnd; k++) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += planeStat<false>(xp + (i * c + k) * hw, 0.f, hw);
    const auto m = static_cast<float>(sum / count);
    double sq = 0.0;
    for (int64_t i = 0; i < n; i++) sq += planeStat<true>(xp + (i * c + k) * hw, m, hw);
    const float v = static_cast<float>(sq) / static_cast<float>(count);  // float var_sum / M, in float
    mean[k] = m;
    var[k] = v;
    invstd[k] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v) + eps));
  }
}

void nchwStatsRows(const float* xp, int64_t n, int64_t c, int64_t hw, double eps, float* mean, float* var, float* invstd, int64_t kBegin,
                   int64_t kEnd) {
  nchwStatsLoop(xp, n, c, hw, eps, mean, var, invstd, kBegin, kEnd);
}

// y = [relu](x·α + β' [+ r]) over planes [pBegin, pEnd) (plane p has channel p mod c), rounded as scaleShiftLoop.
template <bool Relu, bool Res, bool Fma>
__attribute__((always_inline)) inline void nchwScaleShiftLoop(const float* xp, const float* ap, const float* bp, const float* rp, float* yp,
                                                              int64_t c, int64_t hw, int64_t pBegin, int64_t pEnd) {
  for (int64_t p = pBegin; p < pEnd; p++) {
    const float al = ap[p % c], be = bp[p % c];
    const float* __restrict xr = xp + p * hw;
    const float* __restrict rr = Res ? rp + p * hw : nullptr;
    float* __restrict yr = yp + p * hw;
    for (int64_t j = 0; j < hw; j++) {
      float v;
      if constexpr (Fma) {
        v = __builtin_fmaf(xr[j], al, be);
      } else {
        v = xr[j] * al + be;
      }
      if constexpr (Res) v = v + rr[j];
      yr[j] = Relu ? std::max(0.f, v) : v;
    }
  }
}

template <bool Relu, bool Res>
void nchwScaleShiftRows(const float* xp, const float* ap, const float* bp, const float* rp, float* yp, int64_t c, int64_t hw, int64_t pBegin,
                        int64_t pEnd) {
  nchwScaleShiftLoop<Relu, Res, false>(xp, ap, bp, rp, yp, c, hw, pBegin, pEnd);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) void nchwStatsRowsAvx2(const float* xp, int64_t n, int64_t c, int64_t hw, double eps, float* mean, float* var,
                                                            float* invstd, int64_t kBegin, int64_t kEnd) {
  nchwStatsLoop(xp, n, c, hw, eps, mean, var, invstd, kBegin, kEnd);
}

template <bool Relu, bool Res>
__attribute__((target("avx2,fma"))) void nchwScaleShiftRowsFma(const float* xp, const float* ap, const float* bp, const float* rp, float* yp,
                                                                int64_t c, int64_t hw, int64_t pBegin, int64_t pEnd) {
  nchwScaleShiftLoop<Relu, Res, true>(xp, ap, bp, rp, yp, c, hw, pBegin, pEnd);
}
#endif

template <bool Relu, bool Res>
void nchwScaleShiftAs(const float* xp, const float* ap, const float* bp, const float* rp, float* yp, int64_t n, int64_t c, int64_t hw) {
  const bool fma = atenUsesFma();
  at::parallel_for(0, n * c, std::max<int64_t>(1, kGrain * 16 / std::max<int64_t>(hw, 1)), [&](int64_t pBegin, int64_t pEnd) {
#if defined(__x86_64__) || defined(__i386__)
    if (fma) return nchwScaleShiftRowsFma<Relu, Res>(xp, ap, bp, rp, yp, c, hw, pBegin, pEnd);
#endif
    nchwScaleShiftRows<Relu, Res>(xp, ap, bp, rp, yp, c, hw, pBegin, pEnd);
  });
}

void nchwScaleShift(bool relu, const float* xp, const float* ap, const float* bp, const float* rp, float* yp, int64_t n, int64_t c, int64_t hw) {
  if (relu) {
    if (rp != nullptr) return nchwScaleShiftAs<true, true>(xp, ap, bp, rp, yp, n, c, hw);
    return nchwScaleShiftAs<true, false>(xp, ap, bp, rp, yp, n, c, hw);
  }
  if (rp != nullptr) return nchwScaleShiftAs<false, true>(xp, ap, bp, rp, yp, n, c, hw);
  nchwScaleShiftAs<false, false>(xp, ap, bp, rp, yp, n, c, hw);
}

// The residual's NCHW view in contiguous NCHW memory (a copy only when it lies otherwise), or undefined without one.
at::Tensor nchwResidual(const c10::optional<at::Tensor>& residual, const at::Tensor& x) {
  if (!residual.has_value() || !residual->defined()) return {};
  TORCH_CHECK(residual->sizes() == x.sizes(), "icl bn: the residual has shape ", residual->sizes(), ", x ", x.sizes());
  return nchwView(*residual).contiguous();
}

// bnTrain for x in NCHW memory (see nchwPhysical): the same statistics and rounding as the NHWC loops, channel by
// channel over the planes, and y in NCHW memory behind its NHWC shape. Not CPU float32 (CUDA): ATen's batch norm on
// the NCHW view, var = 1/invstd² − eps in double, as the generic path.
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> bnTrainNchw(const at::Tensor& x_, const at::Tensor& gamma, const at::Tensor& beta,
                                                                       const c10::optional<at::Tensor>& residual_, bool relu, double eps) {
  const at::Tensor residual = nchwResidual(residual_, x_);
  const at::Tensor x = nchwView(x_);
  if (!(fastPath(x) && (!residual.defined() || fastPath(residual)))) {
    auto [y, mean, invstd] = at::native_batch_norm(x, gamma, beta, {}, {}, /*training=*/true, 0.0, eps);
    if (residual.defined()) y.add_(residual);
    if (relu) y.relu_();
    auto var = invstd.to(at::kDouble).pow(-2).sub_(eps).to(invstd.scalar_type());
    return {nhwcView(y), mean, invstd, var};
  }
  const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
  TORCH_CHECK(n * hw > 0, "icl bn: empty batch");
  auto opts = x.options();
  at::Tensor mean = at::empty({c}, opts), invstd = at::empty({c}, opts), var = at::empty({c}, opts);
  const float* xp = x.data_ptr<float>();
  float *mp = mean.data_ptr<float>(), *vp = var.data_ptr<float>(), *ip = invstd.data_ptr<float>();
  const bool avx2 = cpuHasAvx2();
  at::parallel_for(0, c, 1, [&](int64_t kBegin, int64_t kEnd) {
#if defined(__x86_64__) || defined(__i386__)
    if (avx2) return nchwStatsRowsAvx2(xp, n, c, hw, eps, mp, vp, ip, kBegin, kEnd);
#endif
    nchwStatsRows(xp, n, c, hw, eps, mp, vp, ip, kBegin, kEnd);
  });
  std::vector<float> a, b;
  const at::Tensor gammaC = gamma.contiguous(), betaC = beta.contiguous();
  linearTerms(gammaC.data_ptr<float>(), betaC.data_ptr<float>(), mp, ip, c, a, b);
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  nchwScaleShift(relu, xp, a.data(), b.data(), residual.defined() ? residual.data_ptr<float>() : nullptr, y.data_ptr<float>(), n, c, hw);
  return {nhwcView(y), mean, invstd, var};
}

// y = [relu](BN(x) [+ residual]) with batch statistics; returns y, mean, invstd, biased var.
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> bnTrain(const at::Tensor& x_, const at::Tensor& gamma, const at::Tensor& beta,
                                                                   const c10::optional<at::Tensor>& residual_, bool relu, double eps) {
  const int64_t c = channelsOf(x_, gamma);
  if (nchwPhysical(x_)) return bnTrainNchw(x_, gamma, beta, residual_, relu, eps);
  const at::Tensor residual = residualOf(residual_, x_);
  if (!(fastPath(x_) && (!residual.defined() || fastPath(residual)))) {
    // [rows, C] with C innermost: ATen's channels-last batch norm kernels (CUDA) take it as is.
    auto [y, mean, invstd] = at::native_batch_norm(x_.contiguous().view({-1, c}), gamma, beta, {}, {}, /*training=*/true, 0.0, eps);
    if (residual.defined()) y.add_(residual.view({-1, c}));
    if (relu) y.relu_();
    auto var = invstd.pow(-2).sub_(eps);
    return {y.view(x_.sizes()), mean, invstd, var};
  }
  const at::Tensor x = x_.contiguous();
  const int64_t rows = x.numel() / c;
  TORCH_CHECK(rows > 0, "icl bn: empty batch");
  const float* xp = x.data_ptr<float>();
  const std::vector<double> s1 = channelStats<false>(xp, nullptr, rows, c);
  auto opts = x.options();
  at::Tensor mean = at::empty({c}, opts), invstd = at::empty({c}, opts), var = at::empty({c}, opts);
  float* mf = mean.data_ptr<float>();
  for (int64_t k = 0; k < c; k++) mf[k] = static_cast<float>(s1[k] / rows);
  const std::vector<double> s2 = channelStats<true>(xp, mf, rows, c);
  const float* inv = invstd.data_ptr<float>();
  for (int64_t k = 0; k < c; k++) {
    const float v = static_cast<float>(s2[k]) / static_cast<float>(rows);  // float var_sum / M, in float
    var.data_ptr<float>()[k] = v;
    invstd.data_ptr<float>()[k] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v) + eps));
  }
  std::vector<float> a, b;
  const at::Tensor gammaC = gamma.contiguous(), betaC = beta.contiguous();
  linearTerms(gammaC.data_ptr<float>(), betaC.data_ptr<float>(), mf, inv, c, a, b);
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  scaleShift(relu, xp, a.data(), b.data(), residual.defined() ? residual.data_ptr<float>() : nullptr, y.data_ptr<float>(), rows, c);
  return {y, mean, invstd, var};
}

// Rows per float partial sum in the backward pass: its per-channel sums are taken in float over blocks of this many
// rows (vectorised, 8 lanes with AVX2) and the block sums added in double, so the float error is that of a 32-term sum
// whatever the batch. PyTorch's CPU backward sums in float over whole planes (batch_norm_kernel.cpp); the backward is
// not PyTorch's to the bit either way (its order of summation differs), only the forward must be. Blocks start at
// multiples of kBlockRows from row 0, so the sums do not depend on how the rows are split among threads.
constexpr int64_t kBlockRows = 32;


// Pass 1 of the backward over rows [first, last) (first a multiple of kBlockRows): g = dy masked by y > 0 (Relu) or
// dy, written to gp (WriteG), its per-channel sums Σg and Σg·(x − μ) added into a and b (double) block by block; fa, fb:
// float scratch of c values.
template <bool Relu, bool WriteG>
__attribute__((always_inline)) inline void gradSumLoop(const float* dyp, const float* yp, const float* xp, const float* mu, float* gp, int64_t first,
                                                       int64_t last, int64_t c, float* __restrict fa, float* __restrict fb, double* __restrict a,
                                                       double* __restrict b) {
  const float* __restrict mr = mu;
  for (int64_t blk = first; blk < last; blk += kBlockRows) {
    const int64_t blkEnd = std::min(last, blk + kBlockRows);
    for (int64_t k = 0; k < c; k++) fa[k] = fb[k] = 0.f;
    for (int64_t m = blk; m < blkEnd; m++) {
      const int64_t o = m * c;
      const float* __restrict dyr = dyp + o;
      const float* __restrict yr = Relu ? yp + o : nullptr;
      const float* __restrict xr = xp + o;
      float* __restrict gr = WriteG ? gp + o : nullptr;
      for (int64_t k = 0; k < c; k++) {
        const float d = dyr[k];  // loaded unconditionally, so the mask is a vector select, not a branch
        const float g = Relu ? (yr[k] > 0.f ? d : 0.f) : d;
        if constexpr (WriteG) gr[k] = g;
        fa[k] += g;
        fb[k] += g * (xr[k] - mr[k]);
      }
    }
    for (int64_t k = 0; k < c; k++) {
      a[k] += fa[k];
      b[k] += fb[k];
    }
  }
}

template <bool Relu, bool WriteG>
void gradSumRows(const float* dyp, const float* yp, const float* xp, const float* mu, float* gp, int64_t first, int64_t last, int64_t c, float* fa,
                 float* fb, double* a, double* b) {
  gradSumLoop<Relu, WriteG>(dyp, yp, xp, mu, gp, first, last, c, fa, fb, a, b);
}

// Pass 2 over rows [first, last): dx = (g − mean(g) − (x − μ)·k1)·γ·invstd, g read from gp (ReadG, already masked) or
// recomputed from dy (and y when Relu).
template <bool Relu, bool ReadG>
__attribute__((always_inline)) inline void gradDxLoop(const float* dyp, const float* yp, const float* gp, const float* xp, const float* mu,
                                                      const float* mg, const float* kk, const float* sc, float* dxp, int64_t first, int64_t last,
                                                      int64_t c) {
  for (int64_t m = first; m < last; m++) {
    const int64_t o = m * c;
    const float* __restrict dyr = ReadG ? gp + o : dyp + o;
    const float* __restrict yr = (Relu && !ReadG) ? yp + o : nullptr;
    const float* __restrict xr = xp + o;
    float* __restrict dxr = dxp + o;
    for (int64_t k = 0; k < c; k++) {
      const float d = dyr[k];
      const float g = (Relu && !ReadG) ? (yr[k] > 0.f ? d : 0.f) : d;
      dxr[k] = (g - mg[k] - (xr[k] - mu[k]) * kk[k]) * sc[k];
    }
  }
}

template <bool Relu, bool ReadG>
void gradDxRows(const float* dyp, const float* yp, const float* gp, const float* xp, const float* mu, const float* mg, const float* kk,
                const float* sc, float* dxp, int64_t first, int64_t last, int64_t c) {
  gradDxLoop<Relu, ReadG>(dyp, yp, gp, xp, mu, mg, kk, sc, dxp, first, last, c);
}

#if defined(__x86_64__) || defined(__i386__)
template <bool Relu, bool WriteG>
__attribute__((target("avx2,fma"))) void gradSumRowsAvx2(const float* dyp, const float* yp, const float* xp, const float* mu, float* gp, int64_t first,
                                                          int64_t last, int64_t c, float* fa, float* fb, double* a, double* b) {
  gradSumLoop<Relu, WriteG>(dyp, yp, xp, mu, gp, first, last, c, fa, fb, a, b);
}

template <bool Relu, bool ReadG>
__attribute__((target("avx2,fma"))) void gradDxRowsAvx2(const float* dyp, const float* yp, const float* gp, const float* xp, const float* mu,
                                                         const float* mg, const float* kk, const float* sc, float* dxp, int64_t first, int64_t last,
                                                         int64_t c) {
  gradDxLoop<Relu, ReadG>(dyp, yp, gp, xp, mu, mg, kk, sc, dxp, first, last, c);
}
#endif

// The two backward passes for one choice of (Relu, WriteG): sums into sumG/sumGx, then (after `coefficients` has
// turned them into mg, kk, sc) dx. Pass 1 runs in parallel over blocks of kBlockRows rows, each thread adding its
// blocks' float sums into its own double accumulators.
template <bool Relu, bool WriteG, typename Coefficients>
void backwardPasses(const float* dyp, const float* yp, const float* xp, const float* mu, float* gp, float* dxp, int64_t rows, int64_t c,
                    Coefficients coefficients) {
  const bool avx2 = cpuHasAvx2();
  const int nt = at::get_num_threads();
  std::vector<double> part(2 * static_cast<size_t>(nt) * c, 0.0);
  const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  at::parallel_for(0, blocks, std::max<int64_t>(1, kGrain / kBlockRows), [&](int64_t begin, int64_t end) {
    double* a = part.data() + 2 * static_cast<size_t>(at::get_thread_num()) * c;
    std::vector<float> scratch(2 * c);
    const int64_t first = begin * kBlockRows, last = std::min(rows, end * kBlockRows);
#if defined(__x86_64__) || defined(__i386__)
    if (avx2) return gradSumRowsAvx2<Relu, WriteG>(dyp, yp, xp, mu, gp, first, last, c, scratch.data(), scratch.data() + c, a, a + c);
#endif
    gradSumRows<Relu, WriteG>(dyp, yp, xp, mu, gp, first, last, c, scratch.data(), scratch.data() + c, a, a + c);
  });
  std::vector<double> sumG(c, 0.0), sumGx(c, 0.0);
  for (int t = 0; t < nt; t++) {
    const double* p = part.data() + 2 * static_cast<size_t>(t) * c;
    for (int64_t k = 0; k < c; k++) {
      sumG[k] += p[k];
      sumGx[k] += p[c + k];
    }
  }
  std::vector<float> mg(c), kk(c), sc(c);
  coefficients(sumG, sumGx, mg, kk, sc);
  at::parallel_for(0, rows, kGrain, [&](int64_t begin, int64_t end) {
#if defined(__x86_64__) || defined(__i386__)
    if (avx2) return gradDxRowsAvx2<Relu, WriteG>(dyp, yp, gp, xp, mu, mg.data(), kk.data(), sc.data(), dxp, begin, end, c);
#endif
    gradDxRows<Relu, WriteG>(dyp, yp, gp, xp, mu, mg.data(), kk.data(), sc.data(), dxp, begin, end, c);
  });
}

// The backward passes for x in NCHW memory (see nchwPhysical), channel by channel: n planes of hw values each, at
// plane offsets (i·c + k)·hw. Pass 1 sums g (dy masked by y > 0 with Relu; written to gp with WriteG) and g·(x − μ)
// in 16 float lanes per plane, added in double; pass 2 writes dx as gradDxLoop. dγ, dβ as in bnTrainBackward.
constexpr int kLanes = 16;

// The last hw mod kLanes values of a plane, out of line: a scalar tail loop beside the lane loop made GCC keep the
// lanes in memory (3× slower).
template <bool Relu, bool WriteG>
__attribute__((noinline)) void planeTailSums(const float* dyr, const float* yr, const float* xr, float* gr, float m, int64_t j, int64_t hw,
                                             double& sumG, double& sumGx) {
  float ta = 0.f, tb = 0.f;
  for (; j < hw; j++) {
    const float d = dyr[j];
    const float g = Relu ? (yr[j] > 0.f ? d : 0.f) : d;
    if constexpr (WriteG) gr[j] = g;
    ta += g;
    tb += g * (xr[j] - m);
  }
  sumG += ta;
  sumGx += tb;
}

template <bool Relu, bool WriteG>
__attribute__((always_inline)) inline void planeSums(const float* __restrict dyr, const float* __restrict yr, const float* __restrict xr,
                                                     float* __restrict gr, float m, int64_t hw, double& sumG, double& sumGx) {
  float a[kLanes] = {}, b[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= hw; j += kLanes) {
#pragma GCC unroll 1  // unrolled first, the lanes were not vectorised and the mask became a branch (4.6× slower on random signs)
    for (int l = 0; l < kLanes; l++) {
      const float d = dyr[j + l];  // loaded unconditionally, so the mask is a vector select, not a branch
      const float g = Relu ? (yr[j + l] > 0.f ? d : 0.f) : d;
      if constexpr (WriteG) gr[j + l] = g;
      a[l] += g;
      b[l] += g * (xr[j + l] - m);
    }
  }
  for (int l = 0; l < kLanes; l++) {
    sumG += a[l];
    sumGx += b[l];
  }
  if (j < hw) planeTailSums<Relu, WriteG>(dyr, yr, xr, gr, m, j, hw, sumG, sumGx);
}

template <bool Relu, bool ReadG>
__attribute__((always_inline)) inline void planeDx(const float* __restrict dyr, const float* __restrict yr, const float* __restrict xr,
                                                   float* __restrict dxr, float m, float mg, float kk, float sc, int64_t hw) {
  for (int64_t j = 0; j < hw; j++) {
    const float d = dyr[j];
    const float g = (Relu && !ReadG) ? (yr[j] > 0.f ? d : 0.f) : d;
    dxr[j] = (g - mg - (xr[j] - m) * kk) * sc;
  }
}

template <bool Relu, bool WriteG>
__attribute__((always_inline)) inline void nchwBackwardLoop(const float* dyp, const float* yp, const float* xp, const float* mu, const float* inv,
                                                            const float* ga, float* gp, float* dxp, float* dgamma, float* dbeta, int64_t n,
                                                            int64_t c, int64_t hw, int64_t kBegin, int64_t kEnd) {
  for (int64_t k = kBegin; k < kEnd; k++) {
    const float m = mu[k];
    double sumG = 0.0, sumGx = 0.0;
    for (int64_t i = 0; i < n; i++) {
      const int64_t o = (i * c + k) * hw;
      planeSums<Relu, WriteG>(dyp + o, Relu ? yp + o : nullptr, xp + o, WriteG ? gp + o : nullptr, m, hw, sumG, sumGx);
    }
    const double count = static_cast<double>(n * hw);
    dgamma[k] = static_cast<float>(sumGx * inv[k]);
    dbeta[k] = static_cast<float>(sumG);
    const float mg = static_cast<float>(sumG / count), kk = static_cast<float>(sumGx / count * inv[k] * inv[k]), sc = ga[k] * inv[k];
    for (int64_t i = 0; i < n; i++) {
      const int64_t o = (i * c + k) * hw;
      planeDx<Relu, WriteG>(WriteG ? gp + o : dyp + o, (Relu && !WriteG) ? yp + o : nullptr, xp + o, dxp + o, m, mg, kk, sc, hw);
    }
  }
}

template <bool Relu, bool WriteG>
void nchwBackwardRows(const float* dyp, const float* yp, const float* xp, const float* mu, const float* inv, const float* ga, float* gp, float* dxp,
                      float* dgamma, float* dbeta, int64_t n, int64_t c, int64_t hw, int64_t kBegin, int64_t kEnd) {
  nchwBackwardLoop<Relu, WriteG>(dyp, yp, xp, mu, inv, ga, gp, dxp, dgamma, dbeta, n, c, hw, kBegin, kEnd);
}

#if defined(__x86_64__) || defined(__i386__)
template <bool Relu, bool WriteG>
__attribute__((target("avx2,fma"))) void nchwBackwardRowsAvx2(const float* dyp, const float* yp, const float* xp, const float* mu, const float* inv,
                                                               const float* ga, float* gp, float* dxp, float* dgamma, float* dbeta, int64_t n,
                                                               int64_t c, int64_t hw, int64_t kBegin, int64_t kEnd) {
  nchwBackwardLoop<Relu, WriteG>(dyp, yp, xp, mu, inv, ga, gp, dxp, dgamma, dbeta, n, c, hw, kBegin, kEnd);
}
#endif

template <bool Relu, bool WriteG>
void nchwBackward(const float* dyp, const float* yp, const float* xp, const float* mu, const float* inv, const float* ga, float* gp, float* dxp,
                  float* dgamma, float* dbeta, int64_t n, int64_t c, int64_t hw) {
  const bool avx2 = cpuHasAvx2();
  at::parallel_for(0, c, 1, [&](int64_t kBegin, int64_t kEnd) {
#if defined(__x86_64__) || defined(__i386__)
    if (avx2) return nchwBackwardRowsAvx2<Relu, WriteG>(dyp, yp, xp, mu, inv, ga, gp, dxp, dgamma, dbeta, n, c, hw, kBegin, kEnd);
#endif
    nchwBackwardRows<Relu, WriteG>(dyp, yp, xp, mu, inv, ga, gp, dxp, dgamma, dbeta, n, c, hw, kBegin, kEnd);
  });
}

// bnTrainBackward for x in NCHW memory, CPU float32: the NCHW views of dy, y and x made contiguous (no copy when they
// are NCHW already), dx and the residual's gradient returned in NCHW memory behind their NHWC shape.
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> bnTrainBackwardNchw(const at::Tensor& dy_, const c10::optional<at::Tensor>& y_,
                                                                               const at::Tensor& x_, const at::Tensor& gamma, const at::Tensor& mean,
                                                                               const at::Tensor& invstd, bool relu, bool writeG, const at::Tensor& none) {
  const at::Tensor x = nchwView(x_).contiguous(), dy = nchwView(dy_).contiguous(), y = relu ? nchwView(*y_).contiguous() : at::Tensor();
  const at::Tensor meanC = mean.contiguous(), invC = invstd.contiguous(), gammaC = gamma.contiguous();
  const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
  at::Tensor dx = at::empty_like(x, at::MemoryFormat::Contiguous), g = writeG ? at::empty_like(x, at::MemoryFormat::Contiguous) : none;
  at::Tensor dgamma = at::empty({c}, x.options()), dbeta = at::empty({c}, x.options());
  const float *dyp = dy.data_ptr<float>(), *yp = relu ? y.data_ptr<float>() : nullptr, *xp = x.data_ptr<float>();
  const float *mu = meanC.data_ptr<float>(), *inv = invC.data_ptr<float>(), *ga = gammaC.data_ptr<float>();
  float *gp = writeG ? g.data_ptr<float>() : nullptr, *dxp = dx.data_ptr<float>(), *dgp = dgamma.data_ptr<float>(), *dbp = dbeta.data_ptr<float>();
  if (writeG) {
    nchwBackward<true, true>(dyp, yp, xp, mu, inv, ga, gp, dxp, dgp, dbp, n, c, hw);
  } else if (relu) {
    nchwBackward<true, false>(dyp, yp, xp, mu, inv, ga, gp, dxp, dgp, dbp, n, c, hw);
  } else {
    nchwBackward<false, false>(dyp, yp, xp, mu, inv, ga, gp, dxp, dgp, dbp, n, c, hw);
  }
  return {nhwcView(dx), writeG ? nhwcView(g) : none, dgamma, dbeta};
}

// Gradient of bnTrain: dx, d(residual) (= dy masked by y > 0 with relu, else dy; an empty tensor unless residualGrad
// with relu: without the ReLU the residual's gradient is dy itself), dγ, dβ. y is read only with relu.
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> bnTrainBackward(const at::Tensor& dy_, const c10::optional<at::Tensor>& y_,
                                                                           const at::Tensor& x_, const at::Tensor& gamma, const at::Tensor& mean,
                                                                           const at::Tensor& invstd, bool relu, bool residualGrad) {
  const int64_t c = channelsOf(x_, gamma);
  const int64_t rows = x_.numel() / c;
  TORCH_CHECK(!relu || (y_.has_value() && y_->defined()), "icl bn backward: the ReLU's mask needs y");
  const bool writeG = relu && residualGrad;
  at::Tensor none = at::empty({0}, x_.options());
  if (nchwPhysical(x_) && fastPath(dy_) && fastPath(x_) && (!relu || fastPath(*y_))) {
    return bnTrainBackwardNchw(dy_, y_, x_, gamma, mean, invstd, relu, writeG, none);
  }
  if (nchwPhysical(x_)) {
    const at::Tensor dy = nchwView(dy_).contiguous();
    const at::Tensor g = relu ? at::threshold_backward(dy, nchwView(*y_), 0).contiguous() : dy;
    auto [dx, dgamma, dbeta] = at::native_batch_norm_backward(g, nchwView(x_), gamma, {}, {}, mean, invstd, /*train=*/true, 0.0, {true, true, true});
    return {nhwcView(dx), writeG ? nhwcView(g) : none, dgamma, dbeta};
  }
  if (!(fastPath(dy_) && fastPath(x_) && (!relu || fastPath(*y_)))) {
    auto g = relu ? at::threshold_backward(dy_.contiguous(), y_->contiguous(), 0) : dy_.contiguous();
    auto [dx, dgamma, dbeta] = at::native_batch_norm_backward(g.view({-1, c}), x_.contiguous().view({-1, c}), gamma, {}, {}, mean, invstd,
                                                              /*train=*/true, 0.0, {true, true, true});
    return {dx.view(x_.sizes()), writeG ? g : none, dgamma, dbeta};
  }
  const at::Tensor dy = dy_.contiguous(), x = x_.contiguous(), y = relu ? y_->contiguous() : at::Tensor();
  const at::Tensor meanC = mean.contiguous(), invC = invstd.contiguous(), gammaC = gamma.contiguous();
  const float* mu = meanC.data_ptr<float>();
  const float* inv = invC.data_ptr<float>();
  const float* ga = gammaC.data_ptr<float>();
  auto opts = x.options();
  at::Tensor dgamma = at::empty({c}, opts), dbeta = at::empty({c}, opts);
  at::Tensor dx = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor g = writeG ? at::empty_like(x, at::MemoryFormat::Contiguous) : none;
  auto coefficients = [&](const std::vector<double>& sumG, const std::vector<double>& sumGx, std::vector<float>& mg, std::vector<float>& kk,
                          std::vector<float>& sc) {
    for (int64_t k = 0; k < c; k++) {
      dgamma.data_ptr<float>()[k] = static_cast<float>(sumGx[k] * inv[k]);
      dbeta.data_ptr<float>()[k] = static_cast<float>(sumG[k]);
      mg[k] = static_cast<float>(sumG[k] / rows);
      kk[k] = static_cast<float>(sumGx[k] / rows * inv[k] * inv[k]);
      sc[k] = ga[k] * inv[k];
    }
  };
  const float* dyp = dy.data_ptr<float>();
  const float* yp = relu ? y.data_ptr<float>() : nullptr;
  const float* xp = x.data_ptr<float>();
  float* gp = writeG ? g.data_ptr<float>() : nullptr;
  float* dxp = dx.data_ptr<float>();
  if (writeG) {
    backwardPasses<true, true>(dyp, yp, xp, mu, gp, dxp, rows, c, coefficients);
  } else if (relu) {
    backwardPasses<true, false>(dyp, yp, xp, mu, gp, dxp, rows, c, coefficients);
  } else {
    backwardPasses<false, false>(dyp, yp, xp, mu, gp, dxp, rows, c, coefficients);
  }
  return {dx, g, dgamma, dbeta};
}

// α and β' of inference, as ATen's inference batch norm: invstd = float(1 / sqrt(double(σ²_run) + eps)), then α, β'
// as in training (linearTerms).
void inferenceTerms(const at::Tensor& runningMean, const at::Tensor& runningVar, const at::Tensor& gamma, const at::Tensor& beta, double eps,
                    std::vector<float>& a, std::vector<float>& b) {
  const at::Tensor rm = runningMean.contiguous(), rv = runningVar.contiguous(), g = gamma.contiguous(), be = beta.contiguous();
  const int64_t c = rv.numel();
  std::vector<float> invstd(c);
  for (int64_t k = 0; k < c; k++) invstd[k] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(rv.data_ptr<float>()[k]) + eps));
  linearTerms(g.data_ptr<float>(), be.data_ptr<float>(), rm.data_ptr<float>(), invstd.data(), c, a, b);
}

// y = [relu](BN(x) [+ residual]) with running statistics, one pass.
at::Tensor bnEval(const at::Tensor& x_, const at::Tensor& runningMean, const at::Tensor& runningVar, const at::Tensor& gamma, const at::Tensor& beta,
                  const c10::optional<at::Tensor>& residual_, bool relu, double eps) {
  const int64_t c = channelsOf(x_, gamma);
  if (nchwPhysical(x_)) {
    const at::Tensor x = nchwView(x_), residual = nchwResidual(residual_, x_);
    if (!(fastPath(x) && fastPath(runningMean) && fastPath(runningVar) && fastPath(gamma) && fastPath(beta) &&
          (!residual.defined() || fastPath(residual)))) {
      auto y = std::get<0>(at::native_batch_norm(x, gamma, beta, runningMean, runningVar, /*training=*/false, 0.0, eps));
      if (residual.defined()) y.add_(residual);
      if (relu) y.relu_();
      return nhwcView(y);
    }
    std::vector<float> a, b;
    inferenceTerms(runningMean, runningVar, gamma, beta, eps, a, b);
    at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
    nchwScaleShift(relu, x.data_ptr<float>(), a.data(), b.data(), residual.defined() ? residual.data_ptr<float>() : nullptr, y.data_ptr<float>(),
                   x.size(0), c, x.size(2) * x.size(3));
    return nhwcView(y);
  }
  const at::Tensor residual = residualOf(residual_, x_);
  if (!(fastPath(x_) && fastPath(runningMean) && fastPath(runningVar) && fastPath(gamma) && fastPath(beta) &&
        (!residual.defined() || fastPath(residual)))) {
    auto y = std::get<0>(at::native_batch_norm(x_.contiguous().view({-1, c}), gamma, beta, runningMean, runningVar, /*training=*/false, 0.0, eps));
    if (residual.defined()) y.add_(residual.view({-1, c}));
    if (relu) y.relu_();
    return y.view(x_.sizes());
  }
  const at::Tensor x = x_.contiguous();
  std::vector<float> a, b;
  inferenceTerms(runningMean, runningVar, gamma, beta, eps, a, b);
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  scaleShift(relu, x.data_ptr<float>(), a.data(), b.data(), residual.defined() ? residual.data_ptr<float>() : nullptr, y.data_ptr<float>(),
             x.numel() / c, c);
  return y;
}

// PyTorch's running-statistics update: (1 − m)·running + m·batch, the variance un-biased by count/(count − 1).
std::tuple<at::Tensor, at::Tensor> bnRunningStats(const at::Tensor& runningMean, const at::Tensor& runningVar, const at::Tensor& mean,
                                                  const at::Tensor& var, double count, double momentum) {
  TORCH_CHECK(count > 1, "icl bn_running_stats: more than 1 value per channel needed, got ", count);
  const auto m = static_cast<float>(momentum);
  const auto unbias = static_cast<float>(count / (count - 1));
  if (!(fastPath(runningMean) && fastPath(runningVar) && fastPath(mean) && fastPath(var))) {
    return {at::lerp(runningMean, mean, momentum), at::lerp(runningVar, var * (count / (count - 1)), momentum)};
  }
  const at::Tensor rm = runningMean.contiguous(), rv = runningVar.contiguous(), mu = mean.contiguous(), v = var.contiguous();
  at::Tensor newMean = at::empty_like(rm), newVar = at::empty_like(rv);
  for (int64_t k = 0; k < rm.numel(); k++) {
    newMean.data_ptr<float>()[k] = rm.data_ptr<float>()[k] * (1.f - m) + mu.data_ptr<float>()[k] * m;
    newVar.data_ptr<float>()[k] = rv.data_ptr<float>()[k] * (1.f - m) + (v.data_ptr<float>()[k] * unbias) * m;
  }
  return {newMean, newVar};
}

}  // namespace

TORCH_LIBRARY(icl, m) {
  m.def("bn_train(Tensor x, Tensor gamma, Tensor beta, Tensor? residual, bool relu, float eps) -> (Tensor, Tensor, Tensor, Tensor)", bnTrain);
  m.def("bn_train_backward(Tensor dy, Tensor? y, Tensor x, Tensor gamma, Tensor mean, Tensor invstd, bool relu, bool residual_grad)"
        " -> (Tensor, Tensor, Tensor, Tensor)",
        bnTrainBackward);
  m.def("bn_eval(Tensor x, Tensor running_mean, Tensor running_var, Tensor gamma, Tensor beta, Tensor? residual, bool relu, float eps) -> Tensor",
        bnEval);
  m.def("bn_running_stats(Tensor running_mean, Tensor running_var, Tensor mean, Tensor var, float count, float momentum) -> (Tensor, Tensor)",
        bnRunningStats);
}
