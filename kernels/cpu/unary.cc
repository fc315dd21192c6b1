// Fast CPU kernels for the f32 unary elementwise ops (graph/ops/unary.cc) and their fused
// backward ops (relu_grad, sigmoid_grad, ... from graph/ops/unary_grad.cc), vectorized with
// Highway (runtime dispatch over the targets the machine supports) and split across the
// session's threads with ParallelFor. Integer and bool unary kernels and cast live in
// kernels/cpu/unary_int.cc.
//
// This file is the model for Highway code in bronze: the per-target part is compiled once per
// target through hwy/foreach_target.h, the HWY_ONCE part dispatches and registers.
//
// Highway's contrib math (Exp, Log, Sin, Cos, Tanh) is accurate only on a documented input
// range and does not propagate NaN, so every op here wraps it: NaN inputs are selected back,
// out-of-range lanes are fixed up (Exp, Log) or recomputed with the scalar libm (Sin, Cos).
// erf is our own approximation (ErfF32 below). The kernels match PyTorch's definitions; the
// conformance and unary tests check them against the reference kernels and formulas in double.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/unary.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

#include <cmath>

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// y[i] = f(x[i]) for i in [0, n), full vectors then a masked-free scalar-width tail.
template <typename T, typename F>
HWY_INLINE void MapUnary(const T* HWY_RESTRICT x, T* HWY_RESTRICT y, size_t n, F f) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(f(d, hn::LoadU(d, x + i)), d, y + i);
  if (i < n) {
    const hn::CappedTag<T, 1> d1;
    for (; i < n; ++i) hn::StoreU(f(d1, hn::LoadU(d1, x + i)), d1, y + i);
  }
}

// --- Building blocks: Highway's math made total (every float input, NaN propagated). ---
// Highway's functions convert their argument to int32 on the way (the exponent or quadrant);
// NaN, inf or huge arguments make that conversion out of range (undefined on the emulated
// targets), so they only ever see finite arguments in their valid range.

// x with NaN lanes replaced by 0, clamped to [lo, hi].
template <class D, class V>
HWY_INLINE V Clamped(D d, V x, float lo, float hi) {
  return hn::Min(hn::Max(hn::IfThenZeroElse(hn::IsNaN(x), x), hn::Set(d, lo)), hn::Set(d, hi));
}

// e^x. hn::Exp is valid on [-FLT_MAX, 104], gives 0 below -104 and +inf above 88.72.
template <class D, class V>
HWY_INLINE V ExpAll(D d, V x) {
  const V y = hn::Exp(d, Clamped(d, x, -110.0f, 104.0f));
  return hn::IfThenElse(hn::IsNaN(x), x, y);
}

// ln(x). hn::Log is valid on (0, FLT_MAX]: fix 0 (-inf), negatives (NaN), +inf and NaN.
template <class D, class V>
HWY_INLINE V LogAll(D d, V x) {
  const V zero = hn::Zero(d);
  V y = hn::Log(d, x);
  y = hn::IfThenElse(hn::Eq(x, zero), hn::Neg(hn::Inf(d)), y);  // also -0
  y = hn::IfThenElse(hn::Lt(x, zero), hn::NaN(d), y);
  y = hn::IfThenElse(hn::Eq(x, hn::Inf(d)), x, y);
  return hn::IfThenElse(hn::IsNaN(x), x, y);
}

// num / (1 + e^-z) without overflow: e = e^-|z| is in [0, 1], and for z < 0 the value is
// num * e / (1 + e). Gives sigmoid (num = 1), silu (num = z = x) and gelu's tanh form.
template <class D, class V>
HWY_INLINE V DivOnePlusExpNeg(D d, V num, V z) {
  const V e = ExpAll(d, hn::Neg(hn::Abs(z)));  // e^-inf = 0; NaN z gives NaN
  const V scaled = hn::IfThenElse(hn::Lt(z, hn::Zero(d)), hn::Mul(num, e), num);
  return hn::Div(scaled, hn::Add(hn::Set(d, 1.0f), e));
}

// erf(x), within 1.1 ulp of the exact value over all floats with FMA (AVX2, AVX-512) and 1.3
// ulp without (SSSE3, SSE4, scalar), measured by a sweep over every 3rd float against double
// std::erf. Two pieces, coefficients fitted with
// mpmath.chebyfit (near-minimax, degree 5 and 8):
//   |x| < 0.921875: erf(x) = x + x * P(x^2), P ~ erf(sqrt s) / sqrt s - 1 (error 1.6e-8);
//   otherwise:      erf(x) = sign(x) * (1 - e^R(|x|)), R ~ log(erfc t) on [0.921875, 3.92]
//                   (error 1.4e-8); |x| is clamped to 3.92, beyond which erf rounds to +-1.
template <class D, class V>
HWY_INLINE V ErfF32(D d, V x) {
  const V t = hn::Abs(x);
  const V s = hn::Mul(x, x);
  V p = hn::Set(d, -6.004081156e-04f);
  p = hn::MulAdd(p, s, hn::Set(d, 4.996020122e-03f));
  p = hn::MulAdd(p, s, hn::Set(d, -2.676875670e-02f));
  p = hn::MulAdd(p, s, hn::Set(d, 1.128188232e-01f));
  p = hn::MulAdd(p, s, hn::Set(d, -3.761250090e-01f));
  p = hn::MulAdd(p, s, hn::Set(d, 1.283791508e-01f));
  const V small = hn::MulAdd(p, x, x);  // keeps -0 and denormals exact enough
  const V u = Clamped(d, t, 0.0f, 3.92f);  // NaN -> 0: selected back at the end
  V r = hn::Set(d, 1.667112972e-06f);
  r = hn::MulAdd(r, u, hn::Set(d, -4.661363406e-05f));
  r = hn::MulAdd(r, u, hn::Set(d, 6.011687670e-04f));
  r = hn::MulAdd(r, u, hn::Set(d, -4.778482001e-03f));
  r = hn::MulAdd(r, u, hn::Set(d, 2.647021833e-02f));
  r = hn::MulAdd(r, u, hn::Set(d, -1.101581547e-01f));
  r = hn::MulAdd(r, u, hn::Set(d, -6.317522125e-01f));
  r = hn::MulAdd(r, u, hn::Set(d, -1.130271172e+00f));
  r = hn::MulAdd(r, u, hn::Set(d, 3.280586495e-04f));
  const V large = hn::CopySign(hn::Sub(hn::Set(d, 1.0f), hn::Exp(d, r)), x);
  const V y = hn::IfThenElse(hn::Lt(t, hn::Set(d, 0.921875f)), small, large);
  return hn::IfThenElse(hn::IsNaN(x), x, y);
}

// hn::Sin / hn::Cos are accurate for |x| <= 39000 only; vectors with a lane outside (or NaN,
// or inf) are recomputed lane by lane with the double libm function, rounded once.
constexpr float kTrigRange = 39000.0f;

template <class D, class V, typename F>
HWY_NOINLINE V ScalarTrig(D d, V x, F f) {
  HWY_ALIGN float xs[hn::MaxLanes(d)];
  hn::Store(x, d, xs);
  for (size_t i = 0; i < hn::Lanes(d); ++i) {
    xs[i] = static_cast<float>(f(static_cast<double>(xs[i])));  // |f| <= 1: no overflow
  }
  return hn::Load(d, xs);
}

template <class D, class V>
HWY_INLINE bool AllInTrigRange(D d, V x) {
  return hn::AllTrue(d, hn::Le(hn::Abs(x), hn::Set(d, kTrigRange)));  // false for NaN
}

// --- The exported kernels: y[0, n) = op(x[0, n)). ---

void ReluF32(const float* x, float* y, size_t n) {
  // max(x, 0) that keeps NaN: select 0 only where x < 0.
  MapUnary(x, y, n, [](auto d, auto v) { return hn::IfThenZeroElse(hn::Lt(v, hn::Zero(d)), v); });
}

void ExpF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto d, auto v) { return ExpAll(d, v); });
}

void NegF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto, auto v) { return hn::Neg(v); });
}

void AbsF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto, auto v) { return hn::Abs(v); });
}

void LogF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto d, auto v) { return LogAll(d, v); });
}

void SqrtF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto, auto v) { return hn::Sqrt(v); });  // IEEE: correctly rounded
}

void RsqrtF32(const float* x, float* y, size_t n) {
  // Not hn::ApproximateReciprocalSqrt (12 bits): a correctly rounded sqrt, then a division.
  MapUnary(x, y, n, [](auto d, auto v) { return hn::Div(hn::Set(d, 1.0f), hn::Sqrt(v)); });
}

void ReciprocalF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto d, auto v) { return hn::Div(hn::Set(d, 1.0f), v); });
}

void SinF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto d, auto v) {
    if (HWY_UNLIKELY(!AllInTrigRange(d, v))) {
      return ScalarTrig(d, v, [](double a) { return std::sin(a); });
    }
    return hn::IfThenElse(hn::Eq(v, hn::Zero(d)), v, hn::Sin(d, v));  // hn::Sin(-0) is +0
  });
}

void CosF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto d, auto v) {
    if (HWY_UNLIKELY(!AllInTrigRange(d, v))) {
      return ScalarTrig(d, v, [](double a) { return std::cos(a); });
    }
    return hn::Cos(d, v);
  });
}

void TanhF32(const float* x, float* y, size_t n) {
  // hn::Tanh is exactly +-1 beyond |x| = 18.7, so clamping to [-20, 20] changes nothing there.
  MapUnary(x, y, n, [](auto d, auto v) {
    return hn::IfThenElse(hn::IsNaN(v), v, hn::Tanh(d, Clamped(d, v, -20.0f, 20.0f)));
  });
}

void SigmoidF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto d, auto v) {
    return hn::IfThenElse(hn::IsNaN(v), v, DivOnePlusExpNeg(d, hn::Set(d, 1.0f), v));
  });
}

void SiluF32(const float* x, float* y, size_t n) {
  // x / (1 + e^-x); silu(-inf) = -inf * 0 = NaN, as PyTorch's formula gives.
  MapUnary(x, y, n, [](auto d, auto v) {
    return hn::IfThenElse(hn::IsNaN(v), v, DivOnePlusExpNeg(d, v, v));
  });
}

void ErfOpF32(const float* x, float* y, size_t n) {
  MapUnary(x, y, n, [](auto d, auto v) { return ErfF32(d, v); });
}

void GeluErfF32(const float* x, float* y, size_t n) {
  // PyTorch's formula: x * 0.5 * (1 + erf(x * sqrt(1/2))).
  MapUnary(x, y, n, [](auto d, auto v) {
    const auto e = ErfF32(d, hn::Mul(v, hn::Set(d, 0.707106781186547524f)));
    return hn::Mul(hn::Mul(v, hn::Set(d, 0.5f)), hn::Add(hn::Set(d, 1.0f), e));
  });
}

void GeluTanhF32(const float* x, float* y, size_t n) {
  // 0.5 * x * (1 + tanh(u)) == x / (1 + e^(-2u)) with u = sqrt(2/pi) * (x + 0.044715 x^3):
  // the same function without the cancellation of 1 + tanh(u) for negative x.
  MapUnary(x, y, n, [](auto d, auto v) {
    const auto c1 = hn::Set(d, 1.59576912160573071f);          // 2 * sqrt(2 / pi)
    const auto c3 = hn::Set(d, 0.0713548162726008284f);        // 2 * sqrt(2 / pi) * 0.044715
    const auto z = hn::Mul(v, hn::MulAdd(c3, hn::Mul(v, v), c1));  // 2u
    return hn::IfThenElse(hn::IsNaN(v), v, DivOnePlusExpNeg(d, v, z));
  });
}

void LeakyReluF32(const float* x, float* y, size_t n, float slope) {
  MapUnary(x, y, n, [slope](auto d, auto v) {
    return hn::IfThenElse(hn::Gt(v, hn::Zero(d)), v, hn::Mul(v, hn::Set(d, slope)));  // NaN * slope
  });
}

void ClipF32(const float* x, float* y, size_t n, float lo, float hi) {
  // min(max(x, lo), hi) with compares, so NaN in x stays NaN and lo > hi gives hi.
  MapUnary(x, y, n, [lo, hi](auto d, auto v) {
    const auto vlo = hn::Set(d, lo), vhi = hn::Set(d, hi);
    const auto r = hn::IfThenElse(hn::Lt(v, vlo), vlo, v);
    return hn::IfThenElse(hn::Gt(r, vhi), vhi, r);
  });
}

// --- The fused backward ops (graph/ops/unary_grad.cc): dx[0, n) = op(dy[0, n), t[0, n)). ---

// dx[i] = f(dy[i], t[i]), full vectors then one lane at a time.
template <typename T, typename F>
HWY_INLINE void MapGrad(const T* HWY_RESTRICT dy, const T* HWY_RESTRICT t, T* HWY_RESTRICT dx,
                        size_t n, F f) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(f(d, hn::LoadU(d, dy + i), hn::LoadU(d, t + i)), d, dx + i);
  }
  if (i < n) {
    const hn::CappedTag<T, 1> d1;
    for (; i < n; ++i) hn::StoreU(f(d1, hn::LoadU(d1, dy + i), hn::LoadU(d1, t + i)), d1, dx + i);
  }
}

// e = e^-|z|, r = 1 / (1 + e): then sigmoid(z) = (z < 0 ? e : 1) * r, 1 - sigmoid(z) =
// (z < 0 ? 1 : e) * r and sigmoid(z) * (1 - sigmoid(z)) = e * r^2, all without cancellation.
template <class V>
struct SigmoidParts {
  V s, one_minus_s, e;
};

template <class D, class V>
HWY_INLINE SigmoidParts<V> Sigmoids(D d, V z) {
  const V e = ExpAll(d, hn::Neg(hn::Abs(z)));  // NaN z gives NaN
  const V one = hn::Set(d, 1.0f);
  const V r = hn::Div(one, hn::Add(one, e));
  const auto neg = hn::Lt(z, hn::Zero(d));
  return {hn::Mul(hn::IfThenElse(neg, e, one), r), hn::Mul(hn::IfThenElse(neg, one, e), r), e};
}

void ReluGradF32(const float* dy, const float* y, float* dx, size_t n) {
  // threshold_backward: 0 where y <= 0 (a NaN y passes dy).
  MapGrad(dy, y, dx, n, [](auto d, auto g, auto v) {
    return hn::IfThenZeroElse(hn::Le(v, hn::Zero(d)), g);
  });
}

void SigmoidGradF32(const float* dy, const float* y, float* dx, size_t n) {
  MapGrad(dy, y, dx, n, [](auto d, auto g, auto v) {
    return hn::Mul(hn::Mul(g, hn::Sub(hn::Set(d, 1.0f), v)), v);  // dy * (1 - y) * y
  });
}

void TanhGradF32(const float* dy, const float* y, float* dx, size_t n) {
  MapGrad(dy, y, dx, n, [](auto d, auto g, auto v) {
    // dy * (1 - y * y) as dy * ((1 - y) * (1 + y)): no cancellation near |y| = 1 without FMA.
    const auto one = hn::Set(d, 1.0f);
    return hn::Mul(g, hn::Mul(hn::Sub(one, v), hn::Add(one, v)));
  });
}

void GeluErfGradF32(const float* dy, const float* x, float* dx, size_t n) {
  // dy * (Phi(x) + x * phi(x)); Phi from the forward kernel's erf (cancels for x < 0 like
  // PyTorch's formula, a few 1e-8 absolute).
  MapGrad(dy, x, dx, n, [](auto d, auto g, auto v) {
    const auto half = hn::Set(d, 0.5f);
    const auto e = ErfF32(d, hn::Mul(v, hn::Set(d, 0.707106781186547524f)));
    const auto cdf = hn::Mul(half, hn::Add(hn::Set(d, 1.0f), e));
    const auto pdf = hn::Mul(ExpAll(d, hn::Mul(hn::Neg(half), hn::Mul(v, v))),
                             hn::Set(d, 0.398942280401432678f));  // 1 / sqrt(2 pi)
    return hn::Mul(g, hn::MulAdd(v, pdf, cdf));
  });
}

void GeluTanhGradF32(const float* dy, const float* x, float* dx, size_t n) {
  // With z = 2u and s = sigmoid(z) = 0.5 * (1 + tanh(u)): 1 - tanh(u)^2 = 4 s (1 - s), so
  // dx = dy * (s + x * s (1 - s) * (c1 + 3 c3 x^2)) where z = x * (c1 + c3 x^2).
  MapGrad(dy, x, dx, n, [](auto d, auto g, auto v) {
    const auto c1 = hn::Set(d, 1.59576912160573071f);    // 2 * sqrt(2 / pi)
    const auto c3 = hn::Set(d, 0.0713548162726008284f);  // 2 * sqrt(2 / pi) * 0.044715
    const auto x2 = hn::Mul(v, v);
    const auto z = hn::Mul(v, hn::MulAdd(c3, x2, c1));
    const auto p = Sigmoids(d, z);
    const auto dz = hn::MulAdd(hn::Mul(hn::Set(d, 3.0f), c3), x2, c1);
    auto term = hn::Mul(hn::Mul(v, hn::Mul(p.s, p.one_minus_s)), dz);
    // Saturated (e = 0): the term is exactly 0 (x * 0: NaN for infinite x, as PyTorch's
    // formula gives), even where dz overflows.
    term = hn::IfThenElse(hn::Eq(p.e, hn::Zero(d)), hn::Mul(v, hn::Zero(d)), term);
    return hn::Mul(g, hn::Add(p.s, term));
  });
}

void SiluGradF32(const float* dy, const float* x, float* dx, size_t n) {
  // dy * s * (1 + x * (1 - s)), s = sigmoid(x).
  MapGrad(dy, x, dx, n, [](auto d, auto g, auto v) {
    const auto p = Sigmoids(d, v);
    return hn::Mul(hn::Mul(g, p.s), hn::MulAdd(v, p.one_minus_s, hn::Set(d, 1.0f)));
  });
}

void LeakyReluGradF32(const float* dy, const float* x, float* dx, size_t n, float slope) {
  MapGrad(dy, x, dx, n, [slope](auto d, auto g, auto v) {
    return hn::IfThenElse(hn::Gt(v, hn::Zero(d)), g, hn::Mul(g, hn::Set(d, slope)));
  });
}

void ClipGradF32(const float* dy, const float* x, float* dx, size_t n, float lo, float hi) {
  // Inclusive at both bounds; NaN x or a NaN bound gives 0.
  MapGrad(dy, x, dx, n, [lo, hi](auto d, auto g, auto v) {
    const auto in = hn::And(hn::Ge(v, hn::Set(d, lo)), hn::Le(v, hn::Set(d, hi)));
    return hn::IfThenElseZero(in, g);
  });
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <limits>

#include "kernels/cast_value.h"
#include "kernels/cpu/cpu_util.h"

namespace bronze {
void RegisterCpuUnaryIntKernels(KernelRegistry& r);  // kernels/cpu/unary_int.cc
}  // namespace bronze

namespace bronze::cpu {
namespace {

HWY_EXPORT(ReluF32);
HWY_EXPORT(ExpF32);
HWY_EXPORT(NegF32);
HWY_EXPORT(AbsF32);
HWY_EXPORT(LogF32);
HWY_EXPORT(SqrtF32);
HWY_EXPORT(RsqrtF32);
HWY_EXPORT(ReciprocalF32);
HWY_EXPORT(SinF32);
HWY_EXPORT(CosF32);
HWY_EXPORT(TanhF32);
HWY_EXPORT(SigmoidF32);
HWY_EXPORT(SiluF32);
HWY_EXPORT(ErfOpF32);
HWY_EXPORT(GeluErfF32);
HWY_EXPORT(GeluTanhF32);
HWY_EXPORT(LeakyReluF32);
HWY_EXPORT(ClipF32);
HWY_EXPORT(ReluGradF32);
HWY_EXPORT(SigmoidGradF32);
HWY_EXPORT(TanhGradF32);
HWY_EXPORT(GeluErfGradF32);
HWY_EXPORT(GeluTanhGradF32);
HWY_EXPORT(SiluGradF32);
HWY_EXPORT(LeakyReluGradF32);
HWY_EXPORT(ClipGradF32);

using UnaryF32 = void (*)(const float*, float*, size_t);

// Splits [0, numel) across the session's threads; each range runs the best target's loop.
template <typename F>
void ForRanges(std::span<const Tensor> in, std::span<Tensor> out, const ExecContext& ctx, F fn) {
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  ParallelFor(ctx, in[0].numel(), kParallelGrain, [&](int64_t b, int64_t e) {
    fn(x + b, y + b, static_cast<size_t>(e - b));
  });
}

template <UnaryF32 (*Select)()>
void RunUnaryF32(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out,
                 const ExecContext& ctx) {
  ForRanges(in, out, ctx, Select());
}

#define BRONZE_SELECT(Fn) \
  UnaryF32 Select##Fn() { return &HWY_DYNAMIC_DISPATCH(Fn); }
BRONZE_SELECT(ReluF32)
BRONZE_SELECT(ExpF32)
BRONZE_SELECT(NegF32)
BRONZE_SELECT(AbsF32)
BRONZE_SELECT(LogF32)
BRONZE_SELECT(SqrtF32)
BRONZE_SELECT(RsqrtF32)
BRONZE_SELECT(ReciprocalF32)
BRONZE_SELECT(SinF32)
BRONZE_SELECT(CosF32)
BRONZE_SELECT(TanhF32)
BRONZE_SELECT(SigmoidF32)
BRONZE_SELECT(SiluF32)
BRONZE_SELECT(ErfOpF32)
#undef BRONZE_SELECT

void RunGelu(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
             const ExecContext& ctx) {
  const bool tanh_form = attrs.at("approximate").s() == "tanh";
  ForRanges(in, out, ctx,
            tanh_form ? &HWY_DYNAMIC_DISPATCH(GeluTanhF32) : &HWY_DYNAMIC_DISPATCH(GeluErfF32));
}

void RunLeakyRelu(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                  const ExecContext& ctx) {
  const float slope = NarrowToF32(attrs.at("negative_slope").f());  // as PyTorch rounds it
  const auto fn = &HWY_DYNAMIC_DISPATCH(LeakyReluF32);
  ForRanges(in, out, ctx, [&](const float* x, float* y, size_t n) { fn(x, y, n, slope); });
}

void RunClip(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
             const ExecContext& ctx) {
  const double min = attrs.at("min").f(), max = attrs.at("max").f();
  if (std::isnan(min) || std::isnan(max)) {  // torch.clamp: a NaN bound gives NaN everywhere
    float* y = out[0].data<float>();
    std::fill(y, y + out[0].numel(), std::numeric_limits<float>::quiet_NaN());
    return;
  }
  const float lo = NarrowToF32(min), hi = NarrowToF32(max);
  const auto fn = &HWY_DYNAMIC_DISPATCH(ClipF32);
  ForRanges(in, out, ctx, [&](const float* x, float* y, size_t n) { fn(x, y, n, lo, hi); });
}

// The backward ops: dx = op(dy, t), split like ForRanges.
using GradF32 = void (*)(const float*, const float*, float*, size_t);

template <typename F>
void ForGradRanges(std::span<const Tensor> in, std::span<Tensor> out, const ExecContext& ctx,
                   F fn) {
  const float* dy = in[0].data<float>();
  const float* t = in[1].data<float>();
  float* dx = out[0].data<float>();
  ParallelFor(ctx, in[0].numel(), kParallelGrain, [&](int64_t b, int64_t e) {
    fn(dy + b, t + b, dx + b, static_cast<size_t>(e - b));
  });
}

template <GradF32 (*Select)()>
void RunGradF32(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out,
                const ExecContext& ctx) {
  ForGradRanges(in, out, ctx, Select());
}

#define BRONZE_SELECT(Fn) \
  GradF32 Select##Fn() { return &HWY_DYNAMIC_DISPATCH(Fn); }
BRONZE_SELECT(ReluGradF32)
BRONZE_SELECT(SigmoidGradF32)
BRONZE_SELECT(TanhGradF32)
BRONZE_SELECT(SiluGradF32)
#undef BRONZE_SELECT

void RunGeluGrad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                 const ExecContext& ctx) {
  const bool tanh_form = attrs.at("approximate").s() == "tanh";
  ForGradRanges(in, out, ctx,
                tanh_form ? &HWY_DYNAMIC_DISPATCH(GeluTanhGradF32)
                          : &HWY_DYNAMIC_DISPATCH(GeluErfGradF32));
}

void RunLeakyReluGrad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                      const ExecContext& ctx) {
  const float slope = NarrowToF32(attrs.at("negative_slope").f());
  const auto fn = &HWY_DYNAMIC_DISPATCH(LeakyReluGradF32);
  ForGradRanges(in, out, ctx, [&](const float* dy, const float* x, float* dx, size_t n) {
    fn(dy, x, dx, n, slope);
  });
}

void RunClipGrad(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                 const ExecContext& ctx) {
  const float lo = NarrowToF32(attrs.at("min").f()), hi = NarrowToF32(attrs.at("max").f());
  const auto fn = &HWY_DYNAMIC_DISPATCH(ClipGradF32);
  ForGradRanges(in, out, ctx, [&](const float* dy, const float* x, float* dx, size_t n) {
    fn(dy, x, dx, n, lo, hi);
  });
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuUnaryKernels(KernelRegistry& r) {
  using namespace cpu;  // NOLINT
  Register(r, "relu", DType::kF32, &RunUnaryF32<&SelectReluF32>);
  Register(r, "exp", DType::kF32, &RunUnaryF32<&SelectExpF32>);
  Register(r, "neg", DType::kF32, &RunUnaryF32<&SelectNegF32>);
  Register(r, "abs", DType::kF32, &RunUnaryF32<&SelectAbsF32>);
  Register(r, "log", DType::kF32, &RunUnaryF32<&SelectLogF32>);
  Register(r, "sqrt", DType::kF32, &RunUnaryF32<&SelectSqrtF32>);
  Register(r, "rsqrt", DType::kF32, &RunUnaryF32<&SelectRsqrtF32>);
  Register(r, "reciprocal", DType::kF32, &RunUnaryF32<&SelectReciprocalF32>);
  Register(r, "sin", DType::kF32, &RunUnaryF32<&SelectSinF32>);
  Register(r, "cos", DType::kF32, &RunUnaryF32<&SelectCosF32>);
  Register(r, "tanh", DType::kF32, &RunUnaryF32<&SelectTanhF32>);
  Register(r, "sigmoid", DType::kF32, &RunUnaryF32<&SelectSigmoidF32>);
  Register(r, "silu", DType::kF32, &RunUnaryF32<&SelectSiluF32>);
  Register(r, "erf", DType::kF32, &RunUnaryF32<&SelectErfOpF32>);
  Register(r, "gelu", DType::kF32, &RunGelu);
  Register(r, "leaky_relu", DType::kF32, &RunLeakyRelu);
  Register(r, "clip", DType::kF32, &RunClip);
  Register(r, "relu_grad", DType::kF32, &RunGradF32<&SelectReluGradF32>);
  Register(r, "sigmoid_grad", DType::kF32, &RunGradF32<&SelectSigmoidGradF32>);
  Register(r, "tanh_grad", DType::kF32, &RunGradF32<&SelectTanhGradF32>);
  Register(r, "silu_grad", DType::kF32, &RunGradF32<&SelectSiluGradF32>);
  Register(r, "gelu_grad", DType::kF32, &RunGeluGrad);
  Register(r, "leaky_relu_grad", DType::kF32, &RunLeakyReluGrad);
  Register(r, "clip_grad", DType::kF32, &RunClipGrad);
  RegisterCpuUnaryIntKernels(r);
}

}  // namespace bronze
#endif  // HWY_ONCE
