// Plan construction: bind symbols, re-infer concrete types, assign slots, bind kernels and
// compute when each slot dies.
#include "runtime/plan.h"

#include "graph/error.h"
#include "graph/op_registry.h"
#include "passes/pass.h"

namespace bronze {

Plan::Plan(const Graph& graph, SymbolBindings bindings, const PlanOptions& options)
    : graph_(graph), bindings_(std::move(bindings)) {
  // Specialize: placeholders get concrete shapes, then inference makes every type concrete.
  for (NodeId id : graph_.Placeholders()) {
    Node& n = graph_.node(id);
    n.attrs["shape"] = n.attrs.at("shape").shape().Substitute(bindings_);
  }
  PassContext ctx;
  ShapeInferPass(graph_, ctx);

  std::vector<NodeId> order = graph_.TopologicalOrder();
  slot_of_.assign(graph_.id_bound(), {});
  for (NodeId id : order) {
    const Node& n = graph_.node(id);
    for (const TensorType& t : n.outputs) {
      if (!t.shape.is_static()) {
        ThrowInternal(n.Describe() + " still has symbolic type " + t.ToString() + " in a plan");
      }
      slot_of_[static_cast<size_t>(id)].push_back(static_cast<int>(slot_types_.size()));
      slot_types_.push_back(t);
    }
  }
  for (NodeId id : graph_.Placeholders()) input_slots_.push_back(slot_of_[static_cast<size_t>(id)][0]);
  for (const GraphOutput& o : graph_.outputs()) output_slots_.push_back(slot_of(o.value));
  for (NodeId id : order) {
    const std::string& op = graph_.node(id).op->name;
    if (op == "parameter" || op == "constant") state_slots_.emplace_back(slot_of({id, 0}), id);
  }

  const KernelRegistry& kernels = KernelRegistry::Global();
  for (NodeId id : order) {
    const Node& n = graph_.node(id);
    if (n.op->is_source) continue;
    PlanStep step;
    step.node = id;
    step.describe = n.Describe();
    step.location = n.location;
    std::vector<TensorType> in_types;
    for (const Value& v : n.inputs) {
      step.inputs.push_back(slot_of(v));
      in_types.push_back(graph_.type(v));
    }
    step.outputs = slot_of_[static_cast<size_t>(id)];
    DType dispatch = n.op->dispatch_input < 0 ? n.outputs[0].dtype
                                               : in_types[static_cast<size_t>(n.op->dispatch_input)].dtype;
    const KernelEntry* entry = kernels.Find(n.op->name, options.device.kind, dispatch, options.backend);
    if (!entry) {
      throw UnimplementedError(
          n.Describe() + ": no " + (options.backend.empty() ? "" : options.backend + " ") +
              "kernel for " + n.op->name + " on " + options.device.ToString() + " with dtype " +
              std::string(DTypeName(dispatch)) + " (available dtypes: " +
              kernels.DescribeAvailable(n.op->name, options.device.kind, options.backend) + ")",
          n.location);
    }
    try {
      step.kernel = entry->factory(KernelSignature{n.op->name, n.attrs, in_types, n.outputs, options.device});
    } catch (const Error& e) {
      RethrowWithContext(e, n.Describe() + ": ", n.location);
    }
    steps_.push_back(std::move(step));
  }

  // Liveness: a slot dies after the last step that reads it, unless it is a graph output or
  // belongs to a source node (inputs and parameters are not ours to free).
  std::vector<int> last_use(slot_types_.size(), -1);
  for (size_t s = 0; s < steps_.size(); ++s) {
    for (int slot : steps_[s].inputs) last_use[static_cast<size_t>(slot)] = static_cast<int>(s);
  }
  std::vector<char> keep(slot_types_.size(), 0);
  for (int slot : output_slots_) keep[static_cast<size_t>(slot)] = 1;
  for (NodeId id : order) {
    if (graph_.node(id).op->is_source) {
      for (int slot : slot_of_[static_cast<size_t>(id)]) keep[static_cast<size_t>(slot)] = 1;
    }
  }
  for (size_t s = 0; s < steps_.size(); ++s) {
    for (int slot : steps_[s].outputs) {
      if (keep[static_cast<size_t>(slot)]) continue;
      const TensorType& t = slot_types_[static_cast<size_t>(slot)];
      intermediate_bytes_ += static_cast<size_t>(NumElements(t.shape.static_dims())) * DTypeSize(t.dtype);
      // An output nobody reads dies right after the step that made it.
      int dies = last_use[static_cast<size_t>(slot)] < 0 ? static_cast<int>(s) : last_use[static_cast<size_t>(slot)];
      steps_[static_cast<size_t>(dies)].release.push_back(slot);
    }
  }
}

int Plan::slot_of(Value v) const {
  if (v.node < 0 || static_cast<size_t>(v.node) >= slot_of_.size() ||
      static_cast<size_t>(v.index) >= slot_of_[static_cast<size_t>(v.node)].size()) {
    ThrowInternal("value without a slot");
  }
  return slot_of_[static_cast<size_t>(v.node)][static_cast<size_t>(v.index)];
}

}  // namespace bronze
