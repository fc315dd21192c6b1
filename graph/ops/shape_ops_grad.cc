// Shape ops, part 5 (ids 515, 516, 522, 523): the backward ops of the shape family, used by the
// gradient builders in shape_grad.cc: slice_backward, pad_backward, gather_backward and
// embedding_backward. Each maps an output gradient dy back onto the forward input's shape:
// slice_backward scatters, the others scatter-ADD (several output elements can read one input
// element). Float only (f32, f64); not differentiable themselves (no second derivatives).
#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"

namespace bronze {
namespace {

constexpr std::initializer_list<DType> kGradDTypes = {DType::kF32, DType::kF64};
constexpr std::initializer_list<DType> kIndexDTypes = {DType::kI32, DType::kI64};

// Throws ShapeError unless dy has the shape the forward op gives for an input of `x`.
void RequireForwardShape(const TensorType& dy, const Shape& expected, const std::string& forward) {
  if (!(dy.shape == expected)) {
    throw ShapeError("dy " + dy.ToString() + " does not have the shape " + expected.ToString() +
                     " that " + forward + " gives");
  }
}

void RequireTensorShape(const Shape& s, const char* attr) {
  if (!s.IsValidTensorShape()) {
    throw AttributeError(std::string(attr) + " " + s.ToString() + " is not a tensor shape " +
                         "(dims must be >= 0, symbolic dims positive multiples)");
  }
}

Cost ScatterCost(const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c = ops::ElementwiseCost(in, out, 0);
  c.flops = ops::StaticNumel(in[0]);  // one add per dy element
  return c;
}

AttrSpec ShapeAttr(std::string doc) {
  return {"shape", AttrType::kShape, std::nullopt, std::move(doc)};
}

// slice_backward: the slice op's attributes plus the forward input's shape.
OpSchema SliceBackward(const OpSchema& slice) {
  OpSchema s = ops::MakeSchema(
      "slice_backward", 515, {"dy"}, FusionKind::kInjective,
      "The gradient of slice: zeros of shape `shape` (the sliced input's shape) with dy written "
      "at the positions slice(starts, stops, axes, steps) reads, i.e. dx = zeros(shape); "
      "dx[start:stop:step, ...] = dy (every step, negative ones included, clamped bounds as in "
      "slice). A slice reads each input element at most once, so this is a plain scatter. "
      "torch.ops.aten.slice_backward(grad, input_sizes, dim, start, end, step) for one axis; "
      "here several axes at once. `shape` may be symbolic (bound when a plan is compiled). f32 "
      "and f64.");
  s.attrs = slice.attrs;
  s.attrs.insert(s.attrs.begin(), ShapeAttr("the shape of the sliced input (the output's shape)"));
  s.infer = [slice_infer = slice.infer](const InferContext& ctx) {
    const TensorType& dy = ctx.input(0);
    ops::RequireDType(dy.dtype, kGradDTypes, "dy " + dy.ToString());
    const Shape& shape = ctx.attr("shape").shape();
    RequireTensorShape(shape, "shape");
    const TensorType x{dy.dtype, shape};
    std::vector<TensorType> sliced =
        slice_infer(InferContext{ctx.attrs, std::span<const TensorType>(&x, 1)});
    RequireForwardShape(dy, sliced[0].shape, "slicing " + shape.ToString());
    return std::vector<TensorType>{x};
  };
  s.validate = slice.validate;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, 0);  // a zero fill and a copy
  };
  s.differentiability = Differentiability::kNotDifferentiable;
  return s;
}

// pad_backward: the pad op's pads and mode; the input shape follows from dy's.
OpSchema PadBackward(const OpSchema& pad) {
  OpSchema s = ops::MakeSchema(
      "pad_backward", 516, {"dy"}, FusionKind::kOpaque,
      "The gradient of pad(x, pads, mode): dx[j] = sum of dy[i] over every output position i "
      "whose value pad read from x[j]. mode 'reflect' folds the mirrored borders back onto the "
      "elements they copy (x = [a, b, c] padded (2, 1) reads [c, b, a, b, c, b], so dx = [dy2, "
      "dy1 + dy3 + dy5, dy0 + dy4]); mode 'constant' crops the border (dx[j] = dy[j + before]; "
      "elements a negative pad cropped get 0). Per axis the input size is dy's size minus both "
      "pads. torch.ops.aten.reflection_pad{1,2,3}d_backward for 'reflect' (any number of "
      "trailing dims here). f32 and f64; the sums run in a fixed order.");
  for (const AttrSpec& a : pad.attrs) {
    if (a.name != "value") s.attrs.push_back(a);
  }
  s.infer = [pad_infer = pad.infer](const InferContext& ctx) {
    const TensorType& dy = ctx.input(0);
    ops::RequireDType(dy.dtype, kGradDTypes, "dy " + dy.ToString());
    const auto& pads = ctx.attr("pads").ints();
    const int64_t rank = dy.shape.rank();
    if (static_cast<int64_t>(pads.size()) > 2 * rank) {
      throw ShapeError("pads cover " + std::to_string(pads.size() / 2) + " dims, but dy " +
                       dy.shape.ToString() + " has rank " + std::to_string(rank));
    }
    Shape x = dy.shape;
    auto amounts = ops::PadAmounts(pads, rank);
    for (int64_t d = 0; d < rank; ++d) {
      auto [before, after] = amounts[static_cast<size_t>(d)];
      if (before == 0 && after == 0) continue;
      if (!dy.shape[d].is_static()) {
        throw ShapeError("pads (" + std::to_string(before) + ", " + std::to_string(after) +
                         ") of axis " + std::to_string(d) + " of dy " + dy.shape.ToString() +
                         " of symbolic size: padding needs a static size");
      }
      int64_t n;
      if (__builtin_sub_overflow(dy.shape[d].value(), before, &n) ||
          __builtin_sub_overflow(n, after, &n) || n < 0) {
        throw ShapeError("pads (" + std::to_string(before) + ", " + std::to_string(after) +
                         ") of axis " + std::to_string(d) + " are more than dy " +
                         dy.shape.ToString() + " has along it");
      }
      x[d] = Dim(n);
    }
    // The forward shape function checks the rest (reflect pads below the input size).
    AttrMap forward = ctx.attrs;
    forward["value"] = Attribute(0.0);
    const TensorType xt{dy.dtype, x};
    pad_infer(InferContext{forward, std::span<const TensorType>(&xt, 1)});
    return std::vector<TensorType>{xt};
  };
  s.validate = pad.validate;
  s.cost = ScatterCost;
  s.differentiability = Differentiability::kNotDifferentiable;
  return s;
}

std::vector<TensorType> InferGatherBackward(const InferContext& ctx) {
  const TensorType& dy = ctx.input(0);
  const TensorType& indices = ctx.input(1);
  ops::RequireDType(dy.dtype, kGradDTypes, "dy " + dy.ToString());
  ops::RequireDType(indices.dtype, kIndexDTypes, "indices " + indices.ToString());
  const Shape& shape = ctx.attr("shape").shape();
  RequireTensorShape(shape, "shape");
  if (shape.rank() == 0) {
    throw ShapeError("gather_backward needs a data shape of rank >= 1, got ()");
  }
  const int64_t axis = NormalizeAxis(ctx.attr("axis").i(), shape.rank(), "axis");
  std::vector<Dim> expected(shape.dims().begin(), shape.dims().begin() + axis);
  expected.insert(expected.end(), indices.shape.dims().begin(), indices.shape.dims().end());
  expected.insert(expected.end(), shape.dims().begin() + axis + 1, shape.dims().end());
  RequireForwardShape(dy, Shape(std::move(expected)),
                      "gathering " + indices.shape.ToString() + " indices from " +
                          shape.ToString() + " along axis " + std::to_string(axis));
  return {{dy.dtype, shape}};
}

std::vector<TensorType> InferEmbeddingBackward(const InferContext& ctx) {
  const TensorType& dy = ctx.input(0);
  const TensorType& indices = ctx.input(1);
  ops::RequireDType(dy.dtype, kGradDTypes, "dy " + dy.ToString());
  ops::RequireDType(indices.dtype, kIndexDTypes, "indices " + indices.ToString());
  if (dy.shape.rank() != indices.shape.rank() + 1) {
    throw ShapeError("dy " + dy.shape.ToString() + " must have the indices' shape " +
                     indices.shape.ToString() + " plus an embedding dim");
  }
  RequireForwardShape(dy, [&] {
    std::vector<Dim> e = indices.shape.dims();
    e.push_back(dy.shape.dims().back());
    return Shape(std::move(e));
  }(), "embedding " + indices.shape.ToString() + " indices");
  const int64_t rows = ctx.attr("num_embeddings").i();
  const int64_t padding_idx = ctx.attr("padding_idx").i();
  if (padding_idx >= rows) {
    throw AttributeError("padding_idx " + std::to_string(padding_idx) + " is out of range for " +
                         std::to_string(rows) + " embeddings");
  }
  return {{dy.dtype, Shape{Dim(rows), dy.shape.dims().back()}}};
}

}  // namespace

void RegisterShapeGradOps(OpRegistry& r) {
  r.Register(SliceBackward(*r.Find("slice")));
  r.Register(PadBackward(*r.Find("pad")));

  OpSchema gather = ops::MakeSchema(
      "gather_backward", 522, {"dy", "indices"}, FusionKind::kOpaque,
      "The gradient of gather(data, indices, axis) with respect to data: zeros of shape `shape` "
      "(data's shape) with each dy slice added where gather read it: dx[i..., indices[j...], "
      "k...] += dy[i..., j..., k...]. Repeated indices accumulate, in index order (so the "
      "result is the same at every thread count); negative indices wrap once as in gather; an "
      "index outside [-size, size) is a run-time InvalidArgumentError. torch.index_add on zeros "
      "(the backward of torch.index_select) for 1-D indices. `shape` may be symbolic (bound "
      "when a plan is compiled). dy: f32 or f64; indices: i32 or i64.");
  gather.attrs = {{"axis", AttrType::kInt, Attribute(int64_t{0}),
                   "the gathered axis of data; negative counts from the end"},
                  ShapeAttr("data's shape (the output's shape)")};
  gather.infer = InferGatherBackward;
  gather.validate = ValidateNothing;
  gather.cost = ScatterCost;
  gather.differentiability = Differentiability::kNotDifferentiable;
  r.Register(std::move(gather));

  OpSchema embedding = ops::MakeSchema(
      "embedding_backward", 523, {"dy", "indices"}, FusionKind::kOpaque,
      "The gradient of embedding(weight, indices, padding_idx) with respect to weight: a "
      "(num_embeddings, embedding_dim) tensor of zeros with dy[j..., :] added to row "
      "indices[j...] for every index position, in index order (deterministic, the same at "
      "every thread count); the row at padding_idx gets no gradient (it stays 0), as in torch. "
      "An index outside [0, num_embeddings) is a run-time InvalidArgumentError. "
      "torch.ops.aten.embedding_dense_backward(grad, indices, num_weights, padding_idx, "
      "scale_grad_by_freq=False). dy: f32 or f64, shape indices.shape + (embedding_dim,); "
      "indices: i32 or i64.");
  embedding.attrs = {
      {"num_embeddings", AttrType::kInt, std::nullopt, "rows of the weight (>= 0)"},
      {"padding_idx", AttrType::kInt, Attribute(int64_t{-1}),
       "row that gets no gradient; -1 = none (must be < num_embeddings)"}};
  embedding.infer = InferEmbeddingBackward;
  embedding.validate = [](const AttrMap& attrs) {
    if (attrs.at("num_embeddings").i() < 0) {
      throw AttributeError("num_embeddings " + std::to_string(attrs.at("num_embeddings").i()) +
                           " is negative");
    }
    if (attrs.at("padding_idx").i() < -1) {
      throw AttributeError("padding_idx " + std::to_string(attrs.at("padding_idx").i()) +
                           " is negative; use -1 for none");
    }
  };
  embedding.cost = ScatterCost;
  embedding.differentiability = Differentiability::kNotDifferentiable;
  r.Register(std::move(embedding));
}

}  // namespace bronze
