// Reference kernels for binary elementwise ops: add, sub, mul, div with NumPy broadcasting (f32,
// f64, i32, i64; integer division truncates and fails on a zero divisor; integer add, sub and mul
// wrap).
#include <cmath>
#include <limits>
#include <type_traits>

#include "graph/error.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

// Integer add, sub and mul wrap around (as in NumPy) instead of overflowing into undefined
// behaviour: they compute in the unsigned type.
template <typename T, bool = std::is_integral_v<T>> struct WrapType { using type = T; };
template <typename T> struct WrapType<T, true> { using type = std::make_unsigned_t<T>; };
template <typename T> using Wrap = typename WrapType<T>::type;
struct AddOp { template <typename T> static T Apply(T a, T b) { return T(Wrap<T>(a) + Wrap<T>(b)); } };
struct SubOp { template <typename T> static T Apply(T a, T b) { return T(Wrap<T>(a) - Wrap<T>(b)); } };
struct MulOp { template <typename T> static T Apply(T a, T b) { return T(Wrap<T>(a) * Wrap<T>(b)); } };
struct DivOp {
  template <typename T> static T Apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) throw InvalidArgumentError("integer division by zero");
      if (a == std::numeric_limits<T>::min() && b == T(-1)) {
        throw InvalidArgumentError("integer division overflows");
      }
    }
    return a / b;
  }
};

template <typename T, typename Op>
void Binary(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Dims& od = out[0].dims();
  const T* a = in[0].data<T>();
  const T* b = in[1].data<T>();
  T* y = out[0].data<T>();
  const std::vector<int64_t> strides[2] = {BroadcastStrides(in[0].dims(), od),
                                           BroadcastStrides(in[1].dims(), od)};
  ForEachIndex(od, strides, [&](int64_t i, const int64_t* off) { y[i] = Op::Apply(a[off[0]], b[off[1]]); });
}

template <typename T>
void RegisterNumeric(KernelRegistry& r) {
  constexpr DType d = DTypeOf<T>::value;
  Register(r, "add", d, &Binary<T, AddOp>);
  Register(r, "sub", d, &Binary<T, SubOp>);
  Register(r, "mul", d, &Binary<T, MulOp>);
  Register(r, "div", d, &Binary<T, DivOp>);
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefElementwiseKernels(KernelRegistry& r) {
  ref::RegisterNumeric<float>(r);
  ref::RegisterNumeric<double>(r);
  ref::RegisterNumeric<int32_t>(r);
  ref::RegisterNumeric<int64_t>(r);
}

}  // namespace bronze
