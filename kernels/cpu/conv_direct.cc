// conv2d as a direct convolution on NCHW tensors (see kernels/cpu/conv_direct.h): the Highway
// register tiles, the choice of tile shape, the chunking and the per-chunk input preparation.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/conv_direct.cc"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/gemv.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::onednn::direct::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One chunk's operands for the tiles.
struct Operands {
  const float* p;       // the prepared input rows (aligned)
  const int32_t* taps;  // per weight element k: its offset into p
  int64_t k;            // C_in * kH * kW
  const float* w;       // OIHW weights: output channel co's taps at w + co * k
  int64_t ow, owv;      // output row width, in floats and in vectors
  int64_t row_step;     // floats in p between the rows read by consecutive output rows
  int64_t plane;        // OH * OW
  float* y;             // the chunk's first output row of channel 0
  const float* bias;    // per output channel, the first tap block's start; or null
  bool relu;            // max(0, .) applied by the last tap block
};

// Where the T output vectors (slots) of a tile are: slot s is output row s / owv of the chunk,
// vector s % owv of that row.
template <int T>
struct Slots {
  const float* src[T];  // its prepared input at tap offset 0
  int64_t out[T];       // its output offset from the chunk's first row
  int64_t count[T];     // its valid lanes
};

template <int T>
HWY_INLINE Slots<T> LocateSlots(const Operands& o, int64_t slot, int64_t lanes) {
  Slots<T> s;
  for (int t = 0; t < T; ++t) {
    const int64_t row = (slot + t) / o.owv, col = (slot + t) % o.owv * lanes;
    s.src[t] = o.p + row * o.row_step + col;
    s.out[t] = row * o.ow + col;
    s.count[t] = std::min(lanes, o.ow - col);
  }
  return s;
}

// The first n < lanes floats at p, the other lanes 0, reading nothing past p + n: a masked load
// where the target has one (AVX2, AVX-512); elsewhere (Highway's MaskedLoad emulation reads a
// whole, aligned vector) through a copy.
template <class D>
HWY_INLINE hn::Vec<D> LoadPart(D d, const float* p, int64_t n) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  return hn::MaskedLoad(hn::FirstN(d, static_cast<size_t>(n)), d, p);
#else
  HWY_ALIGN float part[HWY_MAX_BYTES / sizeof(float)] = {};
  std::copy(p, p + n, part);
  return hn::Load(d, part);
#endif
}

// Output channels [co, co + R) x the T slots `s`, over the taps [k0, k1): accumulated onto the
// output when `add`, else onto the bias (or 0) and written; the last block applies the ReLU. Only
// channels from co + skip_r and slots from skip_t are stored (the others belong to an overlapping
// tile).
template <int R, int T>
HWY_INLINE void Tile(const Operands& o, const Slots<T>& s, int64_t co, int64_t k0, int64_t k1,
                     bool add, int skip_r, int skip_t) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  V acc[T][R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const float* y = o.y + (co + r) * o.plane;
    const V start = o.bias ? hn::Set(d, o.bias[co + r]) : hn::Zero(d);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      if (!add) {
        acc[t][r] = start;
      } else if (s.count[t] == lanes) {
        acc[t][r] = hn::LoadU(d, y + s.out[t]);
      } else {
        acc[t][r] = LoadPart(d, y + s.out[t], s.count[t]);
      }
    }
  }
  const float* HWY_RESTRICT w = o.w + co * o.k;
  const int64_t k = o.k;
  for (int64_t i = k0; i < k1; ++i) {
    const int32_t tap = o.taps[i];
    V v[T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) v[t] = hn::Load(d, s.src[t] + tap);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const V wv = hn::Set(d, w[r * k + i]);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[t][r] = hn::MulAdd(wv, v[t], acc[t][r]);
    }
  }
  if (k1 == o.k && o.relu) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[t][r] = hn::Max(acc[t][r], hn::Zero(d));
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* y = o.y + (co + r) * o.plane;
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      if (r < skip_r || t < skip_t) continue;
      if (s.count[t] == lanes) {
        hn::StoreU(acc[t][r], d, y + s.out[t]);
      } else {
        hn::BlendedStore(acc[t][r], hn::FirstN(d, static_cast<size_t>(s.count[t])), d,
                         y + s.out[t]);
      }
    }
  }
}

// Tiles of `size` over [0, total) (total >= size): tile b starts at b * size, the last one moved
// back to end at `total`; *skip is how many of its first items the previous tile covered.
inline int64_t BlockStart(int64_t b, int64_t size, int64_t total, int* skip) {
  const int64_t start = std::min(b * size, total - size);
  *skip = static_cast<int>(b * size - start);
  return start;
}

// All tiles of `channels` output channels x `slots` vectors with R x T tiles (overlapping at the
// ends), over the taps in blocks of `k_block` (the prepared rows of one slot block and tap block
// stay in L1 for all channel blocks); tiles of one channel / one vector where there are fewer than
// R / T.
template <int R, int T>
void Tiles(const Operands& o, int64_t channels, int64_t slots, int64_t k_block) {
  constexpr int Rt = R, Tt = T;
  const auto run = [&](auto r_tag, auto t_tag) {
    constexpr int RR = decltype(r_tag)::value, TT = decltype(t_tag)::value;
    const int64_t cb = (channels + RR - 1) / RR, sb = (slots + TT - 1) / TT;
    const int64_t lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
    for (int64_t j = 0; j < sb; ++j) {
      int skip_t;
      const Slots<TT> s = LocateSlots<TT>(o, BlockStart(j, TT, slots, &skip_t), lanes);
      for (int64_t k0 = 0; k0 < o.k; k0 += k_block) {
        const int64_t k1 = std::min(o.k, k0 + k_block);
        for (int64_t i = 0; i < cb; ++i) {
          int skip_r;
          const int64_t co = BlockStart(i, RR, channels, &skip_r);
          Tile<RR, TT>(o, s, co, k0, k1, k0 > 0, skip_r, skip_t);
        }
      }
    }
  };
  using One = std::integral_constant<int, 1>;
  using RTag = std::integral_constant<int, Rt>;
  using TTag = std::integral_constant<int, Tt>;
  if (channels >= R && slots >= T) {
    run(RTag(), TTag());
  } else if (channels >= R) {
    run(RTag(), One());
  } else if (slots >= T) {
    run(One(), TTag());
  } else {
    run(One(), One());
  }
}

// Work done by R x T tiles over channels x slots, relative to the useful work.
double Waste(int64_t r, int64_t t, int64_t channels, int64_t slots) {
  const auto padded = [](int64_t n, int64_t b) { return n >= b ? (n + b - 1) / b * b : n; };
  return static_cast<double>(padded(channels, r) * padded(slots, t)) /
         static_cast<double>(channels * slots);
}

// Tile shapes: accumulators, the T input vectors and a broadcast weight fill the register file (32
// vectors on AVX-512, 16 on AVX2 and NEON). The first shape loads fewer vectors per FMA and wins
// ties.
void ComputeChunkImpl(const float* p, const int32_t* taps, int64_t k, int64_t k_block,
                      const float* w, int64_t channels, int64_t rows, int64_t ow, int64_t row_step,
                      int64_t plane, float* y, const float* bias, bool relu) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t owv = (ow + lanes - 1) / lanes, slots = rows * owv;
  const Operands o{p, taps, k, w, ow, owv, row_step, plane, y, bias, relu};
#if HWY_TARGET <= HWY_AVX3
  if (Waste(6, 4, channels, slots) <= Waste(8, 3, channels, slots)) {
    Tiles<6, 4>(o, channels, slots, k_block);
  } else {
    Tiles<8, 3>(o, channels, slots, k_block);
  }
#elif HWY_TARGET == HWY_SCALAR
  Tiles<4, 1>(o, channels, slots, k_block);
#else
  if (Waste(4, 2, channels, slots) <= Waste(3, 3, channels, slots)) {
    Tiles<4, 2>(o, channels, slots, k_block);
  } else {
    Tiles<3, 3>(o, channels, slots, k_block);
  }
#endif
}

// The prepared rows of input channels [0, c) (see kernels/cpu/conv_direct.h) for input rows ih0 ..
// ih0 + rows - 1 of the image x (c, h, w), laid out with `in_rows` rows per (kw, channel): each
// vector a load of the input row (two and their even lanes for stride 2) with the columns outside
// the row set to 0. Loads stay inside the input tensor [x_begin, x_end); rows whose loads would
// leave it (at the tensor's first and last rows) and strides > 2 go through cpu::Im2colRow.
void PrepareImpl(const float* x_begin, const float* x_end, const float* HWY_RESTRICT x, int64_t c,
                 int64_t h, int64_t w, int64_t ih0, int64_t rows, int64_t in_rows, int64_t sw,
                 int64_t pad_left, int64_t kw, int64_t dilation, int64_t row_stride,
                 float* HWY_RESTRICT p) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t per_kw = c * in_rows * row_stride;  // floats between the kw copies
#if HWY_TARGET != HWY_SCALAR
  // The loads of one row, the same for every row: per (kw, vector), the first column read, the
  // offset of the vector written (from the row's) and the lanes [lo, hi) of its one or two loads
  // that lie inside the row (plain integers: Highway vectors and masks do not go into standard
  // containers); the columns they span, [lowest, highest), relative to the row's start.
  struct Load {
    int64_t col, to;
    int32_t lo[2], hi[2];
  };
  const auto lanes_inside = [&](const Load& l, int i) {
    return hn::AndNot(hn::FirstN(d, static_cast<size_t>(l.lo[i])),
                      hn::FirstN(d, static_cast<size_t>(l.hi[i])));
  };
  const bool fast = sw <= 2;
  std::vector<Load> loads;
  int64_t lowest = 0, highest = 0;
  if (fast) {
    for (int64_t q = 0; q < kw; ++q) {
      for (int64_t j = 0; j < row_stride; j += lanes) {
        const int64_t col = sw * j + q * dilation - pad_left;
        Load l{col, q * per_kw + j, {}, {}};
        for (int i = 0; i < 2; ++i) {
          const int64_t first = col + i * lanes;  // lanes [lo, hi) hold columns [0, w)
          l.lo[i] = static_cast<int32_t>(std::clamp<int64_t>(-first, 0, lanes));
          l.hi[i] = static_cast<int32_t>(std::clamp<int64_t>(w - first, l.lo[i], lanes));
        }
        loads.push_back(l);
        lowest = std::min(lowest, col);
        highest = std::max(highest, col + sw * lanes);
      }
    }
  }
#endif
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t ih = ih0 + r;
      float* dst = p + (ch * in_rows + r) * row_stride;
      if (ih < 0 || ih >= h) {
        for (int64_t q = 0; q < kw; ++q) {
          for (int64_t j = 0; j < row_stride; j += lanes)
            hn::Store(hn::Zero(d), d, dst + q * per_kw + j);
        }
        continue;
      }
#if HWY_TARGET != HWY_SCALAR
      const float* src = x + (ch * h + ih) * w;
      if (fast && (src - x_begin) + lowest >= 0 && (x_end - src) >= highest) {
        if (sw == 2) {
          for (const Load& l : loads) {
            const float* from = src + l.col;
            hn::Store(hn::ConcatEven(
                          d, hn::IfThenElseZero(lanes_inside(l, 1), hn::LoadU(d, from + lanes)),
                          hn::IfThenElseZero(lanes_inside(l, 0), hn::LoadU(d, from))),
                      d, dst + l.to);
          }
        } else {
          for (const Load& l : loads) {
            hn::Store(hn::IfThenElseZero(lanes_inside(l, 0), hn::LoadU(d, src + l.col)), d,
                      dst + l.to);
          }
        }
        continue;
      }
#endif
      // Rows at the tensor's ends, strides > 2: the im2col gather (column j of a copy reads input
      // column sw * j + shift, 0 outside the row).
      const cpu::Im2colSegment seg{ih, 0, row_stride, 0};
      for (int64_t q = 0; q < kw; ++q) {
        const int64_t shift = q * dilation - pad_left;
        const int64_t lo = std::clamp<int64_t>((std::max<int64_t>(0, -shift) + sw - 1) / sw, 0,
                                               row_stride);
        const int64_t hi = std::clamp<int64_t>(w - shift > 0 ? (w - shift + sw - 1) / sw : 0, lo,
                                               row_stride);
        cpu::Im2colRow(x_begin, x_end, x + ch * h * w, h, w, sw, shift, lo, hi, &seg, 1,
                       dst + q * per_kw);
      }
    }
  }
}

int64_t VectorLanesImpl() { return static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>())); }

}  // namespace bronze::onednn::direct::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/onednn_internal.h"

namespace bronze::onednn {
namespace direct {

HWY_EXPORT(ComputeChunkImpl);
HWY_EXPORT(VectorLanesImpl);
HWY_EXPORT(PrepareImpl);

}  // namespace direct

using namespace internal;

namespace {

// The prepared rows of one chunk stay within a core's L2 share.
constexpr int64_t kMaxPreparedBytes = 512 * 1024;

int64_t PreparedRows(const ops::ConvGeometry& g, int64_t out_rows) {
  return (out_rows - 1) * g.stride[0] + (g.kernel[0] - 1) * g.dilation[0] + 1;
}

}  // namespace

bool DirectConvolution::Supported(const ops::ConvGeometry& g) {
  return Supported(g, Vectors::kPixels) || Supported(g, Vectors::kChannels);
}

bool DirectConvolution::Supported(const ops::ConvGeometry& g, Vectors v) {
  if (g.groups != 1 || g.n == 0 || g.out[0] * g.out[1] == 0 || g.c_in == 0) return false;
  if (g.pad_begin[0] < 0 || g.pad_begin[1] < 0) return false;
  const int64_t lanes = HWY_DYNAMIC_DISPATCH(direct::VectorLanesImpl)();
  if (v == Vectors::kChannels) {
    // One output row's pixels x channels must fit the per-thread buffer; input and weight offsets
    // (taps x a block of at most 64 channels) in int32.
    return g.out[1] * RoundUp(g.c_out, lanes) * 4 <= kMaxPreparedBytes &&
           g.c_in * g.in[0] * g.in[1] < (int64_t{1} << 31) &&
           g.c_in * g.kernel[0] * g.kernel[1] * 64 < (int64_t{1} << 31);
  }
  // One output row's prepared input must fit the per-thread buffer, with offsets in int32.
  const int64_t row = RoundUp(g.out[1], lanes);
  return g.kernel[1] * g.c_in * PreparedRows(g, 1) * row * 4 <= kMaxPreparedBytes;
}

bool DirectConvolution::Preferred(const ops::ConvGeometry& g) {
  // Measured against the previous choice (im2col + GEMM or oneDNN's NHWC primitive with its
  // layout conversions), 2 threads, min / median of alternating runs, microseconds or ratios
  // (the W3 CNN and one-layer models conv + ReLU through `bronze bench --profile`, the ResNet
  // layers with benchmarks/kernels/conv.cc):
  //   3->32 3x3 on 32x32:         batch 1 14.1 / 19.3 (im2col 18.7 / 22.8),
  //                               batch 32 321 / 348 (im2col 345 / 450)              (taken)
  //   32->64 3x3 s2 on 32x32:     batch 1 49.2 / 67.2 (im2col 61.0 / 82.2),
  //                               batch 32 1347 / 1549 (oneDNN 1429 / 1674)          (taken)
  //   3->64 7x7 s2 on 224x224:    0.79x - 0.93x at batch 1, 8 and 32                 (taken)
  //   32->64 3x3 s2 on 56x56:     batch 1 0.91x / 0.89x (taken), batch 8 1.24x / 1.23x
  //   16->32 3x3 on 56x56:        batch 1 0.68x / 0.71x (taken), batch 8 1.10x / 1.14x
  //   256->64 1x1 on 56x56:       batch 1 0.84x / 0.76x (taken), batch 8 1.17x / 1.06x
  //   64->256 1x1 on 56x56:       batch 1 0.67x / 0.61x (taken), batch 8 0.88x / 0.79x
  //   32->32 3x3 on 112x112:      batch 1 0.60x / 0.60x,         batch 8 1.20x / 1.19x
  //   64->64 and wider 3x3:       1.05x - 4.7x                                    (not taken)
  // So: at most 288 taps (beyond, one tile's weights and input rows no longer share L1), and
  // few input channels (a first layer), or small images (<= 16x16 outputs, where oneDNN's
  // blocking does poorly), or small problems (<= 4096 output pixels in all; larger ones repay
  // oneDNN's layout conversions).
  if (!Supported(g)) return false;
  const int64_t pixels = g.out[0] * g.out[1];
  return g.c_in * g.kernel[0] * g.kernel[1] <= 288 && g.c_out >= 8 &&
         (g.c_in <= 4 || pixels <= 256 || g.n * pixels <= 4096);
}

DirectConvolution::Vectors DirectConvolution::Choose(const ops::ConvGeometry& g,
                                                     bool constant_w) {
  // Channel vectors against pixel vectors on W3's second convolution (32->64 3x3 stride 2 on
  // 32x32), 2 threads, min / median of alternating runs, microseconds:
  //   batch 32, constant weights (`bronze bench --profile`):     1014 / 1135 against 1337 / 1601
  //   batch 1, constant weights:                                 41.5 / 49.4 against 50.8 / 70.9
  //   weights packed per run (benchmarks/kernels/conv.cc, the median of 5 repetitions in each of
  //   two runs): batch 8                                          348, 362 against 408, 443
  //              batch 1                                          66.5, 64.6 against 50.2, 63.0
  //   W3's first convolution (3 input channels, 27 taps), batch 32, constant weights, the
  //   fastest step of each of 3 runs:                           405 - 443 against 305 - 367
  //   (its short tiles do not repay the transposition, nor does 32 channels' 2 x 6 tile).
  // So: AVX-512 (4 x 6 tiles; 16 registers leave 2 x 6), >= 16 input channels, output channels in
  // whole vectors, and weights packed once (constant) or over a batch of 4 or more.
  const int64_t lanes = HWY_DYNAMIC_DISPATCH(direct::VectorLanesImpl)();
  const bool channels = lanes >= 16 && g.c_in >= 16 && g.c_out >= 2 * lanes &&
                        g.c_out % lanes == 0 && (constant_w || g.n >= 4);
  return channels && Supported(g, Vectors::kChannels) ? Vectors::kChannels : Vectors::kPixels;
}

DirectConvolution::DirectConvolution(const ops::ConvGeometry& g, const Epilogue& epilogue,
                                     Vectors v)
    : g_(g), e_(epilogue), vectors_(v) {
  lanes_ = HWY_DYNAMIC_DISPATCH(direct::VectorLanesImpl)();
  if (!Supported(g, v)) ThrowInternal("DirectConvolution: an unsupported geometry");
  row_stride_ = RoundUp(g.out[1], lanes_);
  const int64_t OH = g.out[0], KH = g.kernel[0], KW = g.kernel[1];
  const int64_t owv = CeilDiv(g.out[1], lanes_);
  const double flops = 2.0 * static_cast<double>(g.n * g.c_out * g.c_in * KH * KW) *
                       static_cast<double>(OH * g.out[1]);
  // Whole images when there are enough of them, else runs of rows.
  const int64_t target = ChunkTarget(2 * flops);
  const int64_t per_image = g.n >= target ? 1 : std::min(OH, CeilDiv(target, g.n));
  // At least 8 vectors of output pixels per chunk: two tiles' worth (W3's second convolution at
  // batch 1 runs as 2 chunks of 8 rows, measured faster than 4 chunks of 4 rows in alternating
  // runs: its threads share less of the input and wait for fewer chunks).
  rows_ = std::min(OH, std::max(CeilDiv(OH, per_image), CeilDiv(8, owv)));
  // Never more rows than the per-thread buffer holds: the prepared input rows, or for channel
  // vectors the chunk's pixels x channels.
  const auto buffer_bytes = [&](int64_t rows) {
    return v == Vectors::kChannels ? rows * g.out[1] * RoundUp(g.c_out, lanes_) * 4
                                   : KW * g.c_in * PreparedRows(g, rows) * row_stride_ * 4;
  };
  while (rows_ > 1 && buffer_bytes(rows_) > kMaxPreparedBytes) rows_ = CeilDiv(rows_, 2);
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t oh = 0; oh < OH; oh += rows_) chunks_.push_back({n, oh, std::min(OH, oh + rows_)});
  }
  if (v == Vectors::kChannels) {
    InitChannels();
    return;
  }
  in_rows_ = PreparedRows(g, rows_);
  // Taps in blocks of whole input channels whose prepared rows for one tile (T <= 4 vectors of
  // output pixels: at most 4 output rows) take about 16 KiB, so they stay in L1 while every block
  // of output channels reads them.
  const int64_t tile_rows = std::min<int64_t>(4, CeilDiv(4, CeilDiv(g.out[1], lanes_)));
  const int64_t bytes_per_channel =
      KW * PreparedRows(g, tile_rows) * std::min<int64_t>(4, row_stride_ / lanes_) * lanes_ * 4;
  const int64_t channels = std::max<int64_t>(1, 16 * 1024 / bytes_per_channel);
  const int64_t blocks = CeilDiv(g.c_in, channels);
  k_block_ = CeilDiv(g.c_in, blocks) * KH * KW;
  for (int64_t c = 0; c < g.c_in; ++c) {
    for (int64_t kh = 0; kh < KH; ++kh) {
      for (int64_t kw = 0; kw < KW; ++kw) {
        taps_.push_back(static_cast<int32_t>(((kw * g.c_in + c) * in_rows_ + kh * g.dilation[0]) *
                                             row_stride_));
      }
    }
  }
}

void DirectConvolution::RunChunk(const Chunk& c, const float* x, const float* w,
                                 const float* tiles_bias, const float* bias, const float* residual,
                                 float* y) const {
  const int64_t plane = g_.out[0] * g_.out[1];
  const int64_t offset = c.image * g_.c_out * plane + c.oh0 * g_.out[1];
  // A bias and a ReLU are applied by the tiles in registers; anything else after the product.
  const bool in_tiles =
      !e_.residual && (e_.activation == Activation::kNone || e_.activation == Activation::kRelu);
  if (vectors_ == Vectors::kChannels) {  // w: the packed weights, bias: padded to whole vectors
    RunChannelChunk(c, x, w, in_tiles && e_.bias ? tiles_bias : nullptr,
                    in_tiles && e_.activation == Activation::kRelu, y + offset);
  } else {
    RunPixelChunk(c, x, w, in_tiles && e_.bias ? tiles_bias : nullptr,
                  in_tiles && e_.activation == Activation::kRelu, y + offset);
  }
  if (!in_tiles) {
    EpilogueBlock(e_, g_.c_out, (c.oh1 - c.oh0) * g_.out[1], plane, e_.bias ? bias : nullptr,
                  nullptr, e_.residual ? residual + offset : nullptr, y + offset);
  }
}

void DirectConvolution::RunPixelChunk(const Chunk& c, const float* x, const float* w,
                                      const float* bias, bool relu, float* y) const {
  const int64_t H = g_.in[0], W = g_.in[1], OH = g_.out[0], OW = g_.out[1];
  const int64_t sh = g_.stride[0], sw = g_.stride[1];
  const int64_t rows = c.oh1 - c.oh0;
  const size_t floats = static_cast<size_t>(g_.kernel[1] * g_.c_in * in_rows_ * row_stride_);
  auto* p = static_cast<float*>(ThreadBuffer(kSrcSlot, floats * sizeof(float)));
  HWY_DYNAMIC_DISPATCH(direct::PrepareImpl)
  (x, x + g_.n * g_.c_in * H * W, x + c.image * g_.c_in * H * W, g_.c_in, H, W,
   c.oh0 * sh - g_.pad_begin[0], PreparedRows(g_, rows), in_rows_, sw, g_.pad_begin[1],
   g_.kernel[1], g_.dilation[1], row_stride_, p);
  HWY_DYNAMIC_DISPATCH(direct::ComputeChunkImpl)
  (p, taps_.data(), static_cast<int64_t>(taps_.size()), k_block_, w, g_.c_out, rows, OW,
   sh * row_stride_, OH * OW, y, bias, relu);
}

void DirectConvolution::Run(const ExecContext& ctx, const float* x, const float* w,
                            const float* bias, const float* residual, float* y,
                            const Tensor* constant_w) const {
  // The channel tiles read packed weights and a bias padded to whole vectors of channels.
  std::shared_ptr<const Packed> packed;
  std::vector<float> padded_bias;
  const float* tiles_w = w;
  const float* tiles_bias = bias;
  if (vectors_ == Vectors::kChannels) {
    packed = ChannelWeights(w, constant_w);
    tiles_w = packed->w.get();
    if (e_.bias) {
      padded_bias.assign(static_cast<size_t>(channels_padded_), 0.f);
      std::copy(bias, bias + g_.c_out, padded_bias.begin());
      tiles_bias = padded_bias.data();
    }
  }
  ParallelDnnl(ctx, static_cast<int64_t>(chunks_.size()), "direct convolution",
               [&](int64_t begin, int64_t end) {
                 for (int64_t i = begin; i < end; ++i) {
                   RunChunk(chunks_[static_cast<size_t>(i)], x, tiles_w, tiles_bias, bias,
                            residual, y);
                 }
               });
}

}  // namespace bronze::onednn
#endif  // HWY_ONCE
