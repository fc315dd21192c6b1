// The fuse pass: plain SGD updates into their weight gradient's GEMM (passes/fuse_update.cc),
// GEMM/convolution epilogues (passes/fuse_epilogue.cc), then elementwise and
// broadcast chains into fused_elementwise nodes (passes/fuse.cc), then row reductions with the
// elementwise groups before and after them into fused_reduction nodes (passes/fuse_reduction.cc).
// Each piece is callable alone for tests; FusePass (registered as "fuse") runs them in order.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/pass.h"

namespace bronze {

// sgd_update(param, matmul(a, b), lr[, buf, step]) (not nesterov, f32, matrices, the product
// read only by the update) becomes matmul_sgd_update(param, a, b, lr[, buf, step])
// (passes/fuse_update.cc); remarks each sgd_update it leaves alone.
bool FuseUpdates(Graph& graph, PassContext& context);
// linear / matmul / conv2d absorb a following bias add, activation and residual add into
// linear_fused / matmul_fused / conv2d_fused (passes/fuse_epilogue.cc); remarks each decision.
bool FuseEpilogues(Graph& graph, PassContext& context);
// Groups elementwise/broadcast ops into fused_elementwise nodes; remarks each decision.
bool FuseElementwise(Graph& graph, PassContext& context);
// A softmax, log_softmax, layer_norm, reduce_* or logsumexp over trailing axes, or a pointwise
// loss (mse, l1, binary_cross_entropy_with_logits), takes the
// fused_elementwise node (or single fusible op) computing its input and the one reading its
// result into a fused_reduction node; remarks each decision.
// `absorbed`, when given, receives the names of the single ops that joined as prologue or
// epilogue.
bool FuseReductions(Graph& graph, PassContext& context,
                    std::vector<std::string>* absorbed = nullptr);

// Whether `n` is of an elementwise or broadcast fusion kind; and, for such a node, "" when the
// fused executor can run it (one output, no side effects, supported op and dtypes), else why not.
bool FusibleKind(const Node& n);
std::string WhyNotFusible(const Graph& graph, const Node& n);

}  // namespace bronze
