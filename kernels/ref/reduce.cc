// Reference reduce_sum over any set of axes, accumulating in double (floats) or int64 (integers).
// f32, f64, i32, i64.
#include <algorithm>

#include "graph/ops/common.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

template <typename T>
void ReduceSum(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out) {
  const Dims& xd = in[0].dims();
  std::vector<int64_t> axes = ops::ReductionAxes(attrs.at("axes").ints(), in[0].rank());
  Dims kept = xd;  // the output with keepdims: reduced axes are size 1
  for (int64_t a : axes) kept[static_cast<size_t>(a)] = 1;
  std::vector<Acc<T>> acc(static_cast<size_t>(NumElements(kept)), 0);
  const std::vector<int64_t> strides[1] = {BroadcastStrides(kept, xd)};
  const T* x = in[0].data<T>();
  ForEachIndex(xd, strides, [&](int64_t i, const int64_t* off) { acc[static_cast<size_t>(off[0])] += x[i]; });
  T* y = out[0].data<T>();
  for (size_t i = 0; i < acc.size(); ++i) y[i] = static_cast<T>(acc[i]);
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefReduceKernels(KernelRegistry& r) {
  ref::Register(r, "reduce_sum", DType::kF32, &ref::ReduceSum<float>);
  ref::Register(r, "reduce_sum", DType::kF64, &ref::ReduceSum<double>);
  ref::Register(r, "reduce_sum", DType::kI32, &ref::ReduceSum<int32_t>);
  ref::Register(r, "reduce_sum", DType::kI64, &ref::ReduceSum<int64_t>);
}

}  // namespace bronze
