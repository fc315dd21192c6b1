// The IR: a Graph owns Nodes; a Value is (node, output index). Nodes keep stable ids for their
// whole life (erasing leaves a hole, Compact() renumbers), so passes can hold ids across edits.
// Source nodes are ordinary nodes of the source ops placeholder (fed at run time), parameter
// (trainable state, initial value in `data`) and constant (value in `data`). Each node records
// its output types (set by shape inference, checked by the verifier) and the user's source
// location. The graph's outputs are an ordered list of named values.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <memory>
#include <vector>

#include "graph/attribute.h"
#include "graph/dtype.h"
#include "graph/shape.h"
#include "graph/tensor.h"

namespace bronze {

class OpSchema;

using NodeId = int32_t;
inline constexpr NodeId kNoNode = -1;

struct Value {
  NodeId node = kNoNode;
  int32_t index = 0;
  bool valid() const { return node != kNoNode; }
  bool operator==(const Value&) const = default;
  auto operator<=>(const Value&) const = default;
};

struct TensorType {
  DType dtype = DType::kF32;
  Shape shape;
  bool operator==(const TensorType&) const = default;
  std::string ToString() const;  // "f32[N, 3]"
};

struct Node {
  NodeId id = kNoNode;
  const OpSchema* op = nullptr;
  std::string name;                 // unique in the graph
  std::vector<Value> inputs;
  AttrMap attrs;
  std::vector<TensorType> outputs;  // one type per output
  std::string location;             // where the user created it, e.g. "model.py:12 dense1"
  Tensor data;                      // constant value or parameter initial value, else undefined

  const std::string& op_name() const;
  // "node 'add_1' (add)", the way every message names a node.
  std::string Describe() const;
};

struct GraphOutput {
  std::string name;
  Value value;
  bool operator==(const GraphOutput&) const = default;
};

class Graph {
 public:
  explicit Graph(std::string name = "main");
  Graph(const Graph& other);
  Graph& operator=(const Graph& other);
  Graph(Graph&&) noexcept = default;
  Graph& operator=(Graph&&) noexcept = default;
  ~Graph();

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // Adds a node as given, without validation (GraphBuilder validates and infers). Throws
  // GraphError when the name is empty or already taken.
  NodeId AddNode(const OpSchema* op, std::vector<Value> inputs, AttrMap attrs,
                 std::vector<TensorType> outputs, std::string name, std::string location = {});
  // Removes a node; the caller makes sure nothing uses it any more.
  void EraseNode(NodeId id);

  bool alive(NodeId id) const;
  Node& node(NodeId id);  // throws GraphError for a dead or out-of-range id
  const Node& node(NodeId id) const;
  const TensorType& type(Value v) const;
  // Live node ids in ascending order (= creation order).
  std::vector<NodeId> node_ids() const;
  size_t num_nodes() const { return num_live_; }
  // One past the largest id ever used; ids index per-node side tables.
  size_t id_bound() const { return nodes_.size(); }
  NodeId FindNode(std::string_view name) const;  // kNoNode when absent

  // A topological order of the live nodes (ties broken by id, so it is deterministic). A node
  // that updates a value in place (OpSchema::inplace) comes after every other reader of that
  // value, and as early as that allows (an optimizer update right after its gradient). Throws GraphError naming the nodes of a cycle.
  std::vector<NodeId> TopologicalOrder() const;
  // Placeholder / parameter / state node ids, in id order.
  std::vector<NodeId> Placeholders() const;
  std::vector<NodeId> Parameters() const;
  std::vector<NodeId> States() const;
  // For each node id, the (user node, input slot) pairs that read any of its outputs.
  std::vector<std::vector<std::pair<NodeId, int>>> Uses() const;

  // Points every input and graph output that reads `from` at `to`. Returns the number replaced.
  int ReplaceAllUses(Value from, Value to);

  const std::vector<GraphOutput>& outputs() const { return outputs_; }
  std::vector<GraphOutput>& mutable_outputs() { return outputs_; }
  void AddOutput(std::string name, Value value);

  // Renumbers live nodes densely in topological order; returns old id -> new id (kNoNode for
  // erased ones).
  std::vector<NodeId> Compact();

  // A name not yet used in the graph: `base`, else `base_1`, `base_2`, ...
  std::string UniqueName(std::string_view base) const;

 private:
  std::string name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, NodeId> by_name_;
  std::vector<GraphOutput> outputs_;
  size_t num_live_ = 0;
};

}  // namespace bronze
