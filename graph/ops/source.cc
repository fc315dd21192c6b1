// Source ops: placeholder (fed at run time), parameter (trainable state), state (persistent,
// not trained) and constant. They have
// no inputs and no kernels: the runtime binds their tensors. Attributes: dtype and shape; the
// value of a constant (and the initial value of a parameter) is the node's `data` tensor.
#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

OpSchema SourceSchema(std::string name, uint32_t id, bool allow_symbolic, std::string doc) {
  OpSchema s = ops::MakeSchema(std::move(name), id, {}, FusionKind::kSource, std::move(doc));
  s.attrs = {{"dtype", AttrType::kDType, std::nullopt, "element type"},
             {"shape", AttrType::kShape, std::nullopt, "shape; symbolic dims only for placeholders"}};
  s.infer = [](const InferContext& ctx) {
    return std::vector<TensorType>{{ctx.attr("dtype").dtype(), ctx.attr("shape").shape()}};
  };
  s.validate = [allow_symbolic, op = s.name](const AttrMap& attrs) {
    const Shape& shape = attrs.at("shape").shape();
    if (!shape.IsValidTensorShape()) {
      throw AttributeError("shape " + shape.ToString() + " has a negative dim");
    }
    if (!allow_symbolic && !shape.is_static()) {
      throw AttributeError("a " + op + " needs a static shape, got " + shape.ToString());
    }
  };
  s.differentiability = Differentiability::kNotDifferentiable;
  s.cost = [](const AttrMap&, std::span<const TensorType>, std::span<const TensorType>) { return Cost{}; };
  s.dispatch_input = -1;
  s.is_source = true;
  return s;
}

}  // namespace

void RegisterSourceOps(OpRegistry& r) {
  r.Register(SourceSchema("placeholder", 1, true, "A graph input, fed at every run."));
  r.Register(SourceSchema("parameter", 2, false,
                          "Trainable state that persists across runs; its initial value is the "
                          "node's data."));
  r.Register(SourceSchema("state", 4,  false,
                          "Persistent state that is not trained: optimizer moments, step counters, "
                          "batch_norm running statistics. Its initial value is the node's data; "
                          "in-place update ops (assign, the optimizers) change it between runs."));
  r.Register(SourceSchema("constant", 3, false, "A constant tensor; its value is the node's data."));
}

}  // namespace bronze
