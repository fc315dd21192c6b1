// Test cases of the linear-algebra ops (graph/ops/linalg.cc): matmul with batch broadcasting,
// 1-D operands and transposed operands, linear with and without bias, conv2d and
// conv_transpose2d with stride, padding (symmetric, per side, 'same', 'valid'), dilation, groups
// and output_padding; large cases that cut the work into several chunks (M, N, batch groups,
// images, channel blocks, groups); conv2d_backward_weight (conv2d's weight gradient) over the
// same geometries; error cases; frozen ids.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

TensorType T(DType d, Shape s) { return TensorType{d, std::move(s)}; }
Attribute Pair(int64_t h, int64_t w) { return Attribute(std::vector<int64_t>{h, w}); }
Attribute Four(int64_t t, int64_t l, int64_t b, int64_t r) {
  return Attribute(std::vector<int64_t>{t, l, b, r});
}
constexpr DType kF32 = DType::kF32;

void MatmulCases(OpCases& c) {
  c.FreezeId("matmul", 300);
  c.Add(ConformanceCase{"matmul", "2d", {F32({5, 7}), F32({7, 3})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "batched broadcast", {F32({2, 1, 4, 6}), F32({3, 6, 5})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "vector times matrix", {F32({6}), F32({6, 4})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "matrix times vector", {F32({3, 6}), F32({6})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "vector dot vector", {F32({9}), F32({9})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "size-1 dims", {F32({1, 1, 1}), F32({1, 1})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "empty k", {F32({3, 0}), F32({0, 4})}, {}});
  c.Add(ConformanceCase{"matmul", "empty batch", {F32({0, 3, 4}), F32({4, 5})}, {}});
  c.Add(ConformanceCase{"matmul", "empty broadcast batch", {F32({0, 3, 4}), F32({2, 1, 4, 5})}, {}});
  c.Add(ConformanceCase{"matmul", "a broadcast over b batch", {F32({16, 32}), F32({6, 32, 24})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "vector times batched", {F32({32}), F32({5, 32, 7})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "batched times vector", {F32({4, 5, 32}), F32({32})}, {}, 1e-5, 1e-5});
  // Large: M split, N split (M = 1), whole products, batch groups with a tail group.
  c.Add(ConformanceCase{"matmul", "large M split", {F32({600, 256}), F32({256, 300})}, {}, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "large N split", {F32({2, 512}), F32({512, 1200})}, {}, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "large vector times matrix", {F32({1024}), F32({1024, 300})}, {}, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "large batched", {F32({8, 64, 128}), F32({8, 128, 200})}, {}, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "batch groups with tail", {F32({41, 24, 64}), F32({41, 64, 24})}, {}, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "broadcast batch large", {F32({4, 1, 64, 128}), F32({3, 128, 96})}, {}, 1e-4, 1e-4});
  // transpose_a / transpose_b: the operands read in place (oneDNN strides / sgemm 'T').
  const AttrMap ta = {{"transpose_a", 1}}, tb = {{"transpose_b", 1}};
  const AttrMap tab = {{"transpose_a", 1}, {"transpose_b", 1}};
  c.Add(ConformanceCase{"matmul", "transpose_a", {F32({7, 5}), F32({7, 3})}, ta, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "transpose_b", {F32({5, 7}), F32({3, 7})}, tb, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "both transposed", {F32({7, 5}), F32({3, 7})}, tab, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "transpose flags 0", {F32({5, 7}), F32({7, 3})},
                        {{"transpose_a", 0}, {"transpose_b", 0}}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "transpose_a batched broadcast", {F32({2, 1, 6, 4}), F32({3, 6, 5})}, ta, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "transpose_b batched broadcast", {F32({2, 1, 4, 6}), F32({3, 5, 6})}, tb, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "transpose_a batched b unbatched", {F32({3, 6, 4}), F32({6, 5})}, ta, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "transpose_b with vector a", {F32({6}), F32({4, 6})}, tb, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "transpose_a with vector b", {F32({6, 3}), F32({6})}, ta, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "transposed size-1 dims", {F32({1, 1, 1}), F32({1, 1})}, tab, 1e-5, 1e-5});
  c.Add(ConformanceCase{"matmul", "transpose_a empty k", {F32({0, 3}), F32({0, 4})}, ta});
  c.Add(ConformanceCase{"matmul", "large transpose_a M split", {F32({128, 600}), F32({128, 300})}, ta, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "large transpose_a N split", {F32({128, 200}), F32({128, 1100})}, ta, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "large transpose_b", {F32({2, 512}), F32({1200, 512})}, tb, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "large batched both transposed", {F32({8, 128, 64}), F32({8, 200, 128})}, tab, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "large transpose_a batch groups", {F32({41, 64, 24}), F32({41, 64, 24})}, ta, 1e-4, 1e-4});
  c.Add(ConformanceCase{"matmul", "i32 transposed", {Ints(DType::kI32, {4, 3}, -9, 9), Ints(DType::kI32, {2, 4}, -9, 9)}, tab});
  c.Add(ConformanceCase{"matmul", "i64", {Ints(DType::kI64, {3, 4}, -3, 4), Ints(DType::kI64, {4, 2}, -3, 4)}, {}});
  c.Add(ConformanceCase{"matmul", "i32 batched", {Ints(DType::kI32, {2, 3, 4}, -9, 9), Ints(DType::kI32, {4, 5}, -9, 9)}, {}});
  c.Add(ErrorCase{"matmul", "contraction mismatch", {T(kF32, {2, 3}), T(kF32, {4, 5})}, {},
                  ErrorCode::kShape, {"(2, 3)", "(4, 5)"}});
  c.Add(ErrorCase{"matmul", "scalar operand", {T(kF32, {}), T(kF32, {4, 5})}, {},
                  ErrorCode::kShape, {"()", "rank"}});
  c.Add(ErrorCase{"matmul", "batch dims do not broadcast", {T(kF32, {2, 3, 4}), T(kF32, {5, 4, 2})}, {},
                  ErrorCode::kShape, {"(2,)", "(5,)"}});
  c.Add(ErrorCase{"matmul", "dtypes differ", {T(kF32, {2, 3}), T(DType::kF64, {3, 2})}, {},
                  ErrorCode::kType, {"f32[2, 3]", "f64[3, 2]"}});
  c.Add(ErrorCase{"matmul", "transposed contraction mismatch", {T(kF32, {2, 3}), T(kF32, {3, 4})},
                  {{"transpose_a", 1}}, ErrorCode::kShape, {"(2, 3) (transposed)", "K = 2", "K = 3"}});
  c.Add(ErrorCase{"matmul", "transpose_a of a vector", {T(kF32, {3}), T(kF32, {3, 4})},
                  {{"transpose_a", 1}}, ErrorCode::kShape, {"transpose_a", "rank >= 2", "(3,)"}});
  c.Add(ErrorCase{"matmul", "transpose_b of a vector", {T(kF32, {4, 3}), T(kF32, {3})},
                  {{"transpose_b", 1}}, ErrorCode::kShape, {"transpose_b", "rank >= 2", "(3,)"}});
  c.Add(ErrorCase{"matmul", "transpose flag not 0 or 1", {T(kF32, {2, 3}), T(kF32, {3, 4})},
                  {{"transpose_b", 2}}, ErrorCode::kAttribute, {"transpose_b", "0 or 1", "2"}});
}

void LinearCases(OpCases& c) {
  c.FreezeId("linear", 301);
  c.Add(ConformanceCase{"linear", "2d with bias", {F32({5, 7}), F32({3, 7}), F32({3})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"linear", "no bias", {F32({4, 6}), F32({5, 6})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"linear", "3d input", {F32({2, 3, 8}), F32({4, 8}), F32({4})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"linear", "1d input", {F32({6}), F32({3, 6}), F32({3})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"linear", "size-1 dims", {F32({1, 1, 5}), F32({1, 5}), F32({1})}, {}, 1e-5, 1e-5});
  c.Add(ConformanceCase{"linear", "empty rows", {F32({0, 4}), F32({3, 4}), F32({3})}, {}});
  c.Add(ConformanceCase{"linear", "empty in_features", {F32({3, 0}), F32({2, 0}), F32({2})}, {}});
  c.Add(ConformanceCase{"linear", "large", {F32({256, 512}), F32({384, 512}), F32({384})}, {}, 1e-4, 1e-4});
  c.Add(ConformanceCase{"linear", "large one row", {F32({1, 1024}), F32({1000, 1024}), F32({1000})}, {}, 1e-4, 1e-4});
  c.Add(ConformanceCase{"linear", "large batched rows", {F32({4, 50, 256}), F32({600, 256})}, {}, 1e-4, 1e-4});
  c.Add(ErrorCase{"linear", "in_features mismatch", {T(kF32, {2, 5}), T(kF32, {3, 4})}, {},
                  ErrorCode::kShape, {"(2, 5)", "(3, 4)", "in_features"}});
  c.Add(ErrorCase{"linear", "weight not 2-D", {T(kF32, {2, 4}), T(kF32, {4})}, {},
                  ErrorCode::kShape, {"(4,)", "(out_features, in_features)"}});
  c.Add(ErrorCase{"linear", "bias shape", {T(kF32, {2, 4}), T(kF32, {3, 4}), T(kF32, {4})}, {},
                  ErrorCode::kShape, {"bias (4,)", "(3,)", "(3, 4)"}});
  c.Add(ErrorCase{"linear", "scalar input", {T(kF32, {}), T(kF32, {3, 4})}, {},
                  ErrorCode::kShape, {"()", "rank"}});
  c.Add(ErrorCase{"linear", "dtypes differ", {T(kF32, {2, 4}), T(DType::kF64, {3, 4})}, {},
                  ErrorCode::kType, {"f32[2, 4]", "f64[3, 4]"}});
  c.Add(ErrorCase{"linear", "integer dtype", {T(DType::kI32, {2, 4}), T(DType::kI32, {3, 4})}, {},
                  ErrorCode::kType, {"i32"}});
}

void Conv2dCases(OpCases& c) {
  c.FreezeId("conv2d", 310);
  const double r = 1e-4, a = 1e-4;
  c.Add(ConformanceCase{"conv2d", "3x3 with bias", {F32({2, 3, 8, 8}), F32({4, 3, 3, 3}), F32({4})}, {}, r, a});
  c.Add(ConformanceCase{"conv2d", "stride 2 padding 1", {F32({2, 4, 9, 7}), F32({6, 4, 3, 3})},
                        {{"stride", Pair(2, 2)}, {"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "per-side padding", {F32({1, 2, 6, 5}), F32({3, 2, 3, 2}), F32({3})},
                        {{"padding", Four(1, 0, 2, 1)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "dilation", {F32({2, 3, 10, 9}), F32({2, 3, 3, 3})},
                        {{"dilation", Pair(2, 1)}, {"padding", Pair(2, 1)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "stride and dilation", {F32({1, 2, 11, 12}), F32({3, 2, 2, 3}), F32({3})},
                        {{"dilation", Pair(3, 2)}, {"stride", Pair(2, 3)}, {"padding", Pair(1, 0)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "groups 2", {F32({1, 4, 6, 6}), F32({6, 2, 3, 3}), F32({6})},
                        {{"groups", 2}}, r, a});
  c.Add(ConformanceCase{"conv2d", "depthwise", {F32({2, 8, 10, 10}), F32({8, 1, 3, 3})},
                        {{"groups", 8}, {"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "depthwise multiplier", {F32({1, 3, 7, 7}), F32({6, 1, 3, 3}), F32({6})},
                        {{"groups", 3}, {"stride", Pair(2, 2)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "same odd kernel", {F32({1, 3, 7, 6}), F32({4, 3, 3, 5})},
                        {{"auto_pad", "same"}}, r, a});
  c.Add(ConformanceCase{"conv2d", "same even kernel dilated", {F32({2, 3, 7, 6}), F32({2, 3, 4, 2}), F32({2})},
                        {{"auto_pad", "same"}, {"dilation", Pair(1, 2)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "valid", {F32({1, 3, 7, 6}), F32({4, 3, 3, 3})},
                        {{"auto_pad", "valid"}, {"stride", Pair(2, 1)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "unbatched", {F32({3, 7, 7}), F32({5, 3, 3, 3}), F32({5})},
                        {{"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "stride larger than kernel", {F32({1, 2, 5, 5}), F32({3, 2, 1, 1})},
                        {{"stride", Pair(3, 3)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "1x1", {F32({2, 16, 5, 5}), F32({32, 16, 1, 1}), F32({32})}, {}, r, a});
  c.Add(ConformanceCase{"conv2d", "7x7 stride 2 three channels", {F32({1, 3, 30, 30}), F32({16, 3, 7, 7})},
                        {{"stride", Pair(2, 2)}, {"padding", Pair(3, 3)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "size-1 dims", {F32({1, 1, 1, 1}), F32({1, 1, 1, 1}), F32({1})}, {}, r, a});
  c.Add(ConformanceCase{"conv2d", "empty batch", {F32({0, 3, 5, 5}), F32({2, 3, 3, 3}), F32({2})}, {}, r, a});
  // Large: images per chunk, output-channel blocks with the input staged once, both (weights
  // staged too), group blocks.
  c.Add(ConformanceCase{"conv2d", "large batch", {F32({32, 8, 20, 20}), F32({16, 8, 3, 3}), F32({16})},
                        {{"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "large channel blocks", {F32({1, 32, 40, 40}), F32({64, 32, 3, 3}), F32({64})},
                        {{"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "large images and channel blocks", {F32({2, 32, 40, 40}), F32({96, 32, 3, 3})},
                        {{"padding", Pair(1, 1)}, {"stride", Pair(1, 2)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "large batch, weights staged in parts", {F32({16, 16, 8, 8}), F32({128, 16, 3, 3})},
                        {{"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "large 1x1 as a GEMM", {F32({1, 64, 40, 40}), F32({96, 64, 1, 1}), F32({96})}, {}, r, a});
  c.Add(ConformanceCase{"conv2d", "large strided 1x1", {F32({2, 128, 28, 28}), F32({256, 128, 1, 1})},
                        {{"stride", Pair(2, 2)}}, r, a});
  c.Add(ConformanceCase{"conv2d", "large groups", {F32({2, 32, 48, 48}), F32({64, 8, 3, 3}), F32({64})},
                        {{"groups", 4}, {"padding", Pair(1, 1)}}, r, a});
  c.Add(ErrorCase{"conv2d", "channel mismatch", {T(kF32, {1, 3, 8, 8}), T(kF32, {4, 2, 3, 3})}, {},
                  ErrorCode::kShape, {"(1, 3, 8, 8)", "(4, 2, 3, 3)", "3 channels", "expects 2 * 1 = 2"}});
  c.Add(ErrorCase{"conv2d", "dilated kernel larger than padded input", {T(kF32, {1, 1, 4, 6}), T(kF32, {1, 1, 3, 3})},
                  {{"dilation", Pair(2, 1)}}, ErrorCode::kShape,
                  {"dilated kernel height 5", "padded input height 4", "(1, 1, 4, 6)"}});
  c.Add(ErrorCase{"conv2d", "groups do not divide output channels", {T(kF32, {1, 4, 5, 5}), T(kF32, {3, 2, 3, 3})},
                  {{"groups", 2}}, ErrorCode::kShape, {"(3, 2, 3, 3)", "3 output channels", "groups 2"}});
  c.Add(ErrorCase{"conv2d", "bad stride", {T(kF32, {1, 1, 5, 5}), T(kF32, {1, 1, 3, 3})},
                  {{"stride", Pair(0, 1)}}, ErrorCode::kAttribute, {"stride", "[0, 1]"}});
  c.Add(ErrorCase{"conv2d", "bad groups", {T(kF32, {1, 1, 5, 5}), T(kF32, {1, 1, 3, 3})},
                  {{"groups", 0}}, ErrorCode::kAttribute, {"groups", "0"}});
  c.Add(ErrorCase{"conv2d", "same with stride", {T(kF32, {1, 1, 5, 5}), T(kF32, {1, 1, 3, 3})},
                  {{"auto_pad", "same"}, {"stride", Pair(2, 2)}}, ErrorCode::kAttribute, {"same", "[2, 2]"}});
  c.Add(ErrorCase{"conv2d", "unknown auto_pad", {T(kF32, {1, 1, 5, 5}), T(kF32, {1, 1, 3, 3})},
                  {{"auto_pad", "full"}}, ErrorCode::kAttribute, {"auto_pad", "\"full\""}});
  c.Add(ErrorCase{"conv2d", "padding with auto_pad", {T(kF32, {1, 1, 5, 5}), T(kF32, {1, 1, 3, 3})},
                  {{"auto_pad", "valid"}, {"padding", Pair(1, 1)}}, ErrorCode::kAttribute, {"[1, 1]", "valid"}});
  c.Add(ErrorCase{"conv2d", "padding of 3 values", {T(kF32, {1, 1, 5, 5}), T(kF32, {1, 1, 3, 3})},
                  {{"padding", Attribute(std::vector<int64_t>{1, 1, 1})}}, ErrorCode::kAttribute, {"padding", "[1, 1, 1]"}});
  c.Add(ErrorCase{"conv2d", "input rank 5", {T(kF32, {1, 1, 1, 5, 5}), T(kF32, {1, 1, 3, 3})}, {},
                  ErrorCode::kShape, {"(1, 1, 1, 5, 5)", "(N, C, H, W)"}});
  c.Add(ErrorCase{"conv2d", "input rank 2", {T(kF32, {5, 5}), T(kF32, {1, 1, 3, 3})}, {},
                  ErrorCode::kShape, {"(5, 5)", "(N, C, H, W)"}});
  c.Add(ErrorCase{"conv2d", "weight rank", {T(kF32, {1, 2, 5, 5}), T(kF32, {1, 2, 3})}, {},
                  ErrorCode::kShape, {"(1, 2, 3)", "(C_out, C_in/groups, kH, kW)"}});
  c.Add(ErrorCase{"conv2d", "bias shape", {T(kF32, {1, 2, 5, 5}), T(kF32, {4, 2, 3, 3}), T(kF32, {2})}, {},
                  ErrorCode::kShape, {"bias (2,)", "(4,)"}});
  c.Add(ErrorCase{"conv2d", "empty height", {T(kF32, {1, 2, 0, 5}), T(kF32, {4, 2, 1, 1})}, {},
                  ErrorCode::kShape, {"(1, 2, 0, 5)", "positive"}});
  c.Add(ErrorCase{"conv2d", "overflowing padded height", {T(kF32, {1, 1, int64_t{1} << 62, 1}), T(kF32, {1, 1, 1, 1})},
                  {{"padding", Pair(int64_t{1} << 62, 0)}}, ErrorCode::kShape, {"padded input height", "overflows"}});
  c.Add(ErrorCase{"conv2d", "symbolic height with stride",
                  {T(kF32, Shape{Dim::Symbol("N"), 3, Dim::Symbol("H"), 8}), T(kF32, {4, 3, 3, 3})},
                  {{"stride", Pair(2, 2)}, {"padding", Pair(1, 1)}}, ErrorCode::kShape, {"height H", "symbolic", "(N, 3, H, 8)"}});
  c.Add(ErrorCase{"conv2d", "integer dtype", {T(DType::kI64, {1, 1, 5, 5}), T(DType::kI64, {1, 1, 3, 3})}, {},
                  ErrorCode::kType, {"i64"}});
}

void ConvTranspose2dCases(OpCases& c) {
  c.FreezeId("conv_transpose2d", 311);
  const double r = 1e-4, a = 1e-4;
  const char* op = "conv_transpose2d";
  c.Add(ConformanceCase{op, "3x3 with bias", {F32({2, 4, 5, 5}), F32({4, 3, 3, 3}), F32({3})}, {}, r, a});
  c.Add(ConformanceCase{op, "stride 2 padding 1 output_padding 1", {F32({1, 4, 4, 5}), F32({4, 2, 3, 3})},
                        {{"stride", Pair(2, 2)}, {"padding", Pair(1, 1)}, {"output_padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{op, "dilation and output_padding", {F32({2, 3, 5, 4}), F32({3, 2, 3, 2}), F32({2})},
                        {{"dilation", Pair(2, 2)}, {"stride", Pair(1, 2)}, {"output_padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{op, "groups 3", {F32({2, 6, 4, 4}), F32({6, 2, 3, 3}), F32({6})},
                        {{"groups", 3}, {"stride", Pair(2, 1)}}, r, a});
  c.Add(ConformanceCase{op, "depthwise", {F32({2, 5, 6, 6}), F32({5, 1, 3, 3})},
                        {{"groups", 5}, {"stride", Pair(2, 2)}, {"padding", Pair(1, 1)}, {"output_padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{op, "per-side padding", {F32({1, 2, 5, 4}), F32({2, 3, 3, 4})},
                        {{"padding", Four(1, 0, 0, 2)}, {"stride", Pair(2, 2)}}, r, a});
  c.Add(ConformanceCase{op, "stride larger than kernel", {F32({1, 2, 3, 3}), F32({2, 2, 2, 2}), F32({2})},
                        {{"stride", Pair(3, 3)}}, r, a});
  c.Add(ConformanceCase{op, "unbatched", {F32({3, 4, 4}), F32({3, 2, 2, 2})}, {{"stride", Pair(2, 2)}}, r, a});
  c.Add(ConformanceCase{op, "size-1 dims", {F32({1, 1, 1, 1}), F32({1, 1, 1, 1}), F32({1})}, {}, r, a});
  c.Add(ConformanceCase{op, "empty batch", {F32({0, 3, 4, 4}), F32({3, 2, 3, 3})}, {}, r, a});
  c.Add(ConformanceCase{op, "large channel blocks", {F32({1, 64, 20, 20}), F32({64, 64, 4, 4}), F32({64})},
                        {{"stride", Pair(2, 2)}, {"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{op, "large batch", {F32({16, 16, 12, 12}), F32({16, 8, 3, 3}), F32({8})},
                        {{"stride", Pair(2, 2)}, {"output_padding", Pair(1, 0)}}, r, a});
  c.Add(ConformanceCase{op, "large batch, weights staged in parts", {F32({16, 128, 4, 4}), F32({128, 128, 3, 3}), F32({128})},
                        {{"stride", Pair(2, 2)}}, r, a});
  c.Add(ConformanceCase{op, "large groups", {F32({2, 32, 24, 24}), F32({32, 8, 3, 3})},
                        {{"groups", 4}, {"stride", Pair(2, 2)}, {"padding", Pair(1, 1)}, {"output_padding", Pair(1, 1)}}, r, a});
  c.Add(ErrorCase{op, "output_padding not smaller than stride or dilation", {T(kF32, {1, 2, 4, 4}), T(kF32, {2, 2, 3, 3})},
                  {{"stride", Pair(2, 2)}, {"output_padding", Pair(2, 0)}}, ErrorCode::kAttribute,
                  {"output_padding [2, 0]", "stride [2, 2]", "dilation [1, 1]"}});
  c.Add(ErrorCase{op, "channel mismatch", {T(kF32, {1, 3, 4, 4}), T(kF32, {4, 2, 3, 3})}, {},
                  ErrorCode::kShape, {"(1, 3, 4, 4)", "(4, 2, 3, 3)", "3 channels"}});
  c.Add(ErrorCase{op, "groups do not divide input channels", {T(kF32, {1, 6, 4, 4}), T(kF32, {6, 2, 3, 3})},
                  {{"groups", 4}}, ErrorCode::kShape, {"input channels 6", "groups 4"}});
  c.Add(ErrorCase{op, "output not positive", {T(kF32, {1, 1, 1, 3}), T(kF32, {1, 1, 1, 1})},
                  {{"padding", Pair(1, 0)}}, ErrorCode::kShape, {"output height -1", "not positive", "(1, 1, 1, 3)"}});
  c.Add(ErrorCase{op, "bad dilation", {T(kF32, {1, 1, 4, 4}), T(kF32, {1, 1, 3, 3})},
                  {{"dilation", Pair(1, 0)}}, ErrorCode::kAttribute, {"dilation", "[1, 0]"}});
  c.Add(ErrorCase{op, "negative padding", {T(kF32, {1, 1, 4, 4}), T(kF32, {1, 1, 3, 3})},
                  {{"padding", Pair(-1, 0)}}, ErrorCode::kAttribute, {"padding", "[-1, 0]"}});
  c.Add(ErrorCase{op, "bias shape", {T(kF32, {1, 4, 4, 4}), T(kF32, {4, 3, 3, 3}), T(kF32, {4})}, {},
                  ErrorCode::kShape, {"bias (4,)", "(3,)"}});
  c.Add(ErrorCase{op, "overflowing output", {T(kF32, {1, 1, int64_t{1} << 62, 1}), T(kF32, {1, 1, 1, 1})},
                  {{"stride", Pair(4, 1)}}, ErrorCode::kShape, {"output height", "overflows"}});
}

void Conv2dBackwardWeightCases(OpCases& c) {
  const char* op = "conv2d_backward_weight";
  c.FreezeId(op, 312);
  const double r = 1e-4, a = 1e-4;
  auto ws = [](int64_t o, int64_t i, int64_t h, int64_t w) {
    return Attribute(std::vector<int64_t>{o, i, h, w});
  };
  c.Add(ConformanceCase{op, "3x3", {F32({2, 3, 8, 8}), F32({2, 4, 6, 6})}, {{"weight_shape", ws(4, 3, 3, 3)}}, r, a});
  c.Add(ConformanceCase{op, "stride 2 padding 1", {F32({2, 4, 9, 7}), F32({2, 6, 5, 4})},
                        {{"weight_shape", ws(6, 4, 3, 3)}, {"stride", Pair(2, 2)}, {"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{op, "dilation", {F32({2, 3, 10, 9}), F32({2, 2, 10, 9})},
                        {{"weight_shape", ws(2, 3, 3, 3)}, {"dilation", Pair(2, 1)}, {"padding", Pair(2, 1)}}, r, a});
  c.Add(ConformanceCase{op, "groups 2", {F32({1, 4, 6, 6}), F32({1, 6, 4, 4})},
                        {{"weight_shape", ws(6, 2, 3, 3)}, {"groups", 2}}, r, a});
  c.Add(ConformanceCase{op, "depthwise", {F32({2, 8, 10, 10}), F32({2, 8, 10, 10})},
                        {{"weight_shape", ws(8, 1, 3, 3)}, {"groups", 8}, {"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{op, "same even kernel dilated", {F32({2, 3, 7, 6}), F32({2, 2, 7, 6})},
                        {{"weight_shape", ws(2, 3, 4, 2)}, {"auto_pad", "same"}, {"dilation", Pair(1, 2)}}, r, a});
  c.Add(ConformanceCase{op, "per-side padding", {F32({1, 2, 6, 5}), F32({1, 3, 7, 5})},
                        {{"weight_shape", ws(3, 2, 3, 2)}, {"padding", Four(1, 0, 2, 1)}}, r, a});
  c.Add(ConformanceCase{op, "stride and dilation", {F32({1, 2, 11, 12}), F32({1, 3, 5, 3})},
                        {{"weight_shape", ws(3, 2, 2, 3)}, {"dilation", Pair(3, 2)}, {"stride", Pair(2, 3)}, {"padding", Pair(1, 0)}}, r, a});
  c.Add(ConformanceCase{op, "unbatched", {F32({3, 7, 7}), F32({5, 7, 7})},
                        {{"weight_shape", ws(5, 3, 3, 3)}, {"padding", Pair(1, 1)}}, r, a});
  c.Add(ConformanceCase{op, "stride larger than kernel", {F32({1, 2, 5, 5}), F32({1, 3, 2, 2})},
                        {{"weight_shape", ws(3, 2, 1, 1)}, {"stride", Pair(3, 3)}}, r, a});
  c.Add(ConformanceCase{op, "size-1 dims", {F32({1, 1, 1, 1}), F32({1, 1, 1, 1})}, {{"weight_shape", ws(1, 1, 1, 1)}}, r, a});
  c.Add(ConformanceCase{op, "empty batch", {F32({0, 3, 5, 5}), F32({0, 2, 3, 3})}, {{"weight_shape", ws(2, 3, 3, 3)}}, r, a});
  // Large: several image blocks summed in chunk order; output-channel and group blocks for a
  // single image; groups; 1x1.
  c.Add(ConformanceCase{op, "large batch", {F32({32, 8, 20, 20}), F32({32, 16, 20, 20})},
                        {{"weight_shape", ws(16, 8, 3, 3)}, {"padding", Pair(1, 1)}}, 1e-3, 1e-3});
  c.Add(ConformanceCase{op, "large groups", {F32({4, 32, 24, 24}), F32({4, 64, 24, 24})},
                        {{"weight_shape", ws(64, 8, 3, 3)}, {"groups", 4}, {"padding", Pair(1, 1)}}, 1e-3, 1e-3});
  c.Add(ConformanceCase{op, "large channel blocks", {F32({1, 32, 40, 40}), F32({1, 64, 40, 40})},
                        {{"weight_shape", ws(64, 32, 3, 3)}, {"padding", Pair(1, 1)}}, 1e-3, 1e-3});
  c.Add(ConformanceCase{op, "large group blocks", {F32({1, 32, 24, 24}), F32({1, 64, 24, 24})},
                        {{"weight_shape", ws(64, 8, 3, 3)}, {"groups", 4}, {"padding", Pair(1, 1)}}, 1e-3, 1e-3});
  c.Add(ConformanceCase{op, "large strided 1x1", {F32({8, 64, 14, 14}), F32({8, 96, 7, 7})},
                        {{"weight_shape", ws(96, 64, 1, 1)}, {"stride", Pair(2, 2)}}, 1e-3, 1e-3});
  c.Add(ErrorCase{op, "dy not the conv output", {T(kF32, {1, 3, 8, 8}), T(kF32, {1, 4, 5, 5})},
                  {{"weight_shape", ws(4, 3, 3, 3)}}, ErrorCode::kShape, {"(1, 4, 5, 5)", "(1, 4, 6, 6)", "(4, 3, 3, 3)"}});
  c.Add(ErrorCase{op, "weight_shape of 3 sizes", {T(kF32, {1, 3, 8, 8}), T(kF32, {1, 4, 6, 6})},
                  {{"weight_shape", Attribute(std::vector<int64_t>{4, 3, 3})}}, ErrorCode::kAttribute, {"weight_shape", "[4, 3, 3]"}});
  c.Add(ErrorCase{op, "weight_shape not positive", {T(kF32, {1, 3, 8, 8}), T(kF32, {1, 4, 6, 6})},
                  {{"weight_shape", ws(4, 3, 0, 3)}}, ErrorCode::kAttribute, {"weight_shape", "[4, 3, 0, 3]"}});
  c.Add(ErrorCase{op, "channel mismatch", {T(kF32, {1, 3, 8, 8}), T(kF32, {1, 4, 6, 6})},
                  {{"weight_shape", ws(4, 2, 3, 3)}}, ErrorCode::kShape, {"(1, 3, 8, 8)", "3 channels", "expects 2 * 1 = 2"}});
  c.Add(ErrorCase{op, "dtypes differ", {T(kF32, {1, 3, 8, 8}), T(DType::kF64, {1, 4, 6, 6})},
                  {{"weight_shape", ws(4, 3, 3, 3)}}, ErrorCode::kType, {"f32[1, 3, 8, 8]", "f64[1, 4, 6, 6]"}});
  c.Add(ErrorCase{op, "missing weight_shape", {T(kF32, {1, 3, 8, 8}), T(kF32, {1, 4, 6, 6})}, {},
                  ErrorCode::kAttribute, {"weight_shape"}});
}

}  // namespace

BRONZE_OP_CASES(linalg) {
  MatmulCases(c);
  LinearCases(c);
  Conv2dCases(c);
  ConvTranspose2dCases(c);
  Conv2dBackwardWeightCases(c);
}

}  // namespace bronze::testing
