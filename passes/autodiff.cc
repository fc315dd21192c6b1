// Reverse-mode autodiff (see autodiff.h).
#include "passes/autodiff.h"

#include <algorithm>
#include <map>
#include <set>

#include "graph/builder.h"
#include "graph/error.h"
#include "graph/ops/grad_util.h"

namespace bronze {

Gradients BuildGradients(Graph& graph, Value loss, std::span<const Value> wrt) {
  const TensorType& lt = graph.type(loss);
  const Node& loss_node = graph.node(loss.node);
  if (!IsFloating(lt.dtype) || lt.shape.rank() != 0) {
    throw InvalidArgumentError("autodiff: the loss " + loss_node.Describe() + " output " +
                                   std::to_string(loss.index) + " must be a float scalar, got " +
                                   lt.ToString(),
                               loss_node.location);
  }
  Gradients result;
  result.first_backward_node = static_cast<NodeId>(graph.id_bound());
  const std::vector<NodeId> order = graph.TopologicalOrder();

  // Only nodes that depend on a wrt value and that the loss depends on need gradients.
  std::vector<char> from_wrt(graph.id_bound(), 0), to_loss(graph.id_bound(), 0);
  for (const Value& v : wrt) {
    graph.type(v);  // throws for a value that does not exist
    from_wrt[static_cast<size_t>(v.node)] = 1;
  }
  for (NodeId id : order) {
    for (const Value& in : graph.node(id).inputs) {
      if (from_wrt[static_cast<size_t>(in.node)]) from_wrt[static_cast<size_t>(id)] = 1;
    }
  }
  to_loss[static_cast<size_t>(loss.node)] = 1;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (!to_loss[static_cast<size_t>(*it)]) continue;
    for (const Value& in : graph.node(*it).inputs) to_loss[static_cast<size_t>(in.node)] = 1;
  }

  GraphBuilder b(graph);
  b.PushScope("grad");
  std::map<Value, Value> grads;
  auto accumulate = [&](Value v, Value g) {
    auto [it, fresh] = grads.emplace(v, g);
    if (!fresh) it->second = grad::Add(b, it->second, g);
  };
  {
    ScopedLocation at(b, loss_node.location);
    accumulate(loss, grad::Scalar(b, 1.0, lt.dtype));
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const NodeId id = *it;
    if (!from_wrt[static_cast<size_t>(id)] || !to_loss[static_cast<size_t>(id)]) continue;
    const Node& node = graph.node(id);
    if (node.op->is_source) continue;
    std::vector<Value> out_grads(node.outputs.size());
    bool any = false;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      auto g = grads.find(Value{id, static_cast<int32_t>(k)});
      if (g != grads.end()) {
        out_grads[k] = g->second;
        any = true;
      }
    }
    if (!any || node.op->differentiability == Differentiability::kNotDifferentiable) continue;
    if (!node.op->grad) {
      throw UnimplementedError("autodiff: " + node.Describe() + " has no gradient builder (" +
                                   node.op->name + " is not differentiable yet)",
                               node.location);
    }
    ScopedLocation at(b, node.location);
    std::vector<Value> in_grads;
    try {
      in_grads = node.op->grad(b, node, out_grads);
    } catch (const Error& e) {
      RethrowWithContext(e, "autodiff of " + node.Describe() + ": ", node.location);
    }
    if (in_grads.size() != node.inputs.size()) {
      ThrowInternal("the gradient builder of " + node.op->name + " returned " +
                    std::to_string(in_grads.size()) + " gradients for " +
                    std::to_string(node.inputs.size()) + " inputs");
    }
    for (size_t j = 0; j < in_grads.size(); ++j) {
      const Value in = node.inputs[j];
      if (!in_grads[j].valid() || !from_wrt[static_cast<size_t>(in.node)]) continue;
      if (!(graph.type(in_grads[j]) == graph.type(in))) {
        ThrowInternal("the gradient builder of " + node.op->name + " gave " + node.Describe() +
                      " input " + std::to_string(j) + " (" + node.op->InputName(j) +
                      ") a gradient of type " + graph.type(in_grads[j]).ToString() +
                      ", but the input is " + graph.type(in).ToString());
      }
      accumulate(in, in_grads[j]);
    }
  }
  for (const Value& v : wrt) {
    auto g = grads.find(v);
    result.grads.push_back(g == grads.end() ? Value{} : g->second);
  }

  // Drop backward nodes no requested gradient needs (gradients of inputs nobody asked for).
  std::vector<char> live(graph.id_bound(), 0);
  std::vector<NodeId> stack;
  for (const Value& g : result.grads) {
    if (g.valid() && !live[static_cast<size_t>(g.node)]) {
      live[static_cast<size_t>(g.node)] = 1;
      stack.push_back(g.node);
    }
  }
  while (!stack.empty()) {
    NodeId id = stack.back();
    stack.pop_back();
    for (const Value& in : graph.node(id).inputs) {
      if (!live[static_cast<size_t>(in.node)]) {
        live[static_cast<size_t>(in.node)] = 1;
        stack.push_back(in.node);
      }
    }
  }
  std::set<Value> saved;
  for (NodeId id : graph.node_ids()) {
    if (id < result.first_backward_node) continue;
    if (!live[static_cast<size_t>(id)]) {
      graph.EraseNode(id);
      continue;
    }
    for (const Value& in : graph.node(id).inputs) {
      if (in.node < result.first_backward_node) saved.insert(in);
    }
  }
  result.saved.assign(saved.begin(), saved.end());
  return result;
}

bool AutodiffPass(Graph& graph, PassContext&) {
  Value loss;
  for (const GraphOutput& o : graph.outputs()) {
    if (o.name == "loss") loss = o.value;
  }
  if (!loss.valid()) {
    throw InvalidArgumentError("autodiff: graph '" + graph.name() +
                               "' has no output named 'loss' to differentiate");
  }
  std::vector<Value> params;
  for (NodeId id : graph.Parameters()) params.push_back({id, 0});
  Gradients g = BuildGradients(graph, loss, params);
  bool changed = false;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!g.grads[i].valid()) continue;
    graph.AddOutput("grad/" + graph.node(params[i].node).name, g.grads[i]);
    changed = true;
  }
  return changed;
}

}  // namespace bronze
