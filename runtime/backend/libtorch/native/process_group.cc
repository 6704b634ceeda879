// PyTorch's collectives (c10d) for data-parallel training: one process group per process, formed through a TCPStore
// rendezvous, Gloo for CPU tensors (and CUDA tensors, staged through the host) and NCCL for CUDA tensors when the
// linked libtorch has it. JS reaches it through these exports of icl_libtorch.node (registered by addon.cc; tensors
// are the addon's integer ids, see addon.cc):
//
//   pgBackends() -> {gloo, nccl}                              what this build can use
//   pgInit(addr, port, rank, worldSize, timeoutMs) -> string   rendezvous + Gloo group; the device address it bound
//   pgUseNccl()                                               CUDA tensors go through NCCL from now on (all ranks)
//   pgAllReduceMean(ids, bucketBytes) -> [{id, shape, dtype}] new tensors: the mean over the ranks of each tensor
//   pgAllReduceF64(Float64Array)                              sums in place over the ranks (blocking)
//   pgBroadcast(ids, root) -> [{id, shape, dtype}]            new tensors holding rank root's values
//   pgBarrier()
//   pgStoreSet(key, value), pgStoreCheck(key) -> bool, pgStoreGet(key) -> string   the rendezvous store
//   pgDestroy()
//
// Every collective blocks the calling (JS) thread until it is complete on every rank or fails; a failure throws the
// c10d/Gloo message (which names no rank: runtime/dist/process_group.ts finds out which rank is gone).
//
// The rendezvous: rank 0 hosts the TCPStore at addr:port; every rank connects (retrying until the timeout), writes
// `arrived/<rank>` and polls for the others' keys until the timeout, so a rendezvous that times out names the ranks
// that never came (c10d's own wait names none). Only then is the Gloo group formed (its full-mesh connect goes
// through the same store, under the prefix `pg/`).
#include <node_api.h>

#include <ATen/ATen.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifdef ICL_WITH_GLOO
#define USE_C10D_GLOO  // the c10d headers hide their Gloo (NCCL) classes unless the build says it has them
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef ICL_WITH_NCCL
#define USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace icl {
// Defined in addon.cc: the tensor table shared by all exports.
at::Tensor& tensorById(int64_t id);
napi_value tensorToJs(napi_env env, at::Tensor t);
// Runs f, turning a C++ exception into a JS error (c10 errors without their backtrace).
napi_value guardedCall(napi_env env, const std::function<napi_value()>& f);
}  // namespace icl

namespace {

struct PgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

#define PG_NAPI(call)                                                        \
  do {                                                                       \
    if ((call) != napi_ok) throw PgError("Node-API call failed: " #call);    \
  } while (0)

std::vector<napi_value> args(napi_env env, napi_callback_info info, size_t want) {
  size_t argc = want;
  std::vector<napi_value> a(want);
  PG_NAPI(napi_get_cb_info(env, info, &argc, a.data(), nullptr, nullptr));
  a.resize(std::min(argc, want));
  return a;
}

double number(napi_env env, napi_value v, const char* what) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) throw PgError(std::string(what) + ": expected a number");
  return d;
}

std::string text(napi_env env, napi_value v, const char* what) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) throw PgError(std::string(what) + ": expected a string");
  std::string s(len, '\0');
  PG_NAPI(napi_get_value_string_utf8(env, v, &s[0], len + 1, &len));
  return s;
}

std::vector<at::Tensor> tensorsOf(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) throw PgError("expected an array of tensor ids");
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    PG_NAPI(napi_get_element(env, arr, i, &v));
    out.push_back(icl::tensorById(static_cast<int64_t>(number(env, v, "tensor id"))));
  }
  return out;
}

napi_value jsArray(napi_env env, std::vector<at::Tensor> ts) {
  napi_value arr;
  PG_NAPI(napi_create_array_with_length(env, ts.size(), &arr));
  for (size_t i = 0; i < ts.size(); i++) PG_NAPI(napi_set_element(env, arr, i, icl::tensorToJs(env, std::move(ts[i]))));
  return arr;
}

napi_value undefinedValue(napi_env env) {
  napi_value u;
  PG_NAPI(napi_get_undefined(env, &u));
  return u;
}

napi_value boolValue(napi_env env, bool b) {
  napi_value v;
  PG_NAPI(napi_get_boolean(env, b, &v));
  return v;
}

napi_value stringValue(napi_env env, const std::string& s) {
  napi_value v;
  PG_NAPI(napi_create_string_utf8(env, s.data(), s.size(), &v));
  return v;
}

napi_value guarded(napi_env env, const std::function<napi_value()>& f) { return icl::guardedCall(env, f); }

// Consecutive runs of tensors of one dtype and device whose bytes stay within `limit` (at least one tensor each), as
// DDP's buckets (torch.nn.parallel.DistributedDataParallel, bucket_cap_mb 25).
std::vector<std::pair<size_t, size_t>> buckets(const std::vector<at::Tensor>& ts, int64_t limit) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t start = 0;
  int64_t bytes = 0;
  for (size_t i = 0; i < ts.size(); i++) {
    const int64_t b = ts[i].numel() * ts[i].element_size();
    const bool split = i > start && (bytes + b > limit || ts[i].scalar_type() != ts[start].scalar_type() || ts[i].device() != ts[start].device());
    if (split) {
      out.emplace_back(start, i);
      start = i;
      bytes = 0;
    }
    bytes += b;
  }
  if (start < ts.size()) out.emplace_back(start, ts.size());
  return out;
}

at::Tensor flatten(const std::vector<at::Tensor>& ts, size_t from, size_t to) {
  std::vector<at::Tensor> flat;
  for (size_t i = from; i < to; i++) flat.push_back(ts[i].reshape({-1}));
  return at::cat(flat);
}

// Views of `flat` shaped as ts[from..to) (fresh tensors: nothing aliases the inputs).
void unflatten(const at::Tensor& flat, const std::vector<at::Tensor>& ts, size_t from, size_t to, std::vector<at::Tensor>& out) {
  int64_t off = 0;
  for (size_t i = from; i < to; i++) {
    const int64_t n = ts[i].numel();
    out.push_back(flat.narrow(0, off, n).view(ts[i].sizes()));
    off += n;
  }
}

#ifdef ICL_WITH_GLOO

struct Group {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroup> gloo;
  c10::intrusive_ptr<c10d::ProcessGroup> nccl;
  int rank = 0;
  int size = 1;
  // The gradient buckets of the last all-reduce, reused as DDP reuses its own: a fresh 146 MB buffer per step costs
  // more in page faults than the all-reduce itself on a small machine. A bucket is reused only when nothing else
  // holds its storage any more (the gradient views handed out last time are all freed), so nothing aliases.
  std::vector<at::Tensor> buckets;
};
// Never destroyed at exit: a group whose peers are gone could block a static destructor.
Group* group = nullptr;

Group& current() {
  if (group == nullptr) throw PgError("no process group (pgInit was not called)");
  return *group;
}

c10d::ProcessGroup& groupFor(const at::Tensor& t) {
  Group& g = current();
  if (t.is_cuda() && g.nccl) return *g.nccl;
  return *g.gloo;
}

void waitAll(std::vector<c10::intrusive_ptr<c10d::Work>>& works) {
  std::exception_ptr first;
  for (auto& w : works) {
    try {
      w->wait();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

bool loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

napi_value PgInit(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 5);
    if (a.size() < 5) throw PgError("pgInit(addr, port, rank, worldSize, timeoutMs)");
    const std::string addr = text(env, a[0], "addr");
    const int port = static_cast<int>(number(env, a[1], "port"));
    const int rank = static_cast<int>(number(env, a[2], "rank"));
    const int size = static_cast<int>(number(env, a[3], "worldSize"));
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(number(env, a[4], "timeoutMs")));
    const std::string where = addr + ":" + std::to_string(port);
    const double seconds = static_cast<double>(timeout.count()) / 1000.0;
    auto g = std::make_unique<Group>();
    g->rank = rank;
    g->size = size;
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(port);
    so.isServer = rank == 0;
    so.waitWorkers = false;
    so.timeout = timeout;
    try {
      g->store = c10::make_intrusive<c10d::TCPStore>(addr, so);
    } catch (const std::exception& e) {
      std::string why = e.what();
      why = why.substr(0, why.find('\n'));
      if (rank == 0) throw PgError("rendezvous: rank 0 could not host the store at " + where + " (" + why + ")");
      throw PgError("rendezvous at " + where + " timed out after " + c10::str(seconds) + " s: rank " + std::to_string(rank) +
                    " could not reach rank 0's store (" + why + "); is rank 0 running there?");
    }
    g->store->set("arrived/" + std::to_string(rank), std::vector<uint8_t>{'1'});
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::vector<int> missing;
      for (int r = 0; r < size; r++) {
        if (!g->store->check({"arrived/" + std::to_string(r)})) missing.push_back(r);
      }
      if (missing.empty()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        std::string ranks;
        for (size_t i = 0; i < missing.size(); i++) ranks += (i ? ", " : "") + std::to_string(missing[i]);
        throw PgError("rendezvous at " + where + " timed out after " + c10::str(seconds) + " s: rank" + (missing.size() > 1 ? "s " : " ") + ranks +
                      " of " + std::to_string(size) + " did not arrive");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    // The interface Gloo binds: GLOO_SOCKET_IFNAME as PyTorch reads it; the loopback device for a loopback rendezvous;
    // else the address this host's name resolves to (PyTorch's default).
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    std::string bound;
    if (ifname != nullptr && *ifname != '\0') {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      bound = std::string("interface ") + ifname;
    } else if (loopback(addr)) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      bound = "127.0.0.1";
    } else {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      bound = "this host's address";
    }
    opts->threads = 2;
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("pg", g->store);
    g->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, size, opts);
    group = g.release();
    return stringValue(env, bound);
  });
}

napi_value PgUseNccl(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    Group& g = current();
#ifdef ICL_WITH_NCCL
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("nccl", g.store);
    g.nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, g.rank, g.size, c10d::ProcessGroupNCCL::Options::create());
#else
    (void)g;
    throw PgError("this addon was built without NCCL (the linked libtorch has no ProcessGroupNCCL)");
#endif
    return undefinedValue(env);
  });
}

napi_value PgAllReduceMean(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 2);
    if (a.size() < 2) throw PgError("pgAllReduceMean(ids, bucketBytes)");
    auto ts = tensorsOf(env, a[0]);
    const auto limit = static_cast<int64_t>(number(env, a[1], "bucketBytes"));
    Group& g = current();
    auto parts = buckets(ts, limit);
    std::vector<at::Tensor> flats;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    if (g.buckets.size() < parts.size()) g.buckets.resize(parts.size());
    // A 0-dim CPU tensor as the divisor: ATen's Scalar overload of div_out computes into a new tensor and copies.
    const at::Tensor divisor = at::scalar_tensor(static_cast<double>(g.size), at::TensorOptions().dtype(ts.empty() ? at::kFloat : ts[0].scalar_type()));
    // Each gradient is divided by the world size on its way into the bucket (as DDP does), so the sum is the mean;
    // every bucket's all-reduce is started before the first is waited for (Gloo runs them on its threads).
    for (size_t b = 0; b < parts.size(); b++) {
      const auto [from, to] = parts[b];
      int64_t numel = 0;
      for (size_t i = from; i < to; i++) numel += ts[i].numel();
      at::Tensor& flat = g.buckets[b];
      const bool reuse = flat.defined() && flat.numel() == numel && flat.scalar_type() == ts[from].scalar_type() &&
                         flat.device() == ts[from].device() && flat.use_count() == 1 && flat.storage().use_count() == 1;
      if (!reuse) flat = at::empty({numel}, ts[from].options());
      int64_t off = 0;
      for (size_t i = from; i < to; i++) {
        const int64_t n = ts[i].numel();
        at::Tensor slot = flat.narrow(0, off, n);
        at::div_out(slot, ts[i].reshape({-1}), divisor);
        off += n;
      }
      flats.push_back(flat);
      std::vector<at::Tensor> one{flat};
      works.push_back(groupFor(flat).allreduce(one));
    }
    waitAll(works);
    std::vector<at::Tensor> out;
    out.reserve(ts.size());
    for (size_t b = 0; b < parts.size(); b++) unflatten(flats[b], ts, parts[b].first, parts[b].second, out);
    return jsArray(env, std::move(out));
  });
}

napi_value PgAllReduceF64(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 1);
    napi_typedarray_type tt;
    size_t length, offset;
    void* data;
    napi_value buf;
    if (a.empty() || napi_get_typedarray_info(env, a[0], &tt, &length, &data, &buf, &offset) != napi_ok || tt != napi_float64_array) {
      throw PgError("pgAllReduceF64(Float64Array)");
    }
    at::Tensor t = at::empty({static_cast<int64_t>(length)}, at::TensorOptions().dtype(at::kDouble));
    if (length > 0) std::memcpy(t.data_ptr(), data, length * sizeof(double));
    std::vector<at::Tensor> one{t};
    std::vector<c10::intrusive_ptr<c10d::Work>> works{current().gloo->allreduce(one)};
    waitAll(works);
    if (length > 0) std::memcpy(data, t.data_ptr(), length * sizeof(double));
    return undefinedValue(env);
  });
}

napi_value PgBroadcast(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 2);
    if (a.size() < 2) throw PgError("pgBroadcast(ids, root)");
    auto ts = tensorsOf(env, a[0]);
    c10d::BroadcastOptions bo;
    bo.rootRank = static_cast<int64_t>(number(env, a[1], "root"));
    auto parts = buckets(ts, INT64_MAX);
    std::vector<at::Tensor> flats;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (const auto& [from, to] : parts) {
      flats.push_back(flatten(ts, from, to));
      std::vector<at::Tensor> one{flats.back()};
      works.push_back(groupFor(flats.back()).broadcast(one, bo));
    }
    waitAll(works);
    std::vector<at::Tensor> out;
    for (size_t b = 0; b < parts.size(); b++) unflatten(flats[b], ts, parts[b].first, parts[b].second, out);
    return jsArray(env, std::move(out));
  });
}

napi_value PgBarrier(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    std::vector<c10::intrusive_ptr<c10d::Work>> works{current().gloo->barrier()};
    waitAll(works);
    return undefinedValue(env);
  });
}

napi_value PgStoreSet(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 2);
    if (a.size() < 2) throw PgError("pgStoreSet(key, value)");
    auto v = text(env, a[1], "value");
    current().store->set(text(env, a[0], "key"), std::vector<uint8_t>(v.begin(), v.end()));
    return undefinedValue(env);
  });
}

napi_value PgStoreCheck(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 1);
    if (a.empty()) throw PgError("pgStoreCheck(key)");
    return boolValue(env, current().store->check({text(env, a[0], "key")}));
  });
}

napi_value PgStoreGet(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = args(env, info, 1);
    if (a.empty()) throw PgError("pgStoreGet(key)");
    auto v = current().store->get(text(env, a[0], "key"));
    return stringValue(env, std::string(v.begin(), v.end()));
  });
}

napi_value PgDestroy(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    delete group;
    group = nullptr;
    return undefinedValue(env);
  });
}

#else  // no Gloo headers at build time: every collective says so

const char* kNoGloo =
    "this libtorch addon was built without Gloo (no gloo headers when it was built: apt-get install libgloo-dev, then npm run "
    "build:libtorch)";

napi_value Missing(napi_env env, napi_callback_info) {
  napi_throw_error(env, nullptr, kNoGloo);
  return nullptr;
}
#define PgInit Missing
#define PgUseNccl Missing
#define PgAllReduceMean Missing
#define PgAllReduceF64 Missing
#define PgBroadcast Missing
#define PgBarrier Missing
#define PgStoreSet Missing
#define PgStoreCheck Missing
#define PgStoreGet Missing
#define PgDestroy Missing

#endif

napi_value PgBackends(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value obj;
    PG_NAPI(napi_create_object(env, &obj));
#ifdef ICL_WITH_GLOO
    const bool gloo = true;
#else
    const bool gloo = false;
#endif
#ifdef ICL_WITH_NCCL
    const bool nccl = true;
#else
    const bool nccl = false;
#endif
    PG_NAPI(napi_set_named_property(env, obj, "gloo", boolValue(env, gloo)));
    PG_NAPI(napi_set_named_property(env, obj, "nccl", boolValue(env, nccl)));
    return obj;
  });
}

}  // namespace

namespace icl {

/** Adds the pg* functions to the addon's exports. */
bool registerProcessGroup(napi_env env, napi_value exports) {
  struct Fn {
    const char* name;
    napi_callback cb;
  };
  const Fn fns[] = {
      {"pgBackends", PgBackends}, {"pgInit", PgInit},           {"pgUseNccl", PgUseNccl},       {"pgAllReduceMean", PgAllReduceMean},
      {"pgAllReduceF64", PgAllReduceF64}, {"pgBroadcast", PgBroadcast}, {"pgBarrier", PgBarrier}, {"pgStoreSet", PgStoreSet},
      {"pgStoreCheck", PgStoreCheck}, {"pgStoreGet", PgStoreGet}, {"pgDestroy", PgDestroy},
  };
  for (const auto& f : fns) {
    napi_value fn;
    if (napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn) != napi_ok) return false;
    if (napi_set_named_property(env, exports, f.name, fn) != napi_ok) return false;
  }
  return true;
}

}  // namespace icl
