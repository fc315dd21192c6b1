// Plan construction: bind symbols, re-infer concrete types, assign slots, bind kernels, compute
// when each slot dies, choose the schedule and plan the arena.
#include "runtime/plan.h"

#include <algorithm>
#include <map>

#include "graph/error.h"
#include "graph/op_registry.h"
#include "graph/ops/shape_ops.h"
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

  // Parameters some node updates in place (optimizer steps): never constant for a kernel.
  std::vector<char> written(graph_.id_bound(), 0);
  for (NodeId id : order) {
    const Node& n = graph_.node(id);
    for (const auto& [out, in] : InplacePairs(n)) {
      written[static_cast<size_t>(n.inputs[static_cast<size_t>(in)].node)] = 1;
    }
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
    uint64_t constant_inputs = 0;
    for (const Value& v : n.inputs) {
      const size_t k = in_types.size();
      if (k < 64 && graph_.node(v.node).op->name == "parameter" &&
          !written[static_cast<size_t>(v.node)]) {
        constant_inputs |= uint64_t{1} << k;
      }
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
      step.kernel = entry->factory(
          KernelSignature{n.op->name, n.attrs, in_types, n.outputs, options.device, constant_inputs});
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
  // The scheduler's decision, from the ops' cost estimates.
  std::vector<ScheduleStep> sched_steps;
  for (PlanStep& step : steps_) {
    const Node& n = graph_.node(step.node);
    ScheduleStep ss;
    ss.inputs = step.inputs;
    ss.outputs = step.outputs;
    ss.aliases = step.aliases;
    ss.side_effects = n.op->has_side_effects;
    std::vector<TensorType> in_types;
    double bytes = 0;
    for (const Value& v : n.inputs) {
      in_types.push_back(graph_.type(v));
      bytes += static_cast<double>(bytes_of(slot_of(v)));
    }
    for (int slot : step.outputs) bytes += static_cast<double>(bytes_of(slot));
    Cost cost{0, bytes, 0};
    if (n.op->cost) cost = n.op->cost(n.attrs, in_types, n.outputs);
    step.flops = cost.flops;
    step.bytes = cost.bytes_read + cost.bytes_written;
    ss.seconds = EstimateStepSeconds(step.flops, step.bytes);
    sched_steps.push_back(std::move(ss));
  }
  schedule_ = MakeSchedule(sched_steps, options.threads, options.scheduler);

  // The memory plan for that schedule.
  PlannerInput mem;
  std::map<std::pair<DType, Dims>, int64_t> keys;  // same dtype and dims: reuse-compatible
  for (size_t slot = 0; slot < slot_types_.size(); ++slot) {
    const TensorType& t = slot_types_[slot];
    mem.slot_bytes.push_back(bytes_of(static_cast<int>(slot)));
    mem.slot_key.push_back(
        keys.emplace(std::make_pair(t.dtype, t.shape.static_dims()), static_cast<int64_t>(keys.size()))
            .first->second);
  }
  mem.is_source.assign(slot_types_.size(), 0);
  mem.is_output.assign(slot_types_.size(), 0);
  for (NodeId id : order) {
    if (graph_.node(id).op->is_source) {
      for (int slot : slot_of_[static_cast<size_t>(id)]) mem.is_source[static_cast<size_t>(slot)] = 1;
    }
  }
  for (int slot : output_slots_) mem.is_output[static_cast<size_t>(slot)] = 1;
  for (const PlanStep& step : steps_) {
    const OpSchema& op = *graph_.node(step.node).op;
    PlannerStep ps;
    ps.inputs = step.inputs;
    ps.outputs = step.outputs;
    ps.aliases = step.aliases;
    // Elementwise and broadcast kernels read input element i only to write output element i;
    // a reshape-like op's output is its input's bytes (the kernel skips the copy in place).
    ps.reuse_any_dims = ops::IsBytesView(op.name);
    ps.reuse_ok = (op.fusion == FusionKind::kElementwise || op.fusion == FusionKind::kBroadcast ||
                   ps.reuse_any_dims) &&
                  !op.has_side_effects && step.aliases.empty();
    mem.steps.push_back(std::move(ps));
  }
  if (schedule_.parallel) {
    const Schedule* sched = &schedule_;
    mem.happens_before = [sched](int a, int b) { return sched->HappensBefore(a, b); };
  }
  memory_ = PlanMemory(mem);

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
