// Session: compile once, plan per input-shape signature, check inputs, run sequentially.
#include "runtime/session.h"

#include "graph/error.h"
#include "graph/op_registry.h"
#include "graph/verifier.h"
#include "kernels/parallel.h"
#include "runtime/evaluator.h"

namespace bronze {

Session::~Session() = default;

Session::Session(Graph graph, SessionOptions options)
    : graph_(std::move(graph)), options_(std::move(options)) {
  if (options_.threads < 0) throw InvalidArgumentError("threads must be >= 0 (0: all cores)");
  pool_ = std::make_unique<ThreadPool>(options_.threads);
  threads_ = pool_->threads();
  // Registers the built-in kernels and device interfaces (CUDA) before the device is looked up.
  KernelRegistry::Global();
  InstallKernelEvaluator();  // constant folding in the pipeline runs nodes on the ref kernels
  if (options_.device.kind != DeviceKind::kCPU) GetDeviceInterface(options_.device);  // exists?
  Verify(graph_);
  PassManager(options_.pipeline, options_.pass_options).Run(graph_);
  for (NodeId id : graph_.Placeholders()) {
    const Node& n = graph_.node(id);
    input_specs_.push_back({n.name, n.outputs[0].dtype, n.outputs[0].shape});
  }
  for (const GraphOutput& o : graph_.outputs()) {
    output_specs_.push_back({o.name, graph_.type(o.value).dtype, graph_.type(o.value).shape});
  }
  state_.resize(graph_.id_bound());
  // Parameters and state: the session keeps its own copy in state_ and drops the graph's
  // reference to the initial value, so a model's weights are not held twice.
  for (NodeId id : graph_.node_ids()) {
    const Node& n = graph_.node(id);
    if (n.op->name == "parameter" || n.op->name == "state") {
      if (!n.data.defined()) {
        throw InvalidArgumentError(n.Describe() + " has no initial value", n.location);
      }
      state_[static_cast<size_t>(id)] = n.data.To(options_.device);  // the session's own copy
      graph_.node(id).data = Tensor();
    } else if (n.op->name == "constant") {
      state_[static_cast<size_t>(id)] =
          n.data.device() == options_.device ? n.data : n.data.To(options_.device);
    }
  }
}

SymbolBindings Session::BindInputs(const std::vector<Tensor>& inputs) const {
  if (inputs.size() != input_specs_.size()) {
    throw InvalidArgumentError("graph '" + graph_.name() + "' takes " +
                               std::to_string(input_specs_.size()) + " inputs, got " +
                               std::to_string(inputs.size()));
  }
  SymbolBindings bindings;
  std::map<std::string, std::string, std::less<>> bound_by;  // symbol -> input that bound it
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec& spec = input_specs_[i];
    const Tensor& t = inputs[i];
    std::string what = "input '" + spec.name + "'";
    if (!t.defined()) throw InvalidArgumentError(what + " is an undefined tensor");
    if (t.device() != options_.device) {
      throw InvalidArgumentError(what + " is on " + t.device().ToString() + ", the session runs on " +
                                 options_.device.ToString());
    }
    if (t.dtype() != spec.dtype) {
      throw TypeError(what + " has dtype " + std::string(DTypeName(t.dtype())) + ", expected " +
                      std::string(DTypeName(spec.dtype)));
    }
    std::string shapes = "expected shape " + spec.shape.ToString() + ", got " + DimsToString(t.dims());
    if (t.rank() != spec.shape.rank()) {
      throw ShapeError(what + ": " + shapes + " (rank " + std::to_string(t.rank()) + " instead of " +
                       std::to_string(spec.shape.rank()) + ")");
    }
    for (int64_t d = 0; d < t.rank(); ++d) {
      const Dim& want = spec.shape[d];
      int64_t got = t.dims()[static_cast<size_t>(d)];
      if (want.is_static()) {
        if (want.value() != got) {
          throw ShapeError(what + ": " + shapes + " (dim " + std::to_string(d) + " is " +
                           std::to_string(got) + ", expected " + want.ToString() + ")");
        }
      } else if (want.coefficient() == 1 && want.symbols().size() == 1) {
        const std::string& sym = want.symbols()[0];
        auto it = bindings.find(sym);
        if (it == bindings.end()) {
          bindings[sym] = got;
          bound_by[sym] = spec.name;
        } else if (it->second != got) {
          throw ShapeError(what + ": " + shapes + " (dim " + std::to_string(d) + " is " + sym +
                           " = " + std::to_string(got) + ", but input '" + bound_by[sym] +
                           "' set " + sym + " = " + std::to_string(it->second) + ")");
        }
      }
    }
  }
  // Compound dims (N*T, 2*N) are checked once every plain symbol is bound.
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec& spec = input_specs_[i];
    for (int64_t d = 0; d < spec.shape.rank(); ++d) {
      const Dim& want = spec.shape[d];
      if (want.is_static()) continue;
      int64_t got = inputs[i].dims()[static_cast<size_t>(d)];
      int64_t value;
      try {
        value = want.Evaluate(bindings);
      } catch (const ShapeError&) {
        throw ShapeError("input '" + spec.name + "': dim " + std::to_string(d) + " is " +
                         want.ToString() + ", which no input binds on its own");
      }
      if (value != got) {
        throw ShapeError("input '" + spec.name + "': expected shape " + spec.shape.ToString() +
                         ", got " + DimsToString(inputs[i].dims()) + " (dim " + std::to_string(d) +
                         " is " + std::to_string(got) + ", but " + want.ToString() + " = " +
                         std::to_string(value) + ")");
      }
    }
  }
  return bindings;
}

std::shared_ptr<const Plan> Session::PlanFor(const std::vector<Tensor>& inputs) const {
  SymbolBindings bindings = BindInputs(inputs);
  std::vector<int64_t> key;
  for (const Tensor& t : inputs) {
    key.push_back(t.rank());
    key.insert(key.end(), t.dims().begin(), t.dims().end());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  auto plan = std::make_shared<const Plan>(graph_, std::move(bindings),
                                           PlanOptions{options_.device, options_.backend});
  ++num_compiles_;
  plans_.emplace(std::move(key), plan);
  return plan;
}

size_t Session::num_cached_plans() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return plans_.size();
}

std::vector<Tensor> Session::Run(const std::vector<Tensor>& inputs) const {
  std::shared_ptr<const Plan> plan = PlanFor(inputs);
  // A plan that updates state in place runs alone; pure plans run concurrently.
  std::unique_lock<std::mutex> exclusive(run_mutex_, std::defer_lock);
  if (plan->has_side_effects()) exclusive.lock();
  std::vector<Tensor> slots(static_cast<size_t>(plan->num_slots()));
  for (size_t i = 0; i < inputs.size(); ++i) slots[static_cast<size_t>(plan->input_slots()[i])] = inputs[i];
  for (const auto& [slot, id] : plan->state_slots()) slots[static_cast<size_t>(slot)] = state_[static_cast<size_t>(id)];
  ExecContext ctx = pool_->context();
  std::vector<Tensor> in, out;
  // The whole plan runs inside the session's task_arena: kernels that split work share its
  // threads, and no other pool competes for the cores.
  pool_->Run([&] {
  for (const PlanStep& step : plan->steps()) {
    in.clear();
    out.clear();
    for (int s : step.inputs) in.push_back(slots[static_cast<size_t>(s)]);
    for (size_t k = 0; k < step.outputs.size(); ++k) {
      // An in-place update writes into its input's buffer: nothing to allocate.
      int alias = -1;
      for (const auto& [o, j] : step.aliases) alias = o == static_cast<int>(k) ? j : alias;
      if (alias >= 0) {
        out.push_back(in[static_cast<size_t>(alias)]);
        continue;
      }
      const TensorType& t = plan->slot_type(step.outputs[k]);
      out.push_back(Tensor::Empty(t.dtype, t.shape.static_dims(), options_.device));
    }
    try {
      step.kernel->Run(in, out, ctx);
    } catch (const Error& e) {
      RethrowWithContext(e, step.describe + ": ", step.location);
    }
    for (size_t k = 0; k < step.outputs.size(); ++k) slots[static_cast<size_t>(step.outputs[k])] = std::move(out[k]);
    for (int s : step.release) slots[static_cast<size_t>(s)] = Tensor();
  }
  });
  std::vector<Tensor> result;
  for (int s : plan->output_slots()) result.push_back(slots[static_cast<size_t>(s)]);
  return result;
}

std::vector<Tensor> Session::Ordered(const NamedTensors& inputs) const {
  std::vector<Tensor> ordered;
  for (const TensorSpec& spec : input_specs_) {
    auto it = inputs.find(spec.name);
    if (it == inputs.end()) {
      throw NotFoundError("missing input '" + spec.name + "' of graph '" + graph_.name() +
                          "' (shape " + spec.shape.ToString() + ", dtype " +
                          std::string(DTypeName(spec.dtype)) + ")");
    }
    ordered.push_back(it->second);
  }
  for (const auto& [name, t] : inputs) {
    bool known = false;
    for (const TensorSpec& spec : input_specs_) known = known || spec.name == name;
    if (!known) {
      std::string names;
      for (const TensorSpec& spec : input_specs_) names += (names.empty() ? "" : ", ") + spec.name;
      throw NotFoundError("graph '" + graph_.name() + "' has no input '" + name + "' (inputs: " + names + ")");
    }
  }
  return ordered;
}

NamedTensors Session::Run(const NamedTensors& inputs) const {
  std::vector<Tensor> outs = Run(Ordered(inputs));
  NamedTensors result;
  for (size_t k = 0; k < outs.size(); ++k) result[output_specs_[k].name] = std::move(outs[k]);
  return result;
}

NodeId Session::ParameterId(const std::string& name) const {
  NodeId id = graph_.FindNode(name);
  if (id == kNoNode || (graph_.node(id).op->name != "parameter" && graph_.node(id).op->name != "state")) {
    throw NotFoundError("graph '" + graph_.name() + "' has no parameter or state '" + name + "'");
  }
  return id;
}

Tensor Session::parameter(const std::string& name) const { return state_[static_cast<size_t>(ParameterId(name))]; }

void Session::set_parameter(const std::string& name, const Tensor& value) {
  Tensor& current = state_[static_cast<size_t>(ParameterId(name))];
  if (!value.defined()) throw InvalidArgumentError("parameter '" + name + "': the new value is undefined");
  std::string mismatch = "parameter '" + name + "' is " + std::string(DTypeName(current.dtype())) +
                         DimsToString(current.dims()) + ", the new value is " +
                         std::string(DTypeName(value.dtype())) + DimsToString(value.dims());
  if (value.dtype() != current.dtype()) throw TypeError(mismatch);
  if (value.dims() != current.dims()) throw ShapeError(mismatch);
  current = value.To(options_.device);
}

}  // namespace bronze
