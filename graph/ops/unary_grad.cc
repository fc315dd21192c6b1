// Gradient builders of the unary family and the fused backward ops they use (ids 219-225):
// relu_grad, sigmoid_grad, tanh_grad, gelu_grad, silu_grad, leaky_relu_grad, clip_grad. Each
// fused op is one pass over memory where a composite of existing ops would take three or more;
// relu, sigmoid and tanh read the forward OUTPUT y, so the pre-activation need not be kept.
//
// PyTorch conventions at kinks (torch/csrc/autograd/derivatives.yaml), tested with hand-derived
// values in tests/ops/unary_grad_test.cc:
//   relu:       threshold_backward(dy, y, 0): 0 where y <= 0 (so relu'(0) = 0), else dy (a NaN y
//               passes dy);
//   abs:        dy * sgn(x): abs'(0) = 0 (and 0 for NaN x);
//   leaky_relu: x > 0 ? dy : dy * negative_slope (the slope at 0 and for NaN x);
//   clip:       dy where min <= x <= max, inclusive at both bounds (torch.clamp), else 0 (0 for
//               NaN x or a NaN bound, and everywhere when min > max);
//   cast:       float to float casts dy back to the input dtype; from or to an integer or bool
//               dtype there is no gradient.
// Smooth ops follow PyTorch's formulas: sqrt and rsqrt and reciprocal from the output, sin and
// cos and erf and log from the input.
#include <cmath>
#include <limits>
#include <numbers>

#include "graph/ops/common.h"
#include "graph/ops/grad_util.h"
#include "graph/ops/ops.h"
#include "graph/op_registry.h"

namespace bronze {
namespace {

constexpr std::initializer_list<DType> kFloat = {DType::kF32, DType::kF64};

// A fused backward op: (dy, t) -> dx, where t is the forward output y or input x; dy and t
// must have the same dtype (f32 or f64) and the same shape (symbolic dims included).
OpSchema Backward(std::string name, uint32_t id, std::string second, double flops,
                  std::string doc) {
  OpSchema s = ops::MakeSchema(std::move(name), id, {"dy", second}, FusionKind::kElementwise,
                               std::move(doc) +
                                   " Dtypes: f32, f64; dy and " + second +
                                   " must have the same dtype and shape (no broadcasting). Not "
                                   "differentiable (no second derivatives). Empty inputs give "
                                   "empty outputs.");
  s.infer = [second](const InferContext& ctx) {
    DType d = ops::RequireSameDType(ctx);
    ops::RequireDType(d, kFloat, "input dy");
    if (!(ctx.input(0).shape == ctx.input(1).shape)) {
      throw ShapeError("dy " + ctx.input(0).ToString() + " and " + second + " " +
                       ctx.input(1).ToString() + " must have the same shape");
    }
    return std::vector<TensorType>{ctx.input(0)};
  };
  s.validate = ValidateNothing;
  s.differentiability = Differentiability::kNotDifferentiable;
  s.cost = [flops](const AttrMap&, std::span<const TensorType> in,
                   std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, flops);
  };
  return s;
}

void CheckFinite(const AttrMap& attrs, const char* name) {
  const double v = attrs.at(name).f();
  if (!std::isfinite(v)) {
    throw AttributeError(std::string("attribute '") + name + "' must be finite, got " +
                         FormatDouble(v));
  }
}

void RegisterBackwardOps(OpRegistry& r) {
  r.Register(Backward("relu_grad", 219, "y", 1,
                      "The gradient of relu from its output: dx = 0 where y <= 0, else dy "
                      "(relu'(0) = 0; a NaN y passes dy), as "
                      "torch.ops.aten.threshold_backward(dy, y, 0)."));
  r.Register(Backward("sigmoid_grad", 220, "y", 3,
                      "The gradient of sigmoid from its output: dx = dy * (1 - y) * y, as "
                      "torch.ops.aten.sigmoid_backward(dy, y)."));
  r.Register(Backward("tanh_grad", 221, "y", 3,
                      "The gradient of tanh from its output: dx = dy * (1 - y * y), as "
                      "torch.ops.aten.tanh_backward(dy, y)."));
  OpSchema gelu = Backward(
      "gelu_grad", 222, "x", 25,
      "The gradient of gelu from its input, as torch.ops.aten.gelu_backward(dy, x, "
      "approximate=...). approximate='none': dx = dy * (Phi(x) + x * phi(x)) with Phi(x) = "
      "0.5 * (1 + erf(x / sqrt(2))) and phi(x) = e^(-x^2 / 2) / sqrt(2 pi). approximate='tanh': "
      "with u = sqrt(2 / pi) * (x + 0.044715 x^3) and t = tanh(u), dx = dy * (0.5 * (1 + t) + "
      "0.5 * x * (1 - t^2) * sqrt(2 / pi) * (1 + 3 * 0.044715 x^2)). Kernels evaluate 1 + erf "
      "as erfc and 0.5 * (1 + t) as 1 / (1 + e^(-2u)) (same values without cancellation).");
  gelu.attrs = {{"approximate", AttrType::kString, Attribute("none"),
                 "\"none\": the exact erf form; \"tanh\": the tanh approximation (as gelu)"}};
  gelu.validate = [](const AttrMap& attrs) {
    const std::string& a = attrs.at("approximate").s();
    if (a != "none" && a != "tanh") {
      throw AttributeError("attribute 'approximate' must be \"none\" or \"tanh\", got \"" + a +
                           "\"");
    }
  };
  r.Register(std::move(gelu));
  r.Register(Backward("silu_grad", 223, "x", 15,
                      "The gradient of silu from its input: with s = sigmoid(x), dx = dy * s * "
                      "(1 + x * (1 - s)), as torch.ops.aten.silu_backward(dy, x)."));
  OpSchema leaky = Backward(
      "leaky_relu_grad", 224, "x", 2,
      "The gradient of leaky_relu from its input: dx = dy if x > 0 else dy * negative_slope "
      "(the slope at x = 0 and for NaN x; the slope rounded to the dtype first), as "
      "torch.ops.aten.leaky_relu_backward(dy, x, negative_slope, False).");
  leaky.attrs = {{"negative_slope", AttrType::kFloat, Attribute(0.01),
                  "slope for x <= 0 (as leaky_relu); any finite value"}};
  leaky.validate = [](const AttrMap& attrs) { CheckFinite(attrs, "negative_slope"); };
  r.Register(std::move(leaky));
  OpSchema clip = Backward(
      "clip_grad", 225, "x", 2,
      "The gradient of clip from its input: dx = dy where min <= x <= max (inclusive at both "
      "bounds), else 0, as torch.where((x >= min) & (x <= max), dy, 0), which is what "
      "torch.clamp's backward computes (clamp_backward in PyTorch's autograd; there is no aten "
      "op for it); the bounds are rounded to the dtype first. NaN x, a NaN bound, or min > max "
      "give 0.");
  clip.attrs = {{"min", AttrType::kFloat, Attribute(-std::numeric_limits<double>::infinity()),
                 "lower bound (-inf: none), as clip"},
                {"max", AttrType::kFloat, Attribute(std::numeric_limits<double>::infinity()),
                 "upper bound (+inf: none), as clip"}};
  r.Register(std::move(clip));
}

using GradArgs = std::span<const Value>;
using grad::Mul;
using grad::Neg;

std::vector<Value> One(Value v) { return std::vector<Value>{v}; }
Value X(const Node& n) { return n.inputs[0]; }
Value Y(const Node& n) { return Value{n.id, 0}; }
DType XType(GraphBuilder& b, const Node& n) { return b.type(n.inputs[0]).dtype; }
Value C(GraphBuilder& b, const Node& n, double v) { return grad::Scalar(b, v, XType(b, n)); }

}  // namespace

void RegisterUnaryGrads(OpRegistry& r) {
  RegisterBackwardOps(r);

  r.SetGrad("neg", [](GraphBuilder& b, const Node&, GradArgs g) { return One(Neg(b, g[0])); });
  r.SetGrad("relu", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(b.Op1("relu_grad", {g[0], Y(n)}));
  });
  r.SetGrad("abs", [](GraphBuilder& b, const Node& n, GradArgs g) {
    // dy * sgn(x): 0 at x = 0 (and for NaN x).
    const Value zero = C(b, n, 0.0);
    const Value neg = b.Op1("where", {b.Op1("less", {X(n), zero}), Neg(b, g[0]), zero});
    return One(b.Op1("where", {b.Op1("greater", {X(n), zero}), g[0], neg}));
  });
  r.SetGrad("exp", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(Mul(b, g[0], Y(n)));
  });
  r.SetGrad("log", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(grad::Div(b, g[0], X(n)));
  });
  r.SetGrad("sqrt", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(grad::Div(b, g[0], Mul(b, Y(n), C(b, n, 2.0))));  // dy / (2 y)
  });
  r.SetGrad("rsqrt", [](GraphBuilder& b, const Node& n, GradArgs g) {
    const Value y3 = Mul(b, Mul(b, Y(n), Y(n)), Y(n));  // -0.5 * dy * y^3
    return One(Mul(b, Mul(b, g[0], y3), C(b, n, -0.5)));
  });
  r.SetGrad("reciprocal", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(Mul(b, Neg(b, g[0]), Mul(b, Y(n), Y(n))));  // -dy * y^2
  });
  r.SetGrad("sin", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(Mul(b, g[0], b.Op1("cos", {X(n)})));
  });
  r.SetGrad("cos", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(Mul(b, g[0], Neg(b, b.Op1("sin", {X(n)}))));
  });
  r.SetGrad("tanh", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(b.Op1("tanh_grad", {g[0], Y(n)}));
  });
  r.SetGrad("sigmoid", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(b.Op1("sigmoid_grad", {g[0], Y(n)}));
  });
  r.SetGrad("leaky_relu", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(b.Op1("leaky_relu_grad", {g[0], X(n)},
                     {{"negative_slope", n.attrs.at("negative_slope")}}));
  });
  r.SetGrad("gelu", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(b.Op1("gelu_grad", {g[0], X(n)}, {{"approximate", n.attrs.at("approximate")}}));
  });
  r.SetGrad("silu", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(b.Op1("silu_grad", {g[0], X(n)}));
  });
  r.SetGrad("erf", [](GraphBuilder& b, const Node& n, GradArgs g) {
    // dy * 2 / sqrt(pi) * e^(-x^2)
    const Value e = b.Op1("exp", {Neg(b, Mul(b, X(n), X(n)))});
    return One(Mul(b, g[0], Mul(b, e, C(b, n, 2.0 / std::sqrt(std::numbers::pi)))));
  });
  r.SetGrad("clip", [](GraphBuilder& b, const Node& n, GradArgs g) {
    return One(b.Op1("clip_grad", {g[0], X(n)},
                     {{"min", n.attrs.at("min")}, {"max", n.attrs.at("max")}}));
  });
  r.SetGrad("cast", [](GraphBuilder& b, const Node& n, GradArgs g) {
    const DType from = XType(b, n), to = n.outputs[0].dtype;
    if (!IsFloating(from) || !IsFloating(to)) return One(Value{});  // no gradient
    if (from == to) return One(g[0]);
    return One(b.Op1("cast", {g[0]}, {{"dtype", from}}));
  });
}

}  // namespace bronze
