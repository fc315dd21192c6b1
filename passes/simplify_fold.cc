// fold_constants: replaces a pure node whose inputs are all constants by constants holding its
// results, computed through the installed NodeEvaluator (graph/evaluator.h; runtime/ installs
// one on the reference kernels). Skipped: ops with side effects, in-place updates, state outputs
// or randomness (simplify::IsPure), anything reading a parameter, state or placeholder, results
// that are symbolic (numel of a shape with N) or larger than kFoldMaxBytes. Without an evaluator
// the pass changes nothing and says so. A folded single-output node becomes a constant in place
// (same name and location); each used output k of a multi-output node becomes a constant
// named <node>_<k> with the node's location, and the node goes.
#include <string>
#include <vector>

#include "graph/error.h"
#include "graph/evaluator.h"
#include "graph/op_registry.h"
#include "passes/simplify.h"

namespace bronze {
namespace {

bool ShapeAttrsStatic(const Node& n) {
  for (const auto& [name, a] : n.attrs) {
    if (a.type() == AttrType::kShape && !a.shape().is_static()) return false;
  }
  return true;
}

std::string Bytes(size_t bytes) {
  if (bytes >= (size_t{1} << 20)) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (size_t{1} << 10)) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

AttrMap SourceAttrs(const TensorType& t) {
  return AttrMap{{"dtype", Attribute(t.dtype)}, {"shape", Attribute(t.shape)}};
}

}  // namespace

bool FoldConstantsPass(Graph& graph, PassContext& context) {
  std::shared_ptr<const NodeEvaluator> evaluate = GetNodeEvaluator();
  const OpSchema& constant_op = OpRegistry::Global().Get("constant");
  bool changed = false;
  for (NodeId id : graph.TopologicalOrder()) {
    Node& n = graph.node(id);
    if (!simplify::IsPure(*n.op)) continue;
    bool all_constant = true;
    for (const Value& in : n.inputs) all_constant = all_constant && simplify::IsConstant(graph, in);
    if (!all_constant) continue;
    bool static_types = ShapeAttrsStatic(n);
    size_t bytes = 0;
    for (const TensorType& t : n.outputs) {
      static_types = static_types && t.shape.is_static();
      if (static_types) bytes += static_cast<size_t>(NumElements(t.shape.static_dims())) * DTypeSize(t.dtype);
    }
    if (!static_types) continue;  // depends on a symbolic size bound at run time
    if (bytes > kFoldMaxBytes) {
      context.Remark(n.Describe() + " not folded: its result (" + Bytes(bytes) +
                     ") exceeds the folding limit of " + Bytes(kFoldMaxBytes));
      continue;
    }
    if (!evaluate) {
      context.Remark("constants not folded: no evaluator installed (runtime/evaluator.h)");
      return changed;
    }
    std::vector<Tensor> inputs;
    for (const Value& in : n.inputs) inputs.push_back(graph.node(in.node).data);
    std::vector<Tensor> results;
    try {
      results = (*evaluate)(n, inputs);
    } catch (const Error& e) {
      context.Remark(n.Describe() + " not folded: " + e.what());
      continue;
    }
    bool ok = results.size() == n.outputs.size();
    for (size_t k = 0; ok && k < results.size(); ++k) {
      ok = results[k].defined() && results[k].device() == Device::CPU() &&
           results[k].dtype() == n.outputs[k].dtype &&
           results[k].dims() == n.outputs[k].shape.static_dims();
    }
    if (!ok) ThrowInternal("the evaluator returned results of the wrong types for " + n.Describe());
    const std::string what = n.Describe();
    if (n.outputs.size() == 1) {
      n.op = &constant_op;
      n.inputs.clear();
      n.attrs = SourceAttrs(n.outputs[0]);
      n.data = std::move(results[0]);
      context.Remark("folded " + what + " into a constant " + n.outputs[0].ToString());
    } else {
      std::string made;
      for (size_t k = 0; k < results.size(); ++k) {
        TensorType t = n.outputs[k];
        std::string name = graph.UniqueName(n.name + "_" + std::to_string(k));
        NodeId c = graph.AddNode(&constant_op, {}, SourceAttrs(t), {t}, name, n.location);
        graph.node(c).data = std::move(results[k]);
        if (graph.ReplaceAllUses(Value{id, static_cast<int32_t>(k)}, Value{c, 0}) == 0) {
          graph.EraseNode(c);  // an output nobody reads
        } else {
          made += (made.empty() ? "" : ", ") + name;
        }
      }
      graph.EraseNode(id);  // every reader now reads the constants
      context.Remark("folded " + what + " into constants " + (made.empty() ? "(none used)" : made));
    }
    changed = true;
  }
  return changed;
}

}  // namespace bronze
