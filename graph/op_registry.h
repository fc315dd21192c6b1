// The op registry. An op is one OpSchema: name, stable numeric id (stored in model files),
// arity, typed attribute schema, shape and dtype inference, attribute validation, gradient
// builder (or an explicit "not differentiable"), batching rule, fusion kind and cost estimate.
// Op families register themselves from graph/ops/*.cc; adding an op touches its family file,
// its kernels and its tests, nothing else.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "graph/attribute.h"
#include "graph/graph.h"

namespace bronze {

class GraphBuilder;

// How an op may be fused (passes/fuse reads this).
enum class FusionKind : uint8_t {
  kSource,       // placeholder, parameter, constant
  kElementwise,  // out[i] = f(in[i]) over same-shaped operands
  kBroadcast,    // elementwise with NumPy broadcasting
  kInjective,    // each output element reads one input element (reshape, transpose, slice)
  kReduction,    // reduces axes
  kOpaque,       // everything else (matmul, conv, ...)
};
std::string_view FusionKindName(FusionKind kind);

struct AttrSpec {
  std::string name;
  AttrType type;
  std::optional<Attribute> default_value;  // nullopt: required
  std::string doc;
};

// What a shape function sees. Fail() throws the given error kind; the caller adds the op, the
// node and the user's line.
struct InferContext {
  const AttrMap& attrs;
  std::span<const TensorType> inputs;
  const TensorType& input(size_t i) const { return inputs[i]; }
  const Attribute& attr(std::string_view name) const;
};

using InferFn = std::function<std::vector<TensorType>(const InferContext&)>;
// Checks attribute values beyond their types (ranges, mutual constraints); throws AttributeError.
using ValidateFn = std::function<void(const AttrMap&)>;
// Appends the backward of `node` to the graph through `b`: given the gradients of its outputs
// (an invalid Value where an output has none; at least one is valid), returns one gradient per
// input (an invalid Value where an input gets none), each with exactly its input's type. The
// builder's location is the forward node's; helpers for broadcasting and reductions are in
// passes/grad_util.h.
using GradFn = std::function<std::vector<Value>(GraphBuilder& b, const Node& node,
                                                std::span<const Value> output_grads)>;
// vmap-style batching: given the node's inputs rewritten for the batched graph and each one's
// batch axis (-1: not batched), emits the batched op(s); returns the outputs and sets each
// output's batch axis. Filled in by the batching work.
using BatchFn = std::function<std::vector<Value>(GraphBuilder& b, const Node& node,
                                                 std::span<const Value> inputs,
                                                 std::span<const int> in_axes,
                                                 std::vector<int>* out_axes)>;

struct Cost {
  double flops = 0;
  double bytes_read = 0;
  double bytes_written = 0;
};
// Cost of one execution at concrete (static) shapes.
using CostFn = std::function<Cost(const AttrMap&, std::span<const TensorType> inputs,
                                  std::span<const TensorType> outputs)>;

enum class Differentiability : uint8_t { kUnspecified, kNotDifferentiable, kDifferentiable };

inline constexpr int kVariadic = -1;

class OpSchema {
 public:
  std::string name;
  uint32_t id = 0;                       // stable; never reuse a retired id
  std::string doc;
  std::vector<std::string> input_names;  // for messages; the last repeats when variadic
  int min_inputs = 0;
  int max_inputs = 0;                    // kVariadic: no upper bound
  int num_outputs = 1;                   // kVariadic: decided by the shape function
  std::vector<AttrSpec> attrs;
  // Attributes (each with a default) that a node stores only when set to a non-default value,
  // for attributes added to an op after graphs using it existed: those graphs keep their text
  // IR. Readers must treat a missing one as its default.
  std::vector<std::string> elided_defaults;
  InferFn infer;
  ValidateFn validate;
  Differentiability differentiability = Differentiability::kUnspecified;
  GradFn grad;
  BatchFn batch;
  FusionKind fusion = FusionKind::kOpaque;
  CostFn cost;
  // Which input's dtype selects the kernel (-1: output 0's dtype, for source ops).
  int dispatch_input = 0;
  bool is_source = false;
  bool has_side_effects = false;         // never removed by DCE (optimizer updates, ...)
  // In-place updates of persistent state: (output k, input j) means output k is written into
  // the buffer of input j, which must be a parameter or state value (optimizer updates, assign).
  // Every other reader of that value runs before the writer (Graph::TopologicalOrder), and such
  // ops need has_side_effects.
  std::vector<std::pair<int, int>> inplace;
  // Outputs that carry the next value of a state input: (output k, input j). A training compile
  // writes output k back into input j when input j is a `state` node (batch_norm's running
  // statistics); an inference graph ignores them.
  std::vector<std::pair<int, int>> state_outputs;

  const AttrSpec* FindAttr(std::string_view attr) const;
  std::string InputName(size_t i) const;
  std::string ArityString() const;  // "2", "1 to 3", "at least 1"
};

// The (output, input) pairs of node.op->inplace that apply to this node: a pair naming an
// optional input or output the node does not have (an optimizer state that is off) does not.
std::vector<std::pair<int, int>> InplacePairs(const Node& node);

// A validation function for ops whose attributes need no check beyond their types.
void ValidateNothing(const AttrMap&);

class OpRegistry {
 public:
  // The registry with every built-in op, built on first use.
  static const OpRegistry& Global();

  // Adds an op; throws InternalError on a duplicate name or id, or a schema missing a piece.
  void Register(OpSchema schema);
  // Attaches the gradient builder of a registered differentiable op (the families' *_grad.cc
  // files do this after every op exists); throws InternalError for an unknown op, one not marked
  // differentiable, or a second builder.
  void SetGrad(std::string_view op, GradFn grad);
  const OpSchema* Find(std::string_view name) const;
  const OpSchema* FindById(uint32_t id) const;
  // Throws NotFoundError naming the op (and the closest known names).
  const OpSchema& Get(std::string_view name) const;
  std::vector<const OpSchema*> All() const;

 private:
  std::vector<std::unique_ptr<OpSchema>> ops_;
};

// Applies defaults and checks names and types against the schema: the attributes a node gets
// (an elided_defaults attribute is dropped when it equals its default). Throws AttributeError
// for an unknown, missing or mistyped attribute.
AttrMap ResolveAttributes(const OpSchema& op, AttrMap given);
// Checks an already resolved map (verifier, loader): unknown, missing, mistyped, invalid.
void CheckAttributes(const OpSchema& op, const AttrMap& attrs);

// Arity check, attribute check and validation, then the shape function, with any error
// re-thrown as the same kind, prefixed with the op and node (`node_name`) and carrying the
// user's `location`.
std::vector<TensorType> InferOutputTypes(const OpSchema& op, const AttrMap& attrs,
                                         std::span<const TensorType> inputs,
                                         const std::string& node_name,
                                         const std::string& location);
// The same for a node already in a graph, reading its inputs' annotated types.
std::vector<TensorType> InferOutputTypes(const Graph& graph, const Node& node);

// Re-throws `e` as the same error kind with `prefix` in front of its message and `location`
// attached (when `e` has none).
[[noreturn]] void RethrowWithContext(const class Error& e, const std::string& prefix,
                                     const std::string& location);

}  // namespace bronze
