// Element types. The numeric values are stable (they are stored in model files).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bronze {

enum class DType : uint8_t {
  kF32 = 1,
  kF64 = 2,
  kF16 = 3,
  kBF16 = 4,
  kI32 = 5,
  kI64 = 6,
  kU8 = 7,
  kBool = 8,
};

inline constexpr DType kAllDTypes[] = {DType::kF32, DType::kF64, DType::kF16, DType::kBF16,
                                       DType::kI32, DType::kI64, DType::kU8,  DType::kBool};

size_t DTypeSize(DType dtype);
// "f32", "f64", "f16", "bf16", "i32", "i64", "u8", "bool".
std::string_view DTypeName(DType dtype);
// Accepts the short names above and the NumPy names ("float32", "int64", ...); throws
// InvalidArgumentError naming the text otherwise.
DType ParseDType(std::string_view name);
bool IsFloating(DType dtype);
bool IsInteger(DType dtype);  // signed or unsigned integers, not bool

// Maps C++ types to DType at compile time: DTypeOf<float>::value == DType::kF32.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kF32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kF64; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kI32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kI64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kU8; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

}  // namespace bronze
