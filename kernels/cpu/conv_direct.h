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
//
// On AVX-512, convolutions with >= 16 input channels and output channels in whole vectors (W3's
// stride-2 second layer) vectorize over output channels instead (Vectors::kChannels, Choose has
// the rule; the tiles are in kernels/cpu/conv_direct_channels.cc). The weights are packed as rows
// of output channels: once while a constant weight tensor's storage stays the same, else per
// run. A tile is up to 4 vectors of output channels x 6 or 8 output pixels; each tap is its
// weight vectors times one broadcast input value per pixel, read straight from the NCHW input
// (no copy, any stride). The output pixels are grouped by which taps lie inside the input (interior pixels
// have all of them), so padding costs nothing. A chunk's results collect in a per-thread buffer
// (pixels x channels) that is transposed into the NCHW output in 16 x 16 blocks in registers.
//
// Chunks depend on the shape only (kernels/cpu/onednn.h's contract), so results do not depend on
// the thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "hwy/aligned_allocator.h"

#include "graph/ops/linalg.h"
#include "kernels/cpu/onednn.h"

namespace bronze::onednn {
namespace direct {

// The channel-vector plan of one run of output rows. Its pixels are grouped by the taps that lie
// inside the input (interior pixels have all of them) into tiles of P or P / 2 entries (the last
// pixel of a group repeated to fill a tile): P = 6 for 4 vectors of output channels on AVX-512
// (24 accumulators) or 2 elsewhere (12), else 8.
inline constexpr int kMaxTilePixels = 8;
struct TapSet {
  std::vector<int32_t> offset;  // per tap inside the input: its input offset from a pixel's origin
  std::vector<int32_t> weight;  // its weights' offset in a block of packed weights
};
struct PixelTile {
  int32_t taps;   // its TapSet
  int32_t first;  // its first entry in RowsPlan::origin and ::slot
  int32_t size;   // P or P / 2
};
struct RowsPlan {
  std::vector<PixelTile> tiles;
  std::vector<int32_t> origin;  // per entry: the input offset (in the image) of its pixel's origin
  std::vector<int32_t> slot;    // per entry: its pixel's index in the run of rows
};

}  // namespace direct

class DirectConvolution {
 public:
  // What the register tiles vectorize over (see above).
  enum class Vectors { kPixels, kChannels };

  // Whether this class can run the (forward, non-transposed) convolution `g` (with `v`).
  static bool Supported(const ops::ConvGeometry& g);
  static bool Supported(const ops::ConvGeometry& g, Vectors v);
  // Whether it should (measured against im2col + GEMM and oneDNN's primitives), and with what.
  static bool Preferred(const ops::ConvGeometry& g);
  // `constant_w`: the weights are constant (packed once rather than per run).
  static Vectors Choose(const ops::ConvGeometry& g, bool constant_w);

  DirectConvolution(const ops::ConvGeometry& g, const Epilogue& epilogue, Vectors v);
  // `constant_w`: the tensor w points into when the weights are constant (the kernel's
  // signature says so); the packed copy the channel tiles read is then made once per storage.
  void Run(const ExecContext& ctx, const float* x, const float* w, const float* bias,
           const float* residual, float* y, const Tensor* constant_w = nullptr) const;
  int64_t chunks() const { return static_cast<int64_t>(chunks_.size()); }

 private:
  struct Chunk {
    int64_t image, oh0, oh1;  // output rows [oh0, oh1) of one image
  };
  // w, tiles_bias: as the tiles read them (packed and padded for kChannels); bias: as given.
  void RunChunk(const Chunk& c, const float* x, const float* w, const float* tiles_bias,
                const float* bias, const float* residual, float* y) const;
  void RunPixelChunk(const Chunk& c, const float* x, const float* w, const float* bias, bool relu,
                     float* y) const;
  void RunChannelChunk(const Chunk& c, const float* x, const float* packed, const float* bias,
                       bool relu, float* y) const;
  void InitChannels();
  // The weights as the channel tiles read them (64-byte aligned), for the storage they came from.
  struct Packed {
    std::weak_ptr<Storage> storage;
    const float* data = nullptr;
    hwy::AlignedFreeUniquePtr<float[]> w;
  };
  std::shared_ptr<const Packed> PackChannels(const float* w, const Tensor* owner) const;
  // Packed per run, or once while constant_w's storage stays the same.
  std::shared_ptr<const Packed> ChannelWeights(const float* w, const Tensor* constant_w) const;

  ops::ConvGeometry g_;
  Epilogue e_;
  Vectors vectors_;
  int64_t lanes_ = 0;          // floats per vector of the dispatched target
  int64_t row_stride_ = 0;     // floats per prepared row: the output row width rounded up to lanes_
  int64_t rows_ = 0;           // output rows per chunk (the last may have fewer)
  int64_t in_rows_ = 0;        // prepared input rows per (kw, channel) for rows_ output rows
  int64_t k_block_ = 0;        // taps per block (whole input channels)
  std::vector<int32_t> taps_;  // per weight element (c, kh, kw): its offset in the prepared rows
  std::vector<Chunk> chunks_;
  // Vectors::kChannels: output channels padded to whole vectors; the tap sets; one plan per run
  // of rows (chunk.oh0 / rows_).
  int64_t channels_padded_ = 0;
  int64_t block_ = 0;  // output channels per block of packed weights (whole vectors)
  std::vector<direct::TapSet> tap_sets_;
  std::vector<direct::RowsPlan> plans_;
  mutable std::mutex pack_mutex_;
  mutable std::shared_ptr<const Packed> packed_;  // of constant weights
};

}  // namespace bronze::onednn
