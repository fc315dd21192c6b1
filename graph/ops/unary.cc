// Unary elementwise ops (ids 200-299): activations, math functions, clip, cast and logical_not
// of one tensor. The output has the input's shape (symbolic dims flow through unchanged) and,
// except for cast, its dtype. Each doc string states the exact definition (it becomes
// docs/ops.md): the formula, the PyTorch equivalent, the dtypes and the special values.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

// The dtypes with kernels: no op here accepts f16 or bf16 (no kernels yet). Named constants,
// because Unary() keeps the list and so needs a static array behind it.
constexpr std::initializer_list<DType> kFloat = {DType::kF32, DType::kF64};
constexpr std::initializer_list<DType> kNumeric = {DType::kF32, DType::kF64, DType::kI32,
                                                   DType::kI64, DType::kU8};
constexpr std::initializer_list<DType> kCastable = {DType::kF32, DType::kF64, DType::kI32,
                                                    DType::kI64, DType::kU8, DType::kBool};
constexpr std::initializer_list<DType> kBoolOnly = {DType::kBool};

std::string DTypeList(std::initializer_list<DType> dtypes) {
  std::string s;
  for (DType d : dtypes) s += (s.empty() ? "" : ", ") + std::string(DTypeName(d));
  return s;
}

OpSchema Unary(std::string name, uint32_t id, std::initializer_list<DType> dtypes, double flops,
               std::string doc) {
  OpSchema s =
      ops::MakeSchema(std::move(name), id, {"x"}, FusionKind::kElementwise, std::move(doc));
  s.infer = [dtypes](const InferContext& ctx) {
    ops::RequireDType(ctx.input(0).dtype, dtypes, "input x");
    return std::vector<TensorType>{ctx.input(0)};
  };
  s.validate = ValidateNothing;
  s.differentiability = Differentiability::kDifferentiable;
  s.cost = [flops](const AttrMap&, std::span<const TensorType> in,
                   std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, flops);
  };
  return s;
}

// Shared wording of the float-only ops' docs.
std::string FloatDoc(const std::string& formula, const std::string& torch,
                     const std::string& special) {
  return formula + " As " + torch + ". Dtypes: f32, f64 (integers are rejected: cast first). " +
         special + " Empty inputs give empty outputs.";
}

void CheckFiniteAttr(const AttrMap& attrs, const char* name) {
  double v = attrs.at(name).f();
  if (!std::isfinite(v)) {
    throw AttributeError(std::string("attribute '") + name + "' must be finite, got " +
                         FormatDouble(v));
  }
}

// A bound as the user wrote it: integers without a fraction ("-1", not "-1.0").
std::string FormatBound(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e18) {
    return std::to_string(static_cast<int64_t>(v));
  }
  return FormatDouble(v);
}

// clip on an integer dtype: each bound must be an integer in the dtype's range, or the infinity
// that means "no bound" (-inf for min, +inf for max).
void CheckIntegerBound(DType dtype, const char* name, double v, double no_bound) {
  if (v == no_bound) return;
  double lo = 0, hi_excl = 256;  // u8
  std::string range = "[0, 255]";
  if (dtype == DType::kI32) {
    lo = -2147483648.0, hi_excl = 2147483648.0;
    range = "[-2147483648, 2147483647]";
  } else if (dtype == DType::kI64) {
    lo = -9223372036854775808.0, hi_excl = 9223372036854775808.0;
    range = "[-9223372036854775808, 9223372036854775807]";
  }
  const std::string what = std::string("clip ") + name + " " + FormatBound(v);
  if (std::isnan(v) || std::floor(v) != v) {
    throw AttributeError(what + " is not an integer, but the input dtype " +
                         std::string(DTypeName(dtype)) + " is (integer clip takes integer bounds)");
  }
  if (v < lo || v >= hi_excl) {
    throw AttributeError(what + " is out of range for dtype " + std::string(DTypeName(dtype)) +
                         " " + range);
  }
}

OpSchema LeakyRelu() {
  OpSchema s = Unary("leaky_relu", 212, kFloat, 2,
                     FloatDoc("y = x if x > 0 else negative_slope * x (the slope is rounded to "
                              "the input dtype first).",
                              "torch.nn.functional.leaky_relu(x, negative_slope)",
                              "NaN stays NaN; -0 gives -0; +-inf give +inf and -inf*slope."));
  s.attrs = {{"negative_slope", AttrType::kFloat, Attribute(0.01),
              "slope for x <= 0; any finite value (negative or above 1 allowed, as in PyTorch)"}};
  s.validate = [](const AttrMap& attrs) { CheckFiniteAttr(attrs, "negative_slope"); };
  return s;
}

OpSchema Gelu() {
  OpSchema s = Unary(
      "gelu", 213, kFloat, 20,
      FloatDoc("approximate='none': y = 0.5 * x * (1 + erf(x / sqrt(2))); approximate='tanh': "
               "y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).",
               "torch.nn.functional.gelu(x, approximate=...)",
               "NaN stays NaN; gelu(+inf) = +inf; gelu(-inf) = NaN, as PyTorch's formula gives "
               "(-inf * 0); large negative finite x gives -0. The f32 kernels: the erf form "
               "evaluates PyTorch's formula (which cancels for x < 0: about |x| * 2^-24 "
               "absolute error); the tanh form evaluates x / (1 + e^(-2u)), the same function "
               "without that cancellation (a few ulps, growing as 2|2u| ulps for x < 0 from "
               "rounding u)."));
  s.attrs = {{"approximate", AttrType::kString, Attribute("none"),
              "\"none\": the exact erf form; \"tanh\": the tanh approximation"}};
  s.validate = [](const AttrMap& attrs) {
    const std::string& a = attrs.at("approximate").s();
    if (a != "none" && a != "tanh") {
      throw AttributeError("attribute 'approximate' must be \"none\" or \"tanh\", got \"" + a +
                           "\"");
    }
  };
  return s;
}

OpSchema Clip() {
  OpSchema s = Unary(
      "clip", 216, kNumeric, 2,
      "y = min(max(x, min), max), as torch.clamp(x, min, max). Dtypes: f32, f64, i32, i64, u8. "
      "The bounds are rounded to the input dtype first. min > max sets every element to max "
      "(as PyTorch). NaN in x stays NaN; a NaN bound makes every output NaN (as torch.clamp). "
      "The default bounds -inf and +inf mean no bound. On integer dtypes each bound must be an "
      "integer in the dtype's range (or the no-bound infinity); the output keeps the integer "
      "dtype (bronze never promotes). Empty inputs give empty outputs.");
  s.attrs = {{"min", AttrType::kFloat, Attribute(-std::numeric_limits<double>::infinity()),
              "lower bound (-inf: none)"},
             {"max", AttrType::kFloat, Attribute(std::numeric_limits<double>::infinity()),
              "upper bound (+inf: none)"}};
  s.infer = [](const InferContext& ctx) {
    DType d = ctx.input(0).dtype;
    ops::RequireDType(d, kNumeric, "input x");
    if (IsInteger(d)) {
      CheckIntegerBound(d, "min", ctx.attr("min").f(), -std::numeric_limits<double>::infinity());
      CheckIntegerBound(d, "max", ctx.attr("max").f(), std::numeric_limits<double>::infinity());
    }
    return std::vector<TensorType>{ctx.input(0)};
  };
  return s;
}

OpSchema Cast() {
  OpSchema s = Unary(
      "cast", 217, kCastable, 1,
      "y = x converted to `dtype`, as torch.Tensor.to(dtype). Between f32, f64, i32, i64, u8 and "
      "bool in every direction. To bool: x != 0 (NaN gives true, -0 false). From bool: 0 or 1. "
      "Float to integer truncates toward zero (as PyTorch); where PyTorch's result is undefined "
      "(C++ UB: it varies by platform) bronze saturates: NaN gives 0, values beyond the "
      "integer's range (and +-inf) give its max or min (so -1.5 to u8 gives 0, 300.0 gives "
      "255). Integer to integer wraps modulo 2^bits (as PyTorch: 300 to u8 gives 44, -1 to u8 "
      "gives 255). Integer to float rounds to nearest even; f64 to f32 rounds to nearest and "
      "overflows to +-inf. Differentiable between floating dtypes only.");
  s.attrs = {{"dtype", AttrType::kDType, std::nullopt,
              "the output dtype: f32, f64, i32, i64, u8 or bool"}};
  s.validate = [](const AttrMap& attrs) {
    DType to = attrs.at("dtype").dtype();
    if (std::find(kCastable.begin(), kCastable.end(), to) == kCastable.end()) {
      throw AttributeError("cast to " + std::string(DTypeName(to)) +
                           " is not supported (supported: " + DTypeList(kCastable) + ")");
    }
  };
  s.infer = [](const InferContext& ctx) {
    ops::RequireDType(ctx.input(0).dtype, kCastable, "input x");
    return std::vector<TensorType>{{ctx.attr("dtype").dtype(), ctx.input(0).shape}};
  };
  return s;
}

}  // namespace

void RegisterUnaryOps(OpRegistry& r) {
  r.Register(Unary("relu", 200, kNumeric, 1,
                   "y = max(x, 0), as torch.relu. Dtypes: f32, f64, i32, i64, u8 (identity). "
                   "NaN stays NaN (as PyTorch); -0 stays -0. Empty inputs give empty outputs."));
  r.Register(Unary("exp", 201, kFloat, 10,
                   FloatDoc("y = e^x.", "torch.exp",
                            "exp(NaN) = NaN, exp(-inf) = 0, exp(+inf) = +inf; overflows to "
                            "+inf above ~88.72 (f32); results below the normal range are "
                            "denormal, then 0.")));
  r.Register(Unary("neg", 202, kNumeric, 1,
                   "y = -x, as torch.neg. Dtypes: f32, f64, i32, i64, u8. Floats flip the sign "
                   "bit (neg(0) = -0, NaN stays NaN). Integers wrap modulo 2^bits like PyTorch: "
                   "neg of the minimum int32 is itself, neg of u8 x is 256 - x (0 for 0). Empty "
                   "inputs give empty outputs."));
  r.Register(Unary("abs", 203, kNumeric, 1,
                   "y = |x|, as torch.abs. Dtypes: f32, f64, i32, i64, u8 (identity). Floats "
                   "clear the sign bit (abs(-0) = 0, abs(NaN) = NaN). abs of the minimum "
                   "int32 / int64 wraps to itself, as in PyTorch. Empty inputs give empty "
                   "outputs."));
  r.Register(Unary("log", 204, kFloat, 12,
                   FloatDoc("y = ln(x).", "torch.log",
                            "log(0) = log(-0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, "
                            "log(NaN) = NaN; denormal inputs are exact inputs (no flush).")));
  r.Register(Unary("sqrt", 205, kFloat, 4,
                   FloatDoc("y = sqrt(x), correctly rounded.", "torch.sqrt",
                            "sqrt(-0) = -0, sqrt(x < 0) = NaN, sqrt(+inf) = +inf.")));
  r.Register(Unary("rsqrt", 206, kFloat, 5,
                   FloatDoc("y = 1 / sqrt(x) (the division of a correctly rounded sqrt, not an "
                            "approximate reciprocal square root).",
                            "torch.rsqrt",
                            "rsqrt(0) = +inf, rsqrt(-0) = -inf, rsqrt(x < 0) = NaN, "
                            "rsqrt(+inf) = 0.")));
  r.Register(Unary("reciprocal", 207, kFloat, 4,
                   FloatDoc("y = 1 / x, correctly rounded.", "torch.reciprocal",
                            "1/0 = +inf, 1/-0 = -inf, 1/+-inf = +-0, NaN stays NaN.")));
  r.Register(Unary("sin", 208, kFloat, 15,
                   FloatDoc("y = sin(x) (x in radians).", "torch.sin",
                            "sin(+-0) = +-0, sin(+-inf) = NaN, sin(NaN) = NaN; accurate over "
                            "the whole float range (large |x| is reduced exactly).")));
  r.Register(Unary("cos", 209, kFloat, 15,
                   FloatDoc("y = cos(x) (x in radians).", "torch.cos",
                            "cos(+-0) = 1, cos(+-inf) = NaN, cos(NaN) = NaN; accurate over the "
                            "whole float range.")));
  r.Register(Unary("tanh", 210, kFloat, 15,
                   FloatDoc("y = tanh(x).", "torch.tanh",
                            "tanh(+-inf) = +-1, tanh(+-0) = +-0, NaN stays NaN; saturates to "
                            "+-1 exactly for large |x|.")));
  r.Register(Unary("sigmoid", 211, kFloat, 12,
                   FloatDoc("y = 1 / (1 + e^-x).", "torch.sigmoid",
                            "sigmoid(+inf) = 1, sigmoid(-inf) = 0, NaN stays NaN; accurate "
                            "(small relative error) in both tails: for very negative x the "
                            "result is e^x, denormal then 0.")));
  r.Register(LeakyRelu());
  r.Register(Gelu());
  r.Register(Unary("silu", 214, kFloat, 13,
                   FloatDoc("y = x * sigmoid(x) = x / (1 + e^-x).", "torch.nn.functional.silu",
                            "silu(+inf) = +inf; silu(-inf) = NaN, as PyTorch's formula gives "
                            "(-inf / inf); NaN stays NaN.")));
  r.Register(Unary("erf", 215, kFloat, 18,
                   FloatDoc("y = erf(x) = 2 / sqrt(pi) * integral from 0 to x of e^(-t^2) dt.",
                            "torch.erf",
                            "erf(+-inf) = +-1, erf(+-0) = +-0, NaN stays NaN; the fast f32 "
                            "kernel is within 1.3 ulp of the exact value (1.1 with FMA).")));
  r.Register(Clip());
  r.Register(Cast());
  OpSchema lnot = Unary("logical_not", 218, kBoolOnly, 1,
                        "y = not x, as torch.logical_not on a bool tensor. Dtype: bool only "
                        "(compare numbers with equal/not_equal first). Empty inputs give empty "
                        "outputs.");
  lnot.differentiability = Differentiability::kNotDifferentiable;
  r.Register(std::move(lnot));
}

}  // namespace bronze
