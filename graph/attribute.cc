// Typed attributes: access with type checks, equality and text form.
#include "graph/attribute.h"

#include <charconv>
#include <cmath>

#include "graph/error.h"

namespace bronze {

std::string_view AttrTypeName(AttrType type) {
  switch (type) {
    case AttrType::kInt: return "int";
    case AttrType::kFloat: return "float";
    case AttrType::kString: return "string";
    case AttrType::kDType: return "dtype";
    case AttrType::kInts: return "ints";
    case AttrType::kFloats: return "floats";
    case AttrType::kShape: return "shape";
  }
  return "?";
}

template <typename T>
const T& Attribute::Get(AttrType expected) const {
  if (const T* p = std::get_if<T>(&v_)) return *p;
  throw AttributeError("attribute has type " + std::string(AttrTypeName(type())) + ", expected " +
                       std::string(AttrTypeName(expected)));
}

int64_t Attribute::i() const { return Get<int64_t>(AttrType::kInt); }
double Attribute::f() const { return Get<double>(AttrType::kFloat); }
const std::string& Attribute::s() const { return Get<std::string>(AttrType::kString); }
DType Attribute::dtype() const { return Get<DType>(AttrType::kDType); }
const std::vector<int64_t>& Attribute::ints() const { return Get<std::vector<int64_t>>(AttrType::kInts); }
const std::vector<double>& Attribute::floats() const { return Get<std::vector<double>>(AttrType::kFloats); }
const Shape& Attribute::shape() const { return Get<Shape>(AttrType::kShape); }

static bool SameDouble(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

bool Attribute::operator==(const Attribute& other) const {
  if (type() != other.type()) return false;
  if (type() == AttrType::kFloat) return SameDouble(f(), other.f());
  if (type() == AttrType::kFloats) {
    const auto &a = floats(), &b = other.floats();
    if (a.size() != b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k) {
      if (!SameDouble(a[k], b[k])) return false;
    }
    return true;
  }
  return v_ == other.v_;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  std::string s(buf, res.ptr);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

static std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string Attribute::ToText() const {
  switch (type()) {
    case AttrType::kInt: return std::to_string(i());
    case AttrType::kFloat: return FormatDouble(f());
    case AttrType::kString: return Quote(s());
    case AttrType::kDType: return std::string(DTypeName(dtype()));
    case AttrType::kInts: {
      std::string out = "[";
      for (size_t k = 0; k < ints().size(); ++k) out += (k ? ", " : "") + std::to_string(ints()[k]);
      return out + "]";
    }
    case AttrType::kFloats: {
      std::string out = "[";
      for (size_t k = 0; k < floats().size(); ++k) out += (k ? ", " : "") + FormatDouble(floats()[k]);
      return out + "]";
    }
    case AttrType::kShape: return shape().ToString();
  }
  return "?";
}

}  // namespace bronze
