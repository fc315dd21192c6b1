// Gradient builders of the shape family. Every builder keeps symbolic dims working: shapes it
// needs are the forward input's symbolic Shape, passed as kShape attributes (bound when a plan
// is compiled), never a static dim that may be symbolic.
//   reshape, flatten   dy reshaped to x's shape
//   squeeze/unsqueeze  unsqueeze / squeeze back by the removed / inserted axes
//   transpose          transpose by the inverse permutation
//   expand             grad::SumToShape (sum over the repeated dims)
//   concat             split of dy by the input sizes (through a (C, S) reshape when the sizes
//                      are multiples c_i * S of one symbolic monomial S)
//   split              concat of the output grads (zeros for outputs without one)
//   stack              split into size-1 pieces, each squeezed
//   slice              slice_backward (scatter of dy into zeros of x's shape)
//   pad                constant: pad of dy by the negated pads (crops the border, zero-fills
//                      what a negative pad cropped); reflect: pad_backward (folds the borders)
//   gather             gather_backward (scatter-add into zeros of data's shape)
//   embedding          embedding_backward (scatter-add of rows; padding_idx gets none)
// The backward ops are registered in shape_ops_grad.cc (RegisterShapeGradOps), called first.
#include <algorithm>
#include <limits>

#include "graph/ops/common.h"
#include "graph/ops/grad_util.h"
#include "graph/ops/ops.h"
#include "graph/ops/shape_ops.h"
#include "graph/op_registry.h"

namespace bronze {
namespace {

using Grads = std::vector<Value>;

const Shape& InShape(GraphBuilder& b, const Node& n, size_t i) {
  return b.type(n.inputs[i]).shape;
}

// dy reshaped to `shape` (itself when the shapes already match).
Value ReshapeTo(GraphBuilder& b, Value g, const Shape& shape) {
  if (b.type(g).shape == shape) return g;
  return b.Op1("reshape", {g}, {{"shape", shape}});
}

Grads ReshapeGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  return {ReshapeTo(b, g[0], InShape(b, n, 0))};
}

Grads TransposeGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const int64_t rank = InShape(b, n, 0).rank();
  std::vector<int64_t> perm = ops::TransposePermutation(n.attrs.at("perm").ints(), rank);
  std::vector<int64_t> inverse(perm.size());
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) {
    inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    identity = identity && perm[i] == static_cast<int64_t>(i);
  }
  if (identity) return {g[0]};
  return {b.Op1("transpose", {g[0]}, {{"perm", inverse}})};
}

// squeeze removed size-1 dims of x (the same rule as its shape function: every static size-1
// dim when axes is empty, else the listed ones of size 1); unsqueeze them back.
Grads SqueezeGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const Shape& x = InShape(b, n, 0);
  std::vector<int64_t> axes;
  if (x.rank() > 0) {
    const std::vector<int64_t>& listed = n.attrs.at("axes").ints();
    for (int64_t k = 0; k < x.rank(); ++k) {
      const bool named =
          listed.empty() || std::any_of(listed.begin(), listed.end(), [&](int64_t a) {
            return ops::NormalizeAxisScalarAsVector(a, x.rank(), "axis") == k;
          });
      if (named && x[k] == Dim(1)) axes.push_back(k);
    }
  }
  if (axes.empty()) return {g[0]};
  return {b.Op1("unsqueeze", {g[0]}, {{"axes", axes}})};
}

Grads UnsqueezeGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const int64_t out_rank = n.outputs[0].shape.rank();
  std::vector<int64_t> axes;
  for (int64_t a : n.attrs.at("axes").ints()) axes.push_back(a < 0 ? a + out_rank : a);
  std::sort(axes.begin(), axes.end());
  return {b.Op1("squeeze", {g[0]}, {{"axes", axes}})};
}

Grads ExpandGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  return {grad::SumToShape(b, g[0], InShape(b, n, 0))};
}

// The monomial of `d` with coefficient 1 (N*T for 6*N*T).
Dim SymbolPart(const Dim& d) { return *d.DividedBy(Dim(d.coefficient())); }

Grads ConcatGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const Shape& y = n.outputs[0].shape;
  const int64_t axis = NormalizeAxis(n.attrs.at("axis").i(), y.rank(), "axis");
  if (n.inputs.size() == 1) return {g[0]};
  bool all_static = true;
  std::optional<Dim> symbol;  // the common monomial of the symbolic sizes along axis
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const Dim& d = InShape(b, n, i)[axis];
    if (d.is_static()) continue;
    all_static = false;
    symbol = SymbolPart(d);
  }
  std::vector<int64_t> sizes;
  Value whole = g[0];
  if (all_static) {
    for (size_t i = 0; i < n.inputs.size(); ++i) sizes.push_back(InShape(b, n, i)[axis].value());
  } else {
    // Sizes c_i * S (or 0: concat only adds equal monomials): view axis as (C, S), C = sum c_i,
    // split along C, and reshape each piece back to its input's shape.
    int64_t total = 0;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const Dim& d = InShape(b, n, i)[axis];
      const int64_t c = d == Dim(0) ? 0 : d.coefficient();
      if (!(d == Dim(0) || SymbolPart(d) == *symbol)) {
        throw UnimplementedError(n.Describe() + ": gradient of concat of sizes along axis " +
                                 std::to_string(axis) + " that are not multiples of one symbol (" +
                                 d.ToString() + " vs " + symbol->ToString() + ")");
      }
      sizes.push_back(c);
      total += c;
    }
    std::vector<Dim> dims = y.dims();
    dims[static_cast<size_t>(axis)] = *symbol;
    dims.insert(dims.begin() + axis, Dim(total));
    whole = b.Op1("reshape", {g[0]}, {{"shape", Shape(std::move(dims))}});
  }
  std::vector<Value> pieces = b.Op("split", {whole}, {{"axis", axis}, {"sizes", sizes}});
  Grads out;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    out.push_back(ReshapeTo(b, pieces[i], InShape(b, n, i)));
  }
  return out;
}

Grads SplitGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  std::vector<Value> parts;
  for (size_t k = 0; k < n.outputs.size(); ++k) parts.push_back(grad::GradOrZeros(b, n, g, k));
  if (parts.size() == 1) return {parts[0]};
  return {b.Op1("concat", parts, {{"axis", n.attrs.at("axis").i()}})};
}

Grads StackGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const int64_t rank = n.outputs[0].shape.rank();
  const int64_t axis = NormalizeAxis(n.attrs.at("axis").i(), rank, "axis");
  std::vector<int64_t> sizes(n.inputs.size(), 1);
  std::vector<Value> pieces = b.Op("split", {g[0]}, {{"axis", axis}, {"sizes", sizes}});
  Grads out;
  for (Value p : pieces) {
    out.push_back(b.Op1("squeeze", {p}, {{"axes", std::vector<int64_t>{axis}}}));
  }
  return out;
}

Grads SliceGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  AttrMap attrs = n.attrs;
  attrs["shape"] = Attribute(InShape(b, n, 0));
  return {b.Op1("slice_backward", {g[0]}, std::move(attrs))};
}

Grads PadGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const std::vector<int64_t>& pads = n.attrs.at("pads").ints();
  if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) return {g[0]};
  if (n.attrs.at("mode").s() == "reflect") {
    return {b.Op1("pad_backward", {g[0]}, {{"pads", pads}, {"mode", std::string("reflect")}})};
  }
  // Constant: the adjoint of pad(before, after) is pad(-before, -after) with zeros: it crops
  // the border and zero-fills what a negative pad cropped.
  std::vector<int64_t> negated;
  for (int64_t p : pads) {
    if (p == std::numeric_limits<int64_t>::min()) {
      throw UnimplementedError(n.Describe() + ": gradient of a pad of INT64_MIN");
    }
    negated.push_back(-p);
  }
  return {b.Op1("pad", {g[0]},
                {{"pads", negated}, {"mode", std::string("constant")}, {"value", 0.0}})};
}

Grads GatherGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  return {b.Op1("gather_backward", {g[0], n.inputs[1]},
                {{"axis", n.attrs.at("axis").i()}, {"shape", InShape(b, n, 0)}}),
          Value()};
}

Grads EmbeddingGrad(GraphBuilder& b, const Node& n, std::span<const Value> g) {
  const Shape& w = InShape(b, n, 0);
  if (!w[0].is_static()) {
    throw UnimplementedError(n.Describe() + ": the gradient of embedding needs a static number "
                             "of embeddings, got weight " + w.ToString());
  }
  return {b.Op1("embedding_backward", {g[0], n.inputs[1]},
                {{"num_embeddings", w[0].value()}, {"padding_idx", n.attrs.at("padding_idx").i()}}),
          Value()};
}

}  // namespace

void RegisterShapeGrads(OpRegistry& r) {
  RegisterShapeGradOps(r);
  r.SetGrad("reshape", ReshapeGrad);
  r.SetGrad("flatten", ReshapeGrad);
  r.SetGrad("transpose", TransposeGrad);
  r.SetGrad("squeeze", SqueezeGrad);
  r.SetGrad("unsqueeze", UnsqueezeGrad);
  r.SetGrad("expand", ExpandGrad);
  r.SetGrad("concat", ConcatGrad);
  r.SetGrad("split", SplitGrad);
  r.SetGrad("stack", StackGrad);
  r.SetGrad("slice", SliceGrad);
  r.SetGrad("pad", PadGrad);
  r.SetGrad("gather", GatherGrad);
  r.SetGrad("embedding", EmbeddingGrad);
}

}  // namespace bronze
