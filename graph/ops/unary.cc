// Unary elementwise ops (ids 200-299): activations and math functions of one tensor. The
// output has the input's shape and dtype.
#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

OpSchema Unary(std::string name, uint32_t id, std::initializer_list<DType> dtypes,
               double flops, std::string doc) {
  OpSchema s = ops::MakeSchema(std::move(name), id, {"x"}, FusionKind::kElementwise, std::move(doc));
  s.infer = [dtypes](const InferContext& ctx) {
    ops::RequireDType(ctx.input(0).dtype, dtypes, "input x");
    return std::vector<TensorType>{ctx.input(0)};
  };
  s.validate = ValidateNothing;
  s.cost = [flops](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, flops);
  };
  return s;
}

}  // namespace

void RegisterUnaryOps(OpRegistry& r) {
  r.Register(Unary("relu", 200, ops::kNumericDTypes, 1, "max(x, 0)."));
  r.Register(Unary("exp", 201, ops::kFloatDTypes, 8, "e to the power x."));
}

}  // namespace bronze
