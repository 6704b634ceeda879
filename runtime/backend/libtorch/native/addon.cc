// Node-API addon holding libtorch tensors for the TensorFlow.js `libtorch` backend (runtime/backend/libtorch/).
//
// JS refers to tensors by integer ids (a map id -> at::Tensor here). Operators are called through the c10
// dispatcher, boxed, by schema ("aten::convolution", overload ""): JS looks an operator up once (`op`) and calls it
// with positional arguments converted by the schema's argument types (`call`). So every ATen operator is reachable
// without C++ per kernel; the kernel logic (NHWC views, attribute mapping) lives in TypeScript.
//
// Exports:
//   fromData(typedArray, shape, dtypeCode[, device]) -> id   copy JS data into a new tensor (to a device: from pinned
//                                                            memory, non-blocking)
//   toData(id) -> TypedArray                                 contiguous copy out (Float32/Int32/Uint8 by dtype)
//   free(id)                                                 drop the handle
//   op(name, overload) -> opId | throws                       look up an operator schema
//   call(opId, args) -> result                                run it; tensors come back as {id, shape, dtype}
//   info(id) -> {id, shape, dtype}
//   memory() -> {numTensors, numBytes}
//   setNumThreads(n), getNumThreads(), version(), cudaDeviceCount(), config()
//   cudaBuilt() -> whether the linked libtorch has CUDA (devices or not)
//   setCudnn(benchmark, deterministic) -> {benchmark, deterministic}   ATen's global cuDNN flags
//   pg*: the c10d process group (process_group.cc)
#include <node_api.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/Device.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/version.h>
#include <torch/cuda.h>

#include <malloc.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace icl {
bool registerProcessGroup(napi_env env, napi_value exports);  // process_group.cc
bool registerAllocatorStats(napi_env env, napi_value exports);  // allocator_stats.cc
}  // namespace icl

namespace {

struct Store {
  std::unordered_map<int64_t, at::Tensor> tensors;
  int64_t nextId = 1;
  int64_t bytes = 0;
  std::vector<c10::OperatorHandle> ops;
};
Store store;

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

#define NAPI(call)                                                       \
  do {                                                                   \
    if ((call) != napi_ok) throw JsError("Node-API call failed: " #call); \
  } while (0)

int64_t tensorBytes(const at::Tensor& t) { return t.defined() ? static_cast<int64_t>(t.numel() * t.element_size()) : 0; }

int64_t put(at::Tensor t) {
  int64_t id = store.nextId++;
  store.bytes += tensorBytes(t);
  store.tensors.emplace(id, std::move(t));
  return id;
}

at::Tensor& get(int64_t id) {
  auto it = store.tensors.find(id);
  if (it == store.tensors.end()) throw JsError("libtorch addon: unknown tensor id " + std::to_string(id) + " (already freed?)");
  return it->second;
}

napi_value num(napi_env env, double v) {
  napi_value r;
  NAPI(napi_create_double(env, v, &r));
  return r;
}

double toNum(napi_env env, napi_value v) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) throw JsError("libtorch addon: expected a number");
  return d;
}

std::string toStr(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) throw JsError("libtorch addon: expected a string");
  std::string s(len, '\0');
  NAPI(napi_get_value_string_utf8(env, v, &s[0], len + 1, &len));
  return s;
}

napi_valuetype typeOf(napi_env env, napi_value v) {
  napi_valuetype t;
  NAPI(napi_typeof(env, v, &t));
  return t;
}

bool isNullish(napi_env env, napi_value v) {
  auto t = typeOf(env, v);
  return t == napi_null || t == napi_undefined;
}

std::vector<napi_value> elements(napi_env env, napi_value arr) {
  bool isArr = false;
  NAPI(napi_is_array(env, arr, &isArr));
  if (!isArr) throw JsError("libtorch addon: expected an array");
  uint32_t n;
  NAPI(napi_get_array_length(env, arr, &n));
  std::vector<napi_value> out(n);
  for (uint32_t i = 0; i < n; i++) NAPI(napi_get_element(env, arr, i, &out[i]));
  return out;
}

std::vector<int64_t> toInts(napi_env env, napi_value arr) {
  std::vector<int64_t> out;
  for (auto v : elements(env, arr)) out.push_back(static_cast<int64_t>(toNum(env, v)));
  return out;
}

napi_value tensorResult(napi_env env, at::Tensor t) {
  if (!t.defined()) {
    napi_value n;
    NAPI(napi_get_null(env, &n));
    return n;
  }
  napi_value obj, shape;
  NAPI(napi_create_object(env, &obj));
  NAPI(napi_create_array_with_length(env, t.dim(), &shape));
  for (int64_t i = 0; i < t.dim(); i++) NAPI(napi_set_element(env, shape, i, num(env, static_cast<double>(t.size(i)))));
  napi_value dtype = num(env, static_cast<double>(static_cast<int>(t.scalar_type())));
  NAPI(napi_set_named_property(env, obj, "shape", shape));
  NAPI(napi_set_named_property(env, obj, "dtype", dtype));
  NAPI(napi_set_named_property(env, obj, "id", num(env, static_cast<double>(put(std::move(t))))));
  return obj;
}

// ---- JS value -> IValue by schema type ----

c10::IValue toIValue(napi_env env, napi_value v, const c10::TypePtr& type, const std::string& what);

c10::IValue scalarOf(napi_env env, napi_value v) {
  if (typeOf(env, v) == napi_boolean) {
    bool b;
    NAPI(napi_get_value_bool(env, v, &b));
    return c10::IValue(b);
  }
  double d = toNum(env, v);
  if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9007199254740992.0) return c10::IValue(static_cast<int64_t>(d));
  return c10::IValue(d);
}

c10::IValue toIValue(napi_env env, napi_value v, const c10::TypePtr& type, const std::string& what) {
  using K = c10::TypeKind;
  switch (type->kind()) {
    case K::OptionalType:
      if (isNullish(env, v)) return c10::IValue();
      return toIValue(env, v, type->castRaw<c10::OptionalType>()->getElementType(), what);
    case K::TensorType:
      return c10::IValue(get(static_cast<int64_t>(toNum(env, v))));
    case K::IntType:
    case K::SymIntType:
      return c10::IValue(static_cast<int64_t>(toNum(env, v)));
    case K::FloatType:
      return c10::IValue(toNum(env, v));
    case K::BoolType: {
      bool b;
      if (napi_get_value_bool(env, v, &b) != napi_ok) throw JsError(what + ": expected a boolean");
      return c10::IValue(b);
    }
    case K::NumberType:
      return scalarOf(env, v);
    case K::StringType:
      return c10::IValue(toStr(env, v));
    case K::DeviceObjType:
      return c10::IValue(c10::Device(toStr(env, v)));
    case K::ListType: {
      auto elem = type->castRaw<c10::ListType>()->getElementType();
      auto items = elements(env, v);
      switch (elem->kind()) {
        case K::IntType:
        case K::SymIntType: {
          c10::List<int64_t> l;
          for (auto x : items) l.push_back(static_cast<int64_t>(toNum(env, x)));
          return c10::IValue(l);
        }
        case K::FloatType: {
          c10::List<double> l;
          for (auto x : items) l.push_back(toNum(env, x));
          return c10::IValue(l);
        }
        case K::BoolType: {
          c10::List<bool> l;
          for (auto x : items) {
            bool b;
            NAPI(napi_get_value_bool(env, x, &b));
            l.push_back(b);
          }
          return c10::IValue(l);
        }
        case K::TensorType: {
          c10::List<at::Tensor> l;
          for (auto x : items) l.push_back(get(static_cast<int64_t>(toNum(env, x))));
          return c10::IValue(l);
        }
        case K::OptionalType: {
          c10::List<c10::optional<at::Tensor>> l;
          for (auto x : items) {
            if (isNullish(env, x)) l.push_back(c10::nullopt);
            else l.push_back(get(static_cast<int64_t>(toNum(env, x))));
          }
          return c10::IValue(l);
        }
        default:
          break;
      }
      throw JsError(what + ": unsupported list type " + type->str());
    }
    default:
      throw JsError(what + ": unsupported argument type " + type->str());
  }
}

napi_value fromIValue(napi_env env, const c10::IValue& v) {
  if (v.isTensor()) return tensorResult(env, v.toTensor());
  if (v.isNone()) {
    napi_value n;
    NAPI(napi_get_null(env, &n));
    return n;
  }
  if (v.isInt()) return num(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return num(env, v.toDouble());
  if (v.isBool()) {
    napi_value b;
    NAPI(napi_get_boolean(env, v.toBool(), &b));
    return b;
  }
  if (v.isTensorList() || v.isTuple() || v.isList()) {
    std::vector<c10::IValue> items;
    if (v.isTensorList()) {
      for (const at::Tensor& t : v.toTensorVector()) items.emplace_back(t);
    } else if (v.isTuple()) {
      for (const auto& x : v.toTupleRef().elements()) items.push_back(x);
    } else {
      for (const auto& x : v.toListRef()) items.push_back(x);
    }
    napi_value arr;
    NAPI(napi_create_array_with_length(env, items.size(), &arr));
    for (size_t i = 0; i < items.size(); i++) NAPI(napi_set_element(env, arr, i, fromIValue(env, items[i])));
    return arr;
  }
  throw JsError("libtorch addon: unsupported result type " + v.tagKind());
}

// ---- exported functions ----

using Impl = napi_value (*)(napi_env, napi_callback_info);

template <typename F>
napi_value guarded(napi_env env, F f) {
  try {
    return f();
  } catch (const c10::Error& e) {
    napi_throw_error(env, nullptr, e.what_without_backtrace());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

std::vector<napi_value> argv(napi_env env, napi_callback_info info, size_t want) {
  size_t argc = want;
  std::vector<napi_value> args(want);
  NAPI(napi_get_cb_info(env, info, &argc, args.data(), nullptr, nullptr));
  if (argc < want) args.resize(argc);
  return args;
}

napi_value FromData(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 4);
    if (a.size() < 3) throw JsError("fromData(typedArray, shape, dtype[, device])");
    napi_typedarray_type tt;
    size_t length, offset;
    void* data;
    napi_value buf;
    if (napi_get_typedarray_info(env, a[0], &tt, &length, &data, &buf, &offset) != napi_ok) throw JsError("fromData: expected a typed array");
    auto shape = toInts(env, a[1]);
    auto dtype = static_cast<c10::ScalarType>(static_cast<int>(toNum(env, a[2])));
    c10::optional<c10::Device> dev;
    if (a.size() > 3 && !isNullish(env, a[3])) {
      dev = c10::Device(toStr(env, a[3]));
      if (dev->is_cpu()) dev.reset();
    }
    // For a device, stage the values in pinned (page-locked) host memory and copy them non-blocking: the copy is
    // queued on the current stream behind the previous step's kernels and this thread returns at once. Freeing the
    // staging tensor is safe: ATen's pinned allocator keeps the block until the copy's recorded event completes.
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype).pinned_memory(dev.has_value()));
    size_t bytes = t.numel() * t.element_size();
    size_t have = length * (tt == napi_float64_array || tt == napi_bigint64_array ? 8 : tt == napi_float32_array || tt == napi_int32_array || tt == napi_uint32_array ? 4 : tt == napi_int16_array || tt == napi_uint16_array ? 2 : 1);
    if (have != bytes) throw JsError("fromData: " + std::to_string(have) + " bytes given for a tensor of " + std::to_string(bytes));
    if (bytes > 0) std::memcpy(t.data_ptr(), data, bytes);
    if (dev) t = t.to(*dev, /*non_blocking=*/true);
    return num(env, static_cast<double>(put(std::move(t))));
  });
}

napi_value ToData(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    if (a.empty()) throw JsError("toData(id)");
    at::Tensor t = get(static_cast<int64_t>(toNum(env, a[0])));
    if (!t.device().is_cpu()) t = t.cpu();
    t = t.contiguous();
    napi_typedarray_type tt;
    switch (t.scalar_type()) {
      case at::kFloat: tt = napi_float32_array; break;
      case at::kInt: tt = napi_int32_array; break;
      case at::kBool:
      case at::kByte: tt = napi_uint8_array; break;
      case at::kDouble: tt = napi_float64_array; break;
      case at::kLong: tt = napi_bigint64_array; break;
      default: throw JsError(std::string("toData: unsupported dtype ") + c10::toString(t.scalar_type()));
    }
    size_t bytes = t.numel() * t.element_size();
    void* out;
    napi_value ab, arr;
    NAPI(napi_create_arraybuffer(env, bytes, &out, &ab));
    if (bytes > 0) std::memcpy(out, t.data_ptr(), bytes);
    NAPI(napi_create_typedarray(env, tt, t.numel(), ab, 0, &arr));
    return arr;
  });
}

napi_value Free(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    if (a.empty()) throw JsError("free(id)");
    auto it = store.tensors.find(static_cast<int64_t>(toNum(env, a[0])));
    if (it != store.tensors.end()) {
      store.bytes -= tensorBytes(it->second);
      store.tensors.erase(it);
    }
    napi_value u;
    NAPI(napi_get_undefined(env, &u));
    return u;
  });
}

napi_value Op(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 2);
    if (a.size() < 2) throw JsError("op(name, overload)");
    auto name = toStr(env, a[0]);
    auto overload = toStr(env, a[1]);
    auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!handle) throw JsError("libtorch has no operator " + name + (overload.empty() ? "" : "." + overload));
    store.ops.push_back(*handle);
    return num(env, static_cast<double>(store.ops.size() - 1));
  });
}

napi_value Call(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 2);
    if (a.size() < 2) throw JsError("call(opId, args)");
    auto opId = static_cast<size_t>(toNum(env, a[0]));
    if (opId >= store.ops.size()) throw JsError("call: unknown operator id");
    const auto& op = store.ops[opId];
    const auto& schema = op.schema();
    auto args = elements(env, a[1]);
    const auto& formals = schema.arguments();
    if (args.size() > formals.size()) throw JsError(schema.name() + ": too many arguments");
    torch::jit::Stack stack;
    stack.reserve(formals.size());
    for (size_t i = 0; i < formals.size(); i++) {
      const auto& f = formals[i];
      if (i < args.size() && typeOf(env, args[i]) != napi_undefined) {
        stack.push_back(toIValue(env, args[i], f.type(), schema.name() + " argument " + f.name()));
      } else if (f.default_value()) {
        stack.push_back(*f.default_value());
      } else if (f.type()->kind() == c10::TypeKind::OptionalType) {
        stack.emplace_back();
      } else {
        throw JsError(schema.name() + ": missing argument " + f.name());
      }
    }
    op.callBoxed(&stack);
    if (stack.size() == 1) return fromIValue(env, stack[0]);
    napi_value arr;
    NAPI(napi_create_array_with_length(env, stack.size(), &arr));
    for (size_t i = 0; i < stack.size(); i++) NAPI(napi_set_element(env, arr, i, fromIValue(env, stack[i])));
    return arr;
  });
}

napi_value Info(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    if (a.empty()) throw JsError("info(id)");
    auto id = static_cast<int64_t>(toNum(env, a[0]));
    const at::Tensor& t = get(id);
    napi_value obj, shape;
    NAPI(napi_create_object(env, &obj));
    NAPI(napi_create_array_with_length(env, t.dim(), &shape));
    for (int64_t i = 0; i < t.dim(); i++) NAPI(napi_set_element(env, shape, i, num(env, static_cast<double>(t.size(i)))));
    NAPI(napi_set_named_property(env, obj, "id", num(env, static_cast<double>(id))));
    NAPI(napi_set_named_property(env, obj, "shape", shape));
    NAPI(napi_set_named_property(env, obj, "dtype", num(env, static_cast<double>(static_cast<int>(t.scalar_type())))));
    return obj;
  });
}

napi_value Memory(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value obj;
    NAPI(napi_create_object(env, &obj));
    NAPI(napi_set_named_property(env, obj, "numTensors", num(env, static_cast<double>(store.tensors.size()))));
    NAPI(napi_set_named_property(env, obj, "numBytes", num(env, static_cast<double>(store.bytes))));
    return obj;
  });
}

napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    if (a.empty()) throw JsError("setNumThreads(n)");
    int n = static_cast<int>(toNum(env, a[0]));
    if (n > 0) at::set_num_threads(n);
    return num(env, at::get_num_threads());
  });
}

napi_value GetNumThreads(napi_env env, napi_callback_info) {
  return guarded(env, [&] { return num(env, at::get_num_threads()); });
}

napi_value Version(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value s;
    NAPI(napi_create_string_utf8(env, TORCH_VERSION, NAPI_AUTO_LENGTH, &s));
    return s;
  });
}

napi_value CudaDeviceCount(napi_env env, napi_callback_info) {
  return guarded(env, [&] { return num(env, static_cast<double>(torch::cuda::device_count())); });
}

// setCudnn(benchmark, deterministic): ATen's global cuDNN flags, as torch.backends.cudnn.benchmark / .deterministic
// set them (the original's config keys cudnn.benchmark, cudnn.deterministic). Returns the flags now in force. They
// are process-wide and only matter for CUDA tensors; a CPU libtorch stores them without effect.
napi_value SetCudnn(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 2);
    if (a.size() < 2) throw JsError("setCudnn(benchmark, deterministic)");
    bool benchmark, deterministic;
    if (napi_get_value_bool(env, a[0], &benchmark) != napi_ok || napi_get_value_bool(env, a[1], &deterministic) != napi_ok) {
      throw JsError("setCudnn: expected two booleans (benchmark, deterministic)");
    }
    auto& ctx = at::globalContext();
    ctx.setBenchmarkCuDNN(benchmark);
    ctx.setDeterministicCuDNN(deterministic);
    napi_value obj, b, d;
    NAPI(napi_create_object(env, &obj));
    NAPI(napi_get_boolean(env, ctx.benchmarkCuDNN(), &b));
    NAPI(napi_get_boolean(env, ctx.deterministicCuDNN(), &d));
    NAPI(napi_set_named_property(env, obj, "benchmark", b));
    NAPI(napi_set_named_property(env, obj, "deterministic", d));
    return obj;
  });
}

// Whether the linked libtorch has CUDA (libc10_cuda loaded: its device guard is registered), devices or not.
napi_value CudaBuilt(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value b;
    NAPI(napi_get_boolean(env, c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA), &b));
    return b;
  });
}

napi_value Config(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value s;
    auto text = at::show_config();
    NAPI(napi_create_string_utf8(env, text.c_str(), text.size(), &s));
    return s;
  });
}

// Every ATen operator allocates its output; activations are MBs each. With glibc's defaults such blocks are mmapped or
// trimmed off the heap top when freed, so the next operator page-faults fresh memory (measured: ~30% of a ResNet
// training step on this VM). Keep freed memory for reuse instead (RSS stays at its peak, as with PyTorch's caching
// allocators). ICL_LIBTORCH_MALLOC=default keeps glibc's settings.
void tuneMalloc() {
  const char* env = std::getenv("ICL_LIBTORCH_MALLOC");
  if (env != nullptr && std::string(env) == "default") return;
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  mallopt(M_TOP_PAD, 64 * 1024 * 1024);
}

napi_value Init(napi_env env, napi_value exports) {
  tuneMalloc();
  struct Fn {
    const char* name;
    napi_callback cb;
  };
  const Fn fns[] = {
      {"fromData", FromData}, {"toData", ToData},       {"free", Free},
      {"op", Op},             {"call", Call},           {"info", Info},
      {"memory", Memory},     {"setNumThreads", SetNumThreads}, {"getNumThreads", GetNumThreads},
      {"version", Version},   {"cudaDeviceCount", CudaDeviceCount}, {"config", Config},
      {"setCudnn", SetCudnn}, {"cudaBuilt", CudaBuilt},
  };
  for (const auto& f : fns) {
    napi_value fn;
    if (napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn) != napi_ok) return nullptr;
    if (napi_set_named_property(env, exports, f.name, fn) != napi_ok) return nullptr;
  }
  if (!icl::registerProcessGroup(env, exports)) return nullptr;
  if (!icl::registerAllocatorStats(env, exports)) return nullptr;
  return exports;
}

}  // namespace

namespace icl {
at::Tensor& tensorById(int64_t id) { return get(id); }
napi_value tensorToJs(napi_env env, at::Tensor t) { return tensorResult(env, std::move(t)); }
napi_value guardedCall(napi_env env, const std::function<napi_value()>& f) { return guarded(env, f); }
}  // namespace icl

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
