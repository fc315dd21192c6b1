// Test cases of the shape and indexing ops (graph/ops/shape_ops*.cc): conformance cases over
// dtypes, negative axes, size-1 and empty dims and large (multi-threaded) inputs; at least three
// error cases per op (run-time ones for out-of-range indices); frozen ids.
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
Attribute Ints64(std::vector<int64_t> a) { return Attribute(std::move(a)); }
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
const Dim kN = Dim::Symbol("N");

void ViewCases(OpCases& c) {
  c.FreezeId("reshape", 500);
  c.FreezeId("transpose", 501);
  c.FreezeId("flatten", 502);
  c.FreezeId("squeeze", 503);
  c.FreezeId("unsqueeze", 504);
  c.FreezeId("expand", 505);

  c.Add(ConformanceCase{"reshape", "with -1", {F32({2, 3, 4})}, {{"shape", Shape{-1, 4}}}});
  c.Add(ConformanceCase{"reshape", "to scalar", {F32({1, 1})}, {{"shape", Shape{}}}});
  c.Add(ConformanceCase{"reshape", "empty", {F32({0, 3})}, {{"shape", Shape{3, 0}}}});
  c.Add(ConformanceCase{"reshape", "bool", {Bools({6})}, {{"shape", Shape{2, 3}}}});
  c.Add(ConformanceCase{"reshape", "large", {F32({300, 400})}, {{"shape", Shape{-1}}}});
  c.Add(ConformanceCase{"reshape", "u8", {Ints(DType::kU8, {4, 6}, 0, 256)}, {{"shape", Shape{3, -1}}}});
  c.Add(ErrorCase{"reshape", "element count differs", {T(DType::kF32, {2, 3})}, {{"shape", Shape{4, 2}}},
                  ErrorCode::kShape, {"(2, 3)", "(4, 2)"}});
  c.Add(ErrorCase{"reshape", "two wildcards", {T(DType::kF32, {2, 3})}, {{"shape", Shape{-1, -1}}},
                  ErrorCode::kAttribute, {"more than one -1"}});
  c.Add(ErrorCase{"reshape", "negative dim", {T(DType::kF32, {2, 3})}, {{"shape", Shape{-2, 3}}},
                  ErrorCode::kAttribute, {"negative dim"}});
  c.Add(ErrorCase{"reshape", "wildcard does not divide", {T(DType::kF32, {2, 5})}, {{"shape", Shape{-1, 3}}},
                  ErrorCode::kShape, {"(2, 5)", "(-1, 3)", "3 does not divide"}});

  c.Add(ConformanceCase{"transpose", "reversed", {F32({2, 3, 4})}, {}});
  c.Add(ConformanceCase{"transpose", "perm", {F32({2, 3, 4})}, {{"perm", Ints64({1, -1, 0})}}});
  c.Add(ConformanceCase{"transpose", "large", {F32({300, 257})}, {{"perm", Ints64({1, 0})}}});
  c.Add(ConformanceCase{"transpose", "i64", {Ints(DType::kI64, {3, 5}, 0, 100)}, {{"perm", Ints64({1, 0})}}});
  c.Add(ConformanceCase{"transpose", "nchw to nhwc large", {F32({4, 48, 33, 20})}, {{"perm", Ints64({0, 2, 3, 1})}}});
  c.Add(ConformanceCase{"transpose", "inner axis kept", {F32({5, 7, 6})}, {{"perm", Ints64({1, 0, 2})}}});
  c.Add(ConformanceCase{"transpose", "size-1 dims", {F32({1, 5, 1, 3})}, {{"perm", Ints64({3, 2, 1, 0})}}});
  c.Add(ConformanceCase{"transpose", "empty", {F32({0, 4})}, {}});
  c.Add(ConformanceCase{"transpose", "u8 tiles", {Ints(DType::kU8, {70, 45}, 0, 256)}, {}});
  c.Add(ConformanceCase{"transpose", "bool", {Bools({3, 4, 5})}, {{"perm", Ints64({2, 0, 1})}}});
  c.Add(ErrorCase{"transpose", "perm too short", {T(DType::kF32, {2, 3, 4})}, {{"perm", Ints64({1, 0})}},
                  ErrorCode::kShape, {"rank", "f32[2, 3, 4]"}});
  c.Add(ErrorCase{"transpose", "repeated axis", {T(DType::kF32, {2, 3})}, {{"perm", Ints64({1, 1})}},
                  ErrorCode::kAttribute, {"repeats axis 1"}});
  c.Add(ErrorCase{"transpose", "axis out of range", {T(DType::kF32, {2, 3})}, {{"perm", Ints64({0, 2})}},
                  ErrorCode::kShape, {"2", "f32[2, 3]"}});

  c.Add(ConformanceCase{"flatten", "defaults", {F32({2, 3, 4})}, {}});
  c.Add(ConformanceCase{"flatten", "from dim 1", {F32({2, 3, 4, 5})}, {{"start_dim", 1}}});
  c.Add(ConformanceCase{"flatten", "negative dims", {F32({2, 3, 4, 5})}, {{"start_dim", -3}, {"end_dim", -2}}});
  c.Add(ConformanceCase{"flatten", "one dim", {F32({2, 3})}, {{"start_dim", 1}, {"end_dim", 1}}});
  c.Add(ConformanceCase{"flatten", "scalar", {F32({})}, {}});
  c.Add(ConformanceCase{"flatten", "empty", {F32({2, 0, 3})}, {{"start_dim", 1}}});
  c.Add(ConformanceCase{"flatten", "large", {F32({16, 64, 128})}, {{"start_dim", 1}}});
  c.Add(ConformanceCase{"flatten", "bool", {Bools({2, 2, 2})}, {{"end_dim", 1}}});
  c.Add(ErrorCase{"flatten", "start_dim out of range", {T(DType::kF32, {2, 3, 4})}, {{"start_dim", 3}},
                  ErrorCode::kShape, {"start_dim 3", "rank 3", "f32[2, 3, 4]"}});
  c.Add(ErrorCase{"flatten", "start after end", {T(DType::kF32, {2, 3, 4})}, {{"start_dim", 2}, {"end_dim", -2}},
                  ErrorCode::kShape, {"start_dim 2", "end_dim -2 (axis 1)"}});
  c.Add(ErrorCase{"flatten", "product overflows", {T(DType::kF32, {int64_t{1} << 40, int64_t{1} << 40})}, {},
                  ErrorCode::kShape, {"1099511627776 * 1099511627776", "overflows"}});
  c.Add(ErrorCase{"flatten", "end_dim out of range", {T(DType::kF32, {2, 3})}, {{"end_dim", -3}},
                  ErrorCode::kShape, {"end_dim -3", "rank 2"}});

  c.Add(ConformanceCase{"squeeze", "all size-1 dims", {F32({1, 3, 1, 4, 1})}, {}});
  c.Add(ConformanceCase{"squeeze", "listed axes", {F32({1, 3, 1, 4})}, {{"axes", Ints64({0, -2})}}});
  c.Add(ConformanceCase{"squeeze", "listed non-1 axis is a no-op", {F32({2, 1, 3})}, {{"axes", Ints64({0, 1})}}});
  c.Add(ConformanceCase{"squeeze", "to scalar", {F32({1, 1})}, {}});
  c.Add(ConformanceCase{"squeeze", "scalar", {F32({})}, {{"axes", Ints64({0})}}});
  c.Add(ConformanceCase{"squeeze", "empty", {F32({0, 1, 2})}, {}});
  c.Add(ConformanceCase{"squeeze", "large", {F32({1, 512, 1, 256})}, {}});
  c.Add(ConformanceCase{"squeeze", "i32", {Ints(DType::kI32, {3, 1}, -50, 50)}, {{"axes", Ints64({-1})}}});
  c.Add(ErrorCase{"squeeze", "axis out of range", {T(DType::kF32, {1, 3})}, {{"axes", Ints64({2})}},
                  ErrorCode::kShape, {"axis 2", "rank 2", "f32[1, 3]"}});
  c.Add(ErrorCase{"squeeze", "repeated axis", {T(DType::kF32, {1, 3})}, {{"axes", Ints64({0, -2})}},
                  ErrorCode::kAttribute, {"axis -2 appears twice", "[0, -2]"}});
  c.Add(ErrorCase{"squeeze", "symbolic axis", {T(DType::kF32, {kN, 3})}, {{"axes", Ints64({0})}},
                  ErrorCode::kShape, {"f32[N, 3]", "symbolic size N"}});

  c.Add(ConformanceCase{"unsqueeze", "front", {F32({3, 4})}, {{"axes", Ints64({0})}}});
  c.Add(ConformanceCase{"unsqueeze", "last", {F32({3, 4})}, {{"axes", Ints64({-1})}}});
  c.Add(ConformanceCase{"unsqueeze", "several", {F32({3, 4})}, {{"axes", Ints64({0, 2, -1})}}});
  c.Add(ConformanceCase{"unsqueeze", "scalar", {F32({})}, {{"axes", Ints64({0})}}});
  c.Add(ConformanceCase{"unsqueeze", "empty", {F32({0, 2})}, {{"axes", Ints64({1})}}});
  c.Add(ConformanceCase{"unsqueeze", "large", {F32({400, 300})}, {{"axes", Ints64({1})}}});
  c.Add(ConformanceCase{"unsqueeze", "i64", {Ints(DType::kI64, {5}, -9, 9)}, {{"axes", Ints64({1})}}});
  c.Add(ErrorCase{"unsqueeze", "no axes", {T(DType::kF32, {2, 3})}, {{"axes", Ints64({})}},
                  ErrorCode::kAttribute, {"at least one axis"}});
  c.Add(ErrorCase{"unsqueeze", "axis out of range", {T(DType::kF32, {2, 3})}, {{"axes", Ints64({3})}},
                  ErrorCode::kShape, {"axis 3", "rank 3", "f32[2, 3]"}});
  c.Add(ErrorCase{"unsqueeze", "repeated axis", {T(DType::kF32, {2, 3})}, {{"axes", Ints64({1, -3})}},
                  ErrorCode::kAttribute, {"axis -3 appears twice", "[1, -3]"}});

  c.Add(ConformanceCase{"expand", "new leading dims", {F32({3, 1})}, {{"shape", Shape{2, 3, 4}}}});
  c.Add(ConformanceCase{"expand", "keep with -1", {F32({3, 1})}, {{"shape", Shape{-1, 5}}}});
  c.Add(ConformanceCase{"expand", "middle dim", {F32({3, 1, 4})}, {{"shape", Shape{3, 5, 4}}}});
  c.Add(ConformanceCase{"expand", "scalar", {F32({})}, {{"shape", Shape{2, 3}}}});
  c.Add(ConformanceCase{"expand", "to empty", {F32({1, 3})}, {{"shape", Shape{0, 3}}}});
  c.Add(ConformanceCase{"expand", "same shape", {F32({2, 3})}, {{"shape", Shape{2, 3}}}});
  c.Add(ConformanceCase{"expand", "large rows", {F32({1, 1000})}, {{"shape", Shape{200, 1000}}}});
  c.Add(ConformanceCase{"expand", "large columns", {F32({1000, 1})}, {{"shape", Shape{1000, 150}}}});
  c.Add(ConformanceCase{"expand", "bool", {Bools({2, 1})}, {{"shape", Shape{3, 2, 4}}}});
  c.Add(ErrorCase{"expand", "non-1 dim differs", {T(DType::kF32, {2, 3})}, {{"shape", Shape{2, 4}}},
                  ErrorCode::kShape, {"(2, 3)", "(2, 4)", "dim 1 has size 3"}});
  c.Add(ErrorCase{"expand", "fewer dims", {T(DType::kF32, {2, 3})}, {{"shape", Shape{3}}},
                  ErrorCode::kShape, {"(3,)", "fewer than the input (2, 3)"}});
  c.Add(ErrorCase{"expand", "-1 in a new dim", {T(DType::kF32, {3})}, {{"shape", Shape{-1, 3}}},
                  ErrorCode::kShape, {"(-1, 3)", "new leading dim 0"}});
  c.Add(ErrorCase{"expand", "negative dim", {T(DType::kF32, {3})}, {{"shape", Shape{-2, 3}}},
                  ErrorCode::kAttribute, {"(-2, 3)", "negative dim"}});
  c.Add(ErrorCase{"expand", "symbol does not match", {T(DType::kF32, {kN, 3})}, {{"shape", Shape{4, 3}}},
                  ErrorCode::kShape, {"(N, 3)", "(4, 3)", "size N"}});
}

void JoinCases(OpCases& c) {
  c.FreezeId("concat", 510);
  c.FreezeId("split", 511);
  c.FreezeId("slice", 512);
  c.FreezeId("pad", 513);
  c.FreezeId("stack", 514);

  c.Add(ConformanceCase{"concat", "axis 0", {F32({2, 3}), F32({4, 3})}, {}});
  c.Add(ConformanceCase{"concat", "negative axis", {F32({2, 3, 1}), F32({2, 3, 4}), F32({2, 3, 2})}, {{"axis", -1}}});
  c.Add(ConformanceCase{"concat", "middle axis", {F32({2, 1, 5}), F32({2, 3, 5})}, {{"axis", 1}}});
  c.Add(ConformanceCase{"concat", "one input", {F32({3, 2})}, {{"axis", 1}}});
  c.Add(ConformanceCase{"concat", "empty piece", {F32({2, 0}), F32({2, 3})}, {{"axis", 1}}});
  c.Add(ConformanceCase{"concat", "large", {F32({300, 200}), F32({300, 150})}, {{"axis", 1}}});
  c.Add(ConformanceCase{"concat", "large axis 0", {F32({200, 300}), F32({250, 300})}, {}});
  c.Add(ConformanceCase{"concat", "i64", {Ints(DType::kI64, {2, 2}, -5, 5), Ints(DType::kI64, {1, 2}, -5, 5)}, {}});
  c.Add(ConformanceCase{"concat", "bool", {Bools({3}), Bools({2})}, {}});
  c.Add(ErrorCase{"concat", "dtypes differ", {T(DType::kF32, {2, 3}), T(DType::kI32, {2, 3})}, {},
                  ErrorCode::kType, {"f32[2, 3]", "i32[2, 3]"}});
  c.Add(ErrorCase{"concat", "other dim differs", {T(DType::kF32, {2, 3}), T(DType::kF32, {2, 4})}, {},
                  ErrorCode::kShape, {"(2, 3)", "(2, 4)", "dim 1 (3 vs 4)"}});
  c.Add(ErrorCase{"concat", "ranks differ", {T(DType::kF32, {2, 3}), T(DType::kF32, {2, 3, 1})}, {},
                  ErrorCode::kShape, {"(2, 3) (rank 2)", "(2, 3, 1) (rank 3)"}});
  c.Add(ErrorCase{"concat", "axis out of range", {T(DType::kF32, {2, 3}), T(DType::kF32, {2, 3})}, {{"axis", 2}},
                  ErrorCode::kShape, {"axis 2", "rank 2"}});
  c.Add(ErrorCase{"concat", "scalars", {T(DType::kF32, {}), T(DType::kF32, {})}, {},
                  ErrorCode::kShape, {"scalars", "()"}});
  c.Add(ErrorCase{"concat", "symbolic sum", {T(DType::kF32, {3, 2}), T(DType::kF32, {kN, 2})}, {},
                  ErrorCode::kShape, {"3 + N", "(N, 2)"}});

  c.Add(ConformanceCase{"split", "two pieces", {F32({5, 3})}, {{"sizes", Ints64({2, 3})}}});
  c.Add(ConformanceCase{"split", "negative axis with an empty piece", {F32({2, 6})},
                        {{"axis", -1}, {"sizes", Ints64({1, 0, 5})}}});
  c.Add(ConformanceCase{"split", "middle axis", {F32({2, 4, 3})}, {{"axis", 1}, {"sizes", Ints64({1, 1, 2})}}});
  c.Add(ConformanceCase{"split", "one piece", {F32({4})}, {{"sizes", Ints64({4})}}});
  c.Add(ConformanceCase{"split", "empty input", {F32({3, 0})}, {{"sizes", Ints64({1, 2})}}});
  c.Add(ConformanceCase{"split", "large", {F32({256, 600})}, {{"axis", 1}, {"sizes", Ints64({100, 500})}}});
  c.Add(ConformanceCase{"split", "bool", {Bools({4, 2})}, {{"sizes", Ints64({3, 1})}}});
  c.Add(ErrorCase{"split", "sizes do not sum", {T(DType::kF32, {5, 3})}, {{"sizes", Ints64({2, 2})}},
                  ErrorCode::kShape, {"[2, 2] sum to 4", "(5, 3)", "size 5"}});
  c.Add(ErrorCase{"split", "negative size", {T(DType::kF32, {5, 3})}, {{"sizes", Ints64({6, -1})}},
                  ErrorCode::kAttribute, {"[6, -1]", "negative size -1"}});
  c.Add(ErrorCase{"split", "symbolic axis", {T(DType::kF32, {kN, 3})}, {{"sizes", Ints64({1, 1})}},
                  ErrorCode::kShape, {"symbolic size N", "f32[N, 3]"}});
  c.Add(ErrorCase{"split", "axis out of range", {T(DType::kF32, {5, 3})}, {{"axis", -3}, {"sizes", Ints64({5})}},
                  ErrorCode::kShape, {"axis -3", "rank 2"}});
  c.Add(ErrorCase{"split", "no sizes", {T(DType::kF32, {5})}, {{"sizes", Ints64({})}},
                  ErrorCode::kAttribute, {"sizes []"}});

  auto slice = [](std::vector<int64_t> starts, std::vector<int64_t> stops, std::vector<int64_t> axes,
                  std::vector<int64_t> steps) {
    return AttrMap{{"starts", Ints64(std::move(starts))}, {"stops", Ints64(std::move(stops))},
                   {"axes", Ints64(std::move(axes))}, {"steps", Ints64(std::move(steps))}};
  };
  c.Add(ConformanceCase{"slice", "basic", {F32({6, 5})}, slice({1, 0}, {4, 3}, {}, {})});
  c.Add(ConformanceCase{"slice", "negative indices", {F32({6, 5})}, slice({-3}, {-1}, {-1}, {})});
  c.Add(ConformanceCase{"slice", "negative step", {F32({6, 5})}, slice({-1, 4}, {kMin, 0}, {0, 1}, {-1, -2})});
  c.Add(ConformanceCase{"slice", "clamped", {F32({6, 5})}, slice({-100, 2}, {100, kMax}, {}, {})});
  c.Add(ConformanceCase{"slice", "step 3", {F32({4, 10, 3})}, slice({1}, {10}, {1}, {3})});
  c.Add(ConformanceCase{"slice", "empty result", {F32({6, 5})}, slice({4}, {2}, {0}, {})});
  c.Add(ConformanceCase{"slice", "empty input", {F32({0, 5})}, slice({1}, {4}, {1}, {})});
  c.Add(ConformanceCase{"slice", "large", {F32({600, 400})}, slice({10, 5}, {590, -5}, {}, {1, 2})});
  c.Add(ConformanceCase{"slice", "large reversed rows", {F32({400, 300})}, slice({-1}, {kMin}, {1}, {-1})});
  c.Add(ConformanceCase{"slice", "u8", {Ints(DType::kU8, {7, 3}, 0, 256)}, slice({0}, {7}, {0}, {2})});
  c.Add(ErrorCase{"slice", "zero step", {T(DType::kF32, {6})}, slice({0}, {6}, {}, {0}),
                  ErrorCode::kAttribute, {"steps [0]", "step of 0"}});
  c.Add(ErrorCase{"slice", "lengths differ", {T(DType::kF32, {6})}, slice({0, 1}, {6}, {}, {}),
                  ErrorCode::kAttribute, {"starts [0, 1] has 2 entries", "stops [6] has 1"}});
  c.Add(ErrorCase{"slice", "axis out of range", {T(DType::kF32, {6, 2})}, slice({0}, {1}, {2}, {}),
                  ErrorCode::kShape, {"axis 2", "rank 2", "f32[6, 2]"}});
  c.Add(ErrorCase{"slice", "repeated axis", {T(DType::kF32, {6, 2})}, slice({0, 1}, {1, 2}, {1, -1}, {}),
                  ErrorCode::kAttribute, {"axis -1 appears twice"}});
  c.Add(ErrorCase{"slice", "partial symbolic axis", {T(DType::kF32, {kN, 2})}, slice({1}, {kMax}, {0}, {}),
                  ErrorCode::kShape, {"1:INT64_MAX:1", "symbolic size N"}});
  c.Add(ErrorCase{"slice", "too many axes", {T(DType::kF32, {6})}, slice({0, 0}, {1, 1}, {}, {}),
                  ErrorCode::kShape, {"starts [0, 0]", "rank 1"}});

  auto pad = [](std::vector<int64_t> pads, const char* mode, double value) {
    return AttrMap{{"pads", Ints64(std::move(pads))}, {"mode", mode}, {"value", value}};
  };
  c.Add(ConformanceCase{"pad", "last dim", {F32({3, 4})}, pad({1, 2}, "constant", 0.0)});
  c.Add(ConformanceCase{"pad", "two dims with value", {F32({2, 3, 4})}, pad({1, 0, 2, 3}, "constant", -1.5)});
  c.Add(ConformanceCase{"pad", "every dim", {F32({2, 3, 4})}, pad({1, 1, 0, 2, 3, 1}, "constant", 7.0)});
  c.Add(ConformanceCase{"pad", "negative crops", {F32({5, 6})}, pad({-2, 1, 1, -3}, "constant", 0.0)});
  c.Add(ConformanceCase{"pad", "crop everything", {F32({3, 4})}, pad({-5, 3}, "constant", 2.0)});
  c.Add(ConformanceCase{"pad", "reflect 1d", {F32({2, 5})}, pad({3, 4}, "reflect", 0.0)});
  c.Add(ConformanceCase{"pad", "reflect 2d", {F32({2, 4, 5})}, pad({2, 1, 3, 2}, "reflect", 0.0)});
  c.Add(ConformanceCase{"pad", "empty dim", {F32({2, 0})}, pad({1, 1}, "constant", 3.0)});
  c.Add(ConformanceCase{"pad", "no pads", {F32({2, 3})}, pad({}, "constant", 0.0)});
  c.Add(ConformanceCase{"pad", "large", {F32({8, 3, 100, 100})}, pad({2, 2, 1, 3}, "constant", 0.0)});
  c.Add(ConformanceCase{"pad", "large reflect", {F32({8, 3, 100, 100})}, pad({3, 3, 3, 3}, "reflect", 0.0)});
  c.Add(ConformanceCase{"pad", "i32 value", {Ints(DType::kI32, {3, 3}, -9, 9)}, pad({1, 1, 1, 1}, "constant", -7.9)});
  c.Add(ConformanceCase{"pad", "bool", {Bools({2, 3})}, pad({0, 2}, "constant", 1.0)});
  c.Add(ConformanceCase{"pad", "u8 reflect", {Ints(DType::kU8, {4, 3}, 0, 256)}, pad({2, 2, 1, 0}, "reflect", 0.0)});
  c.Add(ErrorCase{"pad", "odd pads", {T(DType::kF32, {3, 4})}, pad({1, 2, 3}, "constant", 0.0),
                  ErrorCode::kAttribute, {"[1, 2, 3] has 3 entries"}});
  c.Add(ErrorCase{"pad", "too many pads", {T(DType::kF32, {3})}, pad({1, 1, 1, 1}, "constant", 0.0),
                  ErrorCode::kShape, {"[1, 1, 1, 1] cover 2 dims", "(3,) has rank 1"}});
  c.Add(ErrorCase{"pad", "reflect pad too large", {T(DType::kF32, {2, 3})}, pad({3, 0}, "reflect", 0.0),
                  ErrorCode::kShape, {"(3, 0) of axis 1", "(2, 3)", "less than its size 3"}});
  c.Add(ErrorCase{"pad", "unknown mode", {T(DType::kF32, {2, 3})}, pad({1, 1}, "wrap", 0.0),
                  ErrorCode::kAttribute, {"mode 'wrap'", "constant, reflect"}});
  c.Add(ErrorCase{"pad", "value does not fit", {T(DType::kU8, {2, 3})}, pad({1, 1}, "constant", 300.0),
                  ErrorCode::kAttribute, {"value 300", "u8"}});
  c.Add(ErrorCase{"pad", "crop below zero", {T(DType::kF32, {2, 3})}, pad({-2, -2}, "constant", 0.0),
                  ErrorCode::kShape, {"(-2, -2) of axis 1", "(2, 3)", "-1 elements"}});
  c.Add(ErrorCase{"pad", "symbolic axis", {T(DType::kF32, {kN, 3})}, pad({0, 0, 1, 1}, "constant", 0.0),
                  ErrorCode::kShape, {"(1, 1) of axis 0", "symbolic size N"}});

  c.Add(ConformanceCase{"stack", "axis 0", {F32({2, 3}), F32({2, 3})}, {}});
  c.Add(ConformanceCase{"stack", "last axis", {F32({4, 3}), F32({4, 3}), F32({4, 3})}, {{"axis", -1}}});
  c.Add(ConformanceCase{"stack", "middle axis", {F32({4, 3}), F32({4, 3})}, {{"axis", 1}}});
  c.Add(ConformanceCase{"stack", "one input", {F32({5})}, {}});
  c.Add(ConformanceCase{"stack", "scalars", {F32({}), F32({}), F32({})}, {}});
  c.Add(ConformanceCase{"stack", "empty", {F32({0, 2}), F32({0, 2})}, {{"axis", 1}}});
  c.Add(ConformanceCase{"stack", "large", {F32({300, 200}), F32({300, 200})}, {{"axis", 1}}});
  c.Add(ConformanceCase{"stack", "large last axis", {F32({256, 256}), F32({256, 256})}, {{"axis", 2}}});
  c.Add(ConformanceCase{"stack", "i64", {Ints(DType::kI64, {3}, -9, 9), Ints(DType::kI64, {3}, -9, 9)}, {{"axis", 1}}});
  c.Add(ErrorCase{"stack", "shapes differ", {T(DType::kF32, {2, 3}), T(DType::kF32, {3, 2})}, {},
                  ErrorCode::kShape, {"(2, 3)", "(3, 2)"}});
  c.Add(ErrorCase{"stack", "axis out of range", {T(DType::kF32, {2, 3}), T(DType::kF32, {2, 3})}, {{"axis", 3}},
                  ErrorCode::kShape, {"axis 3", "rank 3"}});
  c.Add(ErrorCase{"stack", "dtypes differ", {T(DType::kF32, {2}), T(DType::kF64, {2})}, {},
                  ErrorCode::kType, {"f32[2]", "f64[2]"}});
}

Tensor I64s(Dims dims, std::vector<int64_t> v) { return Tensor::FromVector<int64_t>(std::move(dims), v); }
Tensor I32s(Dims dims, std::vector<int32_t> v) { return Tensor::FromVector<int32_t>(std::move(dims), v); }

void IndexCases(OpCases& c) {
  c.FreezeId("gather", 520);
  c.FreezeId("one_hot", 521);
  c.FreezeId("embedding", 530);

  c.Add(ConformanceCase{"gather", "axis 0 rows", {F32({5, 3}), Ints(DType::kI64, {4}, 0, 5)}, {}});
  c.Add(ConformanceCase{"gather", "axis 1 i32", {F32({2, 6, 3}), Ints(DType::kI32, {2, 2}, 0, 6)}, {{"axis", 1}}});
  c.Add(ConformanceCase{"gather", "negative indices and axis", {F32({3, 7}), Ints(DType::kI64, {9}, -7, 7)}, {{"axis", -1}}});
  c.Add(ConformanceCase{"gather", "scalar index", {F32({4, 3}), Given(Tensor::Scalar<int64_t>(-2))}, {}});
  c.Add(ConformanceCase{"gather", "empty indices", {F32({4, 3}), Ints(DType::kI64, {0}, 0, 4)}, {{"axis", 0}}});
  c.Add(ConformanceCase{"gather", "large rows", {F32({1000, 128}), Ints(DType::kI64, {1500}, -1000, 1000)}, {}});
  c.Add(ConformanceCase{"gather", "large columns", {F32({400, 500}), Ints(DType::kI32, {300}, 0, 500)}, {{"axis", 1}}});
  c.Add(ConformanceCase{"gather", "bool", {Bools({3, 4}), Ints(DType::kI64, {2}, 0, 4)}, {{"axis", 1}}});
  c.Add(ConformanceCase{"gather", "i64 data", {Ints(DType::kI64, {6}, -99, 99), Ints(DType::kI32, {3, 2}, -6, 6)}, {}});
  c.Add(ErrorCase{"gather", "float indices", {T(DType::kF32, {5, 3}), T(DType::kF32, {2})}, {},
                  ErrorCode::kType, {"indices f32[2]", "i32, i64"}});
  c.Add(ErrorCase{"gather", "scalar data", {T(DType::kF32, {}), T(DType::kI64, {2})}, {},
                  ErrorCode::kShape, {"rank >= 1", "f32[]"}});
  c.Add(ErrorCase{"gather", "axis out of range", {T(DType::kF32, {5, 3}), T(DType::kI64, {2})}, {{"axis", 2}},
                  ErrorCode::kShape, {"axis 2", "rank 2", "f32[5, 3]"}});
  c.Add(ErrorCase{"gather", "index out of range", {T(DType::kF32, {5, 3}), T(DType::kI64, {4})}, {},
                  ErrorCode::kInvalidArgument, {"index 7 at position 2", "axis 0 of size 5", "-5 to 4"},
                  std::vector<Tensor>{Tensor::Zeros(DType::kF32, {5, 3}), I64s({4}, {0, -5, 7, 1})}});
  c.Add(ErrorCase{"gather", "negative index out of range", {T(DType::kF32, {2, 3}), T(DType::kI32, {2})}, {{"axis", 1}},
                  ErrorCode::kInvalidArgument, {"index -4 at position 1", "axis 1 of size 3"},
                  std::vector<Tensor>{Tensor::Zeros(DType::kF32, {2, 3}), I32s({2}, {-3, -4})}});

  c.Add(ConformanceCase{"one_hot", "i64 to f32", {Ints(DType::kI64, {6}, 0, 4)}, {{"num_classes", 4}}});
  c.Add(ConformanceCase{"one_hot", "i32 2-D to bool", {Ints(DType::kI32, {3, 5}, 0, 7)},
                        {{"num_classes", 7}, {"dtype", DType::kBool}}});
  c.Add(ConformanceCase{"one_hot", "to i64 like torch", {Ints(DType::kI64, {4}, 0, 3)}, {{"num_classes", 3}, {"dtype", DType::kI64}}});
  c.Add(ConformanceCase{"one_hot", "scalar index", {Given(Tensor::Scalar<int64_t>(2))}, {{"num_classes", 5}}});
  c.Add(ConformanceCase{"one_hot", "empty", {Ints(DType::kI64, {0, 3}, 0, 2)}, {{"num_classes", 2}}});
  c.Add(ConformanceCase{"one_hot", "one class", {Ints(DType::kI64, {3}, 0, 1)}, {{"num_classes", 1}, {"dtype", DType::kU8}}});
  c.Add(ConformanceCase{"one_hot", "large", {Ints(DType::kI64, {50000}, 0, 10)}, {{"num_classes", 10}}});
  c.Add(ConformanceCase{"one_hot", "large f64 i32", {Ints(DType::kI32, {256, 40}, 0, 32)},
                        {{"num_classes", 32}, {"dtype", DType::kF64}}});
  c.Add(ErrorCase{"one_hot", "no classes", {T(DType::kI64, {3})}, {{"num_classes", 0}},
                  ErrorCode::kAttribute, {"num_classes must be >= 1, got 0"}});
  c.Add(ErrorCase{"one_hot", "float indices", {T(DType::kF32, {3})}, {{"num_classes", 4}},
                  ErrorCode::kType, {"indices f32[3]", "i32, i64"}});
  c.Add(ErrorCase{"one_hot", "unsupported dtype", {T(DType::kI64, {3})}, {{"num_classes", 4}, {"dtype", DType::kF16}},
                  ErrorCode::kType, {"dtype f16"}});
  c.Add(ErrorCase{"one_hot", "shape overflows", {T(DType::kI64, {int64_t{1} << 40, int64_t{1} << 20})},
                  {{"num_classes", int64_t{1} << 10}}, ErrorCode::kShape, {"overflows int64"}});
  c.Add(ErrorCase{"one_hot", "negative index", {T(DType::kI64, {3})}, {{"num_classes", 4}},
                  ErrorCode::kInvalidArgument, {"index -1 at position 1", "num_classes 4", "0 to 3"},
                  std::vector<Tensor>{I64s({3}, {0, -1, 2})}});
  c.Add(ErrorCase{"one_hot", "index too large", {T(DType::kI32, {2, 2})}, {{"num_classes", 3}},
                  ErrorCode::kInvalidArgument, {"index 3 at position 3", "num_classes 3"},
                  std::vector<Tensor>{I32s({2, 2}, {0, 1, 2, 3})}});

  c.Add(ConformanceCase{"embedding", "i64 indices", {F32({10, 4}), Ints(DType::kI64, {6}, 0, 10)}, {}});
  c.Add(ConformanceCase{"embedding", "2-D i32 indices", {F32({7, 3}), Ints(DType::kI32, {2, 5}, 0, 7)}, {}});
  c.Add(ConformanceCase{"embedding", "padding_idx", {F32({5, 2}), Ints(DType::kI64, {8}, 0, 5)}, {{"padding_idx", 0}}});
  c.Add(ConformanceCase{"embedding", "scalar index", {F32({5, 8}), Given(Tensor::Scalar<int32_t>(4))}, {}});
  c.Add(ConformanceCase{"embedding", "empty indices", {F32({5, 8}), Ints(DType::kI64, {2, 0}, 0, 5)}, {}});
  c.Add(ConformanceCase{"embedding", "dim 1", {F32({9, 1}), Ints(DType::kI64, {12}, 0, 9)}, {}});
  c.Add(ConformanceCase{"embedding", "large", {F32({2000, 64}), Ints(DType::kI64, {32, 64}, 0, 2000)}, {}});
  c.Add(ConformanceCase{"embedding", "i64 weight", {Ints(DType::kI64, {4, 3}, -9, 9), Ints(DType::kI64, {5}, 0, 4)}, {}});
  c.Add(ErrorCase{"embedding", "1-D weight", {T(DType::kF32, {10}), T(DType::kI64, {3})}, {},
                  ErrorCode::kShape, {"2-D", "(10,)"}});
  c.Add(ErrorCase{"embedding", "float indices", {T(DType::kF32, {10, 4}), T(DType::kF64, {3})}, {},
                  ErrorCode::kType, {"indices f64[3]", "i32, i64"}});
  c.Add(ErrorCase{"embedding", "padding_idx out of range", {T(DType::kF32, {10, 4}), T(DType::kI64, {3})},
                  {{"padding_idx", 10}}, ErrorCode::kAttribute, {"padding_idx 10", "10 embeddings", "(10, 4)"}});
  c.Add(ErrorCase{"embedding", "negative padding_idx", {T(DType::kF32, {10, 4}), T(DType::kI64, {3})},
                  {{"padding_idx", -2}}, ErrorCode::kAttribute, {"padding_idx -2"}});
  c.Add(ErrorCase{"embedding", "index out of range", {T(DType::kF32, {4, 2}), T(DType::kI64, {2, 2})}, {},
                  ErrorCode::kInvalidArgument, {"index 4 at position 2", "4 embeddings", "(4, 2)", "0 to 3"},
                  std::vector<Tensor>{Tensor::Zeros(DType::kF32, {4, 2}), I64s({2, 2}, {0, 3, 4, 1})}});
  c.Add(ErrorCase{"embedding", "negative index", {T(DType::kF32, {4, 2}), T(DType::kI32, {2})}, {},
                  ErrorCode::kInvalidArgument, {"index -1 at position 0", "4 embeddings"},
                  std::vector<Tensor>{Tensor::Zeros(DType::kF32, {4, 2}), I32s({2}, {-1, 0})}});
}

}  // namespace

BRONZE_OP_CASES(shape) {
  ViewCases(c);
  JoinCases(c);
  IndexCases(c);
}

}  // namespace bronze::testing
