// Fast CPU kernels of the nn family's backward ops, f32.
//
// Pooling backward (max_pool2d_backward, avg_pool2d_backward, adaptive_avg_pool2d_backward):
// ParallelFor over the (N*C) planes; each plane's dx is zeroed and its output gradients are
// scattered in row-major output order, so every element's sum is in the same order whatever the
// split (bitwise identical at any thread count). Scatters are scalar (windows overlap).
// batch_norm_backward: per-(n, c) plane partial sums (Highway, float lanes flushed into double)
// combined per channel in n order, as the forward kernel does, then dx = A*dy + B*(x - m) + C
// per plane with per-channel coefficients.
// layer_norm_backward: ParallelChunks over fixed blocks of rows; each row's statistics and dx
// are computed in the row (Highway); dweight/dbias are summed per block into float buffers and
// the blocks combined in block order in double.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/nn_grad.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr size_t kFlushGrad = 2048;  // elements summed in float lanes before flushing to double

// sum(x[i] - shift) (of squares when kSquare), float lanes flushed into double per block.
template <bool kSquare>
HWY_INLINE double SumDev(const float* HWY_RESTRICT x, size_t n, float shift) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto vs = hn::Set(d, shift);
  double total = 0;
  size_t i = 0;
  while (i + lanes <= n) {
    auto a = hn::Zero(d);
    const size_t end = std::min(n, i + kFlushGrad);
    for (; i + lanes <= end; i += lanes) {
      const auto v = hn::Sub(hn::LoadU(d, x + i), vs);
      a = kSquare ? hn::MulAdd(v, v, a) : hn::Add(a, v);
    }
    total += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, a)));
  }
  for (; i < n; ++i) {
    const double v = static_cast<double>(x[i]) - shift;
    total += kSquare ? v * v : v;
  }
  return total;
}

double SumDevGradF32(const float* x, size_t n, float shift) { return SumDev<false>(x, n, shift); }

// out = {sum((x - m)^2), sum(dy), sum(dy * (x - m))}.
void BnPlaneSumsF32(const float* HWY_RESTRICT x, const float* HWY_RESTRICT dy, size_t n, float m,
                    double* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto vm = hn::Set(d, m);
  double sq = 0, sdy = 0, sdyx = 0;
  size_t i = 0;
  while (i + lanes <= n) {
    auto a = hn::Zero(d), b = hn::Zero(d), c = hn::Zero(d);
    const size_t end = std::min(n, i + kFlushGrad);
    for (; i + lanes <= end; i += lanes) {
      const auto xc = hn::Sub(hn::LoadU(d, x + i), vm);
      const auto g = hn::LoadU(d, dy + i);
      a = hn::MulAdd(xc, xc, a);
      b = hn::Add(b, g);
      c = hn::MulAdd(g, xc, c);
    }
    sq += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, a)));
    sdy += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, b)));
    sdyx += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, c)));
  }
  for (; i < n; ++i) {
    const double xc = static_cast<double>(x[i]) - m;
    sq += xc * xc;
    sdy += dy[i];
    sdyx += dy[i] * xc;
  }
  out[0] = sq, out[1] = sdy, out[2] = sdyx;
}

// dx = a*dy + b*(x - m) + c over n elements.
void BnDxF32(const float* HWY_RESTRICT x, const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx,
             size_t n, float m, float a, float b, float c) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto vm = hn::Set(d, m), va = hn::Set(d, a), vb = hn::Set(d, b), vc = hn::Set(d, c);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto xc = hn::Sub(hn::LoadU(d, x + i), vm);
    hn::StoreU(hn::MulAdd(hn::LoadU(d, dy + i), va, hn::MulAdd(xc, vb, vc)), d, dx + i);
  }
  for (; i < n; ++i) dx[i] = dy[i] * a + ((x[i] - m) * b + c);
}

// layer_norm_backward over `rows` rows of `cols`; w may be null. When dw_acc is set, adds
// dy * xhat into dw_acc and dy into db_acc (one float per column).
void LnBackwardRowsF32(const float* HWY_RESTRICT x, const float* HWY_RESTRICT dy,
                       const float* HWY_RESTRICT w, float* HWY_RESTRICT dx, size_t rows,
                       size_t cols, double eps, float* HWY_RESTRICT dw_acc,
                       float* HWY_RESTRICT db_acc) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  for (size_t r = 0; r < rows; ++r) {
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    const double mean = xr[0] + SumDev<false>(xr, cols, xr[0]) / static_cast<double>(cols);
    const float mean_f = static_cast<float>(mean);
    const double dm = mean - mean_f;
    const double var = SumDev<true>(xr, cols, mean_f) / static_cast<double>(cols) - dm * dm;
    const double inv = 1.0 / std::sqrt(std::max(var, 0.0) + eps);
    // xhat = (x - mean_f) * inv_f + shift (as the forward kernel).
    const float inv_f = static_cast<float>(inv), shift = static_cast<float>(-dm * inv);
    const auto vm = hn::Set(d, mean_f), vi = hn::Set(d, inv_f), vs = hn::Set(d, shift);
    double sum_g = 0, sum_gx = 0;
    size_t j = 0;
    while (j + lanes <= cols) {
      auto a = hn::Zero(d), b = hn::Zero(d);
      const size_t end = std::min(cols, j + kFlushGrad);
      for (; j + lanes <= end; j += lanes) {
        const auto xhat = hn::MulAdd(hn::Sub(hn::LoadU(d, xr + j), vm), vi, vs);
        const auto g0 = hn::LoadU(d, dyr + j);
        auto g = g0;
        if (w) g = hn::Mul(g0, hn::LoadU(d, w + j));
        a = hn::Add(a, g);
        b = hn::MulAdd(g, xhat, b);
        if (dw_acc) {
          hn::StoreU(hn::MulAdd(g0, xhat, hn::LoadU(d, dw_acc + j)), d, dw_acc + j);
          hn::StoreU(hn::Add(g0, hn::LoadU(d, db_acc + j)), d, db_acc + j);
        }
      }
      sum_g += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, a)));
      sum_gx += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, b)));
    }
    for (; j < cols; ++j) {
      const float xhat = (xr[j] - mean_f) * inv_f + shift;
      const float g = w ? dyr[j] * w[j] : dyr[j];
      sum_g += g;
      sum_gx += static_cast<double>(g) * xhat;
      if (dw_acc) {
        dw_acc[j] += dyr[j] * xhat;
        db_acc[j] += dyr[j];
      }
    }
    // dx = inv * ((g - mean_g) - xhat * mean_gx): g - mean_g first, so equal g cancel exactly.
    const float k1 = static_cast<float>(-sum_gx / static_cast<double>(cols));
    const float k0 = static_cast<float>(-sum_g / static_cast<double>(cols));
    const auto vk1 = hn::Set(d, k1), vk0 = hn::Set(d, k0);
    j = 0;
    for (; j + lanes <= cols; j += lanes) {
      const auto xhat = hn::MulAdd(hn::Sub(hn::LoadU(d, xr + j), vm), vi, vs);
      const auto g0 = hn::LoadU(d, dyr + j);
      auto g = g0;
      if (w) g = hn::Mul(g0, hn::LoadU(d, w + j));
      hn::StoreU(hn::Mul(hn::MulAdd(xhat, vk1, hn::Add(g, vk0)), vi), d, dxr + j);
    }
    for (; j < cols; ++j) {
      const float xhat = (xr[j] - mean_f) * inv_f + shift;
      const float g = w ? dyr[j] * w[j] : dyr[j];
      dxr[j] = (xhat * k1 + (g + k0)) * inv_f;
    }
  }
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <vector>

#include "kernels/cpu/cpu_util.h"
#include "kernels/ref/nn_util.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(SumDevGradF32);
HWY_EXPORT(BnPlaneSumsF32);
HWY_EXPORT(BnDxF32);
HWY_EXPORT(LnBackwardRowsF32);

int64_t PlaneGrain(const nn::Pool2d& p) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, p.h * p.w + p.oh * p.ow));
}

// Runs scatter(plane, plane_dy, plane_dx) for every plane, dx zeroed first.
template <typename F>
void ForEachPlane(const nn::Pool2d& p, const ExecContext& ctx, const float* dy, float* dx,
                  F&& scatter) {
  ParallelFor(ctx, p.planes, PlaneGrain(p), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* dxp = dx + c * p.h * p.w;
      std::fill(dxp, dxp + p.h * p.w, 0.0f);
      scatter(c, dy + c * p.oh * p.ow, dxp);
    }
  });
}

void MaxPool2dBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                       const ExecContext& ctx) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, in[1], in[0]);
  const float* x = in[1].data<float>();
  ForEachPlane(p, ctx, in[0].data<float>(), out[0].data<float>(),
               [&](int64_t c, const float* dyp, float* dxp) {
    const float* xp = x + c * p.h * p.w;
    for (int64_t i = 0; i < p.oh; ++i) {
      const int64_t hs = i * p.sh - p.ph;
      int64_t a0 = 0, a1 = p.kh;  // taps with rows inside the input
      while (a0 < a1 && hs + a0 * p.dh < 0) ++a0;
      while (a1 > a0 && hs + (a1 - 1) * p.dh >= p.h) --a1;
      for (int64_t j = 0; j < p.ow; ++j) {
        const int64_t ws = j * p.sw - p.pw;
        int64_t b0 = 0, b1 = p.kw;
        while (b0 < b1 && ws + b0 * p.dw < 0) ++b0;
        while (b1 > b0 && ws + (b1 - 1) * p.dw >= p.w) --b1;
        if (a0 >= a1 || b0 >= b1) continue;
        // max_pool2d's scan: the first element, then strictly greater or NaN.
        int64_t arg = (hs + a0 * p.dh) * p.w + ws + b0 * p.dw;
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t a = a0; a < a1; ++a) {
          const int64_t row = (hs + a * p.dh) * p.w;
          for (int64_t b = b0; b < b1; ++b) {
            const int64_t k = row + ws + b * p.dw;
            const float v = xp[k];
            if (v > best || std::isnan(v)) best = v, arg = k;
          }
        }
        dxp[arg] += dyp[i * p.ow + j];
      }
    }
  });
}

void AvgPool2dBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                       const ExecContext& ctx) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, out[0], in[0]);
  ForEachPlane(p, ctx, in[0].data<float>(), out[0].data<float>(),
               [&](int64_t, const float* dyp, float* dxp) {
    for (int64_t i = 0; i < p.oh; ++i) {
      const nn::AvgWindow wh = nn::AvgPoolWindow(i, p.h, p.kh, p.sh, p.ph);
      for (int64_t j = 0; j < p.ow; ++j) {
        const nn::AvgWindow ww = nn::AvgPoolWindow(j, p.w, p.kw, p.sw, p.pw);
        const int64_t count = p.count_include_pad ? wh.padded * ww.padded
                                                  : (wh.end - wh.begin) * (ww.end - ww.begin);
        if (count <= 0) continue;
        const float g = dyp[i * p.ow + j] / static_cast<float>(count);
        for (int64_t ih = wh.begin; ih < wh.end; ++ih) {
          float* row = dxp + ih * p.w;
          for (int64_t iw = ww.begin; iw < ww.end; ++iw) row[iw] += g;
        }
      }
    }
  });
}

void AdaptiveAvgPool2dBackward(const AttrMap& attrs, std::span<const Tensor> in,
                               std::span<Tensor> out, const ExecContext& ctx) {
  const nn::Pool2d p = nn::ReadPool2d(attrs, out[0], in[0]);
  ForEachPlane(p, ctx, in[0].data<float>(), out[0].data<float>(),
               [&](int64_t, const float* dyp, float* dxp) {
    for (int64_t i = 0; i < p.oh; ++i) {
      const int64_t h0 = nn::AdaptiveBegin(i, p.h, p.oh), h1 = nn::AdaptiveEnd(i, p.h, p.oh);
      for (int64_t j = 0; j < p.ow; ++j) {
        const int64_t w0 = nn::AdaptiveBegin(j, p.w, p.ow), w1 = nn::AdaptiveEnd(j, p.w, p.ow);
        const float g = dyp[i * p.ow + j] / static_cast<float>((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih) {
          float* row = dxp + ih * p.w;
          for (int64_t iw = w0; iw < w1; ++iw) row[iw] += g;
        }
      }
    }
  });
}

// Planes shorter than this are summed with plain scalar loops (no dispatch per plane).
constexpr int64_t kMinVectorPlane = 64;

void BatchNormBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                       const ExecContext& ctx) {
  const nn::ChannelView v = nn::ReadChannelView(in[1]);
  const bool training = attrs.at("training").i() == 1;
  const double eps = attrs.at("eps").f();
  const float *dy = in[0].data<float>(), *x = in[1].data<float>(), *w = in[2].data<float>();
  float *dx = out[0].data<float>(), *dw = out[1].data<float>(), *db = out[2].data<float>();
  const int64_t count = v.outer * v.inner, planes = v.outer * v.channels, inner = v.inner;
  const size_t channels = static_cast<size_t>(v.channels);
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1));
  const bool vec = inner >= kMinVectorPlane;
  std::vector<double> mean(channels), var(channels);
  std::vector<float> mean_f(channels);
  if (training && count > 0) {
    // The channel's first element as a shift keeps the float lanes precise (as the forward).
    std::vector<float> shift(channels);
    for (size_t c = 0; c < channels; ++c) shift[c] = x[static_cast<int64_t>(c) * inner];
    std::vector<double> partial(static_cast<size_t>(planes));
    auto* sum = &HWY_DYNAMIC_DISPATCH(SumDevGradF32);
    ParallelFor(ctx, planes, grain, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const float* xp = x + p * inner;
        const float m = shift[static_cast<size_t>(p % v.channels)];
        double s = 0;
        if (vec) {
          s = sum(xp, static_cast<size_t>(inner), m);
        } else {
          for (int64_t i = 0; i < inner; ++i) s += static_cast<double>(xp[i]) - m;
        }
        partial[static_cast<size_t>(p)] = s;
      }
    });
    for (size_t c = 0; c < channels; ++c) {
      double s = 0;
      for (int64_t n = 0; n < v.outer; ++n) s += partial[static_cast<size_t>(n * v.channels) + c];
      mean[c] = shift[c] + s / static_cast<double>(count);
      mean_f[c] = static_cast<float>(mean[c]);
    }
  } else if (!training) {
    const float *rm = in[3].data<float>(), *rv = in[4].data<float>();
    for (size_t c = 0; c < channels; ++c) mean[c] = mean_f[c] = rm[c], var[c] = rv[c];
  }
  // Per plane: sum((x - m)^2), sum(dy), sum(dy * (x - m)) around m = mean_f.
  std::vector<double> sums(static_cast<size_t>(planes) * 3);
  auto* plane_sums = &HWY_DYNAMIC_DISPATCH(BnPlaneSumsF32);
  ParallelFor(ctx, planes, grain, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float *xp = x + p * inner, *gp = dy + p * inner;
      const float m = mean_f[static_cast<size_t>(p % v.channels)];
      double* o = sums.data() + 3 * p;
      if (vec) {
        plane_sums(xp, gp, static_cast<size_t>(inner), m, o);
      } else {
        double sq = 0, sdy = 0, sdyx = 0;
        for (int64_t i = 0; i < inner; ++i) {
          const double xc = static_cast<double>(xp[i]) - m;
          sq += xc * xc;
          sdy += gp[i];
          sdyx += gp[i] * xc;
        }
        o[0] = sq, o[1] = sdy, o[2] = sdyx;
      }
    }
  });
  std::vector<float> ca(channels), cb(channels), cc(channels);
  const double mcount = static_cast<double>(count);
  for (size_t c = 0; c < channels; ++c) {
    double sq = 0, sdy = 0, sdyx = 0;
    for (int64_t n = 0; n < v.outer; ++n) {
      const double* o = sums.data() + 3 * (n * v.channels + static_cast<int64_t>(c));
      sq += o[0], sdy += o[1], sdyx += o[2];
    }
    const double dm = mean[c] - mean_f[c];
    if (training) var[c] = count > 0 ? std::max(sq - mcount * dm * dm, 0.0) / mcount : 0.0;
    const double invstd = 1.0 / std::sqrt(var[c] + eps);
    const double dot = sdyx - dm * sdy;  // sum(dy * (x - mean))
    dw[c] = static_cast<float>(dot * invstd);
    db[c] = static_cast<float>(sdy);
    const double a = w[c] * invstd;
    double b = 0, k = 0;
    if (training && count > 0) {
      b = -a * invstd * invstd * dot / mcount;
      k = -a * sdy / mcount - b * dm;  // the constant term, centered at mean_f
    }
    ca[c] = static_cast<float>(a), cb[c] = static_cast<float>(b), cc[c] = static_cast<float>(k);
  }
  auto* dx_fn = &HWY_DYNAMIC_DISPATCH(BnDxF32);
  ParallelFor(ctx, planes, grain, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const size_t c = static_cast<size_t>(p % v.channels);
      const float *xp = x + p * inner, *gp = dy + p * inner;
      float* dp = dx + p * inner;
      if (vec) {
        dx_fn(xp, gp, dp, static_cast<size_t>(inner), mean_f[c], ca[c], cb[c], cc[c]);
      } else {
        for (int64_t i = 0; i < inner; ++i) {
          dp[i] = gp[i] * ca[c] + ((xp[i] - mean_f[c]) * cb[c] + cc[c]);
        }
      }
    }
  });
}

void LayerNormBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                       const ExecContext& ctx) {
  int64_t rows = 0, cols = 0;
  nn::ReadRows(attrs, in[1], &rows, &cols);
  const double eps = attrs.at("eps").f();
  const float *dy = in[0].data<float>(), *x = in[1].data<float>();
  const float* w = in.size() > 2 ? in[2].data<float>() : nullptr;
  float* dx = out[0].data<float>();
  const bool affine = out.size() == 3;
  auto* fn = &HWY_DYNAMIC_DISPATCH(LnBackwardRowsF32);
  // Fixed blocks of rows (from the problem size only); each has its own dweight/dbias buffers.
  const int64_t block =
      std::clamp<int64_t>(kParallelGrain / std::max<int64_t>(cols, 1), 16, 256);
  const int64_t blocks = NumChunks(rows, block);
  std::vector<float> acc(affine ? static_cast<size_t>(blocks * cols * 2) : 0, 0.0f);
  ParallelChunks(ctx, rows, block, [&](int64_t k, int64_t r0, int64_t r1) {
    float* dw_acc = affine ? acc.data() + 2 * k * cols : nullptr;
    float* db_acc = affine ? dw_acc + cols : nullptr;
    fn(x + r0 * cols, dy + r0 * cols, w, dx + r0 * cols, static_cast<size_t>(r1 - r0),
       static_cast<size_t>(cols), eps, dw_acc, db_acc);
  });
  if (!affine) return;
  float *dw = out[1].data<float>(), *db = out[2].data<float>();
  for (int64_t j = 0; j < cols; ++j) {
    double sw = 0, sb = 0;
    for (int64_t k = 0; k < blocks; ++k) {
      sw += acc[static_cast<size_t>(2 * k * cols + j)];
      sb += acc[static_cast<size_t>((2 * k + 1) * cols + j)];
    }
    dw[j] = static_cast<float>(sw);
    db[j] = static_cast<float>(sb);
  }
}

}  // namespace

void RegisterNnGradKernels(KernelRegistry& r) {
  Register(r, "max_pool2d_backward", DType::kF32, &MaxPool2dBackward);
  Register(r, "avg_pool2d_backward", DType::kF32, &AvgPool2dBackward);
  Register(r, "adaptive_avg_pool2d_backward", DType::kF32, &AdaptiveAvgPool2dBackward);
  Register(r, "batch_norm_backward", DType::kF32, &BatchNormBackward);
  Register(r, "layer_norm_backward", DType::kF32, &LayerNormBackward);
}

}  // namespace bronze::cpu
#endif  // HWY_ONCE
