// dce: dead-code elimination. Keeps every node a graph output depends on, every placeholder (the
// graph's input signature does not shrink), and every op with side effects and what it depends
// on; removes the rest.
#include "graph/op_registry.h"
#include "passes/pass.h"

namespace bronze {

bool DcePass(Graph& graph, PassContext&) {
  std::vector<char> live(graph.id_bound(), 0);
  std::vector<NodeId> stack;
  auto mark = [&](NodeId id) {
    if (!live[static_cast<size_t>(id)]) {
      live[static_cast<size_t>(id)] = 1;
      stack.push_back(id);
    }
  };
  for (const GraphOutput& o : graph.outputs()) mark(o.value.node);
  for (NodeId id : graph.node_ids()) {
    const Node& n = graph.node(id);
    if (n.op && (n.op->has_side_effects || n.op->name == "placeholder")) mark(id);
  }
  while (!stack.empty()) {
    NodeId id = stack.back();
    stack.pop_back();
    for (const Value& in : graph.node(id).inputs) mark(in.node);
  }
  bool changed = false;
  for (NodeId id : graph.node_ids()) {
    if (!live[static_cast<size_t>(id)]) {
      graph.EraseNode(id);
      changed = true;
    }
  }
  return changed;
}

}  // namespace bronze
