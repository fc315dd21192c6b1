// The op registry: registration checks, lookups, attribute resolution and the shared shape
// inference entry point that wraps every error with the op, node and user line.
#include "graph/op_registry.h"

#include <algorithm>
#include <mutex>

#include "graph/error.h"
#include "graph/ops/ops.h"

namespace bronze {

std::string_view FusionKindName(FusionKind kind) {
  switch (kind) {
    case FusionKind::kSource: return "source";
    case FusionKind::kElementwise: return "elementwise";
    case FusionKind::kBroadcast: return "broadcast";
    case FusionKind::kInjective: return "injective";
    case FusionKind::kReduction: return "reduction";
    case FusionKind::kOpaque: return "opaque";
  }
  return "?";
}

const Attribute& InferContext::attr(std::string_view name) const {
  auto it = attrs.find(name);
  if (it == attrs.end()) throw AttributeError("missing attribute '" + std::string(name) + "'");
  return it->second;
}

const AttrSpec* OpSchema::FindAttr(std::string_view attr) const {
  for (const AttrSpec& a : attrs) {
    if (a.name == attr) return &a;
  }
  return nullptr;
}

std::string OpSchema::InputName(size_t i) const {
  if (input_names.empty()) return "input " + std::to_string(i);
  if (i < input_names.size()) return input_names[i];
  return input_names.back() + "[" + std::to_string(i - input_names.size() + 1) + "]";
}

std::string OpSchema::ArityString() const {
  if (max_inputs == kVariadic) return "at least " + std::to_string(min_inputs);
  if (min_inputs == max_inputs) return std::to_string(min_inputs);
  return std::to_string(min_inputs) + " to " + std::to_string(max_inputs);
}

void ValidateNothing(const AttrMap&) {}

const OpRegistry& OpRegistry::Global() {
  static const OpRegistry* registry = [] {
    auto* r = new OpRegistry();
    RegisterSourceOps(*r);
    RegisterElementwiseOps(*r);
    RegisterUnaryOps(*r);
    RegisterLinalgOps(*r);
    RegisterReduceOps(*r);
    RegisterShapeOps(*r);
    RegisterNnOps(*r);
    RegisterLossOps(*r);
    RegisterRandomOps(*r);
    RegisterOptimizerOps(*r);
    RegisterFusedOps(*r);
    // Gradient builders come last: they may refer to any op.
    RegisterElementwiseGrads(*r);
    RegisterUnaryGrads(*r);
    RegisterLinalgGrads(*r);
    RegisterReduceGrads(*r);
    RegisterShapeGrads(*r);
    RegisterNnGrads(*r);
    RegisterLossGrads(*r);
    RegisterRandomGrads(*r);
    return r;
  }();
  return *registry;
}

void OpRegistry::Register(OpSchema schema) {
  if (schema.name.empty() || schema.id == 0) ThrowInternal("op without a name or id");
  if (Find(schema.name)) ThrowInternal("op '" + schema.name + "' registered twice");
  if (const OpSchema* other = FindById(schema.id)) {
    ThrowInternal("op '" + schema.name + "' reuses id " + std::to_string(schema.id) + " of '" +
                  other->name + "'");
  }
  if (!schema.infer || !schema.validate || !schema.cost) {
    ThrowInternal("op '" + schema.name + "' lacks a shape function, validation or cost");
  }
  if (!schema.inplace.empty() && !schema.has_side_effects) {
    ThrowInternal("op '" + schema.name + "' updates in place but has no side effects");
  }
  if (schema.grad && schema.differentiability != Differentiability::kDifferentiable) {
    ThrowInternal("op '" + schema.name + "' has a gradient but is not marked differentiable");
  }
  for (const AttrSpec& a : schema.attrs) {
    if (a.default_value && a.default_value->type() != a.type) {
      ThrowInternal("op '" + schema.name + "' attribute '" + a.name + "' default has the wrong type");
    }
  }
  ops_.push_back(std::make_unique<OpSchema>(std::move(schema)));
}

std::vector<std::pair<int, int>> InplacePairs(const Node& node) {
  std::vector<std::pair<int, int>> pairs;
  if (!node.op) return pairs;
  for (const auto& [k, j] : node.op->inplace) {
    if (static_cast<size_t>(j) < node.inputs.size() && static_cast<size_t>(k) < node.outputs.size()) {
      pairs.emplace_back(k, j);
    }
  }
  return pairs;
}

void OpRegistry::SetGrad(std::string_view op, GradFn grad) {
  OpSchema* schema = nullptr;
  for (auto& o : ops_) {
    if (o->name == op) schema = o.get();
  }
  if (!schema) ThrowInternal("SetGrad: no op '" + std::string(op) + "'");
  if (schema->differentiability != Differentiability::kDifferentiable) {
    ThrowInternal("SetGrad: op '" + schema->name + "' is not marked differentiable");
  }
  if (schema->grad) ThrowInternal("SetGrad: op '" + schema->name + "' already has a gradient");
  schema->grad = std::move(grad);
}

const OpSchema* OpRegistry::Find(std::string_view name) const {
  for (const auto& op : ops_) {
    if (op->name == name) return op.get();
  }
  return nullptr;
}

const OpSchema* OpRegistry::FindById(uint32_t id) const {
  for (const auto& op : ops_) {
    if (op->id == id) return op.get();
  }
  return nullptr;
}

static size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

const OpSchema& OpRegistry::Get(std::string_view name) const {
  if (const OpSchema* op = Find(name)) return *op;
  std::string hint;
  for (const auto& op : ops_) {
    if (EditDistance(op->name, name) <= 2) hint += (hint.empty() ? "" : ", ") + op->name;
  }
  throw NotFoundError("unknown op '" + std::string(name) + "'" +
                      (hint.empty() ? "" : " (did you mean " + hint + "?)"));
}

std::vector<const OpSchema*> OpRegistry::All() const {
  std::vector<const OpSchema*> out;
  for (const auto& op : ops_) out.push_back(op.get());
  return out;
}

AttrMap ResolveAttributes(const OpSchema& op, AttrMap given) {
  for (const auto& [name, value] : given) {
    const AttrSpec* spec = op.FindAttr(name);
    if (!spec) {
      std::string known;
      for (const AttrSpec& a : op.attrs) known += (known.empty() ? "" : ", ") + a.name;
      throw AttributeError("unknown attribute '" + name + "' (" + op.name + " takes " +
                           (known.empty() ? "no attributes" : known) + ")");
    }
    // Ints are accepted where floats are expected, as in Python.
    if (spec->type == AttrType::kFloat && value.type() == AttrType::kInt) {
      given[name] = Attribute(static_cast<double>(value.i()));
    } else if (spec->type == AttrType::kFloats && value.type() == AttrType::kInts) {
      given[name] = Attribute(std::vector<double>(value.ints().begin(), value.ints().end()));
    }
  }
  for (const AttrSpec& spec : op.attrs) {
    const bool elided = std::find(op.elided_defaults.begin(), op.elided_defaults.end(),
                                  spec.name) != op.elided_defaults.end();
    auto it = given.find(spec.name);
    if (elided) {
      if (it != given.end() && spec.default_value && it->second == *spec.default_value) {
        given.erase(it);
      }
    } else if (it == given.end() && spec.default_value) {
      given[spec.name] = *spec.default_value;
    }
  }
  CheckAttributes(op, given);
  return given;
}

void CheckAttributes(const OpSchema& op, const AttrMap& attrs) {
  for (const auto& [name, value] : attrs) {
    const AttrSpec* spec = op.FindAttr(name);
    if (!spec) throw AttributeError("unknown attribute '" + name + "'");
    if (value.type() != spec->type) {
      throw AttributeError("attribute '" + name + "' has type " +
                           std::string(AttrTypeName(value.type())) + ", expected " +
                           std::string(AttrTypeName(spec->type)));
    }
  }
  for (const AttrSpec& spec : op.attrs) {
    if (!attrs.count(spec.name) &&
        std::find(op.elided_defaults.begin(), op.elided_defaults.end(), spec.name) ==
            op.elided_defaults.end()) {
      throw AttributeError("missing required attribute '" + spec.name + "' of type " +
                           std::string(AttrTypeName(spec.type)));
    }
  }
  op.validate(attrs);
}

void RethrowWithContext(const Error& e, const std::string& prefix, const std::string& location) {
  std::string msg = prefix + e.message();
  std::string loc = e.location().empty() ? location : e.location();
  switch (e.code()) {
    case ErrorCode::kInternal: throw InternalError(msg, loc);
    case ErrorCode::kInvalidArgument: throw InvalidArgumentError(msg, loc);
    case ErrorCode::kShape: throw ShapeError(msg, loc);
    case ErrorCode::kType: throw TypeError(msg, loc);
    case ErrorCode::kAttribute: throw AttributeError(msg, loc);
    case ErrorCode::kGraph: throw GraphError(msg, loc);
    case ErrorCode::kParse: throw ParseError(msg, loc);
    case ErrorCode::kNotFound: throw NotFoundError(msg, loc);
    case ErrorCode::kUnimplemented: throw UnimplementedError(msg, loc);
    case ErrorCode::kIo: throw IoError(msg, loc);
    case ErrorCode::kFormat: throw FormatError(msg, loc);
  }
  throw Error(e.code(), msg, loc);
}

std::vector<TensorType> InferOutputTypes(const OpSchema& op, const AttrMap& attrs,
                                         std::span<const TensorType> inputs,
                                         const std::string& node_name,
                                         const std::string& location) {
  // Every shape-function error names the op, the node and the input types it saw.
  std::string prefix = op.name + " node '" + node_name + "' on (";
  for (size_t k = 0; k < inputs.size(); ++k) {
    prefix += (k ? ", " : "") + op.InputName(k) + ": " + inputs[k].ToString();
  }
  prefix += "): ";
  try {
    int n = static_cast<int>(inputs.size());
    if (n < op.min_inputs || (op.max_inputs != kVariadic && n > op.max_inputs)) {
      throw GraphError("expects " + op.ArityString() + " inputs, got " + std::to_string(n));
    }
    CheckAttributes(op, attrs);
    std::vector<TensorType> out = op.infer(InferContext{attrs, inputs});
    if (op.num_outputs != kVariadic && static_cast<int>(out.size()) != op.num_outputs) {
      ThrowInternal("shape function of " + op.name + " returned " + std::to_string(out.size()) +
                    " outputs, expected " + std::to_string(op.num_outputs));
    }
    for (const TensorType& t : out) {
      if (!t.shape.IsValidTensorShape()) {
        throw ShapeError("inferred an invalid output shape " + t.shape.ToString());
      }
    }
    return out;
  } catch (const Error& e) {
    RethrowWithContext(e, prefix, location);
  }
}

std::vector<TensorType> InferOutputTypes(const Graph& graph, const Node& node) {
  if (!node.op) throw GraphError(node.Describe() + " has no op");
  std::vector<TensorType> in;
  in.reserve(node.inputs.size());
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    const Value& v = node.inputs[k];
    if (!graph.alive(v.node)) {
      throw GraphError(node.op->name + " node '" + node.name + "': input " + std::to_string(k) +
                           " refers to node id " + std::to_string(v.node) + ", which does not exist",
                       node.location);
    }
    const Node& src = graph.node(v.node);
    if (v.index < 0 || static_cast<size_t>(v.index) >= src.outputs.size()) {
      throw GraphError(node.op->name + " node '" + node.name + "': input " + std::to_string(k) +
                           " reads output " + std::to_string(v.index) + " of " + src.Describe() +
                           ", which has " + std::to_string(src.outputs.size()) + " outputs",
                       node.location);
    }
    in.push_back(src.outputs[static_cast<size_t>(v.index)]);
  }
  return InferOutputTypes(*node.op, node.attrs, in, node.name, node.location);
}

}  // namespace bronze
