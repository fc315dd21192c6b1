// GraphBuilder: validated node creation with immediate shape inference.
#include "graph/builder.h"

#include "graph/error.h"

namespace bronze {

GraphBuilder::GraphBuilder(Graph& graph, const OpRegistry& registry)
    : graph_(graph), registry_(registry) {}

void GraphBuilder::PushScope(const std::string& scope) { scopes_.push_back(scope); }

void GraphBuilder::PopScope() {
  if (scopes_.empty()) throw InvalidArgumentError("PopScope without a matching PushScope");
  scopes_.pop_back();
}

std::string GraphBuilder::ScopedName(const std::string& name, std::string_view op) const {
  std::string prefix;
  for (const std::string& s : scopes_) prefix += s + "/";
  return graph_.UniqueName(prefix + (name.empty() ? std::string(op) : name));
}

Value GraphBuilder::AddSource(std::string_view op, const std::string& name, DType dtype,
                              Shape shape, Tensor data) {
  AttrMap attrs{{"dtype", dtype}, {"shape", std::move(shape)}};
  std::vector<Value> out = Op(op, {}, std::move(attrs), name);
  if (data.defined()) {
    Node& n = graph_.node(out[0].node);
    n.data = std::move(data);
  }
  return out[0];
}

Value GraphBuilder::Placeholder(const std::string& name, DType dtype, Shape shape) {
  if (name.empty()) throw InvalidArgumentError("a placeholder needs a name");
  if (graph_.FindNode(name) != kNoNode) {
    throw InvalidArgumentError("placeholder name '" + name + "' is already used");
  }
  return AddSource("placeholder", name, dtype, std::move(shape), Tensor());
}

Value GraphBuilder::Parameter(const std::string& name, Tensor initial_value) {
  if (!initial_value.defined()) throw InvalidArgumentError("parameter '" + name + "' needs an initial value");
  Shape shape = Shape::FromDims(initial_value.dims());
  DType dtype = initial_value.dtype();
  return AddSource("parameter", name, dtype, std::move(shape), std::move(initial_value));
}

Value GraphBuilder::State(const std::string& name, Tensor initial_value) {
  if (!initial_value.defined()) throw InvalidArgumentError("state '" + name + "' needs an initial value");
  Shape shape = Shape::FromDims(initial_value.dims());
  DType dtype = initial_value.dtype();
  return AddSource("state", name, dtype, std::move(shape), std::move(initial_value));
}

Value GraphBuilder::Constant(Tensor value, const std::string& name) {
  if (!value.defined()) throw InvalidArgumentError("a constant needs a value");
  value = value.Clone();  // a constant never changes, even when the caller's buffer does
  Shape shape = Shape::FromDims(value.dims());
  DType dtype = value.dtype();
  return AddSource("constant", name, dtype, std::move(shape), std::move(value));
}

std::vector<Value> GraphBuilder::Op(std::string_view op_name, std::vector<Value> inputs,
                                    AttrMap attrs, const std::string& name) {
  const OpSchema* op = registry_.Find(op_name);
  if (!op) {
    try {
      registry_.Get(op_name);
    } catch (const Error& e) {
      RethrowWithContext(e, "", location_);
    }
  }
  std::string node_name = ScopedName(name, op->name);
  std::vector<TensorType> in_types;
  in_types.reserve(inputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].valid() || !graph_.alive(inputs[k].node) ||
        inputs[k].index < 0 ||
        static_cast<size_t>(inputs[k].index) >= graph_.node(inputs[k].node).outputs.size()) {
      throw InvalidArgumentError(op->name + " node '" + node_name + "': " + op->InputName(k) +
                                     " is not a value of graph '" + graph_.name() + "'",
                                 location_);
    }
    in_types.push_back(graph_.type(inputs[k]));
  }
  AttrMap resolved;
  try {
    resolved = ResolveAttributes(*op, std::move(attrs));
  } catch (const Error& e) {
    RethrowWithContext(e, op->name + " node '" + node_name + "': ", location_);
  }
  std::vector<TensorType> out = InferOutputTypes(*op, resolved, in_types, node_name, location_);
  NodeId id = graph_.AddNode(op, std::move(inputs), std::move(resolved), std::move(out),
                             node_name, location_);
  std::vector<Value> values;
  for (size_t k = 0; k < graph_.node(id).outputs.size(); ++k) {
    values.push_back({id, static_cast<int32_t>(k)});
  }
  return values;
}

Value GraphBuilder::Op1(std::string_view op, std::vector<Value> inputs, AttrMap attrs,
                        const std::string& name) {
  std::vector<Value> out = Op(op, std::move(inputs), std::move(attrs), name);
  if (out.size() != 1) {
    throw InvalidArgumentError("op " + std::string(op) + " has " + std::to_string(out.size()) +
                               " outputs; use Op() for multi-output ops");
  }
  return out[0];
}

}  // namespace bronze
