// The direct convolution's channel-vector tiles (DirectConvolution::Vectors::kChannels, see
// kernels/cpu/conv_direct.h): the plan of tap sets and pixel tiles, the weight packing, the
// Highway register tiles (output channels x pixels, broadcast inputs) and the transposition of a
// chunk's pixels x channels buffer into the NCHW output (kernels/cpu/transpose-inl.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/conv_direct_channels.cc"
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/transpose-inl.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::onednn::direct::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Output-channel vectors per tile: 4 (x 6 pixels: 24 accumulators of AVX-512's 32 registers), 2
// where there are 16 registers.
HWY_INLINE int64_t MaxTileVectors() { return HWY_TARGET <= HWY_AVX3 ? 4 : 2; }

int64_t ChannelBlockImpl() {
  return MaxTileVectors() * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
}

// Pixels per tile for `padded` output channels: the accumulators of the first block's vectors
// fill 24 registers (12 where there are 16), at most 8 pixels: each pixel's input pointer takes a
// general register (12 pixels measured 1.6x slower on 16->32 channels, 3x3 on 56x56, batch 1;
// 8 against 6 pixels: 0.93x-0.97x on 32->48 channels, 3x3 on 28x28, batch 1 and 4).
int64_t ChannelTilePixelsImpl(int64_t padded) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t vectors = std::clamp<int64_t>(padded / lanes, 1, MaxTileVectors());
  return std::min<int64_t>(kMaxTilePixels, (HWY_TARGET <= HWY_AVX3 ? 24 : 12) / vectors);
}

// RV vectors of output channels x P pixels over the `taps` taps of one tap set: the pixels'
// inputs at x + origin[p] + offset[i], their weights at w + weight[i]. The accumulators start at
// the bias (or 0), get the ReLU when `relu` and go to buf + slot[p] * buf_stride.
template <int RV, int P>
HWY_INLINE void ChannelTile(const float* HWY_RESTRICT x, const int32_t* origin,
                            const int32_t* HWY_RESTRICT offset, const int32_t* HWY_RESTRICT weight,
                            int64_t taps, const float* HWY_RESTRICT w, const float* bias, bool relu,
                            float* HWY_RESTRICT buf, const int32_t* slot, int64_t buf_stride) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const size_t lanes = hn::Lanes(d);
  const float* src[P];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) src[p] = x + origin[p];
  V acc[P][RV];
#pragma GCC unroll 8
  for (int v = 0; v < RV; ++v) {
    const V start = bias ? hn::LoadU(d, bias + v * lanes) : hn::Zero(d);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) acc[p][v] = start;
  }
  for (int64_t i = 0; i < taps; ++i) {
    const int64_t t = offset[i];
    const float* HWY_RESTRICT wr = w + weight[i];
    V wv[RV];
#pragma GCC unroll 8
    for (int v = 0; v < RV; ++v) wv[v] = hn::Load(d, wr + v * lanes);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) {
      const V b = hn::Set(d, src[p][t]);
#pragma GCC unroll 8
      for (int v = 0; v < RV; ++v) acc[p][v] = hn::MulAdd(wv[v], b, acc[p][v]);
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) {
    float* out = buf + slot[p] * buf_stride;
#pragma GCC unroll 8
    for (int v = 0; v < RV; ++v) {
      hn::StoreU(relu ? hn::Max(acc[p][v], hn::Zero(d)) : acc[p][v], d, out + v * lanes);
    }
  }
}


// One chunk: every block of output channels over every tile of the plan, into buf (pixels x
// `padded` channels); then transposed into y (the chunk's first output pixel of channel 0). The
// packed weights of the block of output channels from b0 start at w + b0 * k.
//
// Blocking the taps as well (by input channels, so a block's weights stay in L1 across the
// tiles) measured no faster on W3's second convolution (its 74 KiB of weights stream from L2),
// so the tiles run over all taps at once.
void ChannelChunkImpl(const float* x, const TapSet* sets, const RowsPlan& plan, const float* w,
                      int64_t k, int64_t channels, int64_t padded, const float* bias, bool relu,
                      float* buf, int64_t pixels, float* y, int64_t plane) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t block = ChannelBlockImpl();
  for (int64_t b0 = 0; b0 < padded; b0 += block) {
    const int64_t vectors = std::min(block, padded - b0) / lanes;
    const float* wb = w + b0 * k;
    const float* bb = bias ? bias + b0 : nullptr;
    for (const PixelTile& t : plan.tiles) {
      const TapSet& s = sets[t.taps];
      const auto run = [&](auto rv_tag, auto p_tag) {
        constexpr int RV = decltype(rv_tag)::value, P = decltype(p_tag)::value;
        ChannelTile<RV, P>(x, plan.origin.data() + t.first, s.offset.data(), s.weight.data(),
                           static_cast<int64_t>(s.offset.size()), wb, bb, relu, buf + b0,
                           plan.slot.data() + t.first, padded);
      };
      const auto with_pixels = [&](auto rv_tag) {
        switch (t.size) {  // ChannelTilePixelsImpl (6 or 8) or half of it
          case 3:
            run(rv_tag, std::integral_constant<int, 3>());
            break;
          case 4:
            run(rv_tag, std::integral_constant<int, 4>());
            break;
          case 6:
            run(rv_tag, std::integral_constant<int, 6>());
            break;
          default:
            run(rv_tag, std::integral_constant<int, kMaxTilePixels>());
            break;
        }
      };
      switch (vectors) {
        case 1:
          with_pixels(std::integral_constant<int, 1>());
          break;
#if HWY_TARGET <= HWY_AVX3
        case 3:
          with_pixels(std::integral_constant<int, 3>());
          break;
        case 4:
          with_pixels(std::integral_constant<int, 4>());
          break;
#endif
        default:
          with_pixels(std::integral_constant<int, 2>());
          break;
      }
    }
  }
  cpu::HWY_NAMESPACE::TransposeFloats(buf, padded, pixels, channels, y, plane);
}

}  // namespace bronze::onednn::direct::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/onednn_internal.h"

namespace bronze::onednn {
namespace direct {

HWY_EXPORT(ChannelBlockImpl);
HWY_EXPORT(ChannelTilePixelsImpl);
HWY_EXPORT(ChannelChunkImpl);

}  // namespace direct

using namespace internal;

namespace {

// The kernel taps [k0, k1) of output position o that read inside an input of n (stride s, padding
// pad, dilation d): a range, as the input position grows with the tap.
std::array<int64_t, 2> TapsInside(int64_t o, int64_t s, int64_t pad, int64_t d, int64_t kernel,
                                  int64_t n) {
  int64_t k0 = 0, k1 = kernel;
  while (k0 < kernel && o * s - pad + k0 * d < 0) ++k0;
  while (k1 > k0 && o * s - pad + (k1 - 1) * d >= n) --k1;
  return {k0, k1};
}

}  // namespace

void DirectConvolution::InitChannels() {
  const int64_t H = g_.in[0], W = g_.in[1], OH = g_.out[0], OW = g_.out[1];
  const int64_t KH = g_.kernel[0], KW = g_.kernel[1], dh = g_.dilation[0], dw = g_.dilation[1];
  channels_padded_ = RoundUp(g_.c_out, lanes_);
  block_ = HWY_DYNAMIC_DISPATCH(direct::ChannelBlockImpl)();
  const int tile_pixels =
      static_cast<int>(HWY_DYNAMIC_DISPATCH(direct::ChannelTilePixelsImpl)(channels_padded_));
  std::map<std::array<int64_t, 4>, int32_t> set_of;  // (kh0, kh1, kw0, kw1) -> tap set
  const auto set_for = [&](const std::array<int64_t, 4>& r) {
    const auto [it, added] = set_of.emplace(r, static_cast<int32_t>(tap_sets_.size()));
    if (added) {
      direct::TapSet s;
      for (int64_t c = 0; c < g_.c_in; ++c) {
        for (int64_t kh = r[0]; kh < r[1]; ++kh) {
          for (int64_t kw = r[2]; kw < r[3]; ++kw) {
            s.offset.push_back(
                static_cast<int32_t>(c * H * W + (kh - r[0]) * dh * W + (kw - r[2]) * dw));
            s.weight.push_back(static_cast<int32_t>(((c * KH + kh) * KW + kw) * block_));
          }
        }
      }
      tap_sets_.push_back(std::move(s));
    }
    return it->second;
  };
  for (int64_t oh0 = 0; oh0 < OH; oh0 += rows_) {
    // Pixels bucketed by tap set, in order; then each bucket cut into tiles.
    std::vector<std::vector<std::array<int32_t, 2>>> buckets;  // (origin, slot)
    for (int64_t oh = oh0; oh < std::min(OH, oh0 + rows_); ++oh) {
      const auto rh = TapsInside(oh, g_.stride[0], g_.pad_begin[0], dh, KH, H);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const auto rw = TapsInside(ow, g_.stride[1], g_.pad_begin[1], dw, KW, W);
        const int32_t set = set_for({rh[0], rh[1], rw[0], rw[1]});
        const bool any = rh[0] < rh[1] && rw[0] < rw[1];
        const int64_t origin = any ? (oh * g_.stride[0] - g_.pad_begin[0] + rh[0] * dh) * W +
                                         (ow * g_.stride[1] - g_.pad_begin[1] + rw[0] * dw)
                                   : 0;
        if (static_cast<size_t>(set) >= buckets.size()) buckets.resize(set + 1);
        buckets[set].push_back(
            {static_cast<int32_t>(origin), static_cast<int32_t>((oh - oh0) * OW + ow)});
      }
    }
    direct::RowsPlan plan;
    for (size_t set = 0; set < buckets.size(); ++set) {
      const auto& b = buckets[set];
      for (size_t i = 0; i < b.size();) {
        const size_t left = b.size() - i;
        const int size =
            left <= static_cast<size_t>(tile_pixels / 2) ? tile_pixels / 2 : tile_pixels;
        plan.tiles.push_back(
            {static_cast<int32_t>(set), static_cast<int32_t>(plan.origin.size()), size});
        for (int p = 0; p < size; ++p) {  // the last pixel repeated to fill the tile
          const auto& entry = b[std::min(i + p, b.size() - 1)];
          plan.origin.push_back(entry[0]);
          plan.slot.push_back(entry[1]);
        }
        i += std::min<size_t>(left, size);
      }
    }
    plans_.push_back(std::move(plan));
  }
}

std::shared_ptr<const DirectConvolution::Packed> DirectConvolution::PackChannels(
    const float* w, const Tensor* owner) const {
  // Blocks of block_ output channels, each [k][block_] (0 past the last channel).
  const int64_t k = g_.c_in * g_.kernel[0] * g_.kernel[1], block = block_;
  const int64_t blocks = CeilDiv(g_.c_out, block);
  auto out = std::make_shared<Packed>();
  if (owner) out->storage = owner->storage();
  out->data = w;
  out->w = hwy::AllocateAligned<float>(static_cast<size_t>(blocks * block * k));
  float* dst = out->w.get();
  for (int64_t b0 = 0; b0 < blocks * block; b0 += block) {
    const int64_t real = std::clamp<int64_t>(g_.c_out - b0, 0, block);
    for (int64_t i = 0; i < k; ++i, dst += block) {
      const float* src = w + b0 * k + i;
      for (int64_t j = 0; j < real; ++j) dst[j] = src[j * k];
      std::fill(dst + real, dst + block, 0.f);
    }
  }
  return out;
}

std::shared_ptr<const DirectConvolution::Packed> DirectConvolution::ChannelWeights(
    const float* w, const Tensor* constant_w) const {
  if (!constant_w) return PackChannels(w, nullptr);
  std::lock_guard<std::mutex> lock(pack_mutex_);
  if (!packed_ || packed_->data != w || packed_->storage.lock() != constant_w->storage()) {
    packed_ = PackChannels(w, constant_w);
  }
  return packed_;  // kept alive for this run even if another run repacks
}

void DirectConvolution::RunChannelChunk(const Chunk& c, const float* x, const float* packed,
                                        const float* bias, bool relu, float* y) const {
  const int64_t H = g_.in[0], W = g_.in[1], OW = g_.out[1];
  const int64_t k = g_.c_in * g_.kernel[0] * g_.kernel[1];
  const int64_t pixels = (c.oh1 - c.oh0) * OW;
  auto* buf = static_cast<float*>(
      ThreadBuffer(kDstSlot, static_cast<size_t>(pixels * channels_padded_) * sizeof(float)));
  HWY_DYNAMIC_DISPATCH(direct::ChannelChunkImpl)
  (x + c.image * g_.c_in * H * W, tap_sets_.data(), plans_[static_cast<size_t>(c.oh0 / rows_)],
   packed, k, g_.c_out, channels_padded_, bias, relu, buf, pixels, y, g_.out[0] * OW);
}

}  // namespace bronze::onednn
#endif  // HWY_ONCE
