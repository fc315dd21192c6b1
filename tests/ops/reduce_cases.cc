// Test cases of the reduction ops (graph/ops/reduce.cc): any set of axes, negative axes,
// keepdims, empty inputs; error cases; frozen ids.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
Attribute Axes(std::vector<int64_t> a) { return Attribute(std::move(a)); }

}  // namespace

BRONZE_OP_CASES(reduce) {
  c.FreezeId("reduce_sum", 400);
  c.Add(ConformanceCase{"reduce_sum", "all axes", {F32({3, 4, 5})}, {}});
  c.Add(ConformanceCase{"reduce_sum", "last axis keepdims", {F32({3, 4, 5})}, {{"axes", Axes({-1})}, {"keepdims", 1}}});
  c.Add(ConformanceCase{"reduce_sum", "middle and first", {F32({3, 4, 5})}, {{"axes", Axes({0, -2})}}});
  c.Add(ConformanceCase{"reduce_sum", "empty reduced axis", {F32({3, 0})}, {{"axes", Axes({1})}}});
  c.Add(ConformanceCase{"reduce_sum", "large rows", {F32({64, 5000})}, {{"axes", Axes({1})}}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"reduce_sum", "i32", {Ints(DType::kI32, {4, 6}, -9, 9)}, {{"axes", Axes({0})}}});
  c.Add(ErrorCase{"reduce_sum", "axis out of range", {T(DType::kF32, {3, 4})}, {{"axes", Axes({2})}},
                  ErrorCode::kShape, {"2", "f32[3, 4]"}});
  c.Add(ErrorCase{"reduce_sum", "repeated axis", {T(DType::kF32, {3, 4})}, {{"axes", Axes({1, -1})}},
                  ErrorCode::kAttribute, {"twice"}});
  c.Add(ErrorCase{"reduce_sum", "bad keepdims", {T(DType::kF32, {3, 4})}, {{"keepdims", int64_t{2}}},
                  ErrorCode::kAttribute, {"keepdims", "2"}});
}

}  // namespace bronze::testing
