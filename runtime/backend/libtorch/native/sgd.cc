// What the SGD step (runtime/backend/libtorch/sgd_kernel.ts) needs to update parameters and momentum buffers in place,
// as torch.optim.SGD does, instead of allocating a new copy of every parameter and buffer each step (for VGG-15 that
// is 59 MB each, and it made the optimizer step the peak of a training step):
//
//   icl::storage_exclusive(Tensor[] tensors) -> bool[]
//
// whether each tensor is the only one that uses its storage: no view or alias of it is alive (a tfjs tensor that
// shares the same addon handle is seen by the TypeScript side, through the backend's reference count).
#include <ATen/ATen.h>
#include <torch/library.h>

#include <vector>

namespace {

c10::List<bool> storageExclusive(const std::vector<at::Tensor>& tensors) {
  c10::List<bool> out;
  out.reserve(tensors.size());
  for (const at::Tensor& t : tensors) out.push_back(t.defined() && t.has_storage() && t.storage().use_count() == 1);
  return out;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(icl, m) { m.def("storage_exclusive(Tensor[] tensors) -> bool[]", storageExclusive); }
