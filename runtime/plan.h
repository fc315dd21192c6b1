// A Plan is a graph compiled for one input-shape signature: every symbolic dim bound, every
// node's type concrete, a kernel bound to each compute node, and a linear schedule of steps over
// value slots with the step after which each intermediate can be freed. Plans are immutable once
// built, so any number of threads may execute one at the same time.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"
#include "kernels/kernel.h"

namespace bronze {

struct PlanStep {
  NodeId node = kNoNode;
  std::string describe;               // "node 'mm' (matmul)" for error messages
  std::string location;               // the user's line
  std::unique_ptr<Kernel> kernel;
  std::vector<int> inputs;            // slot ids
  std::vector<int> outputs;           // slot ids
  std::vector<int> release;           // slots no later step reads
};

struct PlanOptions {
  Device device = Device::CPU();
  std::string backend;  // "" = best available; "ref" forces the reference kernels
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

 private:
  Graph graph_;
  SymbolBindings bindings_;
  std::vector<PlanStep> steps_;
  std::vector<std::vector<int>> slot_of_;  // [node id][output index] -> slot
  std::vector<TensorType> slot_types_;
  std::vector<int> input_slots_;
  std::vector<int> output_slots_;
  std::vector<std::pair<int, NodeId>> state_slots_;
  size_t intermediate_bytes_ = 0;
};

}  // namespace bronze
