// Session: compiles a graph (verify, then the pass pipeline) once, then for each new input-shape
// signature binds the symbolic dims and builds a Plan, cached per signature, so a shape compiles
// once and every later run with that shape reuses its plan. Run() checks the inputs against the
// placeholders (names, dtypes, ranks, dims, consistent symbol values) and executes the plan
// sequentially. Run() may be called from many threads at once: plans are immutable and each call
// gets its own buffers; a plan that updates state in place (a training step) takes a lock, so
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

namespace bronze {

class ThreadPool;

struct SessionOptions {
  Device device = Device::CPU();
  int threads = 0;  // kernel threads, in one TBB task_arena; 0: every core of the machine
  std::vector<std::string> pipeline = InferencePipeline();
  PipelineOptions pass_options;
  std::string backend;  // "" = best kernels available; "ref" = the reference kernels
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
  // updates it in place; Clone() to keep a snapshot).
  Tensor parameter(const std::string& name) const;
  // Replaces a parameter's or state's value; dtype and shape must match. Not safe during a Run.
  void set_parameter(const std::string& name, const Tensor& value);

  // The plan for these inputs (compiling it when new); checks the inputs like Run.
  std::shared_ptr<const Plan> PlanFor(const std::vector<Tensor>& inputs) const;
  // How many plans were compiled / are cached (one per distinct input-shape signature).
  int64_t num_compiles() const { return num_compiles_.load(); }
  size_t num_cached_plans() const;

 private:
  SymbolBindings BindInputs(const std::vector<Tensor>& inputs) const;
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
  mutable std::map<std::vector<int64_t>, std::shared_ptr<const Plan>> plans_;
  mutable std::atomic<int64_t> num_compiles_{0};
};

}  // namespace bronze
