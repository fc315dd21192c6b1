// Gradient cases of the linalg family (tests/ops/gradcheck_test.cc runs them): matmul plain,
// batched, broadcast batch dims, 1-D operands, size-1 dims and every transpose flag combination;
// linear with and without bias, with several leading dims and a 1-D input; conv2d and
// conv_transpose2d with stride, padding (symmetric, per side, 'same', 'valid'), dilation, groups,
// output_padding, unbatched inputs, size-1 dims, with and without bias.
#include "tests/ops/op_cases.h"

namespace bronze::testing {
namespace {

void MatmulGradCases(OpCases& c) {
  const char* op = "matmul";
  c.Add(GradCase{op, "plain", {F32({3, 4}), F32({4, 5})}});
  c.Add(GradCase{op, "batched", {F32({2, 3, 4}), F32({2, 4, 2})}});
  c.Add(GradCase{op, "broadcast", {F32({2, 1, 3, 4}), F32({3, 4, 2})}});
  c.Add(GradCase{op, "broadcast b over a's batch", {F32({3, 2, 4}), F32({4, 3})}});
  c.Add(GradCase{op, "broadcast a over b's batch", {F32({2, 4}), F32({3, 4, 2})}});
  c.Add(GradCase{op, "vector times matrix", {F32({4}), F32({4, 3})}});
  c.Add(GradCase{op, "matrix times vector", {F32({3, 4}), F32({4})}});
  c.Add(GradCase{op, "vector dot vector", {F32({5}), F32({5})}});
  c.Add(GradCase{op, "vector times batched", {F32({4}), F32({2, 4, 3})}});
  c.Add(GradCase{op, "batched times vector", {F32({2, 3, 4}), F32({4})}});
  c.Add(GradCase{op, "size-1 dims", {F32({1, 1, 3}), F32({2, 3, 1})}});
  const AttrMap ta = {{"transpose_a", 1}}, tb = {{"transpose_b", 1}};
  const AttrMap tab = {{"transpose_a", 1}, {"transpose_b", 1}};
  c.Add(GradCase{op, "transpose_a", {F32({4, 3}), F32({4, 5})}, ta});
  c.Add(GradCase{op, "transpose_b", {F32({3, 4}), F32({5, 4})}, tb});
  c.Add(GradCase{op, "both transposed", {F32({4, 3}), F32({5, 4})}, tab});
  c.Add(GradCase{op, "transpose_a broadcast", {F32({2, 1, 4, 3}), F32({3, 4, 2})}, ta});
  c.Add(GradCase{op, "transpose_b broadcast", {F32({2, 3, 4}), F32({2, 4})}, tb});
  c.Add(GradCase{op, "both transposed broadcast", {F32({4, 3}), F32({2, 5, 4})}, tab});
  c.Add(GradCase{op, "transpose_b with vector a", {F32({4}), F32({3, 4})}, tb});
  c.Add(GradCase{op, "transpose_a with vector b", {F32({4, 3}), F32({4})}, ta});
}

void LinearGradCases(OpCases& c) {
  const char* op = "linear";
  c.Add(GradCase{op, "plain", {F32({4, 5}), F32({3, 5}), F32({3})}});
  c.Add(GradCase{op, "no bias", {F32({4, 5}), F32({3, 5})}});
  c.Add(GradCase{op, "leading dims", {F32({2, 3, 4}), F32({5, 4}), F32({5})}});
  c.Add(GradCase{op, "1-D input", {F32({4}), F32({3, 4}), F32({3})}});
  c.Add(GradCase{op, "size-1 dims", {F32({1, 1, 1}), F32({1, 1}), F32({1})}});
}

Attribute Pair(int64_t h, int64_t w) { return Attribute(std::vector<int64_t>{h, w}); }
Attribute Four(int64_t t, int64_t l, int64_t b, int64_t r) {
  return Attribute(std::vector<int64_t>{t, l, b, r});
}

void Conv2dGradCases(OpCases& c) {
  const char* op = "conv2d";
  c.Add(GradCase{op, "plain", {F32({2, 2, 5, 5}), F32({3, 2, 3, 3}), F32({3})}});
  c.Add(GradCase{op, "no bias", {F32({2, 2, 4, 4}), F32({2, 2, 2, 2})}, {{"stride", Pair(2, 2)}}});
  // H = 6 with stride 2: the forward's floor drops a row, which dx gets back as zeros.
  c.Add(GradCase{op, "stride 2 padding 1", {F32({1, 2, 6, 5}), F32({2, 2, 3, 3}), F32({2})},
                 {{"stride", Pair(2, 2)}, {"padding", Pair(1, 1)}}});
  c.Add(GradCase{op, "dilation", {F32({1, 2, 7, 6}), F32({2, 2, 2, 3})},
                 {{"dilation", Pair(2, 1)}, {"padding", Pair(1, 0)}}});
  c.Add(GradCase{op, "stride and dilation", {F32({1, 2, 9, 8}), F32({2, 2, 2, 3}), F32({2})},
                 {{"dilation", Pair(2, 2)}, {"stride", Pair(3, 2)}, {"padding", Pair(1, 0)}}});
  c.Add(GradCase{op, "groups", {F32({1, 4, 5, 5}), F32({4, 2, 3, 3}), F32({4})}, {{"groups", 2}}});
  c.Add(GradCase{op, "depthwise", {F32({2, 3, 4, 4}), F32({3, 1, 3, 3})},
                 {{"groups", 3}, {"padding", Pair(1, 1)}}});
  c.Add(GradCase{op, "same even kernel", {F32({1, 2, 5, 4}), F32({2, 2, 4, 3}), F32({2})},
                 {{"auto_pad", "same"}, {"dilation", Pair(1, 2)}}});
  c.Add(GradCase{op, "valid", {F32({1, 2, 5, 4}), F32({2, 2, 3, 3})},
                 {{"auto_pad", "valid"}, {"stride", Pair(2, 1)}}});
  c.Add(GradCase{op, "per-side padding", {F32({1, 2, 5, 4}), F32({3, 2, 3, 2}), F32({3})},
                 {{"padding", Four(1, 0, 2, 1)}}});
  c.Add(GradCase{op, "unbatched", {F32({2, 5, 5}), F32({3, 2, 3, 3}), F32({3})},
                 {{"padding", Pair(1, 1)}}});
  c.Add(GradCase{op, "size-1 dims", {F32({1, 1, 1, 1}), F32({1, 1, 1, 1}), F32({1})}});
}

void ConvTranspose2dGradCases(OpCases& c) {
  const char* op = "conv_transpose2d";
  c.Add(GradCase{op, "plain", {F32({2, 2, 3, 3}), F32({2, 3, 3, 3}), F32({3})}});
  c.Add(GradCase{op, "no bias", {F32({1, 2, 3, 3}), F32({2, 2, 2, 2})}, {{"stride", Pair(2, 2)}}});
  c.Add(GradCase{op, "stride 2 padding 1 output_padding 1",
                 {F32({1, 2, 3, 3}), F32({2, 2, 3, 3}), F32({2})},
                 {{"stride", Pair(2, 2)}, {"padding", Pair(1, 1)},
                  {"output_padding", Pair(1, 1)}}});
  c.Add(GradCase{op, "output_padding without padding", {F32({1, 2, 3, 2}), F32({2, 2, 3, 3})},
                 {{"stride", Pair(2, 3)}, {"output_padding", Pair(1, 2)}}});
  // Stride 1, dilation 2: the output_padding row / column is beyond the end padding and the
  // stride, so the backward slices it off dy.
  c.Add(GradCase{op, "output_padding beyond stride",
                 {F32({1, 2, 3, 3}), F32({2, 2, 2, 2}), F32({2})},
                 {{"dilation", Pair(2, 2)}, {"output_padding", Pair(1, 1)}}});
  c.Add(GradCase{op, "dilation", {F32({1, 2, 3, 4}), F32({2, 2, 2, 3})},
                 {{"dilation", Pair(2, 1)}, {"stride", Pair(1, 2)}}});
  c.Add(GradCase{op, "groups", {F32({1, 4, 3, 3}), F32({4, 1, 3, 3}), F32({2})}, {{"groups", 2}}});
  c.Add(GradCase{op, "per-side padding", {F32({1, 2, 3, 3}), F32({2, 2, 3, 3})},
                 {{"padding", Four(1, 0, 0, 2)}, {"stride", Pair(2, 2)}}});
  c.Add(GradCase{op, "unbatched", {F32({2, 3, 3}), F32({2, 2, 2, 2}), F32({2})},
                 {{"stride", Pair(2, 2)}}});
  c.Add(GradCase{op, "size-1 dims", {F32({1, 1, 1, 1}), F32({1, 1, 1, 1}), F32({1})}});
}

}  // namespace

BRONZE_OP_CASES(linalg_grad) {
  MatmulGradCases(c);
  LinearGradCases(c);
  Conv2dGradCases(c);
  ConvTranspose2dGradCases(c);
}

}  // namespace bronze::testing
