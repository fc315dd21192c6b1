// Test cases of the binary elementwise ops (graph/ops/elementwise.cc): conformance over every
// broadcast pattern the fast kernels specialize (same shape, scalar either side, [M, N] op [N],
// [M, N] op [M, 1], general multi-dim broadcasts, size-1 and empty dims, large tensors whose
// thread split falls mid-row), special values (NaN, inf, -0, ties), integer and bool dtypes;
// error cases; frozen ids.
#include <cmath>
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A deterministic f32 tensor of small integers in [-levels/2, levels/2] (so comparisons see
// ties), with a NaN at every `nan_every`-th element when nonzero.
Tensor Levels(Dims dims, uint32_t seed, int levels, int nan_every = 0) {
  Tensor t = Tensor::Empty(DType::kF32, std::move(dims));
  float* p = t.data<float>();
  uint32_t s = seed * 2654435761u + 12345u;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] =
        static_cast<float>(static_cast<int>((s >> 8) % static_cast<uint32_t>(levels)) - levels / 2);
    if (nan_every > 0 && i % nan_every == nan_every - 1) p[i] = kNaN;
  }
  return t;
}

Tensor F32Values(Dims dims, std::vector<float> v) {
  return Tensor::FromVector<float>(std::move(dims), v);
}

// Special values, laid out so that [n, 1] op [n] crosses every pair.
const std::vector<float> kSpecials = {kNaN, kInf, -kInf, 0.0f, -0.0f, 1.0f, -1.0f, 2.0f, -2.0f,
    0.5f, -0.5f, 3.0f, -3.0f, 1e-30f, 1e30f};

// The broadcast patterns every arithmetic op runs through (f32, normal random values).
void AddBroadcastCases(OpCases& c, const std::string& op) {
  c.Add(ConformanceCase{op, "same shape", {F32({4, 5}), F32({4, 5})}, {}});
  c.Add(ConformanceCase{op, "same shape odd length", {F32({37}), F32({37})}, {}});
  c.Add(ConformanceCase{op, "scalar b", {F32({7, 3}), F32({})}, {}});
  c.Add(ConformanceCase{op, "scalar a", {F32({}), F32({7, 3})}, {}});
  c.Add(ConformanceCase{op, "both scalar", {F32({}), F32({})}, {}});
  c.Add(ConformanceCase{op, "row vector [M, N] op [N]", {F32({6, 19}), F32({19})}, {}});
  c.Add(ConformanceCase{op, "column [M, N] op [M, 1]", {F32({6, 19}), F32({6, 1})}, {}});
  c.Add(ConformanceCase{op, "column a [M, 1] op [M, N]", {F32({6, 1}), F32({6, 19})}, {}});
  c.Add(ConformanceCase{op, "outer [M, 1] op [1, N]", {F32({9, 1}), F32({1, 11})}, {}});
  c.Add(ConformanceCase{op, "broadcast rows and size-1 dims", {F32({3, 1, 5}), F32({4, 1})}, {}});
  c.Add(ConformanceCase{
      op, "channels [N, C, H, W] op [C, 1, 1]", {F32({2, 3, 4, 5}), F32({3, 1, 1})}, {}});
  c.Add(ConformanceCase{
      op, "alternating broadcast rank 5", {F32({2, 1, 3, 1, 4}), F32({1, 5, 1, 6, 4})}, {}});
  c.Add(ConformanceCase{op, "size-1 dims only", {F32({1, 1, 1}), F32({1})}, {}});
  c.Add(ConformanceCase{op, "empty", {F32({0, 3}), F32({1, 3})}, {}});
  c.Add(ConformanceCase{op, "empty broadcast", {F32({4, 0}), F32({4, 1})}, {}});
  c.Add(ConformanceCase{op, "large same shape", {F32({100003}), F32({100003})}, {}});
  c.Add(ConformanceCase{op, "large", {F32({3, 40000}), F32({40000})}, {}});
  c.Add(ConformanceCase{op, "large short rows", {F32({40001, 3}), F32({3})}, {}});
  c.Add(ConformanceCase{op, "large column", {F32({701, 300}), F32({701, 1})}, {}});
  c.Add(ConformanceCase{op, "large general", {F32({5, 1, 300, 70}), F32({7, 1, 70})}, {}});
  c.Add(ConformanceCase{op, "large scalar", {F32({}), F32({120000})}, {}});
}

}  // namespace

BRONZE_OP_CASES(elementwise) {
  // --- Arithmetic: add, sub, mul, div, pow, maximum, minimum.
  const std::pair<const char*, uint32_t> arithmetic[] = {{"add", 100}, {"sub", 101}, {"mul", 102},
      {"div", 103}, {"pow", 104}, {"maximum", 105}, {"minimum", 106}};
  for (const auto& [op, id] : arithmetic) {
    c.FreezeId(op, id);
    if (std::string(op) != "pow") AddBroadcastCases(c, op);
    if (std::string(op) != "div" && std::string(op) != "pow") {
      c.Add(ConformanceCase{
          op, "i64", {Ints(DType::kI64, {6}, -9, 9), Ints(DType::kI64, {2, 1}, -9, 9)}, {}});
      c.Add(ConformanceCase{
          op, "i32", {Ints(DType::kI32, {3, 4}, -9, 9), Ints(DType::kI32, {4}, -9, 9)}, {}});
    }
    c.Add(ConformanceCase{op, "special values",
        {Given(F32Values({15, 1}, kSpecials)), Given(F32Values({15}, kSpecials))}, {}, 1e-5, 1e-6,
        /*check_f64=*/false});
    c.Add(ErrorCase{op, "shapes do not broadcast", {T(DType::kF32, {2, 3}), T(DType::kF32, {4})},
        {}, ErrorCode::kShape, {"(2, 3)", "(4,)"}});
    c.Add(ErrorCase{op, "dtypes differ", {T(DType::kF32, {2}), T(DType::kI64, {2})}, {},
        ErrorCode::kType, {"f32[2]", "i64[2]"}});
    c.Add(ErrorCase{op, "bool operands", {T(DType::kBool, {2}), T(DType::kBool, {2})}, {},
        ErrorCode::kType, {"bool"}});
    c.Add(ErrorCase{op, "different symbolic dims",
        {T(DType::kF32, {Dim::Symbol("N"), 3}), T(DType::kF32, {Dim::Symbol("T"), 3})}, {},
        ErrorCode::kShape, {"(N, 3)", "(T, 3)"}});
  }
  c.Add(ConformanceCase{
      "div", "i64", {Ints(DType::kI64, {6}, -9, 9), Ints(DType::kI64, {2, 1}, 1, 9)}, {}});
  c.Add(ConformanceCase{"div", "i32 negative truncates",
      {Ints(DType::kI32, {3, 4}, -20, 20), Ints(DType::kI32, {4}, -5, -1)}, {}});
  c.Add(ConformanceCase{
      "div", "zero divisors", {F32({5, 1}), Given(F32Values({3}, {0.0f, -0.0f, 2.0f}))}, {}});
  c.Add(ErrorCase{"div", "integer division by zero", {T(DType::kI32, {2}), T(DType::kI32, {2})}, {},
      ErrorCode::kInvalidArgument, {"division by zero", "5 / 0"},
      std::vector<Tensor>{
          Tensor::FromVector<int32_t>({2}, {4, 5}), Tensor::FromVector<int32_t>({2}, {1, 0})}});
  c.Add(ErrorCase{"div", "integer division overflows", {T(DType::kI64, {1}), T(DType::kI64, {})},
      {}, ErrorCode::kInvalidArgument, {"overflows", "-9223372036854775808 / -1"},
      std::vector<Tensor>{Tensor::FromVector<int64_t>({1}, {std::numeric_limits<int64_t>::min()}),
          Tensor::Scalar<int64_t>(-1)}});
  // pow: positive bases for the broadcast patterns (negative ones give NaN for most exponents),
  // integer-valued exponents for negative bases, and the C99 special cases.
  {
    const InputSpec base = Uniform(DType::kF32, {6, 19}, 0.05, 4);
    c.Add(ConformanceCase{"pow", "same shape", {base, F32({6, 19})}, {}});
    c.Add(
        ConformanceCase{"pow", "scalar exponent", {base, Given(Tensor::Scalar<float>(2.5f))}, {}});
    c.Add(ConformanceCase{
        "pow", "scalar base", {Given(Tensor::Scalar<float>(1.7f)), F32({6, 19})}, {}});
    c.Add(ConformanceCase{"pow", "row vector", {base, F32({19})}, {}});
    c.Add(ConformanceCase{"pow", "column", {base, F32({6, 1})}, {}});
    c.Add(ConformanceCase{
        "pow", "general broadcast", {Uniform(DType::kF32, {3, 1, 5}, 0.1, 3), F32({4, 1})}, {}});
    c.Add(ConformanceCase{"pow", "negative bases, integer exponents",
        {F32({4, 1}), Given(Levels({1, 9}, 7, 9))}, {}});
    c.Add(ConformanceCase{"pow", "wide exponents",
        {Uniform(DType::kF32, {200}, 0.5, 1.5), Uniform(DType::kF32, {200}, -150, 150)}, {}, 2e-5,
        1e-38, /*check_f64=*/false});
    c.Add(ConformanceCase{"pow", "empty", {Uniform(DType::kF32, {0, 4}, 0.1, 2), F32({4})}, {}});
    c.Add(ConformanceCase{
        "pow", "large", {Uniform(DType::kF32, {3, 40000}, 0.1, 3), F32({40000})}, {}});
    c.Add(ConformanceCase{
        "pow", "large short rows", {Uniform(DType::kF32, {40001, 3}, 0.1, 3), F32({3})}, {}});
    c.Add(ConformanceCase{
        "pow", "i32", {Ints(DType::kI32, {5, 1}, -4, 5), Ints(DType::kI32, {7}, 0, 7)}, {}});
    c.Add(ConformanceCase{"pow", "i64 wraps around",
        {Ints(DType::kI64, {6, 1}, -9, 10), Ints(DType::kI64, {5}, 0, 70)}, {}});
    c.Add(ErrorCase{"pow", "negative integer exponent", {T(DType::kI32, {3}), T(DType::kI32, {3})},
        {}, ErrorCode::kInvalidArgument, {"negative exponent", "2 ** -1"},
        std::vector<Tensor>{Tensor::FromVector<int32_t>({3}, {1, 2, 3}),
            Tensor::FromVector<int32_t>({3}, {2, -1, 0})}});
  }
  // maximum / minimum: ties and NaN in either operand.
  for (const char* op : {"maximum", "minimum"}) {
    c.Add(ConformanceCase{
        op, "ties and NaN", {Given(Levels({64, 9}, 1, 5, 7)), Given(Levels({9}, 2, 5, 4))}, {}});
    c.Add(ConformanceCase{op, "large with NaN",
        {Given(Levels({400, 300}, 3, 7, 11)), Given(Levels({300}, 4, 7, 13))}, {}});
  }

  // --- Comparisons: equal, less, greater (numeric or bool operands, bool output).
  const std::pair<const char*, uint32_t> comparisons[] = {
      {"equal", 110}, {"less", 111}, {"greater", 112}};
  for (const auto& [op, id] : comparisons) {
    c.FreezeId(op, id);
    c.Add(ConformanceCase{op, "same shape with ties",
        {Given(Levels({5, 7}, 1, 5)), Given(Levels({5, 7}, 2, 5))}, {}});
    c.Add(ConformanceCase{op, "random floats", {F32({4, 5}), F32({4, 5})}, {}});
    c.Add(ConformanceCase{
        op, "scalar b", {Given(Levels({37}, 3, 5)), Given(Tensor::Scalar<float>(0.0f))}, {}});
    c.Add(ConformanceCase{
        op, "scalar a", {Given(Tensor::Scalar<float>(1.0f)), Given(Levels({37}, 3, 5))}, {}});
    c.Add(ConformanceCase{
        op, "row vector", {Given(Levels({6, 19}, 4, 3)), Given(Levels({19}, 5, 3))}, {}});
    c.Add(ConformanceCase{
        op, "column", {Given(Levels({6, 19}, 6, 3)), Given(Levels({6, 1}, 7, 3))}, {}});
    c.Add(ConformanceCase{op, "general broadcast",
        {Given(Levels({3, 1, 5}, 8, 3)), Given(Levels({4, 1}, 9, 3))}, {}});
    c.Add(ConformanceCase{op, "special values",
        {Given(F32Values({15, 1}, kSpecials)), Given(F32Values({15}, kSpecials))}, {}});
    c.Add(ConformanceCase{op, "empty", {F32({0, 3}), F32({3})}, {}});
    c.Add(ConformanceCase{op, "large with NaN",
        {Given(Levels({400, 301}, 10, 5, 17)), Given(Levels({400, 301}, 11, 5, 19))}, {}});
    c.Add(ConformanceCase{
        op, "large short rows", {Given(Levels({40001, 3}, 12, 3)), Given(Levels({3}, 13, 3))}, {}});
    c.Add(ConformanceCase{
        op, "i32", {Ints(DType::kI32, {3, 4}, -2, 3), Ints(DType::kI32, {4}, -2, 3)}, {}});
    c.Add(ConformanceCase{
        op, "i64", {Ints(DType::kI64, {6}, -2, 3), Ints(DType::kI64, {2, 1}, -2, 3)}, {}});
    c.Add(ConformanceCase{op, "bool", {Bools({4, 6}), Bools({4, 6})}, {}});
    c.Add(ConformanceCase{op, "bool broadcast", {Bools({3, 1, 5}), Bools({4, 1})}, {}});
    c.Add(ConformanceCase{op, "bool large", {Bools({300, 500}), Bools({500})}, {}});
    c.Add(ErrorCase{op, "shapes do not broadcast", {T(DType::kF32, {2, 3}), T(DType::kF32, {2})},
        {}, ErrorCode::kShape, {"(2, 3)", "(2,)"}});
    c.Add(ErrorCase{op, "dtypes differ", {T(DType::kF32, {2}), T(DType::kBool, {2})}, {},
        ErrorCode::kType, {"f32[2]", "bool[2]"}});
    c.Add(ErrorCase{
        op, "one input", {T(DType::kF32, {2})}, {}, ErrorCode::kGraph, {"got 1", "f32[2]"}});
    c.Add(ErrorCase{op, "unknown attribute", {T(DType::kF32, {2}), T(DType::kF32, {2})},
        {{"axis", int64_t{0}}}, ErrorCode::kAttribute, {"axis"}});
  }

  // --- Logical ops on bool.
  const std::pair<const char*, uint32_t> logical[] = {{"logical_and", 120}, {"logical_or", 121}};
  for (const auto& [op, id] : logical) {
    c.FreezeId(op, id);
    c.Add(ConformanceCase{op, "same shape", {Bools({4, 6}), Bools({4, 6})}, {}});
    c.Add(ConformanceCase{op, "odd length", {Bools({77}), Bools({77})}, {}});
    c.Add(
        ConformanceCase{op, "scalar true", {Bools({5, 7}), Given(Tensor::Scalar<bool>(true))}, {}});
    c.Add(ConformanceCase{
        op, "scalar false", {Given(Tensor::Scalar<bool>(false)), Bools({5, 7})}, {}});
    c.Add(ConformanceCase{op, "row vector", {Bools({6, 19}), Bools({19})}, {}});
    c.Add(ConformanceCase{op, "column", {Bools({6, 19}), Bools({6, 1})}, {}});
    c.Add(ConformanceCase{op, "general broadcast", {Bools({3, 1, 5}), Bools({4, 1})}, {}});
    c.Add(ConformanceCase{op, "empty", {Bools({0, 3}), Bools({3})}, {}});
    c.Add(ConformanceCase{op, "large", {Bools({300, 500}), Bools({300, 500})}, {}});
    c.Add(ConformanceCase{op, "large short rows", {Bools({50001, 3}), Bools({3})}, {}});
    c.Add(ErrorCase{op, "float operands", {T(DType::kF32, {2}), T(DType::kF32, {2})}, {},
        ErrorCode::kType, {"f32", "expected one of bool"}});
    c.Add(ErrorCase{op, "dtypes differ", {T(DType::kBool, {2}), T(DType::kI64, {2})}, {},
        ErrorCode::kType, {"bool[2]", "i64[2]"}});
    c.Add(ErrorCase{op, "shapes do not broadcast", {T(DType::kBool, {3, 2}), T(DType::kBool, {3})},
        {}, ErrorCode::kShape, {"(3, 2)", "(3,)"}});
  }

  // --- where(cond, a, b): all three broadcast together; dispatch on a.
  c.FreezeId("where", 130);
  c.Add(ConformanceCase{"where", "same shape", {Bools({4, 5}), F32({4, 5}), F32({4, 5})}, {}});
  c.Add(ConformanceCase{"where", "scalar a and b", {Bools({3, 7}), F32({}), F32({})}, {}});
  c.Add(ConformanceCase{
      "where", "scalar cond", {Given(Tensor::Scalar<bool>(true)), F32({3, 7}), F32({7})}, {}});
  c.Add(ConformanceCase{"where", "row vectors", {Bools({6, 19}), F32({19}), F32({6, 19})}, {}});
  c.Add(ConformanceCase{"where", "column cond", {Bools({6, 1}), F32({6, 19}), F32({19})}, {}});
  c.Add(ConformanceCase{
      "where", "all three broadcast", {Bools({4, 1, 5}), F32({3, 1}), F32({5})}, {}});
  c.Add(ConformanceCase{"where", "every step pattern",
      {Bools({2, 1, 1, 4}), F32({1, 3, 1, 4}), F32({1, 1, 5, 1})}, {}});
  c.Add(ConformanceCase{"where", "NaN in the other operand",
      {Given(Tensor::FromVector<bool>({4}, {true, false, true, false})),
          Given(F32Values({4}, {1.0f, kNaN, -kInf, 2.0f})),
          Given(F32Values({4}, {kNaN, 3.0f, 4.0f, -0.0f}))},
      {}});
  c.Add(ConformanceCase{"where", "empty", {Bools({0, 3}), F32({3}), F32({1})}, {}});
  c.Add(ConformanceCase{"where", "large", {Bools({300, 400}), F32({400}), F32({300, 1})}, {}});
  c.Add(ConformanceCase{
      "where", "large short rows", {Bools({40001, 3}), F32({40001, 3}), F32({3})}, {}});
  c.Add(ConformanceCase{"where", "bool operands", {Bools({4, 5}), Bools({5}), Bools({4, 1})}, {}});
  c.Add(ConformanceCase{
      "where", "bool large", {Bools({300, 400}), Bools({300, 400}), Bools({400})}, {}});
  c.Add(ConformanceCase{"where", "i64",
      {Bools({3, 4}), Ints(DType::kI64, {4}, -9, 9), Ints(DType::kI64, {3, 1}, -9, 9)}, {}});
  c.Add(ConformanceCase{"where", "i32",
      {Bools({7}), Ints(DType::kI32, {7}, -9, 9), Ints(DType::kI32, {}, -9, 9)}, {}});
  c.Add(ErrorCase{"where", "cond not bool",
      {T(DType::kF32, {3}), T(DType::kF32, {3}), T(DType::kF32, {3})}, {}, ErrorCode::kType,
      {"cond f32[3]", "bool"}});
  c.Add(ErrorCase{"where", "a and b dtypes differ",
      {T(DType::kBool, {3}), T(DType::kF32, {3}), T(DType::kI64, {3})}, {}, ErrorCode::kType,
      {"f32[3]", "i64[3]"}});
  c.Add(ErrorCase{"where", "shapes do not broadcast",
      {T(DType::kBool, {2, 3}), T(DType::kF32, {3}), T(DType::kF32, {4, 1})}, {}, ErrorCode::kShape,
      {"cond (2, 3)", "a (3,)", "b (4, 1)"}});
  c.Add(ErrorCase{"where", "cond does not broadcast",
      {T(DType::kBool, {5}), T(DType::kF32, {2, 3}), T(DType::kF32, {3})}, {}, ErrorCode::kShape,
      {"cond (5,)", "a (2, 3)", "b (3,)"}});
  c.Add(ErrorCase{"where", "two inputs", {T(DType::kBool, {3}), T(DType::kF32, {3})}, {},
      ErrorCode::kGraph, {"got 2", "bool[3]"}});
}

}  // namespace bronze::testing
