// Fast CPU kernels for the optimizer family (graph/ops/optimizer.cc): assign (a parallel copy,
// every dtype) and the f32 sgd, adam, adamw, rmsprop and adagrad updates, each ONE fused pass
// over the parameter, the gradient and the states, vectorized with Highway (runtime dispatch)
// and split across the session's threads with ParallelFor. The arithmetic is f32 like PyTorch's
// f32 tensors, in the order torch.optim's single-tensor code uses, with the scalar factors
// (lr / (1 - beta1^t), sqrt(1 - beta2^t), Adagrad's decayed lr) formed in double and rounded
// once. Every element is computed the same way whichever range it falls in (full vectors and
// the one-lane tail run the same operations on the same target), so results are bitwise equal
// at any thread count. Outputs may alias inputs (in-place updates): a vector of every input is
// loaded before the vectors of the outputs at the same index are stored, and the scalar step
// counter is read before the parallel part and written after it.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/optimizer.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <cmath>
#include <cstring>

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// f(d, i) for full vectors at i = 0, lanes, ... then one lane at a time for the tail.
template <typename F>
HWY_INLINE void ForLanes(size_t n, F f) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) f(d, i);
  const hn::CappedTag<float, 1> d1;
  for (; i < n; ++i) f(d1, i);
}

// g + wd * p (the L2 term), skipped when wd is 0 as torch.optim does (0 * inf would be NaN).
template <class D, class V>
HWY_INLINE V WithDecay(D d, V g, V p, float wd) {
  return wd != 0.0f ? hn::MulAdd(hn::Set(d, wd), p, g) : g;
}

// torch.maximum: NaN when either side is NaN.
template <class D, class V>
HWY_INLINE V MaxNaN(D, V a, V b) {
  const V m = hn::Max(a, b);
  return hn::IfThenElse(hn::IsNaN(a), a, hn::IfThenElse(hn::IsNaN(b), b, m));
}

void SgdF32(const float* p, const float* g, float* po, size_t n, float lr, float wd) {
  ForLanes(n, [&](auto d, size_t i) {
    const auto vp = hn::LoadU(d, p + i);
    const auto vg = WithDecay(d, hn::LoadU(d, g + i), vp, wd);
    hn::StoreU(hn::NegMulAdd(hn::Set(d, lr), vg, vp), d, po + i);  // p - lr * g
  });
}

void SgdMomentumF32(const float* p, const float* g, const float* b, float* po, float* bo, size_t n,
                    float lr, float wd, float mu, float damp1, int first, int nesterov) {
  ForLanes(n, [&](auto d, size_t i) {
    const auto vp = hn::LoadU(d, p + i);
    const auto vg = WithDecay(d, hn::LoadU(d, g + i), vp, wd);
    // First step: buf = g; else buf = mu * buf + (1 - dampening) * g.
    const auto vb =
        first ? vg
              : hn::MulAdd(hn::Set(d, mu), hn::LoadU(d, b + i), hn::Mul(hn::Set(d, damp1), vg));
    const auto step = nesterov ? hn::MulAdd(hn::Set(d, mu), vb, vg) : vb;
    hn::StoreU(vb, d, bo + i);
    hn::StoreU(hn::NegMulAdd(hn::Set(d, lr), step, vp), d, po + i);
  });
}

// Adam (decoupled 0) and AdamW (decoupled 1); vmax / vmaxo are null without amsgrad.
void AdamF32(const float* p, const float* g, const float* m, const float* v, const float* vmax,
             float* po, float* mo, float* vo, float* vmaxo, size_t n, float step_size,
             float bc2_sqrt, float beta1, float beta2, float eps, float wd, float decay,
             int decoupled) {
  ForLanes(n, [&](auto d, size_t i) {
    auto vp = hn::LoadU(d, p + i);
    auto vg = hn::LoadU(d, g + i);
    if (decoupled) {
      vp = hn::Mul(vp, hn::Set(d, decay));  // param.mul_(1 - lr * weight_decay)
    } else {
      vg = WithDecay(d, vg, vp, wd);
    }
    const auto vm = hn::LoadU(d, m + i);
    // exp_avg.lerp_(g, 1 - beta1) = exp_avg + (1 - beta1) * (g - exp_avg)
    const auto m1 = hn::MulAdd(hn::Set(d, 1.0f - beta1), hn::Sub(vg, vm), vm);
    // exp_avg_sq.mul_(beta2).addcmul_(g, g, 1 - beta2)
    const auto v1 = hn::MulAdd(hn::Set(d, 1.0f - beta2), hn::Mul(vg, vg),
                               hn::Mul(hn::LoadU(d, v + i), hn::Set(d, beta2)));
    auto second = v1;
    if (vmax) {
      second = MaxNaN(d, hn::LoadU(d, vmax + i), v1);
      hn::StoreU(second, d, vmaxo + i);
    }
    const auto denom = hn::Add(hn::Div(hn::Sqrt(second), hn::Set(d, bc2_sqrt)), hn::Set(d, eps));
    hn::StoreU(m1, d, mo + i);
    hn::StoreU(v1, d, vo + i);
    hn::StoreU(hn::NegMulAdd(hn::Set(d, step_size), hn::Div(m1, denom), vp), d, po + i);
  });
}

// ga / gao are null unless centered, b / bo unless momentum > 0.
void RmspropF32(const float* p, const float* g, const float* sq, const float* ga, const float* b,
                float* po, float* sqo, float* gao, float* bo, size_t n, float lr, float wd,
                float alpha, float eps, float mu) {
  ForLanes(n, [&](auto d, size_t i) {
    const auto vp = hn::LoadU(d, p + i);
    const auto vg = WithDecay(d, hn::LoadU(d, g + i), vp, wd);
    // square_avg.mul_(alpha).addcmul_(g, g, 1 - alpha)
    const auto sq1 = hn::MulAdd(hn::Set(d, 1.0f - alpha), hn::Mul(vg, vg),
                                hn::Mul(hn::LoadU(d, sq + i), hn::Set(d, alpha)));
    auto var = sq1;
    if (ga) {
      const auto vga = hn::LoadU(d, ga + i);
      const auto ga1 = hn::MulAdd(hn::Set(d, 1.0f - alpha), hn::Sub(vg, vga), vga);  // lerp
      var = hn::NegMulAdd(ga1, ga1, sq1);  // square_avg - grad_avg^2
      hn::StoreU(ga1, d, gao + i);
    }
    const auto avg = hn::Add(hn::Sqrt(var), hn::Set(d, eps));
    const auto ratio = hn::Div(vg, avg);
    if (b) {
      const auto b1 = hn::MulAdd(hn::Set(d, mu), hn::LoadU(d, b + i), ratio);
      hn::StoreU(b1, d, bo + i);
      hn::StoreU(sq1, d, sqo + i);
      hn::StoreU(hn::NegMulAdd(hn::Set(d, lr), b1, vp), d, po + i);
    } else {
      hn::StoreU(sq1, d, sqo + i);
      hn::StoreU(hn::NegMulAdd(hn::Set(d, lr), ratio, vp), d, po + i);
    }
  });
}

// kernels/cpu/optimizer.h, SgdMomentumTail.
void MomentumTailF32(float* p, float* b, size_t n, float lr, float decay) {
  ForLanes(n, [&](auto d, size_t i) {
    const auto vp = hn::LoadU(d, p + i);
    auto vb = hn::LoadU(d, b + i);
    if (decay != 0.0f) {
      vb = hn::MulAdd(hn::Set(d, decay), vp, vb);
      hn::StoreU(vb, d, b + i);
    }
    hn::StoreU(hn::NegMulAdd(hn::Set(d, lr), vb, vp), d, p + i);
  });
}

void AdagradF32(const float* p, const float* g, const float* s, float* po, float* so, size_t n,
                float clr, float wd, float eps) {
  ForLanes(n, [&](auto d, size_t i) {
    const auto vp = hn::LoadU(d, p + i);
    const auto vg = WithDecay(d, hn::LoadU(d, g + i), vp, wd);
    const auto s1 = hn::MulAdd(vg, vg, hn::LoadU(d, s + i));  // sum.addcmul_(g, g, 1)
    const auto denom = hn::Add(hn::Sqrt(s1), hn::Set(d, eps));
    hn::StoreU(s1, d, so + i);
    hn::StoreU(hn::NegMulAdd(hn::Set(d, clr), hn::Div(vg, denom), vp), d, po + i);
  });
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/optimizer.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(SgdF32);
HWY_EXPORT(SgdMomentumF32);
HWY_EXPORT(AdamF32);
HWY_EXPORT(RmspropF32);
HWY_EXPORT(AdagradF32);
HWY_EXPORT(MomentumTailF32);

// Each element touches 3 to 7 arrays: a smaller grain than a unary map.
constexpr int64_t kGrain = kParallelGrain / 4;

float F(const AttrMap& attrs, const char* name) { return static_cast<float>(attrs.at(name).f()); }
double D(const AttrMap& attrs, const char* name) { return attrs.at(name).f(); }
bool Flag(const AttrMap& attrs, const char* name) { return attrs.at(name).i() == 1; }
const float* In(std::span<const Tensor> in, size_t i) { return in[i].data<float>(); }
float* Out(std::span<Tensor> out, size_t k) { return out[k].data<float>(); }

// Calls fn(begin, count) over disjoint ranges of the parameter's elements.
template <typename F>
void ForRanges(const ExecContext& ctx, int64_t n, F fn) {
  ParallelFor(ctx, n, kGrain, [&](int64_t b, int64_t e) { fn(b, static_cast<size_t>(e - b)); });
}

void RunAssign(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out,
               const ExecContext& ctx) {
  const char* src = static_cast<const char*>(in[1].raw_data());
  char* dst = static_cast<char*>(out[0].raw_data());
  const int64_t bytes = static_cast<int64_t>(in[1].nbytes());
  if (src == dst || bytes == 0) return;
  ParallelFor(ctx, bytes, kParallelGrain * 4, [&](int64_t b, int64_t e) {
    std::memmove(dst + b, src + b, static_cast<size_t>(e - b));
  });
}

void RunSgd(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
            const ExecContext& ctx) {
  const float lr = static_cast<float>(in[2].GetAsDouble(0)), wd = F(attrs, "weight_decay");
  const double mu = D(attrs, "momentum");
  const float* p = In(in, 0);
  const float* g = In(in, 1);
  float* po = Out(out, 0);
  if (mu == 0.0) {
    const auto fn = &HWY_DYNAMIC_DISPATCH(SgdF32);
    ForRanges(ctx, in[0].numel(),
              [&](int64_t b, size_t c) { fn(p + b, g + b, po + b, c, lr, wd); });
    return;
  }
  const int64_t step = in[4].data<int64_t>()[0];
  const float* buf = In(in, 3);
  float* bo = Out(out, 1);
  const float muf = static_cast<float>(mu);
  const float damp1 = static_cast<float>(1.0 - D(attrs, "dampening"));
  const int first = step == 0, nesterov = Flag(attrs, "nesterov");
  const auto fn = &HWY_DYNAMIC_DISPATCH(SgdMomentumF32);
  ForRanges(ctx, in[0].numel(), [&](int64_t b, size_t c) {
    fn(p + b, g + b, buf + b, po + b, bo + b, c, lr, wd, muf, damp1, first, nesterov);
  });
  out[2].data<int64_t>()[0] = step + 1;
}

template <bool kDecoupled>
void RunAdam(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
             const ExecContext& ctx) {
  const double b1 = D(attrs, "beta1"), b2 = D(attrs, "beta2"), wd = D(attrs, "weight_decay");
  const bool amsgrad = Flag(attrs, "amsgrad");
  const int64_t step = in[4].data<int64_t>()[0];
  const double lr = in[5].GetAsDouble(0);
  const double t = static_cast<double>(step + 1);
  const float step_size = static_cast<float>(lr / (1.0 - std::pow(b1, t)));
  const float bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(b2, t)));
  const float decay = static_cast<float>(1.0 - lr * wd);
  const float* p = In(in, 0);
  const float* g = In(in, 1);
  const float* m = In(in, 2);
  const float* v = In(in, 3);
  const float* vmax = amsgrad ? In(in, 6) : nullptr;
  float* po = Out(out, 0);
  float* mo = Out(out, 1);
  float* vo = Out(out, 2);
  float* vmaxo = amsgrad ? Out(out, 4) : nullptr;
  const float beta1 = static_cast<float>(b1), beta2 = static_cast<float>(b2);
  const float eps = F(attrs, "eps"), wdf = static_cast<float>(wd);
  const auto fn = &HWY_DYNAMIC_DISPATCH(AdamF32);
  ForRanges(ctx, in[0].numel(), [&](int64_t b, size_t c) {
    fn(p + b, g + b, m + b, v + b, vmax ? vmax + b : nullptr, po + b, mo + b, vo + b,
       vmaxo ? vmaxo + b : nullptr, c, step_size, bc2_sqrt, beta1, beta2, eps, wdf, decay,
       kDecoupled ? 1 : 0);
  });
  out[3].data<int64_t>()[0] = step + 1;
}

void RunRmsprop(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                const ExecContext& ctx) {
  const bool centered = Flag(attrs, "centered"), momentum = D(attrs, "momentum") > 0.0;
  size_t next = 4;
  const size_t ga_at = centered ? next++ : 0, buf_at = momentum ? next++ : 0;
  const float* p = In(in, 0);
  const float* g = In(in, 1);
  const float* sq = In(in, 3);
  const float* ga = centered ? In(in, ga_at) : nullptr;
  const float* buf = momentum ? In(in, buf_at) : nullptr;
  float* po = Out(out, 0);
  float* sqo = Out(out, 1);
  float* gao = centered ? Out(out, ga_at - 2) : nullptr;  // output k aliases input k + 2
  float* bo = momentum ? Out(out, buf_at - 2) : nullptr;
  const float lr = static_cast<float>(in[2].GetAsDouble(0)), wd = F(attrs, "weight_decay");
  const float alpha = F(attrs, "alpha"), eps = F(attrs, "eps"), mu = F(attrs, "momentum");
  const auto fn = &HWY_DYNAMIC_DISPATCH(RmspropF32);
  ForRanges(ctx, in[0].numel(), [&](int64_t b, size_t c) {
    fn(p + b, g + b, sq + b, ga ? ga + b : nullptr, buf ? buf + b : nullptr, po + b, sqo + b,
       gao ? gao + b : nullptr, bo ? bo + b : nullptr, c, lr, wd, alpha, eps, mu);
  });
}

void RunAdagrad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                const ExecContext& ctx) {
  const int64_t step = in[4].data<int64_t>()[0];
  const double lr = in[2].GetAsDouble(0);
  const float clr =
      static_cast<float>(lr / (1.0 + static_cast<double>(step) * D(attrs, "lr_decay")));
  const float wd = F(attrs, "weight_decay"), eps = F(attrs, "eps");
  const float* p = In(in, 0);
  const float* g = In(in, 1);
  const float* s = In(in, 3);
  float* po = Out(out, 0);
  float* so = Out(out, 1);
  const auto fn = &HWY_DYNAMIC_DISPATCH(AdagradF32);
  ForRanges(ctx, in[0].numel(),
            [&](int64_t b, size_t c) { fn(p + b, g + b, s + b, po + b, so + b, c, clr, wd, eps); });
  out[2].data<int64_t>()[0] = step + 1;
}

}  // namespace

void SgdMomentumTail(const ExecContext& ctx, float* p, float* buf, int64_t n, float lr,
                     float decay) {
  const auto fn = &HWY_DYNAMIC_DISPATCH(MomentumTailF32);
  ForRanges(ctx, n, [&](int64_t b, size_t c) { fn(p + b, buf + b, c, lr, decay); });
}

}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuOptimizerKernels(KernelRegistry& r) {
  using namespace cpu;  // NOLINT
  for (DType d : {DType::kF32, DType::kF64, DType::kF16, DType::kBF16, DType::kI32, DType::kI64,
                  DType::kU8, DType::kBool}) {
    Register(r, "assign", d, &RunAssign);
  }
  Register(r, "sgd_update", DType::kF32, &RunSgd);
  Register(r, "adam_update", DType::kF32, &RunAdam<false>);
  Register(r, "adamw_update", DType::kF32, &RunAdam<true>);
  Register(r, "rmsprop_update", DType::kF32, &RunRmsprop);
  Register(r, "adagrad_update", DType::kF32, &RunAdagrad);
}

}  // namespace bronze
#endif  // HWY_ONCE
