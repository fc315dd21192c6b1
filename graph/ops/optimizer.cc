// The optimizer family (ids 800-899): assign and the fused in-place optimizer updates.
#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {

void RegisterOptimizerOps(OpRegistry& r) {
  (void)r;
}

}  // namespace bronze
