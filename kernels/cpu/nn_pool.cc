// Fast CPU kernels for 2-D pooling (max_pool2d, avg_pool2d, adaptive_avg_pool2d), f32.
// ParallelFor over the (N*C) planes. Within a plane, max/avg pooling is vectorized along the
// output width: for stride 1 each window tap is one contiguous load of `lanes` outputs' inputs,
// for stride 2 a deinterleaving load (LoadInterleaved2) picks every other input; output columns
// whose windows touch the padding, and other strides, take a scalar path with the same
// accumulation order. adaptive_avg_pool2d sums the rows of each output row's band into a
// column-sum buffer (vectorized along the width), then sums each window's columns.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ref/nn_util.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/nn_pool.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The output columns [lo, hi) whose windows lie inside the input, with room for the vector
// loads of the given stride (stride 2 reads one element past the last tap).
HWY_INLINE void InteriorColumns(const nn::Pool2d& p, int64_t* lo, int64_t* hi) {
  *lo = *hi = 0;
  if (p.sw != 1 && p.sw != 2) return;
  const int64_t extra = p.sw == 2 ? 1 : 0;
  const int64_t num = p.w - 1 + p.pw - (p.kw - 1) * p.dw - extra;
  if (num < 0) return;
  *lo = std::min(p.ow, (p.pw + p.sw - 1) / p.sw);
  *hi = std::max(*lo, std::min(p.ow, num / p.sw + 1));
}

template <class D>
HWY_INLINE hn::Vec<D> LoadTap(D d, const float* HWY_RESTRICT src, int64_t stride) {
  if (stride == 1) return hn::LoadU(d, src);
  hn::Vec<D> even, odd;
  hn::LoadInterleaved2(d, src, even, odd);
  return even;
}

void MaxPoolPlanesF32(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, const nn::Pool2d& p,
                      size_t planes) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  int64_t lo, hi;
  InteriorColumns(p, &lo, &hi);
  for (size_t c = 0; c < planes; ++c) {
    const float* xp = x + static_cast<int64_t>(c) * p.h * p.w;
    float* yp = y + static_cast<int64_t>(c) * p.oh * p.ow;
    for (int64_t i = 0; i < p.oh; ++i) {
      const int64_t hs = i * p.sh - p.ph;
      int64_t a0 = 0, a1 = p.kh;  // taps with rows inside the input
      while (a0 < a1 && hs + a0 * p.dh < 0) ++a0;
      while (a1 > a0 && hs + (a1 - 1) * p.dh >= p.h) --a1;
      // Branch-free over the taps (a data-dependent branch per tap mispredicted on about half
      // of them): the max, and whether any tap was NaN.
      auto scalar = [&](int64_t j) {
        float best = neg_inf;
        bool any_nan = false;
        const int64_t ws = j * p.sw - p.pw;
        for (int64_t a = a0; a < a1; ++a) {
          const float* row = xp + (hs + a * p.dh) * p.w;
          for (int64_t b = 0; b < p.kw; ++b) {
            const int64_t iw = ws + b * p.dw;
            if (iw < 0 || iw >= p.w) continue;
            const float v = row[iw];
            any_nan |= v != v;
            best = best < v ? v : best;
          }
        }
        yp[i * p.ow + j] = any_nan ? nan : best;
      };
      int64_t j = 0;
      for (; j < lo; ++j) scalar(j);
      for (; j + lanes <= hi; j += lanes) {
        auto best = hn::Set(d, neg_inf);
        auto nan_mask = hn::Lt(best, best);  // all false
        const int64_t ws = j * p.sw - p.pw;
        for (int64_t a = a0; a < a1; ++a) {
          const float* row = xp + (hs + a * p.dh) * p.w + ws;
          for (int64_t b = 0; b < p.kw; ++b) {
            const auto v = LoadTap(d, row + b * p.dw, p.sw);
            best = hn::Max(best, v);
            nan_mask = hn::Or(nan_mask, hn::IsNaN(v));
          }
        }
        hn::StoreU(hn::IfThenElse(nan_mask, hn::Set(d, nan), best), d, yp + i * p.ow + j);
      }
      for (; j < p.ow; ++j) scalar(j);
    }
  }
}

void AvgPoolPlanesF32(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, const nn::Pool2d& p,
                      size_t planes) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t lo, hi;
  InteriorColumns(p, &lo, &hi);
  for (size_t c = 0; c < planes; ++c) {
    const float* xp = x + static_cast<int64_t>(c) * p.h * p.w;
    float* yp = y + static_cast<int64_t>(c) * p.oh * p.ow;
    for (int64_t i = 0; i < p.oh; ++i) {
      const nn::AvgWindow wh = nn::AvgPoolWindow(i, p.h, p.kh, p.sh, p.ph);
      auto scalar = [&](int64_t j) {
        const nn::AvgWindow ww = nn::AvgPoolWindow(j, p.w, p.kw, p.sw, p.pw);
        float sum = 0;
        for (int64_t ih = wh.begin; ih < wh.end; ++ih) {
          for (int64_t iw = ww.begin; iw < ww.end; ++iw) sum += xp[ih * p.w + iw];
        }
        const int64_t count = p.count_include_pad ? wh.padded * ww.padded
                                                  : (wh.end - wh.begin) * (ww.end - ww.begin);
        yp[i * p.ow + j] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
      };
      int64_t j = 0;
      for (; j < lo; ++j) scalar(j);
      // Interior columns: the window's width lies inside the input, so both divisors agree.
      const int64_t count = (p.count_include_pad ? wh.padded : wh.end - wh.begin) * p.kw;
      const auto vcount = hn::Set(d, static_cast<float>(count));
      if (count > 0) {
        for (; j + lanes <= hi; j += lanes) {
          auto sum = hn::Zero(d);
          const int64_t ws = j * p.sw - p.pw;
          for (int64_t ih = wh.begin; ih < wh.end; ++ih) {
            const float* row = xp + ih * p.w + ws;
            for (int64_t b = 0; b < p.kw; ++b) sum = hn::Add(sum, LoadTap(d, row + b, p.sw));
          }
          hn::StoreU(hn::Div(sum, vcount), d, yp + i * p.ow + j);
        }
      }
      for (; j < p.ow; ++j) scalar(j);
    }
  }
}

// `colsum` holds p.w floats of scratch.
void AdaptiveAvgPlanesF32(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, const nn::Pool2d& p,
                          size_t planes, float* HWY_RESTRICT colsum) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (size_t c = 0; c < planes; ++c) {
    const float* xp = x + static_cast<int64_t>(c) * p.h * p.w;
    float* yp = y + static_cast<int64_t>(c) * p.oh * p.ow;
    for (int64_t i = 0; i < p.oh; ++i) {
      const int64_t h0 = nn::AdaptiveBegin(i, p.h, p.oh), h1 = nn::AdaptiveEnd(i, p.h, p.oh);
      int64_t w = 0;
      for (; w + lanes <= p.w; w += lanes) {
        auto s = hn::Zero(d);
        for (int64_t ih = h0; ih < h1; ++ih) s = hn::Add(s, hn::LoadU(d, xp + ih * p.w + w));
        hn::StoreU(s, d, colsum + w);
      }
      for (; w < p.w; ++w) {
        float s = 0;
        for (int64_t ih = h0; ih < h1; ++ih) s += xp[ih * p.w + w];
        colsum[w] = s;
      }
      for (int64_t j = 0; j < p.ow; ++j) {
        const int64_t w0 = nn::AdaptiveBegin(j, p.w, p.ow), w1 = nn::AdaptiveEnd(j, p.w, p.ow);
        float s = 0;
        for (int64_t iw = w0; iw < w1; ++iw) s += colsum[iw];
        yp[i * p.ow + j] = s / static_cast<float>((h1 - h0) * (w1 - w0));
      }
    }
  }
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/cpu_util.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(MaxPoolPlanesF32);
HWY_EXPORT(AvgPoolPlanesF32);
HWY_EXPORT(AdaptiveAvgPlanesF32);

int64_t PlaneGrain(const nn::Pool2d& p) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, p.h * p.w + p.oh * p.ow));
}

using PoolPlanesFn = void (*)(const float*, float*, const nn::Pool2d&, size_t);

template <PoolPlanesFn (*Select)()>
void Pool(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
          const ExecContext& ctx) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, in[0], out[0]);
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  const PoolPlanesFn fn = Select();
  ParallelFor(ctx, p.planes, PlaneGrain(p), [&](int64_t c0, int64_t c1) {
    fn(x + c0 * p.h * p.w, y + c0 * p.oh * p.ow, p, static_cast<size_t>(c1 - c0));
  });
}

PoolPlanesFn SelectMax() { return &HWY_DYNAMIC_DISPATCH(MaxPoolPlanesF32); }
PoolPlanesFn SelectAvg() { return &HWY_DYNAMIC_DISPATCH(AvgPoolPlanesF32); }

void AdaptiveAvgPool(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                     const ExecContext& ctx) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, in[0], out[0]);
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  auto* fn = &HWY_DYNAMIC_DISPATCH(AdaptiveAvgPlanesF32);
  ParallelFor(ctx, p.planes, PlaneGrain(p), [&](int64_t c0, int64_t c1) {
    std::vector<float> colsum(static_cast<size_t>(p.w));
    fn(x + c0 * p.h * p.w, y + c0 * p.oh * p.ow, p, static_cast<size_t>(c1 - c0), colsum.data());
  });
}

}  // namespace

void RegisterNnPoolKernels(KernelRegistry& r) {
  Register(r, "max_pool2d", DType::kF32, &Pool<&SelectMax>);
  Register(r, "avg_pool2d", DType::kF32, &Pool<&SelectAvg>);
  Register(r, "adaptive_avg_pool2d", DType::kF32, &AdaptiveAvgPool);
}

}  // namespace bronze::cpu
#endif  // HWY_ONCE
