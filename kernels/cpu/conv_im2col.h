// conv2d as im2col + GEMM on the NCHW tensors, for the convolutions where oneDNN's NHWC
// primitives lose to their own layout conversions: few input channels (the first layer of an
// image model) and small images at small batch. Each chunk is one image's block of output pixels:
// it gathers the block's input patches into a (C_in*kH*kW, pixels) matrix in a per-thread
// buffer, multiplies with dnnl_sgemm (weight (C_out, C_in*kH*kW) as it is stored) straight into
// the NCHW output, and applies the epilogue while the block is in cache. Chunks depend on the
// shape only (kernels/cpu/onednn.h's contract), so results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/ops/linalg.h"
#include "kernels/cpu/onednn.h"

namespace bronze::onednn {

class Im2colConvolution {
 public:
  // Whether this class should run the (forward, non-transposed) convolution `g`.
  static bool Preferred(const ops::ConvGeometry& g);

  Im2colConvolution(const ops::ConvGeometry& g, const Epilogue& epilogue);
  void Run(const ExecContext& ctx, const float* x, const float* w, const float* bias,
           const float* residual, float* y) const;
  int64_t chunks() const { return static_cast<int64_t>(blocks_.size()); }

 private:
  struct Block {
    int64_t image, p0, p1;  // output pixels [p0, p1) of one image (row-major over OH x OW)
  };
  // Writes the patches of output pixels [p0, p1) of `image` as a (K, p1 - p0) matrix.
  void Gather(const float* x, const Block& b, float* col) const;

  ops::ConvGeometry g_;
  Epilogue e_;
  int64_t k_ = 0;  // C_in * kH * kW
  int64_t pixels_ = 0;
  std::vector<Block> blocks_;
};

}  // namespace bronze::onednn
