// The op families. Each graph/ops/<family>.cc registers its ops; OpRegistry::Global() calls
// every function below once. Stable op ids are assigned per family range:
//   source 1-99, elementwise (binary) 100-199, unary 200-299, linalg 300-399 (matmul, linear,
//   convolutions), reduce 400-499 (reductions, softmax, log_softmax), shape 500-599 (shape and
//   indexing ops, embedding), nn 600-699 (pooling, normalization, attention, dropout),
//   loss 700-799, optimizers 800-899 (reserved), random 900-999 (dropout).
#pragma once

namespace bronze {

class OpRegistry;

void RegisterSourceOps(OpRegistry& registry);
void RegisterElementwiseOps(OpRegistry& registry);
void RegisterUnaryOps(OpRegistry& registry);
void RegisterLinalgOps(OpRegistry& registry);
void RegisterReduceOps(OpRegistry& registry);
void RegisterShapeOps(OpRegistry& registry);
void RegisterNnOps(OpRegistry& registry);
void RegisterLossOps(OpRegistry& registry);
void RegisterRandomOps(OpRegistry& registry);

}  // namespace bronze
