// Small-M matrix products (M <= kGemvMaxRows, batch-1 inference: a GEMV or a few of them), in
// Highway. For such shapes the work is streaming the weight matrix once, so a kernel that reads
// each weight exactly once, straight from its row-major layout, beats a packing GEMM (which
// copies the whole weight into a blocked layout first). kernels/cpu/onednn_gemm.cc routes Gemm
// tiles here; the columns [n0, n1) of one product are one call, so the threading and the
// chunking stay with onednn::Gemm. Also the vectorized bias + relu + residual epilogue that
// these and the im2col convolution apply to their output blocks, and the im2col row gather of
// kernels/cpu/conv_im2col.cc.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bronze::cpu {

inline constexpr int64_t kGemvMaxRows = 4;

// c[i, j] = sum_p a[i, p] * b[j, p] for rows i < m (<= kGemvMaxRows) and columns j in [n0, n1):
// `b` is (n, k) row-major (linear's weight), `a` is (m, k) with row stride lda, c has row
// stride ldc. Accumulates in f32, in an order fixed by k alone.
void GemvBT(const float* a, int64_t lda, const float* b, int64_t k, int64_t m, int64_t n0,
            int64_t n1, float* c, int64_t ldc);

// The same with `b` (k, n) row-major (ldb its row stride): c[i, j] = sum_p a[i, p] * b[p, j].
void GemvBN(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t k, int64_t m,
            int64_t n0, int64_t n1, float* c, int64_t ldc);

// The common GEMM epilogue on one output row, in place and vectorized: y[j] = relu?(y[j] +
// row_bias + col_bias[j] + before[j]) + after[j], each pointer optional (null: left out).
void BiasReluRow(float* y, int64_t n, float row_bias, const float* col_bias, const float* before,
                 const float* after, bool relu);

// A run of output pixels of one output row of a convolution: columns [ow0, ow1) of input row
// ih (which may lie in the padding), written from column `at` of a patch-matrix row.
struct Im2colSegment {
  int64_t ih, ow0, ow1, at;
};

// One row (input channel c, kernel tap kh, kw) of an im2col patch matrix, for im2col
// convolutions (kernels/cpu/conv_im2col.cc): row[sg.at + ow - sg.ow0] = plane[sg.ih][ow * sw +
// dw] for ow in [lo, hi) of each segment, 0 elsewhere and where ih is outside [0, h). `plane`
// is channel c's (h, w) input plane inside the input tensor [x_begin, x_end), which bounds the
// vector loads (strides 1 and 2 are vectorized; they may read padding columns, never memory
// outside the tensor).
void Im2colRow(const float* x_begin, const float* x_end, const float* plane, int64_t h, int64_t w,
               int64_t sw, int64_t dw, int64_t lo, int64_t hi, const Im2colSegment* segs,
               size_t count, float* row);

}  // namespace bronze::cpu
