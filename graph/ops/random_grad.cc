// Gradient builders of the random family. dropout is linear in x with a mask that is a pure
// function of (seed, offset, element index), so its gradient recomputes the mask instead of
// storing it: dx = dropout(dy, offset) with the forward's attributes (identity when training = 0
// or p = 0), which is torch's grad * mask * 1/(1 - p). The offset gets no gradient.
#include "graph/ops/grad_util.h"
#include "graph/ops/ops.h"
#include "graph/op_registry.h"

namespace bronze {

void RegisterRandomGrads(OpRegistry& r) {
  r.SetGrad("dropout", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    std::vector<Value> grads(n.inputs.size());
    if (n.attrs.at("training").i() == 0 || n.attrs.at("p").f() == 0.0) {
      grads[0] = g[0];
      return grads;
    }
    std::vector<Value> in = {g[0]};
    if (n.inputs.size() == 2) in.push_back(n.inputs[1]);
    grads[0] = b.Op1("dropout", std::move(in), n.attrs);
    return grads;
  });
}

}  // namespace bronze
