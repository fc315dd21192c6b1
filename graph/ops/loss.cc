// Loss functions: cross_entropy, nll, mse, l1, binary_cross_entropy_with_logits (ids 700-799).
#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {

void RegisterLossOps(OpRegistry&) {}

}  // namespace bronze
