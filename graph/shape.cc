// Symbolic dims and shapes: monomial arithmetic, substitution, broadcasting and printing.
#include "graph/shape.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "graph/error.h"

namespace bronze {
namespace {

bool IsSymbolName(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

int64_t CheckedMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) {
    throw ShapeError("dim product " + std::to_string(a) + " * " + std::to_string(b) +
                     " overflows int64");
  }
  return r;
}

// Dim::Parse without the overflow translation.
Dim ParseProduct(std::string_view text) {
  Dim result(1);
  size_t pos = 0;
  bool any = false;
  while (pos <= text.size()) {
    size_t star = text.find('*', pos);
    std::string_view factor = text.substr(pos, star == std::string_view::npos ? text.npos : star - pos);
    while (!factor.empty() && factor.front() == ' ') factor.remove_prefix(1);
    while (!factor.empty() && factor.back() == ' ') factor.remove_suffix(1);
    if (factor.empty()) throw ParseError("bad dim '" + std::string(text) + "'");
    bool negative = factor[0] == '-';
    std::string_view digits = negative ? factor.substr(1) : factor;
    if (!digits.empty() && std::all_of(digits.begin(), digits.end(),
                                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      int64_t v = 0;
      for (char c : digits) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v)) {
          throw ParseError("dim '" + std::string(text) + "' overflows int64");
        }
      }
      result = result * Dim(negative ? -v : v);
    } else if (IsSymbolName(factor)) {
      result = result * Dim::Symbol(factor);
    } else {
      throw ParseError("bad dim '" + std::string(text) + "'");
    }
    any = true;
    if (star == std::string_view::npos) break;
    pos = star + 1;
  }
  if (!any) throw ParseError("empty dim");
  return result;
}

}  // namespace

Dim Dim::Symbol(std::string_view name) {
  if (!IsSymbolName(name)) {
    throw InvalidArgumentError("bad symbolic dim name '" + std::string(name) +
                               "' (expected an identifier such as N or T)");
  }
  Dim d(1);
  d.symbols_.emplace_back(name);
  return d;
}

Dim Dim::Parse(std::string_view text) {
  try {
    return ParseProduct(text);
  } catch (const ShapeError& e) {  // a product that overflows: still a ParseError, as documented
    throw ParseError("dim '" + std::string(text) + "': " + e.message());
  }
}

int64_t Dim::value() const {
  if (!is_static()) throw ShapeError("dim " + ToString() + " is symbolic, a static value is needed");
  return coeff_;
}

Dim Dim::operator*(const Dim& other) const {
  Dim r;
  r.coeff_ = CheckedMul(coeff_, other.coeff_);
  if (r.coeff_ == 0) return r;  // 0 * N is the static 0
  r.symbols_ = symbols_;
  r.symbols_.insert(r.symbols_.end(), other.symbols_.begin(), other.symbols_.end());
  std::sort(r.symbols_.begin(), r.symbols_.end());
  return r;
}

std::optional<Dim> Dim::DividedBy(const Dim& other) const {
  if (other.coeff_ == 0) return std::nullopt;
  // INT64_MIN / -1 overflows (and traps on x86): not representable, so not a quotient.
  if (other.coeff_ == -1 && coeff_ == std::numeric_limits<int64_t>::min()) return std::nullopt;
  if (coeff_ % other.coeff_ != 0) return std::nullopt;
  Dim r;
  r.coeff_ = coeff_ / other.coeff_;
  r.symbols_ = symbols_;
  for (const std::string& s : other.symbols_) {
    auto it = std::find(r.symbols_.begin(), r.symbols_.end(), s);
    if (it == r.symbols_.end()) return std::nullopt;
    r.symbols_.erase(it);
  }
  if (r.coeff_ == 0) r.symbols_.clear();
  return r;
}

Dim Dim::Substitute(const SymbolBindings& bindings) const {
  Dim r(coeff_);
  for (const std::string& s : symbols_) {
    auto it = bindings.find(s);
    r = r * (it == bindings.end() ? Dim::Symbol(s) : Dim(it->second));
  }
  return r;
}

int64_t Dim::Evaluate(const SymbolBindings& bindings) const {
  int64_t v = coeff_;
  for (const std::string& s : symbols_) {
    auto it = bindings.find(s);
    if (it == bindings.end()) throw ShapeError("symbolic dim " + s + " is not bound to a value");
    v = CheckedMul(v, it->second);
  }
  return v;
}

std::string Dim::ToString() const {
  if (symbols_.empty()) return std::to_string(coeff_);
  std::string s = coeff_ == 1 ? "" : std::to_string(coeff_) + "*";
  for (size_t i = 0; i < symbols_.size(); ++i) {
    if (i) s += "*";
    s += symbols_[i];
  }
  return s;
}

Shape Shape::FromDims(const Dims& dims) {
  std::vector<Dim> d(dims.begin(), dims.end());
  return Shape(std::move(d));
}

bool Shape::is_static() const {
  return std::all_of(dims_.begin(), dims_.end(), [](const Dim& d) { return d.is_static(); });
}

Dims Shape::static_dims() const {
  Dims out;
  out.reserve(dims_.size());
  for (const Dim& d : dims_) {
    if (!d.is_static()) throw ShapeError("shape " + ToString() + " is symbolic, a static shape is needed");
    out.push_back(d.value());
  }
  return out;
}

Dim Shape::NumElements() const {
  Dim n(1);
  for (const Dim& d : dims_) n = n * d;
  return n;
}

Shape Shape::Substitute(const SymbolBindings& bindings) const {
  std::vector<Dim> d;
  d.reserve(dims_.size());
  for (const Dim& x : dims_) d.push_back(x.Substitute(bindings));
  return Shape(std::move(d));
}

Dims Shape::Evaluate(const SymbolBindings& bindings) const {
  Dims out;
  out.reserve(dims_.size());
  for (const Dim& d : dims_) out.push_back(d.Evaluate(bindings));
  return out;
}

bool Shape::IsValidTensorShape() const {
  return std::all_of(dims_.begin(), dims_.end(), [](const Dim& d) {
    return d.is_static() ? d.coefficient() >= 0 : d.coefficient() > 0;
  });
}

std::string Shape::ToString() const {
  std::string s = "(";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += dims_[i].ToString();
  }
  if (dims_.size() == 1) s += ",";
  return s + ")";
}

std::string Shape::ToListString() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += dims_[i].ToString();
  }
  return s + "]";
}

int64_t NormalizeAxis(int64_t axis, int64_t rank, std::string_view what) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (rank == 0) {
    throw ShapeError(std::string(what) + " " + std::to_string(axis) + " is out of range for rank 0 (the input is a scalar)");
  }
  if (a < 0 || a >= rank) {
    throw ShapeError(std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                     std::to_string(rank) + " (valid: " + std::to_string(-rank) + " to " +
                     std::to_string(rank - 1) + ")");
  }
  return a;
}

std::optional<Shape> BroadcastShapes(const Shape& a, const Shape& b) {
  int64_t rank = std::max(a.rank(), b.rank());
  std::vector<Dim> out(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) {
    int64_t ia = a.rank() - rank + i, ib = b.rank() - rank + i;
    Dim da = ia >= 0 ? a[ia] : Dim(1);
    Dim db = ib >= 0 ? b[ib] : Dim(1);
    if (da == db || db == Dim(1)) {
      out[static_cast<size_t>(i)] = da;
    } else if (da == Dim(1)) {
      out[static_cast<size_t>(i)] = db;
    } else {
      return std::nullopt;
    }
  }
  return Shape(std::move(out));
}

int64_t NumElements(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) throw ShapeError("negative dim in shape " + DimsToString(dims));
    n = CheckedMul(n, d);
  }
  return n;
}

std::string DimsToString(const Dims& dims) { return Shape::FromDims(dims).ToString(); }

}  // namespace bronze
