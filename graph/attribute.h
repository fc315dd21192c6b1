// Typed node attributes: int, float, string, dtype, int list, float list and shape. The numeric
// AttrType values are stable (they are stored in model files). An AttrMap is ordered by name, so
// printing, hashing and comparing are deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "graph/dtype.h"
#include "graph/shape.h"

namespace bronze {

enum class AttrType : uint8_t {
  kInt = 1,
  kFloat = 2,
  kString = 3,
  kDType = 4,
  kInts = 5,
  kFloats = 6,
  kShape = 7,
};

std::string_view AttrTypeName(AttrType type);  // "int", "float", "string", "dtype", "ints", ...

class Attribute {
 public:
  using Variant = std::variant<int64_t, double, std::string, DType, std::vector<int64_t>,
                               std::vector<double>, Shape>;

  Attribute() = default;
  Attribute(int64_t v) : v_(v) {}                       // NOLINT: implicit by design
  Attribute(int v) : v_(static_cast<int64_t>(v)) {}     // NOLINT
  Attribute(double v) : v_(v) {}                        // NOLINT
  Attribute(std::string v) : v_(std::move(v)) {}        // NOLINT
  Attribute(const char* v) : v_(std::string(v)) {}      // NOLINT
  Attribute(DType v) : v_(v) {}                         // NOLINT
  Attribute(std::vector<int64_t> v) : v_(std::move(v)) {}  // NOLINT
  Attribute(std::vector<double> v) : v_(std::move(v)) {}   // NOLINT
  Attribute(Shape v) : v_(std::move(v)) {}              // NOLINT

  AttrType type() const { return static_cast<AttrType>(v_.index() + 1); }
  const Variant& variant() const { return v_; }

  // Typed access; each throws AttributeError naming the expected and actual types.
  int64_t i() const;
  double f() const;
  const std::string& s() const;
  DType dtype() const;
  const std::vector<int64_t>& ints() const;
  const std::vector<double>& floats() const;
  const Shape& shape() const;

  bool operator==(const Attribute& other) const;
  // The text IR form: 3, 2.5, "s", f32, [1, 2], [1.0, 2.5], (N, 3). Floats print exactly
  // (shortest form that reads back to the same double).
  std::string ToText() const;

 private:
  template <typename T> const T& Get(AttrType expected) const;
  Variant v_;
};

using AttrMap = std::map<std::string, Attribute, std::less<>>;

// Exact, locale-independent float formatting shared by the text IR and error messages.
std::string FormatDouble(double v);

}  // namespace bronze
