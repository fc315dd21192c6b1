// Fast CPU kernels (f32) for the softmax backward ops softmax_grad (dx = y * (dy - sum(dy * y)))
// and log_softmax_grad (dx = dy - exp(y) * sum(dy)), vectorized with Highway and split with
// ParallelFor. The inputs are viewed as (outer, n, inner) around the axis; each slice takes two
// passes: the sum along the axis (f32 values promoted to f64 lanes), then the elementwise write
// in f32 (hn::Exp for log_softmax's exp(y), with NaN and overflow made as std::exp's).
//
// inner == 1 (the common last-axis case): one task per run of whole rows. Rows longer than
// kReduceChunk when there are fewer than kReduceMinTasks rows are cut into fixed chunks whose
// partial sums are combined in chunk order (in double), then the write runs in parallel.
// inner > 1: tiles of up to kTile lanes of the inner dim go down the axis, vectorized across the
// lanes, one task per tile. Every output is computed by one fixed sequence of operations whatever
// the thread count, so 1 and 2 threads give bitwise-identical results.
#include <cstddef>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/reduce_softmax_grad.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DD = hn::ScalableTag<double>;
using DH = hn::Rebind<float, DD>;  // as many floats as DD has doubles

// exp over every float: hn::Exp (1 ulp) is valid on [-FLT_MAX, 104] and maps NaN to 0; here NaN
// stays NaN and overflow gives +inf, as std::exp (y is a log-probability, so normally <= 0).
template <class D, class V>
HWY_INLINE V ExpAll(D d, V x) {
  const V e = hn::IfThenElse(hn::Gt(x, hn::Set(d, 88.7228394f)), hn::Inf(d), hn::Exp(d, x));
  return hn::IfThenElse(hn::IsNaN(x), x, e);
}

// sum(dy * y) (kLog = false) or sum(dy) over n contiguous elements, in f64 lanes.
template <bool kLog>
HWY_INLINE double RowSum(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT y, size_t n) {
  const DD dd;
  const DH dh;
  const size_t N = hn::Lanes(dd);
  auto term = [&](size_t i) {
    const auto g = hn::PromoteTo(dd, hn::LoadU(dh, dy + i));
    return kLog ? g : hn::Mul(g, hn::PromoteTo(dd, hn::LoadU(dh, y + i)));
  };
  auto a0 = hn::Zero(dd), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    a0 = hn::Add(a0, term(i));
    a1 = hn::Add(a1, term(i + N));
    a2 = hn::Add(a2, term(i + 2 * N));
    a3 = hn::Add(a3, term(i + 3 * N));
  }
  for (; i + N <= n; i += N) a0 = hn::Add(a0, term(i));
  double s = hn::GetLane(hn::SumOfLanes(dd, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
  for (; i < n; ++i) s += kLog ? double{dy[i]} : double{dy[i]} * double{y[i]};
  return s;
}
double SoftmaxRowSumF32(const float* dy, const float* y, size_t n) {
  return RowSum<false>(dy, y, n);
}
double LogSoftmaxRowSumF32(const float* dy, const float* y, size_t n) {
  return RowSum<true>(dy, y, n);
}

// One vector of dx: y * (dy - s) (kLog = false) or dy - exp(y) * s.
template <bool kLog, class D, class V>
HWY_INLINE V GradVec(D d, V g, V p, V vs) {
  return kLog ? hn::NegMulAdd(ExpAll(d, p), vs, g) : hn::Mul(p, hn::Sub(g, vs));
}

// The same for lanes [0, n < Lanes) of dy, y (a row's tail or one lane of a tile) through a
// padded vector, so the tail rounds exactly like the vectorized body.
template <bool kLog>
HWY_INLINE void GradTail(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT y,
                         float* HWY_RESTRICT dx, size_t n, float s) {
  const DF d;
  HWY_ALIGN float g[HWY_MAX_BYTES / sizeof(float)] = {};
  HWY_ALIGN float p[HWY_MAX_BYTES / sizeof(float)] = {};
  HWY_ALIGN float r[HWY_MAX_BYTES / sizeof(float)];
  for (size_t k = 0; k < n; ++k) g[k] = dy[k], p[k] = y[k];
  hn::Store(GradVec<kLog>(d, hn::Load(d, g), hn::Load(d, p), hn::Set(d, s)), d, r);
  for (size_t k = 0; k < n; ++k) dx[k] = r[k];
}

// dx over n contiguous elements with the slice's sum s.
template <bool kLog>
HWY_INLINE void RowWrite(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT y,
                         float* HWY_RESTRICT dx, size_t n, float s) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const auto vs = hn::Set(d, s);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(GradVec<kLog>(d, hn::LoadU(d, dy + i), hn::LoadU(d, y + i), vs), d, dx + i);
  }
  if (i < n) GradTail<kLog>(dy + i, y + i, dx + i, n - i, s);
}
void SoftmaxRowWriteF32(const float* dy, const float* y, float* dx, size_t n, float s) {
  RowWrite<false>(dy, y, dx, n, s);
}
void LogSoftmaxRowWriteF32(const float* dy, const float* y, float* dx, size_t n, float s) {
  RowWrite<true>(dy, y, dx, n, s);
}

// Whole rows [0, rows) of length n: sum, then write.
template <bool kLog>
HWY_INLINE void Rows(const float* dy, const float* y, float* dx, size_t rows, size_t n) {
  for (size_t r = 0; r < rows; ++r) {
    const size_t off = r * n;
    const float s = static_cast<float>(RowSum<kLog>(dy + off, y + off, n));
    RowWrite<kLog>(dy + off, y + off, dx + off, n, s);
  }
}
void SoftmaxGradRowsF32(const float* dy, const float* y, float* dx, size_t rows, size_t n) {
  Rows<false>(dy, y, dx, rows, n);
}
void LogSoftmaxGradRowsF32(const float* dy, const float* y, float* dx, size_t rows, size_t n) {
  Rows<true>(dy, y, dx, rows, n);
}

// A tile of `width` (<= 256) lanes down `n` rows `stride` apart.
template <bool kLog>
HWY_INLINE void Cols(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT y,
                     float* HWY_RESTRICT dx, size_t stride, size_t n, size_t width) {
  const DD dd;
  const DH dh;
  const DF d;
  const size_t Nd = hn::Lanes(dd), N = hn::Lanes(d);
  constexpr size_t kTileLanes = 256;
  HWY_ALIGN double acc[kTileLanes];
  HWY_ALIGN float s[kTileLanes];
  for (size_t j = 0; j < width; ++j) acc[j] = 0.0;
  for (size_t r = 0; r < n; ++r) {  // pass 1: the sums, in f64 lanes
    const float* g = dy + r * stride;
    const float* p = y + r * stride;
    size_t j = 0;
    for (; j + Nd <= width; j += Nd) {
      auto t = hn::PromoteTo(dd, hn::LoadU(dh, g + j));
      if (!kLog) t = hn::Mul(t, hn::PromoteTo(dd, hn::LoadU(dh, p + j)));
      hn::Store(hn::Add(hn::Load(dd, acc + j), t), dd, acc + j);
    }
    for (; j < width; ++j) acc[j] += kLog ? double{g[j]} : double{g[j]} * double{p[j]};
  }
  for (size_t j = 0; j < width; ++j) s[j] = static_cast<float>(acc[j]);
  for (size_t r = 0; r < n; ++r) {  // pass 2: the write
    const float* g = dy + r * stride;
    const float* p = y + r * stride;
    float* q = dx + r * stride;
    size_t j = 0;
    for (; j + N <= width; j += N) {
      const auto vg = hn::LoadU(d, g + j), vp = hn::LoadU(d, p + j), vs = hn::Load(d, s + j);
      hn::StoreU(GradVec<kLog>(d, vg, vp, vs), d, q + j);
    }
    for (; j < width; ++j) GradTail<kLog>(g + j, p + j, q + j, 1, s[j]);
  }
}
void SoftmaxGradColsF32(const float* dy, const float* y, float* dx, size_t stride, size_t n,
                        size_t width) {
  Cols<false>(dy, y, dx, stride, n, width);
}
void LogSoftmaxGradColsF32(const float* dy, const float* y, float* dx, size_t stride, size_t n,
                           size_t width) {
  Cols<true>(dy, y, dx, stride, n, width);
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

HWY_EXPORT(SoftmaxRowSumF32);
HWY_EXPORT(LogSoftmaxRowSumF32);
HWY_EXPORT(SoftmaxRowWriteF32);
HWY_EXPORT(LogSoftmaxRowWriteF32);
HWY_EXPORT(SoftmaxGradRowsF32);
HWY_EXPORT(LogSoftmaxGradRowsF32);
HWY_EXPORT(SoftmaxGradColsF32);
HWY_EXPORT(LogSoftmaxGradColsF32);

constexpr int64_t kTile = 256;  // inner lanes per column task (Cols' kTileLanes)

// Few long rows (n > kReduceChunk): chunk sums in parallel, combined per row in chunk order.
template <bool kLog>
void LongRows(const float* dy, const float* y, float* dx, int64_t rows, int64_t n,
              const ExecContext& ctx) {
  const int64_t chunks = NumChunks(n, kReduceChunk);
  const int64_t tasks = rows * chunks;
  auto range = [&](int64_t t, int64_t* off, int64_t* len) {
    const int64_t c = t % chunks;
    *off = (t / chunks) * n + c * kReduceChunk;
    *len = std::min(kReduceChunk, n - c * kReduceChunk);
  };
  const auto sum_fn = kLog ? &HWY_DYNAMIC_DISPATCH(LogSoftmaxRowSumF32)
                           : &HWY_DYNAMIC_DISPATCH(SoftmaxRowSumF32);
  const auto write_fn = kLog ? &HWY_DYNAMIC_DISPATCH(LogSoftmaxRowWriteF32)
                             : &HWY_DYNAMIC_DISPATCH(SoftmaxRowWriteF32);
  std::vector<double> part(static_cast<size_t>(tasks));
  ParallelFor(ctx, tasks, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t off, len;
      range(t, &off, &len);
      part[static_cast<size_t>(t)] = sum_fn(dy + off, y + off, static_cast<size_t>(len));
    }
  });
  std::vector<float> s(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    double acc = 0;
    for (int64_t c = 0; c < chunks; ++c) acc += part[static_cast<size_t>(r * chunks + c)];
    s[static_cast<size_t>(r)] = static_cast<float>(acc);
  }
  ParallelFor(ctx, tasks, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t off, len;
      range(t, &off, &len);
      write_fn(dy + off, y + off, dx + off, static_cast<size_t>(len),
               s[static_cast<size_t>(t / chunks)]);
    }
  });
}

template <bool kLog>
void SoftmaxGradF32(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                    const ExecContext& ctx) {
  const Tensor& yt = in[1];
  const int64_t axis = NormalizeAxis(attrs.at("axis").i(), yt.rank(), "axis");
  if (yt.numel() == 0) return;
  int64_t outer = 1, inner = 1;
  const int64_t n = yt.dims()[static_cast<size_t>(axis)];
  for (int64_t k = 0; k < yt.rank(); ++k) {
    if (k < axis) outer *= yt.dims()[static_cast<size_t>(k)];
    if (k > axis) inner *= yt.dims()[static_cast<size_t>(k)];
  }
  const float* dy = in[0].data<float>();
  const float* y = yt.data<float>();
  float* dx = out[0].data<float>();
  if (inner == 1) {
    if (outer < kReduceMinTasks && n > kReduceChunk) {
      LongRows<kLog>(dy, y, dx, outer, n, ctx);
      return;
    }
    const auto rows_fn = kLog ? &HWY_DYNAMIC_DISPATCH(LogSoftmaxGradRowsF32)
                              : &HWY_DYNAMIC_DISPATCH(SoftmaxGradRowsF32);
    ParallelFor(ctx, outer, std::max<int64_t>(1, kParallelGrain / (2 * n)),
                [&](int64_t b, int64_t e) {
                  rows_fn(dy + b * n, y + b * n, dx + b * n, static_cast<size_t>(e - b),
                          static_cast<size_t>(n));
                });
    return;
  }
  const int64_t tile = std::min(inner, kTile), tiles = (inner + tile - 1) / tile;
  const auto cols_fn = kLog ? &HWY_DYNAMIC_DISPATCH(LogSoftmaxGradColsF32)
                            : &HWY_DYNAMIC_DISPATCH(SoftmaxGradColsF32);
  ParallelFor(ctx, outer * tiles, std::max<int64_t>(1, kParallelGrain / (2 * n * tile)),
              [&](int64_t b, int64_t e) {
                for (int64_t t = b; t < e; ++t) {
                  const int64_t o = t / tiles, j0 = (t % tiles) * tile;
                  const int64_t off = o * n * inner + j0;
                  cols_fn(dy + off, y + off, dx + off, static_cast<size_t>(inner),
                          static_cast<size_t>(n), static_cast<size_t>(std::min(tile, inner - j0)));
                }
              });
}

}  // namespace

void RegisterCpuSoftmaxGradKernels(KernelRegistry& r) {
  Register(r, "softmax_grad", DType::kF32, &SoftmaxGradF32<false>);
  Register(r, "log_softmax_grad", DType::kF32, &SoftmaxGradF32<true>);
}

}  // namespace bronze::cpu
#endif  // HWY_ONCE
