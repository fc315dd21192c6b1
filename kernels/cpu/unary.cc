// Fast CPU kernels for unary elementwise ops, vectorized with Highway (runtime dispatch over the
// targets the machine supports) and split across the session's threads with ParallelFor.
// This file is the model for Highway code in bronze: the per-target part is compiled once per
// target through hwy/foreach_target.h, the HWY_ONCE part dispatches and registers.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/unary.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

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

void ReluF32(const float* x, float* y, size_t n) {
  // max(x, 0) that keeps NaN: select 0 only where x < 0.
  MapUnary(x, y, n, [](auto d, auto v) { return hn::IfThenZeroElse(hn::Lt(v, hn::Zero(d)), v); });
}

void ExpF32(const float* x, float* y, size_t n) {
  // hn::Exp does not propagate NaN; select the input where it is NaN.
  MapUnary(x, y, n, [](auto d, auto v) { return hn::IfThenElse(hn::IsNaN(v), v, hn::Exp(d, v)); });
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/cpu_util.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(ReluF32);
HWY_EXPORT(ExpF32);

using UnaryF32 = void (*)(const float*, float*, size_t);

template <UnaryF32 (*Select)()>
void RunUnaryF32(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out,
                 const ExecContext& ctx) {
  const float* x = in[0].data<float>();
  float* y = out[0].data<float>();
  const UnaryF32 fn = Select();
  ParallelFor(ctx, in[0].numel(), kParallelGrain, [&](int64_t b, int64_t e) {
    fn(x + b, y + b, static_cast<size_t>(e - b));
  });
}

UnaryF32 SelectRelu() { return &HWY_DYNAMIC_DISPATCH(ReluF32); }
UnaryF32 SelectExp() { return &HWY_DYNAMIC_DISPATCH(ExpF32); }

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuUnaryKernels(KernelRegistry& r) {
  cpu::Register(r, "relu", DType::kF32, &cpu::RunUnaryF32<&cpu::SelectRelu>);
  cpu::Register(r, "exp", DType::kF32, &cpu::RunUnaryF32<&cpu::SelectExp>);
}

}  // namespace bronze
#endif  // HWY_ONCE
