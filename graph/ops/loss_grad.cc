// Gradient builders of the loss family, and its backward ops (ids 710-711).
//
// cross_entropy and nll differentiate through fused backward ops, cross_entropy_backward and
// nll_backward (grad, input, target) -> d input: the mean's denominator (the number of
// non-ignored targets) is data-dependent, so the kernels count it themselves, which also makes
// the gradient graph independent of a symbolic batch size. Integer targets get no gradient.
//
// mse, l1 and binary_cross_entropy_with_logits are composites of elementwise ops, PyTorch's
// backward formulas, with "mean" dividing by grad::Count (a numel node for symbolic shapes):
//   mse: d input = 2 (x - t) dy / count, d target = -d input;
//   l1:  d input = sign(x - t) dy / count with sign(0) = 0 (a NaN difference also gives 0),
//        d target = -d input;
//   bce: d input = (sigmoid(x) (1 + (pw - 1) t) - pw t) dy / count,
//        d target = (-x - (pw - 1) log_sigmoid(x)) dy / count,
//        d pos_weight = sum over the broadcast dims of -t log_sigmoid(x) dy / count
//   (PyTorch's binary_cross_entropy_with_logits_backward and _target_backward).
#include <string>

#include "graph/ops/common.h"
#include "graph/ops/grad_util.h"
#include "graph/ops/ops.h"
#include "graph/op_registry.h"

namespace bronze {
namespace {

using grad::Add;
using grad::Div;
using grad::Mul;
using grad::Neg;
using grad::Scalar;
using grad::Sub;

// ---- Backward ops ----

// A backward op of a class-target loss: inputs (grad, input, target) and the forward's
// attributes. Its shape function runs the forward's on (input, target) and checks that grad has
// the loss's type; the output is input's type.
OpSchema ClassTargetBackward(const OpRegistry& r, const std::string& forward, std::string name,
                             uint32_t id, std::string doc) {
  const OpSchema& f = r.Get(forward);
  OpSchema s = ops::MakeSchema(std::move(name), id, {"grad", "input", "target"},
                               FusionKind::kOpaque, std::move(doc));
  s.attrs = f.attrs;
  s.validate = f.validate;
  s.infer = [fwd = f.infer](const InferContext& ctx) {
    const InferContext forward_ctx{ctx.attrs, ctx.inputs.subspan(1)};
    const TensorType loss = fwd(forward_ctx)[0];
    const TensorType& g = ctx.input(0);
    if (g.dtype != loss.dtype) {
      throw TypeError("grad dtype " + std::string(DTypeName(g.dtype)) +
                      " differs from input dtype " + std::string(DTypeName(loss.dtype)));
    }
    if (g.shape != loss.shape) {
      throw ShapeError("grad shape " + g.shape.ToString() + " does not match the loss shape " +
                       loss.shape.ToString() + " (reduction \"" + ctx.attr("reduction").s() +
                       "\", input shape " + ctx.input(1).shape.ToString() + ")");
    }
    return std::vector<TensorType>{ctx.input(1)};
  };
  s.differentiability = Differentiability::kNotDifferentiable;
  s.dispatch_input = 1;
  return s;
}

OpSchema CrossEntropyBackward(const OpRegistry& r) {
  OpSchema s = ClassTargetBackward(
      r, "cross_entropy", "cross_entropy_backward", 710,
      "The gradient of cross_entropy with respect to its logits, fused: what "
      "torch.ops.aten._log_softmax_backward_data(torch.ops.aten.nll_loss_backward(...)) plus the "
      "label-smoothing term compute in PyTorch. Inputs: grad (the loss's gradient: shape () for "
      "\"mean\" and \"sum\", the target's shape for \"none\"), input (the forward's logits), "
      "target (its integer class indices); attributes exactly the forward's. Output, shaped "
      "like input: per sample with softmax p over the class dim and smoothed one-hot "
      "q_c = (1 - label_smoothing) [c = target] + label_smoothing / C, d input_c = (p_c - q_c) * "
      "g, where g = grad for \"sum\", grad / (number of samples whose target is not "
      "ignore_index) for \"mean\", and the sample's own grad for \"none\". Samples whose target "
      "is ignore_index get exactly 0 (also when their logits are not finite, where PyTorch's "
      "composite would give NaN). NaN or +inf logits make their sample's gradient NaN; a -inf "
      "logit has p = 0. A target outside [0, C) that is not ignore_index is a run-time "
      "InvalidArgumentError, as in the forward.");
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    c.flops = 15 * ops::StaticNumel(in[1]);  // max, exp twice, sums, scale per logit
    return c;
  };
  return s;
}

OpSchema NllBackward(const OpRegistry& r) {
  OpSchema s = ClassTargetBackward(
      r, "nll", "nll_backward", 711,
      "The gradient of nll with respect to its input, torch.ops.aten.nll_loss_backward without "
      "class weights. Inputs: grad (the loss's gradient: shape () for \"mean\" and \"sum\", the "
      "target's shape for \"none\"), input (the forward's log-probabilities: only its type is "
      "used, never its values), target (integer class indices); attributes exactly the "
      "forward's. Output, shaped like input: d input[n, c, ...] = -g if c = target[n, ...] "
      "else 0, where g = grad for \"sum\", grad / (number of samples whose target is not "
      "ignore_index) for \"mean\", the sample's own grad for \"none\"; samples whose target is "
      "ignore_index get 0. A target outside [0, C) that is not ignore_index is a run-time "
      "InvalidArgumentError, as in the forward.");
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c;
    c.flops = ops::StaticNumel(in[2]);
    c.bytes_read = ops::Bytes(in[0]) + ops::Bytes(in[2]);
    c.bytes_written = ops::Bytes(out[0]);
    return c;
  };
  return s;
}

// ---- Composite builders ----

DType InputDType(GraphBuilder& b, const Node& n) { return b.type(n.inputs[0]).dtype; }

// `g` times `factor`, divided by the element count of the input for "mean".
Value ScaleForReduction(GraphBuilder& b, const Node& n, Value g, double factor) {
  const DType dtype = InputDType(b, n);
  if (factor != 1.0) g = Mul(b, Scalar(b, factor, dtype), g);
  if (n.attrs.at("reduction").s() != "mean") return g;
  return Div(b, g, grad::Count(b, b.type(n.inputs[0]).shape, dtype));
}

// log_sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)), finite for every finite x.
Value LogSigmoid(GraphBuilder& b, Value x) {
  const DType dtype = b.type(x).dtype;
  Value soft = b.Op1("log", {Add(b, Scalar(b, 1.0, dtype),
                                 b.Op1("exp", {Neg(b, b.Op1("abs", {x}))}))});
  return Sub(b, b.Op1("minimum", {x, Scalar(b, 0.0, dtype)}), soft);
}

std::vector<Value> MseGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  Value dx = Mul(b, Sub(b, n.inputs[0], n.inputs[1]), ScaleForReduction(b, n, g[0], 2.0));
  return {dx, Neg(b, dx)};
}

std::vector<Value> L1Grad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const DType dtype = InputDType(b, n);
  Value d = Sub(b, n.inputs[0], n.inputs[1]);
  Value zero = Scalar(b, 0.0, dtype);
  AttrMap to = {{"dtype", dtype}};
  Value sign = Sub(b, b.Op1("cast", {b.Op1("greater", {d, zero})}, to),
                   b.Op1("cast", {b.Op1("less", {d, zero})}, to));
  Value dx = Mul(b, sign, ScaleForReduction(b, n, g[0], 1.0));
  return {dx, Neg(b, dx)};
}

std::vector<Value> BceGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const Value x = n.inputs[0], t = n.inputs[1];
  const DType dtype = InputDType(b, n);
  const Value scale = ScaleForReduction(b, n, g[0], 1.0);
  const Value s = b.Op1("sigmoid", {x});
  std::vector<Value> grads(n.inputs.size());
  if (n.inputs.size() == 2) {
    grads[0] = Mul(b, Sub(b, s, t), scale);
    grads[1] = Mul(b, Neg(b, x), scale);
    return grads;
  }
  const Value w = n.inputs[2];
  const Value one = Scalar(b, 1.0, dtype);
  const Value w1 = Sub(b, w, one);
  const Value log_weight = Add(b, one, Mul(b, w1, t));
  grads[0] = Mul(b, Sub(b, Mul(b, s, log_weight), Mul(b, w, t)), scale);
  const Value ls = LogSigmoid(b, x);
  grads[1] = Mul(b, Sub(b, Neg(b, x), Mul(b, w1, ls)), scale);
  grads[2] = grad::SumToShape(b, Mul(b, Neg(b, Mul(b, t, ls)), scale), b.type(w).shape);
  return grads;
}

}  // namespace

void RegisterLossGrads(OpRegistry& r) {
  r.Register(CrossEntropyBackward(r));
  r.Register(NllBackward(r));
  r.SetGrad("cross_entropy", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    Value dx = b.Op1("cross_entropy_backward", {g[0], n.inputs[0], n.inputs[1]}, n.attrs);
    return std::vector<Value>{dx, Value{}};
  });
  r.SetGrad("nll", [](GraphBuilder& b, const Node& n, std::span<const Value> g) {
    Value dx = b.Op1("nll_backward", {g[0], n.inputs[0], n.inputs[1]}, n.attrs);
    return std::vector<Value>{dx, Value{}};
  });
  r.SetGrad("mse", MseGrad);
  r.SetGrad("l1", L1Grad);
  r.SetGrad("binary_cross_entropy_with_logits", BceGrad);
}

}  // namespace bronze
