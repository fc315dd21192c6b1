// Gradient builders of the reduce family: reductions broadcast the output gradient back over the
// reduced axes; softmax-like ops use their saved outputs.
#include "graph/ops/grad_util.h"
#include "graph/ops/ops.h"
#include "graph/op_registry.h"

namespace bronze {
namespace {

// The output gradient of a reduction with its reduced axes restored (size 1) when keepdims=0.
Value KeptDims(GraphBuilder& b, const Node& n, Value g) {
  if (n.attrs.at("keepdims").i() == 1) return g;
  const int64_t rank = b.type(n.inputs[0]).shape.rank();
  return grad::RestoreReducedAxes(b, g, n.attrs.at("axes").ints(), rank);
}

}  // namespace

void RegisterReduceGrads(OpRegistry& r) {
  r.SetGrad("reduce_sum", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    const Shape& x = b.type(n.inputs[0]).shape;
    return std::vector<Value>{grad::BroadcastTo(b, KeptDims(b, n, g[0]), x)};
  });
}

}  // namespace bronze
