// Gradient builders of the nn family. Pooling and normalization use the fused backward ops of
// graph/ops/nn.cc (max_pool2d_backward reads x and routes each output gradient to the first
// maximal element of its window, PyTorch's argmax; avg/adaptive pooling backward need only the
// input shape; batch_norm_backward and layer_norm_backward recompute the statistics from x, so
// the forward saves nothing extra). batch_norm's running-statistics outputs carry no gradient
// and its running_mean/running_var inputs get none (state, as PyTorch). scaled_dot_product_
// attention is differentiated as a composite that recomputes the probabilities from q and k.
#include <cmath>
#include <limits>

#include "graph/error.h"
#include "graph/ops/grad_util.h"
#include "graph/ops/ops.h"
#include "graph/op_registry.h"

namespace bronze {
namespace {

using Grads = std::vector<Value>;

Grads MaxPool2dGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  return {b.Op1("max_pool2d_backward", {g[0], n.inputs[0]}, n.attrs)};
}

// avg_pool2d: the backward op with the pooling attributes and x's (possibly symbolic) shape.
Grads AvgPool2dGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  AttrMap attrs = n.attrs;
  attrs["input_shape"] = Attribute(b.type(n.inputs[0]).shape);
  return {b.Op1("avg_pool2d_backward", {g[0]}, std::move(attrs))};
}

// adaptive_avg_pool2d: the output size is dy's; only x's shape is needed.
Grads AdaptiveAvgPool2dGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  return {b.Op1("adaptive_avg_pool2d_backward", {g[0]},
                {{"input_shape", b.type(n.inputs[0]).shape}})};
}

Grads BatchNormGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  // Only y carries a gradient: new_running_mean / new_running_var are state updates.
  if (!g[0].valid()) return Grads(5);
  const bool training = n.attrs.at("training").i() == 1;
  std::vector<Value> in = {g[0], n.inputs[0], n.inputs[1]};
  if (!training) {
    in.push_back(n.inputs[3]);
    in.push_back(n.inputs[4]);
  }
  std::vector<Value> d = b.Op("batch_norm_backward", std::move(in),
                              {{"training", n.attrs.at("training")}, {"eps", n.attrs.at("eps")}});
  return {d[0], d[1], d[2], Value(), Value()};
}

Grads LayerNormGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  std::vector<Value> in = {g[0], n.inputs[0]};
  if (n.inputs.size() > 1) in.push_back(n.inputs[1]);
  std::vector<Value> d = b.Op("layer_norm_backward", std::move(in), n.attrs);
  d.resize(n.inputs.size());  // drops dbias when there is no bias input
  return d;
}

// x with its last two axes swapped.
Value SwapLast2(GraphBuilder& b, Value x) {
  const int64_t r = b.type(x).shape.rank();
  std::vector<int64_t> perm;
  for (int64_t a = 0; a < r - 2; ++a) perm.push_back(a);
  perm.push_back(r - 1);
  perm.push_back(r - 2);
  return b.Op1("transpose", {x}, {{"perm", perm}});
}

// scaled_dot_product_attention: P = softmax(scale * q k^T masked) is recomputed from q and k
// (the forward is one fused kernel and saves nothing), then
//   dv = P^T dy, dP = dy v^T, dS = P * (dP - sum(dP * P, -1)), dq = scale dS k,
//   dk = scale dS^T q,
// each summed back over the batch dims its input was broadcast along. Masked scores have P = 0
// and so get no gradient; a fully masked row (the forward gives 0, as torch's _safe_softmax) has
// softmax NaN, replaced by 0, so its q gets 0 and it adds nothing to k and v. The mask gets no
// gradient (as a constant; the brief's scope). causal needs static L and S (a constant mask).
Grads AttentionGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const Value q = n.inputs[0], k = n.inputs[1], v = n.inputs[2];
  const TensorType& qt = b.type(q);
  const DType dt = qt.dtype;
  const Shape& qs = qt.shape;
  const Shape& ks = b.type(k).shape;
  double scale = n.attrs.at("scale").f();
  if (scale == 0) {
    const Dim& e = qs[qs.rank() - 1];
    if (!e.is_static()) {
      throw UnimplementedError("the gradient of " + n.Describe() + " needs a static feature "
                               "dim E for the default scale, got q " + qs.ToString());
    }
    scale = e.value() > 0 ? 1.0 / std::sqrt(static_cast<double>(e.value())) : 1.0;
  }
  const Value neg_inf = grad::Scalar(b, -std::numeric_limits<double>::infinity(), dt);
  Value s = grad::Mul(b, b.Op1("matmul", {q, SwapLast2(b, k)}), grad::Scalar(b, scale, dt));
  const bool has_mask = n.inputs.size() > 3;
  if (has_mask) {
    const Value m = n.inputs[3];
    s = b.type(m).dtype == DType::kBool ? b.Op1("where", {m, s, neg_inf}) : grad::Add(b, s, m);
  }
  if (n.attrs.at("causal").i() == 1) {
    const Dim &l = qs[qs.rank() - 2], &sd = ks[ks.rank() - 2];
    if (!l.is_static() || !sd.is_static()) {
      throw UnimplementedError("the gradient of causal " + n.Describe() + " needs static "
                               "lengths L and S, got q " + qs.ToString() + " and k " +
                               ks.ToString());
    }
    std::vector<bool> keep(static_cast<size_t>(l.value() * sd.value()));
    for (int64_t i = 0; i < l.value(); ++i) {
      for (int64_t j = 0; j < sd.value(); ++j) {
        keep[static_cast<size_t>(i * sd.value() + j)] = j <= i;
      }
    }
    const Value causal = b.Constant(Tensor::FromVector<bool>({l.value(), sd.value()}, keep),
                                    "causal_mask");
    s = b.Op1("where", {causal, s, neg_inf});
  }
  Value p = b.Op1("softmax", {s}, {{"axis", int64_t{-1}}});
  if (has_mask) {  // fully masked rows: NaN from softmax, 0 in the forward
    p = b.Op1("where", {b.Op1("equal", {p, p}), p, grad::Scalar(b, 0.0, dt)});
  }
  const Value dy = g[0];
  const Value dv = b.Op1("matmul", {SwapLast2(b, p), dy});
  const Value dp = b.Op1("matmul", {dy, SwapLast2(b, v)});
  const Value dot = b.Op1("reduce_sum", {grad::Mul(b, dp, p)},
                          {{"axes", std::vector<int64_t>{-1}}, {"keepdims", int64_t{1}}});
  const Value ds =
      grad::Mul(b, grad::Mul(b, p, grad::Sub(b, dp, dot)), grad::Scalar(b, scale, dt));
  const Value dq = b.Op1("matmul", {ds, k});
  const Value dk = b.Op1("matmul", {SwapLast2(b, ds), q});
  Grads out = {grad::SumToShape(b, dq, qs), grad::SumToShape(b, dk, ks),
               grad::SumToShape(b, dv, b.type(v).shape)};
  if (has_mask) out.push_back(Value());
  return out;
}

}  // namespace

void RegisterNnGrads(OpRegistry& r) {
  r.SetGrad("max_pool2d", MaxPool2dGrad);
  r.SetGrad("avg_pool2d", AvgPool2dGrad);
  r.SetGrad("adaptive_avg_pool2d", AdaptiveAvgPool2dGrad);
  r.SetGrad("batch_norm", BatchNormGrad);
  r.SetGrad("layer_norm", LayerNormGrad);
  r.SetGrad("scaled_dot_product_attention", AttentionGrad);
}

}  // namespace bronze
