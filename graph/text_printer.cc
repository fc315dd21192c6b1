// Text form: the printer and structural equality (the parser is in text_parser.cc).
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>

#include "graph/error.h"
#include "graph/text.h"

namespace bronze {
namespace {

bool IsPlainName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool IsIdent(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

std::string Quoted(const std::string& s) { return Attribute(s).ToText(); }

std::string ValueName(const Graph& g, Value v) {
  const std::string& n = g.node(v.node).name;
  std::string s = "%" + (IsPlainName(n) ? n : Quoted(n));
  if (v.index != 0) s += "#" + std::to_string(v.index);
  return s;
}

template <typename T>
void AppendFloat(std::string& out, T v) {
  if (std::isnan(v)) { out += std::signbit(v) ? "-nan" : "nan"; return; }  // sign kept: data is exact
  if (std::isinf(v)) { out += v > 0 ? "inf" : "-inf"; return; }
  char buf[48];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

std::string DataText(const Tensor& t) {
  std::string out = "data ";
  bool bits = t.dtype() == DType::kF16 || t.dtype() == DType::kBF16;
  if (bits) out += "bits ";
  out += "[";
  const char* p = static_cast<const char*>(t.raw_data());
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (i) out += ", ";
    switch (t.dtype()) {
      case DType::kF32: { float v; std::memcpy(&v, p + 4 * i, 4); AppendFloat(out, v); break; }
      case DType::kF64: { double v; std::memcpy(&v, p + 8 * i, 8); AppendFloat(out, v); break; }
      case DType::kF16:
      case DType::kBF16: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); out += std::to_string(v); break; }
      case DType::kI32: { int32_t v; std::memcpy(&v, p + 4 * i, 4); out += std::to_string(v); break; }
      case DType::kI64: { int64_t v; std::memcpy(&v, p + 8 * i, 8); out += std::to_string(v); break; }
      case DType::kU8: out += std::to_string(static_cast<unsigned>(static_cast<uint8_t>(p[i]))); break;
      case DType::kBool: out += p[i] ? "1" : "0"; break;
    }
  }
  return out + "]";
}

}  // namespace

std::string PrintGraph(const Graph& g, const TextOptions& options) {
  std::string out = "graph " + Quoted(g.name()) + " {\n";
  for (NodeId id : g.TopologicalOrder()) {
    const Node& n = g.node(id);
    out += "  %" + (IsPlainName(n.name) ? n.name : Quoted(n.name)) + " = " + n.op_name() + "(";
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      out += (k ? ", " : "") + ValueName(g, n.inputs[k]);
    }
    out += ")";
    if (!n.attrs.empty()) {
      out += " {";
      bool first = true;
      for (const auto& [name, value] : n.attrs) {
        out += (first ? "" : ", ") + name + " = " + value.ToText();
        first = false;
      }
      out += "}";
    }
    out += " :";
    if (n.outputs.empty()) out += " ()";
    for (size_t k = 0; k < n.outputs.size(); ++k) out += (k ? ", " : " ") + n.outputs[k].ToString();
    if (n.data.defined()) out += " " + (options.elide_data ? std::string("data elided") : DataText(n.data));
    if (options.locations && !n.location.empty()) out += " @" + Quoted(n.location);
    out += "\n";
  }
  if (!g.outputs().empty()) {
    out += "  return ";
    for (size_t k = 0; k < g.outputs().size(); ++k) {
      const GraphOutput& o = g.outputs()[k];
      out += (k ? ", " : "") + (IsIdent(o.name) ? o.name : Quoted(o.name)) + " = " +
             ValueName(g, o.value);
    }
    out += "\n";
  }
  return out + "}\n";
}

bool StructurallyEqual(const Graph& a, const Graph& b, std::string* why) {
  auto fail = [&](const std::string& msg) {
    if (why) *why = msg;
    return false;
  };
  if (a.name() != b.name()) return fail("graph names differ: '" + a.name() + "' vs '" + b.name() + "'");
  if (a.num_nodes() != b.num_nodes()) {
    return fail("node counts differ: " + std::to_string(a.num_nodes()) + " vs " +
                std::to_string(b.num_nodes()));
  }
  auto same_value = [&](Value va, Value vb) {
    return a.node(va.node).name == b.node(vb.node).name && va.index == vb.index;
  };
  for (NodeId ia : a.node_ids()) {
    const Node& na = a.node(ia);
    NodeId ib = b.FindNode(na.name);
    if (ib == kNoNode) return fail("node '" + na.name + "' is missing from the second graph");
    const Node& nb = b.node(ib);
    std::string where = "node '" + na.name + "': ";
    if (na.op != nb.op) return fail(where + "ops differ: " + na.op_name() + " vs " + nb.op_name());
    if (na.inputs.size() != nb.inputs.size()) return fail(where + "input counts differ");
    for (size_t k = 0; k < na.inputs.size(); ++k) {
      if (!same_value(na.inputs[k], nb.inputs[k])) return fail(where + "input " + std::to_string(k) + " differs");
    }
    if (!(na.attrs == nb.attrs)) return fail(where + "attributes differ");
    if (na.outputs != nb.outputs) return fail(where + "output types differ");
    if (na.location != nb.location) return fail(where + "locations differ");
    if (na.data.defined() != nb.data.defined() ||
        (na.data.defined() && !BitwiseEqual(na.data, nb.data))) {
      return fail(where + "data differs");
    }
  }
  if (a.outputs().size() != b.outputs().size()) return fail("graph output counts differ");
  for (size_t k = 0; k < a.outputs().size(); ++k) {
    if (a.outputs()[k].name != b.outputs()[k].name || !same_value(a.outputs()[k].value, b.outputs()[k].value)) {
      return fail("graph output " + std::to_string(k) + " differs");
    }
  }
  return true;
}

}  // namespace bronze
