// The kernel-backed node evaluator that constant folding (passes/simplify_fold.cc) runs through
// the graph/evaluator.h interface: one node at a time on the host, single-threaded, on the
// reference kernels (the oracle) by default.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor.h"

namespace bronze {

// Runs one non-source node on host tensors with the kernels of `backend` ("ref": the reference
// kernels; "": the best available). The node's output types must be static. Throws
// UnimplementedError when there is no kernel, the kernel's error (with the node named) otherwise.
std::vector<Tensor> EvaluateNode(const Node& node, const std::vector<Tensor>& inputs,
                                 const std::string& backend = "ref");

// Installs EvaluateNode on the reference kernels as the process-wide NodeEvaluator unless an
// evaluator is installed already (thread-safe). Session does this, so every compile through a
// Session folds constants.
void InstallKernelEvaluator();

}  // namespace bronze
