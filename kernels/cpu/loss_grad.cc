// Fast CPU kernels (f32) for the loss family's backward ops: cross_entropy_backward and
// nll_backward (graph/ops/loss_grad.cc has the definitions).
//
// cross_entropy_backward recomputes each sample's softmax in three passes over its classes: the
// max, exp(x - max) written straight into d input while it is summed, then
// (e / sum - q) * g in place, with q the label-smoothed one-hot. Rows of (N, C) inputs are
// contiguous and vectorized along the classes (Highway, runtime dispatch); for (N, C, d...)
// inputs the classes of one sample are strided, so the passes run across up to 256 neighbouring
// positions of one n at once, each vector lane being one sample. hn::Exp maps NaN to 0, so NaN
// and +inf logits are detected in the max pass and make their sample NaN (as the reference
// kernel's double softmax does). nll_backward writes zeros and one -g per sample.
//
// Threads: the targets are checked and the non-ignored ones counted (the "mean" denominator) in
// one serial pass; then ParallelFor splits the samples. Every sample's result is computed by the
// same per-sample (or per-lane) arithmetic wherever the split falls, so the output is bitwise
// identical for any thread count.
#include <algorithm>
#include <cmath>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/loss_grad.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// clang-format off: the math library must follow highway.h
#include "hwy/contrib/math/math-inl.h"
// clang-format on

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One contiguous row of c logits: dx[k] = (softmax(x)[k] - q) * g, except that the target
// class t uses q_hit = q + (1 - label_smoothing).
void RowGrad(const float* HWY_RESTRICT x, size_t c, size_t t, float q, float q_hit, float g,
             float* HWY_RESTRICT dx) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  const auto inf = hn::Set(d, HUGE_VALF);
  auto vmax = hn::Set(d, -HUGE_VALF);
  auto bad = hn::Lt(inf, inf);  // a NaN or +inf logit: the whole row is NaN
  size_t i = 0;
  for (; i + lanes <= c; i += lanes) {
    const auto v = hn::LoadU(d, x + i);
    vmax = hn::Max(vmax, v);
    bad = hn::Or(bad, hn::Or(hn::IsNaN(v), hn::Eq(v, inf)));
  }
  float m = hn::GetLane(hn::MaxOfLanes(d, vmax));
  bool row_bad = !hn::AllFalse(d, bad);
  for (; i < c; ++i) {
    m = std::max(m, x[i]);
    row_bad = row_bad || std::isnan(x[i]) || x[i] == HUGE_VALF;
  }
  const auto vm = hn::Set(d, m);
  const auto vm1 = hn::Set(d1, m);
  auto vsum = hn::Zero(d);
  for (i = 0; i + lanes <= c; i += lanes) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vm));
    hn::StoreU(e, d, dx + i);
    vsum = hn::Add(vsum, e);
  }
  float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
  for (; i < c; ++i) {
    const auto e = hn::Exp(d1, hn::Sub(hn::LoadU(d1, x + i), vm1));
    hn::StoreU(e, d1, dx + i);
    sum += hn::GetLane(e);
  }
  // hn::Exp gives 0 for NaN, so a NaN or +inf logit makes the row NaN explicitly.
  const float inv = row_bad ? NAN : 1.0f / sum;
  const float e_t = dx[t];
  const auto vinv = hn::Set(d, inv), vq = hn::Set(d, q), vg = hn::Set(d, g);
  for (i = 0; i + lanes <= c; i += lanes) {
    const auto p = hn::Mul(hn::LoadU(d, dx + i), vinv);
    hn::StoreU(hn::Mul(hn::Sub(p, vq), vg), d, dx + i);
  }
  for (; i < c; ++i) dx[i] = (dx[i] * inv - q) * g;
  dx[t] = (e_t * inv - q_hit) * g;
}

// `count` samples side by side: sample j's logits are x[k * stride + j] for k in [0, c), its
// target class t[j] (any value outside [0, c) matches no class), its gradient scale g[j].
template <class D>
HWY_INLINE void StridedGradLanes(D d, const float* HWY_RESTRICT x, size_t c, size_t stride,
                                 size_t j, const int32_t* HWY_RESTRICT t, float q, float q_hit,
                                 const float* HWY_RESTRICT g, float* HWY_RESTRICT dx) {
  const hn::RebindToSigned<D> di;
  const auto inf = hn::Set(d, HUGE_VALF);
  auto vmax = hn::Set(d, -HUGE_VALF);
  auto bad = hn::Lt(inf, inf);  // per lane: a NaN or +inf logit makes the sample NaN
  for (size_t k = 0; k < c; ++k) {
    const auto v = hn::LoadU(d, x + k * stride + j);
    vmax = hn::Max(vmax, v);
    bad = hn::Or(bad, hn::Or(hn::IsNaN(v), hn::Eq(v, inf)));
  }
  auto vsum = hn::Zero(d);
  for (size_t k = 0; k < c; ++k) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + k * stride + j), vmax));
    hn::StoreU(e, d, dx + k * stride + j);
    vsum = hn::Add(vsum, e);
  }
  const auto vinv = hn::IfThenElse(bad, hn::Set(d, NAN), hn::Div(hn::Set(d, 1.0f), vsum));
  const auto vg = hn::LoadU(d, g + j);
  const auto vt = hn::LoadU(di, t + j);
  const auto vq = hn::Set(d, q), vq_hit = hn::Set(d, q_hit);
  for (size_t k = 0; k < c; ++k) {
    const auto hit = hn::RebindMask(d, hn::Eq(vt, hn::Set(di, static_cast<int32_t>(k))));
    const auto p = hn::Mul(hn::LoadU(d, dx + k * stride + j), vinv);
    const auto diff = hn::Sub(p, hn::IfThenElse(hit, vq_hit, vq));
    hn::StoreU(hn::Mul(diff, vg), d, dx + k * stride + j);
  }
}

void StridedGrad(const float* x, size_t c, size_t stride, size_t count, const int32_t* t, float q,
                 float q_hit, const float* g, float* dx) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  size_t j = 0;
  for (; j + lanes <= count; j += lanes) StridedGradLanes(d, x, c, stride, j, t, q, q_hit, g, dx);
  for (; j < count; ++j) StridedGradLanes(d1, x, c, stride, j, t, q, q_hit, g, dx);
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cstring>
#include <string>

#include "kernels/class_layout.h"
#include "kernels/cpu/cpu_util.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(RowGrad);
HWY_EXPORT(StridedGrad);

// What every sample needs: the layout [n][c][d], the targets and each sample's gradient scale.
template <typename I>
struct Problem {
  int64_t n = 1, c = 1, d = 1;
  const I* target = nullptr;
  int64_t ignore = 0;
  const float* g = nullptr;  // the loss gradient
  bool none = false;         // per-sample g; else every sample uses g_all
  float g_all = 0;

  bool Ignored(int64_t s) const { return static_cast<int64_t>(target[s]) == ignore; }
  float G(int64_t s) const { return none ? g[s] : g_all; }
};

// Checks every target (a serial pass; targets are few next to the logits), counts the
// non-ignored ones and fixes the gradient scale of the reduction.
template <typename I>
Problem<I> MakeProblem(const AttrMap& attrs, std::span<const Tensor> in) {
  Problem<I> p;
  const ClassLayout l = ClassLayoutOf(in[1].dims());
  p.n = l.n;
  p.c = l.c;
  p.d = l.d;
  p.target = in[2].data<I>();
  p.ignore = attrs.at("ignore_index").i();
  p.g = in[0].data<float>();
  const std::string& reduction = attrs.at("reduction").s();
  p.none = reduction == "none";
  int64_t count = 0;
  for (int64_t s = 0; s < p.n * p.d; ++s) {
    const int64_t t = static_cast<int64_t>(p.target[s]);
    if (t == p.ignore) continue;
    if (t < 0 || t >= p.c) {
      throw InvalidArgumentError("target value " + std::to_string(t) + " at sample " +
                                 std::to_string(s) + " is out of range for " +
                                 std::to_string(p.c) + " classes (expected 0 to " +
                                 std::to_string(p.c - 1) + ", or ignore_index " +
                                 std::to_string(p.ignore) + ")");
    }
    ++count;
  }
  if (!p.none) {
    const double g0 = static_cast<double>(p.g[0]);
    p.g_all = static_cast<float>(reduction == "mean" ? g0 / static_cast<double>(count) : g0);
  }
  return p;
}

// Samples per ParallelFor grain when each costs `work` elements.
int64_t SampleGrain(int64_t work) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(work, 1));
}

template <typename I>
void CrossEntropyBackwardT(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                           const ExecContext& ctx) {
  const Problem<I> p = MakeProblem<I>(attrs, in);
  const float* x = in[1].data<float>();
  float* dx = out[0].data<float>();
  const double ls = attrs.at("label_smoothing").f();
  const float q = static_cast<float>(ls / static_cast<double>(p.c));
  const float q_hit = static_cast<float>(1 - ls + ls / static_cast<double>(p.c));
  const int64_t samples = p.n * p.d;
  if (p.d == 1) {
    const auto row_grad = &HWY_DYNAMIC_DISPATCH(RowGrad);
    ParallelFor(ctx, samples, SampleGrain(p.c), [&](int64_t b, int64_t e) {
      for (int64_t s = b; s < e; ++s) {
        float* drow = dx + s * p.c;
        if (p.Ignored(s)) {
          std::memset(drow, 0, static_cast<size_t>(p.c) * sizeof(float));
          continue;
        }
        row_grad(x + s * p.c, static_cast<size_t>(p.c), static_cast<size_t>(p.target[s]), q,
                 q_hit, p.G(s), drow);
      }
    });
    return;
  }
  const auto strided_grad = &HWY_DYNAMIC_DISPATCH(StridedGrad);
  ParallelFor(ctx, samples, SampleGrain(p.c), [&](int64_t b, int64_t e) {
    constexpr int64_t kSub = 256;  // neighbouring positions per call
    int32_t t[kSub];
    float g[kSub];
    for (int64_t s0 = b; s0 < e;) {
      const int64_t i = s0 / p.d, j0 = s0 % p.d;
      const int64_t s1 = std::min({e, (i + 1) * p.d, s0 + kSub});
      for (int64_t s = s0; s < s1; ++s) {
        // An ignored sample matches no class (-1) and is zeroed below.
        t[s - s0] = p.Ignored(s) ? -1 : static_cast<int32_t>(p.target[s]);
        g[s - s0] = p.G(s);
      }
      const int64_t base = i * p.c * p.d + j0;
      strided_grad(x + base, static_cast<size_t>(p.c), static_cast<size_t>(p.d),
                   static_cast<size_t>(s1 - s0), t, q, q_hit, g, dx + base);
      for (int64_t s = s0; s < s1; ++s) {
        if (!p.Ignored(s)) continue;
        for (int64_t k = 0; k < p.c; ++k) dx[base + k * p.d + (s - s0)] = 0.0f;
      }
      s0 = s1;
    }
  });
}

template <typename I>
void NllBackwardT(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                  const ExecContext& ctx) {
  const Problem<I> p = MakeProblem<I>(attrs, in);
  float* dx = out[0].data<float>();
  // Each n's block [c][d] is zeroed, then its samples' targets get -g: split over n (whole
  // blocks), so no two threads write one block.
  ParallelFor(ctx, p.n, SampleGrain(p.c * p.d), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float* block = dx + i * p.c * p.d;
      std::memset(block, 0, static_cast<size_t>(p.c * p.d) * sizeof(float));
      for (int64_t j = 0; j < p.d; ++j) {
        const int64_t s = i * p.d + j;
        if (!p.Ignored(s)) block[static_cast<int64_t>(p.target[s]) * p.d + j] = -p.G(s);
      }
    }
  });
}

void CrossEntropyBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                          const ExecContext& ctx) {
  if (in[2].dtype() == DType::kI32) {
    CrossEntropyBackwardT<int32_t>(attrs, in, out, ctx);
  } else {
    CrossEntropyBackwardT<int64_t>(attrs, in, out, ctx);
  }
}

void NllBackward(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                 const ExecContext& ctx) {
  if (in[2].dtype() == DType::kI32) {
    NllBackwardT<int32_t>(attrs, in, out, ctx);
  } else {
    NllBackwardT<int64_t>(attrs, in, out, ctx);
  }
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuLossGradKernels(KernelRegistry& r) {
  cpu::Register(r, "cross_entropy_backward", DType::kF32, &cpu::CrossEntropyBackward);
  cpu::Register(r, "nll_backward", DType::kF32, &cpu::NllBackward);
}

}  // namespace bronze
#endif  // HWY_ONCE
