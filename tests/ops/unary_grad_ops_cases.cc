// Test cases of the unary family's fused backward ops (graph/ops/unary_grad.cc, ids 219-225):
// conformance over plain, scalar, size-1, empty, large (multi-threaded), wide-range and
// special-value inputs (in dy and in the saved tensor), f64; error cases; frozen ids.
// Tolerances are the measured accuracy of the f32 kernels against the reference (evaluated in
// double), with headroom; the selecting ops (relu_grad, leaky_relu_grad, clip_grad) are exact.
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kMax = std::numeric_limits<float>::max();

// NaN, infinities, signed zeros, denormals, extremes and saturation points (as in
// tests/ops/unary_cases.cc).
Tensor SpecialF32() {
  return Tensor::FromVector<float>(
      {24}, {kNaN,  kInf,   -kInf, 0.0f,   -0.0f,  1e-40f, -1e-40f, 1.17549435e-38f,
             1.0f,  -1.0f,  0.5f,  -0.5f,  3.0f,   -3.0f,  9.0f,    -9.0f,
             20.0f, -20.0f, 88.5f, -88.5f, 100.0f, -100.0f, kMax,   -kMax});
}

struct GradOp {
  const char* name;
  uint32_t id;
  AttrMap attrs;
  double rtol, atol;
  double lo, hi;  // the saved tensor's random range (y of sigmoid in (0, 1), ...)
};

void AddGradOp(OpCases& c, const GradOp& op) {
  const std::string name = op.name;
  c.FreezeId(name, op.id);
  auto saved = [&](Dims dims) { return Uniform(DType::kF32, std::move(dims), op.lo, op.hi); };
  auto add = [&](const std::string& what, std::vector<InputSpec> in, bool check_f64 = true) {
    c.Add(ConformanceCase{name, what, std::move(in), op.attrs, op.rtol, op.atol, check_f64});
  };
  add("plain", {F32({3, 4}), saved({3, 4})});
  add("scalar", {F32({}), saved({})});
  add("size-1 dims", {F32({1, 5, 1}), saved({1, 5, 1})});
  add("empty", {F32({0, 4}), saved({0, 4})});
  add("large odd size", {F32({100003}), saved({100003})});
  add("wide range", {F32({4099}), Uniform(DType::kF32, {4099}, -30, 30)});
  // Overflow in f32 but not in f64 makes the f64 comparison meaningless.
  add("special saved values", {F32({24}), Given(SpecialF32())}, false);
  add("special dy", {Given(SpecialF32()), saved({24})}, false);
  add("f64", {Uniform(DType::kF64, {2, 3}, -2, 2), Uniform(DType::kF64, {2, 3}, op.lo, op.hi)});
  const std::string second = op.name == std::string("relu_grad") ||
                                     op.name == std::string("sigmoid_grad") ||
                                     op.name == std::string("tanh_grad")
                                 ? "y"
                                 : "x";
  c.Add(ErrorCase{name,
                  "dtype mismatch",
                  {T(DType::kF32, {3}), T(DType::kF64, {3})},
                  op.attrs,
                  ErrorCode::kType,
                  {"f32[3]", "f64[3]"}});
  c.Add(ErrorCase{name,
                  "shape mismatch",
                  {T(DType::kF32, {2, 3}), T(DType::kF32, {3})},
                  op.attrs,
                  ErrorCode::kShape,
                  {"dy f32[2, 3]", second + " f32[3]", "same shape"}});
  c.Add(ErrorCase{name,
                  "integer inputs",
                  {T(DType::kI32, {4}), T(DType::kI32, {4})},
                  op.attrs,
                  ErrorCode::kType,
                  {"dtype i32", "expected one of f32, f64"}});
  c.Add(ErrorCase{
      name, "one input", {T(DType::kF32, {3})}, op.attrs, ErrorCode::kGraph, {"got 1", "f32[3]"}});
}

}  // namespace

BRONZE_OP_CASES(unary_grad_ops) {
  const GradOp ops[] = {
      // name, id, attrs, rtol, atol, saved range
      {"relu_grad", 219, {}, 0, 0, -1, 1},
      {"sigmoid_grad", 220, {}, 5e-7, 1e-37, 0, 1},
      {"tanh_grad", 221, {}, 5e-7, 1e-37, -1, 1},
      {"gelu_grad", 222, {}, 1e-6, 3e-7, -4, 4},
      {"gelu_grad", 222, {{"approximate", "tanh"}}, 1e-6, 3e-7, -4, 4},
      {"silu_grad", 223, {}, 1e-6, 1e-7, -4, 4},
      {"leaky_relu_grad", 224, {}, 0, 0, -1, 1},
      {"leaky_relu_grad", 224, {{"negative_slope", -1.5}}, 0, 0, -1, 1},
      {"clip_grad", 225, {{"min", -0.5}, {"max", 0.5}}, 0, 0, -1, 1},
  };
  for (const GradOp& op : ops) {
    // The second form of an op only adds conformance cases.
    if (!op.attrs.empty() && (op.name == std::string("gelu_grad") ||
                              op.name == std::string("leaky_relu_grad"))) {
      const std::string form = op.name == std::string("gelu_grad") ? "tanh form" : "slope -1.5";
      for (auto [what, dims] : {std::pair<const char*, Dims>{"plain", {3, 4}},
                                std::pair<const char*, Dims>{"large odd size", {100003}}}) {
        c.Add(ConformanceCase{op.name, form + ", " + what,
                              {F32(dims), Uniform(DType::kF32, dims, op.lo, op.hi)}, op.attrs,
                              op.rtol, op.atol});
      }
      c.Add(ConformanceCase{op.name, form + ", wide range",
                            {F32({4099}), Uniform(DType::kF32, {4099}, -30, 30)}, op.attrs,
                            op.rtol, op.atol});
      c.Add(ConformanceCase{op.name, form + ", special values", {F32({24}), Given(SpecialF32())},
                            op.attrs, op.rtol, op.atol, false});
      continue;
    }
    AddGradOp(c, op);
  }
  // Exact ties and bounds (the saved tensor holds them).
  const Tensor ties = Tensor::FromVector<float>({6}, {-0.5f, 0.5f, 0.0f, -0.0f, 0.25f, -1.0f});
  c.Add(ConformanceCase{"relu_grad", "zeros", {F32({6}), Given(ties)}, {}, 0, 0});
  c.Add(ConformanceCase{
      "clip_grad", "at the bounds", {F32({6}), Given(ties)}, {{"min", -0.5}, {"max", 0.5}}, 0, 0});
  c.Add(ConformanceCase{"clip_grad", "no bounds", {F32({6}), Given(ties)}, {}, 0, 0});
  c.Add(ConformanceCase{"clip_grad",
                        "NaN bound",
                        {F32({6}), Given(ties)},
                        {{"min", std::numeric_limits<double>::quiet_NaN()}},
                        0,
                        0});
  c.Add(ConformanceCase{
      "clip_grad", "min above max", {F32({6}), Given(ties)}, {{"min", 1.0}, {"max", -1.0}}, 0, 0});
  c.Add(ConformanceCase{"clip_grad",
                        "bounds rounded to f32",
                        {F32({6}), Given(Tensor::FromVector<float>({6}, {0.1f, 0.2f, 0.3f, 0.09f,
                                                                         0.31f, 0.15f}))},
                        {{"min", 0.1}, {"max", 0.3}},
                        0,
                        0,
                        /*check_f64=*/false});  // f64 keeps the bounds unrounded
  c.Add(ConformanceCase{"leaky_relu_grad", "zeros", {F32({6}), Given(ties)}, {}, 0, 0});

  c.Add(ErrorCase{"gelu_grad",
                  "unknown approximation",
                  {T(DType::kF32, {3}), T(DType::kF32, {3})},
                  {{"approximate", "erf"}},
                  ErrorCode::kAttribute,
                  {"\"none\" or \"tanh\", got \"erf\""}});
  c.Add(ErrorCase{"leaky_relu_grad",
                  "infinite slope",
                  {T(DType::kF32, {3}), T(DType::kF32, {3})},
                  {{"negative_slope", std::numeric_limits<double>::infinity()}},
                  ErrorCode::kAttribute,
                  {"'negative_slope' must be finite, got inf"}});
  c.Add(ErrorCase{"clip_grad",
                  "bound is a string",
                  {T(DType::kF32, {3}), T(DType::kF32, {3})},
                  {{"min", "0"}},
                  ErrorCode::kAttribute,
                  {"'min' has type string, expected float"}});
  c.Add(ErrorCase{"relu_grad",
                  "unknown attribute",
                  {T(DType::kF32, {3}), T(DType::kF32, {3})},
                  {{"alpha", 0.1}},
                  ErrorCode::kAttribute,
                  {"unknown attribute 'alpha'"}});
}

}  // namespace bronze::testing
