// conv2d as a direct convolution on the NCHW tensors, for convolutions with few taps per output
// (C_in*kH*kW <= 288) on first layers (few input channels), small images such as those of issue
// 7's W3 CNN (32x32, stride 1 and 2) and small batches, where oneDNN's NHWC primitives do not
// repay their layout conversions and im2col + GEMM pays for its patch matrix (Preferred has the
// rule and its measurements).
//
// Each chunk is a run of output rows of one image. It first copies the input rows those rows
// read into a per-thread buffer, once per kernel column kw, as aligned rows of whole vectors:
//   P[kw][c][r][j] = x[c][ih0 + r][j * stride_w + kw * dilation_w - pad_left]   (0 in padding)
// so that one kernel tap of a vector of output pixels is one aligned load. Then register tiles of
// R output channels x T vectors of output pixels (6 x 4 or 8 x 3 on AVX-512) accumulate over the
// C_in*kH*kW taps, the weights broadcast from the OIHW tensor as it is (no packing per call).
// The taps run in blocks of whole input channels whose input rows for one tile fit in L1 next to
// the weights; the tiles of later blocks accumulate onto the output. A bias (the first block's
// start) and a ReLU (after the last) are applied in registers; any other epilogue runs over the
// chunk while it is in cache.
// Chunks depend on the shape only (kernels/cpu/onednn.h's contract), so results do not depend on
// the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/ops/linalg.h"
#include "kernels/cpu/onednn.h"

namespace bronze::onednn {

class DirectConvolution {
 public:
  // Whether this class can run the (forward, non-transposed) convolution `g`.
  static bool Supported(const ops::ConvGeometry& g);
  // Whether it should (measured against im2col + GEMM and oneDNN's primitives).
  static bool Preferred(const ops::ConvGeometry& g);

  DirectConvolution(const ops::ConvGeometry& g, const Epilogue& epilogue);
  void Run(const ExecContext& ctx, const float* x, const float* w, const float* bias,
           const float* residual, float* y) const;
  int64_t chunks() const { return static_cast<int64_t>(chunks_.size()); }

 private:
  struct Chunk {
    int64_t image, oh0, oh1;  // output rows [oh0, oh1) of one image
  };
  void RunChunk(const Chunk& c, const float* x, const float* w, const float* bias,
                const float* residual, float* y) const;

  ops::ConvGeometry g_;
  Epilogue e_;
  int64_t lanes_ = 0;          // floats per vector of the dispatched target
  int64_t row_stride_ = 0;     // floats per prepared row: the output row width rounded up to lanes_
  int64_t rows_ = 0;           // output rows per chunk (the last may have fewer)
  int64_t in_rows_ = 0;        // prepared input rows per (kw, channel) for rows_ output rows
  int64_t k_block_ = 0;        // taps per block (whole input channels)
  std::vector<int32_t> taps_;  // per weight element (c, kh, kw): its offset in the prepared rows
  std::vector<Chunk> chunks_;
};

}  // namespace bronze::onednn
