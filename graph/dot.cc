// Graphviz DOT export.
#include "graph/dot.h"

#include "graph/op_registry.h"

namespace bronze {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out;
}

}  // namespace

std::string ToDot(const Graph& g) {
  std::string out = "digraph \"" + Escape(g.name()) + "\" {\n  rankdir=TB;\n"
                    "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"monospace\"];\n";
  for (NodeId id : g.TopologicalOrder()) {
    const Node& n = g.node(id);
    std::string types;
    for (const TensorType& t : n.outputs) types += "\n" + t.ToString();
    std::string fill;
    if (n.op && n.op->is_source) {
      fill = n.op->name == "placeholder" ? "lightblue" : n.op->name == "parameter" ? "khaki" : "lightgrey";
    }
    out += "  n" + std::to_string(id) + " [label=\"" + Escape(n.name + "\n" + n.op_name() + types) + "\"" +
           (fill.empty() ? "" : ", fillcolor=" + fill) + "];\n";
    for (const Value& in : n.inputs) {
      out += "  n" + std::to_string(in.node) + " -> n" + std::to_string(id) + " [label=\"" +
             Escape(g.type(in).ToString()) + "\"];\n";
    }
  }
  for (size_t k = 0; k < g.outputs().size(); ++k) {
    const GraphOutput& o = g.outputs()[k];
    out += "  out" + std::to_string(k) + " [label=\"" + Escape(o.name) +
           "\", shape=ellipse, fillcolor=palegreen];\n";
    out += "  n" + std::to_string(o.value.node) + " -> out" + std::to_string(k) + ";\n";
  }
  return out + "}\n";
}

}  // namespace bronze
