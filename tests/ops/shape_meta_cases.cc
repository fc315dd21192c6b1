// Cases of the two ops autodiff relies on: stop_gradient (identity) and numel (element count of a
// possibly symbolic shape attribute).
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }

}  // namespace

BRONZE_OP_CASES(shape_meta) {
  c.FreezeId("stop_gradient", 531);
  c.FreezeId("numel", 532);
  c.Add(ConformanceCase{"stop_gradient", "f32", {F32({3, 4})}});
  c.Add(ConformanceCase{"stop_gradient", "i64", {Ints(DType::kI64, {5}, -9, 9)}});
  c.Add(ConformanceCase{"stop_gradient", "bool scalar", {Bools({})}});
  c.Add(ErrorCase{"stop_gradient", "no input", {}, {}, ErrorCode::kGraph, {"expects 1 inputs, got 0"}});
  c.Add(ErrorCase{"stop_gradient", "two inputs", {T(DType::kF32, {2}), T(DType::kF32, {2})}, {},
                  ErrorCode::kGraph, {"expects 1 inputs, got 2"}});
  c.Add(ErrorCase{"stop_gradient", "unknown attribute", {T(DType::kF32, {2})}, {{"axis", int64_t{0}}},
                  ErrorCode::kAttribute, {"axis"}});

  c.Add(ConformanceCase{"numel", "matrix", {}, {{"shape", Shape{3, 5}}}});
  c.Add(ConformanceCase{"numel", "scalar shape", {}, {{"shape", Shape{}}, {"dtype", DType::kF64}}});
  c.Add(ConformanceCase{"numel", "empty, i64", {}, {{"shape", Shape{4, 0}}, {"dtype", DType::kI64}}});
  c.Add(ConformanceCase{"numel", "i32", {}, {{"shape", Shape{2, 3, 7}}, {"dtype", DType::kI32}}});
  c.Add(ErrorCase{"numel", "negative dim", {}, {{"shape", Shape{2, -3}}}, ErrorCode::kAttribute,
                  {"(2, -3)", "negative dim"}});
  c.Add(ErrorCase{"numel", "bool result", {}, {{"shape", Shape{2}}, {"dtype", DType::kBool}},
                  ErrorCode::kAttribute, {"not bool"}});
  c.Add(ErrorCase{"numel", "an input", {T(DType::kF32, {2})}, {{"shape", Shape{2}}}, ErrorCode::kGraph,
                  {"expects 0 inputs, got 1"}});
  c.Add(ErrorCase{"numel", "no shape", {}, {}, ErrorCode::kAttribute, {"shape"}});
}

}  // namespace bronze::testing
