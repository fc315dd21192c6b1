// Test cases of the reduce family (graph/ops/reduce.cc): reduce_sum, reduce_mean, reduce_max,
// reduce_min, reduce_prod, logsumexp over every kind of axis set (rows, columns, mixed groups,
// size-1 dims, negative axes, empty inputs, long chunked reductions, special values); argmax and
// argmin (ties, NaN, chunked); softmax and log_softmax (last, first and middle axes, long rows,
// special values); their backward ops softmax_grad and log_softmax_grad; error cases; frozen
// ids.
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
Attribute Axes(std::vector<int64_t> a) { return Attribute(std::move(a)); }

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Rows of special values: NaN, +inf, all -inf, some -inf, mixed.
Tensor SpecialRows() {
  return Tensor::FromVector<float>({5, 4}, {1,     kNaN,  3,     -2,     //
                                            1,     kInf,  3,     -2,     //
                                            -kInf, -kInf, -kInf, -kInf,  //
                                            -kInf, 2,     -kInf, 0.5f,   //
                                            kNaN,  kInf,  -kInf, 0});
}

// n floats with many ties (values 0..4), so "first occurrence" matters across lanes and chunks.
Tensor Ties(Dims dims) {
  Tensor t = Tensor::Empty(DType::kF32, dims);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>((i * 7919 + i / 13) % 5);
  return t;
}

// Tolerances against the reference (which accumulates in double): sums, means, products and
// logsumexp accumulate in f64 lanes on cpu too, so they agree to about one f32 rounding; max and
// min are exact.
struct Tolerance {
  double rtol, atol;
};

void AddAxesReduction(OpCases& c, const std::string& op, bool has_identity, bool integers,
                      double lo, double hi, Tolerance tol) {
  // Value ranges keep products representable; other ops use the same ranges (harmless).
  auto X = [&](Dims dims) { return Uniform(DType::kF32, std::move(dims), lo, hi); };
  auto add = [&](const char* name, InputSpec x, AttrMap attrs) {
    c.Add(ConformanceCase{op, name, {std::move(x)}, std::move(attrs), tol.rtol, tol.atol});
  };
  add("all axes", X({3, 4, 5}), {});
  add("last axis keepdims", X({3, 4, 5}), {{"axes", Axes({-1})}, {"keepdims", 1}});
  add("first axis (columns)", X({6, 37}), {{"axes", Axes({0})}});
  add("middle axis", X({3, 7, 19}), {{"axes", Axes({1})}});
  add("outer and inner axes", X({5, 3, 33}), {{"axes", Axes({0, -1})}});
  add("alternating axes 1 and 3 keepdims", X({2, 3, 4, 5}),
      {{"axes", Axes({3, 1})}, {"keepdims", 1}});
  add("alternating axes 0 and 2", X({4, 3, 5, 6}), {{"axes", Axes({0, 2})}});
  add("size-1 dims", X({1, 5, 1, 3}), {{"axes", Axes({0, 1})}});
  add("only a size-1 axis", X({4, 1, 3}), {{"axes", Axes({1})}});
  add("scalar", X({}), {});
  add("empty output", X({0, 4}), {{"axes", Axes({1})}});
  if (has_identity) {
    add("empty reduced axis", X({3, 0}), {{"axes", Axes({1})}});
    add("empty reduced axis keepdims", X({2, 0, 3}), {{"axes", Axes({1})}, {"keepdims", 1}});
  }
  add("large rows", X({64, 5000}), {{"axes", Axes({1})}});
  add("large middle axis", X({8, 1000, 40}), {{"axes", Axes({1})}});
  add("large outer and inner axes", X({50, 2, 2000}), {{"axes", Axes({0, 2})}});
  add("large alternating groups", X({30, 4, 40, 50}), {{"axes", Axes({0, 2})}});
  // Few outputs, long reductions: cut into fixed chunks (bitwise equal at 1 and 2 threads).
  add("one long reduction (chunked)", X({300001}), {});
  add("few long rows (chunked)", X({3, 200003}), {{"axes", Axes({-1})}});
  add("tall columns (chunked)", X({100003, 3}), {{"axes", Axes({0})}});
  add("wide columns (chunked)", X({200, 1500}), {{"axes", Axes({0})}});
  add("special values rows", Given(SpecialRows()), {{"axes", Axes({1})}});
  add("special values columns", Given(SpecialRows()), {{"axes", Axes({0})}});
  if (integers) {
    add("i32 columns", Ints(DType::kI32, {4, 6}, -9, 9), {{"axes", Axes({0})}});
    add("i64 rows", Ints(DType::kI64, {5, 7}, -3, 4), {{"axes", Axes({1})}});
  }
  c.Add(ErrorCase{op,
                  "axis out of range",
                  {T(DType::kF32, {3, 4})},
                  {{"axes", Axes({2})}},
                  ErrorCode::kShape,
                  {"axis 2", "rank 2", "f32[3, 4]"}});
  c.Add(ErrorCase{op,
                  "repeated axis",
                  {T(DType::kF32, {3, 4})},
                  {{"axes", Axes({1, -1})}},
                  ErrorCode::kAttribute,
                  {"axis -1 appears twice"}});
  c.Add(ErrorCase{op,
                  "bad keepdims",
                  {T(DType::kF32, {3, 4})},
                  {{"keepdims", int64_t{2}}},
                  ErrorCode::kAttribute,
                  {"keepdims", "2"}});
  c.Add(ErrorCase{op, "bool input", {T(DType::kBool, {3})}, {}, ErrorCode::kType, {"bool", "f32"}});
}

}  // namespace

BRONZE_OP_CASES(reduce) {
  c.FreezeId("reduce_sum", 400);
  c.FreezeId("reduce_mean", 401);
  c.FreezeId("reduce_max", 402);
  c.FreezeId("reduce_min", 403);
  c.FreezeId("reduce_prod", 404);
  c.FreezeId("argmax", 405);
  c.FreezeId("argmin", 406);
  c.FreezeId("logsumexp", 407);
  c.FreezeId("softmax", 410);
  c.FreezeId("log_softmax", 411);
  c.FreezeId("softmax_grad", 412);
  c.FreezeId("log_softmax_grad", 413);

  // --- reduce_* and logsumexp ---
  const Tolerance f64_lanes{1e-6, 1e-7}, exact{0, 0};
  AddAxesReduction(c, "reduce_sum", true, true, -1, 1, f64_lanes);
  AddAxesReduction(c, "reduce_mean", true, false, -1, 1, f64_lanes);
  AddAxesReduction(c, "reduce_max", false, true, -1, 1, exact);
  AddAxesReduction(c, "reduce_min", false, true, -1, 1, exact);
  AddAxesReduction(c, "reduce_prod", true, true, 0.995, 1.005, f64_lanes);
  AddAxesReduction(c, "logsumexp", true, false, -3, 3, f64_lanes);
  c.Add(ConformanceCase{"reduce_prod", "signs and zeros", {F32({6, 9})}, {{"axes", Axes({1})}}});
  c.Add(ConformanceCase{"logsumexp",
                        "large values (stable)",
                        {Uniform(DType::kF32, {4, 300}, 80, 120)},
                        {{"axes", Axes({1})}}});
  c.Add(ConformanceCase{"logsumexp",
                        "large values columns",
                        {Uniform(DType::kF32, {300, 20}, -120, 120)},
                        {{"axes", Axes({0})}}});
  for (const char* op : {"reduce_mean", "logsumexp"}) {
    c.Add(ErrorCase{
        op, "integer input", {T(DType::kI32, {3, 4})}, {}, ErrorCode::kType, {"i32", "f32, f64"}});
  }
  for (const char* op : {"reduce_max", "reduce_min"}) {
    c.Add(ErrorCase{op,
                    "empty reduced axis",
                    {T(DType::kF32, {3, 0})},
                    {{"axes", Axes({1})}},
                    ErrorCode::kShape,
                    {"axis 1 of size 0", "(3, 0)"}});
    c.Add(ErrorCase{op,
                    "symbolic axis bound to 0",
                    {T(DType::kF32, Shape{Dim::Symbol("N"), 3})},
                    {{"axes", Axes({0})}},
                    ErrorCode::kShape,
                    {"axis 0 of size 0", "(0, 3)"},
                    std::vector<Tensor>{Tensor::Zeros(DType::kF32, {0, 3})}});
  }

  // --- argmax, argmin ---
  for (const char* op : {"argmax", "argmin"}) {
    c.Add(ConformanceCase{op, "last axis", {Distinct({5, 7})}, {{"axis", -1}}});
    c.Add(ConformanceCase{
        op, "first axis keepdims", {Distinct({6, 37})}, {{"axis", 0}, {"keepdims", 1}}});
    c.Add(ConformanceCase{op, "middle axis", {Distinct({3, 9, 21})}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "size-1 axis", {Distinct({4, 1, 3})}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "rank 1", {Distinct({50})}, {{"axis", 0}}});
    c.Add(ConformanceCase{op, "empty output", {F32({0, 4})}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "ties rows", {Given(Ties({7, 45}))}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "ties columns", {Given(Ties({45, 37}))}, {{"axis", 0}}});
    c.Add(ConformanceCase{op, "special values rows", {Given(SpecialRows())}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "special values columns", {Given(SpecialRows())}, {{"axis", 0}}});
    c.Add(ConformanceCase{op, "large rows", {Distinct({64, 3000})}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "large middle axis", {Distinct({8, 1000, 40})}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "one long row (chunked)", {Distinct({300001})}, {{"axis", 0}}});
    c.Add(ConformanceCase{op, "long ties (chunked)", {Given(Ties({2, 150001}))}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "tall columns (chunked)", {Given(Ties({100003, 3}))}, {{"axis", 0}}});
    c.Add(ConformanceCase{op, "i32 ties", {Ints(DType::kI32, {6, 10}, 0, 3)}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "i64", {Ints(DType::kI64, {6, 10}, -50, 50)}, {{"axis", 0}}});
    c.Add(ErrorCase{op,
                    "missing axis",
                    {T(DType::kF32, {3, 4})},
                    {},
                    ErrorCode::kAttribute,
                    {"missing required attribute 'axis'"}});
    c.Add(ErrorCase{op,
                    "axis out of range",
                    {T(DType::kF32, {3, 4})},
                    {{"axis", -3}},
                    ErrorCode::kShape,
                    {"axis -3", "rank 2", "f32[3, 4]"}});
    c.Add(ErrorCase{op,
                    "empty axis",
                    {T(DType::kF32, {3, 0})},
                    {{"axis", 1}},
                    ErrorCode::kShape,
                    {"axis 1 of size 0", "(3, 0)"}});
    c.Add(ErrorCase{
        op, "bool input", {T(DType::kBool, {3})}, {{"axis", 0}}, ErrorCode::kType, {"bool"}});
    c.Add(ErrorCase{op,
                    "list axis",
                    {T(DType::kF32, {3})},
                    {{"axis", Axes({0})}},
                    ErrorCode::kAttribute,
                    {"axis"}});
  }

  // --- softmax, log_softmax ---
  for (const char* op : {"softmax", "log_softmax"}) {
    c.Add(ConformanceCase{op, "last axis (default)", {F32({4, 10})}, {}});
    c.Add(ConformanceCase{op, "odd row length", {F32({7, 37})}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "first axis (columns)", {F32({5, 3})}, {{"axis", 0}}});
    c.Add(ConformanceCase{op, "middle axis", {F32({2, 5, 7})}, {{"axis", -2}}});
    c.Add(ConformanceCase{op, "size-1 axis", {F32({3, 1})}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "rank 1", {F32({9})}, {}});
    c.Add(ConformanceCase{op, "empty", {F32({0, 5})}, {}});
    c.Add(ConformanceCase{op, "empty axis", {F32({5, 0})}, {{"axis", 1}}});
    c.Add(ConformanceCase{
        op, "large values (stable)", {Uniform(DType::kF32, {6, 50}, -200, 200)}, {}});
    c.Add(ConformanceCase{op, "special values rows", {Given(SpecialRows())}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "special values columns", {Given(SpecialRows())}, {{"axis", 0}}});
    c.Add(ConformanceCase{op, "large rows", {F32({64, 4096})}, {}});
    c.Add(ConformanceCase{op, "many short rows", {F32({20000, 6})}, {}});
    c.Add(ConformanceCase{op, "one long row (chunked)", {F32({1, 200003})}, {}});
    c.Add(ConformanceCase{op, "large columns", {F32({300, 400})}, {{"axis", 0}}});
    c.Add(ConformanceCase{op, "large middle axis", {F32({8, 50, 300})}, {{"axis", 1}}});
    c.Add(ErrorCase{op,
                    "axis out of range",
                    {T(DType::kF32, {3, 4})},
                    {{"axis", 2}},
                    ErrorCode::kShape,
                    {"axis 2", "rank 2", "f32[3, 4]"}});
    c.Add(ErrorCase{
        op, "integer input", {T(DType::kI32, {3, 4})}, {}, ErrorCode::kType, {"i32", "f32, f64"}});
    c.Add(ErrorCase{op, "scalar input", {T(DType::kF32, {})}, {}, ErrorCode::kShape, {"rank 0"}});
    c.Add(ErrorCase{op,
                    "unknown attribute",
                    {T(DType::kF32, {3})},
                    {{"axes", Axes({0})}},
                    ErrorCode::kAttribute,
                    {"axes"}});
  }

  // --- softmax_grad, log_softmax_grad (dy, y): y like the forward op's outputs ---
  for (const char* op : {"softmax_grad", "log_softmax_grad"}) {
    const bool log = std::string(op) == "log_softmax_grad";
    auto Y = [&](Dims dims) {
      return log ? Uniform(DType::kF32, std::move(dims), -6, 0)
                 : Uniform(DType::kF32, std::move(dims), 0, 1);
    };
    auto add = [&](const char* name, Dims dims, AttrMap attrs) {
      c.Add(ConformanceCase{op, name, {F32(dims), Y(dims)}, std::move(attrs), 1e-5, 1e-5});
    };
    add("last axis (default)", {4, 10}, {});
    add("odd row length", {7, 37}, {{"axis", 1}});
    add("first axis (columns)", {5, 3}, {{"axis", 0}});
    add("middle axis", {2, 5, 7}, {{"axis", -2}});
    add("size-1 axis", {3, 1}, {{"axis", 1}});
    add("size-1 dims", {1, 6, 1}, {{"axis", 1}});
    add("rank 1", {9}, {});
    add("empty", {0, 5}, {});
    add("empty axis", {5, 0}, {{"axis", 1}});
    add("large rows", {64, 4096}, {});
    add("many short rows", {20000, 6}, {});
    add("one long row (chunked)", {1, 200003}, {});
    add("few long rows (chunked)", {3, 70001}, {{"axis", -1}});
    add("large columns", {300, 400}, {{"axis", 0}});
    add("large middle axis", {8, 50, 300}, {{"axis", 1}});
    add("odd tiles", {3, 7, 261}, {{"axis", 1}});
    // NaN in dy or y poisons its slice; -inf log-probabilities have exp(y) = 0.
    Tensor special = Tensor::FromVector<float>({3, 4}, {0.1f, kNaN, 0.3f, 0.2f,  //
                                                        -kInf, -1, -2, -0.5f,    //
                                                        0.25f, 0.25f, 0.25f, 0.25f});
    c.Add(ConformanceCase{op, "special values rows", {F32({3, 4}), Given(special)}, {{"axis", 1}}});
    c.Add(ConformanceCase{op, "special values in dy", {Given(special), Y({3, 4})}, {{"axis", 0}}});
    c.Add(ErrorCase{op,
                    "shape mismatch",
                    {T(DType::kF32, {3, 4}), T(DType::kF32, {3, 1})},
                    {},
                    ErrorCode::kShape,
                    {"f32[3, 4]", "f32[3, 1]", "same shape"}});
    c.Add(ErrorCase{op,
                    "dtype mismatch",
                    {T(DType::kF64, {3, 4}), T(DType::kF32, {3, 4})},
                    {},
                    ErrorCode::kType,
                    {"f64[3, 4]", "f32[3, 4]", "same dtype"}});
    c.Add(ErrorCase{op,
                    "axis out of range",
                    {T(DType::kF32, {3, 4}), T(DType::kF32, {3, 4})},
                    {{"axis", 2}},
                    ErrorCode::kShape,
                    {"axis 2", "rank 2"}});
    c.Add(ErrorCase{op,
                    "integer input",
                    {T(DType::kI32, {3, 4}), T(DType::kI32, {3, 4})},
                    {},
                    ErrorCode::kType,
                    {"i32", "f32, f64"}});
    c.Add(ErrorCase{op,
                    "scalar input",
                    {T(DType::kF32, {}), T(DType::kF32, {})},
                    {},
                    ErrorCode::kShape,
                    {"rank 0"}});
  }
}

}  // namespace bronze::testing
