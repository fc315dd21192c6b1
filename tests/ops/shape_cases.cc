// Test cases of the shape ops (graph/ops/shape_ops.cc): reshape with -1, transpose with and
// without a permutation, any dtype; error cases; frozen ids.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
Attribute Ints64(std::vector<int64_t> a) { return Attribute(std::move(a)); }

}  // namespace

BRONZE_OP_CASES(shape) {
  c.FreezeId("reshape", 500);
  c.FreezeId("transpose", 501);
  c.Add(ConformanceCase{"reshape", "with -1", {F32({2, 3, 4})}, {{"shape", Shape{-1, 4}}}});
  c.Add(ConformanceCase{"reshape", "to scalar", {F32({1, 1})}, {{"shape", Shape{}}}});
  c.Add(ConformanceCase{"reshape", "empty", {F32({0, 3})}, {{"shape", Shape{3, 0}}}});
  c.Add(ConformanceCase{"reshape", "bool", {Bools({6})}, {{"shape", Shape{2, 3}}}});
  c.Add(ConformanceCase{"transpose", "reversed", {F32({2, 3, 4})}, {}});
  c.Add(ConformanceCase{"transpose", "perm", {F32({2, 3, 4})}, {{"perm", Ints64({1, -1, 0})}}});
  c.Add(ConformanceCase{"transpose", "large", {F32({300, 257})}, {{"perm", Ints64({1, 0})}}});
  c.Add(ConformanceCase{"transpose", "i64", {Ints(DType::kI64, {3, 5}, 0, 100)}, {{"perm", Ints64({1, 0})}}});
  c.Add(ErrorCase{"reshape", "element count differs", {T(DType::kF32, {2, 3})}, {{"shape", Shape{4, 2}}},
                  ErrorCode::kShape, {"(2, 3)", "(4, 2)"}});
  c.Add(ErrorCase{"reshape", "two wildcards", {T(DType::kF32, {2, 3})}, {{"shape", Shape{-1, -1}}},
                  ErrorCode::kAttribute, {"more than one -1"}});
  c.Add(ErrorCase{"reshape", "negative dim", {T(DType::kF32, {2, 3})}, {{"shape", Shape{-2, 3}}},
                  ErrorCode::kAttribute, {"negative dim"}});
  c.Add(ErrorCase{"transpose", "perm too short", {T(DType::kF32, {2, 3, 4})}, {{"perm", Ints64({1, 0})}},
                  ErrorCode::kShape, {"rank", "f32[2, 3, 4]"}});
  c.Add(ErrorCase{"transpose", "repeated axis", {T(DType::kF32, {2, 3})}, {{"perm", Ints64({1, 1})}},
                  ErrorCode::kAttribute, {"repeats axis 1"}});
  c.Add(ErrorCase{"transpose", "axis out of range", {T(DType::kF32, {2, 3})}, {{"perm", Ints64({0, 2})}},
                  ErrorCode::kShape, {"2", "f32[2, 3]"}});
}

}  // namespace bronze::testing
