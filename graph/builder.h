// GraphBuilder: the one way nodes enter a graph with validation. Every call resolves and checks
// attributes, infers output types at once (so a bad shape fails on the user's line, not later)
// and records the current source location and name scope (the Python layer sets both).
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/op_registry.h"

namespace bronze {

class GraphBuilder {
 public:
  explicit GraphBuilder(Graph& graph, const OpRegistry& registry = OpRegistry::Global());

  Graph& graph() { return graph_; }
  const OpRegistry& registry() const { return registry_; }

  // A graph input; symbolic dims (Dim::Symbol("N")) bind at run time.
  Value Placeholder(const std::string& name, DType dtype, Shape shape);
  // Trainable state with its initial value (shared with the caller; a Session copies it).
  Value Parameter(const std::string& name, Tensor initial_value);
  // Persistent state that is not trained (optimizer moments, running statistics), with its
  // initial value (shared with the caller; a Session copies it).
  Value State(const std::string& name, Tensor initial_value);
  // A constant; the builder keeps its own copy of `value`.
  Value Constant(Tensor value, const std::string& name = "");

  // Adds one node of `op` and returns its outputs. An empty `name` gets a unique one from the
  // scope and the op name. Throws the error of whatever check fails, naming the op, the node and
  // the shapes, with the current location attached.
  std::vector<Value> Op(std::string_view op, std::vector<Value> inputs, AttrMap attrs = {},
                        const std::string& name = "");
  // The same, for an op with exactly one output.
  Value Op1(std::string_view op, std::vector<Value> inputs, AttrMap attrs = {},
            const std::string& name = "");

  void Output(const std::string& name, Value value) { graph_.AddOutput(name, value); }
  const TensorType& type(Value v) const { return graph_.type(v); }

  // Where the next nodes come from ("model.py:12"); empty clears it.
  void SetLocation(std::string location) { location_ = std::move(location); }
  const std::string& location() const { return location_; }
  // Name scopes ("encoder/layer0"): node names get the scope as a prefix.
  void PushScope(const std::string& scope);
  void PopScope();

 private:
  Value AddSource(std::string_view op, const std::string& name, DType dtype, Shape shape, Tensor data);
  std::string ScopedName(const std::string& name, std::string_view op) const;

  Graph& graph_;
  const OpRegistry& registry_;
  std::string location_;
  std::vector<std::string> scopes_;
};

// Sets a builder's location for the lifetime of the object, restoring the previous one after.
class ScopedLocation {
 public:
  ScopedLocation(GraphBuilder& b, std::string location) : b_(b), saved_(b.location()) {
    b_.SetLocation(std::move(location));
  }
  ~ScopedLocation() { b_.SetLocation(saved_); }
  ScopedLocation(const ScopedLocation&) = delete;
  ScopedLocation& operator=(const ScopedLocation&) = delete;

 private:
  GraphBuilder& b_;
  std::string saved_;
};

}  // namespace bronze
