// Helpers for the reference kernels: broadcast strides, multi-index iteration, accumulator types
// and registration shorthands. Reference kernels are naive and single-threaded on purpose: they
// are the oracle every other backend is tested against.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "graph/shape.h"
#include "kernels/kernel.h"

namespace bronze::ref {

// Row-major strides (in elements) of `dims`.
std::vector<int64_t> Strides(const Dims& dims);
// Strides to read an input of dims `in` at each multi-index of the (broadcast) shape `out`:
// 0 along broadcast dims, and `in` right-aligned against `out`.
std::vector<int64_t> BroadcastStrides(const Dims& in, const Dims& out);

// Calls f(flat_output_index, offsets...) for every element of `out`, where offset k advances by
// strides[k] per step of the multi-index. The odometer is the only indexing logic ref kernels
// share.
template <size_t N, typename F>
void ForEachIndex(const Dims& out, const std::vector<int64_t> (&strides)[N], F&& f) {
  int64_t total = NumElements(out);
  if (total == 0) return;
  size_t rank = out.size();
  std::vector<int64_t> idx(rank, 0);
  int64_t off[N] = {};
  for (int64_t flat = 0; flat < total; ++flat) {
    f(flat, off);
    for (size_t d = rank; d-- > 0;) {
      ++idx[d];
      for (size_t k = 0; k < N; ++k) off[k] += strides[k][d];
      if (idx[d] < out[d]) break;
      for (size_t k = 0; k < N; ++k) off[k] -= strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

// Accumulation type: double for floating point, int64 for integers.
template <typename T>
using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

inline void Register(KernelRegistry& r, const char* op, DType dtype, KernelFn fn) {
  r.Register(KernelEntry{op, DeviceKind::kCPU, dtype, "ref", 0, FunctionKernel(fn)});
}

}  // namespace bronze::ref
