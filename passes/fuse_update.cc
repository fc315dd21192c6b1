// The update half of the fuse pass: an SGD step whose gradient is one matrix product,
//   g = matmul(a, b)                         (a linear layer's weight gradient dy^T @ x)
//   sgd_update(param, g, lr[, buf, step])    (any momentum but nesterov; any weight_decay)
// becomes one matmul_sgd_update(param, a, b, lr[, buf, step]) node
// (graph/ops/fused_epilogue.cc), whose GEMM accumulates a @ b straight into the parameter (or
// the momentum buffer). The gradient (as large as the weight) is never stored, so a training
// step's arena shrinks by the weight gradients that were live at once, and the update reads
// one array less.
// Conditions: f32 (the oneDNN path), a and b matrices (rank 2), g read only by the update and not
// a graph output (clipping, a metric or a second use keep the gradient), and g of exactly the
// parameter's type. Nesterov momentum (which reads g after updating the buffer) and the other
// optimizers keep their own update ops. Runs first in the fuse pass, before the epilogues.
#include <string>
#include <vector>

#include "graph/op_registry.h"
#include "passes/fuse.h"

namespace bronze {

bool FuseUpdates(Graph& g, PassContext& ctx) {
  bool changed = false;
  const OpSchema& fused = OpRegistry::Global().Get("matmul_sgd_update");
  // Fusing never changes who reads a gradient other than the one fused, so these hold throughout.
  const auto uses = g.Uses();
  std::vector<char> is_output(g.id_bound(), 0);
  for (const GraphOutput& o : g.outputs()) is_output[static_cast<size_t>(o.value.node)] = 1;
  for (NodeId id : g.node_ids()) {
    if (!g.alive(id) || g.node(id).op_name() != "sgd_update") continue;
    const Node& upd = g.node(id);
    auto skip = [&](const std::string& why) {
      ctx.Remark(upd.name + ": update not fused with its gradient: " + why);
    };
    const AttrMap upd_attrs = ResolveAttributes(*upd.op, upd.attrs);
    if (upd_attrs.at("nesterov").i() != 0) {
      skip("nesterov momentum reads the gradient after the buffer's update");
      continue;
    }
    const Value param = upd.inputs[0], grad = upd.inputs[1], lr = upd.inputs[2];
    const Node& prod = g.node(grad.node);
    if (prod.op_name() != "matmul") {
      skip("the gradient " + prod.name + " is " + prod.op_name() + ", not a matmul");
      continue;
    }
    if (g.type(param).dtype != DType::kF32) {
      skip("dtype " + std::string(DTypeName(g.type(param).dtype)) + " (the oneDNN path is f32)");
      continue;
    }
    if (g.type(prod.inputs[0]).shape.rank() != 2 || g.type(prod.inputs[1]).shape.rank() != 2) {
      skip("the gradient " + prod.name + " is a batched or vector matmul");
      continue;
    }
    if (!(g.type(grad) == g.type(param))) {
      skip("the gradient " + prod.name + " has type " + g.type(grad).ToString() +
           ", the parameter " + g.type(param).ToString());
      continue;
    }
    const size_t pn = static_cast<size_t>(grad.node);
    if (is_output[pn] || uses[pn].size() != 1) {
      skip("the gradient " + prod.name + (is_output[pn] ? " is a graph output" : " has " +
           std::to_string(uses[pn].size()) + " readers"));
      continue;
    }
    AttrMap attrs = ResolveAttributes(*prod.op, prod.attrs);
    for (const char* k : {"momentum", "dampening", "weight_decay"}) attrs[k] = upd_attrs.at(k);
    attrs = ResolveAttributes(fused, std::move(attrs));
    std::vector<Value> inputs{param, prod.inputs[0], prod.inputs[1], lr};
    for (size_t k = 3; k < upd.inputs.size(); ++k) inputs.push_back(upd.inputs[k]);
    const std::string name = upd.name, location = upd.location, grad_name = prod.name;
    const std::vector<TensorType> types = upd.outputs;
    const NodeId prod_id = grad.node;
    g.EraseNode(id);
    g.EraseNode(prod_id);
    const NodeId f = g.AddNode(&fused, inputs, attrs, types, name, location);
    for (int k = 0; k < static_cast<int>(types.size()); ++k) {
      g.ReplaceAllUses(Value{id, k}, Value{f, k});
    }
    const bool momentum = upd_attrs.at("momentum").f() != 0.0;
    ctx.Remark("fused " + grad_name + " + " + name + " into one matmul_sgd_update node " + name +
               " (the GEMM accumulates into the " +
               (momentum ? "momentum buffer" : "parameter") + "; no gradient buffer)");
    changed = true;
  }
  return changed;
}

}  // namespace bronze
