// Test cases of the unary elementwise ops (graph/ops/unary.cc): conformance over plain, scalar,
// size-1, empty, large (multi-threaded), wide-range and special-value inputs, integer and bool
// dtypes, every cast direction; error cases; frozen ids. Tolerances are the measured accuracy
// of the f32 kernels against the reference (evaluated in double), with a little headroom.
#include <cstdint>
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kMax = std::numeric_limits<float>::max();
constexpr float kDenorm = 1e-40f;

// Special values every float op sees: NaN, infinities, signed zeros, denormals, the float
// extremes and values around where functions saturate or overflow.
Tensor SpecialF32() {
  return Tensor::FromVector<float>(
      {24}, {kNaN,  kInf,   -kInf, 0.0f,   -0.0f,  kDenorm, -kDenorm, 1.17549435e-38f,
             1.0f,  -1.0f,  0.5f,  -0.5f,  3.0f,   -3.0f,   9.0f,     -9.0f,
             20.0f, -20.0f, 88.5f, -88.5f, 100.0f, -100.0f, kMax,     -kMax});
}

struct FloatOp {
  const char* name;
  uint32_t id;
  AttrMap attrs;
  double rtol, atol;
  bool positive_domain;  // random inputs from (0, 10] instead of N(0, 1)
  double wide;           // random wide-range inputs from [-wide, wide]
};

InputSpec Random(const FloatOp& op, Dims dims) {
  return op.positive_domain ? Uniform(DType::kF32, std::move(dims), 1e-3, 10)
                            : F32(std::move(dims));
}

void AddFloatOp(OpCases& c, const FloatOp& op) {
  const std::string name = op.name;
  auto add = [&](const std::string& what, std::vector<InputSpec> in, bool check_f64 = true,
                 AttrMap attrs = {}) {
    if (attrs.empty()) attrs = op.attrs;
    c.Add(ConformanceCase{name, what, std::move(in), attrs, op.rtol, op.atol, check_f64});
  };
  add("plain", {Random(op, {3, 4})});
  add("size-1 dims", {Random(op, {1, 5, 1})});
  add("scalar", {Random(op, {})});
  add("empty", {Random(op, {0, 4})});
  add("large odd size", {Random(op, {100003})});
  add("wide range", {Uniform(DType::kF32, {4099}, op.positive_domain ? 0 : -op.wide, op.wide)});
  // Overflow in f32 but not in f64 (exp(100), 1 / 1e-40) makes the f64 comparison meaningless.
  add("special values", {Given(SpecialF32())}, /*check_f64=*/false);
  add("f64", {Uniform(DType::kF64, {2, 3}, op.positive_domain ? 0.01 : -3, 3)});
  c.Add(ErrorCase{name,
                  "bool input",
                  {T(DType::kBool, {3})},
                  op.attrs,
                  ErrorCode::kType,
                  {"x: bool[3]", "expected one of f32, f64"}});
  c.Add(ErrorCase{name,
                  "integer input",
                  {T(DType::kI64, {2, 3})},
                  op.attrs,
                  ErrorCode::kType,
                  {"i64[2, 3]", "dtype i64"}});
  c.Add(ErrorCase{name,
                  "f16 input (no kernels)",
                  {T(DType::kF16, {4})},
                  op.attrs,
                  ErrorCode::kType,
                  {"f16[4]"}});
  c.Add(ErrorCase{name,
                  "two inputs",
                  {T(DType::kF32, {3}), T(DType::kF32, {3})},
                  op.attrs,
                  ErrorCode::kGraph,
                  {"got 2", "f32[3]"}});
}

}  // namespace

BRONZE_OP_CASES(unary) {
  // --- Float-only ops (f32 and f64). ---
  const FloatOp float_ops[] = {
      // name, id, attrs, rtol, atol, positive domain, wide range
      {"exp", 201, {}, 4e-7, 0, false, 87},
      {"log", 204, {}, 4e-7, 1e-7, true, 1e30},
      {"sqrt", 205, {}, 0, 0, true, 1e30},
      {"rsqrt", 206, {}, 1.2e-7, 0, true, 1e30},
      {"reciprocal", 207, {}, 0, 0, false, 1e30},
      {"sin", 208, {}, 4e-7, 1e-7, false, 1e5},
      {"cos", 209, {}, 4e-7, 1e-7, false, 1e5},
      {"tanh", 210, {}, 6e-7, 0, false, 20},
      // Denormal results: sigmoid within 2 denormal steps (1.4e-45 each); silu's x * e^x within
      // |x| denormal steps.
      {"sigmoid", 211, {}, 4e-7, 3e-45, false, 110},
      {"silu", 214, {}, 4e-7, 2e-43, false, 110},
      {"erf", 215, {}, 2.4e-7, 0, false, 6},
      {"leaky_relu", 212, {}, 0, 0, false, 1e30},
      // PyTorch's erf-form formula cancels for x < 0: |x| * 2^-24 absolute, at most 3.5e-7.
      {"gelu", 213, {}, 4e-7, 3.5e-7, false, 12},
  };
  for (const FloatOp& op : float_ops) {
    c.FreezeId(op.name, op.id);
    AddFloatOp(c, op);
  }
  const float max = std::numeric_limits<float>::max();
  c.Add(ConformanceCase{
      "sin",
      "beyond the vector range",
      {Given(Tensor::FromVector<float>({6}, {39000.0f, 39001.0f, -1e6f, 1e20f, max, 3.0f}))},
      {},
      4e-7,
      1e-7});
  c.Add(ConformanceCase{
      "cos",
      "beyond the vector range",
      {Given(Tensor::FromVector<float>({6}, {39000.0f, 39001.0f, -1e6f, 1e20f, max, 3.0f}))},
      {},
      4e-7,
      1e-7});
  // The tanh form's f32 kernel rounds u to f32 before e^(-2u): for x < 0 its relative error is
  // about 2|2u| ulps, up to 1e-7 absolute (see tests/ops/unary_test.cc).
  c.Add(ConformanceCase{"gelu", "tanh form", {F32({3, 4})}, {{"approximate", "tanh"}}, 6e-7, 1e-7});
  c.Add(ConformanceCase{
      "gelu", "tanh form, large", {F32({100003})}, {{"approximate", "tanh"}}, 6e-7, 1e-7});
  c.Add(ConformanceCase{"gelu",
                        "tanh form, wide range",
                        {Uniform(DType::kF32, {4099}, -12, 12)},
                        {{"approximate", "tanh"}},
                        6e-7,
                        1e-7});
  c.Add(ConformanceCase{"gelu",
                        "tanh form, special values",
                        {Given(SpecialF32())},
                        {{"approximate", "tanh"}},
                        6e-7,
                        1e-7,
                        false});
  c.Add(ConformanceCase{
      "gelu", "tanh form, f64", {Uniform(DType::kF64, {5}, -3, 3)}, {{"approximate", "tanh"}}});
  c.Add(ConformanceCase{"leaky_relu", "slope 0.2", {F32({4, 5})}, {{"negative_slope", 0.2}}, 0, 0});
  c.Add(ConformanceCase{
      "leaky_relu", "negative slope, large", {F32({100003})}, {{"negative_slope", -1.5}}, 0, 0});
  c.Add(ErrorCase{"exp",
                  "unknown attribute",
                  {T(DType::kF32, {3})},
                  {{"alpha", 0.1}},
                  ErrorCode::kAttribute,
                  {"unknown attribute 'alpha'", "takes no attributes"}});
  c.Add(ErrorCase{"leaky_relu",
                  "NaN slope",
                  {T(DType::kF32, {3})},
                  {{"negative_slope", std::numeric_limits<double>::quiet_NaN()}},
                  ErrorCode::kAttribute,
                  {"'negative_slope' must be finite, got nan"}});
  c.Add(ErrorCase{"leaky_relu",
                  "slope is a string",
                  {T(DType::kF32, {3})},
                  {{"negative_slope", "0.1"}},
                  ErrorCode::kAttribute,
                  {"'negative_slope' has type string, expected float"}});
  c.Add(ErrorCase{"gelu",
                  "unknown approximation",
                  {T(DType::kF32, {3})},
                  {{"approximate", "erf"}},
                  ErrorCode::kAttribute,
                  {"\"none\" or \"tanh\", got \"erf\""}});
  c.Add(ErrorCase{"gelu",
                  "approximate is a bool-like int",
                  {T(DType::kF32, {3})},
                  {{"approximate", 1}},
                  ErrorCode::kAttribute,
                  {"'approximate' has type int, expected string"}});

  // --- neg, abs, relu: floats and integers. ---
  const std::pair<const char*, uint32_t> numeric_ops[] = {
      {"relu", 200}, {"neg", 202}, {"abs", 203}};
  for (const auto& [op, id] : numeric_ops) {
    c.FreezeId(op, id);
    c.Add(ConformanceCase{op, "plain", {F32({3, 4})}, {}, 0, 0});
    c.Add(ConformanceCase{op, "size-1 dims", {F32({1, 3, 1})}, {}, 0, 0});
    c.Add(ConformanceCase{op, "scalar", {F32({})}, {}, 0, 0});
    c.Add(ConformanceCase{op, "empty", {F32({0, 4})}, {}, 0, 0});
    c.Add(ConformanceCase{op, "large odd size", {F32({100003})}, {}, 0, 0});
    c.Add(ConformanceCase{op, "special values", {Given(SpecialF32())}, {}, 0, 0});
    c.Add(ConformanceCase{op, "f64", {Uniform(DType::kF64, {7}, -2, 2)}, {}, 0, 0});
    c.Add(ConformanceCase{op, "i32", {Ints(DType::kI32, {9}, -5, 5)}});
    c.Add(ConformanceCase{op, "i64, large", {Ints(DType::kI64, {100003}, -1000, 1000)}});
    c.Add(ConformanceCase{op, "u8", {Ints(DType::kU8, {2, 9}, 0, 256)}});
    c.Add(ConformanceCase{op, "u8, large", {Ints(DType::kU8, {100003}, 0, 256)}});
    c.Add(ConformanceCase{op,
                          "i32 extremes",
                          {Given(Tensor::FromVector<int32_t>(
                              {5}, {std::numeric_limits<int32_t>::min(),
                                    std::numeric_limits<int32_t>::max(), -1, 0, 1}))}});
    c.Add(ConformanceCase{op,
                          "i64 extremes",
                          {Given(Tensor::FromVector<int64_t>(
                              {5}, {std::numeric_limits<int64_t>::min(),
                                    std::numeric_limits<int64_t>::max(), -1, 0, 1}))}});
    c.Add(ErrorCase{op,
                    "bool input",
                    {T(DType::kBool, {2, 2})},
                    {},
                    ErrorCode::kType,
                    {"x: bool[2, 2]", "expected one of f32, f64, i32, i64, u8"}});
    c.Add(ErrorCase{
        op, "f16 input (no kernels)", {T(DType::kF16, {4})}, {}, ErrorCode::kType, {"f16[4]"}});
    c.Add(ErrorCase{op,
                    "two inputs",
                    {T(DType::kF32, {3}), T(DType::kF32, {3})},
                    {},
                    ErrorCode::kGraph,
                    {"got 2", "f32[3]"}});
    c.Add(ErrorCase{op,
                    "unknown attribute",
                    {T(DType::kF32, {3})},
                    {{"alpha", 0.1}},
                    ErrorCode::kAttribute,
                    {"unknown attribute 'alpha'"}});
  }

  // --- clip. ---
  c.FreezeId("clip", 216);
  const AttrMap unit{{"min", -1.0}, {"max", 1.0}};
  c.Add(ConformanceCase{"clip", "plain", {F32({3, 4})}, {{"min", -0.5}, {"max", 0.75}}, 0, 0});
  c.Add(ConformanceCase{"clip", "min only", {F32({2, 5})}, {{"min", 0.1}}, 0, 0});
  c.Add(ConformanceCase{"clip", "max only", {F32({2, 5})}, {{"max", -0.1}}, 0, 0});
  c.Add(ConformanceCase{"clip", "no bounds", {F32({6})}, {}, 0, 0});
  c.Add(ConformanceCase{
      "clip", "min above max gives max", {F32({8})}, {{"min", 1.0}, {"max", -1.0}}, 0, 0});
  c.Add(ConformanceCase{"clip",
                        "NaN bound gives NaN",
                        {F32({4})},
                        {{"min", std::numeric_limits<double>::quiet_NaN()}, {"max", 1.0}},
                        0,
                        0});
  c.Add(ConformanceCase{"clip", "scalar", {F32({})}, unit, 0, 0});
  c.Add(ConformanceCase{"clip", "size-1 dims", {F32({1, 4, 1})}, unit, 0, 0});
  c.Add(ConformanceCase{"clip", "empty", {F32({3, 0})}, unit, 0, 0});
  c.Add(ConformanceCase{"clip", "large odd size", {F32({100003})}, unit, 0, 0});
  c.Add(ConformanceCase{"clip", "special values", {Given(SpecialF32())}, unit, 0, 0});
  c.Add(ConformanceCase{
      "clip", "bounds rounded to f32", {F32({9})}, {{"min", 0.1}, {"max", 1e300}}, 0, 0});
  c.Add(ConformanceCase{"clip", "f64", {Uniform(DType::kF64, {7}, -2, 2)}, unit, 0, 0});
  c.Add(
      ConformanceCase{"clip", "i32", {Ints(DType::kI32, {12}, -9, 9)}, {{"min", -3}, {"max", 4}}});
  c.Add(ConformanceCase{"clip",
                        "i64, large",
                        {Ints(DType::kI64, {100003}, -50, 50)},
                        {{"min", -20.0}, {"max", 1e15}}});
  c.Add(ConformanceCase{"clip", "u8 max only", {Ints(DType::kU8, {3, 7}, 0, 256)}, {{"max", 200}}});
  c.Add(ConformanceCase{
      "clip", "u8, large", {Ints(DType::kU8, {100003}, 0, 256)}, {{"min", 10}, {"max", 100}}});
  c.Add(ConformanceCase{
      "clip", "i32 min above max", {Ints(DType::kI32, {6}, -9, 9)}, {{"min", 5}, {"max", 2}}});
  c.Add(ErrorCase{
      "clip", "bool input", {T(DType::kBool, {3})}, unit, ErrorCode::kType, {"x: bool[3]"}});
  c.Add(ErrorCase{"clip",
                  "fractional bound on i32",
                  {T(DType::kI32, {2, 3})},
                  {{"min", 1.5}},
                  ErrorCode::kAttribute,
                  {"i32[2, 3]", "clip min 1.5 is not an integer"}});
  c.Add(ErrorCase{"clip",
                  "bound out of u8 range",
                  {T(DType::kU8, {4})},
                  {{"min", -1}},
                  ErrorCode::kAttribute,
                  {"u8[4]", "clip min -1", "out of range for dtype u8 [0, 255]"}});
  c.Add(ErrorCase{"clip",
                  "max -inf on i64",
                  {T(DType::kI64, {4})},
                  {{"max", -std::numeric_limits<double>::infinity()}},
                  ErrorCode::kAttribute,
                  {"clip max -inf", "i64"}});
  c.Add(ErrorCase{"clip",
                  "bound is a string",
                  {T(DType::kF32, {4})},
                  {{"min", "0"}},
                  ErrorCode::kAttribute,
                  {"'min' has type string, expected float"}});

  // --- cast: every direction between f32, f64, i32, i64, u8 and bool. ---
  c.FreezeId("cast", 217);
  const DType castable[] = {DType::kF32, DType::kF64, DType::kI32,
                            DType::kI64, DType::kU8,  DType::kBool};
  auto random_of = [](DType d, Dims dims) {
    if (d == DType::kBool) return Bools(std::move(dims));
    if (d == DType::kU8) return Ints(d, std::move(dims), 0, 256);
    if (IsInteger(d)) return Ints(d, std::move(dims), -400, 400);
    return Uniform(d, std::move(dims), -400, 400);
  };
  for (DType from : castable) {
    for (DType to : castable) {
      const std::string what = std::string(DTypeName(from)) + " to " + std::string(DTypeName(to));
      // The f64 check runs the case again on f64 inputs; with an f32 target the outputs' dtypes
      // then differ from what the check expects, so it is off there (f64 -> f32 has its cases).
      const bool check_f64 = to != DType::kF32;
      c.Add(ConformanceCase{
          "cast", what, {random_of(from, {3, 5})}, {{"dtype", to}}, 0, 0, check_f64});
      if (from == DType::kF32 || to == DType::kF32) {
        c.Add(ConformanceCase{"cast",
                              what + ", large",
                              {random_of(from, {100003})},
                              {{"dtype", to}},
                              0,
                              0,
                              check_f64});
      }
    }
  }
  c.Add(ConformanceCase{"cast", "empty", {F32({0, 2})}, {{"dtype", DType::kI32}}});
  c.Add(ConformanceCase{"cast", "scalar", {F32({})}, {{"dtype", DType::kI64}}});
  const Tensor float_edges = Tensor::FromVector<float>(
      {28},
      {kNaN,           kInf,           -kInf,          0.0f,          -0.0f,        kDenorm,
       0.5f,           -0.5f,          0.99999994f,    -0.99999994f,  1.5f,         -1.5f,
       255.5f,         256.0f,         300.0f,         -1.0f,         -129.0f,      2147483520.0f,
       2147483648.0f,  -2147483648.0f, -2147483904.0f, 9.2233715e18f, 9.223372e18f, -9.223372e18f,
       -9.2233731e18f, 1e30f,          kMax,           -kMax});
  const Tensor double_edges = Tensor::FromVector<double>(
      {16}, {std::numeric_limits<double>::quiet_NaN(), 2147483647.9, 2147483648.0, -2147483648.9,
             -2147483649.0, 255.99, 256.0, -0.99, 9223372036854774784.0, 9223372036854775808.0,
             -9223372036854775808.0, -9223372036854777856.0, 1e300, -1e300, 1e-300,
             3.4028235677973366e38});
  const Tensor int_edges = Tensor::FromVector<int64_t>(
      {10}, {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 2147483648,
             -2147483649, 300, -1, 16777217, -16777217, 9007199254740993, 0});
  for (DType to : castable) {
    const std::string where = std::string(" to ") + std::string(DTypeName(to));
    c.Add(ConformanceCase{"cast",
                          "f32 edges" + where,
                          {Given(float_edges)},
                          {{"dtype", to}},
                          0,
                          0,
                          to != DType::kF32});
    c.Add(
        ConformanceCase{"cast", "f64 edges" + where, {Given(double_edges)}, {{"dtype", to}}, 0, 0});
    c.Add(ConformanceCase{"cast", "i64 edges" + where, {Given(int_edges)}, {{"dtype", to}}, 0, 0});
  }
  c.Add(ErrorCase{"cast",
                  "f16 target",
                  {T(DType::kF32, {2})},
                  {{"dtype", DType::kF16}},
                  ErrorCode::kAttribute,
                  {"cast to f16 is not supported", "f32, f64, i32, i64, u8, bool"}});
  c.Add(ErrorCase{"cast",
                  "missing dtype",
                  {T(DType::kF32, {2})},
                  {},
                  ErrorCode::kAttribute,
                  {"missing required attribute 'dtype'"}});
  c.Add(ErrorCase{"cast",
                  "dtype given as a string",
                  {T(DType::kF32, {2})},
                  {{"dtype", "f64"}},
                  ErrorCode::kAttribute,
                  {"'dtype' has type string, expected dtype"}});
  c.Add(ErrorCase{"cast",
                  "bf16 input",
                  {T(DType::kBF16, {2, 2})},
                  {{"dtype", DType::kF32}},
                  ErrorCode::kType,
                  {"bf16[2, 2]", "dtype bf16"}});

  // --- logical_not. ---
  c.FreezeId("logical_not", 218);
  c.Add(ConformanceCase{"logical_not", "plain", {Bools({3, 4})}});
  c.Add(ConformanceCase{"logical_not", "scalar", {Bools({})}});
  c.Add(ConformanceCase{"logical_not", "size-1 dims", {Bools({1, 6, 1})}});
  c.Add(ConformanceCase{"logical_not", "empty", {Bools({0})}});
  c.Add(ConformanceCase{"logical_not", "large odd size", {Bools({100003})}});
  c.Add(ErrorCase{"logical_not",
                  "f32 input",
                  {T(DType::kF32, {3})},
                  {},
                  ErrorCode::kType,
                  {"x: f32[3]", "expected one of bool"}});
  c.Add(ErrorCase{
      "logical_not", "i64 input", {T(DType::kI64, {2, 1})}, {}, ErrorCode::kType, {"i64[2, 1]"}});
  c.Add(ErrorCase{"logical_not",
                  "two inputs",
                  {T(DType::kBool, {3}), T(DType::kBool, {3})},
                  {},
                  ErrorCode::kGraph,
                  {"got 2", "bool[3]"}});
}

}  // namespace bronze::testing
