// Peak libtorch bytes, the allocator's own figure (issue 14): a c10 memory reporter on the JS thread.
//
// c10's CPU allocator (c10::ProfiledCPUMemoryReporter, c10/core/CPUAllocator.cpp) and the CUDA caching allocator
// report every allocation and free to the `MemoryReportingInfoBase` held in the thread's
// `ThreadLocalDebugInfo` under `DebugInfoKind::PROFILER_STATE`, when its memoryProfilingEnabled() is true. This is
// how torch.autograd.profiler.profile(profile_memory=True) sees memory. With ICL_LIBTORCH_ALLOC_STATS=1 in the
// environment when the addon loads, we push one such reporter on the JS thread (where every addon call runs), before
// any tensor exists, and keep the bytes in use and their peak. It is off otherwise: c10 then takes a lock and a
// hash-table entry per allocation, and logs a warning (every 1,000th time) when a block that another thread allocated
// is freed here. Allocations made inside ATen's OpenMP workers are not seen (as with PyTorch's profiler); oneDNN's own
// scratch buffers do not go through c10 and are not counted on either side.
#include <node_api.h>

#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <functional>
#include <memory>

namespace icl {
napi_value guardedCall(napi_env env, const std::function<napi_value()>& f);
}  // namespace icl

namespace {

struct Reporter : c10::MemoryReportingInfoBase {
  int64_t bytes = 0;
  int64_t peak = 0;
  void reportMemoryUsage(void*, int64_t alloc_size, int64_t, int64_t, c10::Device) override {
    bytes += alloc_size;
    peak = std::max(peak, bytes);
  }
  bool memoryProfilingEnabled() const override { return true; }
};

std::shared_ptr<Reporter> reporter;

napi_value number(napi_env env, int64_t v) {
  napi_value out;
  napi_create_double(env, static_cast<double>(v), &out);
  return out;
}

// allocatorStats(resetPeak): {bytes, peakBytes} since the addon loaded (peak since the last reset); with
// resetPeak true the peak then restarts from the bytes in use now.
napi_value AllocatorStats(napi_env env, napi_callback_info info) {
  return icl::guardedCall(env, [&] {
    if (!reporter) throw std::runtime_error("allocatorStats: set ICL_LIBTORCH_ALLOC_STATS=1 before the addon loads");
    size_t argc = 1;
    napi_value arg;
    napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
    bool reset = false;
    if (argc >= 1) napi_get_value_bool(env, arg, &reset);
    napi_value obj;
    napi_create_object(env, &obj);
    napi_set_named_property(env, obj, "bytes", number(env, reporter->bytes));
    napi_set_named_property(env, obj, "peakBytes", number(env, reporter->peak));
    if (reset) reporter->peak = reporter->bytes;
    return obj;
  });
}

}  // namespace

namespace icl {

/** Installs the reporter on this (the JS) thread when asked, and adds allocatorStats to the exports. */
bool registerAllocatorStats(napi_env env, napi_value exports) {
  const char* on = std::getenv("ICL_LIBTORCH_ALLOC_STATS");
  if (on != nullptr && std::string(on) == "1") {
    reporter = std::make_shared<Reporter>();
    c10::ThreadLocalDebugInfo::_push(c10::DebugInfoKind::PROFILER_STATE, reporter);
  }
  napi_value fn;
  if (napi_create_function(env, "allocatorStats", NAPI_AUTO_LENGTH, AllocatorStats, nullptr, &fn) != napi_ok) return false;
  return napi_set_named_property(env, exports, "allocatorStats", fn) == napi_ok;
}

}  // namespace icl
