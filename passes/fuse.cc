// fuse: groups chains and trees of elementwise and broadcast ops into one fused_elementwise node
// (graph/ops/fused.h), which the CPU executor runs tile by tile so intermediates never reach
// memory. A node joins the group of its readers when every reader is in that one group and it
// is not a graph output, so each group has one output (its root) and fusing never creates a
// cycle. Only ops and dtypes the fused executor runs are grouped (f32, bool); nothing with side
// effects. Every group and every fusible-kind op left alone gets a remark saying why. Runs
// after autodiff, so forward and backward chains of a training graph fuse alike. GEMM and
// convolution epilogues (passes/fuse_epilogue.cc) are absorbed first; row reductions take the
// groups next to them last (passes/fuse_reduction.cc).
#include <algorithm>
#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/op_registry.h"
#include "graph/ops/fused.h"
#include "passes/fuse.h"
#include "passes/pass.h"

namespace bronze {
namespace {

// At most this many ops in one group (the program stays small and readable).
constexpr size_t kMaxGroupOps = 64;

}  // namespace

bool FusibleKind(const Node& n) {
  return n.op &&
         (n.op->fusion == FusionKind::kElementwise || n.op->fusion == FusionKind::kBroadcast);
}

std::string WhyNotFusible(const Graph& g, const Node& n) {
  if (n.op->has_side_effects || !n.op->inplace.empty()) return "has side effects";
  if (n.outputs.size() != 1) return "has " + std::to_string(n.outputs.size()) + " outputs";
  if (!FusedExecutorSupports(n.op->name)) {
    return "op " + n.op->name + " not supported by the fused executor";
  }
  auto check = [](const TensorType& t) -> std::string {
    if (FusedExecutorSupportsDType(t.dtype)) return "";
    return "dtype " + std::string(DTypeName(t.dtype)) + " not supported by the fused executor";
  };
  for (const Value& v : n.inputs) {
    if (std::string why = check(g.type(v)); !why.empty()) return why;
  }
  return check(n.outputs[0]);
}

namespace {

struct Group {
  NodeId root = kNoNode;
  std::vector<NodeId> members;  // root first, then in reverse topological order
  std::string root_reason;      // why the root did not join its readers
};

}  // namespace

bool FuseElementwise(Graph& g, PassContext& ctx) {
  const std::vector<NodeId> order = g.TopologicalOrder();
  const std::vector<std::vector<std::pair<NodeId, int>>> uses = g.Uses();
  const size_t bound = g.id_bound();
  std::vector<char> is_output(bound, 0);
  for (const GraphOutput& o : g.outputs()) is_output[static_cast<size_t>(o.value.node)] = 1;
  std::vector<size_t> position(bound, 0);
  for (size_t i = 0; i < order.size(); ++i) position[static_cast<size_t>(order[i])] = i;

  std::vector<int> group_of(bound, -1);
  std::vector<Group> groups;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node& n = g.node(*it);
    if (!FusibleKind(n)) continue;
    if (std::string why = WhyNotFusible(g, n); !why.empty()) {
      ctx.Remark(n.name + ": not fused: " + why);
      continue;
    }
    const auto& readers = uses[static_cast<size_t>(n.id)];
    int join = -1;
    std::string reason;
    if (is_output[static_cast<size_t>(n.id)]) {
      reason = "is a graph output (stays materialized)";
    } else if (readers.empty()) {
      reason = "has no readers";
    } else {
      join = group_of[static_cast<size_t>(readers[0].first)];
      for (const auto& [user, slot] : readers) {
        const int gu = group_of[static_cast<size_t>(user)];
        if (gu < 0) {
          const Node& u = g.node(user);
          reason = "output read by " + u.name + " (" + u.op_name() + "), which is not fused";
          join = -1;
          break;
        }
        if (gu != join) {
          reason =
              "output read by " + std::to_string(readers.size()) + " nodes in different groups";
          join = -1;
          break;
        }
      }
      if (join >= 0 && groups[static_cast<size_t>(join)].members.size() >= kMaxGroupOps) {
        reason = "its readers' group has reached " + std::to_string(kMaxGroupOps) + " ops";
        join = -1;
      }
    }
    if (join >= 0) {
      group_of[static_cast<size_t>(n.id)] = join;
      groups[static_cast<size_t>(join)].members.push_back(n.id);
    } else {
      group_of[static_cast<size_t>(n.id)] = static_cast<int>(groups.size());
      groups.push_back(Group{n.id, {n.id}, reason});
    }
  }

  const OpSchema& fused_op = OpRegistry::Global().Get("fused_elementwise");
  bool changed = false;
  // Groups were found root-first from the end; rewrite them in graph order.
  std::vector<size_t> by_position(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) by_position[i] = i;
  std::sort(by_position.begin(), by_position.end(), [&](size_t a, size_t b) {
    return position[static_cast<size_t>(groups[a].root)] <
           position[static_cast<size_t>(groups[b].root)];
  });
  for (size_t gi : by_position) {
    Group& grp = groups[gi];
    const Node& root = g.node(grp.root);
    if (grp.members.size() < 2) {
      ctx.Remark(root.name + ": not fused: " + grp.root_reason +
                 ", and no input comes from a fusible op read only by it");
      continue;
    }
    std::vector<NodeId> members = grp.members;
    std::sort(members.begin(), members.end(), [&](NodeId a, NodeId b) {
      return position[static_cast<size_t>(a)] < position[static_cast<size_t>(b)];
    });
    std::vector<int> temp_of(bound, -1);
    std::vector<Value> inputs;
    FusedProgram program;
    std::string names;
    for (NodeId id : members) {
      const Node& n = g.node(id);
      FusedInstr instr;
      instr.op = n.op;
      instr.attrs = ResolveAttributes(*n.op, n.attrs);
      for (const Value& v : n.inputs) {
        // A value from a group rewritten earlier comes from a new node (an id past `bound`).
        const size_t vn = static_cast<size_t>(v.node);
        const int t = vn < bound ? temp_of[vn] : -1;
        if (t >= 0 && group_of[vn] == static_cast<int>(gi)) {
          instr.args.push_back(FusedRef{false, t});
          continue;
        }
        auto found = std::find(inputs.begin(), inputs.end(), v);
        if (found == inputs.end()) {
          inputs.push_back(v);
          found = inputs.end() - 1;
        }
        instr.args.push_back(FusedRef{true, static_cast<int>(found - inputs.begin())});
      }
      temp_of[static_cast<size_t>(id)] = static_cast<int>(program.instrs.size());
      program.instrs.push_back(std::move(instr));
      names += (names.empty() ? "" : " + ") + n.name;
    }
    program.outputs.push_back(FusedRef{false, static_cast<int>(program.instrs.size()) - 1});
    // The fused node takes the root's name (the value keeps its identity: saved-value lists,
    // dumps and messages still find it).
    const std::string name = root.name, location = root.location;
    const std::vector<TensorType> types = root.outputs;
    for (auto it = members.rbegin(); it != members.rend(); ++it) g.EraseNode(*it);
    const NodeId fused = g.AddNode(&fused_op, inputs, {{"program", PrintFusedProgram(program)}},
                                   types, name, location);
    g.ReplaceAllUses(Value{grp.root, 0}, Value{fused, 0});
    ctx.Remark("fused " + names + " into one fused_elementwise node " + name + " (" +
               std::to_string(members.size()) + " ops, " + std::to_string(inputs.size()) +
               " inputs)");
    changed = true;
  }
  return changed;
}

bool FusePass(Graph& graph, PassContext& context) {
  bool changed = FuseUpdates(graph, context);
  changed |= FuseEpilogues(graph, context);
  // The elementwise step's remarks wait for the reduction step: an op it leaves alone may still
  // join a reduction, and then its "not fused" remark is dropped.
  std::vector<PassRemark> held;
  PassContext elementwise = context;
  elementwise.remarks = context.remarks ? &held : nullptr;
  changed |= FuseElementwise(graph, elementwise);
  std::vector<PassRemark> reductions;
  PassContext reduction = context;
  reduction.remarks = context.remarks ? &reductions : nullptr;
  std::vector<std::string> absorbed;
  changed |= FuseReductions(graph, reduction, &absorbed);
  if (context.remarks) {
    for (PassRemark& r : held) {
      const bool dropped = std::any_of(absorbed.begin(), absorbed.end(), [&](const std::string& n) {
        return r.text.rfind(n + ": not fused: ", 0) == 0;
      });
      if (!dropped) context.remarks->push_back(std::move(r));
    }
    for (PassRemark& r : reductions) context.remarks->push_back(std::move(r));
  }
  return changed;
}

}  // namespace bronze
