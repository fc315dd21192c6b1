// Plan construction: bind symbols, re-infer concrete types, assign slots, bind kernels and
// compute when each slot dies.
#include "runtime/plan.h"

#include <algorithm>

#include "graph/error.h"
#include "graph/op_registry.h"
#include "passes/pass.h"

namespace bronze {

Plan::Plan(const Graph& graph, SymbolBindings bindings, const PlanOptions& options)
    : graph_(graph), bindings_(std::move(bindings)) {
  // Specialize: placeholders get concrete shapes, then inference makes every type concrete.
  for (NodeId id : graph_.node_ids()) {
    for (auto& [name, attr] : graph_.node(id).attrs) {
      if (attr.type() == AttrType::kShape && !attr.shape().is_static()) {
        attr = attr.shape().Substitute(bindings_);
      }
    }
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
    if (op == "parameter" || op == "state" || op == "constant") state_slots_.emplace_back(slot_of({id, 0}), id);
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
    step.aliases = InplacePairs(n);
    has_side_effects_ = has_side_effects_ || n.op->has_side_effects;
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
  auto bytes_of = [&](int slot) {
    const TensorType& t = slot_types_[static_cast<size_t>(slot)];
    return static_cast<size_t>(NumElements(t.shape.static_dims())) * DTypeSize(t.dtype);
  };
  // Outputs written into state (in-place updates) are not intermediates: they own no memory.
  std::vector<char> aliased(slot_types_.size(), 0);
  for (const PlanStep& step : steps_) {
    for (const auto& [k, j] : step.aliases) aliased[static_cast<size_t>(step.outputs[static_cast<size_t>(k)])] = 1;
  }
  for (size_t s = 0; s < steps_.size(); ++s) {
    for (int slot : steps_[s].outputs) {
      if (keep[static_cast<size_t>(slot)]) continue;
      if (!aliased[static_cast<size_t>(slot)]) intermediate_bytes_ += bytes_of(slot);
      // An output nobody reads dies right after the step that made it.
      int dies = last_use[static_cast<size_t>(slot)] < 0 ? static_cast<int>(s) : last_use[static_cast<size_t>(slot)];
      steps_[static_cast<size_t>(dies)].release.push_back(slot);
    }
  }
  // Peak: replay the schedule the way Session::Run allocates and releases.
  size_t live = 0;
  for (const PlanStep& step : steps_) {
    for (int slot : step.outputs) {
      if (!aliased[static_cast<size_t>(slot)]) live += bytes_of(slot);
    }
    peak_bytes_ = std::max(peak_bytes_, live);
    for (int slot : step.release) {
      if (!aliased[static_cast<size_t>(slot)]) live -= bytes_of(slot);
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
