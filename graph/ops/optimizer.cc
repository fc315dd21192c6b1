// The optimizer family (ids 800-899): assign and the fused in-place optimizer updates (sgd,
// adam, adamw, rmsprop, adagrad), each exactly the update of its torch.optim namesake.
//
// Every update op writes the parameter and each optimizer state it keeps into the buffers of
// the corresponding inputs (OpSchema::inplace), which must be `parameter` or `state` values.
// The learning rate is an INPUT (an f32 or f64 scalar) so a schedule changes it without
// recompiling; every other hyperparameter is an attribute. Optional state inputs (momentum
// buffers, RMSprop's grad_avg, amsgrad's max_exp_avg_sq) come last and are present exactly when
// the attributes need them; the outputs are the updated parameter, then the updated states in
// input order, so output k (k >= 1) always aliases the k-th state input and the inplace pairs
// of an absent state simply do not apply. graph/optimizer.h builds these nodes with their state.
#include <cmath>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

constexpr std::initializer_list<DType> kParamDTypes = {DType::kF32, DType::kF64};

// --- Attribute checks. ---

double Attr(const AttrMap& attrs, const std::string& name) { return attrs.at(name).f(); }

void RequireFlag(const AttrMap& attrs, const std::string& name) {
  int64_t v = attrs.at(name).i();
  if (v != 0 && v != 1) throw AttributeError(name + " must be 0 or 1, got " + std::to_string(v));
}

// v >= 0 (and not NaN), as torch.optim's constructors check.
void RequireNonNegative(const AttrMap& attrs, const std::string& name) {
  double v = Attr(attrs, name);
  if (!(v >= 0.0)) throw AttributeError(name + " must be >= 0, got " + FormatDouble(v));
}

// 0 <= v < 1 (Adam's betas).
void RequireBeta(const AttrMap& attrs, const std::string& name) {
  double v = Attr(attrs, name);
  if (!(v >= 0.0 && v < 1.0))
    throw AttributeError(name + " must be in [0, 1), got " + FormatDouble(v));
}

AttrSpec FloatAttr(std::string name, double value, std::string doc) {
  return {std::move(name), AttrType::kFloat, Attribute(value), std::move(doc)};
}
AttrSpec FlagAttr(std::string name, std::string doc) {
  return {std::move(name), AttrType::kInt, Attribute(int64_t{0}), std::move(doc)};
}

// --- Input checks (ctx.input(0) is the parameter). ---

std::string DTypeStr(DType d) { return std::string(DTypeName(d)); }

void CheckParam(const InferContext& ctx) {
  ops::RequireDType(ctx.input(0).dtype, kParamDTypes, "param");
}

// Input `i` (called `name`) must have exactly the parameter's type.
void CheckLikeParam(const InferContext& ctx, size_t i, const std::string& name) {
  const TensorType& p = ctx.input(0);
  const TensorType& t = ctx.input(i);
  if (t.dtype != p.dtype) {
    throw TypeError(name + " has dtype " + DTypeStr(t.dtype) + ", but param has dtype " +
                    DTypeStr(p.dtype) + " (they must match)");
  }
  if (t.shape != p.shape) {
    throw ShapeError(name + " has shape " + t.shape.ToString() + ", but param has shape " +
                     p.shape.ToString() + " (they must match)");
  }
}

// The learning rate: an f32 or f64 scalar of shape ().
void CheckLr(const InferContext& ctx, size_t i) {
  const TensorType& t = ctx.input(i);
  ops::RequireDType(t.dtype, {DType::kF32, DType::kF64}, "lr");
  if (t.shape.rank() != 0) {
    throw ShapeError("lr must be a scalar of shape (), got shape " + t.shape.ToString());
  }
}

// A step counter: an i64 scalar of shape ().
void CheckStep(const InferContext& ctx, size_t i) {
  const TensorType& t = ctx.input(i);
  if (t.dtype != DType::kI64 || t.shape.rank() != 0) {
    throw TypeError("step must be an i64 scalar of shape (), got " + t.ToString());
  }
}

// The input count the attributes ask for.
void CheckArity(const InferContext& ctx, size_t want, const std::string& layout,
                const std::string& because) {
  if (ctx.inputs.size() != want) {
    throw GraphError("expects " + std::to_string(want) + " inputs " + layout + " " + because +
                     ", got " + std::to_string(ctx.inputs.size()));
  }
}

// Output types: the types of the in-place targets, in order.
std::vector<TensorType> TypesOf(const InferContext& ctx, std::initializer_list<size_t> inputs) {
  std::vector<TensorType> out;
  for (size_t i : inputs) out.push_back(ctx.input(i));
  return out;
}

// Reads and writes every input and output once; `flops` per parameter element.
CostFn UpdateCost(double flops) {
  return [flops](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    c.flops = flops * ops::StaticNumel(in[0]);
    return c;
  };
}

OpSchema UpdateSchema(std::string name, uint32_t id, std::vector<std::string> inputs,
                      std::string doc) {
  OpSchema s =
      ops::MakeSchema(std::move(name), id, std::move(inputs), FusionKind::kOpaque, std::move(doc));
  s.differentiability = Differentiability::kNotDifferentiable;
  s.has_side_effects = true;
  return s;
}

const char* const kInPlaceDoc =
    " In place: each output is written into the buffer of the input it updates, which must be "
    "a parameter or state value (verifier); every other reader of those values runs before "
    "this op.";

// --- The ops. ---

OpSchema Assign() {
  OpSchema s = UpdateSchema(
      "assign", 800, {"target", "value"},
      std::string("target := value: copies value into target in place and returns the new "
                  "target (torch.Tensor.copy_ without broadcasting or casting). target must be a "
                  "parameter or state value; value must have exactly its dtype and shape. Used "
                  "for batch_norm running statistics and other state updates.") +
          kInPlaceDoc);
  s.infer = [](const InferContext& ctx) {
    const TensorType& t = ctx.input(0);
    const TensorType& v = ctx.input(1);
    if (v.dtype != t.dtype) {
      throw TypeError("value has dtype " + DTypeStr(v.dtype) + ", but target has dtype " +
                      DTypeStr(t.dtype) + " (assign does not cast)");
    }
    if (v.shape != t.shape) {
      throw ShapeError("value has shape " + v.shape.ToString() + ", but target has shape " +
                       t.shape.ToString() + " (assign does not broadcast)");
    }
    return std::vector<TensorType>{t};
  };
  s.validate = ValidateNothing;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c;
    c.bytes_read = ops::Bytes(in[1]);
    c.bytes_written = ops::Bytes(out[0]);
    return c;
  };
  s.inplace = {{0, 0}};
  return s;
}

OpSchema SgdUpdate() {
  OpSchema s = UpdateSchema(
      "sgd_update", 801, {"param", "grad", "lr", "momentum_buf", "step"},
      std::string(
          "One step of torch.optim.SGD (its documented algorithm, as torch.optim.SGD computes "
          "it): g = grad + weight_decay * param; with momentum != 0: buf = g on the first step "
          "(step == 0 before this update), else buf = momentum * buf + (1 - dampening) * g; then "
          "g = g + momentum * buf when nesterov, else g = buf; finally param = param - lr * g. "
          "Inputs: param (f32 or f64), grad (param's type), lr (f32 or f64 scalar, read at run "
          "time: schedules never recompile); when momentum != 0 also momentum_buf (param's type, "
          "initially zeros) and step (i64 scalar counting the updates done, initially 0; it "
          "replaces PyTorch's 'no momentum_buffer yet' test, so the first step sets buf = g "
          "exactly as PyTorch does, dampening ignored). Outputs: param, then (momentum != 0) "
          "momentum_buf and step + 1. f32 kernels compute in f32 like PyTorch's f32 tensors; "
          "NaN and inf propagate.") +
          kInPlaceDoc);
  s.min_inputs = 3;
  s.max_inputs = 5;
  s.num_outputs = kVariadic;
  s.attrs = {FloatAttr("momentum", 0.0, "momentum factor mu >= 0 (0: plain SGD, no state)"),
             FloatAttr("dampening", 0.0,
                       "dampening tau >= 0 for momentum (not applied on the "
                       "first step)"),
             FlagAttr("nesterov", "1: Nesterov momentum (needs momentum > 0 and dampening 0)"),
             FloatAttr("weight_decay", 0.0, "L2 penalty lambda >= 0 added to the gradient")};
  s.validate = [](const AttrMap& attrs) {
    RequireNonNegative(attrs, "momentum");
    RequireNonNegative(attrs, "dampening");
    RequireNonNegative(attrs, "weight_decay");
    RequireFlag(attrs, "nesterov");
    if (attrs.at("nesterov").i() == 1 &&
        (Attr(attrs, "momentum") <= 0.0 || Attr(attrs, "dampening") != 0.0)) {
      throw AttributeError("nesterov needs momentum > 0 and dampening 0, got momentum " +
                           FormatDouble(Attr(attrs, "momentum")) + " and dampening " +
                           FormatDouble(Attr(attrs, "dampening")));
    }
  };
  s.infer = [](const InferContext& ctx) {
    const bool momentum = ctx.attr("momentum").f() != 0.0;
    if (momentum) {
      CheckArity(ctx, 5, "(param, grad, lr, momentum_buf, step)",
                 "with momentum " + FormatDouble(ctx.attr("momentum").f()));
    } else {
      CheckArity(ctx, 3, "(param, grad, lr)", "with momentum 0 (no momentum state)");
    }
    CheckParam(ctx);
    CheckLikeParam(ctx, 1, "grad");
    CheckLr(ctx, 2);
    if (!momentum) return TypesOf(ctx, {0});
    CheckLikeParam(ctx, 3, "momentum_buf");
    CheckStep(ctx, 4);
    return TypesOf(ctx, {0, 3, 4});
  };
  s.cost = UpdateCost(5);
  s.inplace = {{0, 0}, {1, 3}, {2, 4}};
  return s;
}

const char* const kAdamInputsDoc =
    " Inputs: param (f32 or f64), grad, exp_avg and exp_avg_sq (param's type; initially zeros), "
    "step (i64 scalar counting the updates done, initially 0; incremented by the op and used "
    "for the bias corrections, one per parameter as PyTorch's state['step']), lr (f32 or f64 "
    "scalar, read at run time), and with amsgrad max_exp_avg_sq (param's type, initially "
    "zeros). Outputs: param, exp_avg, exp_avg_sq, step + 1 (and max_exp_avg_sq). amsgrad "
    "follows torch.optim's implementation: max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq) "
    "of the raw (not bias-corrected) averages, denom = sqrt(max_exp_avg_sq) / sqrt(bc2) + eps. "
    "f32 kernels compute in f32 with the scalar factors (lr / bc1, sqrt(bc2)) formed in double, "
    "like PyTorch; NaN and inf propagate.";

std::vector<AttrSpec> AdamAttrs(double weight_decay, const std::string& decay_doc) {
  return {FloatAttr("beta1", 0.9, "decay rate of the first moment, in [0, 1)"),
          FloatAttr("beta2", 0.999, "decay rate of the second moment, in [0, 1)"),
          FloatAttr("eps", 1e-8, "added to the denominator, >= 0"),
          FloatAttr("weight_decay", weight_decay, decay_doc),
          FlagAttr("amsgrad",
                   "1: keep the maximum of the second moments (extra input "
                   "max_exp_avg_sq)")};
}

void ValidateAdam(const AttrMap& attrs) {
  RequireBeta(attrs, "beta1");
  RequireBeta(attrs, "beta2");
  RequireNonNegative(attrs, "eps");
  RequireNonNegative(attrs, "weight_decay");
  RequireFlag(attrs, "amsgrad");
}

std::vector<TensorType> InferAdam(const InferContext& ctx) {
  const bool amsgrad = ctx.attr("amsgrad").i() == 1;
  if (amsgrad) {
    CheckArity(ctx, 7, "(param, grad, exp_avg, exp_avg_sq, step, lr, max_exp_avg_sq)",
               "with amsgrad 1");
  } else {
    CheckArity(ctx, 6, "(param, grad, exp_avg, exp_avg_sq, step, lr)", "with amsgrad 0");
  }
  CheckParam(ctx);
  CheckLikeParam(ctx, 1, "grad");
  CheckLikeParam(ctx, 2, "exp_avg");
  CheckLikeParam(ctx, 3, "exp_avg_sq");
  CheckStep(ctx, 4);
  CheckLr(ctx, 5);
  if (!amsgrad) return TypesOf(ctx, {0, 2, 3, 4});
  CheckLikeParam(ctx, 6, "max_exp_avg_sq");
  return TypesOf(ctx, {0, 2, 3, 4, 6});
}

OpSchema AdamLike(std::string name, uint32_t id, std::string doc, double weight_decay,
                  const std::string& decay_doc) {
  OpSchema s =
      UpdateSchema(std::move(name), id,
                   {"param", "grad", "exp_avg", "exp_avg_sq", "step", "lr", "max_exp_avg_sq"},
                   std::move(doc) + kAdamInputsDoc + kInPlaceDoc);
  s.min_inputs = 6;
  s.max_inputs = 7;
  s.num_outputs = kVariadic;
  s.attrs = AdamAttrs(weight_decay, decay_doc);
  s.validate = ValidateAdam;
  s.infer = InferAdam;
  s.cost = UpdateCost(14);
  s.inplace = {{0, 0}, {1, 2}, {2, 3}, {3, 4}, {4, 6}};
  return s;
}

OpSchema AdamUpdate() {
  return AdamLike(
      "adam_update", 802,
      "One step of torch.optim.Adam (its documented algorithm): t = step + 1; g = grad + "
      "weight_decay * param (L2 penalty in the gradient); exp_avg = beta1 * exp_avg + (1 - "
      "beta1) * g; exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g^2; bc1 = 1 - beta1^t, "
      "bc2 = 1 - beta2^t; param = param - (lr / bc1) * exp_avg / (sqrt(exp_avg_sq) / sqrt(bc2) "
      "+ eps), which is the documented m_hat / (sqrt(v_hat) + eps) computed as "
      "torch.optim.Adam does.",
      0.0, "L2 penalty >= 0 added to the gradient (torch.optim.Adam's weight_decay)");
}

OpSchema AdamWUpdate() {
  return AdamLike(
      "adamw_update", 803,
      "One step of torch.optim.AdamW (Adam with decoupled weight decay, its documented "
      "algorithm): t = step + 1; param = param * (1 - lr * weight_decay); then Adam's update "
      "with g = grad (no L2 term): exp_avg = beta1 * exp_avg + (1 - beta1) * g; exp_avg_sq = "
      "beta2 * exp_avg_sq + (1 - beta2) * g^2; param = param - (lr / (1 - beta1^t)) * exp_avg / "
      "(sqrt(exp_avg_sq) / sqrt(1 - beta2^t) + eps).",
      0.01,
      "decoupled weight decay >= 0: param *= 1 - lr * weight_decay before the Adam step "
      "(torch.optim.AdamW's default 0.01)");
}

OpSchema RmspropUpdate() {
  OpSchema s = UpdateSchema(
      "rmsprop_update", 804,
      {"param", "grad", "lr", "square_avg", "grad_avg (centered) or momentum_buf", "momentum_buf"},
      std::string(
          "One step of torch.optim.RMSprop (its documented algorithm): g = grad + weight_decay "
          "* param; square_avg = alpha * square_avg + (1 - alpha) * g^2; when centered: "
          "grad_avg = alpha * grad_avg + (1 - alpha) * g and avg = sqrt(square_avg - "
          "grad_avg^2) + eps, else avg = sqrt(square_avg) + eps; with momentum > 0: buf = "
          "momentum * buf + g / avg and param = param - lr * buf, else param = param - lr * g / "
          "avg. Inputs, in this order: param (f32 or f64), grad, lr (f32 or f64 scalar, read at "
          "run time), square_avg (initially zeros), then grad_avg only when centered and "
          "momentum_buf only when momentum > 0 (both param's type, initially zeros): 4, 5 or 6 "
          "inputs as the attributes say. Outputs: param, then the updated states in input "
          "order. RMSprop keeps no step counter (PyTorch's does not enter the update). f32 "
          "kernels compute in f32; NaN and inf propagate (a centered variance that rounds "
          "below 0 gives NaN, as in PyTorch).") +
          kInPlaceDoc);
  s.min_inputs = 4;
  s.max_inputs = 6;
  s.num_outputs = kVariadic;
  s.attrs = {FloatAttr("alpha", 0.99, "smoothing constant in [0, 1]"),
             FloatAttr("eps", 1e-8, "added to the denominator, >= 0"),
             FloatAttr("weight_decay", 0.0, "L2 penalty >= 0 added to the gradient"),
             FloatAttr("momentum", 0.0, "momentum factor >= 0 (0: no momentum_buf input)"),
             FlagAttr("centered", "1: normalize by the estimated variance (grad_avg input)")};
  s.validate = [](const AttrMap& attrs) {
    double alpha = Attr(attrs, "alpha");
    if (!(alpha >= 0.0 && alpha <= 1.0)) {
      throw AttributeError("alpha must be in [0, 1], got " + FormatDouble(alpha));
    }
    RequireNonNegative(attrs, "eps");
    RequireNonNegative(attrs, "weight_decay");
    RequireNonNegative(attrs, "momentum");
    RequireFlag(attrs, "centered");
  };
  s.infer = [](const InferContext& ctx) {
    const bool centered = ctx.attr("centered").i() == 1;
    const bool momentum = ctx.attr("momentum").f() > 0.0;
    std::string layout = "(param, grad, lr, square_avg";
    if (centered) layout += ", grad_avg";
    if (momentum) layout += ", momentum_buf";
    CheckArity(ctx, 4 + (centered ? 1 : 0) + (momentum ? 1 : 0), layout + ")",
               "with centered " + std::to_string(ctx.attr("centered").i()) + " and momentum " +
                   FormatDouble(ctx.attr("momentum").f()));
    CheckParam(ctx);
    CheckLikeParam(ctx, 1, "grad");
    CheckLr(ctx, 2);
    CheckLikeParam(ctx, 3, "square_avg");
    size_t next = 4;
    if (centered) CheckLikeParam(ctx, next++, "grad_avg");
    if (momentum) CheckLikeParam(ctx, next++, "momentum_buf");
    std::vector<TensorType> out = {ctx.input(0)};
    for (size_t i = 3; i < ctx.inputs.size(); ++i) out.push_back(ctx.input(i));
    return out;
  };
  s.cost = UpdateCost(10);
  s.inplace = {{0, 0}, {1, 3}, {2, 4}, {3, 5}};
  return s;
}

OpSchema AdagradUpdate() {
  OpSchema s = UpdateSchema(
      "adagrad_update", 805, {"param", "grad", "lr", "sum", "step"},
      std::string(
          "One step of torch.optim.Adagrad (its documented algorithm): t = step + 1; g = grad "
          "+ weight_decay * param; clr = lr / (1 + (t - 1) * lr_decay); sum = sum + g^2; param "
          "= param - clr * g / (sqrt(sum) + eps). Inputs: param (f32 or f64), grad, lr (f32 or "
          "f64 scalar, read at run time), sum (param's type, initially "
          "initial_accumulator_value: graph/optimizer.h fills it, so that value is not an "
          "attribute here), step (i64 scalar counting the updates done, initially 0). Outputs: "
          "param, sum, step + 1. f32 kernels compute in f32 with clr formed in double; NaN and "
          "inf propagate.") +
          kInPlaceDoc);
  s.attrs = {FloatAttr("lr_decay", 0.0,
                       "learning-rate decay >= 0: clr = lr / (1 + (t - 1) * "
                       "lr_decay)"),
             FloatAttr("weight_decay", 0.0, "L2 penalty >= 0 added to the gradient"),
             FloatAttr("eps", 1e-10, "added to the denominator, >= 0 (PyTorch's default 1e-10)")};
  s.num_outputs = 3;
  s.validate = [](const AttrMap& attrs) {
    RequireNonNegative(attrs, "lr_decay");
    RequireNonNegative(attrs, "weight_decay");
    RequireNonNegative(attrs, "eps");
  };
  s.infer = [](const InferContext& ctx) {
    CheckParam(ctx);
    CheckLikeParam(ctx, 1, "grad");
    CheckLr(ctx, 2);
    CheckLikeParam(ctx, 3, "sum");
    CheckStep(ctx, 4);
    return TypesOf(ctx, {0, 3, 4});
  };
  s.cost = UpdateCost(7);
  s.inplace = {{0, 0}, {1, 3}, {2, 4}};
  return s;
}

}  // namespace

void RegisterOptimizerOps(OpRegistry& r) {
  r.Register(Assign());
  r.Register(SgdUpdate());
  r.Register(AdamUpdate());
  r.Register(AdamWUpdate());
  r.Register(RmspropUpdate());
  r.Register(AdagradUpdate());
}

}  // namespace bronze
