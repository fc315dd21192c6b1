// Reverse-mode automatic differentiation as a graph transform. From a scalar loss it appends the
// backward graph to the same Graph: gradients flow from the loss through each differentiable
// op's gradient builder (OpSchema::grad) in reverse topological order; a value read several
// times accumulates its gradients (add); non-differentiable ops (comparisons, argmax, indices,
// stop_gradient) pass no gradient. The new nodes are named "grad/..." and carry the location of
// the forward node they differentiate, so an error in the backward graph names the user's line.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/pass.h"

namespace bronze {

struct Gradients {
  // One per requested value: d loss / d value, with the value's type; invalid when the loss
  // does not depend on the value.
  std::vector<Value> grads;
  // The forward values the backward graph reads (what a training step keeps alive for the
  // backward pass), in id order; includes placeholders and parameters.
  std::vector<Value> saved;
  // Nodes with ids at or above this one were added by autodiff.
  NodeId first_backward_node = 0;
};

// Appends d loss / d wrt[i] for every i. `loss` must be a float scalar (rank 0). Throws
// InvalidArgumentError for a bad loss, UnimplementedError naming the node and op when a
// differentiable op on the path has no gradient builder, and InternalError when a builder
// returns a gradient of the wrong type.
Gradients BuildGradients(Graph& graph, Value loss, std::span<const Value> wrt);

// The gradients of the graph output named "loss" with respect to every parameter (trainable
// state), added as graph outputs "grad/<parameter name>"; parameters the loss does not depend
// on get none. Throws InvalidArgumentError when the graph has no output named "loss".
bool AutodiffPass(Graph& graph, PassContext& context);

}  // namespace bronze
