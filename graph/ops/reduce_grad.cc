// Gradient builders of the reduce family: reductions broadcast the output gradient back over the
// reduced axes; softmax-like ops use their saved outputs (softmax_grad / log_softmax_grad, fused
// backward ops registered here, ids 412-413). argmax and argmin are not differentiable.
//
// PyTorch conventions (torch/csrc/autograd/FunctionsManual.cpp), followed exactly:
//   reduce_mean: dy / count, count = the number of reduced elements (a numel node when any
//     reduced dim is symbolic, so one graph serves every batch size).
//   reduce_max / reduce_min (torch.amax / amin): the gradient is shared EVENLY among tied
//     extremes: dx = mask * (dy / sum(mask)), mask = (x == y). A slice whose result is NaN has
//     an all-false mask, so its gradient is 0 * (dy / 0) = NaN, as in PyTorch.
//   reduce_prod: dx_i = dy * (product of the other elements), exact with zeros: no zero in the
//     slice gives y / x_i; one zero gives the product of the others at the zero and 0 elsewhere;
//     two or more zeros give 0 everywhere (torch.prod's prod_backward).
//   logsumexp: dx = dy * exp(x - y) (torch's logsumexp_backward).
//   softmax: dx = y * (dy - sum(dy * y)); log_softmax: dx = dy - exp(y) * sum(dy), both along
//     `axis` and both from the OUTPUT y (torch._softmax_backward_data /
//     _log_softmax_backward_data), so the backward keeps y, not x.
#include "graph/ops/common.h"
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

// The reduction's output (with size-1 reduced axes), for builders that reuse it.
Value KeptOutput(GraphBuilder& b, const Node& n) { return KeptDims(b, n, Value{n.id, 0}); }

// The shape made of the reduced dims of the input (possibly symbolic): its element count is the
// number of elements reduced into each output.
Shape ReducedDims(GraphBuilder& b, const Node& n) {
  const Shape& x = b.type(n.inputs[0]).shape;
  std::vector<Dim> dims;
  for (int64_t a : ops::ReductionAxes(n.attrs.at("axes").ints(), x.rank())) dims.push_back(x[a]);
  return Shape(std::move(dims));
}

// Sums `v` over the node's reduced axes keeping them as size 1.
Value SumKept(GraphBuilder& b, const Node& n, Value v) {
  const int64_t rank = b.type(n.inputs[0]).shape.rank();
  return b.Op1("reduce_sum", {v},
               {{"axes", ops::ReductionAxes(n.attrs.at("axes").ints(), rank)},
                {"keepdims", int64_t{1}}});
}

Value CastTo(GraphBuilder& b, Value v, DType dtype) {
  return b.Op1("cast", {v}, {{"dtype", dtype}});
}

// Wraps a builder so that integer reductions (no gradient) pass none.
GradFn FloatOnly(GradFn fn) {
  return [fn](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    if (!IsFloating(b.type(n.inputs[0]).dtype)) return std::vector<Value>{Value{}};
    return fn(b, n, g);
  };
}

std::vector<Value> MeanGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const TensorType& x = b.type(n.inputs[0]);
  Value count = grad::Count(b, ReducedDims(b, n), x.dtype);
  Value dy = grad::Div(b, KeptDims(b, n, g[0]), count);
  return {grad::BroadcastTo(b, dy, x.shape)};
}

// amax / amin: the gradient split evenly among the elements equal to the result.
std::vector<Value> ExtremeGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const TensorType& x = b.type(n.inputs[0]);
  Value mask = CastTo(b, b.Op1("equal", {n.inputs[0], KeptOutput(b, n)}), x.dtype);
  Value share = grad::Div(b, KeptDims(b, n, g[0]), SumKept(b, n, mask));
  return {grad::Mul(b, mask, share)};  // broadcasts share (kept dims) to x's shape
}

// Exact product rule with zeros: others_i = (zeros among the others == 0) ? p / x_safe_i : 0,
// where p is the product of the nonzero elements and x_safe is x with zeros replaced by 1.
std::vector<Value> ProdGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const Value x = n.inputs[0];
  const DType dt = b.type(x).dtype;
  Value zero = grad::Scalar(b, 0.0, dt);
  Value is_zero = b.Op1("equal", {x, zero});
  Value x_safe = b.Op1("where", {is_zero, grad::Scalar(b, 1.0, dt), x});
  Value nonzero_prod = b.Op1("reduce_prod", {x_safe},
                             {{"axes", n.attrs.at("axes")}, {"keepdims", int64_t{1}}});
  Value zeros_in = CastTo(b, is_zero, dt);
  Value zeros_elsewhere = grad::Sub(b, SumKept(b, n, zeros_in), zeros_in);
  Value others = b.Op1("where", {b.Op1("equal", {zeros_elsewhere, zero}),
                                 grad::Div(b, nonzero_prod, x_safe), zero});
  return {grad::Mul(b, others, KeptDims(b, n, g[0]))};
}

std::vector<Value> LogSumExpGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  Value p = b.Op1("exp", {grad::Sub(b, n.inputs[0], KeptOutput(b, n))});
  return {grad::Mul(b, p, KeptDims(b, n, g[0]))};
}

// softmax_grad(dy, y) and log_softmax_grad(dy, y): fused backward ops reading the output y.
OpSchema MakeSoftmaxGrad(const char* name, uint32_t id, std::string doc) {
  OpSchema s = ops::MakeSchema(name, id, {"dy", "y"}, FusionKind::kOpaque, std::move(doc));
  s.attrs = {{"axis", AttrType::kInt, Attribute(int64_t{-1}),
              "the axis the forward op normalized over, negative counts from the end"}};
  s.infer = [](const InferContext& ctx) {
    const TensorType& dy = ctx.input(0);
    const TensorType& y = ctx.input(1);
    ops::RequireDType(y.dtype, {DType::kF32, DType::kF64}, "input y");
    if (dy.dtype != y.dtype) {
      throw TypeError("dy " + dy.ToString() + " and y " + y.ToString() +
                      " must have the same dtype");
    }
    if (dy.shape != y.shape) {
      throw ShapeError("dy " + dy.ToString() + " and y " + y.ToString() +
                       " must have the same shape (no broadcasting)");
    }
    NormalizeAxis(ctx.attr("axis").i(), y.shape.rank(), "axis");
    return std::vector<TensorType>{y};
  };
  s.validate = ValidateNothing;
  s.differentiability = Differentiability::kNotDifferentiable;
  // A sum and a scale per element (plus an exp for log_softmax): read dy and y twice, write dx.
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, 6);
  };
  return s;
}

void RegisterSoftmaxGradOps(OpRegistry& r) {
  const std::string common =
      " Inputs dy (the gradient of y) and y (the forward output), same shape and dtype (f32 or "
      "f64); the output dx has their type. Reads only y, never x, so the backward pass keeps "
      "one tensor per softmax. Sums along `axis` accumulate in double (the f32 cpu kernel: f64 "
      "lanes, long rows in fixed chunks combined in order). NaN in dy or y propagates along "
      "the slice; empty inputs give empty outputs. Not differentiable (no second derivatives).";
  r.Register(MakeSoftmaxGrad(
      "softmax_grad", 412,
      "dx = y * (dy - sum(dy * y, axis, keepdims)), the backward of y = softmax(x, axis); "
      "torch.ops.aten._softmax_backward_data(dy, y, axis, y.dtype)." +
          common));
  r.Register(MakeSoftmaxGrad(
      "log_softmax_grad", 413,
      "dx = dy - exp(y) * sum(dy, axis, keepdims), the backward of y = log_softmax(x, axis); "
      "torch.ops.aten._log_softmax_backward_data(dy, y, axis, y.dtype)." +
          common));
}

}  // namespace

void RegisterReduceGrads(OpRegistry& r) {
  RegisterSoftmaxGradOps(r);
  r.SetGrad("reduce_sum", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    const Shape& x = b.type(n.inputs[0]).shape;
    return std::vector<Value>{grad::BroadcastTo(b, KeptDims(b, n, g[0]), x)};
  });
  r.SetGrad("reduce_mean", MeanGrad);
  r.SetGrad("reduce_max", FloatOnly(ExtremeGrad));
  r.SetGrad("reduce_min", FloatOnly(ExtremeGrad));
  r.SetGrad("reduce_prod", FloatOnly(ProdGrad));
  r.SetGrad("logsumexp", LogSumExpGrad);
  r.SetGrad("softmax", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    return std::vector<Value>{
        b.Op1("softmax_grad", {g[0], Value{n.id, 0}}, {{"axis", n.attrs.at("axis")}})};
  });
  r.SetGrad("log_softmax", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    return std::vector<Value>{
        b.Op1("log_softmax_grad", {g[0], Value{n.id, 0}}, {{"axis", n.attrs.at("axis")}})};
  });
}

}  // namespace bronze
