// The op families. Each graph/ops/<family>.cc registers its ops; OpRegistry::Global() calls
// every function below once. Stable op ids are assigned per family range:
//   source 1-99, elementwise (binary) 100-199, unary 200-299, linalg 300-399 (matmul, linear,
//   convolutions), reduce 400-499 (reductions, softmax, log_softmax), shape 500-599 (shape and
//   indexing ops, embedding), nn 600-699 (pooling, normalization, attention, dropout),
//   loss 700-799, optimizers 800-899 (assign and the in-place optimizer updates), random
//   900-999 (dropout), fused 1000-1099 (fused_elementwise, the GEMM/convolution epilogue ops
//   and fused_reduction, which the fuse pass makes). Backward ops (conv2d's weight gradient, pooling gradients, ...)
//   take ids in their forward op's family range. Each family's gradient builders are in
//   <family>_grad.cc, attached after every op is registered.
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
void RegisterOptimizerOps(OpRegistry& registry);
void RegisterFusedOps(OpRegistry& registry);

void RegisterElementwiseGrads(OpRegistry& registry);
void RegisterUnaryGrads(OpRegistry& registry);
void RegisterLinalgGrads(OpRegistry& registry);
void RegisterReduceGrads(OpRegistry& registry);
void RegisterShapeGrads(OpRegistry& registry);
void RegisterNnGrads(OpRegistry& registry);
void RegisterLossGrads(OpRegistry& registry);
void RegisterRandomGrads(OpRegistry& registry);

}  // namespace bronze
