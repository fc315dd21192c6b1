// fold_conv_bn: in inference graphs, batch_norm(conv2d(x, W, b), gamma, beta, mean, var) with
// training = 0 becomes conv2d(x, W * s[:, None, None, None], (b - mean) * s + beta) with
// s = gamma * rsqrt(var + eps), one conv and no batch_norm. The rescaled weight and bias are
// built as graph ops: when W, b and the statistics are constants, fold_constants turns them into
// constants; when they are parameters they stay computed from the parameters (a few ops over the
// weights per run, far cheaper than the batch_norm), so replacing a parameter's value later
// keeps working. Only when the conv's output has no reader but the batch_norm, the batch_norm's
// running-statistics outputs have no reader, and the pass runs on an inference compile
// (PassContext::training false). The conv keeps its name and location.
#include <string>
#include <vector>

#include "graph/builder.h"
#include "graph/op_registry.h"
#include "passes/simplify.h"

namespace bronze {
namespace {

bool IsOutput(const Graph& graph, Value v) {
  for (const GraphOutput& o : graph.outputs()) {
    if (o.value == v) return true;
  }
  return false;
}

// Why the pair (conv, bn) cannot be folded, or "" when it can.
std::string WhyNot(const Graph& graph, const Node& bn,
                   const std::vector<std::vector<std::pair<NodeId, int>>>& uses) {
  const Node& conv = graph.node(bn.inputs[0].node);
  if (bn.attrs.at("training").i() != 0) return "it normalizes with batch statistics (training = 1)";
  if (uses[static_cast<size_t>(conv.id)].size() != 1 || IsOutput(graph, Value{conv.id, 0})) {
    return "the output of '" + conv.name + "' has other readers";
  }
  for (const auto& [user, slot] : uses[static_cast<size_t>(bn.id)]) {
    if (graph.node(user).inputs[static_cast<size_t>(slot)].index != 0) {
      return "its running-statistics outputs are read";
    }
  }
  if (IsOutput(graph, Value{bn.id, 1}) || IsOutput(graph, Value{bn.id, 2})) {
    return "its running-statistics outputs are graph outputs";
  }
  const TensorType& y = conv.outputs[0];
  const TensorType& w = graph.type(conv.inputs[1]);
  if (y.shape.rank() != 4 || w.shape.rank() != 4 || !w.shape.is_static()) {
    return "the conv2d is unbatched";
  }
  if (y.dtype != graph.type(bn.inputs[1]).dtype) return "dtypes differ";
  return "";
}

void Fold(Graph& graph, NodeId bn_id, PassContext& context) {
  const Node bn = graph.node(bn_id);  // a copy: the builder adds nodes
  const NodeId conv_id = bn.inputs[0].node;
  const Node conv = graph.node(conv_id);
  const DType dt = conv.outputs[0].dtype;
  const int64_t channels = graph.type(conv.inputs[1]).shape[0].value();
  GraphBuilder b(graph);
  b.SetLocation(bn.location);
  const std::string base = bn.name + "/fold";
  Tensor eps = Tensor::Empty(dt, {});
  if (dt == DType::kF64) {
    *eps.data<double>() = bn.attrs.at("eps").f();
  } else {
    *eps.data<float>() = static_cast<float>(bn.attrs.at("eps").f());
  }
  const Value gamma = bn.inputs[1], beta = bn.inputs[2], mean = bn.inputs[3], var = bn.inputs[4];
  Value e = b.Constant(eps, base + "_eps");
  Value inv_std = b.Op1("rsqrt", {b.Op1("add", {var, e}, {}, base + "_var_eps")}, {}, base + "_inv_std");
  Value scale = b.Op1("mul", {gamma, inv_std}, {}, base + "_scale");
  Value scale4 = b.Op1("reshape", {scale}, {{"shape", Shape({channels, 1, 1, 1})}}, base + "_scale4");
  Value weight = b.Op1("mul", {conv.inputs[1], scale4}, {}, base + "_weight");
  Value bias;
  if (conv.inputs.size() == 3) {
    Value centered = b.Op1("sub", {conv.inputs[2], mean}, {}, base + "_centered_bias");
    bias = b.Op1("add", {b.Op1("mul", {centered, scale}, {}, base + "_scaled_bias"), beta}, {},
                 base + "_bias");
  } else {
    bias = b.Op1("sub", {beta, b.Op1("mul", {mean, scale}, {}, base + "_mean_scale")}, {},
                 base + "_bias");
  }
  Node& c = graph.node(conv_id);
  c.inputs.resize(2);
  c.inputs[1] = weight;
  c.inputs.push_back(bias);
  if (!simplify::TypesUnchanged(graph, c)) {
    ThrowInternal("fold_conv_bn changed the type of " + c.Describe());
  }
  graph.ReplaceAllUses(Value{bn_id, 0}, Value{conv_id, 0});
  graph.EraseNode(bn_id);
  context.Remark("folded " + bn.Describe() + " into " + conv.Describe() +
                 " (weight and bias rescaled)");
}

}  // namespace

bool FoldConvBnPass(Graph& graph, PassContext& context) {
  if (context.training) return false;  // a training compile keeps batch_norm (its statistics)
  bool changed = false;
  for (NodeId id : graph.node_ids()) {
    if (!graph.alive(id)) continue;
    const Node& bn = graph.node(id);
    if (bn.op->name != "batch_norm") continue;
    const Node& producer = graph.node(bn.inputs[0].node);
    if (producer.op->name != "conv2d" || bn.inputs[0].index != 0) continue;
    std::string why = WhyNot(graph, bn, graph.Uses());
    if (!why.empty()) {
      context.Remark(bn.Describe() + " not folded into '" + producer.name + "': " + why);
      continue;
    }
    Fold(graph, id, context);
    changed = true;
  }
  return changed;
}

}  // namespace bronze
