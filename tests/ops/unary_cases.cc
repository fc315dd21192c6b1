// Test cases of the unary elementwise ops (graph/ops/unary.cc): conformance over plain, empty,
// large (multi-threaded) and special-value inputs; error cases; frozen ids.
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

}  // namespace

BRONZE_OP_CASES(unary) {
  c.FreezeId("relu", 200);
  c.FreezeId("exp", 201);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (const char* op : {"relu", "exp"}) {
    c.Add(ConformanceCase{op, "plain", {F32({3, 4})}, {}});
    c.Add(ConformanceCase{op, "empty", {F32({0, 4})}, {}});
    c.Add(ConformanceCase{op, "large odd size", {F32({100003})}, {}});
    c.Add(ConformanceCase{op, "special values",
                          {Given(Tensor::FromVector<float>({5}, {nan, inf, -inf, 0.0f, -0.0f}))}, {}});
    c.Add(ErrorCase{op, "bool input", {T(DType::kBool, {3})}, {}, ErrorCode::kType, {"bool"}});
    c.Add(ErrorCase{op, "two inputs", {T(DType::kF32, {3}), T(DType::kF32, {3})}, {}, ErrorCode::kGraph,
                    {"got 2", "f32[3]"}});
  }
  c.Add(ConformanceCase{"relu", "i32", {Ints(DType::kI32, {9}, -5, 5)}, {}});
  c.Add(ErrorCase{"relu", "unknown attribute", {T(DType::kF32, {3})}, {{"alpha", 0.1}},
                  ErrorCode::kAttribute, {"alpha"}});
  c.Add(ErrorCase{"exp", "integer input", {T(DType::kI64, {3})}, {}, ErrorCode::kType, {"i64"}});
}

}  // namespace bronze::testing
