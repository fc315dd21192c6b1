// Reference kernels for the binary elementwise ops with NumPy broadcasting (the oracle for the
// fast kernels): add, sub, mul, div, pow, maximum, minimum (f32, f64, i32, i64); equal, less,
// greater (f32, f64, i32, i64, bool; bool output); logical_and, logical_or (bool); where (a of
// f32, f64, i32, i64 or bool). Integer add, sub, mul and pow wrap around; integer division
// truncates and fails on a zero divisor or MIN / -1; integer pow fails on a negative exponent.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "graph/error.h"
#include "kernels/ref/ref_util.h"

namespace bronze::ref {
namespace {

// Integer add, sub and mul wrap around (as in NumPy) instead of overflowing into undefined
// behaviour: they compute in the unsigned type.
template <typename T, bool = std::is_integral_v<T>>
struct WrapType {
  using type = T;
};
template <typename T>
struct WrapType<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <typename T>
using Wrap = typename WrapType<T>::type;

struct AddOp {
  template <typename T>
  static T Apply(T a, T b) {
    return T(Wrap<T>(a) + Wrap<T>(b));
  }
};
struct SubOp {
  template <typename T>
  static T Apply(T a, T b) {
    return T(Wrap<T>(a) - Wrap<T>(b));
  }
};
struct MulOp {
  template <typename T>
  static T Apply(T a, T b) {
    return T(Wrap<T>(a) * Wrap<T>(b));
  }
};
struct DivOp {
  template <typename T>
  static T Apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) {
        throw InvalidArgumentError("integer division by zero (" + std::to_string(a) + " / 0)");
      }
      if (a == std::numeric_limits<T>::min() && b == T(-1)) {
        throw InvalidArgumentError("integer division overflows (" + std::to_string(a) + " / -1)");
      }
    }
    return a / b;
  }
};
struct PowOp {
  template <typename T>
  static T Apply(T a, T b) {
    if constexpr (std::is_same_v<T, float>) {
      // In f64, then rounded once: correctly rounded wherever the f64 pow is (C's powf is
      // not always, e.g. on the tie 4097^2).
      return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    } else if constexpr (std::is_floating_point_v<T>) {
      return std::pow(a, b);
    } else {
      if (b < 0) {
        throw InvalidArgumentError("integer pow with a negative exponent (" + std::to_string(a) +
                                   " ** " + std::to_string(b) + "); cast to a float dtype first");
      }
      // Exponentiation by squaring in the unsigned type: wraps around like repeated mul.
      using U = std::make_unsigned_t<T>;
      U result = 1, base = static_cast<U>(a);
      for (uint64_t e = static_cast<uint64_t>(b); e != 0; e >>= 1) {
        if (e & 1) result = static_cast<U>(result * base);
        base = static_cast<U>(base * base);
      }
      return static_cast<T>(result);
    }
  }
};
// torch.maximum / torch.minimum: a NaN in either operand gives NaN; equal values give b.
struct MaximumOp {
  template <typename T>
  static T Apply(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a)) return a;
    }
    return a > b ? a : b;  // a NaN b gives b
  }
};
struct MinimumOp {
  template <typename T>
  static T Apply(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a)) return a;
    }
    return a < b ? a : b;
  }
};
struct EqualOp {
  template <typename T>
  static bool Apply(T a, T b) {
    return a == b;
  }
};
struct LessOp {
  template <typename T>
  static bool Apply(T a, T b) {
    return a < b;
  }
};
struct GreaterOp {
  template <typename T>
  static bool Apply(T a, T b) {
    return a > b;
  }
};
struct LogicalAndOp {
  static bool Apply(bool a, bool b) { return a && b; }
};
struct LogicalOrOp {
  static bool Apply(bool a, bool b) { return a || b; }
};

// out = Op(a, b) over the broadcast index; Out is the output element type.
template <typename T, typename Out, typename Op>
void Binary(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Dims& od = out[0].dims();
  const T* a = in[0].data<T>();
  const T* b = in[1].data<T>();
  Out* y = out[0].data<Out>();
  const std::vector<int64_t> strides[2] = {BroadcastStrides(in[0].dims(), od),
                                           BroadcastStrides(in[1].dims(), od)};
  ForEachIndex(od, strides, [&](int64_t i, const int64_t* off) {
    y[i] = static_cast<Out>(Op::Apply(a[off[0]], b[off[1]]));
  });
}

template <typename T>
void Where(const AttrMap&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Dims& od = out[0].dims();
  const bool* cond = in[0].data<bool>();
  const T* a = in[1].data<T>();
  const T* b = in[2].data<T>();
  T* y = out[0].data<T>();
  const std::vector<int64_t> strides[3] = {BroadcastStrides(in[0].dims(), od),
                                           BroadcastStrides(in[1].dims(), od),
                                           BroadcastStrides(in[2].dims(), od)};
  ForEachIndex(od, strides,
               [&](int64_t i, const int64_t* off) { y[i] = cond[off[0]] ? a[off[1]] : b[off[2]]; });
}

template <typename T>
void RegisterNumeric(KernelRegistry& r) {
  constexpr DType d = DTypeOf<T>::value;
  Register(r, "add", d, &Binary<T, T, AddOp>);
  Register(r, "sub", d, &Binary<T, T, SubOp>);
  Register(r, "mul", d, &Binary<T, T, MulOp>);
  Register(r, "div", d, &Binary<T, T, DivOp>);
  Register(r, "pow", d, &Binary<T, T, PowOp>);
  Register(r, "maximum", d, &Binary<T, T, MaximumOp>);
  Register(r, "minimum", d, &Binary<T, T, MinimumOp>);
}

// Comparisons and where, for numeric and bool operands.
template <typename T>
void RegisterCompareAndWhere(KernelRegistry& r) {
  constexpr DType d = DTypeOf<T>::value;
  Register(r, "equal", d, &Binary<T, bool, EqualOp>);
  Register(r, "less", d, &Binary<T, bool, LessOp>);
  Register(r, "greater", d, &Binary<T, bool, GreaterOp>);
  Register(r, "where", d, &Where<T>);
}

}  // namespace
}  // namespace bronze::ref

namespace bronze {

void RegisterRefElementwiseKernels(KernelRegistry& r) {
  ref::RegisterNumeric<float>(r);
  ref::RegisterNumeric<double>(r);
  ref::RegisterNumeric<int32_t>(r);
  ref::RegisterNumeric<int64_t>(r);
  ref::RegisterCompareAndWhere<float>(r);
  ref::RegisterCompareAndWhere<double>(r);
  ref::RegisterCompareAndWhere<int32_t>(r);
  ref::RegisterCompareAndWhere<int64_t>(r);
  ref::RegisterCompareAndWhere<bool>(r);
  ref::Register(r, "logical_and", DType::kBool, &ref::Binary<bool, bool, ref::LogicalAndOp>);
  ref::Register(r, "logical_or", DType::kBool, &ref::Binary<bool, bool, ref::LogicalOrOp>);
}

}  // namespace bronze
