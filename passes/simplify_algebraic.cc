// algebraic: identities that hold exactly for every input and every value of the symbolic dims.
//   x*1, 1*x, x/1, x+0, 0+x, x-0   -> x, when the constant is all ones (zeros) and the result has
//                                     x's dtype and shape (a broadcast that grows x is no identity)
//   reshape, flatten, squeeze, expand, cast, single-input concat whose result has x's type -> x
//   transpose with the identity permutation -> x; dropout with training = 0 or p = 0 -> x
//   transpose(transpose(x, p1), p2) -> transpose(x, p1[p2]) (or x when that is the identity)
//   reshape(r(x)) for r in reshape, flatten, squeeze, unsqueeze -> reshape(x) (row-major order
//                                     is unchanged by each)
// x + 0 maps -0.0 to -0.0 where IEEE addition gives +0.0: like XLA's algebraic simplifier and
// TorchInductor, bronze treats the sign of a zero as not significant here (docs/passes.md).
// A value is not forwarded onto a parameter or state that an in-place update writes (its readers
// would have to run before the update, which may be impossible). A rewritten node keeps its name
// and location.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "graph/op_registry.h"
#include "graph/ops/common.h"
#include "passes/simplify.h"

namespace bronze {
namespace {

bool AllEqualTo(const Graph& graph, Value v, double value) {
  if (!simplify::IsConstant(graph, v)) return false;
  const Tensor& t = graph.node(v.node).data;
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (t.GetAsDouble(i) != value) return false;
  }
  return true;
}

std::string PermText(const std::vector<int64_t>& perm) {
  std::string s = "[";
  for (size_t i = 0; i < perm.size(); ++i) s += (i ? ", " : "") + std::to_string(perm[i]);
  return s + "]";
}

bool IsIdentityPerm(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

// The value `n` equals, with the identity's name, when `n` is an identity.
std::optional<std::pair<Value, std::string>> IdentityOf(const Graph& graph, const Node& n) {
  const std::string& op = n.op->name;
  if (n.outputs.size() != 1 || n.inputs.empty()) return std::nullopt;
  const TensorType& out = n.outputs[0];
  auto arithmetic = [&](int constant_slot, double value,
                        const char* what) -> std::optional<std::pair<Value, std::string>> {
    if (n.inputs.size() != 2) return std::nullopt;
    Value x = n.inputs[static_cast<size_t>(1 - constant_slot)];
    if (graph.type(x) == out && AllEqualTo(graph, n.inputs[static_cast<size_t>(constant_slot)], value)) {
      return std::make_pair(x, std::string(what));
    }
    return std::nullopt;
  };
  if (op == "mul") {
    if (auto r = arithmetic(1, 1.0, "x*1 is x")) return r;
    return arithmetic(0, 1.0, "1*x is x");
  }
  if (op == "add") {
    if (auto r = arithmetic(1, 0.0, "x+0 is x")) return r;
    return arithmetic(0, 0.0, "0+x is x");
  }
  if (op == "sub") return arithmetic(1, 0.0, "x-0 is x");
  if (op == "div") return arithmetic(1, 1.0, "x/1 is x");
  Value x = n.inputs[0];
  if (op == "reshape" || op == "flatten" || op == "squeeze" || op == "expand" || op == "cast" ||
      (op == "concat" && n.inputs.size() == 1)) {
    if (graph.type(x) == out) return std::make_pair(x, op + " to the same type " + out.ToString() + " is x");
  }
  if (op == "transpose") {
    const int64_t rank = graph.type(x).shape.rank();
    if (IsIdentityPerm(ops::TransposePermutation(n.attrs.at("perm").ints(), rank)) &&
        graph.type(x) == out) {
      return std::make_pair(x, std::string("transpose by the identity permutation is x"));
    }
  }
  if (op == "dropout" && graph.type(x) == out &&
      (n.attrs.at("training").i() == 0 || n.attrs.at("p").f() == 0.0)) {
    return std::make_pair(x, std::string("dropout with training = 0 or p = 0 is x"));
  }
  return std::nullopt;
}

// transpose(transpose(x)) -> transpose(x) with the composed permutation.
bool ComposeTranspose(Graph& graph, Node& n, PassContext& context) {
  if (n.op->name != "transpose") return false;
  const Node& inner = graph.node(n.inputs[0].node);
  if (inner.op->name != "transpose") return false;
  const Value x = inner.inputs[0];
  const int64_t rank = graph.type(x).shape.rank();
  std::vector<int64_t> p1 = ops::TransposePermutation(inner.attrs.at("perm").ints(), rank);
  std::vector<int64_t> p2 = ops::TransposePermutation(n.attrs.at("perm").ints(), rank);
  std::vector<int64_t> q(p2.size());
  for (size_t i = 0; i < q.size(); ++i) q[i] = p1[static_cast<size_t>(p2[i])];
  const Value saved_input = n.inputs[0];
  const Attribute saved_perm = n.attrs.at("perm");
  const std::string inner_name = inner.name;
  n.inputs[0] = x;
  n.attrs["perm"] = Attribute(q);
  if (!simplify::TypesUnchanged(graph, n)) {
    n.inputs[0] = saved_input;
    n.attrs["perm"] = saved_perm;
    return false;
  }
  context.Remark("composed transposes '" + inner_name + "' and '" + n.name +
                 "' into one with perm " + PermText(q));
  return true;
}

// reshape(r(x)) -> reshape(x) for r preserving row-major order.
bool ComposeReshape(Graph& graph, Node& n, PassContext& context) {
  if (n.op->name != "reshape") return false;
  const Node& inner = graph.node(n.inputs[0].node);
  const std::string& op = inner.op->name;
  if (op != "reshape" && op != "flatten" && op != "squeeze" && op != "unsqueeze") return false;
  const Value saved_input = n.inputs[0];
  const std::string inner_desc = inner.Describe();
  n.inputs[0] = inner.inputs[0];
  if (!simplify::TypesUnchanged(graph, n)) {
    n.inputs[0] = saved_input;
    context.Remark("'" + n.name + "' not composed with " + inner_desc +
                   ": the reshape would infer another shape");
    return false;
  }
  context.Remark("reshape '" + n.name + "' now reads the input of " + inner_desc);
  return true;
}

}  // namespace

bool AlgebraicPass(Graph& graph, PassContext& context) {
  const std::vector<char> inplace_targets = simplify::InplaceTargets(graph);
  bool changed = false;
  for (NodeId id : graph.TopologicalOrder()) {
    Node& n = graph.node(id);
    if (n.op->is_source || n.op->has_side_effects || !n.op->inplace.empty()) continue;
    // Each composition shortens the chain above `n`, so these loops end.
    while (ComposeTranspose(graph, n, context)) changed = true;
    while (ComposeReshape(graph, n, context)) changed = true;
    std::optional<std::pair<Value, std::string>> identity = IdentityOf(graph, n);
    if (!identity) continue;
    const Value x = identity->first;
    if (inplace_targets[static_cast<size_t>(x.node)]) {
      context.Remark(n.Describe() + " kept: " + identity->second + ", but '" +
                     graph.node(x.node).name + "' is updated in place");
      continue;
    }
    context.Remark("removed " + n.Describe() + ": " + identity->second);
    graph.ReplaceAllUses(Value{id, 0}, x);
    graph.EraseNode(id);
    changed = true;
  }
  return changed;
}

}  // namespace bronze
