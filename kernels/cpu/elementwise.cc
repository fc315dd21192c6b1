// Fast CPU kernels for the binary elementwise ops (f32: add, sub, mul, div, pow, maximum,
// minimum, equal, less, greater, where; bool: equal, less, greater, logical_and, logical_or,
// where), vectorized with Highway (runtime dispatch) and split across the session's threads with
// ParallelFor over flat output ranges. Broadcasting goes through a BroadcastLoop bound once per
// kernel (elementwise_loop.h): each contiguous output run is one vector loop specialized on
// which operands advance and which are broadcast (same shape, scalar operand, [M, N] op [N],
// [M, N] op [M, 1] ... all reduce to that), and an odometer walks the merged outer dims.
// Bool tensors hold bytes 0 and 1 and are processed as u8 vectors. Outputs never alias inputs
// (the runtime allocates them apart), so the loops use restrict pointers.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/elementwise.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/cpu/elementwise_loop.h"

HWY_BEFORE_NAMESPACE();
namespace bronze::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// --- Walking a broadcast loop: calls f(input_offsets, output_offset, n) for each contiguous run
// of the output elements [begin, end) (the first and last run may be partial rows).
template <int N, class F>
HWY_INLINE void ForEachRun(const BroadcastLoop& loop, int64_t begin, int64_t end, F&& f) {
  const int64_t inner = loop.inner;
  const int rank = static_cast<int>(loop.outer.size());
  int64_t small[8];
  std::vector<int64_t> large;
  int64_t* idx = small;
  if (rank > 8) {
    large.resize(static_cast<size_t>(rank));
    idx = large.data();
  }
  int64_t col = begin % inner;
  int64_t row = begin / inner;
  int64_t off[N];
  for (int k = 0; k < N; ++k) off[k] = loop.inner_step[k] ? col : 0;
  for (int d = rank - 1; d >= 0; --d) {
    const int64_t dim = loop.outer[static_cast<size_t>(d)];
    idx[d] = row % dim;
    row /= dim;
    for (int k = 0; k < N; ++k) off[k] += idx[d] * loop.outer_strides[k][static_cast<size_t>(d)];
  }
  for (int64_t pos = begin;;) {
    const int64_t n = std::min(inner - col, end - pos);
    f(static_cast<const int64_t*>(off), pos, n);
    pos += n;
    if (pos >= end) return;
    for (int k = 0; k < N; ++k) off[k] -= loop.inner_step[k] ? col : 0;
    col = 0;
    for (int d = rank - 1; d >= 0; --d) {
      const size_t ud = static_cast<size_t>(d);
      ++idx[d];
      for (int k = 0; k < N; ++k) off[k] += loop.outer_strides[k][ud];
      if (idx[d] < loop.outer[ud]) break;
      for (int k = 0; k < N; ++k) off[k] -= loop.outer_strides[k][ud] * loop.outer[ud];
      idx[d] = 0;
    }
  }
}

// Calls f(std::bool_constant<step of input 0>, ...) for the loop's step pattern, so the vector
// loops below are compiled once per pattern.
template <class F>
HWY_INLINE void WithSteps2(unsigned mask, F&& f) {
  using T = std::true_type;
  using U = std::false_type;
  switch (mask & 3u) {
    case 0: f(U{}, U{}); break;
    case 1: f(T{}, U{}); break;
    case 2: f(U{}, T{}); break;
    default: f(T{}, T{}); break;
  }
}

template <class F>
HWY_INLINE void WithSteps3(unsigned mask, F&& f) {
  using T = std::true_type;
  using U = std::false_type;
  switch (mask & 7u) {
    case 0: f(U{}, U{}, U{}); break;
    case 1: f(T{}, U{}, U{}); break;
    case 2: f(U{}, T{}, U{}); break;
    case 3: f(T{}, T{}, U{}); break;
    case 4: f(U{}, U{}, T{}); break;
    case 5: f(T{}, U{}, T{}); break;
    case 6: f(U{}, T{}, T{}); break;
    default: f(T{}, T{}, T{}); break;
  }
}

// --- Vector loops over one contiguous run of n outputs.

// body(tag, i) over [0, n): full vectors of `d`, then single lanes of `d1`.
template <class D, class D1, class Body>
HWY_INLINE void Loop(D d, D1 d1, size_t n, Body&& body) {
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    body(d, i);
    body(d, i + lanes);
  }
  for (; i + lanes <= n; i += lanes) body(d, i);
  for (; i < n; ++i) body(d1, i);
}

// Lanes i.. of an operand that advances, or its one element broadcast.
template <bool kStep, class D, typename T>
HWY_INLINE hn::Vec<D> Operand(D d, const T* HWY_RESTRICT p, size_t i) {
  if constexpr (kStep) {
    return hn::LoadU(d, p + i);
  } else {
    return hn::Set(d, p[0]);
  }
}

// y = Op(a, b), same element type. D is the full tag (ops computing in a wider type use a
// narrower one).
template <class Op, bool kA, bool kB, class D, typename T>
HWY_INLINE void MapSame(D d, const T* HWY_RESTRICT a, const T* HWY_RESTRICT b, T* HWY_RESTRICT y,
                        size_t n) {
  const hn::CappedTag<T, 1> d1;
  Loop(d, d1, n, [&](auto dt, size_t i) {
    hn::StoreU(Op()(dt, Operand<kA>(dt, a, i), Operand<kB>(dt, b, i)), dt, y + i);
  });
}

// y = Op(a, b) as bytes 0/1, from f32 operands (Op returns a mask).
template <class Op, bool kA, bool kB>
HWY_INLINE void MapCompareF32(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b,
                              uint8_t* HWY_RESTRICT y, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  Loop(d, d1, n, [&](auto dt, size_t i) {
    const hn::Rebind<int32_t, decltype(dt)> di;
    const hn::Rebind<uint8_t, decltype(dt)> du8;
    const auto m = Op()(dt, Operand<kA>(dt, a, i), Operand<kB>(dt, b, i));
    const auto ones = hn::IfThenElseZero(hn::RebindMask(di, m), hn::Set(di, 1));
    hn::StoreU(hn::DemoteTo(du8, ones), du8, y + i);
  });
}

// The lanes where cond (bytes 0/1) is true, as a mask of tag `d` (a float or byte tag).
template <bool kC, class D>
HWY_INLINE hn::Mask<D> CondMask(D d, const uint8_t* HWY_RESTRICT c, size_t i) {
  using T = hn::TFromD<D>;
  if constexpr (sizeof(T) == 1) {
    return hn::Ne(Operand<kC>(d, c, i), hn::Zero(d));
  } else {
    const hn::Rebind<int32_t, D> di;
    hn::Vec<decltype(di)> cv;
    if constexpr (kC) {
      cv = hn::PromoteTo(di, hn::LoadU(hn::Rebind<uint8_t, D>(), c + i));
    } else {
      cv = hn::Set(di, int32_t{c[0]});
    }
    return hn::RebindMask(d, hn::Ne(cv, hn::Zero(di)));
  }
}

// y = cond ? a : b, with cond as bytes 0/1 and a, b of T (float or a byte type).
template <bool kC, bool kA, bool kB, typename T>
HWY_INLINE void MapWhere(const uint8_t* HWY_RESTRICT c, const T* HWY_RESTRICT a,
                         const T* HWY_RESTRICT b, T* HWY_RESTRICT y, size_t n) {
  const hn::ScalableTag<T> d;
  const hn::CappedTag<T, 1> d1;
  Loop(d, d1, n, [&](auto dt, size_t i) {
    hn::StoreU(hn::IfThenElse(CondMask<kC>(dt, c, i), Operand<kA>(dt, a, i), Operand<kB>(dt, b, i)),
               dt, y + i);
  });
}

// --- The ops, as functors over (tag, vectors).

struct AddOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::Add(a, b);
  }
};
struct SubOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::Sub(a, b);
  }
};
struct MulOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::Mul(a, b);
  }
};
struct DivOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::Div(a, b);
  }
};
// torch.maximum / minimum: NaN in a gives a, else the comparison picks (NaN in b gives b; equal
// values give b), exactly like the reference kernel.
struct MaximumOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::IfThenElse(hn::Or(hn::IsNaN(a), hn::Gt(a, b)), a, b);
  }
};
struct MinimumOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::IfThenElse(hn::Or(hn::IsNaN(a), hn::Lt(a, b)), a, b);
  }
};

// C's pow for f32, computed as exp(y * log|x|) in f64 with the special cases of C99 Annex F
// selected explicitly. The f64 error is far below half an f32 ulp, so results are correctly
// rounded except where the exact power lies (almost) exactly halfway between two floats: then
// it may be 1 ulp off (PyTorch's vectorized pow, Sleef's u10, is a 1-ulp method too). D is a tag
// of f32 lanes no wider than the f64 vector.
struct PowOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x32, V y32) const {
    const hn::Rebind<double, D> dd;
    using VD = hn::Vec<decltype(dd)>;
    const VD x = hn::PromoteTo(dd, x32);
    const VD y = hn::PromoteTo(dd, y32);
    const VD zero = hn::Zero(dd);
    const VD one = hn::Set(dd, 1.0);
    const VD inf = hn::Set(dd, HUGE_VAL);
    const VD ax = hn::Abs(x);
    const auto x_nan = hn::IsNaN(x);
    const auto y_nan = hn::IsNaN(y);
    const auto ax_zero = hn::Eq(ax, zero);
    const auto ax_inf = hn::IsInf(ax);
    const auto y_inf = hn::IsInf(y);
    const auto y_neg = hn::Lt(y, zero);
    // The generic case on sanitized inputs (Log needs a finite positive argument).
    const VD lx = hn::Log(dd, hn::IfThenElse(hn::Or(hn::Or(ax_zero, ax_inf), x_nan), one, ax));
    const VD ys = hn::IfThenElseZero(hn::IsFinite(y), y);
    VD r = hn::Exp(dd, hn::Min(hn::Mul(ys, lx), hn::Set(dd, 706.0)));  // Exp's valid range
    // Squares exactly (x * x is exact in f64), so they round correctly even on ties.
    r = hn::IfThenElse(hn::Eq(y, hn::Set(dd, 2.0)), hn::Mul(x, x), r);
    // |x| = 0 or inf.
    r = hn::IfThenElse(ax_zero, hn::IfThenElse(y_neg, inf, zero), r);
    r = hn::IfThenElse(ax_inf, hn::IfThenElse(y_neg, zero, inf), r);
    // y = +-inf: |x| > 1 grows with +inf, |x| < 1 with -inf, |x| = 1 gives 1.
    const auto ax_big = hn::Gt(ax, one);
    const VD r_yinf =
        hn::IfThenElse(ax_big, hn::IfThenElse(y_neg, zero, inf), hn::IfThenElse(y_neg, inf, zero));
    r = hn::IfThenElse(y_inf, hn::IfThenElse(hn::Eq(ax, one), one, r_yinf), r);
    // Negative bases: an odd integer exponent keeps the sign (also of -0 and -inf); a
    // non-integer finite exponent of a negative finite base is NaN.
    const auto y_int = hn::Eq(hn::Round(y), y);
    const VD half = hn::Mul(y, hn::Set(dd, 0.5));
    const auto y_odd = hn::And(y_int, hn::Ne(hn::Round(half), half));
    r = hn::IfThenElse(y_odd, hn::CopySign(r, x), r);
    const auto neg_finite = hn::And(hn::Lt(x, zero), hn::IsFinite(x));
    const auto frac_y = hn::AndNot(y_int, hn::IsFinite(y));
    const VD nan = hn::Set(dd, std::nan(""));
    r = hn::IfThenElse(hn::And(neg_finite, frac_y), nan, r);
    r = hn::IfThenElse(hn::Or(x_nan, y_nan), hn::Add(x, y), r);
    // pow(x, +-0) = 1 and pow(1, y) = 1, even for NaN.
    r = hn::IfThenElse(hn::Or(hn::Eq(y, zero), hn::Eq(x, one)), one, r);
    return hn::DemoteTo(d, r);
  }
};

struct EqualOp {
  template <class D, class V>
  HWY_INLINE auto operator()(D, V a, V b) const {
    return hn::Eq(a, b);
  }
};
struct LessOp {
  template <class D, class V>
  HWY_INLINE auto operator()(D, V a, V b) const {
    return hn::Lt(a, b);
  }
};
struct GreaterOp {
  template <class D, class V>
  HWY_INLINE auto operator()(D, V a, V b) const {
    return hn::Gt(a, b);
  }
};

// Bool ops on bytes 0/1: plain bit logic keeps results in {0, 1}.
struct LogicalAndOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::And(a, b);
  }
};
struct LogicalOrOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::Or(a, b);
  }
};
struct EqualBoolOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V a, V b) const {
    return hn::Xor(hn::Xor(a, b), hn::Set(d, uint8_t{1}));
  }
};
struct LessBoolOp {  // a < b: !a && b
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::AndNot(a, b);
  }
};
struct GreaterBoolOp {  // a > b: a && !b
  template <class D, class V>
  HWY_INLINE V operator()(D, V a, V b) const {
    return hn::AndNot(b, a);
  }
};

// --- Range functions: the output elements [begin, end) of one op over a broadcast loop.

template <class Op, typename T, class D = hn::ScalableTag<T>>
HWY_INLINE void SameTypeRange(const BroadcastLoop& loop, const void* const* in, void* out,
                              int64_t begin, int64_t end) {
  const T* a = static_cast<const T*>(in[0]);
  const T* b = static_cast<const T*>(in[1]);
  T* y = static_cast<T*>(out);
  WithSteps2(loop.StepMask(), [&](auto sa, auto sb) {
    ForEachRun<2>(loop, begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
      MapSame<Op, decltype(sa)::value, decltype(sb)::value>(D(), a + off[0], b + off[1], y + o,
                                                            static_cast<size_t>(n));
    });
  });
}

template <class Op>
HWY_INLINE void CompareF32Range(const BroadcastLoop& loop, const void* const* in, void* out,
                                int64_t begin, int64_t end) {
  const float* a = static_cast<const float*>(in[0]);
  const float* b = static_cast<const float*>(in[1]);
  uint8_t* y = static_cast<uint8_t*>(out);
  WithSteps2(loop.StepMask(), [&](auto sa, auto sb) {
    ForEachRun<2>(loop, begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
      MapCompareF32<Op, decltype(sa)::value, decltype(sb)::value>(a + off[0], b + off[1], y + o,
                                                                  static_cast<size_t>(n));
    });
  });
}

template <typename T>
HWY_INLINE void WhereRange(const BroadcastLoop& loop, const void* const* in, void* out,
                           int64_t begin, int64_t end) {
  const uint8_t* c = static_cast<const uint8_t*>(in[0]);
  const T* a = static_cast<const T*>(in[1]);
  const T* b = static_cast<const T*>(in[2]);
  T* y = static_cast<T*>(out);
  WithSteps3(loop.StepMask(), [&](auto sc, auto sa, auto sb) {
    ForEachRun<3>(loop, begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
      MapWhere<decltype(sc)::value, decltype(sa)::value, decltype(sb)::value>(
          c + off[0], a + off[1], b + off[2], y + o, static_cast<size_t>(n));
    });
  });
}

// pow computes in f64: f32 vectors as wide as the f64 ones.
using PowTag = hn::Rebind<float, hn::ScalableTag<double>>;

#define BRONZE_RANGE_FN(Name, ...)                                                      \
  void Name(const BroadcastLoop& loop, const void* const* in, void* out, int64_t begin, \
            int64_t end) {                                                              \
    __VA_ARGS__(loop, in, out, begin, end);                                             \
  }
BRONZE_RANGE_FN(AddF32, SameTypeRange<AddOp, float>)
BRONZE_RANGE_FN(SubF32, SameTypeRange<SubOp, float>)
BRONZE_RANGE_FN(MulF32, SameTypeRange<MulOp, float>)
BRONZE_RANGE_FN(DivF32, SameTypeRange<DivOp, float>)
BRONZE_RANGE_FN(PowF32, SameTypeRange<PowOp, float, PowTag>)
BRONZE_RANGE_FN(MaximumF32, SameTypeRange<MaximumOp, float>)
BRONZE_RANGE_FN(MinimumF32, SameTypeRange<MinimumOp, float>)
BRONZE_RANGE_FN(EqualF32, CompareF32Range<EqualOp>)
BRONZE_RANGE_FN(LessF32, CompareF32Range<LessOp>)
BRONZE_RANGE_FN(GreaterF32, CompareF32Range<GreaterOp>)
BRONZE_RANGE_FN(WhereF32, WhereRange<float>)
BRONZE_RANGE_FN(EqualBool, SameTypeRange<EqualBoolOp, uint8_t>)
BRONZE_RANGE_FN(LessBool, SameTypeRange<LessBoolOp, uint8_t>)
BRONZE_RANGE_FN(GreaterBool, SameTypeRange<GreaterBoolOp, uint8_t>)
BRONZE_RANGE_FN(LogicalAndBool, SameTypeRange<LogicalAndOp, uint8_t>)
BRONZE_RANGE_FN(LogicalOrBool, SameTypeRange<LogicalOrOp, uint8_t>)
BRONZE_RANGE_FN(WhereBool, WhereRange<uint8_t>)
#undef BRONZE_RANGE_FN

}  // namespace bronze::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/cpu_util.h"

namespace bronze::cpu {
namespace {

HWY_EXPORT(AddF32);
HWY_EXPORT(SubF32);
HWY_EXPORT(MulF32);
HWY_EXPORT(DivF32);
HWY_EXPORT(PowF32);
HWY_EXPORT(MaximumF32);
HWY_EXPORT(MinimumF32);
HWY_EXPORT(EqualF32);
HWY_EXPORT(LessF32);
HWY_EXPORT(GreaterF32);
HWY_EXPORT(WhereF32);
HWY_EXPORT(EqualBool);
HWY_EXPORT(LessBool);
HWY_EXPORT(GreaterBool);
HWY_EXPORT(LogicalAndBool);
HWY_EXPORT(LogicalOrBool);
HWY_EXPORT(WhereBool);

// Computes the output elements [begin, end) of one op over a broadcast loop.
using RangeFn = void (*)(const BroadcastLoop&, const void* const*, void*, int64_t, int64_t);
// Returns the range function of the best target (looked up per run, as HWY_DYNAMIC_DISPATCH
// resolves the target on first use).
using SelectFn = RangeFn (*)();

// An elementwise op bound to concrete shapes: the broadcast loop is planned once, Run only
// splits the flat output range across the session's threads.
class BroadcastKernel final : public Kernel {
 public:
  BroadcastKernel(BroadcastLoop loop, SelectFn select, int64_t grain)
      : loop_(std::move(loop)), select_(select), grain_(grain) {}

  void Run(std::span<const Tensor> inputs, std::span<Tensor> outputs,
           ExecContext& ctx) const override {
    BRONZE_CHECK(static_cast<int>(inputs.size()) == loop_.num_inputs && outputs.size() == 1);
    BRONZE_CHECK(outputs[0].numel() == loop_.numel);
    const void* in[kMaxLoopInputs] = {};
    for (int k = 0; k < loop_.num_inputs; ++k) in[k] = inputs[static_cast<size_t>(k)].raw_data();
    void* out = outputs[0].raw_data();
    const RangeFn fn = select_();
    ParallelFor(ctx, loop_.numel, grain_, [&](int64_t b, int64_t e) { fn(loop_, in, out, b, e); });
  }

 private:
  BroadcastLoop loop_;
  SelectFn select_;
  int64_t grain_;
};

KernelFactory Broadcast(SelectFn select, int64_t grain = kParallelGrain) {
  return [select, grain](const KernelSignature& sig) -> std::unique_ptr<Kernel> {
    std::vector<Dims> in;
    for (const TensorType& t : sig.inputs) in.push_back(t.shape.static_dims());
    return std::make_unique<BroadcastKernel>(
        MakeBroadcastLoop(sig.outputs[0].shape.static_dims(), in), select, grain);
  };
}

#define BRONZE_SELECT(Name) [] { return static_cast<RangeFn>(&HWY_DYNAMIC_DISPATCH(Name)); }

void RegisterAll(KernelRegistry& r) {
  const DType f32 = DType::kF32, b8 = DType::kBool;
  Register(r, "add", f32, Broadcast(BRONZE_SELECT(AddF32)));
  Register(r, "sub", f32, Broadcast(BRONZE_SELECT(SubF32)));
  Register(r, "mul", f32, Broadcast(BRONZE_SELECT(MulF32)));
  Register(r, "div", f32, Broadcast(BRONZE_SELECT(DivF32)));
  Register(r, "pow", f32, Broadcast(BRONZE_SELECT(PowF32), kParallelGrain / 8));
  Register(r, "maximum", f32, Broadcast(BRONZE_SELECT(MaximumF32)));
  Register(r, "minimum", f32, Broadcast(BRONZE_SELECT(MinimumF32)));
  Register(r, "equal", f32, Broadcast(BRONZE_SELECT(EqualF32)));
  Register(r, "less", f32, Broadcast(BRONZE_SELECT(LessF32)));
  Register(r, "greater", f32, Broadcast(BRONZE_SELECT(GreaterF32)));
  Register(r, "where", f32, Broadcast(BRONZE_SELECT(WhereF32)));
  Register(r, "equal", b8, Broadcast(BRONZE_SELECT(EqualBool)));
  Register(r, "less", b8, Broadcast(BRONZE_SELECT(LessBool)));
  Register(r, "greater", b8, Broadcast(BRONZE_SELECT(GreaterBool)));
  Register(r, "logical_and", b8, Broadcast(BRONZE_SELECT(LogicalAndBool)));
  Register(r, "logical_or", b8, Broadcast(BRONZE_SELECT(LogicalOrBool)));
  Register(r, "where", b8, Broadcast(BRONZE_SELECT(WhereBool)));
}

#undef BRONZE_SELECT

}  // namespace
}  // namespace bronze::cpu

namespace bronze {

void RegisterCpuElementwiseKernels(KernelRegistry& r) { cpu::RegisterAll(r); }

}  // namespace bronze
#endif  // HWY_ONCE
