// cse: common-subexpression elimination. Two nodes of the same op reading the same values with
// equal attributes (and equal output types) compute the same thing: readers of the later one
// (in topological order) read the earlier one instead, and the later one goes. Only pure ops
// (simplify::IsPure: no side effects, in-place updates, state outputs or randomness) merge;
// among sources only constants do, when their values are equal and small (kCseMaxConstantBytes),
// never parameters, state or placeholders. The survivor keeps its name and location (taking the
// merged node's location when it has none).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "graph/op_registry.h"
#include "passes/simplify.h"

namespace bronze {
namespace {

bool SameConstant(const Node& a, const Node& b) {
  return a.outputs == b.outputs && a.data.defined() && b.data.defined() && BitwiseEqual(a.data, b.data);
}

bool Mergeable(const Graph& graph, const Node& n) {
  if (n.op->name == "constant") {
    return simplify::IsConstant(graph, Value{n.id, 0}) && n.data.nbytes() <= kCseMaxConstantBytes;
  }
  return simplify::IsPure(*n.op);
}

}  // namespace

bool CsePass(Graph& graph, PassContext& context) {
  // Candidates by (op, inputs); inputs are already canonical because producers come first in
  // topological order and a merge rewrites the readers of the merged node.
  std::map<std::pair<const OpSchema*, std::vector<Value>>, std::vector<NodeId>> seen;
  bool changed = false;
  for (NodeId id : graph.TopologicalOrder()) {
    const Node& n = graph.node(id);
    if (!Mergeable(graph, n)) continue;
    std::vector<NodeId>& bucket = seen[{n.op, n.inputs}];
    NodeId twin = kNoNode;
    for (NodeId other : bucket) {
      const Node& m = graph.node(other);
      bool same = m.attrs == n.attrs && m.outputs == n.outputs;
      if (same && n.op->name == "constant") same = SameConstant(m, n);
      if (same) {
        twin = other;
        break;
      }
    }
    if (twin == kNoNode) {
      bucket.push_back(id);
      continue;
    }
    Node& keep = graph.node(twin);
    context.Remark("merged " + n.Describe() + " into '" + keep.name +
                   (n.op->name == "constant" ? "' (equal constant)"
                                             : "' (same op, inputs and attributes)"));
    if (keep.location.empty()) keep.location = n.location;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      graph.ReplaceAllUses(Value{id, static_cast<int32_t>(k)}, Value{twin, static_cast<int32_t>(k)});
    }
    graph.EraseNode(id);
    changed = true;
  }
  return changed;
}

}  // namespace bronze
