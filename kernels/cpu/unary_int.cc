// Fast CPU kernels for the integer and bool unary ops and for cast (graph/ops/unary.cc):
// neg, abs, relu and clip on i32, i64 and u8, logical_not on bool, and cast from every
// supported dtype to every other. Highway-vectorized (runtime dispatch, structure as in
// kernels/cpu/unary.cc) where Highway has the conversion: every cast from or to f32 except
// i64 -> f32, plus f64 -> f32 is vectorized; the other casts are plain loops (the compiler may
// vectorize them). All of them are split across the session's threads with ParallelFor.
//
// Cast semantics are those of kernels/cast_value.h, shared with the reference kernel: float to
// integer truncates toward zero and saturates (NaN -> 0), so no conversion is out of range.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/unary_int.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/cast_value.h"

#ifndef BRONZE_KERNELS_CPU_UNARY_INT_SCALAR_
#define BRONZE_KERNELS_CPU_UNARY_INT_SCALAR_
namespace bronze::cpu {

template <typename To, typename From>
void CastScalar(const From* x, To* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = CastValue<To, From>(x[i]);
}

}  // namespace bronze::cpu
#endif  // BRONZE_KERNELS_CPU_UNARY_INT_SCALAR_

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// y[i] = f(x[i]) over full vectors, then one-lane vectors for the tail.
template <typename T, typename F>
HWY_INLINE void MapSame(const T* HWY_RESTRICT x, T* HWY_RESTRICT y, size_t n, F f) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(f(d, hn::LoadU(d, x + i)), d, y + i);
  const hn::CappedTag<T, 1> d1;
  for (; i < n; ++i) hn::StoreU(f(d1, hn::LoadU(d1, x + i)), d1, y + i);
}

// Converting loop: `dto` and `dfrom` have the same lane count; f converts one vector; the tail
// uses the scalar definition.
template <class DTo, class DFrom, typename To, typename From, typename F>
HWY_INLINE void MapConvert(DTo dto, DFrom dfrom, const From* HWY_RESTRICT x, To* HWY_RESTRICT y,
                           size_t n, F f) {
  const size_t lanes = hn::Lanes(dfrom);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(f(hn::LoadU(dfrom, x + i)), dto, y + i);
  CastScalar<To, From>(x + i, y + i, n - i);
}

// --- Integer ops. Arithmetic wraps (0 - x), as PyTorch's does. ---

template <typename T>
void NegInt(const T* x, T* y, size_t n) {
  MapSame(x, y, n, [](auto d, auto v) { return hn::Sub(hn::Zero(d), v); });
}
template <typename T>
void AbsInt(const T* x, T* y, size_t n) {
  MapSame(x, y, n, [](auto d, auto v) {
    return hn::IfThenElse(hn::Lt(v, hn::Zero(d)), hn::Sub(hn::Zero(d), v), v);
  });
}
template <typename T>
void ReluInt(const T* x, T* y, size_t n) {
  MapSame(x, y, n, [](auto d, auto v) { return hn::Max(v, hn::Zero(d)); });
}
template <typename T>
void ClipInt(const T* x, T* y, size_t n, T lo, T hi) {
  MapSame(x, y, n, [lo, hi](auto d, auto v) {
    return hn::Min(hn::Max(v, hn::Set(d, lo)), hn::Set(d, hi));  // lo > hi gives hi
  });
}

void NegI32(const int32_t* x, int32_t* y, size_t n) { NegInt(x, y, n); }
void NegI64(const int64_t* x, int64_t* y, size_t n) { NegInt(x, y, n); }
void NegU8(const uint8_t* x, uint8_t* y, size_t n) { NegInt(x, y, n); }
void AbsI32(const int32_t* x, int32_t* y, size_t n) { AbsInt(x, y, n); }
void AbsI64(const int64_t* x, int64_t* y, size_t n) { AbsInt(x, y, n); }
void ReluI32(const int32_t* x, int32_t* y, size_t n) { ReluInt(x, y, n); }
void ReluI64(const int64_t* x, int64_t* y, size_t n) { ReluInt(x, y, n); }
void ClipI32(const int32_t* x, int32_t* y, size_t n, int32_t lo, int32_t hi) {
  ClipInt(x, y, n, lo, hi);
}
void ClipI64(const int64_t* x, int64_t* y, size_t n, int64_t lo, int64_t hi) {
  ClipInt(x, y, n, lo, hi);
}
void ClipU8(const uint8_t* x, uint8_t* y, size_t n, uint8_t lo, uint8_t hi) {
  ClipInt(x, y, n, lo, hi);
}

// bool is one byte holding 0 or 1; any nonzero byte reads as true.
void LogicalNotU8(const uint8_t* x, uint8_t* y, size_t n) {
  MapSame(x, y, n, [](auto d, auto v) {
    return hn::IfThenElseZero(hn::Eq(v, hn::Zero(d)), hn::Set(d, uint8_t{1}));
  });
}

// --- Casts from f32. ---

void CastF32ToF64(const float* x, double* y, size_t n) {
  const hn::ScalableTag<double> d64;
  const hn::Rebind<float, decltype(d64)> d32;
  MapConvert(d64, d32, x, y, n, [&](auto v) { return hn::PromoteTo(d64, v); });
}

void CastF32ToI32(const float* x, int32_t* y, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  MapConvert(di, df, x, y, n, [&](auto v) {
    // NaN -> 0; clamp into [-2^31, largest float below 2^31] so the conversion is in range;
    // then x >= 2^31 (and +inf) -> INT32_MAX.
    const auto v0 = hn::IfThenZeroElse(hn::IsNaN(v), v);
    const auto big = hn::Ge(v0, hn::Set(df, 2147483648.0f));
    const auto c = hn::Min(hn::Max(v0, hn::Set(df, -2147483648.0f)), hn::Set(df, 2147483520.0f));
    return hn::IfThenElse(hn::RebindMask(di, big), hn::Set(di, std::numeric_limits<int32_t>::max()),
                          hn::ConvertTo(di, c));
  });
}

void CastF32ToI64(const float* x, int64_t* y, size_t n) {
  const hn::ScalableTag<double> d64;
  const hn::Rebind<int64_t, decltype(d64)> di;
  const hn::Rebind<float, decltype(d64)> d32;
  MapConvert(di, d32, x, y, n, [&](auto v) {
    const auto w = hn::PromoteTo(d64, hn::IfThenZeroElse(hn::IsNaN(v), v));
    const auto big = hn::Ge(w, hn::Set(d64, 9223372036854775808.0));
    const auto c = hn::Min(hn::Max(w, hn::Set(d64, -9223372036854775808.0)),
                           hn::Set(d64, 9223372036854774784.0));  // largest double below 2^63
    return hn::IfThenElse(hn::RebindMask(di, big), hn::Set(di, std::numeric_limits<int64_t>::max()),
                          hn::ConvertTo(di, c));
  });
}

void CastF32ToU8(const float* x, uint8_t* y, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<uint8_t, decltype(df)> du8;
  MapConvert(du8, df, x, y, n, [&](auto v) {
    const auto v0 = hn::IfThenZeroElse(hn::IsNaN(v), v);
    const auto c = hn::Min(hn::Max(v0, hn::Zero(df)), hn::Set(df, 255.0f));
    return hn::DemoteTo(du8, hn::ConvertTo(di, c));
  });
}

void CastF32ToBool(const float* x, uint8_t* y, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<uint8_t, decltype(df)> du8;
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    // Not(Eq), not Ne: x86's Ne is an ordered compare, false for NaN; NaN must give true.
    const auto ne = hn::RebindMask(di, hn::Not(hn::Eq(hn::LoadU(df, x + i), hn::Zero(df))));
    hn::StoreU(hn::DemoteTo(du8, hn::IfThenElseZero(ne, hn::Set(di, 1))), du8, y + i);
  }
  for (; i < n; ++i) y[i] = x[i] != 0.0f ? 1 : 0;
}

// --- Casts to f32. ---

void CastF64ToF32(const double* x, float* y, size_t n) {
  const hn::ScalableTag<double> d64;
  const hn::Rebind<float, decltype(d64)> d32;
  MapConvert(d32, d64, x, y, n, [&](auto v) {
    // x86 rounds past FLT_MAX to +-inf, but the emulated targets clamp to +-FLT_MAX: demote a
    // +-1 marker of the lanes that must become +-inf along, and set them after.
    const auto to_inf = hn::Ge(hn::Abs(v), hn::Set(d64, kHalfwayToInf));
    const auto sign = hn::CopySign(hn::Set(d64, 1.0), v);
    const auto marker = hn::DemoteTo(d32, hn::IfThenElseZero(to_inf, sign));
    const auto y32 = hn::DemoteTo(d32, v);
    return hn::IfThenElse(hn::Eq(marker, hn::Zero(d32)), y32, hn::Mul(marker, hn::Inf(d32)));
  });
}

void CastI32ToF32(const int32_t* x, float* y, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  MapConvert(df, di, x, y, n, [&](auto v) { return hn::ConvertTo(df, v); });
}

// u8 and bool (0 or 1) to f32.
void CastU8ToF32(const uint8_t* x, float* y, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<uint8_t, decltype(df)> du8;
  MapConvert(df, du8, x, y, n, [&](auto v) { return hn::ConvertTo(df, hn::PromoteTo(di, v)); });
}

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/cpu_util.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(NegI32);
HWY_EXPORT(NegI64);
HWY_EXPORT(NegU8);
HWY_EXPORT(AbsI32);
HWY_EXPORT(AbsI64);
HWY_EXPORT(ReluI32);
HWY_EXPORT(ReluI64);
HWY_EXPORT(ClipI32);
HWY_EXPORT(ClipI64);
HWY_EXPORT(ClipU8);
HWY_EXPORT(LogicalNotU8);
HWY_EXPORT(CastF32ToF64);
HWY_EXPORT(CastF32ToI32);
HWY_EXPORT(CastF32ToI64);
HWY_EXPORT(CastF32ToU8);
HWY_EXPORT(CastF32ToBool);
HWY_EXPORT(CastF64ToF32);
HWY_EXPORT(CastI32ToF32);
HWY_EXPORT(CastU8ToF32);

// Runs fn(x + b, y + b, e - b) over the session's threads for the ranges ParallelFor cuts.
template <typename From, typename To, typename F>
void ForRanges(const Tensor& in, Tensor& out, const ExecContext& ctx, F fn) {
  const From* x = static_cast<const From*>(in.raw_data());
  To* y = static_cast<To*>(out.raw_data());
  ParallelFor(ctx, in.numel(), kParallelGrain, [&](int64_t b, int64_t e) {
    fn(x + b, y + b, static_cast<size_t>(e - b));
  });
}

template <typename T>
using UnaryFn = void (*)(const T*, T*, size_t);
template <typename T>
using ClipFn = void (*)(const T*, T*, size_t, T, T);

// An op whose kernel is the exported function `Select()` returns, T -> T.
template <typename T, UnaryFn<T> (*Select)()>
void RunSame(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out,
             const ExecContext& ctx) {
  ForRanges<T, T>(in[0], out[0], ctx, Select());
}

// u8 abs and relu: the identity.
void RunCopyU8(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out,
               const ExecContext& ctx) {
  ForRanges<uint8_t, uint8_t>(in[0], out[0], ctx, [](const uint8_t* x, uint8_t* y, size_t n) {
    if (n) std::memcpy(y, x, n);
  });
}

#define BRONZE_SELECT(T, Fn) \
  UnaryFn<T> Select##Fn() { return &HWY_DYNAMIC_DISPATCH(Fn); }
BRONZE_SELECT(int32_t, NegI32)
BRONZE_SELECT(int64_t, NegI64)
BRONZE_SELECT(uint8_t, NegU8)
BRONZE_SELECT(int32_t, AbsI32)
BRONZE_SELECT(int64_t, AbsI64)
BRONZE_SELECT(int32_t, ReluI32)
BRONZE_SELECT(int64_t, ReluI64)
BRONZE_SELECT(uint8_t, LogicalNotU8)
#undef BRONZE_SELECT

// Integer clip: the schema admits only in-range integer bounds or the no-bound infinities.
template <typename T>
T IntBound(double v) {
  if (v == -std::numeric_limits<double>::infinity()) return std::numeric_limits<T>::lowest();
  if (v == std::numeric_limits<double>::infinity()) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

template <typename T, ClipFn<T> (*Select)()>
void RunClipInt(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
                const ExecContext& ctx) {
  const T lo = IntBound<T>(attrs.at("min").f()), hi = IntBound<T>(attrs.at("max").f());
  const auto fn = Select();
  ForRanges<T, T>(in[0], out[0], ctx, [&](const T* x, T* y, size_t n) { fn(x, y, n, lo, hi); });
}

ClipFn<int32_t> SelectClipI32() { return &HWY_DYNAMIC_DISPATCH(ClipI32); }
ClipFn<int64_t> SelectClipI64() { return &HWY_DYNAMIC_DISPATCH(ClipI64); }
ClipFn<uint8_t> SelectClipU8() { return &HWY_DYNAMIC_DISPATCH(ClipU8); }

// One range of cast From -> To: the vectorized loop where there is one (bool tensors are
// bytes holding 0 or 1, so their vector paths are the u8 ones), else the scalar loop.
template <typename From, typename To>
void CastRange(const From* x, To* y, size_t n) {
  constexpr bool kFromF32 = std::is_same_v<From, float>, kToF32 = std::is_same_v<To, float>;
  if constexpr (std::is_same_v<From, To>) {
    if (n) std::memcpy(y, x, n * sizeof(To));
  } else if constexpr (kFromF32 && std::is_same_v<To, double>) {
    HWY_DYNAMIC_DISPATCH(CastF32ToF64)(x, y, n);
  } else if constexpr (kFromF32 && std::is_same_v<To, int32_t>) {
    HWY_DYNAMIC_DISPATCH(CastF32ToI32)(x, y, n);
  } else if constexpr (kFromF32 && std::is_same_v<To, int64_t>) {
    HWY_DYNAMIC_DISPATCH(CastF32ToI64)(x, y, n);
  } else if constexpr (kFromF32 && std::is_same_v<To, uint8_t>) {
    HWY_DYNAMIC_DISPATCH(CastF32ToU8)(x, y, n);
  } else if constexpr (kFromF32 && std::is_same_v<To, bool>) {
    HWY_DYNAMIC_DISPATCH(CastF32ToBool)(x, reinterpret_cast<uint8_t*>(y), n);
  } else if constexpr (std::is_same_v<From, double> && kToF32) {
    HWY_DYNAMIC_DISPATCH(CastF64ToF32)(x, y, n);
  } else if constexpr (std::is_same_v<From, int32_t> && kToF32) {
    HWY_DYNAMIC_DISPATCH(CastI32ToF32)(x, y, n);
  } else if constexpr (std::is_same_v<From, uint8_t> && kToF32) {
    HWY_DYNAMIC_DISPATCH(CastU8ToF32)(x, y, n);
  } else if constexpr (std::is_same_v<From, bool> && kToF32) {
    HWY_DYNAMIC_DISPATCH(CastU8ToF32)(reinterpret_cast<const uint8_t*>(x), y, n);
  } else {
    CastScalar<To, From>(x, y, n);
  }
}

template <typename From, typename To>
void CastTo(const Tensor& in, Tensor& out, const ExecContext& ctx) {
  ForRanges<From, To>(in, out, ctx, &CastRange<From, To>);
}

template <typename From>
void RunCast(const AttrMap& attrs, std::span<const Tensor> in, std::span<Tensor> out,
             const ExecContext& ctx) {
  switch (attrs.at("dtype").dtype()) {
    case DType::kF32: return CastTo<From, float>(in[0], out[0], ctx);
    case DType::kF64: return CastTo<From, double>(in[0], out[0], ctx);
    case DType::kI32: return CastTo<From, int32_t>(in[0], out[0], ctx);
    case DType::kI64: return CastTo<From, int64_t>(in[0], out[0], ctx);
    case DType::kU8: return CastTo<From, uint8_t>(in[0], out[0], ctx);
    case DType::kBool: return CastTo<From, bool>(in[0], out[0], ctx);
    default: ThrowInternal("cast: unsupported output dtype");
  }
}

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuUnaryIntKernels(KernelRegistry& r) {
  using namespace cpu;  // NOLINT
  Register(r, "neg", DType::kI32, &RunSame<int32_t, &SelectNegI32>);
  Register(r, "neg", DType::kI64, &RunSame<int64_t, &SelectNegI64>);
  Register(r, "neg", DType::kU8, &RunSame<uint8_t, &SelectNegU8>);
  Register(r, "abs", DType::kI32, &RunSame<int32_t, &SelectAbsI32>);
  Register(r, "abs", DType::kI64, &RunSame<int64_t, &SelectAbsI64>);
  Register(r, "abs", DType::kU8, &RunCopyU8);
  Register(r, "relu", DType::kI32, &RunSame<int32_t, &SelectReluI32>);
  Register(r, "relu", DType::kI64, &RunSame<int64_t, &SelectReluI64>);
  Register(r, "relu", DType::kU8, &RunCopyU8);
  Register(r, "clip", DType::kI32, &RunClipInt<int32_t, &SelectClipI32>);
  Register(r, "clip", DType::kI64, &RunClipInt<int64_t, &SelectClipI64>);
  Register(r, "clip", DType::kU8, &RunClipInt<uint8_t, &SelectClipU8>);
  Register(r, "logical_not", DType::kBool, &RunSame<uint8_t, &SelectLogicalNotU8>);
  Register(r, "cast", DType::kF32, &RunCast<float>);
  Register(r, "cast", DType::kF64, &RunCast<double>);
  Register(r, "cast", DType::kI32, &RunCast<int32_t>);
  Register(r, "cast", DType::kI64, &RunCast<int64_t>);
  Register(r, "cast", DType::kU8, &RunCast<uint8_t>);
  Register(r, "cast", DType::kBool, &RunCast<bool>);
}

}  // namespace bronze
#endif  // HWY_ONCE
