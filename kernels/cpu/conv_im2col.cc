// conv2d as im2col + dnnl_sgemm on NCHW tensors (see kernels/cpu/conv_im2col.h).
#include "kernels/cpu/conv_im2col.h"

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/cpu/gemv.h"
#include "kernels/cpu/onednn_internal.h"

namespace bronze::onednn {

using namespace internal;

namespace {

// The patch matrix of one chunk stays within a core's L2 share.
constexpr int64_t kMaxColumnBytes = 512 * 1024;

}  // namespace

bool Im2colConvolution::Preferred(const ops::ConvGeometry& g) {
  if (g.groups != 1 || g.n == 0 || g.out[0] * g.out[1] == 0) return false;
  // oneDNN's NHWC kernels need enough input channels to fill a vector, and on small images at
  // small batch their per-call layout conversions cost more than the product. Measured with
  // benchmarks/kernels/conv.cc (2 threads, median of 3, microseconds, oneDNN -> im2col):
  //   3->32 3x3 on 32x32:           batch 1 49.7 -> 17.0, batch 8 215 -> 104   (taken)
  //   32->64 3x3 s2 on 32x32:       batch 1 72.7 -> 62.2 (taken), batch 8 324 -> 472
  //   3->64 7x7 s2 on 224x224:      batch 1 930 -> 1223                        (not taken)
  //   128->128 3x3 on 28x28:        batch 1 777 -> 957                          (not taken)
  const int64_t k = g.c_in * g.kernel[0] * g.kernel[1];
  const int64_t pixels = g.out[0] * g.out[1];
  return (g.c_in < 8 && pixels <= 4096) || (k <= 512 && g.n * pixels <= 512);
}

Im2colConvolution::Im2colConvolution(const ops::ConvGeometry& g, const Epilogue& epilogue)
    : g_(g), e_(epilogue) {
  k_ = g.c_in * g.kernel[0] * g.kernel[1];
  pixels_ = g.out[0] * g.out[1];
  EnsureSingleThreadedOpenMP();
  const double flops = 2.0 * static_cast<double>(g.n) * static_cast<double>(g.c_out) *
                       static_cast<double>(k_) * static_cast<double>(pixels_);
  // Chunks of >= half the usual flops (these products are cheap to start: no packing of the
  // weight, no layout conversion). Whole images when there are enough of them, else blocks of
  // >= 128 pixels (GEMMs with fewer columns run far below peak); never blocks whose patch matrix
  // outgrows kMaxColumnBytes.
  const int64_t target = ChunkTarget(2 * flops);
  const int64_t per_image =
      g.n >= target ? 1 : std::max<int64_t>(1, std::min(target / g.n, pixels_ / 128));
  const int64_t max_block = std::max<int64_t>(16, kMaxColumnBytes / (4 * k_) / 16 * 16);
  const int64_t block =
      std::min(max_block, per_image == 1 ? pixels_ : RoundUp(CeilDiv(pixels_, per_image), 16));
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t p0 = 0; p0 < pixels_; p0 += block) {
      blocks_.push_back({n, p0, std::min(pixels_, p0 + block)});
    }
  }
}

void Im2colConvolution::Gather(const float* x, const Block& b, float* col) const {
  const int64_t H = g_.in[0], W = g_.in[1], OW = g_.out[1];
  const int64_t KH = g_.kernel[0], KW = g_.kernel[1], sh = g_.stride[0], sw = g_.stride[1];
  const int64_t cols = b.p1 - b.p0;
  const float* x_end = x + g_.n * g_.c_in * H * W;
  // The block's output pixels as output row segments [ow0, ow1) of row oh.
  // The segments' input rows for kernel row kh are in segs[kh * per_kh ...].
  std::vector<cpu::Im2colSegment> segs;
  for (int64_t kh = 0; kh < KH; ++kh) {
    const int64_t dh = kh * g_.dilation[0] - g_.pad_begin[0];
    for (int64_t p = b.p0; p < b.p1;) {
      const int64_t oh = p / OW, ow0 = p % OW, ow1 = std::min(OW, ow0 + (b.p1 - p));
      segs.push_back({oh * sh + dh, ow0, ow1, p - b.p0});
      p += ow1 - ow0;
    }
  }
  const size_t per_kh = segs.size() / static_cast<size_t>(KH);
  // Per kernel column kw: its input column offset dw, and the output columns [lo, hi) that read
  // inside the input row (the others read padding).
  struct Tap {
    int64_t dw, lo, hi;
  };
  std::vector<Tap> taps;
  for (int64_t kw = 0; kw < KW; ++kw) {
    const int64_t dw = kw * g_.dilation[1] - g_.pad_begin[1];
    const int64_t lo = std::clamp<int64_t>(CeilDiv(std::max<int64_t>(0, -dw), sw), 0, OW);
    const int64_t hi = std::clamp<int64_t>(W - dw > 0 ? CeilDiv(W - dw, sw) : 0, lo, OW);
    taps.push_back({dw, lo, hi});
  }
  // Channel by channel, so each input plane stays in L1 for all its kernel taps.
  for (int64_t c = 0; c < g_.c_in; ++c) {
    const float* plane = x + (b.image * g_.c_in + c) * H * W;
    for (int64_t kh = 0; kh < KH; ++kh) {
      const cpu::Im2colSegment* row_segs = segs.data() + static_cast<size_t>(kh) * per_kh;
      for (int64_t kw = 0; kw < KW; ++kw) {
        const Tap& t = taps[static_cast<size_t>(kw)];
        cpu::Im2colRow(x, x_end, plane, H, W, sw, t.dw, t.lo, t.hi, row_segs, per_kh,
                       col + ((c * KH + kh) * KW + kw) * cols);
      }
    }
  }
}

void Im2colConvolution::Run(const ExecContext& ctx, const float* x, const float* w,
                            const float* bias, const float* residual, float* y) const {
  ParallelDnnl(ctx, static_cast<int64_t>(blocks_.size()), "im2col convolution",
               [&](int64_t begin, int64_t end) {
                 for (int64_t i = begin; i < end; ++i) {
                   const Block& b = blocks_[static_cast<size_t>(i)];
                   const int64_t cols = b.p1 - b.p0;
                   auto* col = static_cast<float*>(
                       ThreadBuffer(kSrcSlot, static_cast<size_t>(k_ * cols) * sizeof(float)));
                   Gather(x, b, col);
                   const int64_t offset = b.image * g_.c_out * pixels_ + b.p0;
                   const dnnl_status_t status =
                       dnnl_sgemm('N', 'N', g_.c_out, cols, k_, 1.f, w, k_, col, cols, 0.f,
                                  y + offset, pixels_);
                   if (status != dnnl_success) {
                     throw InternalError("dnnl_sgemm failed with status " +
                                         std::to_string(status));
                   }
                   EpilogueBlock(e_, g_.c_out, cols, pixels_, e_.bias ? bias : nullptr, nullptr,
                                 e_.residual ? residual + offset : nullptr, y + offset);
                 }
               });
}

}  // namespace bronze::onednn
