// Gradient-builder helpers (see grad_util.h).
#include "graph/ops/grad_util.h"

#include <algorithm>

#include "graph/error.h"

namespace bronze::grad {

Value SumToShape(GraphBuilder& b, Value g, const Shape& target) {
  const Shape gs = b.type(g).shape;
  if (gs == target) return g;
  const int64_t lead = gs.rank() - target.rank();
  if (lead < 0) {
    ThrowInternal("SumToShape: " + gs.ToString() + " has fewer dims than the target " + target.ToString());
  }
  std::vector<int64_t> leading, ones;
  for (int64_t a = 0; a < lead; ++a) leading.push_back(a);
  for (int64_t i = 0; i < target.rank(); ++i) {
    const Dim& t = target[i];
    const Dim& d = gs[lead + i];
    if (t == d) continue;
    if (t.is_static() && t.value() == 1) {
      ones.push_back(i);
    } else {
      ThrowInternal("SumToShape: " + gs.ToString() + " is not a broadcast of " + target.ToString());
    }
  }
  if (!leading.empty()) g = b.Op1("reduce_sum", {g}, {{"axes", leading}, {"keepdims", int64_t{0}}});
  if (!ones.empty()) g = b.Op1("reduce_sum", {g}, {{"axes", ones}, {"keepdims", int64_t{1}}});
  return g;
}

Value BroadcastTo(GraphBuilder& b, Value g, const Shape& target) {
  if (b.type(g).shape == target) return g;
  return b.Op1("expand", {g}, {{"shape", target}});
}

Value RestoreReducedAxes(GraphBuilder& b, Value g, std::vector<int64_t> axes, int64_t rank) {
  if (axes.empty()) {
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  }
  for (int64_t& a : axes) a = a < 0 ? a + rank : a;
  std::sort(axes.begin(), axes.end());
  // Reduced leading axes need no size-1 dims: broadcasting aligns trailing dims.
  bool leading = true;
  for (size_t k = 0; k < axes.size(); ++k) leading = leading && axes[k] == static_cast<int64_t>(k);
  if (leading) return g;
  return b.Op1("unsqueeze", {g}, {{"axes", axes}});
}

Value Scalar(GraphBuilder& b, double value, DType dtype, const std::string& name) {
  Tensor t = Tensor::Scalar<double>(value);
  if (dtype == DType::kF32) t = Tensor::Scalar<float>(static_cast<float>(value));
  else if (dtype != DType::kF64) ThrowInternal("grad::Scalar wants a float dtype, got " + std::string(DTypeName(dtype)));
  return b.Constant(t, name);
}

Value Count(GraphBuilder& b, const Shape& shape, DType dtype) {
  if (shape.is_static()) return Scalar(b, static_cast<double>(NumElements(shape.static_dims())), dtype);
  return b.Op1("numel", {}, {{"shape", shape}, {"dtype", dtype}});
}

Value Zeros(GraphBuilder& b, const TensorType& t) {
  return BroadcastTo(b, Scalar(b, 0.0, t.dtype), t.shape);
}

Value GradOrZeros(GraphBuilder& b, const Node& node, std::span<const Value> output_grads, size_t k) {
  if (output_grads[k].valid()) return output_grads[k];
  return Zeros(b, node.outputs[k]);
}

Value Add(GraphBuilder& b, Value x, Value y) { return b.Op1("add", {x, y}); }
Value Sub(GraphBuilder& b, Value x, Value y) { return b.Op1("sub", {x, y}); }
Value Mul(GraphBuilder& b, Value x, Value y) { return b.Op1("mul", {x, y}); }
Value Div(GraphBuilder& b, Value x, Value y) { return b.Op1("div", {x, y}); }
Value Neg(GraphBuilder& b, Value x) { return b.Op1("neg", {x}); }

Value ReduceToInput(GraphBuilder& b, const Node& node, size_t i, Value dx) {
  return SumToShape(b, dx, b.graph().type(node.inputs[i]).shape);
}

}  // namespace bronze::grad
