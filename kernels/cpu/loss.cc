// Fast CPU kernels for the loss functions (f32): cross_entropy and nll, and the pointwise losses
// mse, l1 and binary_cross_entropy_with_logits.
//
// Vectorized with Highway (runtime dispatch). cross_entropy runs a fused log-softmax per sample
// and never materializes it: a max pass and an exp-sum pass over the classes, vectorized along a
// contiguous row for (N, C) inputs, or across the spatial positions of one n for (N, C, d...)
// inputs (the classes of one sample are strided there, its neighbours contiguous). The pointwise
// losses compute each element in f32 vectors; their sums accumulate in f64 lanes.
//
// Threads: samples (or elements) are cut into fixed chunks (ParallelChunks, boundaries depending
// only on the problem size); each chunk sums its losses in index order and the chunk sums are
// added in chunk order, so "mean" and "sum" are bitwise identical for any thread count. "none"
// writes each sample independently.
#include <algorithm>
#include <cmath>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/loss.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// clang-format off: the math library must follow highway.h
#include "hwy/contrib/math/math-inl.h"
// clang-format on

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ---- Pointwise losses: f(d, x, t, w) gives the per-element loss (w: pos_weight, or 1). ----

struct MseFn {
  template <class D, class V>
  HWY_INLINE V operator()(D, V x, V t, V) const {
    const V diff = hn::Sub(x, t);
    return hn::Mul(diff, diff);
  }
};

struct L1Fn {
  template <class D, class V>
  HWY_INLINE V operator()(D, V x, V t, V) const {
    return hn::Abs(hn::Sub(x, t));
  }
};

struct BceFn {
  // (1 - t) * x - (1 + (w - 1) * t) * log_sigmoid(x),
  // log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|)).
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x, V t, V w) const {
    const V one = hn::Set(d, 1.0f);
    const V log_sigmoid =
        hn::Sub(hn::Min(x, hn::Zero(d)), hn::Log1p(d, hn::Exp(d, hn::Neg(hn::Abs(x)))));
    const V log_weight = hn::MulAdd(hn::Sub(w, one), t, one);
    return hn::NegMulAdd(log_weight, log_sigmoid, hn::Mul(hn::Sub(one, t), x));
  }
};

template <class D>
HWY_INLINE hn::Vec<D> LoadWeight(D d, const float* HWY_RESTRICT w, float w_scalar, size_t i) {
  return w ? hn::LoadU(d, w + i) : hn::Set(d, w_scalar);
}

// y[i] = f(x[i], t[i], w[i] or w_scalar). The one-lane tail computes exactly what a full vector
// does for the same element, so where ParallelFor cuts never changes a result.
template <class F>
HWY_INLINE void MapLoss(const float* HWY_RESTRICT x, const float* HWY_RESTRICT t, const float* w,
                        float w_scalar, float* HWY_RESTRICT y, size_t n, F f) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(f(d, hn::LoadU(d, x + i), hn::LoadU(d, t + i), LoadWeight(d, w, w_scalar, i)), d,
               y + i);
  }
  for (; i < n; ++i) {
    hn::StoreU(f(d1, hn::LoadU(d1, x + i), hn::LoadU(d1, t + i), LoadWeight(d1, w, w_scalar, i)),
               d1, y + i);
  }
}

// The sum of f over [0, n), each f32 loss widened to f64 before it is added.
template <class F>
HWY_INLINE double SumLoss(const float* HWY_RESTRICT x, const float* HWY_RESTRICT t, const float* w,
                          float w_scalar, size_t n, F f) {
  const hn::CappedTag<float, 1> d1;
  size_t i = 0;
  double sum = 0;
#if HWY_TARGET != HWY_SCALAR  // one lane: no halves to widen, the scalar loop below does it all
  const hn::ScalableTag<float> d;
  const hn::Half<decltype(d)> dh;
  const hn::Rebind<double, decltype(dh)> d64;
  const size_t lanes = hn::Lanes(d);
  auto acc_lo = hn::Zero(d64), acc_hi = hn::Zero(d64);
  for (; i + lanes <= n; i += lanes) {
    const auto v = f(d, hn::LoadU(d, x + i), hn::LoadU(d, t + i), LoadWeight(d, w, w_scalar, i));
    acc_lo = hn::Add(acc_lo, hn::PromoteTo(d64, hn::LowerHalf(dh, v)));
    acc_hi = hn::Add(acc_hi, hn::PromoteTo(d64, hn::UpperHalf(dh, v)));
  }
  sum = hn::GetLane(hn::SumOfLanes(d64, hn::Add(acc_lo, acc_hi)));
#endif
  for (; i < n; ++i) {
    sum += static_cast<double>(hn::GetLane(
        f(d1, hn::LoadU(d1, x + i), hn::LoadU(d1, t + i), LoadWeight(d1, w, w_scalar, i))));
  }
  return sum;
}

void MapMse(const float* x, const float* t, const float* w, float ws, float* y, size_t n) {
  MapLoss(x, t, w, ws, y, n, MseFn());
}
void MapL1(const float* x, const float* t, const float* w, float ws, float* y, size_t n) {
  MapLoss(x, t, w, ws, y, n, L1Fn());
}
void MapBce(const float* x, const float* t, const float* w, float ws, float* y, size_t n) {
  MapLoss(x, t, w, ws, y, n, BceFn());
}
double SumMse(const float* x, const float* t, const float* w, float ws, size_t n) {
  return SumLoss(x, t, w, ws, n, MseFn());
}
double SumL1(const float* x, const float* t, const float* w, float ws, size_t n) {
  return SumLoss(x, t, w, ws, n, L1Fn());
}
double SumBce(const float* x, const float* t, const float* w, float ws, size_t n) {
  return SumLoss(x, t, w, ws, n, BceFn());
}

// ---- cross_entropy: per-sample max, sum of exp(x - max) and sum of x over the classes. ----

// One contiguous row of c logits.
void RowStats(const float* HWY_RESTRICT row, size_t c, float* HWY_RESTRICT stats) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  auto vmax = hn::Set(d, -HUGE_VALF);
  size_t i = 0;
  for (; i + lanes <= c; i += lanes) vmax = hn::Max(vmax, hn::LoadU(d, row + i));
  float m = hn::GetLane(hn::MaxOfLanes(d, vmax));
  for (; i < c; ++i) m = std::max(m, row[i]);
  const auto vm = hn::Set(d, m);
  auto vexp = hn::Zero(d), vsum = hn::Zero(d);
  for (i = 0; i + lanes <= c; i += lanes) {
    const auto v = hn::LoadU(d, row + i);
    vexp = hn::Add(vexp, hn::Exp(d, hn::Sub(v, vm)));
    vsum = hn::Add(vsum, v);
  }
  float sum_exp = hn::GetLane(hn::SumOfLanes(d, vexp));
  float sum_x = hn::GetLane(hn::SumOfLanes(d, vsum));
  const auto vm1 = hn::Set(d1, m);
  for (; i < c; ++i) {
    const auto v = hn::LoadU(d1, row + i);
    sum_exp += hn::GetLane(hn::Exp(d1, hn::Sub(v, vm1)));
    sum_x += row[i];
  }
  stats[0] = m;
  stats[1] = sum_exp;
  stats[2] = sum_x;
}

// `count` samples side by side: sample j's logits are base[k * stride + j] for k in [0, c).
template <class D>
HWY_INLINE void StridedStatsLanes(D d, const float* HWY_RESTRICT base, size_t c, size_t stride,
                                  size_t j, float* HWY_RESTRICT m, float* HWY_RESTRICT sum_exp,
                                  float* HWY_RESTRICT sum_x) {
  auto vmax = hn::Set(d, -HUGE_VALF);
  for (size_t k = 0; k < c; ++k) vmax = hn::Max(vmax, hn::LoadU(d, base + k * stride + j));
  auto vexp = hn::Zero(d), vsum = hn::Zero(d);
  for (size_t k = 0; k < c; ++k) {
    const auto v = hn::LoadU(d, base + k * stride + j);
    vexp = hn::Add(vexp, hn::Exp(d, hn::Sub(v, vmax)));
    vsum = hn::Add(vsum, v);
  }
  hn::StoreU(vmax, d, m + j);
  hn::StoreU(vexp, d, sum_exp + j);
  hn::StoreU(vsum, d, sum_x + j);
}

void StridedStats(const float* base, size_t c, size_t stride, size_t count, float* m,
                  float* sum_exp, float* sum_x) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  size_t j = 0;
  for (; j + lanes <= count; j += lanes)
    StridedStatsLanes(d, base, c, stride, j, m, sum_exp, sum_x);
  for (; j < count; ++j) StridedStatsLanes(d1, base, c, stride, j, m, sum_exp, sum_x);
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <limits>
#include <string>
#include <vector>

#include "kernels/class_layout.h"
#include "kernels/cpu/cpu_util.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(MapMse);
HWY_EXPORT(MapL1);
HWY_EXPORT(MapBce);
HWY_EXPORT(SumMse);
HWY_EXPORT(SumL1);
HWY_EXPORT(SumBce);
HWY_EXPORT(RowStats);
HWY_EXPORT(StridedStats);

using MapFn = void (*)(const float*, const float*, const float*, float, float*, size_t);
using SumFn = double (*)(const float*, const float*, const float*, float, size_t);

enum class Reduction { kMean, kSum, kNone };

Reduction GetReduction(const AttrMap& attrs) {
  const std::string& r = attrs.at("reduction").s();
  if (r == "mean") return Reduction::kMean;
  if (r == "sum") return Reduction::kSum;
  return Reduction::kNone;
}

// Adds per-chunk partial sums in chunk order and writes the reduced scalar.
void WriteReduced(Reduction red, const std::vector<double>& partial, double count, float* y) {
  double sum = 0;
  for (double v : partial) sum += v;
  y[0] = static_cast<float>(red == Reduction::kSum ? sum : sum / count);  // 0 / 0: NaN, as torch
}

// ---- Pointwise losses ----

// pos_weight of binary_cross_entropy_with_logits as the loops read it: a scalar, or a vector
// `w` of length `period` (a multiple of the class count c) repeating pos_weight, so a run of
// elements starting at class k may read w[k .. period).
struct Weights {
  const float* w = nullptr;  // nullptr: every element uses `scalar`
  float scalar = 1.0f;
  int64_t c = 1;
  int64_t period = 0;
  std::vector<float> tiled;
};

Weights MakeWeights(std::span<const Tensor> in) {
  Weights w;
  if (in.size() < 3) return w;
  const Tensor& pw = in[2];
  const int64_t last = in[0].rank() > 0 ? in[0].dims().back() : 1;
  if (pw.numel() != 1 && pw.numel() != last) {
    throw ShapeError("pos_weight has " + std::to_string(pw.numel()) + " elements, expected " +
                     std::to_string(last) + " (the input's last dim) or 1");
  }
  if (pw.numel() == 1) {
    w.scalar = pw.data<float>()[0];
    return w;
  }
  w.c = last;
  if (last >= 1024) {
    w.w = pw.data<float>();
    w.period = last;
    return w;
  }
  // Short rows: repeat pos_weight so the vector loops run over many rows at once.
  const int64_t reps = (1024 + last - 1) / last;
  w.period = reps * last;
  w.tiled.resize(static_cast<size_t>(w.period));
  for (int64_t i = 0; i < w.period; ++i)
    w.tiled[static_cast<size_t>(i)] = pw.data<float>()[i % last];
  w.w = w.tiled.data();
  return w;
}

// Calls fn(begin, end, weights pointer or nullptr) over runs of [b, e) that each read pos_weight
// contiguously.
template <typename Fn>
void ForEachRun(const Weights& w, int64_t b, int64_t e, Fn&& fn) {
  if (!w.w) {
    fn(b, e, nullptr);
    return;
  }
  for (int64_t i = b; i < e;) {
    const int64_t k = i % w.c;
    const int64_t len = std::min(e - i, w.period - k);
    fn(i, i + len, w.w + k);
    i += len;
  }
}

template <MapFn (*SelectMap)(), SumFn (*SelectSum)()>
void PointwiseLoss(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                   const ExecContext& ctx) {
  const float* x = in[0].data<float>();
  const float* t = in[1].data<float>();
  float* y = out[0].data<float>();
  const int64_t n = in[0].numel();
  const Weights w = MakeWeights(in);
  const Reduction red = GetReduction(attrs);
  if (red == Reduction::kNone) {
    const MapFn map = SelectMap();
    ParallelFor(ctx, n, kParallelGrain, [&](int64_t b, int64_t e) {
      ForEachRun(w, b, e, [&](int64_t rb, int64_t re, const float* wp) {
        map(x + rb, t + rb, wp, w.scalar, y + rb, static_cast<size_t>(re - rb));
      });
    });
    return;
  }
  const SumFn sum = SelectSum();
  std::vector<double> partial(static_cast<size_t>(NumChunks(n, kParallelGrain)), 0.0);
  ParallelChunks(ctx, n, kParallelGrain, [&](int64_t chunk, int64_t b, int64_t e) {
    double s = 0;
    ForEachRun(w, b, e, [&](int64_t rb, int64_t re, const float* wp) {
      s += sum(x + rb, t + rb, wp, w.scalar, static_cast<size_t>(re - rb));
    });
    partial[static_cast<size_t>(chunk)] = s;
  });
  WriteReduced(red, partial, static_cast<double>(n), y);
}

MapFn SelectMapMse() { return &HWY_DYNAMIC_DISPATCH(MapMse); }
MapFn SelectMapL1() { return &HWY_DYNAMIC_DISPATCH(MapL1); }
MapFn SelectMapBce() { return &HWY_DYNAMIC_DISPATCH(MapBce); }
SumFn SelectSumMse() { return &HWY_DYNAMIC_DISPATCH(SumMse); }
SumFn SelectSumL1() { return &HWY_DYNAMIC_DISPATCH(SumL1); }
SumFn SelectSumBce() { return &HWY_DYNAMIC_DISPATCH(SumBce); }

// ---- cross_entropy and nll ----

// What one chunk of samples found: its loss sum, its non-ignored count, its first bad target.
struct ChunkResult {
  double sum = 0;
  int64_t count = 0;
  int64_t bad_sample = -1;
  int64_t bad_target = 0;
};

// Runs `per_sample(s0, s1, chunk_result)` over fixed chunks of samples, then reports the first
// bad target in sample order, or writes the reduction.
// `work` is the cost of one sample in elements (c for cross_entropy, 1 for nll).
template <typename F>
void RunClassTargetLoss(const AttrMap& attrs, const ClassLayout& l, int64_t work,
                        const ExecContext& ctx, float* y, F&& per_sample) {
  const int64_t samples = l.n * l.d;
  const int64_t chunk = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(work, 1));
  std::vector<ChunkResult> results(static_cast<size_t>(NumChunks(samples, chunk)));
  ParallelChunks(ctx, samples, chunk, [&](int64_t k, int64_t b, int64_t e) {
    per_sample(b, e, results[static_cast<size_t>(k)]);
  });
  const int64_t ignore = attrs.at("ignore_index").i();
  for (const ChunkResult& r : results) {
    if (r.bad_sample >= 0) {
      throw InvalidArgumentError("target value " + std::to_string(r.bad_target) + " at sample " +
                                 std::to_string(r.bad_sample) + " is out of range for " +
                                 std::to_string(l.c) + " classes (expected 0 to " +
                                 std::to_string(l.c - 1) + ", or ignore_index " +
                                 std::to_string(ignore) + ")");
    }
  }
  const Reduction red = GetReduction(attrs);
  if (red == Reduction::kNone) return;
  double sum = 0, count = 0;
  for (const ChunkResult& r : results) {
    sum += r.sum;
    count += static_cast<double>(r.count);
  }
  y[0] = static_cast<float>(red == Reduction::kSum ? sum : sum / count);
}

// The loss of one sample from its statistics (see graph/ops/loss.cc for the definition).
double CrossEntropyLoss(float m, float sum_exp, float sum_x, float x_target, int64_t c, double ls) {
  if (std::isnan(sum_x) || sum_x == std::numeric_limits<float>::infinity()) {
    return std::numeric_limits<double>::quiet_NaN();  // a NaN or +inf logit
  }
  const double lse = static_cast<double>(m) + std::log(static_cast<double>(sum_exp));
  const double nll = lse - static_cast<double>(x_target);
  if (ls <= 0) return nll;
  const double smooth = lse - static_cast<double>(sum_x) / static_cast<double>(c);
  return (1 - ls) * nll + ls * smooth;
}

template <typename I, bool kLogSoftmax>
void ClassTargetLossT(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                      const ExecContext& ctx) {
  const float* x = in[0].data<float>();
  const I* target = in[1].data<I>();
  float* y = out[0].data<float>();
  const ClassLayout l = ClassLayoutOf(in[0].dims());
  const int64_t ignore = attrs.at("ignore_index").i();
  const double ls = kLogSoftmax ? attrs.at("label_smoothing").f() : 0.0;
  const bool none = GetReduction(attrs) == Reduction::kNone;
  const auto row_stats = &HWY_DYNAMIC_DISPATCH(RowStats);
  const auto strided_stats = &HWY_DYNAMIC_DISPATCH(StridedStats);
  RunClassTargetLoss(
      attrs, l, kLogSoftmax ? l.c : 1, ctx, y, [&](int64_t b, int64_t e, ChunkResult& r) {
        constexpr int64_t kSub = 256;  // spatial samples per statistics call
        float m[kSub], sum_exp[kSub], sum_x[kSub];
        int64_t sub_begin = b, sub_end = b;  // samples whose statistics are in m/sum_exp/sum_x
        for (int64_t s = b; s < e; ++s) {
          const int64_t t = static_cast<int64_t>(target[s]);
          double loss = 0;
          if (t != ignore) {
            if (t < 0 || t >= l.c) {
              r.bad_sample = s;
              r.bad_target = t;
              return;
            }
            const int64_t i = s / l.d, j = s % l.d;
            const float* xi = x + i * l.c * l.d;
            const float x_target = xi[t * l.d + j];
            if (!kLogSoftmax) {
              loss = -static_cast<double>(x_target);
            } else if (l.d == 1) {
              float stats[3];
              row_stats(xi, static_cast<size_t>(l.c), stats);
              loss = CrossEntropyLoss(stats[0], stats[1], stats[2], x_target, l.c, ls);
            } else {
              if (s >= sub_end) {  // the statistics of the next run of samples of this i
                sub_begin = s;
                sub_end = std::min({e, (i + 1) * l.d, s + kSub});
                strided_stats(xi + j, static_cast<size_t>(l.c), static_cast<size_t>(l.d),
                              static_cast<size_t>(sub_end - sub_begin), m, sum_exp, sum_x);
              }
              const size_t k = static_cast<size_t>(s - sub_begin);
              loss = CrossEntropyLoss(m[k], sum_exp[k], sum_x[k], x_target, l.c, ls);
            }
            ++r.count;
          }
          if (none) {
            y[s] = static_cast<float>(loss);
          } else {
            r.sum += loss;
          }
        }
      });
}

template <bool kLogSoftmax>
void ClassTargetLoss(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                     const ExecContext& ctx) {
  if (in[1].dtype() == DType::kI32) {
    ClassTargetLossT<int32_t, kLogSoftmax>(attrs, in, out, ctx);
  } else {
    ClassTargetLossT<int64_t, kLogSoftmax>(attrs, in, out, ctx);
  }
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuLossGradKernels(KernelRegistry& r);  // kernels/cpu/loss_grad.cc

void RegisterCpuLossKernels(KernelRegistry& r) {
  RegisterCpuLossGradKernels(r);
  cpu::Register(r, "cross_entropy", DType::kF32, &cpu::ClassTargetLoss<true>);
  cpu::Register(r, "nll", DType::kF32, &cpu::ClassTargetLoss<false>);
  cpu::Register(r, "mse", DType::kF32, &cpu::PointwiseLoss<&cpu::SelectMapMse, &cpu::SelectSumMse>);
  cpu::Register(r, "l1", DType::kF32, &cpu::PointwiseLoss<&cpu::SelectMapL1, &cpu::SelectSumL1>);
  cpu::Register(r, "binary_cross_entropy_with_logits", DType::kF32,
                &cpu::PointwiseLoss<&cpu::SelectMapBce, &cpu::SelectSumBce>);
}

}  // namespace bronze
#endif  // HWY_ONCE
