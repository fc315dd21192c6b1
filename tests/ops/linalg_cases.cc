// Test cases of the linear-algebra ops (graph/ops/linalg.cc): matmul with batch broadcasting and
// 1-D operands; error cases; frozen ids.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

}  // namespace

BRONZE_OP_CASES(linalg) {
  c.FreezeId("matmul", 300);
  c.Add(ConformanceCase{"matmul", "2d", {F32({5, 7}), F32({7, 3})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "batched broadcast", {F32({2, 1, 4, 6}), F32({3, 6, 5})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "vector times matrix", {F32({6}), F32({6, 4})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "matrix times vector", {F32({3, 6}), F32({6})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "empty k", {F32({3, 0}), F32({0, 4})}, {}});
  c.Add(ConformanceCase{"matmul", "i64", {Ints(DType::kI64, {3, 4}, -3, 4), Ints(DType::kI64, {4, 2}, -3, 4)}, {}});
  c.Add(ErrorCase{"matmul", "contraction mismatch", {T(DType::kF32, {2, 3}), T(DType::kF32, {4, 5})}, {},
                  ErrorCode::kShape, {"(2, 3)", "(4, 5)"}});
  c.Add(ErrorCase{"matmul", "scalar operand", {T(DType::kF32, {}), T(DType::kF32, {4, 5})}, {},
                  ErrorCode::kShape, {"()", "rank"}});
  c.Add(ErrorCase{"matmul", "batch dims do not broadcast", {T(DType::kF32, {2, 3, 4}), T(DType::kF32, {5, 4, 2})}, {},
                  ErrorCode::kShape, {"(2,)", "(5,)"}});
  c.Add(ErrorCase{"matmul", "dtypes differ", {T(DType::kF32, {2, 3}), T(DType::kF64, {3, 2})}, {},
                  ErrorCode::kType, {"f32[2, 3]", "f64[3, 2]"}});
}

}  // namespace bronze::testing
