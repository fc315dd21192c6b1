// Random ops (ids 900-999): dropout, drawing from a counter-based generator so results depend only
// on the seed, the step offset and the element index (never on threads or backends).
#include "graph/ops/common.h"
#include "graph/ops/ops.h"

namespace bronze {

void RegisterRandomOps(OpRegistry&) {}

}  // namespace bronze
