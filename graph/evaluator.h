// The narrow evaluator interface through which passes run one node on concrete tensors
// (constant folding) without depending on kernels/ or runtime/: runtime/ installs an evaluator
// (runtime/evaluator.h: InstallKernelEvaluator, on the reference kernels); passes ask for it and
// skip what needs it when none is installed.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "graph/graph.h"
#include "graph/tensor.h"

namespace bronze {

// Runs `node` (a non-source node whose output types are static) on host tensors of its input
// types and returns one host tensor per output. Throws a bronze::Error when it cannot (no kernel
// for the op and dtype, ...).
using NodeEvaluator = std::function<std::vector<Tensor>(const Node& node,
                                                        const std::vector<Tensor>& inputs)>;

// Installs (or, with an empty function, removes) the process-wide evaluator. Thread-safe.
void SetNodeEvaluator(NodeEvaluator evaluator);
// The installed evaluator, or null when none is. Thread-safe; the result stays valid after a
// later SetNodeEvaluator.
std::shared_ptr<const NodeEvaluator> GetNodeEvaluator();

}  // namespace bronze
