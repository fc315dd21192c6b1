// Reference kernels for shape ops on every dtype (they move bytes): reshape (a copy; the planner
// will alias it later) and transpose.
#include <cstring>

#include "graph/ops/common.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

void Reshape(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  if (in[0].nbytes()) std::memcpy(out[0].raw_data(), in[0].raw_data(), in[0].nbytes());
}

void Transpose(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  std::vector<int64_t> perm = ops::TransposePermutation(attrs.at("perm").ints(), in[0].rank());
  std::vector<int64_t> in_strides = Strides(in[0].dims());
  std::vector<int64_t> permuted(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) permuted[d] = in_strides[static_cast<size_t>(perm[d])];
  const std::vector<int64_t> strides[1] = {permuted};
  const size_t size = DTypeSize(in[0].dtype());
  const char* x = static_cast<const char*>(in[0].raw_data());
  char* y = static_cast<char*>(out[0].raw_data());
  ForEachIndex(out[0].dims(), strides, [&](int64_t i, const int64_t* off) {
    std::memcpy(y + static_cast<size_t>(i) * size, x + static_cast<size_t>(off[0]) * size, size);
  });
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefShapeKernels(KernelRegistry& r) {
  for (DType d : kAllDTypes) {
    ref::Register(r, "reshape", d, &ref::Reshape);
    ref::Register(r, "transpose", d, &ref::Transpose);
  }
}

}  // namespace bronze
