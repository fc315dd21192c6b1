// Shape ops, part 1 (ids 500-505): ops that keep every element and only change how the shape
// reads: reshape, transpose, flatten, squeeze, unsqueeze, and expand (which repeats elements
// along size-1 dims). Symbolic dims flow through: (N, T, 8) reshaped to (-1, 8) is (N*T, 8),
// flatten multiplies monomials. RegisterShapeOps, the family's entry point, also registers the
// join ops (shape_ops_join.cc) and the indexing ops (shape_ops_index.cc).
#include <algorithm>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"
#include "graph/ops/shape_ops.h"

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
  if (wildcards > 1) {
    throw AttributeError("reshape target " + s.ToString() + " has more than one -1");
  }
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
    if (seen[static_cast<size_t>(n)]) {
      throw AttributeError("perm repeats axis " + std::to_string(a));
    }
    seen[static_cast<size_t>(n)] = true;
    p.push_back(n);
  }
  return p;
}

std::string IntsToString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// flatten: dims [start, end] become their product (a monomial: N*C*H*W).
Shape InferFlatten(const Shape& in, int64_t start_dim, int64_t end_dim) {
  const int64_t rank = in.rank();
  int64_t s = ops::NormalizeAxisScalarAsVector(start_dim, rank, "start_dim");
  int64_t e = ops::NormalizeAxisScalarAsVector(end_dim, rank, "end_dim");
  if (s > e) {
    throw ShapeError("start_dim " + std::to_string(start_dim) + " (axis " + std::to_string(s) +
                     ") comes after end_dim " + std::to_string(end_dim) + " (axis " +
                     std::to_string(e) + ") for rank " + std::to_string(rank));
  }
  if (rank == 0) return Shape{Dim(1)};
  std::vector<Dim> out(in.dims().begin(), in.dims().begin() + s);
  Dim product(1);
  for (int64_t k = s; k <= e; ++k) product = product * in[k];
  out.push_back(product);
  out.insert(out.end(), in.dims().begin() + e + 1, in.dims().end());
  return Shape(std::move(out));
}

Shape InferSqueeze(const Shape& in, const std::vector<int64_t>& axes) {
  const int64_t rank = in.rank();
  std::vector<bool> drop(static_cast<size_t>(rank), false);
  if (axes.empty()) {
    for (int64_t k = 0; k < rank; ++k) drop[static_cast<size_t>(k)] = in[k] == Dim(1);
  } else {
    std::vector<bool> listed(static_cast<size_t>(std::max<int64_t>(rank, 1)), false);
    for (int64_t a : axes) {
      int64_t n = ops::NormalizeAxisScalarAsVector(a, rank, "axis");
      if (listed[static_cast<size_t>(n)]) {
        throw AttributeError("axis " + std::to_string(a) + " appears twice in axes " +
                             IntsToString(axes));
      }
      listed[static_cast<size_t>(n)] = true;
      if (rank == 0) continue;  // squeezing a scalar is a no-op, as in PyTorch
      if (!in[n].is_static()) {
        throw ShapeError("axis " + std::to_string(a) + " has symbolic size " + in[n].ToString() +
                         ": whether it is 1 is only known at run time, so squeeze cannot decide "
                         "the output rank (squeeze static size-1 axes only)");
      }
      drop[static_cast<size_t>(n)] = in[n] == Dim(1);  // a listed non-1 axis stays (PyTorch)
    }
  }
  std::vector<Dim> out;
  for (int64_t k = 0; k < rank; ++k) {
    if (!drop[static_cast<size_t>(k)]) out.push_back(in[k]);
  }
  return Shape(std::move(out));
}

Shape InferUnsqueeze(const Shape& in, const std::vector<int64_t>& axes) {
  const int64_t out_rank = in.rank() + static_cast<int64_t>(axes.size());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : axes) {
    int64_t n = NormalizeAxis(a, out_rank, "axis");
    if (inserted[static_cast<size_t>(n)]) {
      throw AttributeError("axis " + std::to_string(a) + " appears twice in axes " +
                           IntsToString(axes) + " (output rank " + std::to_string(out_rank) + ")");
    }
    inserted[static_cast<size_t>(n)] = true;
  }
  std::vector<Dim> out;
  int64_t next = 0;
  for (int64_t k = 0; k < out_rank; ++k) {
    out.push_back(inserted[static_cast<size_t>(k)] ? Dim(1) : in[next++]);
  }
  return Shape(std::move(out));
}

void ValidateExpand(const AttrMap& attrs) {
  const Shape& s = attrs.at("shape").shape();
  for (const Dim& d : s.dims()) {
    if (d == Dim(-1)) continue;
    if (d.is_static() ? d.coefficient() < 0 : d.coefficient() <= 0) {
      throw AttributeError("expand target " + s.ToString() + " has a negative dim other than -1");
    }
  }
}

Shape InferExpand(const Shape& in, const Shape& target) {
  const int64_t lead = target.rank() - in.rank();
  if (lead < 0) {
    throw ShapeError("expand target " + target.ToString() + " has " +
                     std::to_string(target.rank()) + " dims, fewer than the input " +
                     in.ToString() + " (" + std::to_string(in.rank()) + ")");
  }
  std::vector<Dim> out;
  for (int64_t k = 0; k < target.rank(); ++k) {
    const Dim& t = target[k];
    if (k < lead) {
      if (t == Dim(-1)) {
        throw ShapeError("expand target " + target.ToString() + " has -1 at new leading dim " +
                         std::to_string(k) + ", which has no input dim to keep");
      }
      out.push_back(t);
      continue;
    }
    const Dim& d = in[k - lead];
    if (t == Dim(-1) || t == d) {
      out.push_back(d);
    } else if (d == Dim(1)) {
      out.push_back(t);
    } else {
      throw ShapeError("cannot expand " + in.ToString() + " to " + target.ToString() +
                       ": input dim " + std::to_string(k - lead) + " has size " + d.ToString() +
                       ", target " + t.ToString() + " (only size-1 dims expand)");
    }
  }
  return Shape(std::move(out));
}

Cost MoveCost(const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
  return ops::ElementwiseCost(in, out, 0);
}

// A one-input op that keeps the dtype and maps the shape; any dtype.
OpSchema ShapeMap(std::string name, uint32_t id, std::string doc, std::vector<AttrSpec> attrs,
                  std::function<Shape(const InferContext&)> shape) {
  OpSchema s = ops::MakeSchema(std::move(name), id, {"x"}, FusionKind::kInjective, std::move(doc));
  s.attrs = std::move(attrs);
  s.infer = [shape = std::move(shape)](const InferContext& ctx) {
    return std::vector<TensorType>{{ctx.input(0).dtype, shape(ctx)}};
  };
  s.validate = ValidateNothing;
  s.cost = MoveCost;
  s.differentiability = Differentiability::kDifferentiable;
  return s;
}

}  // namespace

std::vector<int64_t> ops::TransposePermutation(const std::vector<int64_t>& perm, int64_t rank) {
  return Permutation(perm, rank);
}

int64_t ops::NormalizeAxisScalarAsVector(int64_t axis, int64_t rank, const char* what) {
  return NormalizeAxis(axis, std::max<int64_t>(rank, 1), what);
}

void RegisterShapeViewOps(OpRegistry& r) {
  OpSchema reshape = ShapeMap(
      "reshape", 500,
      "The same elements in row-major order under a new shape, as torch.reshape. One target dim "
      "may be -1: it is inferred so the element count matches (also with symbolic dims: (N, T, 8) "
      "to (-1, 8) gives (N*T, 8)); a 0 in the target is a literal 0 (not ONNX's 'copy this dim'). "
      "The element counts must match. Any dtype. The kernels copy today; a planner may alias.",
      {{"shape", AttrType::kShape, std::nullopt,
        "target shape; at most one dim may be -1 (inferred); symbolic dims allowed"}},
      [](const InferContext& ctx) {
        return InferReshape(ctx.input(0).shape, ctx.attr("shape").shape());
      });
  reshape.validate = ValidateReshape;
  r.Register(std::move(reshape));

  r.Register(ShapeMap(
      "transpose", 501,
      "Permutes the axes: output axis i is input axis perm[i], as torch.permute(x, perm); an "
      "empty perm reverses them (numpy.transpose(x)). Negative perm entries count from the end. "
      "Any dtype.",
      {{"perm", AttrType::kInts, Attribute(std::vector<int64_t>{}),
        "permutation of the axes (negative entries count from the end); empty reverses"}},
      [](const InferContext& ctx) {
        const Shape& x = ctx.input(0).shape;
        std::vector<Dim> out;
        for (int64_t a : Permutation(ctx.attr("perm").ints(), x.rank())) out.push_back(x[a]);
        return Shape(std::move(out));
      }));

  r.Register(ShapeMap(
      "flatten", 502,
      "torch.flatten(x, start_dim, end_dim): dims start_dim..end_dim (inclusive, negative count "
      "from the end) become one dim of their product; the defaults (0, -1) flatten everything "
      "to 1-D, as in torch.flatten (note torch.nn.Flatten defaults to start_dim=1). Symbolic dims "
      "multiply into monomials: (N, C, H, W) with start_dim=1 gives (N, C*H*W), with the "
      "defaults (N*C*H*W,). A scalar flattens to shape (1,) (start_dim and end_dim must then be "
      "0 or -1). start_dim after end_dim is an error; a static product overflowing int64 is an "
      "error. Any dtype.",
      {{"start_dim", AttrType::kInt, Attribute(int64_t{0}),
        "first dim to flatten; negative counts from the end (torch.flatten's default 0)"},
       {"end_dim", AttrType::kInt, Attribute(int64_t{-1}),
        "last dim to flatten, inclusive; negative counts from the end (default -1: the last)"}},
      [](const InferContext& ctx) {
        return InferFlatten(ctx.input(0).shape, ctx.attr("start_dim").i(), ctx.attr("end_dim").i());
      }));

  r.Register(ShapeMap(
      "squeeze", 503,
      "torch.squeeze(x, dim=axes): removes size-1 dims. Empty axes removes every dim of static "
      "size 1 (symbolic dims such as a batch dim N are kept: the graph's rank cannot depend on a "
      "run-time size). A listed axis whose static size is not 1 is left in place (a no-op, as in "
      "PyTorch); a listed axis of symbolic size is an error (squeeze cannot decide the rank). "
      "Negative axes count from the end; repeated axes are an error. A scalar stays a scalar "
      "(axes 0 and -1 are accepted for it, as in PyTorch). Any dtype.",
      {{"axes", AttrType::kInts, Attribute(std::vector<int64_t>{}),
        "axes to remove when they have size 1 (negative count from the end); empty = every "
        "static size-1 dim"}},
      [](const InferContext& ctx) {
        return InferSqueeze(ctx.input(0).shape, ctx.attr("axes").ints());
      }));

  OpSchema unsqueeze = ShapeMap(
      "unsqueeze", 504,
      "Inserts size-1 dims, as torch.unsqueeze (one axis) and ONNX Unsqueeze (several): each "
      "listed axis is a position in the OUTPUT, of rank rank(x) + len(axes); negative axes count "
      "from the end of the output (torch.unsqueeze(x, -1) appends a dim). Repeated axes are an "
      "error. Any dtype.",
      {{"axes", AttrType::kInts, std::nullopt,
        "positions of the new size-1 dims in the output (negative count from its end); non-empty"}},
      [](const InferContext& ctx) {
        return InferUnsqueeze(ctx.input(0).shape, ctx.attr("axes").ints());
      });
  unsqueeze.validate = [](const AttrMap& attrs) {
    if (attrs.at("axes").ints().empty()) {
      throw AttributeError("unsqueeze needs at least one axis, got []");
    }
  };
  r.Register(std::move(unsqueeze));

  OpSchema expand = ShapeMap(
      "expand", 505,
      "torch.Tensor.expand(*shape): repeats size-1 dims to the target size (NumPy broadcasting "
      "of x to `shape`). The target is aligned with x's trailing dims and may add new leading "
      "dims; -1 keeps x's dim (not allowed in a new leading dim); a dim of x that is not 1 must "
      "equal its target. Symbolic dims: a size-1 dim expands to a symbol (x (1, 3) to (N, 3)); "
      "N only matches N. Expanding to 0 is allowed (an empty result). Any dtype.",
      {{"shape", AttrType::kShape, std::nullopt,
        "target shape; -1 keeps the input dim; may have more (leading) dims than the input"}},
      [](const InferContext& ctx) {
        return InferExpand(ctx.input(0).shape, ctx.attr("shape").shape());
      });
  expand.validate = ValidateExpand;
  r.Register(std::move(expand));
}

void RegisterShapeOps(OpRegistry& r) {
  RegisterShapeViewOps(r);
  RegisterShapeJoinOps(r);
  RegisterShapeIndexOps(r);
  RegisterShapeMetaOps(r);
}

}  // namespace bronze
