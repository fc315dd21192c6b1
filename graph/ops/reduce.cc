// Reductions: reduce_sum over a set of axes (empty: all axes), with keepdims.
#include <algorithm>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

void ValidateReduce(const AttrMap& attrs) {
  int64_t keepdims = attrs.at("keepdims").i();
  if (keepdims != 0 && keepdims != 1) {
    throw AttributeError("keepdims must be 0 or 1, got " + std::to_string(keepdims));
  }
}

}  // namespace

std::vector<int64_t> ops::ReductionAxes(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  if (axes.empty()) {
    for (int64_t k = 0; k < rank; ++k) out.push_back(k);
    return out;
  }
  for (int64_t a : axes) {
    int64_t n = NormalizeAxis(a, rank, "axis");
    if (std::find(out.begin(), out.end(), n) != out.end()) {
      throw AttributeError("axis " + std::to_string(a) + " appears twice in axes");
    }
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void RegisterReduceOps(OpRegistry& r) {
  OpSchema s = ops::MakeSchema("reduce_sum", 400, {"x"}, FusionKind::kReduction,
                               "Sum over `axes` (empty: every axis); keepdims=1 keeps reduced "
                               "axes as size 1.");
  s.attrs = {{"axes", AttrType::kInts, Attribute(std::vector<int64_t>{}), "axes to reduce; empty = all"},
             {"keepdims", AttrType::kInt, Attribute(int64_t{0}), "1 keeps reduced axes as size 1"}};
  s.infer = [](const InferContext& ctx) {
    const TensorType& x = ctx.input(0);
    ops::RequireDType(x.dtype, ops::kNumericDTypes, "input x");
    std::vector<int64_t> axes = ops::ReductionAxes(ctx.attr("axes").ints(), x.shape.rank());
    bool keep = ctx.attr("keepdims").i() == 1;
    std::vector<Dim> out;
    for (int64_t k = 0; k < x.shape.rank(); ++k) {
      bool reduced = std::binary_search(axes.begin(), axes.end(), k);
      if (!reduced) out.push_back(x.shape[k]);
      else if (keep) out.push_back(Dim(1));
    }
    return std::vector<TensorType>{{x.dtype, Shape(std::move(out))}};
  };
  s.validate = ValidateReduce;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    c.flops = ops::StaticNumel(in[0]);
    return c;
  };
  r.Register(std::move(s));
}

}  // namespace bronze
