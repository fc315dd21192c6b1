// Gradient builders of the elementwise (binary, broadcasting) family. Each input's gradient is
// summed back over the axes broadcasting added (grad::ReduceToInput).
#include "graph/ops/grad_util.h"
#include "graph/ops/ops.h"
#include "graph/op_registry.h"

namespace bronze {

using grad::ReduceToInput;

void RegisterElementwiseGrads(OpRegistry& r) {
  r.SetGrad("add", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    return std::vector<Value>{ReduceToInput(b, n, 0, g[0]), ReduceToInput(b, n, 1, g[0])};
  });
  r.SetGrad("sub", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    return std::vector<Value>{ReduceToInput(b, n, 0, g[0]), ReduceToInput(b, n, 1, grad::Neg(b, g[0]))};
  });
  r.SetGrad("mul", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    return std::vector<Value>{ReduceToInput(b, n, 0, grad::Mul(b, g[0], n.inputs[1])),
                              ReduceToInput(b, n, 1, grad::Mul(b, g[0], n.inputs[0]))};
  });
}

}  // namespace bronze
