// Test cases of the shape family's backward ops (graph/ops/shape_ops_grad.cc): slice_backward,
// pad_backward, gather_backward and embedding_backward. Conformance cases over steps, modes,
// repeated and negative indices, empty and large (multi-threaded) inputs; at least three error
// cases each (run-time ones for out-of-range indices); frozen ids.
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
Attribute Ints64(std::vector<int64_t> a) { return Attribute(std::move(a)); }
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
Tensor I64s(Dims dims, std::vector<int64_t> v) { return Tensor::FromVector<int64_t>(std::move(dims), v); }

AttrMap SliceB(Shape shape, std::vector<int64_t> starts, std::vector<int64_t> stops,
               std::vector<int64_t> axes, std::vector<int64_t> steps) {
  return AttrMap{{"shape", std::move(shape)},          {"starts", Ints64(std::move(starts))},
                 {"stops", Ints64(std::move(stops))}, {"axes", Ints64(std::move(axes))},
                 {"steps", Ints64(std::move(steps))}};
}

AttrMap PadB(std::vector<int64_t> pads, const char* mode) {
  return AttrMap{{"pads", Ints64(std::move(pads))}, {"mode", mode}};
}

void SliceAndPadCases(OpCases& c) {
  c.FreezeId("slice_backward", 515);
  c.FreezeId("pad_backward", 516);

  c.Add(ConformanceCase{"slice_backward", "basic", {F32({3, 3})}, SliceB({6, 5}, {1, 0}, {4, 3}, {}, {})});
  c.Add(ConformanceCase{"slice_backward", "negative steps", {F32({6, 2})},
                        SliceB({6, 5}, {-1, 4}, {kMin, 0}, {0, 1}, {-1, -2})});
  c.Add(ConformanceCase{"slice_backward", "clamped, step 3", {F32({4, 3, 3})},
                        SliceB({4, 10, 3}, {-100, 1}, {100, 10}, {0, 1}, {1, 3})});
  c.Add(ConformanceCase{"slice_backward", "empty dy", {F32({0, 5})}, SliceB({6, 5}, {4}, {2}, {0}, {})});
  c.Add(ConformanceCase{"slice_backward", "empty input", {F32({0, 3})}, SliceB({0, 5}, {1}, {4}, {1}, {})});
  c.Add(ConformanceCase{"slice_backward", "large", {F32({580, 195})},
                        SliceB({600, 400}, {10, 5}, {590, -5}, {}, {1, 2})});
  c.Add(ConformanceCase{"slice_backward", "large reversed rows", {F32({400, 300})},
                        SliceB({400, 300}, {-1}, {kMin}, {1}, {-1})});
  c.Add(ErrorCase{"slice_backward", "dy does not match", {T(DType::kF32, {2, 5})}, SliceB({6, 5}, {1}, {4}, {}, {}),
                  ErrorCode::kShape, {"f32[2, 5]", "(3, 5)", "(6, 5)"}});
  c.Add(ErrorCase{"slice_backward", "integer dy", {T(DType::kI32, {3, 5})}, SliceB({6, 5}, {1}, {4}, {}, {}),
                  ErrorCode::kType, {"dy i32[3, 5]"}});
  c.Add(ErrorCase{"slice_backward", "zero step", {T(DType::kF32, {3})}, SliceB({6}, {0}, {6}, {}, {0}),
                  ErrorCode::kAttribute, {"steps [0]"}});
  c.Add(ErrorCase{"slice_backward", "bad shape", {T(DType::kF32, {3})}, SliceB({-1}, {0}, {3}, {}, {}),
                  ErrorCode::kAttribute, {"shape (-1,)"}});

  c.Add(ConformanceCase{"pad_backward", "reflect 1d", {F32({2, 12})}, PadB({3, 4}, "reflect")});
  c.Add(ConformanceCase{"pad_backward", "reflect 2d", {F32({2, 9, 8})}, PadB({2, 1, 3, 2}, "reflect")});
  c.Add(ConformanceCase{"pad_backward", "reflect every dim", {F32({6, 6, 7})}, PadB({1, 1, 2, 1, 1, 2}, "reflect")});
  c.Add(ConformanceCase{"pad_backward", "constant", {F32({3, 7})}, PadB({1, 2}, "constant")});
  c.Add(ConformanceCase{"pad_backward", "constant negative pads", {F32({6, 4})}, PadB({-2, 1, 1, -3}, "constant")});
  c.Add(ConformanceCase{"pad_backward", "no pads", {F32({2, 3})}, PadB({}, "reflect")});
  c.Add(ConformanceCase{"pad_backward", "scalar", {F32({})}, PadB({}, "reflect")});
  c.Add(ConformanceCase{"pad_backward", "empty", {F32({0, 5})}, PadB({1, 1}, "reflect")});
  c.Add(ConformanceCase{"pad_backward", "large reflect", {F32({8, 3, 106, 106})}, PadB({3, 3, 3, 3}, "reflect")});
  c.Add(ConformanceCase{"pad_backward", "large constant", {F32({8, 3, 104, 104})}, PadB({2, 2, 1, 3}, "constant")});
  c.Add(ErrorCase{"pad_backward", "reflect pad too large", {T(DType::kF32, {2, 5})}, PadB({2, 1}, "reflect"),
                  ErrorCode::kShape, {"(2, 1) of axis 1", "less than its size 2"}});
  c.Add(ErrorCase{"pad_backward", "pads exceed dy", {T(DType::kF32, {2, 3})}, PadB({2, 2}, "constant"),
                  ErrorCode::kShape, {"(2, 2) of axis 1", "(2, 3)"}});
  c.Add(ErrorCase{"pad_backward", "unknown mode", {T(DType::kF32, {2, 3})}, PadB({1, 1}, "wrap"),
                  ErrorCode::kAttribute, {"mode 'wrap'"}});
  c.Add(ErrorCase{"pad_backward", "integer dy", {T(DType::kI64, {2, 3})}, PadB({1, 1}, "constant"),
                  ErrorCode::kType, {"dy i64[2, 3]"}});
  c.Add(ErrorCase{"pad_backward", "too many pads", {T(DType::kF32, {4})}, PadB({1, 1, 1, 1}, "constant"),
                  ErrorCode::kShape, {"cover 2 dims", "(4,) has rank 1"}});
}

void IndexCases(OpCases& c) {
  c.FreezeId("gather_backward", 522);
  c.FreezeId("embedding_backward", 523);

  auto gb = [](Shape shape, int64_t axis) { return AttrMap{{"shape", std::move(shape)}, {"axis", axis}}; };
  c.Add(ConformanceCase{"gather_backward", "axis 0 rows", {F32({4, 3}), Ints(DType::kI64, {4}, 0, 5)}, gb({5, 3}, 0)});
  c.Add(ConformanceCase{"gather_backward", "repeated indices", {F32({6, 3}), Given(I64s({6}, {1, 3, 1, 1, 0, 3}))},
                        gb({4, 3}, 0)});
  c.Add(ConformanceCase{"gather_backward", "axis 1 i32", {F32({2, 2, 2, 3}), Ints(DType::kI32, {2, 2}, 0, 6)},
                        gb({2, 6, 3}, 1)});
  c.Add(ConformanceCase{"gather_backward", "negative indices and axis", {F32({3, 9}), Ints(DType::kI64, {9}, -7, 7)},
                        gb({3, 7}, -1)});
  c.Add(ConformanceCase{"gather_backward", "scalar index", {F32({3}), Given(Tensor::Scalar<int64_t>(-2))}, gb({4, 3}, 0)});
  c.Add(ConformanceCase{"gather_backward", "empty indices", {F32({0, 3}), Ints(DType::kI64, {0}, 0, 4)}, gb({4, 3}, 0)});
  c.Add(ConformanceCase{"gather_backward", "large rows", {F32({1500, 128}), Ints(DType::kI64, {1500}, -1000, 1000)},
                        gb({1000, 128}, 0)});
  c.Add(ConformanceCase{"gather_backward", "large columns", {F32({400, 300}), Ints(DType::kI32, {300}, 0, 500)},
                        gb({400, 500}, 1)});
  c.Add(ErrorCase{"gather_backward", "dy does not match", {T(DType::kF32, {3, 3}), T(DType::kI64, {4})}, gb({5, 3}, 0),
                  ErrorCode::kShape, {"f32[3, 3]", "(4, 3)", "(5, 3)"}});
  c.Add(ErrorCase{"gather_backward", "float indices", {T(DType::kF32, {4, 3}), T(DType::kF32, {4})}, gb({5, 3}, 0),
                  ErrorCode::kType, {"indices f32[4]", "i32, i64"}});
  c.Add(ErrorCase{"gather_backward", "axis out of range", {T(DType::kF32, {4, 3}), T(DType::kI64, {4})}, gb({5, 3}, 2),
                  ErrorCode::kShape, {"axis 2", "rank 2"}});
  c.Add(ErrorCase{"gather_backward", "index out of range", {T(DType::kF32, {4, 3}), T(DType::kI64, {4})}, gb({5, 3}, 0),
                  ErrorCode::kInvalidArgument, {"index 7 at position 2", "axis 0 of size 5", "-5 to 4"},
                  std::vector<Tensor>{Tensor::Zeros(DType::kF32, {4, 3}), I64s({4}, {0, -5, 7, 1})}});

  auto eb = [](int64_t rows, int64_t padding_idx) {
    return AttrMap{{"num_embeddings", rows}, {"padding_idx", padding_idx}};
  };
  c.Add(ConformanceCase{"embedding_backward", "i64 indices", {F32({6, 4}), Ints(DType::kI64, {6}, 0, 10)}, eb(10, -1)});
  c.Add(ConformanceCase{"embedding_backward", "2-D i32 indices", {F32({2, 5, 3}), Ints(DType::kI32, {2, 5}, 0, 7)},
                        eb(7, -1)});
  c.Add(ConformanceCase{"embedding_backward", "padding_idx", {F32({8, 2}), Ints(DType::kI64, {8}, 0, 5)}, eb(5, 0)});
  c.Add(ConformanceCase{"embedding_backward", "scalar index", {F32({8}), Given(Tensor::Scalar<int32_t>(4))}, eb(5, -1)});
  c.Add(ConformanceCase{"embedding_backward", "empty indices", {F32({2, 0, 8}), Ints(DType::kI64, {2, 0}, 0, 5)},
                        eb(5, -1)});
  c.Add(ConformanceCase{"embedding_backward", "no embeddings", {F32({0, 3}), Ints(DType::kI64, {0}, 0, 1)}, eb(0, -1)});
  c.Add(ConformanceCase{"embedding_backward", "large", {F32({32, 64, 64}), Ints(DType::kI64, {32, 64}, 0, 2000)},
                        eb(2000, 3)});
  c.Add(ConformanceCase{"embedding_backward", "large, few rows", {F32({4096, 32}), Ints(DType::kI32, {4096}, 0, 7)},
                        eb(7, -1), 1e-4, 1e-5});
  c.Add(ErrorCase{"embedding_backward", "dy does not match", {T(DType::kF32, {5, 4}), T(DType::kI64, {6})}, eb(10, -1),
                  ErrorCode::kShape, {"f32[5, 4]", "(6, 4)"}});
  c.Add(ErrorCase{"embedding_backward", "integer dy", {T(DType::kI32, {6, 4}), T(DType::kI64, {6})}, eb(10, -1),
                  ErrorCode::kType, {"dy i32[6, 4]"}});
  c.Add(ErrorCase{"embedding_backward", "padding_idx out of range", {T(DType::kF32, {6, 4}), T(DType::kI64, {6})},
                  eb(10, 10), ErrorCode::kAttribute, {"padding_idx 10", "10 embeddings"}});
  c.Add(ErrorCase{"embedding_backward", "negative num_embeddings", {T(DType::kF32, {6, 4}), T(DType::kI64, {6})},
                  eb(-3, -1), ErrorCode::kAttribute, {"num_embeddings -3"}});
  c.Add(ErrorCase{"embedding_backward", "index out of range", {T(DType::kF32, {4, 2}), T(DType::kI64, {4})}, eb(4, -1),
                  ErrorCode::kInvalidArgument, {"index 4 at position 2", "4 embeddings", "0 to 3"},
                  std::vector<Tensor>{Tensor::Zeros(DType::kF32, {4, 2}), I64s({4}, {0, 3, 4, -1})}});
}

}  // namespace

BRONZE_OP_CASES(shape_grad_ops) {
  SliceAndPadCases(c);
  IndexCases(c);
}

}  // namespace bronze::testing
