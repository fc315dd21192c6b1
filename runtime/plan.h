// A Plan is a graph compiled for one input-shape signature: every symbolic dim bound (in
// placeholder shapes and in every shape-typed attribute, so backward ops that carry a forward
// shape become concrete too), every node's type concrete, a kernel bound to each compute node, a
// linear schedule of steps over value slots with the step after which each intermediate can be
// freed, the scheduler's decision (runtime/scheduler.h: loop or task graph) and the memory plan
// (runtime/planner.h: every intermediate at an offset in one arena of arena_bytes(), known
// before the first run). Plans are immutable once built, so any number of threads may execute
// one at the same time (each run in its own arena).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"
#include "kernels/kernel.h"
#include "runtime/planner.h"
#include "runtime/scheduler.h"

namespace bronze {

struct PlanStep {
  NodeId node = kNoNode;
  std::string describe;               // "node 'mm' (matmul)" for error messages
  std::string location;               // the user's line
  std::unique_ptr<Kernel> kernel;
  std::vector<int> inputs;            // slot ids
  std::vector<int> outputs;           // slot ids
  std::vector<int> release;           // slots no later step reads
  // (output position, input position): the output is written into the input's buffer (an
  // in-place update of a parameter or state; OpSchema::inplace).
  std::vector<std::pair<int, int>> aliases;
  // The op's cost estimate at this plan's shapes (OpSchema::cost; without one, bytes only):
  // the scheduler's cost model and the profiler's achieved rates (runtime/profile.h) use it.
  double flops = 0;
  double bytes = 0;  // read + written
};

struct PlanOptions {
  Device device = Device::CPU();
  std::string backend;  // "" = best available; "ref" forces the reference kernels
  int threads = 1;      // the threads runs will have (the scheduler's cost model uses it)
  SchedulerMode scheduler = SchedulerMode::kAuto;
};

class Plan {
 public:
  // Binds `bindings` into `graph` (a copy), re-infers concrete types and binds kernels. Throws
  // UnimplementedError naming the node when no kernel exists for its op, device and dtype.
  Plan(const Graph& graph, SymbolBindings bindings, const PlanOptions& options);

  const Graph& graph() const { return graph_; }          // concrete types everywhere
  const SymbolBindings& bindings() const { return bindings_; }
  const std::vector<PlanStep>& steps() const { return steps_; }
  int num_slots() const { return static_cast<int>(slot_types_.size()); }
  const TensorType& slot_type(int slot) const { return slot_types_[static_cast<size_t>(slot)]; }
  int slot_of(Value v) const;
  // Slots of placeholders (graph order), parameters, constants and graph outputs.
  const std::vector<int>& input_slots() const { return input_slots_; }
  const std::vector<int>& output_slots() const { return output_slots_; }
  // (slot, node id) of every parameter and constant: the state a run binds before the steps.
  const std::vector<std::pair<int, NodeId>>& state_slots() const { return state_slots_; }
  // Sum of the bytes of all intermediate values (an upper bound on what the planner will need).
  size_t intermediate_bytes() const { return intermediate_bytes_; }
  // The most bytes of step results alive at once when the steps run in order (each step's
  // outputs are allocated before its dead inputs are released; graph outputs stay to the end).
  // Inputs, parameters, state, constants and in-place updates are not counted.
  size_t peak_bytes() const { return peak_bytes_; }
  // The scheduler's decision and step DAG, and the memory plan made for it.
  const Schedule& schedule() const { return schedule_; }
  const MemoryPlan& memory() const { return memory_; }
  // The bytes of the one arena a run needs for every intermediate value (64-byte aligned
  // offsets; graph inputs, parameters, state, constants and graph outputs live outside it).
  size_t arena_bytes() const { return memory_.arena_bytes; }
  // Whether a step updates state in place (a training step): such a plan must not run on two
  // threads at once.
  bool has_side_effects() const { return has_side_effects_; }

 private:
  Graph graph_;
  SymbolBindings bindings_;
  std::vector<PlanStep> steps_;
  std::vector<std::vector<int>> slot_of_;  // [node id][output index] -> slot
  std::vector<TensorType> slot_types_;
  std::vector<int> input_slots_;
  std::vector<int> output_slots_;
  std::vector<std::pair<int, NodeId>> state_slots_;
  Schedule schedule_;
  MemoryPlan memory_;
  size_t intermediate_bytes_ = 0;
  size_t peak_bytes_ = 0;
  bool has_side_effects_ = false;
};

}  // namespace bronze
