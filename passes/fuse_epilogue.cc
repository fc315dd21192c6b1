// The epilogue half of the fuse pass: linear, matmul and conv2d (f32) absorb what follows them
// into linear_fused / matmul_fused / conv2d_fused (graph/ops/fused_epilogue.cc), in this order:
//   a bias add        add(y, b) with b one value per output column (linear without its own bias,
//                     matmul); conv2d keeps its own bias input only;
//   a residual add    add(y, r) with r of the output's exact type, inside the activation;
//   an activation     relu, gelu (either form), sigmoid, tanh (the oneDNN post-ops there are);
//   a residual add    after the activation, when there was none before.
// Each absorbed value must have exactly one reader and not be a graph output (a training graph
// keeps gelu's input for gelu_grad, so gelu does not fuse there; relu, sigmoid and tanh save
// their output, which stays the fused node's output). Runs before the elementwise grouping.
#include <string>
#include <vector>

#include "graph/op_registry.h"
#include "passes/fuse.h"

namespace bronze {
namespace {

struct Chain {
  std::vector<NodeId> absorbed;  // the nodes after the base op, in order
  std::vector<Value> extra;      // bias then residual inputs
  bool bias = false;
  std::string activation = "none";
  std::string residual = "none";
};

// The other operand of a binary add reading `v`, or an invalid Value.
Value OtherAddOperand(const Node& add, Value v) {
  if (add.op_name() != "add" || add.inputs.size() != 2) return Value{};
  if (add.inputs[0] == v && !(add.inputs[1] == v)) return add.inputs[1];
  if (add.inputs[1] == v && !(add.inputs[0] == v)) return add.inputs[0];
  return Value{};
}

std::string ActivationOf(const Node& n) {
  const std::string& op = n.op_name();
  if (op == "relu" || op == "sigmoid" || op == "tanh") return op;
  if (op == "gelu") return n.attrs.at("approximate").s() == "tanh" ? "gelu_tanh" : "gelu";
  return "";
}

}  // namespace

bool FuseEpilogues(Graph& g, PassContext& ctx) {
  bool changed = false;
  const OpRegistry& reg = OpRegistry::Global();
  for (NodeId id : g.TopologicalOrder()) {
    if (!g.alive(id)) continue;
    const Node& base = g.node(id);
    const std::string& op = base.op_name();
    if (op != "linear" && op != "matmul" && op != "conv2d") continue;
    if (base.outputs[0].dtype != DType::kF32) {
      ctx.Remark(base.name + ": epilogue not fused: dtype " +
                 std::string(DTypeName(base.outputs[0].dtype)) + " (the oneDNN path is f32)");
      continue;
    }
    const auto uses = g.Uses();
    std::vector<char> is_output(g.id_bound(), 0);
    for (const GraphOutput& o : g.outputs()) is_output[static_cast<size_t>(o.value.node)] = 1;
    const TensorType out_type = base.outputs[0];
    Chain c;
    c.bias = op != "matmul" && base.inputs.size() == 3;
    Value cur{id, 0};
    std::string stop;
    // The single reader of `cur`, or kNoNode with `stop` saying why not.
    auto next = [&]() -> NodeId {
      const size_t n = static_cast<size_t>(cur.node);
      if (is_output[n]) {
        stop = "output " + g.node(cur.node).name + " is a graph output";
        return kNoNode;
      }
      if (uses[n].size() != 1) {
        stop = g.node(cur.node).name + " has " + std::to_string(uses[n].size()) + " readers";
        return kNoNode;
      }
      return uses[n][0].first;
    };
    auto absorb = [&](NodeId n) {
      c.absorbed.push_back(n);
      cur = Value{n, 0};
    };
    const Shape bias_shape(
        {out_type.shape.rank() ? out_type.shape[out_type.shape.rank() - 1] : Dim(1)});
    NodeId n = next();
    // Bias.
    if (n != kNoNode && !c.bias && op != "conv2d") {
      const Value b = OtherAddOperand(g.node(n), cur);
      if (b.valid() && g.type(b).dtype == DType::kF32 && g.type(b).shape == bias_shape &&
          g.node(n).outputs[0] == out_type) {
        c.bias = true;
        c.extra.push_back(b);
        absorb(n);
        n = next();
      }
    }
    // Residual inside the activation: add(y, r) read only by an activation.
    if (n != kNoNode) {
      const Value r = OtherAddOperand(g.node(n), cur);
      if (r.valid() && g.type(r) == out_type && g.node(n).outputs[0] == out_type) {
        const size_t un = static_cast<size_t>(n);
        if (!is_output[un] && uses[un].size() == 1 &&
            !ActivationOf(g.node(uses[un][0].first)).empty()) {
          c.residual = "before";
          c.extra.push_back(r);
          absorb(n);
          n = next();
        }
      }
    }
    // Activation.
    if (n != kNoNode && !ActivationOf(g.node(n)).empty()) {
      c.activation = ActivationOf(g.node(n));
      absorb(n);
      n = next();
    } else if (n != kNoNode && stop.empty()) {
      stop = "reader " + g.node(n).name + " (" + g.node(n).op_name() + ") is not an epilogue op";
    }
    // Residual after the activation.
    if (n != kNoNode && c.residual == "none") {
      const Value r = OtherAddOperand(g.node(n), cur);
      if (r.valid() && g.type(r) == out_type && g.node(n).outputs[0] == out_type) {
        c.residual = "after";
        c.extra.push_back(r);
        absorb(n);
      }
    }
    const bool absorbed_bias = c.bias && !(op != "matmul" && base.inputs.size() == 3);
    if (c.activation == "none" && c.residual == "none" && !absorbed_bias) {
      ctx.Remark(base.name +
                 ": epilogue not fused: " + (stop.empty() ? "nothing to absorb" : stop));
      continue;
    }
    std::vector<Value> inputs(base.inputs.begin(), base.inputs.end());
    for (const Value& v : c.extra) inputs.push_back(v);
    AttrMap attrs = ResolveAttributes(*base.op, base.attrs);
    attrs["activation"] = Attribute(c.activation);
    attrs["residual"] = Attribute(c.residual);
    attrs["bias"] = Attribute(int64_t{c.bias ? 1 : 0});
    const OpSchema& fused = reg.Get(op + "_fused");
    attrs = ResolveAttributes(fused, std::move(attrs));
    // The fused node takes the last absorbed node's name (its value keeps its identity).
    const NodeId last = c.absorbed.back();
    const std::string name = g.node(last).name, location = g.node(last).location;
    const std::vector<TensorType> types = g.node(last).outputs;
    std::string names = base.name;
    for (NodeId a : c.absorbed) names += " + " + g.node(a).name;
    const std::string what = op + "_fused";
    for (auto it = c.absorbed.rbegin(); it != c.absorbed.rend(); ++it) g.EraseNode(*it);
    g.EraseNode(id);
    const NodeId f = g.AddNode(&fused, inputs, attrs, types, name, location);
    g.ReplaceAllUses(Value{last, 0}, Value{f, 0});
    ctx.Remark("fused " + names + " into one " + what + " node " + name + " (bias " +
               (c.bias ? "yes" : "no") + ", activation " + c.activation + ", residual " +
               c.residual + ")");
    changed = true;
  }
  return changed;
}

}  // namespace bronze
