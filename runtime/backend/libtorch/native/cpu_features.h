// What the CPU offers the native kernels (bn_relu.cc, sgd.cc), decided once per process.
#pragma once

#include <cstdlib>
#include <cstring>

namespace icl {

// Whether ATen's vectorised CPU kernels run with FMA here: its capability AVX2 or AVX-512 (both need FMA), chosen as
// ATen does (ATEN_CPU_CAPABILITY=default|avx2|avx512 overrides the CPU's own). Kernels that must round as ATen's do
// use fused multiply-adds exactly when this holds.
inline bool atenUsesFma() {
  static const bool fma = [] {
    const char* env = std::getenv("ATEN_CPU_CAPABILITY");
    if (env != nullptr && std::strcmp(env, "default") == 0) return false;
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
  }();
  return fma;
}

// Whether this CPU runs the AVX2 + FMA builds (`__attribute__((target("avx2,fma")))`) of the kernels' loops.
inline bool cpuHasAvx2() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2;
#else
  return false;
#endif
}

}  // namespace icl
