// The op families. Each graph/ops/<family>.cc registers its ops; OpRegistry::Global() calls
// every function below once. Stable op ids are assigned per family range:
//   source 1-99, elementwise 100-299, linalg 300-399, reduce 400-499, shape 500-599.
#pragma once

namespace bronze {

class OpRegistry;

void RegisterSourceOps(OpRegistry& registry);
void RegisterElementwiseOps(OpRegistry& registry);
void RegisterLinalgOps(OpRegistry& registry);
void RegisterReduceOps(OpRegistry& registry);
void RegisterShapeOps(OpRegistry& registry);

}  // namespace bronze
