// The training compiler (see training.h).
#include "passes/training.h"

#include <cmath>

#include "graph/builder.h"
#include "graph/error.h"
#include "graph/op_registry.h"
#include "graph/ops/grad_util.h"
#include "passes/autodiff.h"

namespace bronze {
namespace {

// Every dropout without an offset input reads one shared i64 step counter, advanced by one at
// the end of each step, so each step draws a fresh mask and equal seeds give equal runs.
std::string WireDropoutCounter(Graph& g, GraphBuilder& b) {
  std::vector<NodeId> dropouts;
  for (NodeId id : g.node_ids()) {
    const Node& n = g.node(id);
    if (n.op->name == "dropout" && n.inputs.size() == 1) dropouts.push_back(id);
  }
  if (dropouts.empty()) return "";
  Value counter = b.State(g.UniqueName("train/rng_step"), Tensor::Scalar<int64_t>(0));
  for (NodeId id : dropouts) g.node(id).inputs.push_back(counter);
  Value next = b.Op1("add", {counter, b.Constant(Tensor::Scalar<int64_t>(1), "train/one")});
  b.Op("assign", {counter, next}, {}, "train/rng_step_update");
  return g.node(counter.node).name;
}

std::vector<Value> Clip(GraphBuilder& b, std::vector<Value> grads, const TrainingConfig& c) {
  if (c.clip_value > 0) {
    for (Value& g : grads) g = b.Op1("clip", {g}, {{"min", -c.clip_value}, {"max", c.clip_value}});
  }
  if (c.clip_norm > 0 && !grads.empty()) {
    // total = sqrt(sum_i sum(g_i^2)); scale = min(1, clip_norm / (total + 1e-6)).
    const DType dt = b.type(grads[0]).dtype;
    Value total;
    for (const Value& g : grads) {
      Value sq = b.Op1("reduce_sum", {b.Op1("mul", {g, g})});
      total = total.valid() ? b.Op1("add", {total, sq}) : sq;
    }
    // Names are under the caller's "train" scope.
    Value norm = b.Op1("sqrt", {total}, {}, "grad_norm");
    Value scale = b.Op1("div", {grad::Scalar(b, c.clip_norm, dt, "clip_norm"),
                                b.Op1("add", {norm, grad::Scalar(b, 1e-6, dt, "eps")})});
    scale = b.Op1("minimum", {scale, grad::Scalar(b, 1.0, dt, "one")}, {}, "clip_scale");
    for (Value& g : grads) g = b.Op1("mul", {g, scale});
  }
  return grads;
}

}  // namespace

void SetTrainingMode(Graph& graph, bool training) {
  for (NodeId id : graph.node_ids()) {
    Node& n = graph.node(id);
    auto it = n.attrs.find("training");
    if (it != n.attrs.end() && it->second.type() == AttrType::kInt) it->second = int64_t{training ? 1 : 0};
  }
}

TrainingGraph BuildTrainingGraph(Graph model, const TrainingConfig& config) {
  TrainingGraph out;
  Graph& g = model;
  Value loss;
  for (const GraphOutput& o : g.outputs()) {
    if (o.name == config.loss) loss = o.value;
  }
  if (!loss.valid()) {
    throw InvalidArgumentError("training: graph '" + g.name() + "' has no output named '" +
                               config.loss + "' to minimize");
  }
  if (config.clip_value < 0 || config.clip_norm < 0) {
    throw InvalidArgumentError("training: clip_value and clip_norm must be >= 0 (0: off)");
  }
  SetTrainingMode(g, true);
  GraphBuilder b(g);
  out.rng_state = WireDropoutCounter(g, b);

  std::vector<Value> params;
  for (NodeId id : g.Parameters()) params.push_back({id, 0});
  Gradients grads = BuildGradients(g, loss, params);
  std::vector<Value> trained, trained_grads;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!grads.grads[i].valid()) continue;
    trained.push_back(params[i]);
    trained_grads.push_back(grads.grads[i]);
    out.parameters.push_back(g.node(params[i].node).name);
  }
  if (trained.empty()) {
    throw InvalidArgumentError("training: no parameter of graph '" + g.name() +
                               "' reaches the loss '" + config.loss + "'");
  }
  for (const Value& v : grads.saved) {
    const Node& n = g.node(v.node);
    if (n.op->is_source) continue;  // inputs, parameters and constants are not extra copies
    out.saved.push_back(n.outputs.size() == 1 ? n.name : n.name + ":" + std::to_string(v.index));
  }

  b.PushScope("train");
  trained_grads = Clip(b, trained_grads, config);
  b.PopScope();
  Value lr = b.Placeholder(kLearningRateInput, DType::kF32, Shape{});
  // Optimizer state is named after its parameter: "<parameter>/exp_avg", ...
  for (size_t i = 0; i < trained.size(); ++i) {
    ScopedLocation at(b, g.node(trained[i].node).location);
    AppendOptimizerUpdate(b, trained[i], trained_grads[i], lr, config.optimizer);
  }
  // State outputs (batch_norm's new running statistics) are written back into their state.
  for (NodeId id : g.node_ids()) {
    if (id >= grads.first_backward_node) break;
    const Node& n = g.node(id);
    for (const auto& [k, j] : n.op->state_outputs) {
      const Value target = n.inputs[static_cast<size_t>(j)];
      if (g.node(target.node).op->name != "state") continue;
      ScopedLocation at(b, n.location);
      b.Op("assign", {target, Value{id, k}}, {}, "train/" + n.name + "/update_" + g.node(target.node).name);
    }
  }
  out.graph = std::move(g);
  return out;
}

}  // namespace bronze
