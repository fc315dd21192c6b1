// Test cases of the random ops (graph/ops/random.cc): dropout with and without the offset input,
// odd sizes around its 1024-element blocks, empty, scalar, large (multi-threaded), special values,
// identity at inference and p = 0; the fast kernel must equal the reference bitwise (tolerance
// 0). Error cases for p, training, and the offset input; the frozen id.
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
InputSpec Offset(int64_t v) { return Given(Tensor::Scalar<int64_t>(v)); }

}  // namespace

BRONZE_OP_CASES(random) {
  c.FreezeId("dropout", 900);
  auto add = [&](std::string name, std::vector<InputSpec> in, AttrMap attrs) {
    c.Add(ConformanceCase{"dropout", std::move(name), std::move(in), std::move(attrs), 0.0, 0.0});
  };
  add("default p 0.5", {F32({3, 1000})}, {});
  add("p 0.3 seed 7 offset", {F32({5000}), Offset(12345)}, {{"p", 0.3}, {"seed", 7}});
  add("negative seed and offset", {F32({2, 2049}), Offset(-1)},
      {{"p", 0.9}, {"seed", int64_t{-42}}});
  add("huge seed and offset", {F32({3000}), Offset(int64_t{0x7123456789abcdef})},
      {{"p", 0.25}, {"seed", int64_t{0x0fedcba987654321}}});
  add("tiny p", {F32({4096})}, {{"p", 1e-9}});
  add("p near 1", {F32({4096})}, {{"p", 0.999}});
  add("inference is identity", {F32({4, 7})}, {{"training", 0}});
  add("p 0 is identity", {F32({4, 7}), Offset(3)}, {{"p", 0.0}});
  add("partial block", {F32({5})}, {{"p", 0.5}, {"seed", 1}});
  add("block boundary", {F32({1023 + 1025})}, {{"p", 0.5}, {"seed", 2}});
  add("scalar", {F32({})}, {{"p", 0.5}, {"seed", 3}});
  add("empty", {F32({0, 3}), Offset(5)}, {});
  add("large odd", {F32({1000003}), Offset(99)}, {{"p", 0.1}, {"seed", 11}});
  add("large inference", {F32({300000})}, {{"training", 0}});
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  std::vector<float> special;
  for (int k = 0; k < 64; ++k) {
    for (float v : {nan, inf, -inf, 0.0f, -0.0f, 1e-45f, 1e38f, -2.5f}) special.push_back(v);
  }
  add("special values", {Given(Tensor::FromVector<float>({512}, special))},
      {{"p", 0.5}, {"seed", 5}});

  c.Add(ErrorCase{"dropout",
                  "p is 1",
                  {T(DType::kF32, {3})},
                  {{"p", 1.0}},
                  ErrorCode::kAttribute,
                  {"p must be in [0, 1)", "got 1"}});
  c.Add(ErrorCase{"dropout",
                  "negative p",
                  {T(DType::kF32, {3})},
                  {{"p", -0.25}},
                  ErrorCode::kAttribute,
                  {"p must be in [0, 1)", "-0.25"}});
  c.Add(ErrorCase{"dropout",
                  "bad training flag",
                  {T(DType::kF32, {3})},
                  {{"training", 2}},
                  ErrorCode::kAttribute,
                  {"training", "2"}});
  c.Add(ErrorCase{"dropout",
                  "float offset",
                  {T(DType::kF32, {3}), T(DType::kF32, {})},
                  {},
                  ErrorCode::kType,
                  {"offset", "f32", "i64"}});
  c.Add(ErrorCase{"dropout",
                  "offset not a scalar",
                  {T(DType::kF32, {3}), T(DType::kI64, {1})},
                  {},
                  ErrorCode::kShape,
                  {"offset", "(1,)"}});
  c.Add(
      ErrorCase{"dropout", "integer input", {T(DType::kI32, {3})}, {}, ErrorCode::kType, {"i32"}});
  c.Add(ErrorCase{"dropout",
                  "three inputs",
                  {T(DType::kF32, {3}), T(DType::kI64, {}), T(DType::kI64, {})},
                  {},
                  ErrorCode::kGraph,
                  {"1 to 2", "got 3"}});
}

}  // namespace bronze::testing
