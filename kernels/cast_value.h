// The scalar definition of bronze's dtype conversions, shared by the reference cast kernel, the
// fast kernels' scalar tails and attribute rounding: float -> int truncates toward zero and
// saturates (NaN -> 0), int -> int wraps, double -> float rounds to nearest and overflows to
// +-inf, bool <-> number as 0/1. None of it performs a conversion C++ leaves undefined.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

namespace bronze {

inline constexpr double kHalfwayToInf = 3.4028235677973366e38;  // FLT_MAX + half an ulp

// double -> float, rounding to nearest and overflowing to +-inf as IEEE 754 does, without the
// out-of-range conversion that C++ leaves undefined (and sanitizers flag).
inline float NarrowToF32(double x) {
  constexpr double kMax = std::numeric_limits<float>::max();
  if (x > kMax || x < -kMax) {
    return static_cast<float>(std::copysign(std::fabs(x) >= kHalfwayToInf ? HUGE_VAL : kMax, x));
  }
  return static_cast<float>(x);  // in range, or NaN
}

// One element of cast: the definitions the cast schema documents.
template <typename To, typename From>
To CastValue(From x) {
  if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);  // NaN != 0
  } else if constexpr (std::is_same_v<From, bool>) {
    return static_cast<To>(x ? 1 : 0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    // Truncate toward zero, saturating (NaN -> 0): never an out-of-range conversion.
    constexpr double lo = static_cast<double>(std::numeric_limits<To>::lowest());
    constexpr double hi_excl = static_cast<double>(std::numeric_limits<To>::max() / 2 + 1) * 2;
    if (std::isnan(x)) return To(0);
    if (x <= lo) return std::numeric_limits<To>::lowest();
    if (x >= hi_excl) return std::numeric_limits<To>::max();
    return static_cast<To>(x);
  } else if constexpr (std::is_same_v<From, double> && std::is_same_v<To, float>) {
    return NarrowToF32(x);  // overflows to +-inf
  } else {
    // int -> int wraps modulo 2^bits (defined in C++20), int -> float rounds to nearest.
    return static_cast<To>(x);
  }
}

}  // namespace bronze
