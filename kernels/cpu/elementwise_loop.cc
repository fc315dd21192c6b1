// Broadcast loop plans for the fast elementwise kernels: dropping size-1 dims and merging dims
// that every operand walks contiguously (see elementwise_loop.h).
#include "kernels/cpu/elementwise_loop.h"

#include <array>

#include "graph/error.h"

namespace bronze::cpu {

BroadcastLoop MakeBroadcastLoop(const Dims& out, std::span<const Dims> inputs) {
  BRONZE_CHECK(!inputs.empty() && inputs.size() <= kMaxLoopInputs);
  BroadcastLoop loop;
  loop.num_inputs = static_cast<int>(inputs.size());
  loop.numel = NumElements(out);
  if (loop.numel == 0) return loop;  // nothing to walk

  struct Axis {
    int64_t dim;
    std::array<int64_t, kMaxLoopInputs> stride;
  };
  const size_t rank = out.size();
  // Each input's row-major strides, right-aligned against `out`, 0 where it is broadcast.
  std::vector<std::array<int64_t, kMaxLoopInputs>> strides(rank);
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Dims& in = inputs[k];
    BRONZE_CHECK(in.size() <= rank);
    const size_t shift = rank - in.size();
    int64_t s = 1;
    for (size_t d = rank; d-- > 0;) strides[d][k] = 0;
    for (size_t j = in.size(); j-- > 0;) {
      BRONZE_CHECK(in[j] == out[j + shift] || in[j] == 1);
      strides[j + shift][k] = in[j] == 1 ? 0 : s;
      s *= in[j];
    }
  }
  // Drop size-1 output dims; merge an axis into the one outside it when every input is
  // contiguous across the two (stride of the outer = stride of the inner * its length).
  std::vector<Axis> axes;
  for (size_t d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;
    Axis cur{out[d], strides[d]};
    if (!axes.empty()) {
      Axis& last = axes.back();
      bool merge = true;
      for (size_t k = 0; k < inputs.size(); ++k) merge &= last.stride[k] == cur.stride[k] * cur.dim;
      if (merge) {
        last.dim *= cur.dim;
        last.stride = cur.stride;
        continue;
      }
    }
    axes.push_back(cur);
  }
  if (axes.empty()) {  // a single element
    for (size_t k = 0; k < inputs.size(); ++k) loop.inner_step[k] = false;
    return loop;
  }
  const Axis& inner = axes.back();
  loop.inner = inner.dim;
  for (size_t k = 0; k < inputs.size(); ++k) {
    // The innermost kept dim of a contiguous input has stride 1 unless it is broadcast.
    BRONZE_CHECK(inner.stride[k] == 0 || inner.stride[k] == 1);
    loop.inner_step[k] = inner.stride[k] == 1;
  }
  for (size_t a = 0; a + 1 < axes.size(); ++a) {
    loop.outer.push_back(axes[a].dim);
    for (size_t k = 0; k < inputs.size(); ++k) loop.outer_strides[k].push_back(axes[a].stride[k]);
  }
  return loop;
}

}  // namespace bronze::cpu
