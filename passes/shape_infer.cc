// shape_infer: re-infers every node's output types in topological order from its inputs'
// types, keeping symbolic dims. Errors name the node, op, user line and shapes.
#include "graph/op_registry.h"
#include "passes/pass.h"

namespace bronze {

bool ShapeInferPass(Graph& graph, PassContext&) {
  bool changed = false;
  for (NodeId id : graph.TopologicalOrder()) {
    Node& n = graph.node(id);
    std::vector<TensorType> types = InferOutputTypes(graph, n);
    if (types != n.outputs) {
      n.outputs = std::move(types);
      changed = true;
    }
  }
  return changed;
}

}  // namespace bronze
