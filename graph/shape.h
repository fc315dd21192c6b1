// Shapes with symbolic dims. A Dim is a monomial: an integer coefficient times a product of named
// symbols ("3", "N", "N*T", "12*N"). That is just enough algebra for batch and sequence dims to
// flow through reshape, flatten and TimeDistributed. A compiled plan binds every symbol to an
// integer (SymbolBindings) and works on concrete shapes only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bronze {

using SymbolBindings = std::map<std::string, int64_t, std::less<>>;
// A concrete shape, as tensors and kernels see it.
using Dims = std::vector<int64_t>;

class Dim {
 public:
  Dim() = default;                              // the static dim 0
  Dim(int64_t value) : coeff_(value) {}         // NOLINT: implicit, so {2, 3} makes a Shape
  static Dim Symbol(std::string_view name);     // throws InvalidArgumentError on a bad name
  static Dim Parse(std::string_view text);      // "3", "-1", "N", "N*T", "2*N"; throws ParseError

  bool is_static() const { return symbols_.empty(); }
  // The value of a static dim; throws ShapeError for a symbolic one.
  int64_t value() const;
  int64_t coefficient() const { return coeff_; }
  // Symbol names, sorted, with repeats (N*N has {"N", "N"}).
  const std::vector<std::string>& symbols() const { return symbols_; }

  // Products; a static overflow throws ShapeError.
  Dim operator*(const Dim& other) const;
  // The exact quotient, or nullopt when `other` does not divide this monomial.
  std::optional<Dim> DividedBy(const Dim& other) const;
  // Replaces bound symbols by their values; unbound symbols stay.
  Dim Substitute(const SymbolBindings& bindings) const;
  // The value under `bindings`; throws ShapeError naming an unbound symbol.
  int64_t Evaluate(const SymbolBindings& bindings) const;

  bool operator==(const Dim& other) const = default;
  std::string ToString() const;

 private:
  int64_t coeff_ = 0;
  std::vector<std::string> symbols_;
};

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<Dim> dims) : dims_(dims) {}
  explicit Shape(std::vector<Dim> dims) : dims_(std::move(dims)) {}
  static Shape FromDims(const Dims& dims);

  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  const Dim& operator[](int64_t i) const { return dims_[static_cast<size_t>(i)]; }
  Dim& operator[](int64_t i) { return dims_[static_cast<size_t>(i)]; }
  const std::vector<Dim>& dims() const { return dims_; }
  std::vector<Dim>& dims() { return dims_; }

  bool is_static() const;
  // The concrete dims of a static shape; throws ShapeError otherwise.
  Dims static_dims() const;
  // Product of all dims (1 for a scalar).
  Dim NumElements() const;
  Shape Substitute(const SymbolBindings& bindings) const;
  Dims Evaluate(const SymbolBindings& bindings) const;
  // True when every dim is a non-negative static value or a symbol with a positive coefficient.
  bool IsValidTensorShape() const;

  bool operator==(const Shape& other) const = default;
  // Python tuple form, used in error messages: "(N, 3)", "(4,)", "()".
  std::string ToString() const;
  // List form, used in the text IR: "[N, 3]", "[4]", "[]".
  std::string ToListString() const;

 private:
  std::vector<Dim> dims_;
};

// Normalizes a possibly negative axis against `rank`; throws ShapeError naming `what` when it is
// out of range.
int64_t NormalizeAxis(int64_t axis, int64_t rank, std::string_view what);

// NumPy broadcasting of two shapes. Dims broadcast when equal or when one is the static 1; two
// different symbols, or a symbol and a static dim other than 1, do not. Returns nullopt when they
// do not broadcast (the caller builds the error, which knows the op and node).
std::optional<Shape> BroadcastShapes(const Shape& a, const Shape& b);

// Number of elements of a concrete shape; throws ShapeError on overflow or a negative dim.
int64_t NumElements(const Dims& dims);
std::string DimsToString(const Dims& dims);  // "(2, 3)"

}  // namespace bronze
