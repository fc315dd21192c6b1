// Session: compiles a graph (verify, then the pass pipeline) once, then for each new input-shape
// signature binds the symbolic dims and builds a Plan, cached per signature, so a shape compiles
// once and every later run with that shape reuses its plan. Run() checks the inputs against the
// placeholders (names, dtypes, ranks, dims, consistent symbol values; a signature seen before
// only costs a dtype and device compare and one cache lookup) and executes the plan: in a plain
// loop, or as a task graph when the scheduler's cost model says independent branches pay
// (runtime/scheduler.h). Every intermediate lives in one pre-faulted arena (runtime/planner.h);
// each plan keeps a pool of arenas, and a run takes one for itself, so a step allocates nothing
// and concurrent runs never share one. Graph outputs are allocated per run and returned (never
// inside an arena). Run() may be called from many threads at once: plans are immutable and each
// call gets its own arena; a plan that updates state in place (a training step) takes a lock, so
// such runs are serialized. The session owns the parameters and state (copied from the graph's
// initial values); in-place update ops write into them, so they persist across runs.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/pass_manager.h"
#include "runtime/plan.h"
#include "runtime/profile.h"
#include "runtime/scheduler.h"

namespace bronze {

class ThreadPool;

struct SessionOptions {
  Device device = Device::CPU();
  int threads = 0;  // kernel threads, in one TBB task_arena; 0: every core of the machine
  std::vector<std::string> pipeline = InferencePipeline();
  PipelineOptions pass_options;
  std::string backend;  // "" = best kernels available; "ref" = the reference kernels
  SchedulerMode scheduler = SchedulerMode::kAuto;  // loop or task graph (runtime/scheduler.h)
};

struct TensorSpec {
  std::string name;
  DType dtype;
  Shape shape;
};

using NamedTensors = std::map<std::string, Tensor, std::less<>>;

class Session {
 public:
  explicit Session(Graph graph, SessionOptions options = {});
  ~Session();

  // Inputs by placeholder name; returns outputs by graph output name.
  NamedTensors Run(const NamedTensors& inputs) const;
  // Inputs in placeholder order; returns outputs in graph output order.
  // Returned outputs are the caller's: no later run writes to them while the caller (or a view,
  // or a NumPy array over them) holds a reference. Once every reference is dropped, the session
  // reuses that memory for the same output of a later run instead of allocating afresh.
  std::vector<Tensor> Run(const std::vector<Tensor>& inputs) const;
  // Named inputs in placeholder order; throws NotFoundError for a missing or unknown name.
  std::vector<Tensor> Ordered(const NamedTensors& inputs) const;

  const std::vector<TensorSpec>& input_specs() const { return input_specs_; }
  const std::vector<TensorSpec>& output_specs() const { return output_specs_; }
  // After the pipeline, symbolic; parameter and state nodes carry no data here (their current
  // values are parameter(name)).
  const Graph& graph() const { return graph_; }
  const SessionOptions& options() const { return options_; }
  int threads() const { return threads_; }

  // The current value of a parameter or state node (shared with the session: a training step
  // updates it in place; Clone() to keep a snapshot). Do not write into it: kernels may keep a
  // packed copy of a weight no node updates (docs/runtime.md); change it with set_parameter.
  Tensor parameter(const std::string& name) const;
  // Replaces a parameter's or state's value with a copy in new storage (packed copies of the
  // old value are rebuilt on the next run); dtype and shape must match. Not safe during a Run.
  void set_parameter(const std::string& name, const Tensor& value);

  // Times every step of the plan for these inputs (runtime/profile.h): `warmup` untimed runs,
  // then `runs` timed ones, each in plan order as a plain loop. The runs are real runs: a
  // training plan updates its parameters on each. Throws InvalidArgumentError unless runs >= 1
  // and warmup >= 0.
  ProfileReport Profile(const std::vector<Tensor>& inputs, int runs = 20, int warmup = 3) const;
  ProfileReport Profile(const NamedTensors& inputs, int runs = 20, int warmup = 3) const;

  // The plan for these inputs (compiling it when new); checks the inputs like Run.
  std::shared_ptr<const Plan> PlanFor(const std::vector<Tensor>& inputs) const;
  // The plan for inputs of these dims (in placeholder order), checked like Run's inputs.
  std::shared_ptr<const Plan> PlanForShapes(const std::vector<Dims>& input_dims) const;
  // A readable account of the compile (runtime/explain.h): the pipeline that ran, every pass
  // remark, the fused groups, and for the given input dims (none: no plan) the schedule and the
  // planned arena and peak.
  std::string Explain(const std::vector<Dims>& input_dims = {}) const;
  // The remarks the pipeline's passes made when the session compiled (PassContext::Remark).
  const std::vector<PassRemark>& remarks() const { return remarks_; }
  // How many plans were compiled / are cached (one per distinct input-shape signature).
  int64_t num_compiles() const { return num_compiles_.load(); }
  size_t num_cached_plans() const;

 private:
  struct InputDesc {
    bool defined;
    Device device;
    DType dtype;
    const Dims* dims;
  };
  struct PlanEntry;  // a plan, how a run binds its tensors, and its pool of arenas
  SymbolBindings BindInputs(const std::vector<InputDesc>& inputs) const;
  // The cached plan for these inputs, compiling it when new; fast for a known signature.
  PlanEntry& EntryFor(const std::vector<Tensor>& inputs) const;
  PlanEntry& EntryForDescs(const std::vector<InputDesc>& inputs) const;
  // Runs `entry`'s plan on `inputs`; with `step_seconds` (one per step), as a plain loop that
  // adds each step's time to it.
  std::vector<Tensor> RunEntry(PlanEntry& entry, const std::vector<Tensor>& inputs,
                               double* step_seconds) const;
  // The node id of parameter `name`; throws NotFoundError.
  NodeId ParameterId(const std::string& name) const;

  Graph graph_;
  SessionOptions options_;
  int threads_ = 1;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<TensorSpec> input_specs_;
  std::vector<TensorSpec> output_specs_;
  // Parameter and constant values on the session's device, indexed by node id (a constant on
  // the CPU is the graph's own tensor); undefined for every other node.
  std::vector<Tensor> state_;
  mutable std::mutex mutex_;
  mutable std::mutex run_mutex_;  // held by runs of plans that update state in place
  mutable std::map<std::vector<int64_t>, std::unique_ptr<PlanEntry>> plans_;
  std::vector<PassRemark> remarks_;
  mutable std::atomic<int64_t> num_compiles_{0};
};

}  // namespace bronze
