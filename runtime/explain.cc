// Compile explanations (see explain.h).
#include "runtime/explain.h"

#include <sstream>

#include "graph/op_registry.h"

namespace bronze {

bool IsFusedOpName(const std::string& op) {
  const std::string suffix = "_fused";
  return op.rfind("fused_", 0) == 0 ||
         (op.size() > suffix.size() && op.compare(op.size() - suffix.size(), suffix.size(), suffix) == 0);
}

std::string Explain(const ExplainInput& in) {
  std::ostringstream out;
  if (in.pipeline) {
    out << "pipeline:";
    if (in.pipeline->empty()) out << " (none)";
    for (size_t i = 0; i < in.pipeline->size(); ++i) out << (i ? ", " : " ") << (*in.pipeline)[i];
    out << "\n";
  }
  if (in.remarks) {
    out << "remarks (" << in.remarks->size() << "):\n";
    for (const PassRemark& r : *in.remarks) out << "  [" << r.pass << "] " << r.text << "\n";
  }
  if (in.graph) {
    std::vector<NodeId> fused;
    for (NodeId id : in.graph->TopologicalOrder()) {
      if (IsFusedOpName(in.graph->node(id).op->name)) fused.push_back(id);
    }
    out << "fused groups (" << fused.size() << "):\n";
    for (NodeId id : fused) {
      const Node& n = in.graph->node(id);
      out << "  " << n.Describe() << ": " << n.inputs.size() << " input"
          << (n.inputs.size() == 1 ? "" : "s") << " ->";
      for (size_t k = 0; k < n.outputs.size(); ++k) out << (k ? ", " : " ") << n.outputs[k].ToString();
      out << "\n";
    }
  }
  if (in.plan) {
    const Plan& plan = *in.plan;
    const Graph& g = plan.graph();
    out << "plan for";
    std::vector<NodeId> placeholders = g.Placeholders();
    if (placeholders.empty()) out << " no inputs";
    for (size_t i = 0; i < placeholders.size(); ++i) {
      const Node& n = g.node(placeholders[i]);
      out << (i ? ", " : " ") << n.name << ": " << n.outputs[0].ToString();
    }
    out << "\n  steps: " << plan.steps().size() << ", scheduler: " << plan.schedule().reason << "\n";
    size_t output_bytes = 0;
    for (int slot = 0; slot < plan.num_slots(); ++slot) {
      if (plan.memory().kind[static_cast<size_t>(slot)] != SlotKind::kOutput) continue;
      const TensorType& t = plan.slot_type(slot);
      output_bytes += static_cast<size_t>(NumElements(t.shape.static_dims())) * DTypeSize(t.dtype);
    }
    out << "  memory: " << plan.memory().Summary() << "; graph outputs " << FormatBytes(output_bytes)
        << " allocated per run\n";
  }
  return out.str();
}

}  // namespace bronze
