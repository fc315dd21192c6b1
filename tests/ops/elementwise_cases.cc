// Test cases of the binary elementwise ops (graph/ops/elementwise.cc): conformance with NumPy
// broadcasting, size-1 and empty dims, integer dtypes; error cases; frozen ids.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

}  // namespace

BRONZE_OP_CASES(elementwise) {
  const std::pair<const char*, uint32_t> ops[] = {{"add", 100}, {"sub", 101}, {"mul", 102}, {"div", 103}};
  for (const auto& [op, id] : ops) {
    c.FreezeId(op, id);
    c.Add(ConformanceCase{op, "same shape", {F32({4, 5}), F32({4, 5})}, {}});
    c.Add(ConformanceCase{op, "broadcast rows and size-1 dims", {F32({3, 1, 5}), F32({4, 1})}, {}});
    c.Add(ConformanceCase{op, "scalar operand", {F32({7}), F32({})}, {}});
    c.Add(ConformanceCase{op, "empty", {F32({0, 3}), F32({1, 3})}, {}});
    c.Add(ConformanceCase{op, "large", {F32({3, 40000}), F32({40000})}, {}});
    c.Add(ConformanceCase{op, "i64", {Ints(DType::kI64, {6}, 1, 9), Ints(DType::kI64, {2, 1}, 1, 9)}, {}});
    c.Add(ErrorCase{op, "shapes do not broadcast", {T(DType::kF32, {2, 3}), T(DType::kF32, {4})}, {},
                    ErrorCode::kShape, {"(2, 3)", "(4,)"}});
    c.Add(ErrorCase{op, "dtypes differ", {T(DType::kF32, {2}), T(DType::kI64, {2})}, {},
                    ErrorCode::kType, {"f32[2]", "i64[2]"}});
    c.Add(ErrorCase{op, "bool operands", {T(DType::kBool, {2}), T(DType::kBool, {2})}, {},
                    ErrorCode::kType, {"bool"}});
  }
  c.Add(ErrorCase{"div", "integer division by zero", {T(DType::kI32, {2}), T(DType::kI32, {2})}, {},
                  ErrorCode::kInvalidArgument, {"division by zero"},
                  std::vector<Tensor>{Tensor::FromVector<int32_t>({2}, {4, 5}),
                                      Tensor::FromVector<int32_t>({2}, {1, 0})}});
}

}  // namespace bronze::testing
