// Loss functions (ids 700-799): cross_entropy, nll, mse, l1, binary_cross_entropy_with_logits.
// Each follows its torch.nn.functional namesake exactly (formula, ignore_index, label smoothing,
// reductions, empty inputs); the doc strings below are the definitions docs/ops.md shows.
#include <cmath>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

constexpr std::initializer_list<DType> kLossDTypes = {DType::kF32, DType::kF64};
constexpr std::initializer_list<DType> kTargetDTypes = {DType::kI32, DType::kI64};

const char* const kReductionDoc =
    "\"mean\" (default): the mean over the loss elements, a scalar of shape (); \"sum\": their "
    "sum, shape (); \"none\": no reduction, one loss per element or sample";

AttrSpec ReductionAttr() {
  return {"reduction", AttrType::kString, Attribute("mean"), kReductionDoc};
}

void ValidateReduction(const AttrMap& attrs) {
  const std::string& r = attrs.at("reduction").s();
  if (r != "mean" && r != "sum" && r != "none") {
    throw AttributeError("reduction must be \"mean\", \"sum\" or \"none\", got \"" + r + "\"");
  }
}

// The output type of a loss whose unreduced form has shape `none_shape`.
TensorType ReducedType(const InferContext& ctx, DType dtype, const Shape& none_shape) {
  if (ctx.attr("reduction").s() == "none") return {dtype, none_shape};
  return {dtype, Shape()};
}

// cross_entropy and nll: input (C), (N, C) or (N, C, d1, ...) with class dim 1 (0 for rank 1);
// integer class targets shaped like the input without its class dim.
std::vector<TensorType> InferClassTargetLoss(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  const TensorType& t = ctx.input(1);
  ops::RequireDType(x.dtype, kLossDTypes, "input");
  ops::RequireDType(t.dtype, kTargetDTypes,
                    "target (integer class indices; probability targets are not supported)");
  const int64_t rank = x.shape.rank();
  if (rank < 1) {
    throw ShapeError(
        "input must have rank >= 1, shaped (C), (N, C) or (N, C, d1, ...), got shape " +
        x.shape.ToString());
  }
  const int64_t class_dim = rank == 1 ? 0 : 1;
  const Dim& classes = x.shape[class_dim];
  if (classes.is_static() && classes.value() == 0) {
    throw ShapeError("class dim " + std::to_string(class_dim) + " of input shape " +
                     x.shape.ToString() + " is 0: need at least one class");
  }
  std::vector<Dim> want = x.shape.dims();
  want.erase(want.begin() + class_dim);
  Shape expected(std::move(want));
  if (t.shape != expected) {
    throw ShapeError("target shape " + t.shape.ToString() + " does not match input shape " +
                     x.shape.ToString() + ": expected " + expected.ToString() +
                     " (the input's shape without its class dim " + std::to_string(class_dim) +
                     ")");
  }
  return {ReducedType(ctx, x.dtype, expected)};
}

void ValidateCrossEntropy(const AttrMap& attrs) {
  ValidateReduction(attrs);
  double ls = attrs.at("label_smoothing").f();
  if (!(ls >= 0.0 && ls <= 1.0)) {
    throw AttributeError("label_smoothing must be in [0, 1], got " + FormatDouble(ls));
  }
}

// mse, l1, bce: input and target of one float dtype and exactly the same shape.
void RequireSameShapeTarget(const TensorType& x, const TensorType& t, const std::string& op) {
  ops::RequireDType(x.dtype, kLossDTypes, "input");
  if (t.dtype != x.dtype) {
    throw TypeError("target dtype " + std::string(DTypeName(t.dtype)) +
                    " differs from input dtype " + std::string(DTypeName(x.dtype)) +
                    " (cast one of them explicitly)");
  }
  if (t.shape != x.shape) {
    throw ShapeError("target shape " + t.shape.ToString() + " differs from input shape " +
                     x.shape.ToString() + ": " + op +
                     " requires equal shapes (PyTorch would broadcast them with a warning; "
                     "broadcast explicitly with expand if that is what you mean)");
  }
}

std::vector<TensorType> InferPointwiseLoss(const InferContext& ctx, const std::string& op) {
  const TensorType& x = ctx.input(0);
  RequireSameShapeTarget(x, ctx.input(1), op);
  return {ReducedType(ctx, x.dtype, x.shape)};
}

// Cost of an elementwise loss: `flops` per input element, reading every input.
CostFn PointwiseCost(double flops) {
  return [flops](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    c.flops = flops * ops::StaticNumel(in[0]);
    return c;
  };
}

OpSchema CrossEntropy() {
  OpSchema s = ops::MakeSchema(
      "cross_entropy", 700, {"input", "target"}, FusionKind::kOpaque,
      "Cross entropy of unnormalized logits against integer class indices, exactly "
      "torch.nn.functional.cross_entropy(input, target, reduction=, ignore_index=, "
      "label_smoothing=) with class-index targets and no class weights. input: f32 or f64 logits "
      "shaped (C), (N, C) or (N, C, d1, d2, ...) with the classes along dim 1 (dim 0 for rank 1); "
      "target: i32 or i64 class indices shaped like input without its class dim ((), (N) or "
      "(N, d1, d2, ...)). Per sample, with lsm = log_softmax(input) over the class dim, "
      "nll = -lsm[target] and smooth = mean_c(-lsm[c]): loss = (1 - label_smoothing) * nll + "
      "label_smoothing * smooth (at label_smoothing = 0 only nll is evaluated, so a -inf logit of "
      "another class stays harmless, as in PyTorch). A sample whose target equals ignore_index "
      "contributes 0 and is excluded from the mean's denominator: \"mean\" = sum of losses / "
      "number of non-ignored samples, which is NaN when every sample is ignored or there are "
      "none; \"sum\" is 0 then. A target outside [0, C) that is not ignore_index is a run-time "
      "InvalidArgumentError naming the value and C. NaN or +inf logits in a sample make its loss "
      "NaN. Probability (soft) targets and class weights are not supported.");
  s.attrs = {ReductionAttr(),
             {"ignore_index", AttrType::kInt, Attribute(int64_t{-100}),
              "target value whose samples are ignored: loss 0 and left out of the mean's "
              "denominator (PyTorch's default -100)"},
             {"label_smoothing", AttrType::kFloat, Attribute(0.0),
              "in [0, 1]: the weight of the uniform distribution mixed into the one-hot target "
              "(PyTorch's label_smoothing)"}};
  s.infer = InferClassTargetLoss;
  s.validate = ValidateCrossEntropy;
  s.differentiability = Differentiability::kDifferentiable;  // with respect to input
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c = ops::ElementwiseCost(in, out, 0);
    c.flops = 12 * ops::StaticNumel(in[0]);  // max, subtract, exp, sums per logit
    return c;
  };
  return s;
}

OpSchema Nll() {
  OpSchema s = ops::MakeSchema(
      "nll", 701, {"input", "target"}, FusionKind::kOpaque,
      "Negative log-likelihood of log-probabilities, exactly torch.nn.functional.nll_loss(input, "
      "target, reduction=, ignore_index=) without class weights. input: f32 or f64 "
      "log-probabilities shaped (C), (N, C) or (N, C, d1, d2, ...) with the classes along dim 1 "
      "(dim 0 for rank 1); target: i32 or i64 class indices shaped like input without its class "
      "dim. Per sample loss = -input[n, target[n, ...], ...]. A sample whose target equals "
      "ignore_index contributes 0 and is excluded from the mean's denominator (\"mean\" is NaN "
      "when every sample is ignored or there are none; \"sum\" is 0 then). A target outside "
      "[0, C) that is not ignore_index is a run-time InvalidArgumentError naming the value and C. "
      "The input is not checked to be normalized.");
  s.attrs = {ReductionAttr(),
             {"ignore_index", AttrType::kInt, Attribute(int64_t{-100}),
              "target value whose samples are ignored: loss 0 and left out of the mean's "
              "denominator (PyTorch's default -100)"}};
  s.infer = InferClassTargetLoss;
  s.validate = ValidateReduction;
  s.differentiability = Differentiability::kDifferentiable;  // with respect to input
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    Cost c;
    double samples = ops::StaticNumel(in[1]);
    c.flops = samples;
    c.bytes_read = ops::Bytes(in[1]) + samples * static_cast<double>(DTypeSize(in[0].dtype));
    c.bytes_written = ops::Bytes(out[0]);
    return c;
  };
  return s;
}

OpSchema Mse() {
  OpSchema s = ops::MakeSchema(
      "mse", 702, {"input", "target"}, FusionKind::kReduction,
      "Mean squared error, torch.nn.functional.mse_loss(input, target, reduction=): per element "
      "(input - target)^2, then the reduction. input and target: f32 or f64 of one dtype and "
      "exactly equal shapes (PyTorch broadcasts with a warning; bronze refuses, so a (N, 1) "
      "against (N) mistake cannot go unnoticed). \"mean\" of an empty input is NaN and \"sum\" "
      "is 0, as in PyTorch. NaN propagates.");
  s.attrs = {ReductionAttr()};
  s.infer = [](const InferContext& ctx) { return InferPointwiseLoss(ctx, "mse"); };
  s.validate = ValidateReduction;
  s.differentiability = Differentiability::kDifferentiable;
  s.cost = PointwiseCost(3);
  return s;
}

OpSchema L1() {
  OpSchema s = ops::MakeSchema(
      "l1", 703, {"input", "target"}, FusionKind::kReduction,
      "Mean absolute error, torch.nn.functional.l1_loss(input, target, reduction=): per element "
      "|input - target|, then the reduction. input and target: f32 or f64 of one dtype and "
      "exactly equal shapes (PyTorch broadcasts with a warning; bronze refuses). \"mean\" of an "
      "empty input is NaN and \"sum\" is 0, as in PyTorch. NaN propagates.");
  s.attrs = {ReductionAttr()};
  s.infer = [](const InferContext& ctx) { return InferPointwiseLoss(ctx, "l1"); };
  s.validate = ValidateReduction;
  s.differentiability = Differentiability::kDifferentiable;
  s.cost = PointwiseCost(3);
  return s;
}

OpSchema BceWithLogits() {
  OpSchema s = ops::MakeSchema(
      "binary_cross_entropy_with_logits", 704, {"input", "target", "pos_weight"},
      FusionKind::kReduction,
      "Binary cross entropy of logits, torch.nn.functional.binary_cross_entropy_with_logits("
      "input, target, pos_weight=, reduction=) without the element weight. input (logits x) and "
      "target (t, usually in [0, 1]): f32 or f64 of one dtype and equal shapes; the optional "
      "third input pos_weight (same dtype) is a vector of length C = input's last dim (or 1), "
      "broadcast over the last dim, weighting the positive term per class. Per element, in the "
      "numerically stable form PyTorch uses: loss = (1 - t) * x - (1 + (pw - 1) * t) * "
      "log_sigmoid(x) with log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|)); without pos_weight "
      "(pw = 1) that is max(x, 0) - x * t + log1p(exp(-|x|)). No overflow for large |x|. \"mean\" "
      "of an empty input is NaN and \"sum\" is 0. NaN propagates.");
  s.max_inputs = 3;
  s.min_inputs = 2;
  s.attrs = {ReductionAttr()};
  s.infer = [](const InferContext& ctx) {
    const TensorType& x = ctx.input(0);
    RequireSameShapeTarget(x, ctx.input(1), "binary_cross_entropy_with_logits");
    if (ctx.inputs.size() == 3) {
      const TensorType& pw = ctx.input(2);
      if (pw.dtype != x.dtype) {
        throw TypeError("pos_weight dtype " + std::string(DTypeName(pw.dtype)) +
                        " differs from input dtype " + std::string(DTypeName(x.dtype)));
      }
      if (x.shape.rank() == 0) {
        throw ShapeError(
            "pos_weight needs an input of rank >= 1 (it broadcasts over the last "
            "dim), got input shape ()");
      }
      const Dim& classes = x.shape[x.shape.rank() - 1];
      if (pw.shape.rank() != 1 || !(pw.shape[0] == classes || pw.shape[0] == Dim(1))) {
        throw ShapeError("pos_weight shape " + pw.shape.ToString() +
                         " must be (C,) with C = the input's last dim " + classes.ToString() +
                         " (or (1,)), for input shape " + x.shape.ToString());
      }
    }
    return std::vector<TensorType>{ReducedType(ctx, x.dtype, x.shape)};
  };
  s.validate = ValidateReduction;
  s.differentiability = Differentiability::kDifferentiable;  // with respect to input
  s.cost = PointwiseCost(25);
  return s;
}

}  // namespace

void RegisterLossOps(OpRegistry& r) {
  r.Register(CrossEntropy());
  r.Register(Nll());
  r.Register(Mse());
  r.Register(L1());
  r.Register(BceWithLogits());
}

}  // namespace bronze
