// fuse, last step: a row reduction (softmax, log_softmax, layer_norm, reduce_* or logsumexp over
// trailing axes, a pointwise loss: mse, l1, binary_cross_entropy_with_logits, or cross_entropy /
// nll over (N, C) rows; f32) takes the elementwise group computing its input (its prologue) and the
// one reading its result (its epilogue) into one fused_reduction node (graph/ops/fused.h). The
// CPU executor (kernels/cpu/fused_reduction.cc) then runs the prologue a block of rows at a time
// into a cache-sized buffer, so its result never reaches memory, and the epilogue over the
// output's rows while they are in cache. A neighbour joins when it is a fused_elementwise node
// of one output or a single op the fused executor runs, is not a graph output, and is read only
// by the reduction (prologue), or reads the reduction's result at its own shape as the
// result's only reader (epilogue). Every decision leaves a remark.
#include <algorithm>
#include <string>
#include <vector>

#include "graph/op_registry.h"
#include "graph/ops/fused.h"
#include "passes/fuse.h"

namespace bronze {
namespace {

// The program of a neighbour group: a fused_elementwise node's, or a one-instruction program
// of a single fusible op (its inputs in order). "" when it can join, else why not.
std::string GroupProgram(const Graph& g, const Node& n, FusedProgram* prog) {
  if (n.op_name() == "fused_elementwise") {
    *prog = ParseFusedProgram(n.attrs.at("program").s());
    if (prog->outputs.size() != 1 || prog->outputs[0].input) return "it has several outputs";
    return "";
  }
  if (!FusibleKind(n)) return "it is " + n.op_name() + ", not an elementwise group";
  if (std::string why = WhyNotFusible(g, n); !why.empty()) return why;
  FusedInstr in;
  in.op = n.op;
  in.attrs = ResolveAttributes(*n.op, n.attrs);
  for (size_t k = 0; k < n.inputs.size(); ++k) in.args.push_back(FusedRef{true, static_cast<int>(k)});
  prog->instrs = {std::move(in)};
  prog->outputs = {FusedRef{false, 0}};
  return "";
}

bool IsGroup(const Node& n) { return n.op_name() == "fused_elementwise" || FusibleKind(n); }

struct Plan {
  NodeId prologue = kNoNode, reduction = kNoNode, epilogue = kNoNode;
  FusedProgram pro, epi;
};

// Builds the fused_reduction node of `p` and points the group's readers at it.
void Rewrite(Graph& g, const Plan& p, PassContext& ctx) {
  const Node& r = g.node(p.reduction);
  const Value result{p.reduction, 0};
  std::vector<Value> inputs;
  auto input_of = [&](Value v) {
    auto it = std::find(inputs.begin(), inputs.end(), v);
    if (it == inputs.end()) it = inputs.insert(inputs.end(), v);
    return FusedRef{true, static_cast<int>(it - inputs.begin())};
  };
  FusedProgram prog;
  // Appends a group's program (node inputs `from`); inputs reading the reduction's result
  // become `result_ref`. Returns the reference of the group's result.
  auto append = [&](const FusedProgram& part, const std::vector<Value>& from, FusedRef result_ref) {
    const int base = static_cast<int>(prog.instrs.size());
    for (FusedInstr in : part.instrs) {
      for (FusedRef& a : in.args) {
        if (!a.input) {
          a.index += base;
        } else {
          const Value v = from[static_cast<size_t>(a.index)];
          a = v == result ? result_ref : input_of(v);
        }
      }
      prog.instrs.push_back(std::move(in));
    }
    return FusedRef{false, base + part.outputs[0].index};
  };
  std::string names;
  FusedInstr red;
  red.op = r.op;
  red.attrs = ResolveAttributes(*r.op, r.attrs);
  if (p.prologue != kNoNode) {
    const Node& pn = g.node(p.prologue);
    red.args.push_back(append(p.pro, pn.inputs, FusedRef{}));
    names = pn.name + " + ";
  } else {
    red.args.push_back(input_of(r.inputs[0]));
  }
  for (size_t k = 1; k < r.inputs.size(); ++k) red.args.push_back(input_of(r.inputs[k]));
  const FusedRef red_ref{false, static_cast<int>(prog.instrs.size())};
  prog.instrs.push_back(std::move(red));
  names += r.name;
  NodeId last = p.reduction;
  FusedRef out = red_ref;
  if (p.epilogue != kNoNode) {
    const Node& en = g.node(p.epilogue);
    out = append(p.epi, en.inputs, red_ref);
    names += " + " + en.name;
    last = p.epilogue;
  }
  prog.outputs = {out};
  const Node& ln = g.node(last);
  const std::string name = ln.name, location = ln.location, op = r.op_name();
  const std::vector<TensorType> types = ln.outputs;
  for (NodeId id : {p.epilogue, p.reduction, p.prologue}) {
    if (id != kNoNode) g.EraseNode(id);
  }
  const OpSchema& fused_op = OpRegistry::Global().Get("fused_reduction");
  const NodeId fused = g.AddNode(&fused_op, inputs, {{"program", PrintFusedProgram(prog)}}, types,
                                 name, location);
  g.ReplaceAllUses(Value{last, 0}, Value{fused, 0});
  ctx.Remark("fused " + names + " into one fused_reduction node " + name + " (" + op +
             ", prologue of " + std::to_string(p.pro.instrs.size()) + " ops, epilogue of " +
             std::to_string(p.epi.instrs.size()) + " ops, " + std::to_string(inputs.size()) +
             " inputs)");
}

}  // namespace

bool FuseReductions(Graph& g, PassContext& ctx, std::vector<std::string>* absorbed) {
  const std::vector<NodeId> order = g.TopologicalOrder();
  const auto uses = g.Uses();
  std::vector<char> is_output(g.id_bound(), 0), taken(g.id_bound(), 0);
  for (const GraphOutput& o : g.outputs()) is_output[static_cast<size_t>(o.value.node)] = 1;
  std::vector<Plan> plans;
  for (NodeId id : order) {
    const Node& r = g.node(id);
    if (!r.op || !FusedRowReduction(r.op->name) || r.outputs.size() != 1) continue;
    const Node* pn = &g.node(r.inputs[0].node);
    const auto& readers = uses[static_cast<size_t>(id)];
    const Node* en = readers.empty() ? nullptr : &g.node(readers[0].first);
    const bool pro_near = IsGroup(*pn), epi_near = en && IsGroup(*en);
    if (!pro_near && !epi_near) continue;  // nothing elementwise next to it
    const std::string what = r.name + " (" + r.op_name() + ")";
    const TensorType& x = g.type(r.inputs[0]);
    if (x.dtype != DType::kF32 || r.outputs[0].dtype != DType::kF32) {
      ctx.Remark(what + ": not fused with its elementwise neighbours: dtype " +
                 std::string(DTypeName(x.dtype)) + " (the fused executor runs f32)");
      continue;
    }
    if (RowReductionTrailingAxes(*r.op, ResolveAttributes(*r.op, r.attrs), x.shape.rank()) == 0) {
      ctx.Remark(what + ": not fused with its elementwise neighbours: it does not reduce trailing "
                        "axes while keeping a leading one (the executor works on blocks of rows)");
      continue;
    }
    Plan p;
    p.reduction = id;
    if (pro_near) {
      const auto& pr = uses[static_cast<size_t>(pn->id)];
      std::string why;
      if (taken[static_cast<size_t>(pn->id)]) {
        why = "it is already fused with another reduction";
      } else if (is_output[static_cast<size_t>(pn->id)]) {
        why = "its output is a graph output";
      } else if (pr.size() != 1 || pr[0].second != 0) {
        why = "its output is read elsewhere too";
      } else {
        why = GroupProgram(g, *pn, &p.pro);
      }
      if (why.empty()) {
        p.prologue = pn->id;
      } else {
        ctx.Remark(what + ": prologue " + pn->name + " not fused: " + why);
      }
    }
    if (epi_near) {
      std::string why;
      if (taken[static_cast<size_t>(en->id)]) {
        why = "it is already fused with another reduction";
      } else if (is_output[static_cast<size_t>(id)]) {
        why = "the reduction's result is a graph output";
      } else if (std::any_of(readers.begin(), readers.end(),
                             [&](const auto& u) { return u.first != en->id; })) {
        why = "the reduction's result is read by another node too";
      } else if (en->outputs.size() != 1 || en->outputs[0].dtype != DType::kF32) {
        why = "its output is not one f32 value";
      } else if (!(en->outputs[0].shape == r.outputs[0].shape)) {
        why = "it broadcasts the result from " + r.outputs[0].shape.ToString() + " to " +
              en->outputs[0].shape.ToString();
      } else {
        why = GroupProgram(g, *en, &p.epi);
      }
      if (why.empty()) {
        p.epilogue = en->id;
      } else {
        ctx.Remark(what + ": epilogue " + en->name + " not fused: " + why);
      }
    }
    if (p.prologue == kNoNode && p.epilogue == kNoNode) continue;
    for (NodeId n : {p.prologue, p.reduction, p.epilogue}) {
      if (n != kNoNode) taken[static_cast<size_t>(n)] = 1;
    }
    plans.push_back(std::move(p));
  }
  for (const Plan& p : plans) {
    if (absorbed) {
      for (NodeId id : {p.prologue, p.epilogue}) {
        if (id != kNoNode && g.node(id).op_name() != "fused_elementwise") {
          absorbed->push_back(g.node(id).name);
        }
      }
    }
    Rewrite(g, p, ctx);
  }
  return !plans.empty();
}

}  // namespace bronze
