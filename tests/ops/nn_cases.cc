// Test cases of the nn ops (graph/ops/nn.cc): pooling (padding, dilation, ceil_mode clipping,
// unbatched and empty inputs, NaN), batch_norm (training and inference, 1d/2d/3d shapes,
// empty batch), layer_norm (affine variants, several normalized dims, shifted data) and
// scaled_dot_product_attention (masks of both kinds, broadcasting, causal, fully masked rows,
// empty S), each with a large case for the multi-threaded paths; error cases; frozen ids.
#include <limits>

#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
Attribute IV(std::vector<int64_t> v) { return Attribute(std::move(v)); }
InputSpec Positive(Dims dims) { return Uniform(DType::kF32, std::move(dims), 0.5, 2.0); }
TensorType F(Shape s) { return TensorType{DType::kF32, std::move(s)}; }

// Pooling attributes: kernel_size, and stride / padding when given.
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

std::vector<InputSpec> Qkv(Dims q, Dims k, Dims v) { return {F32(q), F32(k), F32(v)}; }
std::vector<InputSpec> Qkv(Dims q, Dims k, Dims v, InputSpec mask) {
  return {F32(q), F32(k), F32(v), std::move(mask)};
}

// A (1, 1, 4, 40) plane of normal-ish values with NaN, +inf and -inf at fixed places, wide
// enough for the vectorized max_pool2d path.
Tensor SpecialPlane() {
  std::vector<float> v(160);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 37) % 23) - 11.0f;
  v[5] = std::numeric_limits<float>::quiet_NaN();
  v[60] = std::numeric_limits<float>::infinity();
  v[101] = -std::numeric_limits<float>::infinity();
  v[139] = std::numeric_limits<float>::quiet_NaN();
  return Tensor::FromVector<float>({1, 1, 4, 40}, v);
}

// A (2, 5, 7) bool mask: row 1 of batch 0 and row 4 of batch 1 see nothing.
Tensor MaskWithEmptyRows() {
  std::vector<bool> v(70);
  for (size_t i = 0; i < v.size(); ++i) v[i] = (i * 7) % 3 != 0;
  for (size_t j = 0; j < 7; ++j) v[7 + j] = false, v[35 + 28 + j] = false;
  return Tensor::FromVector<bool>({2, 5, 7}, v);
}

void MaxPoolCases(OpCases& c) {
  const char* op = "max_pool2d";
  c.FreezeId(op, 600);
  c.Add(ConformanceCase{op, "3x3 stride 2 pad 1", {F32({2, 3, 9, 11})},
                        Pool({3, 3}, {2, 2}, {1, 1})});
  c.Add(ConformanceCase{op, "default stride", {F32({1, 2, 6, 8})}, Pool({2})});
  c.Add(ConformanceCase{op, "ceil mode", {F32({1, 2, 8, 9})},
                        With(Pool({3}, {2}), "ceil_mode", 1)});
  c.Add(ConformanceCase{op, "ceil mode with padding", {F32({2, 2, 6, 6})},
                        With(Pool({3}, {2}, {1}), "ceil_mode", 1)});
  c.Add(ConformanceCase{op, "dilation", {F32({2, 2, 10, 40})},
                        With(Pool({3, 3}, {1, 1}, {1, 1}), "dilation", IV({2, 3}))});
  c.Add(ConformanceCase{op, "rectangular", {F32({2, 2, 7, 45})}, Pool({2, 3}, {1, 2}, {1, 1})});
  c.Add(ConformanceCase{op, "stride 3 scalar path", {F32({1, 2, 11, 13})}, Pool({3}, {3})});
  c.Add(ConformanceCase{op, "unbatched", {F32({3, 5, 5})}, Pool({2})});
  c.Add(ConformanceCase{op, "size-1 spatial", {F32({2, 3, 1, 1})}, Pool({1})});
  c.Add(ConformanceCase{op, "empty batch", {F32({0, 3, 4, 4})}, Pool({2})});
  c.Add(ConformanceCase{op, "NaN and inf", {Given(SpecialPlane())}, Pool({2, 3}, {1, 1}, {1, 1})});
  c.Add(ConformanceCase{op, "NaN and inf stride 2", {Given(SpecialPlane())}, Pool({2}, {2})});
  c.Add(ConformanceCase{op, "large", {F32({4, 16, 64, 64})}, Pool({3}, {2}, {1})});
  c.Add(ConformanceCase{op, "large stride 1", {F32({2, 8, 60, 100})}, Pool({3}, {1}, {1})});

  c.Add(ErrorCase{op, "rank 2 input", {F({4, 4})}, Pool({2}), ErrorCode::kShape,
                  {"rank 2", "(4, 4)"}});
  c.Add(ErrorCase{op, "padding over half the kernel", {F({1, 1, 8, 8})}, Pool({2, 2}, {}, {2, 1}),
                  ErrorCode::kAttribute, {"padding [2, 1]", "kernel_size [2, 2]"}});
  c.Add(ErrorCase{op, "kernel larger than input", {F({1, 1, 3, 4})}, Pool({5, 5}),
                  ErrorCode::kShape, {"3x4", "5x5", "too small"}});
  c.Add(ErrorCase{op, "dilated kernel larger than input", {F({1, 1, 6, 6})},
                  With(Pool({3}), "dilation", IV({3})), ErrorCode::kShape, {"6x6", "7x7"}});
  c.Add(ErrorCase{op, "zero stride", {F({1, 1, 8, 8})}, Pool({2}, {0, 1}), ErrorCode::kAttribute,
                  {"stride", "[0, 1]"}});
  c.Add(ErrorCase{op, "three kernel entries", {F({1, 1, 8, 8})}, Pool({2, 2, 2}),
                  ErrorCode::kAttribute, {"kernel_size", "[2, 2, 2]"}});
  c.Add(ErrorCase{op, "bad ceil_mode", {F({1, 1, 8, 8})}, With(Pool({2}), "ceil_mode", 2),
                  ErrorCode::kAttribute, {"ceil_mode", "2"}});
  c.Add(ErrorCase{op, "symbolic height", {F(Shape{Dim::Symbol("N"), 3, Dim::Symbol("H"), 8})},
                  Pool({2}), ErrorCode::kShape, {"static input height", "H"}});
  c.Add(ErrorCase{op, "zero channels", {F({2, 0, 4, 4})}, Pool({2}), ErrorCode::kShape,
                  {"(2, 0, 4, 4)"}});
  c.Add(ErrorCase{op, "integer input", {T(DType::kI32, {1, 1, 4, 4})}, Pool({2}), ErrorCode::kType,
                  {"i32"}});
  c.Add(ErrorCase{op, "missing kernel_size", {F({1, 1, 4, 4})}, {}, ErrorCode::kAttribute,
                  {"kernel_size"}});
}

void AvgPoolCases(OpCases& c) {
  const char* op = "avg_pool2d";
  c.FreezeId(op, 601);
  for (int cip : {1, 0}) {
    std::string tag = cip ? " count pad" : " no pad count";
    c.Add(ConformanceCase{op, "3x3 stride 2 pad 1" + tag, {F32({2, 3, 9, 11})},
                          With(Pool({3}, {2}, {1}), "count_include_pad", cip)});
    const AttrMap ceil = With(Pool({3}, {2}, {1}), "ceil_mode", 1);
    c.Add(ConformanceCase{op, "ceil mode clipped windows" + tag, {F32({2, 2, 6, 7})},
                          With(ceil, "count_include_pad", cip)});
    c.Add(ConformanceCase{op, "stride 1 pad 1" + tag, {F32({2, 3, 12, 40})},
                          With(Pool({3}, {1}, {1}), "count_include_pad", cip)});
  }
  c.Add(ConformanceCase{op, "default stride", {F32({1, 2, 6, 8})}, Pool({2})});
  c.Add(ConformanceCase{op, "rectangular", {F32({2, 2, 7, 45})}, Pool({2, 3}, {1, 2}, {1, 1})});
  c.Add(ConformanceCase{op, "ceil mode no padding", {F32({1, 3, 7, 9})},
                        With(Pool({2}), "ceil_mode", 1)});
  c.Add(ConformanceCase{op, "unbatched", {F32({3, 5, 5})}, Pool({2})});
  c.Add(ConformanceCase{op, "empty batch", {F32({0, 3, 4, 4})}, Pool({2})});
  c.Add(ConformanceCase{op, "large", {F32({4, 16, 64, 64})}, Pool({2})});
  c.Add(ConformanceCase{op, "large 3x3", {F32({4, 16, 64, 64})}, Pool({3}, {2}, {1})});

  c.Add(ErrorCase{op, "rank 5 input", {F({1, 1, 2, 4, 4})}, Pool({2}), ErrorCode::kShape,
                  {"rank 5", "(1, 1, 2, 4, 4)"}});
  c.Add(ErrorCase{op, "padding over half the kernel", {F({1, 1, 8, 8})}, Pool({3}, {}, {2}),
                  ErrorCode::kAttribute, {"padding [2]", "kernel_size [3]"}});
  c.Add(ErrorCase{op, "kernel larger than input", {F({2, 3, 4, 2})}, Pool({3}), ErrorCode::kShape,
                  {"4x2", "3x3"}});
  c.Add(ErrorCase{op, "bad count_include_pad", {F({1, 1, 8, 8})},
                  With(Pool({2}), "count_include_pad", -1), ErrorCode::kAttribute,
                  {"count_include_pad", "-1"}});
  c.Add(ErrorCase{op, "no dilation attribute", {F({1, 1, 8, 8})},
                  With(Pool({2}), "dilation", IV({2})), ErrorCode::kAttribute, {"dilation"}});
  c.Add(ErrorCase{op, "negative padding", {F({1, 1, 8, 8})}, Pool({2}, {}, {-1}),
                  ErrorCode::kAttribute, {"padding", "[-1]"}});
}

void AdaptiveCases(OpCases& c) {
  const char* op = "adaptive_avg_pool2d";
  c.FreezeId(op, 602);
  auto size = [](std::vector<int64_t> s) { return AttrMap{{"output_size", IV(std::move(s))}}; };
  c.Add(ConformanceCase{op, "global", {F32({2, 3, 7, 7})}, size({1, 1})});
  c.Add(ConformanceCase{op, "overlapping windows", {F32({2, 3, 10, 13})}, size({3, 5})});
  c.Add(ConformanceCase{op, "output larger than input", {F32({1, 2, 5, 5})}, size({7})});
  c.Add(ConformanceCase{op, "identity size", {F32({1, 2, 6, 40})}, size({6, 40})});
  c.Add(ConformanceCase{op, "unbatched", {F32({3, 9, 9})}, size({4})});
  c.Add(ConformanceCase{op, "empty batch", {F32({0, 3, 4, 4})}, size({2})});
  c.Add(ConformanceCase{op, "large", {F32({8, 32, 40, 40})}, size({7, 7})});
  c.Add(ConformanceCase{op, "large global", {F32({8, 64, 16, 16})}, size({1})});

  c.Add(ErrorCase{op, "zero output size", {F({1, 1, 4, 4})}, size({0, 2}), ErrorCode::kAttribute,
                  {"output_size", "[0, 2]"}});
  c.Add(ErrorCase{op, "rank 2 input", {F({4, 4})}, size({2}), ErrorCode::kShape,
                  {"rank 2", "(4, 4)"}});
  c.Add(ErrorCase{op, "zero height", {F({1, 1, 0, 4})}, size({2}), ErrorCode::kShape,
                  {"(1, 1, 0, 4)"}});
  c.Add(ErrorCase{op, "integer input", {T(DType::kI64, {1, 1, 4, 4})}, size({2}), ErrorCode::kType,
                  {"i64"}});
}

// x (filled as `xs`), weight, bias, running_mean of normals and a positive running_var.
std::vector<InputSpec> BnInputs(Dims x, int64_t ch, InputSpec xs = F32({})) {
  xs.dims = std::move(x);
  return {xs, F32({ch}), F32({ch}), F32({ch}), Positive({ch})};
}

void BatchNormCases(OpCases& c) {
  const char* op = "batch_norm";
  c.FreezeId(op, 610);
  const double rt = 1e-4, at = 1e-5;
  for (int training : {0, 1}) {
    const std::string tag = training ? " training" : " inference";
    const AttrMap a{{"training", training}};
    c.Add(ConformanceCase{op, "2d" + tag, BnInputs({4, 3, 6, 5}, 3), a, rt, at});
    c.Add(ConformanceCase{op, "1d (N, C)" + tag, BnInputs({16, 5}, 5), a, rt, at});
    c.Add(ConformanceCase{op, "1d (N, C, L)" + tag, BnInputs({8, 4, 10}, 4), a, rt, at});
    c.Add(ConformanceCase{op, "3d" + tag, BnInputs({2, 3, 2, 3, 4}, 3), a, rt, at});
    c.Add(ConformanceCase{op, "large" + tag, BnInputs({8, 16, 32, 32}, 16), a, rt, at});
    c.Add(ConformanceCase{op, "empty batch" + tag, BnInputs({0, 3, 4}, 3), a, rt, at});
    c.Add(ConformanceCase{op, "shifted data" + tag,
                          BnInputs({4, 2, 100}, 2, Uniform(DType::kF32, {}, 30, 31)), a, rt, at});
  }
  c.Add(ConformanceCase{op, "momentum and eps", BnInputs({6, 3, 9}, 3),
                        {{"training", 1}, {"momentum", 0.3}, {"eps", 1e-3}}, rt, at});
  c.Add(ConformanceCase{op, "large (N, C) training", BnInputs({2048, 64}, 64), {{"training", 1}},
                        rt, at});
  c.Add(ConformanceCase{op, "two values per channel", BnInputs({2, 3}, 3), {{"training", 1}},
                        rt, at});

  const TensorType c3 = F({3});
  c.Add(ErrorCase{op, "weight of the wrong length", {F({2, 3, 4}), F({4}), c3, c3, c3}, {},
                  ErrorCode::kShape, {"weight", "(3,)", "(4,)"}});
  c.Add(ErrorCase{op, "rank 1 input", {F({3}), c3, c3, c3, c3}, {}, ErrorCode::kShape,
                  {"rank >= 2", "(3,)"}});
  c.Add(ErrorCase{op, "one value per channel in training", {F({1, 3}), c3, c3, c3, c3},
                  {{"training", 1}}, ErrorCode::kShape,
                  {"more than 1 value per channel", "(1, 3)"}});
  c.Add(ErrorCase{op, "momentum above 1", {F({2, 3}), c3, c3, c3, c3}, {{"momentum", 1.5}},
                  ErrorCode::kAttribute, {"momentum", "1.5"}});
  c.Add(ErrorCase{op, "negative eps", {F({2, 3}), c3, c3, c3, c3}, {{"eps", -1.0}},
                  ErrorCode::kAttribute, {"eps", "-1"}});
  c.Add(ErrorCase{op, "running_var dtype differs", {F({2, 3}), c3, c3, c3, T(DType::kF64, {3})},
                  {}, ErrorCode::kType, {"f64[3]"}});
  c.Add(ErrorCase{op, "four inputs", {F({2, 3}), c3, c3, c3}, {}, ErrorCode::kGraph, {"got 4"}});
  Tensor ones = Tensor::FromVector<float>({3}, {1, 1, 1});
  Tensor x13 = Tensor::FromVector<float>({1, 3}, {1, 2, 3});
  c.Add(ErrorCase{op, "one value per channel at run time",
                  {F(Shape{Dim::Symbol("N"), 3}), c3, c3, c3, c3}, {{"training", 1}},
                  ErrorCode::kShape, {"more than 1 value per channel", "(1, 3)"},
                  std::vector<Tensor>{x13, ones, ones, ones, ones}});
}

void LayerNormCases(OpCases& c) {
  const char* op = "layer_norm";
  c.FreezeId(op, 611);
  const double rt = 1e-4, at = 1e-5;
  c.Add(ConformanceCase{op, "no affine", {F32({4, 16})}, {}, rt, at});
  c.Add(ConformanceCase{op, "weight and bias", {F32({3, 5, 32}), F32({32}), F32({32})}, {}, rt,
                        at});
  c.Add(ConformanceCase{op, "weight only", {F32({6, 20}), F32({20})}, {}, rt, at});
  c.Add(ConformanceCase{op, "two normalized dims", {F32({4, 6, 10}), F32({6, 10}), F32({6, 10})},
                        {{"normalized_ndim", 2}}, rt, at});
  c.Add(ConformanceCase{op, "all dims", {F32({3, 7})}, {{"normalized_ndim", 2}, {"eps", 1e-3}},
                        rt, at});
  c.Add(ConformanceCase{op, "odd row length", {F32({100, 37}), F32({37}), F32({37})}, {}, rt, at});
  c.Add(ConformanceCase{op, "size-1 rows", {F32({5, 1})}, {}, rt, at});
  c.Add(ConformanceCase{op, "shifted data", {Uniform(DType::kF32, {8, 300}, 100, 101)}, {}, rt,
                        at});
  c.Add(ConformanceCase{op, "empty rows", {F32({0, 8}), F32({8}), F32({8})}, {}, rt, at});
  c.Add(ConformanceCase{op, "long rows", {F32({3, 5000})}, {}, rt, at});
  c.Add(ConformanceCase{op, "large", {F32({256, 1024}), F32({1024}), F32({1024})}, {}, rt, at});

  c.Add(ErrorCase{op, "normalized_ndim above rank", {F({4, 5})}, {{"normalized_ndim", 3}},
                  ErrorCode::kShape, {"normalized_ndim 3", "(4, 5)"}});
  c.Add(ErrorCase{op, "weight shape", {F({4, 5}), F({4})}, {}, ErrorCode::kShape,
                  {"(5,)", "(4,)"}});
  c.Add(ErrorCase{op, "bias shape", {F({2, 4, 5}), F({4, 5}), F({5})}, {{"normalized_ndim", 2}},
                  ErrorCode::kShape, {"bias", "(4, 5)", "(5,)"}});
  c.Add(ErrorCase{op, "zero normalized_ndim", {F({4, 5})}, {{"normalized_ndim", 0}},
                  ErrorCode::kAttribute, {"normalized_ndim", "0"}});
  c.Add(ErrorCase{op, "integer input", {T(DType::kI32, {4, 5})}, {}, ErrorCode::kType, {"i32"}});
  c.Add(ErrorCase{op, "weight dtype", {F({4, 5}), T(DType::kF64, {5})}, {}, ErrorCode::kType,
                  {"f64[5]"}});
}

void AttentionCases(OpCases& c) {
  const char* op = "scaled_dot_product_attention";
  c.FreezeId(op, 620);
  const double rt = 1e-4, at = 1e-5;
  const AttrMap causal{{"causal", 1}};
  c.Add(ConformanceCase{op, "basic", Qkv({2, 3, 5, 8}, {2, 3, 7, 8}, {2, 3, 7, 6}), {}, rt, at});
  c.Add(ConformanceCase{op, "no batch dims", Qkv({5, 8}, {7, 8}, {7, 4}), {}, rt, at});
  c.Add(ConformanceCase{op, "odd feature sizes", Qkv({2, 9, 5}, {2, 11, 5}, {2, 11, 3}), {}, rt,
                        at});
  c.Add(ConformanceCase{op, "causal square", Qkv({1, 2, 19, 16}, {1, 2, 19, 16}, {1, 2, 19, 16}),
                        causal, rt, at});
  c.Add(ConformanceCase{op, "causal more queries", Qkv({2, 21, 8}, {2, 6, 8}, {2, 6, 8}), causal,
                        rt, at});
  c.Add(ConformanceCase{op, "causal more keys", Qkv({2, 6, 8}, {2, 21, 8}, {2, 21, 8}), causal,
                        rt, at});
  c.Add(ConformanceCase{op, "bool mask broadcast",
                        Qkv({2, 3, 5, 8}, {2, 3, 7, 8}, {2, 3, 7, 6}, Bools({2, 1, 5, 7})), {},
                        rt, at});
  c.Add(ConformanceCase{op, "float mask broadcast",
                        Qkv({2, 3, 5, 8}, {2, 3, 7, 8}, {2, 3, 7, 6}, F32({5, 7})), {}, rt, at});
  c.Add(ConformanceCase{op, "mask broadcast along rows",
                        Qkv({2, 3, 5, 8}, {2, 3, 7, 8}, {2, 3, 7, 6}, Bools({2, 3, 1, 7})), {},
                        rt, at});
  c.Add(ConformanceCase{op, "explicit scale", Qkv({2, 5, 8}, {2, 7, 8}, {2, 7, 6}),
                        {{"scale", 0.5}}, rt, at});
  c.Add(ConformanceCase{op, "batch broadcast", Qkv({2, 3, 4, 8}, {3, 6, 8}, {1, 3, 6, 5}), {}, rt,
                        at});
  c.Add(ConformanceCase{op, "fully masked rows",
                        Qkv({2, 5, 8}, {2, 7, 8}, {2, 7, 6}, Given(MaskWithEmptyRows())), {}, rt,
                        at});
  c.Add(ConformanceCase{op, "causal and mask",
                        Qkv({2, 7, 8}, {2, 7, 8}, {2, 7, 6}, Bools({2, 7, 7})), causal, rt, at});
  c.Add(ConformanceCase{op, "empty keys", Qkv({2, 3, 8}, {2, 0, 8}, {2, 0, 4}), {}, rt, at});
  c.Add(ConformanceCase{op, "empty queries", Qkv({2, 0, 8}, {2, 5, 8}, {2, 5, 4}), {}, rt, at});
  c.Add(ConformanceCase{op, "empty features", Qkv({2, 3, 0}, {2, 5, 0}, {2, 5, 4}), {}, rt, at});
  c.Add(ConformanceCase{op, "large", Qkv({4, 4, 128, 64}, {4, 4, 128, 64}, {4, 4, 128, 64}), {},
                        rt, at});
  // Keys transposed in 16 x 16 blocks (gathered a vector at a time below AVX-512) plus a tail;
  // 5 problems of 3 row blocks, whole problems per task at 2 threads (kernels/cpu/nn_attention.cc).
  c.Add(ConformanceCase{op, "key tail, whole problems per task",
                        Qkv({5, 70, 24}, {5, 37, 24}, {5, 37, 20}), {}, rt, at});
  c.Add(ConformanceCase{op, "large causal float mask",
                        Qkv({2, 4, 96, 64}, {2, 4, 96, 64}, {2, 4, 96, 64}, F32({96, 96})),
                        causal, rt, at});

  c.Add(ErrorCase{op, "feature dims differ", {F({2, 5, 8}), F({2, 7, 4}), F({2, 7, 6})}, {},
                  ErrorCode::kShape, {"(2, 5, 8)", "(2, 7, 4)"}});
  c.Add(ErrorCase{op, "key and value lengths differ", {F({2, 5, 8}), F({2, 7, 8}), F({2, 6, 6})},
                  {}, ErrorCode::kShape, {"(2, 7, 8)", "(2, 6, 6)"}});
  c.Add(ErrorCase{op, "mask does not broadcast",
                  {F({2, 5, 8}), F({2, 7, 8}), F({2, 7, 6}), T(DType::kBool, {3, 7})}, {},
                  ErrorCode::kShape, {"(3, 7)", "(2, 5, 7)"}});
  c.Add(ErrorCase{op, "integer mask",
                  {F({2, 5, 8}), F({2, 7, 8}), F({2, 7, 6}), T(DType::kI32, {5, 7})}, {},
                  ErrorCode::kType, {"i32[5, 7]"}});
  c.Add(ErrorCase{op, "bad causal", {F({5, 8}), F({7, 8}), F({7, 6})}, {{"causal", 2}},
                  ErrorCode::kAttribute, {"causal", "2"}});
  c.Add(ErrorCase{op, "rank 1 query", {F({8}), F({7, 8}), F({7, 6})}, {}, ErrorCode::kShape,
                  {"q", "(8,)"}});
  c.Add(ErrorCase{op, "value dtype", {F({5, 8}), F({7, 8}), T(DType::kF64, {7, 6})}, {},
                  ErrorCode::kType, {"f64[7, 6]"}});
  c.Add(ErrorCase{op, "batch dims do not broadcast", {F({2, 5, 8}), F({3, 7, 8}), F({3, 7, 6})},
                  {}, ErrorCode::kShape, {"(2, 5, 8)", "(3, 7, 8)"}});
}

}  // namespace

BRONZE_OP_CASES(nn) {
  MaxPoolCases(c);
  AvgPoolCases(c);
  AdaptiveCases(c);
  BatchNormCases(c);
  LayerNormCases(c);
  AttentionCases(c);
}

}  // namespace bronze::testing
