// simplify: runs fold_constants, cse, algebraic, fold_conv_bn and dce in rounds until none
// changes the graph (or kSimplifyMaxRounds). Each part can be disabled by name like any pass
// (PipelineOptions::disabled reaches it through PassContext::disabled); its remarks carry the
// part's name. Also the rules the parts share (passes/simplify.h).
#include "passes/simplify.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "graph/op_registry.h"

namespace bronze {
namespace simplify {

bool IsRandomOp(const OpSchema& op) {
  // The random family owns ids 900-999 (graph/ops/random.cc).
  return op.name == "dropout" || (op.id >= 900 && op.id < 1000);
}

bool IsPure(const OpSchema& op) {
  return !op.is_source && !op.has_side_effects && op.inplace.empty() &&
         op.state_outputs.empty() && !IsRandomOp(op);
}

bool IsConstant(const Graph& graph, Value v) {
  const Node& n = graph.node(v.node);
  return n.op && n.op->name == "constant" && n.data.defined();
}

std::vector<char> InplaceTargets(const Graph& graph) {
  std::vector<char> targets(graph.id_bound(), 0);
  for (NodeId id : graph.node_ids()) {
    const Node& n = graph.node(id);
    for (const auto& [k, j] : InplacePairs(n)) {
      targets[static_cast<size_t>(n.inputs[static_cast<size_t>(j)].node)] = 1;
    }
  }
  return targets;
}

bool TypesUnchanged(const Graph& graph, const Node& node) {
  try {
    return InferOutputTypes(graph, node) == node.outputs;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace simplify

bool SimplifyPass(Graph& graph, PassContext& context) {
  static const std::pair<const char*, bool (*)(Graph&, PassContext&)> kParts[] = {
      {"fold_constants", FoldConstantsPass},
      {"cse", CsePass},
      {"algebraic", AlgebraicPass},
      {"fold_conv_bn", FoldConvBnPass},
      {"dce", DcePass},
  };
  const std::string saved = context.pass;
  const size_t first_remark = context.remarks ? context.remarks->size() : 0;
  bool any = false;
  int round = 0;
  for (; round < kSimplifyMaxRounds; ++round) {
    bool changed = false;
    for (const auto& [name, run] : kParts) {
      if (context.Disabled(name)) continue;
      context.pass = name;
      changed = run(graph, context) || changed;
    }
    any = any || changed;
    if (!changed) break;
  }
  context.pass = saved;
  if (context.remarks) {
    // Later rounds repeat the reasons something was not rewritten: keep each line once.
    std::set<std::pair<std::string, std::string>> seen;
    auto& r = *context.remarks;
    auto keep_end = std::remove_if(r.begin() + static_cast<std::ptrdiff_t>(first_remark), r.end(),
                                   [&](const PassRemark& m) {
                                     return !seen.insert({m.pass, m.text}).second;
                                   });
    r.erase(keep_end, r.end());
  }
  if (round == kSimplifyMaxRounds) {
    context.Remark("stopped after " + std::to_string(kSimplifyMaxRounds) +
                   " rounds with the graph still changing");
  }
  return any;
}

}  // namespace bronze
