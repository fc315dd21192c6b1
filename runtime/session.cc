// Session: compile once, plan per input-shape signature, check inputs, run each plan in one of
// its arenas, in a loop or as a task graph.
#include "runtime/session.h"

#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>

#include "graph/error.h"
#include "graph/op_registry.h"
#include "graph/ops/fused.h"
#include "graph/verifier.h"
#include "kernels/parallel.h"
#include "runtime/explain.h"
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
  {
    // The session keeps the remarks for Explain(), and still hands them to the caller's vector.
    PipelineOptions pass_options = options_.pass_options;
    pass_options.remarks = &remarks_;
    PassManager(options_.pipeline, pass_options).Run(graph_);
    if (options_.pass_options.remarks) {
      options_.pass_options.remarks->insert(options_.pass_options.remarks->end(), remarks_.begin(),
                                            remarks_.end());
    }
  }
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

SymbolBindings Session::BindInputs(const std::vector<InputDesc>& inputs) const {
  if (inputs.size() != input_specs_.size()) {
    throw InvalidArgumentError("graph '" + graph_.name() + "' takes " +
                               std::to_string(input_specs_.size()) + " inputs, got " +
                               std::to_string(inputs.size()));
  }
  SymbolBindings bindings;
  std::map<std::string, std::string, std::less<>> bound_by;  // symbol -> input that bound it
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec& spec = input_specs_[i];
    const InputDesc& t = inputs[i];
    std::string what = "input '" + spec.name + "'";
    if (!t.defined) throw InvalidArgumentError(what + " is an undefined tensor");
    if (t.device != options_.device) {
      throw InvalidArgumentError(what + " is on " + t.device.ToString() + ", the session runs on " +
                                 options_.device.ToString());
    }
    if (t.dtype != spec.dtype) {
      throw TypeError(what + " has dtype " + std::string(DTypeName(t.dtype)) + ", expected " +
                      std::string(DTypeName(spec.dtype)));
    }
    const int64_t rank = static_cast<int64_t>(t.dims->size());
    std::string shapes = "expected shape " + spec.shape.ToString() + ", got " + DimsToString(*t.dims);
    if (rank != spec.shape.rank()) {
      throw ShapeError(what + ": " + shapes + " (rank " + std::to_string(rank) + " instead of " +
                       std::to_string(spec.shape.rank()) + ")");
    }
    for (int64_t d = 0; d < rank; ++d) {
      const Dim& want = spec.shape[d];
      int64_t got = (*t.dims)[static_cast<size_t>(d)];
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
      int64_t got = (*inputs[i].dims)[static_cast<size_t>(d)];
      int64_t value;
      try {
        value = want.Evaluate(bindings);
      } catch (const ShapeError&) {
        throw ShapeError("input '" + spec.name + "': dim " + std::to_string(d) + " is " +
                         want.ToString() + ", which no input binds on its own");
      }
      if (value != got) {
        throw ShapeError("input '" + spec.name + "': expected shape " + spec.shape.ToString() +
                         ", got " + DimsToString(*inputs[i].dims) + " (dim " + std::to_string(d) +
                         " is " + std::to_string(got) + ", but " + want.ToString() + " = " +
                         std::to_string(value) + ")");
      }
    }
  }
  return bindings;
}

// A plan with everything a run needs to bind its tensors: every step's inputs and outputs are
// consecutive entries of one argument array (so a kernel gets two spans and nothing is looked
// up); arena values are bound once when an arena is made, the rest (graph inputs, parameters and
// state, graph outputs) at the start of each run and dropped at its end.
struct Session::PlanEntry {
  enum class Source : uint8_t { kArena, kInput, kState, kFresh };
  struct Ref {
    Source source;
    uint32_t index;  // kArena: slot; kInput: input position; kState: node id; kFresh: output #
  };
  struct Binding {
    uint32_t arg;
    Ref ref;
  };
  struct StepCall {
    const Kernel* kernel;
    uint32_t begin;  // first argument
    uint32_t num_inputs;
    uint32_t num_outputs;
  };
  // One run's memory: the arena and the tensors bound into it.
  struct Execution {
    std::shared_ptr<Storage> arena;
    std::vector<Tensor> args;
    std::vector<Tensor> fresh;
    // The returned outputs of this execution's previous run, reused by the next run once the
    // caller has dropped them (the session's reference is the only one left): a large output
    // then costs no allocation and no page faults.
    std::vector<Tensor> kept;
    std::unique_ptr<std::atomic<int>[]> pending;  // task graph: unfinished predecessors per step
  };

  std::shared_ptr<const Plan> plan;
  std::vector<StepCall> calls;
  size_t num_args = 0;
  std::vector<Binding> arena_bindings;
  std::vector<Binding> run_bindings;
  std::vector<int> fresh_slots;  // graph outputs computed by steps
  std::vector<Ref> outputs;      // per graph output
  std::mutex mutex;
  std::vector<std::unique_ptr<Execution>> idle;  // arenas not in use by a run

  explicit PlanEntry(std::shared_ptr<const Plan> p) : plan(std::move(p)) {
    const Plan& pl = *plan;
    const MemoryPlan& mem = pl.memory();
    std::vector<Ref> source(static_cast<size_t>(pl.num_slots()), Ref{Source::kArena, 0});
    for (size_t k = 0; k < pl.input_slots().size(); ++k) {
      source[static_cast<size_t>(pl.input_slots()[k])] = {Source::kInput, static_cast<uint32_t>(k)};
    }
    for (const auto& [slot, id] : pl.state_slots()) {
      source[static_cast<size_t>(slot)] = {Source::kState, static_cast<uint32_t>(id)};
    }
    for (const PlanStep& step : pl.steps()) {
      StepCall call{step.kernel.get(), static_cast<uint32_t>(num_args),
                    static_cast<uint32_t>(step.inputs.size()), static_cast<uint32_t>(step.outputs.size())};
      for (size_t k = 0; k < step.outputs.size(); ++k) {
        const size_t slot = static_cast<size_t>(step.outputs[k]);
        switch (mem.kind[slot]) {
          case SlotKind::kArena: source[slot] = {Source::kArena, static_cast<uint32_t>(slot)}; break;
          case SlotKind::kOutput:
            source[slot] = {Source::kFresh, static_cast<uint32_t>(fresh_slots.size())};
            fresh_slots.push_back(static_cast<int>(slot));
            break;
          case SlotKind::kAlias:
            for (const auto& [o, j] : step.aliases) {
              if (o == static_cast<int>(k)) source[slot] = source[static_cast<size_t>(step.inputs[static_cast<size_t>(j)])];
            }
            break;
          case SlotKind::kExternal: ThrowInternal("a step writes a source value");
        }
      }
      auto bind = [&](int slot) {
        const Ref& ref = source[static_cast<size_t>(slot)];
        Binding b{static_cast<uint32_t>(num_args++), ref};
        (ref.source == Source::kArena ? arena_bindings : run_bindings).push_back(b);
      };
      for (int slot : step.inputs) bind(slot);
      for (int slot : step.outputs) bind(slot);
      calls.push_back(call);
    }
    for (int slot : pl.output_slots()) outputs.push_back(source[static_cast<size_t>(slot)]);
  }

  std::unique_ptr<Execution> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!idle.empty()) {
        std::unique_ptr<Execution> e = std::move(idle.back());
        idle.pop_back();
        return e;
      }
    }
    auto e = std::make_unique<Execution>();
    e->args.resize(num_args);
    e->fresh.resize(fresh_slots.size());
    e->kept.resize(fresh_slots.size());
    e->pending = std::make_unique<std::atomic<int>[]>(calls.size());
    return e;
  }
  void Release(std::unique_ptr<Execution> e) {
    std::lock_guard<std::mutex> lock(mutex);
    idle.push_back(std::move(e));
  }
};

namespace {
// The arena of a fresh execution: allocated once, touched once (so its pages are faulted in
// before the first run, not during it), then reused by every run that takes this execution.
std::shared_ptr<Storage> MakeArena(size_t bytes, Device device) {
  if (bytes == 0) return nullptr;
  std::shared_ptr<Storage> arena = Storage::Allocate(bytes, device);
  if (device.kind == DeviceKind::kCPU) std::memset(arena->data(), 0, bytes);
  return arena;
}
}  // namespace

Session::PlanEntry& Session::EntryForDescs(const std::vector<InputDesc>& inputs) const {
  SymbolBindings bindings = BindInputs(inputs);
  std::vector<int64_t> key;
  for (const InputDesc& t : inputs) {
    key.push_back(static_cast<int64_t>(t.dims->size()));
    key.insert(key.end(), t.dims->begin(), t.dims->end());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = plans_.find(key);
  if (it != plans_.end()) return *it->second;
  PlanOptions plan_options{options_.device, options_.backend, threads_, options_.scheduler};
  auto plan = std::make_shared<const Plan>(graph_, std::move(bindings), plan_options);
  auto entry = std::make_unique<PlanEntry>(std::move(plan));
  ++num_compiles_;
  return *plans_.emplace(std::move(key), std::move(entry)).first->second;
}

Session::PlanEntry& Session::EntryFor(const std::vector<Tensor>& inputs) const {
  // Fast path: a signature seen before has valid dims, so only dtypes and devices need a look.
  thread_local std::vector<int64_t> key;
  key.clear();
  bool plain = inputs.size() == input_specs_.size();
  for (size_t i = 0; plain && i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    plain = t.defined() && t.dtype() == input_specs_[i].dtype && t.device() == options_.device;
    key.push_back(t.rank());
    key.insert(key.end(), t.dims().begin(), t.dims().end());
  }
  if (plain) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = plans_.find(key);
    if (it != plans_.end()) return *it->second;
  }
  std::vector<InputDesc> descs;
  for (const Tensor& t : inputs) {
    descs.push_back({t.defined(), t.device(), t.dtype(), &t.dims()});
  }
  return EntryForDescs(descs);
}

std::shared_ptr<const Plan> Session::PlanFor(const std::vector<Tensor>& inputs) const {
  return EntryFor(inputs).plan;
}

std::shared_ptr<const Plan> Session::PlanForShapes(const std::vector<Dims>& input_dims) const {
  std::vector<InputDesc> descs;
  for (size_t i = 0; i < input_dims.size(); ++i) {
    DType dtype = i < input_specs_.size() ? input_specs_[i].dtype : DType::kF32;
    descs.push_back({true, options_.device, dtype, &input_dims[i]});
  }
  return EntryForDescs(descs).plan;
}

std::string Session::Explain(const std::vector<Dims>& input_dims) const {
  std::shared_ptr<const Plan> plan;
  if (!input_dims.empty() || input_specs_.empty()) plan = PlanForShapes(input_dims);
  ExplainInput in;
  in.pipeline = &options_.pipeline;
  in.remarks = &remarks_;
  in.graph = &graph_;
  in.plan = plan.get();
  return bronze::Explain(in);
}

size_t Session::num_cached_plans() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return plans_.size();
}

std::vector<Tensor> Session::Run(const std::vector<Tensor>& inputs) const {
  return RunEntry(EntryFor(inputs), inputs, nullptr);
}

std::vector<Tensor> Session::RunEntry(PlanEntry& entry, const std::vector<Tensor>& inputs,
                                      double* step_seconds) const {
  const Plan& plan = *entry.plan;
  // A plan that updates state in place runs alone; pure plans run concurrently.
  std::unique_lock<std::mutex> exclusive(run_mutex_, std::defer_lock);
  if (plan.has_side_effects()) exclusive.lock();

  std::unique_ptr<PlanEntry::Execution> exec = entry.Acquire();
  if (!exec->arena && plan.arena_bytes() > 0) {
    exec->arena = MakeArena(plan.arena_bytes(), options_.device);
    for (const PlanEntry::Binding& b : entry.arena_bindings) {
      const TensorType& t = plan.slot_type(static_cast<int>(b.ref.index));
      exec->args[b.arg] = Tensor::OnStorage(exec->arena, plan.memory().offset[b.ref.index], t.dtype,
                                            t.shape.static_dims());
    }
  }
  for (size_t m = 0; m < entry.fresh_slots.size(); ++m) {
    Tensor& kept = exec->kept[m];
    if (kept.storage() && kept.storage().use_count() == 1) {
      // Only this execution still refers to it: every reader dropped its reference, and the
      // fence orders their last accesses before this run's writes.
      std::atomic_thread_fence(std::memory_order_acquire);
      exec->fresh[m] = std::move(kept);
    } else {
      const TensorType& t = plan.slot_type(entry.fresh_slots[m]);
      exec->fresh[m] = Tensor::Empty(t.dtype, t.shape.static_dims(), options_.device);
    }
    kept = Tensor();
  }
  auto resolve = [&](const PlanEntry::Ref& ref) -> const Tensor& {
    switch (ref.source) {
      case PlanEntry::Source::kInput: return inputs[ref.index];
      case PlanEntry::Source::kState: return state_[ref.index];
      case PlanEntry::Source::kFresh: return exec->fresh[ref.index];
      case PlanEntry::Source::kArena: break;
    }
    ThrowInternal("an arena value among the per-run bindings");
  };
  for (const PlanEntry::Binding& b : entry.run_bindings) exec->args[b.arg] = resolve(b.ref);
  // Whatever happens, the run's references to the caller's tensors and the session's state are
  // dropped and the arena goes back to the pool.
  struct Cleanup {
    PlanEntry& entry;
    std::unique_ptr<PlanEntry::Execution>& exec;
    ~Cleanup() {
      for (const PlanEntry::Binding& b : entry.run_bindings) exec->args[b.arg] = Tensor();
      for (size_t m = 0; m < exec->fresh.size(); ++m) exec->kept[m] = std::move(exec->fresh[m]);
      entry.Release(std::move(exec));
    }
  };
  std::vector<Tensor> result;
  result.reserve(entry.outputs.size());
  {
    Cleanup cleanup{entry, exec};
    PlanEntry::Execution& ex = *exec;
    const PlanEntry::StepCall* calls = entry.calls.data();
    const size_t num_steps = entry.calls.size();
    auto run_step = [&](size_t s, ExecContext& ctx) {
      const PlanEntry::StepCall& c = calls[s];
      Tensor* a = ex.args.data() + c.begin;
      try {
        c.kernel->Run(std::span<const Tensor>(a, c.num_inputs), std::span<Tensor>(a + c.num_inputs, c.num_outputs), ctx);
      } catch (const Error& e) {
        const PlanStep& step = plan.steps()[s];
        RethrowWithContext(e, step.describe + ": ", step.location);
      }
    };
    // The whole plan runs inside the session's task_arena: kernels that split work share its
    // threads, and no other pool competes for the cores.
    if (step_seconds) {  // Profile: the loop, with a clock read after each step
      pool_->Run([&] {
        ExecContext ctx = pool_->context();
        auto last = std::chrono::steady_clock::now();
        for (size_t s = 0; s < num_steps; ++s) {
          run_step(s, ctx);
          const auto now = std::chrono::steady_clock::now();
          step_seconds[s] += std::chrono::duration<double>(now - last).count();
          last = now;
        }
      });
    } else if (!plan.schedule().parallel) {
      pool_->Run([&] {
        ExecContext ctx = pool_->context();
        for (size_t s = 0; s < num_steps; ++s) run_step(s, ctx);
      });
    } else {
      const Schedule& sched = plan.schedule();
      for (size_t s = 0; s < num_steps; ++s) {
        ex.pending[s].store(sched.num_predecessors[s], std::memory_order_relaxed);
      }
      pool_->Run([&] {
        tbb::task_group group;
        // Runs step s, then the successors it made ready: the first inline, the others as tasks.
        std::function<void(int)> chain = [&](int s) {
          ExecContext ctx = pool_->context();
          while (s >= 0) {
            run_step(static_cast<size_t>(s), ctx);
            int next = -1;
            for (int succ : sched.successors[static_cast<size_t>(s)]) {
              if (ex.pending[succ].fetch_sub(1, std::memory_order_acq_rel) != 1) continue;
              if (next < 0) {
                next = succ;
              } else {
                group.run([&chain, succ] { chain(succ); });
              }
            }
            s = next;
          }
        };
        for (int root : sched.roots) group.run([&chain, root] { chain(root); });
        group.wait();
      });
    }
    for (const PlanEntry::Ref& ref : entry.outputs) result.push_back(resolve(ref));
  }
  return result;
}

ProfileReport Session::Profile(const NamedTensors& inputs, int runs, int warmup) const {
  return Profile(Ordered(inputs), runs, warmup);
}

ProfileReport Session::Profile(const std::vector<Tensor>& inputs, int runs, int warmup) const {
  if (runs < 1 || warmup < 0) {
    throw InvalidArgumentError("Session::Profile: runs must be >= 1 and warmup >= 0, got runs " +
                               std::to_string(runs) + ", warmup " + std::to_string(warmup));
  }
  PlanEntry& entry = EntryFor(inputs);
  const Plan& plan = *entry.plan;
  const size_t n = plan.steps().size();
  for (int i = 0; i < warmup; ++i) RunEntry(entry, inputs, nullptr);
  std::vector<std::vector<double>> times(n, std::vector<double>(static_cast<size_t>(runs)));
  std::vector<double> run_times, one(n);
  for (int r = 0; r < runs; ++r) {
    std::fill(one.begin(), one.end(), 0.0);
    const auto start = std::chrono::steady_clock::now();
    RunEntry(entry, inputs, one.data());
    run_times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    for (size_t s = 0; s < n; ++s) times[s][static_cast<size_t>(r)] = one[s];
  }
  ProfileReport report;
  report.runs = runs;
  report.threads = threads_;
  report.run_median_seconds = Median(run_times);
  report.run_min_seconds = *std::min_element(run_times.begin(), run_times.end());
  for (size_t s = 0; s < n; ++s) {
    const PlanStep& step = plan.steps()[s];
    const Node& node = plan.graph().node(step.node);
    StepProfile p;
    p.node = node.name;
    p.op = node.op->name;
    if (auto it = node.attrs.find("program"); it != node.attrs.end() &&
                                             node.op->name.rfind("fused_", 0) == 0) {
      for (const FusedInstr& instr : ParseFusedProgram(it->second.s(), true).instrs) {
        p.detail += (p.detail.empty() ? "" : ", ") + instr.op->name;
      }
    }
    for (int slot : step.outputs) {
      p.shape += (p.shape.empty() ? "" : ", ") + plan.slot_type(slot).shape.ToString();
    }
    p.location = step.location;
    p.flops = step.flops;
    p.bytes = step.bytes;
    p.median_seconds = Median(times[s]);
    p.min_seconds = *std::min_element(times[s].begin(), times[s].end());
    report.steps.push_back(std::move(p));
  }
  return report;
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
