// Shape ops: reshape (one dim may be -1; symbolic dims allowed, e.g. (N, T, 8) -> (-1, 8) gives
// (N*T, 8)) and transpose (a permutation; empty reverses the axes).
#include <algorithm>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

Shape InferReshape(const Shape& in, const Shape& target) {
  Dim known(1);
  int64_t infer_at = -1;
  for (int64_t k = 0; k < target.rank(); ++k) {
    if (target[k] == Dim(-1)) {
      infer_at = k;
    } else {
      known = known * target[k];
    }
  }
  Dim total = in.NumElements();
  Shape out = target;
  if (infer_at >= 0) {
    std::optional<Dim> q = total.DividedBy(known);
    if (!q || known == Dim(0)) {
      throw ShapeError("cannot reshape " + in.ToString() + " (" + total.ToString() +
                       " elements) to " + target.ToString() + ": " + known.ToString() +
                       " does not divide the element count");
    }
    out[infer_at] = *q;
  } else if (!(known == total)) {
    throw ShapeError("cannot reshape " + in.ToString() + " (" + total.ToString() +
                     " elements) to " + target.ToString() + " (" + known.ToString() + " elements)");
  }
  return out;
}

void ValidateReshape(const AttrMap& attrs) {
  const Shape& s = attrs.at("shape").shape();
  int wildcards = 0;
  for (const Dim& d : s.dims()) {
    if (d == Dim(-1)) {
      ++wildcards;
    } else if (d.is_static() ? d.coefficient() < 0 : d.coefficient() <= 0) {
      throw AttributeError("reshape target " + s.ToString() + " has a negative dim other than -1");
    }
  }
  if (wildcards > 1) throw AttributeError("reshape target " + s.ToString() + " has more than one -1");
}

std::vector<int64_t> Permutation(const std::vector<int64_t>& perm, int64_t rank) {
  std::vector<int64_t> p;
  if (perm.empty()) {
    for (int64_t k = rank - 1; k >= 0; --k) p.push_back(k);
    return p;
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    throw ShapeError("perm has " + std::to_string(perm.size()) + " entries for an input of rank " +
                     std::to_string(rank));
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t a : perm) {
    int64_t n = NormalizeAxis(a, rank, "perm entry");
    if (seen[static_cast<size_t>(n)]) throw AttributeError("perm repeats axis " + std::to_string(a));
    seen[static_cast<size_t>(n)] = true;
    p.push_back(n);
  }
  return p;
}

Cost MoveCost(const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
  return ops::ElementwiseCost(in, out, 0);
}

}  // namespace

std::vector<int64_t> ops::TransposePermutation(const std::vector<int64_t>& perm, int64_t rank) {
  return Permutation(perm, rank);
}

void RegisterShapeOps(OpRegistry& r) {
  OpSchema reshape = ops::MakeSchema("reshape", 500, {"x"}, FusionKind::kInjective,
                                     "The same elements in row-major order under a new shape; "
                                     "one dim may be -1 (inferred).");
  reshape.attrs = {{"shape", AttrType::kShape, std::nullopt, "target shape, one dim may be -1"}};
  reshape.infer = [](const InferContext& ctx) {
    return std::vector<TensorType>{
        {ctx.input(0).dtype, InferReshape(ctx.input(0).shape, ctx.attr("shape").shape())}};
  };
  reshape.validate = ValidateReshape;
  reshape.cost = MoveCost;
  r.Register(std::move(reshape));

  OpSchema transpose = ops::MakeSchema("transpose", 501, {"x"}, FusionKind::kInjective,
                                       "Permutes the axes: output axis i is input axis perm[i]; "
                                       "an empty perm reverses them.");
  transpose.attrs = {{"perm", AttrType::kInts, Attribute(std::vector<int64_t>{}),
                      "permutation of the axes; empty reverses"}};
  transpose.infer = [](const InferContext& ctx) {
    const TensorType& x = ctx.input(0);
    std::vector<int64_t> p = Permutation(ctx.attr("perm").ints(), x.shape.rank());
    std::vector<Dim> out;
    for (int64_t a : p) out.push_back(x.shape[a]);
    return std::vector<TensorType>{{x.dtype, Shape(std::move(out))}};
  };
  transpose.validate = ValidateNothing;
  transpose.cost = MoveCost;
  r.Register(std::move(transpose));
}

}  // namespace bronze
