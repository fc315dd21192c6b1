// Fast CPU kernels for the normalization ops (layer_norm, batch_norm), f32, vectorized with
// Highway and split across the session's threads; registration of the whole nn family (pooling
// lives in nn_pool.cc, attention in nn_attention.cc, the backward ops in nn_grad.cc).
//
// layer_norm: ParallelFor over rows; each row is read from memory once (sum -> mean, centered
// sum of squares -> variance, then normalize, the last two passes from cache).
// batch_norm: per-(n, c) plane partial sums (each computed the same way whatever the split)
// combined per channel in n order, so the statistics are bitwise identical for any thread
// count; the normalization is a subtract and a fused multiply-add per element with per-channel
// center/alpha/beta.
// Sums run in float vector lanes flushed into double every kFlush elements. Outputs of 32 MiB
// or more are written with non-temporal stores (see kStreamBytes).
#include <algorithm>
#include <cmath>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/nn.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr size_t kFlush = 2048;  // elements summed in float lanes before flushing into double

// Stores a full vector, non-temporally when `stream` and the address is vector aligned. The value
// is the same either way, so where the allocator puts the output never changes the result.
template <class D>
HWY_INLINE void Store(D d, hn::Vec<D> v, float* HWY_RESTRICT p, bool stream) {
  if (stream && reinterpret_cast<uintptr_t>(p) % (hn::Lanes(d) * sizeof(float)) == 0) {
    hn::Stream(v, d, p);
  } else {
    hn::StoreU(v, d, p);
  }
}

// sum(x[i] - shift) (or of squares when `square`), float lanes flushed into double per block.
template <bool kSquare>
HWY_INLINE double SumImpl(const float* HWY_RESTRICT x, size_t n, float shift) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto vs = hn::Set(d, shift);
  double total = 0;
  size_t i = 0;
  while (i + 4 * lanes <= n) {
    auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
    const size_t end = std::min(n, i + kFlush);
    for (; i + 4 * lanes <= end; i += 4 * lanes) {
      auto v0 = hn::Sub(hn::LoadU(d, x + i), vs);
      auto v1 = hn::Sub(hn::LoadU(d, x + i + lanes), vs);
      auto v2 = hn::Sub(hn::LoadU(d, x + i + 2 * lanes), vs);
      auto v3 = hn::Sub(hn::LoadU(d, x + i + 3 * lanes), vs);
      if constexpr (kSquare) {
        a0 = hn::MulAdd(v0, v0, a0);
        a1 = hn::MulAdd(v1, v1, a1);
        a2 = hn::MulAdd(v2, v2, a2);
        a3 = hn::MulAdd(v3, v3, a3);
      } else {
        a0 = hn::Add(a0, v0);
        a1 = hn::Add(a1, v1);
        a2 = hn::Add(a2, v2);
        a3 = hn::Add(a3, v3);
      }
    }
    total += static_cast<double>(
        hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)))));
  }
  for (; i < n; ++i) {
    const double v = static_cast<double>(x[i]) - shift;
    total += kSquare ? v * v : v;
  }
  return total;
}

double SumDevF32(const float* x, size_t n, float shift) { return SumImpl<false>(x, n, shift); }
double SumSqDevF32(const float* x, size_t n, float mean) { return SumImpl<true>(x, n, mean); }

// y = (x - center) * alpha + beta over n elements.
void AffineF32(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t n, float center,
               float alpha, float beta, bool stream) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto vc = hn::Set(d, center), va = hn::Set(d, alpha), vb = hn::Set(d, beta);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    Store(d, hn::MulAdd(hn::Sub(hn::LoadU(d, x + i), vc), va, vb), y + i, stream);
  }
  for (; i < n; ++i) y[i] = (x[i] - center) * alpha + beta;
  if (stream) hwy::FlushStream();
}

// y[c] = (x[c] - center[c]) * alpha[c] + beta[c] over a row of n channels (batch_norm with no
// spatial dims).
void ChannelAffineF32(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t n,
                      const float* HWY_RESTRICT center, const float* HWY_RESTRICT alpha,
                      const float* HWY_RESTRICT beta) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto xc = hn::Sub(hn::LoadU(d, x + i), hn::LoadU(d, center + i));
    hn::StoreU(hn::MulAdd(xc, hn::LoadU(d, alpha + i), hn::LoadU(d, beta + i)), d, y + i);
  }
  for (; i < n; ++i) y[i] = (x[i] - center[i]) * alpha[i] + beta[i];
}

// layer_norm over rows [0, rows) of `cols` elements each.
template <bool kWeight, bool kBias>
HWY_INLINE void LayerNormRows(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t rows,
                              size_t cols, const float* HWY_RESTRICT w,
                              const float* HWY_RESTRICT b, double eps, bool stream) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    // Summing x - x[0] keeps the float lanes small when the row has a large common offset.
    const double mean = xr[0] + SumImpl<false>(xr, cols, xr[0]) / static_cast<double>(cols);
    const float mean_f = static_cast<float>(mean);
    // Centered around the float mean; the tiny (mean - mean_f) offset is corrected exactly.
    const double dm = mean - mean_f;
    const double var = SumImpl<true>(xr, cols, mean_f) / static_cast<double>(cols) - dm * dm;
    const double inv = 1.0 / std::sqrt(std::max(var, 0.0) + eps);
    // y = (x - mean) * inv = (x - mean_f) * inv - dm * inv: x - mean_f is exact for x near the
    // mean, so there is no cancellation (x * inv - mean * inv would lose |mean| * inv * ulp).
    const float inv_std = static_cast<float>(inv);
    const float shift = static_cast<float>(-dm * inv);
    const auto vm = hn::Set(d, mean_f), vs = hn::Set(d, inv_std), vshift = hn::Set(d, shift);
    size_t j = 0;
    for (; j + lanes <= cols; j += lanes) {
      auto v = hn::MulAdd(hn::Sub(hn::LoadU(d, xr + j), vm), vs, vshift);
      if constexpr (kWeight) v = hn::Mul(v, hn::LoadU(d, w + j));
      if constexpr (kBias) v = hn::Add(v, hn::LoadU(d, b + j));
      Store(d, v, yr + j, stream);
    }
    for (; j < cols; ++j) {
      float v = (xr[j] - mean_f) * inv_std + shift;
      if constexpr (kWeight) v *= w[j];
      if constexpr (kBias) v += b[j];
      yr[j] = v;
    }
  }
  if (stream) hwy::FlushStream();
}

void LayerNormF32(const float* x, float* y, size_t rows, size_t cols, const float* w,
                  const float* b, double eps, bool stream) {
  if (w && b) return LayerNormRows<true, true>(x, y, rows, cols, w, b, eps, stream);
  if (w) return LayerNormRows<true, false>(x, y, rows, cols, w, b, eps, stream);
  return LayerNormRows<false, false>(x, y, rows, cols, w, b, eps, stream);
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_util.h"
#include "kernels/ref/nn_util.h"

namespace bronze::cpu {

void RegisterNnPoolKernels(KernelRegistry& r);       // nn_pool.cc
void RegisterNnAttentionKernels(KernelRegistry& r);  // nn_attention.cc
void RegisterNnGradKernels(KernelRegistry& r);       // nn_grad.cc

namespace {

HWY_EXPORT(SumDevF32);
HWY_EXPORT(SumSqDevF32);
HWY_EXPORT(AffineF32);
HWY_EXPORT(ChannelAffineF32);
HWY_EXPORT(LayerNormF32);

// Outputs at least this large are written with non-temporal stores: they will not stay in the
// caches for their consumer anyway, and streaming saves the read-for-ownership of every output
// line (measured here: [65536, 256] layer_norm goes from about 3.2 to 5.4 GB/s; smaller outputs
// keep ordinary stores so the next op finds them in cache).
constexpr size_t kStreamBytes = size_t{32} << 20;

void LayerNorm(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
               const ExecContext& ctx) {
  int64_t rows = 0, cols = 0;
  nn::ReadRows(attrs, in[0], &rows, &cols);
  const float* x = in[0].data<float>();
  const float* w = in.size() > 1 ? in[1].data<float>() : nullptr;
  const float* b = in.size() > 2 ? in[2].data<float>() : nullptr;
  float* y = out[0].data<float>();
  const double eps = attrs.at("eps").f();
  auto* fn = &HWY_DYNAMIC_DISPATCH(LayerNormF32);
  const bool stream = out[0].nbytes() >= kStreamBytes;
  ParallelFor(ctx, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(cols, 1)),
              [&](int64_t r0, int64_t r1) {
                fn(x + r0 * cols, y + r0 * cols, static_cast<size_t>(r1 - r0),
                   static_cast<size_t>(cols), w, b, eps, stream);
              });
}

// Planes shorter than this are summed with plain scalar loops (no dispatch per plane).
constexpr int64_t kMinVectorPlane = 64;

void BatchNorm(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
               const ExecContext& ctx) {
  const nn::ChannelView v = nn::ReadChannelView(in[0]);
  const bool training = attrs.at("training").i() == 1;
  const double momentum = attrs.at("momentum").f(), eps = attrs.at("eps").f();
  const float* x = in[0].data<float>();
  const float *w = in[1].data<float>(), *b = in[2].data<float>();
  const float *rm = in[3].data<float>(), *rv = in[4].data<float>();
  float* y = out[0].data<float>();
  float *new_rm = out[1].data<float>(), *new_rv = out[2].data<float>();
  const int64_t count = v.outer * v.inner, planes = v.outer * v.channels, inner = v.inner;
  if (training && count == 1) {
    throw ShapeError("training needs more than 1 value per channel, got x " +
                     DimsToString(in[0].dims()));
  }
  const size_t channels = static_cast<size_t>(v.channels);
  std::vector<double> mean(channels), var(channels);
  for (size_t c = 0; c < channels; ++c) mean[c] = rm[c], var[c] = rv[c];
  const int64_t plane_grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1));
  if (training && count > 0) {
    std::vector<double> partial(static_cast<size_t>(planes));
    // Pass 1 sums x - shift[c] (the channel's first element), so a large common offset does
    // not eat the float lanes' precision; pass 2 sums squared deviations from the mean.
    std::vector<float> shift(channels), mean_f(channels);
    for (size_t c = 0; c < channels; ++c) shift[c] = x[static_cast<int64_t>(c) * inner];
    auto* sum = &HWY_DYNAMIC_DISPATCH(SumDevF32);
    auto* sum_sq = &HWY_DYNAMIC_DISPATCH(SumSqDevF32);
    for (int pass = 0; pass < 2; ++pass) {
      ParallelFor(ctx, planes, plane_grain, [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const float* xp = x + p * inner;
          const size_t c = static_cast<size_t>(p % v.channels);
          const float m = pass == 0 ? shift[c] : mean_f[c];
          double s = 0;
          if (inner >= kMinVectorPlane) {
            s = pass == 0 ? sum(xp, static_cast<size_t>(inner), m)
                          : sum_sq(xp, static_cast<size_t>(inner), m);
          } else {
            for (int64_t i = 0; i < inner; ++i) {
              const double dv = static_cast<double>(xp[i]) - m;
              s += pass == 0 ? dv : dv * dv;
            }
          }
          partial[static_cast<size_t>(p)] = s;
        }
      });
      // Per channel, combine the planes in n order: independent of the split above.
      for (size_t c = 0; c < channels; ++c) {
        double s = 0;
        for (int64_t n = 0; n < v.outer; ++n) s += partial[static_cast<size_t>(n * v.channels) + c];
        if (pass == 0) {
          mean[c] = shift[c] + s / static_cast<double>(count);
          mean_f[c] = static_cast<float>(mean[c]);
        } else {
          const double dm = mean[c] - mean_f[c];
          const double sq = std::max(s - static_cast<double>(count) * dm * dm, 0.0);
          var[c] = sq / static_cast<double>(count);
          new_rm[c] = static_cast<float>((1 - momentum) * rm[c] + momentum * mean[c]);
          new_rv[c] = static_cast<float>((1 - momentum) * rv[c] +
                                         momentum * sq / static_cast<double>(count - 1));
        }
      }
    }
  } else {
    for (size_t c = 0; c < channels; ++c) new_rm[c] = rm[c], new_rv[c] = rv[c];
  }
  // y = (x - mean) * alpha + b with alpha = w / sqrt(var + eps), computed as
  // (x - center) * alpha + beta with center = float(mean) and beta = b - (mean - center) * alpha:
  // x - center is exact near the mean, so large means lose no precision (PyTorch's
  // x * alpha + (b - mean * alpha) would).
  std::vector<float> center(channels), alpha(channels), beta(channels);
  for (size_t c = 0; c < channels; ++c) {
    const double a = w[c] / std::sqrt(var[c] + eps);
    center[c] = static_cast<float>(mean[c]);
    alpha[c] = static_cast<float>(a);
    beta[c] = static_cast<float>(b[c] - (mean[c] - center[c]) * a);
  }
  if (inner == 1) {
    auto* fn = &HWY_DYNAMIC_DISPATCH(ChannelAffineF32);
    ParallelFor(ctx, v.outer,
                std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(v.channels, 1)),
                [&](int64_t n0, int64_t n1) {
                  for (int64_t n = n0; n < n1; ++n) {
                    fn(x + n * v.channels, y + n * v.channels, channels, center.data(),
                       alpha.data(), beta.data());
                  }
                });
    return;
  }
  auto* fn = &HWY_DYNAMIC_DISPATCH(AffineF32);
  const bool stream = out[0].nbytes() >= kStreamBytes;
  ParallelFor(ctx, planes, plane_grain, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const size_t c = static_cast<size_t>(p % v.channels);
      fn(x + p * inner, y + p * inner, static_cast<size_t>(inner), center[c], alpha[c], beta[c],
         stream);
    }
  });
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuNnKernels(KernelRegistry& r) {
  cpu::Register(r, "layer_norm", DType::kF32, &cpu::LayerNorm);
  cpu::Register(r, "batch_norm", DType::kF32, &cpu::BatchNorm);
  cpu::RegisterNnPoolKernels(r);
  cpu::RegisterNnAttentionKernels(r);
  cpu::RegisterNnGradKernels(r);
}

}  // namespace bronze
#endif  // HWY_ONCE
