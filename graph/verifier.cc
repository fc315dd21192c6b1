// The verifier (see verifier.h for the list of checks).
#include "graph/verifier.h"

#include <map>
#include <set>

#include "graph/error.h"
#include "graph/op_registry.h"

namespace bronze {
namespace {

void CheckNodeLocal(const Graph& g, const Node& n) {
  if (!n.op) throw GraphError(n.Describe() + " has no op", n.location);
  if (g.FindNode(n.name) != n.id) {
    throw GraphError(n.Describe() + ": its name does not map back to it", n.location);
  }
  const OpSchema& op = *n.op;
  int arity = static_cast<int>(n.inputs.size());
  if (arity < op.min_inputs || (op.max_inputs != kVariadic && arity > op.max_inputs)) {
    throw GraphError(op.name + " node '" + n.name + "': wrong arity: expects " + op.ArityString() +
                         " inputs, has " + std::to_string(arity),
                     n.location);
  }
  try {
    CheckAttributes(op, n.attrs);
  } catch (const Error& e) {
    RethrowWithContext(e, op.name + " node '" + n.name + "': ", n.location);
  }
  if (op.is_source) {
    const TensorType declared{n.attrs.at("dtype").dtype(), n.attrs.at("shape").shape()};
    if (op.name == "constant" && !n.data.defined()) {
      throw GraphError(n.Describe() + " has no value", n.location);
    }
    if (n.data.defined() && (n.data.dtype() != declared.dtype ||
                             Shape::FromDims(n.data.dims()) != declared.shape)) {
      throw GraphError(n.Describe() + ": its data is " + std::string(DTypeName(n.data.dtype())) +
                           DimsToString(n.data.dims()) + " but it declares " + declared.ToString(),
                       n.location);
    }
  } else if (n.data.defined()) {
    throw GraphError(n.Describe() + " carries data, but only source nodes may", n.location);
  }
}

}  // namespace

void Verify(const Graph& g) {
  for (NodeId id : g.node_ids()) CheckNodeLocal(g, g.node(id));
  // In-place updates: only persistent state, with matching types, one writer per value. Checked
  // before the order: two writers of one value also make a cycle (each waits for the other as a
  // reader of that value), and the real problem should be named.
  std::map<Value, NodeId> writer;
  for (NodeId id : g.node_ids()) {
    const Node& n = g.node(id);
    for (const auto& [k, j] : InplacePairs(n)) {
      const Value target = n.inputs[static_cast<size_t>(j)];
      if (!g.alive(target.node)) continue;  // a dangling input: TopologicalOrder names it
      const Node& t = g.node(target.node);
      if (t.op->name != "parameter" && t.op->name != "state") {
        throw GraphError(n.Describe() + " updates its " + n.op->InputName(static_cast<size_t>(j)) +
                             " in place, but that is " + t.Describe() +
                             "; only parameter and state values can be updated in place",
                         n.location);
      }
      if (!(g.type(target) == n.outputs[static_cast<size_t>(k)])) {
        throw ShapeError(n.Describe() + " writes " + n.outputs[static_cast<size_t>(k)].ToString() +
                             " in place into " + t.Describe() + " of type " + g.type(target).ToString(),
                         n.location);
      }
      auto [it, fresh] = writer.emplace(target, id);
      if (!fresh) {
        throw GraphError(t.Describe() + " is updated in place by both " +
                             g.node(it->second).Describe() + " and " + n.Describe(),
                         n.location);
      }
    }
  }
  // Dangling inputs and cycles (TopologicalOrder names both).
  std::vector<NodeId> order = g.TopologicalOrder();
  for (NodeId id : order) {
    const Node& n = g.node(id);
    std::vector<TensorType> inferred = InferOutputTypes(g, n);
    if (inferred.size() != n.outputs.size()) {
      throw GraphError(n.Describe() + " is annotated with " + std::to_string(n.outputs.size()) +
                           " outputs, inference gives " + std::to_string(inferred.size()),
                       n.location);
    }
    for (size_t k = 0; k < inferred.size(); ++k) {
      if (!(inferred[k] == n.outputs[k])) {
        throw ShapeError(n.Describe() + ": annotated output " + std::to_string(k) + " type " +
                             n.outputs[k].ToString() + " does not match the inferred " +
                             inferred[k].ToString(),
                         n.location);
      }
    }
  }
  std::set<std::string> names;
  for (const GraphOutput& o : g.outputs()) {
    if (o.name.empty()) throw GraphError("graph '" + g.name() + "' has an output without a name");
    if (!names.insert(o.name).second) {
      throw GraphError("graph '" + g.name() + "' has two outputs named '" + o.name + "'");
    }
    if (!g.alive(o.value.node) || o.value.index < 0 ||
        static_cast<size_t>(o.value.index) >= g.node(o.value.node).outputs.size()) {
      throw GraphError("graph output '" + o.name + "' refers to a value that does not exist");
    }
  }
}

}  // namespace bronze
