// Fast CPU kernels (f32) for softmax and log_softmax, vectorized with Highway and split with
// ParallelFor. The input is viewed as (outer, n, inner) around the axis.
//
// inner == 1 (the common last-axis case): each row is normalized by one task in three passes
// over the (cache-resident) row: m = max, then e = exp(x - m) (stored for softmax) and their sum
// in four f32 vector accumulators, then y = e * (1 / sum) or y = (x - m) - log(sum). Outputs of
// kStreamBytes or more are written with non-temporal stores (softmax keeps e in a stack scratch
// row then), so y is not read before it is written: the traffic of a copy. Rows longer
// than kReduceChunk when there are fewer than kReduceMinTasks rows are cut into fixed chunks:
// chunk maxima and chunk sums are combined in chunk order (sums in double), then the scaling
// runs in parallel, so 1 and 2 threads give bitwise-identical results.
// inner > 1: tiles of up to kTile lanes of the inner dim are normalized down the axis with the
// same three passes, vectorized across the inner lanes (no chunking: one task per tile).
//
// The exponentials use ExpNonPositive (Cephes' expf for x - max <= 0, half the work of hn::Exp,
// relative error about 2e-7), since exp dominates the arithmetic.
//
// Special values follow torch's x - max: a slice whose max is not finite (it holds NaN or +inf,
// or is all -inf) becomes all NaN; otherwise x - m is in [-inf, 0] and exp never overflows.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/reduce_softmax.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/cache_control.h"
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
constexpr float kInf = std::numeric_limits<float>::infinity();

template <class V>
HWY_INLINE V MaxNaN(V best, V v) {  // max that propagates NaN
  return hn::IfThenElse(hn::Or(hn::Gt(v, best), hn::IsNaN(v)), v, best);
}
HWY_INLINE float MaxNaNScalar(float best, float v) { return v > best || std::isnan(v) ? v : best; }

// exp(x) for x <= 0 (softmax's x - max), about half the work of hn::Exp: Cephes' expf
// (round x / ln 2 to n with the 1.5 * 2^23 trick, reduce with ln 2 split in two, a degree-5
// polynomial, scale by 2^n through the exponent bits; peak relative error about 2e-7). Inputs
// below -87 (down to -inf) give exactly 0, so 2^n stays a normal float.
template <class D, class V>
HWY_INLINE V ExpNonPositive(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V magic = hn::Set(d, 12582912.0f);  // 1.5 * 2^23
  const V t = hn::MulAdd(x, hn::Set(d, 1.44269504088896341f), magic);
  const V n = hn::Sub(t, magic);
  V r = hn::NegMulAdd(n, hn::Set(d, 0.693359375f), x);
  r = hn::NegMulAdd(n, hn::Set(d, -2.12194440e-4f), r);
  V p = hn::MulAdd(hn::Set(d, 1.9875691500e-4f), r, hn::Set(d, 1.3981999507e-3f));
  p = hn::MulAdd(p, r, hn::Set(d, 8.3334519073e-3f));
  p = hn::MulAdd(p, r, hn::Set(d, 4.1665795894e-2f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.6666665459e-1f));
  p = hn::MulAdd(p, r, hn::Set(d, 5.0000001201e-1f));
  p = hn::MulAdd(p, hn::Mul(r, r), hn::Add(r, hn::Set(d, 1.0f)));
  // t's bits are those of 1.5 * 2^23 (0x4B400000) plus n; 2^n has exponent bits n + 127.
  const auto e = hn::Add(hn::BitCast(di, t), hn::Set(di, 127 - 0x4B400000));
  const V scale = hn::BitCast(d, hn::ShiftLeft<23>(e));
  return hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, -87.0f)), hn::Mul(p, scale));
}

// Max of n floats, NaN propagating (-inf for n = 0).
float MaxF32(const float* HWY_RESTRICT x, size_t n) {
  const DF d;
  const size_t N = hn::Lanes(d);
  auto b0 = hn::Set(d, -kInf), b1 = b0, b2 = b0, b3 = b0;
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    b0 = MaxNaN(b0, hn::LoadU(d, x + i));
    b1 = MaxNaN(b1, hn::LoadU(d, x + i + N));
    b2 = MaxNaN(b2, hn::LoadU(d, x + i + 2 * N));
    b3 = MaxNaN(b3, hn::LoadU(d, x + i + 3 * N));
  }
  for (; i + N <= n; i += N) b0 = MaxNaN(b0, hn::LoadU(d, x + i));
  b0 = MaxNaN(MaxNaN(b0, b1), MaxNaN(b2, b3));
  float r = hn::AllFalse(d, hn::IsNaN(b0)) ? hn::GetLane(hn::MaxOfLanes(d, b0))
                                           : std::numeric_limits<float>::quiet_NaN();
  for (; i < n; ++i) r = MaxNaNScalar(r, x[i]);
  return r;
}

// Sum of e = exp(x - m) for a finite m, in four f32 vector accumulators; stores e to y when y is
// not null. When `ahead` is not null, ahead[0, n) is prefetched meanwhile (the next row, so its
// reads from memory overlap this row's arithmetic).
float ExpSumF32(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t n, float m,
                const float* ahead) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const auto vm = hn::Set(d, m);
  auto s0 = hn::Zero(d), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  auto exp_at = [&](size_t k) { return ExpNonPositive(d, hn::Sub(hn::LoadU(d, x + k), vm)); };
  auto prefetch = [&](size_t k) {
    if (!ahead) return;
    for (size_t j = 0; j < 4 * N; j += 64 / sizeof(float)) __builtin_prefetch(ahead + k + j, 0, 3);
  };
  if (y) {
    for (; i + 4 * N <= n; i += 4 * N) {
      prefetch(i);
      const auto e0 = exp_at(i), e1 = exp_at(i + N), e2 = exp_at(i + 2 * N), e3 = exp_at(i + 3 * N);
      hn::StoreU(e0, d, y + i);
      hn::StoreU(e1, d, y + i + N);
      hn::StoreU(e2, d, y + i + 2 * N);
      hn::StoreU(e3, d, y + i + 3 * N);
      s0 = hn::Add(s0, e0), s1 = hn::Add(s1, e1), s2 = hn::Add(s2, e2), s3 = hn::Add(s3, e3);
    }
    for (; i + N <= n; i += N) {
      const auto e = exp_at(i);
      hn::StoreU(e, d, y + i);
      s0 = hn::Add(s0, e);
    }
  } else {
    for (; i + 4 * N <= n; i += 4 * N) {
      prefetch(i);
      s0 = hn::Add(s0, exp_at(i));
      s1 = hn::Add(s1, exp_at(i + N));
      s2 = hn::Add(s2, exp_at(i + 2 * N));
      s3 = hn::Add(s3, exp_at(i + 3 * N));
    }
    for (; i + N <= n; i += N) s0 = hn::Add(s0, exp_at(i));
  }
  float s = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i) {
    const float e = std::exp(x[i] - m);
    if (y) y[i] = e;
    s += e;
  }
  return s;
}

// y *= scale.
void ScaleF32(float* HWY_RESTRICT y, size_t n, float scale) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const auto vs = hn::Set(d, scale);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, y + i), vs), d, y + i);
  for (; i < n; ++i) y[i] *= scale;
}

// y = (x - m) - c.
void ShiftF32(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t n, float m, float c) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const auto vm = hn::Set(d, m), vc = hn::Set(d, c);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Sub(hn::Sub(hn::LoadU(d, x + i), vm), vc), d, y + i);
  for (; i < n; ++i) y[i] = (x[i] - m) - c;
}

// Writes y[i] = vec(i) / scalar(i) for i in [0, n). With `stream`, full aligned vectors go out as
// non-temporal stores (no read-for-ownership of y, no cache pollution): for outputs far larger
// than the caches. The values are the same either way.
template <class VecAt, class ScalarAt>
HWY_INLINE void WriteRow(float* HWY_RESTRICT y, size_t n, bool stream, VecAt vec, ScalarAt scalar) {
  const DF d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  if (stream) {
    for (; i < n && reinterpret_cast<uintptr_t>(y + i) % (N * sizeof(float)) != 0; ++i)
      y[i] = scalar(i);
    for (; i + N <= n; i += N) hn::Stream(vec(i), d, y + i);
  } else {
    for (; i + N <= n; i += N) hn::StoreU(vec(i), d, y + i);
  }
  for (; i < n; ++i) y[i] = scalar(i);
}

// Rows up to this long keep softmax's exponentials in a stack scratch row when streaming.
constexpr size_t kScratch = 8192;

// One whole row: the three passes (kLog: log_softmax). With `stream` (an input too large for the
// caches), the next row is prefetched during the exponentials.
template <bool kLog>
HWY_INLINE void SoftmaxRow(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t n,
                           bool stream, float* HWY_RESTRICT scratch) {
  const DF d;
  const float* ahead = stream && n <= kScratch ? x + n : nullptr;
  const float m = MaxF32(x, n);
  if (!std::isfinite(m)) {
    for (size_t i = 0; i < n; ++i) y[i] = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  if (kLog) {
    const float ls = std::log(ExpSumF32(x, nullptr, n, m, ahead));
    const auto vm = hn::Set(d, m), vls = hn::Set(d, ls);
    WriteRow(
        y, n, stream, [&](size_t i) { return hn::Sub(hn::Sub(hn::LoadU(d, x + i), vm), vls); },
        [&](size_t i) { return (x[i] - m) - ls; });
  } else if (stream && n <= kScratch) {
    const float inv = 1.0f / ExpSumF32(x, scratch, n, m, ahead);
    const auto vinv = hn::Set(d, inv);
    WriteRow(
        y, n, true, [&](size_t i) { return hn::Mul(hn::LoadU(d, scratch + i), vinv); },
        [&](size_t i) { return scratch[i] * inv; });
  } else {
    ScaleF32(y, n, 1.0f / ExpSumF32(x, y, n, m, ahead));
  }
}

// Rows [0, rows) of length n, `n` apart; `stream`: see WriteRow.
template <bool kLog>
HWY_INLINE void SoftmaxRows(const float* x, float* y, size_t rows, size_t n, bool stream) {
  HWY_ALIGN float scratch[kLog ? 1 : kScratch];
  for (size_t r = 0; r < rows; ++r) SoftmaxRow<kLog>(x + r * n, y + r * n, n, stream, scratch);
  if (stream) hwy::FlushStream();
}
void SoftmaxRowsF32(const float* x, float* y, size_t rows, size_t n, bool stream) {
  SoftmaxRows<false>(x, y, rows, n, stream);
}
void LogSoftmaxRowsF32(const float* x, float* y, size_t rows, size_t n, bool stream) {
  SoftmaxRows<true>(x, y, rows, n, stream);
}

// A tile of `width` lanes down `n` rows `stride` apart (kLog: log_softmax). Lanes whose max is
// not finite become NaN.
template <bool kLog>
HWY_INLINE void SoftmaxCols(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t stride,
                            size_t n, size_t width) {
  const DF d;
  const size_t N = hn::Lanes(d);
  constexpr size_t kTileLanes = 256;
  HWY_ALIGN float m[kTileLanes];
  HWY_ALIGN float s[kTileLanes];
  for (size_t j = 0; j < width; ++j) m[j] = -kInf, s[j] = 0.0f;
  for (size_t r = 0; r < n; ++r) {  // pass 1: max
    const float* p = x + r * stride;
    size_t j = 0;
    for (; j + N <= width; j += N)
      hn::Store(MaxNaN(hn::Load(d, m + j), hn::LoadU(d, p + j)), d, m + j);
    for (; j < width; ++j) m[j] = MaxNaNScalar(m[j], p[j]);
  }
  for (size_t r = 0; r < n; ++r) {  // pass 2: exp and sum
    const float* p = x + r * stride;
    float* q = y + r * stride;
    size_t j = 0;
    for (; j + N <= width; j += N) {
      const auto e = ExpNonPositive(d, hn::Sub(hn::LoadU(d, p + j), hn::Load(d, m + j)));
      if (!kLog) hn::StoreU(e, d, q + j);
      hn::Store(hn::Add(hn::Load(d, s + j), e), d, s + j);
    }
    for (; j < width; ++j) {
      const float e = std::isfinite(m[j]) ? std::exp(p[j] - m[j]) : 0.0f;
      if (!kLog) q[j] = e;
      s[j] += e;
    }
  }
  // pass 3: s becomes the scale (softmax) or the shift (log_softmax).
  for (size_t j = 0; j < width; ++j) s[j] = kLog ? std::log(s[j]) : 1.0f / s[j];
  for (size_t r = 0; r < n; ++r) {
    const float* p = x + r * stride;
    float* q = y + r * stride;
    size_t j = 0;
    for (; j + N <= width; j += N) {
      if (kLog) {
        hn::StoreU(hn::Sub(hn::Sub(hn::LoadU(d, p + j), hn::Load(d, m + j)), hn::Load(d, s + j)), d,
                   q + j);
      } else {
        hn::StoreU(hn::Mul(hn::LoadU(d, q + j), hn::Load(d, s + j)), d, q + j);
      }
    }
    for (; j < width; ++j) q[j] = kLog ? (p[j] - m[j]) - s[j] : q[j] * s[j];
  }
  for (size_t j = 0; j < width; ++j) {
    if (std::isfinite(m[j])) continue;
    for (size_t r = 0; r < n; ++r) y[r * stride + j] = std::numeric_limits<float>::quiet_NaN();
  }
}

void SoftmaxColsF32(const float* x, float* y, size_t stride, size_t n, size_t width) {
  SoftmaxCols<false>(x, y, stride, n, width);
}
void LogSoftmaxColsF32(const float* x, float* y, size_t stride, size_t n, size_t width) {
  SoftmaxCols<true>(x, y, stride, n, width);
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <vector>

#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/reduce_internal.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(MaxF32);
HWY_EXPORT(ExpSumF32);
HWY_EXPORT(ScaleF32);
HWY_EXPORT(ShiftF32);
HWY_EXPORT(SoftmaxRowsF32);
HWY_EXPORT(LogSoftmaxRowsF32);
HWY_EXPORT(SoftmaxColsF32);
HWY_EXPORT(LogSoftmaxColsF32);

constexpr int64_t kTile = 256;  // inner lanes per column task (SoftmaxCols' kTileLanes)
// Outputs at least this large are written with non-temporal stores on the row path: they do not
// fit the caches anyway, and streaming saves reading y before writing it.
constexpr size_t kStreamBytes = size_t{16} << 20;

// One long row (n > kReduceChunk) normalized chunk by chunk: chunk maxima and sums are computed
// in parallel and combined in chunk order.
template <bool kLog>
void LongRows(const float* x, float* y, int64_t rows, int64_t n, const ExecContext& ctx) {
  const int64_t chunks = NumChunks(n, kReduceChunk);
  const int64_t tasks = rows * chunks;
  auto range = [&](int64_t t, int64_t* off, int64_t* len) {
    const int64_t c = t % chunks;
    *off = (t / chunks) * n + c * kReduceChunk;
    *len = std::min(kReduceChunk, n - c * kReduceChunk);
  };
  const auto max_fn = &HWY_DYNAMIC_DISPATCH(MaxF32);
  const auto exp_sum_fn = &HWY_DYNAMIC_DISPATCH(ExpSumF32);
  std::vector<float> part(static_cast<size_t>(tasks));
  ParallelFor(ctx, tasks, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t off, len;
      range(t, &off, &len);
      part[static_cast<size_t>(t)] = max_fn(x + off, static_cast<size_t>(len));
    }
  });
  std::vector<float> m(static_cast<size_t>(rows), -std::numeric_limits<float>::infinity());
  for (int64_t t = 0; t < tasks; ++t) {
    float& mr = m[static_cast<size_t>(t / chunks)];
    const float v = part[static_cast<size_t>(t)];
    if (v > mr || std::isnan(v)) mr = v;
  }
  ParallelFor(ctx, tasks, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t off, len;
      range(t, &off, &len);
      const float mr = m[static_cast<size_t>(t / chunks)];
      if (!std::isfinite(mr)) continue;
      part[static_cast<size_t>(t)] =
          exp_sum_fn(x + off, kLog ? nullptr : y + off, static_cast<size_t>(len), mr, nullptr);
    }
  });
  std::vector<float> coef(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t c = 0; c < chunks; ++c) s += part[static_cast<size_t>(r * chunks + c)];
    coef[static_cast<size_t>(r)] =
        kLog ? static_cast<float>(std::log(s)) : static_cast<float>(1.0 / s);
  }
  const auto scale_fn = &HWY_DYNAMIC_DISPATCH(ScaleF32);
  const auto shift_fn = &HWY_DYNAMIC_DISPATCH(ShiftF32);
  ParallelFor(ctx, tasks, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t off, len;
      range(t, &off, &len);
      const size_t r = static_cast<size_t>(t / chunks);
      if (!std::isfinite(m[r])) {
        std::fill(y + off, y + off + len, std::numeric_limits<float>::quiet_NaN());
      } else if (kLog) {
        shift_fn(x + off, y + off, static_cast<size_t>(len), m[r], coef[r]);
      } else {
        scale_fn(y + off, static_cast<size_t>(len), coef[r]);
      }
    }
  });
}

template <bool kLog>
void SoftmaxF32(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                const ExecContext& ctx) {
  const Tensor& xt = in[0];
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), xt.rank(), "axis");
  if (xt.numel() == 0) return;
  int64_t outer = 1, inner = 1;
  const int64_t n = xt.dims()[static_cast<size_t>(axis)];
  for (int64_t k = 0; k < xt.rank(); ++k) {
    if (k < axis) outer *= xt.dims()[static_cast<size_t>(k)];
    if (k > axis) inner *= xt.dims()[static_cast<size_t>(k)];
  }
  const float* x = xt.data<float>();
  float* y = out[0].data<float>();
  if (inner == 1) {
    if (outer < kReduceMinTasks && n > kReduceChunk) {
      LongRows<kLog>(x, y, outer, n, ctx);
      return;
    }
    const auto rows_fn =
        kLog ? &HWY_DYNAMIC_DISPATCH(LogSoftmaxRowsF32) : &HWY_DYNAMIC_DISPATCH(SoftmaxRowsF32);
    const bool stream = out[0].nbytes() >= kStreamBytes;
    ParallelFor(
        ctx, outer, std::max<int64_t>(1, kParallelGrain / (4 * n)), [&](int64_t b, int64_t e) {
          rows_fn(x + b * n, y + b * n, static_cast<size_t>(e - b), static_cast<size_t>(n), stream);
        });
    return;
  }
  const int64_t tile = std::min(inner, kTile), tiles = (inner + tile - 1) / tile;
  const auto cols_fn =
      kLog ? &HWY_DYNAMIC_DISPATCH(LogSoftmaxColsF32) : &HWY_DYNAMIC_DISPATCH(SoftmaxColsF32);
  ParallelFor(ctx, outer * tiles, std::max<int64_t>(1, kParallelGrain / (4 * n * tile)),
              [&](int64_t b, int64_t e) {
                for (int64_t t = b; t < e; ++t) {
                  const int64_t o = t / tiles, j0 = (t % tiles) * tile;
                  const int64_t off = o * n * inner + j0;
                  cols_fn(x + off, y + off, static_cast<size_t>(inner), static_cast<size_t>(n),
                          static_cast<size_t>(std::min(tile, inner - j0)));
                }
              });
}

}  // namespace

void RegisterCpuSoftmaxKernels(KernelRegistry& r) {
  Register(r, "softmax", DType::kF32, &SoftmaxF32<false>);
  Register(r, "log_softmax", DType::kF32, &SoftmaxF32<true>);
}

}  // namespace bronze::cpu
#endif  // HWY_ONCE
