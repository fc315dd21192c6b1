// The fuse pass (passes/fuse.cc): elementwise and broadcast chains into fused_elementwise nodes.
// Each piece is callable alone for tests; FusePass (registered as "fuse") runs them in order.
#pragma once

#include "graph/graph.h"
#include "passes/pass.h"

namespace bronze {

// Groups elementwise/broadcast ops into fused_elementwise nodes; remarks each decision.
bool FuseElementwise(Graph& graph, PassContext& context);

}  // namespace bronze
