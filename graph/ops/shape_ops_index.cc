// Shape ops, part 3 (ids 520-530): indexing with integer tensors: gather (numpy.take / ONNX
// Gather), one_hot and embedding. Index values are only known at run time, so an out-of-range
// index is a run-time InvalidArgumentError raised by the kernels (naming the index, its position
// and the valid range); the shape functions check everything else.
#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"

namespace bronze {
namespace {

constexpr std::initializer_list<DType> kIndexDTypes = {DType::kI32, DType::kI64};
constexpr std::initializer_list<DType> kOneHotDTypes = {DType::kF32, DType::kF64, DType::kI32,
                                                        DType::kI64, DType::kU8,  DType::kBool};

std::vector<TensorType> InferGather(const InferContext& ctx) {
  const TensorType& data = ctx.input(0);
  const TensorType& indices = ctx.input(1);
  ops::RequireDType(indices.dtype, kIndexDTypes, "indices " + indices.ToString());
  if (data.shape.rank() == 0) {
    throw ShapeError("gather needs data of rank >= 1, got a scalar (shape ())");
  }
  const int64_t axis = NormalizeAxis(ctx.attr("axis").i(), data.shape.rank(), "axis");
  std::vector<Dim> out(data.shape.dims().begin(), data.shape.dims().begin() + axis);
  out.insert(out.end(), indices.shape.dims().begin(), indices.shape.dims().end());
  out.insert(out.end(), data.shape.dims().begin() + axis + 1, data.shape.dims().end());
  return {{data.dtype, Shape(std::move(out))}};
}

std::vector<TensorType> InferOneHot(const InferContext& ctx) {
  const TensorType& indices = ctx.input(0);
  ops::RequireDType(indices.dtype, kIndexDTypes, "indices " + indices.ToString());
  DType dtype = ctx.attr("dtype").dtype();
  ops::RequireDType(dtype, kOneHotDTypes, "attribute dtype");
  std::vector<Dim> out = indices.shape.dims();
  out.push_back(Dim(ctx.attr("num_classes").i()));
  Shape shape(std::move(out));
  (void)shape.NumElements();  // throws ShapeError when a static element count overflows int64
  return {{dtype, std::move(shape)}};
}

std::vector<TensorType> InferEmbedding(const InferContext& ctx) {
  const TensorType& weight = ctx.input(0);
  const TensorType& indices = ctx.input(1);
  ops::RequireDType(indices.dtype, kIndexDTypes, "indices " + indices.ToString());
  if (weight.shape.rank() != 2) {
    throw ShapeError("weight must be 2-D (num_embeddings, embedding_dim), got shape " +
                     weight.shape.ToString());
  }
  const int64_t padding_idx = ctx.attr("padding_idx").i();
  if (padding_idx >= 0 && weight.shape[0].is_static() && padding_idx >= weight.shape[0].value()) {
    throw AttributeError("padding_idx " + std::to_string(padding_idx) + " is out of range for " +
                         weight.shape[0].ToString() + " embeddings (weight " +
                         weight.shape.ToString() + ")");
  }
  std::vector<Dim> out = indices.shape.dims();
  out.push_back(weight.shape[1]);
  return {{weight.dtype, Shape(std::move(out))}};
}

// Reads the gathered rows and the indices, writes the output.
Cost GatherCost(const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c = ops::ElementwiseCost({}, out, 0);
  c.bytes_read = c.bytes_written + ops::Bytes(in[1]);
  return c;
}

Cost OneHotCost(const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
  Cost c = ops::ElementwiseCost(in, out, 0);
  c.flops = ops::StaticNumel(out[0]);  // one compare per output element
  return c;
}

}  // namespace

void ops::ThrowIndexOutOfRange(int64_t index, int64_t position, const std::string& range,
                               int64_t lo, int64_t hi) {
  throw InvalidArgumentError(
      "index " + std::to_string(index) + " at position " + std::to_string(position) +
      " of indices is out of range for " + range +
      (hi < lo ? " (no index is valid)"
               : " (valid: " + std::to_string(lo) + " to " + std::to_string(hi) + ")"));
}

void RegisterShapeIndexOps(OpRegistry& r) {
  // gather and embedding address their data by run-time values: opaque to the tile-by-tile
  // fusion of elementwise groups (it cannot know which data elements a tile needs).
  OpSchema gather = ops::MakeSchema(
      "gather", 520, {"data", "indices"}, FusionKind::kOpaque,
      "numpy.take(data, indices, axis) / ONNX Gather: out[i..., j..., k...] = "
      "data[i..., indices[j...], k...], so the output shape is data.shape[:axis] + indices.shape "
      "+ data.shape[axis+1:] (torch.index_select for 1-D indices; data[..., indices] in general). "
      "indices are i32 or i64 of any shape (a scalar index removes the axis); a negative index "
      "wraps once (-1 is the last); an index outside [-size, size) is a run-time "
      "InvalidArgumentError naming the index, its position and the axis size. data: any dtype; "
      "differentiable with respect to data only.");
  gather.attrs = {{"axis", AttrType::kInt, Attribute(int64_t{0}),
                   "axis of data to index; negative counts from the end"}};
  gather.infer = InferGather;
  gather.validate = ValidateNothing;
  gather.cost = GatherCost;
  gather.differentiability = Differentiability::kDifferentiable;
  r.Register(std::move(gather));

  OpSchema one_hot = ops::MakeSchema(
      "one_hot", 521, {"indices"}, FusionKind::kInjective,
      "torch.nn.functional.one_hot(indices, num_classes): out[..., c] = 1 if indices[...] == c "
      "else 0, shape indices.shape + (num_classes,). indices are i32 or i64; an index outside "
      "[0, num_classes) (negative included, as in torch) is a run-time InvalidArgumentError. "
      "num_classes is required (torch's -1 = max + 1 would make the shape data-dependent). The "
      "output dtype defaults to f32 (torch returns int64: pass dtype=i64 for that), since one-hot "
      "vectors usually feed matmuls and losses; f32, f64, i32, i64, u8 and bool are supported. "
      "Not differentiable.");
  one_hot.attrs = {{"num_classes", AttrType::kInt, std::nullopt,
                    "number of classes (>= 1): the size of the new last dim"},
                   {"dtype", AttrType::kDType, Attribute(DType::kF32),
                    "output dtype (default f32; torch's one_hot gives i64)"}};
  one_hot.infer = InferOneHot;
  one_hot.validate = [](const AttrMap& attrs) {
    int64_t n = attrs.at("num_classes").i();
    if (n < 1) throw AttributeError("num_classes must be >= 1, got " + std::to_string(n));
  };
  one_hot.cost = OneHotCost;
  one_hot.differentiability = Differentiability::kNotDifferentiable;
  r.Register(std::move(one_hot));

  OpSchema embedding = ops::MakeSchema(
      "embedding", 530, {"weight", "indices"}, FusionKind::kOpaque,
      "torch.nn.functional.embedding(indices, weight, padding_idx) (note the input order here: "
      "weight first, like gather's data): out[..., :] = weight[indices[...], :] for a weight of "
      "shape (num_embeddings, embedding_dim) and i32/i64 indices of any shape, giving "
      "indices.shape + (embedding_dim,). An index outside [0, num_embeddings) (negative "
      "included, as in torch) is a run-time InvalidArgumentError. padding_idx only affects "
      "gradients (the row at padding_idx gets none, as in torch); the forward result reads that "
      "row like any other. padding_idx -1 means none; unlike torch, other negative values are "
      "rejected instead of counting from the end (pass num_embeddings - 1 for the last row). "
      "max_norm is not supported. weight: any dtype; differentiable with respect to weight.");
  embedding.attrs = {{"padding_idx", AttrType::kInt, Attribute(int64_t{-1}),
                      "row that gets no gradient; -1 = none (must be < num_embeddings)"}};
  embedding.infer = InferEmbedding;
  embedding.validate = [](const AttrMap& attrs) {
    int64_t p = attrs.at("padding_idx").i();
    if (p < -1) {
      throw AttributeError("padding_idx " + std::to_string(p) + " is negative; use -1 for none or "
                           "num_embeddings - 1 for the last row");
    }
  };
  embedding.cost = GatherCost;
  embedding.differentiability = Differentiability::kDifferentiable;
  r.Register(std::move(embedding));
}

}  // namespace bronze
