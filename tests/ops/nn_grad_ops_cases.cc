// Test cases of the nn family's backward ops (graph/ops/nn.cc, ids 630-699): conformance of the
// fast CPU kernels against the reference (overlapping and clipped windows, ceil_mode, NaN and
// -inf windows, training and inference statistics, affine variants, large cases for the
// multi-threaded paths), error cases and frozen ids.
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType F(Shape s) { return TensorType{DType::kF32, std::move(s)}; }
TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
Attribute IV(std::vector<int64_t> v) { return Attribute(std::move(v)); }
InputSpec Positive(Dims dims) { return Uniform(DType::kF32, std::move(dims), 0.5, 2.0); }

AttrMap Pool(std::vector<int64_t> k, std::vector<int64_t> s = {}, std::vector<int64_t> p = {}) {
  AttrMap a{{"kernel_size", IV(std::move(k))}};
  if (!s.empty()) a["stride"] = IV(std::move(s));
  if (!p.empty()) a["padding"] = IV(std::move(p));
  return a;
}
AttrMap With(AttrMap a, const std::string& name, Attribute v) {
  a[name] = std::move(v);
  return a;
}
AttrMap InShape(AttrMap a, Dims x) { return With(std::move(a), "input_shape", Shape::FromDims(x)); }

// A (1, 1, 4, 40) plane with NaN, +inf, a run of -inf (a whole window) and repeated values.
Tensor SpecialPlane() {
  std::vector<float> v(160);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 37) % 5) - 2.0f;
  v[5] = std::numeric_limits<float>::quiet_NaN();
  v[60] = std::numeric_limits<float>::infinity();
  for (size_t i : {100, 101, 102, 140, 141, 142}) v[i] = -std::numeric_limits<float>::infinity();
  v[139] = std::numeric_limits<float>::quiet_NaN();
  return Tensor::FromVector<float>({1, 1, 4, 40}, v);
}

void MaxPoolBackwardCases(OpCases& c) {
  const char* op = "max_pool2d_backward";
  c.FreezeId(op, 630);
  auto add = [&](const std::string& name, Dims dy, InputSpec x, AttrMap a) {
    c.Add(ConformanceCase{op, name, {F32(std::move(dy)), std::move(x)}, std::move(a)});
  };
  add("3x3 stride 2 pad 1 overlap", {2, 3, 5, 6}, F32({2, 3, 9, 11}), Pool({3}, {2}, {1}));
  add("default stride", {1, 2, 3, 4}, F32({1, 2, 6, 8}), Pool({2}));
  add("ceil mode", {1, 2, 4, 4}, F32({1, 2, 8, 9}), With(Pool({3}, {2}), "ceil_mode", 1));
  add("dilation", {2, 2, 8, 36}, F32({2, 2, 10, 40}),
      With(Pool({3}, {1}, {1}), "dilation", IV({2, 3})));
  add("unbatched", {3, 2, 2}, F32({3, 5, 5}), Pool({2}));
  add("size-1 spatial", {2, 3, 1, 1}, F32({2, 3, 1, 1}), Pool({1}));
  add("empty batch", {0, 3, 2, 2}, F32({0, 3, 4, 4}), Pool({2}));
  add("ties, NaN and -inf windows", {1, 1, 5, 40}, Given(SpecialPlane()),
      Pool({2, 3}, {1, 1}, {1, 1}));
  add("ties stride 2", {1, 1, 2, 20}, Given(SpecialPlane()), Pool({2}, {2}));
  add("large", {4, 16, 32, 32}, F32({4, 16, 64, 64}), Pool({3}, {2}, {1}));

  c.Add(ErrorCase{op, "dy of the wrong shape", {F({1, 1, 3, 3}), F({1, 1, 8, 8})}, Pool({2}),
                  ErrorCode::kShape, {"(1, 1, 3, 3)", "(1, 1, 4, 4)"}});
  c.Add(ErrorCase{op, "dtypes differ", {T(DType::kF64, {1, 1, 4, 4}), F({1, 1, 8, 8})}, Pool({2}),
                  ErrorCode::kType, {"f64[1, 1, 4, 4]", "f32[1, 1, 8, 8]"}});
  c.Add(ErrorCase{op, "rank 2 x", {F({2, 2}), F({4, 4})}, Pool({2}), ErrorCode::kShape,
                  {"rank 2", "(4, 4)"}});
  c.Add(ErrorCase{op, "padding over half the kernel", {F({1, 1, 4, 4}), F({1, 1, 8, 8})},
                  Pool({2}, {}, {2}), ErrorCode::kAttribute, {"padding [2]"}});
}

void AvgPoolBackwardCases(OpCases& c) {
  const char* op = "avg_pool2d_backward";
  c.FreezeId(op, 631);
  for (int cip : {1, 0}) {
    const std::string tag = cip ? " count pad" : " no pad count";
    c.Add(ConformanceCase{op, "3x3 stride 2 pad 1" + tag, {F32({2, 3, 5, 6})},
                          InShape(With(Pool({3}, {2}, {1}), "count_include_pad", cip),
                                  {2, 3, 9, 11})});
    c.Add(ConformanceCase{op, "ceil mode clipped windows" + tag, {F32({2, 2, 4, 4})},
                          InShape(With(With(Pool({3}, {2}, {1}), "ceil_mode", 1),
                                       "count_include_pad", cip),
                                  {2, 2, 6, 7})});
  }
  c.Add(ConformanceCase{op, "default stride", {F32({1, 2, 3, 4})},
                        InShape(Pool({2}), {1, 2, 6, 8})});
  c.Add(ConformanceCase{op, "unbatched", {F32({3, 4, 4})}, InShape(Pool({2}, {1}), {3, 5, 5})});
  c.Add(ConformanceCase{op, "size-1 spatial", {F32({2, 3, 1, 1})},
                        InShape(Pool({1}), {2, 3, 1, 1})});
  c.Add(ConformanceCase{op, "empty batch", {F32({0, 3, 2, 2})},
                        InShape(Pool({2}), {0, 3, 4, 4})});
  c.Add(ConformanceCase{op, "large", {F32({4, 16, 32, 32})},
                        InShape(Pool({3}, {2}, {1}), {4, 16, 64, 64})});

  c.Add(ErrorCase{op, "dy of the wrong shape", {F({1, 1, 3, 3})}, InShape(Pool({2}), {1, 1, 8, 8}),
                  ErrorCode::kShape, {"(1, 1, 3, 3)", "(1, 1, 4, 4)", "(1, 1, 8, 8)"}});
  c.Add(ErrorCase{op, "rank 2 input_shape", {F({2, 2})}, InShape(Pool({2}), {4, 4}),
                  ErrorCode::kShape, {"rank 2", "(4, 4)"}});
  c.Add(ErrorCase{op, "missing input_shape", {F({1, 1, 2, 2})}, Pool({2}), ErrorCode::kAttribute,
                  {"input_shape"}});
  c.Add(ErrorCase{op, "integer dy", {T(DType::kI32, {1, 1, 2, 2})},
                  InShape(Pool({2}), {1, 1, 4, 4}), ErrorCode::kType, {"i32"}});
}

void AdaptiveBackwardCases(OpCases& c) {
  const char* op = "adaptive_avg_pool2d_backward";
  c.FreezeId(op, 632);
  auto in_shape = [](Dims x) { return AttrMap{{"input_shape", Shape::FromDims(x)}}; };
  c.Add(ConformanceCase{op, "global", {F32({2, 3, 1, 1})}, in_shape({2, 3, 7, 7})});
  c.Add(ConformanceCase{op, "overlapping windows", {F32({2, 3, 3, 5})}, in_shape({2, 3, 10, 13})});
  c.Add(ConformanceCase{op, "output larger than input", {F32({1, 2, 7, 7})},
                        in_shape({1, 2, 5, 5})});
  c.Add(ConformanceCase{op, "unbatched", {F32({3, 4, 4})}, in_shape({3, 9, 9})});
  c.Add(ConformanceCase{op, "empty batch", {F32({0, 3, 2, 2})}, in_shape({0, 3, 4, 4})});
  c.Add(ConformanceCase{op, "large", {F32({8, 32, 7, 7})}, in_shape({8, 32, 40, 40})});

  c.Add(ErrorCase{op, "rank differs", {F({3, 2, 2})}, in_shape({1, 3, 4, 4}), ErrorCode::kShape,
                  {"(3, 2, 2)", "(1, 3, 4, 4)"}});
  c.Add(ErrorCase{op, "leading dims differ", {F({2, 3, 2, 2})}, in_shape({2, 4, 6, 6}),
                  ErrorCode::kShape, {"(2, 3, 2, 2)", "(2, 4, 6, 6)"}});
  c.Add(ErrorCase{op, "integer dy", {T(DType::kI64, {1, 1, 2, 2})}, in_shape({1, 1, 4, 4}),
                  ErrorCode::kType, {"i64"}});
  c.Add(ErrorCase{op, "missing input_shape", {F({1, 1, 2, 2})}, {}, ErrorCode::kAttribute,
                  {"input_shape"}});
}

std::vector<InputSpec> BnBackwardInputs(Dims x, int64_t ch, bool training,
                                        InputSpec xs = F32({})) {
  xs.dims = x;
  std::vector<InputSpec> in = {F32(x), xs, F32({ch})};
  if (!training) {
    in.push_back(F32({ch}));
    in.push_back(Positive({ch}));
  }
  return in;
}

void BatchNormBackwardCases(OpCases& c) {
  const char* op = "batch_norm_backward";
  c.FreezeId(op, 633);
  const double rt = 1e-4, at = 1e-5;
  for (int training : {1, 0}) {
    const std::string tag = training ? " training" : " inference";
    const AttrMap a{{"training", training}};
    auto add = [&](const std::string& name, Dims x, int64_t ch, InputSpec xs = F32({})) {
      c.Add(ConformanceCase{op, name + tag, BnBackwardInputs(x, ch, training, xs), a, rt, at});
    };
    add("2d", {4, 3, 6, 5}, 3);
    add("1d (N, C)", {16, 5}, 5);
    add("1d (N, C, L)", {8, 4, 10}, 4);
    add("3d", {2, 3, 2, 3, 4}, 3);
    add("vector planes", {4, 3, 100}, 3);
    add("size-1 spatial", {6, 3, 1, 1}, 3);
    add("empty batch", {0, 3, 4}, 3);
    add("shifted data", {4, 2, 100}, 2, Uniform(DType::kF32, {}, 30, 31));
    add("large", {8, 16, 32, 32}, 16);
  }
  c.Add(ConformanceCase{op, "large (N, C) training", BnBackwardInputs({2048, 64}, 64, true),
                        {{"training", 1}, {"eps", 1e-3}}, rt, at});

  const TensorType c3 = F({3}), x = F({2, 3, 4});
  c.Add(ErrorCase{op, "training with running statistics", {x, x, c3, c3, c3}, {{"training", 1}},
                  ErrorCode::kGraph, {"takes 3 inputs", "got 5"}});
  c.Add(ErrorCase{op, "inference without running statistics", {x, x, c3}, {{"training", 0}},
                  ErrorCode::kGraph, {"takes 5 inputs", "got 3"}});
  c.Add(ErrorCase{op, "weight of the wrong length", {x, x, F({4})}, {}, ErrorCode::kShape,
                  {"weight", "(3,)", "(4,)"}});
  c.Add(ErrorCase{op, "dy shape differs", {F({2, 3, 5}), x, c3}, {}, ErrorCode::kShape,
                  {"(2, 3, 5)", "(2, 3, 4)"}});
  c.Add(ErrorCase{op, "dtypes differ", {T(DType::kF64, {2, 3, 4}), x, c3}, {}, ErrorCode::kType,
                  {"f64[2, 3, 4]"}});
  c.Add(ErrorCase{op, "rank 1 x", {c3, c3, c3}, {}, ErrorCode::kShape, {"rank >= 2", "(3,)"}});
}

void LayerNormBackwardCases(OpCases& c) {
  const char* op = "layer_norm_backward";
  c.FreezeId(op, 634);
  const double rt = 1e-4, at = 1e-5;
  c.Add(ConformanceCase{op, "no affine", {F32({4, 16}), F32({4, 16})}, {}, rt, at});
  c.Add(ConformanceCase{op, "weight", {F32({3, 5, 32}), F32({3, 5, 32}), F32({32})}, {}, rt, at});
  c.Add(ConformanceCase{op, "two normalized dims", {F32({4, 6, 10}), F32({4, 6, 10}), F32({6, 10})},
                        {{"normalized_ndim", 2}}, rt, at});
  c.Add(ConformanceCase{op, "odd row length", {F32({100, 37}), F32({100, 37}), F32({37})}, {}, rt,
                        at});
  c.Add(ConformanceCase{op, "size-1 rows", {F32({5, 1}), F32({5, 1}), F32({1})}, {}, rt, at});
  c.Add(ConformanceCase{op, "shifted data",
                        {F32({8, 300}), Uniform(DType::kF32, {8, 300}, 100, 101), F32({300})},
                        {}, rt, at});
  c.Add(ConformanceCase{op, "empty rows", {F32({0, 8}), F32({0, 8}), F32({8})}, {}, rt, at});
  c.Add(ConformanceCase{op, "many short rows", {F32({3000, 8}), F32({3000, 8}), F32({8})}, {}, rt,
                        1e-4});
  c.Add(ConformanceCase{op, "large", {F32({256, 512}), F32({256, 512}), F32({512})}, {}, rt,
                        1e-4});

  c.Add(ErrorCase{op, "dy shape differs", {F({4, 6}), F({4, 5})}, {}, ErrorCode::kShape,
                  {"(4, 6)", "(4, 5)"}});
  c.Add(ErrorCase{op, "weight shape", {F({4, 5}), F({4, 5}), F({4})}, {}, ErrorCode::kShape,
                  {"(5,)", "(4,)"}});
  c.Add(ErrorCase{op, "normalized_ndim above rank", {F({4, 5}), F({4, 5})},
                  {{"normalized_ndim", 3}}, ErrorCode::kShape, {"normalized_ndim 3", "(4, 5)"}});
  c.Add(ErrorCase{op, "integer x", {T(DType::kI32, {4, 5}), T(DType::kI32, {4, 5})}, {},
                  ErrorCode::kType, {"i32"}});
}

}  // namespace

BRONZE_OP_CASES(nn_grad_ops) {
  MaxPoolBackwardCases(c);
  AvgPoolBackwardCases(c);
  AdaptiveBackwardCases(c);
  BatchNormBackwardCases(c);
  LayerNormBackwardCases(c);
}

}  // namespace bronze::testing
