// The fuse pass: GEMM/convolution epilogues (passes/fuse_epilogue.cc), then elementwise and
// broadcast chains into fused_elementwise nodes (passes/fuse.cc).
// Each piece is callable alone for tests; FusePass (registered as "fuse") runs them in order.
#pragma once

#include "graph/graph.h"
#include "passes/pass.h"

namespace bronze {

// linear / matmul / conv2d absorb a following bias add, activation and residual add into
// linear_fused / matmul_fused / conv2d_fused (passes/fuse_epilogue.cc); remarks each decision.
bool FuseEpilogues(Graph& graph, PassContext& context);
// Groups elementwise/broadcast ops into fused_elementwise nodes; remarks each decision.
bool FuseElementwise(Graph& graph, PassContext& context);

}  // namespace bronze
