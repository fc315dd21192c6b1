// Neural-network ops with state or structure of their own: pooling, batch_norm,
// layer_norm, scaled_dot_product_attention (ids 600-699).
#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {

void RegisterNnOps(OpRegistry&) {}

}  // namespace bronze
