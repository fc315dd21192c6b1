// Gradient builders of the elementwise (binary, broadcasting) family. Each input's gradient is
// summed back over the axes broadcasting added (grad::ReduceToInput). The formulas and the
// conventions at ties and singular points are PyTorch's (torch/csrc/autograd/derivatives.yaml):
//   div:     da = dy / b, db = -dy * a / b^2 (computed as -(dy / b) * out);
//   pow:     da = dy * b * a^(b - 1), 0 where b == 0 (even at a = 0); db = dy * out * ln(a),
//            0 where a == 0 and b >= 0; a negative base gives ln(a) = NaN, so db is NaN there
//            (as PyTorch for real tensors);
//   maximum: at ties (a == b) each operand gets dy / 2 (torch.maximum since 1.7); else the
//            larger one gets dy; where a NaN makes neither a < b nor a > b, both get dy;
//   minimum: the same with the smaller one;
//   where:   dy flows to the selected operand (where(cond, dy, 0) and where(cond, 0, dy)); the
//            bool condition gets no gradient.
// The comparisons and logical ops are not differentiable (graph/ops/elementwise.cc).
#include "graph/ops/grad_util.h"
#include "graph/ops/ops.h"
#include "graph/op_registry.h"

namespace bronze {
namespace {

using grad::ReduceToInput;
using GradArgs = std::span<const Value>;

Value Zero(GraphBuilder& b, const Node& n) { return grad::Scalar(b, 0.0, n.outputs[0].dtype); }

// maximum (larger = true) or minimum: the gradients of a and b.
std::vector<Value> MaxMinGrad(GraphBuilder& b, const Node& n, Value dy, bool larger) {
  const Value a = n.inputs[0], c = n.inputs[1];
  const Value zero = Zero(b, n);
  const Value half = grad::Mul(b, dy, grad::Scalar(b, 0.5, n.outputs[0].dtype));
  const Value shared = b.Op1("where", {b.Op1("equal", {a, c}), half, dy});
  const Value a_loses = b.Op1(larger ? "less" : "greater", {a, c});
  const Value b_loses = b.Op1(larger ? "greater" : "less", {a, c});
  return {ReduceToInput(b, n, 0, b.Op1("where", {a_loses, zero, shared})),
          ReduceToInput(b, n, 1, b.Op1("where", {b_loses, zero, shared}))};
}

}  // namespace

void RegisterElementwiseGrads(OpRegistry& r) {
  r.SetGrad("add", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return std::vector<Value>{ReduceToInput(b, n, 0, g[0]), ReduceToInput(b, n, 1, g[0])};
  });
  r.SetGrad("sub", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return std::vector<Value>{ReduceToInput(b, n, 0, g[0]),
                              ReduceToInput(b, n, 1, grad::Neg(b, g[0]))};
  });
  r.SetGrad("mul", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return std::vector<Value>{ReduceToInput(b, n, 0, grad::Mul(b, g[0], n.inputs[1])),
                              ReduceToInput(b, n, 1, grad::Mul(b, g[0], n.inputs[0]))};
  });
  r.SetGrad("div", [](GraphBuilder& b, const Node& n, GradArgs g) {
    const Value da = grad::Div(b, g[0], n.inputs[1]);
    const Value db = grad::Neg(b, grad::Mul(b, da, Value{n.id, 0}));
    return std::vector<Value>{ReduceToInput(b, n, 0, da), ReduceToInput(b, n, 1, db)};
  });
  r.SetGrad("pow", [](GraphBuilder& b, const Node& n, GradArgs g) {
    const Value a = n.inputs[0], e = n.inputs[1];
    const DType dt = n.outputs[0].dtype;
    const Value zero = Zero(b, n);
    const Value one = grad::Scalar(b, 1.0, dt);
    const Value a_pow = b.Op1("pow", {a, grad::Sub(b, e, one)});
    const Value da_full = grad::Mul(b, g[0], grad::Mul(b, e, a_pow));
    const Value da = b.Op1("where", {b.Op1("equal", {e, zero}), zero, da_full});
    const Value out_log_a = grad::Mul(b, Value{n.id, 0}, b.Op1("log", {a}));
    // a == 0 and b >= 0 (b >= 0 spelled as b > 0 or b == 0: false for NaN, as in PyTorch).
    const Value e_nonneg =
        b.Op1("logical_or", {b.Op1("greater", {e, zero}), b.Op1("equal", {e, zero})});
    const Value base_zero = b.Op1("logical_and", {b.Op1("equal", {a, zero}), e_nonneg});
    // dy * where(...), as PyTorch: an infinite dy times the zero gives NaN, like theirs.
    const Value db = grad::Mul(b, g[0], b.Op1("where", {base_zero, zero, out_log_a}));
    return std::vector<Value>{ReduceToInput(b, n, 0, da), ReduceToInput(b, n, 1, db)};
  });
  r.SetGrad("maximum", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return MaxMinGrad(b, n, g[0], /*larger=*/true);
  });
  r.SetGrad("minimum", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return MaxMinGrad(b, n, g[0], /*larger=*/false);
  });
  r.SetGrad("where", [](GraphBuilder& b, const Node& n, GradArgs g) {
    const Value cond = n.inputs[0], zero = Zero(b, n);
    return std::vector<Value>{Value{}, ReduceToInput(b, n, 1, b.Op1("where", {cond, g[0], zero})),
                              ReduceToInput(b, n, 2, b.Op1("where", {cond, zero, g[0]}))};
  });
}

}  // namespace bronze
