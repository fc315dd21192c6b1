// Binary elementwise ops with NumPy broadcasting (ids 100-199): arithmetic (add, sub, mul, div,
// pow, maximum, minimum), comparisons to bool (equal, less, greater), logical ops on bool
// (logical_and, logical_or) and the ternary select `where`. Operand dtypes must match: bronze
// never promotes implicitly. Unary ops live in unary.cc.
#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {
namespace {

// Numeric dtypes plus bool: what comparisons and `where` accept.
constexpr std::initializer_list<DType> kNumericOrBoolDTypes = {
    DType::kF32, DType::kF64, DType::kF16, DType::kBF16,
    DType::kI32, DType::kI64, DType::kU8,  DType::kBool};
constexpr std::initializer_list<DType> kBoolDTypes = {DType::kBool};

const char* kBroadcastDoc =
    " Operands broadcast as in NumPy (trailing dims equal or 1; a symbolic dim only matches "
    "itself or 1) and must have the same dtype (no implicit promotion). An empty operand gives "
    "an empty result.";

// A two-operand op: same dtype from `dtypes` (a namespace-scope list: the lambda keeps a view
// of it), broadcast shapes; the output has dtype `out` (or the operands' dtype when nullopt).
OpSchema Binary(std::string name, uint32_t id, std::initializer_list<DType> dtypes,
                std::optional<DType> out, double flops, Differentiability diff, std::string doc) {
  OpSchema s = ops::MakeSchema(std::move(name), id, {"a", "b"}, FusionKind::kBroadcast,
                               std::move(doc) + kBroadcastDoc);
  s.infer = [dtypes, out](const InferContext& ctx) {
    DType d = ops::RequireSameDType(ctx);
    ops::RequireDType(d, dtypes, "operand");
    Shape shape = ops::BroadcastOrThrow(ctx.input(0).shape, ctx.input(1).shape);
    return std::vector<TensorType>{{out.value_or(d), std::move(shape)}};
  };
  s.validate = ValidateNothing;
  s.differentiability = diff;
  s.cost = [flops](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> o) {
    return ops::ElementwiseCost(in, o, flops);
  };
  return s;
}

OpSchema Arithmetic(std::string name, uint32_t id, double flops, std::string doc) {
  return Binary(std::move(name), id, ops::kNumericDTypes, std::nullopt, flops,
                Differentiability::kDifferentiable, std::move(doc));
}

OpSchema Comparison(std::string name, uint32_t id, std::string doc) {
  return Binary(std::move(name), id, kNumericOrBoolDTypes, DType::kBool, 1,
                Differentiability::kNotDifferentiable, std::move(doc));
}

OpSchema Logical(std::string name, uint32_t id, std::string doc) {
  return Binary(std::move(name), id, kBoolDTypes, DType::kBool, 1,
                Differentiability::kNotDifferentiable, std::move(doc));
}

OpSchema Where() {
  OpSchema s = ops::MakeSchema(
      "where", 130, {"cond", "a", "b"}, FusionKind::kBroadcast,
      "out = cond ? a : b, elementwise; torch.where(cond, a, b). `cond` is bool; `a` and `b` "
      "have the same dtype (numeric or bool), which is the output's. All three operands "
      "broadcast together as in NumPy. Only the selected operand's value reaches the output "
      "(a NaN in the other one does not propagate). Differentiable in a and b (the gradient "
      "flows to the selected operand), not in cond. Kernels dispatch on the dtype of a.");
  s.dispatch_input = 1;
  s.infer = [](const InferContext& ctx) {
    const TensorType& cond = ctx.input(0);
    const TensorType& a = ctx.input(1);
    const TensorType& b = ctx.input(2);
    if (cond.dtype != DType::kBool) {
      throw TypeError("cond " + cond.ToString() + " must be bool (compare, or cast it first)");
    }
    if (a.dtype != b.dtype) {
      throw TypeError("a and b dtypes differ: " + a.ToString() + " and " + b.ToString() +
                      " (cast one of them explicitly)");
    }
    ops::RequireDType(a.dtype, kNumericOrBoolDTypes, "operand a");
    std::optional<Shape> ab = BroadcastShapes(a.shape, b.shape);
    std::optional<Shape> all = ab ? BroadcastShapes(cond.shape, *ab) : std::nullopt;
    if (!all) {
      throw ShapeError("cannot broadcast cond " + cond.shape.ToString() + ", a " +
                       a.shape.ToString() + " and b " + b.shape.ToString() +
                       " together (trailing dims must be equal or 1)");
    }
    return std::vector<TensorType>{{a.dtype, std::move(*all)}};
  };
  s.validate = ValidateNothing;
  s.differentiability = Differentiability::kDifferentiable;
  s.cost = [](const AttrMap&, std::span<const TensorType> in, std::span<const TensorType> out) {
    return ops::ElementwiseCost(in, out, 1);
  };
  return s;
}

}  // namespace

void RegisterElementwiseOps(OpRegistry& r) {
  r.Register(Arithmetic("add", 100, 1,
                        "out = a + b; torch.add(a, b) (alpha = 1). Floats follow IEEE 754 "
                        "(NaN propagates, inf + -inf is NaN); integers wrap around on overflow "
                        "(two's complement), as in NumPy and PyTorch."));
  r.Register(Arithmetic("sub", 101, 1,
                        "out = a - b; torch.sub(a, b) (alpha = 1). Floats follow IEEE 754; "
                        "integers wrap around on overflow."));
  r.Register(Arithmetic("mul", 102, 1,
                        "out = a * b; torch.mul(a, b). Floats follow IEEE 754 (0 * inf is NaN); "
                        "integers wrap around on overflow."));
  r.Register(Arithmetic("div", 103, 1,
                        "out = a / b. Floats: true IEEE 754 division, torch.div(a, b) "
                        "(x / 0 is +-inf, 0 / 0 is NaN). Integers: the quotient truncated toward "
                        "zero, torch.div(a, b, rounding_mode='trunc') (C++ `/`); a zero divisor "
                        "raises InvalidArgumentError at run time (PyTorch raises "
                        "ZeroDivisionError), and so does MIN / -1, whose quotient does not fit. "
                        "Note torch.div on integer tensors without rounding_mode returns floats: "
                        "cast to a float dtype first to get that."));
  r.Register(Arithmetic("pow", 104, 10,
                        "out = a ** b; torch.pow(a, b). Floats follow C's pow (what PyTorch's "
                        "CPU kernel calls): pow(x, +-0) = 1 and pow(1, y) = 1 even for NaN; "
                        "pow(-1, +-inf) = 1; a negative finite base with a non-integer finite "
                        "exponent gives NaN; a negative base with an odd integer exponent keeps "
                        "its sign; pow(+-0, y < 0) = inf (-inf for -0 and odd y); overflow "
                        "gives inf. Integers: exact repeated multiplication, wrapping around on "
                        "overflow; pow(0, 0) = 1; a negative exponent raises InvalidArgumentError "
                        "at run time (the result would not be an integer; NumPy raises too, "
                        "PyTorch raises for a scalar exponent)."));
  r.Register(Arithmetic("maximum", 105, 1,
                        "out = max(a, b); torch.maximum(a, b): NaN propagates (a NaN in either "
                        "operand gives NaN), unlike C's fmax. When a and b compare equal (0 and "
                        "-0) the result is b."));
  r.Register(Arithmetic("minimum", 106, 1,
                        "out = min(a, b); torch.minimum(a, b): NaN propagates (a NaN in either "
                        "operand gives NaN), unlike C's fmin. When a and b compare equal (0 and "
                        "-0) the result is b."));
  r.Register(Comparison("equal", 110,
                        "out = (a == b) as bool; torch.eq(a, b) (not torch.equal, which "
                        "returns one bool). IEEE comparison: NaN equals nothing, not even NaN; "
                        "0 equals -0. Operands may be numeric or bool."));
  r.Register(Comparison("less", 111,
                        "out = (a < b) as bool; torch.lt(a, b). Any comparison with NaN is "
                        "false. On bool operands false < true."));
  r.Register(Comparison("greater", 112,
                        "out = (a > b) as bool; torch.gt(a, b). Any comparison with NaN is "
                        "false. On bool operands true > false."));
  r.Register(Logical("logical_and", 120,
                     "out = a AND b; torch.logical_and(a, b) restricted to bool operands "
                     "(compare or cast numbers to bool first)."));
  r.Register(Logical("logical_or", 121,
                     "out = a OR b; torch.logical_or(a, b) restricted to bool operands "
                     "(compare or cast numbers to bool first)."));
  r.Register(Where());
}

}  // namespace bronze
