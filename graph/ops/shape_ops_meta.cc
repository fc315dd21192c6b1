// Two small ops that autodiff needs: stop_gradient (identity that blocks gradients) and numel
// (the element count of a possibly symbolic shape, as a scalar; gradients of means divide by it).
#include "graph/ops/common.h"
#include "graph/ops/shape_ops.h"

namespace bronze {

void RegisterShapeMetaOps(OpRegistry& r) {
  OpSchema stop = ops::MakeSchema(
      "stop_gradient", 531, {"x"}, FusionKind::kElementwise,
      "Returns x unchanged (torch.Tensor.detach, jax.lax.stop_gradient): the value passes, the "
      "gradient does not, so autodiff treats the result as a constant. Any dtype.");
  stop.infer = [](const InferContext& ctx) { return std::vector<TensorType>{ctx.input(0)}; };
  stop.validate = ValidateNothing;
  stop.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, 0);
  };
  stop.differentiability = Differentiability::kNotDifferentiable;
  r.Register(std::move(stop));

  OpSchema numel = ops::MakeSchema(
      "numel", 532, {}, FusionKind::kOpaque,
      "The number of elements of `shape` (the product of its dims; 1 for ()), as a scalar of "
      "`dtype`, like torch.numel on a tensor of that shape. The shape may hold symbolic dims "
      "(N, 3): they are bound when a plan is compiled, so gradients of means over a batch divide "
      "by the run's batch size without recompiling the graph.");
  numel.attrs = {{"shape", AttrType::kShape, std::nullopt, "the shape to count; symbolic dims allowed"},
                 {"dtype", AttrType::kDType, Attribute(DType::kF32),
                  "result dtype: f32, f64, i32 or i64"}};
  numel.infer = [](const InferContext& ctx) {
    return std::vector<TensorType>{{ctx.attr("dtype").dtype(), Shape()}};
  };
  numel.validate = [](const AttrMap& attrs) {
    const Shape& s = attrs.at("shape").shape();
    if (!s.IsValidTensorShape()) throw AttributeError("shape " + s.ToString() + " has a negative dim");
    DType d = attrs.at("dtype").dtype();
    if (d != DType::kF32 && d != DType::kF64 && d != DType::kI32 && d != DType::kI64) {
      throw AttributeError("numel produces f32, f64, i32 or i64, not " + std::string(DTypeName(d)));
    }
  };
  numel.cost = [](const AttrMap&, std::span<const TensorType>, std::span<const TensorType> out) {
    return Cost{0, 0, ops::Bytes(out[0])};
  };
  numel.dispatch_input = -1;
  numel.differentiability = Differentiability::kNotDifferentiable;
  r.Register(std::move(numel));
}

}  // namespace bronze
