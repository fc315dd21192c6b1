// Gradient builders of the linalg family (and the backward ops they need).
//   matmul: dA = dY B^T, dB = A^T dY as matmuls with transpose flags (no transposed copies),
//     batch dims that broadcast summed back (grad::SumToShape), 1-D operands promoted to
//     matrices (and dY unsqueezed) as torch.matmul does, then squeezed back.
//   linear: dx = dy W, dW = dy^T x (rows of x flattened when x has several leading dims),
//     db = sum of dy over every dim but the last: the three GEMMs of a dense layer's backward.
//   conv2d / conv_transpose2d: each other's adjoint for the input gradient, the backward op
//     conv2d_backward_weight (graph/ops/linalg.cc) for the weight, a sum for the bias.
#include <algorithm>

#include "graph/error.h"
#include "graph/ops/grad_util.h"
#include "graph/ops/linalg.h"
#include "graph/ops/ops.h"
#include "graph/op_registry.h"

namespace bronze {
namespace {

// matmul(x, y) with the given transpose flags (stored only when set).
Value Matmul(GraphBuilder& b, Value x, Value y, bool tx, bool ty) {
  AttrMap attrs;
  if (tx) attrs["transpose_a"] = Attribute(int64_t{1});
  if (ty) attrs["transpose_b"] = Attribute(int64_t{1});
  return b.Op1("matmul", {x, y}, std::move(attrs));
}

Value Unsqueeze(GraphBuilder& b, Value x, std::vector<int64_t> axes) {
  return b.Op1("unsqueeze", {x}, {{"axes", std::move(axes)}});
}

Value Squeeze(GraphBuilder& b, Value x, int64_t axis) {
  return b.Op1("squeeze", {x}, {{"axes", std::vector<int64_t>{axis}}});
}

// Y = op_a(A) @ op_b(B) with op = transpose where the flag is set. With the operands as stored:
//   dA = ta ? op_b(B) dY^T = matmul(B, dY, tb, 1)  : dY op_b(B)^T = matmul(dY, B, 0, !tb)
//   dB = tb ? dY^T op_a(A) = matmul(dY, A, 1, ta)  : op_a(A)^T dY = matmul(A, dY, !ta, 0)
std::vector<Value> MatmulGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const bool ta = ops::MatmulTransposed(n.attrs, 0), tb = ops::MatmulTransposed(n.attrs, 1);
  Value a = n.inputs[0], bm = n.inputs[1], dy = g[0];
  const Shape a_shape = b.type(a).shape, b_shape = b.type(bm).shape;
  const bool a_vector = a_shape.rank() == 1, b_vector = b_shape.rank() == 1;
  if (a_vector || b_vector) {
    // torch.matmul's promotion: a (K) -> (1, K), b (K) -> (K, 1); dY gets the dropped dims back.
    const int64_t rank = b.type(dy).shape.rank() + (a_vector ? 1 : 0) + (b_vector ? 1 : 0);
    std::vector<int64_t> axes;
    if (a_vector) axes.push_back(rank - 2);
    if (b_vector) axes.push_back(rank - 1);
    dy = Unsqueeze(b, dy, axes);
    if (a_vector) a = Unsqueeze(b, a, {0});
    if (b_vector) bm = Unsqueeze(b, bm, {1});
  }
  Value da = ta ? Matmul(b, bm, dy, tb, true) : Matmul(b, dy, bm, false, !tb);
  Value db;
  if (b.type(bm).shape.rank() == 2 && b.type(a).shape.rank() > 2 && !ta) {
    // b is shared by every product: one GEMM over all rows of a instead of a batch of products
    // summed afterwards (a (..., M, K) flattened to (rows, K), dY to (rows, N)).
    const AttrMap rows = {{"start_dim", int64_t{0}}, {"end_dim", int64_t{-2}}};
    const Value a2 = b.Op1("flatten", {a}, rows), dy2 = b.Op1("flatten", {dy}, rows);
    db = tb ? Matmul(b, dy2, a2, true, false) : Matmul(b, a2, dy2, true, false);
  } else {
    db = tb ? Matmul(b, dy, a, true, ta) : Matmul(b, a, dy, !ta, false);
  }
  // Batch dims the operand broadcast over are summed back.
  da = grad::SumToShape(b, da, b.type(a).shape);
  db = grad::SumToShape(b, db, b.type(bm).shape);
  if (a_vector) da = Squeeze(b, da, 0);
  if (b_vector) db = Squeeze(b, db, 1);
  return {da, db};
}

// y = x W^T + bias with x (..., in), W (out, in), bias (out).
std::vector<Value> LinearGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const Value x = n.inputs[0], w = n.inputs[1], dy = g[0];
  const int64_t rank = b.type(x).shape.rank();
  std::vector<Value> grads(n.inputs.size());
  grads[0] = Matmul(b, dy, w, false, false);  // (..., out) @ (out, in): batched rows fold into M
  // dW = dy^T x over all rows: (out, rows) @ (rows, in), dy read transposed in place.
  Value x2 = x, dy2 = dy;
  if (rank == 1) {
    x2 = Unsqueeze(b, x, {0});
    dy2 = Unsqueeze(b, dy, {0});
  } else if (rank > 2) {
    const AttrMap rows = {{"start_dim", int64_t{0}}, {"end_dim", int64_t{-2}}};
    x2 = b.Op1("flatten", {x}, rows);
    dy2 = b.Op1("flatten", {dy}, rows);
  }
  grads[1] = Matmul(b, dy2, x2, true, false);
  if (n.inputs.size() == 3) {
    if (rank == 1) {
      grads[2] = dy;
    } else {
      std::vector<int64_t> axes;
      for (int64_t d = 0; d + 1 < rank; ++d) axes.push_back(d);
      grads[2] = b.Op1("reduce_sum", {dy}, {{"axes", axes}, {"keepdims", int64_t{0}}});
    }
  }
  return grads;
}

// --- convolutions ---

using Ints = std::vector<int64_t>;

// The bias gradient of a convolution: dy summed over every dim but the channels.
Value ConvBiasGrad(GraphBuilder& b, Value dy) {
  const int64_t rank = b.type(dy).shape.rank();
  const Ints axes = rank == 4 ? Ints{0, 2, 3} : Ints{1, 2};
  return b.Op1("reduce_sum", {dy}, {{"axes", axes}, {"keepdims", int64_t{0}}});
}

// Static dims of a convolution weight (the shape functions require them).
Ints WeightDims(GraphBuilder& b, Value w) { return b.type(w).shape.static_dims(); }

// conv2d: x (N, C_in, H, W), w (C_out, C_in/groups, kH, kW).
//   dx = conv_transpose2d(dy, w) with the same stride, dilation, groups and resolved padding; the
//     rows (columns) the forward's floor dropped come back as output_padding, so dx has x's size.
//   dw = conv2d_backward_weight(x, dy).
//   db = dy summed over N, H, W.
std::vector<Value> Conv2dGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const Value x = n.inputs[0], w = n.inputs[1], dy = g[0];
  const Shape& xs = b.type(x).shape;
  const Ints ws = WeightDims(b, w);
  const ops::ConvAttrs a = ops::ReadConvAttrs(n.attrs, false);
  const int64_t off = xs.rank() - 3;
  Ints pad(4), out_pad(2);
  for (int d = 0; d < 2; ++d) {
    const size_t i = static_cast<size_t>(d);
    ops::ResolvePadding(a, d, ws[2 + i], &pad[i], &pad[2 + i]);
    const Dim& in = xs[off + 1 + d];
    // A symbolic size passed the shape function only with stride 1: nothing dropped.
    if (in.is_static()) {
      const int64_t span = a.dilation[d] * (ws[2 + i] - 1) + 1;
      out_pad[i] = (in.value() + pad[i] + pad[2 + i] - span) % a.stride[d];
    }
  }
  std::vector<Value> grads(n.inputs.size());
  grads[0] = b.Op1("conv_transpose2d", {dy, w},
                   {{"stride", n.attrs.at("stride")},
                    {"padding", Attribute(pad)},
                    {"dilation", n.attrs.at("dilation")},
                    {"groups", n.attrs.at("groups")},
                    {"output_padding", Attribute(out_pad)}});
  AttrMap wa = n.attrs;
  wa["weight_shape"] = Attribute(ws);
  grads[1] = b.Op1("conv2d_backward_weight", {x, dy}, std::move(wa));
  if (n.inputs.size() == 3) grads[2] = ConvBiasGrad(b, dy);
  return grads;
}

// conv_transpose2d: x (N, C_in, H, W), w (C_in, C_out/groups, kH, kW), y (N, C_out, OH, OW).
// Its adjoint is conv2d with the same geometry:
//   dx = conv2d(dy, w), dw = conv2d_backward_weight(dy, x) (the roles of input and output
//   swapped), db = dy summed over N, OH, OW.
// output_padding added rows no input reaches; conv2d's output must still have x's size, so the
// end padding shrinks by output_padding (not below 0), and where that is not enough the
// unreached trailing rows of dy are sliced off.
std::vector<Value> ConvTranspose2dGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const Value x = n.inputs[0], w = n.inputs[1];
  Value dy = g[0];
  const Ints ws = WeightDims(b, w);
  const ops::ConvAttrs a = ops::ReadConvAttrs(n.attrs, true);
  const Shape dys = b.type(dy).shape;
  const int64_t off = dys.rank() - 3;
  Ints pad(4), crop_axes, crop_stops;
  for (int d = 0; d < 2; ++d) {
    const size_t i = static_cast<size_t>(d);
    const int64_t end = a.pad_end[d], extra = a.output_padding[d];
    pad[i] = a.pad_begin[d];
    pad[2 + i] = std::max<int64_t>(0, end - extra);
    const int64_t crop = extra - end - (a.stride[d] - 1);
    if (crop <= 0) continue;
    const Dim& size = dys[off + 1 + d];
    if (!size.is_static()) {
      throw UnimplementedError("the gradient of conv_transpose2d node '" + n.name + "' with "
                               "output_padding beyond the end padding needs a static output " +
                               std::string(d == 0 ? "height" : "width") + ", got output " +
                               dys.ToString());
    }
    crop_axes.push_back(off + 1 + d);
    crop_stops.push_back(size.value() - crop);
  }
  if (!crop_axes.empty()) {
    dy = b.Op1("slice", {dy},
               {{"starts", Attribute(Ints(crop_axes.size(), 0))},
                {"stops", Attribute(crop_stops)},
                {"axes", Attribute(crop_axes)}});
  }
  AttrMap ca = {{"stride", n.attrs.at("stride")},
                {"padding", Attribute(pad)},
                {"dilation", n.attrs.at("dilation")},
                {"groups", n.attrs.at("groups")},
                {"auto_pad", Attribute("explicit")}};
  std::vector<Value> grads(n.inputs.size());
  grads[0] = b.Op1("conv2d", {dy, w}, ca);
  ca["weight_shape"] = Attribute(ws);
  grads[1] = b.Op1("conv2d_backward_weight", {dy, x}, std::move(ca));
  if (n.inputs.size() == 3) grads[2] = ConvBiasGrad(b, g[0]);
  return grads;
}

}  // namespace

void RegisterLinalgGrads(OpRegistry& r) {
  r.SetGrad("matmul", MatmulGrad);
  r.SetGrad("linear", LinearGrad);
  r.SetGrad("conv2d", Conv2dGrad);
  r.SetGrad("conv_transpose2d", ConvTranspose2dGrad);
}

}  // namespace bronze
