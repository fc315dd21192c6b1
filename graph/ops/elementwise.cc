// Binary elementwise ops with NumPy broadcasting: arithmetic (add, sub, mul, div). Operand
// dtypes must match: bronze never promotes implicitly. Unary ops live in unary.cc.
#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

OpSchema Binary(std::string name, uint32_t id, std::string doc) {
  OpSchema s = ops::MakeSchema(std::move(name), id, {"a", "b"}, FusionKind::kBroadcast, std::move(doc));
  s.infer = [](const InferContext& ctx) {
    DType d = ops::RequireSameDType(ctx);
    ops::RequireDType(d, ops::kNumericDTypes, "operand");
    return std::vector<TensorType>{{d, ops::BroadcastOrThrow(ctx.input(0).shape, ctx.input(1).shape)}};
  };
  s.validate = ValidateNothing;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, 1);
  };
  return s;
}

}  // namespace

void RegisterElementwiseOps(OpRegistry& r) {
  r.Register(Binary("add", 100, "a + b with NumPy broadcasting."));
  r.Register(Binary("sub", 101, "a - b with NumPy broadcasting."));
  r.Register(Binary("mul", 102, "a * b with NumPy broadcasting."));
  r.Register(Binary("div", 103, "a / b with NumPy broadcasting (integer division truncates)."));
}

}  // namespace bronze
