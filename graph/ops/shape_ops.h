// Helpers shared by the shape-op schemas (graph/ops/shape_ops*.cc) and their kernels
// (kernels/ref/shape.cc, kernels/cpu/shape*.cc): the concrete meaning of slice and pad attributes,
// so the shape function and every kernel resolve them the same way, and the registration
// functions of the shape-op files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "graph/attribute.h"

namespace bronze {

class OpRegistry;

namespace ops {

// One axis of a slice on a dim of concrete size `dim`, with Python/NumPy semantics (negative
// indices count from the end, out-of-range indices clamp, negative steps walk backwards):
// element i of the result is input element start + i * step, for i in [0, count).
struct SliceRange {
  int64_t start = 0;
  int64_t step = 1;
  int64_t count = 0;
};
SliceRange ResolveSliceRange(int64_t dim, int64_t start, int64_t stop, int64_t step);

// The slice of every axis of an input of concrete dims `dims` under the slice op's attributes
// (axes not listed: the whole axis). Assumes the attributes passed the shape function.
std::vector<SliceRange> ResolveSlice(const AttrMap& attrs, const Dims& dims);

// The pad op's `pads` (torch.nn.functional.pad order: last dim first, [left, right, top,
// bottom, ...]) as (before, after) per axis of a rank-`rank` input; axes not covered get (0, 0).
std::vector<std::pair<int64_t, int64_t>> PadAmounts(const std::vector<int64_t>& pads, int64_t rank);

// The axis a flatten/squeeze-style op addresses: like NormalizeAxis, but a scalar counts as rank
// 1 (PyTorch wraps dims of 0-d tensors that way).
int64_t NormalizeAxisScalarAsVector(int64_t axis, int64_t rank, const char* what);

// Ops whose output is their input's bytes unchanged under another shape: their kernels are one
// copy, skipped when the planner gives the output the input's buffer (runtime/plan.cc does when
// the input dies there).
inline constexpr const char* kBytesViewOps[] = {"reshape", "flatten", "squeeze", "unsqueeze",
                                                "stop_gradient"};
inline bool IsBytesView(std::string_view op) {
  for (const char* v : kBytesViewOps) {
    if (op == v) return true;
  }
  return false;
}

// The run-time error of gather, one_hot and embedding for an index outside [lo, hi]: an
// InvalidArgumentError naming the index, its flat position in the indices tensor, the range
// (`range`, e.g. "axis 0 of size 5") and the valid values.
[[noreturn]] void ThrowIndexOutOfRange(int64_t index, int64_t position, const std::string& range,
                                       int64_t lo, int64_t hi);

}  // namespace ops

// The three parts of RegisterShapeOps (declared in graph/ops/ops.h).
void RegisterShapeViewOps(OpRegistry& registry);   // shape_ops.cc: reshape ... expand
void RegisterShapeJoinOps(OpRegistry& registry);   // shape_ops_join.cc: concat ... pad
void RegisterShapeIndexOps(OpRegistry& registry);  // shape_ops_index.cc: gather, one_hot, embedding
void RegisterShapeMetaOps(OpRegistry& registry);   // shape_ops_meta.cc: stop_gradient, numel
// shape_ops_grad.cc: slice_backward, pad_backward, gather_backward, embedding_backward; called
// by RegisterShapeGrads (shape_grad.cc) before the builders that use them.
void RegisterShapeGradOps(OpRegistry& registry);

}  // namespace bronze
