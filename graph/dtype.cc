// Element types: sizes, names and parsing.
#include "graph/dtype.h"

#include <string>

#include "graph/error.h"

namespace bronze {

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF64: return 8;
    case DType::kF16: return 2;
    case DType::kBF16: return 2;
    case DType::kI32: return 4;
    case DType::kI64: return 8;
    case DType::kU8: return 1;
    case DType::kBool: return 1;
  }
  ThrowInternal("bad dtype " + std::to_string(static_cast<int>(dtype)));
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF64: return "f64";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kU8: return "u8";
    case DType::kBool: return "bool";
  }
  return "?";
}

DType ParseDType(std::string_view name) {
  struct Alias { std::string_view name; DType dtype; };
  static constexpr Alias kAliases[] = {
      {"f32", DType::kF32},    {"float32", DType::kF32},   {"float", DType::kF32},
      {"f64", DType::kF64},    {"float64", DType::kF64},   {"double", DType::kF64},
      {"f16", DType::kF16},    {"float16", DType::kF16},   {"half", DType::kF16},
      {"bf16", DType::kBF16},  {"bfloat16", DType::kBF16}, {"i32", DType::kI32},
      {"int32", DType::kI32},  {"i64", DType::kI64},       {"int64", DType::kI64},
      {"u8", DType::kU8},      {"uint8", DType::kU8},      {"bool", DType::kBool},
  };
  for (const Alias& a : kAliases) {
    if (a.name == name) return a.dtype;
  }
  throw InvalidArgumentError("unknown dtype '" + std::string(name) +
                             "' (expected one of f32, f64, f16, bf16, i32, i64, u8, bool)");
}

bool IsFloating(DType d) {
  return d == DType::kF32 || d == DType::kF64 || d == DType::kF16 || d == DType::kBF16;
}

bool IsInteger(DType d) { return d == DType::kI32 || d == DType::kI64 || d == DType::kU8; }

}  // namespace bronze
